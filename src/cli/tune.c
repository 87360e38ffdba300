/* Placeholder until the tune subcommand lands; it refuses to pretend. */
#include "cli/commands.h"

#include <stdio.h>

int tg_cmd_tune(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tailgate tune: not implemented yet\n");
    return TG_EXIT_USAGE;
}
