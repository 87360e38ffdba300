/*
 * worker.h - one worker thread's state: its loop, connection pool, request
 * and input slots, scheduler, batcher and statistics.  Internal to the
 * engine (engine.c creates, runs and merges workers).  A worker is touched
 * only by its own thread between tg_worker_run()'s start and end, except the
 * atomics marked below.
 */
#ifndef TG_ENGINE_WORKER_H
#define TG_ENGINE_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/batch.h"
#include "engine/engine.h"
#include "engine/loop.h"
#include "engine/sched.h"

struct tg_hist;
struct worker;

struct worker_stats {
    uint64_t inputs, ok;
    uint64_t by_class[TG_ERRC_COUNT];
    uint64_t http_requests, connections_opened;
    uint64_t bytes_out, bytes_in;
    uint64_t late_inputs, max_lag_ns;
    double lag_sum_ns;
    struct tg_hist *send_lag;        /* open loop: µs, every admitted input */
    uint64_t lag_late, lag_late_cap, cap_waited;
    uint64_t intended_first_ns, intended_last_ns, started_first_ns, started_last_ns;
    struct tg_hist *latency, *latency_uncorrected;
    struct tg_hist *phase[TG_PHASE_COUNT];
    char first_error[160];
    uint64_t timing_server_timing;   /* responses whose server queue/compute came from Server-Timing */
    uint64_t timing_headers;         /* … from the dialect's timing headers (TEI's x-queue-time) */
    /* https only */
    uint64_t tls_handshakes;
    struct tg_hist *tls_handshake;   /* µs, every completed handshake */
    char tls_protocol[16], tls_cipher[64];
    char first_tls_error[160];
    bool tls_verify_failed;
    /* streaming: ok inputs whose response streamed */
    uint64_t streamed, output_tokens, tokens_from_usage;
    struct tg_hist *ttft, *tpot, *itl;   /* µs */
};

struct tg_worker_shared {
    const struct tg_engine_config *cfg;
    const struct tg_buf *prebuilt;   /* per payload: the whole unbatched request */
    size_t xid_off;                  /* cfg->request_ids: offset of the X-Request-Id value in each */
    _Atomic uint64_t next_id;        /* closed loop ids */
    uint64_t start_ns;               /* common start of the schedule */
};

/* Creates worker `index` of `count` with its share of concurrency,
 * connections and rate.  Returns NULL on allocation failure. */
struct worker *tg_worker_new(struct tg_worker_shared *sh, uint32_t index, uint32_t count);
void tg_worker_free(struct worker *w);
/* Runs the worker's loop to the end (thread body).  Returns 0 or -errno. */
int tg_worker_run(struct worker *w);
/* Async-signal-safe: asks the worker to stop (eventfd). */
void tg_worker_interrupt(struct worker *w);
const struct worker_stats *tg_worker_stats(const struct worker *w);
struct tg_sched *tg_worker_sched(struct worker *w);
bool tg_worker_interrupted(const struct worker *w);
/* Progress counters, written by the worker only (relaxed). */
uint64_t tg_worker_done(const struct worker *w);
uint64_t tg_worker_failed(const struct worker *w);
bool tg_worker_finished(const struct worker *w);
/* Inputs admitted and not yet finished (relaxed; any thread). */
uint32_t tg_worker_in_flight(const struct worker *w);

/* Emits the row of an input that was never started (interrupted), on the
 * calling thread, through cfg->on_result with ctx. */
void tg_worker_emit_unsent(const struct tg_engine_config *cfg, void *ctx, uint64_t id, uint64_t start_ns);

#endif
