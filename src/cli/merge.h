/*
 * merge.h - the parts of `tailgate merge` (internal to src/cli/merge*.c):
 *   merge.c          options, loading the shards, the checks that they are
 *                    one run (manifest, checksums, every index once), the
 *                    merged requests.csv and per-event files
 *   merge_summary.c  summary.json of the merged rows, by the code a single
 *                    run's summary uses (output/summary.h)
 */
#ifndef TG_CLI_MERGE_H
#define TG_CLI_MERGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/manifest.h"

struct merge_shard {
    const char *dir;
    struct tg_manifest m;
    json_t *summary;            /* the shard's summary.json */
    char *csv;                  /* its requests.csv, whole */
    size_t csv_len;
    size_t header_len;          /* bytes of the header line, its newline included */
};

/* Rows of the merged requests.csv at path (already written), the shards in
 * index order: writes out_dir/summary.json.  Returns 0, or a negative code
 * with a one-line reason in err. */
int tg_merge_summary(const char *out_dir, const char *csv_path, const char *stream_path,
                     struct merge_shard *const *shards, uint64_t n, char *err, size_t errlen);

#endif
