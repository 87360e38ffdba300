#include "server/internal.h"
#include "server/metrics.h"
#include "server/model.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/time.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* socket context of a connection past the limit */
static char over_limit;

static void job_done(struct tg_accel_job *job)
{
    struct req_ctx *c = job->arg;
    struct MHD_Connection *conn = c->conn;
    atomic_store(&c->job_done, 1);
    /* c may be freed by the HTTP thread from here on. */
    MHD_resume_connection(conn);
}

static enum MHD_Result handle_metrics(struct req_ctx *c)
{
    struct tg_server *s = c->srv;
    struct tg_buf b = TG_BUF_INIT(0);
    struct tg_accel_stats st;
    tg_accel_get_stats(s->accel, &st);
    /* The daemon from the connection: s->daemon is written after the HTTP
     * thread starts, so this thread must not read it. */
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c->conn, MHD_CONNECTION_INFO_DAEMON);
    const union MHD_DaemonInfo *di =
        ci ? MHD_get_daemon_info(ci->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS) : NULL;
    unsigned conns = di ? di->num_connections : 0;
    int rc = tg_metrics_write(&s->metrics, &st, conns, &b);
    if (!rc && s->llm) {
        struct tg_llm_stats ls;
        tg_llm_get_stats(s->llm, &ls);
        rc = tg_metrics_write_llm(&ls, TG_LLM_MODEL_NAME, &b);
    }
    if (!rc && s->timer) {
        rc = tg_buf_puts(&b, "# HELP tailgate_faults_injected_total inference requests given "
                             "a --fault\n# TYPE tailgate_faults_injected_total counter\n");
        for (int k = TG_FAULT_NONE + 1; !rc && k < TG_FAULT_KIND_COUNT; k++)
            rc = tg_buf_printf(&b, "tailgate_faults_injected_total{kind=\"%s\"} %llu\n",
                               tg_fault_name((enum tg_fault_kind)k),
                               (unsigned long long)atomic_load(&s->faults[k]));
    }
    if (rc) {
        tg_buf_free(&b);
        return MHD_NO;
    }
    return tg_srv_answer(c, 200, &b, "text/plain; version=0.0.4; charset=utf-8", NULL, 0, 0, 0, 0);
}

/* A dialect's HEALTH or METADATA route: the body is the dialect's
 * server_meta; HEALTH is 503 while draining; a path naming another model
 * than the served one is a 404.  The model server_meta describes is the
 * path's; else the served one when the path is a route the dialect declares
 * (TEI's /info, OpenAI's /v1/models); else "": a path the dialect claims
 * beyond its declared routes that names no model (KServe's server metadata,
 * GET /v2). */
static enum MHD_Result handle_meta(struct req_ctx *c)
{
    struct tg_server *s = c->srv;
    if (c->path_model[0] && strcmp(c->path_model, s->lim.model)) {
        char msg[256];
        snprintf(msg, sizeof msg, "unknown model \"%.64s\" (this server has \"%s\")",
                 c->path_model, s->lim.model);
        return tg_srv_answer_error(c, 404, msg, NULL, NULL);
    }
    if (!c->api->server_meta) /* a generative dialect claiming a GET route it cannot answer */
        return tg_srv_answer_error(c, 404, s->not_found, NULL, NULL);
    if (c->route == ROUTE_HEALTH && atomic_load(&s->draining))
        return tg_srv_answer_error(c, 503, "server is draining (shutting down)", NULL, NULL);
    struct tg_buf b = TG_BUF_INIT(0);
    enum tg_api_route kind = c->route == ROUTE_HEALTH ? TG_API_ROUTE_HEALTH : TG_API_ROUTE_METADATA;
    const char *model = c->path_model[0] ? c->path_model : c->declared ? s->lim.model : "";
    if (c->api->server_meta(&b, kind, model, &s->lim)) {
        tg_buf_free(&b);
        return tg_srv_answer_error(c, 500, "out of memory building the answer", NULL, NULL);
    }
    return tg_srv_answer(c, 200, &b, "application/json", NULL, 0, 0, 0, 0);
}

/* The whole body is in: the dialect parses it, the job is queued, and the
 * answer is built meanwhile (its values do not depend on the schedule). */
static enum MHD_Result handle_body_complete(struct req_ctx *c)
{
    struct tg_server *s = c->srv;
    const struct tg_api *a = c->api;
    char msg[256];
    if (c->too_big) {
        snprintf(msg, sizeof msg, "request body exceeds the limit of %zu bytes", s->cfg.max_body);
        return tg_srv_answer_error(c, 413, msg, NULL, NULL);
    }
    if (tg_srv_is_generative(a))
        return tg_srv_llm_request(c);
    if (a->server_parse(c->body.data ? c->body.data : "", c->body.len, c->path_model, &s->lim,
                        &c->req)) {
        int st = c->req.status;
        if (st < 400 || st > 599) /* a dialect that forgot its status: still an error */
            st = 400;
        return tg_srv_answer_error(c, (unsigned)st, c->req.message[0] ? c->req.message : "bad request",
                            NULL, NULL);
    }
    tg_buf_free(&c->body);
    if (c->req.n == 0 || !c->req.texts) {
        snprintf(msg, sizeof msg, "%s: the request holds no input", a->name);
        return tg_srv_answer_error(c, 400, msg, NULL, NULL);
    }
    if (c->req.n > s->lim.max_batch) { /* the dialects check it; never trust, never crash */
        snprintf(msg, sizeof msg, "batch of %zu inputs exceeds the maximum of %zu", c->req.n,
                 s->lim.max_batch);
        return tg_srv_answer_error(c, 413, msg, NULL, NULL);
    }

    c->job.items = (unsigned)c->req.n;
    c->job.on_done = job_done;
    c->job.arg = c;
    /* Suspend before the job can complete: a resume is only acted on by this
     * thread after the handler returns, so it can never overtake us. */
    MHD_suspend_connection(c->conn);
    tg_srv_set_phase(c, PHASE_QUEUED);
    /* Counted before it can be queued, so a drain never sees a gap. */
    c->counted = 1;
    atomic_fetch_add(&s->inflight, 1);
    c->submit_rc = tg_accel_submit(s->accel, &c->job);
    if (c->submit_rc) {
        atomic_store(&c->job_done, 1);
        MHD_resume_connection(c->conn);
        return MHD_YES;
    }
    /* The same vector for the same text in every dialect: one model, one
     * drift, one rounding; only the writer is the dialect's. */
    double *vecs = malloc(c->req.n * TG_MODEL_DIM * sizeof *vecs);
    if (vecs) {
        tg_model_vectors(c->req.model[0] ? c->req.model : s->lim.model, c->req.texts, c->req.n,
                         s->cfg.batch_drift, vecs);
        if (a->server_write(&c->out, &c->req, vecs, TG_MODEL_DIM))
            tg_buf_free(&c->out); /* answered 500 once the job is done */
        free(vecs);
    }
    tg_api_request_free(&c->req); /* the inputs are no longer needed while queued */
    return MHD_YES;
}

/* Resumed: the accelerator is done with the job (or refused it). */
static enum MHD_Result handle_resumed(struct req_ctx *c)
{
    if (c->llm)
        return tg_srv_llm_resumed(c);
    if (c->submit_rc == TG_EAGAIN)
        return tg_srv_answer_error(c, 429, "queue full: the accelerator has too many pending inputs",
                            "Retry-After", "1");
    if (c->submit_rc || c->job.status)
        return tg_srv_answer_error(c, 503, "server is shutting down", NULL, NULL);
    if (!c->out.data)
        return tg_srv_answer_error(c, 500, "out of memory building the answer", NULL, NULL);
    double qms = (double)(c->job.start_ns - c->job.enqueue_ns) / 1e6;
    struct timing t;
    tg_srv_timing_fill(&t, c->srv, c->api, 1, qms, c->job.compute_ms);
    if (c->fault == TG_FAULT_TRUNCATE || c->fault == TG_FAULT_SLOW)
        return tg_srv_answer_faulty(c, &t, qms);
    return tg_srv_answer(c, 200, &c->out, "application/json", t.h, t.n, c->job.items, qms,
                  c->job.compute_ms);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct tg_server *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        long n = atomic_fetch_add(&s->open_conns, 1) + 1;
        if (n > (long)s->cfg.max_connections)
            *socket_context = &over_limit;
    } else {
        atomic_fetch_sub(&s->open_conns, 1);
    }
}

static int is_over_limit(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci && ci->socket_context == &over_limit;
}

/* Headers are in.  Only an oversized Content-Length is answered now (and the
 * connection closed); everything else waits for the final call, because an
 * answer queued before the request is complete costs the keep-alive. */
static enum MHD_Result first_call(struct tg_server *s, struct req_ctx *c)
{
    if (is_over_limit(c->conn)) {
        char msg[128];
        snprintf(msg, sizeof msg, "too many connections: this server takes %u (--max-connections)",
                 s->cfg.max_connections);
        return tg_srv_answer_error(c, 503, msg, MHD_HTTP_HEADER_CONNECTION, "close");
    }
    if (c->route != ROUTE_INFER || !c->is_post || atomic_load(&s->draining))
        return MHD_YES;
    const char *cl = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        unsigned long long n = strtoull(cl, &end, 10);
        if (n > s->cfg.max_body) {
            char msg[128];
            snprintf(msg, sizeof msg, "request body of %llu bytes exceeds the limit of %zu bytes",
                     n, s->cfg.max_body);
            return tg_srv_answer_error(c, 413, msg, NULL, NULL);
        }
        if (n > 0 && tg_buf_reserve(&c->body, (size_t)n))
            return MHD_NO;
    }
    return MHD_YES;
}

/* The request is complete: route it. */
static enum MHD_Result final_call(struct tg_server *s, struct req_ctx *c, const char *method)
{
    int is_get = !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
    switch (c->route) {
    case ROUTE_NONE:
        return tg_srv_answer_error(c, 404, s->not_found, NULL, NULL);
    case ROUTE_HEALTH:
    case ROUTE_METADATA:
    case ROUTE_METRICS:
        if (!is_get)
            return tg_srv_answer_error(c, 405, "method not allowed (use GET)", MHD_HTTP_HEADER_ALLOW,
                                "GET, HEAD");
        return c->route == ROUTE_METRICS ? handle_metrics(c) : handle_meta(c);
    case ROUTE_INFER:
        break;
    }
    if (!c->is_post)
        return tg_srv_answer_error(c, 405, "method not allowed (use POST)", MHD_HTTP_HEADER_ALLOW, "POST");
    if (atomic_load(&s->draining))
        return tg_srv_answer_error(c, 503, "server is shutting down", NULL, NULL);
    enum MHD_Result ret;
    if (s->timer && tg_srv_inject_early(s, c, &ret))
        return ret;
    return handle_body_complete(c);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct tg_server *s = cls;
    struct req_ctx *c = *con_cls;
    if (!c) {
        c = calloc(1, sizeof *c);
        if (!c)
            return MHD_NO;
        c->srv = s;
        c->conn = conn;
        c->route = tg_srv_route_of(s, c, url);
        c->recv_ns = tg_now_ns();
        c->is_post = !strcmp(method, MHD_HTTP_METHOD_POST);
        c->body.max = s->cfg.max_body;
        *con_cls = c;
        return first_call(s, c);
    }
    if (c->stalled) /* resumed by the fault timer: close */
        return MHD_NO;
    switch (c->phase) {
    case PHASE_RECEIVING:
        if (*upload_data_size) {
            /* Only an inference POST body is kept; others are read and dropped. */
            if (c->route == ROUTE_INFER && c->is_post && !c->too_big &&
                tg_buf_append(&c->body, upload_data, *upload_data_size)) {
                c->too_big = 1;
                tg_buf_free(&c->body);
            }
            *upload_data_size = 0;
            return MHD_YES;
        }
        return final_call(s, c, method);
    case PHASE_QUEUED:
        if (!atomic_load(&c->job_done)) /* spurious call: keep waiting */
            return MHD_YES;
        return handle_resumed(c);
    case PHASE_ANSWERED:
        break;
    }
    *upload_data_size = 0;
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct tg_server *s = cls;
    struct req_ctx *c = *con_cls;
    if (!c)
        return;
    if (c->counted)
        atomic_fetch_sub(&s->inflight, 1);
    if (c->stalled == 1)
        atomic_fetch_sub(&s->stalled, 1);
    tg_srv_llm_completed(c);
    tg_api_request_free(&c->req);
    tg_buf_free(&c->body);
    tg_buf_free(&c->out);
    free(c);
    *con_cls = NULL;
}

static int make_addr(const char *host, unsigned port, struct sockaddr_storage *ss, int *v6)
{
    memset(ss, 0, sizeof *ss);
    if (!strcmp(host, "localhost"))
        host = "127.0.0.1";
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *v6 = 0;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *v6 = 1;
        return 0;
    }
    return TG_EINVAL;
}

int tg_server_new(const struct tg_server_config *cfg, struct tg_server **out)
{
    struct sockaddr_storage ss;
    int v6;
    if (cfg->port > 65535 || make_addr(cfg->host, cfg->port, &ss, &v6))
        return TG_EINVAL;
    if (!(cfg->batch_drift >= 0 && cfg->batch_drift <= TG_MODEL_DRIFT_MAX))
        return TG_EINVAL;
    struct tg_server *s = calloc(1, sizeof *s);
    if (!s)
        return TG_ENOMEM;
    s->cfg = *cfg;
    s->lim = (struct tg_api_server_limits){ TG_MODEL_NAME, cfg->accel.max_batch, TG_MODEL_DIM };
    s->lim_llm = (struct tg_api_server_limits){ TG_LLM_MODEL_NAME, 1, 0 };
    if (tg_srv_pick_dialects(s)) {
        free(s);
        return TG_EINVAL;
    }
    tg_metrics_init(&s->metrics);
    int rc = tg_accel_new(&cfg->accel, &s->accel);
    if (rc)
        goto fail;
    if ((rc = tg_llm_new(&cfg->llm, &s->llm)))
        goto fail;
    if (cfg->fault.any && (rc = tg_fault_timer_new(&s->timer)))
        goto fail;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO;
    if (v6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, on_request, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections + OVERFLOW_CONNECTIONS,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->conn_timeout_s,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096u,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cfg->threads > 1 ? cfg->threads : 0),
        MHD_OPTION_END);
    if (!s->daemon) {
        rc = TG_EIO;
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : cfg->port;
    *out = s;
    return 0;
fail:
    tg_fault_timer_free(s->timer);
    tg_llm_free(s->llm);
    tg_accel_free(s->accel);
    tg_metrics_destroy(&s->metrics);
    free(s);
    return rc;
}

unsigned tg_server_port(const struct tg_server *s) { return s->port; }

static int wait_inflight(struct tg_server *s, uint64_t timeout_ns)
{
    uint64_t deadline = tg_now_ns() + timeout_ns;
    while (atomic_load(&s->inflight) > 0) {
        if (tg_now_ns() >= deadline)
            return TG_ETIMEOUT;
        tg_sleep_ns(5 * TG_NS_PER_MS);
    }
    return 0;
}

/* Resumes every connection a fault suspended (stalled ones close, slow
 * answers end with an error) and refuses new suspensions. */
static void stop_faults(struct tg_server *s)
{
    atomic_store(&s->fault_stop, 1);
    tg_fault_timer_stop(s->timer);
}

int tg_server_drain(struct tg_server *s, uint64_t timeout_ns)
{
    atomic_store(&s->draining, 1);
    stop_faults(s);
    tg_accel_close(s->accel);
    int rc = wait_inflight(s, timeout_ns);
    if (s->cfg.token_log)
        fflush(s->cfg.token_log);
    return rc;
}

void tg_server_free(struct tg_server *s)
{
    if (!s)
        return;
    atomic_store(&s->draining, 1);
    /* Every job still pending completes now (503), which resumes every
     * suspended connection: MHD must not be stopped with one suspended. */
    tg_accel_stop(s->accel);
    tg_llm_stop(s->llm); /* streams still going end with an error, parked ones resumed */
    stop_faults(s);
    wait_inflight(s, TG_NS_PER_S);
    /* Resumed stalled connections close on the HTTP thread's next pass. */
    for (int i = 0; i < 200 && atomic_load(&s->stalled) > 0; i++)
        tg_sleep_ns(5 * TG_NS_PER_MS);
    MHD_stop_daemon(s->daemon);
    if (s->cfg.token_log)
        fflush(s->cfg.token_log);
    tg_fault_timer_free(s->timer);
    tg_llm_free(s->llm);
    tg_accel_free(s->accel);
    tg_metrics_destroy(&s->metrics);
    free(s);
}
