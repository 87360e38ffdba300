#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>

static enum tg_log_level max_level = TG_LOG_INFO;

void tg_log_set_level(enum tg_log_level level) { max_level = level; }

void tg_log(enum tg_log_level level, const char *fmt, ...)
{
    static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };
    if (level > max_level)
        return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "tailgate: %s%s\n", prefix[level], line);
}
