/*
 * openai_gen_scan.c - the fast reader of one streamed chunk of openai-chat /
 * openai-completions: a single pass over the event's data that validates the
 * whole of it as JSON (RFC 8259) and picks out what stream_event needs,
 * without building a document.  jansson takes 3-6 µs for a 250-byte chunk on
 * the 2-core VM, and stream_event runs once per token of every stream; this
 * takes a fraction of that.
 *
 * It answers only for the ordinary chunk.  On anything else it declines and
 * jansson (tg_api_gen_event_jansson, the reference) reads the event, so the
 * two agree by construction: the fuzzer (tests/fuzz/fuzz_api.c) checks that
 * on every input.  Declined: invalid JSON of any kind (jansson words the
 * reason), a top-level value that is not an object, numbers with an exponent
 * or more than 18 integer digits (jansson's range errors), "\u0000" (jansson
 * refuses it in keys), nesting deeper than MAX_DEPTH, an escaped key or a
 * repeated key where a field is read (jansson keeps the last of repeated
 * keys), a top-level "error" key or "object":"error" (errors are rare; the
 * reference reads them).
 */
#include "api/internal.h"

#include "core/error.h"

#include <string.h>

#define MAX_DEPTH 64

struct span {
    const unsigned char *p;
    size_t n;
    bool esc;      /* holds backslash escapes */
};

/* What one element of "choices" says. */
struct choice {
    bool index0;               /* "index" missing, null or the integer 0 */
    bool has_content, has_finish;
    struct span content, finish;
    unsigned seen;             /* keys met (a repeated one declines) */
};

struct scan {
    const unsigned char *p, *end;
    enum tg_api_gen_dialect d;
    bool have_choice;          /* an element of index 0 was found (the first one is kept) */
    struct choice pick;
    int64_t completion, prompt;
    unsigned seen;             /* top-level and usage keys met */
};

enum {
    SEEN_USAGE = 1, SEEN_CHOICES = 2, SEEN_CT = 4, SEEN_PT = 8, SEEN_OBJECT = 16, /* scan.seen */
    SEEN_INDEX = 1, SEEN_FINISH = 2, SEEN_DELTA = 4, SEEN_CONTENT = 8,            /* choice.seen */
};

typedef bool (*member_fn)(struct scan *s, int depth, const struct span *key, void *ctx);

static bool scan_value(struct scan *s, int depth);

static int peek(const struct scan *s) { return s->p < s->end ? *s->p : -1; }

static void ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static int hex4(const unsigned char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = p[i], h = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (h < 0)
            return -1;
        v = v << 4 | h;
    }
    return v;
}

/* The string at s->p ('"'): validated (UTF-8, escapes, surrogate pairs), its
 * raw bytes between the quotes in *out. */
static bool scan_string(struct scan *s, struct span *out)
{
    const unsigned char *p = s->p + 1, *end = s->end;
    out->p = p;
    out->esc = false;
    while (p < end) {
        unsigned char c = *p;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            p++;
        } else if (c == '"') {
            out->n = (size_t)(p - out->p);
            s->p = p + 1;
            return true;
        } else if (c == '\\') {
            out->esc = true;
            if (end - p < 2)
                return false;
            c = p[1];
            if (c != 'u') {
                if (!strchr("\"\\/bfnrt", c) || !c)
                    return false;
                p += 2;
                continue;
            }
            int cp = end - p >= 6 ? hex4(p + 2) : -1;
            if (cp <= 0 || (cp >= 0xdc00 && cp <= 0xdfff))
                return false; /* "\u0000", a lone low surrogate, bad hex */
            p += 6;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                int lo = end - p >= 6 && p[0] == '\\' && p[1] == 'u' ? hex4(p + 2) : -1;
                if (lo < 0xdc00 || lo > 0xdfff)
                    return false;
                p += 6;
            }
        } else if (c >= 0x80) {
            size_t k = tg_api_utf8_seq(p, (size_t)(end - p));
            if (!k)
                return false;
            p += k;
        } else {
            return false; /* a control byte */
        }
    }
    return false;
}

/* A number; *is_int and *v when it has no fraction (and at most 18 digits). */
static bool scan_number(struct scan *s, bool *is_int, int64_t *v)
{
    const unsigned char *p = s->p, *end = s->end;
    bool neg = p < end && *p == '-';
    p += neg;
    if (p >= end || *p < '0' || *p > '9')
        return false;
    int64_t x = 0;
    const unsigned char *digits = p;
    if (*p == '0') {
        p++;
    } else {
        while (p < end && *p >= '0' && *p <= '9') {
            if (p - digits >= 18)
                return false; /* jansson's range */
            x = x * 10 + (*p++ - '0');
        }
    }
    *is_int = true;
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return false;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        *is_int = false;
    }
    if (p < end && (*p == 'e' || *p == 'E'))
        return false;
    *v = neg ? -x : x;
    s->p = p;
    return true;
}

static bool scan_literal(struct scan *s, const char *lit, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n))
        return false;
    s->p += n;
    return true;
}

/* The object at s->p ('{'), calling member for each key with s->p at its
 * value (which member consumes). */
static bool scan_object(struct scan *s, int depth, member_fn member, void *ctx)
{
    if (depth > MAX_DEPTH)
        return false;
    s->p++;
    ws(s);
    if (peek(s) == '}') {
        s->p++;
        return true;
    }
    for (;;) {
        struct span key;
        if (peek(s) != '"' || !scan_string(s, &key))
            return false;
        ws(s);
        if (peek(s) != ':')
            return false;
        s->p++;
        ws(s);
        if (!member(s, depth, &key, ctx))
            return false;
        ws(s);
        int c = peek(s);
        if (c != ',' && c != '}')
            return false;
        s->p++;
        if (c == '}')
            return true;
        ws(s);
    }
}

static bool any_member(struct scan *s, int depth, const struct span *key, void *ctx)
{
    (void)key;
    (void)ctx;
    return scan_value(s, depth + 1);
}

/* An array at s->p ('['); element(s, depth, i, ctx) consumes element i. */
static bool scan_array(struct scan *s, int depth, bool (*element)(struct scan *, int, void *), void *ctx)
{
    if (depth > MAX_DEPTH)
        return false;
    s->p++;
    ws(s);
    if (peek(s) == ']') {
        s->p++;
        return true;
    }
    for (;;) {
        if (!element(s, depth, ctx))
            return false;
        ws(s);
        int c = peek(s);
        if (c != ',' && c != ']')
            return false;
        s->p++;
        if (c == ']')
            return true;
        ws(s);
    }
}

static bool any_element(struct scan *s, int depth, void *ctx)
{
    (void)ctx;
    return scan_value(s, depth + 1);
}

static bool scan_value(struct scan *s, int depth)
{
    struct span str;
    bool is_int;
    int64_t v;
    switch (peek(s)) {
    case '{': return scan_object(s, depth, any_member, NULL);
    case '[': return scan_array(s, depth, any_element, NULL);
    case '"': return scan_string(s, &str);
    case 't': return scan_literal(s, "true", 4);
    case 'f': return scan_literal(s, "false", 5);
    case 'n': return scan_literal(s, "null", 4);
    default: return scan_number(s, &is_int, &v);
    }
}

static bool key_is(const struct span *k, const char *name, size_t n)
{
    return k->n == n && !memcmp(k->p, name, n);
}
#define KEY(k, lit) key_is((k), lit, sizeof(lit) - 1)

/* Marks bit in *seen; false when it was set already (a repeated key). */
static bool first_time(unsigned *seen, unsigned bit)
{
    if (*seen & bit)
        return false;
    *seen |= bit;
    return true;
}

/* A string value into *out (has = true), or any other value (has = false). */
static bool string_field(struct scan *s, int depth, struct span *out, bool *has)
{
    *has = peek(s) == '"';
    return *has ? scan_string(s, out) : scan_value(s, depth + 1);
}

static bool delta_member(struct scan *s, int depth, const struct span *key, void *ctx)
{
    struct choice *c = ctx;
    if (key->esc)
        return false;
    if (KEY(key, "content"))
        return first_time(&c->seen, SEEN_CONTENT) && string_field(s, depth, &c->content, &c->has_content);
    return scan_value(s, depth + 1);
}

static bool choice_member(struct scan *s, int depth, const struct span *key, void *ctx)
{
    struct choice *c = ctx;
    if (key->esc)
        return false;
    if (KEY(key, "index")) {
        if (!first_time(&c->seen, SEEN_INDEX))
            return false;
        int ch = peek(s);
        if (ch == '-' || (ch >= '0' && ch <= '9')) {
            bool is_int;
            int64_t v;
            if (!scan_number(s, &is_int, &v))
                return false;
            c->index0 = is_int && v == 0;
            return true;
        }
        c->index0 = ch == 'n'; /* null counts as missing */
        return scan_value(s, depth + 1);
    }
    if (KEY(key, "finish_reason"))
        return first_time(&c->seen, SEEN_FINISH) && string_field(s, depth, &c->finish, &c->has_finish);
    if (s->d == TG_API_GEN_CHAT && KEY(key, "delta")) {
        if (!first_time(&c->seen, SEEN_DELTA))
            return false;
        return peek(s) == '{' ? scan_object(s, depth + 1, delta_member, c) : scan_value(s, depth + 1);
    }
    if (s->d == TG_API_GEN_COMPLETIONS && KEY(key, "text"))
        return first_time(&c->seen, SEEN_CONTENT) && string_field(s, depth, &c->content, &c->has_content);
    return scan_value(s, depth + 1);
}

static bool choice_element(struct scan *s, int depth, void *ctx)
{
    (void)ctx;
    if (peek(s) != '{')
        return scan_value(s, depth + 1);
    struct choice c = { .index0 = true };
    if (!scan_object(s, depth + 1, choice_member, &c))
        return false;
    if (c.index0 && !s->have_choice) {
        s->have_choice = true;
        s->pick = c;
    }
    return true;
}

/* usage.completion_tokens / prompt_tokens: a non-negative integer, else -1. */
static bool usage_member(struct scan *s, int depth, const struct span *key, void *ctx)
{
    (void)ctx;
    if (key->esc)
        return false;
    bool ct = KEY(key, "completion_tokens"), pt = !ct && KEY(key, "prompt_tokens");
    if (!ct && !pt)
        return scan_value(s, depth + 1);
    if (!first_time(&s->seen, ct ? SEEN_CT : SEEN_PT))
        return false;
    int ch = peek(s);
    if (ch != '-' && (ch < '0' || ch > '9'))
        return scan_value(s, depth + 1);
    bool is_int;
    int64_t v;
    if (!scan_number(s, &is_int, &v))
        return false;
    if (is_int && v >= 0)
        *(ct ? &s->completion : &s->prompt) = v;
    return true;
}

static bool root_member(struct scan *s, int depth, const struct span *key, void *ctx)
{
    (void)ctx;
    if (key->esc || KEY(key, "error"))
        return false;
    if (KEY(key, "choices")) {
        if (!first_time(&s->seen, SEEN_CHOICES))
            return false;
        return peek(s) == '[' ? scan_array(s, depth + 1, choice_element, NULL) : scan_value(s, depth + 1);
    }
    if (KEY(key, "usage")) {
        if (!first_time(&s->seen, SEEN_USAGE))
            return false;
        return peek(s) == '{' ? scan_object(s, depth + 1, usage_member, NULL) : scan_value(s, depth + 1);
    }
    if (KEY(key, "object")) {
        struct span v;
        bool str;
        if (!first_time(&s->seen, SEEN_OBJECT) || !string_field(s, depth, &v, &str))
            return false;
        return !str || (!v.esc && !(v.n == 5 && !memcmp(v.p, "error", 5)));
    }
    return scan_value(s, depth + 1);
}

/* Decodes the escapes of span sp (validated) into out; returns bytes written
 * (at most sp->n, and at most cap). */
static size_t unescape(const struct span *sp, char *out, size_t cap)
{
    const unsigned char *p = sp->p, *end = sp->p + sp->n;
    size_t o = 0;
    while (p < end && o < cap) {
        if (*p != '\\') {
            out[o++] = (char)*p++;
            continue;
        }
        unsigned char c = p[1];
        if (c != 'u') {
            out[o++] = c == 'b' ? '\b' : c == 'f' ? '\f' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : (char)c;
            p += 2;
            continue;
        }
        unsigned long cp = (unsigned long)hex4(p + 2);
        p += 6;
        if (cp >= 0xd800 && cp <= 0xdbff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + ((unsigned long)hex4(p + 2) - 0xdc00);
            p += 6;
        }
        unsigned char u[4];
        size_t k;
        if (cp < 0x80) {
            u[0] = (unsigned char)cp;
            k = 1;
        } else if (cp < 0x800) {
            u[0] = (unsigned char)(0xc0 | cp >> 6);
            u[1] = (unsigned char)(0x80 | (cp & 0x3f));
            k = 2;
        } else if (cp < 0x10000) {
            u[0] = (unsigned char)(0xe0 | cp >> 12);
            u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
            u[2] = (unsigned char)(0x80 | (cp & 0x3f));
            k = 3;
        } else {
            u[0] = (unsigned char)(0xf0 | cp >> 18);
            u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
            u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
            u[3] = (unsigned char)(0x80 | (cp & 0x3f));
            k = 4;
        }
        for (size_t i = 0; i < k && o < cap; i++)
            out[o++] = (char)u[i];
    }
    return o;
}

int tg_api_gen_event_scan(enum tg_api_gen_dialect d, const char *data, size_t len, struct tg_buf *text,
                          struct tg_api_stream_event *ev)
{
    struct scan s = { (const unsigned char *)data, (const unsigned char *)data + len, d, false, { 0 }, -1, -1, 0 };
    ws(&s);
    if (peek(&s) != '{' || !scan_object(&s, 1, root_member, NULL))
        return 0;
    ws(&s);
    if (s.p != s.end)
        return 0;
    *ev = (struct tg_api_stream_event){ .kind = TG_API_EV_OTHER, .completion_tokens = s.completion,
                                        .prompt_tokens = s.prompt };
    if (!s.have_choice)
        return 1;
    const struct choice *c = &s.pick;
    if (c->has_finish) {
        size_t n = c->finish.esc ? unescape(&c->finish, ev->finish_reason, sizeof ev->finish_reason - 1)
                   : c->finish.n < sizeof ev->finish_reason ? c->finish.n : sizeof ev->finish_reason - 1;
        if (!c->finish.esc)
            memcpy(ev->finish_reason, c->finish.p, n);
        ev->finish_reason[n] = '\0';
    }
    if (c->has_content && c->content.n) {
        int rc = tg_buf_reserve(text, c->content.n);
        if (rc)
            return rc;
        size_t n = c->content.n;
        if (c->content.esc)
            n = unescape(&c->content, text->data + text->len, n);
        else
            memcpy(text->data + text->len, c->content.p, n);
        text->len += n;
        text->data[text->len] = '\0';
        ev->kind = TG_API_EV_CONTENT;
        ev->content_len = n;
    }
    return 1;
}
