/*
 * accel.h - the virtual accelerator: a FIFO queue of jobs, `slots` parallel
 * execution instances, optional Triton-style dynamic batching, and a cost
 * model.  Accelerator time is simulated: a scheduler thread sleeps on a
 * condition variable (CLOCK_MONOTONIC) until the next completion or batching
 * deadline; no thread blocks or spins while a batch "computes".
 *
 * Cost of one execution of b items, in ms:
 *   t(b) = alpha + beta * b
 *   jitter on:  t(b) * exp(sigma * N(0,1)), plus with probability stall_prob
 *               an Exp(mean 0.5 * t(b)) stall; drawn from one PRNG seeded
 *               with `seed`, in execution order
 *   jitter off: exactly t(b)
 *
 * Thread-safety: tg_accel_submit(), tg_accel_close(), tg_accel_pending() and
 * tg_accel_get_stats() may be called from any thread.  Completion callbacks
 * run on the scheduler thread with no lock held.
 */
#ifndef TG_SERVER_ACCEL_H
#define TG_SERVER_ACCEL_H

#include "core/rng.h"

#include <stddef.h>
#include <stdint.h>

struct tg_accel_config {
    double alpha_ms;           /* per-execution cost, ms */
    double beta_ms;            /* per-item cost, ms */
    double sigma;              /* log-normal jitter sigma (dimensionless) */
    double stall_prob;         /* probability of a stall per execution, 0..1 */
    int jitter;                /* 0: exact t(b), no stall */
    uint64_t seed;             /* PRNG seed of the jitter */
    unsigned slots;            /* parallel execution instances, >= 1 */
    unsigned max_batch;        /* most items per execution (dynamic batching) and per request */
    int dynamic_batching;      /* 0: one job = one execution, FIFO */
    double max_queue_delay_ms; /* dynamic batching: longest wait for more items, ms */
    size_t max_queue;          /* most queued (not yet executing) items */
};

/* A named preset: the cost-model part of a config. */
struct tg_accel_profile {
    const char *name;
    double alpha_ms, beta_ms, sigma, stall_prob;
    unsigned slots, max_batch;
    const char *rationale;
};

extern const struct tg_accel_profile tg_accel_profiles[];
extern const size_t tg_accel_profile_count;

/* Returns the preset called name, or NULL. */
const struct tg_accel_profile *tg_accel_profile_find(const char *name);

/* Deterministic base cost t(b) = alpha + beta * b, ms. */
double tg_accel_base_ms(const struct tg_accel_config *c, unsigned b);

/* One sampled execution time for b items, ms (see the cost model above).
 * Pure apart from advancing *g. */
double tg_accel_sample_ms(const struct tg_accel_config *c, struct tg_rng *g, unsigned b);

/* One unit of work: an HTTP request of `items` inputs.  The caller owns the
 * memory and must keep it valid until its callback has run. */
struct tg_accel_job {
    /* set by the caller before tg_accel_submit() */
    unsigned items;
    void (*on_done)(struct tg_accel_job *job); /* scheduler thread, no lock held */
    void *arg;
    /* set by the accelerator before on_done() */
    int status;            /* 0 executed, TG_ECLOSED dropped at shutdown */
    uint64_t enqueue_ns;   /* monotonic */
    uint64_t start_ns;     /* monotonic, simulated start of its execution */
    double compute_ms;     /* simulated time of the execution it ran in */
    unsigned batch_items;  /* items in that execution */
    struct tg_accel_job *next; /* internal */
};

/* Counters since start.  Histogram buckets: batch sizes <= 1, 2, 4, ...,
 * 2^(TG_ACCEL_HIST_BUCKETS-2), then the rest (non-cumulative counts). */
#define TG_ACCEL_HIST_BUCKETS 14
struct tg_accel_stats {
    uint64_t executions;
    uint64_t items_executed;
    uint64_t jobs_completed;
    uint64_t jobs_rejected;       /* queue full */
    double busy_ms;               /* sum of simulated execution times (all slots) */
    double queue_ms;              /* sum over jobs of enqueue -> start */
    size_t queued_jobs, queued_items;
    unsigned running;             /* executions in progress */
    unsigned slots;
    uint64_t batch_hist[TG_ACCEL_HIST_BUCKETS];
};

struct tg_accel;

/* Validates c and starts the scheduler thread. Returns 0, TG_EINVAL (bad
 * config), TG_ENOMEM or -errno (thread creation). */
int tg_accel_new(const struct tg_accel_config *c, struct tg_accel **out);

/* Queues job (job->items >= 1).  Returns 0 (on_done will run exactly once),
 * TG_EAGAIN when the queue already holds max_queue items (an oversize job is
 * still accepted into an empty queue), or TG_ECLOSED after tg_accel_close().
 * On error on_done never runs. */
int tg_accel_submit(struct tg_accel *a, struct tg_accel_job *job);

/* Stops accepting jobs; queued and running ones still complete. */
void tg_accel_close(struct tg_accel *a);

/* Jobs queued or executing. */
size_t tg_accel_pending(struct tg_accel *a);

void tg_accel_get_stats(struct tg_accel *a, struct tg_accel_stats *out);

/* Stops the scheduler: every job still queued or executing completes at once
 * with status TG_ECLOSED (its on_done runs); later submits get TG_ECLOSED.
 * The struct stays valid until tg_accel_free().  Idempotent. */
void tg_accel_stop(struct tg_accel *a);

/* tg_accel_stop(), then frees.  NULL is a no-op. */
void tg_accel_free(struct tg_accel *a);

#endif
