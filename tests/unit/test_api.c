/*
 * test_api.c - the dialect table and the helpers every dialect shares:
 * canonical outputs, base64, error bodies, routes, and the tailgate dialect.
 * Per-dialect tables live in test_api_<dialect>.c.
 */
#include "test.h"

#include "api/api.h"
#include "core/buf.h"
#include "core/error.h"

TEST_MAIN()

static char *canon(const char *json)
{
    struct tg_buf b = TG_BUF_INIT(0);
    if (tg_api_canon_json(&b, json, strlen(json)) != 0) {
        tg_buf_free(&b);
        return strdup("(error)");
    }
    return b.data ? b.data : strdup("");
}

TEST(canon_table)
{
    static const struct { const char *in, *out; } cases[] = {
        { "[0.01234567,-0.5,1.0,0,-0.0]", "[0.0123456698,-0.5,1,0,0]" },
        { "{\"b\":1,\"a\":[true,false,null]}", "{\"a\":[true,false,null],\"b\":1}" },
        { "\"a\\\"b\\\\c\\n\\u0001\"", "\"a\\\"b\\\\c\\n\\u0001\"" },
        { "123456789012", "123456789012" },
        { "16777217.0", "16777216" },
        { "1e30", "1.00000002e+30" },
        { "0.1", "0.100000001" },
        { "\"héllo/\"", "\"héllo/\"" },
        { "{}", "{}" },
        { "[]", "[]" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = canon(cases[i].in);
        CHECK_STR_EQ(cases[i].out, got);
        free(got);
    }
    struct tg_buf b = TG_BUF_INIT(0);
    CHECK_INT_EQ(TG_EPARSE, tg_api_canon_json(&b, "[1,", 3));
    tg_buf_free(&b);
}

/* A float32 vector and the JSON of its 8-decimal values canonicalise alike:
 * what makes base64 and float answers hash the same. */
TEST(canon_floats_equal_json_numbers)
{
    const double v[] = { 0.01234567, -0.99999999, 0.5, 0.0, -0.00000001, 0.33333333 };
    size_t n = sizeof v / sizeof v[0];
    float f[sizeof v / sizeof v[0]];
    struct tg_buf json = TG_BUF_INIT(0), a = TG_BUF_INIT(0), b = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, tg_api_put_vector8(&json, v, n));
    for (size_t i = 0; i < n; i++)
        f[i] = (float)tg_api_round8(v[i]);
    CHECK_INT_EQ(0, tg_api_canon_floats(&a, f, n));
    CHECK_INT_EQ(0, tg_api_canon_json(&b, json.data, json.len));
    CHECK_STR_EQ(b.data, a.data);
    CHECK_STR_EQ("[0.01234567,-0.99999999,0.50000000,0.00000000,-0.00000001,0.33333333]", json.data);
    tg_buf_free(&json);
    tg_buf_free(&a);
    tg_buf_free(&b);
}

TEST(fixed8_and_round8)
{
    struct tg_buf b = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, tg_api_put_fixed8(&b, 12.5));
    CHECK_INT_EQ(0, tg_buf_puts(&b, " "));
    CHECK_INT_EQ(0, tg_api_put_fixed8(&b, -0.000000004));
    CHECK_INT_EQ(0, tg_buf_puts(&b, " "));
    CHECK_INT_EQ(0, tg_api_put_fixed8(&b, -1.0));
    CHECK_STR_EQ("12.50000000 0.00000000 -1.00000000", b.data);
    tg_buf_free(&b);
    CHECK(tg_api_round8(-0.000000004) == 0.0 && !signbit(tg_api_round8(-0.000000004)));
    CHECK(tg_api_round8(0.123456789) == 0.12345679);
}

TEST(table_and_paths)
{
    const struct tg_api *const *all = tg_api_all();
    CHECK_STR_EQ("tailgate", all[0]->name);
    size_t n = 0;
    for (; all[n]; n++) {
        CHECK(tg_api_find(all[n]->name) == all[n]);
        CHECK(all[n]->route && all[n]->route[0] == '/');
        CHECK(all[n]->summary != NULL);
    }
    CHECK(n >= 5);
    CHECK(tg_api_find("nope") == NULL);
    CHECK(strstr(tg_api_names(), "tailgate, openai-embeddings") == tg_api_names());
    char p[64];
    CHECK_INT_EQ(0, tg_api_path("/v2/models/{model}/infer", "example-model", p, sizeof p));
    CHECK_STR_EQ("/v2/models/example-model/infer", p);
    CHECK_INT_EQ(0, tg_api_path("/embed", "example-model", p, sizeof p));
    CHECK_STR_EQ("/embed", p);
    CHECK_INT_EQ(TG_ERANGE, tg_api_path("/v2/models/{model}/infer", "example-model", p, 10));
}

TEST(error_bodies)
{
    static const struct { const char *body; const char *msg; unsigned max; } cases[] = {
        { "{\"error\":\"batch size 64 > maximum allowed batch size 32\",\"error_type\":\"validation\"}",
          "batch size 64 > maximum allowed batch size 32", 32 },
        { "{\"error\":{\"message\":\"'input' must be at most 2048 items\",\"type\":\"invalid_request_error\"}}",
          "'input' must be at most 2048 items", 2048 },
        { "{\"error\":{\"code\":413,\"message\":\"batch of 65 inputs exceeds the maximum of 64\"}}",
          "batch of 65 inputs exceeds the maximum of 64", 64 },
        { "{\"error\":\"inference request batch-size must be <= 8 for 'm'\"}",
          "inference request batch-size must be <= 8 for 'm'", 8 },
        { "{\"detail\":[{\"msg\":\"list too long, max_batch_size 16\"}]}", "list too long, max_batch_size 16", 16 },
        { "upstream timed out\n", "upstream timed out ", 0 },
        { "", "", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tg_api_error e;
        tg_api_error_generic(400, cases[i].body, strlen(cases[i].body), &e);
        CHECK_STR_EQ(cases[i].msg, e.message);
        CHECK_UINT_EQ(cases[i].max, e.max_batch);
    }
}

/* ---- the tailgate dialect --------------------------------------------------- */

struct outs {
    size_t n;
    char canon[4][256];
    char hex[4][65];
};

static int collect(void *ctx, size_t i, const char *c, size_t len, const char *hex)
{
    struct outs *o = ctx;
    if (i >= 4)
        return TG_ERANGE;
    snprintf(o->canon[i], sizeof o->canon[i], "%.*s", (int)len, c);
    snprintf(o->hex[i], sizeof o->hex[i], "%s", hex);
    o->n++;
    return 0;
}

TEST(tailgate_line_batch_split)
{
    const struct tg_api *a = tg_api_find("tailgate");
    REQUIRE(a != NULL);
    const char *l1 = "{\"model\":\"example-model\",\"input\":\"hello\",\"priority\":2}";
    const char *l2 = "{\"priority\":2,\"input\":\"world\",\"model\":\"example-model\"}";
    struct tg_api_line x, y;
    char why[200] = "";
    CHECK_INT_EQ(0, a->parse_line(l1, strlen(l1), &x, why, sizeof why));
    CHECK_INT_EQ(0, a->parse_line(l2, strlen(l2), &y, why, sizeof why));
    CHECK_STR_EQ(x.group, y.group);
    CHECK_STR_EQ("{\"model\":\"example-model\",\"priority\":2}", x.group);
    CHECK_STR_EQ("\"hello\"", x.item);
    CHECK_STR_EQ("example-model", x.model);
    const char *items[] = { x.item, y.item };
    size_t lens[] = { x.item_len, y.item_len };
    struct tg_buf b = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, a->build_batch(&b, x.group, items, lens, 2));
    CHECK_STR_EQ("{\"model\":\"example-model\",\"priority\":2,\"inputs\":[\"hello\",\"world\"]}", b.data);
    tg_buf_free(&b);
    tg_api_line_free(&x);
    tg_api_line_free(&y);

    const char *bad = "{\"model\":\"example-model\",\"inputs\":[\"a\"]}";
    CHECK_INT_EQ(TG_EPARSE, a->parse_line(bad, strlen(bad), &x, why, sizeof why));
    CHECK(strstr(why, "tailgate: ") == why);

    struct outs o = { 0 };
    const char *resp = "{\"model\":\"example-model\",\"outputs\":[[0.5,0.25],[1.0,0]]}";
    CHECK_INT_EQ(0, a->split(resp, strlen(resp), true, 2, collect, &o, why, sizeof why));
    CHECK_UINT_EQ(2, o.n);
    CHECK_STR_EQ("[0.5,0.25]", o.canon[0]);
    CHECK_STR_EQ("[1,0]", o.canon[1]);
    memset(&o, 0, sizeof o);
    CHECK_INT_EQ(TG_EMISMATCH, a->split(resp, strlen(resp), true, 3, collect, &o, why, sizeof why));
    CHECK(strstr(why, "tailgate: ") == why);
    const char *one = "{\"model\":\"example-model\",\"outputs\":[[0.5,0.25]]}";
    CHECK_INT_EQ(TG_EMISMATCH, a->split(one, strlen(one), false, 1, collect, &o, why, sizeof why));
    CHECK(strstr(why, "\"output\"") != NULL);
    CHECK_INT_EQ(TG_EPARSE, a->split("{", 1, false, 1, collect, &o, why, sizeof why));
}

TEST(tailgate_server_side)
{
    const struct tg_api *a = tg_api_find("tailgate");
    struct tg_api_server_limits lim = { "example-model", 4, 2 };
    char model[64];
    CHECK_INT_EQ(TG_API_ROUTE_INFER, a->server_route("/v1/infer", model, sizeof model));
    CHECK_INT_EQ(TG_API_ROUTE_HEALTH, a->server_route("/healthz", model, sizeof model));
    CHECK_INT_EQ(TG_API_ROUTE_NONE, a->server_route("/v1/embeddings", model, sizeof model));
    struct tg_api_request r;
    const char *body = "{\"model\":\"example-model\",\"inputs\":[\"a\",\"b\"]}";
    CHECK_INT_EQ(0, a->server_parse(body, strlen(body), "", &lim, &r));
    CHECK_UINT_EQ(2, r.n);
    CHECK(r.batched);
    const double v[] = { 0.5, -0.25, 1, 0 };
    struct tg_buf b = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, a->server_write(&b, &r, v, 2));
    CHECK_STR_EQ("{\"model\":\"example-model\",\"outputs\":[[0.50000000,-0.25000000],[1.00000000,0.00000000]]}",
                 b.data);
    tg_buf_free(&b);
    tg_api_request_free(&r);
    const char *big = "{\"model\":\"example-model\",\"inputs\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}";
    CHECK(a->server_parse(big, strlen(big), "", &lim, &r) < 0);
    CHECK_INT_EQ(413, r.status);
    tg_api_request_free(&r);
    const char *unk = "{\"model\":\"other\",\"input\":\"a\"}";
    CHECK(a->server_parse(unk, strlen(unk), "", &lim, &r) < 0);
    CHECK_INT_EQ(404, r.status);
    tg_api_request_free(&r);
    CHECK(a->server_parse("{\"model\":", 9, "", &lim, &r) < 0);
    CHECK_INT_EQ(400, r.status);
    CHECK(strstr(r.message, "byte") != NULL);
    tg_api_request_free(&r);
}
