/*
 * run.c - `tailgate run`: options (run_opts.c) -> resolve the URL, load the
 * payloads, open the output files, record the configuration (run_config.c),
 * run the engine with signals and progress, then requests.csv and the
 * stream file (streamed by the workers, run_rows.c), the SLO verdicts
 * (run_slo.c), summary.json and the human summary.
 */
#include "api/api.h"
#include "cli/cli.h"
#include "compare/slo_eval.h"
#include "cli/commands.h"
#include "cli/run.h"
#include "core/fs.h"
#include "core/error.h"
#include "core/redact.h"
#include "core/time.h"
#include "engine/engine.h"
#include "engine/resolve.h"
#include "engine/tls.h"
#include "output/csv.h"
#include "output/progress.h"
#include "output/summary.h"
#include "output/writer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define usage(...) tg_cli_usage_error("run", __VA_ARGS__)

/* ---- helpers ------------------------------------------------------------------ */

static int dir_state(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT ? 0 : -errno;
    struct dirent *e;
    int nonempty = 0;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            nonempty = 1;
            break;
        }
    closedir(d);
    return nonempty ? 2 : 1;
}

/* X-Request-Id: a random token per run (summary config "run_token"). */
static void make_run_token(char out[9])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char r[4] = { 0 };
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        uint64_t t = tg_now_ns() ^ (uint64_t)getpid() << 32;
        memcpy(r, &t, sizeof r);
    }
    for (int i = 0; i < 4; i++) {
        out[2 * i] = hex[r[i] >> 4];
        out[2 * i + 1] = hex[r[i] & 15];
    }
    out[8] = '\0';
}

/* ---- progress -------------------------------------------------------------------- */

static unsigned term_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0)
        return ws.ws_col;
    return 0;
}

static void progress_tick(struct tg_progress *p, const struct tg_engine *e, struct run_wctx *w, uint64_t n,
                          uint64_t now)
{
    struct tg_progress_lat *lats[256];
    for (uint64_t i = 0; i < n && i < 256; i++)
        lats[i] = w[i].lat;
    tg_progress_collect(p, lats, n < 256 ? (size_t)n : 256);
    uint64_t done, failed;
    tg_engine_progress(e, &done, &failed);
    tg_progress_update(p, now, done, failed);
}

/* ---- the flow ------------------------------------------------------------------ */

/* Everything one run holds; each step returns 0 or the exit code to stop with. */
struct run {
    struct run_opts o;
    struct tg_engine_config cfg;
    struct tg_http_kv headers[TG_RUN_HEADERS_CAP];
    struct tg_payloads *payloads;
    struct tg_engine *engine;
    struct tg_tls *tls;
    struct run_wctx *wctx;
    void **wptr;
    struct tg_progress *progress;
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
};

/* The URL, its TLS context and its address. */
static int resolve(struct run *x)
{
    const struct run_opts *o = &x->o;
    struct tg_engine_config *cfg = &x->cfg;
    const char *why = NULL;
    if (tg_url_parse(o->url, &cfg->url, &why) != 0) {
        char shown[1024];
        return usage("bad URL '%s': %s", tg_redact_url(o->url, shown, sizeof shown), why ? why : "invalid");
    }
    if (!cfg->url.tls && (o->cacert || o->insecure))
        return usage("%s needs an https URL", o->cacert ? "--cacert" : "--insecure");
    if (cfg->url.tls) {
        char twhy[400];
        int trc = tg_tls_new(o->insecure ? NULL : o->cacert, !o->insecure, &x->tls, twhy, sizeof twhy);
        if (trc)
            return trc == TG_EINVAL ? usage("%s", twhy) : usage("TLS set-up: %s", tg_strerror(trc));
        cfg->tls = x->tls;
    }
    /* Every address of the name, in order, before failing (resolve.h). */
    char tried[512], rwhy[300];
    size_t naddr = 0;
    if (tg_resolve_pick(cfg->url.host, cfg->url.port, 2 * TG_NS_PER_S, &cfg->addr, &cfg->addrlen, &naddr,
                        tried, sizeof tried, rwhy, sizeof rwhy) != 0)
        return usage("%s", rwhy);
    if (naddr > 1 && tried[0]) {
        char used[80];
        tg_resolve_format((const struct sockaddr *)&cfg->addr, used, sizeof used);
        fprintf(stderr, "tailgate run: '%s' has %zu addresses; tried %s; using %s\n", cfg->url.host, naddr,
                tried, used);
    }
    return 0;
}

/* The dialect and the payload lines (split by it when batching). */
static int load_payloads(struct run *x)
{
    struct run_opts *o = &x->o;
    const struct tg_api *api = tg_api_find(o->api);
    if (o->batch > 1 && !api->build_batch)
        return usage("--api %s is not batchable (batchable: %s)", api->name, tg_api_batchable_names());
    char why[320];
    int prc = tg_payloads_load(o->payloads, o->batch > 1 ? api : NULL, &x->payloads, why, sizeof why);
    if (prc) {
        if (prc == TG_EPARSE || prc == TG_EINVAL)
            return usage("payloads %s: %s%s", o->payloads, why,
                         o->batch > 1 && prc == TG_EPARSE ? " (--batch needs single-input lines of --api)" : "");
        return usage("cannot read payloads %s: %s", o->payloads, tg_strerror(prc));
    }
    x->cfg.api = api;
    if (!o->set_n && !o->duration_ns && !o->baseline)
        o->inputs = x->payloads->n;
    if (!o->connections)
        o->connections = o->concurrency;
    x->cfg.nheaders = tg_run_headers(o, x->headers);
    x->cfg.headers = x->headers;
    /* X-Request-Id on every request, but baseline sends input.py's exact
     * bytes, and a -H X-Request-Id of the user's wins. */
    x->cfg.request_ids = !o->baseline;
    for (size_t i = 0; i < x->cfg.nheaders; i++)
        if (!strcasecmp(x->headers[i].name, "X-Request-Id"))
            x->cfg.request_ids = false;
    if (x->cfg.request_ids)
        make_run_token(x->cfg.run_token);
    return 0;
}

/* The output directory, requests.csv with its header, the --save-outputs file. */
static int open_outputs(struct run *x)
{
    const struct run_opts *o = &x->o;
    x->out_dir = o->out_dir;
    if (!x->out_dir) {
        char stamp[32];
        tg_utc_stamp(stamp, sizeof stamp);
        snprintf(x->out_dir_buf, sizeof x->out_dir_buf, "results/run-%s", stamp);
        x->out_dir = x->out_dir_buf;
    }
    int ds = dir_state(x->out_dir);
    if (ds < 0)
        return usage("cannot use output directory %s: %s", x->out_dir, strerror(-ds));
    if (ds == 2 && !o->force)
        return usage("output directory %s is not empty (use --force to overwrite)", x->out_dir);
    int mrc = tg_mkdir_p(x->out_dir);
    if (mrc)
        return usage("cannot create output directory %s: %s", x->out_dir, strerror(-mrc));
    snprintf(x->path, sizeof x->path, "%s/requests.csv", x->out_dir);
    x->csv_fd = open(x->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0666);
    if (x->csv_fd < 0)
        return usage("cannot create %s: %s", x->path, strerror(errno));
    if (write(x->csv_fd, tg_csv_header, strlen(tg_csv_header)) < 0)
        return usage("cannot write %s: %s", x->path, strerror(errno));
    if (o->save_outputs) {
        x->out_fd = open(o->save_outputs, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0666);
        if (x->out_fd < 0)
            return usage("cannot create %s: %s", o->save_outputs, strerror(errno));
    }
    /* The stream file: by default whenever the dialect streams; written to
     * a temporary name and renamed when complete, like summary.json. */
    if (o->save_stream)
        snprintf(x->stream_path, sizeof x->stream_path, "%s", o->save_stream);
    else if (!o->no_stream_file && o->outputs && x->cfg.api->stream_event)
        snprintf(x->stream_path, sizeof x->stream_path, "%s/stream.jsonl", x->out_dir);
    if (x->stream_path[0]) {
        snprintf(x->stream_tmp, sizeof x->stream_tmp, "%s.tmp", x->stream_path);
        x->stream_fd = open(x->stream_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0666);
        if (x->stream_fd < 0)
            return usage("cannot create %s: %s", x->stream_tmp, strerror(errno));
    }
    return 0;
}

/* The stream file is complete: fsync, then rename it into place. */
static int finish_stream_file(struct run *x)
{
    if (x->stream_fd < 0)
        return 0;
    int rc = fsync(x->stream_fd) != 0 ? -errno : 0;
    close(x->stream_fd);
    x->stream_fd = -1;
    if (!rc && rename(x->stream_tmp, x->stream_path) != 0)
        rc = -errno;
    if (rc)
        unlink(x->stream_tmp);
    return rc;
}


/* Per-worker writers and progress, the rest of the engine config, the engine. */
static int setup_engine(struct run *x)
{
    const struct run_opts *o = &x->o;
    struct tg_engine_config *cfg = &x->cfg;
    x->wctx = calloc(o->threads, sizeof *x->wctx);
    x->wptr = calloc(o->threads, sizeof *x->wptr);
    if (!x->wctx || !x->wptr)
        return usage("out of memory");
    /* progress: a live line on a terminal, plain lines on request, nothing with -q */
    const char *term = getenv("TERM");
    x->live = !o->quiet && isatty(STDERR_FILENO) && !(term && !strcmp(term, "dumb"));
    x->show = x->live || (o->progress && !o->quiet);
    for (uint64_t i = 0; x->show && i < o->threads; i++)
        if (!(x->wctx[i].lat = tg_progress_lat_new()))
            return usage("out of memory");
    for (uint64_t i = 0; i < o->threads; i++) {
        tg_writer_init(&x->wctx[i].csv, x->csv_fd, 64 * 1024);
        tg_writer_init(&x->wctx[i].outs, x->out_fd, 256 * 1024);
        tg_writer_set_lock(&x->wctx[i].csv, &x->csv_lock);
        tg_writer_set_lock(&x->wctx[i].outs, &x->outs_lock);
        tg_writer_init(&x->wctx[i].stream, x->stream_fd, 256 * 1024);
        tg_writer_set_lock(&x->wctx[i].stream, &x->stream_lock);
        x->wctx[i].save = x->out_fd >= 0;
        x->wctx[i].save_stream = x->stream_fd >= 0;
        x->wptr[i] = &x->wctx[i];
    }
    cfg->payloads = x->payloads;
    cfg->inputs = o->duration_ns && !o->set_n ? UINT64_MAX : o->inputs;
    cfg->duration_ns = o->duration_ns;
    cfg->concurrency = (uint32_t)o->concurrency;
    cfg->rate = o->rate;
    cfg->arrival = strcmp(o->arrival, "poisson") ? TG_ARRIVAL_CONSTANT : TG_ARRIVAL_POISSON;
    cfg->seed = o->seed;
    cfg->batch = (uint32_t)o->batch;
    cfg->batch_wait_ns = (uint64_t)(o->batch_wait_ms * 1e6);
    cfg->connections = (uint32_t)o->connections;
    cfg->keepalive = o->keepalive;
    cfg->preconnect = o->preconnect;
    cfg->timeout_ns = o->timeout_ns;
    cfg->threads = (uint32_t)o->threads;
    cfg->parse_outputs = o->outputs;
    cfg->keep_outputs = x->out_fd >= 0;
    cfg->max_response_bytes = (size_t)o->max_response;
    cfg->keep_stream = x->stream_fd >= 0;
    cfg->on_result = tg_run_on_result;
    cfg->on_flush = tg_run_on_flush;
    cfg->worker_ctx = x->wptr;
    int erc = tg_engine_new(cfg, &x->engine);
    if (erc)
        return usage("cannot set up the engine: %s", tg_strerror(erc));
    return 0;
}

/* Runs the engine to its end with signals and progress, then joins it. */
static int run_engine(struct run *x, const struct tg_engine_totals **t)
{
    const struct run_opts *o = &x->o;
    /* Signals are taken synchronously by this thread; workers never see them. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (x->cfg.url.tls && o->insecure)
        fprintf(stderr, "tailgate run: WARNING: --insecure: TLS certificates and host names are NOT verified "
                        "(results recorded with \"insecure\": true)\n");

    tg_utc_iso(x->started_at, sizeof x->started_at);
    uint64_t t0 = tg_now_ns();
    if (x->show && !(x->progress = tg_progress_new(x->cfg.inputs, t0)))
        return usage("out of memory");
    int erc = tg_engine_start(x->engine);
    if (erc)
        return usage("cannot start worker threads: %s", tg_strerror(erc));
    int signals = 0;
    uint64_t next_line = t0 + o->progress_interval_ns, line_done = UINT64_MAX;
    while (!tg_engine_finished(x->engine)) {
        struct timespec ts = { 0, 200 * 1000 * 1000 };
        int s = sigtimedwait(&sigs, NULL, &ts);
        if (s == SIGINT || s == SIGTERM) {
            if (signals++ == 0)
                tg_engine_interrupt(x->engine);
        }
        uint64_t now = tg_now_ns();
        if (x->progress && (x->live || now >= next_line)) {
            progress_tick(x->progress, x->engine, x->wctx, o->threads, now);
            if (x->live)
                tg_progress_print_live(x->progress, stderr, term_width());
            else {
                tg_progress_print_line(x->progress, stderr);
                line_done = tg_progress_done(x->progress);
                next_line += o->progress_interval_ns * ((now - next_line) / o->progress_interval_ns + 1);
            }
        }
    }
    if (x->progress) {
        /* every worker has flushed: the final counts */
        progress_tick(x->progress, x->engine, x->wctx, o->threads, tg_now_ns());
        if (x->live) {
            tg_progress_print_live(x->progress, stderr, term_width());
            tg_progress_clear_live(stderr);
        } else if (tg_progress_done(x->progress) != line_done) {
            tg_progress_print_line(x->progress, stderr);
        }
    }
    if (tg_engine_join(x->engine, t) != 0) {
        /* The inputs ran and their rows are on disk: a failed run, not a usage error. */
        fprintf(stderr, "tailgate run: out of memory merging statistics: no summary.json; the rows are in "
                        "%s/requests.csv\n", x->out_dir);
        return TG_EXIT_FAIL;
    }
    return 0;
}

/* Closes the rows, writes summary.json, prints the summary and the stderr
 * lines.  Returns the exit code. */
static int report(struct run *x, const struct tg_engine_totals *t)
{
    const struct run_opts *o = &x->o;
    int werr = 0;
    for (uint64_t i = 0; i < o->threads; i++) {
        int a = tg_writer_close(&x->wctx[i].csv), b = tg_writer_close(&x->wctx[i].outs),
            c = tg_writer_close(&x->wctx[i].stream);
        if (!werr)
            werr = a ? a : b ? b : c;
    }
    if (fsync(x->csv_fd) != 0 && !werr)
        werr = -errno;
    int serr = finish_stream_file(x);
    if (serr && !werr)
        werr = serr;

    /* SLOs: judged from the files now on disk (the code compare and tune use) */
    double wall_s = (double)t->wall_ns / 1e9;
    struct tg_slo_eval ev;
    char slo_err[320] = "";
    snprintf(x->path, sizeof x->path, "%s/requests.csv", x->out_dir);
    int slo_rc = werr ? TG_EIO
                      : tg_run_slo_eval(o, x->path, x->stream_path[0] ? x->stream_path : NULL, wall_s, t->ok, &ev,
                                        slo_err, sizeof slo_err);
    if (werr && o->nslos)
        snprintf(slo_err, sizeof slo_err, "the results are not whole");
    if (slo_rc && !o->nslos)
        slo_rc = 0;   /* (werr without SLOs: reported below) */
    json_t *slos_json = slo_rc ? json_array() : tg_slo_eval_json(&ev, o->slo_confidence);
    const char *slo_texts[TG_SLO_MAX];
    for (size_t i = 0; i < o->nslos; i++)
        slo_texts[i] = o->slos[i].text;

    /* Observed, so recorded after the run: where server queue/compute came
     * from (the source of most responses that reported any). */
    const char *ts = t->timing_server_timing == 0 && t->timing_headers == 0 ? "none"
                     : t->timing_server_timing >= t->timing_headers        ? "server-timing"
                                                                            : "headers";
    json_object_set_new(x->config, "server_timing_source", json_string(ts));
    json_object_set_new(x->config, "save_stream", x->stream_path[0] ? json_string(x->stream_path) : json_null());

    struct tg_summary_class classes[TG_ERRC_COUNT];
    size_t nclasses = 0;
    for (int c = 1; c < TG_ERRC_COUNT; c++)
        classes[nclasses++] = (struct tg_summary_class){ tg_errc_name((enum tg_errc)c), t->by_class[c] };
    const struct tg_hist *phases[TG_PHASE_COUNT];
    for (int p = 0; p < TG_PHASE_COUNT; p++)
        phases[p] = t->phase[p];
    struct tg_summary sum = {
        .tool_version = TG_VERSION,
        .config = x->config,
        .payload_sha256 = x->payloads->sha256,
        .inputs = t->inputs, .ok = t->ok, .failed = t->failed,
        .classes = classes, .nclasses = nclasses,
        .http_requests = t->http_requests, .connections_opened = t->connections_opened,
        .bytes_out = t->bytes_out, .bytes_in = t->bytes_in,
        .latency = t->latency, .latency_uncorrected = t->latency_uncorrected,
        .phase_names = tg_phase_names, .phases = phases, .nphases = TG_PHASE_COUNT,
        .wall_time_s = (double)t->wall_ns / 1e9,
        .open_loop = o->rate > 0,
        .late_inputs = t->late_inputs,
        .max_lag_ms = (double)t->max_lag_ns / 1e6,
        .mean_lag_ms = t->mean_lag_ns / 1e6,
        .interrupted = t->interrupted,
        .started_at = x->started_at,
        .tls = x->cfg.url.tls,
        .tls_handshakes = t->tls_handshakes,
        .tls_handshake = t->tls_handshake,
        .tls_protocol = t->tls_protocol,
        .tls_cipher = t->tls_cipher,
        .streamed = t->streamed,
        .ttft = t->ttft, .tpot = t->tpot, .itl = t->itl,
        .output_tokens = t->output_tokens,
        .tokens_from_usage = t->tokens_from_usage,
        .slos = slos_json,
        .slo_texts = slo_texts, .nslos = o->nslos,
        .goodput_inputs = slo_rc ? 0 : ev.good,
    };
    x->summary_doc = tg_summary_build(&sum);
    snprintf(x->path, sizeof x->path, "%s/summary.json", x->out_dir);
    int src = x->summary_doc ? tg_summary_write(x->path, x->summary_doc) : -ENOMEM;
    json_decref(slos_json);
    tg_summary_print(stdout, &sum, x->out_dir);
    if (o->nslos && !slo_rc)
        tg_slo_eval_print(stdout, &ev, o->slo_confidence);
    fflush(stdout);

    if (werr)
        fprintf(stderr, "tailgate run: writing results failed: %s\n", tg_strerror(werr));
    if (src)
        fprintf(stderr, "tailgate run: cannot write %s: %s\n", x->path, tg_strerror(src));
    if (o->rate > 0 && t->late_inputs)
        fprintf(stderr, "tailgate run: fell behind schedule: %llu inputs started more than 10 ms late "
                        "(max lag %.1f ms)\n", (unsigned long long)t->late_inputs, (double)t->max_lag_ns / 1e6);
    uint64_t tls_failed = t->by_class[TG_ERRC_TLS];
    if (tls_failed && t->first_tls_error[0])
        fprintf(stderr, "tailgate run: TLS: %s%s\n", t->first_tls_error,
                t->tls_verify_failed ? " (use --cacert FILE or --insecure)" : "");
    char shown[1024];
    if (t->by_class[TG_ERRC_CONNECT] && t->by_class[TG_ERRC_CONNECT] == t->failed && t->ok == 0)
        fprintf(stderr, "tailgate run: %s is unreachable: %s\n", tg_redact_url(o->url, shown, sizeof shown),
                t->first_error);
    else if (t->failed > t->by_class[TG_ERRC_INTERRUPTED] + (t->first_tls_error[0] ? tls_failed : 0))
        fprintf(stderr, "tailgate run: %llu inputs failed; first: %s\n",
                (unsigned long long)(t->failed - t->by_class[TG_ERRC_INTERRUPTED]), t->first_error);

    if (o->nslos && slo_rc)
        fprintf(stderr, "tailgate run: SLOs not judged: %s\n", slo_err);
    bool slo_failed = false;
    for (size_t i = 0; o->nslos && !slo_rc && i < ev.n; i++)
        if (ev.res[i].verdict == TG_VERDICT_FAIL) {
            if (!slo_failed)
                fprintf(stderr, "tailgate run: SLO %s FAILED: p%g %.1f ms, %llu/%llu samples over the limit\n",
                        ev.slo[i].text, ev.slo[i].p * 100, ev.res[i].estimate_ms,
                        (unsigned long long)ev.res[i].over, (unsigned long long)ev.res[i].n);
            slo_failed = true;
        }

    if (t->interrupted)
        return TG_EXIT_INTERRUPTED;
    if (t->failed || werr || src || slo_failed || (o->nslos && slo_rc))
        return TG_EXIT_FAIL;
    return TG_EXIT_OK;
}

static void run_free(struct run *x)
{
    tg_engine_free(x->engine);
    for (uint64_t i = 0; x->wctx && i < x->o.threads; i++)
        tg_progress_lat_free(x->wctx[i].lat);
    tg_progress_free(x->progress);
    tg_tls_free(x->tls);
    free(x->wctx);
    free(x->wptr);
    if (x->csv_fd >= 0)
        close(x->csv_fd);
    if (x->out_fd >= 0)
        close(x->out_fd);
    if (x->stream_fd >= 0) {
        close(x->stream_fd);
        unlink(x->stream_tmp);   /* never completed */
    }
    json_decref(x->config);
    json_decref(x->summary_doc);
    tg_payloads_free(x->payloads);
    tg_run_opts_free(&x->o);
}

int tg_cmd_run(int argc, char **argv)
{
    struct run *x = calloc(1, sizeof *x);
    if (!x)
        return usage("out of memory");
    x->csv_fd = x->out_fd = x->stream_fd = -1;
    pthread_mutex_init(&x->csv_lock, NULL);
    pthread_mutex_init(&x->outs_lock, NULL);
    pthread_mutex_init(&x->stream_lock, NULL);
    const struct tg_engine_totals *t = NULL;
    int rc = tg_run_parse_opts(argc, argv, &x->o);
    if (rc < 0)
        rc = resolve(x);
    else
        goto done;   /* --help or a usage error */
    if (!rc)
        rc = load_payloads(x);
    if (!rc)
        rc = open_outputs(x);
    if (!rc && !(x->config = tg_run_config_json(&x->o, &x->cfg, x->payloads->n, x->out_dir)))
        rc = usage("out of memory");
    if (!rc)
        rc = setup_engine(x);
    if (!rc)
        rc = run_engine(x, &t);
    if (!rc)
        rc = report(x, t);
done:
    run_free(x);
    pthread_mutex_destroy(&x->csv_lock);
    pthread_mutex_destroy(&x->outs_lock);
    pthread_mutex_destroy(&x->stream_lock);
    free(x);
    return rc;
}
