/*
 * trace.h - a --trace file: timestamped JSON lines replayed on schedule
 * (docs/load-shapes.md).  Each non-blank line is an object with
 *   "offset_ms" or "timestamp_ms"   a number >= 0 (ms; exactly one of the two)
 *   "body"                          the request body (an object), or
 *   "input_length"                  an integer >= 0: a text of that many words
 *   "output_length"                 an integer >= 0: max_tokens (generative dialects)
 *   "model"                         a string: the model of a synthesised body
 * Arrivals are the lines in order of their time (a stable sort: file order on
 * ties); arrival i is at (t_i - t_0) / speed, t_0 the earliest line's time,
 * and sends arrival i's body.  A synthesised text is input_length words drawn
 * from a fixed 64-word vocabulary by a generator seeded with the run's seed
 * and the line's number, so it is reproducible and differs line by line.
 *
 * Ownership: tg_trace_load() returns an object owned by the caller, released
 * with tg_trace_free() (NULL is a no-op).  Read-only after load.
 */
#ifndef TG_ENGINE_TRACE_H
#define TG_ENGINE_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"

struct tg_api;
struct tg_payloads;

#define TG_TRACE_MAX_WORDS 1000000   /* input_length at most */

struct tg_trace {
    size_t n;                      /* arrivals (>= 1) */
    uint64_t *offsets_ns;          /* n, nondecreasing, offsets_ns[0] == 0 (before speed) */
    size_t synthesised;            /* arrivals whose body was synthesised */
    struct tg_payloads *payloads;  /* payload i is arrival i's body; sha256 is the trace file's */
};

/* Loads path for dialect api (the synthesis, and with split the split of
 * every body as tg_payloads_load does for --batch).  seed: the words of
 * synthesised texts.  Returns 0, -errno (unreadable), TG_EINVAL (no line)
 * or TG_EPARSE (a bad line: why says "line N: reason"), TG_ENOMEM. */
int tg_trace_load(const char *path, const struct tg_api *api, bool split, uint64_t seed,
                  struct tg_trace **out, char *why, size_t whylen);
void tg_trace_free(struct tg_trace *t);

/* The synthesised text of `words` words for file line `line` (1-based)
 * under seed: a new malloc'ed string, NULL when out of memory. */
char *tg_trace_words(uint64_t seed, uint64_t line, uint64_t words);

#endif
