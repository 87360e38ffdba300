/* test_output.c - requests.csv rows, stream file lines, the append writer, summary.json keys. */
#include "test.h"

#include "core/error.h"
#include "output/csv.h"
#include "output/stream.h"
#include "output/summary.h"
#include "output/writer.h"
#include "stats/hist.h"

#include <fcntl.h>
#include <unistd.h>

TEST_MAIN()

TEST(csv_header_columns)
{
    CHECK(!strncmp(tg_csv_header,
                   "request_id,timestamp_ms,latency_ms,status_code,ok,http_request_id,batch_size,"
                   "client_queue_ms,connect_ms,ttfb_ms,service_ms,server_queue_ms,server_compute_ms,"
                   "bytes_out,bytes_in,output_hash,error,", 190));
    CHECK(tg_csv_header[strlen(tg_csv_header) - 1] == '\n');
}

TEST(csv_row_table)
{
    static const struct {
        struct tg_csv_row row;
        const char *want;
    } cases[] = {
        { { .request_id = 7, .timestamp_ms = 1700000000123, .latency_ns = 49876543, .status = 200, .ok = true,
            .sent = true, .http_request_id = 3, .batch_size = 20, .client_queue_ns = 1000, .connect_ns = 0,
            .ttfb_ns = 49000000, .service_ns = 49500499, .server_queue_ms = 0.5, .server_compute_ms = 48.25,
            .bytes_out = 1200, .bytes_in = 9000, .output_hash = "ab", .error = "",
            .latency_uncorrected_ns = 49876543, .worker = 1, .error_detail = "" },
          "7,1700000000123,49.877,200,1,3,20,0.001,0.000,49.000,49.500,0.500,48.250,1200,9000,ab,,49.877,1,,0.000"
          ",,,,,,,\n" },
        { { .request_id = 0, .timestamp_ms = 5, .latency_ns = 400, .status = 0, .ok = false, .sent = false,
            .client_queue_ns = -1, .connect_ns = -1, .ttfb_ns = -1, .service_ns = -1, .server_queue_ms = -1,
            .server_compute_ms = -1, .error = "interrupted", .latency_uncorrected_ns = 0,
            .error_detail = "never started", .tls_ns = -1 },
          "0,5,0.000,0,0,,,,,,,,,0,0,,interrupted,0.000,0,never started,,,,,,,,\n" },
        { { .request_id = 18446744073709551615ULL, .latency_ns = 1999999999999ULL, .status = 503, .sent = true,
            .http_request_id = 9, .batch_size = 1, .client_queue_ns = 5, .connect_ns = 123456, .ttfb_ns = -1,
            .service_ns = -1, .server_queue_ms = -1, .server_compute_ms = 3, .error = "status",
            .error_detail = "HTTP 503 \"busy\", try\nlater", .tls_ns = 4567890,
            .x_request_id = "0a1b2c3d-00000000002a" },
          "18446744073709551615,0,2000000.000,503,0,9,1,0.000,0.123,,,,3.000,0,0,,status,0.000,0,"
          "\"HTTP 503 \"\"busy\"\", try later\",4.568,0a1b2c3d-00000000002a,,,,,,\n" },
        /* a streamed row: every stream column; tpot/itl empty with one token */
        { { .request_id = 4, .latency_ns = 80000000, .status = 200, .ok = true, .sent = true,
            .http_request_id = 42, .batch_size = 1, .client_queue_ns = 0, .connect_ns = 0, .ttfb_ns = 1000000,
            .service_ns = 79000000, .server_queue_ms = -1, .server_compute_ms = -1, .output_hash = "cd",
            .error = "", .latency_uncorrected_ns = 80000000, .tls_ns = -1,
            .x_request_id = "0a1b2c3d-00000000002a", .streamed = true, .ttft_ns = 12345678, .tpot_ms = 2.5,
            .itl_max_ns = 4000001, .output_tokens = 30, .tokens_from_usage = true, .content_events = 29 },
          "4,0,80.000,200,1,42,1,0.000,0.000,1.000,79.000,,,0,0,cd,,80.000,0,,,0a1b2c3d-00000000002a,"
          "12.346,2.500,4.000,30,usage,29\n" },
        { { .request_id = 5, .latency_ns = 1000, .status = 200, .ok = true, .sent = true, .batch_size = 1,
            .client_queue_ns = -1, .connect_ns = -1, .ttfb_ns = -1, .service_ns = -1, .server_queue_ms = -1,
            .server_compute_ms = -1, .error = "", .tls_ns = -1, .streamed = true, .ttft_ns = -1,
            .tpot_ms = -1, .itl_max_ns = -1, .output_tokens = 0, .content_events = 0 },
          "5,0,0.001,200,1,0,1,,,,,,,0,0,,,0.000,0,,,,,,,0,events,0\n" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[TG_CSV_ROW_MAX];
        size_t n = tg_csv_format_row(buf, &cases[i].row);
        CHECK_MEM_EQ(cases[i].want, strlen(cases[i].want), buf, n);
    }
}

TEST(csv_row_max_fits)
{
    char detail[600];
    memset(detail, '"', sizeof detail - 1);
    detail[sizeof detail - 1] = '\0';
    char hash[65];
    memset(hash, 'f', 64);
    hash[64] = '\0';
    struct tg_csv_row r = { .request_id = UINT64_MAX, .timestamp_ms = INT64_MIN + 1, .latency_ns = UINT64_MAX,
                            .status = 999, .sent = true, .http_request_id = UINT64_MAX, .batch_size = UINT32_MAX,
                            .client_queue_ns = INT64_MAX, .connect_ns = INT64_MAX, .ttfb_ns = INT64_MAX,
                            .service_ns = INT64_MAX, .server_queue_ms = 1e11, .server_compute_ms = 1e11,
                            .bytes_out = UINT64_MAX, .bytes_in = UINT64_MAX, .output_hash = hash,
                            .error = "interrupted", .latency_uncorrected_ns = UINT64_MAX, .worker = UINT32_MAX,
                            .error_detail = detail, .tls_ns = INT64_MAX, .x_request_id = detail,
                            .streamed = true, .ttft_ns = INT64_MAX, .tpot_ms = 1e11, .itl_max_ns = INT64_MAX,
                            .output_tokens = UINT64_MAX, .content_events = UINT32_MAX };
    char buf[TG_CSV_ROW_MAX + 64];
    memset(buf, 'X', sizeof buf);
    size_t n = tg_csv_format_row(buf, &r);
    CHECK(n <= TG_CSV_ROW_MAX);
    CHECK(buf[n - 1] == '\n');
}

TEST(writer_appends_whole_lines)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/tg-test-writer-%d", (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    REQUIRE(fd >= 0);
    struct tg_writer a, b;
    tg_writer_init(&a, fd, 16);
    tg_writer_init(&b, fd, 1 << 20);
    CHECK_INT_EQ(0, tg_writer_add(&b, "b1\n", 3));
    CHECK_INT_EQ(0, tg_writer_add(&a, "a1\n", 3));
    char *p = tg_writer_reserve(&a, 100);
    REQUIRE(p);
    memcpy(p, "a2-long-line-over-16\n", 21);
    CHECK_INT_EQ(0, tg_writer_commit(&a, 21));   /* auto flush: a1 a2 */
    CHECK_INT_EQ(0, tg_writer_close(&b));        /* b1 after them */
    CHECK_INT_EQ(0, tg_writer_close(&a));
    close(fd);
    char got[128] = { 0 };
    int rfd = open(path, O_RDONLY);
    ssize_t n = read(rfd, got, sizeof got - 1);
    close(rfd);
    unlink(path);
    CHECK_INT_EQ(27, n);
    CHECK_STR_EQ("a1\na2-long-line-over-16\nb1\n", got);
}

/* A line that cannot be buffered is not dropped silently: the writer's
 * sticky error says so at close, and a later line does not clear it. */
TEST(writer_lost_line_is_an_error)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/tg-test-writer-oom-%d", (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    REQUIRE(fd >= 0);
    struct tg_writer w;
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    tg_writer_init(&w, fd, 1 << 20);
    tg_writer_set_lock(&w, &lock);
    w.buf.max = 8;                            /* the buffer's hard cap: 8 bytes */
    CHECK_INT_EQ(0, tg_writer_add(&w, "ok\n", 3));
    CHECK(tg_writer_reserve(&w, 64) == NULL);  /* over the cap */
    CHECK_INT_EQ(TG_ENOMEM, w.err);
    CHECK_INT_EQ(TG_ENOMEM, tg_writer_add(&w, "x\n", 2));
    CHECK_INT_EQ(TG_ENOMEM, tg_writer_close(&w));
    CHECK_INT_EQ(0, pthread_mutex_trylock(&lock));   /* the flush released the lock */
    pthread_mutex_unlock(&lock);
    close(fd);
    unlink(path);
}

TEST(summary_json_keys)
{
    struct tg_hist *h = tg_hist_new(3600ULL * 1000000);
    struct tg_hist *ph = tg_hist_new(3600ULL * 1000000);
    REQUIRE(h && ph);
    for (uint64_t v = 1; v <= 1000; v++)
        tg_hist_record(h, v * 1000);   /* 1..1000 ms */
    tg_hist_record(ph, 500);
    json_t *cfg = json_pack("{s:s, s:i}", "mode", "baseline", "concurrency", 20);
    struct tg_summary_class classes[] = { { "connect", 2 }, { "timeout", 0 } };
    const char *names[] = { "client_queue", "connect" };
    const struct tg_hist *phases[] = { ph, NULL };
    struct tg_summary s = {
        .tool_version = "9.9", .config = cfg, .payload_sha256 = "abc", .inputs = 1002, .ok = 1000, .failed = 2,
        .classes = classes, .nclasses = 2, .http_requests = 1002, .connections_opened = 20,
        .latency = h, .phase_names = names, .phases = phases, .nphases = 2, .wall_time_s = 2.0,
        .open_loop = true, .late_inputs = 3, .max_lag_ms = 12.5, .interrupted = false,
    };
    json_t *root = tg_summary_build(&s);
    REQUIRE(root);
    CHECK_STR_EQ("tailgate.summary/1", json_string_value(json_object_get(root, "schema")));
    CHECK_STR_EQ("9.9", json_string_value(json_object_get(root, "tool_version")));
    CHECK_STR_EQ("abc", json_string_value(json_object_get(root, "payload_sha256")));
    json_t *counts = json_object_get(root, "counts");
    static const char *const ck[] = { "inputs", "ok", "failed", "http_requests", "connections_opened" };
    for (size_t i = 0; i < 5; i++)
        CHECK(json_is_integer(json_object_get(counts, ck[i])));
    CHECK_INT_EQ(2, json_integer_value(json_object_get(json_object_get(counts, "failed_by_class"), "connect")));
    json_t *lat = json_object_get(root, "latency_ms");
    static const char *const lk[] = { "min", "mean", "stdev", "p50", "p90", "p95", "p99", "p999", "max" };
    for (size_t i = 0; i < 9; i++)
        CHECK(json_is_number(json_object_get(lat, lk[i])));
    CHECK_DBL_NEAR(500.0, json_number_value(json_object_get(lat, "p50")), 0.6);
    CHECK_DBL_NEAR(950.0, json_number_value(json_object_get(lat, "p95")), 1.0);
    CHECK_DBL_NEAR(1000.0, json_number_value(json_object_get(lat, "max")), 0.001);
    CHECK_DBL_NEAR(0.5, json_number_value(json_object_get(json_object_get(json_object_get(root, "phases_ms"),
                                                                          "client_queue"), "p50")), 0.001);
    CHECK(json_is_null(json_object_get(json_object_get(json_object_get(root, "phases_ms"), "connect"), "p50")));
    CHECK_DBL_NEAR(501.0, json_number_value(json_object_get(root, "throughput_rps")), 0.001);
    CHECK(json_is_true(json_object_get(json_object_get(root, "behind_schedule"), "behind")));
    CHECK(json_is_false(json_object_get(root, "interrupted")));
    CHECK(json_is_null(json_object_get(root, "tls")));   /* plain http */
    CHECK_STR_EQ("baseline", json_string_value(json_object_get(json_object_get(root, "config"), "mode")));
    json_t *env = json_object_get(root, "environment");
    CHECK(json_is_string(json_object_get(env, "cpu")) && json_is_integer(json_object_get(env, "cores")) &&
          json_is_string(json_object_get(env, "kernel")) && json_is_string(json_object_get(env, "hostname")));

    char path[64];
    snprintf(path, sizeof path, "/tmp/tg-test-summary-%d.json", (int)getpid());
    CHECK_INT_EQ(0, tg_summary_write(path, root));
    json_error_t err;
    json_t *back = json_load_file(path, 0, &err);
    CHECK(back != NULL);
    CHECK(json_equal(back, root));
    CHECK(access("/tmp/x-never/summary.json", F_OK) != 0);
    CHECK(tg_summary_write("/nonexistent-dir/summary.json", root) < 0);
    unlink(path);
    json_decref(back);
    json_decref(root);
    json_decref(cfg);
    tg_hist_free(h);
    tg_hist_free(ph);
}

TEST(summary_json_tls)
{
    struct tg_hist *hs = tg_hist_new(3600ULL * 1000000);
    REQUIRE(hs);
    tg_hist_record(hs, 3000);
    tg_hist_record(hs, 5000);
    struct tg_summary s = { .tool_version = "9.9", .tls = true, .tls_handshakes = 2, .tls_handshake = hs,
                            .tls_protocol = "TLSv1.3", .tls_cipher = "TLS_AES_256_GCM_SHA384" };
    json_t *root = tg_summary_build(&s);
    REQUIRE(root);
    json_t *t = json_object_get(root, "tls");
    CHECK_INT_EQ(2, json_integer_value(json_object_get(t, "handshakes")));
    CHECK_STR_EQ("TLSv1.3", json_string_value(json_object_get(t, "protocol")));
    CHECK_STR_EQ("TLS_AES_256_GCM_SHA384", json_string_value(json_object_get(t, "cipher")));
    CHECK_INT_EQ(2, json_integer_value(json_object_get(json_object_get(t, "handshake_ms"), "count")));
    CHECK_DBL_NEAR(4.0, json_number_value(json_object_get(json_object_get(t, "handshake_ms"), "mean")), 0.01);
    json_decref(root);
    s.tls_handshakes = 0;
    s.tls_protocol = "";
    tg_hist_free(hs);
    s.tls_handshake = NULL;
    root = tg_summary_build(&s);
    REQUIRE(root);
    CHECK(json_is_null(json_object_get(json_object_get(root, "tls"), "protocol")));
    CHECK(json_is_null(json_object_get(json_object_get(json_object_get(root, "tls"), "handshake_ms"), "p50")));
    json_decref(root);
}

TEST(stream_line_format)
{
    static const uint64_t ns[] = { 1000, 18446744073709551615ULL, 3 };
    static const uint32_t tok[] = { 1, 4294967295U, 2 };
    struct tg_stream_line l = { .request_id = 7, .x_request_id = "0a1b2c3d-00000000002a", .send_ns = 999,
                                .event_ns = ns, .tokens = tok, .n = 3, .ok = true };
    char buf[1024];
    size_t n = tg_stream_line_format(buf, &l);
    const char *want = "{\"request_id\":7,\"x_request_id\":\"0a1b2c3d-00000000002a\",\"send_ns\":999,"
                       "\"event_ns\":[1000,18446744073709551615,3],\"tokens\":[1,4294967295,2],\"ok\":true}\n";
    CHECK_MEM_EQ(want, strlen(want), buf, n);
    CHECK(n <= tg_stream_line_max(3));
    /* no events, no id, failed; an id with a quote is escaped */
    struct tg_stream_line e = { .request_id = 0, .n = 0, .ok = false };
    n = tg_stream_line_format(buf, &e);
    want = "{\"request_id\":0,\"x_request_id\":null,\"send_ns\":0,\"event_ns\":[],\"tokens\":[],\"ok\":false}\n";
    CHECK_MEM_EQ(want, strlen(want), buf, n);
    e.x_request_id = "a\"b\\c\x01";
    n = tg_stream_line_format(buf, &e);
    want = "{\"request_id\":0,\"x_request_id\":\"a\\\"b\\\\c\",\"send_ns\":0,\"event_ns\":[],\"tokens\":[],\"ok\":false}\n";
    CHECK_MEM_EQ(want, strlen(want), buf, n);
    json_error_t err;
    json_t *j = json_loadb(buf, n, 0, &err);
    CHECK(j != NULL);
    CHECK_STR_EQ("a\"b\\c", json_string_value(json_object_get(j, "x_request_id")));
    json_decref(j);
    /* the bound holds for the longest values */
    char xid[200];
    memset(xid, '"', sizeof xid - 1);
    xid[sizeof xid - 1] = '\0';
    uint64_t big[50];
    uint32_t bt[50];
    for (int i = 0; i < 50; i++) {
        big[i] = UINT64_MAX;
        bt[i] = UINT32_MAX;
    }
    struct tg_stream_line m = { .request_id = UINT64_MAX, .x_request_id = xid, .send_ns = UINT64_MAX,
                                .event_ns = big, .tokens = bt, .n = 50, .ok = false };
    char large[4096];
    CHECK(tg_stream_line_format(large, &m) <= tg_stream_line_max(50));
}

TEST(summary_json_stream_slos_goodput)
{
    /* nothing streamed: "stream" null; no SLOs: "slos" [] and goodput of every ok input */
    struct tg_summary s = { .tool_version = "9.9", .inputs = 10, .ok = 8, .wall_time_s = 2.0, .goodput_inputs = 8 };
    json_t *root = tg_summary_build(&s);
    REQUIRE(root);
    CHECK(json_is_null(json_object_get(root, "stream")));
    CHECK(json_is_array(json_object_get(root, "slos")) && json_array_size(json_object_get(root, "slos")) == 0);
    json_t *g = json_object_get(root, "goodput");
    CHECK_DBL_NEAR(4.0, json_number_value(json_object_get(g, "rps")), 1e-9);
    CHECK_INT_EQ(8, json_integer_value(json_object_get(g, "inputs")));
    CHECK(json_array_size(json_object_get(g, "slos")) == 0);
    json_decref(root);

    struct tg_hist *ttft = tg_hist_new(3600ULL * 1000000), *tpot = tg_hist_new(3600ULL * 1000000),
                   *itl = tg_hist_new(3600ULL * 1000000);
    REQUIRE(ttft && tpot && itl);
    tg_hist_record(ttft, 20000);
    tg_hist_record(ttft, 40000);
    tg_hist_record(tpot, 5000);
    for (int i = 0; i < 10; i++)
        tg_hist_record(itl, 5000);
    json_t *slos = json_pack("[{s:s}]", "verdict", "PASS");
    const char *texts[] = { "ttft:p95<=250ms" };
    struct tg_summary t = { .tool_version = "9.9", .inputs = 2, .ok = 2, .wall_time_s = 0.5, .streamed = 2,
                            .ttft = ttft, .tpot = tpot, .itl = itl, .output_tokens = 13, .tokens_from_usage = 1,
                            .slos = slos, .slo_texts = texts, .nslos = 1, .goodput_inputs = 1 };
    root = tg_summary_build(&t);
    REQUIRE(root);
    json_t *st = json_object_get(root, "stream");
    CHECK_INT_EQ(2, json_integer_value(json_object_get(st, "inputs")));
    CHECK_DBL_NEAR(30.0, json_number_value(json_object_get(json_object_get(st, "ttft_ms"), "mean")), 0.05);
    CHECK_INT_EQ(1, json_integer_value(json_object_get(json_object_get(st, "tpot_ms"), "count")));
    CHECK_INT_EQ(10, json_integer_value(json_object_get(json_object_get(st, "itl_ms"), "count")));
    static const char *const hk[] = { "count", "min", "mean", "p50", "p90", "p95", "p99", "p999", "max" };
    for (size_t i = 0; i < 9; i++)
        CHECK(json_object_get(json_object_get(st, "itl_ms"), hk[i]) != NULL);
    CHECK_INT_EQ(13, json_integer_value(json_object_get(json_object_get(st, "output_tokens"), "total")));
    CHECK_DBL_NEAR(6.5, json_number_value(json_object_get(json_object_get(st, "output_tokens"), "mean")), 1e-9);
    CHECK_INT_EQ(1, json_integer_value(json_object_get(json_object_get(st, "tokens_source"), "usage")));
    CHECK_INT_EQ(1, json_integer_value(json_object_get(json_object_get(st, "tokens_source"), "events")));
    CHECK_DBL_NEAR(26.0, json_number_value(json_object_get(st, "output_tokens_per_s")), 1e-9);
    CHECK_DBL_NEAR(2.0, json_number_value(json_object_get(st, "goodput_rps")), 1e-9);
    CHECK_STR_EQ("PASS", json_string_value(json_object_get(json_array_get(json_object_get(root, "slos"), 0),
                                                           "verdict")));
    g = json_object_get(root, "goodput");
    CHECK_STR_EQ("ttft:p95<=250ms", json_string_value(json_array_get(json_object_get(g, "slos"), 0)));
    CHECK_DBL_NEAR(2.0, json_number_value(json_object_get(g, "rps")), 1e-9);
    json_decref(root);
    json_decref(slos);
    tg_hist_free(ttft);
    tg_hist_free(tpot);
    tg_hist_free(itl);
}

TEST(summary_schedule_section)
{
    struct tg_hist *lag = tg_hist_new(3600ULL * 1000000);
    REQUIRE(lag);
    for (uint64_t v = 1; v <= 200; v++)
        tg_hist_record(lag, v <= 196 ? 100 : 5000);   /* 4 of 200 inputs 5 ms late: 2 % */
    struct tg_summary s = {
        .tool_version = "9.9", .open_loop = true, .send_lag = lag, .lag_late = 4, .lag_late_cap = 1,
        .cap_waited = 3, .target_rps = 1000, .achieved_rps = 990.5, .configured_rps = -1,
    };
    json_t *root = tg_summary_build(&s);
    REQUIRE(root);
    json_t *sch = json_object_get(root, "schedule");
    CHECK_INT_EQ(200, json_integer_value(json_object_get(sch, "inputs")));
    CHECK_DBL_NEAR(0.1, json_number_value(json_object_get(json_object_get(sch, "send_lag_ms"), "p50")), 0.001);
    CHECK_DBL_NEAR(5.0, json_number_value(json_object_get(json_object_get(sch, "send_lag_ms"), "max")), 0.006);
    CHECK_DBL_NEAR(0.02, json_number_value(json_object_get(sch, "late_fraction")), 1e-12);
    CHECK(json_is_true(json_object_get(sch, "behind")));
    CHECK_INT_EQ(3, json_integer_value(json_object_get(sch, "cap_waited_inputs")));
    CHECK_INT_EQ(1, json_integer_value(json_object_get(sch, "late_cap_waited_inputs")));
    CHECK(json_is_null(json_object_get(sch, "configured_rps")));
    CHECK_DBL_NEAR(990.5, json_number_value(json_object_get(sch, "achieved_rps")), 1e-9);
    CHECK_DBL_NEAR(0.02, tg_summary_late_fraction(&s), 1e-12);
    json_decref(root);
    /* closed loop: null */
    s.open_loop = false;
    root = tg_summary_build(&s);
    CHECK(json_is_null(json_object_get(root, "schedule")));
    json_decref(root);
    tg_hist_free(lag);
}
