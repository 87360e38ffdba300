/*
 * run_metrics.c - `tailgate run --metrics-listen ADDR:PORT`: the live run as
 * a Prometheus /metrics endpoint (docs/formats.md, "Prometheus exposition").
 *
 * Hot path: every result adds to its worker's own shard of relaxed atomics
 * (one writer per shard, so a load and a store, no locked instruction, no
 * allocation); a scrape sums the shards into a snapshot (output/prom.h).
 * The endpoint is libmicrohttpd (already the server's HTTP library) with its
 * own polling thread: a correct HTTP/1.1 server (keep-alive, HEAD, bad
 * requests) for Prometheus and curl, one thread, nothing on the workers.
 */
#include "cli/run.h"

#include "api/api.h"

#include "core/error.h"
#include "core/redact.h"
#include "core/time.h"
#include "output/prom.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define relaxed memory_order_relaxed
/* One writer per shard: a plain read-modify-write of relaxed atomics. */
#define ADD(field, v) atomic_store_explicit(&(field), atomic_load_explicit(&(field), relaxed) + (v), relaxed)

struct shard_hist {
    _Atomic uint64_t bucket[TG_PROM_MAX_BUCKETS + 1];
    _Atomic uint64_t sum_ns;
};

struct run_shard {
    _Alignas(64) _Atomic uint64_t ok, failed;
    _Atomic uint64_t by_class[TG_ERRC_COUNT];
    _Atomic uint64_t http, bytes_out, bytes_in;
    struct shard_hist lat, ttft, tpot;
    /* the worker's own: the HTTP request last counted (a batch's inputs
     * arrive together and share one request, counted once) */
    uint64_t last_http;
    bool have_last;
};

struct run_metrics {
    struct run_shard *shards;
    size_t nshards;
    const struct tg_engine *engine;
    struct MHD_Daemon *daemon;
    _Atomic uint64_t t0_ns;            /* engine start; 0 before */
    _Atomic bool finished;
    bool streams;
    char token[16], api[64], url[1024];
    char shown[320];                   /* "http://ADDR:PORT/metrics" */
};

static void hist_add(struct shard_hist *h, const double *le, size_t n, uint64_t ns)
{
    ADD(h->bucket[tg_prom_bucket(le, n, (double)ns / 1e9)], 1);
    ADD(h->sum_ns, ns);
}

void tg_run_metrics_record(struct run_shard *s, const struct tg_input_result *r)
{
    if (r->ok) {
        ADD(s->ok, 1);
        hist_add(&s->lat, tg_prom_latency_le, TG_PROM_LATENCY_BUCKETS, r->latency_ns);
        if (r->streamed && r->ttft_ns >= 0)
            hist_add(&s->ttft, tg_prom_latency_le, TG_PROM_LATENCY_BUCKETS, (uint64_t)r->ttft_ns);
        if (r->streamed && r->tpot_ms >= 0)
            hist_add(&s->tpot, tg_prom_tpot_le, TG_PROM_TPOT_BUCKETS, (uint64_t)(r->tpot_ms * 1e6));
    } else {
        ADD(s->failed, 1);
        if (r->errc < TG_ERRC_COUNT)
            ADD(s->by_class[r->errc], 1);
    }
    if (r->sent && !(s->have_last && s->last_http == r->http_request_id)) {
        s->last_http = r->http_request_id;
        s->have_last = true;
        ADD(s->http, 1);
        ADD(s->bytes_out, r->bytes_out);
        ADD(s->bytes_in, r->bytes_in);
    }
}

struct run_shard *tg_run_metrics_shard(struct run_metrics *m, size_t worker)
{
    return m && worker < m->nshards ? &m->shards[worker] : NULL;
}

static void sum_hist(struct tg_prom_hist *out, const struct shard_hist *h)
{
    for (size_t i = 0; i <= TG_PROM_MAX_BUCKETS; i++)
        out->bucket[i] += atomic_load_explicit(&h->bucket[i], relaxed);
    out->sum_s += (double)atomic_load_explicit(&h->sum_ns, relaxed) / 1e9;
}

static void snapshot(struct run_metrics *m, struct tg_prom_snapshot *s)
{
    memset(s, 0, sizeof *s);
    s->run_token = m->token;
    s->api = m->api;
    s->url = m->url;
    uint64_t t0 = atomic_load(&m->t0_ns);
    s->elapsed_s = t0 ? (double)(tg_now_ns() - t0) / 1e9 : 0;
    s->finished = atomic_load(&m->finished);
    s->streams = m->streams;
    for (int c = 1; c < TG_ERRC_COUNT && s->nclasses < TG_PROM_MAX_CLASSES; c++)
        s->class_names[s->nclasses++] = tg_errc_name((enum tg_errc)c);
    for (size_t i = 0; i < m->nshards; i++) {
        const struct run_shard *h = &m->shards[i];
        s->ok += atomic_load_explicit(&h->ok, relaxed);
        s->failed += atomic_load_explicit(&h->failed, relaxed);
        for (int c = 1; c < TG_ERRC_COUNT && c - 1 < TG_PROM_MAX_CLASSES; c++)
            s->class_count[c - 1] += atomic_load_explicit(&h->by_class[c], relaxed);
        s->http_requests += atomic_load_explicit(&h->http, relaxed);
        s->bytes_sent += atomic_load_explicit(&h->bytes_out, relaxed);
        s->bytes_received += atomic_load_explicit(&h->bytes_in, relaxed);
        sum_hist(&s->latency, &h->lat);
        sum_hist(&s->ttft, &h->ttft);
        sum_hist(&s->tpot, &h->tpot);
    }
    s->in_flight = m->engine && !s->finished ? tg_engine_in_flight(m->engine) : 0;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, const char *body,
                             size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload;
    struct run_metrics *m = cls;
    if (!*con_cls) {   /* the head: answer once the (empty) body is in */
        *con_cls = m;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;   /* a body is ignored */
        return MHD_YES;
    }
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "only GET /metrics\n", 18);
    if (strcmp(url, "/metrics"))
        return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", "not found: try /metrics\n", 24);
    struct tg_prom_snapshot s;
    snapshot(m, &s);
    struct tg_buf b = TG_BUF_INIT(1 << 20);
    enum MHD_Result rc;
    if (tg_prom_write(&b, &s) != 0)
        rc = reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", "out of memory\n", 14);
    else
        rc = reply(c, MHD_HTTP_OK, TG_PROM_CONTENT_TYPE, b.data, b.len);
    tg_buf_free(&b);
    return rc;
}

/* "ADDR:PORT", "[V6]:PORT" or ":PORT" (every address).  0 or TG_EINVAL. */
static int listen_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len, char *why, size_t whylen)
{
    char host[256];
    const char *port;
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (!close || close[1] != ':' || (size_t)(close - spec - 1) >= sizeof host) {
            snprintf(why, whylen, "expected [IPV6]:PORT");
            return TG_EINVAL;
        }
        snprintf(host, sizeof host, "%.*s", (int)(close - spec - 1), spec + 1);
        port = close + 2;
    } else {
        const char *colon = strrchr(spec, ':');
        if (!colon || (size_t)(colon - spec) >= sizeof host) {
            snprintf(why, whylen, "expected ADDR:PORT (e.g. 127.0.0.1:9464)");
            return TG_EINVAL;
        }
        snprintf(host, sizeof host, "%.*s", (int)(colon - spec), spec);
        port = colon + 1;
    }
    char *e;
    long p = strtol(port, &e, 10);
    if (!*port || *e || p < 0 || p > 65535) {
        snprintf(why, whylen, "bad port '%s' (0..65535; 0 picks a free one)", port);
        return TG_EINVAL;
    }
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
    struct addrinfo *res = NULL;
    int gr = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (gr || !res) {
        snprintf(why, whylen, "cannot resolve '%s': %s", host, gr ? gai_strerror(gr) : "no address");
        return TG_EINVAL;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

int tg_run_metrics_start(struct run_metrics **out, const struct run_opts *o, const struct tg_engine_config *cfg,
                         const struct tg_engine *engine, char *why, size_t whylen)
{
    struct sockaddr_storage ss;
    socklen_t sl = 0;
    if (listen_addr(o->metrics_listen, &ss, &sl, why, whylen))
        return TG_EINVAL;
    struct run_metrics *m = calloc(1, sizeof *m);
    if (!m)
        goto nomem;
    m->nshards = o->threads;
    size_t bytes = (m->nshards * sizeof *m->shards + 63) / 64 * 64;
    if (!(m->shards = aligned_alloc(64, bytes)))
        goto nomem;
    memset(m->shards, 0, bytes);
    m->engine = engine;
    m->streams = cfg->api && cfg->api->stream_event;
    snprintf(m->token, sizeof m->token, "%s", cfg->request_ids ? cfg->run_token : "");
    snprintf(m->api, sizeof m->api, "%s", cfg->api ? cfg->api->name : "");
    tg_redact_url(o->url, m->url, sizeof m->url);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    m->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                 MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
                                 MHD_OPTION_END);
    if (!m->daemon) {
        snprintf(why, whylen, "cannot listen on %s: %s", o->metrics_listen, errno ? strerror(errno) : "failed");
        tg_run_metrics_free(m);
        return TG_EIO;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = di ? di->port : 0;
    char host[200];
    if (getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, NULL, 0, NI_NUMERICHOST))
        snprintf(host, sizeof host, "?");
    snprintf(m->shown, sizeof m->shown, ss.ss_family == AF_INET6 ? "http://[%s]:%u/metrics" : "http://%s:%u/metrics",
             host, port);
    if (o->metrics_port_file) {
        FILE *f = fopen(o->metrics_port_file, "we");
        if (!f || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0) {
            snprintf(why, whylen, "cannot write %s: %s", o->metrics_port_file, strerror(errno));
            tg_run_metrics_free(m);
            return TG_EIO;
        }
    }
    *out = m;
    return 0;
nomem:
    snprintf(why, whylen, "out of memory");
    if (m)
        free(m->shards);
    free(m);
    return TG_ENOMEM;
}

const char *tg_run_metrics_url(const struct run_metrics *m) { return m->shown; }

void tg_run_metrics_started(struct run_metrics *m, uint64_t t0_ns)
{
    if (m)
        atomic_store(&m->t0_ns, t0_ns ? t0_ns : 1);
}

void tg_run_metrics_finished(struct run_metrics *m)
{
    if (m)
        atomic_store(&m->finished, true);
}

void tg_run_metrics_free(struct run_metrics *m)
{
    if (!m)
        return;
    if (m->daemon)
        MHD_stop_daemon(m->daemon);
    free(m->shards);
    free(m);
}
