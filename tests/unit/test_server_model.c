/* Unit tests for src/server/model and the seeded generator (core/rng): determinism, L2 norm, the fixed
 * number format, batch invariance of the bytes, --batch-drift. */
#include "test.h"

#include "server/model.h"
#include "api/api.h"
#include "core/rng.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

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
    for (int i = 0; i < TG_MODEL_DIM; i++)
        v[i] = tg_api_round8(v[i]);
    struct tg_buf b = TG_BUF_INIT(0);
    REQUIRE(tg_api_put_vector8(&b, v, TG_MODEL_DIM) == 0);
    const char *want = "[-0.03612345,0.50000000,-1.00000000,1.00000000,0.00000000,0.12345679,0.00000000,";
    CHECK_MEM_EQ(want, strlen(want), b.data, strlen(want));
    CHECK(b.len <= 2 + TG_MODEL_DIM * 12);
    CHECK(b.data[b.len - 1] == ']');
    tg_buf_free(&b);
}

/* The answer bytes of the tailgate dialect for texts[0..n). */
static void answer(struct tg_buf *b, const struct tg_api_text *texts, size_t n, bool batched,
                   double eps)
{
    struct tg_api_request r = { .n = n, .texts = (struct tg_api_text *)texts, .batched = batched };
    snprintf(r.model, sizeof r.model, "%s", TG_MODEL_NAME);
    double *v = malloc(n * TG_MODEL_DIM * sizeof *v);
    REQUIRE(v != NULL);
    tg_model_vectors(TG_MODEL_NAME, texts, n, eps, v);
    CHECK_INT_EQ(0, tg_api_find("tailgate")->server_write(b, &r, v, TG_MODEL_DIM));
    free(v);
}

TEST(printed_output_l2_norm)
{
    struct tg_api_text it = { "hello world", 11 };
    struct tg_buf b = TG_BUF_INIT(0);
    answer(&b, &it, 1, false, 0);
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
    struct tg_api_text items[5] = { { "a", 1 }, { "bb", 2 }, { "", 0 }, { "ccc", 3 }, { "a", 1 } };
    struct tg_buf batch = TG_BUF_INIT(0);
    answer(&batch, items, 5, true, 0);
    const char *p = strstr(batch.data, "\"outputs\":[") + strlen("\"outputs\":[");
    for (int i = 0; i < 5; i++) {
        struct tg_buf one = TG_BUF_INIT(0);
        answer(&one, &items[i], 1, false, 0);
        const char *v = strstr(one.data, "\"output\":") + strlen("\"output\":");
        size_t vlen = strlen(v) - 1; /* drop the final } */
        CHECK_MEM_EQ(v, vlen, p, vlen);
        p += vlen + 1; /* the vector and the , or ] after it */
        tg_buf_free(&one);
    }
    CHECK_STR_EQ("}", p);
    tg_buf_free(&batch);
}

/* The values are exactly round8 of the embedding, which is what the old
 * writer printed (llround(v * 1e8) straight from the double). */
TEST(vectors_are_round8_of_embed)
{
    struct tg_api_text t[2] = { { "x", 1 }, { "yy", 2 } };
    double v[2 * TG_MODEL_DIM], e[TG_MODEL_DIM];
    tg_model_vectors(TG_MODEL_NAME, t, 2, 0, v);
    for (int k = 0; k < 2; k++) {
        tg_model_embed(TG_MODEL_NAME, strlen(TG_MODEL_NAME), t[k].data, t[k].len, e);
        int bad = 0;
        for (int i = 0; i < TG_MODEL_DIM; i++) {
            long long m = llround(e[i] * 1e8);
            bad += v[k * TG_MODEL_DIM + i] != tg_api_round8(e[i]) ||
                   llround(v[k * TG_MODEL_DIM + i] * 1e8) != m;
        }
        CHECK_INT_EQ(0, bad);
    }
}

/* --batch-drift: |delta| <= eps, zero at b = 1, a pure function of
 * (b, index, input), different for different b, not all zero. */
TEST(batch_drift)
{
    const char *in = "drift me";
    double base[TG_MODEL_DIM], v[TG_MODEL_DIM], w[TG_MODEL_DIM];
    tg_model_embed(TG_MODEL_NAME, strlen(TG_MODEL_NAME), in, strlen(in), base);
    const double eps = 1e-6;
    memcpy(v, base, sizeof v);
    tg_model_drift(v, 1, in, strlen(in), eps);
    CHECK(memcmp(v, base, sizeof v) == 0);
    memcpy(v, base, sizeof v);
    tg_model_drift(v, 0, in, strlen(in), eps);
    CHECK(memcmp(v, base, sizeof v) == 0);
    memcpy(v, base, sizeof v);
    tg_model_drift(v, 3, in, strlen(in), 0);
    CHECK(memcmp(v, base, sizeof v) == 0);

    memcpy(v, base, sizeof v);
    tg_model_drift(v, 3, in, strlen(in), eps);
    memcpy(w, base, sizeof w);
    tg_model_drift(w, 3, in, strlen(in), eps);
    CHECK(memcmp(v, w, sizeof v) == 0);
    double maxd = 0;
    int changed = 0;
    for (int i = 0; i < TG_MODEL_DIM; i++) {
        double d = fabs(v[i] - base[i]);
        maxd = d > maxd ? d : maxd;
        changed += d > 0;
    }
    CHECK(maxd <= eps * (1 + 1e-9));
    CHECK(maxd > eps / 2);
    CHECK(changed > TG_MODEL_DIM / 2);
    memcpy(w, base, sizeof w);
    tg_model_drift(w, 4, in, strlen(in), eps);
    CHECK(memcmp(v, w, sizeof v) != 0);
    memcpy(w, base, sizeof w);
    tg_model_drift(w, 3, "other", 5, eps);
    CHECK(memcmp(v, w, sizeof v) != 0);

    /* Through tg_model_vectors: an item of a batch of 3 is within eps (plus
     * the two roundings) of the same item alone, and that one is unchanged. */
    struct tg_api_text t[3] = { { in, strlen(in) }, { "b", 1 }, { in, strlen(in) } };
    double batch[3 * TG_MODEL_DIM], one[TG_MODEL_DIM], ref[TG_MODEL_DIM];
    tg_model_vectors(TG_MODEL_NAME, t, 3, eps, batch);
    tg_model_vectors(TG_MODEL_NAME, t, 1, eps, one);
    tg_model_vectors(TG_MODEL_NAME, t, 1, 0, ref);
    CHECK(memcmp(one, ref, sizeof one) == 0);
    CHECK(memcmp(batch, batch + 2 * TG_MODEL_DIM, sizeof one) == 0); /* not by position */
    double m = 0;
    for (int i = 0; i < TG_MODEL_DIM; i++)
        m = fmax(m, fabs(batch[i] - one[i]));
    CHECK(m <= eps + 1.0001e-8);
    CHECK(m > 0);
}

TEST_MAIN()
