/*
 * slo_eval.h - the SLO verdicts and goodput of one run, from what it wrote:
 * the rows of requests.csv (latency_ms, ttft_ms, tpot_ms, itl_max_ms) and,
 * for itl, the per-event times of its stream file (stream.jsonl, the
 * --save-stream format).  One code path for `run` (after its files are on
 * disk), `compare` (Before and After) and `tune`, so a verdict printed by one
 * is the verdict the others print for the same files.
 *
 * itl samples are the gaps of consecutive event_ns of each ok input of the
 * stream file; with no stream file an itl SLO is INCONCLUSIVE with
 * reason "no per-event times (stream.jsonl)".
 *
 * Not thread-safe per struct; no globals.
 */
#ifndef TG_COMPARE_SLO_EVAL_H
#define TG_COMPARE_SLO_EVAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include "compare/rows.h"
#include "stats/slo.h"

struct tg_slo_eval {
    size_t n;                                 /* SLOs judged */
    struct tg_slo slo[TG_SLO_MAX];
    struct tg_slo_result res[TG_SLO_MAX];
    char note[TG_SLO_MAX][96];                /* why a verdict is INCONCLUSIVE without data; "" */
    uint64_t inputs, ok, good;                /* good: ok inputs meeting every SLO */
    double wall_s;                            /* the run's wall time (from the caller) */
    double goodput_rps;                       /* good / wall_s; NAN when wall_s <= 0 */
    bool all_pass;                            /* every verdict PASS */
    bool any_fail;                            /* some verdict FAIL */
};

/* Judges slos[0..n) on rows (and stream_path, NULL or a missing file: no
 * per-event times) at confidence; wall_s for goodput.  The stream file is
 * read only when an itl SLO is among slos; for goodput an input's largest
 * gap is its row's itl_max_ms, else the one of its stream line.  A metric
 * whose column the rows lack is INCONCLUSIVE with note "no ttft_ms column in
 * the rows".  Returns 0, TG_EINVAL (n > TG_SLO_MAX), TG_EPARSE (a malformed
 * stream file: err says "path:line: reason"), -errno (a stream file that
 * exists but cannot be read: "path: reason") or TG_ENOMEM. */
int tg_slo_eval(const struct tg_rows *rows, const char *stream_path, const struct tg_slo *slos, size_t n,
                double confidence, double wall_s, struct tg_slo_eval *out, char *err, size_t errlen);

/* The same with the pooled itl gaps given in memory (ms; have_gaps false:
 * no per-event times, itl is INCONCLUSIVE) instead of a stream file, for
 * callers that measured the run themselves (tune); an input's largest gap
 * for goodput is its row's itl_max_ms.  Returns 0, TG_EINVAL or TG_ENOMEM. */
int tg_slo_eval_gaps(const struct tg_rows *rows, const double *gaps, size_t ngaps, bool have_gaps,
                     const struct tg_slo *slos, size_t n, double confidence, double wall_s,
                     struct tg_slo_eval *out, char *err, size_t errlen);

/* The pooled gaps between consecutive content events (ms) of the ok rows,
 * read from stream_path (a missing file: *have false, no gaps): the itl
 * samples a run's summary.json pools.  *gaps is malloc'ed (NULL when none).
 * Returns 0, or a negative code with "path:line: reason" in err. */
int tg_slo_stream_gaps(const struct tg_rows *rows, const char *stream_path, double **gaps, size_t *ngaps,
                       bool *have, char *err, size_t errlen);

/* [{"slo","metric","p","limit_ms","estimate_ms","n","over","verdict",
 *   "confidence","note","frac_over_lo","frac_over_hi"}] (a new reference,
 * NULL on allocation failure; estimate_ms and note null when none). */
json_t *tg_slo_eval_json(const struct tg_slo_eval *e, double confidence);

/* One line per SLO: "ttft:p95<=250ms  PASS  p95 212.4 ms, 3/400 over (99% confidence)". */
void tg_slo_eval_print(FILE *f, const struct tg_slo_eval *e, double confidence);

#endif
