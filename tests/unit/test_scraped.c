/* test_scraped.c - the scraped server series as evidence (analyze/scraped.h):
 * server_metrics.csv files written here, loaded, judged and named. */
#include "test.h"

#include "analyze/report.h"
#include "analyze/scraped.h"
#include "core/error.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

TEST_MAIN()

static const char *write_csv(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/tg_scraped_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        return NULL;
    close(fd);
    return path;
}

/* vLLM: two models summed per scrape; the idle tailgate queue series is passed over for the active one. */
TEST(scraped_vllm_sum_and_pick)
{
    const char *p = write_csv("time_ms,metric,labels,value\n"
                              "1000,tailgate_queue_depth_requests,,0\n"
                              "1000,vllm:num_requests_waiting,\"model_name=\"\"a\"\"\",2\n"
                              "1000,vllm:num_requests_waiting,\"model_name=\"\"b\"\"\",1\n"
                              "1000,vllm:num_requests_running,\"model_name=\"\"a\"\"\",4\n"
                              "2000,tailgate_queue_depth_requests,,0\n"
                              "2000,vllm:num_requests_waiting,\"model_name=\"\"a\"\"\",5\n"
                              "2000,vllm:num_requests_running,\"model_name=\"\"a\"\"\",8\n"
                              "3000,tailgate_queue_depth_requests,,0\n"
                              "3000,vllm:num_requests_waiting,\"model_name=\"\"a\"\"\",0\n"
                              "3000,vllm:num_requests_running,\"model_name=\"\"a\"\"\",8\n"
                              "9000,vllm:num_requests_waiting,\"model_name=\"\"a\"\"\",100\n");
    REQUIRE(p);
    struct tg_scraped s;
    char err[200];
    REQUIRE(tg_scraped_load(p, 0, 5000, &s, err, sizeof err) == 0);
    unlink(p);
    CHECK_UINT_EQ(3, s.scrapes);   /* 9000 is outside the window */
    REQUIRE(s.queue.found);
    CHECK_STR_EQ("vllm:num_requests_waiting", s.queue.metric);
    CHECK_STR_EQ("vLLM", s.queue.server);
    CHECK_UINT_EQ(3, s.queue.samples);
    CHECK_DBL_NEAR((3 + 5 + 0) / 3.0, s.queue.mean, 1e-9);
    CHECK_DBL_NEAR(5, s.queue.max, 0);
    CHECK_DBL_NEAR(2 / 3.0, s.queue.share_positive, 1e-9);
    CHECK_STR_EQ("vllm:num_requests_running", s.running.metric);
    CHECK_DBL_NEAR(20 / 3.0, s.running.mean, 1e-9);
    CHECK(isnan(s.limit));
    CHECK_UINT_EQ(3, s.npoints);
    CHECK_DBL_NEAR(5, s.queue_v[1], 0);
    CHECK_DBL_NEAR(8, s.running_v[2], 0);
    tg_scraped_judge(&s, 4.0);
    CHECK(s.queueing);
    CHECK_INT_EQ(1, s.saturated);
    CHECK_DBL_NEAR((8 / 3.0) / 4.0 * 1000, s.little_queue_ms, 1e-6);
    char txt[600];
    tg_scraped_sentence(&s, txt, sizeof txt);
    printf("  sentence: %s\n", txt);
    CHECK(strstr(txt, "vllm:num_requests_waiting (vLLM, scraped from /metrics) was > 0 in 67 % of 3 scrapes"));
    CHECK(strstr(txt, "the server queues requests"));
    tg_scraped_free(&s);
}

/* tailgate serve: running at its slot limit without a queue is saturation without queueing. */
TEST(scraped_at_limit_no_queue)
{
    const char *p = write_csv("time_ms,metric,labels,value\n"
                              "1,tailgate_queue_depth_requests,,0\n1,tailgate_executions_running,,2\n1,tailgate_slots,,2\n"
                              "2,tailgate_queue_depth_requests,,1\n2,tailgate_executions_running,,2\n2,tailgate_slots,,2\n"
                              "3,tailgate_queue_depth_requests,,0\n3,tailgate_executions_running,,2\n3,tailgate_slots,,2\n");
    REQUIRE(p);
    struct tg_scraped s;
    char err[200];
    REQUIRE(tg_scraped_load(p, INT64_MIN, INT64_MAX, &s, err, sizeof err) == 0);
    unlink(p);
    CHECK_DBL_NEAR(2, s.limit, 0);
    tg_scraped_judge(&s, NAN);
    CHECK(!s.queueing);
    CHECK_INT_EQ(1, s.saturated);
    CHECK(isnan(s.little_queue_ms));
    tg_scraped_free(&s);
}

/* Triton: the cumulative queue time over the successes in the window. */
TEST(scraped_triton_rate)
{
    const char *p = write_csv("time_ms,metric,labels,value\n"
                              "10,nv_inference_queue_duration_us,\"model=\"\"m\"\",version=\"\"1\"\"\",1000\n"
                              "10,nv_inference_request_success,\"model=\"\"m\"\",version=\"\"1\"\"\",10\n"
                              "20,nv_inference_queue_duration_us,\"model=\"\"m\"\",version=\"\"1\"\"\",51000\n"
                              "20,nv_inference_request_success,\"model=\"\"m\"\",version=\"\"1\"\"\",20\n");
    REQUIRE(p);
    struct tg_scraped s;
    char err[200];
    REQUIRE(tg_scraped_load(p, INT64_MIN, INT64_MAX, &s, err, sizeof err) == 0);
    unlink(p);
    CHECK(s.has_triton);
    CHECK_DBL_NEAR(5.0, s.triton_queue_ms, 1e-9);   /* 50 000 us over 10 requests */
    tg_scraped_judge(&s, NAN);
    CHECK(s.queueing);
    CHECK_DBL_NEAR(5.0, s.little_queue_ms, 1e-9);
    tg_scraped_free(&s);
}

TEST(scraped_errors)
{
    struct tg_scraped s;
    char err[200];
    CHECK_INT_EQ(-ENOENT, tg_scraped_load("/nonexistent/server_metrics.csv", 0, 1, &s, err, sizeof err));
    const char *p = write_csv("a,b\n1,2\n");
    REQUIRE(p);
    CHECK_INT_EQ(TG_EPARSE, tg_scraped_load(p, 0, 1, &s, err, sizeof err));
    printf("  %s\n", err);
    unlink(p);
    p = write_csv("time_ms,metric,labels,value\nx,te_queue_size,,1\n");
    REQUIRE(p);
    CHECK_INT_EQ(TG_EPARSE, tg_scraped_load(p, 0, 1, &s, err, sizeof err));
    CHECK(strstr(err, ":2: bad time_ms"));
    unlink(p);
    p = write_csv("time_ms,metric,labels,value\n1,te_queue_size,\"unterminated,1\n");
    REQUIRE(p);
    CHECK_INT_EQ(TG_EPARSE, tg_scraped_load(p, 0, 1, &s, err, sizeof err));
    unlink(p);
}

/* Without Server-Timing a queueing server with most of the TTFB in its queue is server_queue. */
TEST(scraped_cause_override)
{
    struct tg_scraped s = { .queue = { .found = true, .metric = "te_queue_size", .server = "TEI", .samples = 10,
                                       .mean = 6, .max = 8, .share_positive = 0.9 },
                            .limit = NAN, .triton_queue_ms = NAN, .saturated = -1 };
    tg_scraped_judge(&s, 20);   /* 6 / 20 per s = 300 ms */
    struct tg_analysis a = { .has_decomp = true, .cause = TG_CAUSE_SERVER, .saturated = -1, .cause_share = 0.9 };
    a.decomp.phases = true;
    a.decomp.n_ok = 100;
    a.decomp.band[1].latency_ms = 420;
    a.decomp.band[1].band_latency_ms = 400;
    a.decomp.band[1].comp_ms[TG_COMP_SERVER] = 380;
    char sat[300];
    const char *why;
    CHECK(tg_scraped_before(&a, &s, sat, sizeof sat, &why));
    CHECK_INT_EQ(TG_CAUSE_SERVER_QUEUE, a.cause);
    CHECK_DBL_NEAR(300.0 / 400, a.cause_share, 1e-9);
    CHECK_INT_EQ(1, a.saturated);
    CHECK(strstr(a.saturation_evidence, "te_queue_size"));
    tg_analysis_sentence(&a);
    tg_scraped_after(&a, &s, true, "server_metrics.csv");
    printf("  %s\n", a.sentence);
    CHECK(strstr(a.sentence, "Dominant cause: server-side queueing"));
    CHECK(strstr(a.sentence, "te_queue_size (TEI, scraped from /metrics)"));
    CHECK(strstr(a.evidence[a.nevidence - 1], "queue te_queue_size (TEI) > 0 in 90 %"));
    /* with Server-Timing the scraped series are not the evidence */
    a.decomp.server_timing = true;
    a.cause = TG_CAUSE_SERVER_QUEUE;
    CHECK(!tg_scraped_before(&a, &s, sat, sizeof sat, &why));
    CHECK(strstr(why, "Server-Timing"));
}
