/*
 * reader.c - reading one HTTP response on a connection: bytes into the
 * connection's buffer, the head parsed once it is complete (its end is
 * searched for incrementally, so a head dripped byte by byte costs linear
 * time, not quadratic), the body framed by Content-Length, chunked coding or the close,
 * and kept in the buffer only when someone will read it; an event stream's
 * decoded bytes go to stream.c as they are read instead.  A complete
 * response goes to outputs.c; then the connection is reused or closed.
 */
#include "engine/worker_internal.h"

#include "core/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define READ_CHUNK 16384

void tg_wk_conn_reset_parse(struct conn *c)
{
    c->head = false;
    c->head_scan = 0;
    c->body_start = c->body_len = 0;
    c->body_total = 0;
    c->streaming = false;   /* the stream state itself stays for the request's row */
    memset(&c->ch, 0, sizeof c->ch);
    tg_buf_reset(&c->rb);
}

/* A complete response for c->req: report its inputs, then reuse or close c. */
static void conn_response_done(struct worker *w, struct conn *c, size_t leftover)
{
    const struct tg_engine_config *cfg = w->cfg;
    struct req *r = c->req;
    struct tg_http_response *resp = &c->resp;
    req_set_state(w, r, REQ_DONE);
    w->st.bytes_in += r->bytes_in;
    /* Bytes past the response, on the socket or still inside OpenSSL, make the connection unusable. */
    bool extra = leftover != 0 || (c->nc.ssl && tg_net_pending(&c->nc));
    bool reuse = cfg->keepalive && resp->keep_alive && !extra &&
                 resp->body_kind != TG_HTTP_BODY_UNTIL_CLOSE && !w->stopping;
    tg_wk_report_response(w, r, resp, c->rb.data + c->body_start, c->body_len);
    tg_wk_req_free(w, r);
    c->req = NULL;
    if (reuse) {
        tg_wk_conn_release(w, c);
    } else {
        tg_wk_conn_close(w, c);
        tg_wk_after_close(w);
    }
}

static void parse_fail(struct worker *w, struct conn *c)
{
    tg_wk_conn_fail(w, c, TG_ERRC_PARSE, w->detail);
    tg_wk_after_close(w);
}

/* True when c->rb holds the blank line that ends a head ("\n\n" or
 * "\n\r\n": the parser takes bare LF too).  The search resumes where the
 * last one stopped, so every byte is looked at about once. */
static bool head_complete(struct conn *c)
{
    const char *d = c->rb.data;
    size_t len = c->rb.len, i = c->head_scan;
    while (i < len) {
        const char *nl = memchr(d + i, '\n', len - i);
        if (!nl)
            break;
        size_t k = (size_t)(nl - d);
        if (k + 1 < len && d[k + 1] == '\n')
            return true;
        if (k + 2 < len && d[k + 1] == '\r' && d[k + 2] == '\n')
            return true;
        if (k + 2 >= len) {
            c->head_scan = k; /* the bytes after this LF decide: look again */
            return false;
        }
        i = k + 1;
    }
    c->head_scan = len;
    return false;
}

/* Consumes what is in c->rb.  Returns true when the response is complete. */
static bool conn_parse(struct worker *w, struct conn *c, size_t *leftover)
{
    if (!c->head) {
        /* The parser runs on the first bytes (garbage is refused at once),
         * then only once the head is complete or too long. */
        bool first = c->head_scan == 0;
        if (!head_complete(c) && !first && c->rb.len < TG_HTTP_MAX_HEAD_BYTES)
            return false;
        int n = tg_http_parse_response_head_watch(c->rb.data, c->rb.len, false, w->watchp, &c->resp);
        if (n == TG_EPARTIAL)
            return false;
        if (n < 0) {
            snprintf(w->detail, sizeof w->detail, "malformed response head: %s", tg_strerror(n));
            parse_fail(w, c);
            return false;
        }
        c->head = true;
        c->body_start = (size_t)n;
        if (c->resp.status >= 100 && c->resp.status < 200) {
            /* 1xx interim response: drop it and parse what follows */
            tg_buf_consume(&c->rb, (size_t)n);
            c->head = false;
            c->head_scan = 0;
            return conn_parse(w, c, leftover);
        }
        /* The status is the server's answer even when its body then fails
         * (a stream cut mid-way is a 200 with class closed, not "no response"). */
        c->req->status = c->resp.status;
        /* An error body is kept whatever --no-outputs says: its message goes
         * into the row's detail (bounded by --max-response like any body).
         * An event stream is fed to its parser as it comes (stream.c) and
         * not kept; its head stays in rb (the response's pointers). */
        c->streaming = tg_wk_stream_begin(w, c);
        c->keep = !c->streaming && (w->cfg->parse_outputs || c->resp.status > 299);
        if (!c->keep && !c->streaming) {
            /* only the head's values are needed from here on */
            tg_buf_consume(&c->rb, (size_t)n);
            c->body_start = 0;
        }
    }
    size_t raw_off = c->body_start + c->body_len;
    size_t raw = c->rb.len - raw_off;
    size_t got = 0;   /* decoded body bytes now at rb.data + raw_off */
    bool done = false;
    switch (c->resp.body_kind) {
    case TG_HTTP_BODY_NONE:
        *leftover = raw;
        return true;
    case TG_HTTP_BODY_UNTIL_CLOSE:
        got = raw;
        break;
    case TG_HTTP_BODY_LENGTH: {
        uint64_t need = c->resp.content_length - c->body_total;
        got = raw < need ? raw : (size_t)need;
        *leftover = raw - got;
        done = c->body_total + got == c->resp.content_length;
        break;
    }
    case TG_HTTP_BODY_CHUNKED: {
        size_t len = raw;
        long rc = tg_http_decode_chunked(&c->ch, c->rb.data + raw_off, &len);
        if (rc < 0 && rc != TG_EPARTIAL) {
            snprintf(w->detail, sizeof w->detail, "malformed chunked body: %s", tg_strerror((int)rc));
            parse_fail(w, c);
            return false;
        }
        got = len;
        c->rb.len = raw_off + len;
        if (rc != TG_EPARTIAL) {
            *leftover = (size_t)rc;
            done = true;
        }
        break;
    }
    }
    c->body_total += got;
    c->body_len += got;
    if (c->streaming && got)
        tg_wk_stream_feed(w, c, c->rb.data + raw_off, got);
    if (!c->keep) {
        c->rb.len = c->body_start;
        c->body_len = 0;
    }
    return done;
}

void tg_wk_conn_read(struct worker *w, struct conn *c)
{
    size_t cap = w->cfg->max_response_bytes;
    for (;;) {
        size_t room = cap > c->rb.len ? cap - c->rb.len : 0;
        if (room > READ_CHUNK)
            room = READ_CHUNK;
        if (room == 0 || tg_buf_reserve(&c->rb, room) != 0) {
            snprintf(w->detail, sizeof w->detail, "response larger than %zu bytes", cap);
            parse_fail(w, c);
            return;
        }
        size_t got = 0, want = c->rb.cap - c->rb.len - 1;
        int err = 0;
        enum tg_io st = tg_net_read(&c->nc, c->rb.data + c->rb.len, want, &got, &err);
        if (st == TG_IO_AGAIN) {
            /* Over TLS every byte OpenSSL buffered was consumed by the loop
             * above, so waiting for the socket is right; it may want writable. */
            if (c->nc.ssl)
                tg_wk_conn_watch(w, c, c->nc.want, TG_ERRC_READ);
            return;
        }
        struct req *r = c->req;
        if (st == TG_IO_ERROR) {
            enum tg_errc errc = tg_wk_io_error(w, c, "read", err);
            tg_wk_conn_fail(w, c, errc, w->detail);
            tg_wk_after_close(w);
            return;
        }
        if (got == 0) {
            if (c->head && c->resp.body_kind == TG_HTTP_BODY_UNTIL_CLOSE) {
                conn_response_done(w, c, 0);
                return;
            }
            snprintf(w->detail, sizeof w->detail, "connection closed by peer after %" PRIu64 " response bytes",
                     r->bytes_in);
            tg_wk_conn_fail(w, c, TG_ERRC_CLOSED, w->detail);
            tg_wk_after_close(w);
            return;
        }
        /* Stream events are stamped with the time of the read that brought them. */
        if (w->can_stream)
            c->stream.now_ns = tg_loop_update_now(w->loop);
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
        /* A short plain read drained the socket: the loop is level-triggered
         * and reports it again when more arrives, so the read that would say
         * EAGAIN is skipped (as wrk does).  That is one syscall per event of
         * a stream instead of two.  TLS keeps reading: OpenSSL may hold bytes
         * the socket no longer shows. */
        if (got < want && !c->nc.ssl)
            return;
    }
}
