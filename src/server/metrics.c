#include "server/metrics.h"

#include <string.h>

static const int statuses[TG_METRICS_NSTATUS - 1] = TG_METRICS_STATUSES;

void tg_metrics_init(struct tg_metrics *m)
{
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->mu, NULL);
}

void tg_metrics_destroy(struct tg_metrics *m) { pthread_mutex_destroy(&m->mu); }

void tg_metrics_count(struct tg_metrics *m, int status, int infer, unsigned items,
                      double queue_ms, double compute_ms)
{
    size_t i = 0;
    while (i < TG_METRICS_NSTATUS - 1 && statuses[i] != status)
        i++;
    pthread_mutex_lock(&m->mu);
    m->by_status[i]++;
    if (infer) {
        m->infer_requests++;
        m->items_ok += items;
        if (status == 200) {
            m->queue_ms_sum += queue_ms;
            m->compute_ms_sum += compute_ms;
        }
    }
    pthread_mutex_unlock(&m->mu);
}

int tg_metrics_write(struct tg_metrics *m, const struct tg_accel_stats *a, unsigned connections,
                     struct tg_buf *out)
{
    pthread_mutex_lock(&m->mu);
    struct tg_metrics c = *m;
    pthread_mutex_unlock(&m->mu);

    int rc = tg_buf_puts(out,
        "# HELP tailgate_http_requests_total HTTP requests answered by the application, by status.\n"
        "# TYPE tailgate_http_requests_total counter\n");
    for (size_t i = 0; !rc && i < TG_METRICS_NSTATUS; i++) {
        if (i < TG_METRICS_NSTATUS - 1)
            rc = tg_buf_printf(out, "tailgate_http_requests_total{code=\"%d\"} %llu\n",
                               statuses[i], (unsigned long long)c.by_status[i]);
        else
            rc = tg_buf_printf(out, "tailgate_http_requests_total{code=\"other\"} %llu\n",
                               (unsigned long long)c.by_status[i]);
    }
    rc = rc ? rc : tg_buf_printf(out,
        "# HELP tailgate_infer_requests_total Inference requests answered (every dialect), any status.\n"
        "# TYPE tailgate_infer_requests_total counter\n"
        "tailgate_infer_requests_total %llu\n"
        "# HELP tailgate_infer_items_total Inputs answered with status 200.\n"
        "# TYPE tailgate_infer_items_total counter\n"
        "tailgate_infer_items_total %llu\n"
        "# HELP tailgate_infer_queue_seconds_total Sum of server queue time of 200 answers.\n"
        "# TYPE tailgate_infer_queue_seconds_total counter\n"
        "tailgate_infer_queue_seconds_total %.6f\n"
        "# HELP tailgate_infer_compute_seconds_total Sum of compute time of 200 answers (a batch counts once per request).\n"
        "# TYPE tailgate_infer_compute_seconds_total counter\n"
        "tailgate_infer_compute_seconds_total %.6f\n",
        (unsigned long long)c.infer_requests, (unsigned long long)c.items_ok,
        c.queue_ms_sum / 1e3, c.compute_ms_sum / 1e3);
    rc = rc ? rc : tg_buf_printf(out,
        "# HELP tailgate_queue_depth_requests Requests waiting for the accelerator.\n"
        "# TYPE tailgate_queue_depth_requests gauge\n"
        "tailgate_queue_depth_requests %zu\n"
        "# HELP tailgate_queue_depth_items Inputs waiting for the accelerator.\n"
        "# TYPE tailgate_queue_depth_items gauge\n"
        "tailgate_queue_depth_items %zu\n"
        "# HELP tailgate_queue_rejected_total Requests refused with 429 (queue full).\n"
        "# TYPE tailgate_queue_rejected_total counter\n"
        "tailgate_queue_rejected_total %llu\n"
        "# HELP tailgate_executions_total Accelerator executions started.\n"
        "# TYPE tailgate_executions_total counter\n"
        "tailgate_executions_total %llu\n"
        "# HELP tailgate_executions_running Executions in progress.\n"
        "# TYPE tailgate_executions_running gauge\n"
        "tailgate_executions_running %u\n"
        "# HELP tailgate_slots Parallel execution instances.\n"
        "# TYPE tailgate_slots gauge\n"
        "tailgate_slots %u\n"
        "# HELP tailgate_busy_seconds_total Simulated execution time summed over slots.\n"
        "# TYPE tailgate_busy_seconds_total counter\n"
        "tailgate_busy_seconds_total %.6f\n"
        "# HELP tailgate_open_connections HTTP connections currently open.\n"
        "# TYPE tailgate_open_connections gauge\n"
        "tailgate_open_connections %u\n"
        "# HELP tailgate_batch_size Inputs per accelerator execution.\n"
        "# TYPE tailgate_batch_size histogram\n",
        a->queued_jobs, a->queued_items, (unsigned long long)a->jobs_rejected,
        (unsigned long long)a->executions, a->running, a->slots, a->busy_ms / 1e3, connections);
    uint64_t cum = 0;
    for (unsigned i = 0; !rc && i < TG_ACCEL_HIST_BUCKETS; i++) {
        cum += a->batch_hist[i];
        if (i < TG_ACCEL_HIST_BUCKETS - 1)
            rc = tg_buf_printf(out, "tailgate_batch_size_bucket{le=\"%u\"} %llu\n", 1u << i,
                               (unsigned long long)cum);
        else
            rc = tg_buf_printf(out, "tailgate_batch_size_bucket{le=\"+Inf\"} %llu\n",
                               (unsigned long long)cum);
    }
    return rc ? rc : tg_buf_printf(out, "tailgate_batch_size_sum %llu\ntailgate_batch_size_count %llu\n",
                                   (unsigned long long)a->items_executed,
                                   (unsigned long long)a->executions);
}

int tg_metrics_write_llm(const struct tg_llm_stats *l, const char *model, struct tg_buf *out)
{
    double usage = l->kv_tokens ? (double)l->kv_held / (double)l->kv_tokens : 0;
    return tg_buf_printf(out,
        "# HELP vllm:num_requests_running Number of requests currently running on GPU.\n"
        "# TYPE vllm:num_requests_running gauge\n"
        "vllm:num_requests_running{model_name=\"%s\"} %zu\n"
        "# HELP vllm:num_requests_waiting Number of requests waiting to be processed.\n"
        "# TYPE vllm:num_requests_waiting gauge\n"
        "vllm:num_requests_waiting{model_name=\"%s\"} %zu\n"
        "# HELP vllm:gpu_cache_usage_perc KV-cache usage. 1 means 100 percent usage.\n"
        "# TYPE vllm:gpu_cache_usage_perc gauge\n"
        "vllm:gpu_cache_usage_perc{model_name=\"%s\"} %.6f\n"
        "# HELP vllm:prompt_tokens_total Number of prefill tokens processed.\n"
        "# TYPE vllm:prompt_tokens_total counter\n"
        "vllm:prompt_tokens_total{model_name=\"%s\"} %llu\n"
        "# HELP vllm:generation_tokens_total Number of generation tokens processed.\n"
        "# TYPE vllm:generation_tokens_total counter\n"
        "vllm:generation_tokens_total{model_name=\"%s\"} %llu\n"
        "# HELP vllm:num_preemptions_total Cumulative number of preemption from the engine.\n"
        "# TYPE vllm:num_preemptions_total counter\n"
        "vllm:num_preemptions_total{model_name=\"%s\"} %llu\n"
        "# HELP vllm:request_success_total Count of successfully processed requests.\n"
        "# TYPE vllm:request_success_total counter\n"
        "vllm:request_success_total{model_name=\"%s\"} %llu\n"
        "# HELP tailgate_llm_steps_total Simulated engine steps (iterations) run.\n"
        "# TYPE tailgate_llm_steps_total counter\n"
        "tailgate_llm_steps_total %llu\n"
        "# HELP tailgate_llm_kv_tokens KV-cache budget of the placeholder LLM, tokens.\n"
        "# TYPE tailgate_llm_kv_tokens gauge\n"
        "tailgate_llm_kv_tokens %llu\n",
        model, l->running, model, l->waiting, model, usage, model,
        (unsigned long long)l->prompt_tokens, model, (unsigned long long)l->generation_tokens,
        model, (unsigned long long)l->preemptions, model, (unsigned long long)l->finished,
        (unsigned long long)l->steps, (unsigned long long)l->kv_tokens);
}
