/*
 * fault.c - the fault-injection hook (see fault.h).
 */
#include "engine/fault.h"

#include <stddef.h>

tg_fault_fn tg_fault_hook = NULL;
