/*
 * engine.c - threads, prebuilt requests and the merge of per-worker results.
 */
#include "engine/engine.h"

#include "api/api.h"

#include "core/error.h"
#include "core/time.h"
#include "engine/worker.h"
#include "stats/hist.h"

#include <errno.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const tg_phase_names[TG_PHASE_COUNT] = {
    "client_queue", "connect", "ttfb", "service", "server_queue", "server_compute", "tls",
};

struct tg_engine {
    struct tg_engine_config cfg;
    struct tg_worker_shared sh;
    struct tg_buf *prebuilt;
    size_t nprebuilt;
    struct worker **workers;
    pthread_t *threads;
    uint32_t nthreads, started;
    uint64_t t_start, t_end;
    struct tg_engine_totals totals;
};

bool tg_engine_open_loop(const struct tg_engine_config *cfg)
{
    return cfg->rate > 0 || cfg->arrival == TG_ARRIVAL_TRACE || (cfg->stages && !cfg->stages_concurrency);
}

struct tg_arrival_spec tg_engine_arrival_spec(const struct tg_engine_config *cfg)
{
    bool trace = cfg->arrival == TG_ARRIVAL_TRACE;
    return (struct tg_arrival_spec){
        .kind = cfg->arrival, .rate = cfg->rate, .burstiness = cfg->burstiness, .seed = cfg->seed,
        .stages = !trace && !cfg->stages_concurrency ? cfg->stages : NULL,
        .nstages = !trace && !cfg->stages_concurrency ? cfg->nstages : 0,
        .offsets_ns = cfg->trace_ns, .noffsets = cfg->ntrace, .speed = cfg->trace_speed,
    };
}

/* The load shape is one the scheduler can run. */
static bool valid_shape(const struct tg_engine_config *cfg)
{
    if (cfg->stages && !cfg->nstages)
        return false;
    if (!tg_engine_open_loop(cfg))
        return true;
    struct tg_arrival_spec spec = tg_engine_arrival_spec(cfg);
    struct tg_arrivals g;
    return tg_arrivals_init(&g, &spec) == 0;
}

static void *thread_main(void *arg)
{
    struct worker *w = arg;
    /* Wake at an arrival's (or a batch deadline's) time, not up to 50 µs
     * after it, the default timer slack of a thread; failure only costs precision. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    tg_worker_run(w);
    return NULL;
}

static bool valid_token(const char *t)
{
    for (int i = 0; i < 8; i++)
        if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f')))
            return false;
    return t[8] == '\0';
}

/* Every unbatched request is prebuilt once: the hot path only writes bytes.
 * With request ids the X-Request-Id header carries a fixed-width placeholder
 * that each send replaces by its own id (admit.c: three iovecs, no copy). */
static int prebuild(struct tg_engine *e)
{
    static const char xid_hdr[] = "\r\nX-Request-Id: ";
    static const char placeholder[TG_ENGINE_XID_LEN + 1] = "00000000-000000000000";
    const struct tg_engine_config *cfg = &e->cfg;
    size_t nh = cfg->nheaders;
    struct tg_http_kv *hdrs = calloc(nh + 1, sizeof *hdrs);
    if (!hdrs)
        return TG_ENOMEM;
    for (size_t i = 0; i < nh; i++)
        hdrs[i] = cfg->headers[i];
    if (cfg->request_ids)
        hdrs[nh++] = (struct tg_http_kv){ "X-Request-Id", placeholder };
    int rc = TG_ENOMEM;
    e->nprebuilt = cfg->payloads->n;
    if (!(e->prebuilt = calloc(e->nprebuilt, sizeof *e->prebuilt)))
        goto done;
    for (size_t i = 0; i < e->nprebuilt; i++) {
        const struct tg_payload *p = &cfg->payloads->items[i];
        struct tg_buf *b = &e->prebuilt[i];
        if ((rc = tg_http_write_request(b, "POST", &cfg->url, hdrs, nh, p->line, p->len, cfg->keepalive)) != 0)
            goto done;
        if (!cfg->request_ids)
            continue;
        /* The head, and so the header's place, is the same in every request
         * (Content-Length follows the extra headers); checked for each. */
        if (i == 0) {
            const char *h = memmem(b->data, b->len, xid_hdr, sizeof xid_hdr - 1);
            if (!h) {
                rc = TG_EINVAL;
                goto done;
            }
            e->sh.xid_off = (size_t)(h - b->data) + sizeof xid_hdr - 1;
        }
        if (e->sh.xid_off + TG_ENGINE_XID_LEN > b->len ||
            memcmp(b->data + e->sh.xid_off, placeholder, TG_ENGINE_XID_LEN) != 0) {
            rc = TG_EINVAL;
            goto done;
        }
    }
    rc = 0;
done:
    free(hdrs);
    return rc;
}

int tg_engine_new(const struct tg_engine_config *cfg, struct tg_engine **out)
{
    if (!cfg->payloads || !cfg->payloads->n || !cfg->on_result || !cfg->worker_ctx ||
        cfg->threads == 0 || cfg->concurrency == 0 || cfg->connections == 0 || !cfg->api ||
        !cfg->api->split || (cfg->batch > 1 && (!cfg->api->build_batch || !cfg->payloads->groups)) ||
        (cfg->inputs == UINT64_MAX && !cfg->duration_ns) || cfg->timeout_ns == 0 ||
        (cfg->url.tls && !cfg->tls) || (!cfg->url.tls && cfg->tls) || !valid_shape(cfg))
        return TG_EINVAL;
    struct tg_engine *e = calloc(1, sizeof *e);
    if (!e)
        return TG_ENOMEM;
    e->cfg = *cfg;
    e->nthreads = cfg->threads;
    e->sh.cfg = &e->cfg;
    int rc = TG_ENOMEM;
    if (e->cfg.request_ids && !valid_token(cfg->run_token))
        goto invalid;
    /* A -H X-Request-Id of the user's wins: the engine adds none. */
    for (size_t i = 0; i < cfg->nheaders; i++)
        if (!strcasecmp(cfg->headers[i].name, "X-Request-Id"))
            e->cfg.request_ids = false;
    if (cfg->batch <= 1 && (rc = prebuild(e)) != 0)
        goto fail;
    e->sh.prebuilt = e->prebuilt;
    rc = TG_ENOMEM;
    e->workers = calloc(e->nthreads, sizeof *e->workers);
    e->threads = calloc(e->nthreads, sizeof *e->threads);
    if (!e->workers || !e->threads)
        goto fail;
    for (uint32_t i = 0; i < e->nthreads; i++)
        if (!(e->workers[i] = tg_worker_new(&e->sh, i, e->nthreads)))
            goto fail;
    *out = e;
    return 0;
invalid:
    rc = TG_EINVAL;
fail:
    tg_engine_free(e);
    return rc;
}

int tg_engine_start(struct tg_engine *e)
{
    e->t_start = tg_now_ns();
    e->sh.start_ns = e->t_start;
    for (uint32_t i = 0; i < e->nthreads; i++) {
        int rc = pthread_create(&e->threads[i], NULL, thread_main, e->workers[i]);
        if (rc) {
            for (uint32_t j = 0; j < i; j++)
                tg_worker_interrupt(e->workers[j]);
            for (uint32_t j = 0; j < i; j++)
                pthread_join(e->threads[j], NULL);
            e->started = 0;
            return -rc;
        }
        e->started = i + 1;
    }
    return 0;
}

bool tg_engine_finished(const struct tg_engine *e)
{
    for (uint32_t i = 0; i < e->started; i++)
        if (!tg_worker_finished(e->workers[i]))
            return false;
    return true;
}

void tg_engine_progress(const struct tg_engine *e, uint64_t *done, uint64_t *failed)
{
    *done = *failed = 0;
    for (uint32_t i = 0; i < e->nthreads; i++) {
        *done += tg_worker_done(e->workers[i]);
        *failed += tg_worker_failed(e->workers[i]);
    }
}

uint64_t tg_engine_in_flight(const struct tg_engine *e)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < e->nthreads; i++)
        n += tg_worker_in_flight(e->workers[i]);
    return n;
}

void tg_engine_interrupt(struct tg_engine *e)
{
    for (uint32_t i = 0; i < e->started; i++)
        tg_worker_interrupt(e->workers[i]);
}

struct unsent_ctx {
    struct tg_engine *e;
};

static void emit_unsent(void *ctx, uint64_t id)
{
    struct tg_engine *e = ctx;
    tg_worker_emit_unsent(&e->cfg, e->cfg.worker_ctx[0], id, e->t_start);
    e->totals.by_class[TG_ERRC_INTERRUPTED]++;
    e->totals.inputs++;
}

int tg_engine_join(struct tg_engine *e, const struct tg_engine_totals **out)
{
    for (uint32_t i = 0; i < e->started; i++)
        pthread_join(e->threads[i], NULL);
    e->t_end = tg_now_ns();
    struct tg_engine_totals *t = &e->totals;
    if (!t->latency) {
        t->latency = tg_hist_new(3600ULL * 1000 * 1000);
        t->latency_uncorrected = tg_hist_new(3600ULL * 1000 * 1000);
        for (int p = 0; p < TG_PHASE_COUNT; p++)
            t->phase[p] = tg_hist_new(3600ULL * 1000 * 1000);
        t->tls_handshake = tg_hist_new(3600ULL * 1000 * 1000);
        t->ttft = tg_hist_new(3600ULL * 1000 * 1000);
        t->tpot = tg_hist_new(3600ULL * 1000 * 1000);
        t->itl = tg_hist_new(3600ULL * 1000 * 1000);
        t->send_lag = tg_hist_new(3600ULL * 1000 * 1000);
    }
    if (!t->latency || !t->latency_uncorrected || !t->tls_handshake || !t->ttft || !t->tpot || !t->itl ||
        !t->send_lag)
        return TG_ENOMEM;
    for (int p = 0; p < TG_PHASE_COUNT; p++)
        if (!t->phase[p])
            return TG_ENOMEM;
    double lag_sum = 0;
    for (uint32_t i = 0; i < e->nthreads; i++) {
        const struct worker_stats *s = tg_worker_stats(e->workers[i]);
        t->inputs += s->inputs;
        t->ok += s->ok;
        for (int c = 0; c < TG_ERRC_COUNT; c++)
            t->by_class[c] += s->by_class[c];
        t->http_requests += s->http_requests;
        t->connections_opened += s->connections_opened;
        t->bytes_out += s->bytes_out;
        t->bytes_in += s->bytes_in;
        t->late_inputs += s->late_inputs;
        if (s->max_lag_ns > t->max_lag_ns)
            t->max_lag_ns = s->max_lag_ns;
        lag_sum += s->lag_sum_ns;
        if (s->send_lag)
            tg_hist_merge(t->send_lag, s->send_lag);
        t->lag_late += s->lag_late;
        t->lag_late_cap += s->lag_late_cap;
        t->cap_waited += s->cap_waited;
        if (s->started_first_ns) {
            if (!t->started_first_ns || s->intended_first_ns < t->intended_first_ns)
                t->intended_first_ns = s->intended_first_ns;
            if (!t->started_first_ns || s->started_first_ns < t->started_first_ns)
                t->started_first_ns = s->started_first_ns;
            if (s->intended_last_ns > t->intended_last_ns)
                t->intended_last_ns = s->intended_last_ns;
            if (s->started_last_ns > t->started_last_ns)
                t->started_last_ns = s->started_last_ns;
        }
        tg_hist_merge(t->latency, s->latency);
        tg_hist_merge(t->latency_uncorrected, s->latency_uncorrected);
        for (int p = 0; p < TG_PHASE_COUNT; p++)
            tg_hist_merge(t->phase[p], s->phase[p]);
        if (!t->first_error[0] && s->first_error[0])
            memcpy(t->first_error, s->first_error, sizeof t->first_error);
        t->timing_server_timing += s->timing_server_timing;
        t->timing_headers += s->timing_headers;
        t->tls_handshakes += s->tls_handshakes;
        tg_hist_merge(t->tls_handshake, s->tls_handshake);
        if (!t->tls_protocol[0] && s->tls_protocol[0]) {
            memcpy(t->tls_protocol, s->tls_protocol, sizeof t->tls_protocol);
            memcpy(t->tls_cipher, s->tls_cipher, sizeof t->tls_cipher);
        }
        if (!t->first_tls_error[0] && s->first_tls_error[0]) {
            memcpy(t->first_tls_error, s->first_tls_error, sizeof t->first_tls_error);
            t->tls_verify_failed = s->tls_verify_failed;
        }
        t->streamed += s->streamed;
        t->output_tokens += s->output_tokens;
        t->tokens_from_usage += s->tokens_from_usage;
        if (s->ttft) {
            tg_hist_merge(t->ttft, s->ttft);
            tg_hist_merge(t->tpot, s->tpot);
            tg_hist_merge(t->itl, s->itl);
        }
        if (tg_worker_interrupted(e->workers[i]))
            t->interrupted = true;
    }
    uint64_t admitted = t->inputs;
    t->mean_lag_ns = admitted ? lag_sum / (double)admitted : 0;
    if (t->interrupted) {
        /* Inputs never started still get their rows. */
        if (tg_engine_open_loop(&e->cfg) || e->nthreads == 1) {
            for (uint32_t i = 0; i < e->nthreads; i++)
                tg_sched_for_each_unclaimed(tg_worker_sched(e->workers[i]), emit_unsent, e);
        } else {
            tg_sched_for_each_unclaimed(tg_worker_sched(e->workers[0]), emit_unsent, e);
        }
    }
    t->failed = t->inputs - t->ok;
    t->wall_ns = e->t_end - e->t_start;
    *out = t;
    return 0;
}

void tg_engine_free(struct tg_engine *e)
{
    if (!e)
        return;
    if (e->workers)
        for (uint32_t i = 0; i < e->nthreads; i++)
            tg_worker_free(e->workers[i]);
    if (e->prebuilt)
        for (size_t i = 0; i < e->nprebuilt; i++)
            tg_buf_free(&e->prebuilt[i]);
    tg_hist_free(e->totals.latency);
    tg_hist_free(e->totals.latency_uncorrected);
    for (int p = 0; p < TG_PHASE_COUNT; p++)
        tg_hist_free(e->totals.phase[p]);
    tg_hist_free(e->totals.tls_handshake);
    tg_hist_free(e->totals.ttft);
    tg_hist_free(e->totals.tpot);
    tg_hist_free(e->totals.itl);
    tg_hist_free(e->totals.send_lag);
    free(e->prebuilt);
    free(e->workers);
    free(e->threads);
    free(e);
}
