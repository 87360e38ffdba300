/*
 * llm_http.c - the generative dialects' requests on the placeholder LLM
 * (see internal.h and llm.h).
 *
 * Streaming: the answer is an MHD callback response of unknown size
 * (chunked, text/event-stream).  Its reader hands MHD the SSE events of the
 * tokens the engine has published, one event per token (the dialect's
 * server_chunk; the first carries the role), then the finish chunk and the
 * dialect's server_stream_end.  With nothing to hand it suspends the
 * connection under the engine lock (tg_llm_take's park) and returns 0: a
 * suspended connection is not polled, so nothing spins; the engine resumes
 * it when the next step ends.  Non-streaming: the connection is suspended
 * from submission until the last token, then server_complete is answered.
 *
 * --token-log: each token's time is CLOCK_MONOTONIC taken in the reader
 * right after its event's last byte was copied into MHD's buffer, just
 * before the reader returns and MHD send()s it (non-streaming: just before
 * the whole answer is queued).
 */
#include "server/internal.h"

#include "api/api.h"
#include "core/error.h"
#include "core/time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

/* tokens taken per reader call: bounds the events built at once */
#define TAKE_MAX 64u

struct srv_llm {
    struct tg_llm_req r;
    struct req_ctx *c;
    struct MHD_Connection *conn;
    const struct tg_api *api;
    uint64_t text_seed;
    int stream, include_usage, submitted;
    const char *finish;          /* "stop" or "length" */
    char id[40];
    int64_t created;
    char *xrid;                  /* X-Request-Id received, or NULL */
    /* reader state (HTTP thread only) */
    struct tg_buf wire;          /* events built, not yet all handed to MHD */
    size_t off;                  /* bytes of wire handed */
    size_t mark[TAKE_MAX];       /* wire offset just past each token's event */
    uint32_t nmark, mark_from;   /* tokens in wire, index of the first */
    uint32_t marked;             /* marks already stamped */
    int first_sent, done;
    /* --token-log */
    uint64_t *token_ns;          /* output_len entries; NULL without the log */
    uint32_t stamped;
};

static void gen_of(const struct srv_llm *L, struct tg_api_gen *g, const char *finish)
{
    *g = (struct tg_api_gen){
        .id = L->id,
        .model = TG_LLM_MODEL_NAME,
        .created = L->created,
        .prompt_tokens = L->r.seq.prompt_tokens,
        .completion_tokens = L->r.seq.output_len,
        .finish_reason = finish,
    };
}

static void stamp(struct srv_llm *L, uint32_t n, uint64_t now)
{
    if (!L->token_ns)
        return;
    for (uint32_t i = 0; i < n && L->stamped < L->r.seq.output_len; i++)
        L->token_ns[L->stamped++] = now;
}

/* Engine thread, engine lock held. */
static void wake(void *arg)
{
    struct srv_llm *L = arg;
    if (!L->stream)
        atomic_store(&L->c->job_done, 1);
    MHD_resume_connection(L->conn);
}

/* HTTP thread, inside the reader, engine lock held. */
static void park(void *arg)
{
    struct srv_llm *L = arg;
    MHD_suspend_connection(L->conn);
}

/* Builds the next events into wire.  Returns 0 (wire empty: parked), 1
 * (events to hand), or -1 (aborted, or out of memory: end with an error). */
static int refill(struct srv_llm *L)
{
    tg_buf_reset(&L->wire);
    L->off = 0;
    L->nmark = L->marked = 0;
    uint32_t from;
    int ended;
    uint32_t n = tg_llm_take(L->c->srv->llm, &L->r, TAKE_MAX, &from, &ended, park, L);
    if (ended && L->r.status)
        return -1;
    struct tg_api_gen g;
    gen_of(L, &g, NULL);
    L->mark_from = from;
    for (uint32_t i = 0; i < n; i++) {
        size_t len;
        const char *w = tg_llm_token(L->text_seed, from + i, &len);
        if (L->api->server_chunk(&L->wire, &g, w, len, !L->first_sent))
            return -1;
        L->first_sent = 1;
        L->mark[L->nmark++] = L->wire.len;
    }
    if (ended) {
        gen_of(L, &g, L->finish);
        if (L->api->server_chunk(&L->wire, &g, "", 0, false) ||
            L->api->server_stream_end(&L->wire, &g, L->include_usage != 0))
            return -1;
        L->done = 1;
    }
    return L->wire.len > 0;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct srv_llm *L = cls;
    if (L->off >= L->wire.len) {
        if (L->done)
            return MHD_CONTENT_READER_END_OF_STREAM;
        int rc = refill(L);
        if (rc < 0)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (rc == 0)
            return 0; /* suspended in park(): MHD calls again once resumed */
    }
    size_t n = L->wire.len - L->off;
    if (n > max)
        n = max;
    memcpy(buf, L->wire.data + L->off, n);
    L->off += n;
    uint32_t k = 0;
    while (L->marked < L->nmark && L->mark[L->marked] <= L->off) {
        L->marked++;
        k++;
    }
    if (k)
        stamp(L, k, tg_now_ns());
    return (ssize_t)n;
}

static enum MHD_Result answer_stream(struct req_ctx *c, struct srv_llm *L)
{
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, L, NULL);
    if (!r)
        return MHD_NO;
    const struct hdr h[] = { { "Cache-Control", "no-cache" } };
    tg_srv_add_headers(c->srv, r, "text/event-stream; charset=utf-8", h, 1);
    enum MHD_Result ret = MHD_queue_response(c->conn, 200, r);
    MHD_destroy_response(r);
    tg_srv_set_phase(c, PHASE_ANSWERED);
    tg_metrics_count(&c->srv->metrics, 200, 1, 1, 0, 0);
    return ret;
}

/* vLLM's wording for a request longer than the context. */
static enum MHD_Result too_long(struct req_ctx *c, uint32_t prompt, uint64_t limit,
                                const struct tg_llm_config *cfg)
{
    char msg[300];
    snprintf(msg, sizeof msg,
             "This model's maximum context length is %u tokens. However, you requested %llu "
             "tokens (%u in the messages, %llu in the completion). Please reduce the length "
             "of the messages or completion.",
             cfg->max_model_len < cfg->kv_tokens ? cfg->max_model_len : cfg->kv_tokens,
             (unsigned long long)(prompt + limit), prompt, (unsigned long long)limit);
    return tg_srv_answer_error(c, 400, msg, NULL, NULL);
}

enum MHD_Result tg_srv_llm_request(struct req_ctx *c)
{
    struct tg_server *s = c->srv;
    const struct tg_api *a = c->api;
    const struct tg_llm_config *cfg = &s->cfg.llm;
    struct srv_llm *L = calloc(1, sizeof *L);
    if (!L)
        return MHD_NO;
    L->c = c;
    L->conn = c->conn;
    L->api = a;
    L->wire = (struct tg_buf)TG_BUF_INIT(0);
    c->llm = L;
    const char *xrid = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, "X-Request-Id");
    if (xrid)
        L->xrid = strndup(xrid, 256);

    if (a->server_parse(c->body.data ? c->body.data : "", c->body.len, c->path_model,
                        &s->lim_llm, &c->req)) {
        int st = c->req.status;
        if (st < 400 || st > 599)
            st = 400;
        return tg_srv_answer_error(c, (unsigned)st,
                                   c->req.message[0] ? c->req.message : "bad request", NULL, NULL);
    }
    tg_buf_free(&c->body);
    if (c->req.n != 1 || !c->req.texts) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s: the request holds no prompt", a->name);
        return tg_srv_answer_error(c, 400, msg, NULL, NULL);
    }
    if (c->req.model[0] && strcmp(c->req.model, TG_LLM_MODEL_NAME)) {
        char msg[256];
        snprintf(msg, sizeof msg, "The model `%.64s` does not exist.", c->req.model);
        return tg_srv_answer_error(c, 404, msg, NULL, NULL);
    }
    if (c->req.max_tokens == 0 || c->req.max_tokens < -1)
        return tg_srv_answer_error(c, 400, "max_tokens must be at least 1", NULL, NULL);
    const struct tg_api_text *t = &c->req.texts[0];
    uint32_t prompt = tg_llm_prompt_tokens(t->data, t->len);
    uint64_t limit = c->req.max_tokens < 0 ? cfg->max_tokens_default : (uint64_t)c->req.max_tokens;
    if (prompt + limit > cfg->max_model_len || prompt + limit > cfg->kv_tokens)
        return too_long(c, prompt, limit, cfg);

    L->text_seed = tg_llm_text_seed(t->data, t->len, cfg->seed);
    uint32_t natural = tg_llm_natural_len(L->text_seed);
    L->r.seq.prompt_tokens = prompt;
    L->r.seq.limit = (uint32_t)limit;
    L->r.seq.output_len = natural <= limit ? natural : (uint32_t)limit;
    L->finish = natural <= limit ? "stop" : "length";
    L->stream = c->req.stream;
    L->include_usage = c->req.include_usage;
    L->r.stream = L->stream;
    L->r.wake = wake;
    L->r.arg = L;
    L->created = (int64_t)time(NULL);
    snprintf(L->id, sizeof L->id, "cmpl-%016" PRIx64, L->text_seed ^ c->recv_ns);
    tg_api_request_free(&c->req);
    if (s->cfg.token_log &&
        !(L->token_ns = calloc(L->r.seq.output_len, sizeof *L->token_ns)))
        return tg_srv_answer_error(c, 500, "out of memory", NULL, NULL);

    /* Non-streaming: suspended before the engine can know of it, so the
     * wake can never come first (a resume is acted on after we return). */
    if (!L->stream)
        MHD_suspend_connection(c->conn);
    int rc = tg_llm_submit(s->llm, &L->r, !L->stream);
    if (rc) {
        if (!L->stream)
            MHD_resume_connection(c->conn);
        c->submit_rc = rc;
        if (!L->stream) {
            atomic_store(&c->job_done, 1);
            tg_srv_set_phase(c, PHASE_QUEUED);
            return MHD_YES; /* answered from tg_srv_llm_resumed */
        }
        return tg_srv_llm_resumed(c);
    }
    L->submitted = 1;
    c->counted = 1;
    atomic_fetch_add(&s->inflight, 1);
    if (L->stream)
        return answer_stream(c, L);
    tg_srv_set_phase(c, PHASE_QUEUED);
    return MHD_YES;
}

enum MHD_Result tg_srv_llm_resumed(struct req_ctx *c)
{
    struct srv_llm *L = c->llm;
    if (c->submit_rc == TG_EAGAIN)
        return tg_srv_answer_error(c, 429, "queue full: too many requests waiting for the model",
                                   "Retry-After", "1");
    if (c->submit_rc || L->r.status)
        return tg_srv_answer_error(c, 503, "server is shutting down", NULL, NULL);
    uint32_t from;
    int ended;
    uint32_t n = tg_llm_take(c->srv->llm, &L->r, UINT32_MAX, &from, &ended, NULL, NULL);
    (void)n;
    struct tg_buf text = TG_BUF_INIT(0);
    struct tg_api_gen g;
    gen_of(L, &g, L->finish);
    if (tg_llm_text(&text, L->text_seed, 0, L->r.seq.output_len) ||
        L->api->server_complete(&c->out, &g, text.data ? text.data : "", text.len)) {
        tg_buf_free(&text);
        return tg_srv_answer_error(c, 500, "out of memory building the answer", NULL, NULL);
    }
    tg_buf_free(&text);
    stamp(L, L->r.seq.output_len, tg_now_ns());
    return tg_srv_answer(c, 200, &c->out, "application/json", NULL, 0, 1, 0, 0);
}

/* Appends s as a JSON string: bytes that are not UTF-8 become U+FFFD. */
static int put_json_string(struct tg_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    int rc = tg_buf_puts(b, "\"");
    for (size_t i = 0; !rc && i < n;) {
        if (p[i] == '"' || p[i] == '\\') {
            rc = tg_buf_printf(b, "\\%c", p[i]);
            i++;
        } else if (p[i] < 0x20) {
            rc = tg_buf_printf(b, "\\u%04x", p[i]);
            i++;
        } else {
            size_t k = tg_api_utf8_seq(p + i, n - i);
            rc = k ? tg_buf_append(b, p + i, k) : tg_buf_puts(b, "\\ufffd");
            i += k ? k : 1;
        }
    }
    return rc ? rc : tg_buf_puts(b, "\"");
}

/* One --token-log line. */
static void log_line(struct tg_server *s, const struct srv_llm *L, uint64_t recv_ns)
{
    struct tg_buf b = TG_BUF_INIT(0);
    int rc = tg_buf_puts(&b, "{\"request_id\":");
    if (!rc)
        rc = L->xrid ? put_json_string(&b, L->xrid) : tg_buf_puts(&b, "null");
    if (!rc)
        rc = tg_buf_printf(&b, ",\"recv_ns\":%" PRIu64 ",\"token_ns\":[", recv_ns);
    for (uint32_t i = 0; !rc && i < L->stamped; i++)
        rc = tg_buf_printf(&b, "%s%" PRIu64, i ? "," : "", L->token_ns[i]);
    if (!rc)
        rc = tg_buf_puts(&b, "]}\n");
    if (!rc)
        fwrite(b.data, 1, b.len, s->cfg.token_log); /* one call: lines never interleave */
    tg_buf_free(&b);
}

void tg_srv_llm_completed(struct req_ctx *c)
{
    struct srv_llm *L = c->llm;
    if (!L)
        return;
    if (L->submitted)
        tg_llm_cancel(c->srv->llm, &L->r);
    if (c->srv->cfg.token_log)
        log_line(c->srv, L, c->recv_ns);
    tg_buf_free(&L->wire);
    free(L->token_ns);
    free(L->xrid);
    free(L);
    c->llm = NULL;
}
