/*
 * html.h - the report page: one self-contained HTML document (inline CSS and
 * inline SVG, no script, no external reference of any kind) that opens
 * offline and prints legibly.
 *
 * The page is built from plain data: the runs (as for plots.h), the four
 * charts already rendered as SVG documents, and optional sections the caller
 * has read from files (comparison table and verdict, analysis text,
 * environment and commands).  Every string is escaped here; callers pass raw
 * text.
 *
 * Ownership: everything in struct tg_report_page is borrowed.  The output
 * buffers are the caller's.  Pure; thread-safe on distinct outputs.
 */
#ifndef TG_REPORT_HTML_H
#define TG_REPORT_HTML_H

#include "core/buf.h"
#include "report/curve.h"
#include "report/plots.h"

#include <stddef.h>

enum tg_report_chart { TG_CHART_CDF, TG_CHART_TIMELINE, TG_CHART_HISTOGRAM, TG_CHART_PHASES,
                       TG_CHART_COUNT };

/* File name of each chart's standalone SVG: "cdf.svg", "timeline.svg", ... */
const char *tg_report_chart_file(enum tg_report_chart c);

/* Renders the four charts of runs[0..nruns) into svg[TG_CHART_COUNT] (buffers
 * initialised by the caller, appended to).  Returns 0, TG_EINVAL or TG_ENOMEM. */
int tg_report_render_charts(const struct tg_plot_run *runs, size_t nruns, double sla_ms,
                            struct tg_buf svg[TG_CHART_COUNT]);

struct tg_report_kv {
    const char *key;
    const char *value;
};

/* A table of strings, row-major; row 0 is the header. */
struct tg_report_table {
    size_t rows, cols;
    const char *const *cells;
};

struct tg_report_run_info {
    const char *source;               /* path the run was read from */
    const char *kind;                 /* e.g. "tailgate run", "input.py CSV" */
    const char *command;              /* command line, or NULL */
    const char *command_origin;       /* e.g. "as recorded in summary.json" */
    const struct tg_report_kv *env;   /* environment and config, flattened */
    size_t env_n;
};

/* A latency-against-load curve (capacity.json or sweep.json) drawn inline
 * under its heading, with a one-line caption ("meets the SLA up to N
 * inputs/s") and the file it came from. */
struct tg_report_curve {
    const char *heading;              /* e.g. "Capacity: results/x/capacity-before" */
    const char *caption;              /* one line, plain text */
    const char *source;               /* the file read */
    struct tg_curve curve;
};

struct tg_report_page {
    const char *title;
    const char *generated_utc;        /* ISO 8601 */
    const char *tool_version;
    double sla_ms;
    const struct tg_plot_run *runs;
    size_t nruns;                     /* 1 or 2 */
    const struct tg_report_run_info *info;   /* nruns entries */

    /* From comparison.json, all optional (NULL / zero rows when absent). */
    const char *cmp_source;
    const char *verdict;              /* "PASS", "FAIL", "INCONCLUSIVE" */
    const char *verdict_detail;       /* confidence, samples over the limit, ... */
    struct tg_report_table cmp;       /* metric | before | after | delta | ... */
    const struct tg_report_kv *cmp_kv;   /* workload, outputs, ... */
    size_t cmp_kv_n;

    /* From analysis.md (shown as preformatted text) and/or analysis.json. */
    const char *analysis_source;
    const char *analysis_text;
    const struct tg_report_kv *analysis_kv;
    size_t analysis_n;

    /* Capacity and sweep curves, optional (ncurves 0: no section). */
    const struct tg_report_curve *curves;
    size_t ncurves;

    const char *const *notes;         /* warnings shown at the top */
    size_t notes_n;
};

/* Writes the page to out, embedding svg[TG_CHART_COUNT] (complete <svg>
 * documents as rendered by tg_report_render_charts()).  Returns 0, TG_EINVAL
 * or TG_ENOMEM. */
int tg_report_html(const struct tg_report_page *page, const struct tg_buf svg[TG_CHART_COUNT],
                   struct tg_buf *out);

#endif
