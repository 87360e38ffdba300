#include "cli/cli.h"
#include "cli/commands.h"
#include "core/datadir.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void say(const char *cmd, const char *fmt, va_list ap)
{
    fprintf(stderr, "tailgate %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int tg_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(cmd, fmt, ap);
    va_end(ap);
    return TG_EXIT_USAGE;
}

int tg_cli_resource_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(cmd, fmt, ap);
    va_end(ap);
    return TG_EXIT_RESOURCE;
}

static struct tg_cli_optspec *capture;

void tg_cli_optspec_capture(struct tg_cli_optspec *into)
{
    capture = into;
}

int tg_cli_getopt_long(int argc, char *const argv[], const char *optstring,
                       const struct option *longopts)
{
    if (capture) {
        *capture = (struct tg_cli_optspec){ optstring, longopts };
        capture = NULL;
    }
    return getopt_long(argc, argv, optstring, longopts, NULL);
}

const char *tg_cli_data_path(const char *path)
{
    static char found[8][PATH_MAX];
    static int nfound;
    char buf[PATH_MAX];
    if (!path || tg_datadir_find(path, buf, sizeof buf) != 0 || !strcmp(buf, path))
        return path;
    for (int i = 0; i < nfound; i++)
        if (!strcmp(found[i], buf))
            return found[i];
    if (nfound == 8)
        return path;
    strcpy(found[nfound], buf);
    return found[nfound++];
}
