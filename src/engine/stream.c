/*
 * stream.c - a text/event-stream response (docs/formats.md, "Streaming"):
 * the decoded body is fed to the connection's SSE parser straight from each
 * read, so nothing of it stays in the read buffer (memory bounded by one
 * event); every event goes through the dialect's stream_event, whose content
 * is appended to the connection's text buffer; content events are timed.
 *
 * Times: an event's time is the loop time refreshed after the read(2) that
 * brought its last byte (reader.c), so the events of one read share a time.
 * The metrics follow DESIGN.md: TTFT = first content event - ready; TPOT =
 * (last - first content event) / (output tokens - 1); ITL = the gaps between
 * consecutive content events; output tokens = the last usage.completion_tokens
 * the stream reported, else the content events.
 */
#include "engine/worker_internal.h"

#include "api/api.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/vec.h"
#include "stats/hist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Content-Type's media type (before any ';' parameter, blanks trimmed) is
 * text/event-stream, compared case-insensitively. */
static bool is_event_stream(const struct tg_http_response *resp)
{
    static const char want[] = "text/event-stream";
    const struct tg_http_header *h = tg_http_find_header(resp, "Content-Type");
    if (!h)
        return false;
    size_t n = 0;
    while (n < h->value_len && h->value[n] != ';')
        n++;
    while (n && (h->value[n - 1] == ' ' || h->value[n - 1] == '\t'))
        n--;
    return n == sizeof want - 1 && !strncasecmp(h->value, want, n);
}

static void stream_fail(struct stream *s, const char *fmt, const char *what)
{
    if (s->failed)
        return;
    s->failed = true;
    snprintf(s->err_detail, sizeof s->err_detail, fmt, what);
    /* one line: an error message is the server's text */
    for (char *p = s->err_detail; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
}

bool tg_wk_stream_begin(struct worker *w, struct conn *c)
{
    struct req *r = c->req;
    const struct tg_http_response *resp = &c->resp;
    if (!w->can_stream || resp->status < 200 || resp->status > 299 || r->batched || r->n != 1 ||
        resp->body_kind == TG_HTTP_BODY_NONE || !is_event_stream(resp))
        return false;
    struct stream *s = &c->stream;
    tg_sse_reset(&s->sse);
    tg_buf_reset(&s->text);
    s->nev = 0;
    s->cum_tokens = -1;
    s->itl_max_ns = -1;
    s->done_seen = s->failed = false;
    s->err_detail[0] = '\0';
    r->stream = s;
    return true;
}

static int push_event(struct stream *s, uint64_t t, uint32_t tokens)
{
    if (s->nev == s->cap) {
        /* two arrays, one count: s->cap is what both hold (a failure part way
         * leaves the first one larger, which is harmless) */
        size_t cap_ns = s->cap, cap_tok = s->cap;
        if (tg_grow((void **)&s->ev_ns, &cap_ns, s->nev + 1, sizeof *s->ev_ns, 256) ||
            tg_grow((void **)&s->ev_tok, &cap_tok, s->nev + 1, sizeof *s->ev_tok, 256))
            return TG_ENOMEM;
        s->cap = cap_ns < cap_tok ? cap_ns : cap_tok;
    }
    if (s->nev) {
        int64_t gap = (int64_t)(t - s->ev_ns[s->nev - 1]);
        if (gap > s->itl_max_ns)
            s->itl_max_ns = gap;
    }
    s->ev_ns[s->nev] = t;
    s->ev_tok[s->nev] = tokens;
    s->nev++;
    return 0;
}

static int on_event(void *ctx, const char *event, size_t elen, const char *data, size_t len)
{
    struct conn *c = ctx;
    struct worker *w = c->w;
    struct stream *s = &c->stream;
    if (s->failed || s->done_seen)
        return 0;   /* the rest of the body is read, not interpreted */
    struct tg_api_stream_event ev;
    char why[160] = "";
    int rc = w->cfg->api->stream_event(event, elen, data, len, &s->text, &ev, why, sizeof why);
    if (rc == TG_ENOMEM) {
        snprintf(why, sizeof why, "%zu", w->cfg->max_response_bytes);
        stream_fail(s, "generated text larger than %s bytes (--max-response), or out of memory", why);
        return 0;
    }
    if (rc) {
        stream_fail(s, "%s", why[0] ? why : "malformed stream event");
        return 0;
    }
    switch (ev.kind) {
    case TG_API_EV_CONTENT: {
        uint32_t tokens = 1;
        if (ev.completion_tokens >= 0) {
            int64_t before = s->cum_tokens > 0 ? s->cum_tokens : 0;
            if (ev.completion_tokens > before)
                tokens = (uint32_t)(ev.completion_tokens - before);
        }
        if (push_event(s, s->now_ns, tokens) != 0)
            stream_fail(s, "%s", "out of memory recording stream events");
        break;
    }
    case TG_API_EV_DONE:
        s->done_seen = true;
        break;
    case TG_API_EV_ERROR:
        stream_fail(s, "stream error: %.140s", ev.message[0] ? ev.message : "(no message)");
        break;
    case TG_API_EV_OTHER:
        break;
    }
    if (ev.completion_tokens >= 0)
        s->cum_tokens = ev.completion_tokens;
    return 0;
}

void tg_wk_stream_feed(struct worker *w, struct conn *c, const char *data, size_t len)
{
    struct stream *s = &c->stream;
    if (s->failed)
        return;
    int rc = tg_sse_feed(&s->sse, data, len, on_event, c);
    if (rc == TG_ETOOBIG) {
        char n[32];
        snprintf(n, sizeof n, "%zu", w->cfg->max_response_bytes);
        stream_fail(s, "stream event larger than %s bytes (--max-response)", n);
    } else if (rc) {
        stream_fail(s, "reading the stream: %s", tg_strerror(rc));
    }
}

void tg_wk_stream_finish(struct worker *w, struct req *r)
{
    struct stream *s = r->stream;
    uint32_t slot = r->inputs[0];
    /* An event not ended by a blank line is discarded (WHATWG), not an error. */
    (void)tg_sse_end(&s->sse);
    if (s->failed) {
        tg_wk_finish_input(w, slot, r, TG_ERRC_OUTPUT, s->err_detail, NULL, NULL, 0);
        return;
    }
    tg_buf_reset(&w->canon);
    if (tg_api_canon_text(&w->canon, s->text.data ? s->text.data : "", s->text.len) != 0) {
        tg_wk_finish_input(w, slot, r, TG_ERRC_OUTPUT, "out of memory hashing outputs", NULL, NULL, 0);
        return;
    }
    char hex[TG_SHA256_HEX_LEN + 1];
    tg_sha256_hex(w->canon.data, w->canon.len, hex);
    tg_wk_finish_input(w, slot, r, TG_ERRC_NONE, NULL, hex, w->cfg->keep_outputs ? w->canon.data : NULL,
                       w->canon.len);
}

void tg_wk_stream_fill(const struct worker *w, const struct stream *s, uint64_t ready_ns,
                       struct tg_input_result *res)
{
    res->streamed = true;
    res->content_events = (uint32_t)s->nev;
    res->tokens_from_usage = s->cum_tokens >= 0;
    res->output_tokens = s->cum_tokens >= 0 ? (uint64_t)s->cum_tokens : s->nev;
    res->ttft_ns = s->nev ? (int64_t)(s->ev_ns[0] - ready_ns) : -1;
    res->tpot_ms = -1;
    if (s->nev && res->output_tokens >= 2)
        res->tpot_ms = (double)(s->ev_ns[s->nev - 1] - s->ev_ns[0]) / 1e6 / (double)(res->output_tokens - 1);
    res->itl_max_ns = s->itl_max_ns;
    if (w->cfg->keep_stream) {
        res->event_ns = s->ev_ns;
        res->event_tokens = s->ev_tok;
    }
}

void tg_wk_stream_record(struct worker *w, const struct stream *s, const struct tg_input_result *res)
{
    w->st.streamed++;
    w->st.output_tokens += res->output_tokens;
    if (res->tokens_from_usage)
        w->st.tokens_from_usage++;
    if (res->ttft_ns >= 0)
        tg_hist_record(w->st.ttft, (uint64_t)res->ttft_ns / 1000);
    if (res->tpot_ms >= 0)
        tg_hist_record(w->st.tpot, (uint64_t)(res->tpot_ms * 1000.0));
    for (size_t i = 1; i < s->nev; i++)
        tg_hist_record(w->st.itl, (s->ev_ns[i] - s->ev_ns[i - 1]) / 1000);
}

void tg_wk_stream_init(struct stream *s, size_t max_bytes)
{
    memset(s, 0, sizeof *s);
    tg_sse_init(&s->sse, max_bytes);
    s->text = (struct tg_buf)TG_BUF_INIT(max_bytes);
    s->cum_tokens = -1;
    s->itl_max_ns = -1;
}

void tg_wk_stream_free(struct stream *s)
{
    tg_sse_free(&s->sse);
    tg_buf_free(&s->text);
    free(s->ev_ns);
    free(s->ev_tok);
    s->ev_ns = NULL;
    s->ev_tok = NULL;
    s->nev = s->cap = 0;
}
