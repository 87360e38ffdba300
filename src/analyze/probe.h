/*
 * probe.h - one short, bounded load against a live endpoint through the
 * engine's library API (engine/engine.h), rows collected in memory: the
 * measuring instrument of `tailgate analyze --probe` and `tailgate tune`.
 *
 * A probe is bounded three ways: an input count, a time after which no input
 * starts (in-flight ones still finish), and a hard deadline after which the
 * run is interrupted (its unfinished inputs fail as "interrupted").
 *
 * Ownership: struct tg_probe_target owns the loaded payloads (release with
 * tg_probe_target_free, NULL-safe); struct tg_probe_result owns its rows
 * (tg_probe_result_free).  Runs one engine at a time from the calling
 * thread; not thread-safe per target.  Library code: never prints.
 */
#ifndef TG_ANALYZE_PROBE_H
#define TG_ANALYZE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "analyze/model.h"
#include "analyze/prows.h"
#include "engine/sched.h"
#include "api/api.h"
#include "compare/rows.h"
#include "http/http.h"

struct tg_payloads;
struct tg_api;
struct tg_tls;

#define TG_PROBE_MAX_HEADERS 32

struct tg_probe_target {
    struct tg_url url;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    struct tg_payloads *payloads;          /* parsed (batching needs the items) */
    const struct tg_api *api;              /* the endpoint's dialect (borrowed, static) */
    uint64_t timeout_ns;                   /* per request */
    struct tg_tls *tls;                    /* owned; the https context, NULL for http */
    bool insecure;                         /* https without verification (--insecure) */
    /* request headers: the probe's own, then the user's (-H), a user header
     * replacing a same-named one; names and values owned (store[]) */
    struct tg_http_kv headers[TG_PROBE_MAX_HEADERS + 2];
    char *store[TG_PROBE_MAX_HEADERS];
    size_t nheaders, nstore;
};

/* Resolves url and loads the payload file (single-input bodies of api, split
 * by the dialect when it is batchable).  An https URL gets a TLS context that
 * verifies against the system store (tg_probe_target_tls replaces it).
 * Returns 0 or a negative code with a one-line reason in err (the URL shown
 * redacted).  Call tg_probe_target_free afterwards, also on failure. */
int tg_probe_target_init(struct tg_probe_target *t, const struct tg_api *api, const char *url,
                         const char *payloads,
                         char *err, size_t errlen);
/* https only: verify against the PEM file cacert (a CA or the self-signed
 * certificate) instead of the system store, or (insecure) not at all.
 * Returns 0, TG_EINVAL (an http URL, or cacert unreadable: err says so) or
 * TG_ENOMEM. */
int tg_probe_target_tls(struct tg_probe_target *t, const char *cacert, bool insecure, char *err, size_t errlen);
/* Adds one request header from "Name: value" (as `tailgate run -H` takes
 * it).  Returns 0, TG_EINVAL (malformed: err says which header by number,
 * never its value, which may be a secret) or TG_ENOMEM. */
int tg_probe_target_header(struct tg_probe_target *t, const char *line, char *err, size_t errlen);
/* The value to record for a header: "REDACTED" for a secret-looking name
 * (core/redact.h), else the value itself. */
const char *tg_probe_header_shown(const struct tg_http_kv *h);
void tg_probe_target_free(struct tg_probe_target *t);

struct tg_probe_result {
    struct tg_prows rows;          /* one per input, in completion order */
    char **outputs;                /* with spec.keep_outputs: outputs[i] = row i's canonical
                                      output (malloc'ed, NULL when none); else NULL */
    size_t noutputs;               /* entries of outputs[] */
    uint64_t inputs, ok, failed, http_requests, connections_opened;
    uint64_t status_413;           /* inputs answered 413 (batch or body too large) */
    uint64_t rejected;             /* inputs answered 4xx */
    int reject_status;             /* the first 4xx status seen; 0 none */
    char reject_detail[200];       /* its error detail ("HTTP 413 …[: server message]") */
    uint64_t tls_failed;           /* inputs failed in TLS (handshake, verification) */
    double wall_s;                 /* engine start -> last input */
    double throughput_ips;         /* ok / wall_s */
    double p50_ms, p95_ms, p99_ms, mean_ms;  /* ok inputs, nearest rank; NAN when none */
    bool interrupted;              /* the hard deadline struck */
    char first_error[160];
    /* streaming, per row (parallel to rows.v; NAN: none -- the input did not
     * stream, or too few events/tokens): ms */
    double *ttft_ms, *tpot_ms, *itl_max_ms;
    size_t stream_cap;
    bool streamed;                 /* some input's response streamed */
    /* spec.keep_stream: every gap between consecutive content events of the
     * ok inputs, pooled (ms) */
    double *itl_gaps;
    size_t n_itl_gaps, itl_gaps_cap;
};

struct tg_probe_spec {
    struct tg_client_cfg cfg;
    uint32_t concurrency;
    uint64_t inputs;
    uint64_t start_window_ns;      /* no input starts after this (0: no limit) */
    uint64_t deadline_ns;          /* interrupt after this (0: start_window*3 + 10 s) */
    bool preconnect;
    bool keep_outputs;             /* fill tg_probe_result.outputs */
    bool keep_stream;              /* fill tg_probe_result.itl_gaps (engine keep_stream) */
    /* Open loop (capacity, sweep --rate): rate > 0 sends inputs at that many
     * per second (arrival process, seed), concurrency then caps the inputs in
     * flight; latency runs from each input's intended arrival.  0: closed loop. */
    double rate;
    enum tg_arrival arrival;
    uint64_t seed;                 /* 0: 1 */
};

/* Runs spec against t; fills out (zero it first).  Returns 0 (failed inputs
 * are results, not errors), TG_EINTR when the process-wide interrupt
 * (below) was raised before or during the run (raised before: out untouched,
 * nothing sent; during: out holds the rows of what had finished -- the
 * inputs cut short among them, failed as "interrupted" -- the counts,
 * wall_s and interrupted, but no percentiles or throughput; the caller frees
 * it and should start no further probe), or
 * TG_EINVAL / TG_ENOMEM / -errno when the engine could not run.  The engine's
 * worker threads start with SIGINT and SIGTERM blocked. */
int tg_probe_run(const struct tg_probe_target *t, const struct tg_probe_spec *spec,
                 struct tg_probe_result *out);
void tg_probe_result_free(struct tg_probe_result *r);

/* Row i (< r->rows.n) of r as compare/rows.h keeps a run's CSV row, for
 * compare/slo_eval.h: request_id, timestamp_ms, latency_ms, status_code, ok,
 * and the streaming figures ttft_ms, tpot_ms, itl_max_ms (NAN when the row
 * has none); output_tokens -1, no hash, no error class.  Pure. */
struct tg_row tg_probe_row(const struct tg_probe_result *r, size_t i);
/* Every row of r so (tg_probe_row), in r's order, into out (zeroed here;
 * release with tg_rows_free).  out->columns as a run's requests.csv would
 * have them: request_id, latency_ms, ok, and the three streaming columns
 * when some input streamed.  Returns 0 or TG_ENOMEM. */
int tg_probe_rows(const struct tg_probe_result *r, struct tg_rows *out);

/* The process-wide interrupt of the probes (Ctrl-C of `tailgate analyze`,
 * `tailgate tune`, `tailgate sweep` and `tailgate capacity`: their one stop
 * flag).  tg_probe_interrupt() raises it: async-signal-safe and
 * thread-safe (one lock-free atomic store), for a signal handler.  The probe
 * in flight sees it within its 2 ms poll and calls tg_engine_interrupt (its
 * in-flight inputs fail as interrupted) and returns TG_EINTR; every later
 * tg_probe_run returns TG_EINTR at once, sending nothing.  It stays raised
 * until tg_probe_interrupt_reset() (tests). */
void tg_probe_interrupt(void);
bool tg_probe_interrupted(void);
void tg_probe_interrupt_reset(void);
/* Installs SIGINT and SIGTERM handlers that raise the interrupt (further
 * signals are absorbed, as `tailgate run` does).  Returns 0 or -errno. */
int tg_probe_catch_signals(void);

/* What a rejected request's detail says: the server's message after "HTTP
 * NNN reason: " read by api's error reader, then by the generic one (plain
 * text).  Fills *e (message "" and max_batch 0 when the detail carries no
 * message). */
void tg_probe_read_reject(const struct tg_api *api, int status, const char *detail, struct tg_api_error *e);

#endif
