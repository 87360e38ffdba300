/*
 * html.c - the report page.  Written through the SVG writer's sticky-error
 * text primitives (raw / printf / escaped), so every string from a file or a
 * command line goes through one escaping function.
 */
#include "report/html.h"

#include "core/error.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const chart_files[TG_CHART_COUNT] = {
    "cdf.svg", "timeline.svg", "histogram.svg", "phases.svg",
};

const char *tg_report_chart_file(enum tg_report_chart c)
{
    return c < TG_CHART_COUNT ? chart_files[c] : "?";
}

int tg_report_render_charts(const struct tg_plot_run *runs, size_t nruns, double sla_ms,
                            struct tg_buf svg[TG_CHART_COUNT])
{
    struct tg_svg s;
    int rc;
    tg_svg_init(&s, NULL, &svg[TG_CHART_CDF]);
    if ((rc = tg_plot_cdf(&s, runs, nruns, sla_ms)))
        return rc;
    tg_svg_init(&s, NULL, &svg[TG_CHART_TIMELINE]);
    if ((rc = tg_plot_timeline(&s, runs, nruns, sla_ms)))
        return rc;
    tg_svg_init(&s, NULL, &svg[TG_CHART_HISTOGRAM]);
    if ((rc = tg_plot_histogram(&s, runs, nruns, sla_ms)))
        return rc;
    tg_svg_init(&s, NULL, &svg[TG_CHART_PHASES]);
    return tg_plot_phases(&s, runs, nruns);
}

/* Print-safe and colour-blind-safe; the verdict is also spelled out. */
static const char css[] =
    "*{box-sizing:border-box}\n"
    "body{font-family:Helvetica,Arial,sans-serif;color:#1a1a1a;background:#fff;margin:0 auto;"
    "padding:20px 24px 48px;max-width:1220px;line-height:1.45;font-size:15px}\n"
    "h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:32px 0 10px;"
    "border-bottom:2px solid #ddd;padding-bottom:4px}h3{font-size:16px;margin:18px 0 6px}\n"
    ".meta{color:#555;font-size:13px;margin:0 0 14px}\n"
    "table{border-collapse:collapse;margin:6px 0 12px;font-size:13.5px}\n"
    "th,td{border:1px solid #c8c8c8;padding:3px 8px;text-align:right;vertical-align:top}\n"
    "th{background:#f0f0f0}td.k,th.k{text-align:left}\n"
    "table.kv{max-width:100%}\n"
    "table.kv td{text-align:left;font-family:Menlo,Consolas,monospace;font-size:12.5px}\n"
    "table.kv td.k{white-space:nowrap}table.kv td.v{word-break:break-all}\n"
    ".banner{border:3px solid #000;border-radius:6px;padding:12px 16px;margin:14px 0;"
    "font-size:17px}\n"
    ".banner b.v{font-size:24px;margin-right:10px;letter-spacing:1px}\n"
    ".PASS{background:#e3f4ee;border-color:#009E73}.FAIL{background:#fbe7dc;"
    "border-color:#D55E00}.INCONCLUSIVE,.NONE{background:#fdf3d8;border-color:#E69F00}\n"
    ".row{display:flex;flex-wrap:wrap;gap:8px 28px;align-items:flex-start}\n"
    ".col h3{margin-top:4px}.narrow{max-width:380px}\n"
    "#phase-table td:nth-child(2){white-space:nowrap}\n"
    ".facts{font-size:13px;word-break:break-word;margin:4px 0}\n"
    ".facts b{font-weight:600;font-family:Menlo,Consolas,monospace;font-size:12px}\n"
    ".note{background:#fdf3d8;border-left:4px solid #E69F00;padding:6px 10px;margin:6px 0}\n"
    "figure{margin:10px 0 22px;break-inside:avoid;page-break-inside:avoid}\n"
    "figure svg{display:block;width:100%;height:auto;max-width:1160px}\n"
    "figcaption{font-size:13px;color:#444;margin-top:4px;max-width:1160px}\n"
    "pre{background:#f7f7f7;border:1px solid #ddd;padding:8px 10px;white-space:pre-wrap;"
    "word-break:break-word;font-size:12.5px}\n"
    "code{font-family:Menlo,Consolas,monospace}\n"
    ".swatch{display:inline-block;width:12px;height:12px;border:1px solid #333;"
    "margin-right:4px;vertical-align:-1px}\n"
    "@media print{body{max-width:none;padding:0;font-size:10.5pt}"
    "h2{break-after:avoid;page-break-after:avoid}"
    "table,pre{break-inside:avoid;page-break-inside:avoid}"
    ".banner,.swatch,th,.note{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "figure svg{max-width:100%}}\n";

static void esc(struct tg_svg *w, const char *s) { tg_svg_escaped(w, s ? s : ""); }

static void fmt_ms(char *out, size_t n, double ms)
{
    if (isinf(ms))
        snprintf(out, n, "failed");
    else if (isnan(ms))
        snprintf(out, n, "n/a");
    else
        snprintf(out, n, "%.1f", ms);
}

static void td(struct tg_svg *w, const char *cls, const char *text)
{
    tg_svg_raw(w, cls ? "<td class=\"k\">" : "<td>");
    esc(w, text);
    tg_svg_raw(w, "</td>");
}

static void kv_table(struct tg_svg *w, const struct tg_report_kv *kv, size_t n)
{
    tg_svg_raw(w, "<table class=\"kv\">\n");
    for (size_t i = 0; i < n; i++) {
        tg_svg_raw(w, "<tr>");
        td(w, "k", kv[i].key);
        tg_svg_raw(w, "<td class=\"v\">");
        esc(w, kv[i].value);
        tg_svg_raw(w, "</td>");
        tg_svg_raw(w, "</tr>\n");
    }
    tg_svg_raw(w, "</table>\n");
}

/* The tailgate-computed summary: one column per run, plus After - Before. */
static int summary_table(struct tg_svg *w, const struct tg_report_page *p)
{
    struct tg_plot_stats st[2];
    for (size_t k = 0; k < p->nruns; k++) {
        int rc = tg_plot_run_stats(&p->runs[k], p->sla_ms, &st[k]);
        if (rc)
            return rc;
    }
    tg_svg_raw(w, "<table id=\"summary\">\n<tr><th class=\"k\">metric</th>");
    for (size_t k = 0; k < p->nruns; k++) {
        tg_svg_raw(w, "<th>");
        esc(w, p->runs[k].name);
        tg_svg_raw(w, "</th>");
    }
    if (p->nruns == 2)
        tg_svg_raw(w, "<th>After &#8722; Before</th>");
    tg_svg_raw(w, "</tr>\n");

    struct row {
        const char *name;
        size_t off;
        int is_count;
    };
    static const struct row rows[] = {
        { "inputs", offsetof(struct tg_plot_stats, n), 1 },
        { "ok", offsetof(struct tg_plot_stats, ok), 1 },
        { "failed", offsetof(struct tg_plot_stats, failed), 1 },
        { "over the SLA (incl. failed)", offsetof(struct tg_plot_stats, over_sla), 1 },
        { "P50 (ms)", offsetof(struct tg_plot_stats, p50), 0 },
        { "P90 (ms)", offsetof(struct tg_plot_stats, p90), 0 },
        { "P95 (ms)", offsetof(struct tg_plot_stats, p95), 0 },
        { "P99 (ms)", offsetof(struct tg_plot_stats, p99), 0 },
        { "P99.9 (ms)", offsetof(struct tg_plot_stats, p999), 0 },
        { "mean of ok (ms)", offsetof(struct tg_plot_stats, mean), 0 },
        { "min of ok (ms)", offsetof(struct tg_plot_stats, min), 0 },
        { "max of ok (ms)", offsetof(struct tg_plot_stats, max), 0 },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        tg_svg_raw(w, "<tr>");
        td(w, "k", rows[i].name);
        double v[2] = { 0, 0 };
        char cell[64];
        for (size_t k = 0; k < p->nruns; k++) {
            const char *base = (const char *)&st[k] + rows[i].off;
            if (rows[i].is_count) {
                size_t c;
                memcpy(&c, base, sizeof c);
                v[k] = (double)c;
                snprintf(cell, sizeof cell, "%zu", c);
            } else {
                memcpy(&v[k], base, sizeof v[k]);
                fmt_ms(cell, sizeof cell, v[k]);
            }
            td(w, NULL, cell);
        }
        if (p->nruns == 2) {
            double d = v[1] - v[0];
            if (!isfinite(d))
                snprintf(cell, sizeof cell, "n/a");
            else if (rows[i].is_count)
                snprintf(cell, sizeof cell, "%+.0f", d);
            else if (v[0] > 0)
                snprintf(cell, sizeof cell, "%+.1f (%+.1f %%)", d, 100 * d / v[0]);
            else
                snprintf(cell, sizeof cell, "%+.1f", d);
            td(w, NULL, cell);
        }
        tg_svg_raw(w, "</tr>\n");
    }
    tg_svg_raw(w, "<tr>");
    td(w, "k", "P95 within the SLA (point estimate)");
    for (size_t k = 0; k < p->nruns; k++)
        td(w, NULL, st[k].p95 <= p->sla_ms ? "yes" : "no");
    if (p->nruns == 2)
        td(w, NULL, "");
    tg_svg_raw(w, "</tr>\n</table>\n");
    return 0;
}

static int phase_table(struct tg_svg *w, const struct tg_report_page *p)
{
    tg_svg_raw(w, "<table id=\"phase-table\">\n<tr><th class=\"k\">run</th><th>band</th>"
                  "<th>inputs</th><th>exact Pp (ms)</th><th>band mean (ms)</th>");
    for (int g = 0; g < TG_COMP_COUNT; g++) {
        tg_svg_printf(w, "<th><span class=\"swatch\" style=\"background:%s\"></span>",
                      tg_phase_comp_colour((enum tg_comp)g));
        esc(w, tg_phase_comp_label((enum tg_comp)g));
        tg_svg_raw(w, "</th>");
    }
    tg_svg_raw(w, "</tr>\n");
    for (size_t k = 0; k < p->nruns; k++) {
        struct tg_decomp d;
        int rc = tg_plot_run_decomp(&p->runs[k], &d);
        if (rc == TG_ENOMEM)
            return rc;
        for (size_t j = 0; j < TG_DECOMP_BANDS; j++) {
            const struct tg_decomp_band *b = &d.band[j];
            static const double pcts[TG_DECOMP_BANDS] = { 50, 95, 99 };
            char cell[64];
            tg_svg_raw(w, "<tr>");
            td(w, "k", p->runs[k].name);
            if (rc) {
                snprintf(cell, sizeof cell, "P%g", pcts[j]);
                td(w, NULL, cell);
                tg_svg_printf(w, "<td colspan=\"%d\" class=\"k\">no successful input</td>",
                              3 + TG_COMP_COUNT);
                tg_svg_raw(w, "</tr>\n");
                continue;
            }
            snprintf(cell, sizeof cell, "P%g (P%g\xE2\x80\x93P%g)", b->pct, b->lo_pct, b->hi_pct);
            td(w, NULL, cell);
            snprintf(cell, sizeof cell, "%zu", b->n);
            td(w, NULL, cell);
            fmt_ms(cell, sizeof cell, b->latency_ms);
            td(w, NULL, cell);
            fmt_ms(cell, sizeof cell, b->band_latency_ms);
            td(w, NULL, cell);
            if (!d.phases) {
                tg_svg_printf(w, "<td colspan=\"%d\" class=\"k\">not measured (this input "
                                 "has no phase columns)</td>", TG_COMP_COUNT);
            } else {
                for (int g = 0; g < TG_COMP_COUNT; g++) {
                    if (isfinite(b->comp_ms[g]))
                        snprintf(cell, sizeof cell, "%.1f", b->comp_ms[g]);
                    else
                        snprintf(cell, sizeof cell, "n/a");
                    td(w, NULL, cell);
                }
            }
            tg_svg_raw(w, "</tr>\n");
        }
    }
    tg_svg_raw(w, "</table>\n");
    return 0;
}

static void figure(struct tg_svg *w, const struct tg_buf *svg, const char *id,
                   const char *caption)
{
    tg_svg_printf(w, "<figure id=\"%s\">\n", id);
    /* The SVG documents come from plots*.c, which escapes every string.  Inline
     * SVG needs no namespace declaration in HTML; dropping it keeps the page
     * free of any URL in markup. */
    static const char ns[] = " xmlns=\"http://www.w3.org/2000/svg\"";
    if (svg->data) {
        const char *d = svg->data;
        if (!strncmp(d, "<svg", 4) && !strncmp(d + 4, ns, sizeof ns - 1)) {
            tg_svg_raw(w, "<svg");
            d += 4 + sizeof ns - 1;
        }
        tg_svg_raw(w, d);
    }
    tg_svg_raw(w, "<figcaption>");
    tg_svg_raw(w, caption);   /* a constant from this file */
    tg_svg_raw(w, "</figcaption>\n</figure>\n");
}

/* One curve as a figure: drawn by report/curve.c (which escapes every
 * string) without its namespace declaration, as figure() does; the caption
 * is escaped here. */
static int curve_figure(struct tg_svg *w, const struct tg_report_curve *c, size_t i)
{
    struct tg_buf b = TG_BUF_INIT(0);
    struct tg_svg s;
    tg_svg_init(&s, NULL, &b);
    int rc = tg_curve_svg(&s, &c->curve, TG_PLOT_WIDTH, 520);
    if (rc) {
        tg_buf_free(&b);
        return rc;
    }
    tg_svg_raw(w, "<h3>");
    esc(w, c->heading);
    tg_svg_raw(w, "</h3>\n");
    char id[32];
    snprintf(id, sizeof id, "fig-curve-%zu", i);
    tg_svg_printf(w, "<figure id=\"%s\" class=\"curve\">\n", id);
    static const char ns[] = " xmlns=\"http://www.w3.org/2000/svg\"";
    const char *d = b.data;
    if (!strncmp(d, "<svg", 4) && !strncmp(d + 4, ns, sizeof ns - 1)) {
        tg_svg_raw(w, "<svg");
        d += 4 + sizeof ns - 1;
    }
    tg_svg_raw(w, d);
    tg_svg_raw(w, "<figcaption><b class=\"curve-caption\">");
    esc(w, c->caption);
    tg_svg_raw(w, "</b> From <code>");
    esc(w, c->source);
    tg_svg_raw(w, "</code>.</figcaption>\n</figure>\n");
    tg_buf_free(&b);
    return 0;
}

int tg_report_html(const struct tg_report_page *p, const struct tg_buf svg[TG_CHART_COUNT],
                   struct tg_buf *out)
{
    if (!p || !svg || !out || !p->runs || p->nruns == 0 || p->nruns > 2 || !p->info)
        return TG_EINVAL;
    struct tg_svg w;
    tg_svg_init(&w, NULL, out);
    const char *title = p->title ? p->title : "tailgate report";

    tg_svg_raw(&w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                   "<meta name=\"generator\" content=\"tailgate report\">\n<title>");
    esc(&w, title);
    tg_svg_raw(&w, "</title>\n<style>\n");
    tg_svg_raw(&w, css);
    tg_svg_raw(&w, "</style>\n</head>\n<body>\n<h1>");
    esc(&w, title);
    tg_svg_raw(&w, "</h1>\n<p class=\"meta\">Generated ");
    esc(&w, p->generated_utc);
    tg_svg_raw(&w, " by tailgate ");
    esc(&w, p->tool_version);
    tg_svg_printf(&w, " &#183; SLA: P95 &#8804; %g ms &#183; ", p->sla_ms);
    for (size_t k = 0; k < p->nruns; k++) {
        if (k)
            tg_svg_raw(&w, " &#183; ");
        tg_svg_raw(&w, "<b>");
        esc(&w, p->runs[k].name);
        tg_svg_raw(&w, "</b>: <code>");
        esc(&w, p->info[k].source);
        tg_svg_raw(&w, "</code> (");
        esc(&w, p->info[k].kind);
        tg_svg_raw(&w, ")");
    }
    tg_svg_raw(&w, "</p>\n");
    for (size_t i = 0; i < p->notes_n; i++) {
        tg_svg_raw(&w, "<p class=\"note\">");
        esc(&w, p->notes[i]);
        tg_svg_raw(&w, "</p>\n");
    }

    /* Verdict: from comparison.json only; without it the page says so. */
    if (p->verdict) {
        const char *v = p->verdict;
        const char *cls = !strcmp(v, "PASS") ? "PASS" : !strcmp(v, "FAIL") ? "FAIL"
                                                                          : "INCONCLUSIVE";
        tg_svg_printf(&w, "<div class=\"banner %s\" id=\"verdict\"><b class=\"v\">", cls);
        esc(&w, v);
        tg_svg_raw(&w, "</b>");
        esc(&w, p->verdict_detail);
        tg_svg_raw(&w, "</div>\n");
    } else if (p->nruns == 2) {
        tg_svg_raw(&w, "<div class=\"banner NONE\" id=\"verdict\"><b class=\"v\">NO VERDICT"
                       "</b>no comparison.json found (run <code>tailgate compare -o DIR "
                       "BEFORE AFTER</code> and pass <code>-o DIR/report.html</code>)</div>\n");
    }

    /* Summary and comparison side by side, facts below: the charts then start
     * within the first screen of a 1280-pixel window. */
    tg_svg_raw(&w, "<h2>Summary</h2>\n<div class=\"row\">\n<div class=\"col\">"
                   "<h3>From the rows</h3>\n");
    int rc = summary_table(&w, p);
    if (rc)
        return rc;
    tg_svg_raw(&w, "<p class=\"meta narrow\">Computed by <code>tailgate report</code>: "
                   "nearest-rank percentiles over every input, a failed input counting as "
                   "infinitely slow (as the SLA gate counts it).</p>\n</div>\n");

    if (p->cmp_source) {
        tg_svg_raw(&w, "<div class=\"col\"><h3>From <code>");
        esc(&w, p->cmp_source);
        tg_svg_raw(&w, "</code></h3>\n");
        if (p->cmp.rows > 0 && p->cmp.cols > 0 && p->cmp.cells) {
            tg_svg_raw(&w, "<table id=\"comparison\">\n");
            for (size_t r = 0; r < p->cmp.rows; r++) {
                tg_svg_raw(&w, "<tr>");
                for (size_t c = 0; c < p->cmp.cols; c++) {
                    const char *cell = p->cmp.cells[r * p->cmp.cols + c];
                    const char *tag = r == 0 ? "th" : "td";
                    tg_svg_printf(&w, c == 0 ? "<%s class=\"k\">" : "<%s>", tag);
                    esc(&w, cell);
                    tg_svg_printf(&w, "</%s>", tag);
                }
                tg_svg_raw(&w, "</tr>\n");
            }
            tg_svg_raw(&w, "</table>\n");
        }
        tg_svg_raw(&w, "</div>\n");
    }
    tg_svg_raw(&w, "</div>\n");
    if (p->cmp_kv_n) {
        /* Workload, outputs and SLA facts as one compact paragraph. */
        tg_svg_raw(&w, "<p class=\"facts\" id=\"facts\">");
        for (size_t i = 0; i < p->cmp_kv_n; i++) {
            tg_svg_raw(&w, i ? " &#183; <b>" : "<b>");
            esc(&w, p->cmp_kv[i].key);
            tg_svg_raw(&w, "</b>&#160;");
            esc(&w, p->cmp_kv[i].value);
        }
        tg_svg_raw(&w, "</p>\n");
    }

    tg_svg_raw(&w, "<h2>Latency distribution</h2>\n");
    figure(&w, &svg[TG_CHART_CDF], "fig-cdf",
           "Share of inputs completed within each latency (log axis). Where a curve crosses "
           "95 % must lie left of the SLA line for the P95 SLA to hold. Before: dashed line, "
           "hollow markers; After: solid line, filled markers. A curve that stops below "
           "100 % has failed inputs.");
    figure(&w, &svg[TG_CHART_HISTOGRAM], "fig-histogram",
           "Inputs per latency bin; 40 bins of equal width on the log axis, shared by both "
           "runs. Ok inputs only.");
    tg_svg_raw(&w, "<h2>Latency over time</h2>\n");
    figure(&w, &svg[TG_CHART_TIMELINE], "fig-timeline",
           "One dot per input: x is its timestamp_ms minus the run's first timestamp_ms, y "
           "its latency. A ramp at the start shows a queue building up; horizontal bands "
           "show inputs served together (batches) or waiting behind the same execution.");
    tg_svg_raw(&w, "<h2>Where the time goes</h2>\n");
    figure(&w, &svg[TG_CHART_PHASES], "fig-phases",
           "The breakdown analysis.md prints (one computation): the mean of each "
           "component over the ok inputs ranked 45&#8211;55 % (P50), 92.5&#8211;97.5 % "
           "(P95) and 98.5&#8211;99.5 % (P99); the black tick is the exact nearest-rank "
           "percentile. client queue = client_queue_ms &#8722; connect_ms + the time after "
           "the response; server queue / compute from Server-Timing, transfer = service "
           "&#8722; both; without Server-Timing server = ttfb and transfer = service "
           "&#8722; ttfb. Latency-only CSVs (input.py) have no phases.");
    rc = phase_table(&w, p);
    if (rc)
        return rc;

    if (p->nextra && p->extra) {
        tg_svg_raw(&w, "<h2>The server's own metrics</h2>\n");
        for (size_t i = 0; i < p->nextra; i++) {
            char id[32];
            snprintf(id, sizeof id, "fig-server-%zu", i);
            figure(&w, p->extra[i].svg, id, p->extra[i].caption);
        }
    }

    if (p->ncurves && p->curves) {
        tg_svg_raw(&w, "<h2>Capacity and load sweeps</h2>\n<p class=\"meta narrow\">P50, P95 "
                       "and P99 latency (left axis) and throughput (right axis, dashed) against "
                       "the offered load, one measured point each; the verdict of each point's "
                       "SLOs on its P95 marker (PASS filled circle, FAIL cross, INCONCLUSIVE "
                       "diamond), the SLA as a dotted line, the capacity limit or the sweep's "
                       "knee as a dashed vertical line.</p>\n");
        for (size_t i = 0; i < p->ncurves; i++)
            if ((rc = curve_figure(&w, &p->curves[i], i)))
                return rc;
    }

    if (p->analysis_text || p->analysis_n) {
        tg_svg_raw(&w, "<h2>Analysis</h2>\n<p class=\"meta\">From <code>");
        esc(&w, p->analysis_source);
        tg_svg_raw(&w, "</code></p>\n");
        if (p->analysis_n)
            kv_table(&w, p->analysis_kv, p->analysis_n);
        if (p->analysis_text) {
            tg_svg_raw(&w, "<pre id=\"analysis\">");
            esc(&w, p->analysis_text);
            tg_svg_raw(&w, "</pre>\n");
        }
    }

    tg_svg_raw(&w, "<h2>Environment and commands</h2>\n");
    for (size_t k = 0; k < p->nruns; k++) {
        const struct tg_report_run_info *in = &p->info[k];
        tg_svg_raw(&w, "<h3>");
        esc(&w, p->runs[k].name);
        tg_svg_raw(&w, ": <code>");
        esc(&w, in->source);
        tg_svg_raw(&w, "</code></h3>\n");
        if (in->command) {
            if (in->command_origin) {
                tg_svg_raw(&w, "<p class=\"meta\">");
                esc(&w, in->command_origin);
                tg_svg_raw(&w, ":</p>\n");
            }
            tg_svg_raw(&w, "<pre class=\"cmd\">");
            esc(&w, in->command);
            tg_svg_raw(&w, "</pre>\n");
        }
        if (in->env_n)
            kv_table(&w, in->env, in->env_n);
        else if (!in->command)
            tg_svg_raw(&w, "<p class=\"meta\">No summary.json next to this run: configuration "
                           "and environment unknown.</p>\n");
    }
    tg_svg_raw(&w, "</body>\n</html>\n");
    return tg_svg_error(&w);
}
