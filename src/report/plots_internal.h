/*
 * plots_internal.h - the layout and the drawing helpers (in plots.c) that
 * the charts share: plots.c (CDF, histogram), plots_timeline.c and
 * plots_phases.c.  Internal to src/report/plots*.c.
 */
#ifndef TG_REPORT_PLOTS_INTERNAL_H
#define TG_REPORT_PLOTS_INTERNAL_H

#include "report/plots.h"

#include <stddef.h>

/* The chart area, in SVG units: W wide, the plot from LEFT to RIGHT and from
 * TOP down. */
#define W TG_PLOT_WIDTH
#define LEFT 84.0
#define RIGHT (W - 36.0)
#define TOP 64.0

/* 1 when input i of r is ok (r->ok NULL: all are). */
int tg_plot_is_ok(const struct tg_plot_run *r, size_t i);
/* The SVG class of run i's series: "before" (0) or "after". */
const char *tg_plot_run_class(size_t i);
/* "12.3 ms" (precision by size), "failed" for +inf, "n/a" for NAN. */
void tg_plot_fmt_ms(char *out, size_t n, double ms);
/* The chart's title, top left. */
void tg_plot_title(struct tg_svg *s, const char *text);
/* A marker of run i at (x, y), radius r: hollow circle for Before, filled for After. */
void tg_plot_marker(struct tg_svg *s, size_t i, double x, double y, double r, const char *cls);
/* The runs' legend entries right-aligned on one row at y. */
void tg_plot_legend(struct tg_svg *s, const struct tg_plot_run *runs, size_t nruns, double y);
/* TG_EINVAL unless s and 1 or 2 runs with latencies are given, else 0. */
int tg_plot_check_args(struct tg_svg *s, const struct tg_plot_run *runs, size_t nruns);

#endif
