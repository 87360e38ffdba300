/* test_promtext.c - the Prometheus text parser (http/promtext.h) and the
 * exposition writer (output/prom.h), each checked against the other. */
#include "test.h"

#include "core/error.h"
#include "http/promtext.h"
#include "output/prom.h"

#include <math.h>

TEST_MAIN()

/* Every line of text as "K name|labels|value[|ts]" or "E<line_no>", one per line. */
static void render(const char *text, size_t len, char *out, size_t cap)
{
    size_t pos = 0, line = 0, n = 0;
    struct tg_promtext_line l;
    int rc;
    out[0] = 0;
    while ((rc = tg_promtext_next(text, len, &pos, &line, &l)) != 0 && n < cap) {
        if (rc < 0)
            n += (size_t)snprintf(out + n, cap - n, "E%zu\n", l.line_no);
        else if (l.kind == TG_PROMTEXT_TYPE)
            n += (size_t)snprintf(out + n, cap - n, "T %.*s|%.*s\n", (int)l.name_len, l.name, (int)l.type_len, l.type);
        else if (l.has_timestamp)
            n += (size_t)snprintf(out + n, cap - n, "S %.*s|%.*s|%g|%lld\n", (int)l.name_len, l.name,
                                  (int)l.labels_len, l.labels, l.value, (long long)l.timestamp_ms);
        else
            n += (size_t)snprintf(out + n, cap - n, "S %.*s|%.*s|%g\n", (int)l.name_len, l.name, (int)l.labels_len,
                                  l.labels, l.value);
    }
}

TEST(promtext_table)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        { "", "" },
        { "\n\n  \t\n", "" },
        { "a 1", "S a||1\n" },
        { "a 1\n", "S a||1\n" },
        { "a 1\r\n", "S a||1\n" },
        { "# HELP a help text\n# TYPE a counter\na_total 3\n", "T a|counter\nS a_total||3\n" },
        { "# just a comment\n#TYPE b gauge\n", "T b|gauge\n" },
        { "vllm:num_requests_waiting{model_name=\"m\"} 4.5\n", "S vllm:num_requests_waiting|model_name=\"m\"|4.5\n" },
        { "x{a=\"1\",b=\"two, three\",} 2 1700000000000\n", "S x|a=\"1\",b=\"two, three\",|2|1700000000000\n" },
        { "x{ a = \"q\\\"\\\\\\n\" } +Inf\n", "S x| a = \"q\\\"\\\\\\n\" |inf\n" },
        { "x{} -Inf\ny NaN\n", "S x||-inf\nS y||nan\n" },
        { "x{a=\"1\"}7\n", "S x|a=\"1\"|7\n" },
        { "h_bucket{le=\"0.5\"} 1e3\n", "S h_bucket|le=\"0.5\"|1000\n" },
        /* errors: each costs only its line */
        { "1abc 2\nok 1\n", "E1\nS ok||1\n" },
        { "a\n", "E1\n" },
        { "a b\n", "E1\n" },
        { "a 1 2 3\n", "E1\n" },
        { "a 1 x\n", "E1\n" },
        { "a{b=1} 1\n", "E1\n" },
        { "a{b=\"1} 1\n", "E1\n" },
        { "a{b=\"\\x\"} 1\n", "E1\n" },
        { "a{:b=\"1\"} 1\n", "E1\n" },
        { "a{b=\"1\" c=\"2\"} 1\n", "E1\n" },
        { "a-b 1\n", "E1\n" },
        { "# TYPE\n# TYPE 9x gauge\n# TYPE a\n", "E1\nE2\nE3\n" },
        { "a 1 99999999999999999999\n", "E1\n" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char got[1024];
        render(cases[i].in, strlen(cases[i].in), got, sizeof got);
        if (strcmp(got, cases[i].want))
            TG_FAIL_AT("case %zu: input \"%s\": expected\n%s  got\n%s", i, cases[i].in, cases[i].want, got);
    }
}

/* Splitting the body at any line boundary gives the same lines. */
TEST(promtext_line_splits)
{
    const char *in = "# TYPE a gauge\na{x=\"1\"} 1\nbad line\n\nb 2 5\nc{y=\"z\"} 3";
    char whole[1024];
    render(in, strlen(in), whole, sizeof whole);
    for (const char *p = in; (p = strchr(p, '\n')); p++) {
        size_t cut = (size_t)(p - in) + 1;
        char a[1024], b[1024], joined[2048];
        render(in, cut, a, sizeof a);
        render(in + cut, strlen(in) - cut, b, sizeof b);
        /* the second half numbers its lines from 1: compare the samples only */
        snprintf(joined, sizeof joined, "%s%s", a, b);
        size_t nw = 0, nj = 0;
        for (const char *q = whole; *q; q++)
            nw += *q == 'S' && (q == whole || q[-1] == '\n');
        for (const char *q = joined; *q; q++)
            nj += *q == 'S' && (q == joined || q[-1] == '\n');
        CHECK_UINT_EQ(nw, nj);
    }
}

TEST(promtext_label_lookup)
{
    const char *l = "model=\"a,b\", code=\"2\\\"0\\\\0\\n\",";
    char v[32];
    CHECK(tg_promtext_label(l, strlen(l), "model", v, sizeof v));
    CHECK_STR_EQ("a,b", v);
    CHECK(tg_promtext_label(l, strlen(l), "code", v, sizeof v));
    CHECK_STR_EQ("2\"0\\0\n", v);
    CHECK(!tg_promtext_label(l, strlen(l), "mode", v, sizeof v));
    CHECK(tg_promtext_label(l, strlen(l), "model", v, 3));
    CHECK_STR_EQ("a,", v);
}

TEST(prom_bucket_bounds)
{
    CHECK_UINT_EQ(0, tg_prom_bucket(tg_prom_latency_le, TG_PROM_LATENCY_BUCKETS, 0));
    CHECK_UINT_EQ(0, tg_prom_bucket(tg_prom_latency_le, TG_PROM_LATENCY_BUCKETS, 0.001));
    CHECK_UINT_EQ(1, tg_prom_bucket(tg_prom_latency_le, TG_PROM_LATENCY_BUCKETS, 0.0011));
    CHECK_UINT_EQ(TG_PROM_LATENCY_BUCKETS - 1, tg_prom_bucket(tg_prom_latency_le, TG_PROM_LATENCY_BUCKETS, 60));
    CHECK_UINT_EQ(TG_PROM_LATENCY_BUCKETS, tg_prom_bucket(tg_prom_latency_le, TG_PROM_LATENCY_BUCKETS, 61));
    CHECK_UINT_EQ(TG_PROM_LATENCY_BUCKETS, tg_prom_bucket(tg_prom_latency_le, TG_PROM_LATENCY_BUCKETS, NAN));
    for (size_t i = 1; i < TG_PROM_LATENCY_BUCKETS; i++)
        CHECK(tg_prom_latency_le[i] > tg_prom_latency_le[i - 1]);
    for (size_t i = 1; i < TG_PROM_TPOT_BUCKETS; i++)
        CHECK(tg_prom_tpot_le[i] > tg_prom_tpot_le[i - 1]);
}

static double sample(const char *text, size_t len, const char *name, const char *labels)
{
    size_t pos = 0, line = 0;
    struct tg_promtext_line l;
    int rc;
    while ((rc = tg_promtext_next(text, len, &pos, &line, &l)) != 0)
        if (rc > 0 && l.kind == TG_PROMTEXT_SAMPLE && l.name_len == strlen(name) && !memcmp(l.name, name, l.name_len) &&
            l.labels_len == strlen(labels) && !memcmp(l.labels, labels, l.labels_len))
            return l.value;
    return NAN;
}

TEST(prom_write_roundtrip)
{
    struct tg_prom_snapshot s = {
        .run_token = "0a1b2c3d", .api = "openai-chat", .url = "http://h/\"x\\y\n", .elapsed_s = 2.5,
        .ok = 7, .failed = 2, .nclasses = 2, .class_names = { "timeout", "status" }, .class_count = { 1, 1 },
        .in_flight = 3, .http_requests = 8, .bytes_sent = 100, .bytes_received = 2000, .streams = true,
    };
    s.latency.bucket[5] = 4;
    s.latency.bucket[TG_PROM_LATENCY_BUCKETS] = 3;   /* above 60 s */
    s.latency.sum_s = 200.25;
    s.ttft.bucket[0] = 7;
    s.tpot.bucket[TG_PROM_TPOT_BUCKETS - 1] = 6;
    struct tg_buf b = TG_BUF_INIT(0);
    REQUIRE(tg_prom_write(&b, &s) == 0);
    printf("%s", b.data);
    /* every line parses */
    size_t pos = 0, line = 0, samples = 0;
    struct tg_promtext_line l;
    int rc;
    while ((rc = tg_promtext_next(b.data, b.len, &pos, &line, &l)) != 0) {
        CHECK(rc > 0);
        samples += rc > 0 && l.kind == TG_PROMTEXT_SAMPLE;
    }
    CHECK(samples > 30);
    CHECK(strstr(b.data, "tailgate_run_info{run_token=\"0a1b2c3d\",api=\"openai-chat\",url=\"http://h/\\\"x\\\\y\\n\"} 1\n"));
    CHECK(strstr(b.data, "# TYPE tailgate_latency_seconds histogram\n"));
    CHECK_DBL_NEAR(7, sample(b.data, b.len, "tailgate_inputs_total", "outcome=\"ok\""), 0);
    CHECK_DBL_NEAR(2, sample(b.data, b.len, "tailgate_inputs_total", "outcome=\"failed\""), 0);
    CHECK_DBL_NEAR(1, sample(b.data, b.len, "tailgate_input_errors_total", "class=\"timeout\""), 0);
    CHECK_DBL_NEAR(3, sample(b.data, b.len, "tailgate_inputs_in_flight", ""), 0);
    CHECK_DBL_NEAR(8, sample(b.data, b.len, "tailgate_http_requests_total", ""), 0);
    CHECK_DBL_NEAR(2000, sample(b.data, b.len, "tailgate_bytes_received_total", ""), 0);
    /* cumulative buckets, +Inf == _count */
    CHECK_DBL_NEAR(0, sample(b.data, b.len, "tailgate_latency_seconds_bucket", "le=\"0.025\""), 0);
    CHECK_DBL_NEAR(4, sample(b.data, b.len, "tailgate_latency_seconds_bucket", "le=\"0.05\""), 0);
    CHECK_DBL_NEAR(4, sample(b.data, b.len, "tailgate_latency_seconds_bucket", "le=\"60\""), 0);
    CHECK_DBL_NEAR(7, sample(b.data, b.len, "tailgate_latency_seconds_bucket", "le=\"+Inf\""), 0);
    CHECK_DBL_NEAR(7, sample(b.data, b.len, "tailgate_latency_seconds_count", ""), 0);
    CHECK_DBL_NEAR(200.25, sample(b.data, b.len, "tailgate_latency_seconds_sum", ""), 0);
    CHECK_DBL_NEAR(7, sample(b.data, b.len, "tailgate_ttft_seconds_bucket", "le=\"0.001\""), 0);
    CHECK_DBL_NEAR(6, sample(b.data, b.len, "tailgate_tpot_seconds_bucket", "le=\"2\""), 0);
    CHECK_DBL_NEAR(6, sample(b.data, b.len, "tailgate_tpot_seconds_count", ""), 0);
    /* no streams: no TTFT/TPOT families */
    s.streams = false;
    tg_buf_reset(&b);
    REQUIRE(tg_prom_write(&b, &s) == 0);
    CHECK(!strstr(b.data, "tailgate_ttft_seconds"));
    CHECK(!strstr(b.data, "tailgate_tpot_seconds"));
    tg_buf_free(&b);
}

TEST(prom_write_out_of_memory)
{
    struct tg_prom_snapshot s = { .nclasses = 0 };
    struct tg_buf b = TG_BUF_INIT(64);
    CHECK_INT_EQ(TG_ENOMEM, tg_prom_write(&b, &s));
    tg_buf_free(&b);
}
