/* Unit tests for the server side of the request path: the tailgate
 * dialect's POST /v1/infer parser and error writer (what src/server/request
 * used to be), called through the dialect table as `tailgate serve` calls
 * them; and, for every dialect the server serves, that parsing never crashes
 * and errors are JSON.  Table-driven; every prefix of every valid body is fed
 * too. */
#include "test.h"

#include "api/api.h"
#include "core/error.h"
#include "server/model.h"
#include "server/server.h"

#include <jansson.h>

struct rcase {
    const char *body;
    int rc;           /* expected return */
    int status;       /* expected HTTP status */
    const char *msg;  /* substring of the message (NULL when valid) */
    size_t n;         /* items when valid */
    int batched;
};

static const struct rcase cases[] = {
    { "{\"model\":\"example-model\",\"input\":\"hello\"}", 0, 200, NULL, 1, 0 },
    { "{\"model\":\"example-model\",\"inputs\":[\"a\"]}", 0, 200, NULL, 1, 1 },
    { "{\"model\":\"example-model\",\"inputs\":[\"a\",\"b\",\"c\",\"d\"]}", 0, 200, NULL, 4, 1 },
    { " {\"input\":\"\",\"model\":\"example-model\",\"extra\":{\"x\":[1,2]}} \n", 0, 200, NULL, 1, 0 },
    { "{\"model\":\"example-model\",\"input\":\"caf\\u00e9 \\u0000 nul\"}", 0, 200, NULL, 1, 0 },
    { "", TG_EPARSE, 400, "malformed JSON at line 1, column 0 (byte 0)", 0, 0 },
    { "{", TG_EPARSE, 400, "malformed JSON at line 1", 0, 0 },
    { "{\"model\":\"example-model\",\"input\":\"x\"", TG_EPARSE, 400, "malformed JSON", 0, 0 },
    { "{\"model\":\"example-model\",\n\"input\":x}", TG_EPARSE, 400, "line 2, column", 0, 0 },
    { "{\"model\":\"example-model\",\"input\":\"x\"} trailing", TG_EPARSE, 400, "malformed JSON", 0, 0 },
    { "\xff\xfe{}", TG_EPARSE, 400, "malformed JSON", 0, 0 },
    { "{\"model\":\"example-model\",\"input\":\"\xc3\x28\"}", TG_EPARSE, 400, "malformed JSON", 0, 0 },
    { "[\"example-model\"]", TG_EPARSE, 400, "must be a JSON object", 0, 0 },
    { "\"just a string\"", TG_EPARSE, 400, "must be a JSON object", 0, 0 },
    { "{\"input\":\"x\"}", TG_EPARSE, 400, "missing field \"model\"", 0, 0 },
    { "{\"model\":7,\"input\":\"x\"}", TG_EPARSE, 400, "\"model\" must be a string", 0, 0 },
    { "{\"model\":null,\"input\":\"x\"}", TG_EPARSE, 400, "\"model\" must be a string", 0, 0 },
    { "{\"model\":\"example-model\"}", TG_EPARSE, 400, "missing field \"input\"", 0, 0 },
    { "{\"model\":\"example-model\",\"input\":42}", TG_EPARSE, 400, "\"input\" must be a string", 0, 0 },
    { "{\"model\":\"example-model\",\"input\":[\"x\"]}", TG_EPARSE, 400, "\"input\" must be a string", 0, 0 },
    { "{\"model\":\"example-model\",\"input\":\"x\",\"inputs\":[\"y\"]}", TG_EPARSE, 400, "not both", 0, 0 },
    { "{\"model\":\"example-model\",\"inputs\":\"x\"}", TG_EPARSE, 400, "\"inputs\" must be an array", 0, 0 },
    { "{\"model\":\"example-model\",\"inputs\":[]}", TG_EPARSE, 400, "must not be empty", 0, 0 },
    { "{\"model\":\"example-model\",\"inputs\":[\"a\",2]}", TG_EPARSE, 400, "inputs[1] must be a string", 0, 0 },
    { "{\"model\":\"example-model\",\"inputs\":[\"a\",\"b\",null]}", TG_EPARSE, 400, "inputs[2] must be a string", 0, 0 },
    { "{\"model\":\"other-model\",\"input\":\"x\"}", TG_EINVAL, 404, "unknown model \"other-model\"", 0, 0 },
    { "{\"model\":\"\",\"input\":\"x\"}", TG_EINVAL, 404, "unknown model", 0, 0 },
    { "{\"model\":\"example-model\",\"inputs\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]}",
      TG_ETOOBIG, 413, "batch of 9 inputs exceeds the maximum of 8", 0, 0 },
};

static const struct tg_api_server_limits lim = { TG_MODEL_NAME, 8, TG_MODEL_DIM };

static int parse(struct tg_api_request *r, const char *body, size_t len)
{
    return tg_api_find("tailgate")->server_parse(body, len, "", &lim, r);
}

static int write_error(struct tg_buf *b, int status, const char *message)
{
    return tg_api_find("tailgate")->server_error(b, status, message);
}

TEST(request_table)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct rcase *c = &cases[i];
        struct tg_api_request r;
        int rc = parse(&r, c->body, strlen(c->body));
        if (rc != c->rc || r.status != c->status)
            TG_FAIL_AT("case %zu %s: expected rc %d status %d, got rc %d status %d (%s)", i,
                       c->body, c->rc, c->status, rc, r.status, r.message);
        if (c->msg && !strstr(r.message, c->msg))
            TG_FAIL_AT("case %zu: message \"%s\" lacks \"%s\"", i, r.message, c->msg);
        if (!c->msg) {
            CHECK_UINT_EQ(c->n, r.n);
            CHECK_INT_EQ(c->batched, (int)r.batched);
            CHECK_STR_EQ("example-model", r.model);
        }
        tg_api_request_free(&r);
    }
}

TEST(request_items_in_order)
{
    const char *body = "{\"model\":\"example-model\",\"inputs\":[\"zero\",\"one\",\"\",\"a\\u0000b\"]}";
    struct tg_api_request r;
    REQUIRE(parse(&r, body, strlen(body)) == 0);
    REQUIRE(r.n == 4);
    CHECK_MEM_EQ("zero", 4, r.texts[0].data, r.texts[0].len);
    CHECK_MEM_EQ("one", 3, r.texts[1].data, r.texts[1].len);
    CHECK_UINT_EQ(0, r.texts[2].len);
    CHECK_MEM_EQ("a\0b", 3, r.texts[3].data, r.texts[3].len);
    tg_api_request_free(&r);
}

/* The body need not be NUL-terminated: parse a buffer with junk after it. */
TEST(request_not_nul_terminated)
{
    char buf[64];
    const char *body = "{\"model\":\"example-model\",\"input\":\"x\"}";
    size_t n = strlen(body);
    memcpy(buf, body, n);
    memset(buf + n, 'Z', sizeof buf - n);
    struct tg_api_request r;
    CHECK_INT_EQ(0, parse(&r, buf, n));
    tg_api_request_free(&r);
}

/* Every strict prefix of a valid body is malformed (400), never a crash. */
TEST(request_every_prefix)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].rc != 0)
            continue;
        const char *body = cases[i].body;
        size_t len = strlen(body);
        while (len && (body[len - 1] == ' ' || body[len - 1] == '\n'))
            len--;
        for (size_t k = 0; k < len; k++) {
            struct tg_api_request r;
            int rc = parse(&r, body, k);
            if (rc != TG_EPARSE || r.status != 400)
                TG_FAIL_AT("prefix %zu of case %zu: rc %d status %d", k, i, rc, r.status);
            tg_api_request_free(&r);
        }
    }
}

TEST(request_free_is_idempotent)
{
    struct tg_api_request r;
    memset(&r, 0, sizeof r);
    tg_api_request_free(&r);
    tg_api_request_free(NULL);
    const char *body = "{\"model\":\"example-model\",\"inputs\":[\"a\",\"b\"]}";
    parse(&r, body, strlen(body));
    tg_api_request_free(&r);
    tg_api_request_free(&r);
}

TEST(error_body_is_valid_json)
{
    struct { int status; const char *msg; } t[] = {
        { 400, "plain" },
        { 404, "unknown model \"a\\b\"" },
        { 400, "ctl \x01\x1f tab\t nl\n" },
        { 400, "bytes \xff\xc3\x28 end" },
        { 413, "" },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct tg_buf b = TG_BUF_INIT(0);
        CHECK_INT_EQ(0, write_error(&b, t[i].status, t[i].msg));
        json_error_t err;
        json_t *doc = json_loadb(b.data, b.len, 0, &err);
        if (!doc) {
            TG_FAIL_AT("case %zu: invalid JSON %s: %s", i, b.data, err.text);
        } else {
            json_t *e = json_object_get(doc, "error");
            CHECK_INT_EQ(t[i].status, json_integer_value(json_object_get(e, "code")));
            CHECK(json_is_string(json_object_get(e, "message")));
            json_decref(doc);
        }
        tg_buf_free(&b);
    }
    struct tg_buf b = TG_BUF_INIT(0);
    write_error(&b, 404, "unknown model \"x\"");
    CHECK_STR_EQ("{\"error\":{\"code\":404,\"message\":\"unknown model \\\"x\\\"\"}}", b.data);
    tg_buf_free(&b);
}

/* Every dialect the server serves: garbage bodies are errors with a status
 * and a message, never a crash; each error status it can answer is written
 * as JSON. */
TEST(every_served_dialect_parses_safely)
{
    static const char *const bodies[] = {
        "", "{", "[]", "null", "{}", "{\"inputs\":[]}", "{\"input\":[]}", "\xff\xfe",
        "{\"instances\":[]}", "{\"inputs\":[{\"name\":\"x\",\"shape\":[0],\"data\":[]}]}",
    };
    size_t served = 0;
    for (const struct tg_api *const *a = tg_api_all(); *a; a++) {
        if (!tg_server_serves(*a))
            continue;
        served++;
        for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
            struct tg_api_request r;
            int rc = (*a)->server_parse(bodies[i], strlen(bodies[i]), TG_MODEL_NAME, &lim, &r);
            if (rc == 0 || r.status < 400 || r.status > 599 || !r.message[0])
                TG_FAIL_AT("%s, body %zu: rc %d status %d message \"%s\"", (*a)->name, i, rc,
                           r.status, r.message);
            tg_api_request_free(&r);
        }
        static const int statuses[] = { 400, 404, 405, 413, 422, 429, 500, 503 };
        for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
            struct tg_buf b = TG_BUF_INIT(0);
            /* Quotes, a backslash, control bytes and UTF-8.  Bytes that are
             * not UTF-8 never reach a dialect: the server replaces them
             * first (tg_server_clean_message; test_server_dialects checks the
             * wire), because not every writer escapes them. */
            CHECK_INT_EQ(0, (*a)->server_error(&b, statuses[i],
                                               "bad \"x\" \\ caf\xc3\xa9 \x01\t\n end"));
            json_t *doc = json_loadb(b.data, b.len, 0, NULL);
            if (!doc)
                TG_FAIL_AT("%s: error %d is not JSON: %s", (*a)->name, statuses[i], b.data);
            json_decref(doc);
            tg_buf_free(&b);
        }
    }
    CHECK(served >= 1);
    CHECK(tg_server_serves(tg_api_find("tailgate")));
}

TEST(clean_message)
{
    char out[64];
    tg_server_clean_message(out, sizeof out, "plain \"ascii\" \x01");
    CHECK_STR_EQ("plain \"ascii\" \x01", out);
    tg_server_clean_message(out, sizeof out, "caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80");
    CHECK_STR_EQ("caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80", out);
    /* a cut sequence, a lone continuation, overlong, surrogate, > U+10FFFF */
    tg_server_clean_message(out, sizeof out, "a\xc3 b\x80 \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80");
    CHECK_STR_EQ("a? b? ?? ??? ????", out);
    /* truncation never splits a sequence */
    tg_server_clean_message(out, 5, "abc\xc3\xa9");
    CHECK_STR_EQ("abc?", out);
    tg_server_clean_message(out, 1, "abc");
    CHECK_STR_EQ("", out);
}

TEST_MAIN()
