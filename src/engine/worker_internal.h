/*
 * worker_internal.h - what the units of one worker share: the slot structs,
 * the two lifecycles with their one transition function each, and the
 * functions the units call across (tg_wk_*).  Internal to src/engine; only
 * worker.c, conn.c, reader.c, admit.c and outputs.c include it.
 *
 * The units, along the seams the dialect interface creates:
 *   worker.c   life cycle, loop timers, pump (schedule + batch deadlines), stop
 *   conn.c     connection pool, connection state machine, connect, TLS
 *              handshake, writing a request
 *   reader.c   reading a response: head and body into the connection's
 *              buffer, the response-done decision (reuse or close)
 *   admit.c    admission, request slots, batching (build_batch of the dialect)
 *   outputs.c  status and outputs of a response -> each input's row (split of
 *              the dialect), server timing, statistics of a finished input
 *   stream.c   a text/event-stream response: the decoded body fed to the SSE
 *              parser as it is read, each event through the dialect's
 *              stream_event, the content events' times and token counts
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
 *
 * Every function here runs on the worker's own thread only.
 */
#ifndef TG_ENGINE_WORKER_INTERNAL_H
#define TG_ENGINE_WORKER_INTERNAL_H

#include "engine/net.h"
#include "engine/worker.h"
#include "http/http.h"
#include "http/sse.h"

#include <sys/uio.h>

#define TG_WK_NONE UINT32_MAX
#define TG_WK_HIST_MAX_US (3600ULL * 1000 * 1000)
/* Slots of worker.watch (the dialect's timing headers). */
enum { TG_WK_WATCH_QUEUE, TG_WK_WATCH_COMPUTE };
/* "<run_token 8 hex>-<http id 12 hex>" */
#define TG_WK_XID_LEN TG_ENGINE_XID_LEN

/* ---- lifecycles ------------------------------------------------------------ */

enum req_state { REQ_FREE, REQ_QUEUED, REQ_CONNECTING, REQ_HANDSHAKE, REQ_WRITING, REQ_WAITING,
                 REQ_READING, REQ_DONE, REQ_NSTATES };
extern const char *const tg_wk_req_state_names[REQ_NSTATES];

enum conn_state { CONN_CLOSED, CONN_CONNECTING, CONN_HANDSHAKE, CONN_IDLE, CONN_WRITING, CONN_WAITING,
                  CONN_READING, CONN_NSTATES };
extern const char *const tg_wk_conn_state_names[CONN_NSTATES];

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
    /* Bytes to send, in up to 3 pieces: a prebuilt request is (prefix, this
     * request's xid, suffix) when X-Request-Id is on, else one piece; a
     * batched request is wire.data.  wlen: their total; woff: bytes sent. */
    struct iovec seg[3];
    int nseg;
    size_t wlen, woff;
    char xid[TG_WK_XID_LEN + 1];  /* X-Request-Id value; "" when off */
    struct stream *stream;     /* the connection's stream state when the response streamed, else NULL */
    struct tg_buf wire, body;  /* batched requests only */
    uint64_t connect_ns;       /* TCP setup time of the connection opened for it */
    uint64_t tls_ns;           /* TLS handshake time of that connection */
    uint64_t bytes_in;
    int status;
    double sq, sc;             /* server queue / compute, ms; < 0 when not reported */
    uint32_t next_free;
};

/* The stream state of one connection (its current response), reused across
 * responses: the parser, the generated text and the content events.  Event
 * times are the loop time refreshed after the read(2) that brought the
 * event's last byte, so events of one read share one time. */
struct stream {
    struct tg_sse sse;
    struct tg_buf text;        /* generated text of the response (capped at max_response_bytes) */
    uint64_t *ev_ns;           /* monotonic read time of each content event */
    uint32_t *ev_tok;          /* its tokens (1, or the increase of cumulative usage) */
    size_t nev, cap;
    int64_t cum_tokens;        /* the last usage.completion_tokens seen; -1 when none */
    int64_t itl_max_ns;        /* largest gap between consecutive content events; -1: < 2 */
    bool done_seen;            /* "data: [DONE]" */
    bool failed;               /* err_detail says why; no more events are read */
    char err_detail[160];
    uint64_t now_ns;           /* the time of the read being fed */
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
    size_t head_scan;          /* rb bytes already searched for the head's end */
    bool keep;                 /* body kept in rb: outputs are parsed, or an error body (its message) */
    struct tg_http_response resp;
    size_t body_start;         /* offset of the body in rb */
    size_t body_len;           /* decoded body bytes at rb.data + body_start (kept mode) */
    uint64_t body_total;       /* decoded body bytes seen */
    struct tg_http_chunked ch;
    bool streaming;            /* this response is an event stream (stream.c) */
    struct stream stream;
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
    uint32_t max_in_flight;
    _Atomic uint32_t in_flight;   /* written by the worker only; read by tg_worker_in_flight */
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
    struct tg_http_watch watch;          /* the dialect's queue/compute time headers */
    const struct tg_http_watch *watchp;  /* &watch, or NULL when the dialect has none */
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
    bool can_stream;           /* the dialect streams and outputs are parsed */
    struct tg_buf canon;       /* scratch: canonical text of a streamed output */
    struct tg_http_kv *hdrs;   /* batched requests: cfg headers + X-Request-Id */
};

static inline void req_set_state(struct worker *w, struct req *r, enum req_state s)
{
    r->state = s;
    r->t[s] = tg_loop_now(w->loop);
}

static inline void conn_set_state(struct worker *w, struct conn *c, enum conn_state s)
{
    c->state = s;
    c->t[s] = tg_loop_now(w->loop);
}

/* ---- worker.c ---------------------------------------------------------------- */

/* Admits what the schedule allows, sends due batches, arms the timers, and
 * stops the loop when everything is done.  Called after every event. */
void tg_wk_pump(struct worker *w);

/* ---- conn.c ------------------------------------------------------------------ */

/* Opens a connection for r (or for the pool when r is NULL: preconnect). */
void tg_wk_conn_open(struct worker *w, struct conn *c, struct req *r);
/* Closes c (no-op when closed); its request, if any, is left to the caller. */
void tg_wk_conn_close(struct worker *w, struct conn *c);
/* Fails the connection's request (if any) and closes it. */
void tg_wk_conn_fail(struct worker *w, struct conn *c, enum tg_errc errc, const char *detail);
/* The connection is free: give it the next waiting request, or park it. */
void tg_wk_conn_release(struct worker *w, struct conn *c);
/* A connection slot was freed by a close: a waiting request may open a new one. */
void tg_wk_after_close(struct worker *w);
/* One preconnect attempt settled; the schedule starts when all have. */
void tg_wk_preconnect_step(struct worker *w);
/* Fills w->detail for a failed read/write (`op`: "read" or "write") and
 * returns its class. */
enum tg_errc tg_wk_io_error(struct worker *w, struct conn *c, const char *op, int err);
/* Sets c's loop interest to events.  When epoll_ctl fails, c's request (if
 * any) fails with class errc and detail "epoll_ctl: <reason>", c is closed
 * and a waiting request may take its slot; returns false (c must not be
 * used again by the caller).  True: c is watched for events. */
bool tg_wk_conn_watch(struct worker *w, struct conn *c, unsigned events, enum tg_errc errc);
/* Hands r to an idle connection, a new one, or the wait queue. */
void tg_wk_dispatch(struct worker *w, struct req *r);
/* The loop callback of every connection. */
void tg_wk_conn_on_io(struct tg_loop *l, struct tg_loop_io *io, unsigned ev);

/* ---- reader.c ------------------------------------------------------------------ */

/* Reads what the socket has into c->rb and parses it; on a complete response
 * reports it (outputs.c) and reuses or closes c. */
void tg_wk_conn_read(struct worker *w, struct conn *c);
/* Resets the response parse state of c (empties rb, keeps its memory). */
void tg_wk_conn_reset_parse(struct conn *c);

/* ---- stream.c ------------------------------------------------------------------ */

/* Whether the response just parsed on c streams (2xx text/event-stream of a
 * streaming dialect, unbatched, outputs parsed); when it does, c's stream
 * state is reset for it and c->req->stream set.  */
bool tg_wk_stream_begin(struct worker *w, struct conn *c);
/* Feeds decoded body bytes data[0..len) read at c->stream.now_ns.  A failure
 * (an error event, a malformed event, a limit) is kept in the state; the
 * body is still read to its end so the connection can be reused. */
void tg_wk_stream_feed(struct worker *w, struct conn *c, const char *data, size_t len);
/* The 2xx streamed body of r ended: its input's row (failed with class
 * output when the stream failed, else the hash of the canonical text). */
void tg_wk_stream_finish(struct worker *w, struct req *r);
/* Fills r's stream fields from s (an input ready at ready_ns). */
void tg_wk_stream_fill(const struct worker *w, const struct stream *s, uint64_t ready_ns,
                       struct tg_input_result *res);
/* Counts an ok streamed input in the worker's statistics. */
void tg_wk_stream_record(struct worker *w, const struct stream *s, const struct tg_input_result *res);
/* Prepares s (zeroed memory of its own); tg_wk_stream_free releases it. */
void tg_wk_stream_init(struct stream *s, size_t max_bytes);
void tg_wk_stream_free(struct stream *s);

/* ---- admit.c ------------------------------------------------------------------- */

/* Takes input `id` (intended start `intended`) into a slot and sends it, or
 * adds it to its group's batch. */
void tg_wk_admit(struct worker *w, uint64_t id, uint64_t intended);
/* Sends whatever group `model`'s batch holds as one request. */
void tg_wk_send_batch(struct worker *w, uint32_t model);
void tg_wk_req_free(struct worker *w, struct req *r);
/* Fails every input of r with one class and frees r. */
void tg_wk_req_fail(struct worker *w, struct req *r, enum tg_errc errc, const char *detail);

/* ---- outputs.c ----------------------------------------------------------------- */

/* Emits input slot i's row (its request r may be NULL) and frees the slot. */
void tg_wk_finish_input(struct worker *w, uint32_t i, struct req *r, enum tg_errc errc,
                        const char *detail, const char *hash, const char *out, size_t outlen);
/* Reports a complete response to r (resp, its decoded body[0..len) when
 * kept): status (with the server's own error message), server timing
 * (Server-Timing, else the dialect's headers), then every input's row
 * through the dialect's split.  Does not free r. */
void tg_wk_report_response(struct worker *w, struct req *r, const struct tg_http_response *resp,
                           const char *body, size_t len);
/* Fixes the thread's wall-clock anchor of row timestamps (call at start). */
void tg_wk_wall_anchor(void);

#endif
