/*
 * run.h - the parts of `tailgate run` (internal to src/cli/run*.c):
 *   run_opts.c    the options: defaults, getopt_long into struct run_opts
 *   run_help.c    --help (the source of the man page and the completion)
 *   run_shape.c   the load-shape options checked against each other
 *   run_shard.c   a shard of a distributed run: its stripe, --start-at, manifest.json
 *   run_config.c  the effective configuration recorded in summary.json
 *   run_rows.c    the per-worker writers: requests.csv rows, --save-outputs
 *                 and --save-stream lines (on the worker threads)
 *   run_metrics.c the live Prometheus endpoint (--metrics-listen)
 *   run_loop.c    the engine driven to its end: signals, progress, scrape, linger
 *   run_slo.c     the SLO verdicts and goodput from the files on disk
 *   run_report.c  the end: files closed, summary.json, stderr lines, exit code
 *   run.c         the flow: resolve, payloads, output files, engine, results
 */
#ifndef TG_CLI_RUN_H
#define TG_CLI_RUN_H

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/arrivals.h"
#include "engine/engine.h"
#include "http/http.h"
#include "output/manifest.h"
#include "output/writer.h"
#include "stats/slo.h"

#define TG_RUN_MAX_HEADERS 32
#define TG_RUN_OPEN_LOOP_MAX_IN_FLIGHT 1000

/* --mode baseline: input.py's client (httpx 0.23.3 AsyncClient defaults). */
#define BASELINE_POOL 100
#define BASELINE_INPUTS 400
#define BASELINE_CONCURRENCY 20

struct run_opts {
    const char *mode;          /* "default" or "baseline" */
    uint64_t concurrency;
    uint64_t inputs;           /* 0: one per payload line */
    uint64_t duration_ns;
    double rate;
    const char *arrival;
    const char *payloads;
    uint64_t batch;
    double batch_wait_ms;
    const char *api;           /* dialect name (api/api.h) */
    uint64_t connections;      /* 0: = concurrency */
    bool keepalive;
    bool preconnect;
    uint64_t timeout_ns;
    uint64_t threads;
    uint64_t seed;
    const char *save_outputs;
    bool outputs;
    const char *out_dir;
    bool force;
    uint64_t max_response;
    bool quiet;
    bool progress;             /* --progress: plain lines when stderr is not a terminal */
    uint64_t progress_interval_ns;
    const char *cacert;        /* https: trust this PEM CA / self-signed cert instead of the system store */
    bool insecure;             /* https: no certificate or host-name verification */
    const char *save_stream;   /* --save-stream FILE; NULL: OUT/stream.jsonl when the dialect streams */
    bool no_stream_file;       /* --save-stream none */
    struct tg_slo slos[TG_SLO_MAX];   /* --slo, in order */
    size_t nslos;
    double slo_confidence;     /* --slo-confidence */
    /* load shapes (docs/load-shapes.md) */
    double burstiness;         /* --burstiness K: gamma gaps (0: not given) */
    const char *stages_text;   /* --stages as given; NULL: none */
    struct tg_stage stages[TG_STAGES_MAX];
    size_t nstages;
    bool stages_concurrency;   /* the "DUR:cN" form: a closed loop */
    const char *trace;         /* --trace FILE; NULL: none */
    double trace_speed;        /* --trace-speed X */
    bool set_c;                /* -c was given */
    bool set_d;                /* -d was given */
    /* distributed runs (run_shard.c, docs/distributed.md) */
    bool sharded;              /* --shard-count (or $SLURM_NTASKS) given: a shard, with a manifest */
    uint64_t shard_index, shard_count;
    const char *shard_index_text, *shard_count_text;   /* as given; NULL: from the environment */
    const char *run_id;        /* --run-id; NULL: from the environment or the plan */
    char run_id_buf[TG_MANIFEST_RUN_ID_MAX + 1];
    const char *start_at_text; /* --start-at as given; NULL: none */
    bool has_start_at;
    int64_t start_at_ms;       /* Unix ms */
    uint64_t start_tolerance_ns;
    uint64_t shard_concurrency, shard_connections;   /* this shard's part of -c and --connections */
    /* Prometheus out and in (run_metrics.c, scrape.c) */
    const char *metrics_listen;    /* --metrics-listen ADDR:PORT; NULL: no endpoint */
    const char *metrics_port_file; /* --metrics-port-file F: the bound port, for tests */
    uint64_t metrics_linger_ns;    /* --metrics-linger DUR: keep serving the final values */
    const char *scrape_url;        /* --scrape URL: the server's /metrics; NULL: none */
    uint64_t scrape_interval_ns;   /* --scrape-interval DUR */
    /* filled by tg_run_parse_opts */
    const char *url;           /* the URL argument (or baseline mode's default) */
    bool baseline;
    bool set_n;                /* -n was given */
    struct tg_http_kv user_headers[TG_RUN_MAX_HEADERS];   /* -H, in order; owned */
    size_t nuser;
};

/* Parses argv (argv[0] is "run") into *o, applying the mode's defaults and
 * checking the options against each other (URL, TLS and payloads are the
 * flow's).  Returns -1 to go on, else the exit code to return at once
 * (TG_EXIT_OK after --help, TG_EXIT_USAGE after a one-line usage error on
 * stderr).  Release with tg_run_opts_free either way. */
int tg_run_parse_opts(int argc, char **argv, struct run_opts *o);
void tg_run_opts_free(struct run_opts *o);
/* Prints --help with the defaults d (run_help.c). */
void tg_run_help(const struct run_opts *d);

/* True for an open loop: --rate, rate --stages or --trace. */
bool tg_run_open_loop(const struct run_opts *o);

/* run_shape.c: checks the load-shape options against each other and the
 * rest after getopt (set_*: whether --arrival, --trace-speed, --payloads
 * were given) and applies what they imply (arrival, duration, -c of
 * concurrency stages).  Returns -1 to go on, else the exit code (a one-line
 * usage error on stderr). */
int tg_run_shape_opts(struct run_opts *o, bool set_arrival, bool set_speed, bool set_payloads);

/* The request headers: the mode's (baseline: input.py's httpx headers), then
 * every -H replacing a same-named one.  out has room for
 * TG_RUN_MAX_HEADERS + 8; the strings are o's or static.  Returns the count. */
#define TG_RUN_HEADERS_CAP (TG_RUN_MAX_HEADERS + 8)
size_t tg_run_headers(const struct run_opts *o, struct tg_http_kv *out);

/* The effective configuration, recorded as summary.json's "config": the
 * options after defaults, the redacted URL and headers, TLS settings.
 * Returns a new object, or NULL when out of memory. */
struct tg_trace;
json_t *tg_run_config_json(const struct run_opts *o, const struct tg_engine_config *cfg,
                           size_t payload_lines, const char *out_dir);

/* Adds config "trace" (file, speed, lines, synthesised, span_s) once t is read. */
void tg_run_config_add_trace(json_t *config, const struct run_opts *o, const struct tg_trace *t);

/* ---- run.c / run_report.c ------------------------------------------------------ */

struct tg_payloads;
struct tg_engine;
struct tg_tls;
struct tg_progress;

/* Everything one run holds (run.c); each step returns 0 or the exit code to stop with. */
struct run {
    struct run_opts o;
    struct tg_trace *trace;        /* --trace: its offsets and payloads (x->payloads borrows them) */
    struct tg_engine_config cfg;
    struct tg_http_kv headers[TG_RUN_HEADERS_CAP];
    struct tg_payloads *payloads;
    struct tg_engine *engine;
    struct tg_tls *tls;
    struct run_wctx *wctx;
    void **wptr;
    struct tg_progress *progress;
    struct run_metrics *metrics;   /* --metrics-listen; NULL: none */
    struct tg_scraper *scraper;    /* --scrape; NULL: none */
    bool live, show;               /* progress: a live line / any progress */
    json_t *config, *summary_doc;
    int csv_fd, out_fd, stream_fd;
    pthread_mutex_t csv_lock, outs_lock, stream_lock; /* held by a worker's writer while it flushes */
    char stream_path[4200];        /* "" when no stream file */
    char stream_tmp[4300];         /* written there, renamed to stream_path at the end */
    const char *out_dir;
    char out_dir_buf[256];
    char path[4200];
    char started_at[32];
    bool has_skew;
    double start_skew_ms;          /* --start-at: actual - planned start */
};

/* ---- run_shard.c ------------------------------------------------------------- */

/* After the other options: the shard index and count (options, else
 * $JOB_COMPLETION_INDEX / $SLURM_PROCID and $SLURM_NTASKS), --start-at and
 * the split of -c.  Returns -1 to go on or the exit code (a usage error). */
int tg_run_shard_opts(struct run_opts *o);
/* The concurrency this process keeps (its shard's part of -c). */
uint64_t tg_run_concurrency(const struct run_opts *o);
/* How many of the plan's inputs (UINT64_MAX: unbounded) this process runs. */
uint64_t tg_run_shard_inputs(const struct run_opts *o, uint64_t inputs);
/* This shard's part of the plan: the stripe, its concurrency and pool. */
void tg_run_shard_apply(const struct run_opts *o, struct tg_engine_config *cfg);
/* Records the shard keys in the config (run_id from the config's own hash
 * when nothing else names the run). */
void tg_run_shard_config(struct run_opts *o, json_t *config);
/* --start-at: waits on the wall clock (SIGINT/SIGTERM in sigs end the wait:
 * exit 3), measures the skew into x and checks --start-tolerance (exit 2,
 * nothing sent).  Returns 0 or the exit code. */
int tg_run_shard_wait(struct run *x, const sigset_t *sigs);
/* Writes OUT/manifest.json of a shard (nothing for a run that is not one).
 * Returns 0 or a negative code. */
int tg_run_manifest_write(struct run *x, const struct tg_engine_totals *t);

/* ---- run_loop.c ---------------------------------------------------------------- */

/* --metrics-listen / --scrape recorded in the config; the endpoint started
 * (its port written) before the first input.  Returns 0 or the exit code. */
int tg_run_metrics_begin(struct run *x);
/* Runs the engine to its end with signals and progress, then joins it into
 * *t.  Returns 0 or the exit code. */
int tg_run_loop(struct run *x, const struct tg_engine_totals **t);
/* --metrics-linger: the final values stay up for DUR, or until a signal. */
void tg_run_linger(struct run *x);

/* Closes the rows and the stream file, judges the SLOs, writes summary.json,
 * prints the summary and the stderr lines.  Returns the exit code. */
int tg_run_report(struct run *x, const struct tg_engine_totals *t);

/* ---- run_rows.c ---------------------------------------------------------------- */

struct tg_progress_lat;

/* One worker's writers (worker_ctx of the engine). */
struct run_wctx {
    struct tg_writer csv;
    struct tg_writer outs;
    struct tg_writer stream;
    bool save, save_stream;
    struct tg_progress_lat *lat;   /* NULL: no progress shown */
    struct run_shard *metrics;     /* this worker's counters of the /metrics endpoint; NULL: none */
};

/* The engine's callbacks (ctx: a struct run_wctx). */
void tg_run_on_result(void *ctx, const struct tg_input_result *r);
void tg_run_on_flush(void *ctx);

/* ---- run_metrics.c: --metrics-listen ------------------------------------------- */

struct run_metrics;
struct run_shard;

/* Binds o->metrics_listen and serves GET /metrics on its own thread
 * (libmicrohttpd); writes the port to o->metrics_port_file.  engine
 * (borrowed, may be NULL) gives the in-flight gauge.  Returns 0, or a
 * TG_E… code with a one-line reason in why. */
int tg_run_metrics_start(struct run_metrics **out, const struct run_opts *o, const struct tg_engine_config *cfg,
                         const struct tg_engine *engine, char *why, size_t whylen);
/* Worker w's shard (NULL when m is NULL). */
struct run_shard *tg_run_metrics_shard(struct run_metrics *m, size_t worker);
/* Adds one result to its worker's shard (on that worker's thread, or after
 * the join on the main thread); no lock, no allocation. */
void tg_run_metrics_record(struct run_shard *s, const struct tg_input_result *r);
void tg_run_metrics_started(struct run_metrics *m, uint64_t t0_ns);
void tg_run_metrics_finished(struct run_metrics *m);   /* every result is in */
const char *tg_run_metrics_url(const struct run_metrics *m);   /* "http://ADDR:PORT/metrics" */
/* Stops the endpoint (joins its thread) and frees m; NULL is a no-op. */
void tg_run_metrics_free(struct run_metrics *m);

/* ---- run_slo.c ----------------------------------------------------------------- */

struct tg_slo_eval;

/* The SLO verdicts and goodput of the run whose rows are in csv_path (and
 * per-event times in stream_path, NULL: none), after both are on disk.
 * Fills *ev (n == 0 and good == ok when o has no SLOs: nothing is read).
 * Returns 0, or a negative code with a one-line reason in err. */
int tg_run_slo_eval(const struct run_opts *o, const char *csv_path, const char *stream_path, double wall_s,
                    uint64_t ok, struct tg_slo_eval *ev, char *err, size_t errlen);

#endif
