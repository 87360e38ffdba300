/* test_progress.c - the live-progress estimator: running percentiles from
 * the coarse buckets, hand-over between worker and display, the rate over
 * the last second, and the rendered line. */
#include "test.h"

#include "output/progress.h"

#include <pthread.h>

TEST_MAIN()

static uint64_t exact_pct(const uint64_t *v, size_t n, double p)
{
    /* v sorted; nearest rank */
    size_t rank = (size_t)ceil(p / 100.0 * (double)n);
    if (rank == 0)
        rank = 1;
    return v[rank - 1];
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

TEST(percentiles_within_bucket_error)
{
    static const uint64_t scales[] = { 7, 900, 48000, 1234567, 90000000000ULL };
    for (size_t s = 0; s < sizeof scales / sizeof scales[0]; s++) {
        struct tg_progress_lat *l = tg_progress_lat_new();
        struct tg_progress *p = tg_progress_new(1000, 0);
        REQUIRE(l && p);
        uint64_t v[1000];
        uint64_t x = 88172645463325252ULL;
        for (size_t i = 0; i < 1000; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            v[i] = scales[s] + x % (scales[s] + 1);
            tg_progress_lat_record(l, v[i]);
        }
        CHECK_UINT_EQ(0, tg_progress_percentile(p, 50)); /* nothing published yet */
        tg_progress_lat_publish(l);
        struct tg_progress_lat *lats[] = { NULL, l };
        tg_progress_collect(p, lats, 2);
        qsort(v, 1000, sizeof v[0], cmp_u64);
        static const double pcts[] = { 0, 50, 95, 99, 100 };
        for (size_t k = 0; k < 5; k++) {
            double want = (double)exact_pct(v, 1000, pcts[k]);
            double got = (double)tg_progress_percentile(p, pcts[k]);
            CHECK_DBL_NEAR(want, got, want * 0.032 + 1);
        }
        /* collected counts are moved, not copied: collecting again adds
         * nothing (a copy would double every bucket, which leaves every
         * percentile where it was, so the count is what tells) */
        CHECK_UINT_EQ(1000, tg_progress_samples(p));
        tg_progress_collect(p, lats, 2);
        CHECK_UINT_EQ(1000, tg_progress_samples(p));
        tg_progress_lat_publish(l);   /* nothing new recorded: publishes nothing */
        tg_progress_collect(p, lats, 2);
        CHECK_UINT_EQ(1000, tg_progress_samples(p));
        tg_progress_free(p);
        tg_progress_lat_free(l);
    }
    tg_progress_lat_free(NULL);
    tg_progress_free(NULL);
}

struct writer_arg {
    struct tg_progress_lat *l;
    unsigned n;
};

static void *writer_main(void *arg)
{
    struct writer_arg *a = arg;
    for (unsigned i = 0; i < a->n; i++) {
        tg_progress_lat_record(a->l, 1000 + i % 100);
        if (i % 1000 == 999)
            tg_progress_lat_publish(a->l);
    }
    tg_progress_lat_publish(a->l);
    return NULL;
}

TEST(handover_between_threads_loses_nothing)
{
    struct tg_progress_lat *lats[2] = { tg_progress_lat_new(), tg_progress_lat_new() };
    struct tg_progress *p = tg_progress_new(UINT64_MAX, 0);
    REQUIRE(lats[0] && lats[1] && p);
    struct writer_arg args[2] = { { lats[0], 50000 }, { lats[1], 30000 } };
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        REQUIRE(pthread_create(&th[i], NULL, writer_main, &args[i]) == 0);
    for (int k = 0; k < 50; k++)
        tg_progress_collect(p, lats, 2); /* concurrently with the writers */
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    tg_progress_collect(p, lats, 2);
    /* every sample arrived exactly once (the count), the median of
     * 1000..1099 and the largest */
    CHECK_UINT_EQ(80000, tg_progress_samples(p));
    CHECK_DBL_NEAR(1050, (double)tg_progress_percentile(p, 50), 1050 * 0.032);
    CHECK_DBL_NEAR(1099, (double)tg_progress_percentile(p, 100), 1099 * 0.032);
    for (int i = 0; i < 2; i++)
        tg_progress_lat_free(lats[i]);
    tg_progress_free(p);
}

TEST(rate_over_last_second)
{
    const uint64_t s = 1000000000ULL;
    struct tg_progress *p = tg_progress_new(1000, 10 * s);
    REQUIRE(p);
    CHECK_DBL_NEAR(0, tg_progress_rate(p), 0);
    tg_progress_update(p, 10 * s + s / 2, 50, 0); /* younger than 1 s: since the start */
    CHECK_DBL_NEAR(100, tg_progress_rate(p), 1e-9);
    /* 100/s for 2 s, then 400/s: the rate follows within a second */
    for (int i = 1; i <= 10; i++)
        tg_progress_update(p, 10 * s + (uint64_t)i * s / 5, (uint64_t)i * 20, 0);
    CHECK_DBL_NEAR(100, tg_progress_rate(p), 1e-9);
    for (int i = 1; i <= 5; i++)
        tg_progress_update(p, 12 * s + (uint64_t)i * s / 5, 200 + (uint64_t)i * 80, 1);
    CHECK_DBL_NEAR(400, tg_progress_rate(p), 1e-9);
    CHECK_UINT_EQ(600, tg_progress_done(p));
    tg_progress_free(p);
}

TEST(format_fields)
{
    const uint64_t s = 1000000000ULL;
    struct tg_progress *p = tg_progress_new(400, 0);
    struct tg_progress_lat *l = tg_progress_lat_new();
    REQUIRE(p && l);
    char buf[256];
    tg_progress_format(p, buf, sizeof buf);
    CHECK_STR_EQ("0.0s  0/400 inputs  0.0/s  P50 -  P95 -  errors 0", buf);
    for (int i = 0; i < 100; i++)
        tg_progress_lat_record(l, 48000);
    tg_progress_lat_publish(l);
    tg_progress_collect(p, &l, 1);
    tg_progress_update(p, 2 * s, 100, 3);
    tg_progress_format(p, buf, sizeof buf);
    /* 48 ms falls in [47.104, 48.128) ms, reported at its middle */
    CHECK_STR_EQ("2.0s  100/400 inputs  50.0/s  P50 47.6 ms  P95 47.6 ms  errors 3", buf);
    tg_progress_format(p, buf, 12); /* cut, always terminated */
    CHECK_STR_EQ("2.0s  100/4", buf);
    tg_progress_free(p);

    p = tg_progress_new(UINT64_MAX, 0);
    REQUIRE(p);
    tg_progress_update(p, s, 7, 0);
    tg_progress_format(p, buf, sizeof buf);
    CHECK_STR_EQ("1.0s  7 inputs  7.0/s  P50 -  P95 -  errors 0", buf);
    tg_progress_free(p);
    tg_progress_lat_free(l);
}
