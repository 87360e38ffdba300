/*
 * manifest.h - a shard's manifest.json (docs/distributed.md): what
 * `tailgate merge` checks before it joins shards into one run.  Schema
 * "tailgate.manifest/1":
 *
 *   {"schema", "run_id", "config_sha256", "payload_sha256",
 *    "shard_index", "shard_count", "start_at_ms" (Unix ms or null),
 *    "start_skew_ms" (actual - planned start, or null), "rows",
 *    "requests_csv_sha256", "inputs_planned" (the global input count, or
 *    null when the run was bounded by time), "tool_version"}
 *
 * The config hash is SHA-256 of the effective configuration (summary.json's
 * "config") with the keys that differ between the shards of one run left
 * out (tg_manifest_config_sha256), serialised with sorted keys, compact.
 *
 * Pure apart from the file functions; allocates nothing the caller keeps.
 */
#ifndef TG_OUTPUT_MANIFEST_H
#define TG_OUTPUT_MANIFEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/hash.h"

#define TG_MANIFEST_SCHEMA "tailgate.manifest/1"
#define TG_MANIFEST_RUN_ID_MAX 128

struct tg_manifest {
    char run_id[TG_MANIFEST_RUN_ID_MAX + 1];
    char config_sha256[TG_SHA256_HEX_LEN + 1];
    char payload_sha256[TG_SHA256_HEX_LEN + 1];
    char requests_csv_sha256[TG_SHA256_HEX_LEN + 1];
    uint64_t shard_index, shard_count;
    bool has_start_at;
    int64_t start_at_ms;
    bool has_skew;
    double start_skew_ms;
    uint64_t rows;
    bool has_inputs_planned;
    uint64_t inputs_planned;
    char tool_version[32];
};

/* SHA-256 of config without the keys one shard of a run may differ in from
 * another (shard_index, shard_concurrency, threads, out_dir, output paths,
 * run_token, the payload file's path, the observed server_timing_source,
 * metrics/scrape addresses).  Returns 0 or TG_ENOMEM. */
int tg_manifest_config_sha256(const json_t *config, char out[TG_SHA256_HEX_LEN + 1]);

/* The document (a new reference), or NULL when out of memory. */
json_t *tg_manifest_json(const struct tg_manifest *m);

/* Reads a manifest document.  Returns 0, or TG_EINVAL with a one-line reason
 * in err (the missing or malformed key, the wrong schema). */
int tg_manifest_from_json(const json_t *doc, struct tg_manifest *m, char *err, size_t errlen);

/* Writes m to path atomically.  Returns 0 or a negative code. */
int tg_manifest_write(const char *path, const struct tg_manifest *m);
/* Loads path.  Returns 0, or a negative code with a one-line reason in err
 * (naming path). */
int tg_manifest_load(const char *path, struct tg_manifest *m, char *err, size_t errlen);

#endif
