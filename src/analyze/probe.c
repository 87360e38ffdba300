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
#include "engine/engine.h"
#include "stats/percentile.h"

#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tg_probe_target_init(struct tg_probe_target *t, const struct tg_api *api, const char *url,
                         const char *payloads,
                         char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    const char *why = NULL;
    if (tg_url_parse(url, &t->url, &why) != 0) {
        char shown[1024];
        snprintf(err, errlen, "bad URL '%s': %s", tg_redact_url(url, shown, sizeof shown), why ? why : "invalid");
        return TG_EINVAL;
    }
    if (t->url.tls) {
        char shown[1024];
        snprintf(err, errlen, "https is not supported by the load engine: %s", tg_redact_url(url, shown, sizeof shown));
        return TG_EINVAL;
    }
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai = NULL;
    char port[8];
    snprintf(port, sizeof port, "%u", t->url.port);
    int g = getaddrinfo(t->url.host, port, &hints, &ai);
    if (g != 0 || !ai) {
        snprintf(err, errlen, "cannot resolve '%s': %s", t->url.host, gai_strerror(g));
        return TG_EINVAL;
    }
    memcpy(&t->addr, ai->ai_addr, ai->ai_addrlen);
    t->addrlen = ai->ai_addrlen;
    freeaddrinfo(ai);
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

void tg_probe_target_free(struct tg_probe_target *t)
{
    if (!t)
        return;
    tg_payloads_free(t->payloads);
    t->payloads = NULL;
}

struct collect {
    struct tg_probe_result *out;
    bool oom;
};

static void on_result(void *ctx, const struct tg_input_result *r)
{
    struct collect *c = ctx;
    struct tg_prow *p = tg_prows_push(&c->out->rows);
    if (!p) {
        c->oom = true;
        return;
    }
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
}

static void on_flush(void *ctx)
{
    (void)ctx;
}

int tg_probe_run(const struct tg_probe_target *t, const struct tg_probe_spec *spec,
                 struct tg_probe_result *out)
{
    static const struct tg_http_kv headers[] = {
        { "User-Agent", "tailgate-probe" },
        { "Content-Type", "application/json" },
    };
    struct collect col = { .out = out };
    void *ctxs[1] = { &col };
    struct tg_engine_config cfg = { 0 };
    cfg.url = t->url;
    cfg.addr = t->addr;
    cfg.addrlen = t->addrlen;
    cfg.payloads = t->payloads;
    cfg.inputs = spec->inputs;
    cfg.duration_ns = spec->start_window_ns;
    cfg.concurrency = spec->concurrency;
    cfg.seed = 1;
    cfg.batch = spec->cfg.batch ? spec->cfg.batch : 1;
    cfg.batch_wait_ns = (uint64_t)(spec->cfg.batch_wait_ms * 1e6);
    cfg.api = t->api;
    cfg.connections = spec->cfg.connections ? spec->cfg.connections : spec->concurrency;
    cfg.keepalive = spec->cfg.keepalive;
    cfg.preconnect = spec->preconnect;
    cfg.headers = headers;
    cfg.nheaders = sizeof headers / sizeof headers[0];
    cfg.timeout_ns = t->timeout_ns;
    cfg.threads = 1;
    cfg.parse_outputs = true;
    cfg.max_response_bytes = 64u << 20;
    cfg.on_result = on_result;
    cfg.on_flush = on_flush;
    cfg.worker_ctx = ctxs;

    struct tg_engine *e = NULL;
    int rc = tg_engine_new(&cfg, &e);
    if (rc)
        return rc;
    uint64_t deadline = spec->deadline_ns ? spec->deadline_ns : spec->start_window_ns * 3 + 10 * TG_NS_PER_S;
    uint64_t t0 = tg_now_ns();
    rc = tg_engine_start(e);
    if (rc) {
        tg_engine_free(e);
        return rc;
    }
    bool stopped = false;
    while (!tg_engine_finished(e)) {
        tg_sleep_ns(2 * 1000 * 1000);
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

void tg_probe_result_free(struct tg_probe_result *r)
{
    if (!r)
        return;
    tg_prows_free(&r->rows);
}
