/*
 * capacity.c - the bracketing-then-bisection search for the highest rate
 * that PASSes (see capacity.h).
 */
#include "analyze/capacity.h"

#include "core/error.h"
#include "stats/binomial.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool passes(uint64_t k, uint64_t n, double p, double confidence)
{
    double lo, hi;
    if (tg_clopper_pearson(k, n, confidence, &lo, &hi) != 0)
        return false;
    return hi <= 1 - p;
}

uint64_t tg_capacity_min_inputs(double p, double confidence, uint64_t k)
{
    if (!(p > 0 && p < 1) || !(confidence > 0 && confidence < 1))
        return 0;
    /* hi falls as n grows: bisect on n in (k, 2^40] */
    uint64_t lo = k, hi = k + 1;
    while (!passes(k, hi, p, confidence)) {
        lo = hi;
        if (hi > ((uint64_t)1 << 40))
            return 0;
        hi *= 2;
    }
    while (hi - lo > 1) {   /* passes(hi), !passes(lo) (or lo == k: no PASS possible) */
        uint64_t mid = lo + (hi - lo) / 2;
        if (passes(k, mid, p, confidence))
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

uint64_t tg_capacity_run_inputs(double p, double confidence)
{
    uint64_t n = tg_capacity_min_inputs(p, confidence, 0);
    if (!n)
        return 0;
    /* not monotone in n step by step (k jumps), so walk up from the k = 0
     * minimum; a few thousand steps at most for p <= 0.999 */
    for (; n < ((uint64_t)1 << 24); n++)
        if (passes((uint64_t)floor((double)n * (1 - p) / 2), n, p, confidence))
            return n;
    return 0;
}

const char *tg_capacity_end_name(enum tg_capacity_end e)
{
    static const char *const names[] = { "resolved", "budget", "none_pass", "at_max", "interrupted", "error" };
    return (unsigned)e < sizeof names / sizeof names[0] ? names[e] : "error";
}

void tg_capacity_free(struct tg_capacity *c)
{
    if (!c)
        return;
    free(c->points);
    c->points = NULL;
    c->n = 0;
}

struct search {
    const struct tg_capacity_opts *o;
    tg_capacity_measure_fn measure;
    void *mctx;
    struct tg_capacity *out;
    double confidence, min_run_s, max_run_s;
    uint64_t pilot, run_n, min_n;
    uint32_t max_ext;
    double measured_s;        /* sum of the points' wall_s */
};

static double elapsed(const struct search *s)
{
    return s->o->elapsed_s ? s->o->elapsed_s(s->o->ctx) : s->measured_s;
}

/* Would `inputs` arrivals at `rate` still fit in the budget? */
static bool fits(const struct search *s, double rate, uint64_t inputs)
{
    if (!(s->o->budget_s > 0))
        return true;
    return elapsed(s) + (double)inputs / rate <= s->o->budget_s;
}

/* Inputs a point at rate should reach before its verdict counts. */
static uint64_t target_inputs(const struct search *s, double rate)
{
    double n = (double)s->run_n;
    if (n < rate * s->min_run_s)
        n = rate * s->min_run_s;
    if (n > rate * s->max_run_s)
        n = rate * s->max_run_s;
    if (n < (double)s->min_n)
        n = (double)s->min_n;
    return (uint64_t)ceil(n);
}

enum outcome { MEASURED, STOP_BUDGET, STOP_INTERRUPT, STOP_ERROR };

static enum outcome chunk(struct search *s, struct tg_capacity_point *pt, size_t index, uint64_t inputs,
                          bool extension, const char *phase)
{
    if (s->o->stop && *s->o->stop)
        return STOP_INTERRUPT;
    if (!fits(s, pt->rate, inputs))
        return STOP_BUDGET;
    double rate = pt->rate;
    uint32_t chunks = pt->chunks, ext = pt->extensions;
    uint64_t seed = s->o->seed + (uint64_t)index * 64 + chunks + 1;
    double before = pt->wall_s;
    uint64_t inputs_before = pt->inputs;
    int rc = s->measure(s->mctx, rate, inputs, chunks, seed, pt);
    /* TG_EINTR: the callback saw the stop; a chunk it did not start is no chunk */
    bool cut = rc == TG_EINTR, counted = !cut || pt->inputs != inputs_before;
    pt->rate = rate;
    pt->chunks = chunks + (counted ? 1 : 0);
    pt->extensions = ext + (extension && counted ? 1 : 0);
    if (pt->wall_s > before)
        s->measured_s += pt->wall_s - before;
    if (cut)
        return STOP_INTERRUPT;   /* as a stop flag raised during the chunk */
    if (rc) {
        s->out->error = rc;
        return STOP_ERROR;
    }
    if (s->o->stop && *s->o->stop)
        return STOP_INTERRUPT;   /* a chunk cut short by the stop decides nothing */
    if (s->o->progress)
        s->o->progress(s->o->ctx, pt, phase);
    return MEASURED;
}

/* Measures one rate to a decision (or as far as the budget lets it).  On
 * MEASURED, *pass says whether it PASSed.  A point cut short is kept in
 * out->points (its verdict as far as it got) but decides nothing. */
static enum outcome measure_rate(struct search *s, double rate, const char *phase, bool *pass)
{
    struct tg_capacity *c = s->out;
    if (c->n == TG_CAPACITY_MAX_POINTS)
        return STOP_BUDGET;
    size_t index = c->n;
    struct tg_capacity_point *pt = &c->points[index];
    memset(pt, 0, sizeof *pt);
    pt->rate = rate;
    pt->verdict = TG_VERDICT_INCONCLUSIVE;
    uint64_t target = target_inputs(s, rate);
    uint64_t pilot = s->pilot < target ? s->pilot : target;
    /* bracketing: only the pilot must fit, a FAIL is often decided by it (a
     * rate whose every input is over the limit) and the next chunk checks
     * again; near the limit (bisection, confirmation) a pilot rarely decides,
     * so the whole run must fit */
    if (!fits(s, rate, strcmp(phase, "bracket") ? target : pilot))
        return STOP_BUDGET;
    c->n++;
    enum outcome r = chunk(s, pt, index, pilot, false, phase);
    if (r != MEASURED)
        return r;
    if (pt->verdict != TG_VERDICT_FAIL && pt->inputs < target) {
        r = chunk(s, pt, index, target - pt->inputs, false, phase);
        if (r != MEASURED)
            return r;
    }
    while (pt->verdict == TG_VERDICT_INCONCLUSIVE && pt->extensions < s->max_ext) {
        r = chunk(s, pt, index, pt->inputs, true, phase);
        if (r == STOP_BUDGET)
            break;   /* decided below as undecided: not a PASS */
        if (r != MEASURED)
            return r;
    }
    pt->undecided = pt->verdict == TG_VERDICT_INCONCLUSIVE;
    pt->decided = true;
    *pass = pt->verdict == TG_VERDICT_PASS;
    if (!*pass && rate < c->hi)
        c->hi = rate;
    return MEASURED;
}

/* lo and best: the highest PASS below hi (a not-PASS at or below an
 * earlier PASS, a failed confirmation, outranks it). */
static void refresh(struct tg_capacity *c)
{
    c->lo = 0;
    c->best = -1;
    for (size_t i = 0; i < c->n; i++) {
        const struct tg_capacity_point *p = &c->points[i];
        if (p->decided && p->verdict == TG_VERDICT_PASS && p->rate < c->hi && p->rate > c->lo) {
            c->lo = p->rate;
            c->best = (int)i;
        }
    }
}

/* A not-PASS point whose achieved throughput fell below 90 % of its offer
 * measured what the client and server sustain at most: the lowest such
 * throughput, INFINITY when none. */
static double ceiling(const struct tg_capacity *c)
{
    double t = INFINITY;
    for (size_t i = 0; i < c->n; i++) {
        const struct tg_capacity_point *p = &c->points[i];
        if (p->decided && p->verdict != TG_VERDICT_PASS && p->achieved_ips > 0 && p->achieved_ips < 0.9 * p->rate)
            t = fmin(t, p->achieved_ips);
    }
    return t;
}

/* Decided PASS points at exactly this rate. */
static unsigned passes_at(const struct tg_capacity *c, double rate)
{
    unsigned k = 0;
    for (size_t i = 0; i < c->n; i++)
        k += c->points[i].decided && c->points[i].verdict == TG_VERDICT_PASS && c->points[i].rate == rate;
    return k;
}

static void finish(struct search *s, enum tg_capacity_end end)
{
    struct tg_capacity *c = s->out;
    c->end = end;
    c->max_rate = c->lo;
    c->resolution = c->lo > 0 && isfinite(c->hi) ? (c->hi - c->lo) / c->lo : INFINITY;
    c->search_s = elapsed(s);
}

static enum tg_capacity_end stop_end(enum outcome r)
{
    return r == STOP_BUDGET ? TG_CAPACITY_BUDGET : r == STOP_INTERRUPT ? TG_CAPACITY_INTERRUPTED
                                                                        : TG_CAPACITY_ERROR;
}

int tg_capacity_search(const struct tg_capacity_opts *o, tg_capacity_measure_fn measure, void *mctx,
                       struct tg_capacity *out)
{
    if (!o || !measure || !out || !(o->start_rate > 0) || !isfinite(o->start_rate) || !(o->quantile > 0) ||
        !(o->quantile < 1) || o->confidence < 0 || o->confidence >= 1 || o->resolution < 0 ||
        (o->growth != 0 && !(o->growth > 1)) || o->budget_s < 0)
        return TG_EINVAL;
    struct search s = {
        .o = o,
        .measure = measure,
        .mctx = mctx,
        .out = out,
        .confidence = o->confidence > 0 ? o->confidence : 0.99,
        .min_run_s = o->min_run_s > 0 ? o->min_run_s : 10,
        .pilot = o->pilot_inputs ? o->pilot_inputs : 10,
        .max_ext = o->max_extensions ? o->max_extensions : 2,
    };
    s.max_run_s = o->max_run_s > 0 ? o->max_run_s : o->budget_s > 0 ? o->budget_s / 4 : 60;
    if (s.max_run_s < s.min_run_s)
        s.min_run_s = s.max_run_s;
    s.min_n = tg_capacity_min_inputs(o->quantile, s.confidence, 0);
    s.run_n = tg_capacity_run_inputs(o->quantile, s.confidence);
    if (!s.min_n || !s.run_n)
        return TG_EINVAL;
    double resolution = o->resolution > 0 ? o->resolution : 0.05;
    double min_rate = o->min_rate > 0 ? o->min_rate : fmin(o->start_rate / 16, 1);
    double max_rate = o->max_rate > 0 ? o->max_rate : o->start_rate * 1024;
    if (min_rate > max_rate)
        return TG_EINVAL;

    memset(out, 0, sizeof *out);
    out->points = calloc(TG_CAPACITY_MAX_POINTS, sizeof *out->points);
    if (!out->points)
        return TG_ENOMEM;
    out->best = -1;
    out->hi = INFINITY;
    out->min_pass_inputs = s.min_n;
    out->run_inputs = target_inputs(&s, o->start_rate);

    /* one loop: bracketing until a PASS lies below a not-PASS, bisection
     * until the bracket is narrow enough, then (opts.confirm) an independent
     * run at the best rate; a failed confirmation lowers hi and the search
     * goes on below it */
    double g = o->growth ? o->growth : 2;
    double rate = fmin(fmax(o->start_rate, min_rate), max_rate);
    int last_dir = 0;
    for (;;) {
        const char *phase = "bracket";
        if (out->lo > 0 && isfinite(out->hi)) {
            if ((out->hi - out->lo) / out->lo > resolution) {
                /* the upper end: hi, or below it the ceiling a saturated
                 * not-PASS point measured; a wide bracket halves in log */
                double up = out->hi, ceil_ips = ceiling(out);
                if (ceil_ips < up && ceil_ips > out->lo)   /* (at least a resolution step up) */
                    up = fmax(ceil_ips, fmin(out->hi, out->lo * (1 + resolution)));
                rate = up / out->lo > 2 ? sqrt(out->lo * up) : (out->lo + up) / 2;
                phase = "bisect";
            } else if (o->confirm && passes_at(out, out->lo) < 2) {
                rate = out->lo;
                phase = "confirm";
            } else {
                finish(&s, TG_CAPACITY_RESOLVED);
                return 0;
            }
        }
        bool pass;
        enum outcome r = measure_rate(&s, rate, phase, &pass);
        if (r != MEASURED) {
            finish(&s, stop_end(r));
            return 0;
        }
        refresh(out);
        if (out->lo > 0 && isfinite(out->hi))
            continue;
        int dir = out->lo > 0 ? 1 : -1;
        if (dir == last_dir)
            g = fmin(g * g, 2);   /* a second step the same way: the start was off, stride out */
        last_dir = dir;
        if (dir > 0) {
            if (out->lo >= max_rate) {
                finish(&s, TG_CAPACITY_AT_MAX);
                return 0;
            }
            rate = fmin(out->lo * g, max_rate);
        } else {
            if (out->hi <= min_rate) {
                finish(&s, TG_CAPACITY_NONE_PASS);
                return 0;
            }
            rate = fmax(out->hi / g, min_rate);
            /* a FAIL that fell short of its offer measured the ceiling: an
             * open loop cannot sustain more than that throughput, so jump
             * below it rather than stepping down from far above */
            const struct tg_capacity_point *last = &out->points[out->n - 1];
            if (last->decided && last->verdict != TG_VERDICT_PASS && last->achieved_ips > 0 &&
                last->achieved_ips < 0.9 * last->rate)
                rate = fmax(fmin(rate, 0.8 * last->achieved_ips), min_rate);
        }
    }
}
