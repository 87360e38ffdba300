/*
 * progress.h - live progress of `tailgate run` on stderr: elapsed time,
 * done/total, the rate over the last second, running P50/P95 of the ok
 * inputs so far, and errors.
 *
 * Two halves:
 *
 *   struct tg_progress_lat   one per worker thread.  The worker records each
 *                            ok latency into a private coarse histogram with
 *                            plain stores (tg_progress_lat_record: the hot
 *                            path, no lock, no atomic) and hands it over at
 *                            its periodic flush (tg_progress_lat_publish,
 *                            about every 100 ms: one mutex per worker, never
 *                            contended by more than the display thread).
 *   struct tg_progress       the display state, owned by the thread that
 *                            prints (the CLI's main thread): it collects the
 *                            published counts (tg_progress_collect), keeps
 *                            the done counts of the last second for the rate,
 *                            and renders a line.
 *
 * The running percentiles come from log-linear buckets with 32 sub-buckets
 * per power of two (<= 3.2 % relative error; the exact figures are in
 * summary.json).  Values are microseconds.  No colour is ever written, so
 * NO_COLOR needs no handling; the live line uses only "\r" and "ESC[K"
 * (erase to end of line).
 */
#ifndef TG_OUTPUT_PROGRESS_H
#define TG_OUTPUT_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct tg_progress_lat;
struct tg_progress;

/* Per worker.  _new returns NULL on allocation failure; _free(NULL) is a
 * no-op.  record: owning worker thread only.  publish: owning worker thread
 * (or any thread once the worker has ended).  */
struct tg_progress_lat *tg_progress_lat_new(void);
void tg_progress_lat_free(struct tg_progress_lat *l);
void tg_progress_lat_record(struct tg_progress_lat *l, uint64_t latency_us);
void tg_progress_lat_publish(struct tg_progress_lat *l);

/* Display state.  total is the number of inputs expected, UINT64_MAX when
 * unknown (a duration-bounded run).  Returns NULL on allocation failure. */
struct tg_progress *tg_progress_new(uint64_t total, uint64_t start_ns);
void tg_progress_free(struct tg_progress *p);

/* Moves what the workers have published into p (takes each worker's mutex
 * briefly).  lats may contain NULLs. */
void tg_progress_collect(struct tg_progress *p, struct tg_progress_lat *const *lats, size_t n);

/* Records the engine's counters at now_ns (monotonic) for the rate. */
void tg_progress_update(struct tg_progress *p, uint64_t now_ns, uint64_t done, uint64_t failed);

/* The done count of the last update. */
uint64_t tg_progress_done(const struct tg_progress *p);

/* How many ok latencies have been collected so far. */
uint64_t tg_progress_samples(const struct tg_progress *p);

/* The running percentile (p in [0, 100]) of the ok latencies collected so
 * far, µs; 0 when none. */
uint64_t tg_progress_percentile(const struct tg_progress *p, double pct);

/* Inputs per second over the last second (over the whole run while it is
 * younger than 1 s). */
double tg_progress_rate(const struct tg_progress *p);

/* Renders the fields, no prefix and no line ending, into buf (truncated to
 * len - 1 characters):
 *   "12.3s  1234/5000 inputs  312.0/s  P50 48.2 ms  P95 52.1 ms  errors 0" */
void tg_progress_format(const struct tg_progress *p, char *buf, size_t len);

/* Writes the live terminal line: "\r", the fields cut to width - 1 columns
 * (width 0: not cut), "ESC[K".  Flushes f. */
void tg_progress_print_live(struct tg_progress *p, FILE *f, unsigned width);
/* Erases the live line ("\r ESC[K"). Flushes f. */
void tg_progress_clear_live(FILE *f);
/* Writes one plain log line: "progress: <fields>\n".  Flushes f. */
void tg_progress_print_line(struct tg_progress *p, FILE *f);

#endif
