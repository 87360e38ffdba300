#include "test.h"

#include "core/error.h"
#include "core/time.h"
#include "stats/binomial.h"
#include "stats/hist.h"
#include "stats/percentile.h"
#include "core/rng.h"

TEST_MAIN()

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Exact nearest rank on a sorted uint64 array, written independently of
 * tg_percentile_rank: the smallest value whose share of samples <= it is >= p. */
static uint64_t exact_u64(const uint64_t *s, size_t n, double p)
{
    for (size_t i = 0; i < n; i++)
        if ((double)(i + 1) * 100.0 >= p * (double)n - 1e-7)
            return s[i];
    return s[n - 1];
}

/* ---- rank and nearest-rank percentiles on hand tables -------------------- */

TEST(rank_table)
{
    static const struct { uint64_t n; double p; uint64_t rank; } cases[] = {
        { 0, 50, 0 },  { 1, 0, 1 },     { 1, 50, 1 },    { 1, 100, 1 },
        { 20, 95, 19 }, { 20, 0, 1 },   { 20, 100, 20 }, { 20, 50, 10 },
        { 20, 96, 20 }, { 20, 94.9, 19 }, { 10, 95, 10 }, { 10, 90, 9 },
        { 1000, 99.9, 999 }, { 1000, 99.95, 1000 }, { 400, 95, 380 }, { 400, 99, 396 },
        { 3, 33.3333, 1 }, { 3, 34, 2 }, { 7, 50, 4 }, { 100, 0.5, 1 }, { 100, 1, 1 },
        { 100, 1.01, 2 }, { 5, -3, 1 }, { 5, 250, 5 }, { 1000000, 99.9, 999000 },
        { 10, 0.0001, 1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t r = tg_percentile_rank(cases[i].n, cases[i].p);
        if (r != cases[i].rank)
            TG_FAIL_AT("rank(n=%llu, p=%g): expected %llu, got %llu",
                       (unsigned long long)cases[i].n, cases[i].p,
                       (unsigned long long)cases[i].rank, (unsigned long long)r);
    }
}

TEST(nearest_rank_hand_tables)
{
    double one[] = { 42 };
    CHECK_DBL_NEAR(42, tg_percentile_sorted(one, 1, 0), 0);
    CHECK_DBL_NEAR(42, tg_percentile_sorted(one, 1, 50), 0);
    CHECK_DBL_NEAR(42, tg_percentile_sorted(one, 1, 100), 0);
    CHECK(isnan(tg_percentile_sorted(one, 0, 50)));

    /* n = 10: 1..10.  P50 = 5th = 5, P90 = 9th, P95 = ceil(9.5) = 10th. */
    double ten[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
    CHECK_DBL_NEAR(1, tg_percentile_sorted(ten, 10, 0), 0);
    CHECK_DBL_NEAR(1, tg_percentile_sorted(ten, 10, 10), 0);
    CHECK_DBL_NEAR(2, tg_percentile_sorted(ten, 10, 10.5), 0);
    CHECK_DBL_NEAR(5, tg_percentile_sorted(ten, 10, 50), 0);
    CHECK_DBL_NEAR(9, tg_percentile_sorted(ten, 10, 90), 0);
    CHECK_DBL_NEAR(10, tg_percentile_sorted(ten, 10, 95), 0);
    CHECK_DBL_NEAR(10, tg_percentile_sorted(ten, 10, 100), 0);

    /* ties: 7 values, P50 = 4th. */
    double ties[] = { 3, 3, 3, 5, 5, 9, 9 };
    CHECK_DBL_NEAR(3, tg_percentile_sorted(ties, 7, 40), 0);  /* ceil(2.8) = 3rd */
    CHECK_DBL_NEAR(5, tg_percentile_sorted(ties, 7, 50), 0);  /* ceil(3.5) = 4th */
    CHECK_DBL_NEAR(9, tg_percentile_sorted(ties, 7, 95), 0);

    /* n = 19 (< 20): P95 = ceil(18.05) = 19th = the max. */
    double v19[19];
    for (int i = 0; i < 19; i++)
        v19[i] = 100 + i;
    CHECK_DBL_NEAR(118, tg_percentile_sorted(v19, 19, 95), 0);
    CHECK_DBL_NEAR(109, tg_percentile_sorted(v19, 19, 50), 0); /* ceil(9.5) = 10th */
}

TEST(sort_and_summary)
{
    double v[] = { 5, INFINITY, 1, 3, 2, 4 };
    tg_sort_doubles(v, 6);
    CHECK_DBL_NEAR(1, v[0], 0);
    CHECK_DBL_NEAR(5, v[4], 0);
    CHECK(isinf(v[5]));

    double w[] = { 4, 2, 8, 6 };   /* mean 5, population variance 5 */
    struct tg_summary_stats s;
    CHECK_INT_EQ(0, tg_summary_stats(w, 4, &s));
    CHECK_DBL_NEAR(4, w[0], 0);    /* input untouched */
    CHECK_UINT_EQ(4, s.n);
    CHECK_DBL_NEAR(2, s.min, 0);
    CHECK_DBL_NEAR(8, s.max, 0);
    CHECK_DBL_NEAR(5, s.mean, 1e-12);
    CHECK_DBL_NEAR(sqrt(5), s.stdev, 1e-12);
    CHECK_DBL_NEAR(4, s.p50, 0);
    CHECK_DBL_NEAR(8, s.p90, 0);
    CHECK_DBL_NEAR(8, s.p95, 0);
    CHECK_DBL_NEAR(8, s.p999, 0);

    CHECK_INT_EQ(0, tg_summary_stats(w, 0, &s));
    CHECK(isnan(s.p95) && isnan(s.mean));
}

/* ---- histogram --------------------------------------------------------- */

TEST(hist_small_values_exact)
{
    struct tg_hist *h = tg_hist_new(60000000);
    REQUIRE(h);
    CHECK_UINT_EQ(0, tg_hist_percentile(h, 50));
    CHECK_UINT_EQ(0, tg_hist_min(h));
    CHECK_UINT_EQ(0, tg_hist_max(h));
    for (uint64_t v = 1; v <= 10; v++)
        tg_hist_record(h, v);
    CHECK_UINT_EQ(10, tg_hist_count(h));
    CHECK_UINT_EQ(1, tg_hist_min(h));
    CHECK_UINT_EQ(10, tg_hist_max(h));
    CHECK_UINT_EQ(5, tg_hist_percentile(h, 50));
    CHECK_UINT_EQ(10, tg_hist_percentile(h, 95));
    CHECK_UINT_EQ(1, tg_hist_percentile(h, 0));
    CHECK_UINT_EQ(10, tg_hist_percentile(h, 100));
    CHECK_DBL_NEAR(5.5, tg_hist_mean(h), 1e-12);
    CHECK_DBL_NEAR(sqrt(8.25), tg_hist_stdev(h), 1e-12);
    tg_hist_free(h);
    tg_hist_free(NULL);
}

TEST(hist_overflow_clamps)
{
    struct tg_hist *h = tg_hist_new(1000000);
    REQUIRE(h);
    tg_hist_record(h, 500);
    tg_hist_record(h, 5000000);
    CHECK_UINT_EQ(1, tg_hist_overflow(h));
    CHECK_UINT_EQ(1000000, tg_hist_max(h));
    CHECK_UINT_EQ(1000000, tg_hist_percentile(h, 100));
    tg_hist_free(h);
}

/* Random latencies over six decades vs. the exact nearest rank. */
TEST(hist_vs_exact_random)
{
    enum { N = 200000 };
    static uint64_t v[N];
    struct tg_rng r;
    tg_rng_seed(&r, 7);
    struct tg_hist *h = tg_hist_new(3600ULL * 1000000);
    REQUIRE(h);
    long double sum = 0;
    for (size_t i = 0; i < N; i++) {
        /* log-uniform between 1 µs and ~20 min, plus a lognormal bulk */
        double x = i % 2 ? exp(tg_rng_uniform(&r) * 21.0) : tg_rng_lognormal(&r, log(50000), 0.5);
        v[i] = (uint64_t)x;
        sum += v[i];
        tg_hist_record(h, v[i]);
    }
    qsort(v, N, sizeof v[0], cmp_u64);
    static const double ps[] = { 0, 0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100 };
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        double exact = (double)exact_u64(v, N, ps[i]);
        double got = (double)tg_hist_percentile(h, ps[i]);
        if (!(got >= exact && got - exact <= exact * 0.001))
            TG_FAIL_AT("p%g: exact %.0f, hist %.0f (rel %.6f)", ps[i], exact, got,
                       (got - exact) / exact);
    }
    CHECK_UINT_EQ(v[0], tg_hist_min(h));
    CHECK_UINT_EQ(v[N - 1], tg_hist_max(h));
    CHECK_DBL_NEAR((double)(sum / N), tg_hist_mean(h), 1e-6);
    long double ss = 0, mean = sum / N;
    for (size_t i = 0; i < N; i++)
        ss += (v[i] - mean) * (v[i] - mean);
    CHECK_DBL_NEAR((double)sqrtl(ss / N), tg_hist_stdev(h), 1e-3);
    tg_hist_free(h);
}

/* Values from 1 to 3e6 (every bucket width) reported as the P50 of {x, 9e6}:
 * the upper bucket edge is never below x and within 1/1024 above it. */
TEST(hist_relative_error_every_bucket)
{
    double worst = 0;
    for (uint64_t x = 1; x < 3000000; x = x + 1 + x / 997) {
        struct tg_hist *g = tg_hist_new(10000000);
        REQUIRE(g);
        tg_hist_record(g, x);
        tg_hist_record(g, 9000000);
        uint64_t got = tg_hist_percentile(g, 50);
        double rel = got < x ? 1.0 : (double)(got - x) / (double)x;
        if (rel > worst)
            worst = rel;
        tg_hist_free(g);
    }
    CHECK(worst <= 1.0 / 1024);
}

TEST(hist_merge_equals_recording_all)
{
    struct tg_hist *a = tg_hist_new(60000000), *b = tg_hist_new(60000000);
    struct tg_hist *all = tg_hist_new(60000000), *other = tg_hist_new(1000);
    REQUIRE(a && b && all && other);
    struct tg_rng r;
    tg_rng_seed(&r, 99);
    for (int i = 0; i < 50000; i++) {
        uint64_t x = (uint64_t)tg_rng_lognormal(&r, log(80000), 0.7);
        tg_hist_record(i % 3 ? a : b, x);
        tg_hist_record(all, x);
    }
    CHECK_INT_EQ(0, tg_hist_merge(a, b));
    CHECK_INT_EQ(TG_EINVAL, tg_hist_merge(a, other));
    CHECK_UINT_EQ(tg_hist_count(all), tg_hist_count(a));
    CHECK_UINT_EQ(tg_hist_min(all), tg_hist_min(a));
    CHECK_UINT_EQ(tg_hist_max(all), tg_hist_max(a));
    CHECK_DBL_NEAR(tg_hist_mean(all), tg_hist_mean(a), 0);
    CHECK_DBL_NEAR(tg_hist_stdev(all), tg_hist_stdev(a), 0);
    for (double p = 0; p <= 100; p += 0.5)
        CHECK_UINT_EQ(tg_hist_percentile(all, p), tg_hist_percentile(a, p));
    tg_hist_free(a);
    tg_hist_free(b);
    tg_hist_free(all);
    tg_hist_free(other);
}

/* Many samples over the whole range: none lost.  (The cost per sample is a
 * figure of `make bench`, bench/micro.c, not a check here.) */
TEST(hist_record_many_loses_none)
{
    struct tg_hist *h = tg_hist_new(60000000);
    REQUIRE(h);
    enum { N = 400000 };
    uint64_t x = 12345;
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        tg_hist_record(h, (x >> 40) % 60000000);
    }
    CHECK_UINT_EQ(N, tg_hist_count(h));
    tg_hist_free(h);
}

/* ---- rng ---------------------------------------------------------------- */

TEST(rng_reproducible_and_sane)
{
    struct tg_rng a, b;
    tg_rng_seed(&a, 42);
    tg_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        CHECK_UINT_EQ(tg_rng_next(&a), tg_rng_next(&b));
    tg_rng_seed(&b, 43);
    CHECK(tg_rng_next(&a) != tg_rng_next(&b));
    double s = 0, s2 = 0, e = 0, g = 0;
    int n = 200000, below[7] = { 0 };
    for (int i = 0; i < n; i++) {
        double u = tg_rng_uniform(&a);
        CHECK(u >= 0 && u < 1);
        double z = tg_rng_normal(&a);
        s += z;
        s2 += z * z;
        e += tg_rng_exp(&a, 3.0);
        g += tg_rng_gamma(&a, 2.5);
        below[tg_rng_below(&a, 7)]++;
    }
    CHECK_DBL_NEAR(0, s / n, 0.01);
    CHECK_DBL_NEAR(1, s2 / n, 0.02);
    CHECK_DBL_NEAR(3, e / n, 0.03);
    CHECK_DBL_NEAR(2.5, g / n, 0.03);
    for (int i = 0; i < 7; i++)
        CHECK_DBL_NEAR(n / 7.0, below[i], n / 7.0 * 0.03);
    CHECK_UINT_EQ(0, tg_rng_below(&a, 0));
}

/* ---- incomplete beta, binomial, Clopper-Pearson ----------------------- */

TEST(beta_inc_known_values)
{
    /* closed forms: I_x(1, b) = 1 - (1-x)^b, I_x(a, 1) = x^a */
    CHECK_DBL_NEAR(1 - pow(0.7, 5), tg_beta_inc(1, 5, 0.3), 1e-14);
    CHECK_DBL_NEAR(pow(0.3, 4), tg_beta_inc(4, 1, 0.3), 1e-14);
    /* I_x(1/2, 1/2) = 2/pi asin(sqrt(x)) */
    CHECK_DBL_NEAR(2 / M_PI * asin(sqrt(0.3)), tg_beta_inc(0.5, 0.5, 0.3), 1e-13);
    /* mpmath, 30 digits */
    CHECK_DBL_NEAR(0.5248, tg_beta_inc(2, 3, 0.4), 1e-13);
    CHECK_DBL_NEAR(0.10884306564490976, tg_beta_inc(100, 200, 0.3), 1e-12);
    CHECK_DBL_NEAR(0.82071990734993348, tg_beta_inc(50000, 950001, 0.0502), 1e-9);
    CHECK_DBL_NEAR(0, tg_beta_inc(2, 3, 0), 0);
    CHECK_DBL_NEAR(1, tg_beta_inc(2, 3, 1), 0);
    CHECK(isnan(tg_beta_inc(0, 3, 0.5)));
    /* P(Bin(400, 0.05) <= 10), mpmath */
    CHECK_DBL_NEAR(0.0093985984420624089, tg_binom_cdf(10, 400, 0.05), 1e-13);
    CHECK_DBL_NEAR(1, tg_binom_cdf(400, 400, 0.05), 0);
    /* quantile inverts */
    double x = tg_beta_quantile(100, 200, 0.10884306564490976);
    CHECK_DBL_NEAR(0.3, x, 1e-12);
}

TEST(clopper_pearson_known_values)
{
    /* reference values: mpmath (30 digits) from exact binomial sums */
    static const struct { uint64_t k, n; double c, lo, hi; } cases[] = {
        { 0, 400, 0.99, 0, 0.011446905343061158 },
        { 3, 400, 0.99, 0.0010922506224723422, 0.024892560569862424 },
        { 10, 400, 0.99, 0.010389017732462177, 0.04972472094995934 },
        { 12, 400, 0.99, 0.013666152365987041, 0.056281906895427027 },
        { 20, 400, 0.99, 0.027985020944702728, 0.081400846323651124 },
        { 30, 400, 0.99, 0.047474273930407091, 0.11130494772850634 },
        { 35, 400, 0.99, 0.057629782501135708, 0.12586375259711947 },
        { 5, 20, 0.99, 0.068845018801241438, 0.53210640895346175 },
        { 1, 19, 0.95, 0.0026960063028712847, 0.22637424927237797 },
        { 19, 400, 0.95, 0.031324801260328407, 0.068921627484028862 },
        { 400, 400, 0.99, 0.98855309465693884, 1 },
        { 50000, 1000000, 0.99, 0.049494259234251086, 0.050509292694038491 },
        { 48000, 1000000, 0.99, 0.047503988263674704, 0.048499579545070505 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double lo = -1, hi = -1;
        CHECK_INT_EQ(0, tg_clopper_pearson(cases[i].k, cases[i].n, cases[i].c, &lo, &hi));
        if (!(fabs(lo - cases[i].lo) <= 1e-10 * fmax(cases[i].lo, 1e-3) &&
              fabs(hi - cases[i].hi) <= 1e-10 * fmax(cases[i].hi, 1e-3)))
            TG_FAIL_AT("k=%llu n=%llu c=%g: expected [%.17g, %.17g], got [%.17g, %.17g]",
                       (unsigned long long)cases[i].k, (unsigned long long)cases[i].n,
                       cases[i].c, cases[i].lo, cases[i].hi, lo, hi);
    }
    /* k = 0 closed form, up to n = 10^7 */
    static const uint64_t ns[] = { 1, 2, 20, 400, 12345, 1000000, 10000000 };
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        double lo, hi, expect = -expm1(log(0.01) / (double)ns[i]);
        CHECK_INT_EQ(0, tg_clopper_pearson(0, ns[i], 0.99, &lo, &hi));
        CHECK_DBL_NEAR(0, lo, 0);
        CHECK_DBL_NEAR(expect, hi, expect * 1e-10);
        /* and k = n mirrors it */
        CHECK_INT_EQ(0, tg_clopper_pearson(ns[i], ns[i], 0.99, &lo, &hi));
        CHECK_DBL_NEAR(1 - expect, lo, expect * 1e-9);
    }
    double lo, hi;
    CHECK_INT_EQ(TG_EINVAL, tg_clopper_pearson(1, 0, 0.99, &lo, &hi));
    CHECK_INT_EQ(TG_EINVAL, tg_clopper_pearson(5, 4, 0.99, &lo, &hi));
    CHECK_INT_EQ(TG_EINVAL, tg_clopper_pearson(1, 4, 1.0, &lo, &hi));
}

/* ---- bootstrap ---------------------------------------------------------- */

TEST(bootstrap_reproducible)
{
    enum { N = 400 };
    double b[N], a[N];
    struct tg_rng r;
    tg_rng_seed(&r, 5);
    for (int i = 0; i < N; i++) {
        b[i] = tg_rng_lognormal(&r, log(900), 0.3);
        a[i] = tg_rng_lognormal(&r, log(300), 0.3);
    }
    struct tg_ci c1, c2, c3;
    CHECK_INT_EQ(0, tg_bootstrap_delta_ci(b, N, a, N, 95, 2000, 0.95, 1, &c1));
    CHECK_INT_EQ(0, tg_bootstrap_delta_ci(b, N, a, N, 95, 2000, 0.95, 1, &c2));
    CHECK_INT_EQ(0, tg_bootstrap_delta_ci(b, N, a, N, 95, 2000, 0.95, 2, &c3));
    CHECK(c1.lo == c2.lo && c1.hi == c2.hi);
    CHECK(c1.lo != c3.lo || c1.hi != c3.hi);
    CHECK(c1.lo < c1.hi);
    /* the point delta lies inside its own interval */
    double sb[N], sa[N];
    memcpy(sb, b, sizeof b);
    memcpy(sa, a, sizeof a);
    tg_sort_doubles(sb, N);
    tg_sort_doubles(sa, N);
    double d = tg_percentile_sorted(sa, N, 95) - tg_percentile_sorted(sb, N, 95);
    CHECK(c1.lo <= d && d <= c1.hi);
    /* interval endpoints are differences of sample values */
    int found = 0;
    for (int i = 0; i < N && !found; i++)
        for (int j = 0; j < N && !found; j++)
            found = sa[i] - sb[j] == c1.lo;
    CHECK(found);

    CHECK_INT_EQ(0, tg_bootstrap_delta_ci(b, 0, a, N, 95, 2000, 0.95, 1, &c1));
    CHECK(isnan(c1.lo) && isnan(c1.hi));
    CHECK_INT_EQ(TG_EINVAL, tg_bootstrap_delta_ci(b, N, a, N, 95, 0, 0.95, 1, &c1));
}

/* The order-statistic shortcut agrees with literal resampling. */
TEST(bootstrap_matches_naive_resampling)
{
    enum { N = 60, R = 4000 };
    double b[N], a[N];
    struct tg_rng r;
    tg_rng_seed(&r, 11);
    for (int i = 0; i < N; i++) {
        b[i] = 100 + tg_rng_exp(&r, 50);
        a[i] = 80 + tg_rng_exp(&r, 30);
    }
    struct tg_ci fast;
    CHECK_INT_EQ(0, tg_bootstrap_delta_ci(b, N, a, N, 95, R, 0.90, 3, &fast));
    static double d[R];
    double rb[N], ra[N];
    for (int k = 0; k < R; k++) {
        for (int i = 0; i < N; i++) {
            rb[i] = b[tg_rng_below(&r, N)];
            ra[i] = a[tg_rng_below(&r, N)];
        }
        tg_sort_doubles(rb, N);
        tg_sort_doubles(ra, N);
        d[k] = tg_percentile_sorted(ra, N, 95) - tg_percentile_sorted(rb, N, 95);
    }
    tg_sort_doubles(d, R);
    double lo = tg_percentile_sorted(d, R, 5), hi = tg_percentile_sorted(d, R, 95);
    double width = hi - lo;
    CHECK_DBL_NEAR(lo, fast.lo, 0.2 * width);
    CHECK_DBL_NEAR(hi, fast.hi, 0.2 * width);
}

/* n = 1e6 per side: the interval holds the true P99 shift.  P99 of
 * LogNormal(log m, 0.4) is m * exp(0.4 * 2.3263), so the shift from m = 500 to
 * 400 is -100 * 2.5357 = -253.6 ms; with a million samples the sample P99s
 * sit within about 1 % of the true ones.  (Its duration is a figure of
 * `make bench`.) */
TEST(bootstrap_large_n_holds_the_true_shift)
{
    enum { N = 1000000 };
    double *b = malloc(N * sizeof *b), *a = malloc(N * sizeof *a);
    REQUIRE(b && a);
    struct tg_rng r;
    tg_rng_seed(&r, 17);
    for (int i = 0; i < N; i++) {
        b[i] = tg_rng_lognormal(&r, log(500), 0.4);
        a[i] = tg_rng_lognormal(&r, log(400), 0.4);
    }
    struct tg_ci c;
    CHECK_INT_EQ(0, tg_bootstrap_delta_ci(b, N, a, N, 99, 2000, 0.95, 1, &c));
    CHECK(c.lo < c.hi && c.hi < 0);
    CHECK(c.lo < -253.6 * 0.97 && c.hi > -253.6 * 1.03);
    CHECK(c.hi - c.lo < 20);   /* a million samples: a narrow interval */
    free(b);
    free(a);
}

/* ---- SLA verdict ---------------------------------------------------------- */

TEST(verdict_table)
{
    /* n samples, `over` of them above 800 ms (or failed = INFINITY) */
    static const struct {
        size_t n, over;
        int failed_as_inf;
        double conf;
        enum tg_verdict v;
    } cases[] = {
        { 400, 0, 0, 0.99, TG_VERDICT_PASS },          /* hi 1.14 % */
        { 400, 10, 0, 0.99, TG_VERDICT_PASS },         /* hi 4.97 % */
        { 400, 12, 0, 0.99, TG_VERDICT_INCONCLUSIVE }, /* hi 5.63 % */
        { 400, 20, 0, 0.99, TG_VERDICT_INCONCLUSIVE }, /* P95 over, but lo 2.8 % */
        { 400, 30, 0, 0.99, TG_VERDICT_INCONCLUSIVE }, /* lo 4.75 % */
        { 400, 35, 1, 0.99, TG_VERDICT_FAIL },         /* lo 5.76 %, failures */
        { 400, 400, 1, 0.99, TG_VERDICT_FAIL },        /* all failed */
        { 20, 0, 0, 0.99, TG_VERDICT_INCONCLUSIVE },   /* hi 20.6 %: too few */
        { 90, 0, 0, 0.99, TG_VERDICT_PASS },           /* 1 - 0.01^(1/90) = 4.99 % */
        { 89, 0, 0, 0.99, TG_VERDICT_INCONCLUSIVE },   /* 5.04 % */
        { 59, 0, 0, 0.95, TG_VERDICT_PASS },           /* 1 - 0.05^(1/59) = 4.95 % */
        { 0, 0, 0, 0.99, TG_VERDICT_INCONCLUSIVE },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = cases[i].n;
        double *v = malloc((n ? n : 1) * sizeof *v);
        REQUIRE(v);
        for (size_t j = 0; j < n; j++)
            v[j] = j < cases[i].over ? (cases[i].failed_as_inf ? INFINITY : 1200.0) : 500.0 + (double)(j % 200);
        struct tg_sla_result s;
        CHECK_INT_EQ(0, tg_sla_verdict(v, n, 800, cases[i].conf, &s));
        CHECK_UINT_EQ(cases[i].over, s.over_limit);
        CHECK_UINT_EQ(n, s.n);
        if (s.verdict != cases[i].v)
            TG_FAIL_AT("n=%zu over=%zu conf=%g: expected %s, got %s (bounds %.5f..%.5f)", n,
                       cases[i].over, cases[i].conf, tg_verdict_name(cases[i].v),
                       tg_verdict_name(s.verdict), s.frac_over_lo, s.frac_over_hi);
        free(v);
    }
    /* the point estimate: exactly at the limit is not over */
    double w[20];
    for (int i = 0; i < 20; i++)
        w[i] = i < 19 ? 100 : 800;
    struct tg_sla_result s;
    CHECK_INT_EQ(0, tg_sla_verdict(w, 20, 800, 0.99, &s));
    CHECK_UINT_EQ(0, s.over_limit);
    CHECK_DBL_NEAR(100, s.p95_ms, 0);   /* 19th of 20 */
    CHECK_STR_EQ("PASS", tg_verdict_name(TG_VERDICT_PASS));
    CHECK_STR_EQ("FAIL", tg_verdict_name(TG_VERDICT_FAIL));
    CHECK_STR_EQ("INCONCLUSIVE", tg_verdict_name(TG_VERDICT_INCONCLUSIVE));
    CHECK_INT_EQ(TG_EINVAL, tg_sla_verdict(w, 20, 800, 1.5, &s));
}

/* The radix sort agrees with a comparison sort, negatives, infinities and
 * NaN included. */
static int cmp_plain(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    if (isnan(x) || isnan(y))
        return isnan(x) - isnan(y);
    return (x > y) - (x < y);
}

TEST(sort_matches_qsort)
{
    static const size_t sizes[] = { 0, 1, 2, 255, 256, 257, 1000, 100000 };
    struct tg_rng r;
    tg_rng_seed(&r, 3);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        double *a = malloc((n + 1) * sizeof *a), *b = malloc((n + 1) * sizeof *b);
        REQUIRE(a && b);
        for (size_t i = 0; i < n; i++) {
            uint64_t k = tg_rng_below(&r, 10);
            a[i] = k == 0 ? -tg_rng_exp(&r, 100) : k == 1 ? INFINITY : k == 2 ? -INFINITY
                 : k == 3 ? (i % 7 ? 5.0 : NAN) : k == 4 ? 0.0 : tg_rng_lognormal(&r, 5, 2);
            b[i] = a[i];
        }
        tg_sort_doubles(a, n);
        qsort(b, n, sizeof *b, cmp_plain);
        size_t bad = 0;
        for (size_t i = 0; i < n; i++)
            if (!(a[i] == b[i] || (isnan(a[i]) && isnan(b[i]))))
                bad++;
        if (bad)
            TG_FAIL_AT("n=%zu: %zu positions differ from qsort", n, bad);
        free(a);
        free(b);
    }
}
