/*
 * analyze.c - the pure evidence functions.  Bands average the rows around a
 * percentile instead of taking the one row at it: a single input's phases
 * are noisy, the neighbourhood of its rank is what a tail consists of.
 */
#include "analyze/analyze.h"

#include "core/error.h"
#include "stats/percentile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The one phase breakdown (stats/phases.h) over analyze's rows. */
static void prow_sample(const void *ctx, size_t i, struct tg_phase_sample *out)
{
    const struct tg_prow *p = &((const struct tg_prows *)ctx)->v[i];
    *out = (struct tg_phase_sample){
        .ok = p->ok, .latency_ms = p->latency_ms, .client_queue_ms = p->client_queue_ms,
        .connect_ms = p->connect_ms, .ttfb_ms = p->ttfb_ms, .service_ms = p->service_ms,
        .server_queue_ms = p->server_queue_ms, .server_compute_ms = p->server_compute_ms,
    };
}

int tg_decomp_compute(const struct tg_prows *r, struct tg_decomp *out)
{
    return tg_phase_breakdown(r->n, prow_sample, r, out);
}

int tg_little_check(const struct tg_prows *r, double wall_s, double concurrency, struct tg_little *out)
{
    memset(out, 0, sizeof *out);
    if (!isfinite(wall_s) || wall_s <= 0)
        wall_s = tg_prows_wall_s(r);
    size_t n = 0, ns = 0;
    double sum = 0, ssum = 0;
    for (size_t i = 0; i < r->n; i++) {
        const struct tg_prow *p = &r->v[i];
        if (!p->ok)
            continue;
        n++;
        sum += p->latency_ms;
        if (!isnan(p->server_queue_ms) && !isnan(p->server_compute_ms)) {
            ns++;
            ssum += p->server_queue_ms + p->server_compute_ms;
        }
    }
    if (!n || !isfinite(wall_s) || wall_s <= 0)
        return TG_EINVAL;
    out->throughput_ips = (double)n / wall_s;
    out->mean_latency_ms = sum / (double)n;
    out->in_flight = out->throughput_ips * out->mean_latency_ms / 1000.0;
    out->concurrency = concurrency;
    out->ratio = concurrency > 0 ? out->in_flight / concurrency : NAN;
    out->server_in_flight = ns == n ? out->throughput_ips * (ssum / (double)ns) / 1000.0 : NAN;
    return 0;
}

int tg_sweep_saturated(const struct tg_sweep_point *p, size_t n, double noise, uint32_t *knee)
{
    size_t m = 0;
    double best = 0;
    for (size_t i = 0; i < n; i++)
        if (p[i].ok && isfinite(p[i].throughput_ips)) {
            m++;
            if (p[i].throughput_ips > best)
                best = p[i].throughput_ips;
        }
    if (knee) {
        *knee = 0;
        for (size_t i = 0; i < n; i++)
            if (p[i].ok && p[i].throughput_ips >= 0.9 * best) {
                *knee = p[i].concurrency;
                break;
            }
    }
    if (m < 2)
        return -1;
    /* the highest point, and the usable point nearest to half its concurrency */
    size_t top = n;
    while (top-- > 0)
        if (p[top].ok && isfinite(p[top].throughput_ips))
            break;
    double half = p[top].concurrency / 2.0;
    size_t h = n;
    for (size_t i = 0; i < top; i++) {
        if (!p[i].ok || !isfinite(p[i].throughput_ips))
            continue;
        if (h == n || fabs(p[i].concurrency - half) < fabs(p[h].concurrency - half))
            h = i;
    }
    if (h == n)
        return -1;
    return p[top].throughput_ips <= p[h].throughput_ips * (1.0 + noise);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double tg_median(double *v, size_t n)
{
    if (!n)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int tg_batch_fit(const struct tg_batch_point *p, size_t n, uint32_t concurrency, uint32_t max_batch,
                 bool from_server_timing, struct tg_batch_fit *out)
{
    memset(out, 0, sizeof *out);
    double x[64], y[64], w[64];
    size_t m = 0;
    for (size_t i = 0; i < n && m < 64; i++)
        if (p[i].n && isfinite(p[i].median_ms) && p[i].median_ms > 0) {
            x[m] = p[i].batch;
            y[m] = p[i].median_ms;
            /* execution noise is multiplicative: weigh relative errors, and
             * a median of more executions more */
            w[m] = (double)p[i].n / (p[i].median_ms * p[i].median_ms);
            m++;
        }
    int rc = tg_fit_weighted(x, y, w, m, true, &out->fit);
    if (rc)
        return rc;
    out->from_server_timing = from_server_timing;
    uint32_t b = concurrency;
    if (max_batch && b > max_batch)
        b = max_batch;
    if (!b)
        b = 1;
    out->batch_at_c = b;
    double t1 = tg_fit_eval(&out->fit, 1), tb = tg_fit_eval(&out->fit, b);
    out->gain_at_c = t1 > 0 && tb > 0 ? b * t1 / tb : NAN;
    out->efficiency_at_c = out->gain_at_c / b;
    out->gain_limit = out->fit.beta > 0 ? (out->fit.alpha + out->fit.beta) / out->fit.beta : INFINITY;
    return 0;
}

int tg_conn_cost(const struct tg_prows *r, struct tg_conn_cost *out)
{
    memset(out, 0, sizeof *out);
    double cs = 0, ns = 0, rs = 0;
    bool any = false;
    for (size_t i = 0; i < r->n; i++) {
        const struct tg_prow *p = &r->v[i];
        if (!p->ok || isnan(p->connect_ms) || isnan(p->service_ms))
            continue;
        any = true;
        if (p->connect_ms > 0) {
            out->n_new++;
            cs += p->connect_ms;
            ns += p->connect_ms + p->service_ms;
        } else {
            out->n_reused++;
            rs += p->service_ms;
        }
    }
    if (!any)
        return TG_EINVAL;
    out->new_connect_ms = out->n_new ? cs / (double)out->n_new : NAN;
    out->new_service_ms = out->n_new ? ns / (double)out->n_new : NAN;
    out->reused_service_ms = out->n_reused ? rs / (double)out->n_reused : NAN;
    out->extra_ms = out->new_service_ms - out->reused_service_ms;
    return 0;
}

static void lat_stats(const struct tg_prows *r, double *p50, double *p95, double *mean, size_t *n)
{
    double *v;
    *p50 = *p95 = *mean = NAN;
    *n = 0;
    if (tg_prows_ok_latencies(r, &v, n) || !*n)
        return;
    double s = 0;
    for (size_t i = 0; i < *n; i++)
        s += v[i];
    *p50 = tg_percentile_sorted(v, *n, 50);
    *p95 = tg_percentile_sorted(v, *n, 95);
    *mean = s / (double)*n;
    free(v);
}

int tg_client_overhead(const struct tg_prows *baseline, const struct tg_prows *replica,
                       struct tg_client_overhead *out)
{
    memset(out, 0, sizeof *out);
    lat_stats(baseline, &out->baseline_p50_ms, &out->baseline_p95_ms, &out->baseline_mean_ms, &out->baseline_n);
    lat_stats(replica, &out->replica_p50_ms, &out->replica_p95_ms, &out->replica_mean_ms, &out->replica_n);
    if (!out->baseline_n || !out->replica_n)
        return TG_EINVAL;
    out->delta_p50_ms = out->baseline_p50_ms - out->replica_p50_ms;
    out->delta_p95_ms = out->baseline_p95_ms - out->replica_p95_ms;
    out->delta_mean_ms = out->baseline_mean_ms - out->replica_mean_ms;
    return 0;
}

const char *tg_cause_name(enum tg_cause c)
{
    static const char *const n[] = { "server_queue", "server_compute", "connect", "client", "transfer", "server",
                                     "unknown" };
    return (unsigned)c <= TG_CAUSE_UNKNOWN ? n[c] : "unknown";
}

enum tg_cause tg_dominant_cause(const struct tg_decomp *d, int saturated, double gain_at_c, double *share)
{
    if (share)
        *share = NAN;
    if (!d->phases || !d->n_ok)
        return TG_CAUSE_UNKNOWN;
    const struct tg_decomp_band *b = &d->band[1];
    int top = -1;
    for (int j = 0; j < TG_COMP_COUNT; j++)
        if (isfinite(b->comp_ms[j]) && (top < 0 || b->comp_ms[j] > b->comp_ms[top]))
            top = j;
    if (top < 0)
        return TG_CAUSE_UNKNOWN;
    if (share && b->band_latency_ms > 0)
        *share = b->comp_ms[top] / b->band_latency_ms;
    switch (top) {
    case TG_COMP_CLIENT_QUEUE: return TG_CAUSE_CLIENT;
    case TG_COMP_CONNECT: return TG_CAUSE_CONNECT;
    case TG_COMP_TRANSFER: return TG_CAUSE_TRANSFER;
    case TG_COMP_SERVER_COMPUTE: return TG_CAUSE_SERVER_COMPUTE;
    case TG_COMP_SERVER: return TG_CAUSE_SERVER;
    case TG_COMP_SERVER_QUEUE:
        if (saturated == 1 && isfinite(gain_at_c) && gain_at_c < 1.5)
            return TG_CAUSE_SERVER_COMPUTE;
        return TG_CAUSE_SERVER_QUEUE;
    }
    return TG_CAUSE_UNKNOWN;
}
