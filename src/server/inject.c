/*
 * inject.c - fault injection of the placeholder server (--fault; see
 * fault.h for which request draws which fault).
 */
#include "server/internal.h"

#include "core/error.h"
#include "core/time.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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
enum MHD_Result tg_srv_answer_faulty(struct req_ctx *c, const struct timing *t, double qms)
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
    tg_srv_add_headers(c->srv, r, "application/json", t->h, t->n);
    enum MHD_Result ret = MHD_queue_response(c->conn, 200, r);
    MHD_destroy_response(r);
    tg_srv_set_phase(c, PHASE_ANSWERED);
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
int tg_srv_inject_early(struct tg_server *s, struct req_ctx *c, enum MHD_Result *ret)
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
        *ret = tg_srv_answer_error(c, 500, "injected fault (tailgate serve --fault status500)", NULL, NULL);
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
