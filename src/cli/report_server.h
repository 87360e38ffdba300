/*
 * report_server.h - `tailgate report`: the run's scraped server series
 * (RUN/server_metrics.csv, run --scrape) as one extra chart, written as a
 * standalone SVG next to the report's charts (report/server_plot.h).
 */
#ifndef TG_CLI_REPORT_SERVER_H
#define TG_CLI_REPORT_SERVER_H

#include <stddef.h>

#include "cli/report_load.h"

/* When d's directory has a server_metrics.csv with a known queue or running
 * series: renders it over the run's time into outdir/file and sets note (a
 * line for the page).  Returns 1 written, 0 nothing to plot, or a negative
 * code with the reason in note. */
int tg_report_server_chart(const struct tg_run_data *d, const char *outdir, const char *file, char *note,
                           size_t notelen);

#endif
