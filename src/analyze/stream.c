/*
 * stream.c - TTFT / TPOT explained from measured points (analyze/stream.h).
 */
#include "analyze/stream.h"

#include "http/promtext.h"

#include "core/error.h"
#include "stats/percentile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* P50 and P95 of v[0..n) (sorted in place); NAN when n == 0 */
static void pcts(double *v, size_t n, double *p50, double *p95)
{
    *p50 = *p95 = NAN;
    if (!n)
        return;
    qsort(v, n, sizeof *v, cmp_double);
    *p50 = tg_percentile_sorted(v, n, 50);
    *p95 = tg_percentile_sorted(v, n, 95);
}

int tg_stream_point_compute(const struct tg_prows *r, uint32_t concurrency, struct tg_stream_point *out)
{
    memset(out, 0, sizeof *out);
    out->concurrency = concurrency;
    double *v = malloc((r->n ? r->n : 1) * 4 * sizeof *v);
    if (!v)
        return TG_ENOMEM;
    double *ttft = v, *tpot = v + r->n, *itl = v + 2 * r->n, *cq = v + 3 * r->n;
    size_t nt = 0, np = 0, ni = 0, nq = 0, nc = 0;
    double csum = 0;
    for (size_t i = 0; i < r->n; i++) {
        const struct tg_prow *p = &r->v[i];
        if (!p->ok || isnan(p->ttft_ms))
            continue;
        ttft[nt++] = p->ttft_ms;
        if (!isnan(p->tpot_ms))
            tpot[np++] = p->tpot_ms;
        if (!isnan(p->itl_max_ms))
            itl[ni++] = p->itl_max_ms;
        double conn = isnan(p->connect_ms) ? 0 : p->connect_ms;
        if (!isnan(p->client_queue_ms))
            cq[nq++] = fmax(0, p->client_queue_ms - conn);
        if (conn > 0) {
            csum += conn;
            nc++;
        }
    }
    out->n = nt;
    double dummy;
    pcts(ttft, nt, &out->ttft_p50_ms, &out->ttft_p95_ms);
    pcts(tpot, np, &out->tpot_p50_ms, &out->tpot_p95_ms);
    pcts(itl, ni, &dummy, &out->itl_max_p95_ms);
    pcts(cq, nq, &dummy, &out->client_queue_p95_ms);
    out->n_connect = nc;
    out->connect_mean_ms = nc ? csum / (double)nc : NAN;
    free(v);
    return nt ? 0 : TG_EINVAL;
}

const char *tg_stream_cause_name(enum tg_stream_cause c)
{
    switch (c) {
    case TG_SCAUSE_FLOOR: return "floor";
    case TG_SCAUSE_ADMISSION_QUEUE: return "admission_queue";
    case TG_SCAUSE_SERVER_WAIT: return "server_wait";
    case TG_SCAUSE_PREFILL_BATCH: return "prefill_batch";
    case TG_SCAUSE_RUNNING_BATCH: return "running_batch";
    case TG_SCAUSE_PREFILL_INTERFERENCE: return "prefill_interference";
    case TG_SCAUSE_CONNECT: return "connect";
    case TG_SCAUSE_CLIENT_QUEUE: return "client_queue";
    case TG_SCAUSE_UNKNOWN: break;
    }
    return "unknown";
}

static const char *cause_words(enum tg_stream_cause c)
{
    switch (c) {
    case TG_SCAUSE_FLOOR: return "the idle server's own time, the c=1 floor";
    case TG_SCAUSE_ADMISSION_QUEUE: return "queueing for admission";
    case TG_SCAUSE_SERVER_WAIT: return "time at the server beyond the floor, not measured as queue: no /metrics";
    case TG_SCAUSE_PREFILL_BATCH: return "longer steps with nothing waiting: co-scheduled prefills and the batch";
    case TG_SCAUSE_RUNNING_BATCH: return "the running batch: each step decodes more sequences";
    case TG_SCAUSE_PREFILL_INTERFERENCE: return "prefill interference: other requests' prefills stall decode steps";
    case TG_SCAUSE_CONNECT: return "connection setup";
    case TG_SCAUSE_CLIENT_QUEUE: return "waiting in the client";
    case TG_SCAUSE_UNKNOWN: break;
    }
    return "unknown";
}

/* 1 meets, 0 misses, -1 no SLO or no value */
static int meets(double v, double slo)
{
    if (isnan(slo) || isnan(v))
        return -1;
    return v <= slo;
}

static void ttft_parts(struct tg_stream_analysis *a)
{
    const struct tg_stream_point *r = &a->run, *f = &a->floor;
    a->ttft_excess_ms = a->ttft_connect_ms = a->ttft_client_queue_ms = a->ttft_server_ms = NAN;
    a->ttft_cause = TG_SCAUSE_UNKNOWN;
    if (!a->has_floor || isnan(r->ttft_p95_ms) || isnan(f->ttft_p95_ms))
        return;
    double ex = fmax(0, r->ttft_p95_ms - f->ttft_p95_ms);
    a->ttft_excess_ms = ex;
    /* a connection paid by a row of the run but not amortised in the floor */
    double conn = r->n_connect && isfinite(r->connect_mean_ms) ? fmin(ex, r->connect_mean_ms) : 0;
    double cq = isfinite(r->client_queue_p95_ms) ? fmin(ex - conn, r->client_queue_p95_ms) : 0;
    a->ttft_connect_ms = conn;
    a->ttft_client_queue_ms = cq;
    a->ttft_server_ms = ex - conn - cq;
    /* an excess within a fifth of the floor (or 5 ms) is the floor's own noise */
    if (ex < fmax(5, 0.2 * f->ttft_p95_ms)) {
        a->ttft_cause = TG_SCAUSE_FLOOR;
        return;
    }
    if (conn >= cq && conn >= a->ttft_server_ms)
        a->ttft_cause = TG_SCAUSE_CONNECT;
    else if (cq >= a->ttft_server_ms)
        a->ttft_cause = TG_SCAUSE_CLIENT_QUEUE;
    else if (!a->gauges.samples)
        a->ttft_cause = TG_SCAUSE_SERVER_WAIT;
    else if (a->gauges.waiting_max > 0)
        a->ttft_cause = TG_SCAUSE_ADMISSION_QUEUE;
    else
        a->ttft_cause = TG_SCAUSE_PREFILL_BATCH;
}

static void tpot_parts(struct tg_stream_analysis *a)
{
    const struct tg_stream_point *r = &a->run, *f = &a->floor;
    a->tpot_growth = a->tpot_excess_ms = a->floor_spike_ratio = NAN;
    a->itl_spike_ratio = r->tpot_p50_ms > 0 ? r->itl_max_p95_ms / r->tpot_p50_ms : NAN;
    a->tpot_cause = TG_SCAUSE_UNKNOWN;
    if (!a->has_floor || !(f->tpot_p50_ms > 0) || isnan(r->tpot_p95_ms))
        return;
    a->floor_spike_ratio = f->itl_max_p95_ms / f->tpot_p50_ms;
    a->tpot_growth = r->tpot_p50_ms / f->tpot_p50_ms;
    double ex = fmax(0, r->tpot_p95_ms - f->tpot_p95_ms);
    a->tpot_excess_ms = ex;
    if (ex < fmax(0.5, 0.1 * f->tpot_p95_ms))
        a->tpot_cause = TG_SCAUSE_FLOOR;
    /* spikes: the worst gaps stand far out of the median step, and further
     * than they do on the idle server -- steps that carried a prefill */
    else if (a->itl_spike_ratio > 2.5 && !(a->itl_spike_ratio < 1.5 * a->floor_spike_ratio))
        a->tpot_cause = TG_SCAUSE_PREFILL_INTERFERENCE;
    else
        a->tpot_cause = TG_SCAUSE_RUNNING_BATCH;
}

static void pick_cause(struct tg_stream_analysis *a)
{
    /* relative excess of each metric over its floor; a missed SLO decides first */
    double rt = a->has_floor && a->floor.ttft_p95_ms > 0 ? a->ttft_excess_ms / a->floor.ttft_p95_ms : NAN;
    double rp = a->has_floor && a->floor.tpot_p95_ms > 0 ? a->tpot_excess_ms / a->floor.tpot_p95_ms : NAN;
    bool miss_t = a->run_meets_ttft == 0, miss_p = a->run_meets_tpot == 0;
    bool use_ttft;
    if (miss_t != miss_p)
        use_ttft = miss_t;
    else if (a->ttft_slo_below_floor == 1 || a->tpot_slo_below_floor == 1)
        use_ttft = a->ttft_slo_below_floor == 1;
    else
        use_ttft = !(rp > rt) || isnan(rp);
    a->cause_metric = use_ttft ? "ttft" : "tpot";
    a->cause = use_ttft ? a->ttft_cause : a->tpot_cause;
    if ((use_ttft ? a->ttft_slo_below_floor : a->tpot_slo_below_floor) == 1)
        a->cause = TG_SCAUSE_FLOOR;
    if (a->cause == TG_SCAUSE_FLOOR)
        a->cause_ms = use_ttft ? a->floor.ttft_p95_ms : a->floor.tpot_p95_ms;
    else if (!use_ttft)
        a->cause_ms = a->tpot_excess_ms;
    else
        a->cause_ms = a->ttft_cause == TG_SCAUSE_CONNECT ? a->ttft_connect_ms
                    : a->ttft_cause == TG_SCAUSE_CLIENT_QUEUE ? a->ttft_client_queue_ms : a->ttft_server_ms;
}

static void pick_change(struct tg_stream_analysis *a)
{
    a->server_change = NULL;
    if (a->tpot_slo_below_floor == 1)
        a->server_change = "faster decode: TPOT at concurrency 1 already misses (a faster step: smaller or "
                           "quantized model, faster accelerator, speculative decoding)";
    else if (a->ttft_slo_below_floor == 1)
        a->server_change = "faster prefill: TTFT at concurrency 1 (prefill + one step) already misses (shorter "
                           "prompts, prefix caching, a faster accelerator)";
    else if (a->run_meets_ttft == 0 && a->gauges.samples && a->gauges.waiting_max > 0)
        a->server_change = "admission capacity: the server held requests waiting (raise max_num_seqs or the KV "
                           "cache, or add replicas)";
    else if (a->run_meets_tpot == 0 && a->tpot_cause == TG_SCAUSE_PREFILL_INTERFERENCE)
        a->server_change = "decode isolation: prefills stall decode steps (chunked prefill, a prefill token "
                           "budget per step, or disaggregated prefill)";
    else if (a->run_meets_tpot == 0)
        a->server_change = "faster decode at the running batch (fewer sequences per replica: more replicas)";
    else if (a->run_meets_ttft == 0 && !a->gauges.samples)
        a->server_change = "server capacity (admission not measured: the endpoint has no /metrics gauges)";
    else if (a->run_meets_ttft == 0)
        a->server_change = "shorter steps while prefilling (chunked prefill, fewer concurrent prefills)";
}

static void sentence(struct tg_stream_analysis *a)
{
    char *s = a->sentence;
    size_t cap = sizeof a->sentence, n = 0;
#define ADD(...)                                                              \
    do {                                                                      \
        int k_ = snprintf(s + n, n < cap ? cap - n : 0, __VA_ARGS__);         \
        if (k_ > 0)                                                           \
            n += (size_t)k_;                                                  \
    } while (0)
    const struct tg_stream_point *r = &a->run, *f = &a->floor;
    if (!a->has_floor) {
        ADD("Streams: TTFT P95 %.1f ms, TPOT P95 %.1f ms at concurrency %u; no concurrency-1 floor was measured, "
            "so the excess cannot be attributed.", r->ttft_p95_ms, r->tpot_p95_ms, r->concurrency);
        return;
    }
    ADD("Streams: TTFT P95 %.1f ms at concurrency %u vs %.1f ms at 1", r->ttft_p95_ms, r->concurrency, f->ttft_p95_ms);
    if (a->ttft_cause != TG_SCAUSE_FLOOR && isfinite(a->ttft_excess_ms)) {
        ADD(" (+%.1f ms: %s", a->ttft_excess_ms, cause_words(a->ttft_cause));
        if (a->ttft_cause == TG_SCAUSE_ADMISSION_QUEUE)
            ADD(", the server reported up to %.0f waiting", a->gauges.waiting_max);
        ADD(")");
    }
    ADD("; TPOT P95 %.1f ms vs %.1f ms at 1", r->tpot_p95_ms, f->tpot_p95_ms);
    if (a->tpot_cause != TG_SCAUSE_FLOOR && isfinite(a->tpot_excess_ms))
        ADD(" (%s; median x%.2f, worst gap %.1fx the median step)", cause_words(a->tpot_cause), a->tpot_growth,
            a->itl_spike_ratio);
    ADD(". Dominant: %s (%s). No client configuration beats the floor: TTFT P95 %.1f ms, TPOT P95 %.1f ms",
        tg_stream_cause_name(a->cause), a->cause_metric, a->ttft_p95_floor_ms, a->tpot_p95_floor_ms);
    if (a->client_cannot_meet)
        ADD("; the SLOs lie below it: no client-side configuration meets them");
    ADD(".");
    if (a->server_change)
        ADD(" Server-side: %s.", a->server_change);
#undef ADD
}

int tg_stream_analyze(const struct tg_stream_point *run, const struct tg_stream_point *floor,
                      const struct tg_stream_gauges *gauges, const struct tg_stream_slo *slo,
                      struct tg_stream_analysis *out)
{
    memset(out, 0, sizeof *out);
    if (!run || !run->n)
        return TG_EINVAL;
    out->run = *run;
    out->has_floor = floor && floor->n;
    if (out->has_floor)
        out->floor = *floor;
    if (gauges)
        out->gauges = *gauges;
    out->slo.ttft_p95_ms = slo ? slo->ttft_p95_ms : NAN;
    out->slo.tpot_p95_ms = slo ? slo->tpot_p95_ms : NAN;
    ttft_parts(out);
    tpot_parts(out);
    out->ttft_p95_floor_ms = out->has_floor ? out->floor.ttft_p95_ms : NAN;
    out->tpot_p95_floor_ms = out->has_floor ? out->floor.tpot_p95_ms : NAN;
    out->ttft_slo_below_floor = meets(out->ttft_p95_floor_ms, out->slo.ttft_p95_ms);
    out->tpot_slo_below_floor = meets(out->tpot_p95_floor_ms, out->slo.tpot_p95_ms);
    /* meets() says "the floor meets": below the floor is its negation */
    if (out->ttft_slo_below_floor >= 0)
        out->ttft_slo_below_floor = !out->ttft_slo_below_floor;
    if (out->tpot_slo_below_floor >= 0)
        out->tpot_slo_below_floor = !out->tpot_slo_below_floor;
    out->client_cannot_meet = out->ttft_slo_below_floor == 1 || out->tpot_slo_below_floor == 1;
    out->run_meets_ttft = meets(run->ttft_p95_ms, out->slo.ttft_p95_ms);
    out->run_meets_tpot = meets(run->tpot_p95_ms, out->slo.tpot_p95_ms);
    pick_cause(out);
    pick_change(out);
    sentence(out);
    return 0;
}

double tg_stream_metric(const char *body, size_t len, const char *name)
{
    /* the exposition parser (http/promtext.h): the first valid sample of that name */
    size_t nl = strlen(name), pos = 0, line = 0;
    struct tg_promtext_line l;
    int rc;
    while ((rc = tg_promtext_next(body, len, &pos, &line, &l)) != 0)
        if (rc > 0 && l.kind == TG_PROMTEXT_SAMPLE && l.name_len == nl && !memcmp(l.name, name, nl))
            return l.value;
    return NAN;
}
