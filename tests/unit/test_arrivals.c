/* test_arrivals.c - the global arrival sequence (engine/arrivals.h), its
 * stripes through the scheduler, --stages parsing and trace files: all from
 * the schedule alone, no server. */
#include "test.h"

#include "api/api.h"
#include "api/synth.h"
#include "core/error.h"
#include "engine/arrivals.h"
#include "engine/payload.h"
#include "engine/sched.h"
#include "engine/trace.h"

#include <jansson.h>
#include <unistd.h>

TEST_MAIN()

#define N 20000

/* The first n arrival times of spec (ns); returns how many there were. */
static size_t times(const struct tg_arrival_spec *spec, double *out, size_t n)
{
    struct tg_arrivals g;
    if (tg_arrivals_init(&g, spec) != 0)
        return 0;
    size_t k = 0;
    while (k < n && tg_arrivals_next(&g, &out[k]))
        k++;
    return k;
}

/* Mean and coefficient of variation of the n - 1 gaps. */
static void gap_stats(const double *t, size_t n, double *mean, double *cv)
{
    double s = 0, s2 = 0;
    for (size_t i = 1; i < n; i++) {
        double g = t[i] - t[i - 1];
        s += g;
        s2 += g * g;
    }
    double m = s / (double)(n - 1);
    double var = s2 / (double)(n - 1) - m * m;
    *mean = m;
    *cv = sqrt(var > 0 ? var : 0) / m;
}

static double tt[N + 1];

TEST(constant_is_exact)
{
    struct tg_arrival_spec sp = { .kind = TG_ARRIVAL_CONSTANT, .rate = 1000 };
    REQUIRE(times(&sp, tt, N) == N);
    int exact = 1;
    for (size_t i = 0; i < N; i++)
        exact &= llround(tt[i]) == (long long)i * 1000000LL;
    CHECK(exact);
    CHECK_DBL_NEAR(0.0, tt[0], 0);
    CHECK_DBL_NEAR(19999e6, tt[N - 1], 0);
}

TEST(poisson_mean_and_cv_1)
{
    struct tg_arrival_spec sp = { .kind = TG_ARRIVAL_POISSON, .rate = 1000, .seed = 7 };
    REQUIRE(times(&sp, tt, N) == N);
    double mean, cv;
    gap_stats(tt, N, &mean, &cv);
    printf("  poisson: gap mean %.4f ms (expected 1), CV %.4f (expected 1)\n", mean / 1e6, cv);
    CHECK_DBL_NEAR(1e6, mean, 0.05e6);
    CHECK_DBL_NEAR(1.0, cv, 0.05);
}

TEST(gamma_mean_and_cv_match_burstiness)
{
    static const double ks[] = { 0.25, 1, 4 };
    for (size_t i = 0; i < 3; i++) {
        struct tg_arrival_spec sp = { .kind = TG_ARRIVAL_GAMMA, .rate = 2000, .burstiness = ks[i], .seed = 11 };
        REQUIRE(times(&sp, tt, N) == N);
        double mean, cv, want_cv = 1 / sqrt(ks[i]);
        gap_stats(tt, N, &mean, &cv);
        printf("  gamma K=%g: gap mean %.5f ms (expected 0.5), CV %.4f (expected %.4f)\n", ks[i], mean / 1e6,
               cv, want_cv);
        CHECK_DBL_NEAR(0.5e6, mean, 0.05 * 0.5e6);
        CHECK_DBL_NEAR(want_cv, cv, 0.05 * want_cv);
    }
}

TEST(seeded_and_reproducible)
{
    static double a[1000], b[1000], c[1000];
    struct tg_arrival_spec sp = { .kind = TG_ARRIVAL_GAMMA, .rate = 100, .burstiness = 0.5, .seed = 5 };
    times(&sp, a, 1000);
    times(&sp, b, 1000);
    sp.seed = 6;
    times(&sp, c, 1000);
    CHECK(!memcmp(a, b, sizeof a));
    CHECK(memcmp(a, c, sizeof a) != 0);
}

TEST(invalid_specs)
{
    struct tg_arrivals g;
    struct tg_arrival_spec sp = { .kind = TG_ARRIVAL_CONSTANT, .rate = 0 };
    CHECK_INT_EQ(TG_EINVAL, tg_arrivals_init(&g, &sp));
    sp = (struct tg_arrival_spec){ .kind = TG_ARRIVAL_GAMMA, .rate = 10, .burstiness = 0 };
    CHECK_INT_EQ(TG_EINVAL, tg_arrivals_init(&g, &sp));
    sp = (struct tg_arrival_spec){ .kind = TG_ARRIVAL_TRACE, .speed = 1 };
    CHECK_INT_EQ(TG_EINVAL, tg_arrivals_init(&g, &sp));
}

/* ---- stages ---------------------------------------------------------------------- */

static size_t count_between(const double *ts, size_t n, double lo, double hi)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ts[i] >= lo && ts[i] < hi;
    return c;
}

TEST(stages_counts_per_stage)
{
    struct tg_stage st[TG_STAGES_MAX];
    bool conc;
    char why[200] = "";
    int n = tg_stages_parse("10s:100,30s:100->500,10s:500", st, TG_STAGES_MAX, &conc, why, sizeof why);
    REQUIRE(n == 3);
    CHECK(!conc);
    CHECK_DBL_NEAR(15000, tg_stages_arrivals(st, 3), 1e-9);
    CHECK_UINT_EQ(50000000000ULL, tg_stages_duration_ns(st, 3));
    struct tg_arrival_spec sp = { .kind = TG_ARRIVAL_CONSTANT, .stages = st, .nstages = 3 };
    size_t got = times(&sp, tt, N);
    /* constant gaps: exactly D·R in a step, D·(A+B)/2 in a ramp, then the schedule ends */
    CHECK_UINT_EQ(15000, got);
    CHECK_UINT_EQ(1000, count_between(tt, got, 0, 10e9));
    CHECK_UINT_EQ(9000, count_between(tt, got, 10e9, 40e9));
    CHECK_UINT_EQ(5000, count_between(tt, got, 40e9, 50e9));
    /* in the ramp: the first 10 s from 100 to 233.3/s, the last from 366.7 to 500/s */
    CHECK_UINT_EQ(1667, count_between(tt, got, 10e9, 20e9));
    CHECK_UINT_EQ(4333, count_between(tt, got, 30e9, 40e9));
    CHECK_DBL_NEAR(10e9, tt[1000], 1);   /* the ramp's first arrival at its start */

    /* Poisson gaps: the same counts in expectation (sd ~ sqrt(count)) */
    sp.kind = TG_ARRIVAL_POISSON;
    sp.seed = 3;
    got = times(&sp, tt, N);
    printf("  poisson stages: %zu, %zu, %zu (expected 1000, 9000, 5000)\n", count_between(tt, got, 0, 10e9),
           count_between(tt, got, 10e9, 40e9), count_between(tt, got, 40e9, 50e9));
    CHECK_DBL_NEAR(1000, (double)count_between(tt, got, 0, 10e9), 150);
    CHECK_DBL_NEAR(9000, (double)count_between(tt, got, 10e9, 40e9), 450);
    CHECK_DBL_NEAR(5000, (double)count_between(tt, got, 40e9, 50e9), 350);
    CHECK(tt[got - 1] < 50e9);
}

TEST(stages_ramp_from_zero_and_pause)
{
    struct tg_stage st[4];
    bool conc;
    char why[200];
    /* a ramp from 0, a pause, a step: 5 + 0 + 100 arrivals */
    REQUIRE(tg_stages_parse("1s:0->10,2s:0,1s:100", st, 4, &conc, why, sizeof why) == 3);
    struct tg_arrival_spec sp = { .kind = TG_ARRIVAL_CONSTANT, .stages = st, .nstages = 3 };
    size_t got = times(&sp, tt, N);
    CHECK_UINT_EQ(105, got);
    CHECK_UINT_EQ(5, count_between(tt, got, 0, 1e9));
    CHECK_UINT_EQ(0, count_between(tt, got, 1e9, 3e9));
    CHECK_UINT_EQ(100, count_between(tt, got, 3e9, 4e9));
    /* Λ(tt) = 5 t² in the ramp: arrival 1 at sqrt(1/5) s */
    CHECK_DBL_NEAR(sqrt(0.2) * 1e9, tt[1], 1);
}

TEST(stages_parse_forms_and_errors)
{
    struct tg_stage st[TG_STAGES_MAX];
    bool conc = false;
    char why[200];
    CHECK_INT_EQ(2, tg_stages_parse("10s:c4,500ms:c4->c32", st, TG_STAGES_MAX, &conc, why, sizeof why));
    CHECK(conc);
    CHECK_DBL_NEAR(32, st[1].to, 0);
    CHECK_UINT_EQ(500000000ULL, st[1].dur_ns);
    CHECK_INT_EQ(1, tg_stages_parse("5:c2->8", st, TG_STAGES_MAX, &conc, why, sizeof why));
    CHECK_DBL_NEAR(8, st[0].to, 0);
    CHECK_UINT_EQ(5000000000ULL, st[0].dur_ns);   /* a bare duration is seconds */
    CHECK_INT_EQ(1, tg_stages_parse("2m:12.5", st, TG_STAGES_MAX, &conc, why, sizeof why));
    CHECK(!conc);
    static const char *const bad[] = {
        "", "10s", "10s:", ":100", "0s:100", "10s:-1", "10s:100->", "10s:c0", "10s:c2.5", "10s:100,5s:c3",
        "10s:100->c3", "10s:c3->x", "10s:0", "10s:100,,5s:1", "10x:100",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        int rc = tg_stages_parse(bad[i], st, TG_STAGES_MAX, &conc, why, sizeof why);
        if (rc != TG_EINVAL || !why[0])
            TG_FAIL_AT("'%s': expected TG_EINVAL with a reason, got %d '%s'", bad[i], rc, why);
    }
    CHECK_INT_EQ(TG_EINVAL, tg_stages_parse("1s:1,1s:1,1s:1", st, 2, &conc, why, sizeof why));
    CHECK_DBL_NEAR(4, tg_stages_value_at((struct tg_stage[]){ { 2000000000ULL, 2, 6 } }, 1, 1000000000ULL), 1e-12);
}

/* ---- trace ----------------------------------------------------------------------- */

TEST(trace_replays_its_offsets)
{
    static const uint64_t off[] = { 0, 5000000, 5000000, 12000000, 1000000000 };
    struct tg_arrival_spec sp = { .kind = TG_ARRIVAL_TRACE, .offsets_ns = off, .noffsets = 5, .speed = 1 };
    double ts[8];
    CHECK_UINT_EQ(5, times(&sp, ts, 8));
    for (int i = 0; i < 5; i++)
        CHECK_DBL_NEAR((double)off[i], ts[i], 0);
    sp.speed = 2;
    CHECK_UINT_EQ(5, times(&sp, ts, 8));
    for (int i = 0; i < 5; i++)
        CHECK_DBL_NEAR((double)off[i] / 2, ts[i], 0);
}

static const char *write_tmp(const char *name, const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "/tmp/tg-test-%s-%d.jsonl", name, (int)getpid());
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

TEST(trace_file_sorted_bodies_and_synthesis)
{
    const char *p = write_tmp("trace",
        "{\"timestamp_ms\": 1700000000250, \"body\": {\"model\":\"m\",\"input\":\"late\"}}\n"
        "\n"
        "{\"timestamp_ms\": 1700000000000.5, \"input_length\": 7, \"output_length\": 3}\n"
        "{\"timestamp_ms\": 1700000000250, \"input_length\": 0}\n");
    struct tg_trace *tr = NULL;
    char why[300] = "";
    const struct tg_api *chat = tg_api_find("openai-chat");
    int rc = tg_trace_load(p, chat, false, 9, &tr, why, sizeof why);
    if (rc)
        printf("  %s\n", why);
    REQUIRE(rc == 0);
    CHECK_UINT_EQ(3, tr->n);
    CHECK_UINT_EQ(2, tr->synthesised);
    /* in time order, ties in file order; offsets from the earliest */
    CHECK_UINT_EQ(0, tr->offsets_ns[0]);
    CHECK_UINT_EQ(249500000ULL, tr->offsets_ns[1]);
    CHECK_UINT_EQ(249500000ULL, tr->offsets_ns[2]);
    CHECK_UINT_EQ(3, tr->payloads->n);
    const char *late = "{\"model\":\"m\",\"input\":\"late\"}";
    CHECK_MEM_EQ(late, strlen(late), tr->payloads->items[1].line, tr->payloads->items[1].len);
    /* the synthesised chat body: 7 words, max_tokens 3, streamed with usage, and the dialect reads it */
    json_t *b = json_loadb(tr->payloads->items[0].line, tr->payloads->items[0].len, 0, NULL);
    REQUIRE(b);
    const char *content = json_string_value(json_object_get(json_array_get(json_object_get(b, "messages"), 0), "content"));
    REQUIRE(content);
    int words = 1;
    for (const char *c = content; *c; c++)
        words += *c == ' ';
    CHECK_INT_EQ(7, words);
    CHECK_INT_EQ(3, json_integer_value(json_object_get(b, "max_tokens")));
    CHECK(json_is_true(json_object_get(b, "stream")));
    CHECK_STR_EQ("example-llm", json_string_value(json_object_get(b, "model")));
    struct tg_api_line l;
    char r[200];
    CHECK_INT_EQ(0, chat->parse_line(tr->payloads->items[0].line, tr->payloads->items[0].len, &l, r, sizeof r));
    tg_api_line_free(&l);
    json_decref(b);
    /* the same seed gives the same text, another another */
    char *w1 = tg_trace_words(9, 3, 7), *w2 = tg_trace_words(9, 3, 7), *w3 = tg_trace_words(10, 3, 7);
    CHECK_STR_EQ(w1, w2);
    CHECK(strcmp(w1, w3) != 0);
    free(w1), free(w2), free(w3);
    tg_trace_free(tr);
    tg_trace_free(NULL);
    unlink(p);
}

TEST(trace_synthesis_every_dialect_parses_its_body)
{
    for (const struct tg_api *const *a = tg_api_all(); *a; a++) {
        struct tg_buf b = TG_BUF_INIT(0);
        REQUIRE(tg_api_synth_line(*a, &b, NULL, "two words", 5) == 0);
        struct tg_api_line l;
        char r[200] = "";
        int rc = (*a)->parse_line(b.data, b.len, &l, r, sizeof r);
        if (rc)
            TG_FAIL_AT("%s: its own parse_line refuses %.*s: %s", (*a)->name, (int)b.len, b.data, r);
        else
            tg_api_line_free(&l);
        tg_buf_free(&b);
    }
}

TEST(trace_file_errors_name_the_line)
{
    static const struct { const char *text, *want; } cases[] = {
        { "{\"offset_ms\":0,\"body\":{}}\n{\"body\":{}}\n", "line 2:" },
        { "{\"offset_ms\":0,\"timestamp_ms\":1,\"body\":{}}\n", "line 1:" },
        { "{\"offset_ms\":-1,\"body\":{}}\n", "line 1:" },
        { "{\"offset_ms\":0}\n", "line 1:" },
        { "{\"offset_ms\":0,\"body\":[1]}\n", "line 1:" },
        { "\n\nnot json\n", "line 3:" },
        { "{\"offset_ms\":0,\"input_length\":-2}\n", "line 1:" },
    };
    const struct tg_api *api = tg_api_find("tailgate");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *p = write_tmp("trace-bad", cases[i].text);
        struct tg_trace *tr = NULL;
        char why[300] = "";
        int rc = tg_trace_load(p, api, false, 1, &tr, why, sizeof why);
        if (rc != TG_EPARSE || strncmp(why, cases[i].want, strlen(cases[i].want)))
            TG_FAIL_AT("case %zu: expected TG_EPARSE '%s…', got %d '%s'", i, cases[i].want, rc, why);
        tg_trace_free(tr);
        unlink(p);
    }
    const char *p = write_tmp("trace-empty", "\n  \n");
    struct tg_trace *tr = NULL;
    CHECK_INT_EQ(TG_EINVAL, tg_trace_load(p, api, false, 1, &tr, NULL, 0));
    unlink(p);
    CHECK(tg_trace_load("/nonexistent/trace.jsonl", api, false, 1, &tr, NULL, 0) < 0);
}

/* ---- stripes: the union over workers (and shards) is the one sequence ----------- */

struct arrival { uint64_t id, t; };

/* Every arrival of one stripe through the scheduler, polled as late as can
 * be (all due, no cap), into out[id].  Returns how many. */
static size_t run_stripe(const struct tg_arrival_spec *sp, struct tg_stripe st, uint64_t limit, uint64_t *out,
                         unsigned char *seen)
{
    struct tg_sched s;
    if (tg_sched_init_open(&s, sp, st, 1000, UINT32_MAX, limit, UINT64_MAX) != 0)
        return 0;
    size_t n = 0;
    uint64_t id, t, wake;
    while (tg_sched_poll(&s, UINT64_MAX - 1, 0, &id, &t, &wake) == TG_SCHED_ADMIT) {
        if (id < limit) {
            out[id] = t;
            seen[id]++;
        }
        n++;
    }
    return n;
}

static uint64_t one[N], many[N];
static unsigned char seen1[N], seenw[N];

static void check_union(const char *what, const struct tg_arrival_spec *sp, struct tg_stripe parent,
                        const uint64_t *base, size_t nbase)
{
    static const uint32_t ws[] = { 1, 2, 4 };
    for (size_t k = 0; k < 3; k++) {
        memset(many, 0, sizeof many);
        memset(seenw, 0, sizeof seenw);
        size_t total = 0;
        for (uint32_t w = 0; w < ws[k]; w++)
            total += run_stripe(sp, tg_stripe_sub(parent, w, ws[k]), N, many, seenw);
        size_t diff = 0;
        for (size_t i = 0; i < N; i++)
            diff += seenw[i] != seen1[i] || (seenw[i] && many[i] != base[i]);
        if (total != nbase || diff)
            TG_FAIL_AT("%s, W=%u: %zu arrivals (expected %zu), %zu differ from W=1", what, ws[k], total, nbase, diff);
    }
}

TEST(stripes_union_is_the_one_worker_sequence)
{
    struct tg_stage st[3];
    bool conc;
    char why[100];
    REQUIRE(tg_stages_parse("1s:2000,4s:2000->6000,1s:100", st, 3, &conc, why, sizeof why) == 3);
    static const uint64_t off[] = { 0, 1, 1, 7, 100, 100, 100, 5000, 9000 };
    struct tg_arrival_spec specs[] = {
        { .kind = TG_ARRIVAL_CONSTANT, .rate = 5000 },
        { .kind = TG_ARRIVAL_POISSON, .rate = 5000, .seed = 1 },
        { .kind = TG_ARRIVAL_GAMMA, .rate = 5000, .burstiness = 0.3, .seed = 2 },
        { .kind = TG_ARRIVAL_GAMMA, .burstiness = 4, .seed = 3, .stages = st, .nstages = 3 },
        { .kind = TG_ARRIVAL_TRACE, .offsets_ns = off, .noffsets = 9, .speed = 0.5 },
    };
    const char *names[] = { "constant", "poisson", "gamma 0.3", "gamma stages", "trace" };
    for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++) {
        memset(seen1, 0, sizeof seen1);
        size_t n1 = run_stripe(&specs[s], TG_STRIPE_ALL, N, one, seen1);
        REQUIRE(n1 > 0);
        check_union(names[s], &specs[s], TG_STRIPE_ALL, one, n1);
        /* shards compose: shard 1 of 3, then its workers, is exactly the shard's ids of the one sequence */
        struct tg_stripe shard = tg_stripe_sub(TG_STRIPE_ALL, 1, 3);
        memset(many, 0, sizeof many);
        memset(seenw, 0, sizeof seenw);
        size_t ns = run_stripe(&specs[s], shard, N, many, seenw);
        size_t bad = 0, expect = 0;
        for (size_t i = 0; i < N; i++) {
            bool mine = seen1[i] && i % 3 == 1;
            expect += mine;
            bad += mine ? !seenw[i] || many[i] != one[i] : seenw[i] != 0;
        }
        if (ns != expect || bad)
            TG_FAIL_AT("%s shard 1/3: %zu arrivals (expected %zu), %zu differ", names[s], ns, expect, bad);
        for (uint32_t w = 0; w < 2; w++) {
            memset(seenw, 0, sizeof seenw);
            run_stripe(&specs[s], tg_stripe_sub(shard, w, 2), N, many, seenw);
            for (size_t i = 0; i < N; i++)
                if (seenw[i] && (i % 6 != 1 + 3 * w || many[i] != one[i]))
                    bad++;
        }
        CHECK_UINT_EQ(0, bad);
    }
}

/* Distributed runs (docs/distributed.md): the shards of N = 1, 2, 4, each with
 * 1 or 2 workers, together send exactly the one-machine schedule: the same
 * ids at the same intended times, each once. */
TEST(shards_union_is_the_one_machine_schedule)
{
    struct tg_arrival_spec specs[] = {
        { .kind = TG_ARRIVAL_CONSTANT, .rate = 5000 },
        { .kind = TG_ARRIVAL_POISSON, .rate = 5000, .seed = 7 },
    };
    const char *names[] = { "constant", "poisson" };
    static const uint64_t ns[] = { 1, 2, 4 };
    for (size_t s = 0; s < 2; s++) {
        memset(seen1, 0, sizeof seen1);
        size_t n1 = run_stripe(&specs[s], TG_STRIPE_ALL, N, one, seen1);
        REQUIRE(n1 == N);
        for (size_t a = 0; a < 3; a++)
            for (uint32_t workers = 1; workers <= 2; workers++) {
                memset(many, 0, sizeof many);
                memset(seenw, 0, sizeof seenw);
                size_t total = 0;
                for (uint64_t k = 0; k < ns[a]; k++)
                    for (uint32_t w = 0; w < workers; w++)
                        total += run_stripe(&specs[s],
                                            tg_stripe_sub(tg_stripe_sub(TG_STRIPE_ALL, k, ns[a]), w, workers), N,
                                            many, seenw);
                size_t diff = 0;
                for (size_t i = 0; i < N; i++)
                    diff += seenw[i] != 1 || many[i] != one[i];
                if (total != n1 || diff)
                    TG_FAIL_AT("%s, N=%llu x %u workers: %zu arrivals (expected %zu), %zu differ", names[s],
                               (unsigned long long)ns[a], workers, total, n1, diff);
            }
    }
}

/* The closed loop of shard K of N claims ids K, K+N, ... below the limit,
 * and after a stop reports exactly its unclaimed ones. */
static void collect_unclaimed(void *ctx, uint64_t id)
{
    uint64_t **p = ctx;
    *(*p)++ = id;
}

TEST(closed_loop_shard_claims_its_stripe)
{
    for (uint64_t k = 0; k < 3; k++) {
        _Atomic uint64_t next = 0;
        struct tg_sched s;
        tg_sched_init_closed(&s, 4, 10, UINT64_MAX, &next);
        tg_sched_closed_stripe(&s, tg_stripe_sub(TG_STRIPE_ALL, k, 3));
        uint64_t got[8], id, t, wake;
        size_t n = 0;
        while (n < 2 && tg_sched_poll(&s, 1, 0, &id, &t, &wake) == TG_SCHED_ADMIT)
            got[n++] = id;
        uint64_t rest[8], *p = rest;
        size_t nr = (size_t)tg_sched_for_each_unclaimed(&s, collect_unclaimed, &p);
        /* ids below 10 with id mod 3 == k: 0 3 6 9 | 1 4 7 | 2 5 8 */
        uint64_t expect[4], ne = 0;
        for (uint64_t i = k; i < 10; i += 3)
            expect[ne++] = i;
        CHECK_UINT_EQ(ne, n + nr);
        for (size_t i = 0; i < n; i++)
            CHECK_UINT_EQ(expect[i], got[i]);
        for (size_t i = 0; i < nr; i++)
            CHECK_UINT_EQ(expect[n + i], rest[i]);
    }
}
