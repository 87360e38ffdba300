/* Placeholder until the report subcommand lands; it refuses to pretend. */
#include "cli/commands.h"

#include <stdio.h>

int tg_cmd_report(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tailgate report: not implemented yet\n");
    return TG_EXIT_USAGE;
}
