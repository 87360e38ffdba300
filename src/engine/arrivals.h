/*
 * arrivals.h - the open loop's one global arrival sequence: arrival i (the
 * global input index, = the input id) gets its intended time from one seeded
 * generator, whatever the number of worker threads (or, later, of shards).
 * A worker keeps a stripe of it (ids first + k*stride) by running the same
 * generator and skipping the others' arrivals, so the union of the stripes
 * is exactly the one-worker sequence (docs/load-shapes.md).
 *
 * Shapes:
 *   constant  arrival i at i / rate
 *   poisson   exponential gaps, mean 1 / rate (CV 1)
 *   gamma     Gamma(K, 1/K) gaps in units of 1 / rate: mean 1 / rate,
 *             CV 1 / sqrt(K) (K = --burstiness; K = 1 is Poisson, K < 1 burstier)
 *   stages    any of the three above in "expected arrivals" u (u_0 = 0, gaps of
 *             mean 1), mapped to time through the inverse of the integrated
 *             rate Λ(t) of a list of steps and linear ramps: t_i = Λ⁻¹(u_i).
 *             A step of D at R holds D·R arrivals; a ramp from A to B over D
 *             holds D·(A+B)/2.  The schedule ends with the last stage.
 *   trace     arrival i at offsets_ns[i] / speed (offsets nondecreasing, the
 *             first 0; engine/trace.h reads them from a file)
 * Every shape's first arrival is at time 0 (the schedule start), except in
 * stages whose first steps have rate 0 (then at the first non-zero one).
 *
 * Pure and allocation-free; a generator is a plain value owned by its caller,
 * not thread-safe (one per worker).  Times are nanoseconds from the schedule
 * start, as doubles (exact to the ns for runs up to 104 days).
 */
#ifndef TG_ENGINE_ARRIVALS_H
#define TG_ENGINE_ARRIVALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rng.h"

/* The base process (TG_ARRIVAL_CONSTANT, _POISSON: kept for analyze/probe.c). */
enum tg_arrival { TG_ARRIVAL_CONSTANT, TG_ARRIVAL_POISSON, TG_ARRIVAL_GAMMA, TG_ARRIVAL_TRACE };
const char *tg_arrival_name(enum tg_arrival a);   /* "constant", "poisson", "gamma", "trace" */

/* One step (from == to) or linear ramp of --stages. */
struct tg_stage {
    uint64_t dur_ns;           /* > 0 */
    double from, to;           /* inputs/s (rate stages) or inputs in flight (concurrency stages), >= 0 */
};

#define TG_STAGES_MAX 64

/* Parses a --stages list: "DUR:RATE" steps and "DUR:RATE->RATE" ramps,
 * comma-separated (e.g. "10s:100,30s:100->500,10s:500"), or the closed-loop
 * form with concurrencies "DUR:cN" and "DUR:cN->M" ("10s:c4,20s:c4->32").
 * Every stage must be of one kind; *concurrency says which.  DUR as units.h
 * (a bare number is seconds), RATE a number >= 0 (inputs/s), N an integer
 * >= 1 (a closed loop always has one input in flight).  At most
 * TG_STAGES_MAX stages.  Returns the count (>= 1) or TG_EINVAL with a
 * one-line reason in why. */
int tg_stages_parse(const char *s, struct tg_stage *out, size_t cap, bool *concurrency, char *why,
                    size_t whylen);

/* The sum of the stages' durations (ns). */
uint64_t tg_stages_duration_ns(const struct tg_stage *st, size_t n);
/* Expected arrivals of rate stages: the integral of the rate over all of them. */
double tg_stages_arrivals(const struct tg_stage *st, size_t n);
/* The value (rate or concurrency) of the stages at t_ns from their start,
 * interpolated in a ramp; the last stage's end value past the end. */
double tg_stages_value_at(const struct tg_stage *st, size_t n, uint64_t t_ns);

/* What the arrival sequence is.  Pointers are borrowed: they must outlive
 * every generator initialised from the spec. */
struct tg_arrival_spec {
    enum tg_arrival kind;      /* the base process (trace: replay offsets_ns) */
    double rate;               /* inputs/s, > 0 (ignored with stages and trace) */
    double burstiness;         /* gamma shape K > 0 */
    uint64_t seed;             /* poisson and gamma draws */
    const struct tg_stage *stages;   /* rate stages, NULL: the constant rate */
    size_t nstages;
    const uint64_t *offsets_ns;      /* trace: nondecreasing, offsets_ns[0] == 0 */
    size_t noffsets;
    double speed;              /* trace: > 0; times are offsets / speed */
};

/* The ids one generator keeps: first, first + stride, …  A stripe of a
 * stripe is a stripe (tg_stripe_sub), so shards and then workers compose. */
struct tg_stripe {
    uint64_t first, stride;    /* stride >= 1 */
};
#define TG_STRIPE_ALL ((struct tg_stripe){ 0, 1 })
/* Part `index` of `count` of s: ids s.first + (index + k*count)*s.stride.
 * The parts 0..count-1 partition s exactly. */
struct tg_stripe tg_stripe_sub(struct tg_stripe s, uint64_t index, uint64_t count);

struct tg_arrivals {
    struct tg_arrival_spec spec;
    struct tg_rng rng;
    uint64_t i;                /* global index of the next arrival */
    double u;                  /* its time in expected arrivals (stages), or in 1/rate units */
    size_t seg;                /* stages: the stage u falls in */
    double seg_t0_ns, seg_u0;  /* … its start time and Λ at its start */
    bool done;                 /* no arrival i (stages or trace ended) */
};

/* Initialises g at arrival 0.  Returns 0 or TG_EINVAL (spec not valid:
 * rate <= 0 without stages or trace, burstiness <= 0 for gamma, a trace
 * without offsets or speed <= 0, stages with no arrival at all). */
int tg_arrivals_init(struct tg_arrivals *g, const struct tg_arrival_spec *spec);

/* The time of arrival g->i (ns from the schedule start) in *t_ns; advances g
 * to the next.  Returns false (and leaves g) when there is no arrival i. */
bool tg_arrivals_next(struct tg_arrivals *g, double *t_ns);

/* Skips n arrivals: afterwards g is as after n calls of next (the same
 * draws are made; constant and trace jump directly).  Returns false when the
 * sequence ended on the way. */
bool tg_arrivals_skip(struct tg_arrivals *g, uint64_t n);

#endif
