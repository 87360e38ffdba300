/* Placeholder until the serve subcommand lands; it refuses to pretend. */
#include "cli/commands.h"

#include <stdio.h>

int tg_cmd_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tailgate serve: not implemented yet\n");
    return TG_EXIT_USAGE;
}
