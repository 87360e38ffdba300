/*
 * server_plot.c - the scraped queue / running chart (report/server_plot.h).
 */
#include "report/server_plot.h"

#include "core/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define W 900.0
#define H 360.0
#define LEFT 70.0
#define RIGHT (W - 24.0)
#define TOP 56.0
#define BOTTOM (H - 56.0)

/* One series as polylines, broken where a sample is missing. */
static int series(struct tg_svg *s, const struct tg_axis *x, const struct tg_axis *y, const double *t,
                  const double *v, size_t n, const struct tg_style *st)
{
    double *xs = malloc(n * sizeof *xs), *ys = malloc(n * sizeof *ys);
    if (!xs || !ys) {
        free(xs);
        free(ys);
        return TG_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && !isnan(v[i])) {
            xs[k] = tg_scale_map(&x->sc, t[i]);
            ys[k++] = tg_scale_map(&y->sc, v[i]);
            continue;
        }
        if (k == 1)
            tg_svg_circle(s, xs[0], ys[0], 2, st);
        else
            tg_svg_polyline(s, xs, ys, k, st);
        k = 0;
    }
    free(xs);
    free(ys);
    return 0;
}

int tg_plot_server_series(struct tg_svg *s, const struct tg_server_series_plot *p)
{
    if (!p->n || (!p->queue && !p->running))
        return TG_EINVAL;
    double tmax = 0, vmax = 1;
    for (size_t i = 0; i < p->n; i++) {
        tmax = fmax(tmax, p->t_s[i]);
        if (p->queue && !isnan(p->queue[i]))
            vmax = fmax(vmax, p->queue[i]);
        if (p->running && !isnan(p->running[i]))
            vmax = fmax(vmax, p->running[i]);
    }
    if (isfinite(p->limit))
        vmax = fmax(vmax, p->limit);
    double tlo = 0, vlo = 0;
    if (tmax <= 0)
        tmax = 1;
    tg_scale_nice(0, &tlo, &tmax);
    tg_scale_nice(0, &vlo, &vmax);
    struct tg_axis x = { { 0, 0, tmax, LEFT, RIGHT }, "time since the run's first input (s)", "%g", 1 };
    struct tg_axis y = { { 0, 0, vmax, BOTTOM, TOP }, "requests", "%g", 1 };
    tg_svg_begin(s, W, H, "Server queue and running requests (scraped)");
    tg_svg_text(s, LEFT, 24, 15, TG_SVG_START, 0, 1, NULL, "The server's own queue and running requests (scraped /metrics)");
    const struct tg_style qs = { "#D55E00", "none", 2, NULL, 0, "series queue" };
    const struct tg_style rs = { "#0072B2", "none", 2, "6 3", 0, "series running" };
    const struct tg_style ls = { "#555555", "none", 1, "2 3", 0, "limit" };
    char label[200];
    double lx = LEFT;
    if (p->queue) {
        snprintf(label, sizeof label, "queue: %s", p->queue_name ? p->queue_name : "?");
        tg_svg_line(s, lx, 42, lx + 24, 42, &qs);
        tg_svg_text(s, lx + 30, 46, 12, TG_SVG_START, 0, 0, NULL, label);
        lx += 360;
    }
    if (p->running) {
        snprintf(label, sizeof label, "running: %s", p->running_name ? p->running_name : "?");
        tg_svg_line(s, lx, 42, lx + 24, 42, &rs);
        tg_svg_text(s, lx + 30, 46, 12, TG_SVG_START, 0, 0, NULL, label);
    }
    tg_svg_plot_begin(s, "server-series-plot", &x, &y);
    if (isfinite(p->limit))
        tg_svg_line(s, LEFT, tg_scale_map(&y.sc, p->limit), RIGHT, tg_scale_map(&y.sc, p->limit), &ls);
    int rc = 0;
    if (p->queue)
        rc = series(s, &x, &y, p->t_s, p->queue, p->n, &qs);
    if (!rc && p->running)
        rc = series(s, &x, &y, p->t_s, p->running, p->n, &rs);
    tg_svg_plot_end(s);
    tg_svg_end(s);
    return rc ? rc : tg_svg_error(s);
}
