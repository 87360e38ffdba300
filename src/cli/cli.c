#include "cli/cli.h"
#include "cli/commands.h"

#include <stdarg.h>
#include <stdio.h>

int tg_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "tailgate %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return TG_EXIT_USAGE;
}
