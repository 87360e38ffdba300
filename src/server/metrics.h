/*
 * metrics.h - HTTP-side counters of the placeholder server and the
 * Prometheus text exposition (version 0.0.4) of them plus the accelerator's.
 *
 * Thread-safe: every function takes the struct's mutex (one short lock per
 * answered request).
 */
#ifndef TG_SERVER_METRICS_H
#define TG_SERVER_METRICS_H

#include "core/buf.h"
#include "server/accel.h"
#include "server/llm.h"

#include <pthread.h>
#include <stdint.h>

/* Statuses counted by name; anything else lands in "other". */
#define TG_METRICS_STATUSES { 200, 400, 404, 405, 413, 422, 429, 500, 503 }
#define TG_METRICS_NSTATUS 10

struct tg_metrics {
    pthread_mutex_t mu;
    uint64_t by_status[TG_METRICS_NSTATUS]; /* index of TG_METRICS_STATUSES, last = other */
    uint64_t infer_requests;                /* inference answers (every dialect), any status */
    uint64_t items_ok;                      /* items answered with 200 */
    double queue_ms_sum, compute_ms_sum;    /* over 200 inference answers */
};

void tg_metrics_init(struct tg_metrics *m);
void tg_metrics_destroy(struct tg_metrics *m);

/* Counts one answered request. infer: it was an inference request; items:
 * inputs answered (0 unless status 200). */
void tg_metrics_count(struct tg_metrics *m, int status, int infer, unsigned items,
                      double queue_ms, double compute_ms);

/* Appends the Prometheus text for m, the accelerator stats a and the open
 * connection count.  Returns 0 or TG_ENOMEM. */
int tg_metrics_write(struct tg_metrics *m, const struct tg_accel_stats *a, unsigned connections,
                     struct tg_buf *out);

/* Appends the placeholder LLM's metrics, named as vLLM's (with its
 * model_name label): vllm:num_requests_running / _waiting (gauges),
 * vllm:gpu_cache_usage_perc (KV tokens held / budget, 0..1),
 * vllm:prompt_tokens_total (prefilled, recomputation included),
 * vllm:generation_tokens_total, vllm:num_preemptions_total,
 * vllm:request_success_total, plus tailgate_llm_steps_total and
 * tailgate_llm_kv_tokens.  Returns 0 or TG_ENOMEM. */
int tg_metrics_write_llm(const struct tg_llm_stats *l, const char *model, struct tg_buf *out);

#endif
