/*
 * plots.c - the four charts.  Layout constants are chosen so that a chart
 * drawn 1160 units wide stays readable in a 1280-pixel window and on paper;
 * runs are told apart by colour (Okabe-Ito, colour-blind safe), by dash
 * pattern and by marker (hollow vs filled), so the charts survive greyscale.
 */
#include "report/plots.h"

#include "core/error.h"
#include "stats/percentile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W TG_PLOT_WIDTH
#define LEFT 84.0
#define RIGHT (W - 36.0)
#define TOP 64.0

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

/* Before: vermillion, dashed, hollow markers.  After: blue, solid, filled. */
const char *tg_plot_run_colour(size_t i) { return i == 0 ? "#D55E00" : "#0072B2"; }
const char *tg_plot_run_dash(size_t i) { return i == 0 ? "7 4" : NULL; }
static const char *run_class(size_t i) { return i == 0 ? "before" : "after"; }

int tg_plot_run_has_phases(const struct tg_plot_run *r)
{
    return r->phase[TG_PHASE_COL_CLIENT_QUEUE] && r->phase[TG_PHASE_COL_SERVICE];
}

static int is_ok(const struct tg_plot_run *r, size_t i) { return !r->ok || r->ok[i]; }

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
        v[i] = is_ok(r, i) ? r->latency_ms[i] : INFINITY;
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

static double col(const struct tg_plot_run *r, enum tg_phase_col c, size_t i)
{
    return r->phase[c] ? r->phase[c][i] : NAN;
}

static void run_sample(const void *ctx, size_t i, struct tg_phase_sample *out)
{
    const struct tg_plot_run *r = ctx;
    *out = (struct tg_phase_sample){
        .ok = is_ok(r, i), .latency_ms = r->latency_ms[i],
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

/* ---- shared drawing helpers ---------------------------------------------------- */

static void fmt_ms(char *out, size_t n, double ms)
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

static void title(struct tg_svg *s, const char *text)
{
    tg_svg_text(s, LEFT - 60, 26, 17, TG_SVG_START, 0, 1, "#111111", text);
}

/* A marker of run i at (x, y): hollow circle for Before, filled for After. */
static void marker(struct tg_svg *s, size_t i, double x, double y, double r, const char *cls)
{
    struct tg_style st = { tg_plot_run_colour(i), i == 0 ? "#ffffff" : tg_plot_run_colour(i),
                           i == 0 ? 1.6 : 1, NULL, i == 0 ? 0 : 0.85, cls };
    if (i == 0)
        st.fill = "none";
    tg_svg_circle(s, x, y, r, &st);
}

/* Legend entries right-aligned on one row at y: a dashed line, a marker, text. */
static void legend(struct tg_svg *s, const struct tg_plot_run *runs, size_t nruns, double y)
{
    double x = RIGHT - 250.0 * (double)nruns;
    for (size_t i = 0; i < nruns; i++) {
        struct tg_style st = { tg_plot_run_colour(i), NULL, 2.5, tg_plot_run_dash(i), 0, "legend" };
        tg_svg_line(s, x, y - 4, x + 40, y - 4, &st);
        marker(s, i, x + 20, y - 4, 4.5, "legend");
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

/* Smallest positive and largest finite ok latency over all runs. */
static void lat_range(const struct tg_plot_run *runs, size_t nruns, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = 0;
    for (size_t k = 0; k < nruns; k++)
        for (size_t i = 0; i < runs[k].n; i++) {
            double v = runs[k].latency_ms[i];
            if (!is_ok(&runs[k], i) || !isfinite(v))
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

static int check_args(struct tg_svg *s, const struct tg_plot_run *runs, size_t nruns)
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
    int rc = check_args(s, runs, nruns);
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
    title(s, "Latency CDF: share of inputs completed within a latency");
    legend(s, runs, nruns, 26);
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
        snprintf(cls, sizeof cls, "series %s", run_class(k));
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
            snprintf(mcls, sizeof mcls, "pct %s p%g", run_class(k), pcts[j]);
            marker(s, k, mx, my, 5.5, mcls);
            fmt_ms(ms, sizeof ms, val);
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

/* ---- timeline ------------------------------------------------------------------------ */

#define TIMELINE_EXACT 5000
#define TIMELINE_CELL 2.0   /* px; dots have a 3 px radius */

int tg_plot_timeline(struct tg_svg *s, const struct tg_plot_run *runs, size_t nruns,
                     double sla_ms)
{
    int rc = check_args(s, runs, nruns);
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
    title(s, "Latency of every input over time");
    legend(s, runs, nruns, 26);
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
        snprintf(cls, sizeof cls, "point %s", run_class(k));
        snprintf(fcls, sizeof fcls, "failed %s", run_class(k));
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
                unsigned char bit = is_ok(r, i) ? 1 : 2;
                unsigned char *cell = &seen[(size_t)cy * (size_t)pw + (size_t)cx];
                if (*cell & bit) {
                    skipped++;
                    continue;
                }
                *cell |= bit;
            }
            if (is_ok(r, i)) {
                marker(s, k, px, py, 3, cls);
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
            any_failed = !is_ok(&runs[k], i);
    if (any_failed)
        tg_svg_text(s, RIGHT, H - 8, 12, TG_SVG_END, 0, 0, NULL,
                    "\xC3\x97 failed input (at its recorded latency)");
    tg_svg_end(s);
    return tg_svg_error(s);
}

/* ---- histogram ------------------------------------------------------------------------- */

#define HIST_BINS 40

int tg_plot_histogram(struct tg_svg *s, const struct tg_plot_run *runs, size_t nruns,
                      double sla_ms)
{
    int rc = check_args(s, runs, nruns);
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
            if (!is_ok(&runs[k], i) || !isfinite(v))
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
    title(s, "Latency histogram (log-spaced bins)");
    legend(s, runs, nruns, 26);
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
        snprintf(cls, sizeof cls, "series %s", run_class(k));
        struct tg_style st = { tg_plot_run_colour(k), tg_plot_run_colour(k), 2,
                               tg_plot_run_dash(k), 0.18, cls };
        tg_svg_polyline(s, px, py, m, &st);
    }
    tg_svg_plot_end(s);
    tg_svg_end(s);
    return tg_svg_error(s);
}

/* ---- phase breakdown --------------------------------------------------------------------- */

int tg_plot_phases(struct tg_svg *s, const struct tg_plot_run *runs, size_t nruns)
{
    int rc = check_args(s, runs, nruns);
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
    title(s, "Where the time goes at P50 / P95 / P99 (ok inputs ranked 45-55, 92.5-97.5, 98.5-99.5 %)");
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
                fmt_ms(ms, sizeof ms, pr->latency_ms);
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
                    snprintf(cls, sizeof cls, "seg %s %s p%g", tg_comp_names[g], run_class(k), pcts[j]);
                    struct tg_style st = { "#ffffff", comp_colours[g], 0.8, NULL, 0, cls };
                    tg_svg_rect(s, x0, yy, x1 - x0, bar, &st);
                    if (x1 - x0 >= 46) {
                        char ms[32];
                        fmt_ms(ms, sizeof ms, pr->comp_ms[g]);
                        /* Dark text on light fills, white on the dark ones. */
                        int dark = g == TG_COMP_SERVER_QUEUE || g == TG_COMP_SERVER_COMPUTE ||
                                   g == TG_COMP_SERVER || g == TG_COMP_TRANSFER;
                        tg_svg_text(s, (x0 + x1) / 2, yy + bar / 2 + 4, 11, TG_SVG_MIDDLE, 0, 0,
                                    dark ? "#ffffff" : "#111111", ms);
                    }
                }
                char ms[32], txt[64];
                fmt_ms(ms, sizeof ms, pr->latency_ms);
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
