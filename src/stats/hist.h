/*
 * hist.h - log-linear latency histogram (HDR-style) with bounded relative
 * error, for summaries where raw rows are not kept.
 *
 * Values are uint64 microseconds.  Buckets: exact below 2^k, then 2^k linear
 * sub-buckets per power of two, so the relative error of any reported value
 * is <= 1/2^k; k = 10 gives <= 0.1 %.  Memory is fixed at creation (a few
 * hundred KiB), independent of the number of samples.
 *
 * Ownership: tg_hist_new() returns a histogram owned by the caller, released
 * with tg_hist_free() (NULL is a no-op).  Not thread-safe: one histogram per
 * worker thread, merged after join with tg_hist_merge().
 */
#ifndef TG_STATS_HIST_H
#define TG_STATS_HIST_H

#include <stdint.h>

struct tg_hist;

/* Creates an empty histogram covering [0, max_us] (values above are clamped
 * to max_us and counted in overflow).  Returns NULL on allocation failure. */
struct tg_hist *tg_hist_new(uint64_t max_us);
void tg_hist_free(struct tg_hist *h);

void tg_hist_record(struct tg_hist *h, uint64_t value_us);

/* Adds every sample of src into dst (same max_us).  Returns 0 or TG_EINVAL. */
int tg_hist_merge(struct tg_hist *dst, const struct tg_hist *src);

uint64_t tg_hist_count(const struct tg_hist *h);
uint64_t tg_hist_overflow(const struct tg_hist *h);   /* samples clamped to max_us */
uint64_t tg_hist_min(const struct tg_hist *h);         /* exact; 0 when empty */
uint64_t tg_hist_max(const struct tg_hist *h);         /* exact; 0 when empty */
double tg_hist_mean(const struct tg_hist *h);          /* exact (running sum) */
double tg_hist_stdev(const struct tg_hist *h);         /* exact (running sums) */

/* Nearest-rank percentile, p in [0, 100]: the value of the ceil(p/100 * n)-th
 * smallest sample (the smallest when that rank is 0), reported as the upper
 * edge of its bucket clamped to [min, max], so within 0.1 % of the exact
 * value.  Returns 0 when empty. */
uint64_t tg_hist_percentile(const struct tg_hist *h, double p);

#endif
