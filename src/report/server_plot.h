/*
 * server_plot.h - the server's own queue and running series (scraped with
 * --scrape, analyze/scraped.h) over the run's time: one standalone SVG,
 * server_metrics.svg next to the report's charts.  Pure (plain arrays in,
 * SVG out through report/svg.h); thread-safe per writer.
 */
#ifndef TG_REPORT_SERVER_PLOT_H
#define TG_REPORT_SERVER_PLOT_H

#include <stddef.h>

#include "report/svg.h"

struct tg_server_series_plot {
    const double *t_s;           /* per point: seconds since the run's first input (or first scrape) */
    const double *queue;         /* per point; NAN: no sample; NULL: no queue series */
    const double *running;       /* per point; NAN: no sample; NULL: no running series */
    size_t n;
    const char *queue_name;      /* e.g. "vllm:num_requests_waiting" */
    const char *running_name;
    double limit;                /* the running series' limit (a dashed line); NAN none */
};

/* Draws the chart.  Returns 0, TG_EINVAL (n == 0 or no series) or the
 * writer's error. */
int tg_plot_server_series(struct tg_svg *s, const struct tg_server_series_plot *p);

#endif
