/* Placeholder until the run subcommand lands; it refuses to pretend. */
#include "cli/commands.h"

#include <stdio.h>

int tg_cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tailgate run: not implemented yet\n");
    return TG_EXIT_USAGE;
}
