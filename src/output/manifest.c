/*
 * manifest.c - a shard's manifest.json (see manifest.h).
 */
#include "output/manifest.h"

#include "core/error.h"
#include "core/fs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Keys of "config" that may differ between the shards of one run: the
 * shard's own index and part of -c, its threads (the plan does not depend
 * on them), where it wrote, its random X-Request-Id token, what it observed,
 * and where it found the payload file (whose content payload_sha256 checks). */
static const char *const per_shard_keys[] = {
    "shard_index", "shard_concurrency", "threads", "out_dir", "save_outputs", "save_stream",
    "server_timing_source", "run_token", "payloads", "metrics_listen", "scrape",
};

int tg_manifest_config_sha256(const json_t *config, char out[TG_SHA256_HEX_LEN + 1])
{
    json_t *c = json_deep_copy(config);
    if (!c)
        return TG_ENOMEM;
    for (size_t i = 0; i < sizeof per_shard_keys / sizeof *per_shard_keys; i++)
        json_object_del(c, per_shard_keys[i]);
    char *s = json_dumps(c, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(c);
    if (!s)
        return TG_ENOMEM;
    tg_sha256_hex(s, strlen(s), out);
    free(s);
    return 0;
}

json_t *tg_manifest_json(const struct tg_manifest *m)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:o, s:I, s:s, s:o, s:s}",
                     "schema", TG_MANIFEST_SCHEMA,
                     "run_id", m->run_id,
                     "config_sha256", m->config_sha256,
                     "payload_sha256", m->payload_sha256,
                     "shard_index", (json_int_t)m->shard_index,
                     "shard_count", (json_int_t)m->shard_count,
                     "start_at_ms", m->has_start_at ? json_integer(m->start_at_ms) : json_null(),
                     "start_skew_ms", m->has_skew ? json_real(m->start_skew_ms) : json_null(),
                     "rows", (json_int_t)m->rows,
                     "requests_csv_sha256", m->requests_csv_sha256,
                     "inputs_planned", m->has_inputs_planned ? json_integer((json_int_t)m->inputs_planned)
                                                             : json_null(),
                     "tool_version", m->tool_version);
}

static int bad(char *err, size_t errlen, const char *what, const char *key)
{
    snprintf(err, errlen, "%s \"%s\"", what, key);
    return TG_EINVAL;
}

static int get_str(const json_t *doc, const char *key, char *dst, size_t cap, char *err, size_t errlen)
{
    const json_t *v = json_object_get(doc, key);
    if (!json_is_string(v))
        return bad(err, errlen, v ? "not a string:" : "missing key", key);
    if (json_string_length(v) >= cap)
        return bad(err, errlen, "too long:", key);
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static int get_hex(const json_t *doc, const char *key, char dst[TG_SHA256_HEX_LEN + 1], char *err, size_t errlen)
{
    int rc = get_str(doc, key, dst, TG_SHA256_HEX_LEN + 1, err, errlen);
    if (rc)
        return rc;
    if (strlen(dst) != TG_SHA256_HEX_LEN || strspn(dst, "0123456789abcdef") != TG_SHA256_HEX_LEN)
        return bad(err, errlen, "not a SHA-256 in lowercase hex:", key);
    return 0;
}

static int get_u64(const json_t *doc, const char *key, uint64_t *dst, char *err, size_t errlen)
{
    const json_t *v = json_object_get(doc, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return bad(err, errlen, v ? "not a non-negative integer:" : "missing key", key);
    *dst = (uint64_t)json_integer_value(v);
    return 0;
}

int tg_manifest_from_json(const json_t *doc, struct tg_manifest *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    if (!json_is_object(doc)) {
        snprintf(err, errlen, "not a JSON object");
        return TG_EINVAL;
    }
    const json_t *schema = json_object_get(doc, "schema");
    if (!json_is_string(schema) || strcmp(json_string_value(schema), TG_MANIFEST_SCHEMA) != 0) {
        snprintf(err, errlen, "schema is not \"%s\"", TG_MANIFEST_SCHEMA);
        return TG_EINVAL;
    }
    int rc;
    if ((rc = get_str(doc, "run_id", m->run_id, sizeof m->run_id, err, errlen)) ||
        (rc = get_hex(doc, "config_sha256", m->config_sha256, err, errlen)) ||
        (rc = get_hex(doc, "payload_sha256", m->payload_sha256, err, errlen)) ||
        (rc = get_hex(doc, "requests_csv_sha256", m->requests_csv_sha256, err, errlen)) ||
        (rc = get_u64(doc, "shard_index", &m->shard_index, err, errlen)) ||
        (rc = get_u64(doc, "shard_count", &m->shard_count, err, errlen)) ||
        (rc = get_u64(doc, "rows", &m->rows, err, errlen)) ||
        (rc = get_str(doc, "tool_version", m->tool_version, sizeof m->tool_version, err, errlen)))
        return rc;
    if (m->shard_count == 0 || m->shard_index >= m->shard_count) {
        snprintf(err, errlen, "shard_index %llu is not below shard_count %llu",
                 (unsigned long long)m->shard_index, (unsigned long long)m->shard_count);
        return TG_EINVAL;
    }
    const json_t *v = json_object_get(doc, "start_at_ms");
    if (json_is_integer(v)) {
        m->has_start_at = true;
        m->start_at_ms = json_integer_value(v);
    } else if (v && !json_is_null(v)) {
        return bad(err, errlen, "not an integer or null:", "start_at_ms");
    }
    v = json_object_get(doc, "start_skew_ms");
    if (json_is_number(v) && isfinite(json_number_value(v))) {
        m->has_skew = true;
        m->start_skew_ms = json_number_value(v);
    } else if (v && !json_is_null(v)) {
        return bad(err, errlen, "not a number or null:", "start_skew_ms");
    }
    v = json_object_get(doc, "inputs_planned");
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        m->has_inputs_planned = true;
        m->inputs_planned = (uint64_t)json_integer_value(v);
    } else if (v && !json_is_null(v)) {
        return bad(err, errlen, "not a non-negative integer or null:", "inputs_planned");
    }
    return 0;
}

int tg_manifest_write(const char *path, const struct tg_manifest *m)
{
    json_t *doc = tg_manifest_json(m);
    if (!doc)
        return TG_ENOMEM;
    char *s = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(doc);
    if (!s)
        return TG_ENOMEM;
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (!t) {
        free(s);
        return TG_ENOMEM;
    }
    t[n] = '\n';
    int rc = tg_write_file_atomic(path, t, n + 1);
    free(t);
    return rc;
}

int tg_manifest_load(const char *path, struct tg_manifest *m, char *err, size_t errlen)
{
    json_error_t je;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        snprintf(err, errlen, "%s: %s", path, je.text);
        return TG_EPARSE;
    }
    char why[200];
    int rc = tg_manifest_from_json(doc, m, why, sizeof why);
    json_decref(doc);
    if (rc)
        snprintf(err, errlen, "%s: %s", path, why);
    return rc;
}
