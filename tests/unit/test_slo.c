/*
 * test_slo.c - SLOs (stats/slo.h): the --slo grammar (good and bad inputs,
 * every prefix), the verdict (latency:p95 is tg_sla_verdict), counts vs
 * samples, per-input meets.  tg_slo_eval is in test_slo_eval.c.
 */
#include "test.h"

#include <stdlib.h>

#include "core/error.h"
#include "stats/slo.h"

TEST_MAIN()

TEST(parse_good)
{
    static const struct {
        const char *in, *text;
        enum tg_slo_metric m;
        double p, limit_ms;
    } cases[] = {
        { "latency:p95<=800ms", "latency:p95<=800ms", TG_SLO_LATENCY, 0.95, 800 },
        { "latency:p95<=800", "latency:p95<=800ms", TG_SLO_LATENCY, 0.95, 800 },
        { "ttft:p99<=250ms", "ttft:p99<=250ms", TG_SLO_TTFT, 0.99, 250 },
        { "tpot:p50<=40", "tpot:p50<=40ms", TG_SLO_TPOT, 0.50, 40 },
        { "itl:p99.9<=1.5s", "itl:p99.9<=1500ms", TG_SLO_ITL, 0.999, 1500 },
        { "ttft:P90<=500us", "ttft:p90<=0.5ms", TG_SLO_TTFT, 0.90, 0.5 },
        { "latency:p99.999999<=2s", "latency:p99.999999<=2000ms", TG_SLO_LATENCY, 0.99999999, 2000 },
        { "tpot:p0.5<=12.5ms", "tpot:p0.5<=12.5ms", TG_SLO_TPOT, 0.005, 12.5 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tg_slo s;
        char why[128] = "unset";
        int rc = tg_slo_parse(cases[i].in, &s, why, sizeof why);
        if (rc != 0) {
            TG_FAIL_AT("%s: expected 0, got %d (%s)", cases[i].in, rc, why);
            continue;
        }
        CHECK_STR_EQ("", why);
        CHECK_STR_EQ(cases[i].text, s.text);
        CHECK_INT_EQ(cases[i].m, s.metric);
        CHECK_DBL_NEAR(cases[i].p, s.p, 1e-15);
        CHECK_DBL_NEAR(cases[i].limit_ms, s.limit_ms, 1e-12);
        /* the normalised text parses to the same SLO */
        struct tg_slo again;
        CHECK_INT_EQ(0, tg_slo_parse(s.text, &again, why, sizeof why));
        CHECK_STR_EQ(s.text, again.text);
        CHECK(again.p == s.p && again.limit_ms == s.limit_ms);
    }
    CHECK_STR_EQ("latency", tg_slo_metric_name(TG_SLO_LATENCY));
    CHECK_STR_EQ("ttft", tg_slo_metric_name(TG_SLO_TTFT));
    CHECK_STR_EQ("tpot", tg_slo_metric_name(TG_SLO_TPOT));
    CHECK_STR_EQ("itl", tg_slo_metric_name(TG_SLO_ITL));
}

TEST(parse_bad)
{
    static const struct { const char *in, *reason; } cases[] = {
        { "", "empty SLO" },
        { "ttft", "no ':' after the metric" },
        { "ttfb:p95<=1s", "unknown metric 'ttfb'" },
        { "TTFT:p95<=1s", "unknown metric 'TTFT'" },
        { "ttft:95<=1s", "expected a percentile 'pNN'" },
        { "ttft:p<=1s", "expected a percentile 'pNN'" },
        { "ttft:p.5<=1s", "expected a percentile 'pNN'" },
        { "ttft:p95.<=1s", "expected a percentile 'pNN'" },
        { "ttft:p0<=1s", "not strictly between 0 and 100" },
        { "ttft:p100<=1s", "not strictly between 0 and 100" },
        { "ttft:p150<=1s", "not strictly between 0 and 100" },
        { "ttft:p99.9999999<=1s", "more than 6 decimals" },
        { "ttft:p95<1s", "only '<=' is supported" },
        { "ttft:p95>=1s", "only '<=' is supported" },
        { "ttft:p95=1s", "only '<=' is supported" },
        { "ttft:p95 <= 1s", "expected '<='" },
        { "ttft:p95", "expected '<='" },
        { "ttft:p95<=", "no limit after '<='" },
        { "ttft:p95<=fast", "limit 'fast' is not a duration" },
        { "ttft:p95<=1 s", "limit '1 s' is not a duration" },
        { "ttft:p95<=1sec", "is not a duration" },
        { "ttft:p95<=-5ms", "negative or too large" },
        { "ttft:p95<=0", "is zero" },
        { "ttft:p95.5.5<=1s", "expected '<='" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tg_slo s;
        char why[128] = "";
        int rc = tg_slo_parse(cases[i].in, &s, why, sizeof why);
        if (rc != TG_EINVAL)
            TG_FAIL_AT("'%s': expected TG_EINVAL, got %d (text %s)", cases[i].in, rc, s.text);
        if (!strstr(why, cases[i].reason))
            TG_FAIL_AT("'%s': expected a reason with \"%s\", got \"%s\"", cases[i].in,
                       cases[i].reason, why);
        CHECK(!strchr(why, '\n'));
    }
    struct tg_slo s;
    CHECK_INT_EQ(TG_EINVAL, tg_slo_parse(NULL, &s, NULL, 0));   /* no reason buffer: fine */
}

/* Every prefix of every good input: a result, or one line of reason. */
TEST(parse_prefixes)
{
    static const char *const good[] = {
        "latency:p95<=800ms", "itl:p99.9<=1.5s", "tpot:p50<=40", "ttft:p99<=250us",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        size_t len = strlen(good[i]);
        for (size_t n = 0; n <= len; n++) {
            char in[64];
            snprintf(in, sizeof in, "%.*s", (int)n, good[i]);
            struct tg_slo s;
            char why[128] = "";
            int rc = tg_slo_parse(in, &s, why, sizeof why);
            if (rc == 0)
                CHECK(s.limit_ms > 0 && s.p > 0 && s.p < 1 && strlen(s.text) > 0);
            else if (rc != TG_EINVAL || !why[0] || strchr(why, '\n'))
                TG_FAIL_AT("prefix '%s': rc %d, reason \"%s\"", in, rc, why);
        }
    }
    /* a reason truncated to a small buffer stays a terminated string */
    struct tg_slo s;
    char small[8];
    CHECK_INT_EQ(TG_EINVAL, tg_slo_parse("nope:p95<=1s", &s, small, sizeof small));
    CHECK_INT_EQ(7, (long long)strlen(small));
}

static double *fill(size_t n, size_t over, int failed_as_inf)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t j = 0; v && j < n; j++)
        v[j] = j < over ? (failed_as_inf ? INFINITY : 1200.0) : 500.0 + (double)(j % 200);
    return v;
}

/* latency:p95<=800 on the samples tg_sla_verdict is tested with: the very
 * same numbers and verdicts, boundary cases (89/90 and 59 samples) included. */
TEST(latency_p95_is_sla_verdict)
{
    static const struct { size_t n, over; int inf; double conf; } cases[] = {
        { 400, 0, 0, 0.99 }, { 400, 10, 0, 0.99 }, { 400, 12, 0, 0.99 }, { 400, 20, 0, 0.99 },
        { 400, 30, 0, 0.99 }, { 400, 35, 1, 0.99 }, { 400, 400, 1, 0.99 }, { 20, 0, 0, 0.99 },
        { 90, 0, 0, 0.99 }, { 89, 0, 0, 0.99 }, { 59, 0, 0, 0.95 }, { 58, 0, 0, 0.95 },
        { 0, 0, 0, 0.99 }, { 1000, 37, 0, 0.99 }, { 1000, 38, 0, 0.99 }, { 1000, 66, 1, 0.99 },
        { 1000, 67, 1, 0.99 }, { 100000, 4900, 0, 0.99 }, { 100000, 5100, 0, 0.99 },
    };
    struct tg_slo s;
    char why[128];
    REQUIRE(tg_slo_parse("latency:p95<=800ms", &s, why, sizeof why) == 0);
    int verdicts[3] = { 0 };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = cases[i].n;
        double *v = fill(n, cases[i].over, cases[i].inf);
        REQUIRE(v);
        struct tg_sla_result a;
        struct tg_slo_result b;
        CHECK_INT_EQ(0, tg_sla_verdict(v, n, 800, cases[i].conf, &a));
        CHECK_INT_EQ(0, tg_slo_judge(&s, v, n, cases[i].conf, &b));
        if (a.verdict != b.verdict || a.over_limit != b.over || a.n != b.n ||
            a.frac_over_lo != b.frac_over_lo || a.frac_over_hi != b.frac_over_hi ||
            !(a.p95_ms == b.estimate_ms || (isnan(a.p95_ms) && isnan(b.estimate_ms))))
            TG_FAIL_AT("n=%zu over=%zu: sla %s %zu/%zu [%.17g, %.17g] p95 %g; slo %s %llu/%llu "
                       "[%.17g, %.17g] p95 %g", n, cases[i].over, tg_verdict_name(a.verdict),
                       a.over_limit, a.n, a.frac_over_lo, a.frac_over_hi, a.p95_ms,
                       tg_verdict_name(b.verdict), (unsigned long long)b.over,
                       (unsigned long long)b.n, b.frac_over_lo, b.frac_over_hi, b.estimate_ms);
        verdicts[b.verdict]++;
        free(v);
    }
    /* the table reaches all three verdicts */
    CHECK(verdicts[TG_VERDICT_PASS] > 0 && verdicts[TG_VERDICT_FAIL] > 0 &&
          verdicts[TG_VERDICT_INCONCLUSIVE] > 0);
    /* the exact 5 % boundary: find the largest passing over-count at n = 2000
     * with tg_sla_verdict, and check both sides of it agree */
    size_t n = 2000;
    for (size_t over = 50; over <= 130; over++) {
        double *v = fill(n, over, 0);
        REQUIRE(v);
        struct tg_sla_result a;
        struct tg_slo_result b;
        tg_sla_verdict(v, n, 800, 0.99, &a);
        tg_slo_judge(&s, v, n, 0.99, &b);
        if (a.verdict != b.verdict)
            TG_FAIL_AT("n=2000 over=%zu: sla %s, slo %s", over, tg_verdict_name(a.verdict),
                       tg_verdict_name(b.verdict));
        free(v);
    }
    struct tg_slo_result r;
    double one = 1;
    CHECK_INT_EQ(TG_EINVAL, tg_slo_judge(&s, &one, 1, 1.0, &r));
    CHECK_INT_EQ(TG_EINVAL, tg_slo_judge(&s, &one, 1, 0, &r));
    CHECK_INT_EQ(TG_VERDICT_INCONCLUSIVE, r.verdict);
}

/* Other quantiles: p99 allows 1 %, p50 allows half. */
TEST(other_quantiles)
{
    struct tg_slo s99, s50;
    char why[128];
    REQUIRE(tg_slo_parse("ttft:p99<=800", &s99, why, sizeof why) == 0);
    REQUIRE(tg_slo_parse("ttft:p50<=800", &s50, why, sizeof why) == 0);
    double *v = fill(1000, 12, 0);   /* 1.2 % over: not enough evidence either way */
    REQUIRE(v);
    struct tg_slo_result r;
    CHECK_INT_EQ(0, tg_slo_judge(&s99, v, 1000, 0.99, &r));
    CHECK_STR_EQ("INCONCLUSIVE", tg_verdict_name(r.verdict));
    CHECK(r.frac_over_lo < 0.01 && r.frac_over_hi > 0.01);
    CHECK_INT_EQ(0, tg_slo_judge(&s50, v, 1000, 0.99, &r));
    CHECK_STR_EQ("PASS", tg_verdict_name(r.verdict));
    tg_sort_doubles(v, 1000);
    CHECK_DBL_NEAR(v[499], r.estimate_ms, 0);   /* the 500th of 1000 */
    free(v);
    v = fill(1000, 20, 0);   /* 2 % over at n = 1000: lo above 1 % */
    REQUIRE(v);
    CHECK_INT_EQ(0, tg_slo_judge(&s99, v, 1000, 0.99, &r));
    CHECK_STR_EQ("FAIL", tg_verdict_name(r.verdict));
    free(v);
    v = fill(5000, 150, 0);   /* 3 % over, clearly above 1 % */
    REQUIRE(v);
    CHECK_INT_EQ(0, tg_slo_judge(&s99, v, 5000, 0.99, &r));
    CHECK_STR_EQ("FAIL", tg_verdict_name(r.verdict));
    CHECK_DBL_NEAR(1200, r.estimate_ms, 0);
    free(v);
}

/* tg_slo_judge_counts gives the same bounds and verdict as the samples. */
TEST(counts_vs_samples)
{
    struct tg_slo s;
    char why[128];
    REQUIRE(tg_slo_parse("tpot:p90<=800", &s, why, sizeof why) == 0);
    static const size_t ns[] = { 1, 10, 50, 200, 1000 };
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        for (size_t over = 0; over <= ns[i]; over += ns[i] / 10 + 1) {
            double *v = fill(ns[i], over, 1);
            REQUIRE(v);
            struct tg_slo_result a, b;
            CHECK_INT_EQ(0, tg_slo_judge(&s, v, ns[i], 0.95, &a));
            CHECK_INT_EQ(0, tg_slo_judge_counts(&s, ns[i], over, a.estimate_ms, 0.95, &b));
            CHECK_UINT_EQ(over, a.over);
            CHECK(a.frac_over_lo == b.frac_over_lo && a.frac_over_hi == b.frac_over_hi);
            CHECK_INT_EQ(a.verdict, b.verdict);
            CHECK(a.estimate_ms == b.estimate_ms);
            free(v);
        }
    }
    struct tg_slo_result r;
    CHECK_INT_EQ(TG_EINVAL, tg_slo_judge_counts(&s, 5, 6, 1, 0.99, &r));
    CHECK_INT_EQ(0, tg_slo_judge_counts(&s, 0, 0, NAN, 0.99, &r));
    CHECK_INT_EQ(TG_VERDICT_INCONCLUSIVE, r.verdict);
    CHECK(isnan(r.estimate_ms));
}

TEST(input_meets)
{
    struct tg_slo lat, ttft, tpot, itl;
    char why[128];
    REQUIRE(tg_slo_parse("latency:p95<=100", &lat, why, sizeof why) == 0);
    REQUIRE(tg_slo_parse("ttft:p95<=10", &ttft, why, sizeof why) == 0);
    REQUIRE(tg_slo_parse("tpot:p95<=5", &tpot, why, sizeof why) == 0);
    REQUIRE(tg_slo_parse("itl:p95<=20", &itl, why, sizeof why) == 0);
    CHECK(tg_slo_input_meets(&lat, 100, NAN, NAN, NAN));      /* at the limit: met */
    CHECK(!tg_slo_input_meets(&lat, 100.001, 1, 1, 1));
    CHECK(!tg_slo_input_meets(&lat, INFINITY, 1, 1, 1));
    CHECK(!tg_slo_input_meets(&lat, NAN, 1, 1, 1));           /* unknown latency: not met */
    CHECK(tg_slo_input_meets(&ttft, 500, 10, NAN, NAN));
    CHECK(!tg_slo_input_meets(&ttft, 5, 11, NAN, NAN));
    CHECK(tg_slo_input_meets(&ttft, 5, NAN, NAN, NAN));       /* did not stream: met */
    CHECK(tg_slo_input_meets(&tpot, 5, 1, NAN, NAN));         /* < 2 tokens: met */
    CHECK(!tg_slo_input_meets(&tpot, 5, 1, 5.5, NAN));
    CHECK(tg_slo_input_meets(&tpot, 5, 1, 4.5, 100));
    CHECK(tg_slo_input_meets(&itl, 5, 1, 1, 20));
    CHECK(!tg_slo_input_meets(&itl, 5, 1, 1, 21));
    CHECK(tg_slo_input_meets(&itl, 5, 1, 1, NAN));            /* < 2 events: met */
}
