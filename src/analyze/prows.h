/*
 * prows.h - per-input rows with their phases, the raw material of
 * `tailgate analyze` and `tailgate tune`: loaded from a run's requests.csv
 * (or input.py's latency CSV, which has no phases) or collected in memory by
 * a probe (analyze/probe.h).
 *
 * Times are milliseconds as doubles; a phase that is absent (no such column,
 * an empty field, or a value the engine reports as "not applicable") is NAN.
 *
 * Ownership: struct tg_prows is the caller's (zero it first) and owns its
 * array; tg_prows_free() releases it (safe on a zeroed or freed struct).
 * Not thread-safe per struct.
 */
#ifndef TG_ANALYZE_PROWS_H
#define TG_ANALYZE_PROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tg_prow {
    uint64_t request_id;
    uint64_t http_request_id;  /* valid when has_http_id */
    double timestamp_ms;       /* wall clock ms when the input became ready; NAN when absent */
    double latency_ms;         /* ready -> output (NAN for a failed input without one) */
    double client_queue_ms;    /* ready -> request write start (includes connect_ms) */
    double connect_ms;         /* connection setup paid by this request; 0 when reused */
    double ttfb_ms;            /* write start -> first response byte */
    double service_ms;         /* write start -> last response byte */
    double server_queue_ms;    /* Server-Timing queue;dur */
    double server_compute_ms;  /* Server-Timing compute;dur */
    double ttft_ms;            /* streamed: ready -> first content event (docs/formats.md) */
    double tpot_ms;            /* streamed: (last - first content event) / (tokens - 1) */
    double itl_max_ms;         /* streamed: the largest gap between content events */
    double output_tokens;      /* streamed: tokens generated */
    uint32_t batch_size;       /* inputs in its HTTP request; 0 when unknown */
    int status;                /* HTTP status, 0 when none */
    bool ok;
    bool has_http_id;
    char hash[65];             /* output SHA-256 in hex, "" when none */
};

/* Which optional columns a CSV had (bits of tg_prows.have). */
enum {
    TG_PROWS_PHASES = 1 << 0,       /* client_queue_ms, connect_ms, ttfb_ms, service_ms */
    TG_PROWS_SERVER_TIMING = 1 << 1, /* server_queue_ms, server_compute_ms */
    TG_PROWS_HASH = 1 << 2,
    TG_PROWS_BATCH = 1 << 3,
    TG_PROWS_STREAM = 1 << 4,       /* ttft_ms (tpot_ms, itl_max_ms, output_tokens) */
};

struct tg_prows {
    struct tg_prow *v;
    size_t n, cap;
    unsigned have;             /* TG_PROWS_* bits */
};

#define TG_PROWS_MAX ((size_t)50 * 1000 * 1000)

/* Appends a zeroed row (phases NAN) and returns it, or NULL on allocation
 * failure or when TG_PROWS_MAX rows are held (the struct is unchanged). */
struct tg_prow *tg_prows_push(struct tg_prows *r);
void tg_prows_free(struct tg_prows *r);

/* Parses a per-input CSV with the one requests.csv reader
 * (output/csv_read.h: columns by header name, required request_id,
 * latency_ms and status_code or ok, strict values).  `have` says which
 * optional groups were present; a group counts as present when its columns
 * exist and at least one row fills them.  Returns 0, TG_EPARSE with
 * "name:line: reason" in err, or TG_ENOMEM. */
int tg_prows_parse(const char *data, size_t len, const char *name, struct tg_prows *out,
                   char *err, size_t errlen);
/* Reads a file (path may also be a run directory: its requests.csv) and
 * parses it.  Returns 0 or a negative code with a one-line reason in err. */
int tg_prows_load(const char *path, struct tg_prows *out, char *err, size_t errlen);

/* The ok rows' latencies, sorted ascending, in a new array (*out, caller
 * frees); *n its length.  Returns 0 or TG_ENOMEM (*out NULL when n == 0). */
int tg_prows_ok_latencies(const struct tg_prows *r, double **out, size_t *n);

/* Wall time covered by the rows: first ready timestamp to the last
 * timestamp + latency, in seconds; NAN without timestamps. */
double tg_prows_wall_s(const struct tg_prows *r);

#endif
