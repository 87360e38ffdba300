/*
 * curve.h - the latency-against-load chart of `tailgate capacity` and
 * `tailgate sweep`: one measured point per offered load (a rate in inputs/s
 * or a concurrency), P50/P95/P99 latency on the left axis, achieved
 * throughput on the right one, an optional SLA line and an optional marker
 * for the limit a capacity search found.  The knee shows as the load where
 * the percentiles turn upwards and throughput stops following the offer.
 *
 * Ownership: borrows everything; draws into a tg_svg writer (report/svg.h),
 * whose sticky error the caller checks.  Points need not be sorted (the
 * chart sorts a copy by load).  Not thread-safe.
 */
#ifndef TG_REPORT_CURVE_H
#define TG_REPORT_CURVE_H

#include <stdbool.h>
#include <stddef.h>

#include "report/svg.h"

struct tg_curve_point {
    double load;            /* offered: inputs/s (rate) or inputs in flight (concurrency) */
    double achieved_ips;    /* ok inputs per second measured; NAN: not drawn */
    double p50_ms, p95_ms, p99_ms;  /* NAN: that series skips the point */
    const char *verdict;    /* "PASS", "FAIL", "INCONCLUSIVE" or NULL: the marker's shape/colour */
};

struct tg_curve {
    const char *title;      /* escaped into <title> and the heading */
    const char *load_label; /* x axis, e.g. "offered rate (inputs/s)" or "concurrency" */
    const struct tg_curve_point *points;
    size_t npoints;
    double sla_ms;          /* > 0: a horizontal SLA line at that latency */
    const char *sla_label;  /* e.g. "SLA P95 800 ms"; NULL: "SLA" */
    double limit_load;      /* > 0: a vertical marker at the found limit */
    bool log_latency;       /* log10 latency axis (latencies spanning decades) */
    const char *limit_label; /* the marker's label before its load, e.g. "knee"; NULL: "limit" */
};

/* Draws a whole <svg> document (tg_svg_begin .. tg_svg_end) of width x height
 * px into s.  Returns 0, TG_EINVAL (no points, or a non-finite/negative
 * load) or the writer's error. */
int tg_curve_svg(struct tg_svg *s, const struct tg_curve *c, double width, double height);

/* Writes the chart to path atomically (core/fs.h).  Returns 0 or a negative
 * code. */
int tg_curve_write(const char *path, const struct tg_curve *c);

#endif
