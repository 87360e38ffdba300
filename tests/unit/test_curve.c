/* Unit tests of src/report/curve: the latency-against-load chart is
 * well-formed XML, its lines and markers invert to the data through the
 * data-* axis mappings, bad arguments are refused, titles are escaped; and
 * the report page's curve section (report/html.c). */
#include "test.h"

#include "core/buf.h"
#include "core/error.h"
#include "report/curve.h"
#include "report/html.h"
#include "report/svg.h"
#include "svgcheck.h"

#include <unistd.h>

TEST_MAIN()

TEST(xml_check_itself)
{
    CHECK_UINT_EQ(0, xml_check("<a x=\"1\"><b/>t &amp; u</a>"));
    CHECK(xml_check("<a><b></a></b>") != 0);
    CHECK(xml_check("<a>x < y</a>") != 0);
    CHECK(xml_check("<a>&nbsp;</a>") != 0);
    CHECK(xml_check("<a x=1></a>") != 0);
    CHECK(xml_check("<a>") != 0);
}

static const struct tg_curve_point known[4] = {
    /* unsorted on purpose: the chart sorts a copy by load */
    { 4, 20.1, 100, 180, 260, "INCONCLUSIVE" },
    { 1, 19.0, 50, 55, 60, "PASS" },
    { 8, 20.2, 200, 350, 420, "FAIL" },
    { 2, 19.8, 60, 90, 110, "pass" },
};
static const double sorted_load[4] = { 1, 2, 4, 8 };
static const double sorted_pct[3][4] = {
    { 50, 60, 100, 200 }, { 55, 90, 180, 350 }, { 60, 110, 260, 420 } };
static const double sorted_tput[4] = { 19.0, 19.8, 20.1, 20.2 };

static char *draw(const struct tg_curve *c)
{
    struct tg_buf b = TG_BUF_INIT(0);
    struct tg_svg s;
    tg_svg_init(&s, NULL, &b);
    int rc = tg_curve_svg(&s, c, 1160, 520);
    if (rc) {
        fprintf(stderr, "  tg_curve_svg: %d\n", rc);
        tg_buf_free(&b);
        return NULL;
    }
    return b.data;
}

TEST(curve_lines_and_markers_invert_to_the_data)
{
    struct tg_curve c = { .title = "Sweep <1>", .load_label = "concurrency",
                          .points = known, .npoints = 4,
                          .sla_ms = 300, .sla_label = "SLA P95 300 ms", .limit_load = 4 };
    char *svg = draw(&c);
    REQUIRE(svg != NULL);
    CHECK_UINT_EQ(0, xml_check(svg));
    CHECK(strstr(svg, "<title>Sweep &lt;1&gt;</title>") != NULL);

    struct tg_scale x, y, y2;
    REQUIRE(read_scale(svg, "x", &x) == 0);
    REQUIRE(read_scale(svg, "y", &y) == 0);
    REQUIRE(read_scale(svg, "y2", &y2) == 0);
    CHECK(!x.log);
    CHECK(!y.log);
    CHECK_DBL_NEAR(0, x.d0, 0);
    CHECK(x.d1 >= 8);
    CHECK(y.d1 >= 420);
    CHECK(y2.d1 >= 20.2);
    printf("  x %g..%g -> %g..%g px, y %g..%g -> %g..%g px, y2 %g..%g\n", x.d0, x.d1, x.p0,
           x.p1, y.d0, y.d1, y.p0, y.p1, y2.d0, y2.d1);

    static const char *const cls[3] = { "series p50", "series p95", "series p99" };
    for (int k = 0; k < 3; k++) {
        double xs[8], ys[8];
        size_t n = read_polyline(svg, cls[k], xs, ys, 8);
        CHECK_UINT_EQ(4, n);
        for (size_t i = 0; i < n && i < 4; i++) {
            /* Coordinates are written to 0.01 px: well inside 0.01 data units here. */
            CHECK_DBL_NEAR(sorted_load[i], tg_scale_invert(&x, xs[i]), 0.01);
            CHECK_DBL_NEAR(sorted_pct[k][i], tg_scale_invert(&y, ys[i]), 0.05);
        }
    }
    double xs[8], ys[8];
    size_t n = read_polyline(svg, "series throughput", xs, ys, 8);
    CHECK_UINT_EQ(4, n);
    for (size_t i = 0; i < n && i < 4; i++) {
        CHECK_DBL_NEAR(sorted_load[i], tg_scale_invert(&x, xs[i]), 0.01);
        CHECK_DBL_NEAR(sorted_tput[i], tg_scale_invert(&y2, ys[i]), 0.01);
    }
    CHECK(strstr(svg, "stroke-dasharray=\"6 4\" class=\"series throughput\"") != NULL);

    /* SLA: a horizontal line at 300 ms across the plot, with its label. */
    double x1, y1, x2, yy2;
    REQUIRE(read_line(svg, "sla", &x1, &y1, &x2, &yy2) == 0);
    CHECK_DBL_NEAR(y1, yy2, 0);
    CHECK_DBL_NEAR(300, tg_scale_invert(&y, y1), 0.05);
    CHECK_DBL_NEAR(x.p0, x1, 0.01);
    CHECK_DBL_NEAR(x.p1, x2, 0.01);
    CHECK(strstr(svg, ">SLA P95 300 ms</text>") != NULL);
    /* Limit: a vertical line at load 4. */
    REQUIRE(read_line(svg, "limit", &x1, &y1, &x2, &yy2) == 0);
    CHECK_DBL_NEAR(x1, x2, 0);
    CHECK_DBL_NEAR(4, tg_scale_invert(&x, x1), 0.01);
    CHECK(strstr(svg, ">limit 4</text>") != NULL);

    /* Markers: 4 per percentile, 4 for throughput; verdicts (case-insensitive),
     * each once on the plot and once in the legend. */
    CHECK_UINT_EQ(4, count(svg, "class=\"marker p95\""));
    CHECK_UINT_EQ(4, count(svg, "class=\"marker throughput\""));
    CHECK_UINT_EQ(2, count(svg, "class=\"verdict pass\""));
    CHECK_UINT_EQ(1, count(svg, "class=\"verdict fail\""));
    CHECK_UINT_EQ(1, count(svg, "class=\"verdict inconclusive\""));
    CHECK_UINT_EQ(1, count(svg, "class=\"verdict pass legend\""));
    CHECK_UINT_EQ(1, count(svg, "class=\"verdict inconclusive legend\""));
    /* The FAIL cross sits on load 8's P95. */
    const char *f = strstr(svg, "class=\"verdict fail\" data-cx=\"");
    REQUIRE(f != NULL);
    double cx, cy;
    REQUIRE(sscanf(f, "class=\"verdict fail\" data-cx=\"%lf\" data-cy=\"%lf\"", &cx, &cy) == 2);
    CHECK_DBL_NEAR(8, tg_scale_invert(&x, cx), 0.01);
    CHECK_DBL_NEAR(350, tg_scale_invert(&y, cy), 0.05);
    /* Legend entries. */
    CHECK(strstr(svg, ">P50</text>") && strstr(svg, ">P95</text>") && strstr(svg, ">P99</text>"));
    CHECK(strstr(svg, ">throughput</text>") != NULL);
    CHECK(strstr(svg, ">throughput (inputs/s)</text>") != NULL);
    CHECK(strstr(svg, ">concurrency</text>") != NULL);
    free(svg);
}

TEST(curve_log_axis_missing_values_and_no_extras)
{
    struct tg_curve_point pts[3] = {
        { 5, NAN, 2, 3, 4, NULL },
        { 10, 9.9, NAN, 30, 40, NULL },
        { 15, 12, 200, 2000, INFINITY, "FAIL" },
    };
    /* No load label (the default "load"), no SLA, no limit. */
    struct tg_curve c = { .title = "log", .points = pts, .npoints = 3, .log_latency = true };
    char *svg = draw(&c);
    REQUIRE(svg != NULL);
    CHECK_UINT_EQ(0, xml_check(svg));
    struct tg_scale y, y2, x;
    REQUIRE(read_scale(svg, "y", &y) == 0);
    REQUIRE(read_scale(svg, "x", &x) == 0);
    CHECK(y.log);
    CHECK(y.d0 <= 2 && y.d1 >= 2000);
    double xs[8], ys[8];
    CHECK_UINT_EQ(2, read_polyline(svg, "series p50", xs, ys, 8));
    CHECK_DBL_NEAR(2, tg_scale_invert(&y, ys[0]), 0.01);
    CHECK_DBL_NEAR(200, tg_scale_invert(&y, ys[1]), 1);
    CHECK_DBL_NEAR(15, tg_scale_invert(&x, xs[1]), 0.01);
    CHECK_UINT_EQ(2, read_polyline(svg, "series p99", xs, ys, 8));    /* +inf skipped */
    CHECK_UINT_EQ(2, read_polyline(svg, "series throughput", xs, ys, 8)); /* NAN skipped */
    REQUIRE(read_scale(svg, "y2", &y2) == 0);
    CHECK_DBL_NEAR(9.9, tg_scale_invert(&y2, ys[0]), 0.01);
    CHECK(strstr(svg, "class=\"sla\"") == NULL);
    CHECK(strstr(svg, "class=\"limit\"") == NULL);
    CHECK(strstr(svg, ">load</text>") != NULL);
    CHECK_UINT_EQ(1, count(svg, "class=\"verdict fail\""));
    CHECK(strstr(svg, "verdict pass") == NULL);
    free(svg);

    /* One point only, no throughput at all: no right axis. */
    struct tg_curve_point one = { 0, NAN, 10, 20, 30, NULL };
    struct tg_curve c1 = { .title = "one", .load_label = "rate", .points = &one, .npoints = 1 };
    svg = draw(&c1);
    REQUIRE(svg != NULL);
    CHECK_UINT_EQ(0, xml_check(svg));
    CHECK(strstr(svg, "data-y2-scale") == NULL);
    CHECK_UINT_EQ(1, count(svg, "class=\"marker p50\""));
    free(svg);
}

TEST(curve_rejects_bad_arguments)
{
    struct tg_buf b = TG_BUF_INIT(0);
    struct tg_svg s;
    tg_svg_init(&s, NULL, &b);
    struct tg_curve_point bad[2] = { { 1, 1, 1, 1, 1, NULL }, { NAN, 1, 1, 1, 1, NULL } };
    struct tg_curve c = { .title = "t", .load_label = "x", .points = bad, .npoints = 2 };
    CHECK_INT_EQ(TG_EINVAL, tg_curve_svg(&s, &c, 1160, 520));
    bad[1].load = -1;
    CHECK_INT_EQ(TG_EINVAL, tg_curve_svg(&s, &c, 1160, 520));
    bad[1].load = INFINITY;
    CHECK_INT_EQ(TG_EINVAL, tg_curve_svg(&s, &c, 1160, 520));
    c.npoints = 0;
    CHECK_INT_EQ(TG_EINVAL, tg_curve_svg(&s, &c, 1160, 520));
    c.npoints = 1;
    c.points = NULL;
    CHECK_INT_EQ(TG_EINVAL, tg_curve_svg(&s, &c, 1160, 520));
    c.points = bad;
    CHECK_INT_EQ(TG_EINVAL, tg_curve_svg(&s, &c, 10, 520));
    CHECK_INT_EQ(TG_EINVAL, tg_curve_svg(&s, &c, 1160, NAN));
    CHECK_INT_EQ(TG_EINVAL, tg_curve_svg(NULL, &c, 1160, 520));
    CHECK_INT_EQ(TG_EINVAL, tg_curve_svg(&s, NULL, 1160, 520));
    CHECK_INT_EQ(TG_EINVAL, tg_curve_write(NULL, &c));
    CHECK_UINT_EQ(0, b.len);  /* nothing written on a refusal */
    CHECK_INT_EQ(0, tg_curve_svg(&s, &c, 1160, 520));
    CHECK(b.len > 0);
    tg_buf_free(&b);

    /* A capped buffer: the writer's error comes back. */
    struct tg_buf small = TG_BUF_INIT(256);
    tg_svg_init(&s, NULL, &small);
    CHECK_INT_EQ(TG_ENOMEM, tg_curve_svg(&s, &c, 1160, 520));
    tg_buf_free(&small);
}

TEST(curve_escapes_titles_and_labels)
{
    struct tg_curve_point p = { 3, 10, 20, 30, 40, "PASS" };
    struct tg_curve c = { .title = "</title><script>alert('x')</script>&",
                          .load_label = "a \"load\" <b>", .points = &p, .npoints = 1,
                          .sla_ms = 25, .sla_label = "SLA <p95> & \"x\"",
                          .limit_load = 3, .limit_label = "knee <&>" };
    char *svg = draw(&c);
    REQUIRE(svg != NULL);
    CHECK_UINT_EQ(0, xml_check(svg));
    CHECK(strstr(svg, "<script") == NULL);
    CHECK(strstr(svg, "<title>&lt;/title&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"
                      "</title>") != NULL);
    CHECK(strstr(svg, ">a &quot;load&quot; &lt;b&gt;</text>") != NULL);
    CHECK(strstr(svg, ">SLA &lt;p95&gt; &amp; &quot;x&quot;</text>") != NULL);
    CHECK(strstr(svg, ">knee &lt;&amp;&gt; 3</text>") != NULL);
    free(svg);
}

TEST(curve_write_is_a_whole_file)
{
    char dir[] = "/tmp/tg-curve-XXXXXX";
    REQUIRE(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/c.svg", dir);
    /* An SLA without a label: the default "SLA". */
    struct tg_curve c = { .title = "w", .load_label = "rate", .points = known, .npoints = 4,
                          .sla_ms = 300 };
    CHECK_INT_EQ(0, tg_curve_write(path, &c));
    FILE *f = fopen(path, "r");
    REQUIRE(f != NULL);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    CHECK(n > 1000);
    CHECK(!strncmp(text, "<svg ", 5));
    CHECK(strstr(text, "</svg>\n") != NULL);
    CHECK_UINT_EQ(0, xml_check(text));
    CHECK(strstr(text, ">SLA</text>") != NULL);   /* default label */
    unlink(path);
    rmdir(dir);
}

TEST(report_page_draws_curves_inline_and_escaped)
{
    static double lat[3] = { 10, 20, 30 }, ts[3] = { 1000, 1001, 1002 };
    struct tg_plot_run run = { "Run", 3, lat, ts, NULL, { NULL } };
    struct tg_buf svg[TG_CHART_COUNT];
    for (int i = 0; i < TG_CHART_COUNT; i++)
        svg[i] = (struct tg_buf)TG_BUF_INIT(0);
    REQUIRE(tg_report_render_charts(&run, 1, 800, svg) == 0);
    struct tg_report_run_info info = { "r.csv", "tailgate run", NULL, NULL, NULL, 0 };
    struct tg_report_curve curves[2] = {
        { .heading = "Capacity: <before>", .caption = "Meets the SLA (latency:p95<=800ms) up to 14.2 inputs/s.",
          .source = "a&b/capacity.json",
          .curve = { .title = "Capacity", .load_label = "offered rate (inputs/s)", .points = known,
                     .npoints = 4, .sla_ms = 300, .limit_load = 4 } },
        { .heading = "Sweep", .caption = "Knee at concurrency 1.", .source = "sweep.json",
          .curve = { .title = "Sweep", .points = known, .npoints = 4, .limit_load = 1,
                     .limit_label = "knee" } },
    };
    struct tg_report_page pg = {
        .title = "t", .generated_utc = "2026-01-01T00:00:00Z", .tool_version = "0", .sla_ms = 800,
        .runs = &run, .nruns = 1, .info = &info, .curves = curves, .ncurves = 2,
    };
    struct tg_buf out = TG_BUF_INIT(0);
    REQUIRE(tg_report_html(&pg, svg, &out) == 0);
    const char *h = out.data;
    CHECK(strstr(h, "<h2>Capacity and load sweeps</h2>") != NULL);
    CHECK(strstr(h, "<h3>Capacity: &lt;before&gt;</h3>") != NULL);
    CHECK(strstr(h, "<b class=\"curve-caption\">Meets the SLA (latency:p95&lt;=800ms) up to 14.2 "
                    "inputs/s.</b> From <code>a&amp;b/capacity.json</code>") != NULL);
    CHECK(strstr(h, "id=\"fig-curve-0\"") && strstr(h, "id=\"fig-curve-1\""));
    CHECK_UINT_EQ(2, count(h, "id=\"curve-plot\""));
    CHECK(strstr(h, ">knee 1</text>") != NULL);
    CHECK(strstr(h, "http://") == NULL);   /* inline SVG without its namespace URL */
    tg_buf_free(&out);

    /* A curve that cannot be drawn fails the page, as a chart would. */
    struct tg_curve_point bad = { NAN, 1, 1, 1, 1, NULL };
    curves[1].curve.points = &bad;
    curves[1].curve.npoints = 1;
    struct tg_buf out2 = TG_BUF_INIT(0);
    CHECK_INT_EQ(TG_EINVAL, tg_report_html(&pg, svg, &out2));
    tg_buf_free(&out2);
    /* No curves: no section. */
    pg.ncurves = 0;
    struct tg_buf out3 = TG_BUF_INIT(0);
    REQUIRE(tg_report_html(&pg, svg, &out3) == 0);
    CHECK(strstr(out3.data, "Capacity and load sweeps") == NULL);
    tg_buf_free(&out3);
    for (int i = 0; i < TG_CHART_COUNT; i++)
        tg_buf_free(&svg[i]);
}
