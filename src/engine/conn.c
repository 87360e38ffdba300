/*
 * conn.c - the connection pool and the connection state machine: opening a
 * connection (non-blocking connect, then the TLS handshake of https runs),
 * handing requests to idle connections or the wait queue, writing a request,
 * closing and failing.  Reading the response is reader.c's.
 */
#include "engine/worker_internal.h"

#include "core/error.h"
#include "core/time.h"
#include "engine/tls.h"
#include "stats/hist.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *const tg_wk_req_state_names[REQ_NSTATES] = {
    "free", "queued", "connecting", "handshake", "writing", "waiting", "reading", "done",
};

const char *const tg_wk_conn_state_names[CONN_NSTATES] = {
    "closed", "connecting", "handshake", "idle", "writing", "waiting", "reading",
};

static void conn_start_write(struct worker *w, struct conn *c);

bool tg_wk_conn_watch(struct worker *w, struct conn *c, unsigned events, enum tg_errc errc)
{
    int rc = tg_loop_mod(w->loop, &c->io, events);
    if (rc == 0)
        return true;
    /* Left registered for the old interest, c could wait forever (or spin on
     * a writable socket): its inputs fail now and c is closed. */
    snprintf(w->detail, sizeof w->detail, "epoll_ctl: %s", tg_strerror(rc));
    tg_wk_conn_fail(w, c, errc, w->detail);
    tg_wk_after_close(w);
    return false;
}

/* ---- the pool ---------------------------------------------------------------- */

void tg_wk_conn_close(struct worker *w, struct conn *c)
{
    if (c->state == CONN_CLOSED)
        return;
    tg_loop_del(w->loop, &c->io);
    tg_net_close(&c->nc);
    conn_set_state(w, c, CONN_CLOSED);
    c->req = NULL;
    w->open_conns--;
    tg_wk_conn_reset_parse(c);
}

void tg_wk_conn_fail(struct worker *w, struct conn *c, enum tg_errc errc, const char *detail)
{
    struct req *r = c->req;
    tg_wk_conn_close(w, c);
    if (r)
        tg_wk_req_fail(w, r, errc, detail);
}

static struct conn *conn_find_closed(struct worker *w)
{
    for (uint32_t i = 0; i < w->nconns; i++)
        if (w->conns[i].state == CONN_CLOSED)
            return &w->conns[i];
    return NULL;
}

void tg_wk_preconnect_step(struct worker *w)
{
    if (w->preconnecting && --w->preconnecting == 0)
        tg_loop_stop(w->loop);
}

void tg_wk_conn_open(struct worker *w, struct conn *c, struct req *r)
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
        tg_wk_conn_fail(w, c, TG_ERRC_CONNECT, w->detail);
        if (!r)
            tg_wk_preconnect_step(w);
        return;
    }
    int rc = tg_loop_add(w->loop, &c->io, fd, TG_LOOP_WRITE);
    if (rc < 0) {
        close(fd);
        snprintf(w->detail, sizeof w->detail, "epoll: %s", tg_strerror(rc));
        c->state = CONN_IDLE;
        c->io.fd = -1;
        tg_wk_conn_fail(w, c, TG_ERRC_CONNECT, w->detail);
        if (!r)
            tg_wk_preconnect_step(w);
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

void tg_wk_conn_release(struct worker *w, struct conn *c)
{
    c->req = NULL;
    tg_wk_conn_reset_parse(c);
    if (w->qlen) {
        struct req *r = &w->reqs[w->queue[w->qhead]];
        w->qhead = (w->qhead + 1) % w->nreqs;
        w->qlen--;
        conn_set_state(w, c, CONN_IDLE);
        conn_assign(w, c, r);
        return;
    }
    conn_set_state(w, c, CONN_IDLE);
    /* Watch the idle connection: a server closing it must not be used again.
     * One that cannot be watched is closed (it carries no request). */
    if (!tg_wk_conn_watch(w, c, TG_LOOP_READ, TG_ERRC_READ))
        return;
    if (!c->in_idle) {
        c->in_idle = true;
        c->idle_next = w->idle_head;
        w->idle_head = c->index;
    }
}

static struct conn *conn_pop_idle(struct worker *w)
{
    while (w->idle_head != TG_WK_NONE) {
        struct conn *c = &w->conns[w->idle_head];
        w->idle_head = c->idle_next;
        c->in_idle = false;
        if (c->state == CONN_IDLE && c->io.fd >= 0)
            return c;
    }
    return NULL;
}

void tg_wk_dispatch(struct worker *w, struct req *r)
{
    w->st.http_requests++;
    req_set_state(w, r, REQ_QUEUED);
    struct conn *c = conn_pop_idle(w);
    if (c) {
        conn_assign(w, c, r);
        return;
    }
    if (w->open_conns < w->nconns && (c = conn_find_closed(w))) {
        tg_wk_conn_open(w, c, r);
        return;
    }
    w->queue[(w->qhead + w->qlen) % w->nreqs] = (uint32_t)(r - w->reqs);
    w->qlen++;
}

void tg_wk_after_close(struct worker *w)
{
    while (w->qlen && w->open_conns < w->nconns && !w->stopping) {
        struct conn *c = conn_find_closed(w);
        if (!c)
            break;
        struct req *r = &w->reqs[w->queue[w->qhead]];
        w->qhead = (w->qhead + 1) % w->nreqs;
        w->qlen--;
        tg_wk_conn_open(w, c, r);
    }
}

/* ---- writing --------------------------------------------------------------- */

static void conn_do_write(struct worker *w, struct conn *c)
{
    struct req *r = c->req;
    while (r->woff < r->wlen) {
        /* the pieces not yet sent (a short write may stop inside one) */
        struct iovec iov[3];
        int n = 0;
        size_t skip = r->woff;
        for (int i = 0; i < r->nseg; i++) {
            size_t l = r->seg[i].iov_len;
            if (skip >= l) {
                skip -= l;
                continue;
            }
            iov[n++] = (struct iovec){ (char *)r->seg[i].iov_base + skip, l - skip };
            skip = 0;
        }
        size_t put = 0;
        int err = 0;
        enum tg_io st = tg_net_writev(&c->nc, iov, n, &put, &err);
        if (st == TG_IO_AGAIN) {
            tg_wk_conn_watch(w, c, c->nc.want, TG_ERRC_WRITE);
            return;
        }
        if (st == TG_IO_ERROR) {
            enum tg_errc errc = tg_wk_io_error(w, c, "write", err);
            tg_wk_conn_fail(w, c, errc, w->detail);
            tg_wk_after_close(w);
            return;
        }
        r->woff += put;
    }
    w->st.bytes_out += r->wlen;
    req_set_state(w, r, REQ_WAITING);
    conn_set_state(w, c, CONN_WAITING);
    tg_wk_conn_watch(w, c, TG_LOOP_READ, TG_ERRC_READ);
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

enum tg_errc tg_wk_io_error(struct worker *w, struct conn *c, const char *op, int err)
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
    struct req *r = c->req;
    if (st == TG_IO_AGAIN) {
        if (!tg_wk_conn_watch(w, c, c->nc.want, TG_ERRC_TLS) && !r)
            tg_wk_preconnect_step(w);
        return;
    }
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
        tg_wk_conn_fail(w, c, TG_ERRC_TLS, w->detail);
        if (!r)
            tg_wk_preconnect_step(w);
        tg_wk_after_close(w);
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
        tg_wk_conn_release(w, c);
        tg_wk_preconnect_step(w);
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
        tg_wk_conn_fail(w, c, TG_ERRC_TLS, w->detail);
        if (!had_req)
            tg_wk_preconnect_step(w);
        tg_wk_after_close(w);
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
    /* not watchable: closed by the caller like a server-closed one */
    return st == TG_IO_AGAIN && tg_loop_mod(w->loop, &c->io, c->nc.want) == 0;
}

/* ---- events ---------------------------------------------------------------- */

/* The TCP connect of c finished (or failed).  False: a spurious wake-up,
 * still connecting. */
static bool conn_connected(struct worker *w, struct conn *c, unsigned ev)
{
    int err = 0;
    if (tg_net_connect_result(c->io.fd, &err) != TG_IO_OK) {
        if (!(ev & TG_LOOP_ERROR) && err == 0)
            return false;
        snprintf(w->detail, sizeof w->detail, "connect to %.120s: %s", w->cfg->url.authority, strerror(err));
        struct req *r = c->req;
        tg_wk_conn_close(w, c);
        if (r)
            tg_wk_req_fail(w, r, TG_ERRC_CONNECT, w->detail);
        if (!r)
            tg_wk_preconnect_step(w);
        tg_wk_after_close(w);
        return true;
    }
    uint64_t setup = tg_loop_now(w->loop) - c->t[CONN_CONNECTING];
    if (c->req)
        c->req->connect_ns = setup;
    if (w->cfg->tls) {
        conn_start_handshake(w, c);
        return true;
    }
    if (c->req) {
        conn_start_write(w, c);
    } else {
        tg_wk_conn_release(w, c);
        tg_wk_preconnect_step(w);
    }
    return true;
}

void tg_wk_conn_on_io(struct tg_loop *l, struct tg_loop_io *io, unsigned ev)
{
    struct conn *c = io->arg;
    struct worker *w = c->w;
    /* Events of one round are handled one after the other (parsing and hashing
     * outputs takes time): stamp each with its own time, not the round's. */
    tg_loop_update_now(l);
    switch (c->state) {
    case CONN_CONNECTING:
        if (!conn_connected(w, c, ev))
            return;
        break;
    case CONN_HANDSHAKE:
        conn_handshake(w, c);
        break;
    case CONN_IDLE:
        if (c->nc.ssl && idle_tls_quiet(w, c))
            break;
        /* data or EOF on an idle connection: the server closed it (or misbehaved) */
        tg_wk_conn_close(w, c);
        tg_wk_after_close(w);
        break;
    case CONN_WRITING:
        if (ev & (TG_LOOP_WRITE | TG_LOOP_ERROR) || c->nc.ssl)
            conn_do_write(w, c);
        break;
    case CONN_WAITING:
    case CONN_READING:
        if (ev & (TG_LOOP_READ | TG_LOOP_ERROR) || c->nc.ssl)
            tg_wk_conn_read(w, c);
        break;
    case CONN_CLOSED:
    case CONN_NSTATES:
        break;
    }
    tg_wk_pump(w);
}
