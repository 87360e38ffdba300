/*
 * capacity_probe.c - probe-backed measure callback, the model's starting
 * rate and the per-point JSON of `tailgate capacity` (capacity_probe.h).
 */
#include "analyze/capacity_probe.h"

#include "compare/slo_eval.h"
#include "core/error.h"
#include "core/time.h"
#include "core/vec.h"
#include "stats/percentile.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void tg_capacity_meter_free(struct tg_capacity_meter *m)
{
    if (!m)
        return;
    tg_rows_free(&m->rows);
    free(m->gaps);
    m->gaps = NULL;
    m->ngaps = m->gaps_cap = 0;
}

static void reset_point(struct tg_capacity_meter *m)
{
    m->rows.n = 0;
    m->rows.columns = TG_COL_REQUEST_ID | TG_COL_LATENCY_MS | TG_COL_OK;
    m->ngaps = 0;
    m->streamed = false;
    m->next_id = 0;
}

static struct tg_row *push_row(struct tg_capacity_meter *m)
{
    struct tg_rows *r = &m->rows;
    if (tg_grow((void **)&r->rows, &r->cap, r->n + 1, sizeof *r->rows, 1024))
        return NULL;
    struct tg_row *row = &r->rows[r->n++];
    *row = (struct tg_row){ .request_id = m->next_id++, .timestamp_ms = NAN, .latency_ms = NAN, .ttft_ms = NAN,
                            .tpot_ms = NAN, .itl_max_ms = NAN, .output_tokens = -1 };
    return row;
}

static int add_gaps(struct tg_capacity_meter *m, const double *g, size_t n)
{
    if (n > SIZE_MAX - m->ngaps)
        return TG_ENOMEM;
    int rc = tg_grow((void **)&m->gaps, &m->gaps_cap, m->ngaps + n, sizeof *m->gaps, 4096);
    if (rc)
        return rc;
    memcpy(m->gaps + m->ngaps, g, n * sizeof *g);
    m->ngaps += n;
    return 0;
}

static double max_limit_ms(const struct tg_capacity_meter *m)
{
    double l = 0;
    for (size_t k = 0; k < m->nslos; k++)
        l = fmax(l, m->slos[k].limit_ms);
    return l;
}

/* Pools one probe's rows into the point's; inputs that produced no row
 * (never started before the window closed) are failed rows. */
static int pool(struct tg_capacity_meter *m, const struct tg_probe_result *r, uint64_t inputs)
{
    if (r->streamed) {
        m->streamed = true;
        m->rows.columns |= TG_COL_TTFT_MS | TG_COL_TPOT_MS | TG_COL_ITL_MAX_MS;
    }
    for (size_t i = 0; i < r->rows.n; i++) {
        struct tg_row *row = push_row(m);
        if (!row)
            return TG_ENOMEM;
        /* the probe's figures; the pooled point's own ids, no ready times */
        uint64_t id = row->request_id;
        *row = tg_probe_row(r, i);
        row->request_id = id;
        row->timestamp_ms = NAN;
    }
    for (uint64_t i = r->rows.n; i < inputs; i++)
        if (!push_row(m))
            return TG_ENOMEM;
    return r->n_itl_gaps ? add_gaps(m, r->itl_gaps, r->n_itl_gaps) : 0;
}

static int judge(struct tg_capacity_meter *m, struct tg_capacity_point *pt)
{
    bool want_itl = false;
    for (size_t k = 0; k < m->nslos; k++)
        want_itl |= m->slos[k].metric == TG_SLO_ITL;
    struct tg_slo_eval *e = malloc(sizeof *e);
    char err[160];
    int rc = e ? tg_slo_eval_gaps(&m->rows, m->gaps, m->ngaps, want_itl && m->streamed, m->slos, m->nslos,
                                  m->confidence, pt->wall_s, e, err, sizeof err)
               : TG_ENOMEM;
    if (rc == 0) {
        pt->nslo = m->nslos;
        bool all_pass = true, any_fail = false;
        for (size_t k = 0; k < m->nslos; k++) {
            pt->slo[k] = e->res[k];
            all_pass &= e->res[k].verdict == TG_VERDICT_PASS;
            any_fail |= e->res[k].verdict == TG_VERDICT_FAIL;
        }
        pt->verdict = any_fail ? TG_VERDICT_FAIL : all_pass ? TG_VERDICT_PASS : TG_VERDICT_INCONCLUSIVE;
    }
    free(e);
    if (rc)
        return rc;

    double *lat = malloc((m->rows.n ? m->rows.n : 1) * sizeof *lat);
    if (!lat)
        return TG_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < m->rows.n; i++)
        if (m->rows.rows[i].ok && isfinite(m->rows.rows[i].latency_ms))
            lat[n++] = m->rows.rows[i].latency_ms;
    tg_sort_doubles(lat, n);
    pt->p50_ms = n ? tg_percentile_sorted(lat, n, 50) : NAN;
    pt->p95_ms = n ? tg_percentile_sorted(lat, n, 95) : NAN;
    pt->p99_ms = n ? tg_percentile_sorted(lat, n, 99) : NAN;
    free(lat);
    return 0;
}

/* One input alone: its latency (ms), NAN when it failed. */
static double single_latency(struct tg_capacity_meter *m)
{
    struct tg_probe_spec spec = {
        .cfg = m->cfg,
        .concurrency = 1,
        .inputs = 1,
        .start_window_ns = TG_NS_PER_S,
        .deadline_ns = 30 * TG_NS_PER_S,
    };
    spec.cfg.batch = 1;
    struct tg_probe_result r = { 0 };
    double v = NAN;
    if (tg_probe_run(m->target, &spec, &r) == 0 && r.ok == 1)
        v = r.p50_ms;
    tg_probe_result_free(&r);
    return v;
}

static void settle(struct tg_capacity_meter *m)
{
    if (!m->idle_measured) {
        m->idle_measured = true;
        m->idle_ms = NAN;
        for (int i = 0; i < 3; i++) {
            double v = single_latency(m);
            if (isfinite(v) && !(v >= m->idle_ms))
                m->idle_ms = v;
        }
    }
    if (!m->dirty || !isfinite(m->idle_ms))
        return;
    uint64_t t0 = tg_now_ns();
    while (!tg_probe_interrupted() && tg_now_ns() - t0 < 60 * TG_NS_PER_S) {
        double v = single_latency(m);
        if (isfinite(v) && v <= 2 * m->idle_ms + 5)
            break;
        /* the backlog drains at the server's pace: wait about what it took */
        double wait_ms = isfinite(v) ? fmin(fmax(v, 50), 5000) : 1000;
        tg_sleep_ns((uint64_t)(wait_ms * 1e6));
    }
    m->settle_s += (double)(tg_now_ns() - t0) / 1e9;
    m->dirty = false;
}

int tg_capacity_meter_measure(void *ctx, double rate, uint64_t inputs, uint32_t chunk, uint64_t seed,
                              struct tg_capacity_point *pt)
{
    struct tg_capacity_meter *m = ctx;
    if (!(rate > 0) || !inputs)
        return TG_EINVAL;
    if (tg_probe_interrupted())
        return TG_EINTR;   /* before the chunk: nothing of it measured */
    if (chunk == 0) {
        reset_point(m);
        pt->inputs = pt->ok = pt->failed = 0;
        pt->wall_s = 0;
        pt->interrupted = false;
    }
    double span_s = (double)inputs / rate;
    uint64_t window = (uint64_t)((span_s * 1.2 + 1) * 1e9);
    double grace_s = fmax(2, 3 * max_limit_ms(m) / 1e3);
    bool want_itl = false;
    for (size_t k = 0; k < m->nslos; k++)
        want_itl |= m->slos[k].metric == TG_SLO_ITL;
    struct tg_probe_spec spec = {
        .cfg = m->cfg,
        .concurrency = m->concurrency,
        .inputs = inputs,
        .start_window_ns = window,
        .deadline_ns = window + (uint64_t)(grace_s * 1e9),
        .preconnect = m->preconnect,
        .keep_stream = want_itl,
        .rate = rate,
        .arrival = TG_ARRIVAL_POISSON,
        .seed = seed,
    };
    settle(m);
    struct tg_probe_result r = { 0 };
    int rc = tg_probe_run(m->target, &spec, &r);
    /* interrupted: what finished is pooled, the rest failed, as after a
     * deadline; the search then stops on TG_EINTR */
    bool cut = rc == TG_EINTR;
    if (cut)
        r.interrupted = true;
    if (rc == 0 || cut) {
        m->dirty = r.interrupted || r.failed > 0 || !(r.p95_ms <= max_limit_ms(m));
        rc = pool(m, &r, inputs);
    }
    if (rc == 0) {
        pt->inputs += inputs;
        pt->ok += r.ok;
        pt->failed = pt->inputs - pt->ok;
        pt->wall_s += r.wall_s;
        pt->achieved_ips = pt->wall_s > 0 ? (double)pt->ok / pt->wall_s : NAN;
        pt->interrupted |= r.interrupted;
        if (!m->first_error[0] && r.first_error[0])
            snprintf(m->first_error, sizeof m->first_error, "%s", r.first_error);
        rc = judge(m, pt);
    }
    tg_probe_result_free(&r);
    return rc ? rc : cut ? TG_EINTR : 0;
}

static double predicted(const struct tg_prediction *p, double q)
{
    return q <= 0.5 ? p->p50_ms : q <= 0.95 ? p->p95_ms : p->p99_ms;
}

int tg_capacity_model_rate(const struct tg_costmodel *m, const struct tg_client_cfg *cfg, uint32_t concurrency,
                           const struct tg_slo *slos, size_t nslos, uint64_t seed, double *rate,
                           uint32_t *at_concurrency)
{
    *rate = 0;
    *at_concurrency = 0;
    bool any = false;
    for (size_t k = 0; k < nslos; k++)
        any |= slos[k].metric == TG_SLO_LATENCY;
    if (!any || concurrency == 0)
        return TG_EINVAL;
    for (uint32_t c = 1; c <= concurrency; c++) {
        struct tg_client_cfg cc = *cfg;
        if (!cc.connections || cc.connections > c)
            cc.connections = c;   /* more connections than inputs in flight are never used */
        if (cc.batch > c)
            cc.batch = c;
        struct tg_prediction p;
        uint32_t n = 400 > 20 * c ? 400 : 20 * c;
        int rc = tg_model_predict(m, &cc, c, n, seed ? seed : 1, &p);
        if (rc)
            return rc;
        bool meets = true;
        for (size_t k = 0; k < nslos; k++)
            if (slos[k].metric == TG_SLO_LATENCY)
                meets &= predicted(&p, slos[k].p) <= slos[k].limit_ms;
        if (meets && p.throughput_ips > *rate) {
            *rate = p.throughput_ips;
            *at_concurrency = c;
        }
    }
    return 0;
}

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *tg_capacity_point_json(const struct tg_capacity_point *p, const struct tg_slo *slos, size_t nslos,
                               double confidence)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "rate", json_real(p->rate));
    json_object_set_new(o, "throughput_ips", num_or_null(p->achieved_ips));   /* as sweep.json names it */
    json_object_set_new(o, "inputs", json_integer((json_int_t)p->inputs));
    json_object_set_new(o, "ok", json_integer((json_int_t)p->ok));
    json_object_set_new(o, "failed", json_integer((json_int_t)p->failed));
    json_object_set_new(o, "p50_ms", num_or_null(p->p50_ms));
    json_object_set_new(o, "p95_ms", num_or_null(p->p95_ms));
    json_object_set_new(o, "p99_ms", num_or_null(p->p99_ms));
    json_object_set_new(o, "verdict", json_string(tg_verdict_name(p->verdict)));
    json_object_set_new(o, "undecided", json_boolean(p->undecided));
    json_object_set_new(o, "decided", json_boolean(p->decided));
    json_object_set_new(o, "chunks", json_integer(p->chunks));
    json_object_set_new(o, "extensions", json_integer(p->extensions));
    json_object_set_new(o, "wall_s", json_real(p->wall_s));
    json_object_set_new(o, "interrupted", json_boolean(p->interrupted));
    struct tg_slo_eval *e = calloc(1, sizeof *e);
    json_t *a = NULL;
    if (e) {
        e->n = p->nslo < nslos ? p->nslo : nslos;
        for (size_t k = 0; k < e->n; k++) {
            e->slo[k] = slos[k];
            e->res[k] = p->slo[k];
        }
        a = tg_slo_eval_json(e, confidence);
        free(e);
    }
    json_object_set_new(o, "slos", a ? a : json_null());
    return o;
}
