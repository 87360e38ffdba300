/*
 * test_manifest.c - a shard's manifest.json: round trip, the checks on
 * reading, and the config hash that ignores per-shard keys only.
 */
#include "test.h"

#include "core/error.h"
#include "output/manifest.h"

#include <unistd.h>

static struct tg_manifest sample(void)
{
    struct tg_manifest m = { .shard_index = 2, .shard_count = 4, .has_start_at = true,
                             .start_at_ms = 1764640000123, .has_skew = true, .start_skew_ms = 0.25,
                             .rows = 100, .has_inputs_planned = true, .inputs_planned = 400 };
    snprintf(m.run_id, sizeof m.run_id, "slurm-1234");
    memset(m.config_sha256, 'a', TG_SHA256_HEX_LEN);
    memset(m.payload_sha256, 'b', TG_SHA256_HEX_LEN);
    memset(m.requests_csv_sha256, 'c', TG_SHA256_HEX_LEN);
    snprintf(m.tool_version, sizeof m.tool_version, "0.9.0");
    return m;
}

TEST(round_trip_keeps_every_field)
{
    struct tg_manifest m = sample(), r;
    json_t *doc = tg_manifest_json(&m);
    REQUIRE(doc != NULL);
    char err[200] = "";
    CHECK_INT_EQ(0, tg_manifest_from_json(doc, &r, err, sizeof err));
    CHECK_STR_EQ("slurm-1234", r.run_id);
    CHECK_STR_EQ(m.config_sha256, r.config_sha256);
    CHECK_STR_EQ(m.payload_sha256, r.payload_sha256);
    CHECK_STR_EQ(m.requests_csv_sha256, r.requests_csv_sha256);
    CHECK_INT_EQ(2, r.shard_index);
    CHECK_INT_EQ(4, r.shard_count);
    CHECK(r.has_start_at);
    CHECK_INT_EQ(1764640000123LL, r.start_at_ms);
    CHECK(r.has_skew);
    CHECK_DBL_NEAR(0.25, r.start_skew_ms, 1e-12);
    CHECK_INT_EQ(100, r.rows);
    CHECK(r.has_inputs_planned);
    CHECK_INT_EQ(400, r.inputs_planned);
    CHECK_STR_EQ("0.9.0", r.tool_version);
    json_decref(doc);
}

TEST(nulls_read_as_absent)
{
    struct tg_manifest m = sample(), r;
    m.has_start_at = m.has_skew = m.has_inputs_planned = false;
    json_t *doc = tg_manifest_json(&m);
    REQUIRE(doc != NULL);
    CHECK(json_is_null(json_object_get(doc, "start_at_ms")));
    char err[200] = "";
    CHECK_INT_EQ(0, tg_manifest_from_json(doc, &r, err, sizeof err));
    CHECK(!r.has_start_at && !r.has_skew && !r.has_inputs_planned);
    json_decref(doc);
}

/* Each broken document is refused and the reason names the key. */
TEST(bad_documents_name_the_key)
{
    static const struct { const char *json, *reason; } cases[] = {
        { "[]", "not a JSON object" },
        { "{\"schema\":\"tailgate.summary/1\"}", "schema is not \"tailgate.manifest/1\"" },
        { "{\"schema\":\"tailgate.manifest/1\"}", "missing key \"run_id\"" },
        { "{\"schema\":\"tailgate.manifest/1\",\"run_id\":\"x\",\"config_sha256\":\"ABC\"}",
          "not a SHA-256 in lowercase hex: \"config_sha256\"" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *doc = json_loads(cases[i].json, 0, NULL);
        REQUIRE(doc != NULL);
        struct tg_manifest r;
        char err[200] = "";
        CHECK_INT_EQ(TG_EINVAL, tg_manifest_from_json(doc, &r, err, sizeof err));
        CHECK_STR_EQ(cases[i].reason, err);
        json_decref(doc);
    }
    struct tg_manifest m = sample(), r;
    m.shard_index = 4;
    json_t *doc = tg_manifest_json(&m);
    char err[200] = "";
    CHECK_INT_EQ(TG_EINVAL, tg_manifest_from_json(doc, &r, err, sizeof err));
    CHECK_STR_EQ("shard_index 4 is not below shard_count 4", err);
    json_decref(doc);
}

/* The hash of one run's config is the same for every shard (shard_index,
 * out_dir differ) and changes with anything that changes the load. */
TEST(config_hash_ignores_only_per_shard_keys)
{
    json_t *a = json_loads("{\"rate\":100,\"seed\":7,\"shard_index\":0,\"out_dir\":\"results/s0\"}", 0, NULL);
    json_t *b = json_loads("{\"out_dir\":\"elsewhere\",\"shard_index\":3,\"seed\":7,\"rate\":100}", 0, NULL);
    json_t *c = json_loads("{\"rate\":100,\"seed\":8,\"shard_index\":0,\"out_dir\":\"results/s0\"}", 0, NULL);
    REQUIRE(a && b && c);
    char ha[TG_SHA256_HEX_LEN + 1], hb[TG_SHA256_HEX_LEN + 1], hc[TG_SHA256_HEX_LEN + 1];
    CHECK_INT_EQ(0, tg_manifest_config_sha256(a, ha));
    CHECK_INT_EQ(0, tg_manifest_config_sha256(b, hb));
    CHECK_INT_EQ(0, tg_manifest_config_sha256(c, hc));
    CHECK_STR_EQ(ha, hb);
    CHECK(strcmp(ha, hc) != 0);
    /* the input itself is left alone */
    CHECK(json_object_get(a, "shard_index") != NULL);
    /* {"rate":100,"seed":7} compact with sorted keys */
    char expect[TG_SHA256_HEX_LEN + 1];
    tg_sha256_hex("{\"rate\":100,\"seed\":7}", 21, expect);
    CHECK_STR_EQ(expect, ha);
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

TEST(write_then_load)
{
    char dir[] = "/tmp/tg_manifest_XXXXXX";
    REQUIRE(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    struct tg_manifest m = sample(), r;
    CHECK_INT_EQ(0, tg_manifest_write(path, &m));
    char err[300] = "";
    CHECK_INT_EQ(0, tg_manifest_load(path, &r, err, sizeof err));
    CHECK_INT_EQ(100, r.rows);
    FILE *f = fopen(path, "w");
    REQUIRE(f != NULL);
    fputs("{\"schema\":", f);
    fclose(f);
    CHECK(tg_manifest_load(path, &r, err, sizeof err) < 0);
    CHECK(strstr(err, path) == err);
    remove(path);
    rmdir(dir);
}
TEST_MAIN()
