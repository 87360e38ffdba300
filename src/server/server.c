#include "server/server.h"
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

/* What a path is: a dialect's INFER / HEALTH / METADATA route, the server's
 * own /metrics, or nothing. */
enum route { ROUTE_NONE, ROUTE_INFER, ROUTE_HEALTH, ROUTE_METADATA, ROUTE_METRICS };

/* The life of one inference request: RECEIVING (body arriving) -> QUEUED
 * (connection suspended, job in the accelerator) -> answered. */
enum phase { PHASE_RECEIVING, PHASE_QUEUED, PHASE_ANSWERED };

/* Dialects served (tg_server_serves), in tg_api_all() order. */
#define MAX_DIALECTS 16

struct tg_server {
    struct tg_server_config cfg;
    struct MHD_Daemon *daemon;
    struct tg_accel *accel;
    struct tg_metrics metrics;
    struct tg_api_server_limits lim;
    const struct tg_api *apis[MAX_DIALECTS];
    size_t napis;
    char not_found[1024];  /* the 404 message, listing every route */
    atomic_int draining;
    atomic_long inflight; /* inference requests accepted into the queue, not yet finished */
    unsigned port;
    /* --fault: the timer resumes stalled and trickling connections. */
    struct tg_fault_timer *timer;  /* NULL without faults */
    atomic_int fault_stop;         /* set before the timer stops: no new suspension */
    atomic_ullong fault_seq;       /* inference requests seen, numbers tg_fault_pick's n */
    atomic_ullong faults[TG_FAULT_KIND_COUNT];
    atomic_long stalled;           /* connections suspended by --fault stall */
    atomic_long open_conns;        /* accepted connections, for the --max-connections 503 */
};

/* Connections past max_connections (up to this many more) are accepted and
 * answered 503 + Connection: close; past that, libmicrohttpd closes them at
 * accept. */
#define OVERFLOW_CONNECTIONS 64u
static char over_limit; /* socket context of a connection past the limit */

struct req_ctx {
    struct tg_server *srv;
    struct MHD_Connection *conn;
    enum route route;
    const struct tg_api *api; /* the dialect owning the path; NULL: /metrics or unknown */
    char path_model[128];     /* the model named by the path ("" when none) */
    int declared;             /* the path is the dialect's health_route or metadata_route */
    enum phase phase;
    int is_post;
    int too_big;
    int submit_rc;           /* tg_accel_submit() result */
    int counted;             /* contributes to srv->inflight */
    enum tg_fault_kind fault; /* injected into this request's answer */
    int stalled;             /* --fault stall: suspended, closed when resumed */
    atomic_int job_done;
    struct tg_buf body;      /* capped at max_body */
    struct tg_buf out;       /* the 200 answer, built while the job is queued */
    struct tg_api_request req;
    struct tg_accel_job job;
};

/* One response header. */
struct hdr {
    const char *name, *value;
};

/* The timing headers of an inference answer: Server-Timing (unless
 * --no-server-timing) and the dialect's own queue/compute headers (TEI's
 * x-queue-time / x-inference-time: integer milliseconds, truncated, as TEI's
 * Duration::as_millis() writes them; always sent, a real TEI does). */
struct timing {
    struct hdr h[3];
    size_t n;
    char st[96], q[24], cpt[24];
};

static void timing_fill(struct timing *t, const struct tg_server *s, const struct tg_api *a,
                        int ok, double qms, double cms)
{
    t->n = 0;
    if (!s->cfg.no_server_timing) {
        snprintf(t->st, sizeof t->st, "queue;dur=%.3f, compute;dur=%.3f", qms, cms);
        t->h[t->n++] = (struct hdr){ "Server-Timing", t->st };
    }
    if (!ok || !a)
        return; /* TEI sends its timing headers with answers only */
    if (a->queue_time_header) {
        snprintf(t->q, sizeof t->q, "%llu", (unsigned long long)(qms > 0 ? qms : 0));
        t->h[t->n++] = (struct hdr){ a->queue_time_header, t->q };
    }
    if (a->compute_time_header) {
        snprintf(t->cpt, sizeof t->cpt, "%llu", (unsigned long long)(cms > 0 ? cms : 0));
        t->h[t->n++] = (struct hdr){ a->compute_time_header, t->cpt };
    }
}

/* The one place a request changes phase: a request only moves forward. */
static void set_phase(struct req_ctx *c, enum phase next)
{
    if (next > c->phase)
        c->phase = next;
}

/* Adds h[0..n) and, while draining, Connection: close unless h sets a
 * Connection header itself. */
static void add_headers(struct tg_server *s, struct MHD_Response *r, const char *ctype,
                        const struct hdr *h, size_t n)
{
    int has_conn = 0;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    for (size_t i = 0; i < n; i++) {
        MHD_add_response_header(r, h[i].name, h[i].value);
        has_conn |= !strcasecmp(h[i].name, MHD_HTTP_HEADER_CONNECTION);
    }
    if (atomic_load(&s->draining) && !has_conn)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
}

/* Queues an answer whose body is b's bytes (ownership passes to MHD) with
 * headers h[0..n). */
static enum MHD_Result answer(struct req_ctx *c, unsigned status, struct tg_buf *b,
                              const char *ctype, const struct hdr *h, size_t n, unsigned items,
                              double qms, double cms)
{
    struct MHD_Response *r;
    if (b->data) {
        r = MHD_create_response_from_buffer(b->len, b->data, MHD_RESPMEM_MUST_FREE);
        if (r)
            *b = (struct tg_buf)TG_BUF_INIT(b->max);
    } else {
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (!r)
        return MHD_NO;
    add_headers(c->srv, r, ctype, h, n);
    enum MHD_Result ret = MHD_queue_response(c->conn, status, r);
    MHD_destroy_response(r);
    set_phase(c, PHASE_ANSWERED);
    tg_metrics_count(&c->srv->metrics, (int)status, c->route == ROUTE_INFER, items, qms, cms);
    return ret;
}

/* The dialect whose error shape c gets: its own, else the server's first
 * (tailgate's: tg_api_all() starts with it). */
static const struct tg_api *error_api(const struct req_ctx *c)
{
    return c->api ? c->api : c->srv->apis[0];
}

/* Messages quote client bytes (a model cut at 64 bytes, a path, jansson's
 * "near '…'"), and a body must be valid JSON whatever the dialect's writer
 * does with them. */
void tg_server_clean_message(char *out, size_t cap, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), o = 0;
    for (size_t i = 0; i < n && o + 1 < cap;) {
        unsigned char c0 = p[i];
        size_t len = c0 < 0x80 ? 1 : c0 >= 0xc2 && c0 <= 0xdf ? 2 : c0 >= 0xe0 && c0 <= 0xef ? 3
                   : c0 >= 0xf0 && c0 <= 0xf4 ? 4 : 0;
        unsigned char lo = c0 == 0xe0 ? 0xa0 : c0 == 0xf0 ? 0x90 : 0x80;
        unsigned char hi = c0 == 0xed ? 0x9f : c0 == 0xf4 ? 0x8f : 0xbf;
        int ok = len > 0 && i + len <= n && o + len < cap;
        for (size_t k = 1; ok && k < len; k++)
            ok = k == 1 ? p[i + 1] >= lo && p[i + 1] <= hi : (p[i + k] & 0xc0) == 0x80;
        if (!ok) {
            out[o++] = '?';
            i++;
            continue;
        }
        memcpy(out + o, p + i, len);
        o += len;
        i += len;
    }
    out[o] = '\0';
}

/* An error answer in the request's dialect, with one optional extra header. */
static enum MHD_Result answer_error(struct req_ctx *c, unsigned status, const char *message,
                                    const char *extra_name, const char *extra_value)
{
    char clean[1024];
    tg_server_clean_message(clean, sizeof clean, message);
    struct tg_buf b = TG_BUF_INIT(0);
    if (error_api(c)->server_error(&b, (int)status, clean)) {
        tg_buf_free(&b);
        return MHD_NO;
    }
    struct timing t = { .n = 0 };
    if (c->route == ROUTE_INFER)
        timing_fill(&t, c->srv, c->api, 0, 0, 0);
    if (extra_name)
        t.h[t.n++] = (struct hdr){ extra_name, extra_value };
    return answer(c, status, &b, "application/json", t.h, t.n, 0, 0, 0);
}

/* ---- fault injection (--fault) ------------------------------------------
 * Everything stays inside libmicrohttpd's life cycle, so MHD still owns and
 * closes every socket:
 *   reset     SO_LINGER {1, 0} on the connection's fd, then MHD_NO: MHD's
 *             close() sends RST
 *   close     MHD_NO: MHD closes (FIN) without a response
 *   garbage   a few non-HTTP bytes written to the fd (nothing else is queued
 *             on it at that point), then MHD_NO
 *   stall     the connection is suspended; the fault timer resumes it at the
 *             idle timeout (or shutdown) and it is then closed
 *   truncate  the real answer from a content-reader callback that declares
 *             the full Content-Length and ends with
 *             MHD_CONTENT_READER_END_WITH_ERROR half-way (MHD closes)
 *   slow      the same reader hands out TG_FAULT_SLOW_PIECES pieces; before
 *             each it suspends the connection and the timer resumes it
 *             TG_FAULT_SLOW_GAP_MS later
 *   status500 a JSON 500 error */
struct fault_body {
    struct tg_server *srv;
    struct MHD_Connection *conn;
    char *data;
    size_t len;      /* bytes of the real answer (the declared Content-Length) */
    size_t limit;    /* bytes actually sent before the error end */
    size_t piece;    /* slow: bytes per piece, else 0 */
    int due;         /* slow: the gap before the next piece has passed */
};

static void resume_conn(void *arg) { MHD_resume_connection(arg); }

/* Suspends conn until at_ns; 0, or TG_ECLOSED when shutting down (then the
 * connection is not suspended). */
static int suspend_until(struct tg_server *s, struct MHD_Connection *conn, uint64_t at_ns)
{
    if (atomic_load(&s->fault_stop))
        return TG_ECLOSED;
    MHD_suspend_connection(conn);
    if (tg_fault_timer_add(s->timer, at_ns, resume_conn, conn)) {
        MHD_resume_connection(conn);
        return TG_ECLOSED;
    }
    return 0;
}

static ssize_t fault_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct fault_body *fb = cls;
    if (pos >= fb->limit || atomic_load(&fb->srv->fault_stop))
        return pos >= fb->len ? MHD_CONTENT_READER_END_OF_STREAM
                              : MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = fb->limit - (size_t)pos;
    if (fb->piece) {
        if (!fb->due) {
            fb->due = 1;
            uint64_t at = tg_now_ns() + TG_FAULT_SLOW_GAP_MS * TG_NS_PER_MS;
            if (suspend_until(fb->srv, fb->conn, at))
                return MHD_CONTENT_READER_END_WITH_ERROR;
            return 0; /* called again once resumed */
        }
        fb->due = 0;
        if (n > fb->piece)
            n = fb->piece;
    }
    if (n > max)
        n = max;
    memcpy(buf, fb->data + pos, n);
    return (ssize_t)n;
}

static void fault_body_free(void *cls)
{
    struct fault_body *fb = cls;
    free(fb->data);
    free(fb);
}

/* The 200 answer in c->out, truncated or trickled. */
static enum MHD_Result answer_faulty(struct req_ctx *c, const struct timing *t, double qms)
{
    struct fault_body *fb = calloc(1, sizeof *fb);
    if (!fb)
        return MHD_NO;
    *fb = (struct fault_body){ .srv = c->srv, .conn = c->conn, .data = c->out.data,
                               .len = c->out.len, .limit = c->out.len };
    if (c->fault == TG_FAULT_TRUNCATE)
        fb->limit = fb->len / 2;
    else
        fb->piece = (fb->len + TG_FAULT_SLOW_PIECES - 1) / TG_FAULT_SLOW_PIECES;
    struct MHD_Response *r =
        MHD_create_response_from_callback(fb->len, 4096, fault_read, fb, fault_body_free);
    if (!r) {
        free(fb);
        return MHD_NO;
    }
    c->out = (struct tg_buf)TG_BUF_INIT(c->out.max); /* the data belongs to fb now */
    add_headers(c->srv, r, "application/json", t->h, t->n);
    enum MHD_Result ret = MHD_queue_response(c->conn, 200, r);
    MHD_destroy_response(r);
    set_phase(c, PHASE_ANSWERED);
    tg_metrics_count(&c->srv->metrics, 200, 1, c->job.items, qms, c->job.compute_ms);
    return ret;
}

static int conn_fd(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    return ci ? ci->connect_fd : -1;
}

/* The request is complete and valid HTTP: misbehave now if this request
 * drew reset/close/garbage/stall/status500.  Returns 1 with *ret set when
 * the fault took over, 0 to carry on (truncate and slow act on the answer). */
static int inject_early(struct tg_server *s, struct req_ctx *c, enum MHD_Result *ret)
{
    uint64_t n = atomic_fetch_add(&s->fault_seq, 1);
    c->fault = tg_fault_pick(&s->cfg.fault, n);
    atomic_fetch_add(&s->faults[c->fault], 1);
    int fd;
    switch (c->fault) {
    case TG_FAULT_RESET:
        fd = conn_fd(c->conn);
        if (fd >= 0) {
            struct linger lg = { 1, 0 };
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        *ret = MHD_NO;
        return 1;
    case TG_FAULT_GARBAGE:
        fd = conn_fd(c->conn);
        if (fd >= 0) {
            static const char junk[] = "\x16\x03\x01 NOT-HTTP \x00\xff\xfe garbage (--fault garbage)\r\n\r\n";
            ssize_t w = send(fd, junk, sizeof junk - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            (void)w; /* best effort: the close follows either way */
        }
        *ret = MHD_NO;
        return 1;
    case TG_FAULT_CLOSE:
        *ret = MHD_NO;
        return 1;
    case TG_FAULT_STALL: {
        uint64_t at = s->cfg.conn_timeout_s
                          ? tg_now_ns() + (uint64_t)s->cfg.conn_timeout_s * TG_NS_PER_S
                          : UINT64_MAX - 1;
        c->stalled = 1;
        if (!suspend_until(s, c->conn, at))
            atomic_fetch_add(&s->stalled, 1);
        else
            c->stalled = 2; /* shutting down: close at once */
        *ret = c->stalled == 2 ? MHD_NO : MHD_YES;
        return 1;
    }
    case TG_FAULT_STATUS500:
        *ret = answer_error(c, 500, "injected fault (tailgate serve --fault status500)", NULL, NULL);
        return 1;
    default:
        return 0;
    }
}

void tg_server_fault_counts(struct tg_server *s, uint64_t out[TG_FAULT_KIND_COUNT])
{
    for (int k = 0; k < TG_FAULT_KIND_COUNT; k++)
        out[k] = atomic_load(&s->faults[k]);
}

static void job_done(struct tg_accel_job *job)
{
    struct req_ctx *c = job->arg;
    struct MHD_Connection *conn = c->conn;
    atomic_store(&c->job_done, 1);
    /* c may be freed by the HTTP thread from here on. */
    MHD_resume_connection(conn);
}

/* Routes url (its query string stripped): /metrics is the server's own;
 * otherwise the first served dialect whose server_route claims the path
 * owns it (c->api, c->path_model). */
static enum route route_of(struct tg_server *s, struct req_ctx *c, const char *url)
{
    char path[1024];
    size_t n = strcspn(url, "?");
    if (n >= sizeof path)
        return ROUTE_NONE; /* longer than any route */
    memcpy(path, url, n);
    path[n] = '\0';
    if (!strcmp(path, "/metrics"))
        return ROUTE_METRICS;
    for (size_t i = 0; i < s->napis; i++) {
        c->path_model[0] = '\0';
        enum tg_api_route k = s->apis[i]->server_route(path, c->path_model, sizeof c->path_model);
        c->path_model[sizeof c->path_model - 1] = '\0';
        if (k == TG_API_ROUTE_NONE)
            continue;
        c->api = s->apis[i];
        c->declared = (c->api->health_route && !strcmp(path, c->api->health_route)) ||
                      (c->api->metadata_route && !strcmp(path, c->api->metadata_route));
        switch (k) {
        case TG_API_ROUTE_INFER: return ROUTE_INFER;
        case TG_API_ROUTE_HEALTH: return ROUTE_HEALTH;
        case TG_API_ROUTE_METADATA: return ROUTE_METADATA;
        default: break;
        }
        c->api = NULL; /* an unknown kind: not a route of this build */
    }
    c->path_model[0] = '\0';
    return ROUTE_NONE;
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
    return answer(c, 200, &b, "text/plain; version=0.0.4; charset=utf-8", NULL, 0, 0, 0, 0);
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
        return answer_error(c, 404, msg, NULL, NULL);
    }
    if (c->route == ROUTE_HEALTH && atomic_load(&s->draining))
        return answer_error(c, 503, "server is draining (shutting down)", NULL, NULL);
    struct tg_buf b = TG_BUF_INIT(0);
    enum tg_api_route kind = c->route == ROUTE_HEALTH ? TG_API_ROUTE_HEALTH : TG_API_ROUTE_METADATA;
    const char *model = c->path_model[0] ? c->path_model : c->declared ? s->lim.model : "";
    if (c->api->server_meta(&b, kind, model, &s->lim)) {
        tg_buf_free(&b);
        return answer_error(c, 500, "out of memory building the answer", NULL, NULL);
    }
    return answer(c, 200, &b, "application/json", NULL, 0, 0, 0, 0);
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
        return answer_error(c, 413, msg, NULL, NULL);
    }
    if (a->server_parse(c->body.data ? c->body.data : "", c->body.len, c->path_model, &s->lim,
                        &c->req)) {
        int st = c->req.status;
        if (st < 400 || st > 599) /* a dialect that forgot its status: still an error */
            st = 400;
        return answer_error(c, (unsigned)st, c->req.message[0] ? c->req.message : "bad request",
                            NULL, NULL);
    }
    tg_buf_free(&c->body);
    if (c->req.n == 0 || !c->req.texts) {
        snprintf(msg, sizeof msg, "%s: the request holds no input", a->name);
        return answer_error(c, 400, msg, NULL, NULL);
    }
    if (c->req.n > s->lim.max_batch) { /* the dialects check it; never trust, never crash */
        snprintf(msg, sizeof msg, "batch of %zu inputs exceeds the maximum of %zu", c->req.n,
                 s->lim.max_batch);
        return answer_error(c, 413, msg, NULL, NULL);
    }

    c->job.items = (unsigned)c->req.n;
    c->job.on_done = job_done;
    c->job.arg = c;
    /* Suspend before the job can complete: a resume is only acted on by this
     * thread after the handler returns, so it can never overtake us. */
    MHD_suspend_connection(c->conn);
    set_phase(c, PHASE_QUEUED);
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
    if (c->submit_rc == TG_EAGAIN)
        return answer_error(c, 429, "queue full: the accelerator has too many pending inputs",
                            "Retry-After", "1");
    if (c->submit_rc || c->job.status)
        return answer_error(c, 503, "server is shutting down", NULL, NULL);
    if (!c->out.data)
        return answer_error(c, 500, "out of memory building the answer", NULL, NULL);
    double qms = (double)(c->job.start_ns - c->job.enqueue_ns) / 1e6;
    struct timing t;
    timing_fill(&t, c->srv, c->api, 1, qms, c->job.compute_ms);
    if (c->fault == TG_FAULT_TRUNCATE || c->fault == TG_FAULT_SLOW)
        return answer_faulty(c, &t, qms);
    return answer(c, 200, &c->out, "application/json", t.h, t.n, c->job.items, qms,
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
        return answer_error(c, 503, msg, MHD_HTTP_HEADER_CONNECTION, "close");
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
            return answer_error(c, 413, msg, NULL, NULL);
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
        return answer_error(c, 404, s->not_found, NULL, NULL);
    case ROUTE_HEALTH:
    case ROUTE_METADATA:
    case ROUTE_METRICS:
        if (!is_get)
            return answer_error(c, 405, "method not allowed (use GET)", MHD_HTTP_HEADER_ALLOW,
                                "GET, HEAD");
        return c->route == ROUTE_METRICS ? handle_metrics(c) : handle_meta(c);
    case ROUTE_INFER:
        break;
    }
    if (!c->is_post)
        return answer_error(c, 405, "method not allowed (use POST)", MHD_HTTP_HEADER_ALLOW, "POST");
    if (atomic_load(&s->draining))
        return answer_error(c, 503, "server is shutting down", NULL, NULL);
    enum MHD_Result ret;
    if (s->timer && inject_early(s, c, &ret))
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
        c->route = route_of(s, c, url);
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

bool tg_server_serves(const struct tg_api *a)
{
    return a && a->server_route && a->server_parse && a->server_write && a->server_error &&
           a->server_meta;
}

/* Appends ", METHOD path" to out (model substituted) when path is set. */
static void add_route(char *out, size_t cap, const char *method, const char *route,
                      const char *model)
{
    char path[256];
    size_t len = strlen(out);
    if (!route || tg_api_path(route, model, path, sizeof path))
        return;
    snprintf(out + len, cap - len, "%s%s %s", len && out[len - 1] != ' ' ? ", " : "", method,
             path);
}

/* The served dialects, and the 404 message that lists their routes. */
static int pick_dialects(struct tg_server *s)
{
    const struct tg_api *const *all = tg_api_all();
    char *m = s->not_found;
    size_t cap = sizeof s->not_found;
    snprintf(m, cap, "unknown path (try ");
    for (size_t i = 0; all[i] && s->napis < MAX_DIALECTS; i++) {
        if (!tg_server_serves(all[i]))
            continue;
        s->apis[s->napis++] = all[i];
        add_route(m, cap, "POST", all[i]->route, s->lim.model);
        add_route(m, cap, "GET", all[i]->health_route, s->lim.model);
        add_route(m, cap, "GET", all[i]->metadata_route, s->lim.model);
    }
    add_route(m, cap, "GET", "/metrics", s->lim.model);
    size_t len = strlen(m);
    snprintf(m + len, cap - len, ")");
    return s->napis ? 0 : TG_EINVAL;
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
    if (pick_dialects(s)) {
        free(s);
        return TG_EINVAL;
    }
    tg_metrics_init(&s->metrics);
    int rc = tg_accel_new(&cfg->accel, &s->accel);
    if (rc)
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
    return wait_inflight(s, timeout_ns);
}

void tg_server_free(struct tg_server *s)
{
    if (!s)
        return;
    atomic_store(&s->draining, 1);
    /* Every job still pending completes now (503), which resumes every
     * suspended connection: MHD must not be stopped with one suspended. */
    tg_accel_stop(s->accel);
    stop_faults(s);
    wait_inflight(s, TG_NS_PER_S);
    /* Resumed stalled connections close on the HTTP thread's next pass. */
    for (int i = 0; i < 200 && atomic_load(&s->stalled) > 0; i++)
        tg_sleep_ns(5 * TG_NS_PER_MS);
    MHD_stop_daemon(s->daemon);
    tg_fault_timer_free(s->timer);
    tg_accel_free(s->accel);
    tg_metrics_destroy(&s->metrics);
    free(s);
}
