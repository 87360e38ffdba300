/*
 * plots.c - the run stats, the drawing helpers every chart shares
 * (plots_internal.h) and the two latency distribution charts, CDF and
 * histogram; the timeline is plots_timeline.c, the phase breakdown
 * plots_phases.c.  Layout constants are chosen so that a chart drawn 1160
 * units wide stays readable in a 1280-pixel window and on paper; runs are
 * told apart by colour (Okabe-Ito, colour-blind safe), by dash pattern and by
 * marker (hollow vs filled), so the charts survive greyscale.
 */
#include "report/plots.h"
#include "report/plots_internal.h"

#include "core/error.h"
#include "stats/percentile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Before: vermillion, dashed, hollow markers.  After: blue, solid, filled. */
const char *tg_plot_run_colour(size_t i) { return i == 0 ? "#D55E00" : "#0072B2"; }
const char *tg_plot_run_dash(size_t i) { return i == 0 ? "7 4" : NULL; }
const char *tg_plot_run_class(size_t i) { return i == 0 ? "before" : "after"; }

int tg_plot_is_ok(const struct tg_plot_run *r, size_t i) { return !r->ok || r->ok[i]; }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest rank (src/stats): the ceil(p/100 * n)-th smallest; NAN when empty. */
static double nearest_rank(const double *sorted, size_t n, double p)
{
    return tg_percentile_sorted(sorted, n, p);
}

/* Sorted latencies of all inputs, failed ones as +inf.  Caller frees. */
static double *sorted_all(const struct tg_plot_run *r)
{
    double *v = malloc((r->n ? r->n : 1) * sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < r->n; i++)
        v[i] = tg_plot_is_ok(r, i) ? r->latency_ms[i] : INFINITY;
    qsort(v, r->n, sizeof *v, cmp_double);
    return v;
}

int tg_plot_run_stats(const struct tg_plot_run *r, double sla_ms, struct tg_plot_stats *out)
{
    memset(out, 0, sizeof *out);
    out->n = r->n;
    double *v = sorted_all(r);
    if (!v)
        return TG_ENOMEM;
    double sum = 0;
    out->min = out->max = out->mean = NAN;
    for (size_t i = 0; i < r->n; i++) {
        if (!isinf(v[i])) {
            out->ok++;
            sum += v[i];
            if (out->ok == 1)
                out->min = v[i];
            out->max = v[i];
        }
        if (!(v[i] <= sla_ms))
            out->over_sla++;
    }
    out->failed = r->n - out->ok;
    if (out->ok)
        out->mean = sum / (double)out->ok;
    out->p50 = nearest_rank(v, r->n, 50);
    out->p90 = nearest_rank(v, r->n, 90);
    out->p95 = nearest_rank(v, r->n, 95);
    out->p99 = nearest_rank(v, r->n, 99);
    out->p999 = nearest_rank(v, r->n, 99.9);
    free(v);
    return 0;
}

/* ---- shared drawing helpers ---------------------------------------------------- */

void tg_plot_fmt_ms(char *out, size_t n, double ms)
{
    if (isinf(ms))
        snprintf(out, n, "failed");
    else if (isnan(ms))
        snprintf(out, n, "n/a");
    else if (ms >= 100)
        snprintf(out, n, "%.0f ms", ms);
    else if (ms >= 10)
        snprintf(out, n, "%.1f ms", ms);
    else
        snprintf(out, n, "%.2f ms", ms);
}

void tg_plot_title(struct tg_svg *s, const char *text)
{
    tg_svg_text(s, LEFT - 60, 26, 17, TG_SVG_START, 0, 1, "#111111", text);
}

/* A marker of run i at (x, y): hollow circle for Before, filled for After. */
void tg_plot_marker(struct tg_svg *s, size_t i, double x, double y, double r, const char *cls)
{
    struct tg_style st = { tg_plot_run_colour(i), i == 0 ? "#ffffff" : tg_plot_run_colour(i),
                           i == 0 ? 1.6 : 1, NULL, i == 0 ? 0 : 0.85, cls };
    if (i == 0)
        st.fill = "none";
    tg_svg_circle(s, x, y, r, &st);
}

/* Legend entries right-aligned on one row at y: a dashed line, a marker, text. */
void tg_plot_legend(struct tg_svg *s, const struct tg_plot_run *runs, size_t nruns, double y)
{
    double x = RIGHT - 250.0 * (double)nruns;
    for (size_t i = 0; i < nruns; i++) {
        struct tg_style st = { tg_plot_run_colour(i), NULL, 2.5, tg_plot_run_dash(i), 0, "legend" };
        tg_svg_line(s, x, y - 4, x + 40, y - 4, &st);
        tg_plot_marker(s, i, x + 20, y - 4, 4.5, "legend");
        char label[160];
        snprintf(label, sizeof label, "%s (%zu inputs)", runs[i].name ? runs[i].name : "run",
                 runs[i].n);
        tg_svg_text(s, x + 48, y, 13, TG_SVG_START, 0, 0, NULL, label);
        x += 250;
    }
}

static void sla_vline(struct tg_svg *s, const struct tg_scale *x, double top, double bottom,
                      double sla_ms)
{
    if (!(sla_ms > 0) || sla_ms < fmin(x->d0, x->d1) || sla_ms > fmax(x->d0, x->d1))
        return;
    double px = tg_scale_map(x, sla_ms);
    struct tg_style st = { "#000000", NULL, 2, "3 3", 0, "sla" };
    tg_svg_line(s, px, top, px, bottom, &st);
    char label[64];
    snprintf(label, sizeof label, "SLA %g ms", sla_ms);
    tg_svg_text(s, px - 4, top + 14, 12, TG_SVG_END, 0, 1, "#000000", label);
}

/* Smallest positive and largest finite ok latency over all runs. */
static void lat_range(const struct tg_plot_run *runs, size_t nruns, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = 0;
    for (size_t k = 0; k < nruns; k++)
        for (size_t i = 0; i < runs[k].n; i++) {
            double v = runs[k].latency_ms[i];
            if (!tg_plot_is_ok(&runs[k], i) || !isfinite(v))
                continue;
            if (v > 0 && v < *lo)
                *lo = v;
            if (v > *hi)
                *hi = v;
        }
    if (!isfinite(*lo))
        *lo = *hi > 0 ? *hi : 1;
    if (!(*hi > 0))
        *hi = *lo;
}

int tg_plot_check_args(struct tg_svg *s, const struct tg_plot_run *runs, size_t nruns)
{
    if (!s || !runs || nruns == 0 || nruns > 2)
        return TG_EINVAL;
    for (size_t i = 0; i < nruns; i++)
        if (runs[i].n && !runs[i].latency_ms)
            return TG_EINVAL;
    return 0;
}

/* ---- CDF -------------------------------------------------------------------------- */

int tg_plot_cdf(struct tg_svg *s, const struct tg_plot_run *runs, size_t nruns, double sla_ms)
{
    int rc = tg_plot_check_args(s, runs, nruns);
    if (rc)
        return rc;
    const double H = 520, bottom = H - 64;
    double lo, hi;
    lat_range(runs, nruns, &lo, &hi);
    if (sla_ms > 0) {
        lo = fmin(lo, sla_ms);
        hi = fmax(hi, sla_ms);
    }
    tg_scale_nice(1, &lo, &hi);
    struct tg_axis x = { { 1, lo, hi, LEFT, RIGHT }, "latency (ms, log scale)", "%g", 1 };
    struct tg_axis y = { { 0, 0, 100, bottom, TOP }, "inputs completed within latency (%)",
                         "%g", 1 };

    tg_svg_begin(s, W, H, "Latency CDF");
    tg_plot_title(s, "Latency CDF: share of inputs completed within a latency");
    tg_plot_legend(s, runs, nruns, 26);
    tg_svg_plot_begin(s, "cdf-plot", &x, &y);

    /* Reference lines at the marked percentiles. */
    static const double pcts[] = { 50, 95, 99 };
    for (size_t j = 0; j < 3; j++) {
        double py = tg_scale_map(&y.sc, pcts[j]);
        struct tg_style st = { "#9a9a9a", NULL, 1, "2 4", 0, "pct-ref" };
        tg_svg_line(s, LEFT, py, RIGHT, py, &st);
    }
    sla_vline(s, &x.sc, TOP, bottom, sla_ms);

    for (size_t k = 0; k < nruns; k++) {
        const struct tg_plot_run *r = &runs[k];
        double *v = sorted_all(r);
        double *px = malloc((2 * r->n + 2) * sizeof *px);
        double *py = malloc((2 * r->n + 2) * sizeof *py);
        if (!v || !px || !py) {
            free(v), free(px), free(py);
            return TG_ENOMEM;
        }
        /* Exact steps: each input raises the curve by 1/n at its latency.  On
         * large runs (> 4000 inputs) a point closer than half a pixel to the
         * last one drawn is skipped, so the curve stays within half a pixel. */
        size_t m = 0;
        int exact = r->n <= 4000;
        for (size_t i = 0; i < r->n && isfinite(v[i]); i++) {
            double xx = tg_scale_map(&x.sc, v[i]);
            double y0 = tg_scale_map(&y.sc, 100.0 * (double)i / (double)r->n);
            double y1 = tg_scale_map(&y.sc, 100.0 * (double)(i + 1) / (double)r->n);
            int last = i + 1 == r->n || !isfinite(v[i + 1]);
            if (exact || m == 0 || last || fabs(xx - px[m - 1]) >= 0.5 ||
                fabs(y1 - py[m - 1]) >= 0.5) {
                if (exact || m == 0) {
                    px[m] = xx, py[m++] = y0;
                }
                px[m] = xx, py[m++] = y1;
            }
        }
        char cls[32];
        snprintf(cls, sizeof cls, "series %s", tg_plot_run_class(k));
        struct tg_style st = { tg_plot_run_colour(k), NULL, 2.5, tg_plot_run_dash(k), 0, cls };
        tg_svg_polyline(s, px, py, m, &st);

        /* P50/P95/P99 markers; labels go right of the point for Before and
         * left for After, so two close curves do not print over each other. */
        for (size_t j = 0; j < 3; j++) {
            double val = nearest_rank(v, r->n, pcts[j]);
            if (isnan(val))
                continue;
            double mx = isinf(val) ? RIGHT : tg_scale_map(&x.sc, val);
            double my = tg_scale_map(&y.sc, pcts[j]);
            char mcls[48], label[80], ms[32];
            snprintf(mcls, sizeof mcls, "pct %s p%g", tg_plot_run_class(k), pcts[j]);
            tg_plot_marker(s, k, mx, my, 5.5, mcls);
            tg_plot_fmt_ms(ms, sizeof ms, val);
            snprintf(label, sizeof label, "P%g %s", pcts[j], ms);
            if (k == 0)
                tg_svg_text(s, mx + 9, my + 14, 12, TG_SVG_START, 0, 1, tg_plot_run_colour(k),
                            label);
            else
                tg_svg_text(s, mx - 9, my - 5, 12, TG_SVG_END, 0, 1, tg_plot_run_colour(k),
                            label);
        }
        free(v), free(px), free(py);
    }
    tg_svg_plot_end(s);
    tg_svg_end(s);
    return tg_svg_error(s);
}

/* ---- histogram ------------------------------------------------------------------------- */

#define HIST_BINS 40

int tg_plot_histogram(struct tg_svg *s, const struct tg_plot_run *runs, size_t nruns,
                      double sla_ms)
{
    int rc = tg_plot_check_args(s, runs, nruns);
    if (rc)
        return rc;
    const double H = 460, bottom = H - 64;
    double lo, hi;
    lat_range(runs, nruns, &lo, &hi);
    /* HIST_BINS bins of equal width in log10(latency) over the data's range,
     * shared by the runs; a zero-width range gets one decade around it. */
    double e0 = log10(lo), e1 = log10(hi);
    if (!(e1 - e0 > 1e-9)) {
        e0 -= 0.5;
        e1 += 0.5;
    }
    e1 += (e1 - e0) * 1e-9; /* the maximum falls inside the last bin */
    double edges[HIST_BINS + 1];
    for (int b = 0; b <= HIST_BINS; b++)
        edges[b] = pow(10, e0 + (e1 - e0) * b / HIST_BINS);
    size_t counts[2][HIST_BINS];
    memset(counts, 0, sizeof counts);
    size_t cmax = 1;
    for (size_t k = 0; k < nruns; k++)
        for (size_t i = 0; i < runs[k].n; i++) {
            double v = runs[k].latency_ms[i];
            if (!tg_plot_is_ok(&runs[k], i) || !isfinite(v))
                continue;
            double f = (log10(v > 0 ? v : lo) - e0) / (e1 - e0) * HIST_BINS;
            int b = f < 0 ? 0 : f >= HIST_BINS ? HIST_BINS - 1 : (int)f;
            if (++counts[k][b] > cmax)
                cmax = counts[k][b];
        }
    double xlo = edges[0], xhi = edges[HIST_BINS];
    if (sla_ms > 0) {
        xlo = fmin(xlo, sla_ms);
        xhi = fmax(xhi, sla_ms);
    }
    tg_scale_nice(1, &xlo, &xhi);
    double ylo = 0, yhi = (double)cmax * 1.08;
    tg_scale_nice(0, &ylo, &yhi);
    struct tg_axis x = { { 1, xlo, xhi, LEFT, RIGHT }, "latency (ms, log scale; bins of equal log width)",
                         "%g", 1 };
    struct tg_axis y = { { 0, 0, yhi, bottom, TOP }, "inputs per bin", "%g", 1 };

    tg_svg_begin(s, W, H, "Latency histogram");
    tg_plot_title(s, "Latency histogram (log-spaced bins)");
    tg_plot_legend(s, runs, nruns, 26);
    tg_svg_plot_begin(s, "histogram-plot", &x, &y);
    sla_vline(s, &x.sc, TOP, bottom, sla_ms);
    for (size_t k = 0; k < nruns; k++) {
        /* A step outline over the bins, closed on the baseline. */
        double px[2 * HIST_BINS + 2], py[2 * HIST_BINS + 2];
        size_t m = 0;
        px[m] = tg_scale_map(&x.sc, edges[0]), py[m++] = bottom;
        for (int b = 0; b < HIST_BINS; b++) {
            double yy = tg_scale_map(&y.sc, (double)counts[k][b]);
            px[m] = tg_scale_map(&x.sc, edges[b]), py[m++] = yy;
            px[m] = tg_scale_map(&x.sc, edges[b + 1]), py[m++] = yy;
        }
        px[m] = tg_scale_map(&x.sc, edges[HIST_BINS]), py[m++] = bottom;
        char cls[32];
        snprintf(cls, sizeof cls, "series %s", tg_plot_run_class(k));
        struct tg_style st = { tg_plot_run_colour(k), tg_plot_run_colour(k), 2,
                               tg_plot_run_dash(k), 0.18, cls };
        tg_svg_polyline(s, px, py, m, &st);
    }
    tg_svg_plot_end(s);
    tg_svg_end(s);
    return tg_svg_error(s);
}
