/* Unit tests for src/server/llm: the text rules (prompt tokens, natural
 * stop, words), the simulator driven by hand (step times, max_num_seqs,
 * KV admission, preemption by recompute, reservation without it,
 * cancellation, determinism at any batch), and the engine's take/park/wake
 * protocol with a zero-cost step (no timing assertions). */
#include "test.h"

#include "core/error.h"
#include "core/time.h"
#include "server/llm.h"

#include <stdatomic.h>

static struct tg_llm_config cfg(unsigned max_seqs, uint32_t kv, int preempt)
{
    struct tg_llm_config c = tg_llm_defaults;
    c.step_a_ms = 10;
    c.step_b_ms = 0.5;
    c.step_c_ms = 0.1;
    c.max_num_seqs = max_seqs;
    c.kv_tokens = kv;
    c.max_model_len = kv;
    c.preempt = preempt;
    c.max_waiting = 1000;
    return c;
}

static void seq(struct tg_llm_seq *s, uint32_t prompt, uint32_t out, uint32_t limit)
{
    memset(s, 0, sizeof *s);
    s->prompt_tokens = prompt;
    s->output_len = out;
    s->limit = limit;
}

/* sim started on c with two sequences a and b of the same shape submitted,
 * in that order. */
static void start_two(struct tg_llm_sim *sim, const struct tg_llm_config *c, struct tg_llm_seq *a,
                      struct tg_llm_seq *b, uint32_t prompt, uint32_t out, uint32_t limit)
{
    tg_llm_sim_init(sim, c);
    seq(a, prompt, out, limit);
    seq(b, prompt, out, limit);
    CHECK_INT_EQ(0, tg_llm_sim_submit(sim, a));
    CHECK_INT_EQ(0, tg_llm_sim_submit(sim, b));
}

/* Plans and finishes steps until none is planned (at most max); returns how
 * many ran. */
static int run_out(struct tg_llm_sim *sim, int max)
{
    struct tg_llm_step st;
    int steps = 0;
    while (steps < max && tg_llm_sim_plan(sim, &st)) {
        tg_llm_sim_finish(sim, NULL, NULL);
        steps++;
    }
    return steps;
}

TEST(prompt_tokens_rule)
{
    CHECK_UINT_EQ(1, tg_llm_prompt_tokens("", 0));
    CHECK_UINT_EQ(1, tg_llm_prompt_tokens("a", 1));
    CHECK_UINT_EQ(1, tg_llm_prompt_tokens("abcd", 4));
    CHECK_UINT_EQ(2, tg_llm_prompt_tokens("abcde", 5));
    /* UTF-8 bytes, not characters: "東京" is 6 bytes */
    CHECK_UINT_EQ(2, tg_llm_prompt_tokens("東京", strlen("東京")));
    CHECK_UINT_EQ(250, tg_llm_prompt_tokens(NULL, 1000));
}

TEST(text_is_pure_and_utf8)
{
    const char *p = "Explain continuous batching.";
    uint64_t a = tg_llm_text_seed(p, strlen(p), 42), b = tg_llm_text_seed(p, strlen(p), 42);
    CHECK(a == b);
    CHECK(a != tg_llm_text_seed(p, strlen(p), 43));
    CHECK(a != tg_llm_text_seed(p, strlen(p) - 1, 42));
    uint32_t n = tg_llm_natural_len(a);
    CHECK(n >= 16 && n <= 511);
    struct tg_buf t1 = TG_BUF_INIT(0), t2 = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, tg_llm_text(&t1, a, 0, 300));
    /* the same text built in pieces (as a stream is) */
    for (uint32_t i = 0; i < 300; i += 7)
        CHECK_INT_EQ(0, tg_llm_text(&t2, a, i, i + 7 < 300 ? i + 7 : 300));
    CHECK_MEM_EQ(t1.data, t1.len, t2.data, t2.len);
    CHECK(t1.data[0] == ' ');
    int non_ascii = 0;
    for (size_t i = 0; i < t1.len; i++)
        non_ascii |= (unsigned char)t1.data[i] >= 0x80;
    CHECK(non_ascii); /* 300 draws from 64 words with 16 non-ASCII ones */
    tg_buf_free(&t1);
    tg_buf_free(&t2);
    /* natural lengths spread over the range */
    uint32_t lo = 1000, hi = 0;
    for (int i = 0; i < 2000; i++) {
        char s[16];
        snprintf(s, sizeof s, "p%d", i);
        uint32_t l = tg_llm_natural_len(tg_llm_text_seed(s, strlen(s), 1));
        lo = l < lo ? l : lo;
        hi = l > hi ? l : hi;
    }
    CHECK(lo < 30 && hi > 490);
}

TEST(step_time_formula)
{
    struct tg_llm_config c = cfg(8, 1000, 1);
    CHECK_UINT_EQ(10000000, tg_llm_step_ns(&c, 0, 0));
    CHECK_UINT_EQ(10000000 + 3 * 500000 + 20 * 100000, tg_llm_step_ns(&c, 3, 20));
    struct tg_llm_sim sim;
    tg_llm_sim_init(&sim, &c);
    struct tg_llm_seq a, b;
    seq(&a, 20, 3, 10);
    seq(&b, 8, 2, 10);
    struct tg_llm_step st;
    CHECK_UINT_EQ(0, tg_llm_sim_plan(&sim, &st)); /* nothing to run: no step */
    CHECK_INT_EQ(0, tg_llm_sim_submit(&sim, &a));
    CHECK_UINT_EQ(1, tg_llm_sim_plan(&sim, &st));
    CHECK_UINT_EQ(1, st.admitted);
    CHECK_UINT_EQ(20, st.prefill_tokens);
    CHECK_UINT_EQ(tg_llm_step_ns(&c, 1, 20), st.ns);
    tg_llm_sim_finish(&sim, NULL, NULL);
    CHECK_UINT_EQ(1, a.generated); /* the prefill step yields the first token */
    CHECK_INT_EQ(0, tg_llm_sim_submit(&sim, &b));
    CHECK_UINT_EQ(2, tg_llm_sim_plan(&sim, &st));
    CHECK_UINT_EQ(8, st.prefill_tokens);
    CHECK_UINT_EQ(tg_llm_step_ns(&c, 2, 8), st.ns); /* a decodes, b prefills */
    tg_llm_sim_finish(&sim, NULL, NULL);
    CHECK_UINT_EQ(2, tg_llm_sim_plan(&sim, &st));
    CHECK_UINT_EQ(0, st.prefill_tokens);
    CHECK_UINT_EQ(tg_llm_step_ns(&c, 2, 0), st.ns); /* pure decode */
    tg_llm_sim_finish(&sim, NULL, NULL);
    CHECK_INT_EQ(TG_LLM_DONE, a.state);
    CHECK_INT_EQ(TG_LLM_DONE, b.state);
    CHECK_UINT_EQ(0, sim.kv_held);
    CHECK_UINT_EQ(5, sim.generation_tokens);
    CHECK_UINT_EQ(28, sim.prompt_tokens);
}

TEST(max_num_seqs_caps_running)
{
    struct tg_llm_config c = cfg(3, 100000, 1);
    struct tg_llm_sim sim;
    tg_llm_sim_init(&sim, &c);
    struct tg_llm_seq s[5];
    for (int i = 0; i < 5; i++) {
        seq(&s[i], 4, 2, 10);
        CHECK_INT_EQ(0, tg_llm_sim_submit(&sim, &s[i]));
    }
    struct tg_llm_step st;
    CHECK_UINT_EQ(3, tg_llm_sim_plan(&sim, &st));
    CHECK_UINT_EQ(2, sim.waiting.n);
    tg_llm_sim_finish(&sim, NULL, NULL);
    CHECK_UINT_EQ(3, tg_llm_sim_plan(&sim, &st)); /* still full: none admitted */
    CHECK_UINT_EQ(0, st.admitted);
    tg_llm_sim_finish(&sim, NULL, NULL);          /* the first three finish */
    CHECK_UINT_EQ(2, tg_llm_sim_plan(&sim, &st)); /* FCFS: s[3], s[4] */
    CHECK_INT_EQ(TG_LLM_RUNNING, s[3].state);
    CHECK_INT_EQ(TG_LLM_RUNNING, s[4].state);
}

TEST(kv_budget_admission_waits)
{
    /* 100 tokens: a (prompt 60) runs; b (prompt 50) does not fit until a ends */
    struct tg_llm_config c = cfg(8, 100, 1);
    struct tg_llm_sim sim;
    tg_llm_sim_init(&sim, &c);
    struct tg_llm_seq a, b, d;
    seq(&a, 60, 3, 10);
    seq(&b, 50, 2, 10);
    seq(&d, 2, 2, 10); /* would fit, but FCFS: it does not overtake b */
    CHECK_INT_EQ(0, tg_llm_sim_submit(&sim, &a));
    CHECK_INT_EQ(0, tg_llm_sim_submit(&sim, &b));
    CHECK_INT_EQ(0, tg_llm_sim_submit(&sim, &d));
    struct tg_llm_step st;
    for (int i = 0; i < 3; i++) {
        CHECK_UINT_EQ(1, tg_llm_sim_plan(&sim, &st));
        CHECK_INT_EQ(TG_LLM_WAITING, b.state);
        CHECK_INT_EQ(TG_LLM_WAITING, d.state);
        CHECK(sim.kv_held + 1 <= 100);
        tg_llm_sim_finish(&sim, NULL, NULL);
    }
    CHECK_INT_EQ(TG_LLM_DONE, a.state);
    CHECK_UINT_EQ(2, tg_llm_sim_plan(&sim, &st));
    CHECK_UINT_EQ(52, st.prefill_tokens);
    CHECK_UINT_EQ(0, sim.preemptions);
    /* a request that could never fit is refused at submit */
    struct tg_llm_seq big;
    seq(&big, 95, 5, 10);
    CHECK_INT_EQ(TG_ERANGE, tg_llm_sim_submit(&sim, &big));
    seq(&big, 1, 0, 10);
    CHECK_INT_EQ(TG_EINVAL, tg_llm_sim_submit(&sim, &big));
}

TEST(preemption_by_recompute_evicts_newest)
{
    /* budget 30: a (10 + 15 out) and b (10 + 15 out) are both admitted, then
     * grow until they no longer fit together: b (the newest) is evicted,
     * re-prefilled with prompt + generated once a is done */
    struct tg_llm_config c = cfg(8, 30, 1);
    struct tg_llm_sim sim;
    struct tg_llm_seq a, b;
    start_two(&sim, &c, &a, &b, 10, 15, 15);
    struct tg_llm_step st;
    int steps = 0;
    uint32_t b_gen_at_evict = 0;
    while (tg_llm_sim_plan(&sim, &st) && steps < 100) {
        CHECK(sim.kv_held + sim.running.n <= 30); /* the step always fits */
        if (st.preempted) {
            CHECK_INT_EQ(TG_LLM_WAITING, b.state);
            CHECK(sim.waiting.head == &b);
            b_gen_at_evict = b.generated;
        }
        if (b.state == TG_LLM_RUNNING && b.preemptions == 1 && st.admitted == 1)
            CHECK_UINT_EQ(10 + b_gen_at_evict, st.prefill_tokens); /* recompute */
        tg_llm_sim_finish(&sim, NULL, NULL);
        steps++;
    }
    CHECK_UINT_EQ(1, sim.preemptions);
    CHECK_UINT_EQ(0, a.preemptions);
    CHECK_UINT_EQ(1, b.preemptions);
    CHECK(b_gen_at_evict > 0);
    CHECK_INT_EQ(TG_LLM_DONE, a.state);
    CHECK_INT_EQ(TG_LLM_DONE, b.state);
    CHECK_UINT_EQ(15, b.generated); /* nothing lost, nothing repeated */
    CHECK_UINT_EQ(30, sim.generation_tokens);
    CHECK_UINT_EQ(20 + 10 + b_gen_at_evict, sim.prompt_tokens);
    CHECK_UINT_EQ(0, sim.kv_held);
}

TEST(no_preemption_reserves_prompt_plus_limit)
{
    struct tg_llm_config c = cfg(8, 30, 0);
    struct tg_llm_sim sim;
    struct tg_llm_seq a, b;
    start_two(&sim, &c, &a, &b, 10, 15, 15);
    struct tg_llm_step st;
    CHECK_UINT_EQ(1, tg_llm_sim_plan(&sim, &st)); /* 25 reserved: b waits */
    CHECK_UINT_EQ(25, sim.kv_reserved);
    tg_llm_sim_finish(&sim, NULL, NULL);
    CHECK_INT_EQ(30, 1 + run_out(&sim, 99)); /* one after the other */
    CHECK_UINT_EQ(0, sim.preemptions);
    CHECK_UINT_EQ(0, sim.kv_reserved);
}

TEST(cancel_frees_everything)
{
    struct tg_llm_config c = cfg(1, 100, 1);
    struct tg_llm_sim sim;
    struct tg_llm_seq a, b;
    start_two(&sim, &c, &a, &b, 10, 20, 20);
    struct tg_llm_step st;
    tg_llm_sim_plan(&sim, &st);
    tg_llm_sim_cancel(&sim, &a); /* mid-step: gets no token */
    tg_llm_sim_cancel(&sim, &b); /* waiting */
    tg_llm_sim_finish(&sim, NULL, NULL);
    CHECK_UINT_EQ(0, a.generated);
    CHECK_UINT_EQ(0, sim.kv_held);
    CHECK_UINT_EQ(0, sim.running.n + sim.waiting.n);
    tg_llm_sim_cancel(&sim, &a); /* idempotent */
    CHECK_UINT_EQ(0, tg_llm_sim_plan(&sim, &st));
    /* the waiting limit */
    struct tg_llm_config c2 = cfg(1, 100, 1);
    c2.max_waiting = 1;
    tg_llm_sim_init(&sim, &c2);
    seq(&a, 1, 1, 1);
    seq(&b, 1, 1, 1);
    CHECK_INT_EQ(0, tg_llm_sim_submit(&sim, &a));
    CHECK_INT_EQ(TG_EAGAIN, tg_llm_sim_submit(&sim, &b));
}

/* Runs n sequences of the same prompt mix through a simulator with
 * max_num_seqs m and budget kv; returns the step at which each finished. */
static uint64_t run_mix(unsigned m, uint32_t kv, int n, uint32_t *gen)
{
    struct tg_llm_config c = cfg(m, kv, 1);
    struct tg_llm_sim sim;
    tg_llm_sim_init(&sim, &c);
    struct tg_llm_seq s[64];
    for (int i = 0; i < n; i++) {
        char p[32];
        snprintf(p, sizeof p, "prompt number %d", i);
        uint64_t ts = tg_llm_text_seed(p, strlen(p), 7);
        uint32_t nat = tg_llm_natural_len(ts);
        seq(&s[i], tg_llm_prompt_tokens(p, strlen(p)), nat < 100 ? nat : 100, 100);
        CHECK_INT_EQ(0, tg_llm_sim_submit(&sim, &s[i]));
    }
    run_out(&sim, 100000);
    for (int i = 0; i < n; i++)
        gen[i] = s[i].generated;
    return sim.preemptions;
}

TEST(determinism_at_any_batch)
{
    /* the same prompts give the same lengths (and so, texts being a function
     * of position only, the same text) alone, at batch 4, at 64, and under
     * KV pressure with preemptions */
    uint32_t g1[64], g4[64], g64[64], gkv[64];
    CHECK_UINT_EQ(0, run_mix(1, 100000, 64, g1));
    run_mix(4, 100000, 64, g4);
    run_mix(64, 100000, 64, g64);
    uint64_t pre = run_mix(64, 300, 64, gkv);
    printf("  (under a 300-token KV budget: %llu preemptions)\n", (unsigned long long)pre);
    CHECK(pre > 0);
    for (int i = 0; i < 64; i++) {
        CHECK_UINT_EQ(g1[i], g4[i]);
        CHECK_UINT_EQ(g1[i], g64[i]);
        CHECK_UINT_EQ(g1[i], gkv[i]);
    }
}

TEST(config_check)
{
    struct tg_llm_config c = tg_llm_defaults;
    CHECK_INT_EQ(0, tg_llm_config_check(&c));
    c.max_num_seqs = 0;
    CHECK_INT_EQ(TG_EINVAL, tg_llm_config_check(&c));
    c = tg_llm_defaults;
    c.step_a_ms = -1;
    CHECK_INT_EQ(TG_EINVAL, tg_llm_config_check(&c));
    c = tg_llm_defaults;
    c.step_b_ms = NAN;
    CHECK_INT_EQ(TG_EINVAL, tg_llm_config_check(&c));
}

/* ---- the engine, with zero-cost steps ---- */

struct waker {
    atomic_int wakes;
};

static void on_wake(void *arg) { atomic_fetch_add(&((struct waker *)arg)->wakes, 1); }
static void on_park(void *arg) { (void)arg; }

TEST(engine_take_park_wake)
{
    struct tg_llm_config c = cfg(4, 1000, 1);
    c.step_a_ms = c.step_b_ms = c.step_c_ms = 0;
    struct tg_llm *e;
    REQUIRE(tg_llm_new(&c, &e) == 0);
    struct waker w = { 0 };
    struct tg_llm_req r;
    memset(&r, 0, sizeof r);
    seq(&r.seq, 5, 40, 50);
    r.stream = 1;
    r.wake = on_wake;
    r.arg = &w;
    CHECK_INT_EQ(0, tg_llm_submit(e, &r, 0));
    uint32_t got = 0, from;
    int ended = 0;
    uint64_t deadline = tg_now_ns() + 5 * TG_NS_PER_S;
    while (!ended && tg_now_ns() < deadline) {
        uint32_t n = tg_llm_take(e, &r, 8, &from, &ended, on_park, NULL);
        CHECK(n <= 8);
        if (n)
            CHECK_UINT_EQ(got, from); /* in order, none skipped */
        got += n;
        if (!n && !ended)
            tg_sleep_ns(100000);
    }
    CHECK(ended);
    CHECK_INT_EQ(0, r.status);
    CHECK_UINT_EQ(40, got);
    tg_llm_cancel(e, &r);
    struct tg_llm_stats st;
    tg_llm_get_stats(e, &st);
    CHECK_UINT_EQ(40, st.generation_tokens);
    CHECK_UINT_EQ(1, st.finished);
    /* stop ends what is left with TG_ECLOSED and wakes the parked */
    struct tg_llm_req q;
    memset(&q, 0, sizeof q);
    seq(&q.seq, 5, 10, 10);
    q.wake = on_wake;
    q.arg = &w;
    struct tg_llm_config slow = c;
    tg_llm_free(e);
    slow.step_a_ms = 100000; /* never ends on its own */
    REQUIRE(tg_llm_new(&slow, &e) == 0);
    atomic_store(&w.wakes, 0);
    CHECK_INT_EQ(0, tg_llm_submit(e, &q, 1));
    tg_llm_stop(e);
    CHECK_INT_EQ(1, atomic_load(&w.wakes));
    CHECK_INT_EQ(TG_ECLOSED, q.status);
    CHECK_INT_EQ(TG_ECLOSED, tg_llm_submit(e, &q, 0));
    tg_llm_free(e);
}

TEST_MAIN()
