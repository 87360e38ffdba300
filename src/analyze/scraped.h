/*
 * scraped.h - the server's own Prometheus series, scraped during a run
 * (`--scrape`, server_metrics.csv: time_ms,metric,labels,value), as
 * queueing and saturation evidence when the server reports no per-request
 * time (no Server-Timing).  docs/analysis.md, "Scraped server metrics".
 *
 * Known series (a table in scraped.c, first match per role wins unless a
 * later one shows activity):
 *   queue    tailgate_queue_depth_requests (tailgate serve),
 *            vllm:num_requests_waiting (vLLM), te_queue_size (TEI),
 *            nv_inference_pending_request_count (Triton)
 *   running  tailgate_executions_running (tailgate serve, limit tailgate_slots),
 *            vllm:num_requests_running (vLLM)
 *   Triton   nv_inference_queue_duration_us / nv_inference_request_success
 *            (cumulative: their increase over the window gives the mean queue
 *            time per request)
 * A gauge's value at one scrape is the sum over its label sets (every model).
 *
 * Pure but for reading the file; never prints; thread-safe per struct.
 */
#ifndef TG_ANALYZE_SCRAPED_H
#define TG_ANALYZE_SCRAPED_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analyze/prows.h"

struct tg_analysis;

struct tg_scraped_series {
    bool found;
    const char *metric;            /* static: the series' name */
    const char *server;            /* static: "tailgate serve", "vLLM", "TEI", "Triton" */
    size_t samples;                /* scrapes within the window */
    double mean, max;              /* over those scrapes */
    double share_positive;         /* scrapes with a value > 0, 0..1 */
};

#define TG_SCRAPED_MAX_POINTS 20000   /* timeline points kept (the plot); more are summarised only */

struct tg_scraped {
    size_t scrapes;                /* distinct scrape times within the window */
    int64_t t_first_ms, t_last_ms; /* of those */
    struct tg_scraped_series queue, running;
    double limit;                  /* the running series' limit (tailgate_slots), NAN unknown */
    bool has_triton;
    double triton_queue_ms;        /* mean queue time per request over the window, NAN unknown */
    /* tg_scraped_judge: */
    bool queueing;                 /* the queue was non-empty in most scrapes (>= 50 %) or Triton's mean queue time >= 1 ms */
    int saturated;                 /* 1: queueing, or running at its limit in >= 80 % of scrapes; 0: neither; -1 unknown */
    double little_queue_ms;        /* mean queue length / request rate (Little's law), NAN unknown */
    /* the timeline (wall ms; NAN where a series had no sample at that scrape) */
    size_t npoints;
    double *t_ms, *queue_v, *running_v;   /* owned; tg_scraped_free */
};

/* Reads csv_path and summarises the known series over the scrapes whose
 * time is within [t_lo_ms, t_hi_ms] (pass INT64_MIN/INT64_MAX for all).
 * Returns 0 (out->scrapes may be 0: nothing known), -ENOENT when there is
 * no such file, TG_EPARSE ("path:line: reason" in err) or TG_ENOMEM. */
int tg_scraped_load(const char *csv_path, int64_t t_lo_ms, int64_t t_hi_ms, struct tg_scraped *out, char *err,
                    size_t errlen);
void tg_scraped_free(struct tg_scraped *s);

/* Sets queueing, saturated and little_queue_ms; request_rate: HTTP
 * requests per second during the window (NAN unknown). */
void tg_scraped_judge(struct tg_scraped *s, double request_rate);

/* One sentence naming the series and what they showed, e.g. "the server's
 * own vllm:num_requests_waiting (vLLM, scraped from /metrics) was > 0 in
 * 95 % of 30 scrapes (mean 6.2, max 9) …".  "" when nothing is known. */
void tg_scraped_sentence(const struct tg_scraped *s, char *out, size_t n);

/* analysis.json "server_metrics": the series, the verdicts; used says
 * whether the analysis rests on them (why: the reason it does not). */
json_t *tg_scraped_json(const struct tg_scraped *s, const char *source, bool used, const char *why);

/* The rows' window (first ready .. last end, wall ms) and their HTTP
 * request rate in it (an input of a batch of b counts 1/b).  Returns the
 * rate, NAN when the rows carry no timestamps (*lo, *hi then span all). */
double tg_scraped_window(const struct tg_prows *r, int64_t *lo, int64_t *hi);

/* With no server-reported time (no Server-Timing) the scraped series are
 * the queueing and saturation evidence.  Before tg_analysis_sentence:
 * fills a->saturated and a->saturation_evidence (into sat_buf) when no
 * sweep decided them, and makes the cause server_queue when the server
 * queued and Little's law puts at least half of the P95 band's time to first
 * byte in its queue.  Returns whether the series are used (why: the reason
 * when not).  After tg_analysis_sentence: tg_scraped_after names the
 * series in a->sentence and a->evidence. */
bool tg_scraped_before(struct tg_analysis *a, const struct tg_scraped *s, char *sat_buf, size_t sat_len,
                       const char **why);
/* file: the CSV's name as the sentence cites it ("server_metrics.csv"). */
void tg_scraped_after(struct tg_analysis *a, const struct tg_scraped *s, bool used, const char *file);

/* analysis.md section "Server metrics (scraped)".  0 or -EIO. */
int tg_scraped_md(FILE *f, const struct tg_scraped *s, const char *source, bool used, const char *why);

#endif
