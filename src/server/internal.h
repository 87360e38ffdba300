/*
 * internal.h - what the units of the placeholder server share: the server
 * and per-request structs and the answer helpers.  Internal to src/server/
 * (server.c routes and owns the life cycle, answer.c writes answers and
 * errors in the request's dialect, inject.c is --fault).  Every function
 * runs on libmicrohttpd's HTTP thread of the connection it is given.
 */
#ifndef TG_SERVER_INTERNAL_H
#define TG_SERVER_INTERNAL_H

#include "server/server.h"
#include "server/llm.h"
#include "server/metrics.h"
#include "core/buf.h"

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdint.h>

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
    struct tg_api_server_limits lim_llm; /* what the generative dialects parse against */
    struct tg_llm *llm;                  /* the placeholder LLM (example-llm) */
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
    uint64_t recv_ns;        /* monotonic: the request's headers were in */
    struct srv_llm *llm;     /* a generative dialect's request (llm_http.c); NULL otherwise */
};

/* routes.c: routes url (its query string stripped): /metrics is the
 * server's own; otherwise the first served dialect whose server_route
 * claims the path owns it (c->api, c->path_model). */
enum route tg_srv_route_of(struct tg_server *s, struct req_ctx *c, const char *url);
/* routes.c: fills s->apis with the served dialects and s->not_found with
 * the 404 message listing their routes.  Returns 0, or TG_EINVAL when none. */
int tg_srv_pick_dialects(struct tg_server *s);

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

/* The one place a request changes phase: a request only moves forward. */
static inline void tg_srv_set_phase(struct req_ctx *c, enum phase next)
{
    if (next > c->phase)
        c->phase = next;
}

/* Fills t with an inference answer's timing headers (ok: a 200 answer). */
void tg_srv_timing_fill(struct timing *t, const struct tg_server *s, const struct tg_api *a,
                        int ok, double qms, double cms);
/* Adds Content-Type, h[0..n) and, while draining, Connection: close. */
void tg_srv_add_headers(struct tg_server *s, struct MHD_Response *r, const char *ctype,
                        const struct hdr *h, size_t n);
/* Queues an answer whose body is b's bytes (ownership passes to MHD). */
enum MHD_Result tg_srv_answer(struct req_ctx *c, unsigned status, struct tg_buf *b,
                              const char *ctype, const struct hdr *h, size_t n, unsigned items,
                              double qms, double cms);
/* An error answer in the request's dialect, with one optional extra header. */
enum MHD_Result tg_srv_answer_error(struct req_ctx *c, unsigned status, const char *message,
                                    const char *extra_name, const char *extra_value);

/* A generative dialect's route (a->server_chunk set): the placeholder LLM.
 * tg_srv_llm_request takes the complete body (llm_http.c); _resumed answers
 * a non-streaming request once its last token is out; _completed (from
 * MHD's completion notice) withdraws the sequence, writes the --token-log
 * line and frees.  _metrics appends the vllm:* metrics. */
static inline int tg_srv_is_generative(const struct tg_api *a)
{
    return a && a->server_chunk && a->server_stream_end && a->server_complete;
}
enum MHD_Result tg_srv_llm_request(struct req_ctx *c);
enum MHD_Result tg_srv_llm_resumed(struct req_ctx *c);
void tg_srv_llm_completed(struct req_ctx *c);

/* --fault: misbehaves now if this request drew reset/close/garbage/stall/
 * status500; returns 1 with *ret set when the fault took over, else 0. */
int tg_srv_inject_early(struct tg_server *s, struct req_ctx *c, enum MHD_Result *ret);
/* --fault truncate/slow: the 200 answer in c->out, cut or trickled. */
enum MHD_Result tg_srv_answer_faulty(struct req_ctx *c, const struct timing *t, double qms);

#endif
