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
