/*
 * summary.h - summary.json ("tailgate.summary/1") and the terminal summary.
 *
 * The caller fills struct tg_summary (borrowed pointers, all must outlive
 * the call) and passes the effective configuration as a JSON object it
 * built; tg_summary_build() returns the whole document.  Latency statistics
 * come from log-linear histograms (stats/hist.h, µs, <= 0.1 % error).
 * Thread-safe (no globals).
 */
#ifndef TG_OUTPUT_SUMMARY_H
#define TG_OUTPUT_SUMMARY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define TG_SUMMARY_SCHEMA "tailgate.summary/1"

struct tg_hist;

struct tg_summary_class { const char *name; uint64_t count; };

struct tg_summary {
    const char *tool_version;
    json_t *config;                       /* borrowed; copied into the document */
    const char *payload_sha256;
    uint64_t inputs, ok, failed;
    const struct tg_summary_class *classes; /* failed_by_class, every class listed */
    size_t nclasses;
    uint64_t http_requests, connections_opened, bytes_out, bytes_in;
    const struct tg_hist *latency;        /* µs, ok inputs */
    const struct tg_hist *latency_uncorrected; /* may be NULL (closed loop) */
    const char *const *phase_names;
    const struct tg_hist *const *phases;  /* µs */
    size_t nphases;
    double wall_time_s;
    bool open_loop;
    uint64_t late_inputs;                 /* open loop: started > 10 ms late */
    double max_lag_ms, mean_lag_ms;
    /* open loop: "schedule", the fidelity of the sent schedule (docs/formats.md) */
    const struct tg_hist *send_lag;       /* µs, every admitted input: admission - intended time */
    uint64_t lag_late;                    /* admitted > 1 ms late */
    uint64_t lag_late_cap;                /* … of them, held by the in-flight cap */
    uint64_t cap_waited;                  /* admitted inputs that waited for the in-flight cap */
    double target_rps, achieved_rps;      /* over the admitted inputs' intended / actual span; < 0: n/a */
    double configured_rps;                /* the shape's mean rate (--rate, stages, trace); < 0: n/a */
    bool interrupted;
    const char *started_at;               /* ISO 8601 UTC */
    /* https runs (tls == true): the "tls" object; otherwise "tls": null */
    bool tls;
    uint64_t tls_handshakes;
    const struct tg_hist *tls_handshake;  /* µs, every completed handshake */
    const char *tls_protocol, *tls_cipher; /* of the first handshake; "" or NULL when none */
    /* Streaming (docs/formats.md): "stream" is null when streamed == 0. */
    uint64_t streamed;                    /* ok inputs whose response streamed */
    const struct tg_hist *ttft, *tpot, *itl; /* µs */
    uint64_t output_tokens;               /* over the streamed ok inputs */
    uint64_t tokens_from_usage;           /* of them, counted from usage */
    /* SLOs and goodput: "slos" (borrowed, copied; NULL: []) and "goodput" */
    json_t *slos;
    const char *const *slo_texts;         /* nslos normalised SLO texts */
    size_t nslos;
    uint64_t goodput_inputs;              /* ok inputs that met every SLO (every ok input without SLOs) */
};

/* Builds the document (a new reference) or returns NULL on allocation failure. */
json_t *tg_summary_build(const struct tg_summary *s);

/* {"min","mean","stdev","p50","p90","p95","p99","p999","max","count"} in ms. */
json_t *tg_summary_hist_json(const struct tg_hist *h);

/* {"cpu","cores","kernel","hostname"} of this machine. */
json_t *tg_summary_environment(void);

/* Writes root to path atomically (path.tmp, fsync, rename).  Returns 0 or -errno. */
int tg_summary_write(const char *path, const json_t *root);

/* The fraction of admitted inputs more than 1 ms late; 0 when none were
 * admitted.  Over TG_SUMMARY_BEHIND_FRACTION the run fell behind its
 * schedule: the load asked for was not the load sent. */
#define TG_SUMMARY_BEHIND_FRACTION 0.01
double tg_summary_late_fraction(const struct tg_summary *s);

/* The human summary (stdout). */
void tg_summary_print(FILE *f, const struct tg_summary *s, const char *out_dir);

#endif
