/*
 * model.c - a small discrete-event simulation.  The populations are tiny (at
 * most `concurrency` inputs and requests exist at once), so the next event
 * is found by a linear scan instead of a heap: simpler and, at these sizes,
 * as fast.
 */
#include "analyze/model.h"

#include "core/error.h"
#include "stats/percentile.h"
#include "core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUTS (1u << 22)

enum rstate { R_FREE, R_TO_SERVER, R_QUEUED, R_RUNNING, R_RETURNING };

struct sreq {
    enum rstate st;
    double t;              /* time of its next transition (arrival, done, response) */
    double arrived;        /* at the server, for FIFO order */
    uint32_t n;            /* inputs */
    uint32_t head;         /* its first input slot; the others follow link[] */
};

/* The smoothed jitter (see model.h): median, sigma and the outliers. */
struct jitter {
    bool smooth;
    double median, sigma, p_out;
    double *out;
    size_t nout;
};

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int jitter_init(struct jitter *j, const struct tg_costmodel *m)
{
    memset(j, 0, sizeof *j);
    if (!m->jitter || m->njitter < 10)
        return 0;
    size_t n = m->njitter;
    double *l = malloc(n * sizeof *l), *dev = malloc(n * sizeof *dev);
    j->out = malloc(n * sizeof *j->out);
    if (!l || !dev || !j->out) {
        free(l);
        free(dev);
        free(j->out);
        return TG_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (m->jitter[i] > 0)
            l[k++] = log(m->jitter[i]);
    qsort(l, k, sizeof *l, cmp_d);
    double med = k % 2 ? l[k / 2] : (l[k / 2 - 1] + l[k / 2]) / 2;
    for (size_t i = 0; i < k; i++)
        dev[i] = fabs(l[i] - med);
    qsort(dev, k, sizeof *dev, cmp_d);
    double mad = k % 2 ? dev[k / 2] : (dev[k / 2 - 1] + dev[k / 2]) / 2;
    j->sigma = 1.4826 * mad;
    j->median = exp(med);
    for (size_t i = 0; i < k; i++)
        if (l[i] > med + 3 * j->sigma)
            j->out[j->nout++] = exp(l[i]);
    j->p_out = k ? (double)j->nout / (double)k : 0;
    j->smooth = k >= 10;
    free(l);
    free(dev);
    return 0;
}

static double jitter_draw(const struct jitter *j, const struct tg_costmodel *m, struct tg_rng *rng)
{
    if (j->smooth) {
        if (j->nout && tg_rng_uniform(rng) < j->p_out)
            return j->out[tg_rng_below(rng, j->nout)];
        return j->median * exp(j->sigma * tg_rng_normal(rng));
    }
    return m->jitter && m->njitter ? m->jitter[tg_rng_below(rng, m->njitter)] : 1.0;
}

double tg_model_exec_ms(const struct tg_costmodel *m, uint32_t b)
{
    return m->alpha_ms + m->beta_ms * (double)b;
}

int tg_model_predict(const struct tg_costmodel *m, const struct tg_client_cfg *cfg,
                     uint32_t concurrency, uint32_t inputs, uint64_t seed,
                     struct tg_prediction *out)
{
    if (!concurrency || !inputs || inputs > MAX_INPUTS || !m->slots || !cfg->batch ||
        !cfg->connections || cfg->batch > m->max_batch || !(tg_model_exec_ms(m, 1) > 0) ||
        !(tg_model_exec_ms(m, cfg->batch) > 0))
        return TG_EINVAL;
    uint32_t c = concurrency < inputs ? concurrency : inputs;
    /* c input slots: ready time and the next slot of the same request */
    double *ready = malloc(c * sizeof *ready);
    uint32_t *link = calloc(c, sizeof *link);
    uint32_t *pend = malloc(c * sizeof *pend);   /* FIFO ring of slots in the batcher */
    struct sreq *req = calloc(c, sizeof *req);
    double *lat = malloc((size_t)inputs * sizeof *lat);
    struct jitter jit;
    if (jitter_init(&jit, m) != 0) {
        free(ready);
        free(link);
        free(pend);
        free(req);
        free(lat);
        return TG_ENOMEM;
    }
    if (!ready || !link || !pend || !req || !lat) {
        free(jit.out);
        free(ready);
        free(link);
        free(pend);
        free(req);
        free(lat);
        return TG_ENOMEM;
    }
    struct tg_rng rng;
    tg_rng_seed(&rng, seed);
    uint32_t npend = 0, pend_head = 0;
    uint32_t admitted = 0, done = 0, busy_slots = 0, busy_conns = 0, opened = 0;
    uint32_t nreq_sent = 0;
    double now = 0, wait = cfg->batch_wait_ms > 0 ? cfg->batch_wait_ms : 0;
    double seq = 0;                        /* FIFO tie-break */

    for (; admitted < c; admitted++) {
        ready[admitted] = 0;
        pend[(pend_head + npend++) % c] = admitted;
    }

    while (done < inputs) {
        /* client: send every due batch while a connection is free */
        for (;;) {
            if (!npend || busy_conns >= cfg->connections)
                break;
            double first = ready[pend[pend_head]];
            bool due = npend >= cfg->batch || wait == 0 || now >= first + wait - 1e-12;
            if (!due)
                break;
            uint32_t n = npend < cfg->batch ? npend : cfg->batch;
            uint32_t k = 0;
            while (k < c && req[k].st != R_FREE)
                k++;
            if (k == c)
                break;     /* cannot happen: at most c inputs in flight */
            double setup = 0;
            if (!cfg->keepalive || opened < cfg->connections) {
                setup = m->connect_ms;
                if (cfg->keepalive)
                    opened++;
            }
            req[k].st = R_TO_SERVER;
            req[k].t = now + setup + m->overhead_ms / 2;
            req[k].n = n;
            uint32_t prev = UINT32_MAX;
            for (uint32_t j = 0; j < n; j++) {
                uint32_t s = pend[pend_head];
                pend_head = (pend_head + 1) % c;
                npend--;
                if (prev == UINT32_MAX)
                    req[k].head = s;
                else
                    link[prev] = s;
                prev = s;
            }
            busy_conns++;
            nreq_sent++;
        }
        /* server: start queued requests in arrival order on free slots */
        while (busy_slots < m->slots) {
            int best = -1;
            for (uint32_t k = 0; k < c; k++)
                if (req[k].st == R_QUEUED && (best < 0 || req[k].arrived < req[best].arrived))
                    best = (int)k;
            if (best < 0)
                break;
            double f = jitter_draw(&jit, m, &rng);
            req[best].st = R_RUNNING;
            req[best].t = now + tg_model_exec_ms(m, req[best].n) * f;
            busy_slots++;
        }
        /* the next event */
        double next = INFINITY;
        for (uint32_t k = 0; k < c; k++)
            if (req[k].st != R_FREE && req[k].st != R_QUEUED && req[k].t < next)
                next = req[k].t;
        if (npend && wait > 0 && busy_conns < cfg->connections && ready[pend[pend_head]] + wait < next)
            next = ready[pend[pend_head]] + wait;
        if (!isfinite(next))
            break;     /* cannot happen: something is always in flight */
        now = next > now ? next : now;
        for (uint32_t k = 0; k < c; k++) {
            struct sreq *r = &req[k];
            if (r->st == R_FREE || r->st == R_QUEUED || r->t > now)
                continue;
            if (r->st == R_TO_SERVER) {
                r->st = R_QUEUED;
                r->arrived = now + (seq += 1e-9);
            } else if (r->st == R_RUNNING) {
                r->st = R_RETURNING;
                r->t = now + m->overhead_ms / 2;
                busy_slots--;
            } else if (r->st == R_RETURNING) {
                uint32_t s = r->head;
                for (uint32_t j = 0; j < r->n; j++, s = link[s]) {
                    if (done < inputs)
                        lat[done++] = now - ready[s];
                    if (admitted < inputs) {   /* the closed loop refills the slot */
                        admitted++;
                        ready[s] = now;
                        pend[(pend_head + npend++) % c] = s;
                    }
                }
                r->st = R_FREE;
                busy_conns--;
            }
        }
    }
    double sum = 0;
    for (uint32_t i = 0; i < done; i++)
        sum += lat[i];
    tg_sort_doubles(lat, done);
    out->p50_ms = tg_percentile_sorted(lat, done, 50);
    out->p95_ms = tg_percentile_sorted(lat, done, 95);
    out->p99_ms = tg_percentile_sorted(lat, done, 99);
    out->max_ms = done ? lat[done - 1] : NAN;
    out->mean_ms = done ? sum / done : NAN;
    out->throughput_ips = now > 0 ? done / (now / 1000.0) : NAN;
    out->mean_batch = nreq_sent ? (double)inputs / nreq_sent : NAN;
    free(jit.out);
    free(ready);
    free(link);
    free(pend);
    free(req);
    free(lat);
    return 0;
}

int tg_model_best(const struct tg_costmodel *m, uint32_t concurrency, uint32_t inputs,
                  uint64_t seed, double *p95_ms, uint32_t *best_batch)
{
    struct tg_costmodel ideal = *m;
    ideal.overhead_ms = 0;
    ideal.connect_ms = 0;
    uint32_t top = concurrency < m->max_batch ? concurrency : m->max_batch;
    double best = INFINITY;
    uint32_t bb = 0;
    for (uint32_t b = 1; b <= top; b++) {
        struct tg_client_cfg cfg = { .connections = concurrency, .keepalive = true, .batch = b };
        struct tg_prediction p;
        int rc = tg_model_predict(&ideal, &cfg, concurrency, inputs, seed, &p);
        if (rc)
            return rc;
        if (p.p95_ms < best) {
            best = p.p95_ms;
            bb = b;
        }
    }
    *p95_ms = best;
    if (best_batch)
        *best_batch = bb;
    return 0;
}
