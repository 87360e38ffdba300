/*
 * Unit tests of src/analyze and src/stats/fit: the fit on exact and noisy
 * points, the decomposition and the dominant cause on hand-made and
 * recorded rows (tests/data/analyze), the saturation test, the cost-model
 * predictor, and the tune choice on recorded candidate results.
 */
#include "test.h"

#include "analyze/analyze.h"
#include "analyze/model.h"
#include "analyze/prows.h"
#include "analyze/tune.h"
#include "compare/tolerance.h"
#include "analyze/probe.h"
#include "api/api.h"
#include "core/error.h"
#include "stats/fit.h"
#include "core/rng.h"

static const char *data(const char *name)
{
    static char buf[4][512];
    static int k;
    char *b = buf[k++ % 4];
    const char *root = getenv("TG_ROOT");
    snprintf(b, sizeof buf[0], "%s/tests/data/analyze/%s", root ? root : ".", name);
    return b;
}

static int load(const char *name, struct tg_prows *r)
{
    char err[256] = "";
    memset(r, 0, sizeof *r);
    int rc = tg_prows_load(data(name), r, err, sizeof err);
    if (rc)
        fprintf(stderr, "  load %s: %s\n", name, err);
    return rc;
}

/* Band i of d (0: P50, 1: P95, 2: P99): its percentile's latency, how many
 * rows its window holds and their mean latency (NAN, or n < 0: not
 * checked).  A band whose checks failed is named under them. */
static void check_band(const struct tg_decomp *d, int i, double latency, int n, double band_latency)
{
    int before = tg_test_failed_checks;
    const struct tg_decomp_band *b = &d->band[i];
    if (!isnan(latency))
        CHECK_DBL_NEAR(latency, b->latency_ms, 1e-9);
    if (n >= 0)
        CHECK_UINT_EQ(n, b->n);
    if (!isnan(band_latency))
        CHECK_DBL_NEAR(band_latency, b->band_latency_ms, 1e-9);
    if (tg_test_failed_checks != before)
        fprintf(stderr, "  ^ band %d (P%g)\n", i, b->pct);
}

/* ---- fit ------------------------------------------------------------------ */

TEST(fit_exact_line)
{
    double x[] = { 1, 2, 4, 8, 16, 32, 64 }, y[7];
    for (int i = 0; i < 7; i++)
        y[i] = 48 + 1.0 * x[i];
    struct tg_fit f;
    CHECK_INT_EQ(0, tg_fit_linear(x, y, 7, &f));
    CHECK_DBL_NEAR(48, f.alpha, 1e-9);
    CHECK_DBL_NEAR(1, f.beta, 1e-9);
    CHECK_DBL_NEAR(1, f.r2, 1e-12);
    CHECK_DBL_NEAR(0, f.rmse, 1e-9);
    CHECK_UINT_EQ(7, f.n);
    CHECK_DBL_NEAR(68, tg_fit_eval(&f, 20), 1e-9);
    /* weighted, same exact points: same line */
    double w[7] = { 1, 2, 3, 4, 5, 6, 7 };
    CHECK_INT_EQ(0, tg_fit_weighted(x, y, w, 7, true, &f));
    CHECK_DBL_NEAR(48, f.alpha, 1e-9);
    CHECK_DBL_NEAR(1, f.beta, 1e-9);
}

TEST(fit_noisy_multiplicative)
{
    /* t(b) * LogNormal(0, 0.08), 5 executions per size, medians fitted as analyze does */
    struct tg_rng rng;
    tg_rng_seed(&rng, 7);
    static const uint32_t sizes[] = { 1, 2, 4, 8, 16, 32, 64 };
    struct tg_batch_point pts[7];
    for (int i = 0; i < 7; i++) {
        double v[5];
        for (int k = 0; k < 5; k++)
            v[k] = (48 + 1.0 * sizes[i]) * tg_rng_lognormal(&rng, 0, 0.08);
        pts[i] = (struct tg_batch_point){ .batch = sizes[i], .n = 5, .median_ms = tg_median(v, 5) };
    }
    struct tg_batch_fit bf;
    CHECK_INT_EQ(0, tg_batch_fit(pts, 7, 20, 64, true, &bf));
    CHECK_DBL_NEAR(48, bf.fit.alpha, 48 * 0.1);
    CHECK_DBL_NEAR(1, bf.fit.beta, 0.2);
    CHECK(bf.fit.r2 > 0.9);
    CHECK_UINT_EQ(20, bf.batch_at_c);
    /* plain least squares on many raw noisy points also lands near the truth */
    double x[700], y[700];
    for (int i = 0; i < 700; i++) {
        x[i] = sizes[i % 7];
        y[i] = (48 + x[i]) * tg_rng_lognormal(&rng, 0, 0.08);
    }
    struct tg_fit f;
    CHECK_INT_EQ(0, tg_fit_linear(x, y, 700, &f));
    CHECK_DBL_NEAR(48, f.alpha, 2);
    CHECK_DBL_NEAR(1, f.beta, 0.1);
}

TEST(fit_degenerate_and_nonnegative_alpha)
{
    double x[] = { 4, 4, 4 }, y[] = { 1, 2, 3 };
    struct tg_fit f;
    CHECK_INT_EQ(TG_EINVAL, tg_fit_linear(x, y, 3, &f));   /* slope undetermined */
    CHECK_INT_EQ(TG_EINVAL, tg_fit_linear(x, y, 1, &f));   /* one point */
    double nx[] = { 1, NAN, 3 }, ny[] = { 2, 5, 6 };
    CHECK_INT_EQ(0, tg_fit_linear(nx, ny, 3, &f));          /* the NAN point is skipped */
    CHECK_DBL_NEAR(2, f.beta, 1e-12);
    CHECK_UINT_EQ(2, f.n);
    /* a line that would cross zero: with nonneg_alpha it goes through the origin */
    double cx[] = { 1, 2, 4 }, cy[] = { 40, 95, 190 };
    CHECK_INT_EQ(0, tg_fit_weighted(cx, cy, NULL, 3, false, &f));
    CHECK(f.alpha < 0);
    CHECK_INT_EQ(0, tg_fit_weighted(cx, cy, NULL, 3, true, &f));
    CHECK_DBL_NEAR(0, f.alpha, 0);
    CHECK_DBL_NEAR((40 + 190 + 760) / 21.0, f.beta, 1e-9);
}

TEST(batch_gain_from_fit)
{
    struct tg_batch_point p[] = { { .batch = 1, .n = 5, .median_ms = 49 }, { .batch = 64, .n = 5, .median_ms = 112 } };
    struct tg_batch_fit bf;
    CHECK_INT_EQ(0, tg_batch_fit(p, 2, 20, 64, true, &bf));
    CHECK_DBL_NEAR(20 * 49 / 68.0, bf.gain_at_c, 1e-9);
    CHECK_DBL_NEAR(49.0, bf.gain_limit, 1e-9);
    /* capped by the largest batch */
    CHECK_INT_EQ(0, tg_batch_fit(p, 2, 100, 64, true, &bf));
    CHECK_UINT_EQ(64, bf.batch_at_c);
    /* compute-bound: 4 + 45 b: batching barely helps */
    struct tg_batch_point q[] = { { .batch = 1, .n = 3, .median_ms = 49 }, { .batch = 16, .n = 3, .median_ms = 724 } };
    CHECK_INT_EQ(0, tg_batch_fit(q, 2, 20, 64, true, &bf));
    CHECK_DBL_NEAR(20 * 49 / 904.0, bf.gain_at_c, 1e-9);
    CHECK(bf.gain_at_c < 1.5);
}

/* ---- rows and decomposition ------------------------------------------------------ */

TEST(prows_parse_errors)
{
    struct tg_prows r = { 0 };
    char err[200];
    const char *bad[] = {
        "request_id,latency_ms\n0,1\n",                          /* no status/ok */
        "request_id,latency_ms,status_code\n0,1\n",              /* too few fields */
        "request_id,latency_ms,status_code\n0,abc,200\n",        /* bad number */
        "request_id,latency_ms,status_code\n0,1,200,4\n",        /* too many */
        "request_id,latency_ms,status_code\n0,\"1,200\n",         /* unterminated quote */
        "request_id,latency_ms,status_code\n-1,1,200\n",         /* bad id */
        "request_id,latency_ms,ok\n0,,1\n",                      /* ok without latency */
        "request_id,latency_ms,ok\n0,1,1\n\n1,2,1\n",             /* a blank line inside (the one reader's rule) */
        "request_id,latency_ms,status_code\n0,inf,200\n",       /* strict numbers */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&r, 0, sizeof r);
        err[0] = 0;
        int rc = tg_prows_parse(bad[i], strlen(bad[i]), "t.csv", &r, err, sizeof err);
        if (rc != TG_EPARSE)
            TG_FAIL_AT("case %zu: expected TG_EPARSE, got %d", i, rc);
        CHECK(!strncmp(err, "t.csv:", 6));
        tg_prows_free(&r);
    }
    const char *good = "\xEF\xBB\xBFrequest_id,latency_ms,status_code,extra\r\n3,12.5,200,\"x,\"\"y\"\"\"\r\n4,,500,\n\r\n\n";
    memset(&r, 0, sizeof r);
    CHECK_INT_EQ(0, tg_prows_parse(good, strlen(good), "g.csv", &r, err, sizeof err));
    CHECK_UINT_EQ(2, r.n);
    CHECK(r.v[0].ok && !r.v[1].ok);
    CHECK_DBL_NEAR(12.5, r.v[0].latency_ms, 1e-12);
    CHECK_UINT_EQ(0, r.have);
    tg_prows_free(&r);
}

TEST(decomposition_queue_bound)
{
    struct tg_prows r;
    REQUIRE(load("handmade-queue.csv", &r) == 0);
    CHECK_UINT_EQ(21, r.n);
    CHECK(r.have & TG_PROWS_PHASES);
    CHECK(r.have & TG_PROWS_SERVER_TIMING);
    struct tg_decomp d;
    CHECK_INT_EQ(0, tg_decomp_compute(&r, &d));
    CHECK(d.phases && d.server_timing);
    CHECK_UINT_EQ(20, d.n_ok);
    /* The ok rows i = 0..19 have latency 51 + 50 i, queue 1 + 50 i (compute
     * 49, connect 0.2 and the other phases are the same in every row: the
     * components that vary are checked on varying rows in
     * decomposition_varying_components).
     * P95 of 20: rank ceil(0.95 * 20) = 19, row 18: 51 + 50*18 = 951 ms; the
     * window is ranks ceil(0.925*20) = 19 .. ceil(0.975*20) = 20 (rows 18, 19):
     * latency (951 + 1001) / 2 = 976, queue (901 + 951) / 2 = 926. */
    const struct tg_decomp_band *b = &d.band[1];
    check_band(&d, 1, 951, 2, 976);
    CHECK_DBL_NEAR(926, b->comp_ms[TG_COMP_SERVER_QUEUE], 1e-9);
    /* client queue = client_queue - connect + (latency - client_queue -
     * service) = 0.5 - 0.2 + (951 - 0.5 - 950.5) = 0.3; transfer = service -
     * queue - compute = 950.5 - 901 - 49 = 0.5 */
    CHECK_DBL_NEAR(0.3, b->comp_ms[TG_COMP_CLIENT_QUEUE], 1e-9);
    CHECK_DBL_NEAR(0.5, b->comp_ms[TG_COMP_TRANSFER], 1e-9);
    CHECK(isnan(b->comp_ms[TG_COMP_SERVER]));
    /* P50: rank 10 (row 9: 501 ms), window ranks ceil(9) = 9 .. ceil(11) = 11
     * (rows 8..10): queue (401 + 451 + 501) / 3 = 451 */
    check_band(&d, 0, 501, 3, NAN);
    CHECK_DBL_NEAR(451, d.band[0].comp_ms[TG_COMP_SERVER_QUEUE], 1e-9);
    /* P99: rank ceil(19.8) = 20 (row 19) */
    check_band(&d, 2, 1001, -1, NAN);
    double share;
    CHECK_INT_EQ(TG_CAUSE_SERVER_QUEUE, tg_dominant_cause(&d, 1, 14.0, &share));
    CHECK_DBL_NEAR(926 / 976.0, share, 1e-9);
    /* the same queue where batching cannot help: compute is the cause */
    CHECK_INT_EQ(TG_CAUSE_SERVER_COMPUTE, tg_dominant_cause(&d, 1, 1.04, NULL));
    /* ... but not when the server is not known to be saturated */
    CHECK_INT_EQ(TG_CAUSE_SERVER_QUEUE, tg_dominant_cause(&d, -1, 1.04, NULL));
    CHECK_STR_EQ("server_queue", tg_cause_name(TG_CAUSE_SERVER_QUEUE));
    CHECK_STR_EQ("server_compute", tg_cause_name(TG_CAUSE_SERVER_COMPUTE));
    /* Little: 20 ok inputs, ready from 1000 ms to the last end 1019 + 1001 =
     * 2020 ms (the failed row 20 at 1020 has no latency): wall 1.020 s; mean
     * latency 51 + 50 * 9.5 = 526 ms */
    struct tg_little l;
    CHECK_INT_EQ(0, tg_little_check(&r, NAN, 20, &l));
    CHECK_DBL_NEAR(20 / 1.020, l.throughput_ips, 1e-9);
    CHECK_DBL_NEAR(526, l.mean_latency_ms, 1e-9);
    CHECK_DBL_NEAR(20 / 1.020 * 0.526, l.in_flight, 1e-9);
    CHECK_DBL_NEAR(20 / 1.020 * 0.526 / 20, l.ratio, 1e-12);
    tg_prows_free(&r);
}

/* 20 rows whose every phase varies with the latency rank k, listed out of
 * order (row i has rank k = 7 i mod 20, a permutation), so that a wrong rank,
 * a wrong window or an unsorted average shows:
 *   latency    100 + 10 k          ready at 1000 + i ms
 *   connect    k odd: 0.2 + 0.02 k, else 0 (a reused connection)
 *   client_queue 1 + connect       (ready -> write, connect included)
 *   service    latency - client_queue
 *   compute    40 + k, transfer 0.5 + 0.1 k, queue = service - compute - transfer */
static void varying_rows(struct tg_prows *r)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < 20; i++) {
        int k = (7 * i) % 20;
        struct tg_prow *p = tg_prows_push(r);
        p->request_id = (uint64_t)i;
        p->ok = true;
        p->status = 200;
        p->timestamp_ms = 1000 + i;
        p->latency_ms = 100 + 10 * k;
        p->connect_ms = k % 2 ? 0.2 + 0.02 * k : 0;
        p->client_queue_ms = 1 + p->connect_ms;
        p->service_ms = p->latency_ms - p->client_queue_ms;
        p->ttfb_ms = p->service_ms - (0.5 + 0.1 * k);
        p->server_compute_ms = 40 + k;
        p->server_queue_ms = p->service_ms - p->server_compute_ms - (0.5 + 0.1 * k);
    }
    r->have = TG_PROWS_PHASES | TG_PROWS_SERVER_TIMING;
}

TEST(decomposition_varying_components)
{
    struct tg_prows r;
    varying_rows(&r);
    struct tg_decomp d;
    REQUIRE(tg_decomp_compute(&r, &d) == 0);
    CHECK(d.phases && d.server_timing);
    /* P95: rank 19 -> k = 18, latency 280; window ranks 19..20 -> k = 18, 19:
     *   latency  (280 + 290) / 2 = 285
     *   compute  (58 + 59) / 2 = 58.5
     *   connect  (0 + (0.2 + 0.38)) / 2 = 0.29
     *   client queue = client_queue - connect = 1 in every row -> 1
     *   transfer (2.3 + 2.4) / 2 = 2.35
     *   queue    k=18: 279 - 58 - 2.3 = 218.7; k=19: 290 - 1.58 - 59 - 2.4 = 227.02
     *            -> 222.86
     *   (1 + 0.29 + 222.86 + 58.5 + 2.35 = 285: the components add up) */
    const struct tg_decomp_band *b = &d.band[1];
    check_band(&d, 1, 280, 2, 285);
    CHECK_DBL_NEAR(58.5, b->comp_ms[TG_COMP_SERVER_COMPUTE], 1e-9);
    CHECK_DBL_NEAR(0.29, b->comp_ms[TG_COMP_CONNECT], 1e-9);
    CHECK_DBL_NEAR(1, b->comp_ms[TG_COMP_CLIENT_QUEUE], 1e-9);
    CHECK_DBL_NEAR(2.35, b->comp_ms[TG_COMP_TRANSFER], 1e-9);
    CHECK_DBL_NEAR(222.86, b->comp_ms[TG_COMP_SERVER_QUEUE], 1e-9);
    /* P50: rank 10 -> k = 9 (190 ms); window ranks 9..11 -> k = 8, 9, 10:
     * compute (48 + 49 + 50) / 3 = 49, connect (0 + 0.38 + 0) / 3 */
    check_band(&d, 0, 190, 3, NAN);
    CHECK_DBL_NEAR(49, d.band[0].comp_ms[TG_COMP_SERVER_COMPUTE], 1e-9);
    CHECK_DBL_NEAR(0.38 / 3, d.band[0].comp_ms[TG_COMP_CONNECT], 1e-9);
    /* P99: rank 20 -> k = 19 alone */
    check_band(&d, 2, 290, 1, NAN);
    CHECK_DBL_NEAR(59, d.band[2].comp_ms[TG_COMP_SERVER_COMPUTE], 1e-9);
    /* the queue's share of the P95 band: 222.86 / 285 */
    double share;
    CHECK_INT_EQ(TG_CAUSE_SERVER_QUEUE, tg_dominant_cause(&d, 1, 14.0, &share));
    CHECK_DBL_NEAR(222.86 / 285, share, 1e-9);
    /* Little: ready 1000 .. the last end, row i = 17 (k = 19): 1017 + 290 =
     * 1307 ms -> wall 0.307 s; mean latency 100 + 10 * 9.5 = 195 ms */
    struct tg_little l;
    CHECK_INT_EQ(0, tg_little_check(&r, NAN, 20, &l));
    CHECK_DBL_NEAR(20 / 0.307, l.throughput_ips, 1e-9);
    CHECK_DBL_NEAR(195, l.mean_latency_ms, 1e-9);
    /* server in flight: throughput x mean(queue + compute); queue + compute =
     * service - transfer = (99 + 10 k - connect) - (0.5 + 0.1 k) = 98.5 + 9.9 k
     * - connect; mean = 98.5 + 9.9 * 9.5 - mean connect (10 odd k: 0.2 + 0.02 k,
     * mean k 10 -> 0.4, i.e. 0.2 over all 20) = 192.35 */
    CHECK_DBL_NEAR(20 / 0.307 * 0.19235, l.server_in_flight, 1e-9);
    /* connections: the 10 odd ranks opened one; new connect = 0.2 + 0.02 *
     * mean(1, 3, .., 19) = 0.2 + 0.02 * 10 = 0.4; new service (connect +
     * service = latency - 1) = 99 + 10 * 10 = 199; reused service = 99 + 10 *
     * mean(0, 2, .., 18) = 99 + 90 = 189; extra 10 */
    struct tg_conn_cost cc;
    CHECK_INT_EQ(0, tg_conn_cost(&r, &cc));
    CHECK_UINT_EQ(10, cc.n_new);
    CHECK_UINT_EQ(10, cc.n_reused);
    CHECK_DBL_NEAR(0.4, cc.new_connect_ms, 1e-9);
    CHECK_DBL_NEAR(199, cc.new_service_ms, 1e-9);
    CHECK_DBL_NEAR(189, cc.reused_service_ms, 1e-9);
    CHECK_DBL_NEAR(10, cc.extra_ms, 1e-9);
    tg_prows_free(&r);
}

TEST(decomposition_other_causes)
{
    struct tg_prows r;
    struct tg_decomp d;
    /* every row: latency 35 = client_queue 30 (connect 29.5 of it) + service
     * 5 (queue 0, compute 4, transfer 1): client queue 30 - 29.5 = 0.5; the
     * cause is the connect, 29.5 of the 35 ms band */
    REQUIRE(load("handmade-connect.csv", &r) == 0);
    CHECK_INT_EQ(0, tg_decomp_compute(&r, &d));
    CHECK_DBL_NEAR(0.5, d.band[1].comp_ms[TG_COMP_CLIENT_QUEUE], 1e-9);
    CHECK_DBL_NEAR(5 - 0 - 4, d.band[1].comp_ms[TG_COMP_TRANSFER], 1e-9);
    double share;
    CHECK_INT_EQ(TG_CAUSE_CONNECT, tg_dominant_cause(&d, 0, NAN, &share));
    CHECK_DBL_NEAR(29.5 / 35, share, 1e-9);
    tg_prows_free(&r);

    REQUIRE(load("handmade-no-server-timing.csv", &r) == 0);
    CHECK(!(r.have & TG_PROWS_SERVER_TIMING));
    CHECK_INT_EQ(0, tg_decomp_compute(&r, &d));
    CHECK(d.phases && !d.server_timing);
    CHECK(isnan(d.band[1].comp_ms[TG_COMP_SERVER_QUEUE]));
    /* rows i = 0..9: ttfb 100 + i, service 102 + i, latency 102.1 + i.  P95 of
     * 10: rank ceil(9.5) = 10, window ranks ceil(9.25) = 10 .. ceil(9.75) = 10
     * -> row 9 alone: server = its ttfb 109, transfer 111 - 109 = 2.  P50: rank
     * 5 (row 4), window ranks ceil(4.5) = 5 .. ceil(5.5) = 6 -> rows 4, 5:
     * server (104 + 105) / 2 = 104.5, latency (106.1 + 107.1) / 2 = 106.6 */
    CHECK_DBL_NEAR(109, d.band[1].comp_ms[TG_COMP_SERVER], 1e-9);
    CHECK_DBL_NEAR(111 - 109, d.band[1].comp_ms[TG_COMP_TRANSFER], 1e-9);
    check_band(&d, 0, NAN, 2, 106.6);
    CHECK_DBL_NEAR(104.5, d.band[0].comp_ms[TG_COMP_SERVER], 1e-9);
    /* inseparable server time is "server", saturated or not: never called queue unmeasured */
    CHECK_INT_EQ(TG_CAUSE_SERVER, tg_dominant_cause(&d, 1, NAN, NULL));
    CHECK_INT_EQ(TG_CAUSE_SERVER, tg_dominant_cause(&d, 0, NAN, NULL));
    CHECK_STR_EQ("server", tg_cause_name(TG_CAUSE_SERVER));
    tg_prows_free(&r);

    REQUIRE(load("input-py.csv", &r) == 0);
    CHECK_UINT_EQ(10, r.n);
    CHECK_INT_EQ(0, tg_decomp_compute(&r, &d));
    CHECK(!d.phases);
    /* latencies 100.5 + i: P95 rank 10 -> 109.5 */
    check_band(&d, 1, 109.5, -1, NAN);
    CHECK_INT_EQ(TG_CAUSE_UNKNOWN, tg_dominant_cause(&d, 1, NAN, NULL));
    struct tg_conn_cost cc;
    CHECK_INT_EQ(TG_EINVAL, tg_conn_cost(&r, &cc));
    /* the client's overhead: input.py's CSV against the replica's rows */
    struct tg_prows q;
    REQUIRE(load("handmade-no-server-timing.csv", &q) == 0);
    struct tg_client_overhead co;
    CHECK_INT_EQ(0, tg_client_overhead(&r, &q, &co));
    /* P50 = rank 5 of each: input.py 100.5 + 4 = 104.5, the replica 102.1 + 4
     * = 106.1 */
    CHECK_DBL_NEAR(104.5 - 106.1, co.delta_p50_ms, 1e-9);
    tg_prows_free(&q);
    tg_prows_free(&r);
}

TEST(decomposition_recorded_default_profile)
{
    /* 60 inputs, 20 in flight, against `tailgate serve` (default profile) */
    struct tg_prows r;
    REQUIRE(load("default-c20.csv", &r) == 0);
    CHECK_UINT_EQ(60, r.n);
    struct tg_decomp d;
    CHECK_INT_EQ(0, tg_decomp_compute(&r, &d));
    CHECK(d.server_timing);
    /* By hand from the file, the 60 ok rows sorted by latency: P95 = rank 57,
     * request 36 (997.230 ms); the window, ranks ceil(0.925*60) = 56 ..
     * ceil(0.975*60) = 59, is requests 38, 36, 37, 35:
     *   latency  (996.897 + 997.230 + 998.691 + 999.095) / 4 = 997.97825
     *   queue    (948.777 + 945.832 + 946.988 + 947.271) / 4 = 947.217
     *   compute  (47.012 + 51.084 + 51.445 + 51.504) / 4 = 50.26125
     * (their client_queue and connect are 0: reused, preconnected). */
    const struct tg_decomp_band *b = &d.band[1];
    check_band(&d, 1, 997.230, 4, 997.97825);
    CHECK_DBL_NEAR(947.217, b->comp_ms[TG_COMP_SERVER_QUEUE], 1e-9);
    CHECK_DBL_NEAR(50.26125, b->comp_ms[TG_COMP_SERVER_COMPUTE], 1e-9);
    double share;
    CHECK_INT_EQ(TG_CAUSE_SERVER_QUEUE, tg_dominant_cause(&d, 1, 14, &share));
    CHECK_DBL_NEAR(947.217 / 997.97825, share, 1e-9);
    /* P50 = rank 30, request 57 (978.279 ms); P99 = rank 60, request 39 */
    check_band(&d, 0, 978.279, -1, NAN);
    check_band(&d, 2, 1006.825, -1, NAN);
    /* Little: ready from 1795435786251 (the first timestamp) to the last end,
     * request 59: 1795435788228 + 976.337 = 1795435789204.337 -> wall
     * 2.953337 s; throughput 60 / 2.953337 = 20.316 /s (one 49 ms slot: about
     * 1000 / 49 = 20.4); mean latency 49734.418 / 60 = 828.906967 ms */
    struct tg_little l;
    CHECK_INT_EQ(0, tg_little_check(&r, NAN, 20, &l));
    CHECK_DBL_NEAR(60 / 2.953337, l.throughput_ips, 1e-6);
    CHECK_DBL_NEAR(49734.418 / 60, l.mean_latency_ms, 1e-9);
    tg_prows_free(&r);
}

/* ---- saturation ------------------------------------------------------------------- */

TEST(sweep_saturation)
{
    struct tg_sweep_point flat[] = {
        { .concurrency = 1, .ok = 6, .throughput_ips = 19.5 }, { .concurrency = 2, .ok = 6, .throughput_ips = 20.1 },
        { .concurrency = 4, .ok = 8, .throughput_ips = 20.5 }, { .concurrency = 8, .ok = 16, .throughput_ips = 20.0 },
        { .concurrency = 16, .ok = 32, .throughput_ips = 20.2 }, { .concurrency = 20, .ok = 40, .throughput_ips = 20.4 },
    };
    uint32_t knee;
    CHECK_INT_EQ(1, tg_sweep_saturated(flat, 6, 0.15, &knee));
    CHECK_UINT_EQ(1, knee);
    struct tg_sweep_point rising[] = {
        { .concurrency = 1, .ok = 6, .throughput_ips = 20 }, { .concurrency = 2, .ok = 6, .throughput_ips = 40 },
        { .concurrency = 4, .ok = 8, .throughput_ips = 79 }, { .concurrency = 8, .ok = 16, .throughput_ips = 150 },
    };
    CHECK_INT_EQ(0, tg_sweep_saturated(rising, 4, 0.15, &knee));
    CHECK_UINT_EQ(8, knee);
    /* saturating at 4 slots: flat from 4 to 8 */
    struct tg_sweep_point knee4[] = {
        { .concurrency = 1, .ok = 6, .throughput_ips = 20 }, { .concurrency = 2, .ok = 6, .throughput_ips = 40 },
        { .concurrency = 4, .ok = 8, .throughput_ips = 80 }, { .concurrency = 8, .ok = 16, .throughput_ips = 81 },
    };
    CHECK_INT_EQ(1, tg_sweep_saturated(knee4, 4, 0.15, &knee));
    CHECK_UINT_EQ(4, knee);
    CHECK_INT_EQ(-1, tg_sweep_saturated(flat, 1, 0.15, NULL));
}

/* ---- the predictor ----------------------------------------------------------------- */

TEST(model_closed_loop_exact)
{
    struct tg_costmodel m = { .alpha_ms = 48, .beta_ms = 1, .slots = 1, .max_batch = 64 };
    struct tg_prediction p;
    struct tg_client_cfg base = { .connections = 20, .keepalive = true, .batch = 1 };
    /* unbatched: 20 inputs share one 49 ms slot: 980 ms in steady state */
    CHECK_INT_EQ(0, tg_model_predict(&m, &base, 20, 400, 1, &p));
    CHECK_DBL_NEAR(980, p.p95_ms, 1e-6);
    CHECK_DBL_NEAR(980, p.p50_ms, 1e-6);
    CHECK_DBL_NEAR(1000 / 49.0, p.throughput_ips, 0.01);
    CHECK_DBL_NEAR(1, p.mean_batch, 1e-12);
    /* one batch of 20: t(20) = 68 ms */
    struct tg_client_cfg b20 = { .connections = 20, .keepalive = true, .batch = 20 };
    CHECK_INT_EQ(0, tg_model_predict(&m, &b20, 20, 400, 1, &p));
    CHECK_DBL_NEAR(68, p.p95_ms, 1e-6);
    CHECK_DBL_NEAR(20, p.mean_batch, 1e-12);
    /* two batches of 10 in flight: each waits for the other: 2 * 58 */
    struct tg_client_cfg b10 = { .connections = 20, .keepalive = true, .batch = 10 };
    CHECK_INT_EQ(0, tg_model_predict(&m, &b10, 20, 400, 1, &p));
    CHECK_DBL_NEAR(116, p.p95_ms, 1e-6);
    /* two slots halve the queue */
    struct tg_costmodel m2 = m;
    m2.slots = 2;
    CHECK_INT_EQ(0, tg_model_predict(&m2, &base, 20, 400, 1, &p));
    CHECK_DBL_NEAR(490, p.p95_ms, 1e-6);
    /* overhead and connection cost are paid per request */
    struct tg_costmodel mo = m;
    mo.overhead_ms = 2;
    mo.connect_ms = 1;
    struct tg_client_cfg b20n = { .connections = 20, .keepalive = false, .batch = 20 };
    CHECK_INT_EQ(0, tg_model_predict(&mo, &b20n, 20, 400, 1, &p));
    CHECK_DBL_NEAR(71, p.p95_ms, 1e-6);
    /* a batch wait delays a partial batch: 5 inputs, batch 8, wait 3 ms */
    struct tg_client_cfg w = { .connections = 5, .keepalive = true, .batch = 8, .batch_wait_ms = 3 };
    CHECK_INT_EQ(0, tg_model_predict(&m, &w, 5, 50, 1, &p));
    CHECK_DBL_NEAR(3 + 53, p.p95_ms, 1e-6);
    /* the best the model allows */
    double best;
    uint32_t bb;
    CHECK_INT_EQ(0, tg_model_best(&m, 20, 400, 1, &best, &bb));
    CHECK_UINT_EQ(20, bb);
    CHECK_DBL_NEAR(68, best, 1e-6);
    /* invalid */
    struct tg_client_cfg big = { .connections = 1, .keepalive = true, .batch = 65 };
    CHECK_INT_EQ(TG_EINVAL, tg_model_predict(&m, &big, 100, 100, 1, &p));
    CHECK_INT_EQ(TG_EINVAL, tg_model_predict(&m, &base, 0, 100, 1, &p));
}

TEST(model_jitter_and_compute_bound)
{
    /* with jitter factors the tail grows and the same seed reproduces it */
    double jit[] = { 0.9, 1.0, 1.0, 1.1, 1.5 };
    struct tg_costmodel m = { .alpha_ms = 48, .beta_ms = 1, .slots = 1, .max_batch = 64, .jitter = jit, .njitter = 5 };
    struct tg_client_cfg b20 = { .connections = 20, .keepalive = true, .batch = 20 };
    struct tg_prediction p, q;
    CHECK_INT_EQ(0, tg_model_predict(&m, &b20, 20, 400, 3, &p));
    CHECK_INT_EQ(0, tg_model_predict(&m, &b20, 20, 400, 3, &q));
    CHECK_DBL_NEAR(p.p95_ms, q.p95_ms, 0);
    CHECK(p.p95_ms >= 68 * 1.1 - 1e-9 && p.p95_ms <= 68 * 1.5 + 1e-9);
    /* compute-bound 4 + 45 b: no batch size gets under 800 ms at 20 in flight */
    struct tg_costmodel cb = { .alpha_ms = 4, .beta_ms = 45, .slots = 1, .max_batch = 64 };
    double best;
    uint32_t bb;
    CHECK_INT_EQ(0, tg_model_best(&cb, 20, 400, 1, &best, &bb));
    CHECK(best > 800);
    CHECK_UINT_EQ(20, bb);
    CHECK_DBL_NEAR(904, best, 1e-6);
}

TEST(model_smoothed_jitter)
{
    /* 99 log-normal(0, 0.08) factors and one stall (1 %): simulated over
     * many batches the P95 follows the log-normal, the P99 the rare stall */
    double f[100];
    struct tg_rng rng;
    tg_rng_seed(&rng, 11);
    for (int i = 0; i < 99; i++)
        f[i] = tg_rng_lognormal(&rng, 0, 0.08);
    f[99] = 2.0;
    struct tg_costmodel m = { .alpha_ms = 48, .beta_ms = 1, .slots = 1, .max_batch = 64, .jitter = f, .njitter = 100 };
    struct tg_client_cfg b20 = { .connections = 20, .keepalive = true, .batch = 20 };
    struct tg_prediction p;
    CHECK_INT_EQ(0, tg_model_predict(&m, &b20, 20, 20000, 1, &p));
    CHECK_DBL_NEAR(68 * exp(1.645 * 0.08), p.p95_ms, 68 * 0.06);
    CHECK_DBL_NEAR(68, p.p50_ms, 68 * 0.04);
    CHECK(p.p99_ms > 68 * exp(2.33 * 0.08));
    /* fewer than 10 factors are drawn as they are */
    double few[] = { 1.0, 1.0, 1.0, 2.0 };
    m.jitter = few;
    m.njitter = 4;
    CHECK_INT_EQ(0, tg_model_predict(&m, &b20, 20, 20000, 1, &p));
    CHECK_DBL_NEAR(136, p.p95_ms, 1e-6);
}

/* ---- tune -------------------------------------------------------------------------- */

TEST(tune_grid_and_args)
{
    struct tg_tune_cand g[256];
    size_t n = tg_tune_grid(20, 64, g, 256);
    /* pools {1, 20} x keep-alive {on, off} x (batch 1 + batches 2, 4, 8, 16, 20 x waits 0, 2, 5) */
    CHECK_UINT_EQ(2 * 2 * (1 + 5 * 3), n);
    CHECK_UINT_EQ(1, g[0].cfg.connections);
    CHECK_UINT_EQ(1, g[0].cfg.batch);
    CHECK_UINT_EQ(20, g[n - 1].cfg.batch);
    CHECK_DBL_NEAR(5, g[n - 1].cfg.batch_wait_ms, 0);
    /* capped by the server's largest batch */
    n = tg_tune_grid(20, 8, g, 256);
    CHECK_UINT_EQ(2 * 2 * (1 + 3 * 3), n);
    CHECK_UINT_EQ(3, tg_tune_grid(20, 64, g, 3));
    char a[160];
    struct tg_client_cfg c = { .connections = 20, .keepalive = true, .batch = 20, .batch_wait_ms = 2 };
    tg_tune_args(&c, a, sizeof a);
    CHECK_STR_EQ("--connections 20 --batch 20 --batch-wait-ms 2 --preconnect", a);
    struct tg_client_cfg d = { .connections = 1, .keepalive = false, .batch = 1 };
    tg_tune_args(&d, a, sizeof a);
    CHECK_STR_EQ("--connections 1 --batch 1 --no-keepalive", a);
}

static void row(struct tg_prows *r, uint64_t id, bool ok, const char *hash)
{
    struct tg_prow *p = tg_prows_push(r);
    p->request_id = id;
    p->ok = ok;
    p->latency_ms = 1;
    if (hash)
        memcpy(p->hash, hash, 65);
}

TEST(tune_outputs_by_payload)
{
    struct tg_prows ref = { 0 }, cand = { 0 };
    char h[4][65];
    for (int i = 0; i < 4; i++)
        memset(h[i], 'a' + i, 64), h[i][64] = 0;
    for (int i = 0; i < 3; i++)
        row(&ref, (uint64_t)i, true, h[i]);    /* payload 3 never answered */
    /* 4 payloads: input 5 used payload 1, input 7 payload 3 */
    row(&cand, 0, true, h[0]);
    row(&cand, 5, true, h[1]);
    row(&cand, 6, true, h[3]);   /* payload 2, wrong output */
    row(&cand, 7, true, h[3]);   /* payload 3: no reference */
    row(&cand, 1, false, NULL);  /* failed */
    uint64_t c, d, m;
    CHECK_INT_EQ(0, tg_tune_outputs(&ref, &cand, 4, &c, &d, &m));
    CHECK_UINT_EQ(3, c);
    CHECK_UINT_EQ(1, d);
    CHECK_UINT_EQ(2, m);
    tg_prows_free(&ref);
    tg_prows_free(&cand);
}

static struct tg_tune_cand measured(uint32_t conns, bool ka, uint32_t b, double w, enum tg_tune_role role, double p95,
                                    double p50)
{
    struct tg_tune_cand c = { .cfg = { conns, ka, b, w }, .role = role, .measured = true, .inputs = 200, .ok = 200,
                              .p50_ms = p50, .p95_ms = p95, .outputs_compared = 60 };
    return c;
}

TEST(tolerance_parse_and_compare)
{
    struct tg_tolerance t;
    char buf[48];
    CHECK_INT_EQ(0, tg_tolerance_parse("1e-5", &t));
    CHECK_INT_EQ(TG_TOL_ABS, t.kind);
    CHECK_DBL_NEAR(1e-5, t.eps, 1e-18);
    tg_tolerance_format(&t, buf, sizeof buf);
    CHECK_STR_EQ("abs:1e-05", buf);
    CHECK_INT_EQ(0, tg_tolerance_parse("abs:0.5", &t));
    CHECK_INT_EQ(TG_TOL_ABS, t.kind);
    CHECK_INT_EQ(0, tg_tolerance_parse("cosine:1e-6", &t));
    CHECK_INT_EQ(TG_TOL_COSINE, t.kind);
    CHECK_INT_EQ(TG_EINVAL, tg_tolerance_parse("", &t));
    CHECK_INT_EQ(TG_EINVAL, tg_tolerance_parse("-1", &t));
    CHECK_INT_EQ(TG_EINVAL, tg_tolerance_parse("cosine:", &t));
    CHECK_INT_EQ(TG_EINVAL, tg_tolerance_parse("1e-5x", &t));
    CHECK_INT_EQ(TG_EINVAL, tg_tolerance_parse("nan", &t));

    const char *a = "[0.6,0.8,0]", *b = "[0.600001,0.799999,0]", *c = "[0.6,0.8]", *d = "[0.8,0.6,0]";
    double m;
    struct tg_tolerance exact = { TG_TOL_EXACT, 0 }, abs5 = { TG_TOL_ABS, 1e-5 }, abs7 = { TG_TOL_ABS, 1e-7 };
    struct tg_tolerance cos6 = { TG_TOL_COSINE, 1e-6 };
    CHECK(tg_tolerance_within(&exact, a, a, &m));
    CHECK(!tg_tolerance_within(&exact, a, b, &m));
    CHECK(tg_tolerance_within(&abs5, a, b, &m));
    CHECK_DBL_NEAR(1e-6, m, 1e-9);
    CHECK(!tg_tolerance_within(&abs7, a, b, NULL));
    CHECK(tg_tolerance_within(&cos6, a, b, &m));
    CHECK(m < 1e-9);
    CHECK(!tg_tolerance_within(&cos6, a, d, &m));      /* same numbers, other direction */
    CHECK_DBL_NEAR(1 - 0.96, m, 1e-12);
    CHECK(!tg_tolerance_within(&abs5, a, c, &m));      /* shapes differ */
    CHECK(isinf(m));
    CHECK(!tg_tolerance_within(&cos6, a, c, &m));
    CHECK(isinf(m));
    CHECK(!tg_tolerance_within(&abs5, a, "not json", &m));
    CHECK(isnan(m));
    CHECK(tg_tolerance_within(&cos6, "{\"k\":[1,2]}", "{\"k\":[2,4]}", &m));   /* cosine ignores scale */
    CHECK(!tg_tolerance_within(&cos6, "{\"k\":[1,2]}", "{\"j\":[1,2]}", NULL));
}

TEST(tune_outputs_within_tolerance)
{
    struct tg_prows ref = { 0 }, cand = { 0 };
    char h[4][65];
    for (int i = 0; i < 4; i++)
        memset(h[i], 'a' + i, 64), h[i][64] = 0;
    row(&ref, 0, true, h[0]);
    row(&ref, 1, true, h[1]);
    row(&cand, 0, true, h[2]);   /* hash differs, numbers close */
    row(&cand, 1, true, h[3]);   /* hash differs, numbers far */
    char r0[] = "[0.1,0.2]", r1[] = "[0.3,0.4]", c0[] = "[0.1000004,0.2]", c1[] = "[0.31,0.4]";
    char *ref_out[2] = { r0, r1 }, *cand_out[2] = { c0, c1 };
    struct tg_tune_cand c;
    struct tg_tolerance exact = { TG_TOL_EXACT, 0 }, abs5 = { TG_TOL_ABS, 1e-5 };
    CHECK_INT_EQ(0, tg_tune_outputs_tol(&ref, ref_out, &cand, cand_out, 2, &exact, &c));
    CHECK_UINT_EQ(2, c.outputs_compared);
    CHECK_UINT_EQ(2, c.outputs_different);
    CHECK_UINT_EQ(0, c.outputs_within_tolerance);
    CHECK_INT_EQ(0, tg_tune_outputs_tol(&ref, ref_out, &cand, cand_out, 2, &abs5, &c));
    CHECK_UINT_EQ(1, c.outputs_different);
    CHECK_UINT_EQ(1, c.outputs_within_tolerance);
    CHECK_DBL_NEAR(0.01, c.outputs_max_diff, 1e-9);
    /* without the numbers (no kept outputs) a differing hash stays different */
    CHECK_INT_EQ(0, tg_tune_outputs_tol(&ref, NULL, &cand, cand_out, 2, &abs5, &c));
    CHECK_UINT_EQ(2, c.outputs_different);
    /* numbers kept, but none for one payload: that output is unverified (missing), not different */
    char *partial[2] = { ref_out[0], NULL };
    CHECK_INT_EQ(0, tg_tune_outputs_tol(&ref, partial, &cand, cand_out, 2, &abs5, &c));
    CHECK_UINT_EQ(1, c.outputs_compared);
    CHECK_UINT_EQ(1, c.outputs_within_tolerance);
    CHECK_UINT_EQ(0, c.outputs_different);
    CHECK_UINT_EQ(1, c.outputs_missing);
    tg_prows_free(&ref);
    tg_prows_free(&cand);
}

TEST(probe_reads_the_limit_from_a_rejection)
{
    struct tg_api_error e;
    const struct tg_api *tg = tg_api_find("tailgate");
    tg_probe_read_reject(tg, 413, "HTTP 413 Payload Too Large: batch of 128 inputs exceeds the maximum of 64", &e);
    CHECK_UINT_EQ(64, e.max_batch);
    CHECK_STR_EQ("batch of 128 inputs exceeds the maximum of 64", e.message);
    /* the body itself after the reason (JSON error shapes) */
    tg_probe_read_reject(tg, 422, "HTTP 422 Unprocessable Entity: {\"error\":{\"message\":\"batch size 300 > maximum allowed batch size 256\"}}", &e);
    CHECK_UINT_EQ(256, e.max_batch);
    tg_probe_read_reject(tg, 400, "HTTP 400 Bad Request: {\"error\":\"input must have at most 32 items\"}", &e);
    CHECK_UINT_EQ(32, e.max_batch);
    /* no message: nothing named (bisection decides) */
    tg_probe_read_reject(tg, 413, "HTTP 413 Payload Too Large", &e);
    CHECK_UINT_EQ(0, e.max_batch);
    CHECK_STR_EQ("", e.message);
    tg_probe_read_reject(tg, 400, "HTTP 400 Bad Request: malformed JSON at byte 3", &e);
    CHECK_UINT_EQ(0, e.max_batch);
    tg_probe_read_reject(tg, 400, NULL, &e);
    CHECK_UINT_EQ(0, e.max_batch);
}

TEST(tune_select_recorded)
{
    /* measured on the default profile, 20 in flight (tune.json of a real search) */
    struct tg_tune_cand c[] = {
        measured(1, true, 20, 0, TG_ROLE_SEARCH, 77.5, 70.2),
        measured(1, true, 20, 2, TG_ROLE_SEARCH, 76.7, 66.4),
        measured(1, true, 20, 5, TG_ROLE_SEARCH, 79.8, 69.9),
        measured(20, false, 20, 0, TG_ROLE_SEARCH, 70.7, 64.8),
        measured(20, true, 1, 0, TG_ROLE_BASELINE, 997.1, 978.2),
        measured(1, true, 1, 0, TG_ROLE_POOL, 1092.4, 1014.3),
        measured(20, false, 1, 0, TG_ROLE_KEEPALIVE, 1001.6, 964.4),
        measured(20, true, 20, 0, TG_ROLE_BATCH, 81.2, 69.9),
        measured(20, true, 20, 0, TG_ROLE_CONFIRM, 60.0, 50.0),   /* never chosen from */
    };
    size_t n = sizeof c / sizeof c[0];
    CHECK_INT_EQ(3, tg_tune_select(c, n, 20, 0.05));
    /* within 15 %, the simplest wins: tailgate run's defaults (pool 20, keep-alive, no wait) */
    CHECK_INT_EQ(7, tg_tune_select(c, n, 20, 0.15));
    /* different outputs disqualify */
    c[3].outputs_different = 1;
    CHECK(!tg_tune_eligible(&c[3]));
    CHECK_INT_EQ(0, tg_tune_select(c, n, 20, 0.05));
    /* so do failures, and an unmeasured candidate */
    c[0].failed = 1;
    c[1].measured = false;
    /* left: 79.8 (pool 1, wait 5) and 81.2 (pool 20, no wait) are within 5 %: the simpler */
    CHECK_INT_EQ(7, tg_tune_select(c, n, 20, 0.05));
    CHECK_INT_EQ(2, tg_tune_select(c, n, 20, 0.0));
    /* nothing eligible */
    for (size_t i = 0; i < n; i++)
        c[i].outputs_compared = 0;
    CHECK_INT_EQ(-1, tg_tune_select(c, n, 20, 0.05));
}

TEST(tune_select_compute_bound)
{
    /* compute-bound preset: batching does not help, nothing gets under 800 ms */
    struct tg_tune_cand c[] = {
        measured(20, true, 1, 0, TG_ROLE_BASELINE, 1069.0, 990),
        measured(1, true, 1, 0, TG_ROLE_POOL, 993.9, 985),
        measured(20, false, 1, 0, TG_ROLE_KEEPALIVE, 1001.7, 990),
        measured(20, true, 2, 0, TG_ROLE_BATCH, 979.2, 960),
    };
    int b = tg_tune_select(c, 4, 20, 0.05);
    /* 979.2 .. 1028.2 are tied; pool 20 + keep-alive is simplest, lowest P95 among those */
    CHECK_INT_EQ(3, b);
    CHECK(c[b].p95_ms > 800);
}

TEST_MAIN()
