/*
 * Unit tests of the one requests.csv reader (src/output/csv_read.c): rows
 * written by the CSV writer (output/csv.h) read back field for field, the
 * caller's required columns, the optional (streaming) columns, input.py's
 * four columns, strict values and "NAME:LINE: reason" errors.
 */
#include "test.h"

#include "core/error.h"
#include "output/csv.h"
#include "output/csv_read.h"

TEST_MAIN()

#define MAXR 8

struct got {
    size_t n;
    struct tg_csv_rec rec[MAXR];
    char hash[MAXR][80], error[MAXR][48], xid[MAXR][80], source[MAXR][8];
    int stop_at;   /* 1-based row whose callback fails; 0 never */
};

static int keep(void *ctx, const struct tg_csv_rec *rec, char *err, size_t errlen)
{
    struct got *g = ctx;
    if (g->stop_at && (int)g->n + 1 == g->stop_at)
        return tg_err_at(err, errlen, "cb", rec->line, "stopped");
    if (g->n == MAXR)
        return TG_ENOMEM;
    g->rec[g->n] = *rec;
    snprintf(g->hash[g->n], sizeof g->hash[0], "%s", rec->output_hash);
    snprintf(g->error[g->n], sizeof g->error[0], "%s", rec->error);
    snprintf(g->xid[g->n], sizeof g->xid[0], "%s", rec->x_request_id);
    snprintf(g->source[g->n], sizeof g->source[0], "%s", rec->tokens_source);
    g->n++;
    return 0;
}

static int read_text(const char *text, size_t len, unsigned required, struct got *g, char *err,
                     size_t errlen, unsigned *columns)
{
    memset(g, 0, sizeof *g);
    struct tg_csv_read rd = { .name = "t.csv", .required = required, .row = keep, .ctx = g };
    int rc = tg_csv_read(text, len, &rd, err, errlen);
    if (columns)
        *columns = rd.columns;
    return rc;
}

TEST(writer_rows_read_back_field_for_field)
{
    struct tg_csv_row rows[3] = {
        { .request_id = 7, .timestamp_ms = 1700000000123, .latency_ns = 12345678, .status = 200,
          .ok = true, .sent = true, .http_request_id = 3, .batch_size = 4, .client_queue_ns = 1000000,
          .connect_ns = 250000, .ttfb_ns = 9000000, .service_ns = 11000000, .server_queue_ms = 2.5,
          .server_compute_ms = 6.125, .bytes_out = 10, .bytes_in = 20,
          .output_hash = "ab12", .error = "", .latency_uncorrected_ns = 12000000, .worker = 1,
          .error_detail = "", .tls_ns = -1, .x_request_id = "00ff-01",
          .streamed = true, .ttft_ns = 5000000, .tpot_ms = 0.75, .itl_max_ns = 2000000,
          .output_tokens = 9, .tokens_from_usage = true, .content_events = 8 },
        /* a failed input with an error detail that needs quoting */
        { .request_id = 8, .timestamp_ms = 1700000000124, .latency_ns = 0, .status = 0, .ok = false,
          .sent = false, .client_queue_ns = -1, .connect_ns = -1, .ttfb_ns = -1, .service_ns = -1,
          .server_queue_ms = -1, .server_compute_ms = -1, .error = "timeout",
          .error_detail = "said \"no\", then\nclosed", .tls_ns = -1 },
        /* streamed without Server-Timing, events-counted tokens */
        { .request_id = 9, .timestamp_ms = 1700000000125, .latency_ns = 1000, .status = 204, .ok = true,
          .sent = true, .client_queue_ns = 0, .connect_ns = 0, .ttfb_ns = 0, .service_ns = 0,
          .server_queue_ms = -1, .server_compute_ms = -1, .error = "", .tls_ns = 0,
          .streamed = true, .ttft_ns = -1, .tpot_ms = -1, .itl_max_ns = -1, .output_tokens = 0,
          .content_events = 0 },
    };
    char text[4 * TG_CSV_ROW_MAX + 1024];
    size_t len = strlen(tg_csv_header);
    memcpy(text, tg_csv_header, len);
    for (int i = 0; i < 3; i++)
        len += tg_csv_format_row(text + len, &rows[i]);
    printf("  %.*s", (int)len, text);
    struct got g;
    char err[256] = "";
    unsigned cols;
    int rc = read_text(text, len, 0, &g, err, sizeof err, &cols);
    if (rc)
        printf("  error: %s\n", err);
    REQUIRE(rc == 0);
    CHECK_UINT_EQ((1u << TG_CSV_COL_COUNT) - 1, cols);   /* the writer writes every known column */
    REQUIRE(g.n == 3);
    const struct tg_csv_rec *a = &g.rec[0], *b = &g.rec[1], *c = &g.rec[2];
    CHECK_UINT_EQ(7, a->request_id);
    CHECK_DBL_NEAR(1700000000123.0, a->timestamp_ms, 0);
    CHECK_DBL_NEAR(12.346, a->latency_ms, 1e-12);   /* the writer rounds to the µs */
    CHECK_INT_EQ(200, a->status_code);
    CHECK(a->ok && a->has_http_id);
    CHECK_UINT_EQ(3, a->http_request_id);
    CHECK_UINT_EQ(4, a->batch_size);
    CHECK_DBL_NEAR(1, a->client_queue_ms, 0);
    CHECK_DBL_NEAR(0.25, a->connect_ms, 0);
    CHECK_DBL_NEAR(9, a->ttfb_ms, 0);
    CHECK_DBL_NEAR(11, a->service_ms, 0);
    CHECK_DBL_NEAR(2.5, a->server_queue_ms, 0);
    CHECK_DBL_NEAR(6.125, a->server_compute_ms, 0);
    CHECK_STR_EQ("ab12", g.hash[0]);
    CHECK_UINT_EQ(4, a->output_hash_len);
    CHECK_STR_EQ("00ff-01", g.xid[0]);
    CHECK_DBL_NEAR(5, a->ttft_ms, 0);
    CHECK_DBL_NEAR(0.75, a->tpot_ms, 0);
    CHECK_DBL_NEAR(2, a->itl_max_ms, 0);
    CHECK_INT_EQ(9, a->output_tokens);
    CHECK_STR_EQ("usage", g.source[0]);
    CHECK_INT_EQ(8, a->content_events);
    CHECK_UINT_EQ(2, a->line);

    CHECK(!b->ok && !b->has_http_id);
    CHECK_STR_EQ("timeout", g.error[1]);
    CHECK(isnan(b->client_queue_ms) && isnan(b->server_queue_ms) && isnan(b->ttft_ms));
    CHECK_INT_EQ(-1, b->output_tokens);
    CHECK_INT_EQ(-1, b->content_events);
    CHECK_STR_EQ("", g.source[1]);
    CHECK_UINT_EQ(3, b->line);

    CHECK(c->ok);   /* any 2xx with ok 1 */
    CHECK(isnan(c->ttft_ms) && isnan(c->tpot_ms) && isnan(c->itl_max_ms) && isnan(c->server_queue_ms));
    CHECK_INT_EQ(0, c->output_tokens);
    CHECK_STR_EQ("events", g.source[2]);
    CHECK_UINT_EQ(4, c->line);   /* the quoted field held a line break: it is written as a space */
    CHECK(!(c->filled & TG_CSV_BIT(TG_CSV_TTFT_MS)) && (c->filled & TG_CSV_BIT(TG_CSV_OUTPUT_TOKENS)));
}

TEST(input_py_four_columns)
{
    static const char csv[] = "request_id,timestamp_ms,latency_ms,status_code\n"
                              "0,1700000000000.5,300.000,200\n1,1700000000100,1000.000,0\n";
    struct got g;
    char err[256];
    unsigned cols;
    REQUIRE(read_text(csv, sizeof csv - 1, TG_CSV_BIT(TG_CSV_TIMESTAMP_MS), &g, err, sizeof err, &cols) == 0);
    CHECK_UINT_EQ(TG_CSV_BIT(TG_CSV_REQUEST_ID) | TG_CSV_BIT(TG_CSV_TIMESTAMP_MS) |
                      TG_CSV_BIT(TG_CSV_LATENCY_MS) | TG_CSV_BIT(TG_CSV_STATUS_CODE), cols);
    REQUIRE(g.n == 2);
    CHECK(g.rec[0].ok && !g.rec[1].ok);
    CHECK_DBL_NEAR(1700000000000.5, g.rec[0].timestamp_ms, 0);
    CHECK(isnan(g.rec[0].service_ms) && isnan(g.rec[0].ttft_ms));
    CHECK_INT_EQ(-1, g.rec[0].output_tokens);
    CHECK_STR_EQ("", g.hash[0]);
}

TEST(required_and_optional_columns)
{
    struct got g;
    char err[256];
    /* the caller's required column */
    static const char no_ts[] = "request_id,latency_ms,ok\n1,2,1\n";
    CHECK_INT_EQ(TG_EPARSE, read_text(no_ts, sizeof no_ts - 1, TG_CSV_BIT(TG_CSV_TIMESTAMP_MS), &g, err,
                                      sizeof err, NULL));
    CHECK_STR_EQ("t.csv:1: no timestamp_ms column in the header", err);
    /* optional when not required */
    CHECK_INT_EQ(0, read_text(no_ts, sizeof no_ts - 1, 0, &g, err, sizeof err, NULL));
    CHECK(isnan(g.rec[0].timestamp_ms));
    /* the streaming columns alone, in another order, partly empty */
    static const char st[] = "content_events,ok,tokens_source,latency_ms,request_id,ttft_ms\n"
                             "3,1,events,5,1,\n,0,,,2,\n";
    CHECK_INT_EQ(0, read_text(st, sizeof st - 1, 0, &g, err, sizeof err, NULL));
    CHECK_INT_EQ(3, g.rec[0].content_events);
    CHECK(isnan(g.rec[0].ttft_ms) && !(g.rec[0].filled & TG_CSV_BIT(TG_CSV_TTFT_MS)));
    CHECK_INT_EQ(-1, g.rec[1].content_events);
    CHECK(!g.rec[1].ok);
}

TEST(strict_values_table)
{
    static const struct { const char *csv, *err; } cases[] = {
        { "request_id,latency_ms,ok\n1,0x10,1\n", "t.csv:2: latency_ms '0x10' is not a non-negative number" },
        { "request_id,latency_ms,ok\n1,1e999,1\n", "t.csv:2: latency_ms '1e999'" },
        { "request_id,latency_ms,ok\n1,5 ,1\n", "t.csv:2: latency_ms '5 '" },
        { "request_id,latency_ms,ok,service_ms\n1,5,1,-0.5\n", "t.csv:2: service_ms '-0.5' is not a non-negative number" },
        { "request_id,latency_ms,ok,batch_size\n1,5,1,2.0\n", "t.csv:2: batch_size '2.0' is not a count" },
        { "request_id,latency_ms,ok,content_events\n1,5,1,-3\n", "t.csv:2: content_events '-3' is not a non-negative integer" },
        { "request_id,latency_ms,ok,tokens_source\n1,5,1,guess\n", "t.csv:2: tokens_source 'guess' is not usage or events" },
        { "request_id,latency_ms,ok,x_request_id\n1,5,1,a b\n", "t.csv:2: x_request_id is not a request id token" },
        { "request_id,latency_ms,ok,error\n1,5,0,\"a\tb\"\n", "t.csv:2: error class" },
        { "request_id,latency_ms,ok\n,5,1\n", "t.csv:2: request_id '' is not a non-negative integer" },
        { "request_id,latency_ms,ok,timestamp_ms\n1,5,1,nan\n", "t.csv:2: timestamp_ms 'nan' is not a number" },
        { "request_id,latency_ms,ok\n1,5,1\n\n2,5,1\n", "t.csv:3: empty line" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct got g;
        char err[256] = "";
        int rc = read_text(cases[i].csv, strlen(cases[i].csv), 0, &g, err, sizeof err, NULL);
        if (rc != TG_EPARSE || strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
            TG_FAIL_AT("case %zu: expected \"%s…\", got rc %d \"%s\"", i, cases[i].err, rc, err);
    }
    /* a field of TG_CSV_FIELD_MAX bytes is read, one more is an error */
    static char big[TG_CSV_FIELD_MAX + 64];
    for (int extra = 0; extra <= 1; extra++) {
        int n = snprintf(big, sizeof big, "request_id,latency_ms,ok,note\n1,5,1,");
        memset(big + n, 'x', TG_CSV_FIELD_MAX + (size_t)extra);
        n += TG_CSV_FIELD_MAX + extra;
        big[n++] = '\n';
        struct got g;
        char err[256] = "";
        int rc = read_text(big, (size_t)n, 0, &g, err, sizeof err, NULL);
        printf("  field of %d bytes: rc %d %s\n", TG_CSV_FIELD_MAX + extra, rc, err);
        CHECK_INT_EQ(extra ? TG_EPARSE : 0, rc);
    }
}

TEST(callback_error_stops_the_read)
{
    static const char csv[] = "request_id,latency_ms,ok\n1,5,1\n2,5,1\n3,5,1\n";
    struct got g;
    memset(&g, 0, sizeof g);
    g.stop_at = 2;
    struct tg_csv_read rd = { .name = "t.csv", .row = keep, .ctx = &g };
    char err[256];
    CHECK_INT_EQ(TG_EPARSE, tg_csv_read(csv, sizeof csv - 1, &rd, err, sizeof err));
    CHECK_STR_EQ("cb:3: stopped", err);
    CHECK_UINT_EQ(1, g.n);
}

TEST(err_at_formats_and_truncates)
{
    char e[16];
    CHECK_INT_EQ(TG_EPARSE, tg_err_at(e, sizeof e, "f.csv", 12, "bad %s", "thing here"));
    CHECK_STR_EQ("f.csv:12: bad t", e);   /* cut to fit, NUL-terminated */
    CHECK_INT_EQ(TG_EPARSE, tg_err_at(NULL, 0, "f", 1, "x"));
    char big[64];
    tg_err_at(big, sizeof big, NULL, 3, "no name");
    CHECK_STR_EQ("?:3: no name", big);
}

TEST(load_names_the_file)
{
    struct tg_csv_read rd = { 0 };
    char err[256];
    CHECK(tg_csv_load("/nonexistent/requests.csv", &rd, err, sizeof err) < 0);
    CHECK(strncmp(err, "/nonexistent/requests.csv: ", 27) == 0);
}
