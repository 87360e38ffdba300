/*
 * loadsweep.h - `tailgate sweep`'s pure part: the list of loads, one measured
 * point per load (from a probe result, with its SLO verdict), the knee, the
 * SLA limit and sweep.json (schema tailgate.sweep/1, docs/formats.md).
 *
 * The knee (docs/sweep.md): with the points in increasing load, the knee is
 * the first load L[k] whose next point raises throughput by less than 5 %
 * (relative to throughput[k]) while its P95 rises (p95[k+1] > p95[k]).  For
 * a step of the offered load below 10 % (L[k+1] < 1.1 L[k]) the threshold is
 * half the relative step instead of 5 %, so finely spaced loads below
 * saturation are not taken for a knee.  No knee: throughput kept rising by
 * the threshold at every step (or fewer than two points, or a point without
 * a throughput or a P95).
 *
 * The SLA limit: the highest load L[k] such that every point up to and
 * including k PASSes every SLO; none when the lowest load does not PASS.
 *
 * Pure; thread-safe on distinct data.  Never prints.
 */
#ifndef TG_ANALYZE_LOADSWEEP_H
#define TG_ANALYZE_LOADSWEEP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/probe.h"
#include "compare/slo_eval.h"
#include "stats/slo.h"

#define TG_LOADSWEEP_MAX_POINTS 64
#define TG_LOADSWEEP_KNEE_GAIN 0.05    /* throughput rising by less than this is flat */

enum tg_loadsweep_mode { TG_LOADSWEEP_CONCURRENCY, TG_LOADSWEEP_RATE };

/* "concurrency" / "rate". */
const char *tg_loadsweep_mode_name(enum tg_loadsweep_mode m);

/* Parses a comma-separated list of loads: strictly increasing, at most
 * TG_LOADSWEEP_MAX_POINTS values; concurrency: integers in [1, 4096]; rate:
 * numbers in (0, 1e6] inputs/s.  Returns 0 (*n values in out) or TG_EINVAL
 * with a one-line reason in why. */
int tg_loadsweep_parse_list(const char *s, enum tg_loadsweep_mode mode, double *out, size_t *n, char *why,
                        size_t whylen);

struct tg_loadsweep_point {
    double load;                  /* the value measured: concurrency, or inputs/s offered */
    double achieved_rate;         /* inputs that became ready per second: (n - 1) over the
                                     span of their ready times; NAN below 2 inputs */
    uint64_t inputs, ok, failed;
    double p50_ms, p95_ms, p99_ms, mean_ms;  /* ok inputs, nearest rank; NAN when none */
    double throughput_ips;        /* ok inputs / wall_s */
    double wall_s;                /* first input ready -> last one done */
    bool interrupted;             /* the point's hard deadline struck */
    bool judged;                  /* SLOs given: verdict and slo valid */
    enum tg_verdict verdict;      /* every SLO PASS: PASS; one FAIL: FAIL; else INCONCLUSIVE */
    struct tg_slo_eval slo;
    char first_error[160];
};

/* Fills *out from a probe of load; judges slos[0..nslos) (none: judged
 * false) at confidence on the probe's rows, the way `tailgate tune` does
 * (compare/slo_eval.h).  Returns 0, TG_EINVAL or TG_ENOMEM (err says why). */
int tg_loadsweep_point_from_probe(double load, const struct tg_probe_result *r, const struct tg_slo *slos,
                              size_t nslos, double confidence, struct tg_loadsweep_point *out, char *err,
                              size_t errlen);

/* The knee's index into p[0..n) (increasing load), or -1. */
long tg_loadsweep_knee(const struct tg_loadsweep_point *p, size_t n);

/* The SLA limit's index into p[0..n) (increasing load), or -1 (also when
 * the points were not judged). */
long tg_loadsweep_sla_limit(const struct tg_loadsweep_point *p, size_t n);

struct tg_loadsweep {
    enum tg_loadsweep_mode mode;
    const double *values;          /* the loads asked for (all of them) */
    size_t nvalues;
    const struct tg_loadsweep_point *points;  /* measured so far, in increasing load */
    size_t npoints;
    const struct tg_slo *slos;     /* as judged (--slo, then --sla-p95's) */
    size_t nslos;
    double confidence;
    bool interrupted;              /* SIGINT: the points after npoints were not measured */
    double elapsed_s;
};

/* sweep.json's document: schema, mode, values, slos, confidence, points[],
 * knee, sla_limit, interrupted, elapsed_s (the caller adds url, api and
 * config).  A new reference, NULL when out of memory. */
json_t *tg_loadsweep_json(const struct tg_loadsweep *sw);

/* "verdict" text of a point: "PASS"/"FAIL"/"INCONCLUSIVE", NULL when not judged. */
const char *tg_loadsweep_point_verdict(const struct tg_loadsweep_point *p);

#endif
