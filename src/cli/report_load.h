/*
 * report_load.h - loads one run for `tailgate report`: tailgate's
 * requests.csv (+ summary.json) or input.py's latency CSV.
 *
 * The rows are read by the one requests.csv reader (output/csv_read.h:
 * columns by header name, strict values, "NAME:LINE: reason" errors), which
 * the report asks for timestamp_ms too; the first four columns of both
 * formats are request_id,timestamp_ms,latency_ms,status_code.
 *
 * Ownership: tg_run_data owns every array and string; release it with
 * tg_run_data_free() (safe on a zeroed struct).  Not thread-safe.
 */
#ifndef TG_CLI_REPORT_LOAD_H
#define TG_CLI_REPORT_LOAD_H

#include "report/plots.h"

#include <stddef.h>

struct tg_run_data {
    char *source;            /* the path given */
    char *csv_path;          /* the CSV actually read */
    char *summary_path;      /* summary.json next to it, or NULL */
    const char *kind;        /* "tailgate run" or "latency-only CSV (input.py format)" */
    size_t n;
    double *latency_ms;      /* per input; NAN when the cell is empty */
    double *timestamp_ms;    /* per input, wall clock ms */
    unsigned char *ok;       /* the ok column, else 200 <= status_code < 300 */
    double *phase[TG_PHASE_COL_COUNT];   /* NAN when the cell is empty; NULL: no such column */
};

/* Loads a run from `path`: a directory holding requests.csv (else latency.csv
 * or latency_baseline.csv), or a CSV file.  On failure returns TG_EPARSE,
 * TG_ETOOBIG, TG_ENOMEM or -errno with a one-line reason in err. */
int tg_run_load(const char *path, struct tg_run_data *out, char *err, size_t errlen);
void tg_run_data_free(struct tg_run_data *d);

/* Fills a plot view of d (arrays borrowed from d). */
void tg_run_data_view(const struct tg_run_data *d, const char *name, struct tg_plot_run *out);

#endif
