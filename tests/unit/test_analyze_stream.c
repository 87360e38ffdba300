/*
 * test_analyze_stream.c - stream analysis (analyze/stream.h): points from
 * rows (a recorded requests.csv excerpt and handmade rows), the TTFT / TPOT
 * attribution with and without the server's gauges, the floor and the
 * server-side estimate, and the /metrics reader.
 */
#include "test.h"

#include "analyze/prows.h"
#include "analyze/stream.h"
#include "core/error.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

TEST_MAIN()

/* 10 rows recorded from `tailgate run --api openai-chat -c 20 --mode
 * baseline` against `tailgate serve --llm-max-num-seqs 8` (every 8th row by
 * TTFT of an 80-input run). */
static const char recorded[] =
    "request_id,latency_ms,status_code,ok,client_queue_ms,connect_ms,service_ms,"
    "ttft_ms,tpot_ms,itl_max_ms,output_tokens\n"
    "0,1017.901,200,1,0.392,0.392,1017.509,223.259,12.613,24.699,64\n"
    "8,609.353,200,1,0.445,0.445,608.908,423.308,12.374,12.535,16\n"
    "12,1017.824,200,1,0.460,0.460,1017.364,832.181,12.361,12.757,16\n"
    "75,1704.436,200,1,0.000,0.000,1704.436,882.565,13.046,44.630,64\n"
    "70,1797.065,200,1,0.000,0.000,1797.065,905.718,14.146,47.683,64\n"
    "36,1404.276,200,1,0.000,0.000,1404.276,974.554,13.862,47.282,32\n"
    "33,1428.811,200,1,0.000,0.000,1428.811,1041.377,12.498,17.122,32\n"
    "78,1869.979,200,1,0.000,0.000,1869.979,1100.766,12.210,33.568,64\n"
    "26,1577.862,200,1,0.000,0.000,1577.862,1148.617,14.802,60.637,30\n"
    "34,1606.463,200,1,0.000,0.000,1606.463,1177.473,13.838,47.103,32\n";

static void load(struct tg_prows *r, const char *csv)
{
    char err[200] = "";
    int rc = tg_prows_parse(csv, strlen(csv), "t.csv", r, err, sizeof err);
    if (rc)
        fprintf(stderr, "parse: %s\n", err);
}

/* n handmade rows at one concurrency: TTFT base + i*step, TPOT tpot, worst gap itl */
static void fill(struct tg_prows *r, size_t n, double ttft, double step, double tpot, double itl)
{
    for (size_t i = 0; i < n; i++) {
        struct tg_prow *p = tg_prows_push(r);
        p->request_id = i;
        p->ok = true;
        p->status = 200;
        p->latency_ms = ttft + step * (double)i + 63 * tpot;
        p->client_queue_ms = p->connect_ms = i == 0 ? 0.4 : 0;
        p->ttft_ms = ttft + step * (double)i;
        p->tpot_ms = tpot;
        p->itl_max_ms = itl;
        p->output_tokens = 64;
    }
}

TEST(point_from_recorded_rows)
{
    struct tg_prows r = { 0 };
    load(&r, recorded);
    CHECK(r.have & TG_PROWS_STREAM);
    CHECK_UINT_EQ(10, r.n);
    CHECK_DBL_NEAR(832.181, r.v[2].ttft_ms, 1e-9);
    struct tg_stream_point p;
    CHECK_INT_EQ(0, tg_stream_point_compute(&r, 20, &p));
    printf("  n %zu  ttft p50 %.3f p95 %.3f  tpot p50 %.3f p95 %.3f  itl_max p95 %.3f  connect %.3f (%zu)\n", p.n,
           p.ttft_p50_ms, p.ttft_p95_ms, p.tpot_p50_ms, p.tpot_p95_ms, p.itl_max_p95_ms, p.connect_mean_ms,
           p.n_connect);
    CHECK_UINT_EQ(10, p.n);
    CHECK_DBL_NEAR(905.718, p.ttft_p50_ms, 1e-9);   /* nearest rank 5 of 10 */
    CHECK_DBL_NEAR(1177.473, p.ttft_p95_ms, 1e-9);  /* rank 10 */
    CHECK_DBL_NEAR(14.802, p.tpot_p95_ms, 1e-9);
    CHECK_DBL_NEAR(60.637, p.itl_max_p95_ms, 1e-9);
    CHECK_UINT_EQ(3, p.n_connect);
    CHECK_DBL_NEAR((0.392 + 0.445 + 0.460) / 3, p.connect_mean_ms, 1e-9);
    CHECK_DBL_NEAR(0, p.client_queue_p95_ms, 1e-9);  /* connect is not client queue */
    tg_prows_free(&r);
}

TEST(no_stream_rows_is_einval)
{
    struct tg_prows r = { 0 };
    load(&r, "request_id,latency_ms,status_code\n1,10,200\n");
    CHECK(!(r.have & TG_PROWS_STREAM));
    struct tg_stream_point p;
    CHECK_INT_EQ(TG_EINVAL, tg_stream_point_compute(&r, 1, &p));
    struct tg_stream_analysis a;
    CHECK_INT_EQ(TG_EINVAL, tg_stream_analyze(&p, NULL, NULL, NULL, &a));
    tg_prows_free(&r);
}

/* the recorded run against a handmade floor: TTFT excess with the server's
 * own waiting count is admission queueing; the SLO above the floor is
 * reachable in principle, and the change named is admission capacity */
TEST(admission_queue_with_gauges)
{
    struct tg_prows r = { 0 }, f = { 0 };
    load(&r, recorded);
    fill(&f, 8, 44, 0.5, 11.3, 12.0);
    struct tg_stream_point run, fl;
    CHECK_INT_EQ(0, tg_stream_point_compute(&r, 20, &run));
    CHECK_INT_EQ(0, tg_stream_point_compute(&f, 1, &fl));
    struct tg_stream_gauges g = { .samples = 30, .waiting_max = 12, .waiting_mean = 7,
                                  .running_max = 8, .running_mean = 8 };
    struct tg_stream_slo slo = { .ttft_p95_ms = 300, .tpot_p95_ms = NAN };
    struct tg_stream_analysis a;
    CHECK_INT_EQ(0, tg_stream_analyze(&run, &fl, &g, &slo, &a));
    printf("  %s\n", a.sentence);
    CHECK_STR_EQ("admission_queue", tg_stream_cause_name(a.ttft_cause));
    CHECK_STR_EQ("admission_queue", tg_stream_cause_name(a.cause));
    CHECK_STR_EQ("ttft", a.cause_metric);
    CHECK_DBL_NEAR(1177.473 - 47.5, a.ttft_excess_ms, 1e-9);
    CHECK_DBL_NEAR(47.5, a.ttft_p95_floor_ms, 1e-9);
    CHECK_INT_EQ(0, a.ttft_slo_below_floor);
    CHECK_INT_EQ(0, a.run_meets_ttft);
    CHECK_INT_EQ(-1, a.run_meets_tpot);
    CHECK(!a.client_cannot_meet);
    REQUIRE(a.server_change != NULL);
    CHECK(strstr(a.server_change, "admission capacity") != NULL);
    CHECK(strstr(a.sentence, "up to 12 waiting") != NULL);

    /* the same without /metrics: never called queue */
    CHECK_INT_EQ(0, tg_stream_analyze(&run, &fl, NULL, &slo, &a));
    printf("  %s\n", a.sentence);
    CHECK_STR_EQ("server_wait", tg_stream_cause_name(a.cause));
    CHECK(strstr(a.sentence, "queueing") == NULL);

    /* measured and nothing waited: longer steps, not queue */
    struct tg_stream_gauges g0 = { .samples = 30, .running_max = 20, .running_mean = 18 };
    CHECK_INT_EQ(0, tg_stream_analyze(&run, &fl, &g0, &slo, &a));
    CHECK_STR_EQ("prefill_batch", tg_stream_cause_name(a.cause));
    tg_prows_free(&r);
    tg_prows_free(&f);
}

/* an SLO below the c=1 floor: no client-side configuration meets it */
TEST(slo_below_floor)
{
    struct tg_prows r = { 0 }, f = { 0 };
    fill(&r, 40, 60, 1, 14.0, 16.0);
    fill(&f, 8, 44, 0.5, 11.3, 12.0);
    struct tg_stream_point run, fl;
    CHECK_INT_EQ(0, tg_stream_point_compute(&r, 20, &run));
    CHECK_INT_EQ(0, tg_stream_point_compute(&f, 1, &fl));
    struct tg_stream_slo slo = { .ttft_p95_ms = 30, .tpot_p95_ms = NAN };
    struct tg_stream_analysis a;
    CHECK_INT_EQ(0, tg_stream_analyze(&run, &fl, NULL, &slo, &a));
    printf("  %s\n", a.sentence);
    CHECK_INT_EQ(1, a.ttft_slo_below_floor);
    CHECK(a.client_cannot_meet);
    CHECK_STR_EQ("floor", tg_stream_cause_name(a.cause));
    CHECK(strstr(a.sentence, "no client-side configuration meets them") != NULL);
    REQUIRE(a.server_change != NULL);
    CHECK(strstr(a.server_change, "faster prefill") != NULL);

    /* TPOT at c=1 misses: faster decode */
    slo = (struct tg_stream_slo){ .ttft_p95_ms = NAN, .tpot_p95_ms = 10 };
    CHECK_INT_EQ(0, tg_stream_analyze(&run, &fl, NULL, &slo, &a));
    CHECK_INT_EQ(1, a.tpot_slo_below_floor);
    CHECK_STR_EQ("tpot", a.cause_metric);
    REQUIRE(a.server_change != NULL);
    CHECK(strstr(a.server_change, "faster decode") != NULL);
    tg_prows_free(&r);
    tg_prows_free(&f);
}

/* TPOT: smooth growth is the running batch, standing-out gaps are prefills */
TEST(tpot_batch_vs_interference)
{
    struct tg_prows r = { 0 }, s = { 0 }, f = { 0 };
    fill(&f, 8, 44, 0, 11.3, 12.0);
    fill(&r, 40, 50, 0, 14.5, 16.0);     /* gaps close to the median step */
    fill(&s, 40, 50, 0, 14.5, 60.0);     /* worst gap 4x the step */
    struct tg_stream_point fl, run, spk;
    CHECK_INT_EQ(0, tg_stream_point_compute(&f, 1, &fl));
    CHECK_INT_EQ(0, tg_stream_point_compute(&r, 20, &run));
    CHECK_INT_EQ(0, tg_stream_point_compute(&s, 20, &spk));
    struct tg_stream_analysis a;
    CHECK_INT_EQ(0, tg_stream_analyze(&run, &fl, NULL, NULL, &a));
    printf("  %s\n", a.sentence);
    CHECK_STR_EQ("running_batch", tg_stream_cause_name(a.tpot_cause));
    CHECK_DBL_NEAR(14.5 / 11.3, a.tpot_growth, 1e-9);
    CHECK_STR_EQ("floor", tg_stream_cause_name(a.ttft_cause));   /* 6 ms over a 44 ms floor */
    CHECK_STR_EQ("tpot", a.cause_metric);
    CHECK_INT_EQ(0, tg_stream_analyze(&spk, &fl, NULL, NULL, &a));
    printf("  %s\n", a.sentence);
    CHECK_STR_EQ("prefill_interference", tg_stream_cause_name(a.tpot_cause));
    /* no floor: nothing attributed */
    CHECK_INT_EQ(0, tg_stream_analyze(&run, NULL, NULL, NULL, &a));
    CHECK_STR_EQ("unknown", tg_stream_cause_name(a.cause));
    CHECK(isnan(a.ttft_p95_floor_ms));
    tg_prows_free(&r);
    tg_prows_free(&s);
    tg_prows_free(&f);
}

TEST(metrics_reader)
{
    const char body[] =
        "# HELP vllm:num_requests_waiting Number of requests waiting to be processed.\n"
        "# TYPE vllm:num_requests_waiting gauge\n"
        "vllm:num_requests_waiting{model_name=\"example-llm\"} 12\n"
        "vllm:num_requests_running{model_name=\"example-llm\"} 8.0\r\n"
        "vllm:gpu_cache_usage_perc 0.25\n"
        "vllm:num_requests_waiting_total 99\n";
    CHECK_DBL_NEAR(12, tg_stream_metric(body, sizeof body - 1, "vllm:num_requests_waiting"), 0);
    CHECK_DBL_NEAR(8, tg_stream_metric(body, sizeof body - 1, "vllm:num_requests_running"), 0);
    CHECK_DBL_NEAR(0.25, tg_stream_metric(body, sizeof body - 1, "vllm:gpu_cache_usage_perc"), 0);
    CHECK(isnan(tg_stream_metric(body, sizeof body - 1, "vllm:num_preemptions")));
    CHECK(isnan(tg_stream_metric("", 0, "x")));
}
