/*
 * test_slo_eval.c - one run's SLO verdicts and goodput (compare/slo_eval.h):
 * the rows' streaming columns, tg_slo_eval on rows and a stream file (pooled
 * itl gaps, goodput, INCONCLUSIVE without per-event times, malformed lines),
 * the in-memory variant, and tune's use of it (judging a probe, the choice).
 */
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

#include "analyze/tune.h"
#include "compare/rows.h"
#include "compare/slo_eval.h"
#include "core/error.h"
#include "stats/slo.h"

TEST_MAIN()

/* ---- tg_slo_eval on files -------------------------------------------------- */

static char tmpdir[64];

static void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "  could not remove %s\n", tmpdir);
}

static const char *write_tmp(const char *name, const char *text)
{
    static char path[128];
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/tg_slo_XXXXXX");
        if (!mkdtemp(tmpdir))
            return NULL;
        atexit(remove_tmpdir);
    }
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    return path;
}

static int parse_rows(const char *csv, struct tg_rows *r)
{
    char err[256];
    memset(r, 0, sizeof *r);
    int rc = tg_rows_parse(csv, strlen(csv), "requests.csv", r, err, sizeof err);
    if (rc)
        fprintf(stderr, "  rows: %s\n", err);
    return rc;
}

static const char rows_csv[] =
    "request_id,latency_ms,ok,ttft_ms,tpot_ms,itl_max_ms,output_tokens\n"
    "0,40,1,5,10,,4\n"
    "1,120,1,8,50,,3\n"
    "2,30,0,,,,\n"
    "3,20,1,12,,,1\n";

/* input 0: gaps 10,10,10; 1: 5,100; 2 failed (its gap of 500 is not
 * pooled); 3: one event, no gap; 9: not in the rows (still pooled) */
static const char stream_jsonl[] =
    "{\"request_id\":0,\"x_request_id\":\"ab-0\",\"send_ns\":1,\"event_ns\":[1000000,11000000,21000000,31000000],\"tokens\":[1,1,1,1],\"ok\":true}\n"
    "{\"request_id\":1,\"x_request_id\":\"ab-1\",\"send_ns\":1,\"event_ns\":[0,5000000,105000000],\"tokens\":[1,1,1],\"ok\":true}\r\n"
    "\n"
    "{\"request_id\":2,\"send_ns\":1,\"event_ns\":[0,500000000],\"tokens\":[1,1],\"ok\":false}\n"
    "{\"request_id\":3,\"send_ns\":1,\"event_ns\":[7],\"tokens\":[1]}\n"
    "{\"request_id\":9,\"event_ns\":[0,2000000]}\n";

TEST(rows_stream_columns)
{
    struct tg_rows r;
    REQUIRE(parse_rows(rows_csv, &r) == 0);
    CHECK(r.columns & TG_COL_TTFT_MS);
    CHECK(r.columns & TG_COL_TPOT_MS);
    CHECK(r.columns & TG_COL_ITL_MAX_MS);
    CHECK(r.columns & TG_COL_OUTPUT_TOKENS);
    CHECK_DBL_NEAR(5, r.rows[0].ttft_ms, 0);
    CHECK_DBL_NEAR(50, r.rows[1].tpot_ms, 0);
    CHECK(isnan(r.rows[2].ttft_ms) && isnan(r.rows[3].tpot_ms) && isnan(r.rows[0].itl_max_ms));
    CHECK_INT_EQ(4, r.rows[0].output_tokens);
    CHECK_INT_EQ(-1, r.rows[2].output_tokens);
    tg_rows_free(&r);
    /* without the columns: no values */
    REQUIRE(parse_rows("request_id,latency_ms,status_code\n0,5,200\n", &r) == 0);
    CHECK(isnan(r.rows[0].ttft_ms) && isnan(r.rows[0].tpot_ms) && r.rows[0].output_tokens == -1);
    CHECK(!(r.columns & (TG_COL_TTFT_MS | TG_COL_TPOT_MS | TG_COL_ITL_MAX_MS)));
    tg_rows_free(&r);
    static const struct { const char *csv, *reason; } bad[] = {
        { "request_id,latency_ms,ok,ttft_ms\n0,1,1,-1\n", "requests.csv:2: ttft_ms '-1' is not a non-negative number" },
        { "request_id,latency_ms,ok,tpot_ms\n0,1,1,x\n", "requests.csv:2: tpot_ms 'x' is not a non-negative number" },
        { "request_id,latency_ms,ok,itl_max_ms\n0,1,1,inf\n", "requests.csv:2: itl_max_ms 'inf' is not a non-negative number" },
        { "request_id,latency_ms,ok,output_tokens\n0,1,1,2.5\n", "requests.csv:2: output_tokens '2.5' is not a non-negative integer" },
        { "request_id,latency_ms,ok,ttft_ms,ttft_ms\n", "requests.csv:1: column 'ttft_ms' appears twice" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256];
        memset(&r, 0, sizeof r);
        CHECK_INT_EQ(TG_EPARSE, tg_rows_parse(bad[i].csv, strlen(bad[i].csv), "requests.csv", &r,
                                              err, sizeof err));
        CHECK_STR_EQ(bad[i].reason, err);
        tg_rows_free(&r);
    }
}

static void parse3(struct tg_slo *s, const char *a, const char *b, const char *c)
{
    char why[128];
    tg_slo_parse(a, &s[0], why, sizeof why);
    tg_slo_parse(b, &s[1], why, sizeof why);
    tg_slo_parse(c, &s[2], why, sizeof why);
}

TEST(eval_rows_and_goodput)
{
    struct tg_rows r;
    REQUIRE(parse_rows(rows_csv, &r) == 0);
    struct tg_slo s[3];
    parse3(s, "ttft:p50<=10ms", "tpot:p50<=20ms", "latency:p50<=100ms");
    struct tg_slo_eval e;
    char err[256];
    REQUIRE(tg_slo_eval(&r, NULL, s, 3, 0.9, 2.0, &e, err, sizeof err) == 0);
    CHECK_UINT_EQ(3, e.n);
    /* ttft samples: 5, 8, 12 and the failed input as +inf */
    CHECK_UINT_EQ(4, e.res[0].n);
    CHECK_UINT_EQ(2, e.res[0].over);
    CHECK_DBL_NEAR(8, e.res[0].estimate_ms, 0);
    /* tpot: 10, 50, +inf (input 3 has one token: no sample) */
    CHECK_UINT_EQ(3, e.res[1].n);
    CHECK_UINT_EQ(2, e.res[1].over);
    /* latency: all four */
    CHECK_UINT_EQ(4, e.res[2].n);
    CHECK_UINT_EQ(2, e.res[2].over);
    /* goodput: 0 meets all three; 1 misses tpot and latency; 2 failed; 3
     * misses ttft (12 > 10) */
    CHECK_UINT_EQ(4, e.inputs);
    CHECK_UINT_EQ(3, e.ok);
    CHECK_UINT_EQ(1, e.good);
    CHECK_DBL_NEAR(0.5, e.goodput_rps, 1e-12);
    CHECK(!e.all_pass);
    /* no SLOs: every ok input is good; no wall time: no goodput */
    REQUIRE(tg_slo_eval(&r, NULL, s, 0, 0.9, 0, &e, err, sizeof err) == 0);
    CHECK_UINT_EQ(3, e.good);
    CHECK(isnan(e.goodput_rps));
    CHECK(e.all_pass && !e.any_fail);
    struct tg_slo many[TG_SLO_MAX + 1];
    CHECK_INT_EQ(TG_EINVAL, tg_slo_eval(&r, NULL, many, TG_SLO_MAX + 1, 0.9, 1, &e, err, sizeof err));
    tg_rows_free(&r);
}

TEST(eval_itl_from_stream)
{
    struct tg_rows r;
    REQUIRE(parse_rows(rows_csv, &r) == 0);
    const char *path = write_tmp("stream.jsonl", stream_jsonl);
    REQUIRE(path);
    char spath[128];
    snprintf(spath, sizeof spath, "%s", path);
    struct tg_slo s[1];
    char why[128], err[256];
    REQUIRE(tg_slo_parse("itl:p50<=20ms", &s[0], why, sizeof why) == 0);
    struct tg_slo_eval e;
    REQUIRE(tg_slo_eval(&r, spath, s, 1, 0.9, 2.0, &e, err, sizeof err) == 0);
    /* pooled: 10,10,10 (0), 5,100 (1), 2 (9) */
    CHECK_UINT_EQ(6, e.res[0].n);
    CHECK_UINT_EQ(1, e.res[0].over);
    CHECK_DBL_NEAR(10, e.res[0].estimate_ms, 1e-9);   /* 3rd of 2,5,10,10,10,100 */
    CHECK_STR_EQ("", e.note[0]);
    /* goodput: 0 (max 10) and 3 (no gap) meet; 1 (max 100) does not; 2 failed */
    CHECK_UINT_EQ(2, e.good);
    CHECK_DBL_NEAR(1.0, e.goodput_rps, 1e-12);

    /* the row's itl_max_ms wins over the stream's for goodput */
    struct tg_rows r2;
    REQUIRE(parse_rows("request_id,latency_ms,ok,itl_max_ms\n0,40,1,50\n1,40,1,\n3,40,1,\n", &r2) == 0);
    REQUIRE(tg_slo_eval(&r2, spath, s, 1, 0.9, 1.0, &e, err, sizeof err) == 0);
    CHECK_UINT_EQ(1, e.good);   /* 0: row says 50; 1: stream says 100; 3: no gap */
    tg_rows_free(&r2);

    /* no stream file (NULL, or missing): INCONCLUSIVE with the reason */
    char missing[160];
    snprintf(missing, sizeof missing, "%s/none.jsonl", tmpdir);
    const char *paths[] = { NULL, missing };
    for (int i = 0; i < 2; i++) {
        REQUIRE(tg_slo_eval(&r, paths[i], s, 1, 0.9, 2.0, &e, err, sizeof err) == 0);
        CHECK_INT_EQ(TG_VERDICT_INCONCLUSIVE, e.res[0].verdict);
        CHECK_UINT_EQ(0, e.res[0].n);
        CHECK_STR_EQ("no per-event times (stream.jsonl)", e.note[0]);
        CHECK_UINT_EQ(3, e.good);   /* no gaps known: none missed */
    }
    tg_rows_free(&r);
}

TEST(eval_stream_errors)
{
    struct tg_rows r;
    REQUIRE(parse_rows(rows_csv, &r) == 0);
    static const struct { const char *text, *reason; } bad[] = {
        { "{\"request_id\":0,\"event_ns\":[1,2]}\nnot json\n", ":2: not JSON" },
        { "[1]\n", ":1: not a JSON object" },
        { "{\"event_ns\":[1,2]}\n", ":1: no non-negative integer request_id" },
        { "{\"request_id\":-1,\"event_ns\":[1,2]}\n", ":1: no non-negative integer request_id" },
        { "{\"request_id\":0}\n", ":1: no event_ns array" },
        { "{\"request_id\":0,\"event_ns\":[1,\"2\"]}\n", ":1: event_ns[1] is not a non-negative integer" },
        { "{\"request_id\":0,\"event_ns\":[5,3]}\n", ":1: event_ns[1] is before event_ns[0]" },
        { "{\"request_id\":0,\"event_ns\":[1],\"ok\":1}\n", ":1: ok is not true or false" },
    };
    struct tg_slo s;
    char why[128];
    REQUIRE(tg_slo_parse("itl:p99<=20ms", &s, why, sizeof why) == 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *path = write_tmp("bad.jsonl", bad[i].text);
        REQUIRE(path);
        struct tg_slo_eval e;
        char err[256] = "";
        CHECK_INT_EQ(TG_EPARSE, tg_slo_eval(&r, path, &s, 1, 0.9, 1, &e, err, sizeof err));
        if (!strstr(err, bad[i].reason) || strncmp(err, path, strlen(path)))
            TG_FAIL_AT("expected \"%s%s…\", got \"%s\"", path, bad[i].reason, err);
        CHECK(!strchr(err, '\n'));
    }
    /* a stream file is only read for an itl SLO */
    const char *path = write_tmp("bad.jsonl", "garbage\n");
    struct tg_slo t;
    REQUIRE(tg_slo_parse("ttft:p99<=20ms", &t, why, sizeof why) == 0);
    struct tg_slo_eval e;
    char err[256];
    CHECK_INT_EQ(0, tg_slo_eval(&r, path, &t, 1, 0.9, 1, &e, err, sizeof err));
    tg_rows_free(&r);
}

TEST(eval_missing_column_and_output)
{
    struct tg_rows r;
    REQUIRE(parse_rows("request_id,latency_ms,status_code\n0,5,200\n1,7,500\n", &r) == 0);
    struct tg_slo s[2];
    char why[128], err[256];
    REQUIRE(tg_slo_parse("ttft:p95<=250ms", &s[0], why, sizeof why) == 0);
    REQUIRE(tg_slo_parse("latency:p50<=6", &s[1], why, sizeof why) == 0);
    struct tg_slo_eval e;
    REQUIRE(tg_slo_eval(&r, NULL, s, 2, 0.99, 1, &e, err, sizeof err) == 0);
    CHECK_INT_EQ(TG_VERDICT_INCONCLUSIVE, e.res[0].verdict);
    CHECK_STR_EQ("no ttft_ms column in the rows", e.note[0]);
    CHECK_UINT_EQ(2, e.res[1].n);
    CHECK_UINT_EQ(1, e.res[1].over);

    json_t *j = tg_slo_eval_json(&e, 0.99);
    REQUIRE(j);
    CHECK_UINT_EQ(2, json_array_size(j));
    json_t *o = json_array_get(j, 0);
    CHECK_STR_EQ("ttft:p95<=250ms", json_string_value(json_object_get(o, "slo")));
    CHECK_STR_EQ("ttft", json_string_value(json_object_get(o, "metric")));
    CHECK_DBL_NEAR(0.95, json_real_value(json_object_get(o, "p")), 1e-15);
    CHECK_DBL_NEAR(250, json_real_value(json_object_get(o, "limit_ms")), 0);
    CHECK(json_is_null(json_object_get(o, "estimate_ms")));
    CHECK_STR_EQ("INCONCLUSIVE", json_string_value(json_object_get(o, "verdict")));
    CHECK_STR_EQ("no ttft_ms column in the rows", json_string_value(json_object_get(o, "note")));
    o = json_array_get(j, 1);
    CHECK_INT_EQ(2, json_integer_value(json_object_get(o, "n")));
    CHECK_INT_EQ(1, json_integer_value(json_object_get(o, "over")));
    CHECK_DBL_NEAR(5, json_real_value(json_object_get(o, "estimate_ms")), 0);
    CHECK(json_is_null(json_object_get(o, "note")));
    json_decref(j);

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    REQUIRE(f);
    tg_slo_eval_print(f, &e, 0.99);
    fclose(f);
    CHECK(strstr(buf, "ttft:p95<=250ms   INCONCLUSIVE  p95 n/a, 0/0 over (99% confidence): no ttft_ms column in the rows\n") != NULL);
    CHECK(strstr(buf, "latency:p50<=6ms  INCONCLUSIVE  p50 5.0 ms, 1/2 over (99% confidence)\n") != NULL);
    if (tg_test_failed_checks)
        fprintf(stderr, "  printed:\n%s", buf);
    free(buf);
    tg_rows_free(&r);
}

/* The in-memory variant (tune): the same verdicts from the same gaps. */
TEST(eval_gaps_in_memory)
{
    struct tg_rows r;
    REQUIRE(parse_rows(rows_csv, &r) == 0);
    struct tg_slo s[2];
    char why[128], err[256];
    REQUIRE(tg_slo_parse("itl:p50<=20ms", &s[0], why, sizeof why) == 0);
    REQUIRE(tg_slo_parse("ttft:p50<=10ms", &s[1], why, sizeof why) == 0);
    static const double gaps[] = { 10, 10, 10, 5, 100, 2 };
    struct tg_slo_eval e;
    REQUIRE(tg_slo_eval_gaps(&r, gaps, 6, true, s, 2, 0.9, 2.0, &e, err, sizeof err) == 0);
    CHECK_UINT_EQ(6, e.res[0].n);
    CHECK_UINT_EQ(1, e.res[0].over);
    CHECK_DBL_NEAR(10, e.res[0].estimate_ms, 0);
    CHECK_UINT_EQ(4, e.res[1].n);    /* as tg_slo_eval: 5, 8, 12, +inf */
    CHECK_UINT_EQ(2, e.good);        /* rows' itl_max_ms empty: itl met; 3 misses ttft */
    REQUIRE(tg_slo_eval_gaps(&r, NULL, 0, false, s, 2, 0.9, 2.0, &e, err, sizeof err) == 0);
    CHECK_INT_EQ(TG_VERDICT_INCONCLUSIVE, e.res[0].verdict);
    CHECK_STR_EQ("no per-event times (stream.jsonl)", e.note[0]);
    tg_rows_free(&r);
}

/* tune: a measurement judged on --slo, and the choice restricted to the
 * candidates meeting every SLO (without --slo: the lowest P95 as before). */
static void probe_fixture(struct tg_probe_result *r, size_t n, size_t slow, double slow_ttft)
{
    memset(r, 0, sizeof *r);
    r->ttft_ms = malloc(n * sizeof(double));
    r->tpot_ms = malloc(n * sizeof(double));
    r->itl_max_ms = malloc(n * sizeof(double));
    r->stream_cap = n;
    r->streamed = true;
    r->wall_s = 2;
    for (size_t i = 0; i < n; i++) {
        struct tg_prow *p = tg_prows_push(&r->rows);
        p->request_id = i;
        p->latency_ms = 100;
        p->ok = true;
        r->ttft_ms[i] = i < slow ? slow_ttft : 50;
        r->tpot_ms[i] = 10;
        r->itl_max_ms[i] = 12;
    }
}

TEST(tune_judge_and_select)
{
    struct tg_slo s;
    char why[128];
    REQUIRE(tg_slo_parse("ttft:p95<=200ms", &s, why, sizeof why) == 0);
    struct tg_tune_opts o = { .concurrency = 4, .sla_p95_ms = 800, .slos = &s, .nslos = 1 };
    struct tg_tune_cand c[2];
    memset(c, 0, sizeof c);
    struct tg_probe_result ra, rb;
    probe_fixture(&ra, 200, 0, 0);
    probe_fixture(&rb, 200, 20, 300);   /* 10 % slow first tokens: p95 300 */
    CHECK_INT_EQ(0, tg_tune_judge_slos(&o, &ra, &c[0]));
    CHECK_INT_EQ(0, tg_tune_judge_slos(&o, &rb, &c[1]));
    CHECK_UINT_EQ(1, c[0].nslo);
    CHECK(c[0].slos_met && c[0].slo_met[0]);
    CHECK_DBL_NEAR(50, c[0].slo[0].estimate_ms, 0);
    CHECK_INT_EQ(TG_VERDICT_PASS, c[0].slo[0].verdict);
    CHECK(!c[1].slos_met);
    CHECK_DBL_NEAR(300, c[1].slo[0].estimate_ms, 0);
    CHECK_UINT_EQ(180, c[1].good);
    CHECK_DBL_NEAR(90, c[1].goodput_rps, 1e-9);
    char missed[128];
    tg_tune_missed_slos(&o, &c[1], missed, sizeof missed);
    CHECK_STR_EQ("ttft:p95<=200ms (p95 300.0 ms)", missed);
    tg_tune_missed_slos(&o, &c[0], missed, sizeof missed);
    CHECK_STR_EQ("", missed);
    json_t *j = tg_tune_cand_slos_json(&o, &c[1]);
    REQUIRE(j);
    CHECK(json_is_false(json_object_get(json_array_get(j, 0), "met")));
    json_decref(j);

    for (int i = 0; i < 2; i++) {
        c[i].measured = true;
        c[i].role = TG_ROLE_SEARCH;
        c[i].ok = c[i].inputs = c[i].outputs_compared = 200;
        c[i].cfg = (struct tg_client_cfg){ .connections = 4, .keepalive = true, .batch = 1 };
    }
    c[0].p95_ms = 150;   /* meets the SLO, slower */
    c[1].p95_ms = 100;   /* faster, misses the SLO */
    CHECK_INT_EQ(0, tg_tune_select(c, 2, 4, 0.05));
    c[0].nslo = c[1].nslo = 0;   /* not judged: the lowest P95 */
    CHECK_INT_EQ(1, tg_tune_select(c, 2, 4, 0.05));
    c[0].nslo = c[1].nslo = 1;
    c[0].slos_met = false;       /* none meets: the lowest P95, as before */
    CHECK_INT_EQ(1, tg_tune_select(c, 2, 4, 0.05));

    /* nothing streamed: no ttft column, not met */
    struct tg_tune_cand d;
    memset(&d, 0, sizeof d);
    ra.streamed = false;
    CHECK_INT_EQ(0, tg_tune_judge_slos(&o, &ra, &d));
    CHECK(!d.slos_met);
    CHECK_UINT_EQ(0, d.slo[0].n);
    /* no --slo: nothing judged */
    o.nslos = 0;
    CHECK_INT_EQ(0, tg_tune_judge_slos(&o, &ra, &d));
    CHECK_UINT_EQ(0, d.nslo);
    tg_probe_result_free(&ra);
    tg_probe_result_free(&rb);
}
