/* Unit tests for src/server/model and the seeded generator (core/rng): determinism, L2 norm, the fixed
 * number format, batch invariance of the bytes. */
#include "test.h"

#include "server/model.h"
#include "core/rng.h"

#include <jansson.h>

TEST(prng_reproducible)
{
    struct tg_rng a, b;
    tg_rng_seed(&a, 7);
    tg_rng_seed(&b, 7);
    for (int i = 0; i < 1000; i++)
        CHECK_UINT_EQ(tg_rng_next(&a), tg_rng_next(&b));
    tg_rng_seed(&b, 8);
    CHECK(tg_rng_next(&a) != tg_rng_next(&b));
    /* FNV-1a reference values */
    CHECK_UINT_EQ(0xcbf29ce484222325ULL, tg_fnv1a64(TG_FNV64_OFFSET, "", 0));
    CHECK_UINT_EQ(0xaf63dc4c8601ec8cULL, tg_fnv1a64(TG_FNV64_OFFSET, "a", 1));
}

TEST(embed_deterministic_and_normalised)
{
    double v[TG_MODEL_DIM], w[TG_MODEL_DIM];
    const char *in = "The quick brown fox";
    tg_model_embed(TG_MODEL_NAME, strlen(TG_MODEL_NAME), in, strlen(in), v);
    tg_model_embed(TG_MODEL_NAME, strlen(TG_MODEL_NAME), in, strlen(in), w);
    CHECK(memcmp(v, w, sizeof v) == 0);
    double sum = 0;
    for (int i = 0; i < TG_MODEL_DIM; i++) {
        sum += v[i] * v[i];
        CHECK(v[i] >= -1 && v[i] <= 1);
    }
    CHECK_DBL_NEAR(1.0, sum, 1e-12);
    tg_model_embed(TG_MODEL_NAME, strlen(TG_MODEL_NAME), "other", 5, w);
    CHECK(memcmp(v, w, sizeof v) != 0);
    tg_model_embed("model-b", 7, in, strlen(in), w);
    CHECK(memcmp(v, w, sizeof v) != 0);
    /* Empty input and embedded NUL are fine and distinct. */
    tg_model_embed(TG_MODEL_NAME, strlen(TG_MODEL_NAME), "", 0, v);
    tg_model_embed(TG_MODEL_NAME, strlen(TG_MODEL_NAME), "\0", 1, w);
    CHECK(memcmp(v, w, sizeof v) != 0);
}

TEST(vector_format_fixed_8_decimals)
{
    double v[TG_MODEL_DIM] = { 0 };
    v[0] = -0.036123454;
    v[1] = 0.5;
    v[2] = -1.0;
    v[3] = 1.0;
    v[4] = -1e-12; /* rounds to zero: no "-0" */
    v[5] = 0.123456785;
    struct tg_buf b = TG_BUF_INIT(0);
    REQUIRE(tg_model_write_vector(&b, v) == 0);
    const char *want = "[-0.03612345,0.50000000,-1.00000000,1.00000000,0.00000000,0.12345679,0.00000000,";
    CHECK_MEM_EQ(want, strlen(want), b.data, strlen(want));
    CHECK(b.len <= TG_MODEL_VECTOR_MAX);
    CHECK(b.data[b.len - 1] == ']');
    tg_buf_free(&b);
}

TEST(printed_output_l2_norm)
{
    struct tg_item it = { "hello world", 11 };
    struct tg_buf b = TG_BUF_INIT(0);
    REQUIRE(tg_model_write_response(&b, TG_MODEL_NAME, &it, 1, 0) == 0);
    json_error_t err;
    json_t *doc = json_loadb(b.data, b.len, 0, &err);
    REQUIRE(doc != NULL);
    CHECK_STR_EQ(TG_MODEL_NAME, json_string_value(json_object_get(doc, "model")));
    json_t *out = json_object_get(doc, "output");
    CHECK_UINT_EQ(TG_MODEL_DIM, json_array_size(out));
    double sum = 0;
    for (size_t i = 0; i < json_array_size(out); i++) {
        double x = json_number_value(json_array_get(out, i));
        sum += x * x;
    }
    CHECK_DBL_NEAR(1.0, sum, 1e-6);
    json_decref(doc);
    tg_buf_free(&b);
}

/* The bytes of an item are the same alone or at any position of a batch. */
TEST(batch_invariant_bytes)
{
    struct tg_item items[5] = { { "a", 1 }, { "bb", 2 }, { "", 0 }, { "ccc", 3 }, { "a", 1 } };
    struct tg_buf batch = TG_BUF_INIT(0);
    REQUIRE(tg_model_write_response(&batch, TG_MODEL_NAME, items, 5, 1) == 0);
    const char *p = strstr(batch.data, "\"outputs\":[") + strlen("\"outputs\":[");
    for (int i = 0; i < 5; i++) {
        struct tg_buf one = TG_BUF_INIT(0);
        REQUIRE(tg_model_write_response(&one, TG_MODEL_NAME, &items[i], 1, 0) == 0);
        const char *v = strstr(one.data, "\"output\":") + strlen("\"output\":");
        size_t vlen = strlen(v) - 1; /* drop the final } */
        CHECK_MEM_EQ(v, vlen, p, vlen);
        p += vlen + 1; /* the vector and the , or ] after it */
        tg_buf_free(&one);
    }
    CHECK_STR_EQ("}", p);
    tg_buf_free(&batch);
    struct tg_buf bad = TG_BUF_INIT(0);
    CHECK(tg_model_write_response(&bad, TG_MODEL_NAME, items, 2, 0) != 0);
    tg_buf_free(&bad);
}

TEST(known_model)
{
    CHECK_INT_EQ(1, tg_model_known("example-model", 13));
    CHECK_INT_EQ(0, tg_model_known("example-mode", 12));
    CHECK_INT_EQ(0, tg_model_known("example-model\0", 14));
    CHECK_INT_EQ(0, tg_model_known("", 0));
}

TEST_MAIN()
