/*
 * prom.h - the live run in the Prometheus text exposition format 0.0.4
 * (`tailgate run --metrics-listen`; docs/formats.md, "Prometheus
 * exposition").  A pure writer: a snapshot of plain numbers in, the text out.
 * The snapshot is summed by the caller (cli/run_metrics.c) from per-worker
 * shards; this module knows no threads and no engine.
 *
 * Histograms have fixed bucket bounds (seconds), tg_prom_latency_le for
 * latency and TTFT, tg_prom_tpot_le for TPOT; counts are kept per bucket
 * (not cumulative): bucket[i] counts values <= le[i] and > le[i-1],
 * bucket[n] those above the last bound.  The writer makes them cumulative and
 * derives _count from them, so +Inf == _count in every scrape.
 *
 * Thread-safe (no state); allocates only through the tg_buf it writes to.
 */
#ifndef TG_OUTPUT_PROM_H
#define TG_OUTPUT_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define TG_PROM_LATENCY_BUCKETS 16
#define TG_PROM_TPOT_BUCKETS 12
#define TG_PROM_MAX_BUCKETS 16
extern const double tg_prom_latency_le[TG_PROM_LATENCY_BUCKETS];  /* s: 0.001 … 60 */
extern const double tg_prom_tpot_le[TG_PROM_TPOT_BUCKETS];        /* s: 0.001 … 2 */

/* The index of the bucket of v (seconds) among le[0..n): the first bound
 * >= v, n when above them all (NaN too). */
size_t tg_prom_bucket(const double *le, size_t n, double v);

struct tg_prom_hist {
    uint64_t bucket[TG_PROM_MAX_BUCKETS + 1];   /* per bucket, see above */
    double sum_s;                               /* sum of the observed values, seconds */
};

#define TG_PROM_MAX_CLASSES 16

struct tg_prom_snapshot {
    /* tailgate_run_info labels (escaped by the writer); NULL: "" */
    const char *run_token, *api, *url;   /* url: already redacted */
    double elapsed_s;                    /* since the engine started; 0 before */
    bool finished;                       /* every input has its result */
    uint64_t ok, failed;                 /* inputs finished */
    const char *class_names[TG_PROM_MAX_CLASSES];   /* error classes (tg_errc_name) */
    uint64_t class_count[TG_PROM_MAX_CLASSES];
    size_t nclasses;
    uint64_t in_flight;
    uint64_t http_requests;
    uint64_t bytes_sent, bytes_received;
    struct tg_prom_hist latency;         /* ok inputs, tg_prom_latency_le */
    bool streams;                        /* the dialect streams: TTFT and TPOT are written */
    struct tg_prom_hist ttft;            /* ok streamed inputs, tg_prom_latency_le */
    struct tg_prom_hist tpot;            /* ok streamed inputs with >= 2 tokens, tg_prom_tpot_le */
};

/* Appends the exposition of s to out (every family with # HELP and
 * # TYPE).  Returns 0 or TG_ENOMEM. */
int tg_prom_write(struct tg_buf *out, const struct tg_prom_snapshot *s);

/* Appends v escaped as a label value (\\ \" \n).  Returns 0 or TG_ENOMEM. */
int tg_prom_escape_label(struct tg_buf *out, const char *v);

/* The Content-Type of the exposition. */
#define TG_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
