/*
 * merge.h - the parts of `tailgate merge` (internal to src/cli/merge*.c):
 *   merge.c          options, loading the shards, the checks that they are
 *                    one run (manifest, checksums, every index once), the
 *                    merged requests.csv and per-event files
 *   merge_summary.c  summary.json of the merged rows (gathered in merge.c's
 *                    one pass over each shard), by the code a single run's
 *                    summary uses (output/summary.h)
 */
#ifndef TG_CLI_MERGE_H
#define TG_CLI_MERGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/csv_read.h"
#include "output/manifest.h"

struct merge_shard {
    const char *dir;
    struct tg_manifest m;
    json_t *summary;            /* the shard's summary.json */
    char *csv;                  /* its requests.csv, whole: read once, checked, then copied to OUT */
    size_t csv_len;
    size_t header_len;          /* bytes of the header line, its newline included */
};

/* What the merged summary needs of the rows, gathered while merge.c reads
 * each shard's requests.csv (the one pass over it): the histograms and
 * counts of a single run, and the compare view of the rows for the SLOs and
 * the per-event gaps.  Owned by the caller: _new, then tg_merge_rows_add for
 * every row of every shard (in index order), then tg_merge_summary, then
 * _free (NULL is a no-op).  Not thread-safe. */
struct merge_rows;

/* summary0: shard 0's summary.json (its config says whether the run was
 * open loop).  Returns NULL when out of memory. */
struct merge_rows *tg_merge_rows_new(const json_t *summary0);
/* Keeps one row of the shard file name.  Returns 0, or TG_ENOMEM with a
 * one-line reason in err. */
int tg_merge_rows_add(struct merge_rows *mr, const struct tg_csv_rec *rec, const char *name, char *err,
                      size_t errlen);
/* The known columns of the shards' (identical) header, as the reader found them. */
void tg_merge_rows_columns(struct merge_rows *mr, unsigned columns);
void tg_merge_rows_free(struct merge_rows *mr);

/* Writes out_dir/summary.json from the rows in mr (those of the merged
 * requests.csv), the shards in index order and the merged stream file
 * (NULL: none).  Returns 0, or a negative code with a one-line reason in
 * err. */
int tg_merge_summary(const char *out_dir, const char *stream_path, struct merge_rows *mr,
                     struct merge_shard *const *shards, uint64_t n, char *err, size_t errlen);

#endif
