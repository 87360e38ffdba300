/*
 * plots_phases.c - the phase breakdown (plots.h): the report's names and
 * colours of the components of stats/phases.h, the breakdown of a run, and
 * the chart of stacked bars of where the time goes at P50/P95/P99.  Layout
 * and shared helpers: plots_internal.h.
 */
#include "report/plots.h"
#include "report/plots_internal.h"

#include "core/error.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const comp_labels[TG_COMP_COUNT] = {
    "client queue", "connect", "server queue", "server compute", "server", "transfer",
};
/* Okabe-Ito; the two largest expected components (queue, compute) get the two
 * most distinct colours. */
static const char *const comp_colours[TG_COMP_COUNT] = {
    "#E69F00", "#F0E442", "#D55E00", "#0072B2", "#CC79A7", "#009E73",
};

const char *tg_phase_comp_label(enum tg_comp c) { return (unsigned)c < TG_COMP_COUNT ? comp_labels[c] : "?"; }
const char *tg_phase_comp_colour(enum tg_comp c)
{
    return (unsigned)c < TG_COMP_COUNT ? comp_colours[c] : "#000000";
}

int tg_plot_run_has_phases(const struct tg_plot_run *r)
{
    return r->phase[TG_PHASE_COL_CLIENT_QUEUE] && r->phase[TG_PHASE_COL_SERVICE];
}

static double col(const struct tg_plot_run *r, enum tg_phase_col c, size_t i)
{
    return r->phase[c] ? r->phase[c][i] : NAN;
}

static void run_sample(const void *ctx, size_t i, struct tg_phase_sample *out)
{
    const struct tg_plot_run *r = ctx;
    *out = (struct tg_phase_sample){
        .ok = tg_plot_is_ok(r, i), .latency_ms = r->latency_ms[i],
        .client_queue_ms = col(r, TG_PHASE_COL_CLIENT_QUEUE, i),
        .connect_ms = col(r, TG_PHASE_COL_CONNECT, i),
        .ttfb_ms = col(r, TG_PHASE_COL_TTFB, i),
        .service_ms = col(r, TG_PHASE_COL_SERVICE, i),
        .server_queue_ms = col(r, TG_PHASE_COL_SERVER_QUEUE, i),
        .server_compute_ms = col(r, TG_PHASE_COL_SERVER_COMPUTE, i),
    };
}

int tg_plot_run_decomp(const struct tg_plot_run *r, struct tg_decomp *out)
{
    return tg_phase_breakdown(r->n, run_sample, r, out);
}

/* ---- phase breakdown --------------------------------------------------------------------- */

int tg_plot_phases(struct tg_svg *s, const struct tg_plot_run *runs, size_t nruns)
{
    int rc = tg_plot_check_args(s, runs, nruns);
    if (rc)
        return rc;
    struct tg_decomp d[2];
    int have[2];
    double xmax = 1;
    for (size_t k = 0; k < nruns; k++) {
        rc = tg_plot_run_decomp(&runs[k], &d[k]);
        if (rc == TG_ENOMEM)
            return rc;
        have[k] = rc == 0;
        if (!have[k])
            continue;
        for (size_t j = 0; j < TG_DECOMP_BANDS; j++) {
            double tot = 0;
            for (int g = 0; g < TG_COMP_COUNT; g++)
                if (isfinite(d[k].band[j].comp_ms[g]))
                    tot += d[k].band[j].comp_ms[g];
            xmax = fmax(xmax, fmax(tot, d[k].band[j].latency_ms));
        }
    }
    const double bar = 26, gap = 10, group_gap = 18, left = 150;
    double plot_h = 3 * (double)nruns * (bar + gap) + 2 * group_gap + gap;
    const double top = 96;
    double bottom = top + plot_h, H = bottom + 64;
    double xlo = 0;
    tg_scale_nice(0, &xlo, &xmax);
    struct tg_axis x = { { 0, 0, xmax, left, RIGHT }, "mean time per input over the percentile band (ms)",
                         "%g", 1 };
    struct tg_axis y = { { 0, 0, 1, bottom, top }, "", "", 1 };
    (void)y;

    tg_svg_begin(s, W, H, "Where the time goes at P50, P95 and P99");
    tg_plot_title(s, "Where the time goes at P50 / P95 / P99 (ok inputs ranked 45-55, 92.5-97.5, 98.5-99.5 %)");
    /* Component legend, one row. */
    double lx = LEFT - 60, ly = 52;
    for (int g = 0; g < TG_COMP_COUNT; g++) {
        struct tg_style st = { "#333333", comp_colours[g], 0.8, NULL, 0, "legend" };
        tg_svg_rect(s, lx, ly - 11, 14, 14, &st);
        tg_svg_text(s, lx + 19, ly, 13, TG_SVG_START, 0, 0, NULL, comp_labels[g]);
        lx += 150;
    }
    struct tg_style tick = { "#000000", NULL, 2.5, NULL, 0, "pct-mark" };
    tg_svg_line(s, lx + 2, ly - 13, lx + 2, ly + 4, &tick);
    tg_svg_text(s, lx + 10, ly, 13, TG_SVG_START, 0, 0, NULL, "exact Pp");

    /* The x axis only: frame, grid and ticks (y is categorical). */
    double ticks[16];
    size_t nt = tg_scale_ticks(&x.sc, ticks, 12);
    struct tg_style grid = { "#d8d8d8", NULL, 1, NULL, 0, "grid" };
    struct tg_style frame = { "#444444", "none", 1, NULL, 0, NULL };
    for (size_t t = 0; t < nt; t++) {
        double px = tg_scale_map(&x.sc, ticks[t]);
        char label[32];
        snprintf(label, sizeof label, "%g", ticks[t]);
        tg_svg_line(s, px, top, px, bottom, &grid);
        tg_svg_line(s, px, bottom, px, bottom + 5, &frame);
        tg_svg_text(s, px, bottom + 19, 12, TG_SVG_MIDDLE, 0, 0, NULL, label);
    }
    tg_svg_rect(s, left, top, RIGHT - left, bottom - top, &frame);
    tg_svg_text(s, (left + RIGHT) / 2, bottom + 42, 14, TG_SVG_MIDDLE, 0, 0, NULL, x.title);
    tg_svg_raw(s, "<g class=\"plot\" id=\"phases-plot\"");
    tg_svg_printf(s, " data-x-scale=\"linear\" data-x-domain=\"0 %.17g\" data-x-range=\"%.17g %.17g\">\n",
                  xmax, left, (double)RIGHT);

    double yy = top + gap;
    static const double pcts[TG_DECOMP_BANDS] = { 50, 95, 99 };
    for (size_t j = 0; j < TG_DECOMP_BANDS; j++) {
        for (size_t k = 0; k < nruns; k++) {
            char label[160];
            snprintf(label, sizeof label, "%s P%g", runs[k].name ? runs[k].name : "run", pcts[j]);
            tg_svg_text(s, left - 10, yy + bar / 2 + 5, 13, TG_SVG_END, 0, 1,
                        tg_plot_run_colour(k), label);
            const struct tg_decomp_band *pr = &d[k].band[j];
            if (!have[k]) {
                tg_svg_text(s, left + 10, yy + bar / 2 + 5, 13, TG_SVG_START, 0, 0, "#555555",
                            "no successful input");
            } else if (!d[k].phases) {
                char ms[32], txt[128];
                tg_plot_fmt_ms(ms, sizeof ms, pr->latency_ms);
                snprintf(txt, sizeof txt, "phases not measured (latency-only CSV); P%g = %s",
                         pcts[j], ms);
                struct tg_style st = { "#888888", "#f2f2f2", 1, "4 3", 0, "not-measured" };
                tg_svg_rect(s, left, yy, tg_scale_map(&x.sc, pr->latency_ms) - left, bar, &st);
                tg_svg_text(s, left + 10, yy + bar / 2 + 5, 13, TG_SVG_START, 0, 0, "#333333",
                            txt);
            } else {
                double acc = 0;
                for (int g = 0; g < TG_COMP_COUNT; g++) {
                    if (!(pr->comp_ms[g] > 0))   /* also NAN: not measured */
                        continue;
                    double x0 = tg_scale_map(&x.sc, acc);
                    acc += pr->comp_ms[g];
                    double x1 = tg_scale_map(&x.sc, acc);
                    char cls[64];
                    snprintf(cls, sizeof cls, "seg %s %s p%g", tg_comp_names[g], tg_plot_run_class(k), pcts[j]);
                    struct tg_style st = { "#ffffff", comp_colours[g], 0.8, NULL, 0, cls };
                    tg_svg_rect(s, x0, yy, x1 - x0, bar, &st);
                    if (x1 - x0 >= 46) {
                        char ms[32];
                        tg_plot_fmt_ms(ms, sizeof ms, pr->comp_ms[g]);
                        /* Dark text on light fills, white on the dark ones. */
                        int dark = g == TG_COMP_SERVER_QUEUE || g == TG_COMP_SERVER_COMPUTE ||
                                   g == TG_COMP_SERVER || g == TG_COMP_TRANSFER;
                        tg_svg_text(s, (x0 + x1) / 2, yy + bar / 2 + 4, 11, TG_SVG_MIDDLE, 0, 0,
                                    dark ? "#ffffff" : "#111111", ms);
                    }
                }
                char ms[32], txt[64];
                tg_plot_fmt_ms(ms, sizeof ms, pr->latency_ms);
                double mx = tg_scale_map(&x.sc, pr->latency_ms);
                snprintf(txt, sizeof txt, "P%g %s", pcts[j], ms);
                tg_svg_line(s, mx, yy - 4, mx, yy + bar + 4, &tick);
                double tx = fmax(mx, tg_scale_map(&x.sc, acc)) + 6;
                if (tx > RIGHT - 90)
                    tg_svg_text(s, mx - 6, yy - 6, 12, TG_SVG_END, 0, 0, NULL, txt);
                else
                    tg_svg_text(s, tx, yy + bar / 2 + 5, 12, TG_SVG_START, 0, 0, NULL, txt);
            }
            yy += bar + gap;
        }
        yy += group_gap;
    }
    tg_svg_plot_end(s);
    tg_svg_end(s);
    return tg_svg_error(s);
}
