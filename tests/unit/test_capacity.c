/*
 * test_capacity.c - the capacity search (analyze/capacity.h) on a synthetic
 * server: a measure function with a known threshold rate, below which a
 * small fraction of inputs is over the limit and above which a large one
 * is; a band just below it where the fraction sits close to the limit
 * (INCONCLUSIVE at the run size, PASS when extended); budget exhaustion;
 * a server no rate satisfies; the minimum input counts against their
 * closed forms.
 */
#include "test.h"

#include <math.h>

#include "analyze/capacity.h"
#include "analyze/capacity_probe.h"
#include "core/error.h"
#include "stats/binomial.h"

TEST_MAIN()

struct synth {
    double threshold;      /* rates <= this meet P95 */
    double near_band;      /* rates in (threshold - band, threshold]: 3 % over (undecided at ~300) */
    double frac_below, frac_above;
    struct tg_slo slo;
    uint64_t calls, inputs_total;
    uint64_t last_seed;
    int fail_at_call;      /* > 0: that call returns TG_EIO */
    double lucky_lo;       /* > 0: rates in (lucky_lo, threshold] PASS at their first point only */
    double ceiling;        /* > 0: the achieved throughput never exceeds it (a saturated server) */
    unsigned lucky_points;
};

static double frac_for(const struct synth *sy, double rate)
{
    if (sy->lucky_lo > 0 && rate > sy->lucky_lo && rate <= sy->threshold && sy->lucky_points > 1)
        return sy->frac_above;
    if (rate > sy->threshold)
        return sy->frac_above;
    if (rate > sy->threshold - sy->near_band)
        return 0.03;
    return sy->frac_below;
}

static int synth_measure(void *ctx, double rate, uint64_t inputs, uint32_t chunk, uint64_t seed,
                         struct tg_capacity_point *pt)
{
    struct synth *sy = ctx;
    sy->calls++;
    sy->inputs_total += inputs;
    sy->last_seed = seed;
    if (sy->fail_at_call > 0 && sy->calls == (uint64_t)sy->fail_at_call)
        return TG_EIO;
    if (chunk == 0) {
        pt->inputs = pt->ok = pt->failed = 0;
        pt->wall_s = 0;
        if (sy->lucky_lo > 0 && rate > sy->lucky_lo && rate <= sy->threshold)
            sy->lucky_points++;
    }
    pt->inputs += inputs;
    pt->ok = pt->inputs;
    pt->wall_s += (double)inputs / rate;
    pt->achieved_ips = sy->ceiling > 0 ? fmin(rate, sy->ceiling) : rate;
    uint64_t over = (uint64_t)llround(frac_for(sy, rate) * (double)pt->inputs);
    pt->nslo = 1;
    CHECK_INT_EQ(0, tg_slo_judge_counts(&sy->slo, pt->inputs, over, rate > sy->threshold ? 2000 : 300, 0.99,
                                        &pt->slo[0]));
    pt->verdict = pt->slo[0].verdict;
    pt->p50_ms = 100;
    pt->p95_ms = pt->slo[0].estimate_ms;
    pt->p99_ms = 3000;
    return 0;
}

static struct synth synth_new(double threshold)
{
    struct synth sy = { .threshold = threshold, .frac_below = 0.01, .frac_above = 0.30 };
    char why[80];
    CHECK_INT_EQ(0, tg_slo_parse("latency:p95<=800ms", &sy.slo, why, sizeof why));
    return sy;
}

static struct tg_capacity_opts opts_new(double start)
{
    return (struct tg_capacity_opts){ .quantile = 0.95, .confidence = 0.99, .resolution = 0.05,
                                      .start_rate = start, .seed = 7 };
}

TEST(min_inputs_closed_form)
{
    /* k = 0: hi = 1 - (1-c)^(1/n) <= 1 - p  <=>  n >= ln(1-c)/ln(p) */
    double cases[][2] = { { 0.95, 0.99 }, { 0.99, 0.99 }, { 0.95, 0.95 }, { 0.5, 0.9 }, { 0.999, 0.99 } };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double p = cases[i][0], c = cases[i][1];
        uint64_t want = (uint64_t)ceil(log(1 - c) / log(p) - 1e-9);
        uint64_t got = tg_capacity_min_inputs(p, c, 0);
        printf("  p %g c %g: min n %llu (closed form %llu)\n", p, c, (unsigned long long)got,
               (unsigned long long)want);
        CHECK_UINT_EQ(want, got);
    }
    CHECK_UINT_EQ(90, tg_capacity_min_inputs(0.95, 0.99, 0));
    CHECK_UINT_EQ(0, tg_capacity_min_inputs(1.0, 0.99, 0));
    CHECK_UINT_EQ(0, tg_capacity_min_inputs(0.95, 0, 0));
}

TEST(min_inputs_with_overs_is_the_boundary)
{
    for (uint64_t k = 1; k <= 20; k += 3) {
        uint64_t n = tg_capacity_min_inputs(0.95, 0.99, k);
        double lo, hi, lo1, hi1;
        REQUIRE(n > k);
        CHECK_INT_EQ(0, tg_clopper_pearson(k, n, 0.99, &lo, &hi));
        CHECK_INT_EQ(0, tg_clopper_pearson(k, n - 1, 0.99, &lo1, &hi1));
        printf("  k %llu: n %llu, upper bound %.5f at n, %.5f at n-1\n", (unsigned long long)k,
               (unsigned long long)n, hi, hi1);
        CHECK(hi <= 0.05);
        CHECK(hi1 > 0.05);
    }
}

TEST(run_inputs_allows_half_the_fraction)
{
    uint64_t n = tg_capacity_run_inputs(0.95, 0.99);
    uint64_t k = (uint64_t)floor((double)n * 0.05 / 2);
    double lo, hi;
    CHECK_INT_EQ(0, tg_clopper_pearson(k, n, 0.99, &lo, &hi));
    printf("  P95 at 99 %%: run size %llu inputs (%llu over still PASS: upper bound %.4f)\n",
           (unsigned long long)n, (unsigned long long)k, hi);
    CHECK(hi <= 0.05);
    CHECK(n > tg_capacity_min_inputs(0.95, 0.99, 0));
    CHECK(n < 2000);
}

TEST(finds_known_threshold)
{
    struct synth sy = synth_new(18.0);
    struct tg_capacity_opts o = opts_new(5);
    struct tg_capacity c = { 0 };
    REQUIRE(tg_capacity_search(&o, synth_measure, &sy, &c) == 0);
    printf("  end %s, max_rate %.3f (threshold 18), bracket [%.3f, %.3f], resolution %.4f, %zu points, "
           "%.0f s\n", tg_capacity_end_name(c.end), c.max_rate, c.lo, c.hi, c.resolution, c.n, c.search_s);
    CHECK_INT_EQ(TG_CAPACITY_RESOLVED, c.end);
    CHECK(c.max_rate <= 18.0);
    CHECK(c.max_rate >= 18.0 / 1.05);
    CHECK(c.resolution <= 0.05);
    CHECK(c.hi > 18.0);
    REQUIRE(c.best >= 0);
    CHECK_DBL_NEAR(c.max_rate, c.points[c.best].rate, 0);
    CHECK_INT_EQ(TG_VERDICT_PASS, c.points[c.best].verdict);
    /* bracketing doubled from 5: 5, 10, 20 (FAIL) then bisection */
    CHECK_DBL_NEAR(5, c.points[0].rate, 1e-12);
    CHECK_DBL_NEAR(10, c.points[1].rate, 1e-12);
    CHECK_DBL_NEAR(20, c.points[2].rate, 1e-12);
    /* every PASS point reached the run size, or 60 s of arrivals (the
     * default longest run without a budget) when that is fewer */
    for (size_t i = 0; i < c.n; i++)
        if (c.points[i].verdict == TG_VERDICT_PASS)
            CHECK((double)c.points[i].inputs >= fmin((double)tg_capacity_run_inputs(0.95, 0.99),
                                                     60 * c.points[i].rate));
    tg_capacity_free(&c);
}

TEST(start_above_threshold_walks_down)
{
    struct synth sy = synth_new(3.0);
    struct tg_capacity_opts o = opts_new(40);
    o.growth = 1.25;   /* a model's start: small steps first, then strides */
    struct tg_capacity c = { 0 };
    REQUIRE(tg_capacity_search(&o, synth_measure, &sy, &c) == 0);
    printf("  end %s, max_rate %.3f (threshold 3), %zu points:", tg_capacity_end_name(c.end), c.max_rate, c.n);
    for (size_t i = 0; i < c.n; i++)
        printf(" %.3g%s", c.points[i].rate, c.points[i].verdict == TG_VERDICT_PASS ? "+" : "-");
    printf("\n");
    CHECK_INT_EQ(TG_CAPACITY_RESOLVED, c.end);
    CHECK(c.max_rate <= 3.0 && c.max_rate >= 3.0 / 1.05);
    CHECK_DBL_NEAR(40 / 1.25, c.points[1].rate, 1e-9);          /* first step 1.25 */
    CHECK_DBL_NEAR(40 / 1.25 / 1.5625, c.points[2].rate, 1e-9); /* then 1.25^2 */
    tg_capacity_free(&c);
}

TEST(inconclusive_is_extended_not_guessed)
{
    struct synth sy = synth_new(18.0);
    sy.near_band = 4.0;   /* (14, 18]: 3 % over: INCONCLUSIVE at ~300, PASS at ~600 */
    struct tg_capacity_opts o = opts_new(15);
    o.min_run_s = 1;      /* the run size, not the duration, sets the count */
    struct tg_capacity c = { 0 };
    REQUIRE(tg_capacity_search(&o, synth_measure, &sy, &c) == 0);
    const struct tg_capacity_point *p0 = &c.points[0];
    printf("  rate 15: %llu inputs in %u chunks, %u extensions, verdict %s; max_rate %.3f\n",
           (unsigned long long)p0->inputs, p0->chunks, p0->extensions, tg_verdict_name(p0->verdict), c.max_rate);
    CHECK_INT_EQ(TG_VERDICT_PASS, p0->verdict);
    CHECK(p0->extensions >= 1);
    CHECK(p0->inputs >= 2 * tg_capacity_run_inputs(0.95, 0.99));
    CHECK(!p0->undecided);
    CHECK(c.max_rate <= 18.0 && c.max_rate >= 18.0 / 1.05);
    tg_capacity_free(&c);

    /* 4.5 % over never decides: after the extensions it is undecided, not a PASS */
    struct synth s2 = synth_new(1000);
    s2.frac_below = 0.045;
    struct tg_capacity_opts o2 = opts_new(10);
    o2.min_rate = 10;
    o2.min_run_s = 1;
    struct tg_capacity c2 = { 0 };
    REQUIRE(tg_capacity_search(&o2, synth_measure, &s2, &c2) == 0);
    printf("  4.5 %% over: end %s, %zu points, first %llu inputs %u extensions undecided %d\n",
           tg_capacity_end_name(c2.end), c2.n, (unsigned long long)c2.points[0].inputs, c2.points[0].extensions,
           c2.points[0].undecided);
    CHECK_INT_EQ(TG_CAPACITY_NONE_PASS, c2.end);
    CHECK(c2.points[0].undecided);
    CHECK_INT_EQ(2, c2.points[0].extensions);
    CHECK_DBL_NEAR(0, c2.max_rate, 0);
    tg_capacity_free(&c2);
}

TEST(budget_ends_the_search_with_the_best_pass)
{
    struct synth sy = synth_new(18.0);
    struct tg_capacity_opts o = opts_new(5);
    o.budget_s = 70;   /* 5/s and 10/s fit (about 60 s of arrivals), bisection does not */
    struct tg_capacity c = { 0 };
    REQUIRE(tg_capacity_search(&o, synth_measure, &sy, &c) == 0);
    printf("  budget 70 s: end %s, max_rate %.3f, bracket [%.3f, %.3f], resolution %.3f, %.1f s, %zu points\n",
           tg_capacity_end_name(c.end), c.max_rate, c.lo, c.hi, c.resolution, c.search_s, c.n);
    CHECK_INT_EQ(TG_CAPACITY_BUDGET, c.end);
    CHECK(c.search_s <= 70);
    CHECK(c.max_rate > 0 && c.max_rate <= 18);
    CHECK(c.resolution > 0.05);
    tg_capacity_free(&c);
}

TEST(none_passes_down_to_the_floor)
{
    struct synth sy = synth_new(0.001);   /* every input of every rate tried is over */
    sy.frac_above = 1;
    struct tg_capacity_opts o = opts_new(10);
    struct tg_capacity c = { 0 };
    REQUIRE(tg_capacity_search(&o, synth_measure, &sy, &c) == 0);
    printf("  end %s, %zu points, lowest %.4g, pilot-only FAILs: %llu inputs in all\n", tg_capacity_end_name(c.end),
           c.n, c.points[c.n - 1].rate, (unsigned long long)sy.inputs_total);
    CHECK_INT_EQ(TG_CAPACITY_NONE_PASS, c.end);
    CHECK_DBL_NEAR(0, c.max_rate, 0);
    CHECK_INT_EQ(-1, c.best);
    CHECK_DBL_NEAR(10.0 / 16, c.points[c.n - 1].rate, 1e-9);
    for (size_t i = 0; i < c.n; i++)
        CHECK_UINT_EQ(10, c.points[i].inputs);   /* the pilot decided each FAIL */
    tg_capacity_free(&c);
}

TEST(at_max_and_errors_and_stop)
{
    struct synth sy = synth_new(1e9);
    struct tg_capacity_opts o = opts_new(10);
    o.max_rate = 40;
    o.min_run_s = 1;
    struct tg_capacity c = { 0 };
    REQUIRE(tg_capacity_search(&o, synth_measure, &sy, &c) == 0);
    CHECK_INT_EQ(TG_CAPACITY_AT_MAX, c.end);
    CHECK_DBL_NEAR(40, c.max_rate, 0);
    tg_capacity_free(&c);

    struct synth s2 = synth_new(18);
    s2.fail_at_call = 3;
    struct tg_capacity c2 = { 0 };
    o = opts_new(5);
    REQUIRE(tg_capacity_search(&o, synth_measure, &s2, &c2) == 0);
    CHECK_INT_EQ(TG_CAPACITY_ERROR, c2.end);
    CHECK_INT_EQ(TG_EIO, c2.error);
    tg_capacity_free(&c2);

    volatile int stop = 1;
    o.stop = &stop;
    struct tg_capacity c3 = { 0 };
    REQUIRE(tg_capacity_search(&o, synth_measure, &s2, &c3) == 0);
    CHECK_INT_EQ(TG_CAPACITY_INTERRUPTED, c3.end);
    tg_capacity_free(&c3);

    o = opts_new(0);
    CHECK_INT_EQ(TG_EINVAL, tg_capacity_search(&o, synth_measure, &s2, &c3));
    o = opts_new(5);
    o.growth = 1;
    CHECK_INT_EQ(TG_EINVAL, tg_capacity_search(&o, synth_measure, &s2, &c3));
}

TEST(confirmation_refutes_a_lucky_pass)
{
    /* (16, 18] PASSes the first time only: the best found by bisection is
     * then refuted by its confirmation and the search settles at <= 16 */
    struct synth sy = synth_new(18.0);
    sy.lucky_lo = 16.0;
    struct tg_capacity_opts o = opts_new(5);
    o.confirm = true;
    o.min_run_s = 1;
    struct tg_capacity c = { 0 };
    REQUIRE(tg_capacity_search(&o, synth_measure, &sy, &c) == 0);
    printf("  end %s, max_rate %.3f, bracket [%.3f, %.3f], %zu points:", tg_capacity_end_name(c.end), c.max_rate,
           c.lo, c.hi, c.n);
    for (size_t i = 0; i < c.n; i++)
        printf(" %.4g%s", c.points[i].rate, c.points[i].verdict == TG_VERDICT_PASS ? "+" : "-");
    printf("\n");
    CHECK_INT_EQ(TG_CAPACITY_RESOLVED, c.end);
    CHECK(c.max_rate <= 16.0 && c.max_rate >= 16.0 / 1.05);
    unsigned at_best = 0;
    for (size_t i = 0; i < c.n; i++)
        at_best += c.points[i].rate == c.max_rate && c.points[i].verdict == TG_VERDICT_PASS;
    CHECK_UINT_EQ(2, at_best);   /* found, then confirmed */
    tg_capacity_free(&c);

    /* without lucky points the confirmation adds exactly one point */
    struct synth s2 = synth_new(18.0);
    struct tg_capacity c1 = { 0 }, c2 = { 0 };
    o = opts_new(5);
    REQUIRE(tg_capacity_search(&o, synth_measure, &s2, &c1) == 0);
    o.confirm = true;
    REQUIRE(tg_capacity_search(&o, synth_measure, &s2, &c2) == 0);
    CHECK_UINT_EQ(c1.n + 1, c2.n);
    CHECK_DBL_NEAR(c1.max_rate, c2.max_rate, 0);
    tg_capacity_free(&c1);
    tg_capacity_free(&c2);
}

TEST(model_rate_is_the_highest_throughput_meeting_the_slo)
{
    /* one slot, exact t(b) = 48 + 1*b ms: unbatched, a closed loop of c in
     * flight has P95 ~ c * 49 ms at 1000/49 = 20.4 inputs/s, so c <= 16
     * meets 800 ms; with batch 20 the slot serves 20 inputs per 68 ms */
    struct tg_costmodel m = { .alpha_ms = 48, .beta_ms = 1, .slots = 1, .max_batch = 64 };
    struct tg_slo slo;
    char why[80];
    REQUIRE(tg_slo_parse("latency:p95<=800ms", &slo, why, sizeof why) == 0);
    struct tg_client_cfg cfg = { .connections = 20, .keepalive = true, .batch = 1 };
    double rate;
    uint32_t at;
    REQUIRE(tg_capacity_model_rate(&m, &cfg, 20, &slo, 1, 1, &rate, &at) == 0);
    printf("  unbatched: %.2f inputs/s at concurrency %u\n", rate, at);
    CHECK_DBL_NEAR(1000.0 / 49, rate, 0.5);
    CHECK(at >= 1 && at <= 16);   /* ties keep the lowest concurrency */
    cfg.batch = 20;
    cfg.batch_wait_ms = 0;
    REQUIRE(tg_capacity_model_rate(&m, &cfg, 20, &slo, 1, 1, &rate, &at) == 0);
    printf("  batch 20: %.2f inputs/s at concurrency %u\n", rate, at);
    CHECK(rate > 3 * 1000.0 / 49);
    /* an SLO below one execution: no rate */
    REQUIRE(tg_slo_parse("latency:p95<=10ms", &slo, why, sizeof why) == 0);
    REQUIRE(tg_capacity_model_rate(&m, &cfg, 20, &slo, 1, 1, &rate, &at) == 0);
    CHECK_DBL_NEAR(0, rate, 0);
    /* no latency SLO: nothing to judge */
    REQUIRE(tg_slo_parse("ttft:p95<=10ms", &slo, why, sizeof why) == 0);
    CHECK_INT_EQ(TG_EINVAL, tg_capacity_model_rate(&m, &cfg, 20, &slo, 1, 1, &rate, &at));
}

TEST(saturated_fail_jumps_below_the_measured_ceiling)
{
    /* a model that predicted 274/s for a client that only achieves 20/s:
     * the first FAIL measures the ceiling and the next rate is 0.8 x 20 */
    struct synth sy = synth_new(18.0);
    sy.ceiling = 20;
    struct tg_capacity_opts o = opts_new(274);
    o.growth = 1.25;
    o.min_run_s = 1;
    o.min_rate = 1;
    struct tg_capacity c = { 0 };
    REQUIRE(tg_capacity_search(&o, synth_measure, &sy, &c) == 0);
    printf("  end %s, max_rate %.3f, %zu points:", tg_capacity_end_name(c.end), c.max_rate, c.n);
    for (size_t i = 0; i < c.n; i++)
        printf(" %.4g%s", c.points[i].rate, c.points[i].verdict == TG_VERDICT_PASS ? "+" : "-");
    printf("\n");
    REQUIRE(c.n >= 2);
    CHECK_DBL_NEAR(16, c.points[1].rate, 1e-9);
    CHECK_INT_EQ(TG_CAPACITY_RESOLVED, c.end);
    CHECK(c.max_rate <= 18 && c.max_rate >= 18 / 1.05);
    for (size_t i = 1; i < c.n; i++)
        CHECK(c.points[i].rate <= 20 * 1.05);   /* nothing far above the measured ceiling again */
    tg_capacity_free(&c);

    /* the limit just under the ceiling: the search closes the bracket a
     * resolution step above lo instead of returning to the far hi */
    struct synth s2 = synth_new(19.9);
    s2.ceiling = 20;
    o.resolution = 0.2;
    struct tg_capacity c2 = { 0 };
    REQUIRE(tg_capacity_search(&o, synth_measure, &s2, &c2) == 0);
    printf("  threshold 19.9, resolution 20 %%: end %s, max_rate %.3f, %zu points:", tg_capacity_end_name(c2.end),
           c2.max_rate, c2.n);
    for (size_t i = 0; i < c2.n; i++)
        printf(" %.4g%s", c2.points[i].rate, c2.points[i].verdict == TG_VERDICT_PASS ? "+" : "-");
    printf("\n");
    CHECK_INT_EQ(TG_CAPACITY_RESOLVED, c2.end);
    CHECK(c2.n <= 5);
    for (size_t i = 1; i < c2.n; i++)
        CHECK(c2.points[i].rate <= 20 * 1.25);
    tg_capacity_free(&c2);
}

/* A measure callback that sees the stop (SIGINT) at its call `at`: `cut`,
 * during the chunk (the chunk's inputs pooled, then TG_EINTR), else before
 * it (TG_EINTR, *pt untouched) -- as capacity_probe.c's does. */
struct stopping {
    struct synth sy;
    uint64_t at, calls, progress_calls;
    bool cut;
};

static int stopping_measure(void *ctx, double rate, uint64_t inputs, uint32_t chunk, uint64_t seed,
                            struct tg_capacity_point *pt)
{
    struct stopping *st = ctx;
    if (++st->calls < st->at)
        return synth_measure(&st->sy, rate, inputs, chunk, seed, pt);
    if (!st->cut)
        return TG_EINTR;
    synth_measure(&st->sy, rate, inputs, chunk, seed, pt);
    pt->interrupted = true;
    return TG_EINTR;
}

static void count_progress(void *ctx, const struct tg_capacity_point *pt, const char *phase)
{
    (void)pt;
    (void)phase;
    ((struct stopping *)ctx)->progress_calls++;
}

TEST(measure_eintr_ends_interrupted)
{
    for (int cut = 0; cut <= 1; cut++) {
        /* threshold 18 from 5: the first point PASSes in 2 chunks (pilot,
         * run); the stop comes at the pilot of the second point (call 3) */
        struct stopping st = { .sy = synth_new(18), .at = 3, .cut = cut };
        struct tg_capacity_opts o = opts_new(5);
        o.min_run_s = 1;
        o.progress = count_progress;
        o.ctx = &st;
        struct tg_capacity c = { 0 };
        REQUIRE(tg_capacity_search(&o, stopping_measure, &st, &c) == 0);
        printf("  stop %s the chunk: end %s, %zu points, last: %u chunk(s), %llu inputs, decided %d\n",
               cut ? "during" : "before", tg_capacity_end_name(c.end), c.n, c.points[c.n - 1].chunks,
               (unsigned long long)c.points[c.n - 1].inputs, c.points[c.n - 1].decided);
        CHECK_INT_EQ(TG_CAPACITY_INTERRUPTED, c.end);
        CHECK_INT_EQ(0, c.error);
        CHECK_UINT_EQ(3, st.calls);
        CHECK_UINT_EQ(2, st.progress_calls);   /* not for the chunk the stop cut */
        REQUIRE(c.n == 2);
        CHECK(c.points[0].decided && c.points[0].verdict == TG_VERDICT_PASS);
        CHECK_DBL_NEAR(5, c.max_rate, 0);
        const struct tg_capacity_point *p = &c.points[1];
        CHECK(!p->decided);
        /* a chunk cut short counts (its inputs kept, interrupted); one that never started does not */
        CHECK_UINT_EQ(cut ? 1 : 0, p->chunks);
        CHECK_UINT_EQ(cut ? 10 : 0, p->inputs);
        CHECK_INT_EQ(cut, p->interrupted);
        tg_capacity_free(&c);
    }
}
