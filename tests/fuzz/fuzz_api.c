/*
 * fuzz_api.c - libFuzzer target for every dialect's parsers (src/api/): the
 * input is fed to each dialect of tg_api_all() as a payload line (and, when
 * it parses, build_batch of 1..3 copies), as a response body (split, batched
 * and not, n from the first byte), as a request body (server_parse, then the
 * answer or the error body the server would write, read back), as a path
 * (server_route, then server_meta), and to the error reader and the
 * canonicaliser.  Members a dialect leaves NULL are skipped (dialects written
 * in parallel are stubs).  Invariants: canonical outputs canonicalise to
 * themselves, server answers split into r->n outputs, error bodies are JSON.
 * Generative dialects (openai-chat, openai-completions): the input is also a
 * stream event's data (stream_event; the fast chunk reader must give exactly
 * what the jansson reader gives whenever it answers), a non-streaming body
 * (read_text agrees with split), and a request whose prompt, written back by
 * server_chunk / server_complete, reads back to the same text.
 *   make build/fuzz/fuzz_api   (corpus: tests/fuzz/corpus/api/)
 */
#include "api/api.h"
#include "api/internal.h"
#include "core/buf.h"
#include "core/error.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
    size_t n;
};

/* Every output: i in order, a 64-digit hash, canonical text that is its own
 * canonical form (unless it holds a non-finite float, which is not JSON). */
static int check_output(void *ctx, size_t i, const char *canon, size_t len, const char *hex)
{
    struct seen *s = ctx;
    if (i != s->n++ || strlen(hex) != 64 || memchr(canon, '\0', len))
        abort();
    struct tg_buf again = TG_BUF_INIT(0);
    int rc = tg_api_canon_json(&again, canon, len);
    if (rc == 0 && (again.len != len || memcmp(again.data, canon, len)))
        abort();
    if (rc == TG_EPARSE && !memmem(canon, len, "Infinity", 8) && !memmem(canon, len, "NaN", 3))
        abort();
    tg_buf_free(&again);
    return 0;
}

static void is_json_object(const struct tg_buf *b)
{
    json_t *doc = json_loadb(b->data ? b->data : "", b->len, 0, NULL);
    if (!json_is_object(doc))
        abort();
    json_decref(doc);
}

/* An answer may be an object or (TEI's) an array. */
static void is_json_doc(const struct tg_buf *b)
{
    json_t *doc = json_loadb(b->data ? b->data : "", b->len, 0, NULL);
    if (!json_is_object(doc) && !json_is_array(doc))
        abort();
    json_decref(doc);
}

/* Canonical text of text, hashed like split would. */
static void canon_of(const struct tg_buf *text, struct tg_buf *out)
{
    if (tg_api_canon_text(out, text->data, text->len))
        abort();
}

static void same_event(const struct tg_api_stream_event *x, const struct tg_api_stream_event *y,
                       const struct tg_buf *tx, const struct tg_buf *ty)
{
    if (x->kind != y->kind || x->content_len != y->content_len || x->completion_tokens != y->completion_tokens ||
        x->prompt_tokens != y->prompt_tokens || strcmp(x->finish_reason, y->finish_reason) || tx->len != ty->len ||
        (tx->len && memcmp(tx->data, ty->data, tx->len)))
        abort();
}

/* The input as one SSE event of a stream, by both readers. */
static void stream_side(const struct tg_api *a, const char *in, size_t size, uint8_t b0)
{
    char why[256];
    struct tg_buf text = TG_BUF_INIT(0);
    struct tg_api_stream_event ev;
    const char *type = b0 & 2 ? "error" : "";
    int rc = a->stream_event(type, strlen(type), in, size, &text, &ev, why, sizeof why);
    if (rc != 0 && rc != TG_EPARSE && rc != TG_ENOMEM)
        abort();
    if (rc == 0) {
        if (ev.kind > TG_API_EV_ERROR || ev.content_len != text.len ||
            (ev.kind == TG_API_EV_CONTENT) != (text.len > 0) || !memchr(ev.message, '\0', sizeof ev.message) ||
            !memchr(ev.finish_reason, '\0', sizeof ev.finish_reason) || (ev.kind == TG_API_EV_ERROR && !ev.message[0]))
            abort();
    } else if (text.len || strncmp(why, a->name, strlen(a->name))) {
        abort();
    }
    tg_buf_free(&text);
    for (int k = 0; k < 2; k++) {
        enum tg_api_gen_dialect d = k ? TG_API_GEN_COMPLETIONS : TG_API_GEN_CHAT;
        struct tg_buf t1 = TG_BUF_INIT(0), t2 = TG_BUF_INIT(0);
        struct tg_api_stream_event e1, e2;
        int scanned = tg_api_gen_event_scan(d, in, size, &t1, &e1);
        int ref = tg_api_gen_event_jansson(d, "", 0, in, size, &t2, &e2, why, sizeof why);
        if (scanned == 1 && (ref != 0 || e2.kind == TG_API_EV_ERROR || e2.kind == TG_API_EV_DONE))
            abort();
        if (scanned == 1)
            same_event(&e1, &e2, &t1, &t2);
        else if (scanned != 0 || t1.len)
            abort();
        tg_buf_free(&t1);
        tg_buf_free(&t2);
    }
}

/* The input (when it is UTF-8 without NUL) as the content of an ordinary
 * chunk, written by jansson with and without \\u escapes: the fast reader
 * must answer for it and give the input back exactly. */
static void content_chunk(const char *in, size_t size, uint8_t b0)
{
    if (memchr(in, '\0', size))
        return;
    json_t *str = json_stringn(in, size);
    if (!str)
        return; /* not UTF-8 */
    json_t *doc = json_pack("{s:[{s:i,s:{s:o},s:n}],s:{s:i}}", "choices", "index", 0, "delta", "content", str,
                            "finish_reason", "usage", "completion_tokens", (int)b0);
    char *chunk = doc ? json_dumps(doc, JSON_COMPACT | (b0 & 4 ? JSON_ENSURE_ASCII : 0) |
                                            (b0 & 8 ? JSON_ESCAPE_SLASH : 0)) : NULL;
    if (chunk) {
        struct tg_buf t = TG_BUF_INIT(0);
        struct tg_api_stream_event ev;
        if (tg_api_gen_event_scan(TG_API_GEN_CHAT, chunk, strlen(chunk), &t, &ev) != 1 ||
            ev.completion_tokens != b0 || t.len != size || (size && memcmp(t.data, in, size)) ||
            ev.kind != (size ? TG_API_EV_CONTENT : TG_API_EV_OTHER))
            abort();
        tg_buf_free(&t);
    }
    free(chunk);
    json_decref(doc);
}

/* The input as a non-streaming answer: read_text and split agree. */
static void whole_side(const struct tg_api *a, const char *in, size_t size)
{
    char why[256];
    struct tg_buf text = TG_BUF_INIT(0), canon = TG_BUF_INIT(0);
    int64_t tokens = 0;
    int rc = a->read_text(in, size, &text, &tokens, why, sizeof why);
    if (rc != 0 && rc != TG_EPARSE && rc != TG_EMISMATCH && rc != TG_ENOMEM)
        abort();
    struct seen s = { 0 };
    int rc2 = a->split(in, size, false, 1, check_output, &s, why, sizeof why);
    if (rc2 != rc || (rc == 0 && (s.n != 1 || tokens < -1)))
        abort();
    if (rc == 0)
        canon_of(&text, &canon);
    tg_buf_free(&text);
    tg_buf_free(&canon);
}

/* A parsed generative request: its prompt streamed back (in two pieces) and
 * answered whole reads back as the same text. */
static void generate_back(const struct tg_api *a, const struct tg_api_request *r, uint8_t b0)
{
    const struct tg_api_text *p = &r->texts[0];
    size_t cut = p->len ? b0 % (p->len + 1) : 0;
    struct tg_api_gen g = { "id", "example-model", 1, 3, 2, NULL, r->include_usage };
    struct tg_buf wire = TG_BUF_INIT(0), text = TG_BUF_INIT(0), body = TG_BUF_INIT(0);
    if (a->server_chunk(&wire, &g, p->data, cut, true) ||
        a->server_chunk(&wire, &g, p->data + cut, p->len - cut, false))
        abort();
    g.finish_reason = "length";
    if (a->server_chunk(&wire, &g, "", 0, false) || a->server_stream_end(&wire, &g, true))
        abort();
    char why[256];
    size_t off = 0;
    bool done = false;
    int64_t tokens = -1;
    while (!done) {
        const char *s = wire.data + off, *end = strstr(s, "\n\n");
        if (strncmp(s, "data: ", 6) || !end)
            abort();
        struct tg_api_stream_event ev;
        if (a->stream_event("", 0, s + 6, (size_t)(end - s - 6), &text, &ev, why, sizeof why))
            abort();
        done = ev.kind == TG_API_EV_DONE;
        if (ev.completion_tokens >= 0)
            tokens = ev.completion_tokens;
        off = (size_t)(end + 2 - wire.data);
    }
    /* prompts come from JSON strings: valid UTF-8, back byte for byte */
    if (off != wire.len || tokens != 2 || text.len != p->len || (p->len && memcmp(text.data, p->data, p->len)))
        abort();
    if (a->server_complete(&body, &g, p->data, p->len))
        abort();
    is_json_object(&body);
    struct tg_buf again = TG_BUF_INIT(0);
    int64_t ct = 0;
    if (a->read_text(body.data, body.len, &again, &ct, why, sizeof why) || ct != 2 || again.len != p->len ||
        (p->len && memcmp(again.data, p->data, p->len)))
        abort();
    tg_buf_free(&again);
    tg_buf_free(&wire);
    tg_buf_free(&text);
    tg_buf_free(&body);
}

static void client_side(const struct tg_api *a, const char *in, size_t size, uint8_t b0)
{
    char why[256];
    if (a->parse_line) {
        struct tg_api_line l;
        int rc = a->parse_line(in, size, &l, why, sizeof why);
        if (rc == 0) {
            if (!l.group || !l.item || strlen(l.item) != l.item_len)
                abort();
            if (a->build_batch) {
                const char *items[3] = { l.item, l.item, l.item };
                size_t lens[3] = { l.item_len, l.item_len, l.item_len };
                for (size_t n = 1; n <= 3; n++) {
                    struct tg_buf b = TG_BUF_INIT(0);
                    if (a->build_batch(&b, l.group, items, lens, n) != 0)
                        abort(); /* a parsed line always batches */
                    is_json_object(&b);
                    tg_buf_free(&b);
                }
            }
            tg_api_line_free(&l);
        } else if (rc != TG_EPARSE && rc != TG_ENOMEM) {
            abort();
        }
    }
    if (a->split) {
        size_t n = 1 + b0 % 8;
        for (int batched = 0; batched < 2; batched++) {
            struct seen s = { 0 };
            size_t want = batched ? n : 1;
            int rc = a->split(in, size, batched, want, check_output, &s, why, sizeof why);
            if (rc == 0 && s.n != want)
                abort();
            if (rc != 0 && rc != TG_EPARSE && rc != TG_EMISMATCH && rc != TG_ENOMEM)
                abort();
        }
    }
    if (a->stream_event)
        stream_side(a, in, size, b0);
    if (a->read_text)
        whole_side(a, in, size);
    struct tg_api_error e;
    tg_api_read_error(a, 400 + b0 % 200, in, size, &e);
    if (!memchr(e.message, '\0', sizeof e.message))
        abort();
}

static void server_side(const struct tg_api *a, const char *in, size_t size, uint8_t b0)
{
    static const struct tg_api_server_limits lim = { "example-model", 8, 4 };
    if (a->server_parse) {
        struct tg_api_request r;
        const char *path_model = b0 & 1 ? "other" : "example-model";
        int rc = a->server_parse(in, size, path_model, &lim, &r);
        struct tg_buf b = TG_BUF_INIT(0);
        if (rc == 0 && a->server_chunk) {
            if (r.status != 200 || r.n != 1 || !r.texts || !r.texts[0].data || r.max_tokens == 0 ||
                r.max_tokens < -1 || (r.include_usage && !r.stream))
                abort();
            generate_back(a, &r, b0);
        } else if (rc == 0) {
            if (r.status != 200 || r.n < 1 || r.n > lim.max_batch || !r.texts)
                abort();
            for (size_t i = 0; i < r.n; i++)
                if (!r.texts[i].data)
                    abort();
            double vecs[8 * 4];
            for (size_t i = 0; i < 8 * 4; i++)
                vecs[i] = tg_api_round8((double)i / 7.0 - 2.0);
            if (!a->server_write || a->server_write(&b, &r, vecs, lim.dim))
                abort();
            is_json_doc(&b);
            /* the client side reads tailgate serve's answer back */
            if (a->split) {
                struct seen s = { 0 };
                size_t want = r.batched ? r.n : 1;
                char why[256];
                if (a->split(b.data, b.len, r.batched, want, check_output, &s, why, sizeof why) || s.n != want)
                    abort();
            }
        } else {
            if (r.status < 400 || r.status > 599 || !memchr(r.message, '\0', sizeof r.message) ||
                !r.message[0])
                abort();
            if (!a->server_error || a->server_error(&b, r.status, r.message))
                abort();
            is_json_object(&b);
            struct tg_api_error e;
            tg_api_read_error(a, r.status, b.data, b.len, &e);
            if (!e.message[0])
                abort();
        }
        tg_buf_free(&b);
        tg_api_request_free(&r);
    }
    if (a->server_route) {
        char path[256], model[128];
        size_t n = size < sizeof path - 1 ? size : sizeof path - 1;
        memcpy(path, in, n);
        path[n] = '\0';
        enum tg_api_route kind = a->server_route(path, model, sizeof model);
        if (kind != TG_API_ROUTE_NONE && !memchr(model, '\0', sizeof model))
            abort();
        if ((kind == TG_API_ROUTE_HEALTH || kind == TG_API_ROUTE_METADATA) && a->server_meta) {
            struct tg_buf b = TG_BUF_INIT(0);
            if (a->server_meta(&b, kind, model, &lim))
                abort();
            if (b.len)
                is_json_object(&b);
            tg_buf_free(&b);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0; /* keep an execution fast */
    const char *in = (const char *)data;
    uint8_t b0 = size ? data[0] : 0;
    for (const struct tg_api *const *a = tg_api_all(); *a; a++) {
        client_side(*a, in, size, b0);
        server_side(*a, in, size, b0);
    }
    struct tg_buf c = TG_BUF_INIT(0);
    int rc = tg_api_canon_json(&c, in, size);
    if (rc != 0 && rc != TG_EPARSE && rc != TG_ENOMEM)
        abort();
    tg_buf_free(&c);
    content_chunk(in, size, b0);
    /* the canonical text of any bytes is a JSON string, canonical itself */
    struct tg_buf t = TG_BUF_INIT(0), again = TG_BUF_INIT(0);
    if (tg_api_canon_text(&t, in, size) || tg_api_canon_json(&again, t.data, t.len) || again.len != t.len ||
        memcmp(again.data, t.data, t.len))
        abort();
    tg_buf_free(&t);
    tg_buf_free(&again);
    return 0;
}
