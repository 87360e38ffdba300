/*
 * worker.c - one worker's life cycle: creating its slots, running its loop
 * (preconnect, then the schedule), the pump that admits inputs and sends due
 * batches after every event, the timers (schedule, batch deadlines, timeout
 * sweep, row flushing, end) and the stop on SIGINT/SIGTERM.  The connection,
 * reading, admission and output units are described in worker_internal.h.
 */
#include "engine/worker_internal.h"

#include "api/api.h"
#include "core/error.h"
#include "core/time.h"
#include "stats/hist.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define FLUSH_NS (100 * TG_NS_PER_MS)
/* sched_timer, batch_timer, sweep_timer, flush_timer, end_timer */
#define WK_TIMERS 5

/* Arms one of the worker's timers.  tg_worker_new reserved heap room for all
 * WK_TIMERS of them, so this cannot fail (loop.h): no input is ever left
 * waiting for a timer that was not armed.  The unit test
 * engine_faults_timer_heap checks that a run never grows the heap. */
static void arm(struct worker *w, struct tg_loop_timer *t, uint64_t deadline_ns)
{
    int rc = tg_loop_timer_start(w->loop, t, deadline_ns);
    (void)rc;
}

static void finish_worker(struct worker *w)
{
    tg_loop_stop(w->loop);
}

void tg_wk_pump(struct worker *w)
{
    if (w->stopping || !w->started)
        return;
    uint64_t now = tg_loop_update_now(w->loop);
    for (;;) {
        uint64_t id = 0, intended = 0, wake = 0;
        enum tg_sched_res r = tg_sched_poll(&w->sched, now, w->in_flight, &id, &intended, &wake);
        if (r == TG_SCHED_ADMIT) {
            uint32_t before = w->in_flight;
            tg_wk_admit(w, id, intended);
            /* An input that failed at once (no request slot, no socket) must
             * not freeze the clock: a -d run would admit and fail forever. */
            if (w->in_flight <= before)
                now = tg_loop_update_now(w->loop);
            continue;
        }
        if (r == TG_SCHED_WAIT && wake && (!tg_loop_timer_armed(&w->sched_timer) ||
                                           w->sched_timer.deadline_ns != wake))
            arm(w, &w->sched_timer, wake);
        break;
    }
    if (w->cfg->batch > 1 && w->batcher.pending) {
        int m;
        /* With the schedule done, nothing more will join a partial batch. */
        while ((m = tg_batcher_due(&w->batcher, w->sched.done ? UINT64_MAX : now)) >= 0)
            tg_wk_send_batch(w, (uint32_t)m);
        uint64_t d = tg_batcher_next_deadline(&w->batcher);
        if (d != UINT64_MAX && (!tg_loop_timer_armed(&w->batch_timer) || w->batch_timer.deadline_ns != d))
            arm(w, &w->batch_timer, d);
    }
    if (w->sched.done && w->in_flight == 0)
        finish_worker(w);
}

/* ---- timers and stop ------------------------------------------------------- */

static void on_pump_timer(struct tg_loop *l, struct tg_loop_timer *t)
{
    (void)l;
    tg_wk_pump(t->arg);
}

static void on_sweep(struct tg_loop *l, struct tg_loop_timer *t)
{
    struct worker *w = t->arg;
    uint64_t now = tg_loop_now(l);
    for (uint32_t i = 0; i < w->nconns; i++) {
        struct conn *c = &w->conns[i];
        if (c->state == CONN_CLOSED || c->state == CONN_IDLE || c->deadline_ns > now)
            continue;
        snprintf(w->detail, sizeof w->detail, "timeout after %" PRIu64 " ms (connection %s, request %s)",
                 (uint64_t)(w->cfg->timeout_ns / TG_NS_PER_MS), tg_wk_conn_state_names[c->state],
                 c->req ? tg_wk_req_state_names[c->req->state] : "none");
        enum tg_errc errc = TG_ERRC_TIMEOUT;
        struct req *r = c->req;
        tg_wk_conn_close(w, c);
        if (r)
            tg_wk_req_fail(w, r, errc, w->detail);
        else
            tg_wk_preconnect_step(w);
        tg_wk_after_close(w);
    }
    arm(w, t, now + w->sweep_ns);
    tg_wk_pump(w);
}

static void on_flush(struct tg_loop *l, struct tg_loop_timer *t)
{
    struct worker *w = t->arg;
    if (w->cfg->on_flush)
        w->cfg->on_flush(w->cfg->worker_ctx[w->index]);
    arm(w, t, tg_loop_now(l) + FLUSH_NS);
}

/* Stops the schedule and fails every input in flight, waiting for a
 * connection (why) or in a batch not yet sent (why_unsent). */
static void fail_in_flight(struct worker *w, enum tg_errc errc, const char *why, const char *why_unsent)
{
    w->stopping = true;
    tg_sched_stop(&w->sched);
    for (uint32_t i = 0; i < w->nconns; i++) {
        struct conn *c = &w->conns[i];
        struct req *r = c->req;
        tg_wk_conn_close(w, c);
        if (r)
            tg_wk_req_fail(w, r, errc, why);
    }
    while (w->qlen) {
        struct req *r = &w->reqs[w->queue[w->qhead]];
        w->qhead = (w->qhead + 1) % w->nreqs;
        w->qlen--;
        tg_wk_req_fail(w, r, errc, why);
    }
    for (size_t m = 0; m < w->batcher.ngroups && w->cfg->batch > 1; m++) {
        uint32_t n = tg_batcher_take(&w->batcher, (uint32_t)m, w->take);
        for (uint32_t k = 0; k < n; k++)
            tg_wk_finish_input(w, w->take[k], NULL, errc, why_unsent, NULL, NULL, 0);
    }
}

/* SIGINT/SIGTERM: fail everything in flight or waiting as interrupted. */
static void on_stop(struct tg_loop *l, struct tg_loop_io *io, unsigned ev)
{
    (void)ev;
    struct worker *w = io->arg;
    uint64_t v;
    if (read(w->stop_fd, &v, sizeof v) < 0 && errno == EAGAIN)
        return;
    w->interrupted = true;
    tg_loop_update_now(l);
    fail_in_flight(w, TG_ERRC_INTERRUPTED, "interrupted (SIGINT/SIGTERM) while in flight",
                   "interrupted before it was sent");
    finish_worker(w);
}

static void on_end(struct tg_loop *l, struct tg_loop_timer *t)
{
    (void)l;
    tg_wk_pump(t->arg);
}

/* ---- lifecycle --------------------------------------------------------------- */

static uint32_t share(uint32_t total, uint32_t index, uint32_t count)
{
    return total / count + (index < total % count ? 1 : 0);
}

struct worker *tg_worker_new(struct tg_worker_shared *sh, uint32_t index, uint32_t count)
{
    const struct tg_engine_config *cfg = sh->cfg;
    struct worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->sh = sh;
    w->cfg = cfg;
    w->index = index;
    w->count = count;
    w->stop_fd = -1;
    w->idle_head = TG_WK_NONE;
    w->max_in_flight = share(cfg->concurrency, index, count);
    if (w->max_in_flight == 0)
        w->max_in_flight = 1;
    w->nconns = share(cfg->connections, index, count);
    if (w->nconns == 0)
        w->nconns = 1;
    w->nreqs = w->max_in_flight;
    uint32_t b = cfg->batch ? cfg->batch : 1;
    if (!(w->loop = tg_loop_new()) || tg_loop_timer_reserve(w->loop, WK_TIMERS) != 0)
        goto fail;
    w->inputs = calloc(w->max_in_flight, sizeof *w->inputs);
    w->reqs = calloc(w->nreqs, sizeof *w->reqs);
    w->queue = calloc(w->nreqs, sizeof *w->queue);
    w->conns = calloc(w->nconns, sizeof *w->conns);
    w->take = calloc(b, sizeof *w->take);
    if (!w->inputs || !w->reqs || !w->queue || !w->conns || !w->take)
        goto fail;
    for (uint32_t i = 0; i < w->max_in_flight; i++)
        w->inputs[i].next_free = i + 1 < w->max_in_flight ? i + 1 : TG_WK_NONE;
    w->free_input = 0;
    for (uint32_t i = 0; i < w->nconns; i++) {
        struct conn *c = &w->conns[i];
        c->w = w;
        c->index = i;
        c->nc.fd = -1;
        c->rb = (struct tg_buf)TG_BUF_INIT(cfg->max_response_bytes + 1);
        tg_loop_io_init(&c->io, tg_wk_conn_on_io, c);   /* rb grows on first use, then is reused */
        tg_wk_stream_init(&c->stream, cfg->max_response_bytes);
    }
    w->can_stream = cfg->api && cfg->api->stream_event && cfg->parse_outputs;
    w->canon = (struct tg_buf)TG_BUF_INIT(0);
    if (b > 1 && cfg->request_ids) {
        /* batched requests are written per send: cfg's headers and X-Request-Id last */
        if (!(w->hdrs = calloc(cfg->nheaders + 1, sizeof *w->hdrs)))
            goto fail;
        for (size_t i = 0; i < cfg->nheaders; i++)
            w->hdrs[i] = cfg->headers[i];
        w->hdrs[cfg->nheaders] = (struct tg_http_kv){ "X-Request-Id", "" };
    }
    for (uint32_t i = 0; i < w->nreqs; i++) {
        struct req *r = &w->reqs[i];
        r->next_free = i + 1 < w->nreqs ? i + 1 : TG_WK_NONE;
        r->wire = (struct tg_buf)TG_BUF_INIT(0);
        r->body = (struct tg_buf)TG_BUF_INIT(0);
        if (!(r->inputs = calloc(b, sizeof *r->inputs)))
            goto fail;
    }
    w->free_req = 0;
    if (b > 1 && tg_batcher_init(&w->batcher, cfg->payloads->ngroups, b, cfg->batch_wait_ns) != 0)
        goto fail;
    w->st.latency = tg_hist_new(TG_WK_HIST_MAX_US);
    w->st.latency_uncorrected = tg_hist_new(TG_WK_HIST_MAX_US);
    if (!w->st.latency || !w->st.latency_uncorrected)
        goto fail;
    for (int p = 0; p < TG_PHASE_COUNT; p++)
        if (!(w->st.phase[p] = tg_hist_new(TG_WK_HIST_MAX_US)))
            goto fail;
    if (!(w->st.tls_handshake = tg_hist_new(TG_WK_HIST_MAX_US)))
        goto fail;
    if (tg_engine_open_loop(cfg) && !(w->st.send_lag = tg_hist_new(TG_WK_HIST_MAX_US)))
        goto fail;
    if (w->can_stream && (!(w->st.ttft = tg_hist_new(TG_WK_HIST_MAX_US)) ||
                          !(w->st.tpot = tg_hist_new(TG_WK_HIST_MAX_US)) ||
                          !(w->st.itl = tg_hist_new(TG_WK_HIST_MAX_US))))
        goto fail;
    w->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->stop_fd < 0)
        goto fail;
    tg_loop_io_init(&w->stop_io, on_stop, w);
    if (tg_loop_add(w->loop, &w->stop_io, w->stop_fd, TG_LOOP_READ) < 0)
        goto fail;
    tg_loop_timer_init(&w->sched_timer, on_pump_timer, w);
    tg_loop_timer_init(&w->batch_timer, on_pump_timer, w);
    tg_loop_timer_init(&w->sweep_timer, on_sweep, w);
    tg_loop_timer_init(&w->flush_timer, on_flush, w);
    tg_loop_timer_init(&w->end_timer, on_end, w);
    const struct tg_api *api = cfg->api;
    if (api && (api->queue_time_header || api->compute_time_header)) {
        const char *names[] = { [TG_WK_WATCH_QUEUE] = api->queue_time_header,
                                [TG_WK_WATCH_COMPUTE] = api->compute_time_header };
        for (int i = 0; i < 2; i++) {
            w->watch.name[i] = names[i];
            w->watch.len[i] = names[i] ? strlen(names[i]) : 0;
        }
        w->watchp = &w->watch;
    }
    w->sweep_ns = cfg->timeout_ns / 20;
    if (w->sweep_ns > 100 * TG_NS_PER_MS)
        w->sweep_ns = 100 * TG_NS_PER_MS;
    if (w->sweep_ns < TG_NS_PER_MS)
        w->sweep_ns = TG_NS_PER_MS;
    return w;
fail:
    tg_worker_free(w);
    return NULL;
}

void tg_worker_free(struct worker *w)
{
    if (!w)
        return;
    if (w->conns)
        for (uint32_t i = 0; i < w->nconns; i++) {
            tg_net_close(&w->conns[i].nc);
            tg_buf_free(&w->conns[i].rb);
            tg_wk_stream_free(&w->conns[i].stream);
        }
    if (w->reqs)
        for (uint32_t i = 0; i < w->nreqs; i++) {
            free(w->reqs[i].inputs);
            tg_buf_free(&w->reqs[i].wire);
            tg_buf_free(&w->reqs[i].body);
        }
    if (w->cfg->batch > 1)
        tg_batcher_free(&w->batcher);
    tg_hist_free(w->st.latency);
    tg_hist_free(w->st.latency_uncorrected);
    for (int p = 0; p < TG_PHASE_COUNT; p++)
        tg_hist_free(w->st.phase[p]);
    tg_hist_free(w->st.tls_handshake);
    tg_hist_free(w->st.send_lag);
    tg_hist_free(w->st.ttft);
    tg_hist_free(w->st.tpot);
    tg_hist_free(w->st.itl);
    tg_buf_free(&w->canon);
    free(w->hdrs);
    if (w->stop_fd >= 0)
        close(w->stop_fd);
    tg_loop_free(w->loop);
    free(w->inputs);
    free(w->reqs);
    free(w->queue);
    free(w->conns);
    free(w->take);
    free(w);
}

/* An input the failed worker's schedule still held (the loop is gone, so it
 * can never start): the row of tg_worker_emit_unsent with the failure's
 * class and detail, counted in this worker's statistics like any failed
 * input.  Closed loop with a shared counter: this takes every id no worker
 * claimed yet (tg_sched_for_each_unclaimed is safe against their claims),
 * so the others finish what they hold and stop. */
static void fail_unclaimed(void *ctx, uint64_t id)
{
    struct worker *w = ctx;
    struct tg_input_result res = {
        .request_id = id, .timestamp_ms = tg_wall_ms(), .client_queue_ns = -1, .connect_ns = -1, .tls_ns = -1,
        .ttfb_ns = -1, .service_ns = -1, .server_queue_ms = -1, .server_compute_ms = -1,
        .errc = TG_ERRC_READ, .error_detail = w->detail, .worker = w->index,
        .ttft_ns = -1, .tpot_ms = -1, .itl_max_ns = -1,
    };
    w->cfg->on_result(w->cfg->worker_ctx[w->index], &res);
    w->st.inputs++;
    w->st.by_class[TG_ERRC_READ]++;
    if (!w->st.first_error[0])
        snprintf(w->st.first_error, sizeof w->st.first_error, "%.*s", (int)sizeof w->st.first_error - 1, w->detail);
    atomic_store_explicit(&w->failed, atomic_load_explicit(&w->failed, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    atomic_store_explicit(&w->done, w->st.inputs, memory_order_relaxed);
}

/* Returns the end of the schedule (UINT64_MAX: none). */
static uint64_t init_sched(struct worker *w, uint64_t now)
{
    const struct tg_engine_config *cfg = w->cfg;
    /* Preconnect delays the start; otherwise all workers share one start. */
    uint64_t start = cfg->preconnect ? now : w->sh->start_ns;
    uint64_t end = cfg->duration_ns ? start + cfg->duration_ns : UINT64_MAX;
    if (tg_engine_open_loop(cfg)) {
        /* this worker's stripe of the one global sequence (of this shard's part of it) */
        struct tg_arrival_spec spec = tg_engine_arrival_spec(cfg);
        tg_sched_init_open(&w->sched, &spec, tg_stripe_sub(cfg->shard, w->index, w->count), start,
                           w->max_in_flight, cfg->inputs, end);   /* spec checked by tg_engine_new */
    } else {
        tg_sched_init_closed(&w->sched, w->max_in_flight, cfg->inputs, end,
                             w->count > 1 ? &w->sh->next_id : NULL);
        if (cfg->shard.stride > 1)   /* a shard: its ids of the global plan */
            tg_sched_closed_stripe(&w->sched, cfg->shard);
        if (cfg->stages && cfg->stages_concurrency)
            tg_sched_set_stages(&w->sched, cfg->stages, cfg->nstages, start, w->index, w->count);
    }
    return end;
}

int tg_worker_run(struct worker *w)
{
    const struct tg_engine_config *cfg = w->cfg;
    struct tg_loop *l = w->loop;
    uint64_t now = tg_loop_update_now(l);
    tg_wk_wall_anchor();
    arm(w, &w->sweep_timer, now + w->sweep_ns);
    arm(w, &w->flush_timer, now + FLUSH_NS);
    if (cfg->preconnect) {
        for (uint32_t i = 0; i < w->nconns; i++) {
            w->preconnecting++;
            tg_wk_conn_open(w, &w->conns[i], NULL);
        }
    }
    /* Initialised before preconnect so that an interrupt during it still
     * knows which inputs were never started; re-initialised (nothing claimed
     * yet) once the schedule really starts. */
    init_sched(w, now);
    /* The schedule starts after preconnect (if any) has settled. */
    int rc = 0;
    while (w->preconnecting && !w->stopping) {
        w->started = false;
        if ((rc = tg_loop_run(l)) != 0 || !w->preconnecting)
            break;
    }
    if (!w->stopping && rc == 0) {
        now = tg_loop_update_now(l);
        uint64_t end = init_sched(w, now);
        if (end != UINT64_MAX)
            arm(w, &w->end_timer, end);
        w->started = true;
        tg_wk_pump(w);
        if (!(w->sched.done && w->in_flight == 0))
            rc = tg_loop_run(l);
    }
    if (rc != 0) {
        /* epoll_wait failed (EBADF, EINVAL: a bug, not a run's condition):
         * what was in flight, and what this worker would still have started,
         * gets its rows now (nothing else will start them). */
        snprintf(w->detail, sizeof w->detail, "epoll_wait: %s", tg_strerror(rc));
        tg_loop_update_now(l);
        fail_in_flight(w, TG_ERRC_READ, w->detail, w->detail);
        tg_sched_for_each_unclaimed(&w->sched, fail_unclaimed, w);
    }
    for (uint32_t i = 0; i < w->nconns; i++)
        tg_wk_conn_close(w, &w->conns[i]);
    if (cfg->on_flush)
        cfg->on_flush(cfg->worker_ctx[w->index]);
    atomic_store(&w->finished, true);
    return rc;
}

void tg_worker_interrupt(struct worker *w)
{
    uint64_t one = 1;
    ssize_t n = write(w->stop_fd, &one, sizeof one);
    (void)n;
}

const struct worker_stats *tg_worker_stats(const struct worker *w) { return &w->st; }
struct tg_sched *tg_worker_sched(struct worker *w) { return &w->sched; }
bool tg_worker_interrupted(const struct worker *w) { return w->interrupted; }
uint64_t tg_worker_done(const struct worker *w) { return atomic_load_explicit(&w->done, memory_order_relaxed); }
uint64_t tg_worker_failed(const struct worker *w) { return atomic_load_explicit(&w->failed, memory_order_relaxed); }
bool tg_worker_finished(const struct worker *w) { return atomic_load(&w->finished); }
uint32_t tg_worker_in_flight(const struct worker *w) { return atomic_load_explicit(&w->in_flight, memory_order_relaxed); }
