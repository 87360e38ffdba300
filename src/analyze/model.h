/*
 * model.h - the fitted cost model of a server and what it predicts for a
 * client configuration.
 *
 * The server: `slots` execution instances, FIFO queue, one execution per
 * HTTP request, an execution of b inputs takes (alpha + beta*b) times a
 * jitter factor drawn from the measured factors (compute / fitted t(b)):
 * with 10 or more factors, a smoothed version of them -- a log-normal whose
 * median and sigma are the factors' median and robust spread (1.4826 x the
 * median absolute deviation of their logs), mixed with the outliers (more
 * than 3 sigma above) at their observed rate, each drawn as observed.  A few
 * dozen raw factors would otherwise put a rare stall into every simulated
 * tail; with fewer than 10 the factors are drawn as they are.
 * The client: closed loop with `concurrency` inputs in flight, the engine's
 * batcher (up to `batch` ready inputs per request, a partial batch sent
 * after `batch_wait_ms`), a pool of `connections` (a request needs a free
 * connection), a new connection costs connect_ms (every request without
 * keep-alive, the first use of each pooled connection with it), and
 * overhead_ms per request outside the server (network, HTTP, body).
 *
 * tg_model_predict() runs that as a seeded discrete-event simulation and
 * returns the latency distribution: pure, thread-safe, reproducible.
 * Times are milliseconds.
 */
#ifndef TG_ANALYZE_MODEL_H
#define TG_ANALYZE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tg_costmodel {
    double alpha_ms;            /* per execution */
    double beta_ms;             /* per input in the execution */
    uint32_t slots;             /* parallel executions (>= 1) */
    uint32_t max_batch;         /* largest accepted batch (>= 1) */
    double overhead_ms;         /* per HTTP request, outside the server's queue and compute */
    double connect_ms;          /* cost of opening a connection */
    const double *jitter;       /* multiplicative factors to draw from (borrowed); NULL: exact t(b) */
    size_t njitter;
};

/* A client configuration: the levers `tailgate tune` pulls. */
struct tg_client_cfg {
    uint32_t connections;       /* pool size (>= 1) */
    bool keepalive;
    uint32_t batch;             /* inputs per request at most (>= 1) */
    double batch_wait_ms;       /* a partial batch waits this long for more inputs */
};

struct tg_prediction {
    double p50_ms, p95_ms, p99_ms, mean_ms, max_ms;
    double throughput_ips;      /* inputs per second over the simulated run */
    double mean_batch;          /* inputs per request */
};

/* Execution time of a batch of b under the model, without jitter. */
double tg_model_exec_ms(const struct tg_costmodel *m, uint32_t b);

/* Simulates `inputs` inputs, `concurrency` in flight, under cfg.  Returns 0,
 * TG_EINVAL (a zero count, slots 0, batch 0, a batch above max_batch, or a
 * non-positive execution time) or TG_ENOMEM. */
int tg_model_predict(const struct tg_costmodel *m, const struct tg_client_cfg *cfg,
                     uint32_t concurrency, uint32_t inputs, uint64_t seed,
                     struct tg_prediction *out);

/* The lowest P95 any batch size 1..min(concurrency, max_batch) gives with an
 * ideal client (no overhead, no connection cost, pool = concurrency,
 * keep-alive, no batch wait): the server's cost model alone.  *best_batch
 * (may be NULL) gets the batch size.  Returns 0 or an error as above. */
int tg_model_best(const struct tg_costmodel *m, uint32_t concurrency, uint32_t inputs,
                  uint64_t seed, double *p95_ms, uint32_t *best_batch);

#endif
