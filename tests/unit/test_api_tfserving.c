/*
 * test_api_tfserving.c - the tfserving dialect (src/api/tfserving.c):
 * payload lines, batch bodies and response splitting on the REST API page's
 * examples (tests/data/api/tfserving_*), and the server side (routes,
 * request parsing, every error status, the answer read back by the client
 * side, error bodies read for the batch limit).
 */
#include "test.h"

#include "api/api.h"
#include "core/buf.h"
#include "core/error.h"
#include "apicheck.h"

TEST_MAIN()

static const struct tg_api *tfs(void)
{
    const struct tg_api *a = tg_api_find("tfserving");
    if (!a || !a->parse_line || !a->build_batch || !a->split || !a->server_parse)
        abort();
    return a;
}

/* ---- client side --------------------------------------------------------------- */

TEST(line_table)
{
    static const struct line_case cases[] = {
        { "{\"instances\":[\"hello\"]}", 0, "{}", "\"hello\"", NULL, NULL },
        { "{\"signature_name\":\"serving_default\",\"instances\":[[1,2.5]]}", 0,
          "{\"signature_name\":\"serving_default\"}", "[1,2.5]", NULL, NULL },
        { "{\"instances\":[{\"text\":\"a\",\"lang\":\"en\"}]}", 0, "{}", "{\"lang\":\"en\",\"text\":\"a\"}",
          NULL, NULL },
        { "{\"instances\":[\"a\",\"b\"]}", TG_EPARSE,
          .why = "tfserving: \"instances\" holds 2 instances; a payload line holds exactly one" },
        { "{\"instances\":[]}", TG_EPARSE, .why = "holds 0 instances" },
        { "{\"instances\":\"hello\"}", TG_EPARSE, .why = "an array \"instances\"" },
        { "{\"inputs\":[\"hello\"]}", TG_EPARSE, .why = "tfserving: columnar \"inputs\" cannot be batched" },
        { "{\"inputs\":{\"a\":[1]},\"instances\":[1]}", TG_EPARSE, .why = "columnar \"inputs\"" },
        { "{\"model\":\"m\",\"input\":\"x\"}", TG_EPARSE, .why = "\"instances\"" },
        { "[\"x\"]", TG_EPARSE, .why = "\"instances\"" },
        { "{\"instances\":[1", TG_EPARSE, .why = "tfserving: not JSON" },
    };
    check_lines(tfs(), cases, sizeof cases / sizeof cases[0]);
}

TEST(fixture_lines_and_batch)
{
    const struct tg_api *a = tfs();
    size_t len;
    char why[256] = "";
    struct tg_api_line x, y;
    char *s = fixture("tfserving_line_text.json", &len);
    REQUIRE(s != NULL);
    CHECK_INT_EQ(0, a->parse_line(s, len, &x, why, sizeof why));
    free(s);
    const char *l2 = "{\"instances\":[\"jumps over\"],\"signature_name\":\"serving_default\"}";
    CHECK_INT_EQ(0, a->parse_line(l2, strlen(l2), &y, why, sizeof why));
    CHECK_STR_EQ(x.group, y.group);
    const char *items[] = { x.item, y.item };
    size_t lens[] = { x.item_len, y.item_len };
    struct tg_buf b = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, a->build_batch(&b, x.group, items, lens, 2));
    CHECK_STR_EQ("{\"signature_name\":\"serving_default\",\"instances\":[\"the quick brown fox\",\"jumps over\"]}",
                 b.data);
    tg_buf_reset(&b);
    CHECK_INT_EQ(0, a->build_batch(&b, "{}", items, lens, 1));
    CHECK_STR_EQ("{\"instances\":[\"the quick brown fox\"]}", b.data);
    CHECK_INT_EQ(TG_EINVAL, a->build_batch(&b, "{}", items, lens, 0));
    tg_buf_free(&b);
    tg_api_line_free(&x);
    tg_api_line_free(&y);

    /* the page's examples are batches (or columnar): refused, with the field */
    static const struct { const char *file, *why; } refused[] = {
        { "tfserving_spec_predict_request.json", "\"instances\" holds 3 instances" },
        { "tfserving_spec_row_named.json", "\"instances\" holds 2 instances" },
        { "tfserving_spec_columnar.json", "columnar \"inputs\"" },
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        s = fixture(refused[i].file, &len);
        REQUIRE(s != NULL);
        CHECK_INT_EQ(TG_EPARSE, a->parse_line(s, len, &x, why, sizeof why));
        if (!strstr(why, refused[i].why))
            TG_FAIL_AT("%s: why \"%s\" lacks \"%s\"", refused[i].file, why, refused[i].why);
        free(s);
    }
}

TEST(split_spec_example)
{
    const struct tg_api *a = tfs();
    size_t len;
    char *s = fixture("tfserving_spec_predict_response.json", &len);
    REQUIRE(s != NULL);
    struct outs o = { 0 };
    char why[256] = "";
    CHECK_INT_EQ(0, a->split(s, len, true, 3, collect, &o, why, sizeof why));
    REQUIRE(o.n == 3);
    CHECK_STR_EQ("3.5", o.canon[0]);
    CHECK_STR_EQ("4", o.canon[1]);
    CHECK_STR_EQ("5.5", o.canon[2]);
    outs_free(&o);
    /* unbatched: the line had the three instances, the one output is the list */
    CHECK_INT_EQ(0, a->split(s, len, false, 1, collect, &o, why, sizeof why));
    REQUIRE(o.n == 1);
    CHECK_STR_EQ("[3.5,4,5.5]", o.canon[0]);
    outs_free(&o);
    CHECK_INT_EQ(TG_EMISMATCH, a->split(s, len, true, 2, collect, &o, why, sizeof why));
    CHECK_STR_EQ("tfserving: \"predictions\" is not an array of 2 predictions (got 3)", why);
    for (size_t p = 0; p + 1 < len; p++)
        if (s[p] != '\n')
            CHECK_INT_EQ(TG_EPARSE, a->split(s, p, true, 3, collect, &o, why, sizeof why));
    free(s);
}

TEST(split_table)
{
    static const struct split_case cases[] = {
        { "{\"predictions\":[[0.5,0.25],[1.0,0]]}", true, 2, 0, "[0.5,0.25]", "[1,0]", NULL },
        { "{\"predictions\":[[0.5,0.25]]}", false, 1, 0, "[0.5,0.25]", NULL, NULL },
        { "{\"predictions\":[{\"scores\":[0.1],\"label\":\"a\"},{\"label\":\"b\",\"scores\":[1]}]}", true, 2, 0,
          "{\"label\":\"a\",\"scores\":[0.100000001]}", "{\"label\":\"b\",\"scores\":[1]}", NULL },
        { "{\"predictions\":3.5}", false, 1, 0, "3.5", NULL, NULL },
        /* columnar answers, for unbatched columnar lines: the value as it is */
        { "{\"outputs\":[[0.5,0.25]]}", false, 1, 0, "[[0.5,0.25]]", NULL, NULL },
        { "{\"outputs\":{\"b\":[1],\"a\":[2]}}", false, 1, 0, "{\"a\":[2],\"b\":[1]}", NULL, NULL },
        { "{\"outputs\":[[0.5],[1]]}", true, 2, TG_EMISMATCH,
          .why = "tfserving: response has columnar \"outputs\"" },
        { "{\"predictions\":[[0.5,0.25]]}", true, 2, TG_EMISMATCH,
          .why = "not an array of 2 predictions (got 1)" },
        { "{\"predictions\":{\"a\":1}}", true, 1, TG_EMISMATCH, .why = "not an array of 1 predictions" },
        { "{\"error\":\"x\"}", true, 1, TG_EMISMATCH, .why = "tfserving: response has no \"predictions\"" },
        { "[[1]]", false, 1, TG_EMISMATCH, .why = "no \"predictions\"" },
        { "{\"predictions\":[", true, 1, TG_EPARSE, .why = "tfserving: response body is not JSON" },
    };
    check_splits(tfs(), cases, sizeof cases / sizeof cases[0]);
}

TEST(error_bodies)
{
    static const struct { const char *file; const char *msg; unsigned max; } cases[] = {
        { "tfserving_spec_error_404.json", "Servable not found for request: Latest(half)", 0 },
        { "tfserving_batch_error.json", "Task size 65 is larger than maximum input batch size 64", 64 },
    };
    const struct tg_api *a = tfs();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        char *s = fixture(cases[i].file, &len);
        REQUIRE(s != NULL);
        struct tg_api_error e;
        tg_api_read_error(a, 400, s, len, &e);
        CHECK_STR_EQ(cases[i].msg, e.message);
        CHECK_UINT_EQ(cases[i].max, e.max_batch);
        free(s);
    }
    struct tg_api_error e;
    tg_api_read_error(a, 500, "", 0, &e);
    CHECK_STR_EQ("", e.message);
    tg_api_read_error(a, 400, "{\"error\":\"input batch size 7x\"}", 31, &e);
    CHECK_UINT_EQ(7, e.max_batch);
    tg_api_read_error(a, 400, "{\"error\":\"input batch size none\"}", 33, &e);
    CHECK_UINT_EQ(0, e.max_batch);
}

/* ---- server side ----------------------------------------------------------------- */

TEST(server_routes)
{
    static const struct route_case cases[] = {
        { "/v1/models/example-model:predict", TG_API_ROUTE_INFER, "example-model" },
        { "/v1/models/example-model/versions/1:predict", TG_API_ROUTE_INFER, "example-model" },
        { "/v1/models/example-model/labels/stable:predict", TG_API_ROUTE_INFER, "example-model" },
        { "/v1/models/example-model", TG_API_ROUTE_HEALTH, "example-model" },
        { "/v1/models/example-model/versions/1", TG_API_ROUTE_HEALTH, "example-model" },
        { "/v1/models/example-model/metadata", TG_API_ROUTE_METADATA, "example-model" },
        { "/v1/models/example-model/versions/1/metadata", TG_API_ROUTE_METADATA, "example-model" },
        { "/v1/models/example-model:classify", TG_API_ROUTE_NONE, "" },
        { "/v1/models/example-model:regress", TG_API_ROUTE_NONE, "" },
        { "/v1/models/:predict", TG_API_ROUTE_NONE, "" },
        { "/v1/models/", TG_API_ROUTE_NONE, "" },
        { "/v1/models/m/versions/:predict", TG_API_ROUTE_NONE, "" },
        { "/v1/models/m/versions/1/x", TG_API_ROUTE_NONE, "" },
        { "/v1/models/m:predict/x", TG_API_ROUTE_NONE, "" },
        { "/v1/infer", TG_API_ROUTE_NONE, "" },
    };
    const struct tg_api *a = tfs();
    check_routes(a, cases, sizeof cases / sizeof cases[0]);
    char tiny[4], p[128], model[64];
    CHECK_INT_EQ(TG_API_ROUTE_NONE, a->server_route("/v1/models/example-model:predict", tiny, sizeof tiny));
    CHECK_INT_EQ(0, tg_api_path(a->route, "example-model", p, sizeof p));
    CHECK_INT_EQ(TG_API_ROUTE_INFER, a->server_route(p, model, sizeof model));
    CHECK_INT_EQ(0, tg_api_path(a->health_route, "example-model", p, sizeof p));
    CHECK_INT_EQ(TG_API_ROUTE_HEALTH, a->server_route(p, model, sizeof model));
    CHECK_INT_EQ(0, tg_api_path(a->metadata_route, "example-model", p, sizeof p));
    CHECK_INT_EQ(TG_API_ROUTE_METADATA, a->server_route(p, model, sizeof model));
}

TEST(server_parse_table)
{
    static const struct parse_case cases[] = {
        { "{\"instances\":[\"a\",\"b\"]}", "example-model", 200, 2, "a", "b", NULL, NULL, 0, 1 },
        { "{\"signature_name\":\"serving_default\",\"instances\":[\"only\"]}", "example-model", 200, 1,
          "only", NULL, NULL, NULL, 0, 1 },
        { "{\"instances\":[{\"text\":\"a\"},\"b\"]}", "example-model", 200, 2, "a", "b", NULL, NULL, 0, 1 },
        { "{\"instances\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}", .path_model = "example-model", .status = 400,
          .msg = "Task size 5 is larger than maximum input batch size 4", .max_batch = 4 },
        { "{\"instances\":[\"a\"]}", .path_model = "half", .status = 404,
          .msg = "Servable not found for request: Latest(half)" },
        { "{\"instances\":[", .path_model = "example-model", .status = 400, .msg = "JSON Parse error" },
        { "\"x\"", .path_model = "example-model", .status = 400, .msg = "must be a JSON object" },
        { "{}", .path_model = "example-model", .status = 400, .msg = "Missing 'instances' key" },
        { "{\"instances\":[]}", .path_model = "example-model", .status = 400, .msg = "non-empty list" },
        { "{\"instances\":\"a\"}", .path_model = "example-model", .status = 400, .msg = "non-empty list" },
        { "{\"instances\":[\"a\",1]}", .path_model = "example-model", .status = 400,
          .msg = "instances[1] must be a string" },
        { "{\"instances\":[{\"text\":\"a\",\"x\":\"b\"}]}", .path_model = "example-model", .status = 400,
          .msg = "instances[0] must be a string or an object with one string field" },
        { "{\"instances\":[{\"text\":1}]}", .path_model = "example-model", .status = 400,
          .msg = "instances[0]" },
        { "{\"inputs\":[\"a\"]}", .path_model = "example-model", .status = 400,
          .msg = "not columnar 'inputs'" },
        { "{\"inputs\":[\"a\"],\"instances\":[\"a\"]}", .path_model = "example-model", .status = 400,
          .msg = "Not both 'instances' and 'inputs'" },
    };
    const struct tg_api *a = tfs();
    struct tg_api_server_limits lim = { "example-model", 4, 2 };
    check_server_parses(a, &lim, cases, sizeof cases / sizeof cases[0]);
}

TEST(server_write_meta_and_round_trip)
{
    const struct tg_api *a = tfs(), *t = tg_api_find("tailgate");
    REQUIRE(t != NULL);
    struct tg_api_server_limits lim = { "example-model", 4, 2 };
    const char *body = "{\"instances\":[\"a\",\"b\"]}";
    struct tg_api_request r;
    REQUIRE(a->server_parse(body, strlen(body), "example-model", &lim, &r) == 0);
    const double v[] = { 0.5, -0.25, 1, 0 };
    struct tg_buf b = TG_BUF_INIT(0), c = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, a->server_write(&b, &r, v, 2));
    CHECK_STR_EQ("{\"predictions\":[[0.50000000,-0.25000000],[1.00000000,0.00000000]]}", b.data);
    tg_api_request_free(&r);

    /* one instance still answers the list; split unbatched gives its vector,
     * hashing like the tailgate dialect's "output" */
    const char *one = "{\"instances\":[\"a\"]}", *tone = "{\"model\":\"example-model\",\"input\":\"a\"}";
    struct tg_api_request tr;
    REQUIRE(a->server_parse(one, strlen(one), "example-model", &lim, &r) == 0);
    REQUIRE(t->server_parse(tone, strlen(tone), "", &lim, &tr) == 0);
    tg_buf_reset(&b);
    CHECK_INT_EQ(0, a->server_write(&b, &r, v, 2));
    CHECK_INT_EQ(0, t->server_write(&c, &tr, v, 2));
    struct outs o = { 0 }, to = { 0 };
    char why[256] = "";
    CHECK_INT_EQ(0, a->split(b.data, b.len, false, 1, collect, &o, why, sizeof why));
    CHECK_INT_EQ(0, t->split(c.data, c.len, false, 1, collect, &to, why, sizeof why));
    REQUIRE(o.n == 1 && to.n == 1);
    CHECK_STR_EQ(to.canon[0], o.canon[0]);
    CHECK_STR_EQ(to.hex[0], o.hex[0]);
    CHECK_STR_EQ("[0.5,-0.25]", o.canon[0]);
    outs_free(&o);
    outs_free(&to);
    tg_api_request_free(&r);
    tg_api_request_free(&tr);

    tg_buf_reset(&b);
    tg_buf_reset(&c);
    CHECK_INT_EQ(0, a->server_meta(&b, TG_API_ROUTE_HEALTH, "example-model", &lim));
    size_t len;
    char *s = fixture("tfserving_spec_model_status.json", &len);
    REQUIRE(s != NULL);
    struct tg_buf want = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, tg_api_canon_json(&want, s, len));
    CHECK_INT_EQ(0, tg_api_canon_json(&c, b.data, b.len));
    /* the page's example, but for version 1 */
    char *at = strstr(want.data, "\"123\"");
    REQUIRE(at != NULL);
    memmove(at + 3, at + 5, strlen(at + 5) + 1);
    memcpy(at, "\"1\"", 3);
    CHECK_STR_EQ(want.data, c.data);
    free(s);
    tg_buf_free(&want);
    tg_buf_reset(&b);
    tg_buf_reset(&c);
    CHECK_INT_EQ(0, a->server_meta(&b, TG_API_ROUTE_METADATA, "example-model", &lim));
    CHECK_INT_EQ(0, tg_api_canon_json(&c, b.data, b.len));
    CHECK(strstr(c.data, "\"model_spec\":{\"name\":\"example-model\"") != NULL);
    CHECK(strstr(c.data, "{\"name\":\"\",\"size\":\"2\"}") != NULL);
    tg_buf_reset(&b);
    CHECK_INT_EQ(0, a->server_error(&b, 404, "Servable not found for request: Latest(x)"));
    CHECK_STR_EQ("{\"error\":\"Servable not found for request: Latest(x)\"}", b.data);
    tg_buf_reset(&b);
    CHECK_INT_EQ(0, a->server_error(&b, 404, "Latest(\xed\xa0\x80\xf0\x9f\x98\x80)"));
    CHECK_STR_EQ("{\"error\":\"Latest(???\xf0\x9f\x98\x80)\"}", b.data); /* a surrogate is not UTF-8 */
    tg_buf_free(&b);
    tg_buf_free(&c);
}
