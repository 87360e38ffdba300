/* test_engine.c - event loop, scheduler, batcher, payloads, output extraction. */
#include "test.h"

#include "core/error.h"
#include "core/time.h"
#include "api/api.h"
#include "engine/batch.h"
#include "engine/engine.h"
#include "engine/loop.h"
#include "engine/payload.h"
#include "engine/resolve.h"
#include "engine/sched.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

TEST_MAIN()

/* ---- loop ---- */

static char fired[64];
static int nfired;

static void on_timer(struct tg_loop *l, struct tg_loop_timer *t)
{
    fired[nfired++] = *(const char *)t->arg;
    if (nfired >= 5)
        tg_loop_stop(l);
}

TEST(loop_timers_fire_in_deadline_order)
{
    struct tg_loop *l = tg_loop_new();
    REQUIRE(l);
    static const char names[] = "abcdefg";
    struct tg_loop_timer t[7];
    uint64_t now = tg_now_ns();
    /* deadlines (ms): a 5, b 1, c 3, d 1 (after b: FIFO on ties), e 2, f cancelled, g re-armed to 4 */
    static const int ms[] = { 5, 1, 3, 1, 2, 0, 50 };
    for (int i = 0; i < 7; i++) {
        tg_loop_timer_init(&t[i], on_timer, (void *)&names[i]);
        CHECK_INT_EQ(0, tg_loop_timer_start(l, &t[i], now + (uint64_t)ms[i] * TG_NS_PER_MS));
    }
    tg_loop_timer_stop(l, &t[5]);
    CHECK(!tg_loop_timer_armed(&t[5]));
    CHECK_INT_EQ(0, tg_loop_timer_start(l, &t[6], now + 4 * TG_NS_PER_MS));
    nfired = 0;
    uint64_t t0 = tg_now_ns();
    CHECK_INT_EQ(0, tg_loop_run(l));
    fired[nfired] = '\0';
    CHECK_STR_EQ("bdecg", fired);
    CHECK(tg_now_ns() - now >= 4 * TG_NS_PER_MS);  /* never early */
    CHECK(tg_now_ns() - t0 < 2 * TG_NS_PER_S);    /* ms of timers: 2 s is a margin no loaded machine misses */
    CHECK(tg_loop_timer_armed(&t[0]));             /* a (5 ms) not yet fired */
    tg_loop_free(l);
}

enum { NHEAP = 500 };
static uint64_t heap_fired[NHEAP];
static int nheap_fired;

static void on_heap_timer(struct tg_loop *l, struct tg_loop_timer *t)
{
    heap_fired[nheap_fired++] = t->deadline_ns;
    if (*(int *)t->arg)
        tg_loop_stop(l);
}

TEST(loop_many_timers_heap)
{
    struct tg_loop *l = tg_loop_new();
    REQUIRE(l);
    static struct tg_loop_timer t[NHEAP];
    static int last[NHEAP];
    /* all deadlines already passed, in scrambled order; every third cancelled, some re-armed */
    uint64_t base = tg_now_ns() - TG_NS_PER_S;
    for (int i = 0; i < NHEAP; i++) {
        last[i] = 0;
        tg_loop_timer_init(&t[i], on_heap_timer, &last[i]);
        tg_loop_timer_start(l, &t[i], base + (uint64_t)((i * 7919) % NHEAP) * 1000);
    }
    for (int i = 0; i < NHEAP; i += 3)
        tg_loop_timer_stop(l, &t[i]);
    for (int i = 1; i < NHEAP; i += 7)
        tg_loop_timer_start(l, &t[i], base + (uint64_t)((i * 31) % NHEAP) * 1000 + 1);
    int armed = 0;
    for (int i = 0; i < NHEAP; i++)
        armed += tg_loop_timer_armed(&t[i]);
    CHECK_INT_EQ(333 + 24, armed);   /* 167 cancelled, 24 of them re-armed */
    /* a sentinel after all of them stops the loop */
    struct tg_loop_timer stop;
    static int one = 1;
    tg_loop_timer_init(&stop, on_heap_timer, &one);
    tg_loop_timer_start(l, &stop, base + NHEAP * 1000);
    nheap_fired = 0;
    CHECK_INT_EQ(0, tg_loop_run(l));
    CHECK_INT_EQ(armed + 1, nheap_fired);
    int sorted = 1;
    for (int i = 1; i < nheap_fired; i++)
        sorted &= heap_fired[i - 1] <= heap_fired[i];
    CHECK(sorted);
    tg_loop_free(l);
}

struct fd_ctx { int reads, writes; char buf[16]; };

static void on_fd(struct tg_loop *l, struct tg_loop_io *io, unsigned ev)
{
    struct fd_ctx *c = io->arg;
    if (ev & TG_LOOP_READ) {
        c->reads++;
        ssize_t n = read(io->fd, c->buf, sizeof c->buf - 1);
        if (n > 0)
            c->buf[n] = '\0';
        tg_loop_stop(l);
    }
    if (ev & TG_LOOP_WRITE) {
        c->writes++;
        tg_loop_mod(l, io, 0);   /* once */
    }
}

static int pipe_w;
static void write_later(struct tg_loop *l, struct tg_loop_timer *t)
{
    ssize_t n = write(pipe_w, "hello", 5);
    (void)n;
}

TEST(loop_fd_events)
{
    struct tg_loop *l = tg_loop_new();
    REQUIRE(l);
    int p[2];
    REQUIRE(pipe(p) == 0);
    pipe_w = p[1];
    struct fd_ctx rc = { 0 }, wc = { 0 };
    struct tg_loop_io rio, wio;
    tg_loop_io_init(&rio, on_fd, &rc);
    tg_loop_io_init(&wio, on_fd, &wc);
    CHECK_INT_EQ(0, tg_loop_add(l, &rio, p[0], TG_LOOP_READ));
    CHECK_INT_EQ(0, tg_loop_add(l, &wio, p[1], TG_LOOP_WRITE));
    struct tg_loop_timer t;
    tg_loop_timer_init(&t, write_later, NULL);
    tg_loop_timer_start(l, &t, tg_now_ns() + 2 * TG_NS_PER_MS);
    CHECK_INT_EQ(0, tg_loop_run(l));
    CHECK_INT_EQ(1, rc.reads);
    CHECK_STR_EQ("hello", rc.buf);
    CHECK_INT_EQ(1, wc.writes);
    tg_loop_del(l, &rio);
    tg_loop_del(l, &wio);
    CHECK_INT_EQ(-1, rio.fd);
    tg_loop_del(l, &rio);   /* no-op */
    close(p[0]);
    close(p[1]);
    tg_loop_free(l);
    tg_loop_free(NULL);
}

/* ---- scheduler ---- */

TEST(sched_closed_admission)
{
    struct tg_sched s;
    tg_sched_init_closed(&s, 3, 5, UINT64_MAX, NULL);
    uint64_t id, t, wake;
    uint32_t inflight = 0;
    for (int i = 0; i < 3; i++) {
        CHECK_INT_EQ(TG_SCHED_ADMIT, tg_sched_poll(&s, 100, inflight, &id, &t, &wake));
        CHECK_UINT_EQ((uint64_t)i, id);
        CHECK_UINT_EQ(100, t);
        inflight++;
    }
    CHECK_INT_EQ(TG_SCHED_WAIT, tg_sched_poll(&s, 100, inflight, &id, &t, &wake));
    CHECK_UINT_EQ(0, wake);   /* wait for a completion, not a time */
    inflight--;
    CHECK_INT_EQ(TG_SCHED_ADMIT, tg_sched_poll(&s, 200, inflight, &id, &t, &wake));
    CHECK_UINT_EQ(3, id);
    CHECK_INT_EQ(TG_SCHED_ADMIT, tg_sched_poll(&s, 200, 0, &id, &t, &wake));
    CHECK_UINT_EQ(4, id);
    CHECK_INT_EQ(TG_SCHED_DONE, tg_sched_poll(&s, 200, 0, &id, &t, &wake));
    CHECK_INT_EQ(TG_SCHED_DONE, tg_sched_poll(&s, 200, 0, &id, &t, &wake));
}

static uint64_t unclaimed[16];
static int nunclaimed;
static void collect(void *ctx, uint64_t id) { unclaimed[nunclaimed++] = id; }

TEST(sched_closed_shared_counter_and_unclaimed)
{
    _Atomic uint64_t next = 0;
    struct tg_sched a, b;
    tg_sched_init_closed(&a, 2, 6, UINT64_MAX, &next);
    tg_sched_init_closed(&b, 2, 6, UINT64_MAX, &next);
    uint64_t id, t, wake;
    CHECK_INT_EQ(TG_SCHED_ADMIT, tg_sched_poll(&a, 0, 0, &id, &t, &wake));
    CHECK_UINT_EQ(0, id);
    CHECK_INT_EQ(TG_SCHED_ADMIT, tg_sched_poll(&b, 0, 0, &id, &t, &wake));
    CHECK_UINT_EQ(1, id);
    CHECK_INT_EQ(TG_SCHED_ADMIT, tg_sched_poll(&a, 0, 1, &id, &t, &wake));
    CHECK_UINT_EQ(2, id);
    tg_sched_stop(&a);
    CHECK_INT_EQ(TG_SCHED_DONE, tg_sched_poll(&a, 0, 0, &id, &t, &wake));
    nunclaimed = 0;
    CHECK_UINT_EQ(3, tg_sched_for_each_unclaimed(&a, collect, NULL));
    CHECK_UINT_EQ(3, unclaimed[0]);
    CHECK_UINT_EQ(5, unclaimed[2]);
    CHECK_INT_EQ(TG_SCHED_DONE, tg_sched_poll(&b, 0, 0, &id, &t, &wake));
}

TEST(sched_closed_duration_end)
{
    struct tg_sched s;
    tg_sched_init_closed(&s, 10, UINT64_MAX, 1000, NULL);
    uint64_t id, t, wake;
    CHECK_INT_EQ(TG_SCHED_ADMIT, tg_sched_poll(&s, 999, 0, &id, &t, &wake));
    CHECK_INT_EQ(TG_SCHED_DONE, tg_sched_poll(&s, 1000, 0, &id, &t, &wake));
}

static struct tg_arrival_spec spec_rate(enum tg_arrival kind, double rate, uint64_t seed)
{
    return (struct tg_arrival_spec){ .kind = kind, .rate = rate, .seed = seed, .burstiness = 1 };
}

TEST(sched_open_constant_schedule)
{
    struct tg_sched s;
    /* 1000/s from t=1e9: global arrivals every 1 ms; worker 1 of 3 keeps ids 1, 4, 7, … at 1, 4, 7 ms */
    struct tg_arrival_spec sp = spec_rate(TG_ARRIVAL_CONSTANT, 1000, 1);
    REQUIRE(tg_sched_init_open(&s, &sp, tg_stripe_sub(TG_STRIPE_ALL, 1, 3), 1000000000ULL, 100, 14,
                               UINT64_MAX) == 0);
    uint64_t id, t, wake;
    CHECK_INT_EQ(TG_SCHED_WAIT, tg_sched_poll(&s, 1000000000ULL, 0, &id, &t, &wake));
    CHECK_UINT_EQ(1001000000ULL, wake);
    /* polled late (at 11.5 ms): the arrivals due so far come out at once, with their intended times */
    uint64_t now = 1011500000ULL;
    for (int k = 0; k < 4; k++) {
        CHECK_INT_EQ(TG_SCHED_ADMIT, tg_sched_poll(&s, now, 0, &id, &t, &wake));
        CHECK_UINT_EQ(1 + 3 * (uint64_t)k, id);
        CHECK_UINT_EQ(1000000000ULL + (1 + 3 * (uint64_t)k) * 1000000ULL, t);
    }
    CHECK_INT_EQ(TG_SCHED_WAIT, tg_sched_poll(&s, now, 0, &id, &t, &wake));
    CHECK_UINT_EQ(1013000000ULL, wake);
    CHECK_INT_EQ(TG_SCHED_ADMIT, tg_sched_poll(&s, 2000000000ULL, 0, &id, &t, &wake));
    CHECK_UINT_EQ(13, id);
    /* id 16 would be past the limit of 14 */
    CHECK_INT_EQ(TG_SCHED_DONE, tg_sched_poll(&s, 2000000000ULL, 0, &id, &t, &wake));
    nunclaimed = 0;
    CHECK_UINT_EQ(0, tg_sched_for_each_unclaimed(&s, collect, NULL));
}

TEST(sched_open_unclaimed_after_stop)
{
    struct tg_sched s;
    struct tg_arrival_spec sp = spec_rate(TG_ARRIVAL_POISSON, 1000, 3);
    REQUIRE(tg_sched_init_open(&s, &sp, tg_stripe_sub(TG_STRIPE_ALL, 0, 2), 0, 100, 10, UINT64_MAX) == 0);
    uint64_t id, t, wake;
    CHECK_INT_EQ(TG_SCHED_ADMIT, tg_sched_poll(&s, UINT64_MAX - 1, 0, &id, &t, &wake));
    CHECK_UINT_EQ(0, id);
    tg_sched_stop(&s);
    nunclaimed = 0;
    CHECK_UINT_EQ(4, tg_sched_for_each_unclaimed(&s, collect, NULL));   /* 2, 4, 6, 8 */
    CHECK_UINT_EQ(2, unclaimed[0]);
    CHECK_UINT_EQ(8, unclaimed[3]);
}

TEST(sched_open_inflight_cap_waits)
{
    struct tg_sched s;
    struct tg_arrival_spec sp = spec_rate(TG_ARRIVAL_CONSTANT, 1000, 1);
    REQUIRE(tg_sched_init_open(&s, &sp, TG_STRIPE_ALL, 0, 2, 100, UINT64_MAX) == 0);
    uint64_t id, t, wake;
    CHECK_INT_EQ(TG_SCHED_ADMIT, tg_sched_poll(&s, 0, 0, &id, &t, &wake));
    CHECK(!tg_sched_cap_waited(&s, t));
    CHECK_INT_EQ(TG_SCHED_ADMIT, tg_sched_poll(&s, 5000000, 2 - 1, &id, &t, &wake));
    CHECK(!tg_sched_cap_waited(&s, t));   /* late, but not for the cap */
    CHECK_INT_EQ(TG_SCHED_WAIT, tg_sched_poll(&s, 5000000, 2, &id, &t, &wake));
    CHECK_UINT_EQ(0, wake);
    /* when a slot frees, the late arrival keeps its intended time: its wait counts in its latency */
    CHECK_INT_EQ(TG_SCHED_ADMIT, tg_sched_poll(&s, 9000000, 1, &id, &t, &wake));
    CHECK_UINT_EQ(2000000, t);
    CHECK(tg_sched_cap_waited(&s, t));
    /* arrivals due while the cap was reached (3, 4, 5 ms) waited too; 6 ms was not yet due */
    CHECK_INT_EQ(TG_SCHED_ADMIT, tg_sched_poll(&s, 9000000, 0, &id, &t, &wake));
    CHECK_UINT_EQ(3000000, t);
    CHECK(tg_sched_cap_waited(&s, t));
    CHECK(tg_sched_cap_waited(&s, 5000000));
    CHECK(!tg_sched_cap_waited(&s, 6000000));
}

TEST(sched_open_poisson_seeded)
{
    struct tg_sched a, b, c;
    struct tg_arrival_spec s42 = spec_rate(TG_ARRIVAL_POISSON, 1000, 42), s43 = spec_rate(TG_ARRIVAL_POISSON, 1000, 43);
    tg_sched_init_open(&a, &s42, TG_STRIPE_ALL, 0, 1000000, 20000, UINT64_MAX);
    tg_sched_init_open(&b, &s42, TG_STRIPE_ALL, 0, 1000000, 20000, UINT64_MAX);
    tg_sched_init_open(&c, &s43, TG_STRIPE_ALL, 0, 1000000, 20000, UINT64_MAX);
    uint64_t id, ta = 0, tb = 0, tc = 0, wake, last = 0;
    int same = 1, differ = 0, monotone = 1;
    for (int i = 0; i < 20000; i++) {
        CHECK_INT_EQ(TG_SCHED_ADMIT, tg_sched_poll(&a, UINT64_MAX - 1, 0, &id, &ta, &wake));
        tg_sched_poll(&b, UINT64_MAX - 1, 0, &id, &tb, &wake);
        tg_sched_poll(&c, UINT64_MAX - 1, 0, &id, &tc, &wake);
        same &= ta == tb;
        differ |= ta != tc;
        monotone &= ta >= last;
        last = ta;
    }
    CHECK(same);
    CHECK(differ);
    CHECK(monotone);
    /* 20000 arrivals at 1000/s: the last is near 20 s (sd of the sum ~ 0.14 s) */
    CHECK_DBL_NEAR(20.0, (double)last / 1e9, 0.6);
}

TEST(sched_closed_concurrency_stages)
{
    /* 1 s at 2 in flight, then a ramp 2 -> 6 over 2 s; slots for 6 */
    static const struct tg_stage st[] = { { 1000000000ULL, 2, 2 }, { 2000000000ULL, 2, 6 } };
    struct tg_sched s;
    tg_sched_init_closed(&s, 6, UINT64_MAX, 3000000000ULL, NULL);
    tg_sched_set_stages(&s, st, 2, 0, 0, 1);
    uint64_t id, t, wake;
    CHECK_INT_EQ(TG_SCHED_ADMIT, tg_sched_poll(&s, 0, 0, &id, &t, &wake));
    CHECK_INT_EQ(TG_SCHED_ADMIT, tg_sched_poll(&s, 0, 1, &id, &t, &wake));
    CHECK_INT_EQ(TG_SCHED_WAIT, tg_sched_poll(&s, 0, 2, &id, &t, &wake));
    CHECK_UINT_EQ(1000000000ULL, wake);   /* the next stage's start: no completion needed */
    /* half-way through the ramp: 4 in flight */
    CHECK_INT_EQ(TG_SCHED_ADMIT, tg_sched_poll(&s, 2000000000ULL, 3, &id, &t, &wake));
    CHECK_INT_EQ(TG_SCHED_WAIT, tg_sched_poll(&s, 2000000000ULL, 4, &id, &t, &wake));
    CHECK_UINT_EQ(2001000000ULL, wake);   /* a rising ramp: poll again in 1 ms */
    /* two workers share it as -c is shared: 4 -> 2 + 2, 5 -> 3 + 2 */
    struct tg_sched w0, w1;
    tg_sched_init_closed(&w0, 3, UINT64_MAX, 3000000000ULL, NULL);
    tg_sched_init_closed(&w1, 3, UINT64_MAX, 3000000000ULL, NULL);
    tg_sched_set_stages(&w0, st, 2, 0, 0, 2);
    tg_sched_set_stages(&w1, st, 2, 0, 1, 2);
    CHECK_INT_EQ(TG_SCHED_WAIT, tg_sched_poll(&w0, 2000000000ULL, 2, &id, &t, &wake));
    CHECK_INT_EQ(TG_SCHED_WAIT, tg_sched_poll(&w1, 2000000000ULL, 2, &id, &t, &wake));
    CHECK_INT_EQ(TG_SCHED_ADMIT, tg_sched_poll(&w0, 2500000000ULL, 2, &id, &t, &wake));
    CHECK_INT_EQ(TG_SCHED_WAIT, tg_sched_poll(&w1, 2500000000ULL, 2, &id, &t, &wake));
}

/* ---- batcher ---- */

TEST(batcher_size_wait_model)
{
    struct tg_batcher b;
    REQUIRE(tg_batcher_init(&b, 2, 3, 10) == 0);
    uint32_t out[3];
    CHECK(!tg_batcher_add(&b, 0, 100, 1000));
    CHECK(!tg_batcher_add(&b, 1, 200, 1002));   /* another model: separate batch */
    CHECK(!tg_batcher_add(&b, 0, 101, 1003));
    CHECK_INT_EQ(-1, tg_batcher_due(&b, 1005));
    CHECK_UINT_EQ(1010, tg_batcher_next_deadline(&b));
    CHECK(tg_batcher_add(&b, 0, 102, 1004));    /* full at B=3 */
    CHECK_INT_EQ(0, tg_batcher_due(&b, 1005));
    CHECK_UINT_EQ(3, tg_batcher_take(&b, 0, out));
    CHECK_UINT_EQ(100, out[0]);
    CHECK_UINT_EQ(102, out[2]);
    CHECK_INT_EQ(-1, tg_batcher_due(&b, 1011));  /* model 1 due at 1012 */
    CHECK_INT_EQ(1, tg_batcher_due(&b, 1012));
    CHECK_UINT_EQ(1, tg_batcher_take(&b, 1, out));
    CHECK_UINT_EQ(200, out[0]);
    CHECK_UINT_EQ(0, b.pending);
    CHECK_UINT_EQ(UINT64_MAX, tg_batcher_next_deadline(&b));
    tg_batcher_free(&b);
}

TEST(batcher_wait_zero_sends_what_is_ready)
{
    struct tg_batcher b;
    REQUIRE(tg_batcher_init(&b, 1, 20, 0) == 0);
    uint32_t out[20];
    tg_batcher_add(&b, 0, 1, 5);
    tg_batcher_add(&b, 0, 2, 5);
    CHECK_INT_EQ(0, tg_batcher_due(&b, 5));
    CHECK_UINT_EQ(2, tg_batcher_take(&b, 0, out));
    tg_batcher_free(&b);
}

/* ---- payloads and outputs ---- */

static const char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/tg-test-payload-%d.jsonl", (int)getpid());
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

TEST(payloads_split_like_input_py)
{
    const struct tg_api *api = tg_api_find("tailgate");
    const char *p = write_tmp("{\"model\":\"a\",\"input\":\"x\"}\r\n  \n\n{\"model\":\"b\",\"input\":[1,2]}\n"
                              "{\"model\":\"a\",\"input\":\"y\"}");
    struct tg_payloads *pl = NULL;
    char why[320];
    REQUIRE(tg_payloads_load(p, api, &pl, why, sizeof why) == 0);
    CHECK_UINT_EQ(3, pl->n);
    CHECK_MEM_EQ("{\"model\":\"a\",\"input\":\"x\"}", 25, pl->items[0].line, pl->items[0].len);
    CHECK_UINT_EQ(2, pl->ngroups);
    CHECK_UINT_EQ(0, pl->items[0].group);
    CHECK_UINT_EQ(1, pl->items[1].group);
    CHECK_UINT_EQ(0, pl->items[2].group);
    CHECK_STR_EQ("[1,2]", pl->items[1].item);
    CHECK_STR_EQ("{\"model\":\"a\"}", pl->groups[0]);
    CHECK_UINT_EQ(64, strlen(pl->sha256));
    tg_payloads_free(pl);

    p = write_tmp("{\"model\":\"a\",\"input\":\"x\"}\nnope\n");
    CHECK_INT_EQ(TG_EPARSE, tg_payloads_load(p, api, &pl, why, sizeof why));
    CHECK(strstr(why, "line 2: tailgate: ") == why);
    CHECK_INT_EQ(0, tg_payloads_load(p, NULL, &pl, why, sizeof why));  /* raw mode: any bytes */
    CHECK(pl->items[1].item == NULL);
    tg_payloads_free(pl);
    p = write_tmp("\n \n");
    CHECK_INT_EQ(TG_EINVAL, tg_payloads_load(p, NULL, &pl, why, sizeof why));
    CHECK(tg_payloads_load("/nonexistent/x", NULL, &pl, NULL, 0) < 0);
    unlink(p);
}

/* The engine builds a batch from the payloads' items and groups through the dialect. */
TEST(batch_body_from_payload_items)
{
    const struct tg_api *api = tg_api_find("tailgate");
    const char *p = write_tmp("{\"model\":\"m\",\"input\":\"x\"}\n{\"model\":\"m\",\"input\":{\"b\":1,\"a\":2}}\n");
    struct tg_payloads *pl = NULL;
    REQUIRE(tg_payloads_load(p, api, &pl, NULL, 0) == 0);
    CHECK_UINT_EQ(1, pl->ngroups);
    struct tg_buf out = TG_BUF_INIT(0);
    uint32_t idx[] = { 1, 0, 1 };
    const char *items[3];
    size_t lens[3];
    for (int k = 0; k < 3; k++) {
        items[k] = pl->items[idx[k]].item;
        lens[k] = pl->items[idx[k]].item_len;
    }
    CHECK_INT_EQ(0, api->build_batch(&out, pl->groups[0], items, lens, 3));
    CHECK_STR_EQ("{\"model\":\"m\",\"inputs\":[{\"a\":2,\"b\":1},\"x\",{\"a\":2,\"b\":1}]}", out.data);
    tg_buf_free(&out);
    tg_payloads_free(pl);
    unlink(p);
}

/* ---- the engine against a scripted server: timing headers, error messages ---- */

/* A dialect of the test's own: one output per response, TEI-style timing headers. */
static int fake_split(const char *body, size_t len, bool batched, size_t n, tg_api_output_fn fn, void *ctx,
                      char *why, size_t whylen)
{
    (void)batched;
    if (len < 2 || body[0] != '[') {
        snprintf(why, whylen, "fake: response is not an array");
        return TG_EMISMATCH;
    }
    for (size_t i = 0; i < n; i++) {
        int rc = fn(ctx, i, "[1]", 3, "00");
        if (rc)
            return rc;
    }
    return 0;
}

static const struct tg_api fake_api = {
    .name = "fake", .route = "/embed", .split = fake_split,
    .queue_time_header = "x-queue-time", .compute_time_header = "x-inference-time",
};

struct script {
    int lfd;
    const char *answer;   /* the whole response, sent for every request */
    char got[8192];       /* the request bytes received (first 8 KiB) */
    size_t got_len;
};

/* Answers every request on one accepted connection at a time until the
 * listener is shut down.  Requests are small: one read holds one. */
static void *serve_script(void *arg)
{
    struct script *sc = arg;
    for (;;) {
        int c = accept(sc->lfd, NULL, NULL);
        if (c < 0)
            return NULL;
        char buf[4096];
        ssize_t n;
        while ((n = read(c, buf, sizeof buf)) > 0) {
            size_t k = (size_t)n < sizeof sc->got - sc->got_len ? (size_t)n : sizeof sc->got - sc->got_len;
            memcpy(sc->got + sc->got_len, buf, k);
            sc->got_len += k;
            if (write(c, sc->answer, strlen(sc->answer)) < 0)
                break;
        }
        close(c);
    }
}

struct seen {
    int n, ok;
    double sq, sc;
    char detail[200];
    char xid[3][32];      /* x_request_id of the first 3 results */
};

static void on_seen(void *ctx, const struct tg_input_result *r)
{
    struct seen *s = ctx;
    s->n++;
    s->ok += r->ok;
    s->sq = r->server_queue_ms;
    s->sc = r->server_compute_ms;
    snprintf(s->detail, sizeof s->detail, "%s", r->error_detail);
    if (s->n <= 3)
        snprintf(s->xid[s->n - 1], sizeof s->xid[0], "%s", r->x_request_id ? r->x_request_id : "(none)");
}

/* Runs 3 inputs of the fake dialect against answer; fills *s and the totals'
 * timing counts; with req (room for 8 KiB) the request bytes the server got. */
static void run_against_ids(const char *answer, struct seen *s, uint64_t *from_st, uint64_t *from_headers,
                            bool ids, char *req)
{
    static struct script sc;
    memset(&sc, 0, sizeof sc);
    sc.answer = answer;
    sc.lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    REQUIRE(bind(sc.lfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(sc.lfd, 8) == 0);
    REQUIRE(getsockname(sc.lfd, (struct sockaddr *)&a, &al) == 0);
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, serve_script, &sc) == 0);

    const char *p = write_tmp("{\"inputs\":\"x\"}\n");
    struct tg_payloads *pl = NULL;
    REQUIRE(tg_payloads_load(p, NULL, &pl, NULL, 0) == 0);
    memset(s, 0, sizeof *s);
    void *ctx[1] = { s };
    struct tg_engine_config cfg = {
        .payloads = pl, .inputs = 3, .concurrency = 1, .batch = 1, .api = &fake_api, .connections = 1,
        .keepalive = true, .timeout_ns = 5 * TG_NS_PER_S, .threads = 1, .parse_outputs = true,
        .max_response_bytes = 1 << 20, .on_result = on_seen, .worker_ctx = ctx,
        .request_ids = ids, .run_token = "0a1b2c3d",
    };
    const char *why = NULL;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/embed", ntohs(a.sin_port));
    REQUIRE(tg_url_parse(url, &cfg.url, &why) == 0);
    memcpy(&cfg.addr, &a, sizeof a);
    cfg.addrlen = sizeof a;
    struct tg_engine *e = NULL;
    REQUIRE(tg_engine_new(&cfg, &e) == 0);
    REQUIRE(tg_engine_start(e) == 0);
    for (int i = 0; i < 500 && !tg_engine_finished(e); i++)
        usleep(10 * 1000);
    const struct tg_engine_totals *t = NULL;
    REQUIRE(tg_engine_join(e, &t) == 0);
    *from_st = t->timing_server_timing;
    *from_headers = t->timing_headers;
    tg_engine_free(e);
    shutdown(sc.lfd, SHUT_RDWR);
    close(sc.lfd);
    pthread_join(th, NULL);
    tg_payloads_free(pl);
    unlink(p);
    if (req) {
        memcpy(req, sc.got, sc.got_len);
        req[sc.got_len < sizeof sc.got ? sc.got_len : sizeof sc.got - 1] = '\0';
    }
}

static void run_against(const char *answer, struct seen *s, uint64_t *from_st, uint64_t *from_headers)
{
    run_against_ids(answer, s, from_st, from_headers, false, NULL);
}

/* Prebuilt requests carry a placeholder replaced per send: each request's
 * own id in the header, the rest of the bytes (body, Content-Length) intact. */
TEST(engine_x_request_id_per_request)
{
    struct seen s;
    uint64_t st, hd;
    static char req[8192];
    run_against_ids("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n[1]", &s, &st, &hd, true, req);
    CHECK_INT_EQ(3, s.ok);
    CHECK_STR_EQ("0a1b2c3d-000000000000", s.xid[0]);
    CHECK_STR_EQ("0a1b2c3d-000000000001", s.xid[1]);
    CHECK_STR_EQ("0a1b2c3d-000000000002", s.xid[2]);
    const char *p = req;
    for (int k = 0; k < 3; k++) {
        char want[128];
        snprintf(want, sizeof want, "X-Request-Id: 0a1b2c3d-%012x\r\nContent-Length: 14\r\n\r\n{\"inputs\":\"x\"}",
                 k);
        const char *f = strstr(p, want);
        CHECK(f != NULL);
        if (!f) {
            printf("    request bytes: %s\n", req);
            break;
        }
        p = f + strlen(want);
    }
    /* off: no header at all (baseline's exact bytes) */
    run_against_ids("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n[1]", &s, &st, &hd, false, req);
    CHECK(strstr(req, "X-Request-Id") == NULL);
    CHECK_STR_EQ("(none)", s.xid[0]);
}

TEST(engine_timing_from_dialect_headers)
{
    struct seen s;
    uint64_t st, hd;
    run_against("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-Queue-Time: 4\r\nx-inference-time: 12\r\n\r\n[1]",
                &s, &st, &hd);
    CHECK_INT_EQ(3, s.ok);
    CHECK_DBL_NEAR(4, s.sq, 1e-9);
    CHECK_DBL_NEAR(12, s.sc, 1e-9);
    CHECK_UINT_EQ(0, st);
    CHECK_UINT_EQ(3, hd);
    /* Server-Timing wins over the headers */
    run_against("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nx-queue-time: 4\r\n"
                "Server-Timing: queue;dur=1.5\r\n\r\n[1]", &s, &st, &hd);
    CHECK_DBL_NEAR(1.5, s.sq, 1e-9);
    CHECK(s.sc < 0);
    CHECK_UINT_EQ(3, st);
    CHECK_UINT_EQ(0, hd);
    /* not a number of ms: absent */
    run_against("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nx-queue-time: 4ms\r\nx-inference-time: 2.5\r\n\r\n[1]",
                &s, &st, &hd);
    CHECK(s.sq < 0);
    CHECK_DBL_NEAR(2.5, s.sc, 1e-9);
    CHECK_UINT_EQ(3, hd);
    run_against("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n[1]", &s, &st, &hd);
    CHECK(s.sq < 0 && s.sc < 0);
    CHECK_UINT_EQ(0, st + hd);
}

TEST(engine_status_detail_has_the_server_message)
{
    struct seen s;
    uint64_t st, hd;
    run_against("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 57\r\n\r\n"
                "{\"error\":\"batch size 64 > maximum allowed batch size 32\"}", &s, &st, &hd);
    CHECK_INT_EQ(3, s.n);
    CHECK_INT_EQ(0, s.ok);
    CHECK_STR_EQ("HTTP 413 Payload Too Large: batch size 64 > maximum allowed batch size 32", s.detail);
    run_against("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n{ }", &s, &st, &hd);
    CHECK_INT_EQ(0, s.ok);
    CHECK_STR_EQ("fake: response is not an array", s.detail);
}

/* ---- resolve: every address, in order --------------------------------------- */

static struct sockaddr_storage loopback(unsigned port, socklen_t *len)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *len = sizeof *a;
    return ss;
}

/* A port nobody listens on: bound, read back, closed. */
static unsigned closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    socklen_t l;
    struct sockaddr_storage ss = loopback(0, &l);
    bind(fd, (struct sockaddr *)&ss, l);
    getsockname(fd, (struct sockaddr *)&ss, &l);
    close(fd);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

TEST(resolve_tries_every_address_in_order)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    socklen_t l;
    struct sockaddr_storage ls = loopback(0, &l);
    REQUIRE(bind(lfd, (struct sockaddr *)&ls, l) == 0 && listen(lfd, 4) == 0);
    REQUIRE(getsockname(lfd, (struct sockaddr *)&ls, &l) == 0);
    unsigned open_port = ntohs(((struct sockaddr_in *)&ls)->sin_port), dead = closed_port();

    struct sockaddr_storage list[2];
    socklen_t lens[2];
    list[0] = loopback(dead, &lens[0]);      /* refused */
    list[1] = loopback(open_port, &lens[1]); /* listening */
    size_t picked = 9;
    char tried[256];
    CHECK_INT_EQ(0, tg_resolve_first_reachable(list, lens, 2, TG_NS_PER_S, &picked, tried, sizeof tried));
    CHECK_UINT_EQ(1, picked);
    char want[64];
    snprintf(want, sizeof want, "127.0.0.1:%u (Connection refused)", dead);
    CHECK_STR_EQ(want, tried);

    list[1] = loopback(dead, &lens[1]);      /* none reachable: the first, every one named */
    CHECK(tg_resolve_first_reachable(list, lens, 2, TG_NS_PER_S, &picked, tried, sizeof tried) < 0);
    CHECK_UINT_EQ(0, picked);
    CHECK(strstr(tried, want) == tried && strstr(tried + 1, want) != NULL);
    close(lfd);

    struct sockaddr_storage out;
    socklen_t outlen;
    size_t n = 0;
    char why[128];
    CHECK_INT_EQ(0, tg_resolve_pick("127.0.0.1", 8000, TG_NS_PER_S, &out, &outlen, &n, tried, sizeof tried,
                                    why, sizeof why));
    CHECK_UINT_EQ(1, n);      /* one address: kept untried */
    CHECK_STR_EQ("", tried);
    tg_resolve_format((struct sockaddr *)&out, why, sizeof why);
    CHECK_STR_EQ("127.0.0.1:8000", why);
    CHECK_INT_EQ(TG_EINVAL, tg_resolve_pick("no-such-host.invalid", 80, TG_NS_PER_S, &out, &outlen, &n,
                                            tried, sizeof tried, why, sizeof why));
    CHECK(strstr(why, "cannot resolve 'no-such-host.invalid'") == why);
}
