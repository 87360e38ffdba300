/* Unit tests of src/analyze/loadsweep: the load list parser (table-driven,
 * every prefix), the knee and SLA limit on hand-made points, a point from a
 * synthetic probe result with its verdict, and sweep.json's shape. */
#include "test.h"

#include "analyze/loadsweep.h"
#include "core/error.h"

TEST_MAIN()

TEST(parse_list_table)
{
    static const struct {
        const char *in;
        enum tg_loadsweep_mode mode;
        int rc;
        size_t n;
        double last;
    } cases[] = {
        { "1,2,4,8", TG_LOADSWEEP_CONCURRENCY, 0, 4, 8 },
        { "16", TG_LOADSWEEP_CONCURRENCY, 0, 1, 16 },
        { "4096", TG_LOADSWEEP_CONCURRENCY, 0, 1, 4096 },
        { "5,10,15", TG_LOADSWEEP_RATE, 0, 3, 15 },
        { "0.5,1.25,1e3", TG_LOADSWEEP_RATE, 0, 3, 1000 },
        { "", TG_LOADSWEEP_CONCURRENCY, TG_EINVAL, 0, 0 },
        { "1,,2", TG_LOADSWEEP_CONCURRENCY, TG_EINVAL, 0, 0 },
        { "1,2,", TG_LOADSWEEP_CONCURRENCY, TG_EINVAL, 0, 0 },
        { "0", TG_LOADSWEEP_CONCURRENCY, TG_EINVAL, 0, 0 },
        { "1.5", TG_LOADSWEEP_CONCURRENCY, TG_EINVAL, 0, 0 },
        { "4097", TG_LOADSWEEP_CONCURRENCY, TG_EINVAL, 0, 0 },
        { "2,1", TG_LOADSWEEP_CONCURRENCY, TG_EINVAL, 0, 0 },
        { "2,2", TG_LOADSWEEP_RATE, TG_EINVAL, 0, 0 },
        { "0", TG_LOADSWEEP_RATE, TG_EINVAL, 0, 0 },
        { "-5", TG_LOADSWEEP_RATE, TG_EINVAL, 0, 0 },
        { "nan", TG_LOADSWEEP_RATE, TG_EINVAL, 0, 0 },
        { "inf", TG_LOADSWEEP_RATE, TG_EINVAL, 0, 0 },
        { "5x", TG_LOADSWEEP_RATE, TG_EINVAL, 0, 0 },
        { "1 ,2", TG_LOADSWEEP_RATE, TG_EINVAL, 0, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v[TG_LOADSWEEP_MAX_POINTS];
        size_t n = 99;
        char why[160] = "";
        int rc = tg_loadsweep_parse_list(cases[i].in, cases[i].mode, v, &n, why, sizeof why);
        printf("  '%s' -> %d %s\n", cases[i].in, rc, why);
        CHECK_INT_EQ(cases[i].rc, rc);
        if (rc == 0) {
            CHECK_UINT_EQ(cases[i].n, n);
            CHECK_DBL_NEAR(cases[i].last, v[n - 1], 0);
        } else {
            CHECK(why[0] != '\0');
        }
    }
    /* Every prefix of a valid list is valid or refused cleanly (no crash, a reason). */
    const char *full = "1,2,4,8,16,32";
    for (size_t len = 0; len <= strlen(full); len++) {
        char buf[32];
        memcpy(buf, full, len);
        buf[len] = '\0';
        double v[TG_LOADSWEEP_MAX_POINTS];
        size_t n;
        char why[160] = "";
        int rc = tg_loadsweep_parse_list(buf, TG_LOADSWEEP_CONCURRENCY, v, &n, why, sizeof why);
        /* ok unless empty, ending in a comma, or cut to a value not above the
         * previous one ("1,2,4,8,1") */
        const char *last = strrchr(buf, ',');
        double prev = 0;
        if (last && last > buf) {
            const char *q = last;
            while (q > buf && q[-1] != ',')
                q--;
            prev = atof(q);
        }
        int expect_ok = len > 0 && buf[len - 1] != ',' && atof(last ? last + 1 : buf) > prev;
        CHECK_INT_EQ(expect_ok ? 0 : TG_EINVAL, rc);
    }
    /* Too many values. */
    char big[1024] = "";
    for (int i = 1; i <= TG_LOADSWEEP_MAX_POINTS + 1; i++)
        snprintf(big + strlen(big), sizeof big - strlen(big), "%s%d", i > 1 ? "," : "", i);
    double v[TG_LOADSWEEP_MAX_POINTS];
    size_t n;
    char why[160];
    CHECK_INT_EQ(TG_EINVAL, tg_loadsweep_parse_list(big, TG_LOADSWEEP_CONCURRENCY, v, &n, why, sizeof why));
}

static struct tg_loadsweep_point pt(double load, double tput, double p95)
{
    struct tg_loadsweep_point p = { 0 };
    p.load = load;
    p.throughput_ips = tput;
    p.p50_ms = p.p99_ms = p.mean_ms = p95;
    p.p95_ms = p95;
    p.achieved_rate = tput;
    return p;
}

TEST(knee_definition)
{
    /* one-slot server: flat throughput, P95 doubling: knee at the first load */
    struct tg_loadsweep_point a[4] = { pt(1, 19.5, 56), pt(2, 20.2, 106), pt(4, 20.2, 216), pt(8, 20.4, 412) };
    CHECK_INT_EQ(0, tg_loadsweep_knee(a, 4));
    /* rising until 4, then flat */
    struct tg_loadsweep_point b[4] = { pt(1, 10, 50), pt(2, 19, 52), pt(4, 30, 70), pt(8, 30.5, 140) };
    CHECK_INT_EQ(2, tg_loadsweep_knee(b, 4));
    /* flat throughput but P95 not rising: no knee there */
    struct tg_loadsweep_point c[3] = { pt(1, 20, 50), pt(2, 20.1, 50), pt(4, 20.1, 49) };
    CHECK_INT_EQ(-1, tg_loadsweep_knee(c, 3));
    /* exactly +5 % is still rising; +4.9 % is flat */
    struct tg_loadsweep_point d[2] = { pt(10, 100, 50), pt(20, 105, 60) };
    CHECK_INT_EQ(-1, tg_loadsweep_knee(d, 2));
    d[1].throughput_ips = 104.9;
    CHECK_INT_EQ(0, tg_loadsweep_knee(d, 2));
    /* a fine step (4 % more load): 3 % more throughput is following the offer */
    struct tg_loadsweep_point e[2] = { pt(100, 100, 50), pt(104, 103, 52) };
    CHECK_INT_EQ(-1, tg_loadsweep_knee(e, 2));
    e[1].throughput_ips = 101.5;   /* under half the step */
    CHECK_INT_EQ(0, tg_loadsweep_knee(e, 2));
    /* unusable points are skipped */
    struct tg_loadsweep_point f[3] = { pt(1, NAN, NAN), pt(2, 20, 50), pt(4, 20, 100) };
    CHECK_INT_EQ(1, tg_loadsweep_knee(f, 3));
    CHECK_INT_EQ(-1, tg_loadsweep_knee(f, 1));
    CHECK_INT_EQ(-1, tg_loadsweep_knee(f, 0));
}

TEST(sla_limit_is_the_last_of_the_leading_passes)
{
    struct tg_loadsweep_point p[4] = { pt(1, 1, 1), pt(2, 1, 1), pt(4, 1, 1), pt(8, 1, 1) };
    CHECK_INT_EQ(-1, tg_loadsweep_sla_limit(p, 4));   /* not judged */
    enum tg_verdict v[4] = { TG_VERDICT_PASS, TG_VERDICT_PASS, TG_VERDICT_FAIL, TG_VERDICT_PASS };
    for (int i = 0; i < 4; i++) {
        p[i].judged = true;
        p[i].verdict = v[i];
    }
    CHECK_INT_EQ(1, tg_loadsweep_sla_limit(p, 4));
    p[0].verdict = TG_VERDICT_INCONCLUSIVE;
    CHECK_INT_EQ(-1, tg_loadsweep_sla_limit(p, 4));
    CHECK_STR_EQ("INCONCLUSIVE", tg_loadsweep_point_verdict(&p[0]));
    p[0].judged = false;
    CHECK(tg_loadsweep_point_verdict(&p[0]) == NULL);
}

/* A probe result of n inputs, latency 10 + i ms, every tenth failed when
 * fail, ready 50 ms apart. */
static void fake_probe(struct tg_probe_result *r, size_t n, bool fail)
{
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < n; i++) {
        struct tg_prow *p = tg_prows_push(&r->rows);
        REQUIRE(p != NULL);
        p->request_id = i;
        p->timestamp_ms = 1000 + 50.0 * (double)i;
        p->ok = !(fail && i % 10 == 9);
        p->status = p->ok ? 200 : 500;
        p->latency_ms = p->ok ? 10 + (double)i : NAN;
        r->inputs++;
        if (p->ok)
            r->ok++;
        else
            r->failed++;
    }
    r->wall_s = 0.05 * (double)n;
    r->throughput_ips = (double)r->ok / r->wall_s;
    r->p50_ms = 60, r->p95_ms = 105, r->p99_ms = 109, r->mean_ms = 60;
}

TEST(point_from_probe_and_its_verdict)
{
    struct tg_probe_result r;
    fake_probe(&r, 200, false);
    struct tg_slo slo[2];
    char why[160], err[160];
    REQUIRE(tg_slo_parse("latency:p95<=500ms", &slo[0], why, sizeof why) == 0);
    REQUIRE(tg_slo_parse("latency:p50<=5ms", &slo[1], why, sizeof why) == 0);
    struct tg_loadsweep_point p;
    CHECK_INT_EQ(0, tg_loadsweep_point_from_probe(4, &r, slo, 1, 0.99, &p, err, sizeof err));
    CHECK(p.judged);
    CHECK_STR_EQ("PASS", tg_loadsweep_point_verdict(&p));
    CHECK_DBL_NEAR(4, p.load, 0);
    CHECK_UINT_EQ(200, p.inputs);
    /* 199 gaps over 199 * 50 ms: 20 inputs/s */
    CHECK_DBL_NEAR(20, p.achieved_rate, 1e-9);
    CHECK_DBL_NEAR(105, p.p95_ms, 0);
    CHECK_INT_EQ(0, tg_loadsweep_point_from_probe(4, &r, slo, 2, 0.99, &p, err, sizeof err));
    CHECK_STR_EQ("FAIL", tg_loadsweep_point_verdict(&p));
    CHECK_INT_EQ(0, tg_loadsweep_point_from_probe(4, &r, slo, 0, 0.99, &p, err, sizeof err));
    CHECK(!p.judged);
    tg_probe_result_free(&r);

    /* 10 % failed: a P95 limit of 500 ms FAILs (failures count over the limit). */
    fake_probe(&r, 200, true);
    CHECK_INT_EQ(0, tg_loadsweep_point_from_probe(4, &r, slo, 1, 0.99, &p, err, sizeof err));
    CHECK_STR_EQ("FAIL", tg_loadsweep_point_verdict(&p));
    CHECK_UINT_EQ(20, p.failed);
    tg_probe_result_free(&r);

    /* Too few inputs to decide: INCONCLUSIVE. */
    fake_probe(&r, 20, false);
    CHECK_INT_EQ(0, tg_loadsweep_point_from_probe(4, &r, slo, 1, 0.99, &p, err, sizeof err));
    CHECK_STR_EQ("INCONCLUSIVE", tg_loadsweep_point_verdict(&p));
    tg_probe_result_free(&r);

    /* One input: no achieved rate. */
    fake_probe(&r, 1, false);
    CHECK_INT_EQ(0, tg_loadsweep_point_from_probe(4, &r, NULL, 0, 0.99, &p, err, sizeof err));
    CHECK(isnan(p.achieved_rate));
    tg_probe_result_free(&r);
}

TEST(sweep_json_shape)
{
    double values[3] = { 1, 2, 4 };
    struct tg_loadsweep_point p[2] = { pt(1, 19.5, 56), pt(2, 20.2, 106) };
    p[1].p99_ms = NAN;   /* null in JSON */
    struct tg_loadsweep sw = { TG_LOADSWEEP_CONCURRENCY, values, 3, p, 2, NULL, 0, 0.99, true, 4.5 };
    json_t *d = tg_loadsweep_json(&sw);
    REQUIRE(d != NULL);
    char *text = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    printf("  %s\n", text);
    CHECK_STR_EQ("tailgate.sweep/1", json_string_value(json_object_get(d, "schema")));
    CHECK_STR_EQ("concurrency", json_string_value(json_object_get(d, "mode")));
    CHECK_UINT_EQ(3, json_array_size(json_object_get(d, "values")));
    json_t *pts = json_object_get(d, "points");
    CHECK_UINT_EQ(2, json_array_size(pts));
    json_t *p1 = json_array_get(pts, 1);
    CHECK(json_is_null(json_object_get(p1, "p99_ms")));
    CHECK(json_is_null(json_object_get(p1, "verdict")));
    CHECK_DBL_NEAR(106, json_number_value(json_object_get(p1, "p95_ms")), 0);
    static const char *const keys[] = { "load", "achieved_rate", "inputs", "ok", "failed", "p50_ms",
                                        "p95_ms", "p99_ms", "mean_ms", "throughput_ips", "verdict" };
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        CHECK(json_object_get(p1, keys[k]) != NULL);
    json_t *knee = json_object_get(d, "knee");
    REQUIRE(json_is_object(knee));
    CHECK_DBL_NEAR(1, json_number_value(json_object_get(knee, "load")), 0);
    CHECK(json_is_null(json_object_get(d, "sla_limit")));
    CHECK(json_is_true(json_object_get(d, "interrupted")));
    CHECK(json_is_null(json_object_get(d, "confidence")));
    free(text);
    json_decref(d);
}

/* The one probe-result -> compare rows conversion (analyze/probe.h), which
 * sweep points and tune's SLO judgement share: fields, the streaming
 * columns only when something streamed, NAN figures without stream arrays. */
TEST(probe_rows_as_compare_rows)
{
    struct tg_probe_result r;
    fake_probe(&r, 3, false);
    r.rows.v[2].ok = false;
    r.rows.v[2].status = 503;
    struct tg_rows rows;
    REQUIRE(tg_probe_rows(&r, &rows) == 0);
    CHECK_UINT_EQ(3, rows.n);
    CHECK_UINT_EQ(TG_COL_REQUEST_ID | TG_COL_LATENCY_MS | TG_COL_OK, rows.columns);
    CHECK_UINT_EQ(2, rows.rows[2].request_id);
    CHECK_DBL_NEAR(1050, rows.rows[1].timestamp_ms, 0);
    CHECK_DBL_NEAR(11, rows.rows[1].latency_ms, 0);
    CHECK_INT_EQ(1, rows.rows[1].ok);
    CHECK_INT_EQ(0, rows.rows[2].ok);
    CHECK_INT_EQ(503, rows.rows[2].status_code);
    CHECK_INT_EQ(-1, rows.rows[0].output_tokens);
    CHECK(isnan(rows.rows[0].ttft_ms) && isnan(rows.rows[0].tpot_ms) && isnan(rows.rows[0].itl_max_ms));
    tg_rows_free(&rows);

    /* streamed: the columns exist; per-row figures from the parallel arrays */
    r.streamed = true;
    r.stream_cap = 4;
    r.ttft_ms = calloc(4, sizeof(double));
    r.tpot_ms = calloc(4, sizeof(double));
    r.itl_max_ms = calloc(4, sizeof(double));
    REQUIRE(r.ttft_ms && r.tpot_ms && r.itl_max_ms);
    for (int i = 0; i < 3; i++)
        r.ttft_ms[i] = 100 + i, r.tpot_ms[i] = 10 + i, r.itl_max_ms[i] = 20 + i;
    r.ttft_ms[1] = NAN;   /* that input did not stream */
    REQUIRE(tg_probe_rows(&r, &rows) == 0);
    CHECK_UINT_EQ(TG_COL_REQUEST_ID | TG_COL_LATENCY_MS | TG_COL_OK | TG_COL_TTFT_MS | TG_COL_TPOT_MS |
                      TG_COL_ITL_MAX_MS,
                  rows.columns);
    CHECK_DBL_NEAR(102, rows.rows[2].ttft_ms, 0);
    CHECK_DBL_NEAR(12, rows.rows[2].tpot_ms, 0);
    CHECK_DBL_NEAR(22, rows.rows[2].itl_max_ms, 0);
    CHECK(isnan(rows.rows[1].ttft_ms));
    struct tg_row one = tg_probe_row(&r, 0);
    CHECK_DBL_NEAR(100, one.ttft_ms, 0);
    CHECK_UINT_EQ(0, one.request_id);
    tg_rows_free(&rows);

    /* stream arrays shorter than the rows (an allocation failed): no figures */
    r.stream_cap = 2;
    REQUIRE(tg_probe_rows(&r, &rows) == 0);
    CHECK(isnan(rows.rows[0].ttft_ms));
    tg_rows_free(&rows);
    tg_probe_result_free(&r);

    /* no rows: an empty, valid set */
    memset(&r, 0, sizeof r);
    REQUIRE(tg_probe_rows(&r, &rows) == 0);
    CHECK_UINT_EQ(0, rows.n);
    tg_rows_free(&rows);
}
