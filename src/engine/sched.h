/*
 * sched.h - which input to start next, and when: the closed loop (a fixed
 * number of inputs in flight, the next one admitted as soon as one finishes,
 * like input.py's semaphore; optionally a concurrency that follows
 * --stages) and the open loop (inputs arrive on the global schedule of
 * engine/arrivals.h, whatever the server does; latency is then measured
 * from the intended arrival time).
 *
 * Pure and allocation-free.  One scheduler per worker thread; a closed-loop
 * scheduler may claim input ids from a counter shared by all workers (the one
 * word workers share during a run), an open-loop scheduler owns a stripe of
 * the global arrival sequence (ids first + k*stride, the same ids whatever
 * the stripe: input i is always arrival i).  Times are monotonic nanoseconds.
 */
#ifndef TG_ENGINE_SCHED_H
#define TG_ENGINE_SCHED_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/arrivals.h"

struct tg_sched {
    bool open;                 /* open loop */
    uint32_t max_in_flight;    /* inputs in flight at most (closed loop: -c; open loop: the cap) */
    uint64_t limit;            /* inputs in total (ids < limit), UINT64_MAX when unbounded */
    uint64_t end_ns;           /* no input starts at or after this time; UINT64_MAX = none */
    uint64_t start_ns;
    /* closed loop */
    _Atomic uint64_t *shared_next; /* next id to claim; NULL: use local_next */
    uint64_t local_next;
    const struct tg_stage *cstages; /* concurrency stages (borrowed), NULL: max_in_flight throughout */
    size_t ncstages;
    uint32_t part, parts;      /* this worker's share of a stage's concurrency: part of parts */
    /* open loop */
    struct tg_arrivals gen;    /* the global sequence, just past this stripe's pending arrival */
    struct tg_stripe stripe;
    bool have_next;            /* next_id/next_ns hold the pending arrival */
    uint64_t next_id, next_ns; /* its id and intended time (absolute) */
    uint64_t cap_full_ns;      /* the last poll that found an arrival due and the cap reached; 0: none */
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

/* Closed loop over a stripe of the ids (a shard's: first + c*stride for the
 * c-th claim, below the limit given to tg_sched_init_closed).  Call after
 * it, before the first poll; with a shared counter, on every worker's
 * scheduler alike. */
void tg_sched_closed_stripe(struct tg_sched *s, struct tg_stripe stripe);

/* Closed loop whose total concurrency follows the stages (from start_ns;
 * steps and linear ramps, rounded down, at least 1 in all): this scheduler
 * keeps its share (part of parts, as -c is split over workers; a share may be
 * 0) but never more than max_in_flight.  Call after tg_sched_init_closed.
 * The stages are borrowed. */
void tg_sched_set_stages(struct tg_sched *s, const struct tg_stage *stages, size_t n, uint64_t start_ns,
                         uint32_t part, uint32_t parts);

/* Open loop: the arrivals of spec (arrivals.h) in stripe, from start_ns; ids
 * < limit, arrivals before end_ns; at most max_in_flight in flight (an
 * arrival that finds the cap reached waits, keeps its intended time, so its
 * wait counts in its latency, and the arrivals behind it wait too).
 * Returns 0 or TG_EINVAL (spec not valid). */
int tg_sched_init_open(struct tg_sched *s, const struct tg_arrival_spec *spec, struct tg_stripe stripe,
                       uint64_t start_ns, uint32_t max_in_flight, uint64_t limit, uint64_t end_ns);

enum tg_sched_res tg_sched_poll(struct tg_sched *s, uint64_t now_ns, uint32_t in_flight,
                                uint64_t *id, uint64_t *intended_ns, uint64_t *wake_ns);

/* Open loop: true when the arrival admitted with intended_ns had to wait for
 * the in-flight cap (it was due while the cap was reached), so its send lag
 * is the server's (through the cap), not the client's. */
bool tg_sched_cap_waited(const struct tg_sched *s, uint64_t intended_ns);

/* Ids this scheduler will never hand out (after a stop): calls fn for each id
 * in [next, limit) it owns.  Closed loop with a shared counter: call once
 * for all workers (any worker's scheduler); it takes the ids left with one
 * atomic exchange, so it may run while other workers still claim (each id
 * is then either claimed or passed to fn, never both).  Returns the count. */
uint64_t tg_sched_for_each_unclaimed(struct tg_sched *s, void (*fn)(void *ctx, uint64_t id), void *ctx);

/* Stops handing out ids (SIGINT, fatal error). */
void tg_sched_stop(struct tg_sched *s);

#endif
