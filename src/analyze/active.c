/*
 * active.c - the probe plan: the batch sweep (active_batch.c), the
 * concurrency sweep and the connection probe in turn, then the batch points
 * made the server's own time; and the cost model and jitter read from the
 * result.
 */
#include "analyze/active.h"
#include "analyze/active_internal.h"

#include "core/error.h"
#include "core/time.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tg_active_progress(const struct tg_active_opts *o, const char *what)
{
    if (o->progress)
        o->progress(o->progress_ctx, what);
}

/* Without server-reported time the batch points are times to first byte:
 * take one TCP round trip (the connection probe's connect time) off each, so
 * that t(b) is the server's and the round trip joins the per-request
 * overhead with the measured transfer. */
static void exec_from_ttfb(struct tg_active *a)
{
    a->rtt_ms = NAN;
    if (a->from_server_timing) {
        a->exec_source = "server_timing_compute";
        return;
    }
    a->exec_source = "ttfb_minus_rtt";
    double rtt = a->has_conn && isfinite(a->conn.new_connect_ms) && a->conn.new_connect_ms > 0
                     ? a->conn.new_connect_ms : NAN;
    if (!isfinite(rtt)) {
        a->exec_source = "service_time";
        return;
    }
    double low = INFINITY;
    for (size_t i = 0; i < a->nbpts; i++)
        low = fmin(low, a->bpts[i].min_ms);
    if (!(rtt < low))   /* a round trip cannot exceed an execution's whole time to first byte */
        rtt = 0.5 * low;
    a->rtt_ms = rtt;
    for (size_t i = 0; i < a->nbpts; i++) {
        a->bpts[i].median_ms -= rtt;
        a->bpts[i].min_ms -= rtt;
        a->bpts[i].max_ms -= rtt;
    }
    for (size_t i = 0; i < a->nsamples; i++)
        a->samples[i].ms = fmax(a->samples[i].ms - rtt, 1e-6);
    a->overhead_ms = (isfinite(a->transfer_ms) ? a->transfer_ms : 0) + rtt;
}

static int conc_sweep(const struct tg_probe_target *t, const struct tg_active_opts *o, struct tg_active *a,
                      struct tg_prows *reused)
{
    uint32_t c = o->concurrency ? o->concurrency : 1;
    for (uint32_t cc = 1; cc <= c && a->nsweep < TG_ACTIVE_MAX_POINTS; cc = cc < c && cc * 2 > c ? c : cc * 2) {
        if (cc == c && !o->sweep_top && c > 1)
            break;
        char what[64];
        snprintf(what, sizeof what, "concurrency %u", cc);
        tg_active_progress(o, what);
        struct tg_probe_spec s = {
            .cfg = { .connections = cc, .keepalive = true, .batch = 1 },
            .concurrency = cc,
            .inputs = cc * 2 > 6 ? cc * 2 : 6,
            .start_window_ns = 3 * TG_NS_PER_S,
            .preconnect = true,
        };
        struct tg_probe_result res = { 0 };
        int rc = tg_probe_run(t, &s, &res);
        if (rc) {
            tg_probe_result_free(&res);
            return rc;
        }
        a->probe_inputs += res.inputs;
        struct tg_sweep_point *p = &a->sweep[a->nsweep++];
        p->concurrency = cc;
        p->inputs = res.inputs;
        p->ok = res.ok;
        p->failed = res.failed;
        p->throughput_ips = res.throughput_ips;
        p->p50_ms = res.p50_ms;
        p->p95_ms = res.p95_ms;
        p->mean_ms = res.mean_ms;
        if (cc == c && c > 1) {   /* the top point's rows: the decomposition without a run */
            tg_prows_free(&a->top_rows);
            a->top_rows = res.rows;
            a->top_wall_s = res.wall_s;
            memset(&res.rows, 0, sizeof res.rows);
        } else if (cc == 1) {   /* reused connections for the connection probe */
            *reused = res.rows;
            memset(&res.rows, 0, sizeof res.rows);
        }
        tg_probe_result_free(&res);
        if (cc == c)
            break;
    }
    return 0;
}

static int conn_probe(const struct tg_probe_target *t, const struct tg_active_opts *o, struct tg_active *a,
                      struct tg_prows *reused)
{
    tg_active_progress(o, "new connections");
    struct tg_probe_spec s = {
        .cfg = { .connections = 1, .keepalive = false, .batch = 1 },
        .concurrency = 1,
        .inputs = 6,
        .start_window_ns = 2 * TG_NS_PER_S,
    };
    struct tg_probe_result res = { 0 };
    int rc = tg_probe_run(t, &s, &res);
    if (rc) {
        tg_probe_result_free(&res);
        return rc;
    }
    a->probe_inputs += res.inputs;
    /* new connections from this probe, reused ones from the c = 1 sweep point
     * (preconnected, so every one of its requests reused a connection) */
    for (size_t i = 0; i < reused->n; i++) {
        struct tg_prow *p = tg_prows_push(&res.rows);
        if (!p) {
            tg_probe_result_free(&res);
            return TG_ENOMEM;
        }
        *p = reused->v[i];
    }
    a->has_conn = tg_conn_cost(&res.rows, &a->conn) == 0 && a->conn.n_new && a->conn.n_reused;
    tg_probe_result_free(&res);
    return 0;
}

int tg_active_probe(const struct tg_probe_target *t, const struct tg_active_opts *o,
                    struct tg_active *out, char *err, size_t errlen)
{
    uint64_t t0 = tg_now_ns();
    struct tg_prows reused = { 0 };
    out->transfer_ms = out->rtt_ms = NAN;
    int rc = tg_active_batch_sweep(t, o, out, err, errlen);
    if (rc == 0 && o->sweep) {
        rc = conc_sweep(t, o, out, &reused);
        if (rc)
            snprintf(err, errlen, "concurrency probe: %s", tg_strerror(rc));
    }
    if (rc == 0 && o->connections) {
        rc = conn_probe(t, o, out, &reused);
        if (rc)
            snprintf(err, errlen, "connection probe: %s", tg_strerror(rc));
    }
    tg_prows_free(&reused);
    if (rc == 0)
        exec_from_ttfb(out);
    out->elapsed_s = (double)(tg_now_ns() - t0) / 1e9;
    return rc;
}

void tg_active_free(struct tg_active *a)
{
    if (!a)
        return;
    free(a->samples);
    a->samples = NULL;
    tg_prows_free(&a->top_rows);
    a->nsamples = 0;
}

double *tg_active_jitter(const struct tg_active *a, const struct tg_fit *f, size_t *n)
{
    *n = 0;
    if (!a->nsamples)
        return NULL;
    double *v = malloc(a->nsamples * sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < a->nsamples; i++) {
        double t = tg_fit_eval(f, a->samples[i].batch);
        if (t > 0 && a->samples[i].ms > 0)
            v[(*n)++] = a->samples[i].ms / t;
    }
    if (!*n) {
        free(v);
        return NULL;
    }
    return v;
}

int tg_active_model(const struct tg_active *a, struct tg_costmodel *m, double **jitter)
{
    *jitter = NULL;
    struct tg_batch_fit bf;
    memset(&bf, 0, sizeof bf);
    if (a->nbpts == 1 && a->bpts[0].batch == 1) {
        /* no batching (the API refused batches): a constant cost per request */
        bf.fit.alpha = a->bpts[0].median_ms;
        bf.fit.beta = 0;
    } else if (tg_batch_fit(a->bpts, a->nbpts, 1, a->max_batch, a->from_server_timing, &bf) != 0) {
        return TG_EINVAL;
    }
    memset(m, 0, sizeof *m);
    m->alpha_ms = bf.fit.alpha;
    m->beta_ms = bf.fit.beta;
    m->max_batch = a->max_batch ? a->max_batch : 1;
    m->overhead_ms = isfinite(a->overhead_ms) && a->overhead_ms > 0 ? a->overhead_ms : 0;
    m->connect_ms = a->has_conn && isfinite(a->conn.new_connect_ms) ? a->conn.new_connect_ms : 0;
    double best = 0;
    for (size_t i = 0; i < a->nsweep; i++)
        if (a->sweep[i].ok && a->sweep[i].throughput_ips > best)
            best = a->sweep[i].throughput_ips;
    double t1 = tg_fit_eval(&bf.fit, 1) + m->overhead_ms;
    long s = best > 0 && t1 > 0 ? lround(best * t1 / 1000.0) : 1;
    m->slots = s >= 1 ? (uint32_t)s : 1;
    size_t n;
    *jitter = tg_active_jitter(a, &bf.fit, &n);
    m->jitter = *jitter;
    m->njitter = *jitter ? n : 0;
    return 0;
}
