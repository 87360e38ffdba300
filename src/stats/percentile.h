/*
 * percentile.h - exact statistics over raw samples (the per-request rows are
 * kept on disk; compare and analyze load them back), bootstrap confidence
 * intervals, and the binomial SLA verdict.
 *
 * All functions are pure and thread-safe; the bootstrap is seeded and
 * reproducible.  Latencies are in milliseconds as doubles.
 */
#ifndef TG_STATS_PERCENTILE_H
#define TG_STATS_PERCENTILE_H

#include <stddef.h>
#include <stdint.h>

/* Sorts v[0..n) ascending in place (for the functions below that need it):
 * NaN last, -0.0 before +0.0.  O(n) radix sort from 256 values up (2n words
 * of scratch; falls back to qsort when that allocation fails). */
void tg_sort_doubles(double *v, size_t n);

/* The 1-based nearest rank of percentile p (clamped to [0, 100]) among n > 0
 * samples: ceil(p/100 * n), at least 1.  p*n/100 is rounded to the nearest
 * integer first when it is within 1e-9 of one, so that decimal inputs such
 * as p = 95, n = 20 give rank 19 despite binary floating point.  Returns 0
 * when n == 0. */
uint64_t tg_percentile_rank(uint64_t n, double p);

/* Nearest-rank percentile of sorted v[0..n): the ceil(p/100 * n)-th smallest
 * (1-based; rank 0 means the smallest).  p in [0, 100].  NAN when n == 0. */
double tg_percentile_sorted(const double *sorted, size_t n, double p);

struct tg_summary_stats {
    size_t n;
    /* stdev is the population standard deviation (divides by n). */
    double min, mean, stdev, p50, p90, p95, p99, p999, max; /* ms; NAN when n == 0 */
};

/* Computes the summary of v[0..n) (sorts a private copy; v is not changed).
 * Returns 0 or TG_ENOMEM. */
int tg_summary_stats(const double *v, size_t n, struct tg_summary_stats *out);

struct tg_ci {
    double lo, hi;   /* NAN when either sample is empty */
};

/* Bootstrap confidence interval of percentile(after, p) - percentile(before, p)
 * from `resamples` resamples (e.g. 2000) at level `confidence` (e.g. 0.95),
 * seeded by `seed`; the percentile method (the alpha/2 and 1 - alpha/2
 * nearest-rank quantiles of the resampled deltas).  Inputs need not be sorted
 * and may contain +INFINITY (a delta of inf - inf counts as 0).
 *
 * Each resample's percentile is drawn exactly rather than by materialising
 * the resample: the k-th smallest of n indices drawn uniformly with
 * replacement from the sorted sample is floor(n * U_(k)), and the k-th order
 * statistic U_(k) of n uniforms is Beta(k, n + 1 - k).  The cost is
 * O(n log n + resamples) instead of O(resamples * n), so millions of rows
 * are fine.  Same seed, same inputs: same interval.
 * Returns 0, TG_EINVAL (resamples == 0 or confidence outside (0, 1)) or
 * TG_ENOMEM. */
int tg_bootstrap_delta_ci(const double *before, size_t nb, const double *after, size_t na,
                          double p, unsigned resamples, double confidence, uint64_t seed,
                          struct tg_ci *out);

enum tg_verdict { TG_VERDICT_PASS, TG_VERDICT_FAIL, TG_VERDICT_INCONCLUSIVE };

struct tg_sla_result {
    double p95_ms;            /* nearest-rank point estimate */
    size_t over_limit;        /* samples strictly above the limit */
    size_t n;
    /* Clopper-Pearson bounds on the true fraction of requests over the limit,
     * one-sided at the stated confidence. */
    double frac_over_lo, frac_over_hi;
    enum tg_verdict verdict;  /* PASS: frac_over_hi <= 5 %; FAIL: frac_over_lo > 5 %;
                                 else INCONCLUSIVE */
};

/* The P95 SLA verdict for samples v[0..n) (ms) against limit_ms at the given
 * one-sided confidence (e.g. 0.99).  Failed requests must be passed as
 * INFINITY so that they count as over the limit.  n == 0 is INCONCLUSIVE. */
int tg_sla_verdict(const double *v, size_t n, double limit_ms, double confidence,
                   struct tg_sla_result *out);

const char *tg_verdict_name(enum tg_verdict v);   /* "PASS", "FAIL", "INCONCLUSIVE" */

#endif
