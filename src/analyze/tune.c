/*
 * tune.c - the search.  The model ranks the whole grid for free; only the
 * ablation (each lever alone) and the model's few best are measured, since
 * an unbatched candidate on a saturated server costs concurrency * t(1) per
 * round and the whole search must stay within seconds.
 */
#include "analyze/tune.h"

#include "core/error.h"
#include "core/time.h"
#include "core/vec.h"
#include "engine/payload.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *tg_tune_role_name(enum tg_tune_role r)
{
    static const char *const n[TG_ROLE_COUNT] = {
        "search", "baseline", "pool", "keepalive", "batch", "batch_wait", "confirm",
    };
    return (unsigned)r < TG_ROLE_COUNT ? n[r] : "?";
}

static void cand_init(struct tg_tune_cand *c, struct tg_client_cfg cfg, enum tg_tune_role role)
{
    memset(c, 0, sizeof *c);
    c->cfg = cfg;
    c->role = role;
    c->pred.p50_ms = c->pred.p95_ms = c->pred.p99_ms = NAN;
    c->p50_ms = c->p95_ms = c->p99_ms = c->throughput_ips = c->wall_s = NAN;
    c->goodput_rps = NAN;
}

size_t tg_tune_grid(uint32_t concurrency, uint32_t max_batch, struct tg_tune_cand *out, size_t cap)
{
    static const double waits[] = { 0, 2, 5 };
    uint32_t c = concurrency ? concurrency : 1;
    uint32_t top = max_batch && max_batch < c ? max_batch : c;
    uint32_t pools[2] = { 1, c };
    size_t n = 0;
    for (int pi = 0; pi < (c > 1 ? 2 : 1); pi++)
        for (int ka = 1; ka >= 0; ka--)
            for (uint32_t b = 1; b <= top; b = b < top && b * 2 > top ? top : b * 2) {
                for (size_t wi = 0; wi < (b > 1 ? 3u : 1u); wi++) {
                    if (n == cap)
                        return n;
                    struct tg_client_cfg cfg = { .connections = pools[pi], .keepalive = ka,
                                                 .batch = b, .batch_wait_ms = waits[wi] };
                    cand_init(&out[n++], cfg, TG_ROLE_SEARCH);
                }
                if (b == top)
                    break;
            }
    return n;
}

bool tg_tune_eligible(const struct tg_tune_cand *c)
{
    return c->measured && c->ok > 0 && c->failed == 0 && c->outputs_different == 0 &&
           c->outputs_compared > 0 && isfinite(c->p95_ms);
}

static int simplicity(const struct tg_client_cfg *c, uint32_t concurrency)
{
    return (c->keepalive ? 0 : 4) + (c->batch > 1 && c->batch_wait_ms > 0 ? 2 : 0) +
           (c->connections != concurrency ? 1 : 0);
}

int tg_tune_select(const struct tg_tune_cand *c, size_t n, uint32_t concurrency, double tie)
{
    bool slo_filter = false;   /* some eligible candidate meets every --slo: only those */
    for (size_t i = 0; i < n; i++)
        slo_filter |= c[i].role != TG_ROLE_CONFIRM && tg_tune_eligible(&c[i]) && c[i].nslo && c[i].slos_met;
    double low = INFINITY;
    for (size_t i = 0; i < n; i++)
        if (c[i].role != TG_ROLE_CONFIRM && tg_tune_eligible(&c[i]) && (!slo_filter || c[i].slos_met) &&
            c[i].p95_ms < low)
            low = c[i].p95_ms;
    if (!isfinite(low))
        return -1;
    int best = -1;
    for (size_t i = 0; i < n; i++) {
        if (c[i].role == TG_ROLE_CONFIRM || !tg_tune_eligible(&c[i]) || (slo_filter && !c[i].slos_met) ||
            c[i].p95_ms > low * (1 + tie))
            continue;
        if (best < 0) {
            best = (int)i;
            continue;
        }
        int si = simplicity(&c[i].cfg, concurrency), sb = simplicity(&c[best].cfg, concurrency);
        if (si < sb || (si == sb && c[i].p95_ms < c[best].p95_ms))
            best = (int)i;
    }
    return best;
}

void tg_tune_args(const struct tg_client_cfg *cfg, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "--connections %u --batch %u", cfg->connections, cfg->batch);
    if (n < 0 || (size_t)n >= outlen)
        return;
    if (cfg->batch > 1)
        n += snprintf(out + n, outlen - (size_t)n, " --batch-wait-ms %g", cfg->batch_wait_ms);
    if ((size_t)n < outlen)
        snprintf(out + n, outlen - (size_t)n, "%s", cfg->keepalive ? " --preconnect" : " --no-keepalive");
}

static bool same_cfg(const struct tg_client_cfg *a, const struct tg_client_cfg *b)
{
    return a->connections == b->connections && a->keepalive == b->keepalive && a->batch == b->batch &&
           (a->batch == 1 || a->batch_wait_ms == b->batch_wait_ms);
}

/* The baseline's outputs by payload index: the numeric reference. */
struct numref {
    char **by;      /* npayloads entries or NULL */
    size_t n;
};

static void numref_free(struct numref *r)
{
    if (r->by)
        for (size_t i = 0; i < r->n; i++)
            free(r->by[i]);
    free(r->by);
    r->by = NULL;
}

static int numref_take(struct numref *r, struct tg_probe_result *res, size_t npayloads)
{
    if (!res->outputs)
        return 0;
    r->by = calloc(npayloads, sizeof *r->by);
    if (!r->by)
        return TG_ENOMEM;
    r->n = npayloads;
    for (size_t i = 0; i < res->rows.n && i < res->noutputs; i++) {
        size_t k = res->rows.v[i].request_id % npayloads;
        if (res->outputs[i] && !r->by[k]) {
            r->by[k] = res->outputs[i];
            res->outputs[i] = NULL;
        }
    }
    return 0;
}

static int measure(const struct tg_probe_target *t, const struct tg_tune_opts *o, struct tg_tune_cand *c,
                   uint64_t inputs, const struct tg_prows *ref, struct tg_prows *keep, uint64_t *sent,
                   struct numref *num)
{
    if (tg_probe_interrupted())
        return TG_EINTR;   /* whatever the instrument: no further probe starts (nor says it does) */
    char what[160], args[128];
    tg_tune_args(&c->cfg, args, sizeof args);
    snprintf(what, sizeof what, "%s: %s", tg_tune_role_name(c->role), args);
    if (o->progress)
        o->progress(o->progress_ctx, what);
    uint64_t window = o->window_ns ? o->window_ns : 2 * TG_NS_PER_S;
    struct tg_probe_spec s = {
        .cfg = c->cfg,
        .concurrency = o->concurrency,
        .inputs = inputs,
        .start_window_ns = c->role == TG_ROLE_CONFIRM ? 4 * window : window,
        .deadline_ns = 4 * window + 30 * TG_NS_PER_S,
        .preconnect = c->cfg.keepalive,
        .keep_outputs = o->tol.kind != TG_TOL_EXACT,
    };
    for (size_t k = 0; k < o->nslos; k++)
        s.keep_stream |= o->slos[k].metric == TG_SLO_ITL;
    struct tg_probe_result r = { 0 };
    int rc = o->probe ? o->probe(o->probe_ctx, t, &s, &r) : tg_probe_run(t, &s, &r);
    if (rc) {
        tg_probe_result_free(&r);
        return rc;
    }
    *sent += r.inputs;
    c->measured = true;
    c->inputs = r.inputs;
    c->ok = r.ok;
    c->failed = r.failed;
    c->p50_ms = r.p50_ms;
    c->p95_ms = r.p95_ms;
    c->p99_ms = r.p99_ms;
    c->throughput_ips = r.throughput_ips;
    c->wall_s = r.wall_s;
    if ((rc = tg_tune_judge_slos(o, &r, c)) != 0) {
        tg_probe_result_free(&r);
        return rc;
    }
    const struct tg_prows *against = ref ? ref : &r.rows;
    if (keep && !num->by && (rc = numref_take(num, &r, t->payloads->n)) != 0) {
        tg_probe_result_free(&r);
        return rc;
    }
    rc = tg_tune_outputs_tol(against, num->by, &r.rows, r.outputs, t->payloads->n, &o->tol, c);
    if (rc == 0 && keep) {
        *keep = r.rows;
        memset(&r.rows, 0, sizeof r.rows);
    }
    tg_probe_result_free(&r);
    return rc;
}

static int push(struct tg_tune *t, size_t *cap, const struct tg_tune_cand *c)
{
    int rc = tg_grow((void **)&t->cands, cap, t->n + 1, sizeof *t->cands, 64);
    if (rc)
        return rc;
    t->cands[t->n++] = *c;
    return 0;
}

static int cmp_pred(const void *a, const void *b)
{
    const struct tg_tune_cand *x = *(const struct tg_tune_cand *const *)a, *y = *(const struct tg_tune_cand *const *)b;
    double p = x->pred.p95_ms, q = y->pred.p95_ms;
    if (p != q)
        return p < q ? -1 : 1;
    /* simpler first: fewer connections, keep-alive, no wait */
    if (x->cfg.batch_wait_ms != y->cfg.batch_wait_ms)
        return x->cfg.batch_wait_ms < y->cfg.batch_wait_ms ? -1 : 1;
    if (x->cfg.keepalive != y->cfg.keepalive)
        return x->cfg.keepalive ? -1 : 1;
    return (int)y->cfg.connections - (int)x->cfg.connections;
}

int tg_tune_search(const struct tg_probe_target *t, const struct tg_costmodel *m,
                   const struct tg_tune_opts *o, struct tg_tune *out, char *err, size_t errlen)
{
    uint64_t t0 = tg_now_ns();
    uint32_t c = o->concurrency ? o->concurrency : 1;
    uint64_t n_in = o->inputs ? o->inputs : 200;
    /* predictions simulate many inputs: the expected P95, not one noisy draw */
    uint32_t n_sim = n_in > 4000 ? (uint32_t)n_in : 4000;
    size_t cap = 0;
    struct tg_prows base_rows = { 0 };
    struct numref num = { 0 };
    struct tg_tune_cand **order = NULL;
    const char *phase = NULL;
    int rc = 0;
    out->best = out->confirm = -1;
    if (o->reference_outputs && o->tol.kind != TG_TOL_EXACT) {
        /* The reference run's own outputs cover every payload it sent; the
         * baseline probe covers only what it sent within its window. */
        size_t np = t->payloads->n;
        if (!(num.by = calloc(np, sizeof *num.by))) {
            rc = TG_ENOMEM;
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        num.n = np;
        for (size_t i = 0; i < np; i++)
            if (o->reference_outputs[i] && !(num.by[i] = strdup(o->reference_outputs[i]))) {
                rc = TG_ENOMEM;
                snprintf(err, errlen, "out of memory");
                goto fail;
            }
    }

    /* every grid point, predicted */
    struct tg_tune_cand grid[512];
    size_t ng = tg_tune_grid(c, m->max_batch, grid, sizeof grid / sizeof grid[0]);
    for (size_t i = 0; i < ng; i++) {
        if ((rc = tg_model_predict(m, &grid[i].cfg, c, n_sim, o->seed, &grid[i].pred)) != 0) {
            snprintf(err, errlen, "model: %s", tg_strerror(rc));
            goto fail;
        }
        if ((rc = push(out, &cap, &grid[i])))
            goto fail;
    }
    struct tg_costmodel exact = *m;
    exact.jitter = NULL;
    exact.njitter = 0;
    if ((rc = tg_model_best(&exact, c, n_sim, o->seed, &out->theoretical_best_p95_ms,
                            &out->theoretical_best_batch)) ||
        (rc = tg_model_best(m, c, n_sim, o->seed,
                            &out->theoretical_best_jitter_p95_ms, NULL))) {
        snprintf(err, errlen, "model: %s", tg_strerror(rc));
        goto fail;
    }

    /* the ablation: the baseline, then each lever alone */
    struct tg_client_cfg base = { .connections = c, .keepalive = true, .batch = 1 };
    uint32_t bbest = 1;
    double bp = INFINITY;
    for (size_t i = 0; i < ng; i++)
        if (grid[i].cfg.connections == c && grid[i].cfg.keepalive && grid[i].cfg.batch_wait_ms == 0 &&
            grid[i].pred.p95_ms < bp) {
            bp = grid[i].pred.p95_ms;
            bbest = grid[i].cfg.batch;
        }
    struct { struct tg_client_cfg cfg; enum tg_tune_role role; bool run; } abl[] = {
        { base, TG_ROLE_BASELINE, true },
        { { .connections = 1, .keepalive = true, .batch = 1 }, TG_ROLE_POOL, c > 1 },
        { { .connections = c, .keepalive = false, .batch = 1 }, TG_ROLE_KEEPALIVE, true },
        { { .connections = c, .keepalive = true, .batch = bbest }, TG_ROLE_BATCH, bbest > 1 },
        { { .connections = c, .keepalive = true, .batch = 1, .batch_wait_ms = 2 }, TG_ROLE_BATCH_WAIT, false },
    };
    for (size_t a = 0; a < sizeof abl / sizeof abl[0]; a++) {
        if (abl[a].role != TG_ROLE_BASELINE && abl[a].role != TG_ROLE_BATCH_WAIT && !abl[a].run)
            continue;
        struct tg_tune_cand cd;
        cand_init(&cd, abl[a].cfg, abl[a].role);
        if ((rc = tg_model_predict(m, &cd.cfg, c, n_sim, o->seed, &cd.pred)))
            goto fail;
        if (abl[a].run) {
            rc = measure(t, o, &cd, n_in, abl[a].role == TG_ROLE_BASELINE ? o->reference : (o->reference ? o->reference : &base_rows),
                         abl[a].role == TG_ROLE_BASELINE ? &base_rows : NULL, &out->probe_inputs, &num);
            if (rc == TG_EINTR) {
                phase = "ablation";
                goto interrupted;
            }
            if (rc) {
                snprintf(err, errlen, "measuring %s: %s", tg_tune_role_name(cd.role), tg_strerror(rc));
                goto fail;
            }
            if (abl[a].role == TG_ROLE_BASELINE && !cd.ok) {
                snprintf(err, errlen, "every input of the baseline failed");
                rc = TG_EIO;
                goto fail;
            }
        }
        if ((rc = push(out, &cap, &cd)))
            goto fail;
    }

    /* a continuously batching server: the in-flight cap at its admission
     * capacity (what it was seen running), measured, never only predicted */
    if (o->inflight_cap > 1 && o->inflight_cap < c) {
        struct tg_tune_cand cd;
        cand_init(&cd, (struct tg_client_cfg){ .connections = o->inflight_cap, .keepalive = true, .batch = 1 },
                  TG_ROLE_SEARCH);
        if ((rc = tg_model_predict(m, &cd.cfg, c, n_sim, o->seed, &cd.pred)))
            goto fail;
        rc = measure(t, o, &cd, n_in, o->reference ? o->reference : &base_rows, NULL, &out->probe_inputs, &num);
        if (rc == TG_EINTR) {
            phase = "in-flight cap";
            goto interrupted;
        }
        if (rc) {
            snprintf(err, errlen, "measuring the in-flight cap: %s", tg_strerror(rc));
            goto fail;
        }
        if ((rc = push(out, &cap, &cd)))
            goto fail;
    }

    /* the model's best grid points not measured yet */
    order = malloc(ng * sizeof *order);
    if (!order) {
        rc = TG_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < ng; i++)
        order[i] = &out->cands[i];
    qsort(order, ng, sizeof *order, cmp_pred);
    uint32_t k = o->top_k ? o->top_k : 4, done = 0;
    for (size_t i = 0; i < ng && done < k; i++) {
        struct tg_tune_cand *cd = order[i];
        /* skip what is measured already, and what the model cannot tell
         * from a measured candidate (same batch, prediction within 1 %:
         * pool size and wait do not matter when every batch fills at
         * once): measuring it again would only sample noise */
        bool dup = false;
        for (size_t j = 0; j < out->n && !dup; j++) {
            const struct tg_tune_cand *mj = &out->cands[j];
            dup = mj->measured && (same_cfg(&mj->cfg, &cd->cfg) ||
                                   (mj->cfg.batch == cd->cfg.batch &&
                                    fabs(mj->pred.p95_ms - cd->pred.p95_ms) <= 0.01 * cd->pred.p95_ms));
        }
        if (dup)
            continue;
        rc = measure(t, o, cd, n_in, o->reference ? o->reference : &base_rows, NULL, &out->probe_inputs, &num);
        if (rc == TG_EINTR) {
            phase = "search";
            goto interrupted;
        }
        if (rc) {
            snprintf(err, errlen, "measuring a candidate: %s", tg_strerror(rc));
            goto fail;
        }
        done++;
    }

    out->best = tg_tune_select(out->cands, out->n, c, 0.05);
    if (out->best >= 0) {
        struct tg_tune_cand cd;
        cand_init(&cd, out->cands[out->best].cfg, TG_ROLE_CONFIRM);
        cd.pred = out->cands[out->best].pred;
        uint64_t full = o->confirm_inputs ? o->confirm_inputs : t->payloads->n;
        rc = measure(t, o, &cd, full, o->reference ? o->reference : &base_rows, NULL, &out->probe_inputs, &num);
        if (rc == TG_EINTR) {
            phase = "confirmation";
            goto interrupted;
        }
        if (rc) {
            snprintf(err, errlen, "confirming: %s", tg_strerror(rc));
            goto fail;
        }
        if ((rc = push(out, &cap, &cd)))
            goto fail;
        out->confirm = (int)out->n - 1;
        const struct tg_tune_cand *cf = &out->cands[out->confirm];
        out->best_p95_ms = cf->ok ? cf->p95_ms : out->cands[out->best].p95_ms;
        out->meets_sla = tg_tune_eligible(cf) && cf->p95_ms <= o->sla_p95_ms &&
                         out->cands[out->best].p95_ms <= o->sla_p95_ms &&
                         (o->nslos == 0 || (cf->slos_met && out->cands[out->best].slos_met));
    } else {
        out->best_p95_ms = NAN;
        out->meets_sla = false;
    }
    out->ratio = out->best_p95_ms / out->theoretical_best_p95_ms;

    /* what the server side could do */
    out->dyn_batching_p95_ms = out->theoretical_best_jitter_p95_ms;
    out->slots_needed = 0;
    out->slots_p95_ms = NAN;
    for (uint32_t s = m->slots + 1; s <= 64 && s <= m->slots + c; s++) {
        struct tg_costmodel mm = *m;
        mm.slots = s;
        double p;
        if (tg_model_best(&mm, c, n_sim, o->seed, &p, NULL) == 0 && p <= o->sla_p95_ms) {
            out->slots_needed = s;
            out->slots_p95_ms = p;
            break;
        }
    }
    tg_tune_explain(out, o);
    out->elapsed_s = (double)(tg_now_ns() - t0) / 1e9;
    free(order);
    tg_prows_free(&base_rows);
    numref_free(&num);
    return 0;
interrupted:
    /* what was measured stands; the candidate in flight was not (measure
     * leaves it untouched), nothing is chosen or confirmed */
    tg_tune_mark_interrupted(out, phase);
    out->elapsed_s = (double)(tg_now_ns() - t0) / 1e9;
    free(order);
    tg_prows_free(&base_rows);
    numref_free(&num);
    return 0;
fail:
    free(order);
    tg_prows_free(&base_rows);
    numref_free(&num);
    return rc;
}

void tg_tune_free(struct tg_tune *t)
{
    if (!t)
        return;
    free(t->cands);
    t->cands = NULL;
    t->n = 0;
}
