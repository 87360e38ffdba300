/*
 * plots.h - the report's four charts, drawn from plain in-memory arrays:
 *
 *   CDF        cumulative % of inputs vs latency (log ms), SLA line, P50/P95/P99
 *   timeline   latency (ms) of every input vs seconds since the run's first
 *              timestamp_ms, one dot per input (above 5000 inputs, a dot on a
 *              2x2-pixel cell already drawn for that run is skipped, and the chart
 *              says how many were)
 *   histogram  inputs per latency bin, log-spaced bins shared by all runs
 *   phases     stacked bars of where the time goes at P50/P95/P99
 *
 * Conventions (docs/report.md):
 * - Failed inputs (ok == 0) count as infinitely slow in the CDF and in the
 *   percentiles, as the SLA gate counts them: the CDF then tops out below
 *   100 % and a percentile that lands on a failure is reported as +inf.  The
 *   timeline draws them as crosses at their recorded latency; the histogram
 *   and the phase bars use ok inputs only.
 * - The phase bars and the phase table print the one phase breakdown of
 *   stats/phases.h (the components and P50/P95/P99 rank windows that
 *   analysis.md prints too), drawn in enum tg_comp order; a component the
 *   run did not measure (server queue and compute without Server-Timing,
 *   "server" with it) is left out of the bar.  A tick marks the exact
 *   nearest-rank Pp latency.
 *
 * Every function is pure apart from writing to the given writer; thread-safe
 * on distinct writers.  Functions return 0 or the writer's first error
 * (TG_ENOMEM, -errno), or TG_EINVAL for bad arguments.
 */
#ifndef TG_REPORT_PLOTS_H
#define TG_REPORT_PLOTS_H

#include "report/svg.h"
#include "stats/phases.h"

#include <stddef.h>

/* Raw phase columns of requests.csv, in ms. */
enum tg_phase_col {
    TG_PHASE_COL_CLIENT_QUEUE,
    TG_PHASE_COL_CONNECT,
    TG_PHASE_COL_TTFB,
    TG_PHASE_COL_SERVICE,
    TG_PHASE_COL_SERVER_QUEUE,
    TG_PHASE_COL_SERVER_COMPUTE,
    TG_PHASE_COL_COUNT
};

/* The components of stats/phases.h as the report shows them. */
const char *tg_phase_comp_label(enum tg_comp c);   /* "server queue", ... */
const char *tg_phase_comp_colour(enum tg_comp c);  /* "#RRGGBB" */

/* One run, borrowed arrays of n entries each. */
struct tg_plot_run {
    const char *name;              /* legend label, e.g. "Before" */
    size_t n;                      /* inputs */
    const double *latency_ms;      /* per input */
    const double *timestamp_ms;    /* per input, wall clock; NULL: no timeline */
    const unsigned char *ok;       /* per input 1/0; NULL: all ok */
    const double *phase[TG_PHASE_COL_COUNT]; /* per input, NAN when empty; NULL: no such column */
};

/* 1 when the run has the client_queue_ms and service_ms columns (without
 * them no input has phases). */
int tg_plot_run_has_phases(const struct tg_plot_run *r);

/* Series style of run i (0 Before, 1 After): colour, dash pattern, marker. */
const char *tg_plot_run_colour(size_t i);
const char *tg_plot_run_dash(size_t i);    /* NULL for solid */

struct tg_plot_stats {
    size_t n, ok, failed;
    size_t over_sla;          /* inputs over the SLA, failed ones included */
    double min, mean, max;    /* over ok inputs; NAN when none */
    double p50, p90, p95, p99, p999;  /* nearest rank, failed = +inf; NAN when n == 0 */
};

/* Computes the stats of a run.  Returns 0 or TG_ENOMEM. */
int tg_plot_run_stats(const struct tg_plot_run *r, double sla_ms, struct tg_plot_stats *out);

/* The phase breakdown of run r (tg_phase_breakdown over its inputs).
 * Returns 0, TG_ENOMEM, or TG_EINVAL when the run has no ok input. */
int tg_plot_run_decomp(const struct tg_plot_run *r, struct tg_decomp *out);

/* Chart sizes (SVG user units). */
#define TG_PLOT_WIDTH 1160.0

/* Each writes one complete <svg> document for runs[0..nruns) (1 or 2 runs). */
int tg_plot_cdf(struct tg_svg *s, const struct tg_plot_run *runs, size_t nruns, double sla_ms);
int tg_plot_timeline(struct tg_svg *s, const struct tg_plot_run *runs, size_t nruns,
                     double sla_ms);
int tg_plot_histogram(struct tg_svg *s, const struct tg_plot_run *runs, size_t nruns,
                      double sla_ms);
int tg_plot_phases(struct tg_svg *s, const struct tg_plot_run *runs, size_t nruns);

#endif
