/*
 * Unit tests of the one phase breakdown (src/stats/phases.c): on one
 * fixture requests.csv, analyze's rows (analyze/prows.h) and report's plot
 * run (report/plots.h) give the same breakdown, equal to a hand-computed one,
 * and analysis.md (analyze/report.h) and report.html (report/html.h) both
 * print those numbers.
 */
#include "test.h"

#include "analyze/analyze.h"
#include "analyze/prows.h"
#include "analyze/report.h"
#include "core/buf.h"
#include "core/error.h"
#include "report/html.h"
#include "report/plots.h"
#include "stats/phases.h"

TEST_MAIN()

/* 20 ok inputs with latency l = 10, 20, ..., 200 ms (shuffled) and one
 * failed one; client_queue 0.3 l (connect 0.1 l), ttfb 0.5 l, service 0.6 l,
 * Server-Timing queue 0.2 l and compute 0.2 l.  So per input:
 * client_queue = 0.3 l - 0.1 l + (l - 0.3 l - 0.6 l) = 0.3 l, connect 0.1 l,
 * server_queue 0.2 l, server_compute 0.2 l, transfer 0.6 l - 0.4 l = 0.2 l. */
static const char fixture[] =
    "request_id,timestamp_ms,latency_ms,status_code,ok,client_queue_ms,connect_ms,ttfb_ms,"
    "service_ms,server_queue_ms,server_compute_ms,error\n"
    "0,1000,100.000,200,1,30.000,10.000,50.000,60.000,20.000,20.000,\n"
    "1,1001,200.000,200,1,60.000,20.000,100.000,120.000,40.000,40.000,\n"
    "2,1002,10.000,200,1,3.000,1.000,5.000,6.000,2.000,2.000,\n"
    "3,1003,190.000,200,1,57.000,19.000,95.000,114.000,38.000,38.000,\n"
    "4,1004,,0,0,,,,,,,timeout\n"
    "5,1005,20.000,200,1,6.000,2.000,10.000,12.000,4.000,4.000,\n"
    "6,1006,30.000,200,1,9.000,3.000,15.000,18.000,6.000,6.000,\n"
    "7,1007,40.000,200,1,12.000,4.000,20.000,24.000,8.000,8.000,\n"
    "8,1008,50.000,200,1,15.000,5.000,25.000,30.000,10.000,10.000,\n"
    "9,1009,60.000,200,1,18.000,6.000,30.000,36.000,12.000,12.000,\n"
    "10,1010,70.000,200,1,21.000,7.000,35.000,42.000,14.000,14.000,\n"
    "11,1011,80.000,200,1,24.000,8.000,40.000,48.000,16.000,16.000,\n"
    "12,1012,90.000,200,1,27.000,9.000,45.000,54.000,18.000,18.000,\n"
    "13,1013,110.000,200,1,33.000,11.000,55.000,66.000,22.000,22.000,\n"
    "14,1014,120.000,200,1,36.000,12.000,60.000,72.000,24.000,24.000,\n"
    "15,1015,130.000,200,1,39.000,13.000,65.000,78.000,26.000,26.000,\n"
    "16,1016,140.000,200,1,42.000,14.000,70.000,84.000,28.000,28.000,\n"
    "17,1017,150.000,200,1,45.000,15.000,75.000,90.000,30.000,30.000,\n"
    "18,1018,160.000,200,1,48.000,16.000,80.000,96.000,32.000,32.000,\n"
    "19,1019,170.000,200,1,51.000,17.000,85.000,102.000,34.000,34.000,\n"
    "20,1020,180.000,200,1,54.000,18.000,90.000,108.000,36.000,36.000,\n";

/* Hand-computed, n = 20 ok inputs, nearest rank ceil(p/100 * 20):
 *   P50: window ranks 9..11 (45 .. 55 %): l = 90, 100, 110, mean 100
 *   P95: window ranks 19..20 (92.5 -> 18.5 -> 19, 97.5 -> 19.5 -> 20): 190, 200, mean 195
 *   P99: rank 20 only: 200 */
static const struct {
    double pct, latency, band_mean;
    size_t n;
    double comp[TG_COMP_COUNT];   /* client_queue, connect, server_queue, server_compute, server, transfer */
} want[TG_DECOMP_BANDS] = {
    { 50, 100, 100, 3, { 30, 10, 20, 20, NAN, 20 } },
    { 95, 190, 195, 2, { 58.5, 19.5, 39, 39, NAN, 39 } },
    { 99, 200, 200, 1, { 60, 20, 40, 40, NAN, 40 } },
};

static void check_decomp(const struct tg_decomp *d, const char *who)
{
    printf("  %s: phases %d, server_timing %d, n_ok %zu\n", who, d->phases, d->server_timing, d->n_ok);
    CHECK(d->phases && d->server_timing);
    CHECK_UINT_EQ(20, d->n_ok);
    for (int b = 0; b < TG_DECOMP_BANDS; b++) {
        const struct tg_decomp_band *x = &d->band[b];
        printf("  %s P%g: latency %g (want %g), band mean %g (want %g), rows %zu (want %zu)\n", who,
               x->pct, x->latency_ms, want[b].latency, x->band_latency_ms, want[b].band_mean, x->n,
               want[b].n);
        CHECK_DBL_NEAR(want[b].pct, x->pct, 0);
        CHECK_DBL_NEAR(want[b].latency, x->latency_ms, 1e-9);
        CHECK_DBL_NEAR(want[b].band_mean, x->band_latency_ms, 1e-9);
        CHECK_UINT_EQ(want[b].n, x->n);
        for (int j = 0; j < TG_COMP_COUNT; j++) {
            if (isnan(want[b].comp[j]))
                CHECK(isnan(x->comp_ms[j]));
            else
                CHECK_DBL_NEAR(want[b].comp[j], x->comp_ms[j], 1e-9);
        }
    }
}

/* report's view of analyze's rows: the same columns, as arrays. */
struct arrays {
    double lat[32], ts[32], col[TG_PHASE_COL_COUNT][32];
    unsigned char ok[32];
};

static void to_plot_run(const struct tg_prows *r, struct arrays *a, struct tg_plot_run *run)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct tg_prow *p = &r->v[i];
        a->lat[i] = p->latency_ms;
        a->ts[i] = p->timestamp_ms;
        a->ok[i] = p->ok;
        a->col[TG_PHASE_COL_CLIENT_QUEUE][i] = p->client_queue_ms;
        a->col[TG_PHASE_COL_CONNECT][i] = p->connect_ms;
        a->col[TG_PHASE_COL_TTFB][i] = p->ttfb_ms;
        a->col[TG_PHASE_COL_SERVICE][i] = p->service_ms;
        a->col[TG_PHASE_COL_SERVER_QUEUE][i] = p->server_queue_ms;
        a->col[TG_PHASE_COL_SERVER_COMPUTE][i] = p->server_compute_ms;
    }
    *run = (struct tg_plot_run){ "Run", r->n, a->lat, a->ts, a->ok, { NULL } };
    for (int c = 0; c < TG_PHASE_COL_COUNT; c++)
        run->phase[c] = a->col[c];
}

TEST(analysis_and_report_share_one_breakdown)
{
    struct tg_prows r = { 0 };
    char err[256];
    REQUIRE(tg_prows_parse(fixture, sizeof fixture - 1, "fixture.csv", &r, err, sizeof err) == 0);
    REQUIRE(r.n == 21);

    struct tg_decomp da, dr;
    REQUIRE(tg_decomp_compute(&r, &da) == 0);
    check_decomp(&da, "analyze");
    static struct arrays arr;
    struct tg_plot_run run;
    to_plot_run(&r, &arr, &run);
    REQUIRE(tg_plot_run_decomp(&run, &dr) == 0);
    check_decomp(&dr, "report");
    for (int b = 0; b < TG_DECOMP_BANDS; b++)
        for (int j = 0; j < TG_COMP_COUNT; j++)
            CHECK(da.band[b].comp_ms[j] == dr.band[b].comp_ms[j] ||
                  (isnan(da.band[b].comp_ms[j]) && isnan(dr.band[b].comp_ms[j])));

    /* analysis.md prints the P95 band's numbers ... */
    struct tg_analysis a = { .run = "fixture.csv", .has_run = true, .inputs = 21, .ok = 20, .failed = 1,
                             .p50_ms = 100, .p95_ms = 190, .p99_ms = 200, .has_decomp = true,
                             .decomp = da, .cause = TG_CAUSE_UNKNOWN };
    char *md = NULL;
    size_t mdlen = 0;
    FILE *f = open_memstream(&md, &mdlen);
    REQUIRE(f != NULL);
    CHECK_INT_EQ(0, tg_analysis_md(f, &a));
    fclose(f);
    const char *md_p95 = "| P95 | 190.0 | 2 | 58.5 (30 %) | 19.5 (10 %) | 39.0 (20 %) | 39.0 (20 %) | 39.0 (20 %) |";
    printf("  analysis.md wants: %s\n", md_p95);
    const char *hit = strstr(md, "| P95 |");
    printf("  analysis.md has:   %.*s\n", hit ? (int)strcspn(hit, "\n") : 0, hit ? hit : "");
    CHECK(strstr(md, md_p95) != NULL);
    CHECK(strstr(md, "| client_queue | connect | server_queue | server_compute | transfer |") != NULL);
    free(md);

    /* ... and so does report.html's phase table. */
    struct tg_buf svg[TG_CHART_COUNT];
    for (int i = 0; i < TG_CHART_COUNT; i++)
        svg[i] = (struct tg_buf)TG_BUF_INIT(0);
    REQUIRE(tg_report_render_charts(&run, 1, 1000, svg) == 0);
    struct tg_report_run_info info = { "fixture.csv", "tailgate run", NULL, NULL, NULL, 0 };
    struct tg_report_page pg = { .title = "t", .generated_utc = "2026-01-01T00:00:00Z",
                                 .tool_version = "0", .sla_ms = 1000, .runs = &run, .nruns = 1,
                                 .info = &info };
    struct tg_buf out = TG_BUF_INIT(0);
    REQUIRE(tg_report_html(&pg, svg, &out) == 0);
    const char *html_p95 = "<td>P95 (P92.5\xE2\x80\x93P97.5)</td><td>2</td><td>190.0</td><td>195.0</td>"
                           "<td>58.5</td><td>19.5</td><td>39.0</td><td>39.0</td><td>n/a</td><td>39.0</td>";
    printf("  report.html wants: %s\n", html_p95);
    hit = strstr(out.data, "<td>P95 (");
    printf("  report.html has:   %.*s\n", hit ? (int)strcspn(hit, "\n") : 0, hit ? hit : "");
    CHECK(strstr(out.data, html_p95) != NULL);
    /* the phase chart's P95 bar: one rect per measured component, none for "server" */
    const char *chart = svg[TG_CHART_PHASES].data;
    CHECK(strstr(chart, "seg client_queue before p95") != NULL);
    CHECK(strstr(chart, "seg transfer before p95") != NULL);
    CHECK(strstr(chart, "seg server before") == NULL);
    tg_buf_free(&out);
    for (int i = 0; i < TG_CHART_COUNT; i++)
        tg_buf_free(&svg[i]);
    tg_prows_free(&r);
}

/* Without Server-Timing the queue and compute are not separated, in both. */
TEST(no_server_timing_server_is_time_to_first_byte)
{
    static const char csv[] =
        "request_id,latency_ms,status_code,client_queue_ms,connect_ms,ttfb_ms,service_ms\n"
        "0,10,200,1,0,6,8\n"
        "1,20,200,2,1,12,16\n";
    struct tg_prows r = { 0 };
    char err[256];
    REQUIRE(tg_prows_parse(csv, sizeof csv - 1, "t.csv", &r, err, sizeof err) == 0);
    struct tg_decomp d;
    REQUIRE(tg_decomp_compute(&r, &d) == 0);
    CHECK(d.phases && !d.server_timing);
    /* P99 of 2: rank 2 only (latency 20): client_queue 2 - 1 + (20 - 2 - 16) = 3 */
    const struct tg_decomp_band *b = &d.band[2];
    printf("  P99: client_queue %g connect %g server %g transfer %g\n", b->comp_ms[TG_COMP_CLIENT_QUEUE],
           b->comp_ms[TG_COMP_CONNECT], b->comp_ms[TG_COMP_SERVER], b->comp_ms[TG_COMP_TRANSFER]);
    CHECK_DBL_NEAR(3, b->comp_ms[TG_COMP_CLIENT_QUEUE], 1e-12);
    CHECK_DBL_NEAR(1, b->comp_ms[TG_COMP_CONNECT], 1e-12);
    CHECK_DBL_NEAR(12, b->comp_ms[TG_COMP_SERVER], 1e-12);
    CHECK_DBL_NEAR(4, b->comp_ms[TG_COMP_TRANSFER], 1e-12);
    CHECK(isnan(b->comp_ms[TG_COMP_SERVER_QUEUE]) && isnan(b->comp_ms[TG_COMP_SERVER_COMPUTE]));
    tg_prows_free(&r);
}
