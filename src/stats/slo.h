/*
 * slo.h - service-level objectives on per-input and per-event metrics:
 * `--slo METRIC:pNN<=VALUE` (`latency`, `ttft`, `tpot`, `itl`), each judged
 * with the same binomial verdict as the P95 SLA, and goodput.
 *
 * Grammar: METRIC ":" "p" NN ["." D…] "<=" VALUE, where NN in (0, 100)
 * ("p95", "p99.9", "p50") and VALUE a duration of the units module
 * ("800ms", "1.5s", "40" = ms; > 0), NN with at most 6 decimals, no spaces.
 * "latency:p95<=800ms" is exactly
 * `--sla-p95 800`.  Text is kept (normalised: "ttft:p99<=250ms") for
 * reports.
 *
 * Samples: latency, ttft, tpot are one value per input; a failed input is
 * a sample over the limit (INFINITY) for each of them; an ok input without
 * the metric is no sample (tpot of an answer with fewer than two output
 * tokens; ttft/tpot of a response that did not stream).  itl is every gap
 * between consecutive content events, pooled over the ok inputs.
 * Verdict at confidence c on n samples, k of them strictly over the limit,
 * with Clopper-Pearson bounds [lo, hi] on the fraction over: PASS when
 * hi <= 1 - p, FAIL when lo > 1 - p, else INCONCLUSIVE (n == 0 too).
 *
 * Per input (goodput): an input meets latency/ttft/tpot SLOs when its value
 * is <= the limit (tpot with < 2 tokens, ttft of a response that did not
 * stream: met; a NAN latency: not met), and an itl SLO when its
 * largest gap is <= the limit (none: met); it counts toward goodput when it
 * is ok and meets every SLO.  Goodput = such inputs / wall time.
 *
 * Pure and thread-safe.
 */
#ifndef TG_STATS_SLO_H
#define TG_STATS_SLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/percentile.h"

enum tg_slo_metric { TG_SLO_LATENCY, TG_SLO_TTFT, TG_SLO_TPOT, TG_SLO_ITL, TG_SLO_NMETRICS };

#define TG_SLO_MAX 8   /* SLOs per command line */

struct tg_slo {
    enum tg_slo_metric metric;
    double p;             /* quantile in (0, 1): 0.95 */
    double limit_ms;
    char text[48];        /* normalised "ttft:p95<=250ms" */
};

/* "latency", "ttft", "tpot", "itl". */
const char *tg_slo_metric_name(enum tg_slo_metric m);

/* Parses s into *out.  Returns 0 or TG_EINVAL with a one-line reason in why. */
int tg_slo_parse(const char *s, struct tg_slo *out, char *why, size_t whylen);

struct tg_slo_result {
    double estimate_ms;      /* nearest-rank pNN of the samples; NAN when n == 0 */
    uint64_t n, over;        /* samples, samples strictly over the limit */
    double frac_over_lo, frac_over_hi;
    enum tg_verdict verdict;
};

/* Judges s on samples v[0..n) (ms; INFINITY for a failed input).  Returns 0,
 * TG_EINVAL (confidence outside (0, 1)) or TG_ENOMEM. */
int tg_slo_judge(const struct tg_slo *s, const double *v, size_t n, double confidence,
                 struct tg_slo_result *out);

/* Judges from counts only (n samples, `over` of them over the limit, the
 * estimate computed by the caller, e.g. from a histogram). */
int tg_slo_judge_counts(const struct tg_slo *s, uint64_t n, uint64_t over, double estimate_ms,
                        double confidence, struct tg_slo_result *out);

/* Does one input with these values (ms; NAN: the input has no such value)
 * meet s?  itl_max_ms: its largest inter-event gap. */
bool tg_slo_input_meets(const struct tg_slo *s, double latency_ms, double ttft_ms, double tpot_ms,
                        double itl_max_ms);

#endif
