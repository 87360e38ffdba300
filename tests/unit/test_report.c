/* Unit tests of src/report: escaping, scales and ticks, the SVG writer's
 * error handling, run statistics, the phase breakdown, and the charts'
 * coordinates read back and inverted to the data. */
#include "test.h"

#include "core/buf.h"
#include "core/error.h"
#include "report/html.h"
#include "report/plots.h"
#include "report/svg.h"
#include "svgcheck.h"

TEST_MAIN()

/* ---- escaping ------------------------------------------------------------------ */

TEST(xml_escape_table)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "", "" },
        { "plain text 123", "plain text 123" },
        { "a<b>c", "a&lt;b&gt;c" },
        { "Tom & \"Jerry\" 'x'", "Tom &amp; &quot;Jerry&quot; &#39;x&#39;" },
        { "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;" },
        { "tab\tnl\n", "tab\tnl\n" },
        { "bell\x07" "esc\x1b", "bell\xEF\xBF\xBD" "esc\xEF\xBF\xBD" },
        { "caf\xC3\xA9 \xE2\x89\xA4 \xF0\x9F\x98\x80", "caf\xC3\xA9 \xE2\x89\xA4 \xF0\x9F\x98\x80" },
        { "bad \xC3 end", "bad \xEF\xBF\xBD end" },             /* truncated sequence */
        { "over \xC0\xAF", "over \xEF\xBF\xBD\xEF\xBF\xBD" },   /* overlong '/' */
        { "sur \xED\xA0\x80", "sur \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" }, /* surrogate */
        { "\xEF\xBF\xBF", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },           /* U+FFFF */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tg_buf b = TG_BUF_INIT(0);
        CHECK_INT_EQ(0, tg_xml_escape(&b, cases[i].in));
        CHECK_STR_EQ(cases[i].out, b.data);
        tg_buf_free(&b);
    }
}

TEST(svg_text_is_escaped_and_writer_errors_are_sticky)
{
    struct tg_buf b = TG_BUF_INIT(0);
    struct tg_svg s;
    tg_svg_init(&s, NULL, &b);
    tg_svg_text(&s, 1, 2, 12, TG_SVG_MIDDLE, 0, 0, "\"><x", "</text><script>&");
    CHECK_INT_EQ(0, tg_svg_error(&s));
    CHECK(strstr(b.data, "&lt;/text&gt;&lt;script&gt;&amp;</text>") != NULL);
    CHECK(strstr(b.data, "fill=\"&quot;&gt;&lt;x\"") != NULL);
    CHECK(strstr(b.data, "<script") == NULL);
    tg_buf_free(&b);

    /* A buffer capped at 64 bytes: the first write that does not fit fails,
     * and the writer stays failed. */
    struct tg_buf small = TG_BUF_INIT(64);
    tg_svg_init(&s, NULL, &small);
    tg_svg_begin(&s, 100, 100, "title");
    CHECK_INT_EQ(TG_ENOMEM, tg_svg_error(&s));
    size_t len = small.len;
    tg_svg_raw(&s, "x");
    CHECK_UINT_EQ(len, small.len);
    tg_buf_free(&small);

    /* No sink at all. */
    tg_svg_init(&s, NULL, NULL);
    CHECK_INT_EQ(TG_EINVAL, tg_svg_error(&s));
}

TEST(svg_writes_to_a_file)
{
    char *mem = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&mem, &n);
    REQUIRE(f != NULL);
    struct tg_svg s;
    tg_svg_init(&s, f, NULL);
    tg_svg_begin(&s, 200, 100, "a & b");
    tg_svg_circle(&s, 10, 20, 3, NULL);
    tg_svg_end(&s);
    CHECK_INT_EQ(0, tg_svg_error(&s));
    fclose(f);
    CHECK(strstr(mem, "<title>a &amp; b</title>") != NULL);
    CHECK(strstr(mem, "<circle cx=\"10.00\" cy=\"20.00\" r=\"3.00\"/>") != NULL);
    CHECK(strstr(mem, "</svg>\n") != NULL);
    free(mem);
}

/* ---- scales ----------------------------------------------------------------------- */

TEST(scale_linear_and_log_round_trip)
{
    struct tg_scale lin = { 0, 0, 1000, 100, 1100 };
    CHECK_DBL_NEAR(100, tg_scale_map(&lin, 0), 1e-9);
    CHECK_DBL_NEAR(600, tg_scale_map(&lin, 500), 1e-9);
    CHECK_DBL_NEAR(250, tg_scale_invert(&lin, 350), 1e-9);

    struct tg_scale y = { 0, 0, 100, 400, 0 };   /* upwards */
    CHECK_DBL_NEAR(400, tg_scale_map(&y, 0), 1e-9);
    CHECK_DBL_NEAR(20, tg_scale_map(&y, 95), 1e-9);

    struct tg_scale lg = { 1, 10, 10000, 0, 300 };
    CHECK_DBL_NEAR(0, tg_scale_map(&lg, 10), 1e-9);
    CHECK_DBL_NEAR(100, tg_scale_map(&lg, 100), 1e-9);
    CHECK_DBL_NEAR(200, tg_scale_map(&lg, 1000), 1e-9);
    CHECK_DBL_NEAR(0, tg_scale_map(&lg, 0), 1e-9);      /* clamped to the domain start */
    CHECK_DBL_NEAR(0, tg_scale_map(&lg, -5), 1e-9);
    static const double vals[] = { 10, 12.5, 48.2, 800, 999.9, 10000 };
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        CHECK_DBL_NEAR(vals[i], tg_scale_invert(&lg, tg_scale_map(&lg, vals[i])), vals[i] * 1e-9);

    struct tg_scale degenerate = { 0, 5, 5, 0, 100 };
    CHECK_DBL_NEAR(50, tg_scale_map(&degenerate, 5), 1e-9);
}

TEST(scale_nice_and_ticks)
{
    static const struct {
        int log;
        double lo, hi, nlo, nhi;
    } nice[] = {
        { 1, 48.5, 1117, 20, 2000 },
        { 1, 60, 86, 50, 100 },
        { 1, 10, 1000, 10, 1000 },
        { 1, 0, 0, 1, 10 },
        { 0, 0, 1117, 0, 1200 },
        { 0, 0, 9.1, 0, 10 },
        { 0, 0, 0, 0, 1 },
    };
    for (size_t i = 0; i < sizeof nice / sizeof nice[0]; i++) {
        double lo = nice[i].lo, hi = nice[i].hi;
        tg_scale_nice(nice[i].log, &lo, &hi);
        CHECK_DBL_NEAR(nice[i].nlo, lo, 1e-9);
        CHECK_DBL_NEAR(nice[i].nhi, hi, 1e-9);
    }

    double t[32];
    struct tg_scale lg = { 1, 20, 2000, 0, 1 };
    size_t n = tg_scale_ticks(&lg, t, 32);
    static const double want_log[] = { 20, 50, 100, 200, 500, 1000, 2000 };
    CHECK_UINT_EQ(7, n);
    for (size_t i = 0; i < n && i < 7; i++)
        CHECK_DBL_NEAR(want_log[i], t[i], 1e-9);

    struct tg_scale lin = { 0, 0, 1200, 0, 1 };
    n = tg_scale_ticks(&lin, t, 12);
    CHECK_UINT_EQ(7, n);
    for (size_t i = 0; i < n; i++)
        CHECK_DBL_NEAR(200.0 * (double)i, t[i], 1e-9);

    struct tg_scale narrow = { 1, 50, 100, 0, 1 };
    n = tg_scale_ticks(&narrow, t, 16);
    CHECK_UINT_EQ(6, n);   /* 50 60 70 80 90 100 */
    CHECK_DBL_NEAR(60, t[1], 1e-9);

    CHECK_UINT_EQ(0, tg_scale_ticks(&lin, t, 0));
}

/* ---- statistics and phases ------------------------------------------------------ */

/* Ten inputs, latency 10..100 ms, one failed (the 40 ms one). */
static double lat10[10] = { 30, 10, 20, 40, 50, 60, 70, 80, 90, 100 };
static double ts10[10] = { 1000, 1000, 1100, 1200, 1300, 1400, 1500, 1600, 1700, 1800 };
static unsigned char ok10[10] = { 1, 1, 1, 0, 1, 1, 1, 1, 1, 1 };

TEST(run_stats_count_failed_inputs_as_infinite)
{
    struct tg_plot_run r = { "Before", 10, lat10, ts10, ok10, { NULL } };
    struct tg_plot_stats st;
    CHECK_INT_EQ(0, tg_plot_run_stats(&r, 85, &st));
    CHECK_UINT_EQ(10, st.n);
    CHECK_UINT_EQ(9, st.ok);
    CHECK_UINT_EQ(1, st.failed);
    CHECK_UINT_EQ(3, st.over_sla);   /* 90, 100 and the failed one */
    CHECK_DBL_NEAR(10, st.min, 0);
    CHECK_DBL_NEAR(100, st.max, 0);
    CHECK_DBL_NEAR(510.0 / 9, st.mean, 1e-9);
    CHECK_DBL_NEAR(60, st.p50, 0);    /* rank 5 of 10,20,30,50,60,...,100,inf */
    CHECK_DBL_NEAR(100, st.p90, 0);   /* rank 9 */
    CHECK(isinf(st.p95));             /* rank 10 is the failed input */

    struct tg_plot_run all_ok = { "x", 10, lat10, ts10, NULL, { NULL } };
    CHECK_INT_EQ(0, tg_plot_run_stats(&all_ok, 85, &st));
    CHECK_DBL_NEAR(50, st.p50, 0);
    CHECK_DBL_NEAR(100, st.p95, 0);
    CHECK_UINT_EQ(2, st.over_sla);

    struct tg_plot_run empty = { "e", 0, NULL, NULL, NULL, { NULL } };
    CHECK_INT_EQ(0, tg_plot_run_stats(&empty, 85, &st));
    CHECK(isnan(st.p50));
}

TEST(phase_breakdown_band_means)
{
    /* 100 inputs, latency i+1 ms; phases chosen so that every component is a
     * known share of the latency (stats/phases.h). */
    enum { N = 100 };
    static double lat[N], ts[N], col[TG_PHASE_COL_COUNT][N];
    for (int i = 0; i < N; i++) {
        double l = i + 1;
        lat[i] = l;
        ts[i] = 0;
        col[TG_PHASE_COL_CLIENT_QUEUE][i] = 0.15 * l;   /* connect included */
        col[TG_PHASE_COL_CONNECT][i] = 0.05 * l;
        col[TG_PHASE_COL_SERVER_QUEUE][i] = 0.4 * l;
        col[TG_PHASE_COL_SERVER_COMPUTE][i] = 0.2 * l;
        col[TG_PHASE_COL_TTFB][i] = 0.7 * l;
        col[TG_PHASE_COL_SERVICE][i] = 0.8 * l;   /* 0.05 l after the response */
    }
    struct tg_plot_run r = { "r", N, lat, ts, NULL, { NULL } };
    for (int c = 0; c < TG_PHASE_COL_COUNT; c++)
        r.phase[c] = col[c];
    CHECK(tg_plot_run_has_phases(&r));

    struct tg_decomp d;
    CHECK_INT_EQ(0, tg_plot_run_decomp(&r, &d));
    CHECK(d.phases && d.server_timing);
    const struct tg_decomp_band *b = &d.band[1];
    CHECK_DBL_NEAR(95, b->pct, 0);
    CHECK_DBL_NEAR(95, b->latency_ms, 0);
    CHECK_UINT_EQ(6, b->n);                     /* ranks 93..98 (92.5 .. 97.5 %) */
    CHECK_DBL_NEAR(95.5, b->band_latency_ms, 1e-9);
    /* client queue 0.1 l + 0.05 l after, connect, queue, compute, server (not
     * separate: NAN), transfer = service - queue - compute */
    static const double share[TG_COMP_COUNT] = { 0.15, 0.05, 0.4, 0.2, NAN, 0.2 };
    double sum = 0;
    for (int g = 0; g < TG_COMP_COUNT; g++) {
        if (isnan(share[g])) {
            CHECK(isnan(b->comp_ms[g]));
            continue;
        }
        CHECK_DBL_NEAR(share[g] * 95.5, b->comp_ms[g], 1e-9);
        sum += b->comp_ms[g];
    }
    CHECK_DBL_NEAR(95.5, sum, 1e-9);
    CHECK_UINT_EQ(2, d.band[2].n);              /* ranks 99..100 */
    CHECK_DBL_NEAR(99, d.band[2].latency_ms, 0);
    CHECK_DBL_NEAR(99.5, d.band[2].band_latency_ms, 1e-9);

    /* Without phase columns: not measured, the percentile still there. */
    struct tg_plot_run bare = { "b", N, lat, ts, NULL, { NULL } };
    CHECK(!tg_plot_run_has_phases(&bare));
    CHECK_INT_EQ(0, tg_plot_run_decomp(&bare, &d));
    CHECK(!d.phases);
    CHECK_DBL_NEAR(50, d.band[0].latency_ms, 0);

    /* Nothing succeeded. */
    static unsigned char none[N];
    struct tg_plot_run failed = { "f", N, lat, ts, none, { NULL } };
    CHECK_INT_EQ(TG_EINVAL, tg_plot_run_decomp(&failed, &d));
}

/* ---- charts: read the coordinates back ---------------------------------------------- */

TEST(cdf_points_invert_to_the_data)
{
    struct tg_plot_run runs[2] = {
        { "Before", 10, lat10, ts10, ok10, { NULL } },
        { "After", 10, lat10, ts10, NULL, { NULL } },
    };
    struct tg_buf b = TG_BUF_INIT(0);
    struct tg_svg s;
    tg_svg_init(&s, NULL, &b);
    REQUIRE(tg_plot_cdf(&s, runs, 2, 800) == 0);
    CHECK_UINT_EQ(0, xml_check(b.data));
    struct tg_scale x, y;
    REQUIRE(read_scale(b.data, "x", &x) == 0);
    REQUIRE(read_scale(b.data, "y", &y) == 0);
    CHECK(x.log);
    CHECK(!y.log);

    double xs[64], ys[64];
    /* Before: 9 ok inputs, 2 points each (the step up); failed one not drawn. */
    size_t n = read_polyline(b.data, "series before", xs, ys, 64);
    CHECK_UINT_EQ(18, n);
    static const double sorted_ok[9] = { 10, 20, 30, 50, 60, 70, 80, 90, 100 };
    for (size_t i = 0; i < n / 2 && i < 9; i++) {
        double v0 = tg_scale_invert(&x, xs[2 * i]), v1 = tg_scale_invert(&x, xs[2 * i + 1]);
        /* One pixel's worth of latency on this log axis. */
        double px_ms = sorted_ok[i] * (pow(10, log10(x.d1 / x.d0) / fabs(x.p1 - x.p0)) - 1);
        CHECK_DBL_NEAR(sorted_ok[i], v0, px_ms);
        CHECK_DBL_NEAR(sorted_ok[i], v1, px_ms);
        CHECK_DBL_NEAR(10.0 * (double)i, tg_scale_invert(&y, ys[2 * i]), 0.5);
        CHECK_DBL_NEAR(10.0 * (double)(i + 1), tg_scale_invert(&y, ys[2 * i + 1]), 0.5);
    }
    /* After: all ten, topping out at 100 %. */
    n = read_polyline(b.data, "series after", xs, ys, 64);
    CHECK_UINT_EQ(20, n);
    CHECK_DBL_NEAR(100, tg_scale_invert(&y, ys[n - 1]), 0.5);
    CHECK_DBL_NEAR(100, tg_scale_invert(&x, xs[n - 1]), 1);
    /* The SLA line and its label. */
    CHECK(strstr(b.data, "class=\"sla\"") != NULL);
    CHECK(strstr(b.data, ">SLA 800 ms</text>") != NULL);
    /* The percentile markers: Before's P95 is a failed input. */
    CHECK(strstr(b.data, ">P95 failed</text>") != NULL);
    CHECK(strstr(b.data, ">P50 50.0 ms</text>") != NULL);
    tg_buf_free(&b);
}

TEST(histogram_counts_invert_to_the_data)
{
    struct tg_plot_run runs[1] = { { "Run", 10, lat10, ts10, NULL, { NULL } } };
    struct tg_buf b = TG_BUF_INIT(0);
    struct tg_svg s;
    tg_svg_init(&s, NULL, &b);
    REQUIRE(tg_plot_histogram(&s, runs, 1, 800) == 0);
    CHECK_UINT_EQ(0, xml_check(b.data));
    struct tg_scale y;
    REQUIRE(read_scale(b.data, "y", &y) == 0);
    double xs[128], ys[128];
    size_t n = read_polyline(b.data, "series before", xs, ys, 128);
    CHECK_UINT_EQ(82, n);   /* baseline, 40 bins x 2, baseline */
    double total = 0;
    for (size_t i = 1; i + 1 < n; i += 2)
        total += tg_scale_invert(&y, ys[i]);
    CHECK_DBL_NEAR(10, total, 0.5);
    tg_buf_free(&b);
}

TEST(timeline_dots_invert_to_the_data)
{
    struct tg_plot_run runs[1] = { { "Run", 10, lat10, ts10, ok10, { NULL } } };
    struct tg_buf b = TG_BUF_INIT(0);
    struct tg_svg s;
    tg_svg_init(&s, NULL, &b);
    REQUIRE(tg_plot_timeline(&s, runs, 1, 800) == 0);
    CHECK_UINT_EQ(0, xml_check(b.data));
    struct tg_scale x, y;
    REQUIRE(read_scale(b.data, "x", &x) == 0);
    REQUIRE(read_scale(b.data, "y", &y) == 0);
    size_t dots = 0;
    for (const char *p = strstr(b.data, "<circle cx=\""); p; p = strstr(p + 1, "<circle cx=\"")) {
        const char *end = strchr(p, '>');
        const char *c = strstr(p, "class=\"point before\"");
        if (!c || c > end)
            continue;
        double cx, cy;
        REQUIRE(sscanf(p, "<circle cx=\"%lf\" cy=\"%lf\"", &cx, &cy) == 2);
        double t = tg_scale_invert(&x, cx), l = tg_scale_invert(&y, cy);
        /* Find the input it stands for. */
        int found = 0;
        for (int i = 0; i < 10; i++)
            if (ok10[i] && fabs((ts10[i] - 1000) / 1000.0 - t) < 0.01 && fabs(lat10[i] - l) < 1)
                found = 1;
        CHECK(found);
        dots++;
    }
    CHECK_UINT_EQ(9, dots);
    CHECK(strstr(b.data, "class=\"failed before\"") != NULL);
    tg_buf_free(&b);
}

TEST(phases_chart_marks_unmeasured_runs)
{
    struct tg_plot_run runs[1] = { { "Before", 10, lat10, ts10, NULL, { NULL } } };
    struct tg_buf b = TG_BUF_INIT(0);
    struct tg_svg s;
    tg_svg_init(&s, NULL, &b);
    REQUIRE(tg_plot_phases(&s, runs, 1) == 0);
    CHECK_UINT_EQ(0, xml_check(b.data));
    CHECK(strstr(b.data, "phases not measured") != NULL);
    tg_buf_free(&b);
}

TEST(html_page_escapes_and_is_self_contained)
{
    struct tg_plot_run runs[2] = {
        { "Before", 10, lat10, ts10, ok10, { NULL } },
        { "After <b>", 10, lat10, ts10, NULL, { NULL } },
    };
    struct tg_buf svg[TG_CHART_COUNT];
    for (int i = 0; i < TG_CHART_COUNT; i++)
        svg[i] = (struct tg_buf)TG_BUF_INIT(0);
    REQUIRE(tg_report_render_charts(runs, 2, 800, svg) == 0);
    struct tg_report_run_info info[2] = {
        { "/tmp/a&b/requests.csv", "tailgate run", "tailgate run 'x<y'", "as <recorded>", NULL, 0 },
        { "after.csv", "latency-only CSV", NULL, NULL, NULL, 0 },
    };
    static const char *const cells[] = { "metric", "Before", "After",
                                         "P95 <ms>", "1", "2" };
    struct tg_report_page pg = {
        .title = "<script>alert('t')</script>",
        .generated_utc = "2026-01-01T00:00:00Z",
        .tool_version = "0.1.0",
        .sla_ms = 800,
        .runs = runs,
        .nruns = 2,
        .info = info,
        .cmp_source = "comparison.json",
        .verdict = "FAIL",
        .verdict_detail = "P95 > SLA & more",
        .cmp = { 2, 3, cells },
        .analysis_source = "analysis.md",
        .analysis_text = "# cause </pre><img src=x>",
    };
    struct tg_buf out = TG_BUF_INIT(0);
    REQUIRE(tg_report_html(&pg, svg, &out) == 0);
    const char *h = out.data;
    CHECK(strstr(h, "<script") == NULL);
    CHECK(strstr(h, "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;") != NULL);
    CHECK(strstr(h, "/tmp/a&amp;b/requests.csv") != NULL);
    CHECK(strstr(h, "tailgate run &#39;x&lt;y&#39;") != NULL);
    CHECK(strstr(h, "as &lt;recorded&gt;:") != NULL);
    CHECK(strstr(h, "P95 &lt;ms&gt;") != NULL);
    CHECK(strstr(h, "# cause &lt;/pre&gt;&lt;img src=x&gt;") != NULL);
    CHECK(strstr(h, "After &lt;b&gt;") != NULL);
    CHECK(strstr(h, "class=\"banner FAIL\"") != NULL);
    CHECK(strstr(h, "P95 &gt; SLA &amp; more") != NULL);
    CHECK(strstr(h, "<img") == NULL);
    CHECK(strstr(h, "https://") == NULL);
    CHECK(strstr(h, "http://") == NULL);   /* not even the SVG namespace */
    CHECK(strstr(h, "@import") == NULL);
    CHECK(strstr(h, "url(") == NULL);
    CHECK(strstr(h, "@media print") != NULL);
    /* All four charts are inline. */
    CHECK(strstr(h, "id=\"cdf-plot\"") && strstr(h, "id=\"timeline-plot\"") &&
          strstr(h, "id=\"histogram-plot\"") && strstr(h, "id=\"phases-plot\""));
    tg_buf_free(&out);
    for (int i = 0; i < TG_CHART_COUNT; i++)
        tg_buf_free(&svg[i]);

    CHECK_INT_EQ(TG_EINVAL, tg_report_html(NULL, svg, &out));
}

TEST(charts_reject_bad_arguments)
{
    struct tg_plot_run runs[3] = { { "a", 1, lat10, ts10, NULL, { NULL } },
                                   { "b", 1, lat10, ts10, NULL, { NULL } },
                                   { "c", 1, lat10, ts10, NULL, { NULL } } };
    struct tg_buf b = TG_BUF_INIT(0);
    struct tg_svg s;
    tg_svg_init(&s, NULL, &b);
    CHECK_INT_EQ(TG_EINVAL, tg_plot_cdf(&s, runs, 0, 800));
    CHECK_INT_EQ(TG_EINVAL, tg_plot_cdf(&s, runs, 3, 800));
    struct tg_plot_run nolat = { "x", 5, NULL, NULL, NULL, { NULL } };
    CHECK_INT_EQ(TG_EINVAL, tg_plot_timeline(&s, &nolat, 1, 800));
    CHECK_UINT_EQ(0, b.len);
    tg_buf_free(&b);
}

TEST(timeline_of_a_large_run_draws_each_cell_once)
{
    /* 6000 inputs on two distinct points: two dots, and a note for the rest. */
    enum { N = 6000 };
    static double lat[N], ts[N];
    for (int i = 0; i < N; i++) {
        lat[i] = i % 2 ? 100 : 200;
        ts[i] = i % 2 ? 1000 : 2000;
    }
    struct tg_plot_run runs[1] = { { "Run", N, lat, ts, NULL, { NULL } } };
    struct tg_buf b = TG_BUF_INIT(0);
    struct tg_svg s;
    tg_svg_init(&s, NULL, &b);
    REQUIRE(tg_plot_timeline(&s, runs, 1, 800) == 0);
    CHECK_UINT_EQ(0, xml_check(b.data));
    size_t dots = 0;
    for (const char *p = strstr(b.data, "class=\"point before\""); p;
         p = strstr(p + 1, "class=\"point before\""))
        dots++;
    CHECK_UINT_EQ(2, dots);
    CHECK(strstr(b.data, ">5998 inputs within 2 px of a dot already drawn are not drawn again<") != NULL);
    tg_buf_free(&b);
}
