/*
 * test_api_kserve.c - the kserve-v2 dialect (src/api/kserve_v2.c): payload
 * lines, batch bodies and response splitting on the spec's examples
 * (tests/data/api/kserve_*), and the server side (routes, request parsing,
 * every error status, the answer read back by the client side).
 */
#include "test.h"

#include "api/api.h"
#include "core/buf.h"
#include "core/error.h"
#include "apicheck.h"

TEST_MAIN()

static const struct tg_api *kserve(void)
{
    const struct tg_api *a = tg_api_find("kserve-v2");
    if (!a || !a->parse_line || !a->build_batch || !a->split || !a->server_parse)
        abort();
    return a;
}

/* ---- client side --------------------------------------------------------------- */

TEST(line_table)
{
    static const struct line_case cases[] = {
        { "{\"id\":\"a\",\"inputs\":[{\"name\":\"text\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"hi\"]}]}", 0,
          "{\"inputs\":[{\"datatype\":\"BYTES\",\"name\":\"text\",\"shape\":[1]}]}", "[[\"hi\"]]", NULL,
          NULL },
        { "{\"inputs\":[{\"name\":\"text\",\"shape\":[1,1],\"datatype\":\"BYTES\",\"data\":[[\"hi\"]]}]}", 0,
          "{\"inputs\":[{\"datatype\":\"BYTES\",\"name\":\"text\",\"shape\":[1,1]}]}", "[[\"hi\"]]", NULL,
          NULL },
        { "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,3],\"datatype\":\"FP32\",\"data\":[0.5,1.5,-2],"
          "\"parameters\":{\"p\":1}}],\"parameters\":{\"q\":\"r\"}}", 0,
          "{\"inputs\":[{\"datatype\":\"FP32\",\"name\":\"x\",\"parameters\":{\"p\":1},\"shape\":[1,3]}],"
          "\"parameters\":{\"q\":\"r\"}}", "[[0.5,1.5,-2]]", NULL, NULL },
        { "{\"inputs\":[{\"name\":\"text\",\"shape\":[4],\"datatype\":\"BYTES\",\"data\":[\"a\",\"b\",\"c\",\"d\"]}]}",
          TG_EPARSE, .why = "kserve-v2: inputs[0] \"text\" has shape [4]" },
        { "{\"inputs\":[{\"name\":\"a\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"x\"]},"
          "{\"name\":\"b\",\"shape\":[2,2],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}", TG_EPARSE,
          .why = "inputs[1] \"b\" has shape [2,2]" },
        { "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,3],\"datatype\":\"FP32\",\"data\":[1,2]}]}", TG_EPARSE,
          .why = "inputs[0] \"x\" has shape [1,3] (3 elements) but \"data\" holds 2" },
        { "{\"inputs\":[{\"name\":\"x\",\"shape\":\"1\",\"datatype\":\"FP32\",\"data\":[1]}]}", TG_EPARSE,
          .why = "inputs[0] \"x\": \"shape\"" },
        { "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,-1],\"datatype\":\"FP32\",\"data\":[1]}]}", TG_EPARSE,
          .why = "\"shape\" is not an array of integers >= 0" },
        { "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP32\"}]}", TG_EPARSE,
          .why = "inputs[0] \"x\" has no \"data\" array" },
        { "{\"inputs\":[{\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}", TG_EPARSE,
          .why = "inputs[0] is not a tensor object" },
        { "{\"inputs\":[]}", TG_EPARSE, .why = "non-empty array \"inputs\"" },
        { "{\"model\":\"m\",\"input\":\"hello\"}", TG_EPARSE, .why = "\"inputs\"" },
        { "[1,2]", TG_EPARSE, .why = "\"inputs\"" },
        { "not json", TG_EPARSE, .why = "kserve-v2: not JSON" },
    };
    check_lines(kserve(), cases, sizeof cases / sizeof cases[0]);
}

TEST(fixture_lines)
{
    const struct tg_api *a = kserve();
    size_t len;
    struct tg_api_line l;
    char why[256] = "";
    char *s = fixture("kserve_line_text.json", &len);
    REQUIRE(s != NULL);
    CHECK_INT_EQ(0, a->parse_line(s, len, &l, why, sizeof why));
    CHECK_STR_EQ("{\"inputs\":[{\"datatype\":\"BYTES\",\"name\":\"text\",\"shape\":[1]}],"
                 "\"outputs\":[{\"name\":\"embedding\"}],\"parameters\":{\"priority\":1}}", l.group);
    CHECK_STR_EQ("[[\"the quick brown fox\"]]", l.item);
    tg_api_line_free(&l);
    free(s);

    /* The spec's example request is a batch of two rows: refused for batching. */
    s = fixture("kserve_spec_request.json", &len);
    REQUIRE(s != NULL);
    CHECK_INT_EQ(TG_EPARSE, a->parse_line(s, len, &l, why, sizeof why));
    CHECK(strstr(why, "kserve-v2: inputs[0] \"input0\" has shape [2,2]") == why);
    free(s);
}

/* Flat and nested data make the same line; lines of two tensors batch into
 * both tensors concatenated along dim 0. */
TEST(nested_flat_and_batch)
{
    const struct tg_api *a = kserve();
    size_t fl, nl;
    char *flat = fixture("kserve_line_flat.json", &fl), *nested = fixture("kserve_line_nested.json", &nl);
    REQUIRE(flat && nested);
    struct tg_api_line x, y, z;
    char why[256] = "";
    CHECK_INT_EQ(0, a->parse_line(flat, fl, &x, why, sizeof why));
    CHECK_INT_EQ(0, a->parse_line(nested, nl, &y, why, sizeof why));
    CHECK_STR_EQ(x.group, y.group);
    CHECK_STR_EQ(x.item, y.item);
    CHECK_STR_EQ("{\"inputs\":[{\"datatype\":\"FP32\",\"name\":\"pixels\",\"shape\":[1,2,2]},"
                 "{\"datatype\":\"BOOL\",\"name\":\"mask\",\"shape\":[1,2]}]}", x.group);
    CHECK_STR_EQ("[[1,2,3,4],[true,false]]", x.item);
    const char *l3 = "{\"inputs\":[{\"name\":\"pixels\",\"shape\":[1,2,2],\"datatype\":\"FP32\",\"data\":[[[5,6],[7,8.5]]]},"
                     "{\"name\":\"mask\",\"shape\":[1,2],\"datatype\":\"BOOL\",\"data\":[false,true]}],\"id\":\"7\"}";
    CHECK_INT_EQ(0, a->parse_line(l3, strlen(l3), &z, why, sizeof why));
    CHECK_STR_EQ(x.group, z.group);
    const char *items[] = { x.item, y.item, z.item };
    size_t lens[] = { x.item_len, y.item_len, z.item_len };
    struct tg_buf b = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, a->build_batch(&b, x.group, items, lens, 3));
    CHECK_STR_EQ("{\"inputs\":[{\"data\":[1,2,3,4,1,2,3,4,5,6,7,8.5],\"datatype\":\"FP32\",\"name\":\"pixels\","
                 "\"shape\":[3,2,2]},{\"data\":[true,false,true,false,false,true],\"datatype\":\"BOOL\","
                 "\"name\":\"mask\",\"shape\":[3,2]}]}", b.data);
    tg_buf_reset(&b);
    CHECK_INT_EQ(0, a->build_batch(&b, x.group, items + 2, lens + 2, 1));
    CHECK(strstr(b.data, "\"shape\":[1,2,2]") != NULL);
    tg_buf_reset(&b);
    CHECK_INT_EQ(TG_EINVAL, a->build_batch(&b, x.group, items, lens, 0));
    const char *bad[] = { "[[1,2,3],[true,false]]", "[[1,2,3,4]]", "{}" };
    size_t badlen[] = { strlen(bad[0]), strlen(bad[1]), strlen(bad[2]) };
    for (size_t i = 0; i < 3; i++)
        CHECK_INT_EQ(TG_EINVAL, a->build_batch(&b, x.group, bad + i, badlen + i, 1));
    CHECK_INT_EQ(TG_EINVAL, a->build_batch(&b, "{\"inputs\":[]}", items, lens, 1));
    CHECK_INT_EQ(TG_EINVAL, a->build_batch(&b, "nope", items, lens, 1));
    tg_buf_free(&b);
    tg_api_line_free(&x);
    tg_api_line_free(&y);
    tg_api_line_free(&z);
    free(flat);
    free(nested);
}

TEST(split_spec_example_flat_and_nested)
{
    const struct tg_api *a = kserve();
    const char *names[] = { "kserve_spec_response.json", "kserve_spec_response_nested.json" };
    struct outs o[2] = { { 0 }, { 0 } };
    char why[256] = "";
    for (int k = 0; k < 2; k++) {
        size_t len;
        char *s = fixture(names[k], &len);
        REQUIRE(s != NULL);
        CHECK_INT_EQ(0, a->split(s, len, true, 3, collect, &o[k], why, sizeof why));
        CHECK_UINT_EQ(3, o[k].n);
        struct outs one = { 0 };
        CHECK_INT_EQ(0, a->split(s, len, false, 1, collect, &one, why, sizeof why));
        CHECK_UINT_EQ(1, one.n);
        if (one.n)
            CHECK_STR_EQ("[[1,1.10000002],[2,2.0999999],[3,3.0999999]]", one.canon[0]);
        outs_free(&one);
        CHECK_INT_EQ(TG_EMISMATCH, a->split(s, len, true, 4, collect, &one, why, sizeof why));
        CHECK_STR_EQ("kserve-v2: outputs[0] \"output0\" has shape [3,2] but the request had 4 inputs", why);
        for (size_t p = 0; p + 1 < len; p++)
            if (s[p] != '\n')
                CHECK_INT_EQ(TG_EPARSE, a->split(s, p, true, 3, collect, &one, why, sizeof why));
        outs_free(&one);
        free(s);
    }
    if (o[0].n == 3 && o[1].n == 3) {
        CHECK_STR_EQ("[1,1.10000002]", o[0].canon[0]);
        CHECK_STR_EQ("[2,2.0999999]", o[0].canon[1]);
        CHECK_STR_EQ("[3,3.0999999]", o[0].canon[2]);
        for (int i = 0; i < 3; i++) {
            CHECK_STR_EQ(o[0].canon[i], o[1].canon[i]);
            CHECK_STR_EQ(o[0].hex[i], o[1].hex[i]);
        }
    }
    outs_free(&o[0]);
    outs_free(&o[1]);
}

TEST(split_multi_output_objects)
{
    const struct tg_api *a = kserve();
    size_t len;
    char *s = fixture("kserve_response_multi.json", &len);
    REQUIRE(s != NULL);
    struct outs o = { 0 };
    char why[256] = "";
    CHECK_INT_EQ(0, a->split(s, len, true, 2, collect, &o, why, sizeof why));
    REQUIRE(o.n == 2);
    CHECK_STR_EQ("{\"label\":\"cat\",\"scores\":[0.100000001,0.200000003,0.699999988]}", o.canon[0]);
    CHECK_STR_EQ("{\"label\":\"dog\",\"scores\":[0.5,0.25,0.25]}", o.canon[1]);
    outs_free(&o);
    CHECK_INT_EQ(0, a->split(s, len, false, 1, collect, &o, why, sizeof why));
    REQUIRE(o.n == 1);
    CHECK_STR_EQ("{\"label\":[\"cat\",\"dog\"],\"scores\":[[0.100000001,0.200000003,0.699999988],"
                 "[0.5,0.25,0.25]]}", o.canon[0]);
    outs_free(&o);
    free(s);
}

TEST(split_table)
{
    static const struct split_case cases[] = {
        /* rank 1: each row is a single value */
        { "{\"outputs\":[{\"name\":\"y\",\"shape\":[2],\"datatype\":\"FP32\",\"data\":[3.5,4]}]}", true, 2, 0,
          "3.5", "4", NULL },
        { "{\"outputs\":[{\"name\":\"y\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[3.5]}]}", false, 1, 0,
          "3.5", NULL, NULL },
        /* rank 3 rows are flattened: product of shape[1:] values each */
        { "{\"outputs\":[{\"name\":\"e\",\"shape\":[2,1,2],\"datatype\":\"FP32\",\"data\":[[[1,2]],[[3,4]]]}]}",
          true, 2, 0, "[1,2]", "[3,4]", NULL },
        { "{\"outputs\":[{\"name\":\"e\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[0.5,0.25]}],"
          "\"model_name\":\"m\",\"id\":\"x\"}", false, 1, 0, "[0.5,0.25]", NULL, NULL },
        /* a name is needed only to key several outputs */
        { "{\"outputs\":[{\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[1,2]}]}", false, 1, 0, "[1,2]", NULL, NULL },
        { "{\"outputs\":[{\"name\":\"e\",\"shape\":[2,2],\"datatype\":\"FP32\",\"data\":[1,2,3]}]}", true, 2,
          TG_EMISMATCH,
          .why = "kserve-v2: outputs[0] \"e\" has shape [2,2] (4 elements) but \"data\" holds 3" },
        { "{\"outputs\":[{\"name\":\"e\",\"shape\":[2,2],\"datatype\":\"FP32\",\"data\":[1,2,3,4]},"
          "{\"name\":\"f\",\"shape\":[3],\"datatype\":\"FP32\",\"data\":[1,2,3]}]}", true, 2, TG_EMISMATCH,
          .why = "kserve-v2: outputs[1] \"f\" has shape [3] but the request had 2 inputs" },
        { "{\"outputs\":[{\"name\":\"e\",\"shape\":[1],\"data\":[1]},{\"name\":\"e\",\"shape\":[1],\"data\":[2]}]}",
          false, 1, TG_EMISMATCH, .why = "outputs[1] repeats the name \"e\"" },
        { "{\"outputs\":[{\"name\":\"e\",\"shape\":[1],\"data\":[1]},{\"shape\":[1],\"data\":[2]}]}", false,
          1, TG_EMISMATCH, .why = "outputs[1] has no string \"name\"" },
        { "{\"outputs\":[{\"name\":\"e\",\"shape\":[1,2]}]}", false, 1, TG_EMISMATCH,
          .why = "outputs[0] \"e\" has no \"data\" array" },
        { "{\"outputs\":[{\"name\":\"e\",\"data\":[1]}]}", false, 1, TG_EMISMATCH,
          .why = "outputs[0] has no \"shape\"" },
        { "{\"outputs\":[]}", false, 1, TG_EMISMATCH,
          .why = "kserve-v2: response has no non-empty array \"outputs\"" },
        { "{\"error\":\"x\"}", true, 2, TG_EMISMATCH, .why = "\"outputs\"" },
        { "[]", true, 2, TG_EMISMATCH, .why = "\"outputs\"" },
        { "{\"outputs\":", true, 2, TG_EPARSE, .why = "kserve-v2: response body is not JSON" },
    };
    check_splits(kserve(), cases, sizeof cases / sizeof cases[0]);
}

/* ---- server side ----------------------------------------------------------------- */

TEST(server_routes)
{
    static const struct route_case cases[] = {
        { "/v2/models/example-model/infer", TG_API_ROUTE_INFER, "example-model" },
        { "/v2/models/example-model/versions/1/infer", TG_API_ROUTE_INFER, "example-model" },
        { "/v2/health/ready", TG_API_ROUTE_HEALTH, "" },
        { "/v2/health/live", TG_API_ROUTE_HEALTH, "" },
        { "/v2/models/example-model/ready", TG_API_ROUTE_HEALTH, "example-model" },
        { "/v2/models/example-model/versions/3/ready", TG_API_ROUTE_HEALTH, "example-model" },
        { "/v2/models/example-model", TG_API_ROUTE_METADATA, "example-model" },
        { "/v2/models/example-model/versions/1", TG_API_ROUTE_METADATA, "example-model" },
        { "/v2", TG_API_ROUTE_METADATA, "" },
        { "/v2/", TG_API_ROUTE_NONE, "" },
        { "/v2/models/", TG_API_ROUTE_NONE, "" },
        { "/v2/models//infer", TG_API_ROUTE_NONE, "" },
        { "/v2/models/m/versions//infer", TG_API_ROUTE_NONE, "" },
        { "/v2/models/m/infer/x", TG_API_ROUTE_NONE, "" },
        { "/v2/models/m/stats", TG_API_ROUTE_NONE, "" },
        { "/v1/infer", TG_API_ROUTE_NONE, "" },
    };
    const struct tg_api *a = kserve();
    check_routes(a, cases, sizeof cases / sizeof cases[0]);
    char tiny[4];
    CHECK_INT_EQ(TG_API_ROUTE_NONE, a->server_route("/v2/models/example-model/infer", tiny, sizeof tiny));
    char p[128], model[64];
    CHECK_INT_EQ(0, tg_api_path(a->route, "example-model", p, sizeof p));
    CHECK_INT_EQ(TG_API_ROUTE_INFER, a->server_route(p, model, sizeof model));
    CHECK_INT_EQ(0, tg_api_path(a->metadata_route, "example-model", p, sizeof p));
    CHECK_INT_EQ(TG_API_ROUTE_METADATA, a->server_route(p, model, sizeof model));
    CHECK_INT_EQ(TG_API_ROUTE_HEALTH, a->server_route(a->health_route, model, sizeof model));
}

TEST(server_parse_table)
{
    static const struct parse_case cases[] = {
        { "{\"id\":\"r1\",\"inputs\":[{\"name\":\"text\",\"shape\":[2],\"datatype\":\"BYTES\",\"data\":[\"a\",\"b\"]}]}",
          "example-model", 200, 2, "a", "b", "r1", NULL, 0, 0 },
        { "{\"inputs\":[{\"name\":\"text\",\"shape\":[2,1],\"datatype\":\"BYTES\",\"data\":[[\"a\"],[\"b\"]]}]}",
          "example-model", 200, 2, "a", "b", "", NULL, 0, 0 },
        { "{\"inputs\":[{\"name\":\"text\",\"shape\":[2,1],\"datatype\":\"BYTES\",\"data\":[\"a\",\"b\"]}]}",
          "example-model", 200, 2, "a", "b", "", NULL, 0, 0 },
        { "{\"inputs\":[{\"name\":\"t\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"only\"]}],"
          "\"outputs\":[{\"name\":\"embedding\"}]}", "example-model", 200, 1, "only", NULL, "", NULL, 0, 0 },
        { "{\"inputs\":[{\"name\":\"text\",\"shape\":[5],\"datatype\":\"BYTES\",\"data\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}]}",
          .path_model = "example-model", .status = 400,
          .msg = "inference request batch-size must be <= 4 for 'example-model'", .max_batch = 4 },
        { "{\"inputs\":[{\"name\":\"text\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"a\"]}]}",
          .path_model = "other", .status = 404, .msg = "Request for unknown model: 'other' is not found" },
        { "{\"inputs\":[{\"name\":\"text\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"a\"]}]}",
          .path_model = "", .status = 404, .msg = "unknown model" },
        { "{\"inputs\":[", .path_model = "example-model", .status = 400, .msg = "malformed JSON" },
        { "[]", .path_model = "example-model", .status = 400, .msg = "must be a JSON object" },
        { "{\"inputs\":[{\"name\":\"text\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}",
          .path_model = "example-model", .status = 400,
          .msg = "data-type is 'FP32', but model 'example-model' expects 'BYTES'" },
        { "{\"inputs\":[{\"name\":\"a\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"x\"]},"
          "{\"name\":\"b\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"y\"]}]}",
          .path_model = "example-model", .status = 400,
          .msg = "expected 1 inputs but got 2 inputs for model 'example-model'" },
        { "{\"inputs\":[{\"name\":\"text\",\"shape\":[1,2],\"datatype\":\"BYTES\",\"data\":[\"a\",\"b\"]}]}",
          .path_model = "example-model", .status = 400, .msg = "unexpected shape for input 'text'" },
        { "{\"inputs\":[{\"name\":\"text\",\"shape\":[3],\"datatype\":\"BYTES\",\"data\":[\"a\",\"b\"]}]}",
          .path_model = "example-model", .status = 400, .msg = "has 3 elements but \"data\" holds 2" },
        { "{\"inputs\":[{\"name\":\"text\",\"shape\":[2],\"datatype\":\"BYTES\",\"data\":[\"a\",2]}]}",
          .path_model = "example-model", .status = 400, .msg = "data[1] must be a string" },
        { "{\"inputs\":[{\"name\":\"text\",\"shape\":[0],\"datatype\":\"BYTES\",\"data\":[]}]}",
          .path_model = "example-model", .status = 400, .msg = "has no elements" },
        { "{\"inputs\":[{\"name\":\"text\",\"shape\":[1],\"datatype\":\"BYTES\"}]}",
          .path_model = "example-model", .status = 400, .msg = "no \"data\" array" },
        { "{\"id\":7,\"inputs\":[]}", .path_model = "example-model", .status = 400,
          .msg = "\"id\" must be a string" },
        { "{\"inputs\":{}}", .path_model = "example-model", .status = 400, .msg = "\"inputs\"" },
        { "{\"inputs\":[7]}", .path_model = "example-model", .status = 400,
          .msg = "inputs[0] must be a tensor object" },
    };
    const struct tg_api *a = kserve();
    struct tg_api_server_limits lim = { "example-model", 4, 2 };
    check_server_parses(a, &lim, cases, sizeof cases / sizeof cases[0]);
    /* the spec's own request example: two inputs, not BYTES */
    size_t len;
    char *s = fixture("kserve_spec_request.json", &len);
    REQUIRE(s != NULL);
    struct tg_api_request r;
    CHECK(a->server_parse(s, len, "example-model", &lim, &r) < 0);
    CHECK_INT_EQ(400, r.status);
    tg_api_request_free(&r);
    free(s);
}

TEST(server_write_exact_and_errors)
{
    const struct tg_api *a = kserve();
    struct tg_api_server_limits lim = { "example-model", 4, 2 };
    const char *body = "{\"id\":\"q\\\"1\",\"inputs\":[{\"name\":\"text\",\"shape\":[2],\"datatype\":\"BYTES\",\"data\":[\"a\",\"b\"]}]}";
    struct tg_api_request r;
    REQUIRE(a->server_parse(body, strlen(body), "example-model", &lim, &r) == 0);
    const double v[] = { 0.5, -0.25, 1, 0 };
    struct tg_buf b = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, a->server_write(&b, &r, v, 2));
    CHECK_STR_EQ("{\"model_name\":\"example-model\",\"model_version\":\"1\",\"id\":\"q\\\"1\",\"outputs\":"
                 "[{\"name\":\"embedding\",\"datatype\":\"FP32\",\"shape\":[2,2],\"data\":"
                 "[0.50000000,-0.25000000,1.00000000,0.00000000]}]}", b.data);
    tg_buf_free(&b);
    tg_api_request_free(&r);

    b = (struct tg_buf)TG_BUF_INIT(0);
    CHECK_INT_EQ(0, a->server_error(&b, 400, "bad \"x\"\n"));
    CHECK_STR_EQ("{\"error\":\"bad \\\"x\\\"\\n\"}", b.data);
    tg_buf_free(&b);
    b = (struct tg_buf)TG_BUF_INIT(0);
    CHECK_INT_EQ(0, a->server_error(&b, 404, "m\xff\xc3\xa9\xe2\x82"));
    CHECK_STR_EQ("{\"error\":\"m?\xc3\xa9??\"}", b.data); /* not UTF-8: '?', so still JSON */
    tg_buf_free(&b);

    size_t len;
    char *s = fixture("kserve_triton_batch_error.json", &len);
    REQUIRE(s != NULL);
    struct tg_api_error e;
    tg_api_read_error(a, 400, s, len, &e);
    CHECK_STR_EQ("inference request batch-size must be <= 8 for 'example-model'", e.message);
    CHECK_UINT_EQ(8, e.max_batch);
    free(s);
}

TEST(server_meta_bodies)
{
    const struct tg_api *a = kserve();
    struct tg_api_server_limits lim = { "example-model", 4, 768 };
    struct tg_buf b = TG_BUF_INIT(0), c = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, a->server_meta(&b, TG_API_ROUTE_HEALTH, "", &lim));
    CHECK_UINT_EQ(0, b.len);
    CHECK_INT_EQ(0, a->server_meta(&b, TG_API_ROUTE_METADATA, "", &lim));
    CHECK_INT_EQ(0, tg_api_canon_json(&c, b.data, b.len));
    CHECK_STR_EQ("{\"extensions\":[],\"name\":\"tailgate\",\"version\":\"0.1.0\"}", c.data);
    tg_buf_reset(&b);
    tg_buf_reset(&c);
    CHECK_INT_EQ(0, a->server_meta(&b, TG_API_ROUTE_METADATA, "example-model", &lim));
    CHECK_INT_EQ(0, tg_api_canon_json(&c, b.data, b.len));
    CHECK_STR_EQ("{\"inputs\":[{\"datatype\":\"BYTES\",\"name\":\"text\",\"shape\":[-1]}],\"name\":\"example-model\","
                 "\"outputs\":[{\"datatype\":\"FP32\",\"name\":\"embedding\",\"shape\":[-1,768]}],"
                 "\"platform\":\"tailgate\",\"versions\":[\"1\"]}", c.data);
    tg_buf_free(&b);
    tg_buf_free(&c);
}

/* tailgate serve's kserve-v2 answer, split by the client side, gives the
 * same canonical text (and hash) as the tailgate dialect for the same
 * vectors: an input hashes the same in every dialect. */
TEST(round_trip_matches_tailgate_dialect)
{
    const struct tg_api *a = kserve(), *t = tg_api_find("tailgate");
    REQUIRE(t != NULL);
    enum { DIM = 768, N = 3 };
    static double v[N * DIM];
    for (size_t i = 0; i < N * DIM; i++)
        v[i] = tg_api_round8(((double)((i * 7919) % 20001) - 10000.0) / 10000.0 * 0.987654321);
    struct tg_api_server_limits lim = { "example-model", 8, DIM };
    const char *kbody = "{\"inputs\":[{\"name\":\"text\",\"shape\":[3],\"datatype\":\"BYTES\",\"data\":[\"a\",\"b\",\"c\"]}]}";
    const char *tbody = "{\"model\":\"example-model\",\"inputs\":[\"a\",\"b\",\"c\"]}";
    struct tg_api_request kr, tr;
    REQUIRE(a->server_parse(kbody, strlen(kbody), "example-model", &lim, &kr) == 0);
    REQUIRE(t->server_parse(tbody, strlen(tbody), "", &lim, &tr) == 0);
    struct tg_buf kb = TG_BUF_INIT(0), tb = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, a->server_write(&kb, &kr, v, DIM));
    CHECK_INT_EQ(0, t->server_write(&tb, &tr, v, DIM));
    struct outs ko = { 0 }, to = { 0 };
    char why[256] = "";
    CHECK_INT_EQ(0, a->split(kb.data, kb.len, true, N, collect, &ko, why, sizeof why));
    CHECK_INT_EQ(0, t->split(tb.data, tb.len, true, N, collect, &to, why, sizeof why));
    REQUIRE(ko.n == N && to.n == N);
    for (size_t i = 0; i < N; i++) {
        CHECK_STR_EQ(to.canon[i], ko.canon[i]);
        CHECK_STR_EQ(to.hex[i], ko.hex[i]);
    }
    outs_free(&ko);
    outs_free(&to);
    tg_api_request_free(&kr);
    tg_api_request_free(&tr);
    /* one input, unbatched: shape [1,768] gives the tailgate "output" */
    const char *k1 = "{\"inputs\":[{\"name\":\"text\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"a\"]}]}";
    const char *t1 = "{\"model\":\"example-model\",\"input\":\"a\"}";
    REQUIRE(a->server_parse(k1, strlen(k1), "example-model", &lim, &kr) == 0);
    REQUIRE(t->server_parse(t1, strlen(t1), "", &lim, &tr) == 0);
    tg_buf_reset(&kb);
    tg_buf_reset(&tb);
    CHECK_INT_EQ(0, a->server_write(&kb, &kr, v, DIM));
    CHECK_INT_EQ(0, t->server_write(&tb, &tr, v, DIM));
    CHECK_INT_EQ(0, a->split(kb.data, kb.len, false, 1, collect, &ko, why, sizeof why));
    CHECK_INT_EQ(0, t->split(tb.data, tb.len, false, 1, collect, &to, why, sizeof why));
    REQUIRE(ko.n == 1 && to.n == 1);
    CHECK_STR_EQ(to.hex[0], ko.hex[0]);
    outs_free(&ko);
    outs_free(&to);
    tg_api_request_free(&kr);
    tg_api_request_free(&tr);
    tg_buf_free(&kb);
    tg_buf_free(&tb);
}
