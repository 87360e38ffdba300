/*
 * plots_timeline.c - the timeline (plots.h): latency of every input against
 * seconds since its run's first request, failed inputs as crosses, the SLA
 * as a horizontal line.  Layout and shared helpers: plots_internal.h.
 */
#include "report/plots.h"
#include "report/plots_internal.h"

#include "core/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define TIMELINE_EXACT 5000
#define TIMELINE_CELL 2.0   /* px; dots have a 3 px radius */

static void sla_hline(struct tg_svg *s, const struct tg_scale *y, double left, double right,
                      double sla_ms)
{
    if (!(sla_ms > 0) || sla_ms < fmin(y->d0, y->d1) || sla_ms > fmax(y->d0, y->d1))
        return;
    double py = tg_scale_map(y, sla_ms);
    struct tg_style st = { "#000000", NULL, 2, "3 3", 0, "sla" };
    tg_svg_line(s, left, py, right, py, &st);
    char label[64];
    snprintf(label, sizeof label, "SLA %g ms", sla_ms);
    tg_svg_text(s, right - 4, py - 5, 12, TG_SVG_END, 0, 1, "#000000", label);
}

int tg_plot_timeline(struct tg_svg *s, const struct tg_plot_run *runs, size_t nruns,
                     double sla_ms)
{
    int rc = tg_plot_check_args(s, runs, nruns);
    if (rc)
        return rc;
    const double H = 480, bottom = H - 64;
    double tmax = 0, lmax = 0;
    double t0[2] = { 0, 0 };
    for (size_t k = 0; k < nruns; k++) {
        const struct tg_plot_run *r = &runs[k];
        if (!r->timestamp_ms || r->n == 0)
            continue;
        t0[k] = INFINITY;
        double t1 = -INFINITY;
        for (size_t i = 0; i < r->n; i++) {
            t0[k] = fmin(t0[k], r->timestamp_ms[i]);
            t1 = fmax(t1, r->timestamp_ms[i]);
            if (isfinite(r->latency_ms[i]))
                lmax = fmax(lmax, r->latency_ms[i]);
        }
        tmax = fmax(tmax, (t1 - t0[k]) / 1000.0);
    }
    if (sla_ms > 0)
        lmax = fmax(lmax, sla_ms);
    double tlo = 0, llo = 0;
    tg_scale_nice(0, &tlo, &tmax);
    tg_scale_nice(0, &llo, &lmax);
    struct tg_axis x = { { 0, 0, tmax, LEFT, RIGHT }, "time since the run's first request (s)",
                         "%g", 1 };
    struct tg_axis y = { { 0, 0, lmax, bottom, TOP }, "latency (ms)", "%g", 1 };

    tg_svg_begin(s, W, H, "Latency over time");
    tg_plot_title(s, "Latency of every input over time");
    tg_plot_legend(s, runs, nruns, 26);
    tg_svg_plot_begin(s, "timeline-plot", &x, &y);
    sla_hline(s, &y.sc, LEFT, RIGHT, sla_ms);
    /* Large runs: a dot that lands on a 2 x 2 pixel cell already drawn for
     * the same run (and the same ok/failed kind) is skipped; with 3-pixel dots
     * the picture does not change and the SVG stays small.  Runs up to TIMELINE_EXACT inputs
     * get every dot. */
    int pw = (int)ceil((RIGHT - LEFT) / TIMELINE_CELL) + 2;
    int ph = (int)ceil((bottom - TOP) / TIMELINE_CELL) + 2;
    unsigned char *seen = NULL;
    size_t skipped = 0;
    for (size_t k = 0; k < nruns; k++) {
        const struct tg_plot_run *r = &runs[k];
        if (!r->timestamp_ms)
            continue;
        if (r->n > TIMELINE_EXACT) {
            free(seen);
            if (!(seen = calloc((size_t)pw * (size_t)ph, 1)))
                return TG_ENOMEM;
        }
        char cls[32], fcls[32];
        snprintf(cls, sizeof cls, "point %s", tg_plot_run_class(k));
        snprintf(fcls, sizeof fcls, "failed %s", tg_plot_run_class(k));
        struct tg_style xs = { "#000000", NULL, 1.6, NULL, 0, fcls };
        for (size_t i = 0; i < r->n; i++) {
            double lat = isfinite(r->latency_ms[i]) ? r->latency_ms[i] : lmax;
            double px = tg_scale_map(&x.sc, (r->timestamp_ms[i] - t0[k]) / 1000.0);
            double py = tg_scale_map(&y.sc, lat);
            if (r->n > TIMELINE_EXACT) {
                int cx = (int)lround((px - LEFT) / TIMELINE_CELL);
                int cy = (int)lround((py - TOP) / TIMELINE_CELL);
                cx = cx < 0 ? 0 : cx >= pw ? pw - 1 : cx;
                cy = cy < 0 ? 0 : cy >= ph ? ph - 1 : cy;
                unsigned char bit = tg_plot_is_ok(r, i) ? 1 : 2;
                unsigned char *cell = &seen[(size_t)cy * (size_t)pw + (size_t)cx];
                if (*cell & bit) {
                    skipped++;
                    continue;
                }
                *cell |= bit;
            }
            if (tg_plot_is_ok(r, i)) {
                tg_plot_marker(s, k, px, py, 3, cls);
            } else {
                tg_svg_line(s, px - 4, py - 4, px + 4, py + 4, &xs);
                tg_svg_line(s, px - 4, py + 4, px + 4, py - 4, &xs);
            }
        }
    }
    free(seen);
    tg_svg_plot_end(s);
    if (skipped) {
        char note[160];
        snprintf(note, sizeof note, "%zu inputs within 2 px of a dot already drawn are not drawn again",
                 skipped);
        tg_svg_text(s, LEFT, H - 8, 12, TG_SVG_START, 0, 0, NULL, note);
    }
    int any_failed = 0;
    for (size_t k = 0; k < nruns; k++)
        for (size_t i = 0; i < runs[k].n && !any_failed; i++)
            any_failed = !tg_plot_is_ok(&runs[k], i);
    if (any_failed)
        tg_svg_text(s, RIGHT, H - 8, 12, TG_SVG_END, 0, 0, NULL,
                    "\xC3\x97 failed input (at its recorded latency)");
    tg_svg_end(s);
    return tg_svg_error(s);
}
