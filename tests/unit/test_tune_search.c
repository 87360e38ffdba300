/*
 * Unit tests of tg_tune_search (src/analyze/tune.c): the whole search --
 * the grid predicted from a cost model, the ablation and the model's top
 * candidates measured, the choice, the confirmation -- driven through its
 * instrument hook (tg_tune_opts.probe) by a fake that answers every
 * measurement from a table of latencies per configuration.  So what is
 * checked is the search's decisions on known measurements: a choice meeting
 * the SLA when one exists, the simplest within the 5 % tie, no choice when
 * none qualifies, --slo respected, and an interrupt that stops it with what
 * was measured.
 */
#include "test.h"

#include "analyze/model.h"
#include "analyze/probe.h"
#include "analyze/tune.h"
#include "core/error.h"
#include "engine/payload.h"
#include "stats/slo.h"

#define NPAYLOADS 10
#define CONC 8

/* What one configuration measures: the first 60 % of its inputs take lo ms,
 * the rest hi ms, so (nearest rank) P50 = lo and P95 = P99 = hi. */
struct shape {
    double lo, hi;
    uint64_t failed;       /* inputs that fail (no latency, no output) */
    bool differ;           /* outputs differ from the unbatched ones */
};

struct fake {
    void (*shape)(const struct tg_client_cfg *c, struct shape *s);
    int calls;
    int interrupt_at;      /* raise the interrupt during this call (1-based; 0 never) */
    struct tg_client_cfg seen[64];
};

static int fake_probe(void *ctx, const struct tg_probe_target *t, const struct tg_probe_spec *spec,
                      struct tg_probe_result *r)
{
    struct fake *f = ctx;
    if (f->calls < 64)
        f->seen[f->calls] = spec->cfg;
    f->calls++;
    if (f->interrupt_at && f->calls == f->interrupt_at) {
        /* what the signal handler does, and what tg_probe_run then returns */
        tg_probe_interrupt();
        return TG_EINTR;
    }
    struct shape s = { 0 };
    f->shape(&spec->cfg, &s);
    uint64_t n = spec->inputs;
    size_t nlo = (size_t)(0.6 * (double)n);
    for (uint64_t i = 0; i < n; i++) {
        struct tg_prow *p = tg_prows_push(&r->rows);
        if (!p)
            return TG_ENOMEM;
        bool ok = i >= s.failed;
        p->request_id = i;
        p->timestamp_ms = (double)i;
        p->ok = ok;
        p->status = ok ? 200 : 503;
        p->latency_ms = !ok ? NAN : i < nlo ? s.lo : s.hi;
        if (ok) {
            /* the payload's output, or another one when batching changes it */
            unsigned k = (unsigned)(i % t->payloads->n) + 1 + (s.differ ? 1000 : 0);
            snprintf(p->hash, sizeof p->hash, "%064x", k);
        }
    }
    r->inputs = n;
    r->failed = s.failed < n ? s.failed : n;
    r->ok = n - r->failed;
    r->p50_ms = s.failed ? NAN : s.lo;   /* only the cases without failures are read */
    r->p95_ms = r->p99_ms = s.failed ? NAN : s.hi;
    r->mean_ms = s.failed ? NAN : 0.6 * s.lo + 0.4 * s.hi;
    r->wall_s = (double)n * (0.6 * s.lo + 0.4 * s.hi) / 1000.0 / spec->concurrency;
    r->throughput_ips = (double)r->ok / r->wall_s;
    return 0;
}

/* the default profile of `tailgate serve`, exact t(b) */
static const struct tg_costmodel model = {
    .alpha_ms = 48, .beta_ms = 1, .slots = 1, .max_batch = 64, .overhead_ms = 0.5, .connect_ms = 0.1,
};

static struct tg_payloads payloads = { .n = NPAYLOADS };

static struct tg_tune_opts opts(struct fake *f)
{
    return (struct tg_tune_opts){
        .concurrency = CONC, .sla_p95_ms = 800, .inputs = 20, .confirm_inputs = 30, .top_k = 4, .seed = 1,
        .probe = fake_probe, .probe_ctx = f,
    };
}

static int search(struct fake *f, const struct tg_tune_opts *o, struct tg_tune *out)
{
    struct tg_probe_target t = { .payloads = &payloads };
    char err[256] = "";
    memset(out, 0, sizeof *out);
    int rc = tg_tune_search(&t, &model, o, out, err, sizeof err);
    if (rc)
        fprintf(stderr, "  tg_tune_search: %s\n", err);
    return rc;
}

static bool same(const struct tg_client_cfg *a, const struct tg_client_cfg *b)
{
    return a->connections == b->connections && a->keepalive == b->keepalive && a->batch == b->batch &&
           a->batch_wait_ms == b->batch_wait_ms;
}

static size_t measured(const struct tg_tune *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        n += t->cands[i].measured;
    return n;
}

/* ---- a choice that meets the SLA -------------------------------------------- */

/* P95 = 400 / batch ms, + 500 ms with one connection, + 20 ms without
 * keep-alive, + 5 ms per ms of batch wait: the unique lowest is the largest
 * batch at pool = c with keep-alive and no wait. */
static void shape_batch_wins(const struct tg_client_cfg *c, struct shape *s)
{
    s->hi = 400.0 / c->batch + (c->connections == 1 ? 500 : 0) + (c->keepalive ? 0 : 20) + 5 * c->batch_wait_ms;
    s->lo = s->hi / 2;
}

TEST(search_measures_the_ablation_then_picks_the_lowest_meeting_the_sla)
{
    struct fake f = { .shape = shape_batch_wins };
    struct tg_tune_opts o = opts(&f);
    struct tg_tune t;
    REQUIRE(search(&f, &o, &t) == 0);
    /* the ablation first, in order: baseline, pool alone, keep-alive alone, batch alone */
    REQUIRE(f.calls >= 5);
    CHECK(same(&f.seen[0], &(struct tg_client_cfg){ .connections = CONC, .keepalive = true, .batch = 1 }));
    CHECK(same(&f.seen[1], &(struct tg_client_cfg){ .connections = 1, .keepalive = true, .batch = 1 }));
    CHECK(same(&f.seen[2], &(struct tg_client_cfg){ .connections = CONC, .keepalive = false, .batch = 1 }));
    CHECK(f.seen[3].connections == CONC && f.seen[3].keepalive && f.seen[3].batch > 1 &&
          f.seen[3].batch_wait_ms == 0);
    /* expected choice, from the table: the measured non-confirm candidate with
     * the lowest P95 (unique: the next is at least 400/4 vs 400/8, i.e. 2x) */
    int want = -1;
    for (size_t i = 0; i < t.n; i++)
        if (t.cands[i].measured && t.cands[i].role != TG_ROLE_CONFIRM &&
            (want < 0 || t.cands[i].p95_ms < t.cands[want].p95_ms))
            want = (int)i;
    REQUIRE(want >= 0);
    CHECK_INT_EQ(want, t.best);
    /* the model (alpha 48, beta 1, c 8) ranks batch 8 best, so it was measured: 400/8 = 50 ms */
    CHECK_UINT_EQ(8, t.cands[t.best].cfg.batch);
    CHECK_DBL_NEAR(50, t.cands[t.best].p95_ms, 1e-9);
    /* confirmed: the last measurement, same config, confirm_inputs inputs; it gives best_p95 */
    REQUIRE(t.confirm >= 0);
    CHECK_INT_EQ(TG_ROLE_CONFIRM, t.cands[t.confirm].role);
    CHECK(same(&t.cands[t.confirm].cfg, &t.cands[t.best].cfg));
    CHECK(same(&f.seen[f.calls - 1], &t.cands[t.best].cfg));
    CHECK_UINT_EQ(30, t.cands[t.confirm].inputs);
    CHECK_DBL_NEAR(50, t.best_p95_ms, 1e-9);
    CHECK(t.meets_sla);
    CHECK_STR_EQ("", t.reason);
    CHECK(!t.interrupted);
    /* ablation 4 + top_k 4 at most + the confirmation */
    CHECK(f.calls <= 9);
    CHECK_UINT_EQ((size_t)f.calls, measured(&t));
    CHECK_UINT_EQ(measured(&t), t.n_measured);
    tg_tune_free(&t);
}

/* ---- the 5 % tie -------------------------------------------------------------- */

static double ka_off_p95;   /* what keep-alive off measures; everything else 100 ms */

static void shape_keepalive_off_fastest(const struct tg_client_cfg *c, struct shape *s)
{
    s->hi = c->keepalive ? 100 : ka_off_p95;
    s->lo = s->hi / 2;
}

TEST(search_prefers_the_simplest_within_five_percent)
{
    struct fake f = { .shape = shape_keepalive_off_fastest };
    struct tg_tune_opts o = opts(&f);
    struct tg_tune t;
    /* keep-alive off measures the lowest, 97 ms; every other candidate (100
     * ms) is within 5 % of it (<= 97 * 1.05 = 101.85), so all tie and the
     * simplest (keep-alive on, no wait, pool = c) wins over the 3 ms faster
     * keep-alive-off one */
    ka_off_p95 = 97;
    REQUIRE(search(&f, &o, &t) == 0);
    REQUIRE(t.best >= 0);
    const struct tg_client_cfg *b = &t.cands[t.best].cfg;
    CHECK(b->keepalive && b->connections == CONC && (b->batch == 1 || b->batch_wait_ms == 0));
    CHECK_DBL_NEAR(100, t.cands[t.best].p95_ms, 1e-9);
    tg_tune_free(&t);

    /* control: 90 ms is beyond the tie (90 * 1.05 = 94.5 < 100): keep-alive off wins */
    f.calls = 0;
    ka_off_p95 = 90;
    REQUIRE(search(&f, &o, &t) == 0);
    REQUIRE(t.best >= 0);
    CHECK(!t.cands[t.best].cfg.keepalive);
    CHECK_DBL_NEAR(90, t.cands[t.best].p95_ms, 1e-9);
    tg_tune_free(&t);
}

/* ---- nothing qualifies --------------------------------------------------------- */

static void shape_slow(const struct tg_client_cfg *c, struct shape *s)
{
    s->hi = 2000 + c->batch;   /* every one above the 800 ms SLA */
    s->lo = 1000;
}

static void shape_failing(const struct tg_client_cfg *c, struct shape *s)
{
    s->lo = s->hi = 50;
    s->failed = 2;
}

static void shape_batched_differ(const struct tg_client_cfg *c, struct shape *s)
{
    s->hi = c->batch > 1 ? 50 : 900;   /* batching is faster but changes the outputs */
    s->lo = s->hi / 2;
    s->differ = c->batch > 1;
}

TEST(search_reports_no_candidate_when_none_meets)
{
    struct fake f = { .shape = shape_slow };
    struct tg_tune_opts o = opts(&f);
    struct tg_tune t;
    /* all measured above the SLA: the lowest is still reported (2001 ms,
     * batch 1), but meets_sla is false and the reason says so */
    REQUIRE(search(&f, &o, &t) == 0);
    REQUIRE(t.best >= 0);
    CHECK_DBL_NEAR(2001, t.cands[t.best].p95_ms, 1e-9);
    CHECK(!t.meets_sla);
    CHECK(strstr(t.reason, "misses the SLA (P95 2001.0 ms > 800 ms)") != NULL);
    tg_tune_free(&t);

    /* every candidate with failed inputs: none eligible, nothing chosen or confirmed */
    f = (struct fake){ .shape = shape_failing };
    REQUIRE(search(&f, &o, &t) == 0);
    CHECK_INT_EQ(-1, t.best);
    CHECK_INT_EQ(-1, t.confirm);
    CHECK(!t.meets_sla);
    CHECK(isnan(t.best_p95_ms));
    CHECK(strstr(t.reason, "no evidence-chosen configuration") != NULL);
    CHECK(strstr(t.reason, "with failed inputs") != NULL);
    tg_tune_free(&t);

    /* batched candidates faster but with different outputs: never chosen; the
     * unbatched ones are over the SLA */
    f = (struct fake){ .shape = shape_batched_differ };
    REQUIRE(search(&f, &o, &t) == 0);
    REQUIRE(t.best >= 0);
    CHECK_UINT_EQ(1, t.cands[t.best].cfg.batch);
    CHECK(!t.meets_sla);
    CHECK(t.n_batched_differ >= 1);
    CHECK_UINT_EQ(t.n_outputs_differ, t.n_batched_differ);
    CHECK(strstr(t.reason, "gave outputs that differ") != NULL);
    tg_tune_free(&t);
}

/* ---- --slo ----------------------------------------------------------------------- */

/* Batched: P50 150, P95 160 (the lowest P95).  Unbatched: P50 50, P95 200. */
static void shape_slo(const struct tg_client_cfg *c, struct shape *s)
{
    if (c->batch > 1) {
        s->lo = 150;
        s->hi = 160;
    } else {
        s->lo = 50;
        s->hi = 200 + (c->connections == 1 ? 300 : 0) + (c->keepalive ? 0 : 50);
    }
}

TEST(search_respects_slos)
{
    struct fake f = { .shape = shape_slo };
    struct tg_tune_opts o = opts(&f);
    struct tg_tune t;
    /* without --slo: the lowest P95 (a batched candidate, 160 ms) */
    REQUIRE(search(&f, &o, &t) == 0);
    REQUIRE(t.best >= 0);
    CHECK(t.cands[t.best].cfg.batch > 1);
    tg_tune_free(&t);

    /* latency:p50<=100ms: only the unbatched candidates (P50 50 ms) meet it; of
     * them the baseline has the lowest P95 (200 ms, vs 250 and 500) */
    struct tg_slo slo;
    char why[128];
    REQUIRE(tg_slo_parse("latency:p50<=100ms", &slo, why, sizeof why) == 0);
    o.slos = &slo;
    o.nslos = 1;
    f.calls = 0;
    REQUIRE(search(&f, &o, &t) == 0);
    REQUIRE(t.best >= 0);
    const struct tg_tune_cand *b = &t.cands[t.best];
    CHECK(same(&b->cfg, &(struct tg_client_cfg){ .connections = CONC, .keepalive = true, .batch = 1 }));
    CHECK_DBL_NEAR(200, b->p95_ms, 1e-9);
    CHECK(b->nslo == 1 && b->slos_met);
    for (size_t i = 0; i < t.n; i++)
        if (t.cands[i].measured && t.cands[i].cfg.batch > 1)
            CHECK(t.cands[i].nslo == 1 && !t.cands[i].slos_met);
    CHECK(t.meets_sla);
    tg_tune_free(&t);

    /* latency:p50<=10ms: nobody meets it; the choice (lowest P95) misses it and says which */
    REQUIRE(tg_slo_parse("latency:p50<=10ms", &slo, why, sizeof why) == 0);
    f.calls = 0;
    REQUIRE(search(&f, &o, &t) == 0);
    CHECK(!t.meets_sla);
    CHECK(strstr(t.reason, "misses the SLOs latency:p50<=10ms") != NULL);
    tg_tune_free(&t);
}

/* ---- interrupt --------------------------------------------------------------------- */

TEST(search_interrupted_keeps_what_was_measured)
{
    struct fake f = { .shape = shape_batch_wins, .interrupt_at = 3 };
    struct tg_tune_opts o = opts(&f);
    struct tg_tune t;
    /* the signal during the third measurement (keep-alive off): baseline and
     * pool were measured, the third is dropped, nothing further starts */
    tg_probe_interrupt_reset();
    REQUIRE(search(&f, &o, &t) == 0);
    CHECK_INT_EQ(3, f.calls);
    CHECK(t.interrupted);
    CHECK_STR_EQ("ablation", t.interrupted_during);
    CHECK_UINT_EQ(2, t.n_measured);
    CHECK_UINT_EQ(2, measured(&t));
    size_t nb = 0, np = 0, nk = 0;
    for (size_t i = 0; i < t.n; i++) {
        nb += t.cands[i].measured && t.cands[i].role == TG_ROLE_BASELINE;
        np += t.cands[i].measured && t.cands[i].role == TG_ROLE_POOL;
        nk += t.cands[i].role == TG_ROLE_KEEPALIVE;
    }
    CHECK(nb == 1 && np == 1 && nk == 0);
    /* the kept measurements are the table's: baseline 400 ms, pool 400 + 500 */
    for (size_t i = 0; i < t.n; i++) {
        if (t.cands[i].role == TG_ROLE_BASELINE)
            CHECK_DBL_NEAR(400, t.cands[i].p95_ms, 1e-9);
        if (t.cands[i].role == TG_ROLE_POOL)
            CHECK_DBL_NEAR(900, t.cands[i].p95_ms, 1e-9);
    }
    CHECK_INT_EQ(-1, t.best);
    CHECK_INT_EQ(-1, t.confirm);
    CHECK(!t.meets_sla);
    CHECK(isnan(t.best_p95_ms) && isnan(t.ratio) && isnan(t.dyn_batching_p95_ms));
    CHECK(isfinite(t.theoretical_best_p95_ms));   /* the model's, computed before measuring */
    CHECK(strstr(t.reason, "interrupted (SIGINT/SIGTERM) during the ablation: 2 candidate(s)") != NULL);
    tg_tune_free(&t);

    /* raised before the search: nothing is measured at all, the instrument never called */
    f = (struct fake){ .shape = shape_batch_wins };
    REQUIRE(search(&f, &o, &t) == 0);   /* still raised from above */
    CHECK_INT_EQ(0, f.calls);
    CHECK(t.interrupted);
    CHECK_UINT_EQ(0, t.n_measured);
    tg_tune_free(&t);

    /* during the model's top candidates: the whole ablation kept, phase "search" */
    tg_probe_interrupt_reset();
    f = (struct fake){ .shape = shape_batch_wins, .interrupt_at = 5 };
    REQUIRE(search(&f, &o, &t) == 0);
    CHECK_INT_EQ(5, f.calls);
    CHECK_STR_EQ("search", t.interrupted_during);
    CHECK_UINT_EQ(4, t.n_measured);
    tg_tune_free(&t);
    tg_probe_interrupt_reset();

    /* the interrupt flag itself */
    CHECK(!tg_probe_interrupted());
    tg_probe_interrupt();
    CHECK(tg_probe_interrupted());
    tg_probe_interrupt_reset();
    CHECK(!tg_probe_interrupted());
}

TEST(probe_run_starts_nothing_once_interrupted)
{
    /* tg_probe_run itself: TG_EINTR before any engine is set up (the target
     * is never touched: it has no URL or address) */
    struct tg_probe_target t = { .payloads = &payloads };
    struct tg_probe_spec s = { .concurrency = 1, .inputs = 1 };
    struct tg_probe_result r = { 0 };
    tg_probe_interrupt();
    CHECK_INT_EQ(TG_EINTR, tg_probe_run(&t, &s, &r));
    CHECK_UINT_EQ(0, r.inputs);
    tg_probe_result_free(&r);
    tg_probe_interrupt_reset();
}

TEST_MAIN()
