/* Placeholder until the compare subcommand lands; it refuses to pretend. */
#include "cli/commands.h"

#include <stdio.h>

int tg_cmd_compare(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tailgate compare: not implemented yet\n");
    return TG_EXIT_USAGE;
}
