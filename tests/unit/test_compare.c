/*
 * Unit tests of src/compare on the hand-made fixtures in tests/data/compare
 * (written by its generate.py).  Every expected figure is derived by hand in
 * the comments, and the Clopper-Pearson bounds come from mpmath.
 */
#include "test.h"
#include "checkstr.h"

#include <jansson.h>
#include <unistd.h>

#include "compare/compare.h"
#include "compare/outputs.h"
#include "compare/rows.h"
#include "compare/side.h"
#include "core/error.h"
#include "core/hash.h"

TEST_MAIN()

static const char *fixture(const char *name)
{
    static char buf[8][1024];
    static int next;
    const char *root = getenv("TG_ROOT");
    char *b = buf[next++ % 8];
    snprintf(b, sizeof buf[0], "%s/tests/data/compare/%s", root ? root : ".", name);
    return b;
}

static const struct tg_compare_opts default_opts = {
    .sla_p95_ms = 800, .confidence = 0.99, .tolerance = { TG_TOL_EXACT, 0 }, .seed = 1, .resamples = 2000,
    .ci_level = 0.95, .tool_version = "test",
};

/* Loads a side; a bare CSV gets the fixtures' identity (payloads.jsonl, 4). */
static int load(struct tg_side *s, const char *name)
{
    memset(s, 0, sizeof *s);
    char err[512];
    int rc = tg_side_load(s, fixture(name), err, sizeof err);
    if (rc < 0) {
        TG_FAIL_AT("loading %s: %s", name, err);
        return rc;
    }
    if (s->kind == TG_SIDE_CSV) {
        CHECK_INT_EQ(0, tg_sha256_file_hex(fixture("payloads.jsonl"), s->payload_sha256));
        s->has_payload_sha = s->has_concurrency = true;
        s->concurrency = 4;
    }
    return 0;
}

struct fx {
    struct tg_side b, a, ref;
    struct tg_comparison c;
};

static int build(struct fx *f, const char *before, const char *after, const char *ref,
                 const struct tg_compare_opts *opts)
{
    memset(f, 0, sizeof *f);
    if (load(&f->b, before) < 0 || load(&f->a, after) < 0 || (ref && load(&f->ref, ref) < 0))
        return -1;
    char err[512];
    int rc = tg_compare_build(&f->b, &f->a, ref ? &f->ref : &f->b, opts ? opts : &default_opts,
                              &f->c, err, sizeof err);
    if (rc < 0)
        TG_FAIL_AT("build: %s", err);
    return rc;
}

static void release(struct fx *f)
{
    tg_compare_free(&f->c);
    tg_side_free(&f->b);
    tg_side_free(&f->a);
    tg_side_free(&f->ref);
}

/* ---- the CSV reader ------------------------------------------------------ */

static int parse(const char *text, struct tg_rows *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    return tg_rows_parse(text, strlen(text), "t.csv", r, err, errlen);
}

TEST(rows_by_name_any_order)
{
    struct tg_rows r;
    char err[256];
    /* columns shuffled, an unknown column, CRLF, a BOM, quoted fields */
    const char *csv = "\xEF\xBB\xBF" "extra,latency_ms,ok,request_id,output_hash,error,http_request_id\r\n"
                      "\"a,b\",12.5,1,7,abc,,3\r\n"
                      "x,,0,2,,\"timeout\",\r\n"
                      "y,3,1,5,\"d\"\"e\",,3\r\n";
    REQUIRE(parse(csv, &r, err, sizeof err) == 0);
    CHECK_UINT_EQ(3, r.n);
    CHECK_UINT_EQ(2, r.rows[0].request_id);   /* sorted by request_id */
    CHECK_UINT_EQ(5, r.rows[1].request_id);
    CHECK_UINT_EQ(7, r.rows[2].request_id);
    CHECK_INT_EQ(0, r.rows[0].ok);
    CHECK(isnan(r.rows[0].latency_ms));
    CHECK_STR_EQ("timeout", r.classes[r.rows[0].error_class]);
    CHECK_DBL_NEAR(12.5, r.rows[2].latency_ms, 0);
    CHECK_MEM_EQ("d\"e", 3, tg_row_hash(&r, &r.rows[1]), r.rows[1].hash_len);
    CHECK_UINT_EQ(3, r.rows[1].http_request_id);
    CHECK(!r.rows[0].has_http_id);
    CHECK_UINT_EQ(2, r.rows[2].line);   /* id 7 is the first data row */
    CHECK(tg_rows_find(&r, 5) == &r.rows[1]);
    CHECK(tg_rows_find(&r, 6) == NULL);
    CHECK_UINT_EQ(2, tg_rows_count_hashes(&r));
    tg_rows_free(&r);
    tg_rows_free(&r);   /* safe twice */
}

TEST(rows_input_py_status_classes)
{
    struct tg_rows r;
    char err[256];
    const char *csv = "request_id,timestamp_ms,latency_ms,status_code\n"
                      "0,1000,5.0,200\n1,1001,6.0,0\n2,1002,7.0,503\n3,1003,8.0,204\n";
    REQUIRE(parse(csv, &r, err, sizeof err) == 0);
    CHECK_INT_EQ(1, r.rows[0].ok);
    CHECK_INT_EQ(0, r.rows[1].ok);
    CHECK_STR_EQ("no_response", r.classes[r.rows[1].error_class]);
    CHECK_STR_EQ("status_503", r.classes[r.rows[2].error_class]);
    CHECK_INT_EQ(1, r.rows[3].ok);   /* any 2xx */
    CHECK_DBL_NEAR(1002, r.rows[2].timestamp_ms, 0);
    tg_rows_free(&r);
}

TEST(rows_malformed_table)
{
    static const struct { const char *csv; const char *err; } cases[] = {
        { "", "t.csv:1: empty file" },
        { "request_id,status_code\n", "t.csv:1: no latency_ms column" },
        { "latency_ms,status_code\n", "t.csv:1: no request_id column" },
        { "request_id,latency_ms\n", "t.csv:1: neither a status_code nor an ok column" },
        { "request_id,latency_ms,ok,ok\n", "t.csv:1: column 'ok' appears twice" },
        { "request_id,latency_ms,ok\n1,2,1\n2,3\n", "t.csv:3: 2 fields, the header has 3" },
        { "request_id,latency_ms,ok\n1,2,1,4\n", "t.csv:2: more fields than the 3 header columns" },
        { "request_id,latency_ms,ok\n1,2,1\n\n2,3,1\n", "t.csv:3: empty line" },
        { "request_id,latency_ms,ok\n1,abc,1\n", "t.csv:2: latency_ms 'abc' is not a non-negative number" },
        { "request_id,latency_ms,ok\n1,-5,1\n", "t.csv:2: latency_ms '-5' is not a non-negative number" },
        { "request_id,latency_ms,ok\n1,inf,1\n", "t.csv:2: latency_ms 'inf'" },
        { "request_id,latency_ms,ok\n1,nan,1\n", "t.csv:2: latency_ms 'nan'" },
        { "request_id,latency_ms,ok\n1, 5,1\n", "t.csv:2: latency_ms ' 5'" },
        { "request_id,latency_ms,ok\n-1,5,1\n", "t.csv:2: request_id '-1'" },
        { "request_id,latency_ms,ok\n1.5,5,1\n", "t.csv:2: request_id '1.5'" },
        { "request_id,latency_ms,ok\n99999999999999999999,5,1\n", "t.csv:2: request_id" },
        { "request_id,latency_ms,ok\n1,5,2\n", "t.csv:2: ok '2' is not 0 or 1" },
        { "request_id,latency_ms,ok\n1,,1\n", "t.csv:2: an ok row without latency_ms" },
        { "request_id,latency_ms,status_code\n1,5,1000\n", "t.csv:2: status_code '1000'" },
        { "request_id,latency_ms,ok\n1,5,1\n2,5,1\n1,6,1\n", "t.csv:4: duplicate request_id 1 (first at line 2)" },
        { "request_id,latency_ms,ok\n1,\"5,1\n", "t.csv:2: unterminated quoted field" },
        { "request_id,latency_ms,ok\n1,\"5\"x,1\n", "t.csv:2: unexpected character after a closing quote" },
        { "request_id,latency_ms,ok\n1,5\",1\n", "t.csv:2: quote inside an unquoted field" },
        { "request_id,latency_ms,ok\r1,5,1\n", "t.csv:1: carriage return not followed by a line feed" },
        { "request_id,latency_ms,ok,output_hash\n1,5,1,a b\n", "t.csv:2: output_hash is not a hash token" },
        { "request_id,latency_ms,ok,http_request_id\n1,5,1,x\n", "t.csv:2: http_request_id 'x'" },
        { "request_id,latency_ms,ok,timestamp_ms\n1,5,1,1e\n", "t.csv:2: timestamp_ms '1e'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tg_rows r;
        char err[256] = "";
        int rc = parse(cases[i].csv, &r, err, sizeof err);
        if (rc != TG_EPARSE || strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
            TG_FAIL_AT("case %zu: expected rc %d \"%s…\", got rc %d \"%s\"", i, TG_EPARSE,
                       cases[i].err, rc, err);
        tg_rows_free(&r);
    }
    /* NUL bytes are rejected (strlen would hide them: pass the length) */
    static const char nul[] = "request_id,latency_ms,ok\n1,5\0,1\n";
    struct tg_rows r;
    char err[256];
    memset(&r, 0, sizeof r);
    CHECK_INT_EQ(TG_EPARSE, tg_rows_parse(nul, sizeof nul - 1, "t.csv", &r, err, sizeof err));
    CHECK_STR_EQ("t.csv:2: NUL byte", err);
    tg_rows_free(&r);
}

/* Every prefix of valid and invalid inputs parses or fails cleanly. */
TEST(rows_every_prefix)
{
    static const char *inputs[] = {
        "request_id,timestamp_ms,latency_ms,status_code\r\n0,1700000000000,300.000,200\r\n1,1700000000100,1000.000,0\r\n",
        "error,output_hash,ok,latency_ms,request_id\n,\"ab\"\"c\",1,5,1\ntimeout,,0,,2\n",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        size_t len = strlen(inputs[i]);
        for (size_t n = 0; n <= len; n++) {
            struct tg_rows r;
            char err[256];
            memset(&r, 0, sizeof r);
            int rc = tg_rows_parse(inputs[i], n, "t.csv", &r, err, sizeof err);
            CHECK(rc == 0 || rc == TG_EPARSE);
            if (n == len)
                CHECK_INT_EQ(0, rc);
            tg_rows_free(&r);
        }
    }
}

TEST(rows_load_errors)
{
    struct tg_rows r;
    char err[512];
    memset(&r, 0, sizeof r);
    CHECK(tg_rows_load("/nonexistent/x.csv", &r, err, sizeof err) < 0);
    CHECK(strstr(err, "/nonexistent/x.csv: ") == err);
    tg_rows_free(&r);
}

/* ---- comparisons on the fixtures ---------------------------------------- */

/* run_before: 100..1000 ms (rows in completion order); run_after: ties
 * 120,120,120,130,130,150,150,150,200,250 in 3 batched HTTP requests. */
TEST(compare_basic_n10)
{
    struct fx f;
    REQUIRE(build(&f, "run_before", "run_after", NULL, NULL) == 0);
    const struct tg_comparison *c = &f.c;
    /* before: P50 = 5th = 500, P90 = 9th = 900, P95 = P99 = 10th = 1000 */
    CHECK_DBL_NEAR(500, c->before.lat.p50, 0);
    CHECK_DBL_NEAR(900, c->before.lat.p90, 0);
    CHECK_DBL_NEAR(1000, c->before.lat.p95, 0);
    CHECK_DBL_NEAR(1000, c->before.lat.p99, 0);
    CHECK_DBL_NEAR(550, c->before.lat.mean, 1e-9);
    CHECK_DBL_NEAR(100, c->before.lat.min, 0);
    /* after (ties): P50 = 5th = 130, P90 = 9th = 200, P95 = 10th = 250, mean 152 */
    CHECK_DBL_NEAR(130, c->after.lat.p50, 0);
    CHECK_DBL_NEAR(200, c->after.lat.p90, 0);
    CHECK_DBL_NEAR(250, c->after.lat.p95, 0);
    CHECK_DBL_NEAR(152, c->after.lat.mean, 1e-9);
    CHECK_UINT_EQ(10, c->before.http_requests);
    CHECK_UINT_EQ(3, c->after.http_requests);
    CHECK_UINT_EQ(10, c->after.ok);
    CHECK_DBL_NEAR(2.5, c->after.wall_time_s, 0);          /* summary's, not the rows' */
    CHECK_STR_EQ("summary", c->after.wall_time_source);
    CHECK_DBL_NEAR(4.0, c->after.throughput_ips, 1e-12);
    CHECK(c->workload_identical);
    CHECK_UINT_EQ(10, c->outputs.compared);
    CHECK_UINT_EQ(10, c->outputs.equal);
    CHECK_UINT_EQ(0, c->outputs.missing);
    /* SLA: 0 of 10 over; met, but the 99 % upper bound is 1 - 0.01^(1/10) */
    CHECK(c->met);
    CHECK_UINT_EQ(0, c->sla.over_limit);
    CHECK_DBL_NEAR(1 - pow(0.01, 0.1), c->sla.frac_over_hi, 1e-12);
    CHECK_INT_EQ(TG_VERDICT_INCONCLUSIVE, c->verdict);
    /* the CI holds the point delta and is made of sample differences */
    CHECK(c->ci_p95.lo <= -750 && -750 <= c->ci_p95.hi);
    CHECK(c->ci_p50.lo <= -370 && -370 <= c->ci_p50.hi);
    CHECK(fmod(c->ci_p95.lo, 10) == 0 && fmod(c->ci_p95.hi, 10) == 0);
    char line[1024];
    tg_compare_verdict_line(c, line, sizeof line);
    CHECK(strstr(line, "SLA P95 <= 800 ms: INCONCLUSIVE — after P95 250.0 ms, 0/10 inputs over the limit, 99 % confidence") == line);
    CHECK(strstr(line, "outputs 10/10 equal; workload identical") != NULL);
    release(&f);
}

TEST(compare_bootstrap_reproducible)
{
    struct fx f1, f2, f3;
    struct tg_compare_opts o = default_opts;
    REQUIRE(build(&f1, "run_big_before", "run_big_after", NULL, &o) == 0);
    REQUIRE(build(&f2, "run_big_before", "run_big_after", NULL, &o) == 0);
    o.seed = 12345;
    REQUIRE(build(&f3, "run_big_before", "run_big_after", NULL, &o) == 0);
    CHECK(f1.c.ci_p95.lo == f2.c.ci_p95.lo && f1.c.ci_p95.hi == f2.c.ci_p95.hi);
    CHECK(f1.c.ci_p50.lo == f2.c.ci_p50.lo && f1.c.ci_p99.hi == f2.c.ci_p99.hi);
    CHECK(f1.c.ci_p95.lo != f3.c.ci_p95.lo || f1.c.ci_p95.hi != f3.c.ci_p95.hi ||
          f1.c.ci_p50.lo != f3.c.ci_p50.lo || f1.c.ci_p50.hi != f3.c.ci_p50.hi);
    release(&f1);
    release(&f2);
    release(&f3);
}

/* 100 inputs: after 100..199 ms, P95 = 95th = 194; 0 over: upper bound
 * 1 - 0.01^(1/100) = 4.50 % <= 5 %: PASS. */
TEST(compare_pass_n100)
{
    struct fx f;
    REQUIRE(build(&f, "run_big_before", "run_big_after", NULL, NULL) == 0);
    CHECK_DBL_NEAR(194, f.c.after.lat.p95, 0);
    CHECK_DBL_NEAR(500 + 5 * 94, f.c.before.lat.p95, 0);
    CHECK_DBL_NEAR(1 - pow(0.01, 0.01), f.c.sla.frac_over_hi, 1e-12);
    CHECK(f.c.met);
    CHECK_INT_EQ(TG_VERDICT_PASS, f.c.verdict);
    release(&f);
}

/* 94 values 100..193, then 800, then 5 over (850..1000): P95 = 95th = 800
 * exactly, which meets "<= 800"; 5/100 over: bounds [1.297 %, 12.585 %] at
 * 99 % (mpmath): INCONCLUSIVE. */
TEST(compare_edge_inconclusive)
{
    struct fx f;
    REQUIRE(build(&f, "run_big_before", "run_big_edge", NULL, NULL) == 0);
    CHECK_DBL_NEAR(800, f.c.after.lat.p95, 0);
    CHECK_UINT_EQ(5, f.c.sla.over_limit);
    CHECK_DBL_NEAR(0.012968921327023257, f.c.sla.frac_over_lo, 1e-12);
    CHECK_DBL_NEAR(0.12585173069767863, f.c.sla.frac_over_hi, 1e-12);
    CHECK(f.c.met);
    CHECK_INT_EQ(TG_VERDICT_INCONCLUSIVE, f.c.verdict);
    release(&f);
    /* a lower limit: P95 800 > 799 -> not met, FAIL */
    struct tg_compare_opts o = default_opts;
    o.sla_p95_ms = 799;
    REQUIRE(build(&f, "run_big_before", "run_big_edge", NULL, &o) == 0);
    CHECK(!f.c.met);
    CHECK_INT_EQ(TG_VERDICT_FAIL, f.c.verdict);
    CHECK(strstr(f.c.reasons, "after P95 800.0 ms > 799 ms") != NULL);
    release(&f);
}

/* run_after_diff: output 3's hash changed, input 7 timed out (no hash). */
TEST(compare_different_and_missing_outputs)
{
    struct fx f;
    REQUIRE(build(&f, "run_before", "run_after_diff", NULL, NULL) == 0);
    CHECK_UINT_EQ(9, f.c.outputs.compared);
    CHECK_UINT_EQ(8, f.c.outputs.equal);
    CHECK_UINT_EQ(1, f.c.outputs.different);
    CHECK_UINT_EQ(1, f.c.outputs.missing);
    CHECK_UINT_EQ(1, f.c.outputs.n_first_different);
    CHECK_UINT_EQ(3, f.c.outputs.first_different[0]);
    CHECK_UINT_EQ(7, f.c.outputs.first_missing[0]);
    CHECK_UINT_EQ(1, f.c.after.failed);
    CHECK_STR_EQ("timeout", f.c.after.classes[0].name);
    /* the failed input counts as over the limit: 1/10, bounds (mpmath) */
    CHECK_UINT_EQ(1, f.c.sla.over_limit);
    CHECK_DBL_NEAR(0.0010045287082499498, f.c.sla.frac_over_lo, 1e-12);
    CHECK_DBL_NEAR(0.50435266293080129, f.c.sla.frac_over_hi, 1e-12);
    CHECK(!f.c.met);
    CHECK_INT_EQ(TG_VERDICT_FAIL, f.c.verdict);
    CHECK_STR_EQ("1 failed input; 1 different and 1 missing outputs", f.c.reasons);
    release(&f);
}

TEST(compare_missing_output_row)
{
    struct fx f;
    REQUIRE(build(&f, "run_before", "run_after_nohash", NULL, NULL) == 0);
    CHECK_UINT_EQ(9, f.c.outputs.compared);
    CHECK_UINT_EQ(1, f.c.outputs.missing);
    CHECK_UINT_EQ(5, f.c.outputs.first_missing[0]);
    CHECK(!f.c.met);
    CHECK_STR_EQ("1 missing output", f.c.reasons);
    release(&f);
    /* --ignore-outputs waives it */
    struct tg_compare_opts o = default_opts;
    o.ignore_outputs = true;
    REQUIRE(build(&f, "run_before", "run_after_nohash", NULL, &o) == 0);
    CHECK(f.c.met);
    release(&f);
}

TEST(compare_workload_mismatch)
{
    struct fx f;
    REQUIRE(build(&f, "run_before", "run_after_conc", NULL, NULL) == 0);
    CHECK(!f.c.workload_identical);
    CHECK_STR_EQ("concurrency 4 vs 8", f.c.workload_diff);
    CHECK(!f.c.met);
    CHECK_INT_EQ(TG_VERDICT_FAIL, f.c.verdict);
    release(&f);
    REQUIRE(build(&f, "run_before", "run_after_payload", NULL, NULL) == 0);
    CHECK(!f.c.workload_identical);
    CHECK(strncmp(f.c.workload_diff, "payload_sha256 909462221", 24) == 0);
    release(&f);
    REQUIRE(build(&f, "run_before", "run_big_after", NULL, NULL) == 0);
    CHECK_STR_EQ("inputs 10 vs 100", f.c.workload_diff);
    release(&f);
}

/* input.py's CSV: sorted rows, CRLF, 0 and 503 statuses; wall time from the
 * rows: first timestamp to the last end (id 8: 800 + 800 ms) = 1.6 s. */
TEST(compare_input_py_before)
{
    struct fx f;
    REQUIRE(build(&f, "inputpy_before.csv", "run_after", "run_before", NULL) == 0);
    const struct tg_comparison *c = &f.c;
    CHECK_STR_EQ("CSV", c->before.kind);
    CHECK_UINT_EQ(10, c->before.inputs);
    CHECK_UINT_EQ(8, c->before.ok);
    CHECK_UINT_EQ(2, c->before.failed);
    CHECK_UINT_EQ(2, c->before.nclasses);
    CHECK_UINT_EQ(10, c->before.http_requests);   /* one request per input */
    /* ok latencies: 300,1000,700,500,200,400,800,600 -> P50 = 4th = 500 */
    CHECK_DBL_NEAR(500, c->before.lat.p50, 0);
    CHECK_DBL_NEAR(1000, c->before.lat.p95, 0);
    CHECK_DBL_NEAR(200, c->before.lat.min, 0);
    CHECK_DBL_NEAR(1.6, c->before.wall_time_s, 1e-12);
    CHECK_STR_EQ("rows", c->before.wall_time_source);
    CHECK(c->workload_identical);   /* identity from payloads.jsonl, 4 */
    CHECK_UINT_EQ(10, c->outputs.equal); /* reference: run_before's hashes */
    CHECK(c->met);
    release(&f);
    /* without a reference, input.py has no hashes: not compared, not met */
    REQUIRE(build(&f, "inputpy_before.csv", "run_after", NULL, NULL) == 0);
    CHECK(!f.c.outputs_compared);
    CHECK_UINT_EQ(10, f.c.outputs.missing);
    CHECK(!f.c.met);
    CHECK(strstr(f.c.reasons, "outputs not compared (the reference has no output hashes") != NULL);
    release(&f);
}

TEST(compare_all_failed)
{
    struct fx f;
    REQUIRE(build(&f, "run_before", "run_all_failed", NULL, NULL) == 0);
    CHECK_UINT_EQ(0, f.c.after.ok);
    CHECK_UINT_EQ(10, f.c.after.failed);
    CHECK(isnan(f.c.after.lat.p95));
    CHECK(isnan(f.c.ci_p95.lo));
    CHECK_UINT_EQ(10, f.c.sla.over_limit);
    CHECK_DBL_NEAR(pow(0.01, 0.1), f.c.sla.frac_over_lo, 1e-9);  /* k = n: (1-c)^(1/n) */
    CHECK_INT_EQ(TG_VERDICT_FAIL, f.c.sla.verdict);
    CHECK(!f.c.met);
    CHECK_INT_EQ(TG_VERDICT_FAIL, f.c.verdict);
    /* the writers cope with NaN everywhere */
    FILE *m = tmpfile();
    REQUIRE(m);
    CHECK_INT_EQ(0, tg_compare_write_json(m, &f.c));
    CHECK_INT_EQ(0, tg_compare_write_csv(m, &f.c));
    CHECK_INT_EQ(0, tg_compare_write_md(m, &f.c));
    fclose(m);
    release(&f);
}

/* Output 4's hash differs; its saved numbers differ by 1e-7. */
TEST(compare_output_tolerance)
{
    struct fx f;
    struct tg_compare_opts o = default_opts;
    o.tolerance = (struct tg_tolerance){ TG_TOL_ABS, 1e-6 };
    REQUIRE(build(&f, "run_tol_before", "run_tol_after", NULL, &o) == 0);
    CHECK(f.c.outputs.tolerance_applied);
    CHECK_UINT_EQ(10, f.c.outputs.equal);
    CHECK_UINT_EQ(9, f.c.outputs.equal_exact);
    CHECK_UINT_EQ(1, f.c.outputs.equal_within_tolerance);
    CHECK_DBL_NEAR(1e-7, f.c.outputs.max_abs_diff, 1e-12);
    CHECK(f.c.met);
    release(&f);
    o.tolerance = (struct tg_tolerance){ TG_TOL_ABS, 1e-8 };
    REQUIRE(build(&f, "run_tol_before", "run_tol_after", NULL, &o) == 0);
    CHECK_UINT_EQ(1, f.c.outputs.different);
    CHECK_UINT_EQ(4, f.c.outputs.first_different[0]);
    CHECK(!f.c.met);
    release(&f);
    /* cosine: a 1e-7 change of one value keeps the vectors' cosine within 1e-6 of 1,
     * and a tolerance of 0 still rejects the change */
    o.tolerance = (struct tg_tolerance){ TG_TOL_COSINE, 1e-6 };
    REQUIRE(build(&f, "run_tol_before", "run_tol_after", NULL, &o) == 0);
    CHECK_UINT_EQ(1, f.c.outputs.equal_within_tolerance);
    CHECK(f.c.outputs.max_abs_diff < 1e-6);
    CHECK(f.c.met);
    release(&f);
    o.tolerance = (struct tg_tolerance){ TG_TOL_COSINE, 0 };
    REQUIRE(build(&f, "run_tol_before", "run_tol_after", NULL, &o) == 0);
    CHECK_UINT_EQ(1, f.c.outputs.different);
    release(&f);
    /* without a tolerance, hashes decide */
    REQUIRE(build(&f, "run_tol_before", "run_tol_after", NULL, NULL) == 0);
    CHECK_UINT_EQ(1, f.c.outputs.different);
    CHECK(!f.c.outputs.tolerance_applied);
    release(&f);
}

TEST(json_max_abs_diff)
{
    CHECK_DBL_NEAR(0.5, tg_outputs_json_max_abs_diff("[1, 2.5, [3]]", "[1, 2, [3]]"), 1e-15);
    CHECK(isinf(tg_outputs_json_max_abs_diff("[1, 2]", "[1, 2, 3]")));
    CHECK(isinf(tg_outputs_json_max_abs_diff("{\"a\":1}", "{\"b\":1}")));
    CHECK(isinf(tg_outputs_json_max_abs_diff("\"x\"", "\"y\"")));
    CHECK_DBL_NEAR(0, tg_outputs_json_max_abs_diff("{\"a\":[1,null]}", "{\"a\":[1,null]}"), 0);
    CHECK(isnan(tg_outputs_json_max_abs_diff("[1,", "[1]")));
}

/* Writes text to path; 0 or -1. */
static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int rc = fputs(text, f) < 0 ? -1 : 0;
    return fclose(f) != 0 ? -1 : rc;
}

TEST(summary_missing_keys_and_bad_schema)
{
    char dir[] = "/tmp/tg_cmp_XXXXXX";
    REQUIRE(mkdtemp(dir));
    char csv[256], p[256];
    snprintf(csv, sizeof csv, "%s/requests.csv", dir);
    REQUIRE(write_text(csv, "request_id,latency_ms,ok\n0,5,1\n") == 0);
    snprintf(p, sizeof p, "%s/summary.json", dir);
    REQUIRE(write_text(p, "{\"schema\":\"tailgate.summary/1\",\"counts\":{\"inputs\":1}}") == 0);
    struct tg_side s;
    memset(&s, 0, sizeof s);
    char err[512];
    CHECK_INT_EQ(0, tg_side_load(&s, dir, err, sizeof err));
    CHECK(!s.has_payload_sha && !s.has_concurrency);
    CHECK_STR_EQ("payload_sha256, config.concurrency, wall_time_s", s.missing);
    tg_side_free(&s);

    static const struct {
        const char *summary;
        int rc;
        const char *err; /* a substring of the reason */
    } bad[] = {
        { "{\"schema\":\"tailgate.summary/2\"}", TG_EPARSE,
          "schema 'tailgate.summary/2' is not tailgate.summary/1" },
        { "{\"schema\":\"tailgate.summary/1\",\"counts\":{\"inputs\":3}}", TG_EMISMATCH,
          "counts.inputs is 3 but requests.csv has 1 rows" },
        { "{\"schema\": oops}", TG_EPARSE, "summary.json:1: " },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int before = tg_test_failed_checks;
        REQUIRE(write_text(p, bad[i].summary) == 0);
        memset(&s, 0, sizeof s);
        err[0] = '\0';
        CHECK_INT_EQ(bad[i].rc, tg_side_load(&s, dir, err, sizeof err));
        CHECK_STR_HAS(bad[i].err, err);
        if (tg_test_failed_checks != before)
            fprintf(stderr, "  ^ with summary.json %s\n", bad[i].summary);
        tg_side_free(&s);
    }

    unlink(p);
    unlink(csv);
    rmdir(dir);
}

/* comparison.json has the keys DESIGN.md promises, and .csv agrees with it. */
TEST(writers_schema_and_agreement)
{
    struct fx f;
    REQUIRE(build(&f, "run_before", "run_after_diff", NULL, NULL) == 0);
    char dir[] = "/tmp/tg_cmp_XXXXXX";
    REQUIRE(mkdtemp(dir));
    char sub[128], err[512], p[256];
    snprintf(sub, sizeof sub, "%s/a/b", dir);   /* created on demand */
    CHECK_INT_EQ(0, tg_compare_write_files(sub, &f.c, err, sizeof err));
    snprintf(p, sizeof p, "%s/comparison.json", sub);
    json_error_t je;
    json_t *j = json_load_file(p, 0, &je);
    REQUIRE(j);
    static const char *keys[] = {
        "schema", "before", "after", "delta", "workload", "outputs", "sla",
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!json_object_get(j, keys[i]))
            TG_FAIL_AT("comparison.json lacks %s", keys[i]);
    CHECK_STR_EQ(TG_COMPARISON_SCHEMA, json_string_value(json_object_get(j, "schema")));
    json_t *sla = json_object_get(j, "sla");
    CHECK_STR_EQ("FAIL", json_string_value(json_object_get(sla, "verdict")));
    CHECK(json_is_false(json_object_get(sla, "met")));
    CHECK_INT_EQ(1, json_integer_value(json_object_get(sla, "over_limit")));
    CHECK_DBL_NEAR(0.99, json_real_value(json_object_get(sla, "confidence")), 0);
    CHECK_DBL_NEAR(800, json_real_value(json_object_get(sla, "p95_ms")), 0);
    json_t *delta = json_object_get(j, "delta");
    CHECK_DBL_NEAR(-750, json_real_value(json_object_get(delta, "p95_ms")), 0);
    CHECK(json_is_array(json_object_get(json_object_get(delta, "ci95"), "p95_ms")));
    json_t *out = json_object_get(j, "outputs");
    CHECK_INT_EQ(9, json_integer_value(json_object_get(out, "compared")));
    CHECK_INT_EQ(8, json_integer_value(json_object_get(out, "equal")));
    CHECK_INT_EQ(1, json_integer_value(json_object_get(out, "different")));
    CHECK_INT_EQ(1, json_integer_value(json_object_get(out, "missing")));
    json_t *wl = json_object_get(j, "workload");
    CHECK(json_is_true(json_object_get(wl, "identical")));
    CHECK_INT_EQ(4, json_integer_value(json_object_get(wl, "concurrency")));
    CHECK_INT_EQ(10, json_integer_value(json_object_get(wl, "inputs")));
    json_t *after = json_object_get(j, "after");
    CHECK_INT_EQ(1, json_integer_value(json_object_get(json_object_get(json_object_get(after, "counts"), "failed_by_class"), "timeout")));
    CHECK_DBL_NEAR(250, json_real_value(json_object_get(json_object_get(after, "latency_ms"), "p95")), 0);

    /* the CSV's p95 row matches */
    snprintf(p, sizeof p, "%s/comparison.csv", sub);
    FILE *fc = fopen(p, "r");
    REQUIRE(fc);
    char line[256];
    int found = 0, rows = 0;
    while (fgets(line, sizeof line, fc)) {
        rows++;
        if (!strcmp(line, "p95_ms,1000,250,-750,-75\n"))
            found = 1;
    }
    fclose(fc);
    CHECK(found);
    CHECK(rows >= 16);
    json_decref(j);

    snprintf(p, sizeof p, "%s/comparison.md", sub);
    fc = fopen(p, "r");
    REQUIRE(fc);
    int verdict = 0;
    while (fgets(line, sizeof line, fc))
        if (!strncmp(line, "**SLA P95 <= 800 ms: FAIL", 25))
            verdict = 1;
    fclose(fc);
    CHECK(verdict);
    release(&f);
    static const char *files[] = { "comparison.json", "comparison.csv", "comparison.md" };
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", sub, files[i]);
        unlink(p);
    }
    rmdir(sub);
    snprintf(p, sizeof p, "%s/a", dir);
    rmdir(p);
    rmdir(dir);
}
