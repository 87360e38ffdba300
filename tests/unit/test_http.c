#include "test.h"

#include "core/buf.h"
#include "core/error.h"
#include "core/time.h"
#include "http/http.h"

TEST_MAIN()

/* ---- response heads ------------------------------------------------------ */

#define OK 0
enum { NONE = TG_HTTP_BODY_NONE, LEN = TG_HTTP_BODY_LENGTH, CHUNK = TG_HTTP_BODY_CHUNKED,
       CLOSE = TG_HTTP_BODY_UNTIL_CLOSE };

struct head_case {
    const char *in;
    bool head;      /* request was HEAD */
    int rc;         /* OK (then head_len == strlen(in)), or an error */
    int status;
    int minor;
    int kind;
    uint64_t cl;
    bool ka;
    double queue, compute;
    size_t nh;
    const char *reason;
};

static const struct head_case head_cases[] = {
    { "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 195\r\n"
      "Server-Timing: queue;dur=0.5, compute;dur=48.25\r\nDate: Mon, 23 Nov 2026 11:00:00 GMT\r\n\r\n",
      false, OK, 200, 1, LEN, 195, true, 0.5, 48.25, 4, "OK" },
    { "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, OK, 200, 1, LEN, 0, true, -1, -1, 1, "OK" },
    { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, OK, 200, 1, CHUNK, 0, true, -1, -1, 1, "OK" },
    { "HTTP/1.1 200 OK\r\nTransfer-Encoding:  Chunked \r\n\r\n", false, OK, 200, 1, CHUNK, 0, true, -1, -1, 1, "OK" },
    { "HTTP/1.1 200 OK\r\nTransfer-Encoding: ,chunked,\r\n\r\n", false, OK, 200, 1, CHUNK, 0, true, -1, -1, 1, "OK" },
    /* no framing: until close */
    { "HTTP/1.1 200 OK\r\nServer: x\r\n\r\n", false, OK, 200, 1, CLOSE, 0, false, -1, -1, 1, "OK" },
    { "HTTP/1.0 200 OK\r\n\r\n", false, OK, 200, 0, CLOSE, 0, false, -1, -1, 0, "OK" },
    /* keep-alive rules */
    { "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n", false, OK, 200, 1, LEN, 2, false, -1, -1, 2, "OK" },
    { "HTTP/1.1 200 OK\r\nconnection: Keep-Alive, CLOSE\r\nContent-Length: 2\r\n\r\n", false, OK, 200, 1, LEN, 2, false, -1, -1, 2, "OK" },
    { "HTTP/1.1 200 OK\r\nConnection: upgrade\r\nContent-Length: 2\r\n\r\n", false, OK, 200, 1, LEN, 2, true, -1, -1, 2, "OK" },
    { "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n", false, OK, 200, 0, LEN, 2, false, -1, -1, 1, "OK" },
    { "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n", false, OK, 200, 0, LEN, 2, true, -1, -1, 2, "OK" },
    { "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n", false, OK, 200, 0, CLOSE, 0, false, -1, -1, 1, "OK" },
    /* bodiless statuses and HEAD */
    { "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", false, OK, 204, 1, NONE, 0, true, -1, -1, 1, "No Content" },
    { "HTTP/1.1 304 Not Modified\r\n\r\n", false, OK, 304, 1, NONE, 0, true, -1, -1, 0, "Not Modified" },
    { "HTTP/1.1 100 Continue\r\n\r\n", false, OK, 100, 1, NONE, 0, true, -1, -1, 0, "Continue" },
    { "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", false, OK, 101, 1, NONE, 0, false, -1, -1, 1, "Switching Protocols" },
    { "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true, OK, 200, 1, NONE, 0, true, -1, -1, 1, "OK" },
    { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true, OK, 200, 1, NONE, 0, true, -1, -1, 1, "OK" },
    /* errors with bodies */
    { "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n", false, OK, 404, 1, LEN, 9, true, -1, -1, 1, "Not Found" },
    { "HTTP/1.1 503 \r\nContent-Length: 1\r\nRetry-After: 1\r\n\r\n", false, OK, 503, 1, LEN, 1, true, -1, -1, 2, "" },
    { "HTTP/1.1 429\r\nContent-Length: 1\r\n\r\n", false, OK, 429, 1, LEN, 1, true, -1, -1, 1, "" },
    { "HTTP/1.1 999 Whatever it is\r\nContent-Length: 1\r\n\r\n", false, OK, 999, 1, LEN, 1, true, -1, -1, 1, "Whatever it is" },
    /* Content-Length lists and repeats */
    { "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", false, OK, 200, 1, LEN, 5, true, -1, -1, 1, "OK" },
    { "HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n", false, OK, 200, 1, LEN, 5, true, -1, -1, 2, "OK" },
    { "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n", false, OK, 200, 1, LEN, UINT64_MAX, true, -1, -1, 1, "OK" },
    { "HTTP/1.1 200 OK\r\nContent-Length: 007\r\n\r\n", false, OK, 200, 1, LEN, 7, true, -1, -1, 1, "OK" },
    /* TE and CL: chunked wins, connection not reused */
    { "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", false, OK, 200, 1, CHUNK, 0, false, -1, -1, 2, "OK" },
    /* bare LF line endings are accepted, also mixed */
    { "HTTP/1.1 200 OK\nContent-Length: 3\n\n", false, OK, 200, 1, LEN, 3, true, -1, -1, 1, "OK" },
    { "HTTP/1.1 200 OK\r\nContent-Length: 3\n\r\n", false, OK, 200, 1, LEN, 3, true, -1, -1, 1, "OK" },
    /* header value trimming, empty values, odd but legal names */
    { "HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Blank: \t \r\nX~!#$%&'*+.^_`|: v\r\nContent-Length: 1\r\n\r\n", false, OK, 200, 1, LEN, 1, true, -1, -1, 4, "OK" },
    { "HTTP/1.1 200 OK\r\nX-Utf8: caf\xc3\xa9\r\nContent-Length: 1\r\n\r\n", false, OK, 200, 1, LEN, 1, true, -1, -1, 2, "OK" },
    /* Server-Timing variants */
    { "HTTP/1.1 200 OK\r\nServer-Timing: compute;dur=48.2;desc=\"a, b;c\", queue;dur=\"1.25\"\r\nContent-Length: 1\r\n\r\n", false, OK, 200, 1, LEN, 1, true, 1.25, 48.2, 2, "OK" },
    { "HTTP/1.1 200 OK\r\nServer-Timing: db;dur=3, queue;desc=q;dur=7\r\nserver-timing: compute;dur=9, queue;dur=100\r\nContent-Length: 1\r\n\r\n", false, OK, 200, 1, LEN, 1, true, 7, 9, 3, "OK" },
    { "HTTP/1.1 200 OK\r\nServer-Timing: queue, compute;dur=abc\r\nContent-Length: 1\r\n\r\n", false, OK, 200, 1, LEN, 1, true, -1, -1, 2, "OK" },

    /* malformed status lines */
    { "HTTP/1.1 200OK\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 20 OK\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 099 OK\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 2x0 OK\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.2 200 OK\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/2 200 OK\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1  200 OK\r\n\r\n", false, .rc = TG_EPARSE },
    { "http/1.1 200 OK\r\n\r\n", false, .rc = TG_EPARSE },
    { "ICY 200 OK\r\n\r\n", false, .rc = TG_EPARSE },
    { "\r\nHTTP/1.1 200 OK\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 O\x01K\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\rX\r\n\r\n", false, .rc = TG_EPARSE },
    /* malformed headers */
    { "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\r\n: empty-name\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\r\nName : v\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\r\nA: b\r\n\tfolded\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\r\nA(b): c\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\r\nA: b\0" "c\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\r\nA: b\x7f\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\r\nA: b\r\n\rX\r\n\r\n", false, .rc = TG_EPARSE },
    /* bad framing */
    { "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\r\nContent-Length: ,\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;q=1\r\n\r\n", false, .rc = TG_EPARSE },
    { "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, .rc = TG_EPARSE },
};

static void check_head(size_t idx, const struct head_case *c, int rc,
                       const struct tg_http_response *r, size_t inlen)
{
    if (c->rc != OK) {
        if (rc != c->rc)
            TG_FAIL_AT("case %zu: expected rc %d, got %d", idx, c->rc, rc);
        return;
    }
    if (rc != (int)inlen) {
        TG_FAIL_AT("case %zu: expected head_len %zu, got %d", idx, inlen, rc);
        return;
    }
    int before = tg_test_failed_checks;
    CHECK_UINT_EQ(inlen, r->head_len);
    CHECK_INT_EQ(c->status, r->status);
    CHECK_INT_EQ(c->minor, r->minor_version);
    CHECK_INT_EQ(c->kind, r->body_kind);
    if (c->kind == LEN)
        CHECK_UINT_EQ(c->cl, r->content_length);
    CHECK_INT_EQ(c->ka, r->keep_alive);
    CHECK_DBL_NEAR(c->queue, r->server_queue_ms, 1e-12);
    CHECK_DBL_NEAR(c->compute, r->server_compute_ms, 1e-12);
    CHECK_UINT_EQ(c->nh, r->num_headers);
    CHECK_MEM_EQ(c->reason, strlen(c->reason), r->reason, r->reason_len);
    if (tg_test_failed_checks != before)
        fprintf(stderr, "  (in case %zu)\n", idx);
}

/* Length of a case input: the tables hold NULs inside a few of them. */
static size_t case_len(const char *s)
{
    /* every input ends with a blank line; find it past embedded NULs */
    const char *p = s;
    for (;;) {
        size_t n = strlen(p);
        if (n >= 2 && p[n - 1] == '\n' && p[n - 2] == '\n')
            return (size_t)(p + n - s);
        if (n >= 4 && memcmp(p + n - 4, "\r\n\r\n", 4) == 0)
            return (size_t)(p + n - s);
        if (n >= 3 && memcmp(p + n - 3, "\n\r\n", 3) == 0)
            return (size_t)(p + n - s);
        p += n + 1;
    }
}

TEST(head_table_whole_and_every_prefix)
{
    static struct tg_http_response r;
    for (size_t i = 0; i < sizeof head_cases / sizeof head_cases[0]; i++) {
        const struct head_case *c = &head_cases[i];
        size_t n = case_len(c->in);
        /* A private copy: every prefix is a fresh heap block, so ASan sees any
         * read past the bytes the parser was given. */
        int rc = TG_EPARTIAL;
        for (size_t k = 0; k < n; k++) {
            char *b = malloc(k ? k : 1);
            memcpy(b, c->in, k);
            rc = tg_http_parse_response_head(b, k, c->head, &r);
            free(b);
            if (c->rc == OK && rc != TG_EPARTIAL) {
                TG_FAIL_AT("case %zu prefix %zu/%zu: expected EPARTIAL, got %d", i, k, n, rc);
                break;
            }
            if (c->rc != OK && rc != TG_EPARTIAL && rc != c->rc) {
                TG_FAIL_AT("case %zu prefix %zu/%zu: expected EPARTIAL or %d, got %d", i, k, n,
                           c->rc, rc);
                break;
            }
        }
        char *b = malloc(n + 8);
        memcpy(b, c->in, n);
        rc = tg_http_parse_response_head(b, n, c->head, &r);
        check_head(i, c, rc, &r, n);
        /* body bytes behind the head change nothing */
        memcpy(b + n, "abcdefgh", 8);
        rc = tg_http_parse_response_head(b, n + 8, c->head, &r);
        check_head(i, c, rc, &r, n);
        free(b);
    }
}

TEST(head_header_pointers)
{
    const char *in = "HTTP/1.1 200 OK\r\nA:  x y \t\r\nContent-Type: text/plain\r\nB:\r\n\r\n";
    struct tg_http_response r;
    REQUIRE(tg_http_parse_response_head(in, strlen(in), false, &r) == (int)strlen(in));
    REQUIRE(r.num_headers == 3);
    CHECK_MEM_EQ("A", 1, r.headers[0].name, r.headers[0].name_len);
    CHECK_MEM_EQ("x y", 3, r.headers[0].value, r.headers[0].value_len);
    CHECK_MEM_EQ("B", 1, r.headers[2].name, r.headers[2].name_len);
    CHECK_UINT_EQ(0, r.headers[2].value_len);
    const struct tg_http_header *h = tg_http_find_header(&r, "content-TYPE");
    REQUIRE(h != NULL);
    CHECK_MEM_EQ("text/plain", 10, h->value, h->value_len);
    CHECK(tg_http_find_header(&r, "Content-Length") == NULL);
    CHECK(tg_http_find_header(&r, "Content") == NULL);
}

TEST(head_watched_headers)
{
    const char *in = "HTTP/1.1 413 Payload Too Large\r\nX-Queue-Time:  3 \r\nContent-Length: 0\r\n"
                     "x-inference-time: 12\r\nX-QUEUE-TIME: 99\r\nx-queue-timeX: 1\r\n\r\n";
    size_t n = strlen(in);
    struct tg_http_watch watch = { { "x-queue-time", "X-Inference-Time" }, { 12, 16 } };
    struct tg_http_response r;
    /* every proper prefix is partial, as without a watch */
    for (size_t k = 0; k < n; k++) {
        char *b = malloc(k ? k : 1);
        memcpy(b, in, k);
        CHECK_INT_EQ(TG_EPARTIAL, tg_http_parse_response_head_watch(b, k, false, &watch, &r));
        free(b);
    }
    REQUIRE(tg_http_parse_response_head_watch(in, n, false, &watch, &r) == (int)n);
    REQUIRE(r.watched[0] != NULL && r.watched[1] != NULL);
    CHECK_MEM_EQ("3", 1, r.watched[0], r.watched_len[0]);   /* the first one, trimmed */
    CHECK_MEM_EQ("12", 2, r.watched[1], r.watched_len[1]);
    CHECK_INT_EQ(413, r.status);
    CHECK_UINT_EQ(5, r.num_headers);
    /* no watch, or an unused slot: nothing captured */
    REQUIRE(tg_http_parse_response_head(in, n, false, &r) == (int)n);
    CHECK(r.watched[0] == NULL && r.watched[1] == NULL);
    struct tg_http_watch one = { { NULL, "x-inference-time" }, { 0, 16 } };
    REQUIRE(tg_http_parse_response_head_watch(in, n, false, &one, &r) == (int)n);
    CHECK(r.watched[0] == NULL);
    CHECK_MEM_EQ("12", 2, r.watched[1], r.watched_len[1]);
    /* absent headers stay NULL; a watched name never changes the verdict */
    const char *plain = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
    REQUIRE(tg_http_parse_response_head_watch(plain, strlen(plain), false, &watch, &r) == (int)strlen(plain));
    CHECK(r.watched[0] == NULL && r.watched[1] == NULL);
    struct tg_http_watch cl = { { "content-length", NULL }, { 14, 0 } };
    const char *bad = "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n";
    CHECK_INT_EQ(TG_EPARSE, tg_http_parse_response_head_watch(bad, strlen(bad), false, &cl, &r));
}

TEST(head_limits)
{
    static struct tg_http_response r;
    static char big[TG_HTTP_MAX_HEAD_BYTES + 100];
    /* 64 headers fit, 65 do not */
    for (int nh = 64; nh <= 65; nh++) {
        size_t n = (size_t)sprintf(big, "HTTP/1.1 200 OK\r\n");
        for (int i = 0; i < nh - 1; i++)
            n += (size_t)sprintf(big + n, "X-%d: v\r\n", i);
        n += (size_t)sprintf(big + n, "Content-Length: 0\r\n\r\n");
        int rc = tg_http_parse_response_head(big, n, false, &r);
        CHECK_INT_EQ(nh == 64 ? (int)n : TG_ETOOBIG, rc);
    }
    /* a head of exactly the limit is fine; one byte more is too big */
    for (size_t extra = 0; extra <= 1; extra++) {
        size_t total = TG_HTTP_MAX_HEAD_BYTES + extra;
        size_t n = (size_t)sprintf(big, "HTTP/1.1 200 OK\r\nX: ");
        size_t fill = total - n - 4;
        memset(big + n, 'a', fill);
        memcpy(big + n + fill, "\r\n\r\n", 4);
        int rc = tg_http_parse_response_head(big, total, false, &r);
        CHECK_INT_EQ(extra ? TG_ETOOBIG : (int)total, rc);
        CHECK_INT_EQ(extra ? TG_ETOOBIG : TG_EPARTIAL,
                     tg_http_parse_response_head(big, total - 1, false, &r));
        /* no blank line within the limit, more bytes buffered */
        rc = tg_http_parse_response_head(big, total + 50, false, &r);
        CHECK_INT_EQ(extra ? TG_ETOOBIG : (int)total, rc);
    }
    memset(big, 'a', sizeof big);
    memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
    CHECK_INT_EQ(TG_ETOOBIG, tg_http_parse_response_head(big, TG_HTTP_MAX_HEAD_BYTES, false, &r));
    CHECK_INT_EQ(TG_EPARTIAL, tg_http_parse_response_head(big, TG_HTTP_MAX_HEAD_BYTES - 1, false, &r));
    CHECK_INT_EQ(TG_EPARTIAL, tg_http_parse_response_head("", 0, false, &r));
    CHECK_INT_EQ(TG_EPARSE, tg_http_parse_response_head("X", 1, false, &r));
    CHECK_INT_EQ(TG_EPARTIAL, tg_http_parse_response_head("HTTP/1", 6, false, &r));
}

/* Fuzzer-found inputs land here: each must give the stated result. */
TEST(head_regressions)
{
    static const struct { const char *in; size_t n; int rc; } cases[] = {
        { "HTTP/1.1 200 OK\r\n\n", 18, 18 },
    };
    struct tg_http_response r;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_INT_EQ(cases[i].rc, tg_http_parse_response_head(cases[i].in, cases[i].n, false, &r));
}

TEST(server_timing_table)
{
    static const struct { const char *in; double q, c; } cases[] = {
        { "queue;dur=1.5, compute;dur=48.2", 1.5, 48.2 },
        { "compute;dur=48.2,queue;dur=1.5", 1.5, 48.2 },
        { "queue;dur=0", 0, -1 },
        { "cache;desc=\"x,queue;dur=5\";dur=1, compute ; dur = 7 ", -1, 7 },
        { "queue;desc=\"a\\\"b\";dur=2", 2, -1 },
        { "queue;dur=2;dur=3", 2, -1 },
        { "queue;dur=-2, compute;dur=1e2", -1, 100 },
        { "queue;dur=.5, compute;dur=5.", 0.5, 5 },
        { "queue;dur=1e999, compute;dur=", -1, -1 },
        { "queue;dur=12345678901234567890123", 12345678901234567890123.0, -1 },
        { "QUEUE;DUR=3", 3, -1 },
        { "queue", -1, -1 },
        { "", -1, -1 },
        { ",,;;==\"", -1, -1 },
        { "queue;dur=\"4", -1, -1 },
        { "queue;dur=\"4\\\"", -1, -1 },
        { "compute;desc=\"\\\\\";dur=\"4\"", -1, 4 },
        { "total;dur=9, queue;dur=1, queue;dur=2", 1, -1 },
        { "@bad, queue;dur=6", 6, -1 },
        { "queue junk;dur=1, compute;dur=2", -1, 2 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int before = tg_test_failed_checks;
        double q = 99, c = 99;
        tg_http_parse_server_timing(cases[i].in, strlen(cases[i].in), &q, &c);
        CHECK_DBL_NEAR(cases[i].q, q, 1e-9 * fabs(cases[i].q));
        CHECK_DBL_NEAR(cases[i].c, c, 1e-9 * fabs(cases[i].c));
        if (tg_test_failed_checks != before)
            fprintf(stderr, "  (in \"%s\")\n", cases[i].in);
    }
}

/* ---- chunked ----------------------------------------------------------- */

struct chunk_case {
    const char *in;
    long rc;            /* >= 0: complete (the count is checked via rest) */
    const char *body;   /* decoded body when complete */
    const char *rest;   /* bytes past the end of the body */
};

static const struct chunk_case chunk_cases[] = {
    { "5\r\nhello\r\n0\r\n\r\n", 0, "hello", "" },
    { "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nHTTP/1.1", 0, "hello world", "HTTP/1.1" },
    { "0\r\n\r\n", 0, "", "" },
    { "A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n", 0, "0123456789abcdefghij", "" },
    { "000003\r\nabc\r\n00\r\n\r\n", 0, "abc", "" },
    { "3;name=value;x=\"q;\"\r\nabc\r\n0;last\r\n\r\n", 0, "abc", "" },
    { "3 ;ext\r\nabc\r\n0 \t\r\n\r\n", 0, "abc", "" },
    { "3\r\nabc\r\n0\r\nTrailer: x\r\nOther: y\r\n\r\nZZ", 0, "abc", "ZZ" },
    { "3\nabc\n0\n\n", 0, "abc", "" },                 /* bare LF */
    { "3\r\n\r\n\r\r\n0\r\n\r\n", 0, "\r\n\r", "" },
    { "ffffffffffffffff\r\n", TG_EPARTIAL, NULL, NULL },
    { "10000000000000000\r\n", TG_EPARSE, NULL, NULL },  /* 2^64 */
    { "\r\n", TG_EPARSE, NULL, NULL },
    { "x\r\n", TG_EPARSE, NULL, NULL },
    { "-1\r\n", TG_EPARSE, NULL, NULL },
    { "3x\r\nabc\r\n", TG_EPARSE, NULL, NULL },
    { "3 x\r\nabc\r\n", TG_EPARSE, NULL, NULL },
    { "3\rx\nabc\r\n", TG_EPARSE, NULL, NULL },
    { "3\r\nabcd\r\n", TG_EPARSE, NULL, NULL },
    { "3\r\nabc\rX", TG_EPARSE, NULL, NULL },
    { "3;a\x01\r\nabc\r\n", TG_EPARSE, NULL, NULL },
    { "0\r\n folded\r\n\r\n", TG_EPARSE, NULL, NULL },
    { "0\r\nA: b\x01\r\n\r\n", TG_EPARSE, NULL, NULL },
    { "0\r\n\rX", TG_EPARSE, NULL, NULL },
    { "5\r\nhel", TG_EPARTIAL, NULL, NULL },
    { "5\r\nhello\r\n0\r\n", TG_EPARTIAL, NULL, NULL },
    { "5\r\nhello\r\n0\r\nT: v\r\n", TG_EPARTIAL, NULL, NULL },
};

/* Feeds in[0..n) in pieces cut at the given points (ascending, < n), the
 * way a connection would, collecting the decoded body.  Returns the final
 * rc; *body and *rest get the decoded body and the bytes past the end. */
static long feed_chunked(const char *in, size_t n, const size_t *cuts, size_t ncuts,
                         struct tg_buf *body, struct tg_buf *rest)
{
    struct tg_http_chunked d = { 0 };
    long rc = TG_EPARTIAL;
    size_t from = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : n;
        size_t len = to - from;
        char *b = malloc(len ? len : 1);
        memcpy(b, in + from, len);
        rc = tg_http_decode_chunked(&d, b, &len);
        if (rc == TG_EPARTIAL || rc >= 0)
            tg_buf_append(body, b, len);
        if (rc >= 0) {
            tg_buf_append(rest, b + len, (size_t)rc);
            tg_buf_append(rest, in + to, n - to);
        }
        free(b);
        from = to;
        if (rc != TG_EPARTIAL)
            break;
    }
    return rc;
}

static void check_chunk_result(const struct chunk_case *c, size_t n, long rc,
                               const struct tg_buf *body, const struct tg_buf *rest,
                               const char *how)
{
    int before = tg_test_failed_checks;
    if (c->rc >= 0) {
        CHECK(rc >= 0);
        if (rc >= 0) {
            CHECK_MEM_EQ(c->body, strlen(c->body), body->data ? body->data : "", body->len);
            CHECK_MEM_EQ(c->rest, strlen(c->rest), rest->data ? rest->data : "", rest->len);
        }
    } else {
        CHECK_INT_EQ(c->rc, rc);
    }
    if (tg_test_failed_checks != before)
        fprintf(stderr, "  (input \"%s\" fed %s, %zu bytes)\n", c->in, how, n);
}

TEST(chunked_table_every_split)
{
    for (size_t i = 0; i < sizeof chunk_cases / sizeof chunk_cases[0]; i++) {
        const struct chunk_case *c = &chunk_cases[i];
        size_t n = strlen(c->in);
        struct tg_buf body = TG_BUF_INIT(0), rest = TG_BUF_INIT(0);
        long rc = feed_chunked(c->in, n, NULL, 0, &body, &rest);
        check_chunk_result(c, n, rc, &body, &rest, "whole");
        for (size_t k = 0; k <= n; k++) {
            tg_buf_reset(&body);
            tg_buf_reset(&rest);
            size_t cut = k;
            rc = feed_chunked(c->in, n, &cut, 1, &body, &rest);
            check_chunk_result(c, n, rc, &body, &rest, "in two pieces");
        }
        size_t *cuts = malloc((n + 1) * sizeof *cuts);
        for (size_t k = 0; k < n; k++)
            cuts[k] = k + 1;
        tg_buf_reset(&body);
        tg_buf_reset(&rest);
        rc = feed_chunked(c->in, n, cuts, n ? n - 1 : 0, &body, &rest);
        check_chunk_result(c, n, rc, &body, &rest, "byte by byte");
        free(cuts);
        tg_buf_free(&body);
        tg_buf_free(&rest);
    }
}

TEST(chunked_line_cap)
{
    static char in[3000];
    for (int over = 0; over <= 1; over++) {
        /* a size line of exactly 1024 bytes before its CRLF is allowed */
        size_t n = 0;
        in[n++] = '3';
        in[n++] = ';';
        while (n < 1024 + (size_t)over)
            in[n++] = 'e';
        n += (size_t)sprintf(in + n, "\r\nabc\r\n0\r\n\r\n");
        struct tg_buf body = TG_BUF_INIT(0), rest = TG_BUF_INIT(0);
        size_t cuts[1] = { 500 };
        long rc = feed_chunked(in, n, cuts, 1, &body, &rest);
        CHECK_INT_EQ(over ? TG_ETOOBIG : 0, rc);
        tg_buf_free(&body);
        tg_buf_free(&rest);
        /* trailer line */
        n = (size_t)sprintf(in, "0\r\nT: ");
        while (n < 3 + 1024 + (size_t)over)
            in[n++] = 'v';
        n += (size_t)sprintf(in + n, "\r\n\r\n");
        struct tg_buf b2 = TG_BUF_INIT(0), r2 = TG_BUF_INIT(0);
        rc = feed_chunked(in, n, NULL, 0, &b2, &r2);
        CHECK_INT_EQ(over ? TG_ETOOBIG : 0, rc);
        tg_buf_free(&b2);
        tg_buf_free(&r2);
    }
    /* leading zeros count towards the cap too, never towards overflow */
    memset(in, '0', 2000);
    size_t len = 1000;
    struct tg_http_chunked d = { 0 };
    CHECK_INT_EQ(TG_EPARTIAL, tg_http_decode_chunked(&d, in, &len));
    len = 1000;
    CHECK_INT_EQ(TG_ETOOBIG, tg_http_decode_chunked(&d, in, &len));
}

TEST(chunked_done_is_sticky)
{
    char b[32];
    memcpy(b, "0\r\n\r\nXY", 7);
    size_t len = 7;
    struct tg_http_chunked d = { 0 };
    CHECK_INT_EQ(2, tg_http_decode_chunked(&d, b, &len));
    CHECK_UINT_EQ(0, len);
    CHECK_MEM_EQ("XY", 2, b, 2);
    memcpy(b, "more", 4);
    len = 4;
    CHECK_INT_EQ(4, tg_http_decode_chunked(&d, b, &len));
    CHECK_UINT_EQ(0, len);
}

/* ---- URLs ------------------------------------------------------------------ */

TEST(url_table)
{
    static const struct {
        const char *in;
        int rc;
        bool tls;
        const char *host;
        unsigned port;
        const char *path;
        const char *authority;
    } cases[] = {
        { "http://127.0.0.1:8000/v1/infer", 0, false, "127.0.0.1", 8000, "/v1/infer", "127.0.0.1:8000" },
        { "http://example.com", 0, false, "example.com", 80, "/", "example.com" },
        { "HTTPS://Example.COM/", 0, true, "Example.COM", 443, "/", "Example.COM" },
        { "https://h:8443/a/b?x=1&y=%20", 0, true, "h", 8443, "/a/b?x=1&y=%20", "h:8443" },
        { "http://h?q=1", 0, false, "h", 80, "/?q=1", "h" },
        { "http://h/p#frag", 0, false, "h", 80, "/p", "h" },
        { "http://h#frag", 0, false, "h", 80, "/", "h" },
        { "http://[::1]:8080/x", 0, false, "::1", 8080, "/x", "[::1]:8080" },
        { "http://[::1]/", 0, false, "::1", 80, "/", "[::1]" },
        { "http://[2001:db8::a:1]", 0, false, "2001:db8::a:1", 80, "/", "[2001:db8::a:1]" },
        { "http://[::ffff:1.2.3.4]:1/", 0, false, "::ffff:1.2.3.4", 1, "/", "[::ffff:1.2.3.4]:1" },
        { "http://h:65535/", 0, false, "h", 65535, "/", "h:65535" },
        { "http://h:080/", 0, false, "h", 80, "/", "h:80" },
        { "http://my-host_1.local:81", 0, false, "my-host_1.local", 81, "/", "my-host_1.local:81" },
        { "http://h:0/", .rc = TG_EINVAL },
        { "http://h:65536/", .rc = TG_EINVAL },
        { "http://h:99999999999/", .rc = TG_EINVAL },
        { "http://h:/", .rc = TG_EINVAL },
        { "http://h:8x/", .rc = TG_EINVAL },
        { "http://h:-1/", .rc = TG_EINVAL },
        { "http:///x", .rc = TG_EINVAL },
        { "http://", .rc = TG_EINVAL },
        { "http://:80/", .rc = TG_EINVAL },
        { "ftp://h/", .rc = TG_EINVAL },
        { "h:80/", .rc = TG_EINVAL },
        { "//h/", .rc = TG_EINVAL },
        { "", .rc = TG_EINVAL },
        { "http://user:pw@h/", .rc = TG_EINVAL },
        { "http://h/a b", .rc = TG_EINVAL },
        { "http://h/a\x7f", .rc = TG_EINVAL },
        { "http://h/caf\xc3\xa9", .rc = TG_EINVAL },
        { "http://h o/", .rc = TG_EINVAL },
        { "http://h%41/", .rc = TG_EINVAL },
        { "http://[::1/", .rc = TG_EINVAL },
        { "http://[::1]x/", .rc = TG_EINVAL },
        { "http://[fe80::1%25eth0]/", .rc = TG_EINVAL },
        { "http://[g::1]/", .rc = TG_EINVAL },
        { "http://[]/", .rc = TG_EINVAL },
        { "http://::1/", .rc = TG_EINVAL },
        { "http://1.2.3/", .rc = TG_EINVAL },
        { "http://1.2.3.256/", .rc = TG_EINVAL },
        { "http://1.2.3.4./", .rc = TG_EINVAL },
        { "http://1..3.4/", .rc = TG_EINVAL },
        { "http://0001.2.3.4/", .rc = TG_EINVAL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tg_url u;
        const char *why = NULL;
        int rc = tg_url_parse(cases[i].in, &u, &why);
        int before = tg_test_failed_checks;
        CHECK_INT_EQ(cases[i].rc, rc);
        if (rc == 0 && cases[i].rc == 0) {
            CHECK_INT_EQ(cases[i].tls, u.tls);
            CHECK_STR_EQ(cases[i].host, u.host);
            CHECK_UINT_EQ(cases[i].port, u.port);
            CHECK_STR_EQ(cases[i].path, u.path);
            CHECK_STR_EQ(cases[i].authority, u.authority);
        } else if (rc != 0) {
            CHECK(why != NULL && *why && !strchr(why, '\n'));
        }
        if (tg_test_failed_checks != before)
            fprintf(stderr, "  (in \"%s\")\n", cases[i].in);
    }
    /* limits */
    static char s[4000];
    struct tg_url u;
    sprintf(s, "http://%0255d/", 0);
    memset(s + 7, 'a', 255);
    CHECK_INT_EQ(0, tg_url_parse(s, &u, NULL));
    memset(s + 7, 'a', 256);
    sprintf(s + 7 + 256, "/");
    CHECK_INT_EQ(TG_EINVAL, tg_url_parse(s, &u, NULL));
    strcpy(s, "http://h/");
    memset(s + 9, 'p', 2046);
    s[9 + 2046] = '\0';
    CHECK_INT_EQ(0, tg_url_parse(s, &u, NULL)); /* 2047-byte path */
    strcat(s, "p");
    CHECK_INT_EQ(TG_EINVAL, tg_url_parse(s, &u, NULL));
    CHECK_INT_EQ(TG_EINVAL, tg_url_parse(NULL, &u, NULL));
}

/* ---- request writer ------------------------------------------------------- */

TEST(request_writer_bytes)
{
    struct tg_url u;
    REQUIRE(tg_url_parse("http://127.0.0.1:8000/v1/infer?a=1", &u, NULL) == 0);
    struct tg_buf b = TG_BUF_INIT(0);
    static const struct tg_http_kv hs[] = {
        { "Content-Type", "application/json" },
        { "X-Empty", "" },
    };
    const char *body = "{\"model\":\"example-model\",\"input\":\"hi\"}";
    CHECK_INT_EQ(0, tg_http_write_request(&b, "POST", &u, hs, 2, body, strlen(body), true));
    const char *exp = "POST /v1/infer?a=1 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"
                      "Content-Type: application/json\r\nX-Empty: \r\nContent-Length: 38\r\n\r\n"
                      "{\"model\":\"example-model\",\"input\":\"hi\"}";
    CHECK_MEM_EQ(exp, strlen(exp), b.data, b.len);

    /* appends; GET without a body has no Content-Length; close */
    size_t first = b.len;
    REQUIRE(tg_url_parse("http://[::1]/", &u, NULL) == 0);
    CHECK_INT_EQ(0, tg_http_write_request(&b, "GET", &u, NULL, 0, NULL, 0, false));
    exp = "GET / HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n";
    CHECK_MEM_EQ(exp, strlen(exp), b.data + first, b.len - first);
    CHECK(b.data[b.len] == '\0');

    /* an empty body that is present still says Content-Length: 0 */
    tg_buf_reset(&b);
    CHECK_INT_EQ(0, tg_http_write_request(&b, "POST", &u, NULL, 0, "", 0, true));
    exp = "POST / HTTP/1.1\r\nHost: [::1]\r\nContent-Length: 0\r\n\r\n";
    CHECK_MEM_EQ(exp, strlen(exp), b.data, b.len);

    /* header injection and bad methods are refused, the buffer unchanged */
    size_t keep = b.len;
    static const struct tg_http_kv bad1[] = { { "X", "a\r\nEvil: 1" } };
    static const struct tg_http_kv bad2[] = { { "X:Y", "a" } };
    static const struct tg_http_kv bad3[] = { { "", "a" } };
    CHECK_INT_EQ(TG_EINVAL, tg_http_write_request(&b, "GET", &u, bad1, 1, NULL, 0, true));
    CHECK_INT_EQ(TG_EINVAL, tg_http_write_request(&b, "GET", &u, bad2, 1, NULL, 0, true));
    CHECK_INT_EQ(TG_EINVAL, tg_http_write_request(&b, "GET", &u, bad3, 1, NULL, 0, true));
    CHECK_INT_EQ(TG_EINVAL, tg_http_write_request(&b, "G T", &u, NULL, 0, NULL, 0, true));
    CHECK_INT_EQ(TG_EINVAL, tg_http_write_request(&b, "", &u, NULL, 0, NULL, 0, true));
    CHECK_UINT_EQ(keep, b.len);

    /* the buffer cap is honoured */
    struct tg_buf small = TG_BUF_INIT(16);
    CHECK_INT_EQ(TG_ENOMEM, tg_http_write_request(&small, "GET", &u, NULL, 0, NULL, 0, true));
    CHECK_UINT_EQ(0, small.len);
    tg_buf_free(&small);
    tg_buf_free(&b);

    /* a large Content-Length is written in full */
    struct tg_buf big = TG_BUF_INIT(0);
    static char payload[1234567];
    CHECK_INT_EQ(0, tg_http_write_request(&big, "PUT", &u, NULL, 0, payload, sizeof payload, true));
    CHECK(strstr(big.data, "Content-Length: 1234567\r\n\r\n") != NULL);
    CHECK_UINT_EQ(strlen("PUT / HTTP/1.1\r\nHost: [::1]\r\nContent-Length: 1234567\r\n\r\n") + sizeof payload,
                  big.len);
    tg_buf_free(&big);
}

/* ---- repetition ------------------------------------------------------------ */

/* Parsing is pure: the same head parses the same way every time.  (Its speed
 * is a figure of `make bench`, bench/micro.c, not a check here.) */
TEST(parse_repeated_is_stable)
{
    /* A typical ~200-byte head of the placeholder server. */
    const char *in = "HTTP/1.1 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 9876\r\n"
                     "Content-Type: application/json\r\nServer-Timing: queue;dur=0.012, "
                     "compute;dur=48.123\r\nDate: Mon, 23 Nov 2026 11:40:21 GMT\r\n\r\n";
    size_t n = strlen(in);
    struct tg_http_response r;
    int iters = 2000;
    long sum = 0;
    for (int i = 0; i < iters; i++)
        sum += tg_http_parse_response_head(in, n, false, &r);
    CHECK_INT_EQ((long)n * iters, sum);
    CHECK_INT_EQ(200, r.status);
    CHECK_UINT_EQ(9876, r.content_length);
    CHECK_DBL_NEAR(48.123, r.server_compute_ms, 1e-9);
}

/* The word-at-a-time value check must agree with the byte rule wherever the
 * odd byte sits relative to an 8-byte word. */
TEST(head_value_bytes_every_position)
{
    static const struct { unsigned char c; bool ok; } bytes[] = {
        { 0x00, false }, { 0x01, false }, { 0x08, false }, { 0x0b, false }, { 0x1f, false },
        { 0x7f, false }, { 0x0d, false }, { 0x09, true }, { 0x20, true }, { 0x21, true },
        { 0x7e, true }, { 0x80, true }, { 0x9f, true }, { 0xa0, true }, { 0xff, true },
    };
    struct tg_http_response r;
    char buf[128];
    for (size_t b = 0; b < sizeof bytes / sizeof bytes[0]; b++) {
        for (size_t pos = 0; pos < 24; pos++) {
            char val[25];
            memset(val, 'v', 24);
            val[24] = '\0';
            val[pos] = (char)bytes[b].c;
            /* blanks at either end are trimmed, not checked: keep them inside */
            if (bytes[b].c == 0x09 || bytes[b].c == 0x20)
                if (pos == 0 || pos == 23)
                    continue;
            static const char a[] = "HTTP/1.1 200 OK\r\nX-Long: ", z[] = "\r\nCONTENT-LENGTH: 3\r\n\r\n";
            memcpy(buf, a, sizeof a - 1);
            memcpy(buf + sizeof a - 1, val, 24); /* val may hold a NUL */
            memcpy(buf + sizeof a - 1 + 24, z, sizeof z - 1);
            int n = (int)(sizeof a - 1 + 24 + sizeof z - 1);
            int rc = tg_http_parse_response_head(buf, (size_t)n, false, &r);
            if (bytes[b].ok ? rc != n : rc != TG_EPARSE)
                TG_FAIL_AT("byte 0x%02x at %zu: got %d", bytes[b].c, pos, rc);
            else if (rc == n)
                CHECK_UINT_EQ(3, r.content_length);
        }
    }
}
