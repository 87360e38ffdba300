/*
 * capacity.h - the search behind `tailgate capacity`: the highest arrival
 * rate at which every SLO still PASSes at a stated confidence, found on
 * measured points supplied by a caller's callback.  Pure: no I/O, no clock
 * unless the caller gives one; the unit tests drive it with a synthetic
 * measure function.
 *
 * A point is one rate, measured in one or more chunks of inputs (each chunk
 * more inputs at the same rate, samples pooled by the callback):
 *   1. a pilot chunk (pilot_inputs): a rate whose verdict is already FAIL
 *      stops there (FAIL needs few samples, PASS needs many);
 *   2. then up to the run size (tg_capacity_run_inputs: at least enough inputs
 *      that half the allowed over-limit fraction still gives PASS, at least
 *      min_run_s of arrivals, at most max_run_s, never fewer than the minimum
 *      count at which a PASS is possible at all);
 *   3. an INCONCLUSIVE verdict is extended (the pooled count doubled) up to
 *      max_extensions times; one still INCONCLUSIVE then counts as "not
 *      PASS" (never guessed into a PASS), and the point says so.
 * The search: bracketing from start_rate (PASS: multiply by the growth
 * factor until a rate does not PASS; not PASS: divide until one PASSes or
 * the rate would fall below min_rate), the growth factor squaring after
 * each step in the same direction up to 2 (a model's start with growth 1.25
 * takes small steps first), and a not-PASS point whose achieved throughput
 * fell below 90 % of its offer sending the next rate down to at most 0.8 x
 * that throughput (the ceiling it measured); then bisection of [highest
 * PASS, lowest not PASS] -- its upper end lowered to that ceiling (but not
 * below lo x (1 + resolution)) when it lies inside, halved in log while
 * hi / lo > 2 -- until (hi - lo) / lo <=
 * resolution; with `confirm`, an independent second point at the best rate
 * must PASS too (the best of several noisy PASSes is an optimistic one),
 * else it becomes the new hi and the search continues below it.  The
 * budget bounds the whole search: a chunk whose arrivals (inputs / rate) would not fit in what is
 * left is not started (in bisection and confirmation, a point whose whole
 * run would not fit); the search then stops with the best PASS found and
 * the resolution it reached.
 *
 * Ownership: struct tg_capacity owns its points (tg_capacity_free, safe on a
 * zeroed struct).  Not thread-safe per struct.
 */
#ifndef TG_ANALYZE_CAPACITY_H
#define TG_ANALYZE_CAPACITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/percentile.h"
#include "stats/slo.h"

#define TG_CAPACITY_MAX_POINTS 64

struct tg_capacity_point {
    double rate;              /* offered, inputs/s */
    double achieved_ips;      /* ok inputs / wall time, pooled over the chunks */
    uint64_t inputs, ok, failed;
    double p50_ms, p95_ms, p99_ms;   /* latency of the ok inputs; NAN when none */
    double wall_s;            /* measured time of the chunks, summed */
    uint32_t chunks;          /* measure calls that made this point */
    uint32_t extensions;      /* of them, extensions of an INCONCLUSIVE verdict */
    enum tg_verdict verdict;  /* every SLO: PASS when all PASS, FAIL when one FAILs */
    size_t nslo;
    struct tg_slo_result slo[TG_SLO_MAX];   /* per SLO, in the order given */
    bool undecided;           /* still INCONCLUSIVE after the extensions: counted as not PASS */
    bool interrupted;         /* a chunk was interrupted (stop flag, or its deadline) */
    bool decided;             /* measured to its verdict (false: cut short by the budget or a stop,
                                 it decides nothing) */
};

/* Measures `inputs` more inputs at `rate` (chunk 0: a fresh point; chunk k >
 * 0: the same point extended, samples pooled with the earlier chunks) with
 * arrival seed `seed`, and fills *pt with the pooled figures and verdict
 * (rate, chunks and extensions are the search's; the callback may leave
 * them).  Returns 0, TG_EINTR when a stop (SIGINT) was seen -- the search
 * ends TG_CAPACITY_INTERRUPTED, as with opts.stop; *pt then holds what was
 * measured, and a chunk that did not start (pt->inputs unchanged) is not
 * counted -- or another negative code that ends the search (reported by
 * tg_capacity_search). */
typedef int (*tg_capacity_measure_fn)(void *ctx, double rate, uint64_t inputs, uint32_t chunk,
                                      uint64_t seed, struct tg_capacity_point *pt);

struct tg_capacity_opts {
    double quantile;          /* the most demanding SLO quantile (0.95 for P95): sets the run size */
    double confidence;        /* of the verdicts, in (0, 1) (0: 0.99) */
    double resolution;        /* relative bracket width to stop at (0: 0.05) */
    double start_rate;        /* first rate measured (> 0) */
    double growth;            /* bracketing factor (0: 2); > 1 */
    double min_rate;          /* no rate below this (0: the smaller of start_rate / 16 and 1/s) */
    double max_rate;          /* no rate above this (0: start_rate * 1024) */
    double budget_s;          /* the whole search (0: no bound) */
    double min_run_s;         /* a point's arrivals span at least this (0: 10) */
    double max_run_s;         /* and at most this before extensions (0: budget / 4, else 60) */
    uint64_t pilot_inputs;    /* first chunk of a point (0: 10) */
    uint32_t max_extensions;  /* of an INCONCLUSIVE point (0: 2; the pooled count doubles each) */
    uint64_t seed;            /* chunk seeds derive from it */
    bool confirm;             /* once resolved, measure the best rate again (a fresh seed): it
                                 stands only if that PASSes too; else the search goes on below */
    /* time spent so far (s) since the search started; NULL: the sum of the
     * points' wall_s (pure) */
    double (*elapsed_s)(void *ctx);
    /* stop request: checked before and after every chunk; NULL none (the
     * probe-backed callback reports the probes' interrupt by TG_EINTR instead) */
    volatile const int *stop;
    /* progress after every chunk (the point so far); NULL none */
    void (*progress)(void *ctx, const struct tg_capacity_point *pt, const char *phase);
    void *ctx;                /* for elapsed_s and progress */
};

enum tg_capacity_end {
    TG_CAPACITY_RESOLVED,     /* bracket narrowed to the resolution */
    TG_CAPACITY_BUDGET,       /* the budget ended it */
    TG_CAPACITY_NONE_PASS,    /* even the lowest rate tried (>= min_rate) does not PASS */
    TG_CAPACITY_AT_MAX,       /* max_rate PASSes: the limit is at least that */
    TG_CAPACITY_INTERRUPTED,  /* the stop flag, or the callback returned TG_EINTR */
    TG_CAPACITY_ERROR,        /* the measure callback failed */
};

struct tg_capacity {
    struct tg_capacity_point *points;   /* in measurement order */
    size_t n;
    double max_rate;          /* highest PASS rate; 0 when none */
    int best;                 /* its point index; -1 none */
    double lo, hi;            /* bracket: highest PASS (0 none), lowest not PASS (INFINITY none) */
    double resolution;        /* reached: (hi - lo) / lo; INFINITY when unbounded or lo == 0 */
    double search_s;          /* elapsed at the end */
    enum tg_capacity_end end;
    int error;                /* the callback's code with TG_CAPACITY_ERROR */
    uint64_t run_inputs;      /* inputs of a point at the run size at the start rate (evidence) */
    uint64_t min_pass_inputs; /* the fewest inputs at which a PASS is possible at all */
};

/* The fewest n at which k samples over the limit still give PASS for
 * quantile p at confidence (Clopper-Pearson upper bound on the fraction over
 * <= 1 - p).  k = 0: ceil(ln(1 - confidence) / ln(p)), 90 for P95 at 0.99.
 * 0 on bad arguments (p or confidence outside (0, 1)). */
uint64_t tg_capacity_min_inputs(double p, double confidence, uint64_t k);

/* The run size: the fewest n at which floor(n * (1 - p) / 2) samples over
 * (half the allowed fraction) still give PASS.  0 on bad arguments. */
uint64_t tg_capacity_run_inputs(double p, double confidence);

/* Runs the search; fills out (zero it first).  Returns 0 whatever the end
 * (out->end says it; a callback failure is TG_CAPACITY_ERROR with
 * out->error), TG_EINVAL (bad options) or TG_ENOMEM. */
int tg_capacity_search(const struct tg_capacity_opts *o, tg_capacity_measure_fn measure, void *mctx,
                       struct tg_capacity *out);

/* "resolved", "budget", "none_pass", "at_max", "interrupted", "error". */
const char *tg_capacity_end_name(enum tg_capacity_end e);

void tg_capacity_free(struct tg_capacity *c);

#endif
