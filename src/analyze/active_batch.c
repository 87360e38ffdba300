/*
 * active_batch.c - the batch cost probe of the probe plan (active.c): batch
 * executions are measured one at a time (concurrency = batch = b on one
 * connection, so nothing queues), and the number of repetitions shrinks as
 * executions get longer so a compute-bound server cannot blow the time
 * budget; then the largest accepted batch: named by the server and checked,
 * else bisected on the refusing status.
 */
#include "analyze/active.h"
#include "analyze/active_internal.h"

#include "api/api.h"
#include "core/error.h"
#include "core/time.h"
#include "core/vec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int push_sample(struct tg_active *a, uint32_t b, double ms, size_t *cap)
{
    int rc = tg_grow((void **)&a->samples, cap, a->nsamples + 1, sizeof *a->samples, 64);
    if (rc)
        return rc;
    a->samples[a->nsamples++] = (struct tg_exec_sample){ b, ms };
    return 0;
}

/* One request's execution time and overhead, once per HTTP request. */
static int batch_run(const struct tg_probe_target *t, uint32_t b, uint32_t reps, struct tg_probe_result *res)
{
    struct tg_probe_spec s = {
        .cfg = { .connections = 1, .keepalive = true, .batch = b, .batch_wait_ms = b > 1 ? 1000 : 0 },
        .concurrency = b,
        .inputs = (uint64_t)b * reps,
        .start_window_ns = 0,
        .deadline_ns = 60 * TG_NS_PER_S,
        .preconnect = true,
    };
    memset(res, 0, sizeof *res);
    return tg_probe_run(t, &s, res);
}

static double estimate(const struct tg_active *a, uint32_t b)
{
    struct tg_fit f;
    double x[TG_ACTIVE_MAX_POINTS], y[TG_ACTIVE_MAX_POINTS];
    for (size_t i = 0; i < a->nbpts; i++) {
        x[i] = a->bpts[i].batch;
        y[i] = a->bpts[i].median_ms;
    }
    if (a->nbpts >= 2 && tg_fit_linear(x, y, a->nbpts, &f) == 0) {
        double e = tg_fit_eval(&f, b);
        double lin = a->bpts[a->nbpts - 1].median_ms * b / a->bpts[a->nbpts - 1].batch;
        return e > 0 ? e : lin;
    }
    if (a->nbpts)   /* pessimistic until the slope is known */
        return a->bpts[0].median_ms * b / a->bpts[0].batch;
    return 100;
}

/* Adds the executions of res (one per HTTP request) as a batch point. */
static int add_point(struct tg_active *a, const struct tg_probe_result *res, uint32_t b, size_t *cap,
                     double *over, size_t *nover, size_t overcap)
{
    double v[256];
    size_t n = 0;
    uint64_t seen[256];
    bool st = true;
    for (size_t i = 0; i < res->rows.n; i++) {
        const struct tg_prow *p = &res->rows.v[i];
        if (!p->ok || !p->has_http_id)
            continue;
        bool dup = false;
        for (size_t k = 0; k < n && !dup; k++)
            dup = seen[k] == p->http_request_id;
        if (dup || n == 256)
            continue;
        seen[n] = p->http_request_id;
        double ms;
        if (!isnan(p->server_compute_ms)) {
            ms = p->server_compute_ms;
            if (*nover < overcap && !isnan(p->service_ms) && !isnan(p->server_queue_ms))
                over[(*nover)++] = p->service_ms - p->server_compute_ms - p->server_queue_ms;
        } else {
            /* no server-reported time: the execution ends where the response
             * starts; what follows the first byte is transfer (measured), the
             * request's way there is a round trip (subtracted at the end) */
            st = false;
            ms = isnan(p->ttfb_ms) ? p->service_ms : p->ttfb_ms;
            if (*nover < overcap && !isnan(p->service_ms) && !isnan(p->ttfb_ms))
                over[(*nover)++] = p->service_ms - p->ttfb_ms;
        }
        if (isnan(ms))
            continue;
        v[n++] = ms;
        int rc = push_sample(a, b, ms, cap);
        if (rc)
            return rc;
    }
    if (!n || a->nbpts == TG_ACTIVE_MAX_POINTS)
        return 0;
    if (!st)
        a->from_server_timing = false;
    struct tg_batch_point *bp = &a->bpts[a->nbpts++];
    bp->batch = b;
    bp->n = n;
    double mn = INFINITY, mx = -INFINITY;
    for (size_t k = 0; k < n; k++) {
        mn = fmin(mn, v[k]);
        mx = fmax(mx, v[k]);
    }
    bp->min_ms = mn;
    bp->max_ms = mx;
    bp->median_ms = tg_median(v, n);
    return 0;
}

/* Statuses a server uses to refuse a batch that is too large (TEI 413,
 * FastAPI/pydantic validators 422, KServe/TF Serving 400). */
static bool size_status(int st)
{
    return st == 413 || st == 422 || st == 400;
}

/* A batch run every input of which was refused with a 4xx. */
static bool refused(const struct tg_probe_result *r)
{
    return r->rejected > 0 && r->ok == 0;
}

int tg_active_batch_sweep(const struct tg_probe_target *t, const struct tg_active_opts *o, struct tg_active *a,
                          char *err, size_t errlen)
{
    size_t cap = 0;
    double over[512];
    size_t nover = 0;
    uint32_t last_ok = 0, too_big = 0;
    uint64_t t0 = tg_now_ns();
    double budget = o->batch_budget_s > 0 ? o->batch_budget_s : 5;
    uint32_t reps_max = o->reps ? o->reps : 5;
    uint32_t cap_b = o->max_batch_cap ? o->max_batch_cap : 256;
    bool spec_cap = false;
    if (t->api->spec_max_batch && t->api->spec_max_batch < cap_b) {
        cap_b = t->api->spec_max_batch;   /* the API's documented limit bounds the search */
        spec_cap = true;
    }
    if (!t->api->build_batch)
        cap_b = 1;
    a->from_server_timing = true;
    a->max_batch_evidence = NULL;
    for (uint32_t b = 1; b <= cap_b; b = b < cap_b && b * 2 > cap_b ? cap_b : b * 2) {
        double est = estimate(a, b);
        double spent = (double)(tg_now_ns() - t0) / 1e9;
        double left = budget - spent;
        uint32_t reps = (uint32_t)fmin(reps_max, fmax(2, floor(0.25 * budget * 1000 / est)));
        bool last = false;
        if (a->nbpts >= 3 && reps * est / 1000 > left) {
            reps = 2;
            if (reps * est / 1000 > left) {
                /* out of budget: one request at this size still tells whether
                 * it is refused (a refusal costs no execution) */
                a->budget_cut = true;
                if (est / 1000 > budget * 1.5 - spent)
                    break;
                reps = 1;
                last = true;
            }
        }
        char what[64];
        snprintf(what, sizeof what, "batch %u x%u", b, reps);
        tg_active_progress(o, what);
        struct tg_probe_result res;
        int rc = batch_run(t, b, reps, &res);
        if (rc) {
            snprintf(err, errlen, "batch probe: %s", tg_strerror(rc));
            tg_probe_result_free(&res);
            return rc;
        }
        a->probe_inputs += res.inputs;
        a->max_batch_tried = b;
        if (!res.ok && b == 1) {
            snprintf(err, errlen, "every probe input failed: %s%s", res.first_error,
                     res.tls_failed ? " (https: --cacert FILE or --insecure)" : "");
            tg_probe_result_free(&res);
            return TG_EIO;
        }
        if (refused(&res)) {
            struct tg_api_error e;
            tg_probe_read_reject(t->api, res.reject_status, res.reject_detail, &e);
            if ((e.max_batch && e.max_batch < b) || size_status(res.reject_status)) {
                too_big = b;
                a->max_batch_status = res.reject_status;
                a->max_batch_named = e.max_batch < b ? e.max_batch : 0;
                snprintf(a->max_batch_message, sizeof a->max_batch_message, "%s", e.message);
            }
            tg_probe_result_free(&res);
            break;
        }
        if (!res.ok) {
            tg_probe_result_free(&res);   /* batches not supported beyond this: stop */
            break;
        }
        rc = add_point(a, &res, b, &cap, over, &nover, sizeof over / sizeof over[0]);
        tg_probe_result_free(&res);
        if (rc)
            return rc;
        last_ok = b;
        if (b == cap_b || last)
            break;
    }
    a->max_batch = last_ok;
    if (too_big && last_ok && a->max_batch_named >= last_ok) {
        /* the server named its limit: take it, after one execution at it */
        uint32_t L = a->max_batch_named;
        bool ok = L == last_ok;
        if (!ok) {
            char what[64];
            snprintf(what, sizeof what, "batch %u (the limit the server named)", L);
            tg_active_progress(o, what);
            struct tg_probe_result res;
            int rc = batch_run(t, L, 1, &res);
            a->probe_inputs += res.inputs;
            ok = rc == 0 && res.ok == res.inputs && res.ok;
            if (ok)
                rc = add_point(a, &res, L, &cap, over, &nover, sizeof over / sizeof over[0]);
            tg_probe_result_free(&res);
            if (rc == TG_ENOMEM)
                return rc;
        }
        if (ok) {
            a->max_batch = L;
            a->max_batch_exact = true;
            a->max_batch_evidence = "named by the server's error body, accepted when probed";
            too_big = 0;
        }
    }
    if (too_big && last_ok) {
        /* bisect (last_ok, too_big) on the refusing status: a refusal costs no execution */
        uint32_t lo = last_ok, hi = too_big;
        while (hi - lo > 1) {
            uint32_t mid = lo + (hi - lo) / 2;
            double left = budget * 1.5 - (double)(tg_now_ns() - t0) / 1e9;
            if (estimate(a, mid) / 1000 > left)
                break;
            struct tg_probe_result res;
            int rc = batch_run(t, mid, 1, &res);
            a->probe_inputs += res.inputs;
            bool big = rc == 0 && refused(&res) && res.reject_status == a->max_batch_status;
            bool ok = rc == 0 && res.ok == res.inputs && res.ok;
            tg_probe_result_free(&res);
            if (big)
                hi = mid;
            else if (ok)
                lo = mid;
            else
                break;
        }
        a->max_batch = lo;
        a->max_batch_exact = hi - lo == 1;
        a->max_batch_evidence = a->max_batch_exact ? "bisected: accepted at it, refused one above"
                                                   : "bisection cut short: refused above a larger size";
    }
    uint32_t target = o->batch_target ? o->batch_target : o->concurrency;
    if (spec_cap && target > cap_b)
        target = cap_b;
    if (target > a->max_batch && !too_big && !a->max_batch_exact && a->nbpts && t->api->build_batch) {
        /* the sweep stopped short of the concurrency: one execution at it */
        uint32_t b = target;
        struct tg_probe_result res;
        int rc = batch_run(t, b, 1, &res);
        a->probe_inputs += res.inputs;
        if (rc == 0 && res.ok == res.inputs && res.ok) {
            rc = add_point(a, &res, b, &cap, over, &nover, sizeof over / sizeof over[0]);
            a->max_batch = b;
        } else if (rc == 0 && refused(&res)) {
            a->max_batch_exact = false;
        }
        tg_probe_result_free(&res);
        if (rc < 0 && rc != TG_ENOMEM)
            rc = 0;
        if (rc)
            return rc;
    }
    if (!a->max_batch_evidence) {
        if (!t->api->build_batch)
            a->max_batch_evidence = "the API has no batch form";
        else if (spec_cap && a->max_batch == cap_b)
            a->max_batch_evidence = "every size up to the API's documented limit accepted";
        else if (a->budget_cut)
            a->max_batch_evidence = "lower bound: the batch sweep stopped on its time budget";
        else if (a->max_batch == 1 && a->max_batch_tried > 1)
            a->max_batch_evidence = "batches failed (not a size refusal): batching not supported";
        else
            a->max_batch_evidence = "lower bound: every size tried was accepted";
    }
    a->overhead_ms = nover ? tg_median(over, nover) : NAN;
    if (!a->from_server_timing)
        a->transfer_ms = a->overhead_ms;
    if (!a->nbpts)
        a->from_server_timing = false;
    return 0;
}
