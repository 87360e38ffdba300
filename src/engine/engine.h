/*
 * engine.h - the load engine behind `tailgate run`: N worker threads, each
 * with its own event loop, connection pool, scheduler and batcher, sending
 * the payloads to one URL and reporting every input's result.
 *
 * Usage: tg_engine_new() -> tg_engine_start() -> poll tg_engine_finished()
 * (and tg_engine_progress()) from the main thread, tg_engine_interrupt() on
 * SIGINT/SIGTERM -> tg_engine_join() -> tg_engine_free().
 *
 * Threads: results are delivered by callbacks on the worker thread that
 * finished the input, with that worker's ctx (worker_ctx[w]); a callback
 * must only touch its own ctx.  Workers share nothing mutable but the
 * closed-loop id counter; statistics are per worker and merged in join.
 * Times: monotonic nanoseconds unless a name says otherwise.
 */
#ifndef TG_ENGINE_ENGINE_H
#define TG_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "engine/payload.h"
#include "engine/sched.h"
#include "http/http.h"

/* Why an input failed.  Names (tg_errc_name) are the CSV `error` values. */
enum tg_errc {
    TG_ERRC_NONE,
    TG_ERRC_CONNECT,     /* could not open a connection */
    TG_ERRC_READ,        /* read error (reset, …) */
    TG_ERRC_WRITE,       /* write error */
    TG_ERRC_TIMEOUT,     /* no complete response within --timeout */
    TG_ERRC_STATUS,      /* a non-2xx response */
    TG_ERRC_PARSE,       /* malformed HTTP response */
    TG_ERRC_OUTPUT,      /* a 2xx response whose body is not the dialect's expected shape */
    TG_ERRC_CLOSED,      /* the peer closed before a full response */
    TG_ERRC_INTERRUPTED, /* SIGINT/SIGTERM before the input finished or started */
    TG_ERRC_TLS,         /* TLS handshake failed (untrusted certificate, name mismatch, …) or a TLS error */
    TG_ERRC_COUNT
};
const char *tg_errc_name(enum tg_errc c);

/* One input's result, valid during the callback only. */
struct tg_input_result {
    uint64_t request_id;          /* input index (0-based), as input.py's */
    int64_t timestamp_ms;         /* wall clock ms when the input became ready */
    uint64_t latency_ns;          /* ready (intended, open loop) -> its output arrived */
    uint64_t latency_uncorrected_ns; /* actual start -> output (== latency_ns in closed loop) */
    int status;                   /* HTTP status; 0 when no response */
    bool ok;
    bool sent;                    /* an HTTP request was started for it */
    uint64_t http_request_id;     /* valid when sent */
    uint32_t batch_size;          /* inputs in that HTTP request */
    int64_t client_queue_ns;      /* ready -> request write start; -1 when never written */
    int64_t connect_ns;           /* TCP connection setup paid by this request, 0 if reused; -1 n/a */
    int64_t tls_ns;               /* TLS handshake paid by this request, 0 if reused or plain http; -1 n/a */
    int64_t ttfb_ns;              /* write start -> first response byte; -1 when none */
    int64_t service_ns;           /* write start -> last response byte; -1 when none */
    double server_queue_ms;       /* Server-Timing, else the dialect's timing header; < 0 when absent */
    double server_compute_ms;
    uint64_t bytes_out, bytes_in; /* of the HTTP request/response carrying it (shared by the batch) */
    const char *output_hash;      /* hex SHA-256 of the canonical output, or NULL */
    const char *output_json;      /* canonical output when cfg.keep_outputs, else NULL */
    size_t output_len;
    enum tg_errc errc;
    const char *error_detail;     /* one line, or "" */
    uint32_t worker;
    const char *x_request_id;     /* the X-Request-Id sent with its HTTP request; NULL when none */
    /* Streaming: set when the response was a text/event-stream of a dialect
     * with stream_event (docs/formats.md, "Streaming"). */
    bool streamed;
    int64_t ttft_ns;              /* ready -> first content event; -1 when none */
    double tpot_ms;               /* (last - first content event) / (output_tokens - 1); < 0 when < 2 tokens */
    int64_t itl_max_ns;           /* largest gap between consecutive content events; -1 when < 2 events */
    uint64_t output_tokens;       /* usage.completion_tokens when reported, else content_events */
    bool tokens_from_usage;
    uint32_t content_events;
    uint64_t send_ns;             /* monotonic: its request's write start (0: never written) */
    /* cfg.keep_stream only: monotonic read time of each content event and its
     * token count (1 unless the server's cumulative usage says more) */
    const uint64_t *event_ns;
    const uint32_t *event_tokens;
};

/* Bytes of an X-Request-Id value: 8 + '-' + 12.  A -H X-Request-Id given by
 * the user wins: the engine then adds none (x_request_id NULL). */
#define TG_ENGINE_XID_LEN 21

typedef void (*tg_engine_result_fn)(void *worker_ctx, const struct tg_input_result *r);
typedef void (*tg_engine_flush_fn)(void *worker_ctx);

struct tg_tls;
struct tg_api;

struct tg_engine_config {
    struct tg_url url;
    struct tg_tls *tls;            /* borrowed (engine/tls.h); required when url.tls, else NULL */
    struct sockaddr_storage addr;  /* resolved address of url */
    socklen_t addrlen;
    const struct tg_payloads *payloads;  /* borrowed; input i sends payload i % n */
    uint64_t inputs;               /* -n; UINT64_MAX: until duration_ns */
    uint64_t duration_ns;          /* -d; 0: none */
    uint32_t concurrency;          /* in-flight inputs at most */
    /* The load shape (engine/arrivals.h, docs/load-shapes.md).  Open loop
     * (tg_engine_open_loop) when rate > 0, with rate stages, or a trace;
     * the global arrival sequence is the same whatever threads is. */
    double rate;                   /* open loop inputs/s; 0: closed loop (or stages / trace) */
    enum tg_arrival arrival;       /* base process; TG_ARRIVAL_TRACE: replay trace_ns */
    uint64_t seed;
    double burstiness;             /* TG_ARRIVAL_GAMMA: the gamma shape K (> 0); CV of the gaps 1/sqrt(K) */
    const struct tg_stage *stages; /* borrowed; NULL: none.  Rate stages (open loop, the base process
                                    * time-warped) or, with stages_concurrency, the closed loop's -c */
    size_t nstages;
    bool stages_concurrency;
    const uint64_t *trace_ns;      /* TG_ARRIVAL_TRACE: borrowed intended offsets, nondecreasing, [0] == 0 */
    size_t ntrace;
    double trace_speed;            /* > 0: offsets / speed */
    struct tg_stripe shard;        /* the part of the global sequence this process runs (issue 15's
                                    * --shard-index/--shard-count); {0, 0}: all of it */
    uint32_t batch;                /* 1: no batching */
    uint64_t batch_wait_ns;
    const struct tg_api *api;      /* the dialect (api/api.h): batch bodies and output splitting */
    uint32_t connections;          /* pool size over all workers */
    bool keepalive;
    bool preconnect;               /* open the whole pool before the first input */
    const struct tg_http_kv *headers;
    size_t nheaders;
    uint64_t timeout_ns;
    uint32_t threads;
    bool parse_outputs;            /* false: --no-outputs (bodies are read, not parsed) */
    bool keep_outputs;             /* pass canonical outputs to the callback */
    size_t max_response_bytes;     /* hard cap on one response (a stream: on one event's data) */
    bool keep_stream;              /* pass event_ns/event_tokens to the callback (--save-stream) */
    /* X-Request-Id values "<run_token>-<http id, 12 hex>": every HTTP request
     * carries one (prebuilt requests too) unless !request_ids (--mode
     * baseline: input.py's exact bytes).  run_token: 8 lowercase hex. */
    bool request_ids;
    char run_token[9];             /* 8 lowercase hex and a NUL; TG_EINVAL otherwise */
    tg_engine_result_fn on_result;
    tg_engine_flush_fn on_flush;   /* about every 100 ms and when a worker ends */
    void **worker_ctx;             /* threads entries */
};

#define TG_PHASE_COUNT 7
enum { TG_PHASE_CLIENT_QUEUE, TG_PHASE_CONNECT, TG_PHASE_TTFB, TG_PHASE_SERVICE,
       TG_PHASE_SERVER_QUEUE, TG_PHASE_SERVER_COMPUTE,
       TG_PHASE_TLS /* recorded for https runs only */ };
extern const char *const tg_phase_names[TG_PHASE_COUNT];

struct tg_hist;

/* Merged results of all workers, owned by the engine (freed with it). */
struct tg_engine_totals {
    uint64_t inputs, ok, failed;
    uint64_t by_class[TG_ERRC_COUNT];
    uint64_t http_requests, connections_opened;
    uint64_t bytes_out, bytes_in;
    uint64_t late_inputs;          /* open loop: started > 10 ms after the intended time */
    uint64_t max_lag_ns;
    double mean_lag_ns;
    /* open loop: schedule fidelity (send lag = admission - intended time) */
    struct tg_hist *send_lag;      /* µs, every admitted input */
    uint64_t lag_late;             /* admitted more than TG_ENGINE_LAG_LATE_NS late */
    uint64_t lag_late_cap;         /* … of them, held by the in-flight cap (the server's lag, not the client's) */
    uint64_t cap_waited;           /* admitted inputs that waited for the in-flight cap */
    uint64_t intended_first_ns, intended_last_ns; /* over the admitted inputs (monotonic; 0: none) */
    uint64_t started_first_ns, started_last_ns;   /* their actual admissions */
    struct tg_hist *latency;       /* µs, ok inputs */
    struct tg_hist *latency_uncorrected;
    struct tg_hist *phase[TG_PHASE_COUNT]; /* µs, ok inputs */
    uint64_t wall_ns;              /* start -> last worker done */
    bool interrupted;
    char first_error[160];         /* first failure's detail, for a stderr line */
    /* Where server queue/compute times came from, in responses: Server-Timing,
     * or (when a response has none) the dialect's queue/compute headers. */
    uint64_t timing_server_timing, timing_headers;
    /* https only */
    uint64_t tls_handshakes;       /* completed handshakes (preconnected ones included) */
    struct tg_hist *tls_handshake; /* µs, every completed handshake */
    char tls_protocol[16], tls_cipher[64];  /* of the first handshake; "" when none */
    char first_tls_error[160];     /* first tls-class failure's detail; "" when none */
    bool tls_verify_failed;        /* that failure was a certificate / host-name verification */
    /* streaming: over the ok inputs that streamed */
    uint64_t streamed;             /* ok inputs whose response streamed */
    struct tg_hist *ttft;          /* µs */
    struct tg_hist *tpot;          /* µs, inputs with >= 2 output tokens */
    struct tg_hist *itl;           /* µs, every gap, pooled */
    uint64_t output_tokens;        /* sum of the inputs' output_tokens */
    uint64_t tokens_from_usage;    /* inputs whose count came from usage */
};

/* Send lag over which an input counts as late in "schedule" (1 ms). */
#define TG_ENGINE_LAG_LATE_NS 1000000ULL

/* True when cfg describes an open loop (a rate, rate stages or a trace). */
bool tg_engine_open_loop(const struct tg_engine_config *cfg);

/* The open loop's arrival sequence of cfg (pointers borrowed from cfg). */
struct tg_arrival_spec tg_engine_arrival_spec(const struct tg_engine_config *cfg);

struct tg_engine;

/* Validates cfg and allocates every worker's slots, buffers and prebuilt
 * requests (no I/O yet).  Returns 0, TG_EINVAL or TG_ENOMEM. */
int tg_engine_new(const struct tg_engine_config *cfg, struct tg_engine **out);
/* Starts the worker threads.  Returns 0 or -errno. */
int tg_engine_start(struct tg_engine *e);
/* True when every worker is done (thread-safe). */
bool tg_engine_finished(const struct tg_engine *e);
/* Inputs finished so far and how many of them failed (thread-safe, approximate). */
void tg_engine_progress(const struct tg_engine *e, uint64_t *done, uint64_t *failed);
/* Inputs admitted and not yet finished, over all workers (thread-safe,
 * approximate: each worker's count is read once, relaxed). */
uint64_t tg_engine_in_flight(const struct tg_engine *e);
/* Asks every worker to stop: in-flight and waiting inputs fail as interrupted.
 * Thread-safe; async-signal-safe. */
void tg_engine_interrupt(struct tg_engine *e);
/* Joins the workers, reports never-started inputs (when interrupted) through
 * on_result with worker_ctx[0] on the calling thread, and merges statistics
 * into *t (owned by the engine).  Returns 0 or TG_ENOMEM. */
int tg_engine_join(struct tg_engine *e, const struct tg_engine_totals **t);
void tg_engine_free(struct tg_engine *e);

#endif
