/*
 * active.h - `tailgate analyze --probe URL`: the bounded measurements that
 * supply what a run's files cannot: the batch cost curve (and the largest
 * batch the server accepts: a 4xx whose body names the limit gives it, checked
 * by probing at it; otherwise the refusing status -- 413, 422 or 400 -- is
 * bisected), a concurrency sweep, and
 * new-versus-reused connection cost.  Every probe is a short tg_probe_run()
 * bounded in inputs and time; the whole plan stays within the budget.
 *
 * Ownership: struct tg_active is the caller's (zero it), its arrays are
 * freed by tg_active_free().  Not thread-safe; library code, never prints
 * (progress goes to an optional callback).
 */
#ifndef TG_ANALYZE_ACTIVE_H
#define TG_ANALYZE_ACTIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/analyze.h"
#include "analyze/probe.h"

#define TG_ACTIVE_MAX_POINTS 24

struct tg_active_opts {
    uint32_t concurrency;          /* the sweep goes 1, 2, 4, … up to this */
    uint32_t batch_target;         /* the batch sweep reaches at least this batch if accepted (0: concurrency) */
    bool sweep_top;                /* also probe `concurrency` itself (false: a run supplies it) */
    bool sweep;                    /* run the concurrency sweep at all */
    bool connections;              /* run the connection probe */
    double batch_budget_s;         /* time for the batch sweep (default 5 s) */
    uint32_t reps;                 /* executions per batch size at most (default 5) */
    uint32_t max_batch_cap;        /* largest batch tried (default 256) */
    void (*progress)(void *ctx, const char *what);  /* may be NULL */
    void *progress_ctx;
};

struct tg_exec_sample {
    uint32_t batch;
    double ms;                     /* server compute (Server-Timing), else service time */
};

struct tg_active {
    /* batch cost */
    struct tg_batch_point bpts[TG_ACTIVE_MAX_POINTS];
    size_t nbpts;
    bool from_server_timing;
    struct tg_exec_sample *samples;  /* every execution measured */
    size_t nsamples;
    uint32_t max_batch;            /* largest batch answered 2xx */
    bool max_batch_exact;          /* the limit is known: refused just above it, or named by the
                                      server's error and accepted when probed */
    const char *max_batch_evidence;  /* static text: how max_batch was found */
    int max_batch_status;          /* the 4xx that refused a larger batch; 0 none */
    char max_batch_message[200];   /* the server's message with it ("" none) */
    uint32_t max_batch_named;      /* the limit that message named; 0 none */
    uint32_t max_batch_tried;      /* largest batch sent */
    const char *exec_source;       /* what a batch point's time is: "server_timing_compute",
                                      "ttfb_minus_rtt" (no server-reported time: time to first
                                      byte minus one TCP round trip) or "service_time" */
    double rtt_ms;                 /* the round trip subtracted (TCP connect), NAN none */
    double transfer_ms;            /* median service - TTFB of the batch executions, NAN none */
    bool budget_cut;               /* the batch sweep stopped on its time budget */
    double overhead_ms;            /* median per-request time outside the server's queue and
                                      compute (without server timing: transfer + rtt) */
    /* concurrency */
    struct tg_sweep_point sweep[TG_ACTIVE_MAX_POINTS];
    size_t nsweep;
    struct tg_prows top_rows;      /* the rows of the highest sweep point (for a decomposition without a run) */
    double top_wall_s;
    /* connections */
    bool has_conn;
    struct tg_conn_cost conn;
    double elapsed_s;
    uint64_t probe_inputs;         /* inputs sent by all probes */
};

/* Runs the plan against t.  Returns 0 (possibly with parts missing, e.g. no
 * batch support), or a negative code with a one-line reason in err when the
 * endpoint cannot be measured at all (unreachable, every input failing). */
int tg_active_probe(const struct tg_probe_target *t, const struct tg_active_opts *o,
                    struct tg_active *out, char *err, size_t errlen);
void tg_active_free(struct tg_active *a);

/* The jitter factors of the samples against a fitted line: sample / t(b),
 * in a new array (caller frees), *n entries.  NULL when none. */
double *tg_active_jitter(const struct tg_active *a, const struct tg_fit *f, size_t *n);

/* The cost model the measurements imply: the fit over the batch points (one
 * point at batch 1 only, i.e. batches refused: alpha = its median, beta 0),
 * slots = best sweep throughput x (t(1) + overhead) rounded (at least 1),
 * max batch, overhead, new-connection cost and the jitter factors
 * (*jitter, caller frees; m->jitter points into it).  Returns 0 or
 * TG_EINVAL (no batch point). */
int tg_active_model(const struct tg_active *a, struct tg_costmodel *m, double **jitter);

#endif
