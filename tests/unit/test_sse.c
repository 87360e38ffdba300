/*
 * test_sse.c - the event-stream parser: one table of streams, each rule of
 * sse.h at least once, and every stream fed whole, cut once at every offset,
 * cut twice at every pair of offsets (an empty middle piece included), byte
 * by byte and in 7-byte pieces, each piece in an exactly-sized heap block:
 * every split must give the same events, return code, end verdict and id.
 * Then the limits, the callback's stop, reset and the data buffer's growth.
 */
#include "test.h"

#include "core/error.h"
#include "http/sse.h"

TEST_MAIN()

#define STOP_CODE (-42)

struct got {
    char s[2048];     /* the events, "[type]data|" each, with \n \r \0 escaped */
    size_t n;
    int stop_after;   /* the callback returns STOP_CODE at this event (1-based), 0: never */
    int count;
    int bad_nul;      /* events whose data was not NUL-terminated */
};

static void put(struct got *g, const char *s, size_t n, bool escape)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        const char *e = NULL;
        if (escape)
            e = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\0' ? "\\0" : NULL;
        size_t k = e ? 2 : 1;
        if (g->n + k >= sizeof g->s)
            return;
        memcpy(g->s + g->n, e ? e : &c, k);
        g->n += k;
        g->s[g->n] = '\0';
    }
}

static int on_event(void *ctx, const char *ev, size_t elen, const char *data, size_t dlen)
{
    struct got *g = ctx;
    if (data[dlen] != '\0')
        g->bad_nul++;
    put(g, "[", 1, false);
    put(g, ev, elen, true);
    put(g, "]", 1, false);
    put(g, data, dlen, true);
    put(g, "|", 1, false);
    g->count++;
    return g->count == g->stop_after ? STOP_CODE : 0;
}

struct sse_case {
    const char *name;
    const char *in;
    size_t len;          /* 0: strlen(in) */
    size_t max_event;    /* 0: the default */
    int stop_after;
    int rc;              /* of the feed that ends the stream (or fails) */
    const char *want;    /* events */
    bool pending;        /* tg_sse_end (not called when rc != 0) */
    const char *id;
};

static const struct sse_case CASES[] = {
    { "lf", "data: hello\n\n", 0, 0, 0, 0, "[]hello|", false, "" },
    { "crlf", "data: a\r\n\r\ndata: b\r\n\r\n", 0, 0, 0, 0, "[]a|[]b|", false, "" },
    { "cr", "data: a\r\rdata: b\r\r", 0, 0, 0, 0, "[]a|[]b|", false, "" },
    { "mixed line ends", "data: a\r\ndata: b\rdata: c\n\r\n", 0, 0, 0, 0, "[]a\\nb\\nc|", false, "" },
    { "cr lf is one line end", "data: x\r\n\ndata: y\n\r\n", 0, 0, 0, 0, "[]x|[]y|", false, "" },
    { "cr cr lf is two", "data: x\r\r\n\n", 0, 0, 0, 0, "[]x|", false, "" },
    { "lf cr is two", "data: x\n\rdata: y\n\r", 0, 0, 0, 0, "[]x|[]y|", false, "" },
    { "bom skipped", "\xEF\xBB\xBF" "data: a\n\n", 0, 0, 0, 0, "[]a|", false, "" },
    { "bom only at the start", "data: \xEF\xBB\xBF\n\n", 0, 0, 0, 0, "[]\xEF\xBB\xBF|", false, "" },
    { "one bom only", "\xEF\xBB\xBF\xEF\xBB\xBF" "data: a\n\n", 0, 0, 0, 0, "", false, "" },
    { "bom prefix is content", "\xEF" "data: a\n\n", 0, 0, 0, 0, "", false, "" },
    { "bom prefix 2 is content", "\xEF\xBB" "data: a\n\ndata: b\n\n", 0, 0, 0, 0, "[]b|", false, "" },
    { "bom alone", "\xEF\xBB\xBF", 0, 0, 0, 0, "", false, "" },
    { "bom prefix alone is a line", "\xEF\xBB", 0, 0, 0, 0, "", true, "" },
    { "empty", "", 0, 0, 0, 0, "", false, "" },
    { "comments", ": keepalive\ndata: a\n: mid\n\n:\n\n", 0, 0, 0, 0, "[]a|", false, "" },
    { "comment alone then blank", ": c\n\n", 0, 0, 0, 0, "", false, "" },
    { "multi-line data", "data: a\ndata: b\ndata:\n\n", 0, 0, 0, 0, "[]a\\nb\\n|", false, "" },
    { "data without colon", "data\ndata\n\n", 0, 0, 0, 0, "[]\\n|", false, "" },
    { "data alone is an empty event", "data\n\n", 0, 0, 0, 0, "[]|", false, "" },
    { "data: empty is an empty event", "data:\n\n", 0, 0, 0, 0, "[]|", false, "" },
    { "no space", "data:a\n\n", 0, 0, 0, 0, "[]a|", false, "" },
    { "one space removed only", "data:  a \n\n", 0, 0, 0, 0, "[] a |", false, "" },
    { "tab kept", "data:\ta\n\n", 0, 0, 0, 0, "[]\ta|", false, "" },
    { "colon in value", "data: a:b: c\n\n", 0, 0, 0, 0, "[]a:b: c|", false, "" },
    { "nul in data", "data: a\0b\n\n", 11, 0, 0, 0, "[]a\\0b|", false, "" },
    { "event type", "event: add\ndata: 1\n\ndata: 2\n\n", 0, 0, 0, 0, "[add]1|[]2|", false, "" },
    { "event type no space", "event:error\ndata: {}\n\n", 0, 0, 0, 0, "[error]{}|", false, "" },
    { "event type last wins", "event: a\nevent: b\ndata: x\n\n", 0, 0, 0, 0, "[b]x|", false, "" },
    { "event alone resets the type", "event: a\nevent\ndata: b\n\n", 0, 0, 0, 0, "[]b|", false, "" },
    { "blank line without data resets the type", "event: x\n\ndata: y\n\n", 0, 0, 0, 0, "[]y|", false, "" },
    { "id", "id: 7\ndata: a\n\n", 0, 0, 0, 0, "[]a|", false, "7" },
    { "id kept over events", "id: 7\ndata: a\n\ndata: b\n\n", 0, 0, 0, 0, "[]a|[]b|", false, "7" },
    { "id alone empties it", "id: 1\nid\n", 0, 0, 0, 0, "", true, "" },
    { "id with nul ignored", "id: 1\nid: 2\0003\n", 14, 0, 0, 0, "", true, "1" },
    { "id no space", "id:x y\n", 0, 0, 0, 0, "", true, "x y" },
    { "retry ignored", "retry: 1000\ndata: a\n\nretry: x\nretry\n\n", 0, 0, 0, 0, "[]a|", false, "" },
    { "unknown fields", "foo: bar\ndata: a\nbaz\ndat: q\ndataa: q\n\n", 0, 0, 0, 0, "[]a|", false, "" },
    { "long unknown name", "averyveryverylongfieldname: x\ndata: a\n\n", 0, 0, 0, 0, "[]a|", false, "" },
    { "name with a space is unknown", "data : x\n data: y\n\n", 0, 0, 0, 0, "", false, "" },
    { "names are case-sensitive", "Data: x\nDATA: y\nEvent: e\ndata: z\n\n", 0, 0, 0, 0, "[]z|", false, "" },
    { "blank lines only", "\n\n\r\n\r\r", 0, 0, 0, 0, "", false, "" },
    { "openai chunks",
      "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n"
      "data: {\"choices\":[{\"delta\":{\"content\":\" there\"}}]}\n\n"
      "data: [DONE]\n\n",
      0, 0, 0, 0,
      "[]{\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}|"
      "[]{\"choices\":[{\"delta\":{\"content\":\" there\"}}]}|[][DONE]|",
      false, "" },
    { "unterminated event discarded", "data: a\n\ndata: b\n", 0, 0, 0, 0, "[]a|", true, "" },
    { "unterminated line discarded", "data: a\n\ndata: b", 0, 0, 0, 0, "[]a|", true, "" },
    { "unterminated cr", "data: a\r", 0, 0, 0, 0, "", true, "" },
    { "unterminated field name", "data: a\n\nda", 0, 0, 0, 0, "[]a|", true, "" },
    { "unterminated event field", "data: a\n\nevent: x\n", 0, 0, 0, 0, "[]a|", true, "" },
    { "trailing comment is not pending", "data: a\n\n: bye", 0, 0, 0, 0, "[]a|", false, "" },
    { "limit: exactly max", "data: abcd\n\n", 0, 4, 0, 0, "[]abcd|", false, "" },
    { "limit: lines joined exactly max", "data: ab\ndata: c\n\n", 0, 4, 0, 0, "[]ab\\nc|", false, "" },
    { "limit: one over", "data: abcde\n\n", 0, 4, 0, TG_ETOOBIG, "", false, "" },
    { "limit: joined one over", "data: ab\ndata: cd\n\n", 0, 4, 0, TG_ETOOBIG, "", false, "" },
    { "limit: trailing empty line over", "data: abcd\ndata\n\n", 0, 4, 0, TG_ETOOBIG, "", false, "" },
    { "limit: after an event", "data: a\n\ndata: abcdef\n\n", 0, 4, 0, TG_ETOOBIG, "[]a|", false, "" },
    { "limit: unterminated over", "data: abcde", 0, 4, 0, TG_ETOOBIG, "", false, "" },
    { "limit: full, then an empty line unterminated", "data: abcd\ndata:", 0, 4, 0, 0, "", true, "" },
    { "limit: full, then a byte", "data: abcd\ndata: x", 0, 4, 0, TG_ETOOBIG, "", false, "" },
    { "limit: zero-length events at the limit", "data\n\ndata: abcd\n\n", 0, 4, 0, 0, "[]|[]abcd|", false, "" },
    { "limit: per event", "data: abcd\n\ndata: efgh\n\n", 0, 4, 0, 0, "[]abcd|[]efgh|", false, "" },
    { "callback stops", "data: a\n\ndata: b\n\ndata: c\n\n", 0, 0, 2, STOP_CODE, "[]a|[]b|", false, "" },
    { "callback stops at first", "data: a\n\ndata: b\n\n", 0, 0, 1, STOP_CODE, "[]a|", false, "" },
};

struct result {
    struct got g;
    int rc;
    bool pending;
    uint64_t events;
    char id[TG_SSE_MAX_FIELD + 1];
};

/* Feeds c's stream cut at cuts[0..ncuts) (ascending offsets), each piece in
 * its own exactly-sized heap block, stopping at the first non-zero return. */
static void run(const struct sse_case *c, size_t n, const size_t *cuts, size_t ncuts, struct result *r)
{
    struct tg_sse p;
    tg_sse_init(&p, c->max_event);
    memset(r, 0, sizeof *r);
    r->g.stop_after = c->stop_after;
    size_t off = 0;
    for (size_t i = 0; i <= ncuts && r->rc == 0; i++) {
        size_t to = i < ncuts ? cuts[i] : n;
        size_t k = to - off;
        char *b = malloc(k ? k : 1);
        memcpy(b, c->in + off, k);
        r->rc = tg_sse_feed(&p, b, k, on_event, &r->g);
        free(b);
        off = to;
    }
    r->events = tg_sse_events(&p);
    size_t idl;
    const char *id = tg_sse_last_id(&p, &idl);
    memcpy(r->id, id, idl);
    r->id[idl] = '\0';
    if (r->rc == 0)
        r->pending = tg_sse_end(&p);
    tg_sse_free(&p);
}

static bool same(const struct sse_case *c, const struct result *r)
{
    return r->rc == c->rc && strcmp(r->g.s, c->want) == 0 && r->g.bad_nul == 0 &&
           r->pending == c->pending && r->events == (uint64_t)r->g.count && strcmp(r->id, c->id) == 0;
}

static void report(const struct sse_case *c, const struct result *r, const char *split)
{
    TG_FAIL_AT("%s, %s: expected rc %d events \"%s\" pending %d id \"%s\"; got rc %d events \"%s\" "
               "pending %d id \"%s\" (counted %llu, %d not NUL-terminated)",
               c->name, split, c->rc, c->want, c->pending, c->id, r->rc, r->g.s, r->pending, r->id,
               (unsigned long long)r->events, r->g.bad_nul);
}

static void check_case(const struct sse_case *c)
{
    size_t n = c->len ? c->len : strlen(c->in);
    struct result r;
    char split[64];
    size_t cuts[512];

    run(c, n, NULL, 0, &r);
    if (!same(c, &r)) {
        report(c, &r, "whole");
        return;
    }
    for (size_t i = 0; i <= n; i++) {
        cuts[0] = i;
        run(c, n, cuts, 1, &r);
        if (!same(c, &r)) {
            snprintf(split, sizeof split, "cut at %zu", i);
            report(c, &r, split);
            return;
        }
        for (size_t j = i; j <= n; j++) {
            cuts[1] = j;
            run(c, n, cuts, 2, &r);
            if (!same(c, &r)) {
                snprintf(split, sizeof split, "cut at %zu and %zu", i, j);
                report(c, &r, split);
                return;
            }
        }
    }
    const size_t steps[] = { 1, 7 };
    for (size_t s = 0; s < 2; s++) {
        size_t k = 0;
        for (size_t off = steps[s]; off < n && k < 512; off += steps[s])
            cuts[k++] = off;
        run(c, n, cuts, k, &r);
        if (!same(c, &r)) {
            snprintf(split, sizeof split, "%zu-byte pieces", steps[s]);
            report(c, &r, split);
            return;
        }
    }
}

TEST(sse_table_every_split)
{
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++)
        check_case(&CASES[i]);
}

/* Event type and id: TG_SSE_MAX_FIELD bytes fit, one more is TG_ETOOBIG. */
TEST(sse_field_limits)
{
    static char in[1024];
    static char want[1024];
    char v[TG_SSE_MAX_FIELD + 2];
    memset(v, 'e', sizeof v);
    v[TG_SSE_MAX_FIELD] = '\0';
    snprintf(in, sizeof in, "event: %s\ndata: x\n\n", v);
    snprintf(want, sizeof want, "[%s]x|", v);
    struct sse_case c = { "event type of the limit", in, 0, 0, 0, 0, want, false, "" };
    check_case(&c);

    v[TG_SSE_MAX_FIELD] = 'e';
    v[TG_SSE_MAX_FIELD + 1] = '\0';
    snprintf(in, sizeof in, "data: a\n\nevent: %s\ndata: x\n\n", v);
    c = (struct sse_case){ "event type over the limit", in, 0, 0, 0, TG_ETOOBIG, "[]a|", false, "" };
    check_case(&c);

    memset(v, 'i', sizeof v);
    v[TG_SSE_MAX_FIELD] = '\0';
    snprintf(in, sizeof in, "id: %s\n", v);
    c = (struct sse_case){ "id of the limit", in, 0, 0, 0, 0, "", true, v };
    check_case(&c);

    v[TG_SSE_MAX_FIELD] = 'i';
    v[TG_SSE_MAX_FIELD + 1] = '\0';
    snprintf(in, sizeof in, "id: %s\n", v);
    c = (struct sse_case){ "id over the limit", in, 0, 0, 0, TG_ETOOBIG, "", false, "" };
    check_case(&c);

    /* the length is checked before the NUL rule, whatever the split */
    size_t n = (size_t)snprintf(in, sizeof in, "id: %s\n", v);
    in[10] = '\0';
    c = (struct sse_case){ "id over the limit with a NUL", in, n, 0, 0, TG_ETOOBIG, "", false, "" };
    check_case(&c);
}

static int count_event(void *ctx, const char *ev, size_t elen, const char *data, size_t dlen)
{
    size_t *total = ctx;
    *total += dlen;
    return 0;
}

/* The data buffer never grows past the event limit (plus its LF and NUL),
 * however the event arrives, and is reused across events. */
TEST(sse_growth_respects_max_event)
{
    const size_t max = 1000;
    struct tg_sse p;
    tg_sse_init(&p, max);
    size_t total = 0;
    char line[max + 16];
    memcpy(line, "data: ", 6);
    memset(line + 6, 'x', max);
    memcpy(line + 6 + max, "\n\n", 2);
    size_t n = 6 + max + 2;
    for (int rep = 0; rep < 3; rep++)
        for (size_t i = 0; i < n; i++)
            CHECK_INT_EQ(0, tg_sse_feed(&p, line + i, 1, count_event, &total));
    CHECK_UINT_EQ(3 * max, total);
    CHECK_UINT_EQ(3, tg_sse_events(&p));
    CHECK(p.data.cap <= max + 2);
    printf("  data buffer capacity %zu for max_event %zu\n", p.data.cap, max);

    line[6 + max] = 'y';   /* one byte more: TG_ETOOBIG, the buffer still bounded */
    int rc = tg_sse_feed(&p, line, n, count_event, &total);
    CHECK_INT_EQ(TG_ETOOBIG, rc);
    CHECK(p.data.cap <= max + 2);
    tg_sse_free(&p);
}

/* After TG_ETOOBIG or a stop, reset gives a fresh stream (counters and id too). */
TEST(sse_reset_and_reuse)
{
    struct tg_sse p;
    tg_sse_init(&p, 4);
    struct got g = { .stop_after = 0 };
    CHECK_INT_EQ(TG_ETOOBIG, tg_sse_feed(&p, "id: 9\ndata: ab\n\ndata: toolong", 29, on_event, &g));
    CHECK_STR_EQ("[]ab|", g.s);
    tg_sse_reset(&p);
    CHECK_UINT_EQ(0, tg_sse_events(&p));
    size_t idl = 99;
    tg_sse_last_id(&p, &idl);
    CHECK_UINT_EQ(0, idl);
    memset(&g, 0, sizeof g);
    /* a reset stream starts again: its BOM is skipped */
    CHECK_INT_EQ(0, tg_sse_feed(&p, "\xEF\xBB\xBF" "data: cd\n\n", 13, on_event, &g));
    CHECK_STR_EQ("[]cd|", g.s);
    CHECK_UINT_EQ(1, tg_sse_events(&p));
    CHECK(!tg_sse_end(&p));
    tg_sse_free(&p);

    struct tg_sse z;
    memset(&z, 0, sizeof z);
    tg_sse_free(&z);   /* a zeroed parser frees */
}

/* tg_sse_end discards the pending event; counts and id stay readable. */
TEST(sse_end_discards)
{
    struct tg_sse p;
    tg_sse_init(&p, 0);
    struct got g = { .stop_after = 0 };
    CHECK_INT_EQ(0, tg_sse_feed(&p, "id: 3\ndata: a\n\ndata: half", 25, on_event, &g));
    CHECK(tg_sse_end(&p));
    CHECK(!tg_sse_end(&p));
    CHECK_UINT_EQ(1, tg_sse_events(&p));
    size_t idl;
    const char *id = tg_sse_last_id(&p, &idl);
    CHECK_MEM_EQ("3", 1, id, idl);
    /* what follows an end starts at a line start (no BOM check: same stream object) */
    CHECK_INT_EQ(0, tg_sse_feed(&p, "\n\ndata: b\n\n", 11, on_event, &g));
    CHECK_STR_EQ("[]a|[]b|", g.s);
    tg_sse_free(&p);
}

/* Nothing but a field name or an id (<= TG_SSE_MAX_FIELD bytes) is carried
 * from one piece to the next: long comments and unknown fields cut in any
 * way leave the line buffer small, so no byte is looked at again later. */
TEST(sse_carries_only_small_state)
{
    enum { BIG = 100000 };
    char *in = malloc(3 * BIG + 64);
    REQUIRE(in != NULL);
    size_t n = 0;
    in[n++] = ':';
    memset(in + n, 'c', BIG);
    n += BIG;
    memcpy(in + n, "\nunknown:", 9);
    n += 9;
    memset(in + n, 'u', BIG);
    n += BIG;
    memcpy(in + n, "\ndata: ", 7);
    n += 7;
    memset(in + n, 'd', BIG);
    n += BIG;
    memcpy(in + n, "\n\n", 2);
    n += 2;
    const size_t steps[] = { 1, 4096, 0 };
    for (size_t s = 0; s < 3; s++) {
        struct tg_sse p;
        tg_sse_init(&p, 0);
        size_t total = 0, step = steps[s] ? steps[s] : n;
        size_t line_cap = 0;
        for (size_t off = 0; off < n; off += step) {
            CHECK_INT_EQ(0, tg_sse_feed(&p, in + off, off + step <= n ? step : n - off, count_event, &total));
            if (p.line.cap > line_cap)
                line_cap = p.line.cap;
        }
        CHECK_UINT_EQ(BIG, total);
        CHECK_UINT_EQ(1, tg_sse_events(&p));
        CHECK(line_cap <= TG_SSE_MAX_FIELD + 1);
        printf("  %zu-byte pieces: line buffer capacity at most %zu\n", step, line_cap);
        tg_sse_free(&p);
    }
    free(in);
}
