#include "core/time.h"
#include "core/error.h"

#include <errno.h>
#include <time.h>

uint64_t tg_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * TG_NS_PER_S + (uint64_t)ts.tv_nsec;
}

int64_t tg_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int utc_format(char *out, unsigned n, const char *fmt, unsigned need)
{
    if (n < need)
        return TG_EINVAL;
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    return strftime(out, n, fmt, &tm) ? 0 : TG_EINVAL;
}

int tg_utc_stamp(char *out, unsigned n) { return utc_format(out, n, "%Y%m%dT%H%M%SZ", 17); }
int tg_utc_iso(char *out, unsigned n) { return utc_format(out, n, "%Y-%m-%dT%H:%M:%SZ", 21); }

void tg_sleep_ns(uint64_t ns)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    uint64_t t = (uint64_t)deadline.tv_sec * TG_NS_PER_S + (uint64_t)deadline.tv_nsec + ns;
    deadline.tv_sec = (time_t)(t / TG_NS_PER_S);
    deadline.tv_nsec = (long)(t % TG_NS_PER_S);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == EINTR)
        ;
}
