/* Placeholder until the analyze subcommand lands; it refuses to pretend. */
#include "cli/commands.h"

#include <stdio.h>

int tg_cmd_analyze(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tailgate analyze: not implemented yet\n");
    return TG_EXIT_USAGE;
}
