/*
 * curve.c - the latency-against-load chart.  Same conventions as plots.c:
 * Okabe-Ito colours, series told apart by colour and by marker shape, dashed
 * reference lines, the plot group carrying its axis mappings as data-*
 * attributes (the right axis in its own group) so tests can invert pixels.
 *
 * Verdicts are drawn on the P95 marker (the percentile of --sla-p95; P99 or
 * P50 when a point has no P95): PASS a filled green circle, FAIL a vermillion
 * cross, INCONCLUSIVE a hollow orange diamond, so they survive greyscale.
 */
#include "report/curve.h"

#include "core/buf.h"
#include "core/error.h"
#include "core/fs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LEFT 84.0
#define TOP 72.0
#define RIGHT_MARGIN 84.0
#define BOTTOM_MARGIN 64.0

#define CURVE_WIDTH 1160.0
#define CURVE_HEIGHT 520.0

static const char *const pct_names[3] = { "P50", "P95", "P99" };
static const char *const pct_cls[3] = { "p50", "p95", "p99" };
static const char *const pct_colours[3] = { "#56B4E9", "#0072B2", "#CC79A7" };
static const char *const pct_dash[3] = { "2 3", NULL, "8 3" };
#define TPUT_COLOUR "#444444"
#define PASS_COLOUR "#009E73"
#define FAIL_COLOUR "#D55E00"
#define INCONCLUSIVE_COLOUR "#E69F00"

static double pct_of(const struct tg_curve_point *p, int k)
{
    return k == 0 ? p->p50_ms : k == 1 ? p->p95_ms : p->p99_ms;
}

static int cmp_load(const void *a, const void *b)
{
    double x = ((const struct tg_curve_point *)a)->load;
    double y = ((const struct tg_curve_point *)b)->load;
    return (x > y) - (x < y);
}

enum verdict { V_NONE, V_PASS, V_FAIL, V_INCONCLUSIVE };

static enum verdict verdict_of(const char *v)
{
    if (!v)
        return V_NONE;
    if (!strcasecmp(v, "PASS"))
        return V_PASS;
    if (!strcasecmp(v, "FAIL"))
        return V_FAIL;
    if (!strcasecmp(v, "INCONCLUSIVE"))
        return V_INCONCLUSIVE;
    return V_NONE;
}

/* A verdict marker centred on (x, y); class "verdict pass|fail|inconclusive". */
static void verdict_marker(struct tg_svg *s, enum verdict v, double x, double y, const char *extra)
{
    const char *e = extra ? extra : "";
    switch (v) {
    case V_PASS: {
        char cls[48];
        snprintf(cls, sizeof cls, "verdict pass%s", e);
        struct tg_style st = { "#ffffff", PASS_COLOUR, 1, NULL, 0, cls };
        tg_svg_circle(s, x, y, 6, &st);
        break;
    }
    case V_FAIL:
        tg_svg_printf(s,
                      "<path d=\"M%.2f %.2fL%.2f %.2fM%.2f %.2fL%.2f %.2f\" stroke=\"%s\" "
                      "stroke-width=\"3.00\" fill=\"none\" class=\"verdict fail%s\" "
                      "data-cx=\"%.2f\" data-cy=\"%.2f\"/>\n",
                      x - 6, y - 6, x + 6, y + 6, x - 6, y + 6, x + 6, y - 6, FAIL_COLOUR, e, x,
                      y);
        break;
    case V_INCONCLUSIVE:
        tg_svg_printf(s,
                      "<polygon points=\"%.2f,%.2f %.2f,%.2f %.2f,%.2f %.2f,%.2f\" stroke=\"%s\" "
                      "stroke-width=\"2.00\" fill=\"#ffffff\" class=\"verdict inconclusive%s\" "
                      "data-cx=\"%.2f\" data-cy=\"%.2f\"/>\n",
                      x, y - 7, x + 7, y, x, y + 7, x - 7, y, INCONCLUSIVE_COLOUR, e, x, y);
        break;
    case V_NONE:
        break;
    }
}

static void fmt_num(char *out, size_t n, double v)
{
    if (fabs(v) >= 100)
        snprintf(out, n, "%.0f", v);
    else
        snprintf(out, n, "%.3g", v);
}

/* The legend, right-aligned on one row at y. */
static void legend(struct tg_svg *s, double right, double y, int has_tput, int has_sla,
                   const int seen[4])
{
    double x = right;
    /* Entries are laid out right to left; widths fit their labels at 13 px. */
    static const char *const vnames[4] = { NULL, "PASS", "FAIL", "INCONCLUSIVE" };
    static const double vwidth[4] = { 0, 70, 66, 124 };
    for (int v = 3; v >= 1; v--) {
        if (!seen[v])
            continue;
        x -= vwidth[v];
        verdict_marker(s, (enum verdict)v, x + 8, y - 4, " legend");
        tg_svg_text(s, x + 20, y, 13, TG_SVG_START, 0, 0, NULL, vnames[v]);
    }
    if (has_sla) {
        x -= 74;
        struct tg_style st = { "#000000", NULL, 2, "3 3", 0, "legend sla" };
        tg_svg_line(s, x, y - 4, x + 30, y - 4, &st);
        tg_svg_text(s, x + 36, y, 13, TG_SVG_START, 0, 0, NULL, "SLA");
    }
    if (has_tput) {
        x -= 128;
        struct tg_style st = { TPUT_COLOUR, NULL, 2, "6 4", 0, "legend throughput" };
        tg_svg_line(s, x, y - 4, x + 30, y - 4, &st);
        tg_svg_text(s, x + 36, y, 13, TG_SVG_START, 0, 0, NULL, "throughput");
    }
    for (int k = 2; k >= 0; k--) {
        x -= 76;
        char cls[32];
        snprintf(cls, sizeof cls, "legend %s", pct_cls[k]);
        struct tg_style st = { pct_colours[k], NULL, 2.5, pct_dash[k], 0, cls };
        tg_svg_line(s, x, y - 4, x + 30, y - 4, &st);
        struct tg_style m = { "#ffffff", pct_colours[k], 1, NULL, 0, cls };
        tg_svg_circle(s, x + 15, y - 4, 4, &m);
        tg_svg_text(s, x + 36, y, 13, TG_SVG_START, 0, 0, NULL, pct_names[k]);
    }
}

/* The right axis: ticks, labels, title, and an open <g> carrying its mapping
 * as data-y2-* (closed by the caller). */
static void right_axis_begin(struct tg_svg *s, const struct tg_scale *y2, double right,
                             const char *title)
{
    double ticks[16];
    size_t n = tg_scale_ticks(y2, ticks, 10);
    struct tg_style tick = { TPUT_COLOUR, NULL, 1, NULL, 0, NULL };
    for (size_t i = 0; i < n; i++) {
        double py = tg_scale_map(y2, ticks[i]);
        char label[32];
        snprintf(label, sizeof label, "%g", ticks[i]);
        tg_svg_line(s, right, py, right + 5, py, &tick);
        tg_svg_text(s, right + 8, py + 4, 12, TG_SVG_START, 0, 0, TPUT_COLOUR, label);
    }
    double mid = (y2->p0 + y2->p1) / 2;
    tg_svg_text(s, right + 56, mid, 14, TG_SVG_MIDDLE, 90, 0, TPUT_COLOUR, title);
    tg_svg_printf(s,
                  "<g class=\"throughput\" data-y2-scale=\"linear\" "
                  "data-y2-domain=\"%.17g %.17g\" data-y2-range=\"%.17g %.17g\">\n",
                  y2->d0, y2->d1, y2->p0, y2->p1);
}

static int check(struct tg_svg *s, const struct tg_curve *c, double width, double height)
{
    if (!s || !c || !c->points || c->npoints == 0)
        return TG_EINVAL;
    if (!(width >= 320) || !(height >= 200) || !isfinite(width) || !isfinite(height))
        return TG_EINVAL;
    for (size_t i = 0; i < c->npoints; i++)
        if (!isfinite(c->points[i].load) || c->points[i].load < 0)
            return TG_EINVAL;
    return 0;
}

int tg_curve_svg(struct tg_svg *s, const struct tg_curve *c, double width, double height)
{
    int rc = check(s, c, width, height);
    if (rc)
        return rc;
    size_t n = c->npoints;
    struct tg_curve_point *pts = malloc(n * sizeof *pts);
    double *xs = malloc(n * sizeof *xs), *ys = malloc(n * sizeof *ys);
    if (!pts || !xs || !ys) {
        free(pts), free(xs), free(ys);
        return TG_ENOMEM;
    }
    memcpy(pts, c->points, n * sizeof *pts);
    qsort(pts, n, sizeof *pts, cmp_load);

    const double right = width - RIGHT_MARGIN, bottom = height - BOTTOM_MARGIN;

    /* Domains: load from 0; latency over every finite percentile and the SLA
     * (from 0, or decades on a log axis); throughput from 0. */
    double lmax = 0, latlo = INFINITY, lathi = 0, tmax = 0;
    int seen[4] = { 0 }, has_tput = 0;
    for (size_t i = 0; i < n; i++) {
        lmax = fmax(lmax, pts[i].load);
        for (int k = 0; k < 3; k++) {
            double v = pct_of(&pts[i], k);
            if (!isfinite(v) || v < 0)
                continue;
            lathi = fmax(lathi, v);
            if (v > 0)
                latlo = fmin(latlo, v);
        }
        if (isfinite(pts[i].achieved_ips) && pts[i].achieved_ips >= 0) {
            has_tput = 1;
            tmax = fmax(tmax, pts[i].achieved_ips);
        }
        seen[verdict_of(pts[i].verdict)] = 1;
    }
    if (c->limit_load > 0 && isfinite(c->limit_load))
        lmax = fmax(lmax, c->limit_load);
    int has_sla = c->sla_ms > 0 && isfinite(c->sla_ms);
    if (has_sla) {
        lathi = fmax(lathi, c->sla_ms);
        latlo = fmin(latlo, c->sla_ms);
    }
    double x0 = 0, x1 = lmax;
    tg_scale_nice(0, &x0, &x1);
    double y0, y1;
    if (c->log_latency) {
        y0 = isfinite(latlo) ? latlo : 1;
        y1 = lathi > y0 ? lathi : y0 * 10;
        tg_scale_nice(1, &y0, &y1);
    } else {
        y0 = 0;
        y1 = lathi > 0 ? lathi * 1.05 : 1;
        tg_scale_nice(0, &y0, &y1);
    }
    double t0 = 0, t1 = tmax > 0 ? tmax * 1.05 : 1;
    tg_scale_nice(0, &t0, &t1);

    struct tg_axis x = { { 0, x0, x1, LEFT, right }, c->load_label ? c->load_label : "load",
                         "%g", 1 };
    struct tg_axis y = { { c->log_latency, y0, y1, bottom, TOP },
                         c->log_latency ? "latency (ms, log scale)" : "latency (ms)", "%g", 1 };
    struct tg_scale y2 = { 0, t0, t1, bottom, TOP };

    const char *title = c->title ? c->title : "Latency against load";
    tg_svg_begin(s, width, height, title);
    tg_svg_text(s, LEFT - 60, 26, 17, TG_SVG_START, 0, 1, "#111111", title);
    legend(s, right, 52, has_tput, has_sla, seen);
    tg_svg_plot_begin(s, "curve-plot", &x, &y);

    if (has_sla) {
        double py = tg_scale_map(&y.sc, c->sla_ms);
        struct tg_style st = { "#000000", NULL, 2, "3 3", 0, "sla" };
        tg_svg_line(s, LEFT, py, right, py, &st);
        char label[128];
        snprintf(label, sizeof label, "%s", c->sla_label ? c->sla_label : "SLA");
        tg_svg_text(s, right - 4, py - 5, 12, TG_SVG_END, 0, 1, "#000000", label);
    }
    if (c->limit_load > 0 && isfinite(c->limit_load)) {
        double px = tg_scale_map(&x.sc, c->limit_load);
        struct tg_style st = { "#000000", NULL, 2, "8 4", 0, "limit" };
        tg_svg_line(s, px, TOP, px, bottom, &st);
        char num[32], label[96];
        fmt_num(num, sizeof num, c->limit_load);
        snprintf(label, sizeof label, "%.40s %s", c->limit_label ? c->limit_label : "limit", num);
        /* Label inside the plot, on whichever side of the line has room. */
        int left_side = px > (LEFT + right) / 2;
        tg_svg_text(s, left_side ? px - 5 : px + 5, TOP + 16, 12,
                    left_side ? TG_SVG_END : TG_SVG_START, 0, 1, "#000000", label);
    }

    /* Percentile lines, then their markers (P95's carry the verdict). */
    for (int k = 0; k < 3; k++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            double v = pct_of(&pts[i], k);
            if (!isfinite(v))
                continue;
            xs[m] = tg_scale_map(&x.sc, pts[i].load);
            ys[m++] = tg_scale_map(&y.sc, v);
        }
        char cls[32];
        snprintf(cls, sizeof cls, "series %s", pct_cls[k]);
        struct tg_style st = { pct_colours[k], NULL, 2.5, pct_dash[k], 0, cls };
        tg_svg_polyline(s, xs, ys, m, &st);
    }
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < n; i++) {
            double v = pct_of(&pts[i], k);
            if (!isfinite(v))
                continue;
            char cls[32];
            snprintf(cls, sizeof cls, "marker %s", pct_cls[k]);
            struct tg_style st = { "#ffffff", pct_colours[k], 1, NULL, 0, cls };
            tg_svg_circle(s, tg_scale_map(&x.sc, pts[i].load), tg_scale_map(&y.sc, v), 4, &st);
        }
    for (size_t i = 0; i < n; i++) {
        enum verdict v = verdict_of(pts[i].verdict);
        if (v == V_NONE)
            continue;
        double lat = pts[i].p95_ms;
        if (isnan(lat))
            lat = isnan(pts[i].p99_ms) ? pts[i].p50_ms : pts[i].p99_ms;
        /* A point with every input failed (+inf, or no percentile at all)
         * shows its verdict at the top edge. */
        double py = isfinite(lat) ? tg_scale_map(&y.sc, lat) : TOP;
        verdict_marker(s, v, tg_scale_map(&x.sc, pts[i].load), py, NULL);
    }
    tg_svg_plot_end(s);

    if (has_tput) {
        right_axis_begin(s, &y2, right, "throughput (inputs/s)");
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            if (!isfinite(pts[i].achieved_ips) || pts[i].achieved_ips < 0)
                continue;
            xs[m] = tg_scale_map(&x.sc, pts[i].load);
            ys[m++] = tg_scale_map(&y2, pts[i].achieved_ips);
        }
        struct tg_style st = { TPUT_COLOUR, NULL, 2, "6 4", 0, "series throughput" };
        tg_svg_polyline(s, xs, ys, m, &st);
        for (size_t i = 0; i < m; i++) {
            struct tg_style ms = { TPUT_COLOUR, "#ffffff", 1.5, NULL, 0, "marker throughput" };
            tg_svg_rect(s, xs[i] - 3.5, ys[i] - 3.5, 7, 7, &ms);
        }
        tg_svg_raw(s, "</g>\n");
    }
    tg_svg_end(s);
    free(pts), free(xs), free(ys);
    return tg_svg_error(s);
}

int tg_curve_write(const char *path, const struct tg_curve *c)
{
    if (!path)
        return TG_EINVAL;
    struct tg_buf b = TG_BUF_INIT(0);
    struct tg_svg s;
    tg_svg_init(&s, NULL, &b);
    int rc = tg_curve_svg(&s, c, CURVE_WIDTH, CURVE_HEIGHT);
    if (!rc)
        rc = tg_write_file_atomic(path, b.data, b.len);
    tg_buf_free(&b);
    return rc;
}
