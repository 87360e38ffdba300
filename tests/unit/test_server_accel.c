/* Unit tests for src/server/accel: cost model (exact and sampled, seeded),
 * presets, and the scheduler (FIFO, dynamic batching, queue limit, stop). */
#include "test.h"

#include "core/error.h"
#include "core/time.h"
#include "server/accel.h"

#include <pthread.h>
#include <stdatomic.h>

static struct tg_accel_config cfg(double alpha, double beta, int jitter)
{
    return (struct tg_accel_config){
        .alpha_ms = alpha, .beta_ms = beta, .sigma = 0.08, .stall_prob = 0.02,
        .jitter = jitter, .seed = 1, .slots = 1, .max_batch = 64,
        .dynamic_batching = 0, .max_queue_delay_ms = 0, .max_queue = 4096,
    };
}

TEST(cost_exact_without_jitter)
{
    struct tg_accel_config c = cfg(48, 1, 0);
    struct tg_rng g;
    tg_rng_seed(&g, 1);
    unsigned bs[] = { 1, 8, 32, 64 };
    for (size_t i = 0; i < 4; i++) {
        CHECK_DBL_NEAR(48.0 + bs[i], tg_accel_base_ms(&c, bs[i]), 1e-12);
        CHECK_DBL_NEAR(48.0 + bs[i], tg_accel_sample_ms(&c, &g, bs[i]), 1e-12);
    }
}

TEST(cost_sampling_statistics)
{
    struct tg_accel_config c = cfg(48, 1, 1);
    c.stall_prob = 0;
    struct tg_rng g;
    tg_rng_seed(&g, 12345);
    const int n = 40000;
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        double l = log(tg_accel_sample_ms(&c, &g, 2) / 50.0);
        s += l;
        s2 += l * l;
    }
    double mean = s / n, sd = sqrt(s2 / n - mean * mean);
    CHECK_DBL_NEAR(0.0, mean, 0.003); /* ~7 standard errors */
    CHECK_DBL_NEAR(0.08, sd, 0.003);

    /* Stalls: with sigma 0 the excess over t(b) is the stall alone. */
    c.sigma = 0;
    c.stall_prob = 0.2;
    tg_rng_seed(&g, 99);
    int stalls = 0;
    double extra = 0;
    for (int i = 0; i < n; i++) {
        double e = tg_accel_sample_ms(&c, &g, 2) - 50.0;
        if (e > 1e-9) {
            stalls++;
            extra += e;
        }
    }
    CHECK_DBL_NEAR(0.2, (double)stalls / n, 0.015);
    CHECK_DBL_NEAR(25.0, extra / stalls, 1.5); /* Exp(mean 0.5 * t(b)) */
}

TEST(cost_sampling_reproducible)
{
    struct tg_accel_config c = cfg(48, 1, 1);
    struct tg_rng a, b;
    tg_rng_seed(&a, 5);
    tg_rng_seed(&b, 5);
    for (int i = 0; i < 100; i++)
        CHECK(tg_accel_sample_ms(&c, &a, 3) == tg_accel_sample_ms(&c, &b, 3));
}

TEST(profiles)
{
    const struct tg_accel_profile *d = tg_accel_profile_find("default");
    REQUIRE(d != NULL);
    CHECK_DBL_NEAR(48, d->alpha_ms, 0);
    CHECK_DBL_NEAR(1, d->beta_ms, 0);
    CHECK_DBL_NEAR(0.08, d->sigma, 0);
    CHECK_DBL_NEAR(0.02, d->stall_prob, 0);
    CHECK_UINT_EQ(1, d->slots);
    CHECK_UINT_EQ(64, d->max_batch);
    CHECK(tg_accel_profile_find("llm-decode") != NULL);
    CHECK(tg_accel_profile_find("nope") == NULL);
    /* compute-bound: at 20 in flight no grouping reaches 800 ms: the whole
     * batch of 20 alone, and 20 serial singles, both exceed it. */
    const struct tg_accel_profile *cb = tg_accel_profile_find("compute-bound");
    REQUIRE(cb != NULL);
    struct tg_accel_config c = cfg(cb->alpha_ms, cb->beta_ms, 0);
    CHECK(tg_accel_base_ms(&c, 20) > 800);
    CHECK(20 * tg_accel_base_ms(&c, 1) > 800);
    for (unsigned k = 1; k <= 20; k++) /* ceil(20/k) serial batches of k */
        CHECK(((20 + k - 1) / k) * tg_accel_base_ms(&c, k) > 800);
    /* llm-decode: batching helps a lot */
    const struct tg_accel_profile *llm = tg_accel_profile_find("llm-decode");
    c = cfg(llm->alpha_ms, llm->beta_ms, 0);
    CHECK(20 * tg_accel_base_ms(&c, 1) > 5 * tg_accel_base_ms(&c, 20));
}

/* --- scheduler ---------------------------------------------------------- */

struct rec {
    pthread_mutex_t mu;
    int order[64];
    int n;
    struct tg_accel_job jobs[64];
    uint64_t done_ns[64];
};

static void on_done(struct tg_accel_job *j)
{
    struct rec *r = j->arg;
    pthread_mutex_lock(&r->mu);
    int idx = (int)(j - r->jobs);
    r->done_ns[idx] = tg_now_ns();
    r->order[r->n++] = idx;
    pthread_mutex_unlock(&r->mu);
}

static int count(struct rec *r)
{
    pthread_mutex_lock(&r->mu);
    int n = r->n;
    pthread_mutex_unlock(&r->mu);
    return n;
}

static int wait_count(struct rec *r, int n, uint64_t timeout_ms)
{
    uint64_t end = tg_now_ns() + timeout_ms * TG_NS_PER_MS;
    while (count(r) < n && tg_now_ns() < end)
        tg_sleep_ns(TG_NS_PER_MS);
    return count(r);
}

static void rec_init(struct rec *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    for (int i = 0; i < 64; i++) {
        r->jobs[i].items = 1;
        r->jobs[i].on_done = on_done;
        r->jobs[i].arg = r;
    }
}

TEST(scheduler_fifo_serialises)
{
    struct tg_accel_config c = cfg(10, 0, 0);
    struct tg_accel *a;
    REQUIRE(tg_accel_new(&c, &a) == 0);
    struct rec r;
    rec_init(&r);
    uint64_t t0 = tg_now_ns();
    for (int i = 0; i < 4; i++)
        REQUIRE(tg_accel_submit(a, &r.jobs[i]) == 0);
    CHECK_INT_EQ(4, wait_count(&r, 4, 2000));
    for (int i = 0; i < 4; i++) {
        CHECK_INT_EQ(i, r.order[i]);
        CHECK_INT_EQ(0, r.jobs[i].status);
        CHECK_UINT_EQ(1, r.jobs[i].batch_items);
        CHECK_DBL_NEAR(10.0, r.jobs[i].compute_ms, 1e-9);
        /* simulated starts are exactly back to back */
        CHECK_DBL_NEAR(10.0 * i, (double)(r.jobs[i].start_ns - r.jobs[0].start_ns) / 1e6, 0.01);
        double done_ms = (double)(r.done_ns[i] - t0) / 1e6;
        /* the answer comes at the simulated end plus wake-up lag (generous
         * bound: the test machine is shared) */
        CHECK(done_ms >= 10.0 * (i + 1) - 0.1 && done_ms < 10.0 * (i + 1) + 60);
    }
    struct tg_accel_stats st;
    tg_accel_get_stats(a, &st);
    CHECK_UINT_EQ(4, st.executions);
    CHECK_UINT_EQ(4, st.batch_hist[0]);
    CHECK_DBL_NEAR(40.0, st.busy_ms, 1e-6);
    tg_accel_free(a);
}

TEST(scheduler_dynamic_batching)
{
    struct tg_accel_config c = cfg(5, 1, 0);
    c.dynamic_batching = 1;
    c.max_queue_delay_ms = 300; /* the 6 submits surely land inside it */
    c.max_batch = 4;
    struct tg_accel *a;
    REQUIRE(tg_accel_new(&c, &a) == 0);
    struct rec r;
    rec_init(&r);
    for (int i = 0; i < 6; i++)
        REQUIRE(tg_accel_submit(a, &r.jobs[i]) == 0);
    CHECK_INT_EQ(6, wait_count(&r, 6, 2000));
    /* 6 singles with max-batch 4: one full batch of 4 at once, then 2 */
    for (int i = 0; i < 4; i++)
        CHECK_UINT_EQ(4, r.jobs[i].batch_items);
    for (int i = 4; i < 6; i++)
        CHECK_UINT_EQ(2, r.jobs[i].batch_items);
    CHECK_DBL_NEAR(9.0, r.jobs[0].compute_ms, 1e-9);
    struct tg_accel_stats st;
    tg_accel_get_stats(a, &st);
    CHECK_UINT_EQ(2, st.executions);
    CHECK_UINT_EQ(6, st.items_executed);
    tg_accel_free(a);
}

TEST(scheduler_queue_limit_and_stop)
{
    struct tg_accel_config c = cfg(10000, 0, 0);
    c.max_queue = 2;
    struct tg_accel *a;
    REQUIRE(tg_accel_new(&c, &a) == 0);
    struct rec r;
    rec_init(&r);
    REQUIRE(tg_accel_submit(a, &r.jobs[0]) == 0);
    struct tg_accel_stats st;
    for (int i = 0; i < 1000; i++) { /* wait until it executes */
        tg_accel_get_stats(a, &st);
        if (st.running)
            break;
        tg_sleep_ns(TG_NS_PER_MS);
    }
    CHECK_UINT_EQ(1, st.running);
    CHECK_INT_EQ(0, tg_accel_submit(a, &r.jobs[1]));
    CHECK_INT_EQ(0, tg_accel_submit(a, &r.jobs[2]));
    CHECK_INT_EQ(TG_EAGAIN, tg_accel_submit(a, &r.jobs[3]));
    CHECK_UINT_EQ(3, tg_accel_pending(a));
    tg_accel_close(a);
    CHECK_INT_EQ(TG_ECLOSED, tg_accel_submit(a, &r.jobs[4]));
    tg_accel_stop(a); /* every pending job completes now, ECLOSED */
    CHECK_INT_EQ(3, count(&r));
    for (int i = 0; i < 3; i++)
        CHECK_INT_EQ(TG_ECLOSED, r.jobs[i].status);
    tg_accel_get_stats(a, &st);
    CHECK_UINT_EQ(1, st.jobs_rejected);
    tg_accel_free(a);
}

TEST(scheduler_rejects_bad_config)
{
    struct tg_accel *a;
    struct tg_accel_config c = cfg(1, 1, 0);
    c.slots = 0;
    CHECK_INT_EQ(TG_EINVAL, tg_accel_new(&c, &a));
    c = cfg(-1, 1, 0);
    CHECK_INT_EQ(TG_EINVAL, tg_accel_new(&c, &a));
    c = cfg(1, 1, 0);
    c.stall_prob = 2;
    CHECK_INT_EQ(TG_EINVAL, tg_accel_new(&c, &a));
    tg_accel_free(NULL);
}

TEST_MAIN()
