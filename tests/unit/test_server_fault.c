/* test_server_fault.c - --fault plans: parsing, rate limits, and the
 * seeded pick (deterministic, rates honoured); the timer fires in order and
 * everything at stop. */
#include "server/fault.h"
#include "core/error.h"
#include "core/time.h"
#include "test.h"

#include <stdatomic.h>

TEST(fault_plan_add_table)
{
    static const struct {
        const char *args[3];
        int rc; /* of the last one */
    } cases[] = {
        { { "reset" }, 0 },
        { { "truncate:0.25" }, 0 },
        { { "status500:0" }, 0 },
        { { "slow:1" }, 0 },
        { { "explode" }, TG_EINVAL },
        { { "reset:" }, TG_EINVAL },
        { { "reset:1.5" }, TG_EINVAL },
        { { "reset:-0.1" }, TG_EINVAL },
        { { "reset:abc" }, TG_EINVAL },
        { { "" }, TG_EINVAL },
        { { ":0.5" }, TG_EINVAL },
        { { "RESET" }, TG_EINVAL },
        { { "reset:0.1", "reset:0.2" }, TG_EINVAL },
        { { "reset:0.6", "close:0.4" }, 0 },
        { { "reset:0.6", "close:0.5" }, TG_ERANGE },
        { { "reset", "close" }, TG_ERANGE },
        { { "stall:0.5", "garbage:0.25", "slow:0.25" }, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tg_fault_plan p = { .any = 0 };
        int rc = 0;
        for (int j = 0; j < 3 && cases[i].args[j]; j++)
            rc = tg_fault_plan_add(&p, cases[i].args[j]);
        CHECK_INT_EQ(cases[i].rc, rc);
    }
}

TEST(fault_names)
{
    CHECK_STR_EQ("none", tg_fault_name(TG_FAULT_NONE));
    CHECK_STR_EQ("reset", tg_fault_name(TG_FAULT_RESET));
    CHECK_STR_EQ("status500", tg_fault_name(TG_FAULT_STATUS500));
    CHECK_STR_EQ("?", tg_fault_name(TG_FAULT_KIND_COUNT));
}

TEST(fault_pick_deterministic_and_rates)
{
    struct tg_fault_plan p = { .seed = 42 };
    CHECK_INT_EQ(TG_FAULT_NONE, tg_fault_pick(&p, 0)); /* empty plan */
    CHECK_INT_EQ(0, tg_fault_plan_add(&p, "reset:0.1"));
    CHECK_INT_EQ(0, tg_fault_plan_add(&p, "stall:0.3"));
    unsigned n[TG_FAULT_KIND_COUNT] = { 0 };
    const unsigned N = 100000;
    for (unsigned i = 0; i < N; i++) {
        enum tg_fault_kind k = tg_fault_pick(&p, i);
        CHECK(k == TG_FAULT_NONE || k == TG_FAULT_RESET || k == TG_FAULT_STALL);
        CHECK_INT_EQ(k, tg_fault_pick(&p, i)); /* a pure function of (seed, n) */
        n[k]++;
    }
    CHECK_DBL_NEAR(0.6, (double)n[TG_FAULT_NONE] / N, 0.01);
    CHECK_DBL_NEAR(0.1, (double)n[TG_FAULT_RESET] / N, 0.01);
    CHECK_DBL_NEAR(0.3, (double)n[TG_FAULT_STALL] / N, 0.01);
    struct tg_fault_plan q = p;
    q.seed = 43;
    unsigned diff = 0;
    for (unsigned i = 0; i < 1000; i++)
        diff += tg_fault_pick(&p, i) != tg_fault_pick(&q, i);
    CHECK(diff > 100); /* another seed, another pattern */
    struct tg_fault_plan all = { .seed = 1 };
    CHECK_INT_EQ(0, tg_fault_plan_add(&all, "close"));
    for (unsigned i = 0; i < 1000; i++)
        CHECK_INT_EQ(TG_FAULT_CLOSE, tg_fault_pick(&all, i)); /* rate 1: every request */
}

static atomic_int order[8];
static atomic_int fired;
static void note(void *arg)
{
    int slot = atomic_fetch_add(&fired, 1);
    if (slot < 8)
        atomic_store(&order[slot], (int)(intptr_t)arg);
}

TEST(fault_timer_order_and_stop)
{
    struct tg_fault_timer *t;
    REQUIRE(tg_fault_timer_new(&t) == 0);
    uint64_t now = tg_now_ns();
    CHECK_INT_EQ(0, tg_fault_timer_add(t, now + 30 * TG_NS_PER_MS, note, (void *)(intptr_t)3));
    CHECK_INT_EQ(0, tg_fault_timer_add(t, now + 10 * TG_NS_PER_MS, note, (void *)(intptr_t)1));
    CHECK_INT_EQ(0, tg_fault_timer_add(t, now + 20 * TG_NS_PER_MS, note, (void *)(intptr_t)2));
    CHECK_INT_EQ(0, tg_fault_timer_add(t, UINT64_MAX - 1, note, (void *)(intptr_t)4));
    for (int i = 0; i < 200 && atomic_load(&fired) < 3; i++)
        tg_sleep_ns(5 * TG_NS_PER_MS);
    CHECK_INT_EQ(3, atomic_load(&fired));
    CHECK_INT_EQ(1, atomic_load(&order[0]));
    CHECK_INT_EQ(2, atomic_load(&order[1]));
    CHECK_INT_EQ(3, atomic_load(&order[2]));
    tg_fault_timer_stop(t); /* the far one fires now */
    CHECK_INT_EQ(4, atomic_load(&fired));
    CHECK_INT_EQ(4, atomic_load(&order[3]));
    CHECK_INT_EQ(TG_ECLOSED, tg_fault_timer_add(t, now, note, NULL));
    tg_fault_timer_stop(t); /* idempotent */
    tg_fault_timer_free(t);
    tg_fault_timer_free(NULL);
}

TEST_MAIN()
