/*
 * stream.h - the evidence behind a streaming (LLM) run's TTFT and TPOT:
 * the floor an idle server gives (concurrency 1: prefill + one step, no
 * queueing), the excess at the run's concurrency and what it is made of
 * (admission queueing, proven by the server's own waiting count; the
 * running batch; prefill interference; connection setup), the dominant
 * cause, and a server-side estimate: the best TTFT/TPOT P95 any client
 * configuration can reach, and whether the SLOs lie below it.
 *
 * Pure: measured points in, numbers and one sentence out; never prints,
 * thread-safe.  The measurements come from a run's requests.csv and short
 * probes (cli/analyze.c).  Times in ms; "unknown" is NAN.
 */
#ifndef TG_ANALYZE_STREAM_H
#define TG_ANALYZE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/prows.h"

/* One measured point: the ok streamed rows at one concurrency. */
struct tg_stream_point {
    uint32_t concurrency;
    size_t n;                      /* ok rows with a TTFT */
    double ttft_p50_ms, ttft_p95_ms;
    double tpot_p50_ms, tpot_p95_ms;    /* rows with >= 2 tokens */
    double itl_max_p95_ms;         /* P95 over rows of each row's largest inter-token gap */
    double client_queue_p95_ms;    /* ready -> write start, connect excluded; NAN without phases */
    double connect_mean_ms;        /* mean connection setup of the rows that opened one; NAN none */
    size_t n_connect;              /* rows that opened a connection */
};

/* From rows (only ok rows with ttft_ms count).  Returns 0 or TG_EINVAL (no
 * such row) or TG_ENOMEM. */
int tg_stream_point_compute(const struct tg_prows *r, uint32_t concurrency, struct tg_stream_point *out);

/* The server's own gauges sampled while the loaded point ran (/metrics:
 * vllm:num_requests_waiting / _running).  samples == 0: not measured. */
struct tg_stream_gauges {
    size_t samples;
    double waiting_max, waiting_mean;
    double running_max, running_mean;
};

/* The SLOs at P95 this analysis is asked about (NAN: none). */
struct tg_stream_slo {
    double ttft_p95_ms, tpot_p95_ms;
};

enum tg_stream_cause {
    TG_SCAUSE_FLOOR,               /* the idle server's own prefill / decode time */
    TG_SCAUSE_ADMISSION_QUEUE,     /* TTFT excess while the server reports waiting sequences */
    TG_SCAUSE_SERVER_WAIT,         /* TTFT excess, /metrics not available: not measured as queue */
    TG_SCAUSE_PREFILL_BATCH,       /* TTFT excess with nothing waiting: longer steps (co-scheduled prefills, batch) */
    TG_SCAUSE_RUNNING_BATCH,       /* TPOT grows smoothly with the running batch */
    TG_SCAUSE_PREFILL_INTERFERENCE,/* TPOT excess shows as inter-token spikes (prefills in decode steps) */
    TG_SCAUSE_CONNECT,             /* connection setup inside TTFT */
    TG_SCAUSE_CLIENT_QUEUE,        /* waiting in the client before the request was written */
    TG_SCAUSE_UNKNOWN
};
const char *tg_stream_cause_name(enum tg_stream_cause c);   /* analysis.json values */

struct tg_stream_analysis {
    struct tg_stream_point run;    /* the analysed rows (the run, or the loaded probe) */
    struct tg_stream_point floor;  /* concurrency 1 */
    bool has_floor;
    struct tg_stream_gauges gauges;
    struct tg_stream_slo slo;
    /* TTFT at P95: run = floor + connect + client queue + server excess */
    double ttft_excess_ms;         /* run.ttft_p95 - floor.ttft_p95 (>= 0) */
    double ttft_connect_ms;        /* part of it: connection setup (mean over the run's rows) */
    double ttft_client_queue_ms;   /* part of it: client queue at P95 (capped to the excess) */
    double ttft_server_ms;         /* the rest: waiting for admission / longer steps at the server */
    enum tg_stream_cause ttft_cause;
    /* TPOT at P95 */
    double tpot_growth;            /* run.tpot_p50 / floor.tpot_p50 */
    double tpot_excess_ms;         /* run.tpot_p95 - floor.tpot_p95 (>= 0) */
    double itl_spike_ratio;        /* run.itl_max_p95 / run.tpot_p50: how far the worst gaps stand out */
    double floor_spike_ratio;      /* the same at concurrency 1 */
    enum tg_stream_cause tpot_cause;
    /* the verdict */
    enum tg_stream_cause cause;    /* dominant for the stream */
    double cause_ms;               /* its share in ms (excess or floor) */
    const char *cause_metric;      /* "ttft" or "tpot" */
    /* server-side estimate: the P95s no client configuration can beat */
    double ttft_p95_floor_ms, tpot_p95_floor_ms;
    int ttft_slo_below_floor, tpot_slo_below_floor;   /* 1 yes, 0 no, -1 unknown (no SLO or no floor) */
    int run_meets_ttft, run_meets_tpot;               /* 1, 0, -1 no SLO */
    bool client_cannot_meet;       /* an SLO lies below the floor */
    const char *server_change;     /* static text, NULL when none indicated */
    char sentence[640];
};

/* Analyses run (required) against floor (NULL: no concurrency-1 probe) with
 * the server's gauges (NULL: not measured) and the SLOs (NULL: none).
 * Returns 0 or TG_EINVAL (run has no rows). */
int tg_stream_analyze(const struct tg_stream_point *run, const struct tg_stream_point *floor,
                      const struct tg_stream_gauges *gauges, const struct tg_stream_slo *slo,
                      struct tg_stream_analysis *out);

/* The value of a Prometheus sample `name` (any labels) in a /metrics text
 * body; NAN when absent. */
double tg_stream_metric(const char *body, size_t len, const char *name);

#endif
