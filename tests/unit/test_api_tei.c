/*
 * test_api_tei.c - the tei dialect (Hugging Face text-embeddings-inference):
 * payload lines, batch bodies, splitting the array-of-arrays answer, the
 * server's parser (TEI's statuses and wording), writer, errors, /health and
 * /info, and the round trip that must hash like the tailgate dialect.
 */
#include "test.h"

#include "api/api.h"
#include "api/internal.h"
#include "core/buf.h"
#include "core/error.h"
#include "apicheck.h"

TEST_MAIN()

static const struct tg_api *tei(void) { return tg_api_find("tei"); }

TEST(tei_table)
{
    const struct tg_api *a = tei();
    REQUIRE(a != NULL);
    CHECK_STR_EQ("/embed", a->route);
    CHECK_STR_EQ("/health", a->health_route);
    CHECK_STR_EQ("/info", a->metadata_route);
    CHECK_UINT_EQ(32, a->spec_max_batch);
    CHECK_STR_EQ("x-queue-time", a->queue_time_header);
    CHECK_STR_EQ("x-inference-time", a->compute_time_header);
    CHECK(a->read_error == NULL); /* the generic reader reads {"error":"…"} and axum's plain text */
    CHECK(a->parse_line && a->build_batch && a->split && a->server_route && a->server_parse &&
          a->server_write && a->server_error && a->server_meta);
    char p[64];
    CHECK_INT_EQ(0, tg_api_path(a->route, "example-model", p, sizeof p));
    CHECK_STR_EQ("/embed", p);
}

/* ---- client: payload lines ---------------------------------------------------- */

TEST(tei_parse_line_accepts)
{
    static const struct line_case cases[] = {
        /* the README's example */
        { "{\"inputs\":\"What is Deep Learning?\"}", 0, "{}", "\"What is Deep Learning?\"", NULL, NULL },
        { "{\"inputs\":\"x\",\"normalize\":false,\"truncate\":true,\"truncation_direction\":\"Left\","
          "\"prompt_name\":\"query\"}", 0,
          "{\"normalize\":false,\"prompt_name\":\"query\",\"truncate\":true,\"truncation_direction\":\"Left\"}", "\"x\"", NULL, NULL },
        /* one tokenized input (InputType::Ids) */
        { "{\"inputs\":[101,2054,2003,102]}", 0, "{}", "[101,2054,2003,102]", NULL, NULL },
    };
    /* model NULL: TEI serves one model; the body names none */
    check_lines(tei(), cases, sizeof cases / sizeof cases[0]);
}

TEST(tei_parse_line_refuses)
{
    static const struct line_case cases[] = {
        { "{\"inputs\":[\"a\",\"b\"]}", TG_EPARSE,
          .why = "already a batch (\"inputs\" is an array of 2 inputs)" },
        { "{\"inputs\":[\"a\"]}", TG_EPARSE, .why = "already a batch" },
        { "{\"inputs\":[[101,102],[7]]}", TG_EPARSE, .why = "already a batch" },
        { "{\"inputs\":[]}", TG_EPARSE, .why = "\"inputs\" is an empty array" },
        { "{\"inputs\":[1,\"a\"]}", TG_EPARSE, .why = "\"inputs\"[1] is not an integer token id" },
        { "{\"inputs\":3}", TG_EPARSE,
          .why = "\"inputs\" must be a string or an array of integer token ids" },
        { "{\"inputs\":{\"text\":\"a\"}}", TG_EPARSE, .why = "\"inputs\" must be a string" },
        { "{\"input\":\"a\"}", TG_EPARSE, .why = "not an object with \"inputs\"" },
        { "\"inputs\"", TG_EPARSE, .why = "not an object with \"inputs\"" },
        { "{", TG_EPARSE, .why = "not JSON" },
    };
    check_lines(tei(), cases, sizeof cases / sizeof cases[0]);
}

TEST(tei_build_batch_keeps_every_field)
{
    const char *l1 = "{\"inputs\":\"a\",\"normalize\":false,\"truncate\":true}";
    const char *l2 = "{\"truncate\":true,\"normalize\":false,\"inputs\":\"b\"}";
    struct tg_api_line x, y;
    char why[200];
    REQUIRE(tei()->parse_line(l1, strlen(l1), &x, why, sizeof why) == 0);
    REQUIRE(tei()->parse_line(l2, strlen(l2), &y, why, sizeof why) == 0);
    CHECK_STR_EQ(x.group, y.group);
    const char *items[] = { x.item, y.item, "[101,102]" };
    size_t lens[] = { x.item_len, y.item_len, 9 };
    struct tg_buf b = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, tei()->build_batch(&b, x.group, items, lens, 2));
    CHECK_STR_EQ("{\"normalize\":false,\"truncate\":true,\"inputs\":[\"a\",\"b\"]}", b.data);
    /* TEI's batch is a list of InputType: text and token ids may mix */
    tg_buf_reset(&b);
    CHECK_INT_EQ(0, tei()->build_batch(&b, "{}", items, lens, 3));
    CHECK_STR_EQ("{\"inputs\":[\"a\",\"b\",[101,102]]}", b.data);
    tg_buf_reset(&b);
    CHECK_INT_EQ(TG_EINVAL, tei()->build_batch(&b, "{}", items, lens, 0));
    tg_buf_free(&b);
    tg_api_line_free(&x);
    tg_api_line_free(&y);
}

/* ---- client: splitting answers ------------------------------------------------ */

TEST(tei_split)
{
    struct outs o = { 0 };
    char why[200] = "";
    /* the OpenAPI example of EmbedResponse */
    const char *docs = "[[0.0, 1.0, 2.0]]";
    CHECK_INT_EQ(0, tei()->split(docs, strlen(docs), false, 1, collect, &o, why, sizeof why));
    CHECK_UINT_EQ(1, o.n);
    CHECK_STR_EQ("[0,1,2]", o.canon[0]);
    outs_free(&o);
    CHECK_INT_EQ(0, tei()->split(docs, strlen(docs), true, 1, collect, &o, why, sizeof why));
    CHECK_STR_EQ("[0,1,2]", o.canon[0]);

    const char *two = "[[0.5,0.25],[1.0,-0.0]]";
    outs_free(&o);
    CHECK_INT_EQ(0, tei()->split(two, strlen(two), true, 2, collect, &o, why, sizeof why));
    CHECK_UINT_EQ(2, o.n);
    CHECK_STR_EQ("[0.5,0.25]", o.canon[0]);
    CHECK_STR_EQ("[1,0]", o.canon[1]);
    /* unbatched with several: one output, the whole list */
    outs_free(&o);
    CHECK_INT_EQ(0, tei()->split(two, strlen(two), false, 1, collect, &o, why, sizeof why));
    CHECK_UINT_EQ(1, o.n);
    CHECK_STR_EQ("[[0.5,0.25],[1,0]]", o.canon[0]);
    outs_free(&o);
}

TEST(tei_split_failures)
{
    static const struct split_case cases[] = {
        { "[[1],[2]]", true, 3, TG_EMISMATCH, .why = "tei: response is not an array of 3 embeddings" },
        { "[[1]]", true, 2, TG_EMISMATCH, .why = "tei: response is not an array of 2 embeddings" },
        { "{\"error\":\"x\",\"error_type\":\"backend\"}", true, 2, TG_EMISMATCH,
          .why = "tei: response is not an array of 2 embeddings" },
        { "{\"embeddings\":[[1]]}", false, 1, TG_EMISMATCH,
          .why = "tei: response is not an array of 1 embeddings" },
        { "[]", false, 1, TG_EMISMATCH, .why = "tei: response is an empty array" },
        { "[0.5,0.25]", false, 1, TG_EMISMATCH, .why = "tei: response[0] is not an array of numbers" },
        { "[[1],\"x\"]", true, 2, TG_EMISMATCH, .why = "tei: response[1] is not an array of numbers" },
        { "[[1,null]]", false, 1, TG_EMISMATCH, .why = "tei: response[0][1] is not a number" },
        { "[[1,", false, 1, TG_EPARSE, .why = "tei: response body is not JSON" },
        { "", true, 1, TG_EPARSE, .why = "tei: response body is not JSON" },
    };
    check_splits(tei(), cases, sizeof cases / sizeof cases[0]);
}

/* ---- server side ---------------------------------------------------------------- */

TEST(tei_server_route)
{
    static const struct route_case cases[] = {
        { "/embed", TG_API_ROUTE_INFER, NULL },
        { "/health", TG_API_ROUTE_HEALTH, NULL },
        { "/info", TG_API_ROUTE_METADATA, NULL },
        { "/v1/embeddings", TG_API_ROUTE_NONE, NULL },
        { "/embed_all", TG_API_ROUTE_NONE, NULL },
    };
    check_routes(tei(), cases, sizeof cases / sizeof cases[0]);
}

TEST(tei_server_parse_errors)
{
    struct tg_api_server_limits lim = { "example-model", 64, 3 };
    static const struct parse_case cases[] = {
        { "{\"inputs\":", .status = 400, .msg = "Failed to parse the request body as JSON: " },
        { "[\"a\"]", .status = 422, .msg = "Failed to deserialize the JSON body into the target type" },
        { "{}", .status = 422,
          .msg = "Failed to deserialize the JSON body into the target type: missing field `inputs`" },
        { "{\"input\":\"a\"}", .status = 422, .msg = "missing field `inputs`" },
        { "{\"inputs\":3}", .status = 422,
          .msg = "inputs: data did not match any variant of untagged enum Input" },
        { "{\"inputs\":null}", .status = 422, .msg = "untagged enum Input" },
        { "{\"inputs\":[\"a\",{}]}", .status = 422, .msg = "untagged enum Input" },
        { "{\"inputs\":[101,102]}", .status = 422,
          .msg = "token inputs are not supported by this placeholder server" },
        { "{\"inputs\":[\"a\",[101]]}", .status = 422, .msg = "token inputs are not supported" },
        { "{\"inputs\":\"a\",\"normalize\":\"yes\"}", .status = 422, .msg = "normalize: expected a boolean" },
        { "{\"inputs\":\"a\",\"truncate\":1}", .status = 422, .msg = "truncate: expected a boolean" },
        { "{\"inputs\":[]}", .status = 413, .msg = "`inputs` cannot be empty" },
        { "{\"inputs\":\"\"}", .status = 413, .msg = "`inputs` cannot be empty" },
        { "{\"inputs\":[\"a\",\"\"]}", .status = 413, .msg = "`inputs` cannot be empty" },
    };
    check_server_parses(tei(), &lim, cases, sizeof cases / sizeof cases[0]);
}

/* Over the batch limit (TEI's 32 or the server's smaller one): 413 with TEI's
 * wording, and the client's reader gets the limit back from the body. */
TEST(tei_server_batch_limit_read_back)
{
    static const size_t server_max[] = { 4, 32, 64, 0 };
    static const unsigned want[] = { 4, 32, 32, 32 };
    for (size_t k = 0; k < 4; k++) {
        struct tg_api_server_limits lim = { "example-model", server_max[k], 3 };
        struct tg_buf body = TG_BUF_INIT(0), err = TG_BUF_INIT(0);
        tg_buf_puts(&body, "{\"inputs\":[");
        for (size_t i = 0; i <= want[k]; i++)
            tg_buf_printf(&body, "%s\"w%zu\"", i ? "," : "", i);
        tg_buf_puts(&body, "]}");
        struct tg_api_request r;
        CHECK_INT_EQ(TG_ETOOBIG, tei()->server_parse(body.data, body.len, "", &lim, &r));
        CHECK_INT_EQ(413, r.status);
        char msg[100];
        snprintf(msg, sizeof msg, "batch size %u > maximum allowed batch size %u", want[k] + 1, want[k]);
        CHECK_STR_EQ(msg, r.message);
        CHECK_INT_EQ(0, tei()->server_error(&err, r.status, r.message));
        char expect[200];
        snprintf(expect, sizeof expect, "{\"error\":\"%s\",\"error_type\":\"validation\"}", msg);
        CHECK_STR_EQ(expect, err.data);
        struct tg_api_error e;
        tg_api_read_error(tei(), 413, err.data, err.len, &e);
        CHECK_STR_EQ(msg, e.message);
        CHECK_UINT_EQ(want[k], e.max_batch);
        tg_api_request_free(&r);
        tg_buf_free(&body);
        tg_buf_free(&err);
    }
    /* what real TEI sends, and axum's plain-text rejection */
    struct tg_api_error e;
    const char *real = "{\"error\":\"batch size 33 > maximum allowed batch size 32\",\"error_type\":\"validation\"}";
    tg_api_read_error(tei(), 413, real, strlen(real), &e);
    CHECK_UINT_EQ(32, e.max_batch);
    const char *axum = "Failed to deserialize the JSON body into the target type: missing field `inputs` at line 1 column 2";
    tg_api_read_error(tei(), 422, axum, strlen(axum), &e);
    CHECK_STR_EQ(axum, e.message);
    CHECK_UINT_EQ(0, e.max_batch);
}

TEST(tei_server_error_shapes)
{
    static const struct { int status; const char *msg, *body; } cases[] = {
        { 413, "`inputs` cannot be empty", "{\"error\":\"`inputs` cannot be empty\",\"error_type\":\"validation\"}" },
        { 422, "bad \"x\"\n", "{\"error\":\"bad \\\"x\\\"\\n\",\"error_type\":\"validation\"}" },
        { 400, "syntax", "{\"error\":\"syntax\",\"error_type\":\"validation\"}" },
        { 429, "Model is overloaded", "{\"error\":\"Model is overloaded\",\"error_type\":\"overloaded\"}" },
        { 503, "unhealthy", "{\"error\":\"unhealthy\",\"error_type\":\"unhealthy\"}" },
        { 424, "Inference failed", "{\"error\":\"Inference failed\",\"error_type\":\"backend\"}" },
        { 500, "oops", "{\"error\":\"oops\",\"error_type\":\"backend\"}" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tg_buf b = TG_BUF_INIT(0);
        CHECK_INT_EQ(0, tei()->server_error(&b, cases[i].status, cases[i].msg));
        CHECK_STR_EQ(cases[i].body, b.data);
        tg_buf_free(&b);
    }
}

TEST(tei_server_parse_accepts)
{
    struct tg_api_server_limits lim = { "example-model", 64, 3 };
    struct tg_api_request r;
    const char *one = "{\"inputs\":\"What is Deep Learning?\",\"truncate\":null,\"normalize\":true,"
                      "\"prompt_name\":\"query\",\"truncation_direction\":\"Right\"}";
    CHECK_INT_EQ(0, tei()->server_parse(one, strlen(one), "", &lim, &r));
    CHECK_INT_EQ(200, r.status);
    CHECK_UINT_EQ(1, r.n);
    CHECK(!r.batched);
    CHECK_STR_EQ("example-model", r.model);
    CHECK_MEM_EQ("What is Deep Learning?", 22, r.texts[0].data, r.texts[0].len);
    tg_api_request_free(&r);
    const char *many = "{\"inputs\":[\"a\",\"b\"],\"truncate\":false}";
    CHECK_INT_EQ(0, tei()->server_parse(many, strlen(many), "", &lim, &r));
    CHECK_UINT_EQ(2, r.n);
    CHECK(r.batched);
    CHECK_MEM_EQ("b", 1, r.texts[1].data, r.texts[1].len);
    tg_api_request_free(&r);
}

/* server_write -> split gives exactly the tailgate dialect's canonical text. */
TEST(tei_server_round_trip)
{
    struct tg_api_server_limits lim = { "example-model", 64, 3 };
    const double v[] = { 0.5, -0.25, 0.01234567, 1.0, 0.0, -0.33333333 };
    struct outs t;
    tailgate_outputs(v, 2, 3, &t);
    REQUIRE(t.n == 2);
    const char *many = "{\"inputs\":[\"a\",\"b\"]}";
    struct tg_api_request r;
    REQUIRE(tei()->server_parse(many, strlen(many), "", &lim, &r) == 0);
    struct tg_buf b = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, tei()->server_write(&b, &r, v, 3));
    CHECK_STR_EQ("[[0.50000000,-0.25000000,0.01234567],[1.00000000,0.00000000,-0.33333333]]", b.data);
    struct outs o = { 0 };
    char why[200] = "";
    CHECK_INT_EQ(0, tei()->split(b.data, b.len, true, 2, collect, &o, why, sizeof why));
    CHECK_UINT_EQ(2, o.n);
    for (size_t i = 0; i < 2; i++) {
        CHECK_STR_EQ(t.canon[i], o.canon[i]);
        CHECK_STR_EQ(t.hex[i], o.hex[i]);
    }
    tg_buf_free(&b);
    tg_api_request_free(&r);

    /* one string input: still an array of arrays; unbatched split takes element 0 */
    struct outs t1;
    tailgate_outputs(v, 1, 3, &t1);
    const char *one = "{\"inputs\":\"a\"}";
    REQUIRE(tei()->server_parse(one, strlen(one), "", &lim, &r) == 0);
    b = (struct tg_buf)TG_BUF_INIT(0);
    CHECK_INT_EQ(0, tei()->server_write(&b, &r, v, 3));
    CHECK_STR_EQ("[[0.50000000,-0.25000000,0.01234567]]", b.data);
    outs_free(&o);
    CHECK_INT_EQ(0, tei()->split(b.data, b.len, false, 1, collect, &o, why, sizeof why));
    CHECK_STR_EQ(t1.canon[0], o.canon[0]);
    CHECK_STR_EQ(t1.hex[0], o.hex[0]);
    outs_free(&o);
    outs_free(&t1);
    outs_free(&t);
    tg_buf_free(&b);
    tg_api_request_free(&r);
}

TEST(tei_server_meta)
{
    struct tg_api_server_limits lim = { "example-model", 8, 3 };
    struct tg_buf b = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, tei()->server_meta(&b, TG_API_ROUTE_HEALTH, "example-model", &lim));
    CHECK_UINT_EQ(0, b.len); /* TEI's /health is 200 with an empty body */
    CHECK_INT_EQ(0, tei()->server_meta(&b, TG_API_ROUTE_METADATA, "example-model", &lim));
    json_t *info = json_loadb(b.data, b.len, 0, NULL);
    REQUIRE(info != NULL);
    CHECK_STR_EQ("example-model", json_string_value(json_object_get(info, "model_id")));
    CHECK_INT_EQ(8, json_integer_value(json_object_get(info, "max_client_batch_size")));
    CHECK(json_is_integer(json_object_get(info, "max_batch_tokens")));
    CHECK(json_is_object(json_object_get(json_object_get(info, "model_type"), "embedding")));
    json_decref(info);
    lim.max_batch = 1000;
    tg_buf_reset(&b);
    CHECK_INT_EQ(0, tei()->server_meta(&b, TG_API_ROUTE_METADATA, "example-model", &lim));
    CHECK(strstr(b.data, "\"max_client_batch_size\":32,") != NULL);
    tg_buf_free(&b);
}
