/*
 * compare.h - the Before/After comparison and the P95 SLA gate.
 *
 * tg_compare_build() turns two loaded sides (and an optional reference for
 * output hashes) into a struct tg_comparison: exact nearest-rank statistics
 * over the raw rows, seeded bootstrap CIs of the P50/P95/P99 deltas, the
 * workload-identity check, output equivalence and the SLA verdict.  The
 * writers render it as comparison.json (schema tailgate.comparison/1),
 * comparison.csv, comparison.md, and one verdict line.
 *
 * Latency statistics are over ok inputs.  The SLA verdict counts failed
 * inputs as over the limit (latency +inf).
 *   sla.met     after P95 <= limit, no failed input, outputs all equal (or
 *               explicitly ignored), workload identical, at least one input
 *   sla.verdict PASS / INCONCLUSIVE from one-sided Clopper-Pearson bounds on
 *               the fraction over the limit (PASS: upper bound <= 5 %); FAIL
 *               whenever met is false
 * Each --slo (opts.slos) is judged on both sides with tg_slo_eval (stream
 * file: DIR/stream.jsonl of a run directory or next to a requests.csv) and
 * gated on After by the same rule as the SLA: met when After has samples and
 * its pNN estimate is <= the limit; its gate verdict is FAIL when not met,
 * else the binomial verdict.  `met` needs every SLO met; `verdict` is FAIL
 * when not met, else PASS only when the SLA and every SLO are PASS.
 * Goodput (per side): ok inputs meeting every --slo and the --sla-p95 limit,
 * per second of the side's wall time (summary.json, else the rows' span).
 *
 * Ownership: the comparison owns copies of the latencies; release it with
 * tg_compare_free().  Writers take a FILE * and check every write.
 * Not thread-safe per struct.
 */
#ifndef TG_COMPARE_COMPARE_H
#define TG_COMPARE_COMPARE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "compare/outputs.h"
#include "compare/side.h"
#include "compare/tolerance.h"
#include "compare/slo_eval.h"
#include "stats/percentile.h"
#include "stats/slo.h"

#define TG_COMPARISON_SCHEMA "tailgate.comparison/1"

struct tg_compare_opts {
    double sla_p95_ms;       /* limit, ms (800) */
    double confidence;       /* one-sided, for the verdict (0.99) */
    struct tg_tolerance tolerance; /* numeric output tolerance; kind TG_TOL_EXACT: hashes only */
    uint64_t seed;           /* bootstrap seed */
    unsigned resamples;      /* bootstrap resamples (2000) */
    double ci_level;         /* bootstrap CI level (0.95) */
    bool ignore_outputs;     /* waive the output condition (reported) */
    const char *tool_version; /* written into comparison.json */
    const struct tg_slo *slos; /* --slo, borrowed; nslos <= TG_COMPARE_MAX_SLOS */
    size_t nslos;
};

#define TG_COMPARE_MAX_SLOS (TG_SLO_MAX - 1)   /* the last slot is --sla-p95's, for goodput */

struct tg_class_count {
    char name[64];
    size_t count;
};

struct tg_side_stats {
    char source[TG_SIDE_PATH_MAX];
    const char *kind;                  /* "tailgate run" or "CSV" */
    size_t inputs, ok, failed, http_requests;
    struct tg_class_count classes[TG_ROWS_MAX_CLASSES];
    size_t nclasses;
    struct tg_summary_stats lat;       /* ms, over ok inputs */
    double wall_time_s;                /* NAN when unknown */
    const char *wall_time_source;      /* "summary", "rows" or "unknown" */
    double throughput_ips;             /* inputs / wall_time_s */
    double *ok_ms;                     /* owned: latencies of ok inputs */
    double *all_ms;                    /* owned: every input, failed = +inf */
};

struct tg_identity {
    bool known;
    char payload_sha256[65];           /* "" when unknown */
    uint64_t inputs;
    uint64_t concurrency;              /* 0 when unknown */
};

struct tg_comparison {
    struct tg_compare_opts opts;
    struct tg_side_stats before, after;
    struct tg_ci ci_p50, ci_p95, ci_p99;   /* after - before, ms */

    struct tg_identity id_before, id_after;
    bool workload_identical;
    char workload_diff[512];           /* "payload_sha256 a… vs b…; concurrency 20 vs 64" */

    bool outputs_compared;             /* false: no hashes to compare */
    char outputs_reference[TG_SIDE_PATH_MAX];
    struct tg_output_cmp outputs;

    struct tg_sla_result sla;          /* the binomial evidence on after */
    /* SLOs: entries [0, opts.nslos) are the --slo ones, entry opts.nslos is
     * latency:p95<=sla_p95_ms (it counts for goodput only, the gate uses sla) */
    struct tg_slo_eval slo_before, slo_after;
    bool slo_met[TG_SLO_MAX];          /* After: samples, and estimate <= limit */
    enum tg_verdict slo_verdict[TG_SLO_MAX]; /* After's gate verdict per --slo */
    bool met;
    enum tg_verdict verdict;
    char reasons[1024];                /* why met is false, "; "-separated */
};

/* Builds the comparison.  ref is the side whose output hashes are the
 * reference (before itself, or the --outputs-from run).  Identity: a side
 * is known when it has a payload hash and a concurrency.  Returns 0, or a
 * negative code with a one-line reason in err (only for I/O or parse
 * failures of saved outputs or of a stream file, or out of memory): a
 * mismatch is a result. */
int tg_compare_build(const struct tg_side *before, const struct tg_side *after,
                     const struct tg_side *ref, const struct tg_compare_opts *opts,
                     struct tg_comparison *out, char *err, size_t errlen);

void tg_compare_free(struct tg_comparison *c);

/* Writers: 0 or -errno / TG_EIO. */
int tg_compare_write_json(FILE *f, const struct tg_comparison *c);
int tg_compare_write_csv(FILE *f, const struct tg_comparison *c);
int tg_compare_write_md(FILE *f, const struct tg_comparison *c);   /* title, table, verdict */
int tg_compare_write_table(FILE *f, const struct tg_comparison *c); /* the table alone */
/* The SLO table (Markdown, one row per --slo) and the goodput line; writes
 * nothing when there is no --slo. */
int tg_compare_write_slo_table(FILE *f, const struct tg_comparison *c);

/* The one-line verdict (no newline) into buf. */
void tg_compare_verdict_line(const struct tg_comparison *c, char *buf, size_t len);

/* Writes comparison.json, .csv and .md into dir, each atomically (temp file
 * in dir, fsync, rename).  Creates dir when missing.  Returns 0 or a
 * negative code with the failing path in err. */
int tg_compare_write_files(const char *dir, const struct tg_comparison *c, char *err,
                           size_t errlen);

#endif
