/*
 * side.h - one side of a comparison: a run directory written by
 * `tailgate run` (OUT/requests.csv + OUT/summary.json) or a bare per-input
 * CSV (input.py's latency CSV, or a requests.csv on its own).
 *
 * For a run directory the workload identity (payload SHA-256, concurrency)
 * and the wall time come from summary.json, read defensively: a missing key
 * is recorded in `missing`, never guessed.  For a bare CSV the caller sets
 * the identity (from --baseline-payloads / --baseline-concurrency).
 *
 * Ownership: the struct is the caller's (zero it first); tg_side_free()
 * releases what tg_side_load() allocated.  Not thread-safe per struct.
 */
#ifndef TG_COMPARE_SIDE_H
#define TG_COMPARE_SIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "compare/rows.h"

#define TG_SIDE_PATH_MAX 4096

enum tg_side_kind { TG_SIDE_RUN, TG_SIDE_CSV };

struct tg_side {
    enum tg_side_kind kind;
    char path[TG_SIDE_PATH_MAX];       /* as given */
    char csv_path[TG_SIDE_PATH_MAX];   /* the rows' file */
    char dir[TG_SIDE_PATH_MAX];        /* the run directory, or the CSV's directory */
    struct tg_rows rows;

    /* workload identity */
    bool has_payload_sha;
    char payload_sha256[65];
    bool has_concurrency;
    uint64_t concurrency;
    bool has_summary_inputs;
    uint64_t summary_inputs;           /* summary.json counts.inputs */

    double wall_time_s;                /* summary.json wall_time_s; NAN when absent */
    char save_outputs[TG_SIDE_PATH_MAX]; /* resolved config.save_outputs; "" when none */
    char tool_version[32];             /* summary.json tool version, "" when absent */
    char missing[512];                 /* summary keys that were absent, "a, b" */
};

/* Loads `path`: a directory (requests.csv + summary.json, both required) or
 * a CSV file.  Returns 0, or a negative code with a one-line reason in err
 * (TG_EPARSE for malformed files, -errno for I/O). */
int tg_side_load(struct tg_side *s, const char *path, char *err, size_t errlen);

void tg_side_free(struct tg_side *s);

/* A short name for the kind: "tailgate run" or "CSV". */
const char *tg_side_kind_name(const struct tg_side *s);

#endif
