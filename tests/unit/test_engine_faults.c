/* test_engine_faults.c - the engine when a loop call or a request slot fails
 * (engine/fault.h): every input is still reported exactly once, with the
 * class and detail of the failure, and the run ends. */
#include "test.h"

#include "fault_harness.h"

TEST_MAIN()

#define EPOLL_DETAIL "epoll_ctl: Cannot allocate memory"
#define NO_SLOT_DETAIL "no free request slot (an accounting bug of the engine)"

static const char *const site_name[TG_FAULT_NSITES] = {
    [TG_FAULT_LOOP_MOD] = "MOD", [TG_FAULT_TIMER_HEAP] = "timer heap", [TG_FAULT_REQ_ALLOC] = "slot",
};

/* A run of r with no call failing: every input once, all fine.  Returns how
 * often site was called (what the runs with one failing call go through). */
static int clean_run(const struct run *r, enum tg_fault_site site)
{
    struct seen s;
    int rc;
    fault_arm(site, 0);
    long long t = do_run(r, &s, &rc, false);
    int calls = atomic_load(&fault_calls[site]);
    printf("    clean run: ok %d, %s calls %d\n", s.ok, site_name[site], calls);
    check_once(&s, r->inputs, t);
    CHECK_INT_EQ(r->inputs, s.ok);
    return calls;
}

/* A run of r with call nth of site failing: it fails once, every input is
 * reported once, `failed` of them with class errc and r's detail, the
 * others fine.  A run whose checks failed is named under them. */
static void one_call_fails(const struct run *r, enum tg_fault_site site, int nth, int failed,
                           enum tg_errc errc)
{
    int before = tg_test_failed_checks;
    struct seen s;
    int rc;
    fault_arm(site, nth);
    long long t = do_run(r, &s, &rc, false);
    printf("    fail %s #%d: fired %d, ok %d, %s %d (%s)\n", site_name[site], nth, atomic_load(&fault_fired),
           s.ok, tg_errc_name(errc), s.by_class[errc], s.last_detail);
    check_once(&s, r->inputs, t);
    CHECK_INT_EQ(1, atomic_load(&fault_fired));
    CHECK_INT_EQ(r->inputs - (uint64_t)failed, s.ok);
    CHECK_INT_EQ(failed, s.by_class[errc]);
    CHECK_INT_EQ(0, s.odd_detail);
    CHECK_STR_EQ(r->want_detail, s.last_detail);
    if (tg_test_failed_checks != before)
        fprintf(stderr, "  ^ with %s call #%d failing\n", site_name[site], nth);
}

/* ---- tg_loop_mod ----------------------------------------------------------- */

/* One connection per request: each one's "wait for the response" is the
 * run's one epoll_ctl MOD per input.  Failing the Nth fails input N-1 with
 * class read; the others are fine and the run ends. */
TEST(engine_faults_loop_mod_fails_that_input)
{
    struct run r = { .inputs = 4, .concurrency = 1, .keepalive = false, .want_detail = EPOLL_DETAIL };
    CHECK_INT_EQ(4, clean_run(&r, TG_FAULT_LOOP_MOD));
    for (int nth = 1; nth <= 4; nth++)
        one_call_fails(&r, TG_FAULT_LOOP_MOD, nth, 1, TG_ERRC_READ);
}

/* A preconnected connection is watched while idle: when that fails it is
 * closed (no input on it), and the first input opens another: nothing fails. */
TEST(engine_faults_loop_mod_idle_connection_closed)
{
    struct run r = { .inputs = 3, .concurrency = 1, .keepalive = true, .preconnect = true,
                     .want_detail = EPOLL_DETAIL };
    struct seen s;
    int rc;
    fault_arm(TG_FAULT_LOOP_MOD, 1);
    long long t = do_run(&r, &s, &rc, false);
    printf("    fail MOD #1 (idle): fired %d, ok %d, MOD calls %d\n", atomic_load(&fault_fired), s.ok,
           atomic_load(&fault_calls[TG_FAULT_LOOP_MOD]));
    CHECK_INT_EQ(1, atomic_load(&fault_fired));
    check_once(&s, 3, t);
    CHECK_INT_EQ(3, s.ok);
}

/* A request too big for the socket buffers (16 MiB against a server that
 * reads through a 16 KiB window) is written over several events:
 * on a reused connection (watched for reading) its EAGAIN asks for
 * writable (MOD #2 of the run), then for readable when written (#3).
 * Failing #2 fails input 1 with class write, #3 with class read. */
TEST(engine_faults_loop_mod_short_write)
{
    struct run r = { .inputs = 3, .concurrency = 1, .keepalive = true, .payload_bytes = 16u << 20,
                     .server_rcvbuf = 16 << 10, .want_detail = EPOLL_DETAIL };
    /* 5 MOD calls when every request after the first hit EAGAIN */
    if (clean_run(&r, TG_FAULT_LOOP_MOD) != 5)
        SKIP("a 16 MiB request was written without EAGAIN: the write path cannot be provoked here");
    static const enum tg_errc want[] = { 0, TG_ERRC_READ, TG_ERRC_WRITE, TG_ERRC_READ, TG_ERRC_WRITE, TG_ERRC_READ };
    for (int nth = 1; nth <= 5; nth++)
        one_call_fails(&r, TG_FAULT_LOOP_MOD, nth, 1, want[nth]);
}

/* ---- the timer heap ---------------------------------------------------------- */

/* Creating the engine reserves the workers' timers: failing that is
 * tg_engine_new's TG_ENOMEM (nothing leaks), and a run that arms all five
 * (schedule, batch deadline, sweep, flush, end) never grows the heap again,
 * so no timer start can fail during it. */
TEST(engine_faults_timer_heap)
{
    struct run r = { .inputs = 6, .concurrency = 4, .connections = 2, .batch = 2,
                     .batch_wait_ns = 2 * TG_NS_PER_MS, .rate = 200, .duration_ns = 20 * TG_NS_PER_S,
                     .keepalive = true };
    struct seen s;
    int rc;
    fault_arm(TG_FAULT_TIMER_HEAP, -1);
    long long t = do_run(&r, &s, &rc, false);
    CHECK_INT_EQ(TG_ENOMEM, rc);
    CHECK_INT_EQ(-1, t);
    CHECK_INT_EQ(0, s.n);

    fault_arm(TG_FAULT_TIMER_HEAP, -1);
    t = do_run(&r, &s, &rc, true);
    printf("    every heap growth failing after tg_engine_new: heap calls %d, ok %d of %d\n",
           atomic_load(&fault_calls[TG_FAULT_TIMER_HEAP]), s.ok, s.n);
    CHECK_INT_EQ(0, rc);
    CHECK_INT_EQ(0, atomic_load(&fault_calls[TG_FAULT_TIMER_HEAP]));
    check_once(&s, 6, t);
    CHECK_INT_EQ(6, s.ok);
}

/* ---- request slots ------------------------------------------------------------- */

/* Unbatched: the input whose slot is refused fails (class write) and the
 * run goes on. */
TEST(engine_faults_req_alloc_single)
{
    struct run r = { .inputs = 4, .concurrency = 1, .keepalive = true, .want_detail = NO_SLOT_DETAIL };
    for (int nth = 1; nth <= 4; nth++)
        one_call_fails(&r, TG_FAULT_REQ_ALLOC, nth, 1, TG_ERRC_WRITE);
}

/* Batched: 6 inputs in 3 batches of 2; the batch whose slot is refused
 * fails both its inputs (class write), the others are sent. */
TEST(engine_faults_req_alloc_batch)
{
    struct run r = { .inputs = 6, .concurrency = 2, .connections = 1, .batch = 2, .keepalive = true,
                     .want_detail = NO_SLOT_DETAIL };
    CHECK_INT_EQ(3, clean_run(&r, TG_FAULT_REQ_ALLOC));
    for (int nth = 1; nth <= 3; nth++)
        one_call_fails(&r, TG_FAULT_REQ_ALLOC, nth, 2, TG_ERRC_WRITE);
}

/* ---- https ----------------------------------------------------------------------- */

/* Over TLS the handshake waits for the server's flight (a MOD to readable,
 * the only MOD of a connection: the request is then written and the
 * response read with the interest already set).  When it fails the input
 * fails with class tls and the epoll_ctl detail; every input once. */
TEST(engine_faults_loop_mod_tls)
{
    server_tls = server_tls_new();
    MUST(sem_init(&tls_gate, 0, 0) == 0);
    tls_gated = true;
    struct run r = { .inputs = 3, .concurrency = 1, .keepalive = false, .tls = true,
                     .want_detail = EPOLL_DETAIL };
    int clean_calls = clean_run(&r, TG_FAULT_LOOP_MOD);
    CHECK_INT_EQ(3, clean_calls);
    for (int nth = 1; nth <= clean_calls && nth <= 12; nth++)
        one_call_fails(&r, TG_FAULT_LOOP_MOD, nth, 1, TG_ERRC_TLS);
    tls_gated = false;
    sem_destroy(&tls_gate);
    SSL_CTX_free(server_tls);
    server_tls = NULL;
}

/* ---- the loop's epoll_wait ------------------------------------------------------ */

#define WAIT_DETAIL "epoll_wait: Cannot allocate memory"

/* Fails the nth epoll_wait of the run r and checks that every input is
 * reported once: ok, or class read with the epoll_wait detail (in flight,
 * waiting for a batch, or never started alike).  Returns the ok count. */
static int run_wait_fault(const struct run *r, int nth)
{
    struct seen s;
    int rc;
    fault_arm(TG_FAULT_LOOP_WAIT, nth);
    long long t = do_run(r, &s, &rc, false);
    printf("    fail wait #%d: fired %d, rows %d, ok %d, read %d (%s)\n", nth, atomic_load(&fault_fired), s.n, s.ok,
           s.by_class[TG_ERRC_READ], s.last_detail);
    CHECK_INT_EQ(0, rc);
    check_once(&s, r->inputs, t);
    CHECK_INT_EQ(r->inputs, s.ok + s.by_class[TG_ERRC_READ]);
    CHECK_INT_EQ(0, s.odd_detail);
    if (nth > 0 && atomic_load(&fault_fired) > 0) {
        CHECK_INT_EQ(1, atomic_load(&fault_fired));
        CHECK(s.by_class[TG_ERRC_READ] > 0);
        CHECK_STR_EQ(WAIT_DETAIL, s.last_detail);
    }
    return s.ok;
}

/* Closed loop, 8 inputs 2 at a time: the first wait fails with 2 in flight
 * and 6 never started, all 8 read; a later one fails those in flight and
 * those left.  (How many waits a run makes depends on timing: an nth past
 * this run's last wait fails nothing, which run_wait_fault allows.) */
TEST(engine_faults_loop_wait_closed)
{
    struct run r = { .inputs = 8, .concurrency = 2, .keepalive = true, .want_detail = WAIT_DETAIL };
    fault_arm(TG_FAULT_LOOP_WAIT, 0);
    int ok = run_wait_fault(&r, 0);
    int clean_calls = atomic_load(&fault_calls[TG_FAULT_LOOP_WAIT]);
    printf("    clean run: ok %d, wait calls %d\n", ok, clean_calls);
    CHECK_INT_EQ(8, ok);
    CHECK_INT_EQ(0, run_wait_fault(&r, 1));   /* no response can be read without a wait */
    for (int nth = 2; nth <= clean_calls && nth <= 12; nth++)
        run_wait_fault(&r, nth);
}

/* Open loop (200/s: 8 arrivals over 35 ms): the inputs not yet due when the
 * wait fails are the schedule's own, reported as failed, not lost. */
TEST(engine_faults_loop_wait_open)
{
    struct run r = { .inputs = 8, .concurrency = 8, .rate = 200, .keepalive = true, .want_detail = WAIT_DETAIL };
    CHECK_INT_EQ(0, run_wait_fault(&r, 1));
    for (int nth = 2; nth <= 6; nth++)
        run_wait_fault(&r, nth);
}

/* During preconnect nothing has started yet: the whole schedule fails. */
TEST(engine_faults_loop_wait_preconnect)
{
    struct run r = { .inputs = 6, .concurrency = 2, .keepalive = true, .preconnect = true,
                     .want_detail = WAIT_DETAIL };
    CHECK_INT_EQ(0, run_wait_fault(&r, 1));
    run_wait_fault(&r, 2);
}

/* Batched (2 per request, a 50 ms batch window): inputs waiting in the
 * batcher fail with the same detail as those in flight. */
TEST(engine_faults_loop_wait_batch)
{
    struct run r = { .inputs = 6, .concurrency = 3, .connections = 1, .batch = 2,
                     .batch_wait_ns = 50 * TG_NS_PER_MS, .keepalive = true, .want_detail = WAIT_DETAIL };
    CHECK_INT_EQ(0, run_wait_fault(&r, 1));
    for (int nth = 2; nth <= 5; nth++)
        run_wait_fault(&r, nth);
}

/* Two workers sharing the closed loop's counter: the one whose wait fails
 * takes every id not claimed yet while the other still claims; each id is
 * reported once over both workers' rows.  Wait #16 is always reached: a
 * clean run reads 48 responses, at most 2 per wait (each worker has 2 in
 * flight), so it makes at least 24 waits whatever the timing. */
struct seen2 {
    struct seen s[2];
};

static long long do_run_two_workers(uint64_t inputs, int nth, struct seen2 *out)
{
    static struct server srv;
    signal(SIGPIPE, SIG_IGN);
    server_start(&srv, 0);
    static struct tg_api api;
    api = *tg_api_find("tailgate");
    api.split = any_split;
    api.stream_event = NULL;
    char path[] = "/tmp/tg_faults_XXXXXX";
    int fd = mkstemp(path);
    MUST(fd >= 0);
    MUST(write(fd, "{\"model\":\"m\",\"input\":\"x\"}\n", 26) == 26);
    close(fd);
    struct tg_payloads *pl = NULL;
    char why[200] = "";
    MUST(tg_payloads_load(path, &api, &pl, why, sizeof why) == 0);
    unlink(path);
    memset(out, 0, sizeof *out);
    out->s[0].want_detail = out->s[1].want_detail = WAIT_DETAIL;
    void *ctx[2] = { &out->s[0], &out->s[1] };
    struct tg_engine_config cfg = {
        .payloads = pl, .inputs = inputs, .concurrency = 4, .batch = 1, .api = &api, .connections = 4,
        .keepalive = true, .timeout_ns = 10 * TG_NS_PER_S, .threads = 2, .parse_outputs = true,
        .max_response_bytes = 1 << 20, .on_result = on_row, .worker_ctx = ctx,
    };
    const char *uwhy = NULL;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/embed", ntohs(srv.addr.sin_port));
    MUST(tg_url_parse(url, &cfg.url, &uwhy) == 0);
    memcpy(&cfg.addr, &srv.addr, sizeof srv.addr);
    cfg.addrlen = sizeof srv.addr;
    fault_arm(TG_FAULT_LOOP_WAIT, nth);
    struct tg_engine *e = NULL;
    MUST(tg_engine_new(&cfg, &e) == 0);
    MUST(tg_engine_start(e) == 0);
    /* bounded: the timeout (10 s) ends any request; 30 s is far past it */
    for (int i = 0; i < 3000 && !tg_engine_finished(e); i++)
        usleep(10 * 1000);
    CHECK(tg_engine_finished(e));
    const struct tg_engine_totals *t = NULL;
    MUST(tg_engine_join(e, &t) == 0);
    long long n = (long long)t->inputs;
    tg_fault_hook = NULL;
    tg_engine_free(e);
    server_stop(&srv);
    tg_payloads_free(pl);
    return n;
}

TEST(engine_faults_loop_wait_two_workers)
{
    enum { N = 48 };
    for (int nth = 1; nth <= 16; nth++) {
        struct seen2 s2;
        long long t = do_run_two_workers(N, nth, &s2);
        struct seen sum = { 0 };
        for (int k = 0; k < 2; k++) {
            sum.n += s2.s[k].n;
            sum.ok += s2.s[k].ok;
            sum.odd_detail += s2.s[k].odd_detail;
            for (int i = 0; i < N; i++)
                sum.times[i] += s2.s[k].times[i];
            for (int c = 0; c < TG_ERRC_COUNT; c++)
                sum.by_class[c] += s2.s[k].by_class[c];
        }
        printf("    fail wait #%d of 2 workers: fired %d, rows %d + %d, ok %d, read %d\n", nth,
               atomic_load(&fault_fired), s2.s[0].n, s2.s[1].n, sum.ok, sum.by_class[TG_ERRC_READ]);
        check_once(&sum, N, t);
        CHECK_INT_EQ(1, atomic_load(&fault_fired));
        CHECK_INT_EQ(N, sum.ok + sum.by_class[TG_ERRC_READ]);
        CHECK(sum.by_class[TG_ERRC_READ] > 0);
        CHECK_INT_EQ(0, sum.odd_detail);
    }
}
