/*
 * worker.c - one worker: connection and request state machines on a private
 * event loop.
 *
 * Slots are preallocated: an input slot per in-flight input, a request slot
 * per possible HTTP request (at most one per in-flight input), a connection
 * per pool entry, each with a read buffer that grows to the largest response
 * seen (up to a hard cap) and is then reused, so steady state does not call
 * malloc (except jansson when outputs are parsed).
 *
 * Lifecycles (one set_state() each, which stamps the time of every state):
 *   request:    QUEUED -> [CONNECTING -> [HANDSHAKE]] -> WRITING -> WAITING -> READING -> DONE
 *   connection: CLOSED -> CONNECTING -> [HANDSHAKE] -> IDLE <-> WRITING -> WAITING -> READING
 * HANDSHAKE is the TLS handshake of https runs.  All socket I/O, plain or
 * TLS, goes through engine/net.h; a TLS read or write may wait for the other
 * direction (nc.want), so https connections re-arm the loop with what net.c
 * asked for and handle an event of either direction in every state.
 */
#include "engine/worker.h"

#include "api/api.h"
#include "core/error.h"
#include "core/time.h"
#include "engine/net.h"
#include "engine/tls.h"
#include "stats/hist.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define NONE UINT32_MAX
#define HIST_MAX_US (3600ULL * 1000 * 1000)
#define LATE_NS (10 * TG_NS_PER_MS)
#define READ_CHUNK 16384
#define FLUSH_NS (100 * TG_NS_PER_MS)

/* ---- lifecycles ------------------------------------------------------------ */

enum req_state { REQ_FREE, REQ_QUEUED, REQ_CONNECTING, REQ_HANDSHAKE, REQ_WRITING, REQ_WAITING,
                 REQ_READING, REQ_DONE, REQ_NSTATES };
static const char *const req_state_names[REQ_NSTATES] = {
    "free", "queued", "connecting", "handshake", "writing", "waiting", "reading", "done",
};

enum conn_state { CONN_CLOSED, CONN_CONNECTING, CONN_HANDSHAKE, CONN_IDLE, CONN_WRITING, CONN_WAITING,
                  CONN_READING, CONN_NSTATES };
static const char *const conn_state_names[CONN_NSTATES] = {
    "closed", "connecting", "handshake", "idle", "writing", "waiting", "reading",
};

static const char *const errc_names[TG_ERRC_COUNT] = {
    "", "connect", "read", "write", "timeout", "status", "parse", "output", "closed", "interrupted", "tls",
};

const char *tg_errc_name(enum tg_errc c) { return c < TG_ERRC_COUNT ? errc_names[c] : "?"; }

struct input {
    uint64_t id;
    uint32_t payload;
    uint64_t ready_ns;      /* intended start (open loop) or admission (closed) */
    uint64_t start_ns;      /* actual admission */
    uint32_t next_free;
};

struct req {
    enum req_state state;
    uint64_t t[REQ_NSTATES];   /* when each state was entered (0: never) */
    uint64_t http_id;
    uint32_t n;
    uint32_t *inputs;          /* input slots, [batch] */
    uint32_t model;
    bool batched;
    const char *wbuf;          /* bytes to send: prebuilt or wire.data */
    size_t wlen, woff;
    struct tg_buf wire, body;  /* batched requests only */
    uint64_t connect_ns;       /* TCP setup time of the connection opened for it */
    uint64_t tls_ns;           /* TLS handshake time of that connection */
    uint64_t bytes_in;
    int status;
    double sq, sc;
    uint32_t next_free;
};

struct conn {
    struct tg_loop_io io;      /* io.fd == nc.fd while registered */
    struct tg_net_conn nc;
    enum conn_state state;
    uint64_t t[CONN_NSTATES];
    struct worker *w;
    struct req *req;
    struct tg_buf rb;
    bool head;                 /* response head parsed */
    struct tg_http_response resp;
    size_t body_start;         /* offset of the body in rb */
    size_t body_len;           /* decoded body bytes at rb.data + body_start (kept mode) */
    uint64_t body_total;       /* decoded body bytes seen */
    struct tg_http_chunked ch;
    uint64_t deadline_ns;
    uint32_t idle_next;
    bool in_idle;              /* on the idle list (maybe stale: check state) */
    uint32_t index;
};

struct worker {
    struct tg_worker_shared *sh;
    const struct tg_engine_config *cfg;
    uint32_t index, count;
    struct tg_loop *loop;
    struct tg_sched sched;
    struct tg_batcher batcher;
    uint32_t max_in_flight, in_flight;
    struct input *inputs;
    uint32_t free_input;
    struct req *reqs;
    uint32_t nreqs, free_req;
    uint32_t *queue;           /* FIFO of requests waiting for a connection (ring) */
    uint32_t qhead, qlen;
    struct conn *conns;
    uint32_t nconns, open_conns, idle_head, preconnecting;
    uint32_t *take;            /* scratch for batch takes */
    uint64_t http_seq;
    struct tg_loop_timer sched_timer, batch_timer, sweep_timer, flush_timer, end_timer;
    uint64_t sweep_ns;
    struct tg_loop_io stop_io;
    int stop_fd;
    bool interrupted, started, stopping;
    struct worker_stats st;
    _Atomic uint64_t done, failed;
    _Atomic bool finished;
    char detail[192];          /* scratch for one error line */
    /* output extraction context */
    struct req *cur_req;
    uint32_t emitted;
};

static void pump(struct worker *w);
static void conn_on_io(struct tg_loop *l, struct tg_loop_io *io, unsigned ev);
static void conn_close(struct worker *w, struct conn *c);
static void conn_start_write(struct worker *w, struct conn *c);
static enum tg_errc io_error(struct worker *w, struct conn *c, const char *op, int err);

static void req_set_state(struct worker *w, struct req *r, enum req_state s)
{
    r->state = s;
    r->t[s] = tg_loop_now(w->loop);
}

static void conn_set_state(struct worker *w, struct conn *c, enum conn_state s)
{
    c->state = s;
    c->t[s] = tg_loop_now(w->loop);
}

/* ---- rows ------------------------------------------------------------------ */

static int64_t wall_ms_of(uint64_t mono_ns)
{
    /* one REALTIME read per row would do too; this keeps rows consistent with each other */
    static _Thread_local int64_t wall0;
    static _Thread_local uint64_t mono0;
    if (!mono0) {
        mono0 = tg_now_ns();
        wall0 = tg_wall_ms();
    }
    return wall0 + ((int64_t)mono_ns - (int64_t)mono0) / (int64_t)TG_NS_PER_MS;
}

static void record_phase(struct worker *w, int phase, int64_t ns)
{
    if (ns >= 0)
        tg_hist_record(w->st.phase[phase], (uint64_t)ns / 1000);
}

/* Emits input slot i's row (its request r may be NULL) and frees the slot. */
static void finish_input(struct worker *w, uint32_t i, struct req *r, enum tg_errc errc,
                         const char *detail, const char *hash, const char *out, size_t outlen)
{
    struct input *in = &w->inputs[i];
    uint64_t now = tg_loop_now(w->loop);
    struct tg_input_result res = {
        .request_id = in->id,
        .timestamp_ms = wall_ms_of(in->ready_ns),
        .latency_ns = now - in->ready_ns,
        .latency_uncorrected_ns = now - in->start_ns,
        .ok = errc == TG_ERRC_NONE,
        .client_queue_ns = -1, .connect_ns = -1, .tls_ns = -1, .ttfb_ns = -1, .service_ns = -1,
        .server_queue_ms = -1, .server_compute_ms = -1,
        .output_hash = hash, .output_json = out, .output_len = outlen,
        .errc = errc, .error_detail = detail ? detail : "", .worker = w->index,
    };
    if (r) {
        res.sent = true;
        res.http_request_id = r->http_id;
        res.batch_size = r->n;
        res.status = r->status;
        res.bytes_in = r->bytes_in;
        res.server_queue_ms = r->sq;
        res.server_compute_ms = r->sc;
        if (r->t[REQ_WRITING]) {
            uint64_t ws = r->t[REQ_WRITING];
            res.client_queue_ns = (int64_t)(ws - in->ready_ns);
            res.connect_ns = (int64_t)r->connect_ns;
            res.tls_ns = (int64_t)r->tls_ns;
            res.bytes_out = r->woff;
            if (r->t[REQ_READING])
                res.ttfb_ns = (int64_t)(r->t[REQ_READING] - ws);
            if (r->t[REQ_DONE])
                res.service_ns = (int64_t)(r->t[REQ_DONE] - ws);
        }
    }
    w->cfg->on_result(w->cfg->worker_ctx[w->index], &res);

    w->st.inputs++;
    if (res.ok) {
        w->st.ok++;
        tg_hist_record(w->st.latency, res.latency_ns / 1000);
        tg_hist_record(w->st.latency_uncorrected, res.latency_uncorrected_ns / 1000);
        record_phase(w, TG_PHASE_CLIENT_QUEUE, res.client_queue_ns);
        record_phase(w, TG_PHASE_CONNECT, res.connect_ns);
        if (w->cfg->tls)
            record_phase(w, TG_PHASE_TLS, res.tls_ns);
        record_phase(w, TG_PHASE_TTFB, res.ttfb_ns);
        record_phase(w, TG_PHASE_SERVICE, res.service_ns);
        if (res.server_queue_ms >= 0)
            record_phase(w, TG_PHASE_SERVER_QUEUE, (int64_t)(res.server_queue_ms * 1e6));
        if (res.server_compute_ms >= 0)
            record_phase(w, TG_PHASE_SERVER_COMPUTE, (int64_t)(res.server_compute_ms * 1e6));
    } else {
        w->st.by_class[errc]++;
        if (!w->st.first_error[0] && errc != TG_ERRC_INTERRUPTED)
            snprintf(w->st.first_error, sizeof w->st.first_error, "%s", res.error_detail);
        atomic_store_explicit(&w->failed, atomic_load_explicit(&w->failed, memory_order_relaxed) + 1,
                              memory_order_relaxed);
    }
    atomic_store_explicit(&w->done, w->st.inputs, memory_order_relaxed);
    in->next_free = w->free_input;
    w->free_input = i;
    w->in_flight--;
}

void tg_worker_emit_unsent(const struct tg_engine_config *cfg, void *ctx, uint64_t id, uint64_t start_ns)
{
    (void)start_ns;
    /* Never ready: stamped with the time the run stopped, so row-based wall times stay sane. */
    struct tg_input_result res = {
        .request_id = id, .timestamp_ms = tg_wall_ms(), .client_queue_ns = -1, .connect_ns = -1, .tls_ns = -1,
        .ttfb_ns = -1, .service_ns = -1, .server_queue_ms = -1, .server_compute_ms = -1,
        .errc = TG_ERRC_INTERRUPTED, .error_detail = "never started",
    };
    cfg->on_result(ctx, &res);
}

static void req_free(struct worker *w, struct req *r)
{
    r->state = REQ_FREE;
    r->next_free = w->free_req;
    w->free_req = (uint32_t)(r - w->reqs);
}

/* Fails every input of r with one class and frees r. */
static void req_fail(struct worker *w, struct req *r, enum tg_errc errc, const char *detail)
{
    req_set_state(w, r, REQ_DONE);
    r->t[REQ_DONE] = 0;   /* no last byte: service time stays empty */
    for (uint32_t k = 0; k < r->n; k++)
        finish_input(w, r->inputs[k], r, errc, detail, NULL, NULL, 0);
    req_free(w, r);
}

/* ---- connections ----------------------------------------------------------- */

static void conn_reset_parse(struct conn *c)
{
    c->head = false;
    c->body_start = c->body_len = 0;
    c->body_total = 0;
    memset(&c->ch, 0, sizeof c->ch);
    tg_buf_reset(&c->rb);
}

static void conn_close(struct worker *w, struct conn *c)
{
    if (c->state == CONN_CLOSED)
        return;
    tg_loop_del(w->loop, &c->io);
    tg_net_close(&c->nc);
    conn_set_state(w, c, CONN_CLOSED);
    c->req = NULL;
    w->open_conns--;
    conn_reset_parse(c);
}

/* Fails the connection's request (if any) and closes it. */
static void conn_fail(struct worker *w, struct conn *c, enum tg_errc errc, const char *detail)
{
    struct req *r = c->req;
    conn_close(w, c);
    if (r)
        req_fail(w, r, errc, detail);
}

static struct conn *conn_find_closed(struct worker *w)
{
    for (uint32_t i = 0; i < w->nconns; i++)
        if (w->conns[i].state == CONN_CLOSED)
            return &w->conns[i];
    return NULL;
}

/* One preconnect attempt settled; the schedule starts when all have. */
static void preconnect_step(struct worker *w)
{
    if (w->preconnecting && --w->preconnecting == 0)
        tg_loop_stop(w->loop);
}

/* Opens a connection for r (or for the pool when r is NULL: preconnect). */
static void conn_open(struct worker *w, struct conn *c, struct req *r)
{
    const struct tg_engine_config *cfg = w->cfg;
    int fd = -1, err = 0;
    c->req = r;
    w->open_conns++;
    conn_set_state(w, c, CONN_CONNECTING);
    c->deadline_ns = tg_loop_now(w->loop) + cfg->timeout_ns;
    if (r)
        req_set_state(w, r, REQ_CONNECTING);
    enum tg_io st = tg_net_connect((const struct sockaddr *)&cfg->addr, cfg->addrlen, &fd, &err);
    if (st == TG_IO_ERROR) {
        snprintf(w->detail, sizeof w->detail, "connect to %.120s: %s", cfg->url.authority, strerror(err));
        c->state = CONN_IDLE;  /* so that conn_close releases the slot */
        c->io.fd = -1;
        conn_fail(w, c, TG_ERRC_CONNECT, w->detail);
        if (!r)
            preconnect_step(w);
        return;
    }
    int rc = tg_loop_add(w->loop, &c->io, fd, TG_LOOP_WRITE);
    if (rc < 0) {
        close(fd);
        snprintf(w->detail, sizeof w->detail, "epoll: %s", tg_strerror(rc));
        c->state = CONN_IDLE;
        c->io.fd = -1;
        conn_fail(w, c, TG_ERRC_CONNECT, w->detail);
        if (!r)
            preconnect_step(w);
        return;
    }
    c->nc.fd = fd;
    /* Connected at once (TG_IO_OK) or not: the socket reports writable through
     * the loop either way, which avoids re-entering pump() from inside it. */
    w->st.connections_opened++;
}

static void conn_assign(struct worker *w, struct conn *c, struct req *r)
{
    c->req = r;
    r->connect_ns = 0;
    r->tls_ns = 0;
    conn_start_write(w, c);
}

/* The connection is free: give it the next waiting request, or park it. */
static void conn_release(struct worker *w, struct conn *c)
{
    c->req = NULL;
    conn_reset_parse(c);
    if (w->qlen) {
        struct req *r = &w->reqs[w->queue[w->qhead]];
        w->qhead = (w->qhead + 1) % w->nreqs;
        w->qlen--;
        conn_set_state(w, c, CONN_IDLE);
        conn_assign(w, c, r);
        return;
    }
    conn_set_state(w, c, CONN_IDLE);
    /* Watch the idle connection: a server closing it must not be used again. */
    tg_loop_mod(w->loop, &c->io, TG_LOOP_READ);
    if (!c->in_idle) {
        c->in_idle = true;
        c->idle_next = w->idle_head;
        w->idle_head = c->index;
    }
}

static struct conn *conn_pop_idle(struct worker *w)
{
    while (w->idle_head != NONE) {
        struct conn *c = &w->conns[w->idle_head];
        w->idle_head = c->idle_next;
        c->in_idle = false;
        if (c->state == CONN_IDLE && c->io.fd >= 0)
            return c;
    }
    return NULL;
}

static void dispatch(struct worker *w, struct req *r)
{
    w->st.http_requests++;
    req_set_state(w, r, REQ_QUEUED);
    struct conn *c = conn_pop_idle(w);
    if (c) {
        conn_assign(w, c, r);
        return;
    }
    if (w->open_conns < w->nconns && (c = conn_find_closed(w))) {
        conn_open(w, c, r);
        return;
    }
    w->queue[(w->qhead + w->qlen) % w->nreqs] = (uint32_t)(r - w->reqs);
    w->qlen++;
}

/* A connection slot was freed by a close: a waiting request may open a new one. */
static void after_close(struct worker *w)
{
    while (w->qlen && w->open_conns < w->nconns && !w->stopping) {
        struct conn *c = conn_find_closed(w);
        if (!c)
            break;
        struct req *r = &w->reqs[w->queue[w->qhead]];
        w->qhead = (w->qhead + 1) % w->nreqs;
        w->qlen--;
        conn_open(w, c, r);
    }
}

/* ---- writing --------------------------------------------------------------- */

static void conn_do_write(struct worker *w, struct conn *c)
{
    struct req *r = c->req;
    while (r->woff < r->wlen) {
        struct iovec iov = { (void *)(r->wbuf + r->woff), r->wlen - r->woff };
        size_t put = 0;
        int err = 0;
        enum tg_io st = tg_net_writev(&c->nc, &iov, 1, &put, &err);
        if (st == TG_IO_AGAIN) {
            tg_loop_mod(w->loop, &c->io, c->nc.want);
            return;
        }
        if (st == TG_IO_ERROR) {
            enum tg_errc errc = io_error(w, c, "write", err);
            conn_fail(w, c, errc, w->detail);
            after_close(w);
            return;
        }
        r->woff += put;
    }
    w->st.bytes_out += r->wlen;
    req_set_state(w, r, REQ_WAITING);
    conn_set_state(w, c, CONN_WAITING);
    tg_loop_mod(w->loop, &c->io, TG_LOOP_READ);
}

static void conn_start_write(struct worker *w, struct conn *c)
{
    struct req *r = c->req;
    r->woff = 0;
    req_set_state(w, r, REQ_WRITING);
    conn_set_state(w, c, CONN_WRITING);
    c->deadline_ns = tg_loop_now(w->loop) + w->cfg->timeout_ns;
    conn_do_write(w, c);
}

/* ---- TLS ------------------------------------------------------------------- */

/* Fills w->detail for a failed read/write (`op`) and returns its class. */
static enum tg_errc io_error(struct worker *w, struct conn *c, const char *op, int err)
{
    if (err == TG_NET_ETLS) {
        char why[160];
        tg_tls_describe(&c->nc, why, sizeof why);
        snprintf(w->detail, sizeof w->detail, "TLS %s: %.160s", op, why);
        return TG_ERRC_TLS;
    }
    snprintf(w->detail, sizeof w->detail, "%s: %s", op, strerror(err));
    return op[0] == 'r' ? TG_ERRC_READ : TG_ERRC_WRITE;
}

/* One handshake step; on completion the connection carries on like a freshly
 * connected plain one (its request, or the idle pool when preconnecting). */
static void conn_handshake(struct worker *w, struct conn *c)
{
    int err = 0;
    enum tg_io st = tg_net_handshake(&c->nc, &err);
    if (st == TG_IO_AGAIN) {
        tg_loop_mod(w->loop, &c->io, c->nc.want);
        return;
    }
    struct req *r = c->req;
    if (st == TG_IO_ERROR) {
        char why[160];
        bool verify = false;
        if (err == TG_NET_ETLS)
            verify = tg_tls_describe(&c->nc, why, sizeof why);
        else
            snprintf(why, sizeof why, "%s", strerror(err));
        snprintf(w->detail, sizeof w->detail, "TLS handshake with %.40s: %.130s", w->cfg->url.authority, why);
        if (r && !w->st.first_tls_error[0]) {
            snprintf(w->st.first_tls_error, sizeof w->st.first_tls_error, "%s", why);
            w->st.tls_verify_failed = verify;
        }
        conn_fail(w, c, TG_ERRC_TLS, w->detail);
        if (!r)
            preconnect_step(w);
        after_close(w);
        return;
    }
    /* Fresh time: the whole handshake can complete inside one SSL_connect()
     * call (the server's flight already arrived when OpenSSL reads after
     * sending the ClientHello), so the event's time would say 0. */
    uint64_t hs = tg_loop_update_now(w->loop) - c->t[CONN_HANDSHAKE];
    w->st.tls_handshakes++;
    tg_hist_record(w->st.tls_handshake, hs / 1000);
    if (!w->st.tls_protocol[0]) {
        snprintf(w->st.tls_protocol, sizeof w->st.tls_protocol, "%s", tg_tls_protocol(&c->nc));
        snprintf(w->st.tls_cipher, sizeof w->st.tls_cipher, "%s", tg_tls_cipher(&c->nc));
    }
    if (r) {
        r->tls_ns = hs;
        conn_start_write(w, c);
    } else {
        conn_release(w, c);
        preconnect_step(w);
    }
}

/* TCP is connected: start TLS on it. */
static void conn_start_handshake(struct worker *w, struct conn *c)
{
    conn_set_state(w, c, CONN_HANDSHAKE);
    if (c->req)
        req_set_state(w, c->req, REQ_HANDSHAKE);
    if (tg_tls_attach(w->cfg->tls, &c->nc, w->cfg->url.host) != 0) {
        bool had_req = c->req != NULL;
        snprintf(w->detail, sizeof w->detail, "TLS: out of memory setting up the connection");
        conn_fail(w, c, TG_ERRC_TLS, w->detail);
        if (!had_req)
            preconnect_step(w);
        after_close(w);
        return;
    }
    conn_handshake(w, c);
}

/* An idle TLS connection became readable: post-handshake messages (TLS 1.3
 * session tickets) are consumed and it stays idle; application data, EOF or
 * an error mean the server is done with it.  True: still usable. */
static bool idle_tls_quiet(struct worker *w, struct conn *c)
{
    char scratch[512];
    size_t got = 0;
    int err = 0;
    enum tg_io st = tg_net_read(&c->nc, scratch, sizeof scratch, &got, &err);
    if (st != TG_IO_AGAIN)
        return false;
    tg_loop_mod(w->loop, &c->io, c->nc.want);
    return true;
}

/* ---- reading --------------------------------------------------------------- */

static int on_output(void *ctx, size_t i, const char *canon, size_t len, const char *hex)
{
    struct worker *w = ctx;
    struct req *r = w->cur_req;
    /* Outputs arrive in input order; the split reports an error before any
     * output when the count is wrong, so emitted == i here. */
    finish_input(w, r->inputs[i], r, TG_ERRC_NONE, NULL, hex, w->cfg->keep_outputs ? canon : NULL, len);
    w->emitted++;
    return 0;
}

/* A complete response for c->req: report its inputs, then reuse or close c. */
static void conn_response_done(struct worker *w, struct conn *c, size_t leftover)
{
    const struct tg_engine_config *cfg = w->cfg;
    struct req *r = c->req;
    struct tg_http_response *resp = &c->resp;
    req_set_state(w, r, REQ_DONE);
    r->status = resp->status;
    r->sq = resp->server_queue_ms;
    r->sc = resp->server_compute_ms;
    w->st.bytes_in += r->bytes_in;
    /* Bytes past the response, on the socket or still inside OpenSSL, make the connection unusable. */
    bool extra = leftover != 0 || (c->nc.ssl && tg_net_pending(&c->nc));
    bool reuse = cfg->keepalive && resp->keep_alive && !extra &&
                 resp->body_kind != TG_HTTP_BODY_UNTIL_CLOSE && !w->stopping;
    if (resp->status < 200 || resp->status > 299) {
        snprintf(w->detail, sizeof w->detail, "HTTP %d %.*s", resp->status,
                 (int)(resp->reason_len > 60 ? 60 : resp->reason_len), resp->reason ? resp->reason : "");
        for (uint32_t k = 0; k < r->n; k++)
            finish_input(w, r->inputs[k], r, TG_ERRC_STATUS, w->detail, NULL, NULL, 0);
    } else if (!cfg->parse_outputs) {
        for (uint32_t k = 0; k < r->n; k++)
            finish_input(w, r->inputs[k], r, TG_ERRC_NONE, NULL, NULL, NULL, 0);
    } else {
        w->cur_req = r;
        w->emitted = 0;
        int rc = cfg->api->split(c->rb.data + c->body_start, c->body_len, r->batched, r->n,
                                 on_output, w, w->detail, sizeof w->detail);
        if (rc) {
            if (rc == TG_ENOMEM)
                snprintf(w->detail, sizeof w->detail, "out of memory hashing outputs");
            for (uint32_t k = w->emitted; k < r->n; k++)
                finish_input(w, r->inputs[k], r, TG_ERRC_OUTPUT, w->detail, NULL, NULL, 0);
        }
    }
    req_free(w, r);
    c->req = NULL;
    if (reuse) {
        conn_release(w, c);
    } else {
        conn_close(w, c);
        after_close(w);
    }
}

/* Consumes what is in c->rb.  Returns true when the response is complete. */
static bool conn_parse(struct worker *w, struct conn *c, size_t *leftover)
{
    bool keep = w->cfg->parse_outputs;
    if (!c->head) {
        int n = tg_http_parse_response_head(c->rb.data, c->rb.len, false, &c->resp);
        if (n == TG_EPARTIAL)
            return false;
        if (n < 0) {
            snprintf(w->detail, sizeof w->detail, "malformed response head: %s", tg_strerror(n));
            conn_fail(w, c, TG_ERRC_PARSE, w->detail);
            after_close(w);
            return false;
        }
        c->head = true;
        c->body_start = (size_t)n;
        if (c->resp.status >= 100 && c->resp.status < 200) {
            /* 1xx interim response: drop it and parse what follows */
            tg_buf_consume(&c->rb, (size_t)n);
            c->head = false;
            return conn_parse(w, c, leftover);
        }
        if (!keep) {
            /* only the head's values are needed from here on */
            tg_buf_consume(&c->rb, (size_t)n);
            c->body_start = 0;
        }
    }
    size_t raw_off = c->body_start + c->body_len;
    size_t raw = c->rb.len - raw_off;
    switch (c->resp.body_kind) {
    case TG_HTTP_BODY_NONE:
        *leftover = raw;
        return true;
    case TG_HTTP_BODY_UNTIL_CLOSE:
        c->body_len += raw;
        c->body_total += raw;
        if (!keep) {
            c->rb.len = c->body_start;
            c->body_len = 0;
        }
        return false;
    case TG_HTTP_BODY_LENGTH: {
        uint64_t need = c->resp.content_length - c->body_total;
        size_t take = raw < need ? raw : (size_t)need;
        c->body_total += take;
        c->body_len += take;
        *leftover = raw - take;
        if (!keep) {
            c->rb.len = c->body_start;
            c->body_len = 0;
        }
        return c->body_total == c->resp.content_length;
    }
    case TG_HTTP_BODY_CHUNKED: {
        size_t len = raw;
        long rc = tg_http_decode_chunked(&c->ch, c->rb.data + raw_off, &len);
        if (rc < 0 && rc != TG_EPARTIAL) {
            snprintf(w->detail, sizeof w->detail, "malformed chunked body: %s", tg_strerror((int)rc));
            conn_fail(w, c, TG_ERRC_PARSE, w->detail);
            after_close(w);
            return false;
        }
        c->body_len += len;
        c->body_total += len;
        c->rb.len = raw_off + len;
        if (!keep) {
            c->rb.len = c->body_start;
            c->body_len = 0;
        }
        if (rc == TG_EPARTIAL)
            return false;
        *leftover = (size_t)rc;
        return true;
    }
    }
    return false;
}

static void conn_do_read(struct worker *w, struct conn *c)
{
    size_t cap = w->cfg->max_response_bytes;
    for (;;) {
        size_t room = cap > c->rb.len ? cap - c->rb.len : 0;
        if (room > READ_CHUNK)
            room = READ_CHUNK;
        if (room == 0 || tg_buf_reserve(&c->rb, room) != 0) {
            snprintf(w->detail, sizeof w->detail, "response larger than %zu bytes", cap);
            conn_fail(w, c, TG_ERRC_PARSE, w->detail);
            after_close(w);
            return;
        }
        size_t got = 0;
        int err = 0;
        enum tg_io st = tg_net_read(&c->nc, c->rb.data + c->rb.len, c->rb.cap - c->rb.len - 1, &got, &err);
        if (st == TG_IO_AGAIN) {
            /* Over TLS every byte OpenSSL buffered was consumed by the loop
             * above, so waiting for the socket is right; it may want writable. */
            if (c->nc.ssl)
                tg_loop_mod(w->loop, &c->io, c->nc.want);
            return;
        }
        struct req *r = c->req;
        if (st == TG_IO_ERROR) {
            enum tg_errc errc = io_error(w, c, "read", err);
            conn_fail(w, c, errc, w->detail);
            after_close(w);
            return;
        }
        if (got == 0) {
            if (c->head && c->resp.body_kind == TG_HTTP_BODY_UNTIL_CLOSE) {
                conn_response_done(w, c, 0);
                return;
            }
            snprintf(w->detail, sizeof w->detail, "connection closed by peer after %" PRIu64 " response bytes",
                     r->bytes_in);
            conn_fail(w, c, TG_ERRC_CLOSED, w->detail);
            after_close(w);
            return;
        }
        if (r->state == REQ_WAITING) {
            req_set_state(w, r, REQ_READING);
            conn_set_state(w, c, CONN_READING);
        }
        r->bytes_in += got;
        c->rb.len += got;
        c->rb.data[c->rb.len] = '\0';
        size_t leftover = 0;
        if (conn_parse(w, c, &leftover)) {
            r->bytes_in -= leftover;
            conn_response_done(w, c, leftover);
            return;
        }
        if (c->state == CONN_CLOSED)
            return;
    }
}

static void conn_on_io(struct tg_loop *l, struct tg_loop_io *io, unsigned ev)
{
    struct conn *c = io->arg;
    struct worker *w = c->w;
    /* Events of one round are handled one after the other (parsing and hashing
     * outputs takes time): stamp each with its own time, not the round's. */
    tg_loop_update_now(l);
    switch (c->state) {
    case CONN_CONNECTING: {
        int err = 0;
        if (tg_net_connect_result(c->io.fd, &err) != TG_IO_OK) {
            if (!(ev & TG_LOOP_ERROR) && err == 0)
                return;  /* spurious wake-up: still connecting */
            snprintf(w->detail, sizeof w->detail, "connect to %.120s: %s", w->cfg->url.authority, strerror(err));
            struct req *r = c->req;
            conn_close(w, c);
            if (r)
                req_fail(w, r, TG_ERRC_CONNECT, w->detail);
            if (!r)
                preconnect_step(w);
            after_close(w);
            break;
        }
        uint64_t setup = tg_loop_now(w->loop) - c->t[CONN_CONNECTING];
        if (c->req)
            c->req->connect_ns = setup;
        if (w->cfg->tls) {
            conn_start_handshake(w, c);
            break;
        }
        if (c->req) {
            conn_start_write(w, c);
        } else {
            conn_release(w, c);
            preconnect_step(w);
        }
        break;
    }
    case CONN_HANDSHAKE:
        conn_handshake(w, c);
        break;
    case CONN_IDLE: {
        if (c->nc.ssl && idle_tls_quiet(w, c))
            break;
        /* data or EOF on an idle connection: the server closed it (or misbehaved) */
        conn_close(w, c);
        after_close(w);
        break;
    }
    case CONN_WRITING:
        if (ev & (TG_LOOP_WRITE | TG_LOOP_ERROR) || c->nc.ssl)
            conn_do_write(w, c);
        break;
    case CONN_WAITING:
    case CONN_READING:
        if (ev & (TG_LOOP_READ | TG_LOOP_ERROR) || c->nc.ssl)
            conn_do_read(w, c);
        break;
    case CONN_CLOSED:
    case CONN_NSTATES:
        break;
    }
    pump(w);
}

/* ---- admission and batching ------------------------------------------------ */

static struct req *req_alloc(struct worker *w)
{
    uint32_t i = w->free_req;
    if (i == NONE)
        return NULL;   /* cannot happen: one request slot per input slot */
    struct req *r = &w->reqs[i];
    w->free_req = r->next_free;
    memset(r->t, 0, sizeof r->t);
    r->n = 0;
    r->bytes_in = 0;
    r->status = 0;
    r->sq = r->sc = -1;
    r->connect_ns = 0;
    r->tls_ns = 0;
    r->woff = 0;
    r->http_id = w->http_seq++ * w->count + w->index;
    return r;
}

static void send_single(struct worker *w, uint32_t slot)
{
    struct req *r = req_alloc(w);
    struct input *in = &w->inputs[slot];
    r->inputs[0] = slot;
    r->n = 1;
    r->batched = false;
    r->wbuf = w->sh->prebuilt[in->payload].data;
    r->wlen = w->sh->prebuilt[in->payload].len;
    dispatch(w, r);
}

static void send_batch(struct worker *w, uint32_t model)
{
    const struct tg_engine_config *cfg = w->cfg;
    uint32_t n = tg_batcher_take(&w->batcher, model, w->take);
    if (!n)
        return;
    struct req *r = req_alloc(w);
    memcpy(r->inputs, w->take, n * sizeof *r->inputs);
    r->n = n;
    r->batched = true;
    r->model = model;
    const char *items[n];
    size_t lens[n];
    for (uint32_t k = 0; k < n; k++) {
        const struct tg_payload *pl = &cfg->payloads->items[w->inputs[w->take[k]].payload];
        items[k] = pl->item;
        lens[k] = pl->item_len;
    }
    tg_buf_reset(&r->body);
    tg_buf_reset(&r->wire);
    int rc = cfg->api->build_batch(&r->body, cfg->payloads->groups[model], items, lens, n);
    if (!rc)
        rc = tg_http_write_request(&r->wire, "POST", &cfg->url, cfg->headers, cfg->nheaders,
                                   r->body.data, r->body.len, cfg->keepalive);
    if (rc) {
        w->st.http_requests++;
        req_fail(w, r, TG_ERRC_WRITE, "out of memory building the batch request");
        return;
    }
    r->wbuf = r->wire.data;
    r->wlen = r->wire.len;
    dispatch(w, r);
}

static void admit(struct worker *w, uint64_t id, uint64_t intended)
{
    uint32_t slot = w->free_input;
    struct input *in = &w->inputs[slot];
    w->free_input = in->next_free;
    w->in_flight++;
    uint64_t now = tg_loop_now(w->loop);
    in->id = id;
    in->payload = (uint32_t)(id % w->cfg->payloads->n);
    in->ready_ns = intended;
    in->start_ns = now;
    if (w->sched.open) {
        uint64_t lag = now > intended ? now - intended : 0;
        w->st.lag_sum_ns += (double)lag;
        if (lag > w->st.max_lag_ns)
            w->st.max_lag_ns = lag;
        if (lag > LATE_NS)
            w->st.late_inputs++;
    }
    if (w->cfg->batch <= 1) {
        send_single(w, slot);
        return;
    }
    uint32_t model = w->cfg->payloads->items[in->payload].group;
    if (tg_batcher_add(&w->batcher, model, slot, intended))
        send_batch(w, model);
}

static void finish_worker(struct worker *w)
{
    tg_loop_stop(w->loop);
}

static void pump(struct worker *w)
{
    if (w->stopping || !w->started)
        return;
    uint64_t now = tg_loop_update_now(w->loop);
    for (;;) {
        uint64_t id = 0, intended = 0, wake = 0;
        enum tg_sched_res r = tg_sched_poll(&w->sched, now, w->in_flight, &id, &intended, &wake);
        if (r == TG_SCHED_ADMIT) {
            admit(w, id, intended);
            continue;
        }
        if (r == TG_SCHED_WAIT && wake && (!tg_loop_timer_armed(&w->sched_timer) ||
                                           w->sched_timer.deadline_ns != wake))
            tg_loop_timer_start(w->loop, &w->sched_timer, wake);
        break;
    }
    if (w->cfg->batch > 1 && w->batcher.pending) {
        int m;
        /* With the schedule done, nothing more will join a partial batch. */
        while ((m = tg_batcher_due(&w->batcher, w->sched.done ? UINT64_MAX : now)) >= 0)
            send_batch(w, (uint32_t)m);
        uint64_t d = tg_batcher_next_deadline(&w->batcher);
        if (d != UINT64_MAX && (!tg_loop_timer_armed(&w->batch_timer) || w->batch_timer.deadline_ns != d))
            tg_loop_timer_start(w->loop, &w->batch_timer, d);
    }
    if (w->sched.done && w->in_flight == 0)
        finish_worker(w);
}

/* ---- timers and stop ------------------------------------------------------- */

static void on_pump_timer(struct tg_loop *l, struct tg_loop_timer *t)
{
    (void)l;
    pump(t->arg);
}

static void on_sweep(struct tg_loop *l, struct tg_loop_timer *t)
{
    struct worker *w = t->arg;
    uint64_t now = tg_loop_now(l);
    for (uint32_t i = 0; i < w->nconns; i++) {
        struct conn *c = &w->conns[i];
        if (c->state == CONN_CLOSED || c->state == CONN_IDLE || c->deadline_ns > now)
            continue;
        snprintf(w->detail, sizeof w->detail, "timeout after %" PRIu64 " ms (connection %s, request %s)",
                 (uint64_t)(w->cfg->timeout_ns / TG_NS_PER_MS), conn_state_names[c->state],
                 c->req ? req_state_names[c->req->state] : "none");
        enum tg_errc errc = TG_ERRC_TIMEOUT;
        struct req *r = c->req;
        conn_close(w, c);
        if (r)
            req_fail(w, r, errc, w->detail);
        else
            preconnect_step(w);
        after_close(w);
    }
    tg_loop_timer_start(l, t, now + w->sweep_ns);
    pump(w);
}

static void on_flush(struct tg_loop *l, struct tg_loop_timer *t)
{
    struct worker *w = t->arg;
    if (w->cfg->on_flush)
        w->cfg->on_flush(w->cfg->worker_ctx[w->index]);
    tg_loop_timer_start(l, t, tg_loop_now(l) + FLUSH_NS);
}

/* SIGINT/SIGTERM: fail everything in flight or waiting as interrupted. */
static void on_stop(struct tg_loop *l, struct tg_loop_io *io, unsigned ev)
{
    (void)ev;
    struct worker *w = io->arg;
    uint64_t v;
    if (read(w->stop_fd, &v, sizeof v) < 0 && errno == EAGAIN)
        return;
    w->interrupted = true;
    w->stopping = true;
    tg_sched_stop(&w->sched);
    tg_loop_update_now(l);
    const char *why = "interrupted (SIGINT/SIGTERM) while in flight";
    for (uint32_t i = 0; i < w->nconns; i++) {
        struct conn *c = &w->conns[i];
        struct req *r = c->req;
        conn_close(w, c);
        if (r)
            req_fail(w, r, TG_ERRC_INTERRUPTED, why);
    }
    while (w->qlen) {
        struct req *r = &w->reqs[w->queue[w->qhead]];
        w->qhead = (w->qhead + 1) % w->nreqs;
        w->qlen--;
        req_fail(w, r, TG_ERRC_INTERRUPTED, why);
    }
    for (size_t m = 0; m < w->batcher.ngroups && w->cfg->batch > 1; m++) {
        uint32_t n = tg_batcher_take(&w->batcher, (uint32_t)m, w->take);
        for (uint32_t k = 0; k < n; k++)
            finish_input(w, w->take[k], NULL, TG_ERRC_INTERRUPTED, "interrupted before it was sent", NULL, NULL, 0);
    }
    finish_worker(w);
}

static void on_end(struct tg_loop *l, struct tg_loop_timer *t)
{
    (void)l;
    pump(t->arg);
}

/* ---- lifecycle --------------------------------------------------------------- */

static uint32_t share(uint32_t total, uint32_t index, uint32_t count)
{
    return total / count + (index < total % count ? 1 : 0);
}

struct worker *tg_worker_new(struct tg_worker_shared *sh, uint32_t index, uint32_t count)
{
    const struct tg_engine_config *cfg = sh->cfg;
    struct worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->sh = sh;
    w->cfg = cfg;
    w->index = index;
    w->count = count;
    w->stop_fd = -1;
    w->idle_head = NONE;
    w->max_in_flight = share(cfg->concurrency, index, count);
    if (w->max_in_flight == 0)
        w->max_in_flight = 1;
    w->nconns = share(cfg->connections, index, count);
    if (w->nconns == 0)
        w->nconns = 1;
    w->nreqs = w->max_in_flight;
    uint32_t b = cfg->batch ? cfg->batch : 1;
    if (!(w->loop = tg_loop_new()))
        goto fail;
    w->inputs = calloc(w->max_in_flight, sizeof *w->inputs);
    w->reqs = calloc(w->nreqs, sizeof *w->reqs);
    w->queue = calloc(w->nreqs, sizeof *w->queue);
    w->conns = calloc(w->nconns, sizeof *w->conns);
    w->take = calloc(b, sizeof *w->take);
    if (!w->inputs || !w->reqs || !w->queue || !w->conns || !w->take)
        goto fail;
    for (uint32_t i = 0; i < w->max_in_flight; i++)
        w->inputs[i].next_free = i + 1 < w->max_in_flight ? i + 1 : NONE;
    w->free_input = 0;
    for (uint32_t i = 0; i < w->nconns; i++) {
        struct conn *c = &w->conns[i];
        c->w = w;
        c->index = i;
        c->nc.fd = -1;
        c->rb = (struct tg_buf)TG_BUF_INIT(cfg->max_response_bytes + 1);
        tg_loop_io_init(&c->io, conn_on_io, c);   /* rb grows on first use, then is reused */
    }
    for (uint32_t i = 0; i < w->nreqs; i++) {
        struct req *r = &w->reqs[i];
        r->next_free = i + 1 < w->nreqs ? i + 1 : NONE;
        r->wire = (struct tg_buf)TG_BUF_INIT(0);
        r->body = (struct tg_buf)TG_BUF_INIT(0);
        if (!(r->inputs = calloc(b, sizeof *r->inputs)))
            goto fail;
    }
    w->free_req = 0;
    if (b > 1 && tg_batcher_init(&w->batcher, cfg->payloads->ngroups, b, cfg->batch_wait_ns) != 0)
        goto fail;
    w->st.latency = tg_hist_new(HIST_MAX_US);
    w->st.latency_uncorrected = tg_hist_new(HIST_MAX_US);
    if (!w->st.latency || !w->st.latency_uncorrected)
        goto fail;
    for (int p = 0; p < TG_PHASE_COUNT; p++)
        if (!(w->st.phase[p] = tg_hist_new(HIST_MAX_US)))
            goto fail;
    if (!(w->st.tls_handshake = tg_hist_new(HIST_MAX_US)))
        goto fail;
    w->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->stop_fd < 0)
        goto fail;
    tg_loop_io_init(&w->stop_io, on_stop, w);
    if (tg_loop_add(w->loop, &w->stop_io, w->stop_fd, TG_LOOP_READ) < 0)
        goto fail;
    tg_loop_timer_init(&w->sched_timer, on_pump_timer, w);
    tg_loop_timer_init(&w->batch_timer, on_pump_timer, w);
    tg_loop_timer_init(&w->sweep_timer, on_sweep, w);
    tg_loop_timer_init(&w->flush_timer, on_flush, w);
    tg_loop_timer_init(&w->end_timer, on_end, w);
    w->sweep_ns = cfg->timeout_ns / 20;
    if (w->sweep_ns > 100 * TG_NS_PER_MS)
        w->sweep_ns = 100 * TG_NS_PER_MS;
    if (w->sweep_ns < TG_NS_PER_MS)
        w->sweep_ns = TG_NS_PER_MS;
    return w;
fail:
    tg_worker_free(w);
    return NULL;
}

void tg_worker_free(struct worker *w)
{
    if (!w)
        return;
    if (w->conns)
        for (uint32_t i = 0; i < w->nconns; i++) {
            tg_net_close(&w->conns[i].nc);
            tg_buf_free(&w->conns[i].rb);
        }
    if (w->reqs)
        for (uint32_t i = 0; i < w->nreqs; i++) {
            free(w->reqs[i].inputs);
            tg_buf_free(&w->reqs[i].wire);
            tg_buf_free(&w->reqs[i].body);
        }
    if (w->cfg->batch > 1)
        tg_batcher_free(&w->batcher);
    tg_hist_free(w->st.latency);
    tg_hist_free(w->st.latency_uncorrected);
    for (int p = 0; p < TG_PHASE_COUNT; p++)
        tg_hist_free(w->st.phase[p]);
    tg_hist_free(w->st.tls_handshake);
    if (w->stop_fd >= 0)
        close(w->stop_fd);
    tg_loop_free(w->loop);
    free(w->inputs);
    free(w->reqs);
    free(w->queue);
    free(w->conns);
    free(w->take);
    free(w);
}

/* Returns the end of the schedule (UINT64_MAX: none). */
static uint64_t init_sched(struct worker *w, uint64_t now)
{
    const struct tg_engine_config *cfg = w->cfg;
    /* Preconnect delays the start; otherwise all workers share one start. */
    uint64_t start = cfg->preconnect ? now : w->sh->start_ns;
    uint64_t end = cfg->duration_ns ? start + cfg->duration_ns : UINT64_MAX;
    if (cfg->rate > 0)
        tg_sched_init_open(&w->sched, cfg->rate / w->count, cfg->arrival, cfg->seed, start,
                           w->max_in_flight, cfg->inputs, end, w->index, w->count);
    else
        tg_sched_init_closed(&w->sched, w->max_in_flight, cfg->inputs, end,
                             w->count > 1 ? &w->sh->next_id : NULL);
    return end;
}

int tg_worker_run(struct worker *w)
{
    const struct tg_engine_config *cfg = w->cfg;
    struct tg_loop *l = w->loop;
    uint64_t now = tg_loop_update_now(l);
    (void)wall_ms_of(now);
    tg_loop_timer_start(l, &w->sweep_timer, now + w->sweep_ns);
    tg_loop_timer_start(l, &w->flush_timer, now + FLUSH_NS);
    if (cfg->preconnect) {
        for (uint32_t i = 0; i < w->nconns; i++) {
            w->preconnecting++;
            conn_open(w, &w->conns[i], NULL);
        }
    }
    /* Initialised before preconnect so that an interrupt during it still
     * knows which inputs were never started; re-initialised (nothing claimed
     * yet) once the schedule really starts. */
    init_sched(w, now);
    /* The schedule starts after preconnect (if any) has settled. */
    int rc = 0;
    while (w->preconnecting && !w->stopping) {
        w->started = false;
        if ((rc = tg_loop_run(l)) != 0 || !w->preconnecting)
            break;
    }
    if (!w->stopping && rc == 0) {
        now = tg_loop_update_now(l);
        uint64_t end = init_sched(w, now);
        if (end != UINT64_MAX)
            tg_loop_timer_start(l, &w->end_timer, end);
        w->started = true;
        pump(w);
        if (!(w->sched.done && w->in_flight == 0))
            rc = tg_loop_run(l);
    }
    for (uint32_t i = 0; i < w->nconns; i++)
        conn_close(w, &w->conns[i]);
    if (cfg->on_flush)
        cfg->on_flush(cfg->worker_ctx[w->index]);
    atomic_store(&w->finished, true);
    return rc;
}

void tg_worker_interrupt(struct worker *w)
{
    uint64_t one = 1;
    ssize_t n = write(w->stop_fd, &one, sizeof one);
    (void)n;
}

const struct worker_stats *tg_worker_stats(const struct worker *w) { return &w->st; }
struct tg_sched *tg_worker_sched(struct worker *w) { return &w->sched; }
bool tg_worker_interrupted(const struct worker *w) { return w->interrupted; }
uint64_t tg_worker_done(const struct worker *w) { return atomic_load_explicit(&w->done, memory_order_relaxed); }
uint64_t tg_worker_failed(const struct worker *w) { return atomic_load_explicit(&w->failed, memory_order_relaxed); }
bool tg_worker_finished(const struct worker *w) { return atomic_load(&w->finished); }
