/*
 * test_api_openai.c - the openai-embeddings dialect: payload lines, batch
 * bodies, splitting float and base64 answers (matched by index), the
 * server's parser, writer, errors and model list, and the round trip that
 * must hash like the tailgate dialect.
 */
#include "test.h"

#include "api/api.h"
#include "api/internal.h"
#include "core/buf.h"
#include "core/error.h"
#include "apicheck.h"

#include <stdint.h>

TEST_MAIN()

static const struct tg_api *oa(void) { return tg_api_find("openai-embeddings"); }

/* Appends the base64 of v[0..n) as little-endian float32 (what OpenAI sends). */
static void put_b64(struct tg_buf *b, const float *v, size_t n)
{
    unsigned char raw[64 * 4];
    for (size_t i = 0; i < n; i++) {
        uint32_t w;
        memcpy(&w, &v[i], 4);
        for (int k = 0; k < 4; k++)
            raw[4 * i + (size_t)k] = (unsigned char)(w >> (8 * k));
    }
    tg_api_base64_put(b, raw, n * 4);
}

/* ---- client: payload lines ---------------------------------------------------- */

TEST(openai_table)
{
    const struct tg_api *a = oa();
    REQUIRE(a != NULL);
    CHECK_STR_EQ("/v1/embeddings", a->route);
    CHECK_UINT_EQ(2048, a->spec_max_batch);
    CHECK(a->health_route == NULL);
    CHECK_STR_EQ("/v1/models", a->metadata_route);
    CHECK(a->read_error == NULL); /* the generic reader reads {"error":{"message"}} */
    CHECK(a->parse_line && a->build_batch && a->split && a->server_route && a->server_parse &&
          a->server_write && a->server_error && a->server_meta);
    CHECK(strstr(tg_api_batchable_names(), "openai-embeddings") != NULL);
}

TEST(openai_parse_line_accepts)
{
    static const struct line_case cases[] = {
        /* the API reference's request example */
        { "{\"input\":\"The food was delicious and the waiter...\",\"model\":\"text-embedding-ada-002\","
          "\"encoding_format\":\"float\"}", 0,
          "{\"encoding_format\":\"float\",\"model\":\"text-embedding-ada-002\"}",
          "\"The food was delicious and the waiter...\"", NULL, "text-embedding-ada-002" },
        { "{\"model\":\"text-embedding-3-small\",\"input\":\"hi\",\"dimensions\":256,\"user\":\"user-1234\"}",
          0, "{\"dimensions\":256,\"model\":\"text-embedding-3-small\",\"user\":\"user-1234\"}", "\"hi\"",
          NULL, "text-embedding-3-small" },
        /* one tokenized input */
        { "{\"model\":\"m\",\"input\":[1820,25,4]}", 0, "{\"model\":\"m\"}", "[1820,25,4]", NULL, "m" },
        { "{\"model\":\"m\",\"input\":\"\\u00e9\\n\",\"encoding_format\":\"base64\"}", 0,
          "{\"encoding_format\":\"base64\",\"model\":\"m\"}", "\"\xc3\xa9\\n\"", NULL, "m" },
    };
    check_lines(oa(), cases, sizeof cases / sizeof cases[0]);
}

TEST(openai_parse_line_refuses)
{
    static const struct line_case cases[] = {
        { "{\"model\":\"m\",\"input\":[\"a\",\"b\"]}", TG_EPARSE,
          .why = "already a batch (\"input\" is an array of 2 inputs)" },
        { "{\"model\":\"m\",\"input\":[\"a\"]}", TG_EPARSE, .why = "already a batch (\"input\"" },
        { "{\"model\":\"m\",\"input\":[[1,2],[3]]}", TG_EPARSE, .why = "already a batch (\"input\"" },
        { "{\"model\":\"m\",\"input\":[]}", TG_EPARSE, .why = "\"input\" is an empty array" },
        { "{\"model\":\"m\",\"input\":[1,\"a\"]}", TG_EPARSE,
          .why = "\"input\"[1] is not an integer token id" },
        { "{\"model\":\"m\",\"input\":[1,2.5]}", TG_EPARSE,
          .why = "\"input\"[1] is not an integer token id" },
        { "{\"model\":\"m\",\"input\":3}", TG_EPARSE,
          .why = "\"input\" must be a string or an array of integer token ids" },
        { "{\"model\":\"m\",\"input\":null}", TG_EPARSE, .why = "\"input\" must be a string" },
        { "{\"input\":\"x\"}", TG_EPARSE, .why = "a string \"model\" and an \"input\"" },
        { "{\"model\":1,\"input\":\"x\"}", TG_EPARSE, .why = "a string \"model\"" },
        { "{\"model\":\"m\"}", TG_EPARSE, .why = "an \"input\"" },
        { "\"input\"", TG_EPARSE, .why = "not an object" },
        { "[\"model\",\"input\"]", TG_EPARSE, .why = "not an object" },
        { "not json", TG_EPARSE, .why = "not JSON" },
        { "", TG_EPARSE, .why = "not JSON" },
    };
    check_lines(oa(), cases, sizeof cases / sizeof cases[0]);
}

TEST(openai_build_batch_keeps_every_field)
{
    const char *l1 = "{\"model\":\"m\",\"input\":\"a\",\"encoding_format\":\"base64\",\"dimensions\":256,\"user\":\"u\"}";
    const char *l2 = "{\"user\":\"u\",\"dimensions\":256,\"encoding_format\":\"base64\",\"input\":\"b\",\"model\":\"m\"}";
    struct tg_api_line x, y;
    char why[200];
    REQUIRE(oa()->parse_line(l1, strlen(l1), &x, why, sizeof why) == 0);
    REQUIRE(oa()->parse_line(l2, strlen(l2), &y, why, sizeof why) == 0);
    CHECK_STR_EQ(x.group, y.group);
    const char *items[] = { x.item, y.item };
    size_t lens[] = { x.item_len, y.item_len };
    struct tg_buf b = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, oa()->build_batch(&b, x.group, items, lens, 2));
    CHECK_STR_EQ("{\"dimensions\":256,\"encoding_format\":\"base64\",\"model\":\"m\",\"user\":\"u\","
                 "\"input\":[\"a\",\"b\"]}",
                 b.data);
    tg_buf_reset(&b);
    CHECK_INT_EQ(TG_EINVAL, oa()->build_batch(&b, x.group, items, lens, 0));
    tg_api_line_free(&x);
    tg_api_line_free(&y);

    /* token inputs batch as an array of token arrays */
    const char *t1 = "{\"model\":\"m\",\"input\":[1,2]}", *t2 = "{\"model\":\"m\",\"input\":[3]}";
    REQUIRE(oa()->parse_line(t1, strlen(t1), &x, why, sizeof why) == 0);
    REQUIRE(oa()->parse_line(t2, strlen(t2), &y, why, sizeof why) == 0);
    const char *titems[] = { x.item, y.item };
    size_t tlens[] = { x.item_len, y.item_len };
    tg_buf_reset(&b);
    CHECK_INT_EQ(0, oa()->build_batch(&b, x.group, titems, tlens, 2));
    CHECK_STR_EQ("{\"model\":\"m\",\"input\":[[1,2],[3]]}", b.data);
    /* a mix of text and tokens is no OpenAI batch */
    const char *mixed[] = { "\"a\"", x.item };
    size_t mlens[] = { 3, x.item_len };
    tg_buf_reset(&b);
    CHECK_INT_EQ(TG_EINVAL, oa()->build_batch(&b, x.group, mixed, mlens, 2));
    tg_api_line_free(&x);
    tg_api_line_free(&y);
    tg_buf_free(&b);
}

/* ---- client: splitting answers ------------------------------------------------ */

TEST(openai_split_docs_example)
{
    /* the API reference's response example, shortened to 3 values */
    const char *body = "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"embedding\":"
                       "[0.0023064255,-0.009327292,-0.0028842222],\"index\":0}],"
                       "\"model\":\"text-embedding-ada-002\",\"usage\":{\"prompt_tokens\":8,\"total_tokens\":8}}";
    const float f[] = { 0.0023064255f, -0.009327292f, -0.0028842222f };
    struct tg_buf want = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, tg_api_canon_floats(&want, f, 3));
    struct outs o = { 0 };
    char why[200] = "";
    CHECK_INT_EQ(0, oa()->split(body, strlen(body), false, 1, collect, &o, why, sizeof why));
    CHECK_UINT_EQ(1, o.n);
    CHECK_STR_EQ(want.data, o.canon[0]);
    CHECK_STR_EQ("[0.00230642548,-0.00932729244,-0.00288422219]", o.canon[0]);
    /* the same answer to a batch of one */
    outs_free(&o);
    CHECK_INT_EQ(0, oa()->split(body, strlen(body), true, 1, collect, &o, why, sizeof why));
    CHECK_STR_EQ(want.data, o.canon[0]);
    outs_free(&o);
    tg_buf_free(&want);
}

/* A float answer and a base64 answer of the same float32 values give the
 * same canonical text and hash, and the tailgate dialect's. */
TEST(openai_split_float_equals_base64)
{
    const double v[] = { 0.01234567, -0.99999999, 0.5, 0.0, -0.00000001, 0.33333333 };
    size_t dim = sizeof v / sizeof v[0];
    float f[sizeof v / sizeof v[0]];
    for (size_t i = 0; i < dim; i++)
        f[i] = (float)tg_api_round8(v[i]);
    struct tg_buf fl = TG_BUF_INIT(0), b64 = TG_BUF_INIT(0);
    tg_buf_puts(&fl, "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":");
    tg_api_put_vector8(&fl, v, dim);
    tg_buf_puts(&fl, "}],\"model\":\"m\"}");
    tg_buf_puts(&b64, "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":\"");
    put_b64(&b64, f, dim);
    tg_buf_puts(&b64, "\"}],\"model\":\"m\"}");
    struct outs a = { 0 }, b = { 0 }, t;
    char why[200] = "";
    CHECK_INT_EQ(0, oa()->split(fl.data, fl.len, false, 1, collect, &a, why, sizeof why));
    CHECK_INT_EQ(0, oa()->split(b64.data, b64.len, false, 1, collect, &b, why, sizeof why));
    CHECK_STR_EQ(a.canon[0], b.canon[0]);
    CHECK_STR_EQ(a.hex[0], b.hex[0]);
    tailgate_outputs(v, 1, dim, &t);
    CHECK_UINT_EQ(1, t.n);
    CHECK_STR_EQ(t.canon[0], a.canon[0]);
    CHECK_STR_EQ(t.hex[0], b.hex[0]);
    outs_free(&a);
    outs_free(&b);
    outs_free(&t);
    tg_buf_free(&fl);
    tg_buf_free(&b64);
}

TEST(openai_split_matches_by_index)
{
    /* indices out of order, one float and one base64 entry */
    const float f0[] = { 0.5f, 0.25f };
    struct tg_buf body = TG_BUF_INIT(0);
    tg_buf_puts(&body, "{\"object\":\"list\",\"data\":["
                       "{\"object\":\"embedding\",\"index\":2,\"embedding\":[3]},"
                       "{\"object\":\"embedding\",\"index\":0,\"embedding\":\"");
    put_b64(&body, f0, 2);
    tg_buf_puts(&body, "\"},{\"object\":\"embedding\",\"index\":1,\"embedding\":[1.0,-2]}]}");
    struct outs o = { 0 };
    char why[200] = "";
    CHECK_INT_EQ(0, oa()->split(body.data, body.len, true, 3, collect, &o, why, sizeof why));
    CHECK_UINT_EQ(3, o.n);
    CHECK_STR_EQ("[0.5,0.25]", o.canon[0]);
    CHECK_STR_EQ("[1,-2]", o.canon[1]);
    CHECK_STR_EQ("[3]", o.canon[2]);
    /* unbatched with several entries: one output, the list in index order */
    outs_free(&o);
    CHECK_INT_EQ(0, oa()->split(body.data, body.len, false, 1, collect, &o, why, sizeof why));
    CHECK_UINT_EQ(1, o.n);
    CHECK_STR_EQ("[[0.5,0.25],[1,-2],[3]]", o.canon[0]);
    struct tg_buf c = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, tg_api_canon_json(&c, "[[0.5,0.25],[1.0,-2],[3]]", 25));
    CHECK_STR_EQ(c.data, o.canon[0]);
    outs_free(&o);
    tg_buf_free(&c);
    tg_buf_free(&body);
}

TEST(openai_split_failures)
{
#define E(i, v) "{\"object\":\"embedding\",\"index\":" #i ",\"embedding\":" v "}"
    static const struct split_case cases[] = {
        { "{\"object\":\"list\"}", false, 1, TG_EMISMATCH,
          .why = "openai-embeddings: response has no \"data\"" },
        { "[[0.5]]", true, 1, TG_EMISMATCH, .why = "openai-embeddings: response has no \"data\"" },
        { "{\"data\":{}}", false, 1, TG_EMISMATCH, .why = "openai-embeddings: \"data\" is not an array" },
        { "{\"data\":[]}", false, 1, TG_EMISMATCH, .why = "openai-embeddings: \"data\" is empty" },
        { "{\"data\":[" E(0, "[1]") "," E(1, "[2]") "]}", true, 3, TG_EMISMATCH,
          .why = "openai-embeddings: \"data\" has 2 entries for 3 inputs" },
        { "{\"data\":[" E(0, "[1]") "]}", true, 2, TG_EMISMATCH,
          .why = "\"data\" has 1 entries for 2 inputs" },
        { "{\"data\":[" E(0, "[1]") "," E(0, "[2]") "]}", true, 2, TG_EMISMATCH,
          .why = "openai-embeddings: index 1 missing (index 0 appears twice)" },
        { "{\"data\":[" E(1, "[1]") "," E(1, "[2]") ",{\"embedding\":[3],\"index\":0}]}", true, 3,
          TG_EMISMATCH, .why = "openai-embeddings: index 2 missing (index 1 appears twice)" },
        { "{\"data\":[" E(0, "[1]") ",{\"embedding\":[2]}]}", true, 2, TG_EMISMATCH,
          .why = "openai-embeddings: data[1] has no integer \"index\"" },
        { "{\"data\":[" E(0, "[1]") ",{\"index\":\"1\",\"embedding\":[2]}]}", true, 2, TG_EMISMATCH,
          .why = "data[1] has no integer \"index\"" },
        { "{\"data\":[" E(0, "[1]") "," E(5, "[2]") "]}", true, 2, TG_EMISMATCH,
          .why = "openai-embeddings: data[1].index 5 is out of range (2 entries)" },
        { "{\"data\":[" E(-1, "[1]") "]}", false, 1, TG_EMISMATCH,
          .why = "data[0].index -1 is out of range" },
        { "{\"data\":[{\"object\":\"embedding\",\"index\":0}]}", false, 1, TG_EMISMATCH,
          .why = "openai-embeddings: data[0] has no \"embedding\"" },
        { "{\"data\":[7]}", false, 1, TG_EMISMATCH, .why = "openai-embeddings: data[0] is not an object" },
        { "{\"data\":[" E(0, "[1,\"x\"]") "]}", false, 1, TG_EMISMATCH,
          .why = "openai-embeddings: data[0].embedding[1] is not a number" },
        { "{\"data\":[" E(0, "{}") "]}", false, 1, TG_EMISMATCH,
          .why = "openai-embeddings: data[0].embedding is neither an array of numbers nor a base64 string" },
        { "{\"data\":[" E(0, "\"AAAA\"") "]}", false, 1, TG_EMISMATCH,
          .why = "openai-embeddings: data[0].embedding: 3 base64 bytes are not whole float32 values" },
        { "{\"data\":[" E(0, "\"AAA\"") "]}", false, 1, TG_EMISMATCH,
          .why = "data[0].embedding is not base64" },
        { "{\"data\":[" E(0, "\"!!!!\"") "]}", false, 1, TG_EMISMATCH,
          .why = "data[0].embedding is not base64" },
        { "{\"data\":[", false, 1, TG_EPARSE, .why = "openai-embeddings: response body is not JSON" },
        { "", false, 1, TG_EPARSE, .why = "openai-embeddings: response body is not JSON" },
    };
#undef E
    check_splits(oa(), cases, sizeof cases / sizeof cases[0]);
    /* an empty base64 string is an empty vector, not an error */
    const char *empty = "{\"data\":[{\"index\":0,\"embedding\":\"\"}]}";
    struct outs o = { 0 };
    char why[200] = "";
    CHECK_INT_EQ(0, oa()->split(empty, strlen(empty), false, 1, collect, &o, why, sizeof why));
    CHECK_STR_EQ("[]", o.canon[0]);
    outs_free(&o);
    /* the callback's code stops the split and is returned */
    o.n = 5;
    const char *two = "{\"data\":[{\"index\":0,\"embedding\":[1]},{\"index\":1,\"embedding\":[2]}]}";
    CHECK_INT_EQ(TG_ERANGE, oa()->split(two, strlen(two), true, 2, collect, &o, why, sizeof why));
}

/* ---- server side ---------------------------------------------------------------- */

TEST(openai_server_route)
{
    static const struct route_case cases[] = {
        { "/v1/embeddings", TG_API_ROUTE_INFER, NULL },
        { "/v1/models", TG_API_ROUTE_METADATA, NULL },
        { "/health", TG_API_ROUTE_NONE, NULL },
        { "/embed", TG_API_ROUTE_NONE, NULL },
        { "/v1/embeddings/x", TG_API_ROUTE_NONE, NULL },
    };
    check_routes(oa(), cases, sizeof cases / sizeof cases[0]);
}

TEST(openai_server_parse_errors)
{
    struct tg_api_server_limits lim = { "example-model", 4, 3 };
    static const struct parse_case cases[] = {
        { "{\"model\":", .status = 400, .msg = "We could not parse the JSON body of your request" },
        { "[]", .status = 400, .msg = "must be a JSON object" },
        { "{\"input\":\"a\"}", .status = 400, .msg = "you must provide a model parameter" },
        { "{\"model\":null,\"input\":\"a\"}", .status = 400, .msg = "you must provide a model parameter" },
        { "{\"model\":3,\"input\":\"a\"}", .status = 400, .msg = "'model' must be a string" },
        { "{\"model\":\"example-model\"}", .status = 400, .msg = "'input' is a required property" },
        { "{\"model\":\"example-model\",\"input\":\"\"}", .status = 400,
          .msg = "'input' cannot be an empty string" },
        { "{\"model\":\"example-model\",\"input\":[]}", .status = 400,
          .msg = "'input' must not be an empty array" },
        { "{\"model\":\"example-model\",\"input\":3}", .status = 400,
          .msg = "'input' must be a string or an array of strings" },
        { "{\"model\":\"example-model\",\"input\":[1,2]}", .status = 400,
          .msg = "token inputs are not supported by this placeholder server" },
        { "{\"model\":\"example-model\",\"input\":[[1,2]]}", .status = 400,
          .msg = "token inputs are not supported" },
        { "{\"model\":\"example-model\",\"input\":[\"a\",3.5]}", .status = 400,
          .msg = "input[1] must be a string" },
        { "{\"model\":\"example-model\",\"input\":[\"a\",\"\"]}", .status = 400,
          .msg = "'input'[1] cannot be an empty string" },
        { "{\"model\":\"example-model\",\"input\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}", .status = 400,
          .msg = "'input' must have at most 4 items (got 5)", .max_batch = 4 },
        { "{\"model\":\"example-model\",\"input\":\"a\",\"encoding_format\":\"int8\"}", .status = 400,
          .msg = "'encoding_format' must be \"float\" or \"base64\"" },
        { "{\"model\":\"example-model\",\"input\":\"a\",\"encoding_format\":1}", .status = 400,
          .msg = "'encoding_format'" },
        { "{\"model\":\"example-model\",\"input\":\"a\",\"dimensions\":8}", .status = 400,
          .msg = "'dimensions' must be 3 for this model" },
        { "{\"model\":\"example-model\",\"input\":\"a\",\"dimensions\":\"3\"}", .status = 400,
          .msg = "'dimensions'" },
        { "{\"model\":\"text-embedding-3-small\",\"input\":\"a\"}", .status = 404,
          .msg = "The model `text-embedding-3-small` does not exist or you do not have access to it." },
    };
    check_server_parses(oa(), &lim, cases, sizeof cases / sizeof cases[0]);
}

/* The limit the server names can be read back by the client's error reader. */
TEST(openai_server_errors_read_back)
{
    const struct tg_api *a = oa();
    static const size_t server_max[] = { 4, 64, 2048, 5000 };
    static const unsigned want[] = { 4, 64, 2048, 2048 };
    for (size_t k = 0; k < 4; k++) {
        struct tg_api_server_limits lim = { "example-model", server_max[k], 3 };
        struct tg_buf body = TG_BUF_INIT(0), err = TG_BUF_INIT(0);
        tg_buf_puts(&body, "{\"model\":\"example-model\",\"input\":[");
        for (size_t i = 0; i <= want[k]; i++)
            tg_buf_printf(&body, "%s\"w%zu\"", i ? "," : "", i);
        tg_buf_puts(&body, "]}");
        struct tg_api_request r;
        CHECK_INT_EQ(TG_ETOOBIG, a->server_parse(body.data, body.len, "", &lim, &r));
        CHECK_INT_EQ(400, r.status);
        CHECK_INT_EQ(0, a->server_error(&err, r.status, r.message));
        struct tg_api_error e;
        tg_api_read_error(a, r.status, err.data, err.len, &e);
        CHECK_UINT_EQ(want[k], e.max_batch);
        CHECK_STR_EQ(r.message, e.message);
        tg_api_request_free(&r);
        /* exactly the limit is accepted */
        struct tg_buf ok = TG_BUF_INIT(0);
        tg_buf_puts(&ok, "{\"model\":\"example-model\",\"input\":[");
        for (size_t i = 0; i < want[k]; i++)
            tg_buf_printf(&ok, "%s\"w%zu\"", i ? "," : "", i);
        tg_buf_puts(&ok, "]}");
        CHECK_INT_EQ(0, a->server_parse(ok.data, ok.len, "", &lim, &r));
        CHECK_UINT_EQ(want[k], r.n);
        tg_api_request_free(&r);
        tg_buf_free(&ok);
        tg_buf_free(&body);
        tg_buf_free(&err);
    }
}

TEST(openai_server_error_shapes)
{
    static const struct { int status; const char *msg, *body; } cases[] = {
        { 404, "The model `x` does not exist or you do not have access to it.",
          "{\"error\":{\"message\":\"The model `x` does not exist or you do not have access to it.\","
          "\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"model_not_found\"}}" },
        { 404, "no route", "{\"error\":{\"message\":\"no route\",\"type\":\"invalid_request_error\","
                           "\"param\":null,\"code\":null}}" },
        { 400, "say \"hi\"\n\\", "{\"error\":{\"message\":\"say \\\"hi\\\"\\n\\\\\",\"type\":\"invalid_request_error\","
                                 "\"param\":null,\"code\":null}}" },
        { 429, "slow down", "{\"error\":{\"message\":\"slow down\",\"type\":\"requests\",\"param\":null,"
                            "\"code\":\"rate_limit_exceeded\"}}" },
        { 503, "busy", "{\"error\":{\"message\":\"busy\",\"type\":\"server_error\",\"param\":null,\"code\":null}}" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tg_buf b = TG_BUF_INIT(0);
        CHECK_INT_EQ(0, oa()->server_error(&b, cases[i].status, cases[i].msg));
        CHECK_STR_EQ(cases[i].body, b.data);
        struct tg_api_error e;
        tg_api_read_error(oa(), cases[i].status, b.data, b.len, &e);
        CHECK(strncmp(e.message, cases[i].msg, 4) == 0);
        tg_buf_free(&b);
    }
}

TEST(openai_server_parse_accepts)
{
    struct tg_api_server_limits lim = { "example-model", 64, 3 };
    struct tg_api_request r;
    const char *one = "{\"model\":\"example-model\",\"input\":\"hello world\",\"user\":\"u\",\"encoding_format\":null}";
    CHECK_INT_EQ(0, oa()->server_parse(one, strlen(one), "", &lim, &r));
    CHECK_INT_EQ(200, r.status);
    CHECK_UINT_EQ(1, r.n);
    CHECK(!r.batched);
    CHECK_UINT_EQ(0, r.flags);
    CHECK_STR_EQ("example-model", r.model);
    CHECK_MEM_EQ("hello world", 11, r.texts[0].data, r.texts[0].len);
    tg_api_request_free(&r);
    const char *many = "{\"model\":\"example-model\",\"input\":[\"a\",\"b c\"],\"encoding_format\":\"base64\","
                       "\"dimensions\":3}";
    CHECK_INT_EQ(0, oa()->server_parse(many, strlen(many), "", &lim, &r));
    CHECK_UINT_EQ(2, r.n);
    CHECK(r.batched);
    CHECK(r.flags != 0);
    CHECK_MEM_EQ("b c", 3, r.texts[1].data, r.texts[1].len);
    tg_api_request_free(&r);
    const char *listed = "{\"model\":\"example-model\",\"input\":[\"a\"],\"encoding_format\":\"float\"}";
    CHECK_INT_EQ(0, oa()->server_parse(listed, strlen(listed), "", &lim, &r));
    CHECK_UINT_EQ(1, r.n);
    CHECK(r.batched);
    CHECK_UINT_EQ(0, r.flags);
    tg_api_request_free(&r);
}

/* server_write -> split gives exactly the tailgate dialect's canonical text
 * (and hash) for the same values, in float and in base64. */
TEST(openai_server_round_trip)
{
    struct tg_api_server_limits lim = { "example-model", 64, 3 };
    const double v[] = { 0.5, -0.25, 0.01234567, 1.0, 0.0, -0.33333333 };
    struct outs t;
    tailgate_outputs(v, 2, 3, &t);
    REQUIRE(t.n == 2);
    const char *bodies[] = {
        "{\"model\":\"example-model\",\"input\":[\"a\",\"b  c\\td\"]}",
        "{\"model\":\"example-model\",\"input\":[\"a\",\"b  c\\td\"],\"encoding_format\":\"base64\"}",
    };
    for (size_t k = 0; k < 2; k++) {
        struct tg_api_request r;
        REQUIRE(oa()->server_parse(bodies[k], strlen(bodies[k]), "", &lim, &r) == 0);
        struct tg_buf b = TG_BUF_INIT(0);
        CHECK_INT_EQ(0, oa()->server_write(&b, &r, v, 3));
        if (k == 0)
            CHECK_STR_EQ("{\"object\":\"list\",\"data\":["
                         "{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.50000000,-0.25000000,0.01234567]},"
                         "{\"object\":\"embedding\",\"index\":1,\"embedding\":[1.00000000,0.00000000,-0.33333333]}],"
                         "\"model\":\"example-model\",\"usage\":{\"prompt_tokens\":4,\"total_tokens\":4}}",
                         b.data);
        else
            CHECK(strstr(b.data, "\"usage\":{\"prompt_tokens\":4,\"total_tokens\":4}") != NULL);
        struct outs o = { 0 };
        char why[200] = "";
        CHECK_INT_EQ(0, oa()->split(b.data, b.len, true, 2, collect, &o, why, sizeof why));
        CHECK_UINT_EQ(2, o.n);
        for (size_t i = 0; i < 2; i++) {
            CHECK_STR_EQ(t.canon[i], o.canon[i]);
            CHECK_STR_EQ(t.hex[i], o.hex[i]);
        }
        outs_free(&o);
        tg_buf_free(&b);
        tg_api_request_free(&r);
    }
    /* unbatched: one string input, one entry */
    struct outs t1;
    tailgate_outputs(v, 1, 3, &t1);
    const char *one = "{\"model\":\"example-model\",\"input\":\"a\",\"encoding_format\":\"base64\"}";
    struct tg_api_request r;
    REQUIRE(oa()->server_parse(one, strlen(one), "", &lim, &r) == 0);
    struct tg_buf b = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, oa()->server_write(&b, &r, v, 3));
    struct outs o = { 0 };
    char why[200] = "";
    CHECK_INT_EQ(0, oa()->split(b.data, b.len, false, 1, collect, &o, why, sizeof why));
    CHECK_STR_EQ(t1.canon[0], o.canon[0]);
    CHECK_STR_EQ(t1.hex[0], o.hex[0]);
    outs_free(&o);
    outs_free(&t1);
    outs_free(&t);
    tg_buf_free(&b);
    tg_api_request_free(&r);
}

/* What the openai SDK does with a base64 answer: decode to float32.  The
 * floats must equal (as float32) the 8-decimal values of the float answer. */
TEST(openai_base64_is_float32_of_fixed8)
{
    struct tg_api_server_limits lim = { "example-model", 64, 4 };
    const double v[] = { 0.01234567, -0.99999999, 0.33333333, -0.00000001 };
    const char *body = "{\"model\":\"example-model\",\"input\":\"x\",\"encoding_format\":\"base64\"}";
    struct tg_api_request r;
    REQUIRE(oa()->server_parse(body, strlen(body), "", &lim, &r) == 0);
    struct tg_buf b = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, oa()->server_write(&b, &r, v, 4));
    json_t *root = json_loads(b.data, 0, NULL);
    REQUIRE(root != NULL);
    json_t *e = json_object_get(json_array_get(json_object_get(root, "data"), 0), "embedding");
    REQUIRE(json_is_string(e));
    unsigned char raw[16];
    CHECK_INT_EQ(16, tg_api_base64_decode(json_string_value(e), json_string_length(e), raw, sizeof raw));
    struct tg_buf fixed = TG_BUF_INIT(0);
    for (size_t i = 0; i < 4; i++) {
        uint32_t w = (uint32_t)raw[4 * i] | (uint32_t)raw[4 * i + 1] << 8 | (uint32_t)raw[4 * i + 2] << 16 |
                     (uint32_t)raw[4 * i + 3] << 24;
        float got;
        memcpy(&got, &w, 4);
        tg_buf_reset(&fixed);
        tg_api_put_fixed8(&fixed, v[i]);
        /* a client parsing the float answer gets a double, then float32 of it */
        float want = (float)strtod(fixed.data, NULL);
        if (memcmp(&got, &want, 4) != 0)
            TG_FAIL_AT("value %zu: base64 gives %.9g, the float answer %s gives %.9g", i, got, fixed.data, want);
    }
    tg_buf_free(&fixed);
    json_decref(root);
    tg_buf_free(&b);
    tg_api_request_free(&r);
}

TEST(openai_server_meta)
{
    struct tg_api_server_limits lim = { "example-model", 64, 3 };
    struct tg_buf b = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, oa()->server_meta(&b, TG_API_ROUTE_METADATA, "example-model", &lim));
    CHECK_STR_EQ("{\"object\":\"list\",\"data\":[{\"id\":\"example-model\",\"object\":\"model\","
                 "\"created\":0,\"owned_by\":\"tailgate\"}]}",
                 b.data);
    tg_buf_free(&b);
}
