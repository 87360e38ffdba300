/*
 * analyze.h - the evidence: where the latency goes, whether the server is
 * saturated, how its cost grows with batch size, what connections and the
 * client cost, and the one dominant cause.  Every function is pure (rows or
 * measured points in, numbers out), thread-safe, and never prints; the
 * measurements themselves come from analyze/probe.h or a run's files.
 *
 * Times in milliseconds, throughput in inputs per second.  "Unknown" numbers
 * are NAN.
 */
#ifndef TG_ANALYZE_ANALYZE_H
#define TG_ANALYZE_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/prows.h"
#include "stats/phases.h"
#include "stats/fit.h"

/* ---- decomposition ------------------------------------------------------ */

/* The components, bands and struct tg_decomp are stats/phases.h's: the one
 * phase breakdown that report.html prints too. */

/* Decomposes the ok rows at P50, P95 and P99 (tg_phase_breakdown of the
 * rows).  Returns 0, TG_EINVAL (no ok row) or TG_ENOMEM. */
int tg_decomp_compute(const struct tg_prows *r, struct tg_decomp *out);

/* ---- Little's law ----------------------------------------------------------- */

struct tg_little {
    double throughput_ips;         /* ok inputs / wall time */
    double mean_latency_ms;
    double in_flight;              /* throughput * mean latency: inputs in the system on average */
    double concurrency;            /* what the client was asked to keep in flight; NAN unknown */
    double ratio;                  /* in_flight / concurrency */
    double server_in_flight;       /* throughput * mean (server queue + compute); NAN unknown */
};
/* wall_s: the run's wall time (NAN: from the rows' timestamps).  Returns 0 or
 * TG_EINVAL (no ok row or no wall time). */
int tg_little_check(const struct tg_prows *r, double wall_s, double concurrency, struct tg_little *out);

/* ---- concurrency sweep ---------------------------------------------------------- */

struct tg_sweep_point {
    uint32_t concurrency;
    uint64_t inputs, ok, failed;
    double throughput_ips, p50_ms, p95_ms, mean_ms;
    bool from_run;                 /* taken from the analysed run, not probed */
};
/* Saturated when the throughput at the highest concurrency is within
 * `noise` (e.g. 0.15 = 15 %) of the throughput at about half of it (the
 * nearest lower point): doubling the in-flight inputs no longer adds
 * throughput.  *knee gets the lowest concurrency reaching 90 % of the best
 * throughput.  Points must be sorted by concurrency.  Returns 1, 0, or -1
 * (fewer than 2 usable points). */
int tg_sweep_saturated(const struct tg_sweep_point *p, size_t n, double noise, uint32_t *knee);

/* ---- batch cost -------------------------------------------------------------------- */

struct tg_batch_point {
    uint32_t batch;
    size_t n;                      /* executions measured */
    double median_ms;              /* median execution time (server compute, or service time) */
    double min_ms, max_ms;
};
struct tg_batch_fit {
    struct tg_fit fit;             /* t(b) = alpha + beta*b over the points' medians */
    bool from_server_timing;       /* compute from Server-Timing, else service time (alpha then includes the network) */
    double gain_at_c;              /* throughput gain of batch min(c, max) over batch 1: b*t(1)/t(b) */
    double gain_limit;             /* (alpha + beta)/beta: the most batching can ever give; INFINITY when beta <= 0 */
    double efficiency_at_c;        /* gain_at_c / b: share of the ideal linear gain */
    uint32_t batch_at_c;
};
/* Fits the points' medians by weighted least squares (weight n/median^2:
 * the execution noise is multiplicative) with a non-negative alpha, and
 * derives the gains at batch min(concurrency, max_batch).
 * Returns 0 or TG_EINVAL (fewer than 2 distinct batch sizes). */
int tg_batch_fit(const struct tg_batch_point *p, size_t n, uint32_t concurrency, uint32_t max_batch,
                 bool from_server_timing, struct tg_batch_fit *out);
/* Median of v[0..n) (sorts v in place); NAN when n == 0. */
double tg_median(double *v, size_t n);

/* ---- connections ------------------------------------------------------------------- */

struct tg_conn_cost {
    size_t n_new, n_reused;        /* ok inputs whose request opened a connection / reused one */
    double new_connect_ms;         /* mean setup time of a new connection */
    double new_service_ms;         /* mean connect + service of requests on new connections */
    double reused_service_ms;      /* mean service of requests on reused connections */
    double extra_ms;               /* new_service - reused_service: what a new connection costs a request */
};
/* From rows with phases.  Returns 0 or TG_EINVAL (no phases). */
int tg_conn_cost(const struct tg_prows *r, struct tg_conn_cost *out);

/* ---- the client's own overhead ------------------------------------------------------ */

struct tg_client_overhead {
    double baseline_p50_ms, baseline_p95_ms, baseline_mean_ms;  /* input.py's CSV */
    double replica_p50_ms, replica_p95_ms, replica_mean_ms;     /* the C replica's run */
    double delta_p50_ms, delta_p95_ms, delta_mean_ms;           /* baseline - replica */
    size_t baseline_n, replica_n;
};
int tg_client_overhead(const struct tg_prows *baseline, const struct tg_prows *replica,
                       struct tg_client_overhead *out);

/* ---- the verdict -------------------------------------------------------------------- */

enum tg_cause {
    TG_CAUSE_SERVER_QUEUE, TG_CAUSE_SERVER_COMPUTE, TG_CAUSE_CONNECT, TG_CAUSE_CLIENT,
    TG_CAUSE_TRANSFER,
    TG_CAUSE_SERVER,     /* the server, queue and compute not separable (no server-reported time) */
    TG_CAUSE_UNKNOWN
};
const char *tg_cause_name(enum tg_cause c);  /* "server_queue", … (analysis.json values) */

/* The dominant cause of the P95 latency: the largest component of the P95
 * band.  Queueing at a saturated server whose cost barely drops with
 * batching (gain_at_c < 1.5) is attributed to compute: the queue is the
 * symptom, the per-input compute the cause.  A server component that cannot
 * be split (no server-reported time) is TG_CAUSE_SERVER: time that was not
 * measured as queue is never called queue.  saturated: 1, 0,
 * -1 unknown; gain_at_c NAN when unknown.  *share gets the component's share
 * of the P95 band latency. */
enum tg_cause tg_dominant_cause(const struct tg_decomp *d, int saturated, double gain_at_c, double *share);

#endif
