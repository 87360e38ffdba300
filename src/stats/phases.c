/*
 * phases.c - the phase breakdown (see phases.h).
 */
#include "stats/phases.h"

#include "core/error.h"
#include "stats/percentile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const tg_comp_names[TG_COMP_COUNT] = {
    "client_queue", "connect", "server_queue", "server_compute", "server", "transfer",
};

static const double band_pct[TG_DECOMP_BANDS][3] = {
    { 50, 45, 55 }, { 95, 92.5, 97.5 }, { 99, 98.5, 99.5 },
};

static double nz(double v) { return isfinite(v) && v > 0 ? v : 0; }

static bool has_phases(const struct tg_phase_sample *p)
{
    return !isnan(p->client_queue_ms) && !isnan(p->service_ms);
}

/* One input's components (NAN: not measured). */
static void components(const struct tg_phase_sample *p, bool st, double c[TG_COMP_COUNT])
{
    for (int i = 0; i < TG_COMP_COUNT; i++)
        c[i] = NAN;
    if (!has_phases(p))
        return;
    double conn = nz(p->connect_ms);
    double after = nz(p->latency_ms - p->client_queue_ms - p->service_ms);
    c[TG_COMP_CLIENT_QUEUE] = nz(p->client_queue_ms - conn) + after;
    c[TG_COMP_CONNECT] = conn;
    if (st) {
        double sq = nz(p->server_queue_ms), sc = nz(p->server_compute_ms);
        c[TG_COMP_SERVER_QUEUE] = sq;
        c[TG_COMP_SERVER_COMPUTE] = sc;
        c[TG_COMP_TRANSFER] = nz(p->service_ms - sq - sc);
    } else {
        double ttfb = isnan(p->ttfb_ms) ? p->service_ms : p->ttfb_ms;
        c[TG_COMP_SERVER] = nz(ttfb);
        c[TG_COMP_TRANSFER] = nz(p->service_ms - ttfb);
    }
}

struct lat_idx { double lat; size_t i; };

static int cmp_lat(const void *a, const void *b)
{
    const struct lat_idx *x = a, *y = b;
    if (x->lat != y->lat)
        return x->lat < y->lat ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static bool counts(const struct tg_phase_sample *p)
{
    return p->ok && isfinite(p->latency_ms);
}

int tg_phase_breakdown(size_t n_in, tg_phase_get_fn get, const void *ctx, struct tg_decomp *out)
{
    memset(out, 0, sizeof *out);
    size_t n = 0;
    bool phases = false, st = true;
    struct tg_phase_sample p;
    for (size_t i = 0; i < n_in; i++) {
        get(ctx, i, &p);
        if (!counts(&p))
            continue;
        n++;
        phases |= has_phases(&p);
        if (isnan(p.server_queue_ms) || isnan(p.server_compute_ms))
            st = false;
    }
    if (!n)
        return TG_EINVAL;
    struct lat_idx *v = malloc(n * sizeof *v);
    if (!v)
        return TG_ENOMEM;
    n = 0;
    for (size_t i = 0; i < n_in; i++) {
        get(ctx, i, &p);
        if (counts(&p))
            v[n++] = (struct lat_idx){ p.latency_ms, i };
    }
    qsort(v, n, sizeof *v, cmp_lat);
    out->phases = phases;
    out->server_timing = phases && st;
    out->n_ok = n;
    for (int b = 0; b < TG_DECOMP_BANDS; b++) {
        struct tg_decomp_band *bd = &out->band[b];
        bd->pct = band_pct[b][0];
        bd->lo_pct = band_pct[b][1];
        bd->hi_pct = band_pct[b][2];
        size_t at = tg_percentile_rank(n, bd->pct) - 1;
        size_t lo = tg_percentile_rank(n, bd->lo_pct), hi = tg_percentile_rank(n, bd->hi_pct);
        lo = lo ? lo - 1 : 0;
        hi = hi ? hi - 1 : 0;
        if (lo > at)
            lo = at;
        if (hi < at)
            hi = at;
        bd->latency_ms = v[at].lat;
        double sum[TG_COMP_COUNT] = { 0 }, lsum = 0;
        size_t cnt[TG_COMP_COUNT] = { 0 };
        for (size_t k = lo; k <= hi; k++) {
            double c[TG_COMP_COUNT];
            get(ctx, v[k].i, &p);
            components(&p, out->server_timing, c);
            lsum += v[k].lat;
            for (int j = 0; j < TG_COMP_COUNT; j++)
                if (!isnan(c[j])) {
                    sum[j] += c[j];
                    cnt[j]++;
                }
        }
        bd->n = hi - lo + 1;
        bd->band_latency_ms = lsum / (double)bd->n;
        for (int j = 0; j < TG_COMP_COUNT; j++)
            bd->comp_ms[j] = cnt[j] ? sum[j] / (double)cnt[j] : NAN;
    }
    free(v);
    return 0;
}
