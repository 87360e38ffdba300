/*
 * units.h - the one parser for numbers, durations and sizes given on a
 * command line or in a file.  Pure functions, no allocation, thread-safe.
 *
 * Durations: "250ms", "10s", "2m", "1h", "500us", "1.5s"; a bare number is
 * taken in the caller's default unit.  Sizes: "512", "2k", "10M", "1G" (powers
 * of 1024; the "k/M/G" suffix may be followed by "B" or "iB").
 * Counts: "400", "10k", "1M" (powers of 1000), for -n and friends.
 */
#ifndef TG_CORE_UNITS_H
#define TG_CORE_UNITS_H

#include <stdint.h>

/* Parses a duration into nanoseconds.  A bare number is multiplied by
 * default_unit_ns (e.g. TG_NS_PER_MS for an option documented in ms).
 * Returns 0, TG_EINVAL (not a duration) or TG_ERANGE (negative or overflow). */
int tg_parse_duration_ns(const char *s, uint64_t default_unit_ns, uint64_t *out);

/* Parses a byte size. Returns 0, TG_EINVAL or TG_ERANGE. */
int tg_parse_size(const char *s, uint64_t *out);

/* Parses a non-negative count with an optional k/M/G (x1000) suffix,
 * within [min, max]. Returns 0, TG_EINVAL or TG_ERANGE. */
int tg_parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Parses a finite double within [min, max]. Returns 0, TG_EINVAL or TG_ERANGE. */
int tg_parse_double(const char *s, double min, double max, double *out);

#endif
