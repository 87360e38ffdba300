/*
 * time.h - clocks.  Every interval is measured with tg_now_ns() (CLOCK_MONOTONIC);
 * the wall clock is only for log rows and file names.
 */
#ifndef TG_CORE_TIME_H
#define TG_CORE_TIME_H

#include <stdint.h>

#define TG_NS_PER_US 1000ULL
#define TG_NS_PER_MS 1000000ULL
#define TG_NS_PER_S 1000000000ULL

/* Nanoseconds on CLOCK_MONOTONIC. Thread-safe. */
uint64_t tg_now_ns(void);

/* Milliseconds since the Unix epoch (CLOCK_REALTIME), for log rows only. */
int64_t tg_wall_ms(void);

/* Writes the current UTC time as "YYYYmmddTHHMMSSZ" (16 chars + NUL) into out.
 * Returns 0, or TG_EINVAL when n < 17. */
int tg_utc_stamp(char *out, unsigned n);

/* Writes the current UTC time as ISO 8601 "YYYY-mm-ddTHH:MM:SSZ" (21 bytes with NUL). */
int tg_utc_iso(char *out, unsigned n);

/* Sleeps for ns nanoseconds on CLOCK_MONOTONIC, resuming after signals. */
void tg_sleep_ns(uint64_t ns);

static inline double tg_ns_to_ms(uint64_t ns) { return (double)ns / 1e6; }

#endif
