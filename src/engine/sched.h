/*
 * sched.h - which input to start next, and when: the closed loop (a fixed
 * number of inputs in flight, the next one admitted as soon as one finishes,
 * like input.py's semaphore) and the open loop (inputs arrive on a schedule,
 * constant or Poisson, whatever the server does; latency is then measured
 * from the intended arrival time).
 *
 * Pure and allocation-free.  One scheduler per worker thread; a closed-loop
 * scheduler may claim input ids from a counter shared by all workers (the one
 * word workers share during a run), an open-loop scheduler owns the ids
 * worker + k*workers.  Times are monotonic nanoseconds.
 */
#ifndef TG_ENGINE_SCHED_H
#define TG_ENGINE_SCHED_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/rng.h"

enum tg_arrival { TG_ARRIVAL_CONSTANT, TG_ARRIVAL_POISSON };

struct tg_sched {
    bool open;                 /* open loop (rate > 0) */
    uint32_t max_in_flight;    /* inputs in flight at most (closed loop: -c) */
    uint64_t limit;            /* inputs in total (ids < limit), UINT64_MAX when unbounded */
    uint64_t end_ns;           /* no input starts at or after this time; UINT64_MAX = none */
    /* closed loop */
    _Atomic uint64_t *shared_next; /* next id to claim; NULL: use local_next */
    uint64_t local_next;
    /* open loop */
    enum tg_arrival arrival;
    double period_ns;          /* mean gap between this worker's arrivals */
    uint64_t start_ns;
    uint64_t first_id, stride; /* this worker's ids: first_id + k*stride */
    uint64_t k;                /* arrivals generated so far */
    double next_ns;            /* intended time of arrival k (absolute) */
    struct tg_rng rng;         /* Poisson gaps */
    bool done;
};

enum tg_sched_res {
    TG_SCHED_ADMIT, /* start input *id now; *intended_ns = its ready time */
    TG_SCHED_WAIT,  /* nothing yet: *wake_ns = when to poll again (0: when an input finishes) */
    TG_SCHED_DONE,  /* no more inputs */
};

/* Closed loop: up to max_in_flight inputs, ids < limit, none started at or
 * after end_ns.  shared_next may be NULL (single worker). */
void tg_sched_init_closed(struct tg_sched *s, uint32_t max_in_flight, uint64_t limit,
                          uint64_t end_ns, _Atomic uint64_t *shared_next);

/* Open loop at rate_per_s arrivals/s for this worker, starting at start_ns,
 * ids first_id + k*stride < limit, arrivals before end_ns; at most
 * max_in_flight in flight (an arrival that finds the limit reached waits and
 * the run falls behind its schedule).  seed makes Poisson gaps reproducible. */
void tg_sched_init_open(struct tg_sched *s, double rate_per_s, enum tg_arrival arrival,
                        uint64_t seed, uint64_t start_ns, uint32_t max_in_flight,
                        uint64_t limit, uint64_t end_ns, uint64_t first_id, uint64_t stride);

enum tg_sched_res tg_sched_poll(struct tg_sched *s, uint64_t now_ns, uint32_t in_flight,
                                uint64_t *id, uint64_t *intended_ns, uint64_t *wake_ns);

/* Ids this scheduler will never hand out (after a stop): calls fn for each id
 * in [next, limit) it owns.  Closed loop with a shared counter: call once
 * for all workers (any worker's scheduler).  Returns the count. */
uint64_t tg_sched_for_each_unclaimed(struct tg_sched *s, void (*fn)(void *ctx, uint64_t id), void *ctx);

/* Stops handing out ids (SIGINT, fatal error). */
void tg_sched_stop(struct tg_sched *s);


#endif
