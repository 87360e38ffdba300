/*
 * tune.h - `tailgate tune`: candidate client configurations, their
 * predictions from the fitted cost model, short bounded measurements, and
 * the choice.
 *
 * The pure parts (the grid, the output check, the choice) take measured
 * numbers and return decisions, so tests feed them recorded data.
 * tg_tune_search() does the measuring through analyze/probe.h.
 *
 * Ownership: struct tg_tune is the caller's (zero it); tg_tune_free()
 * releases its candidate array.  Not thread-safe; library code, never prints.
 */
#ifndef TG_ANALYZE_TUNE_H
#define TG_ANALYZE_TUNE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analyze/model.h"
#include "analyze/probe.h"
#include "analyze/prows.h"
#include "compare/slo_eval.h"
#include "compare/tolerance.h"
#include "stats/slo.h"

/* What a candidate stands for in the ablation. */
enum tg_tune_role {
    TG_ROLE_SEARCH,      /* a grid point measured because the model ranks it high */
    TG_ROLE_BASELINE,    /* pool = concurrency, keep-alive, no batching: the reference */
    TG_ROLE_POOL,        /* the pool lever alone (one connection) */
    TG_ROLE_KEEPALIVE,   /* the keep-alive lever alone (off) */
    TG_ROLE_BATCH,       /* the batch lever alone (the model's best batch, no wait) */
    TG_ROLE_BATCH_WAIT,  /* the batch-wait lever alone (batch 1: no effect, not measured) */
    TG_ROLE_CONFIRM,     /* the choice, re-measured on the full workload */
    TG_ROLE_COUNT
};
const char *tg_tune_role_name(enum tg_tune_role r);

struct tg_tune_cand {
    struct tg_client_cfg cfg;
    enum tg_tune_role role;
    struct tg_prediction pred;     /* from the model; pred.p95_ms NAN when not predicted */
    bool measured;
    uint64_t inputs, ok, failed;
    double p50_ms, p95_ms, p99_ms, throughput_ips, wall_s;
    uint64_t outputs_compared, outputs_different, outputs_missing;
    uint64_t outputs_within_tolerance;  /* compared, hashes unequal, numbers within the tolerance
                                           (counted as equal, not in outputs_different) */
    double outputs_max_diff;       /* largest difference measured (abs or 1 - cosine); NAN none */
    /* --slo (tg_tune_opts.slos) judged on this measurement with tg_slo_eval_gaps */
    size_t nslo;                   /* 0: not judged (no --slo, or not measured) */
    struct tg_slo_result slo[TG_SLO_MAX];
    bool slo_met[TG_SLO_MAX];      /* samples, and the pNN estimate <= the limit (compare's rule) */
    bool slos_met;                 /* every --slo met */
    uint64_t good;                 /* ok inputs meeting every --slo and the P95 limit */
    double goodput_rps;            /* good / wall_s; NAN when not judged */
};

#define TG_TUNE_MAX_SLOS (TG_SLO_MAX - 1)   /* the last slot is --sla-p95's, for goodput */

/* Fills out[0..cap) with the grid: pool {1, c} x keep-alive {on, off} x
 * batch {1, 2, 4, …, min(c, max_batch)} x wait {0, 2, 5} ms (wait only with
 * batch > 1).  Returns the count written. */
size_t tg_tune_grid(uint32_t concurrency, uint32_t max_batch, struct tg_tune_cand *out, size_t cap);

/* Outputs of cand against the reference, input by input: input i used
 * payload i % npayloads, so rows are joined on that.  compared = both ok
 * with a hash, different = compared and unequal, missing = a cand row
 * without a reference hash or without its own (failed).  Returns 0 or
 * TG_ENOMEM. */
int tg_tune_outputs(const struct tg_prows *ref, const struct tg_prows *cand, size_t npayloads,
                    uint64_t *compared, uint64_t *different, uint64_t *missing);

/* The same with a tolerance: a compared input whose hash differs counts as
 * equal (c->outputs_within_tolerance) when ref_out[payload] and
 * cand_out[row] (canonical outputs; either array or entry may be NULL) are
 * within tol; else different.  Fills c's outputs_* fields.  Returns 0 or
 * TG_ENOMEM. */
int tg_tune_outputs_tol(const struct tg_prows *ref, char *const *ref_out, const struct tg_prows *cand,
                        char *const *cand_out, size_t npayloads, const struct tg_tolerance *tol,
                        struct tg_tune_cand *c);

/* True when c may be chosen: measured, some ok and no failed input, at
 * least one output compared and none different.  (Outputs of payloads the
 * reference did not cover count as missing and do not disqualify: the
 * reference of a bounded baseline covers fewer payloads than a fast
 * candidate sends; pass a full unbatched run as the reference to cover all.) */
bool tg_tune_eligible(const struct tg_tune_cand *c);

/* The choice among the eligible candidates (TG_ROLE_CONFIRM rows ignored;
 * when some eligible candidate was judged on --slo and met every one, only
 * those): the lowest measured P95, except that candidates within `tie` (e.g. 0.05 =
 * 5 %) of it count as equal -- a short run cannot tell them apart -- and the
 * simplest of those wins: keep-alive on, no batch wait, pool = concurrency
 * (tailgate run's defaults), then the lower P95.  -1 when none is eligible. */
int tg_tune_select(const struct tg_tune_cand *c, size_t n, uint32_t concurrency, double tie);

/* Formats cfg as `tailgate run` options ("--connections 20 --batch 20
 * --batch-wait-ms 2"; keep-alive off adds --no-keepalive). */
void tg_tune_args(const struct tg_client_cfg *cfg, char *out, size_t outlen);

struct tg_tune_opts {
    uint32_t concurrency;
    double sla_p95_ms;
    uint64_t inputs;               /* per candidate (default 200) */
    uint64_t confirm_inputs;       /* the confirmation run (default: one per payload) */
    uint64_t window_ns;            /* a candidate starts no input after this (default 2 s) */
    uint32_t top_k;                /* grid points measured beyond the ablation (default 4) */
    uint32_t inflight_cap;         /* in (1, concurrency): also measure pool = this, keep-alive,
                                      unbatched -- a streaming server's admission capacity
                                      (analysis.json stream.gauges.running_max); 0 none */
    const struct tg_prows *reference;  /* outputs to match (borrowed); NULL: the baseline's */
    struct tg_tolerance tol;       /* how outputs are matched (zeroed: exactly); numbers are
                                      compared against reference_outputs, else against the
                                      baseline's own outputs */
    char *const *reference_outputs; /* per payload index: the reference run's output JSON
                                       (borrowed; NULL entries: none); NULL: the baseline's */
    uint64_t seed;
    const struct tg_slo *slos;     /* --slo (borrowed), nslos <= TG_TUNE_MAX_SLOS; with an itl
                                      SLO the probes keep per-event times */
    size_t nslos;
    double confidence;             /* of the SLO verdicts (0: 0.99) */
    void (*progress)(void *ctx, const char *what);
    void *progress_ctx;
    /* The instrument (NULL: tg_probe_run): measures spec against t into r
     * (zeroed), with tg_probe_run's contract (0, TG_EINTR, or an error).
     * Tests pass a fake that answers from a table. */
    int (*probe)(void *ctx, const struct tg_probe_target *t, const struct tg_probe_spec *spec,
                 struct tg_probe_result *r);
    void *probe_ctx;
};

struct tg_tune {
    struct tg_tune_cand *cands;    /* every candidate, predicted; measured ones flagged */
    size_t n;
    int best;                      /* index of the choice (a non-confirm row), -1 none */
    int confirm;                   /* index of the confirmation run, -1 none */
    double best_p95_ms;            /* the confirmation's P95 (else the choice's) */
    double theoretical_best_p95_ms;        /* the cost model alone, exact t(b): a lower bound */
    double theoretical_best_jitter_p95_ms; /* the same with the measured jitter factors */
    uint32_t theoretical_best_batch;
    double ratio;                  /* best_p95 / theoretical_best_p95 */
    bool meets_sla;                /* P95 <= sla_p95_ms and every --slo met (search and confirmation) */
    /* server-side what-ifs from the model, when no client-side config meets the SLA */
    double dyn_batching_p95_ms;    /* server greedy batching up to max_batch (ideal client) */
    uint32_t slots_needed;         /* fewest slots meeting the SLA (0: none up to 64) */
    double slots_p95_ms;
    double elapsed_s;
    uint64_t probe_inputs;
    size_t n_outputs_differ;       /* measured candidates with outputs_different > 0 */
    size_t n_batched_differ;       /* … of them batched */
    /* The process-wide probe interrupt (probe.h: Ctrl-C) stopped the search:
     * the candidates measured before it are kept; the one in flight is
     * dropped (not pushed, or left unmeasured); nothing was chosen (best and
     * confirm -1), meets_sla false, the figures that need the rest NAN. */
    bool interrupted;
    const char *interrupted_during;  /* static: "model probe", "ablation", "in-flight cap",
                                        "search", "confirmation"; NULL when not interrupted */
    size_t n_measured;             /* measured candidates (set by the search, also interrupted) */
    char reason[400];              /* why no configuration was chosen / the SLA is not met; "" met */
};

/* Judges o->slos (and latency:p95<=o->sla_p95_ms, for goodput) on one
 * measurement: rows, the per-row streaming figures and pooled gaps of r.
 * Fills c's nslo/slo/slo_met/slos_met/good/goodput_rps.  Returns 0,
 * TG_EINVAL or TG_ENOMEM (tune_slo.c). */
int tg_tune_judge_slos(const struct tg_tune_opts *o, const struct tg_probe_result *r, struct tg_tune_cand *c);

/* The judged --slo of c as tg_slo_eval_json's array plus "met" per entry
 * (a new reference; NULL when c was not judged or on allocation failure). */
json_t *tg_tune_cand_slos_json(const struct tg_tune_opts *o, const struct tg_tune_cand *c);

/* "ttft:p95<=250ms (p95 312.0 ms)[, …]": the --slo c misses ("" none). */
void tg_tune_missed_slos(const struct tg_tune_opts *o, const struct tg_tune_cand *c, char *out, size_t len);

/* tune.md's SLO section: one row per measured candidate, one column per
 * --slo; writes nothing without --slo.  Returns 0 or -EIO. */
int tg_tune_slos_md(FILE *f, const struct tg_tune *t, const struct tg_tune_opts *o);

/* Predicts the grid, measures the ablation and the model's top candidates,
 * chooses, confirms.  Returns 0 or a negative code with a reason in err.
 * An interrupt (tg_probe_interrupted(), or the instrument returning
 * TG_EINTR) is not an error: no further probe starts, out->interrupted is
 * set (tg_tune_mark_interrupted) and 0 is returned with what was measured. */
int tg_tune_search(const struct tg_probe_target *t, const struct tg_costmodel *m,
                   const struct tg_tune_opts *o, struct tg_tune *out, char *err, size_t errlen);
/* Fills t->reason from a finished search: why nothing was chosen, or why
 * the choice misses the SLA / an --slo, and the candidates whose outputs
 * differ ("" when met and none differ); also n_outputs_differ,
 * n_batched_differ and n_measured (tune_explain.c). */
void tg_tune_explain(struct tg_tune *t, const struct tg_tune_opts *o);
/* Marks t interrupted during `during` (static text): no choice (best,
 * confirm -1), meets_sla false, the choice's figures, ratio and the
 * server-side estimates NAN; reason says so and how many candidates were
 * measured.  Also for a search that never started (t zeroed: no candidates;
 * the theoretical bounds NAN then). */
void tg_tune_mark_interrupted(struct tg_tune *t, const char *during);
void tg_tune_free(struct tg_tune *t);

#endif
