/*
 * report.h - analysis.json ("tailgate.analysis/1"), analysis.md,
 * tune.json ("tailgate.tune/1") and tune.md; the one-sentence verdict; and
 * reading a cost model back from analysis.json (tune --analysis).
 * Formats: docs/analysis.md.
 *
 * Builders return new jansson references (NULL on allocation failure);
 * writers take a FILE * and report write errors; whole files are written
 * atomically through core/fs.h.  No globals,
 * thread-safe; library code, never prints on its own.
 */
#ifndef TG_ANALYZE_REPORT_H
#define TG_ANALYZE_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analyze/active.h"
#include "analyze/analyze.h"
#include "analyze/model.h"
#include "analyze/tune.h"

#define TG_ANALYSIS_SCHEMA "tailgate.analysis/1"
#define TG_TUNE_SCHEMA "tailgate.tune/1"

/* Everything analyze found; pointers are borrowed. */
struct tg_analysis {
    const char *run;               /* the analysed run (NULL: probe only) */
    const char *probe_url;         /* NULL: passive */
    const char *baseline_csv;      /* input.py's CSV, NULL when not given */
    uint32_t concurrency;          /* 0 unknown */
    bool has_run;
    uint64_t inputs, ok, failed;
    double p50_ms, p95_ms, p99_ms, mean_ms, wall_s;
    bool has_decomp;
    struct tg_decomp decomp;
    bool has_little;
    struct tg_little little;
    const struct tg_sweep_point *sweep;
    size_t nsweep;
    int saturated;                 /* 1, 0, -1 unknown */
    const char *saturation_evidence;
    uint32_t knee;
    bool has_fit;
    struct tg_batch_fit bfit;
    const struct tg_batch_point *bpts;
    size_t nbpts;
    uint32_t max_batch;            /* 0 unknown */
    bool max_batch_exact;
    bool budget_cut;
    double slots;                  /* effective parallel executions, NAN unknown */
    double overhead_ms;            /* per request outside the server, NAN unknown */
    bool has_model;
    struct tg_costmodel model;     /* what tune needs (tg_active_model); jitter borrowed */
    const double *jitter;          /* measured execution factors (t / fitted t(b)) */
    size_t njitter;
    bool has_conn;
    struct tg_conn_cost conn;
    bool has_client;
    struct tg_client_overhead client;
    enum tg_cause cause;
    double cause_share;
    /* what the evidence rests on (from the probes and the dialect) */
    const char *api;               /* dialect name */
    const char *time_headers;      /* the dialect's queue/compute headers ("x-queue-time, x-inference-time"), NULL none */
    const char *exec_source;       /* batch points: "server_timing_compute", "ttfb_minus_rtt", "service_time" */
    double rtt_ms, transfer_ms;    /* subtracted round trip, median transfer; NAN none */
    const char *max_batch_evidence;
    int max_batch_status;
    const char *max_batch_message;
    uint32_t max_batch_named;
    char evidence[8][320];         /* tg_analysis_sentence fills: one line per conclusion, naming its measurements */
    size_t nevidence;
    char sentence[1400];
    double probe_s;
    uint64_t probe_inputs;
    /* Ctrl-C (the probe interrupt, probe.h): the probe stage in flight and
     * the ones after it were not measured and their sections are null (or
     * empty), the stages before it are whole */
    bool interrupted;
    const char *interrupted_during;  /* static: "batch cost probe", "concurrency sweep",
                                        "connection probe", "stream probes"; NULL: after the probes */
    const char *not_measured[4];     /* the probe stages left out, in that order (static) */
    size_t n_not_measured;
};

/* Writes a.sentence (the dominant cause, the numbers behind it, and the
 * evidence it rests on) and a.evidence[]. */
void tg_analysis_sentence(struct tg_analysis *a);
json_t *tg_analysis_json(const struct tg_analysis *a);
/* Returns 0 or -EIO. */
int tg_analysis_md(FILE *f, const struct tg_analysis *a);

/* The cost model stored in an analysis.json: batch_fit.alpha_ms/beta_ms,
 * model.slots/max_batch/overhead_ms/connect_ms and the jitter factors
 * (*jitter, caller frees; may be NULL).  Returns 0, or TG_EPARSE with a
 * reason in err. */
int tg_analysis_load_model(const char *path, struct tg_costmodel *m, double **jitter,
                           char *err, size_t errlen);

/* The tune report.  sla_p95_ms and the model are recorded as given; m NULL
 * (a search interrupted in its model probe) is "model": null.  Both carry
 * t->interrupted ("interrupted", "interrupted_during"; docs/analysis.md). */
json_t *tg_tune_json(const struct tg_tune *t, const struct tg_tune_opts *o, const struct tg_costmodel *m,
                     const char *url, const char *model_source);
int tg_tune_md(FILE *f, const struct tg_tune *t, const struct tg_tune_opts *o, const struct tg_costmodel *m);
/* One line: the choice, its P95 against the SLA and the theoretical best. */
void tg_tune_summary_line(const struct tg_tune *t, const struct tg_tune_opts *o, char *out, size_t outlen);

/* Writes a JSON document (indented, key order kept) atomically.  0 or -errno. */
int tg_report_write_json(const char *path, const json_t *root);

#endif
