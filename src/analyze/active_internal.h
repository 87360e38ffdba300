/*
 * active_internal.h - the parts of the probe plan that active.c (the plan)
 * and active_batch.c (the batch cost probe) share.  Internal to
 * src/analyze/active*.c.
 */
#ifndef TG_ANALYZE_ACTIVE_INTERNAL_H
#define TG_ANALYZE_ACTIVE_INTERNAL_H

#include <stddef.h>

#include "analyze/active.h"

/* Calls o->progress(o->progress_ctx, what) when there is one (active.c). */
void tg_active_progress(const struct tg_active_opts *o, const char *what);

/* The batch sweep (active_batch.c): batch points, max batch and its evidence,
 * the per-request overhead into *a.  Returns 0, or a TG_E... code with a
 * reason in err (every input of batch 1 failed: TG_EIO). */
int tg_active_batch_sweep(const struct tg_probe_target *t, const struct tg_active_opts *o, struct tg_active *a,
                          char *err, size_t errlen);

#endif
