/*
 * capacity_probe.h - the measuring side of `tailgate capacity`: the measure
 * callback of analyze/capacity.h backed by open-loop probe runs
 * (analyze/probe.h: Poisson arrivals, the client configuration, an in-flight
 * cap), each point's verdicts by the code compare, run and tune use
 * (compare/slo_eval.h on the pooled rows), the cost model's starting rate,
 * and capacity.json.
 *
 * A chunk of n inputs at rate r is one probe run: inputs start for n / r
 * seconds plus a grace, and the run is interrupted at most max(2 s, 3 x the
 * largest SLO limit) after that, so an input still unanswered has waited
 * longer than every limit.  Interrupted and never-started inputs count as
 * failed: over every limit, never silently dropped.  After an overloaded
 * chunk the next waits for the server to drain its backlog (see settling).
 *
 * Ownership: struct tg_capacity_meter borrows target and slos and owns the
 * pooled rows of the point being measured (tg_capacity_meter_free).  One
 * probe at a time from the calling thread.  Library code: never prints.
 */
#ifndef TG_ANALYZE_CAPACITY_PROBE_H
#define TG_ANALYZE_CAPACITY_PROBE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/capacity.h"
#include "analyze/model.h"
#include "analyze/probe.h"
#include "compare/rows.h"
#include "stats/slo.h"

struct tg_capacity_meter {
    /* set by the caller */
    const struct tg_probe_target *target;
    struct tg_client_cfg cfg;
    uint32_t concurrency;          /* inputs in flight at most */
    bool preconnect;
    const struct tg_slo *slos;     /* judged on every point, in order */
    size_t nslos;
    double confidence;
    /* the point being measured: pooled rows (and itl gaps) */
    struct tg_rows rows;
    double *gaps;
    size_t ngaps, gaps_cap;
    bool streamed;
    uint64_t next_id;
    char first_error[160];         /* the first error any chunk reported */
    /* settling: an overloaded chunk leaves a backlog in the server that would
     * delay the next one, so before the next chunk single inputs are sent
     * until one takes at most 2 x the idle latency + 5 ms (idle: the best of
     * three single inputs before the first chunk), for at most 60 s */
    double idle_ms;                /* NAN until measured (zero the struct: 0 = not measured) */
    bool idle_measured;
    bool dirty;                    /* the last chunk was overloaded (interrupted, failed inputs,
                                      or P95 above the largest limit) */
    double settle_s;               /* time spent settling, summed */
};

/* The tg_capacity_measure_fn: ctx is a struct tg_capacity_meter.  Stops on
 * the probes' process-wide interrupt (analyze/probe.h, SIGINT): raised
 * before the chunk, it returns TG_EINTR at once (*pt untouched); raised
 * during it, the chunk's inputs cut short (or never started) count as
 * failed, as a deadline's do, *pt is filled with the pool so far
 * (interrupted set) and it returns TG_EINTR. */
int tg_capacity_meter_measure(void *ctx, double rate, uint64_t inputs, uint32_t chunk, uint64_t seed,
                              struct tg_capacity_point *pt);
void tg_capacity_meter_free(struct tg_capacity_meter *m);

/* Judges the latency SLOs (metric latency) of slos against the model's
 * closed-loop prediction: the highest throughput over concurrencies
 * 1..concurrency under cfg whose predicted pNN (p50, p95 or p99, the
 * nearest at or above the SLO's quantile) meets every limit.  *rate gets it
 * (0 when even concurrency 1 does not), *at_concurrency the concurrency.
 * Returns 0, TG_EINVAL (no latency SLO) or the model's error. */
int tg_capacity_model_rate(const struct tg_costmodel *m, const struct tg_client_cfg *cfg, uint32_t concurrency,
                           const struct tg_slo *slos, size_t nslos, uint64_t seed, double *rate,
                           uint32_t *at_concurrency);

/* One measured point as capacity.json records it: {"rate", "throughput_ips",
 * "inputs", "ok", "failed", "p50_ms", "p95_ms", "p99_ms", "verdict",
 * "undecided", "decided", "chunks", "extensions", "wall_s", "interrupted", "slos":[…]}
 * (NAN figures null).  A new reference or NULL. */
json_t *tg_capacity_point_json(const struct tg_capacity_point *p, const struct tg_slo *slos, size_t nslos,
                               double confidence);

#endif
