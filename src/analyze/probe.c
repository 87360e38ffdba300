/*
 * probe.c - the engine driven from a library: a single worker thread (probe
 * loads are small), rows copied out of the result callback, and this thread
 * polling for completion against the deadline.
 */
#include "analyze/probe.h"

#include "api/api.h"

#include "core/error.h"
#include "core/redact.h"
#include "core/time.h"
#include "core/vec.h"
#include "engine/engine.h"
#include "engine/resolve.h"
#include "engine/tls.h"
#include "stats/percentile.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void default_headers(struct tg_probe_target *t)
{
    t->headers[0] = (struct tg_http_kv){ "User-Agent", "tailgate-probe" };
    t->headers[1] = (struct tg_http_kv){ "Content-Type", "application/json" };
    t->nheaders = 2;
}

int tg_probe_target_init(struct tg_probe_target *t, const struct tg_api *api, const char *url,
                         const char *payloads,
                         char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    default_headers(t);
    const char *why = NULL;
    if (tg_url_parse(url, &t->url, &why) != 0) {
        char shown[1024];
        snprintf(err, errlen, "bad URL '%s': %s", tg_redact_url(url, shown, sizeof shown), why ? why : "invalid");
        return TG_EINVAL;
    }
    if (t->url.tls) {
        char why_tls[320];
        int trc = tg_tls_new(NULL, true, &t->tls, why_tls, sizeof why_tls);
        if (trc) {
            snprintf(err, errlen, "TLS set-up: %s", trc == TG_EINVAL ? why_tls : tg_strerror(trc));
            return trc;
        }
    }
    /* Every address of the name, in order, before failing (engine/resolve.h). */
    size_t naddr = 0;
    char tried[256];
    if (tg_resolve_pick(t->url.host, t->url.port, 2 * TG_NS_PER_S, &t->addr, &t->addrlen, &naddr, tried,
                        sizeof tried, err, errlen) != 0)
        return TG_EINVAL;
    t->api = api;
    t->timeout_ns = 30 * TG_NS_PER_S;
    char why_buf[320];
    int rc = tg_payloads_load(payloads, api->build_batch ? api : NULL, &t->payloads, why_buf,
                              sizeof why_buf);
    if (rc) {
        if (rc == TG_EPARSE || rc == TG_EINVAL)
            snprintf(err, errlen, "payloads %s: %s", payloads, why_buf);
        else
            snprintf(err, errlen, "cannot read payloads %s: %s", payloads, tg_strerror(rc));
        return rc;
    }
    return 0;
}

int tg_probe_target_tls(struct tg_probe_target *t, const char *cacert, bool insecure, char *err, size_t errlen)
{
    if (!t->url.tls) {
        snprintf(err, errlen, "%s needs an https URL", insecure ? "--insecure" : "--cacert");
        return TG_EINVAL;
    }
    struct tg_tls *n = NULL;
    char why[320];
    int rc = tg_tls_new(insecure ? NULL : cacert, !insecure, &n, why, sizeof why);
    if (rc) {
        snprintf(err, errlen, "%s", rc == TG_EINVAL ? why : tg_strerror(rc));
        return rc;
    }
    tg_tls_free(t->tls);
    t->tls = n;
    t->insecure = insecure;
    return 0;
}

int tg_probe_target_header(struct tg_probe_target *t, const char *line, char *err, size_t errlen)
{
    /* the messages name the header by number: a malformed one may still hold a secret */
    size_t num = t->nstore + 1;
    const char *colon = strchr(line, ':');
    if (t->nstore == TG_PROBE_MAX_HEADERS) {
        snprintf(err, errlen, "too many -H headers (at most %d)", TG_PROBE_MAX_HEADERS);
        return TG_EINVAL;
    }
    if (!colon || colon == line) {
        snprintf(err, errlen, "invalid -H header number %zu (expected 'Name: value'; not shown, it may hold a secret)",
                 num);
        return TG_EINVAL;
    }
    for (const char *p = line; p < colon; p++)
        if (!isgraph((unsigned char)*p)) {
            snprintf(err, errlen, "invalid header name in -H header number %zu (not shown, it may hold a secret)", num);
            return TG_EINVAL;
        }
    if (strpbrk(line, "\r\n")) {
        snprintf(err, errlen, "invalid header '%.*s: ...' (line break in the value)",
                 (int)(colon - line > 100 ? 100 : colon - line), line);
        return TG_EINVAL;
    }
    char *s = strdup(line);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return TG_ENOMEM;
    }
    t->store[t->nstore++] = s;
    s[colon - line] = '\0';
    char *val = s + (colon - line) + 1;
    while (*val == ' ' || *val == '\t')
        val++;
    size_t j;
    for (j = 0; j < t->nheaders; j++)
        if (!strcasecmp(t->headers[j].name, s))
            break;
    t->headers[j] = (struct tg_http_kv){ s, val };
    if (j == t->nheaders)
        t->nheaders++;
    return 0;
}

const char *tg_probe_header_shown(const struct tg_http_kv *h)
{
    return tg_redact_is_secret_name(h->name, strlen(h->name)) ? "REDACTED" : h->value;
}

void tg_probe_target_free(struct tg_probe_target *t)
{
    if (!t)
        return;
    tg_payloads_free(t->payloads);
    t->payloads = NULL;
    tg_tls_free(t->tls);
    t->tls = NULL;
    for (size_t i = 0; i < t->nstore; i++)
        free(t->store[i]);
    t->nstore = 0;
    default_headers(t);
}

void tg_probe_read_reject(const struct tg_api *api, int status, const char *detail, struct tg_api_error *e)
{
    *e = (struct tg_api_error){ 0 };
    /* "HTTP 413 Payload Too Large: <the server's message or body>" */
    const char *m = detail ? strstr(detail, ": ") : NULL;
    if (!m || !m[2])
        return;
    m += 2;
    tg_api_read_error(api, status, m, strlen(m), e);
    if (!e->max_batch) {
        struct tg_api_error g;
        tg_api_error_generic(status, m, strlen(m), &g);
        if (g.max_batch || !e->message[0])
            *e = g;
    }
}

struct collect {
    struct tg_probe_result *out;
    bool keep, keep_stream;
    size_t ocap;
    bool oom;
};

/* Keeps row i's output (outputs[] grows with the rows). */
static void keep_output(struct collect *c, size_t i, const char *json, size_t len)
{
    struct tg_probe_result *o = c->out;
    if (i >= c->ocap) {
        size_t old = c->ocap;
        if (tg_grow((void **)&o->outputs, &c->ocap, i + 1, sizeof *o->outputs, 256)) {
            c->oom = true;
            return;
        }
        memset(o->outputs + old, 0, (c->ocap - old) * sizeof *o->outputs);
    }
    if (json && len) {
        o->outputs[i] = strndup(json, len);
        if (!o->outputs[i])
            c->oom = true;
    }
    if (i + 1 > o->noutputs)
        o->noutputs = i + 1;
}

/* Row i's streaming figures; the engine's -1 (and a response that did not
 * stream) is no value. */
static void keep_stream(struct collect *c, size_t i, const struct tg_input_result *r)
{
    struct tg_probe_result *o = c->out;
    if (i >= o->stream_cap) {
        /* three arrays, one capacity: it moves once all three have grown */
        size_t a = o->stream_cap, b = a, d = a;
        if (tg_grow((void **)&o->ttft_ms, &a, i + 1, sizeof *o->ttft_ms, 256) ||
            tg_grow((void **)&o->tpot_ms, &b, i + 1, sizeof *o->tpot_ms, 256) ||
            tg_grow((void **)&o->itl_max_ms, &d, i + 1, sizeof *o->itl_max_ms, 256)) {
            c->oom = true;
            return;
        }
        o->stream_cap = a;
    }
    bool s = r->streamed;
    o->streamed |= s;
    o->ttft_ms[i] = s && r->ttft_ns >= 0 ? (double)r->ttft_ns / 1e6 : NAN;
    o->tpot_ms[i] = s && r->tpot_ms >= 0 ? r->tpot_ms : NAN;
    o->itl_max_ms[i] = s && r->itl_max_ns >= 0 ? (double)r->itl_max_ns / 1e6 : NAN;
    if (!c->keep_stream || !s || !r->ok || !r->event_ns || r->content_events < 2)
        return;
    if (tg_grow((void **)&o->itl_gaps, &o->itl_gaps_cap, o->n_itl_gaps + r->content_events - 1,
                sizeof *o->itl_gaps, 256)) {
        c->oom = true;
        return;
    }
    for (uint32_t k = 1; k < r->content_events; k++)
        o->itl_gaps[o->n_itl_gaps++] =
            r->event_ns[k] > r->event_ns[k - 1] ? (double)(r->event_ns[k] - r->event_ns[k - 1]) / 1e6 : 0;
}

static void on_result(void *ctx, const struct tg_input_result *r)
{
    struct collect *c = ctx;
    struct tg_prow *p = tg_prows_push(&c->out->rows);
    if (!p) {
        c->oom = true;
        return;
    }
    keep_stream(c, c->out->rows.n - 1, r);
    p->request_id = r->request_id;
    p->timestamp_ms = (double)r->timestamp_ms;
    p->latency_ms = r->ok ? (double)r->latency_ns / 1e6 : NAN;
    p->ok = r->ok;
    p->status = r->status;
    if (r->sent) {
        p->has_http_id = true;
        p->http_request_id = r->http_request_id;
        p->batch_size = r->batch_size;
    }
    p->client_queue_ms = r->client_queue_ns >= 0 ? (double)r->client_queue_ns / 1e6 : NAN;
    p->connect_ms = r->connect_ns >= 0 ? (double)r->connect_ns / 1e6 : NAN;
    p->ttfb_ms = r->ttfb_ns >= 0 ? (double)r->ttfb_ns / 1e6 : NAN;
    p->service_ms = r->service_ns >= 0 ? (double)r->service_ns / 1e6 : NAN;
    p->server_queue_ms = r->server_queue_ms >= 0 ? r->server_queue_ms : NAN;
    p->server_compute_ms = r->server_compute_ms >= 0 ? r->server_compute_ms : NAN;
    if (r->output_hash && strlen(r->output_hash) == 64)
        memcpy(p->hash, r->output_hash, 65);
    if (r->status == 413)
        c->out->status_413++;
    if (r->status >= 400 && r->status <= 499) {
        c->out->rejected++;
        if (!c->out->reject_status) {
            c->out->reject_status = r->status;
            snprintf(c->out->reject_detail, sizeof c->out->reject_detail, "%s",
                     r->error_detail ? r->error_detail : "");
        }
    }
    if (r->errc == TG_ERRC_TLS)
        c->out->tls_failed++;
    if (c->keep)
        keep_output(c, c->out->rows.n - 1, r->ok ? r->output_json : NULL, r->ok ? r->output_len : 0);
}

static void on_flush(void *ctx)
{
    (void)ctx;
}

/* A lock-free atomic: safe to store from a signal handler on any thread and
 * to load from the polling one. */
#if ATOMIC_INT_LOCK_FREE != 2
#error "the probe interrupt needs a lock-free atomic int"
#endif
static atomic_int interrupt_raised;

void tg_probe_interrupt(void)
{
    atomic_store(&interrupt_raised, 1);
}

bool tg_probe_interrupted(void)
{
    return atomic_load(&interrupt_raised) != 0;
}

void tg_probe_interrupt_reset(void)
{
    atomic_store(&interrupt_raised, 0);
}

static void on_signal(int sig)
{
    (void)sig;
    tg_probe_interrupt();
}

int tg_probe_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
        return -errno;
    return 0;
}

/* Starts e's workers with SIGINT/SIGTERM blocked, so that the signal goes to
 * the polling thread (the handler only raises the flag either way). */
static int start_masked(struct tg_engine *e)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = tg_engine_start(e);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

int tg_probe_run(const struct tg_probe_target *t, const struct tg_probe_spec *spec,
                 struct tg_probe_result *out)
{
    struct collect col = { .out = out, .keep = spec->keep_outputs, .keep_stream = spec->keep_stream };
    void *ctxs[1] = { &col };
    struct tg_engine_config cfg = { 0 };
    cfg.url = t->url;
    cfg.tls = t->tls;
    cfg.addr = t->addr;
    cfg.addrlen = t->addrlen;
    cfg.payloads = t->payloads;
    cfg.inputs = spec->inputs;
    cfg.duration_ns = spec->start_window_ns;
    cfg.concurrency = spec->concurrency;
    cfg.seed = spec->seed ? spec->seed : 1;
    cfg.rate = spec->rate > 0 ? spec->rate : 0;
    cfg.arrival = spec->arrival;
    cfg.batch = spec->cfg.batch ? spec->cfg.batch : 1;
    cfg.batch_wait_ns = (uint64_t)(spec->cfg.batch_wait_ms * 1e6);
    cfg.api = t->api;
    cfg.connections = spec->cfg.connections ? spec->cfg.connections : spec->concurrency;
    cfg.keepalive = spec->cfg.keepalive;
    cfg.preconnect = spec->preconnect;
    cfg.headers = t->headers;
    cfg.nheaders = t->nheaders;
    cfg.keep_outputs = spec->keep_outputs;
    cfg.keep_stream = spec->keep_stream;
    cfg.timeout_ns = t->timeout_ns;
    cfg.threads = 1;
    cfg.parse_outputs = true;
    cfg.max_response_bytes = 64u << 20;
    cfg.on_result = on_result;
    cfg.on_flush = on_flush;
    cfg.worker_ctx = ctxs;

    if (tg_probe_interrupted())
        return TG_EINTR;   /* no further probe starts */
    struct tg_engine *e = NULL;
    int rc = tg_engine_new(&cfg, &e);
    if (rc)
        return rc;
    uint64_t deadline = spec->deadline_ns ? spec->deadline_ns : spec->start_window_ns * 3 + 10 * TG_NS_PER_S;
    uint64_t t0 = tg_now_ns();
    rc = start_masked(e);
    if (rc) {
        tg_engine_free(e);
        return rc;
    }
    bool stopped = false, cancelled = false;
    while (!tg_engine_finished(e)) {
        tg_sleep_ns(2 * 1000 * 1000);
        if (!cancelled && tg_probe_interrupted()) {
            tg_engine_interrupt(e);
            cancelled = true;
        }
        if (!stopped && tg_now_ns() - t0 > deadline) {
            tg_engine_interrupt(e);
            stopped = true;
        }
    }
    const struct tg_engine_totals *tot = NULL;
    rc = tg_engine_join(e, &tot);
    if (rc == 0) {
        out->inputs = tot->inputs;
        out->ok = tot->ok;
        out->failed = tot->failed;
        out->http_requests = tot->http_requests;
        out->connections_opened = tot->connections_opened;
        out->wall_s = (double)tot->wall_ns / 1e9;
        out->interrupted = tot->interrupted || stopped;
        snprintf(out->first_error, sizeof out->first_error, "%s", tot->first_error);
    }
    tg_engine_free(e);
    if (rc)
        return rc;
    if (cancelled)
        return TG_EINTR;   /* a partial measurement, not a result (one that had
                              finished before the signal stands) */
    if (col.oom)
        return TG_ENOMEM;
    double *lat;
    size_t n;
    if (tg_prows_ok_latencies(&out->rows, &lat, &n))
        return TG_ENOMEM;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += lat[i];
    out->p50_ms = tg_percentile_sorted(lat, n, 50);
    out->p95_ms = tg_percentile_sorted(lat, n, 95);
    out->p99_ms = tg_percentile_sorted(lat, n, 99);
    out->mean_ms = n ? sum / (double)n : NAN;
    out->throughput_ips = out->wall_s > 0 ? (double)out->ok / out->wall_s : NAN;
    free(lat);
    return 0;
}

struct tg_row tg_probe_row(const struct tg_probe_result *r, size_t i)
{
    const struct tg_prow *p = &r->rows.v[i];
    bool have = r->ttft_ms && r->stream_cap >= r->rows.n;
    return (struct tg_row){
        .request_id = p->request_id,
        .timestamp_ms = p->timestamp_ms,
        .latency_ms = p->latency_ms,
        .ttft_ms = have ? r->ttft_ms[i] : NAN,
        .tpot_ms = have ? r->tpot_ms[i] : NAN,
        .itl_max_ms = have ? r->itl_max_ms[i] : NAN,
        .output_tokens = -1,
        .status_code = (int16_t)p->status,
        .ok = p->ok,
    };
}

int tg_probe_rows(const struct tg_probe_result *r, struct tg_rows *out)
{
    size_t n = r->rows.n;
    memset(out, 0, sizeof *out);
    out->rows = malloc((n ? n : 1) * sizeof *out->rows);
    if (!out->rows)
        return TG_ENOMEM;
    out->n = out->cap = n;
    out->columns = TG_COL_REQUEST_ID | TG_COL_LATENCY_MS | TG_COL_OK;
    if (r->streamed)   /* as a run's CSV: the columns exist when something streamed */
        out->columns |= TG_COL_TTFT_MS | TG_COL_TPOT_MS | TG_COL_ITL_MAX_MS;
    for (size_t i = 0; i < n; i++)
        out->rows[i] = tg_probe_row(r, i);
    return 0;
}

void tg_probe_result_free(struct tg_probe_result *r)
{
    if (!r)
        return;
    if (r->outputs)
        for (size_t i = 0; i < r->noutputs; i++)
            free(r->outputs[i]);
    free(r->outputs);
    r->outputs = NULL;
    r->noutputs = 0;
    free(r->ttft_ms);
    free(r->tpot_ms);
    free(r->itl_max_ms);
    free(r->itl_gaps);
    r->ttft_ms = r->tpot_ms = r->itl_max_ms = r->itl_gaps = NULL;
    r->stream_cap = r->n_itl_gaps = r->itl_gaps_cap = 0;
    tg_prows_free(&r->rows);
}
