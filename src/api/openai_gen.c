/*
 * openai_gen.c - the generative OpenAI APIs, client side, and their tables
 * (docs/api.md, "openai-chat" and "openai-completions"):
 *   POST /v1/chat/completions {"model":M,"messages":[{"role","content"}…],…}
 *     -> {"choices":[{"index":0,"message":{"role","content":T},…}],"usage":{…}}
 *     streamed: data: {"choices":[{"index":0,"delta":{"content":T}}]} … data: [DONE]
 *   POST /v1/completions {"model":M,"prompt":P,…}
 *     -> {"choices":[{"index":0,"text":T,…}],"usage":{…}}, streamed likewise
 *        with choices[].text.
 * The output of an input is its generated text; its canonical text is
 * tg_api_canon_text(T), the same whether it came streamed or not.  Not
 * batchable: a payload line is sent as it is.  The server side is in
 * openai_gen_server.c.
 */
#include "api/internal.h"

#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHAT "openai-chat"
#define CMPL "openai-completions"

static const char *dname(enum tg_api_gen_dialect d) { return d == TG_API_GEN_CHAT ? CHAT : CMPL; }

/* ---- payload lines ------------------------------------------------------------ */

/* A message's content: a string, null (an assistant turn with tool_calls),
 * or an array of parts, each an object with a string "type" (a "text" part
 * with a string "text"). */
static bool content_ok(const json_t *c, size_t k, char *why, size_t whylen)
{
    if (!c) {
        tg_api_fail(why, whylen, 0, CHAT, "\"messages\"[%zu] has no \"content\"", k);
        return false;
    }
    if (json_is_string(c) || json_is_null(c))
        return true;
    if (!json_is_array(c)) {
        tg_api_fail(why, whylen, 0, CHAT,
                    "\"messages\"[%zu].content must be a string, null or an array of parts", k);
        return false;
    }
    for (size_t j = 0; j < json_array_size(c); j++) {
        json_t *p = json_array_get(c, j), *type = json_object_get(p, "type");
        if (!json_is_string(type)) {
            tg_api_fail(why, whylen, 0, CHAT, "\"messages\"[%zu].content[%zu] has no string \"type\"", k, j);
            return false;
        }
        if (!strcmp(json_string_value(type), "text") && !json_is_string(json_object_get(p, "text"))) {
            tg_api_fail(why, whylen, 0, CHAT, "\"messages\"[%zu].content[%zu] (text) has no string \"text\"",
                        k, j);
            return false;
        }
    }
    return true;
}

static bool messages_ok(const json_t *msgs, char *why, size_t whylen)
{
    if (!json_is_array(msgs) || json_array_size(msgs) == 0) {
        tg_api_fail(why, whylen, 0, CHAT, "\"messages\" must be a non-empty array");
        return false;
    }
    for (size_t k = 0; k < json_array_size(msgs); k++) {
        json_t *m = json_array_get(msgs, k);
        if (!json_is_object(m) || !json_is_string(json_object_get(m, "role"))) {
            tg_api_fail(why, whylen, 0, CHAT, "\"messages\"[%zu] is not an object with a string \"role\"", k);
            return false;
        }
        if (!content_ok(json_object_get(m, "content"), k, why, whylen))
            return false;
    }
    return true;
}

/* OpenAI's prompt: a string, an array of strings, an array of token ids, or
 * an array of token-id arrays.  One line is one input, so a list of several
 * prompts (whose answer numbers its choices over them) is refused. */
static bool prompt_ok(const json_t *p, char *why, size_t whylen)
{
    size_t bad = 0;
    if (json_is_string(p))
        return true;
    if (!json_is_array(p)) {
        tg_api_fail(why, whylen, 0, CMPL, "\"prompt\" must be a string, an array of token ids, or a "
                    "one-element array of either");
        return false;
    }
    size_t n = json_array_size(p);
    json_t *first = json_array_get(p, 0);
    if (n == 0) {
        tg_api_fail(why, whylen, 0, CMPL, "\"prompt\" is an empty array");
    } else if (json_is_integer(first)) {
        if (tg_api_all_integers(p, &bad))
            return true;
        tg_api_fail(why, whylen, 0, CMPL, "\"prompt\"[%zu] is not an integer token id", bad);
    } else if (n > 1) {
        tg_api_fail(why, whylen, 0, CMPL,
                    "the line holds %zu prompts (an array of %s); give one prompt per line", n,
                    json_is_string(first) ? "strings" : "inputs");
    } else if (json_is_string(first)) {
        return true;
    } else if (json_is_array(first) && json_array_size(first) > 0 && tg_api_all_integers(first, &bad)) {
        return true;
    } else {
        tg_api_fail(why, whylen, 0, CMPL, "\"prompt\"[0] is neither a string nor a non-empty array of "
                    "integer token ids");
    }
    return false;
}

static int parse_line(enum tg_api_gen_dialect d, const char *line, size_t len, struct tg_api_line *out,
                      char *why, size_t whylen)
{
    json_error_t jerr;
    json_t *root = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!root)
        return tg_api_fail(why, whylen, TG_EPARSE, dname(d), "not JSON: %s", jerr.text);
    const char *key = d == TG_API_GEN_CHAT ? "messages" : "prompt";
    json_t *input = json_object_get(root, key);
    int rc = TG_EPARSE;
    if (!json_is_object(root) || !json_is_string(json_object_get(root, "model")))
        tg_api_fail(why, whylen, rc, dname(d), "not an object with a string \"model\"");
    else if (!input)
        tg_api_fail(why, whylen, rc, dname(d), "no \"%s\"%s", key,
                    d == TG_API_GEN_CHAT && json_object_get(root, "prompt")
                        ? " (this is a completions body: --api openai-completions)"
                    : d == TG_API_GEN_COMPLETIONS && json_object_get(root, "messages")
                        ? " (this is a chat body: --api openai-chat)" : "");
    else if (d == TG_API_GEN_CHAT ? messages_ok(input, why, whylen) : prompt_ok(input, why, whylen))
        rc = tg_api_line_fill(out, root, input, (const char *const[]){ key, NULL });
    json_decref(root);
    return rc;
}

/* ---- non-streaming answers ---------------------------------------------------- */

static bool blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

/* choices' entry of index 0 (a missing index counts as 0), else the first. */
static json_t *choice0(const json_t *choices)
{
    size_t n = json_array_size(choices);
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_array_get(choices, i), *ix = json_object_get(c, "index");
        if (json_is_object(c) && (!ix || json_is_null(ix) || (json_is_integer(ix) && json_integer_value(ix) == 0)))
            return c;
    }
    return json_array_get(choices, 0);
}

static int64_t int_member(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) && json_integer_value(v) >= 0 ? (int64_t)json_integer_value(v) : -1;
}

static int stream_event(enum tg_api_gen_dialect d, const char *event, size_t elen, const char *data,
                        size_t len, struct tg_buf *text, struct tg_api_stream_event *ev, char *why,
                        size_t whylen);

static bool has_prefix(const char *s, size_t n, const char *p)
{
    size_t k = strlen(p);
    return n >= k && !memcmp(s, p, k);
}

/* A whole text/event-stream body (a streaming request answered to a reader
 * that waited for the end): its events in order, read as stream_event reads
 * them, with the WHATWG line rules (CRLF, LF, CR; comments; one space after
 * the colon; an event not ended by a blank line is dropped). */
static int read_sse_body(enum tg_api_gen_dialect d, const char *body, size_t len, struct tg_buf *text,
                         int64_t *completion_tokens, char *why, size_t whylen)
{
    struct tg_buf data = TG_BUF_INIT(0);
    char type[64] = "";
    size_t tlen = 0, i = 0;
    int rc = 0;
    bool done = false, pending = false;
    while (i < len && !rc && !done) {
        size_t j = i;
        while (j < len && body[j] != '\n' && body[j] != '\r')
            j++;
        const char *line = body + i;
        size_t n = j - i;
        bool ended = j < len;
        i = j + (j < len) + (j + 1 < len && body[j] == '\r' && body[j + 1] == '\n');
        if (!ended)
            break; /* the unterminated last line, and its event, are dropped */
        if (n == 0) {
            if (pending && data.len) {
                struct tg_api_stream_event ev;
                data.data[--data.len] = '\0'; /* the last data line's LF */
                rc = stream_event(d, type, tlen, data.data, data.len, text, &ev, why, whylen);
                if (!rc && ev.kind == TG_API_EV_ERROR)
                    rc = tg_api_fail(why, whylen, TG_EMISMATCH, dname(d), "error event in the stream: %s",
                                     ev.message);
                if (!rc && ev.completion_tokens >= 0 && completion_tokens)
                    *completion_tokens = ev.completion_tokens;
                done = !rc && ev.kind == TG_API_EV_DONE;
            }
            tg_buf_reset(&data);
            tlen = 0;
            type[0] = '\0';
            pending = false;
            continue;
        }
        if (line[0] == ':')
            continue;
        const char *colon = memchr(line, ':', n);
        size_t nlen = colon ? (size_t)(colon - line) : n;
        const char *value = colon ? colon + 1 : line + n;
        size_t vlen = (size_t)(line + n - value);
        if (vlen && value[0] == ' ')
            value++, vlen--;
        pending = true;
        if (nlen == 4 && !memcmp(line, "data", 4)) {
            rc = tg_buf_append(&data, value, vlen);
            rc = rc ? rc : tg_buf_append(&data, "\n", 1);
        } else if (nlen == 5 && !memcmp(line, "event", 5)) {
            tlen = vlen < sizeof type - 1 ? vlen : sizeof type - 1;
            memcpy(type, value, tlen);
            type[tlen] = '\0';
        }
    }
    tg_buf_free(&data);
    return rc;
}

static int read_text(enum tg_api_gen_dialect d, const char *body, size_t len, struct tg_buf *text,
                     int64_t *completion_tokens, char *why, size_t whylen)
{
    const char *name = dname(d);
    if (completion_tokens)
        *completion_tokens = -1;
    size_t lead = 0;
    while (lead < len && blank(body[lead]))
        lead++;
    const char *b = body + lead;
    size_t bl = len - lead;
    if (has_prefix(b, bl, "data:") || has_prefix(b, bl, "event:") || has_prefix(b, bl, ":") ||
        has_prefix(b, bl, "id:") || has_prefix(b, bl, "retry:"))
        return read_sse_body(d, body, len, text, completion_tokens, why, whylen);
    json_t *root = tg_api_load(name, body, len, why, whylen);
    if (!root)
        return TG_EPARSE;
    int rc = TG_EMISMATCH;
    json_t *choices = json_object_get(root, "choices"), *c = choice0(choices);
    json_t *msg = d == TG_API_GEN_CHAT ? json_object_get(c, "message") : NULL;
    json_t *t = d == TG_API_GEN_CHAT ? json_object_get(msg, "content") : json_object_get(c, "text");
    const char *field = d == TG_API_GEN_CHAT ? "choices[0].message.content" : "choices[0].text";
    if (!json_is_object(root))
        tg_api_fail(why, whylen, rc, name, "response is not a JSON object");
    else if (!json_is_array(choices))
        tg_api_fail(why, whylen, rc, name, "response has no \"choices\" array");
    else if (!json_is_object(c))
        tg_api_fail(why, whylen, rc, name, "\"choices\" is empty or holds no object");
    else if (d == TG_API_GEN_CHAT && !json_is_object(msg))
        tg_api_fail(why, whylen, rc, name, "choices[0] has no \"message\" object");
    else if (json_is_null(t) && json_object_get(msg, "tool_calls") && !json_is_null(json_object_get(msg, "tool_calls")))
        tg_api_fail(why, whylen, rc, name, "%s is null: the answer is tool_calls, not text", field);
    else if (json_is_null(t) && json_is_string(json_object_get(msg, "refusal")))
        tg_api_fail(why, whylen, rc, name, "%s is null: the model refused (\"refusal\")", field);
    else if (!json_is_string(t) && !(d == TG_API_GEN_CHAT && json_is_null(t)))
        tg_api_fail(why, whylen, rc, name, "%s is %s, not a string", field, t ? "not text" : "missing");
    else
        rc = json_is_string(t) ? tg_buf_append(text, json_string_value(t), json_string_length(t)) : 0;
    if (!rc && completion_tokens)
        *completion_tokens = int_member(json_object_get(root, "usage"), "completion_tokens");
    json_decref(root);
    return rc;
}

static int split(enum tg_api_gen_dialect d, const char *body, size_t len, bool batched, size_t n,
                 tg_api_output_fn fn, void *ctx, char *why, size_t whylen)
{
    if (n != 1)
        return tg_api_fail(why, whylen, TG_EMISMATCH, dname(d),
                           "not batchable: a response holds one output, not %zu", n);
    (void)batched;
    struct tg_buf text = TG_BUF_INIT(0), canon = TG_BUF_INIT(0);
    int rc = read_text(d, body, len, &text, NULL, why, whylen);
    rc = rc ? rc : tg_api_canon_text(&canon, text.data, text.len);
    rc = rc ? rc : tg_api_emit_text(canon.data, canon.len, 0, fn, ctx);
    tg_buf_free(&text);
    tg_buf_free(&canon);
    return rc;
}

/* ---- streaming ------------------------------------------------------------------ */

/* The message of an error chunk or event: error (a string, or an object's
 * "message"), else the chunk's own "message", else the raw data. */
static void error_message(const json_t *root, const char *data, size_t len, char *out, size_t cap)
{
    json_t *e = json_object_get(root, "error"), *m = NULL;
    if (json_is_string(e))
        m = e;
    else if (json_is_object(e))
        m = json_object_get(e, "message");
    if (!json_is_string(m))
        m = json_object_get(root, "message");
    if (json_is_string(m) && json_string_length(m))
        tg_api_one_line(out, cap, json_string_value(m), json_string_length(m));
    else
        tg_api_one_line(out, cap, data, len);
    if (!out[0])
        snprintf(out, cap, "error event without a message");
}

int tg_api_gen_event_jansson(enum tg_api_gen_dialect d, const char *event, size_t elen, const char *data,
                             size_t len, struct tg_buf *text, struct tg_api_stream_event *ev, char *why,
                             size_t whylen)
{
    *ev = (struct tg_api_stream_event){ .kind = TG_API_EV_OTHER, .completion_tokens = -1, .prompt_tokens = -1 };
    size_t s = 0, e = len;
    while (s < e && blank(data[s]))
        s++;
    while (e > s && blank(data[e - 1]))
        e--;
    bool error_event = elen == 5 && !memcmp(event, "error", 5);
    if (e - s == 6 && !memcmp(data + s, "[DONE]", 6))
        ev->kind = TG_API_EV_DONE;
    if (ev->kind == TG_API_EV_DONE || (s == e && !error_event))
        return 0; /* [DONE]; blank data (a keep-alive) is nothing */
    json_error_t jerr;
    json_t *root = json_loadb(data, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!json_is_object(root) && !error_event) {
        int rc = root ? tg_api_fail(why, whylen, TG_EPARSE, dname(d), "stream event data is not a JSON object")
                      : tg_api_fail(why, whylen, TG_EPARSE, dname(d), "stream event data is not JSON: %s at byte %d",
                                    jerr.text, jerr.position);
        json_decref(root);
        return rc;
    }
    /* {"error":…} (OpenAI, TGI, llama.cpp); {"object":"error","message":…}
     * (vLLM before 0.9) */
    json_t *err = json_object_get(root, "error"), *obj = json_object_get(root, "object");
    if (error_event || (err && !json_is_null(err)) ||
        (json_is_string(obj) && !strcmp(json_string_value(obj), "error"))) {
        ev->kind = TG_API_EV_ERROR;
        error_message(root, data + s, e - s, ev->message, sizeof ev->message);
        json_decref(root);
        return 0;
    }
    json_t *usage = json_object_get(root, "usage");
    if (json_is_object(usage)) {
        ev->completion_tokens = int_member(usage, "completion_tokens");
        ev->prompt_tokens = int_member(usage, "prompt_tokens");
    }
    json_t *choices = json_object_get(root, "choices"), *c = NULL;
    for (size_t i = 0; i < json_array_size(choices) && !c; i++) {
        json_t *x = json_array_get(choices, i), *ix = json_object_get(x, "index");
        if (json_is_object(x) && (!ix || json_is_null(ix) || (json_is_integer(ix) && json_integer_value(ix) == 0)))
            c = x;
    }
    int rc = 0;
    if (c) {
        json_t *fr = json_object_get(c, "finish_reason");
        if (json_is_string(fr))
            snprintf(ev->finish_reason, sizeof ev->finish_reason, "%s", json_string_value(fr));
        json_t *t = d == TG_API_GEN_CHAT ? json_object_get(json_object_get(c, "delta"), "content")
                                         : json_object_get(c, "text");
        if (json_is_string(t) && json_string_length(t)) {
            ev->kind = TG_API_EV_CONTENT;
            ev->content_len = json_string_length(t);
            rc = tg_buf_append(text, json_string_value(t), ev->content_len);
        }
    }
    json_decref(root);
    return rc;
}

/* The ordinary chunk by the fast reader, everything else (errors, [DONE],
 * anything unusual or invalid) by jansson. */
static int stream_event(enum tg_api_gen_dialect d, const char *event, size_t elen, const char *data,
                        size_t len, struct tg_buf *text, struct tg_api_stream_event *ev, char *why,
                        size_t whylen)
{
    if (!(elen == 5 && !memcmp(event, "error", 5))) {
        int rc = tg_api_gen_event_scan(d, data, len, text, ev);
        if (rc)
            return rc < 0 ? rc : 0;
    }
    return tg_api_gen_event_jansson(d, event, elen, data, len, text, ev, why, whylen);
}

/* ---- the tables ----------------------------------------------------------------- */

#define WRAP(pre, D)                                                                                   \
    static int pre##_parse_line(const char *line, size_t len, struct tg_api_line *out, char *why,      \
                                size_t whylen)                                                         \
    {                                                                                                  \
        return parse_line(D, line, len, out, why, whylen);                                             \
    }                                                                                                  \
    static int pre##_split(const char *body, size_t len, bool batched, size_t n, tg_api_output_fn fn, \
                           void *ctx, char *why, size_t whylen)                                        \
    {                                                                                                  \
        return split(D, body, len, batched, n, fn, ctx, why, whylen);                                  \
    }                                                                                                  \
    static int pre##_read_text(const char *body, size_t len, struct tg_buf *text, int64_t *ct,        \
                               char *why, size_t whylen)                                               \
    {                                                                                                  \
        return read_text(D, body, len, text, ct, why, whylen);                                         \
    }                                                                                                  \
    static int pre##_stream_event(const char *event, size_t elen, const char *data, size_t len,       \
                                  struct tg_buf *text, struct tg_api_stream_event *ev, char *why,      \
                                  size_t whylen)                                                       \
    {                                                                                                  \
        return stream_event(D, event, elen, data, len, text, ev, why, whylen);                         \
    }                                                                                                  \
    static enum tg_api_route pre##_route(const char *path, char *model, size_t cap)                   \
    {                                                                                                  \
        return tg_api_gen_route(D, path, model, cap);                                                  \
    }                                                                                                  \
    static int pre##_server_parse(const char *body, size_t len, const char *path_model,               \
                                  const struct tg_api_server_limits *lim, struct tg_api_request *r)    \
    {                                                                                                  \
        (void)path_model;                                                                              \
        return tg_api_gen_parse(D, body, len, lim, r);                                                 \
    }                                                                                                  \
    static int pre##_chunk(struct tg_buf *b, const struct tg_api_gen *g, const char *text, size_t len, \
                           bool first)                                                                 \
    {                                                                                                  \
        return tg_api_gen_chunk(D, b, g, text, len, first);                                            \
    }                                                                                                  \
    static int pre##_stream_end(struct tg_buf *b, const struct tg_api_gen *g, bool include_usage)     \
    {                                                                                                  \
        return tg_api_gen_stream_end(D, b, g, include_usage);                                          \
    }                                                                                                  \
    static int pre##_complete(struct tg_buf *b, const struct tg_api_gen *g, const char *text,         \
                              size_t len)                                                              \
    {                                                                                                  \
        return tg_api_gen_complete(D, b, g, text, len);                                                \
    }

WRAP(chat, TG_API_GEN_CHAT)
WRAP(cmpl, TG_API_GEN_COMPLETIONS)

#define TABLE(pre)                                                                                     \
    .parse_line = pre##_parse_line, .split = pre##_split, .read_text = pre##_read_text,               \
    .stream_event = pre##_stream_event, .server_route = pre##_route,                                   \
    .server_parse = pre##_server_parse, .server_error = tg_api_gen_error, .server_chunk = pre##_chunk, \
    .server_stream_end = pre##_stream_end, .server_complete = pre##_complete

const struct tg_api tg_api_openai_chat = {
    .name = CHAT,
    .summary = "OpenAI chat completions: POST /v1/chat/completions {\"model\",\"messages\"} -> "
               "choices[0].message.content, streamed (SSE delta.content) or not",
    .route = "/v1/chat/completions",
    TABLE(chat),
};

const struct tg_api tg_api_openai_completions = {
    .name = CMPL,
    .summary = "OpenAI completions: POST /v1/completions {\"model\",\"prompt\"} -> choices[0].text, "
               "streamed (SSE) or not",
    .route = "/v1/completions",
    TABLE(cmpl),
};
