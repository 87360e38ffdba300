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
#include "cli/scrape.h"
#include "core/fs.h"
#include "core/error.h"
#include "core/redact.h"
#include "core/time.h"
#include "engine/engine.h"
#include "engine/resolve.h"
#include "engine/tls.h"
#include "engine/trace.h"
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
#include <time.h>
#include <unistd.h>

#define usage(...) tg_cli_usage_error("run", __VA_ARGS__)
#define resource(...) tg_cli_resource_error("run", __VA_ARGS__)

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

/* ---- the flow ------------------------------------------------------------------ */


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
    /* --cacert / --insecure verify the target and an https --scrape alike */
    bool scrape_tls = o->scrape_url && strncasecmp(o->scrape_url, "https://", 8) == 0;
    if (!cfg->url.tls && !scrape_tls && (o->cacert || o->insecure))
        return usage("%s needs an https URL (the target's or --scrape's)", o->cacert ? "--cacert" : "--insecure");
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

static int payloads_loaded(struct run *x, const struct tg_api *api);

/* --trace: its arrivals and bodies (engine/trace.h); one input per line,
 * -n or -d may cut it shorter. */
static int load_trace(struct run *x, const struct tg_api *api)
{
    struct run_opts *o = &x->o;
    char why[320];
    int rc = tg_trace_load(o->trace, api, o->batch > 1, o->seed, &x->trace, why, sizeof why);
    if (rc) {
        if (rc == TG_EPARSE || rc == TG_EINVAL)
            return usage("trace %s: %s", o->trace, why);
        return usage("cannot read trace %s: %s", o->trace, tg_strerror(rc));
    }
    x->payloads = x->trace->payloads;
    if (!o->set_n || o->inputs > x->trace->n)
        o->inputs = x->trace->n;
    o->set_n = true;   /* the trace bounds the run, -d or not */
    return payloads_loaded(x, api);
}

/* The dialect and the payload lines (split by it when batching). */
static int load_payloads(struct run *x)
{
    struct run_opts *o = &x->o;
    const struct tg_api *api = tg_api_find(o->api);
    if (o->batch > 1 && !api->build_batch)
        return usage("--api %s is not batchable (batchable: %s)", api->name, tg_api_batchable_names());
    char why[320];
    if (o->trace)
        return load_trace(x, api);
    int prc = tg_payloads_load(o->payloads, o->batch > 1 ? api : NULL, &x->payloads, why, sizeof why);
    if (prc) {
        if (prc == TG_EPARSE || prc == TG_EINVAL)
            return usage("payloads %s: %s%s", o->payloads, why,
                         o->batch > 1 && prc == TG_EPARSE ? " (--batch needs single-input lines of --api)" : "");
        return usage("cannot read payloads %s: %s", o->payloads, tg_strerror(prc));
    }
    return payloads_loaded(x, api);
}

/* After the payloads: the inputs, the pool, the headers and request ids. */
static int payloads_loaded(struct run *x, const struct tg_api *api)
{
    struct run_opts *o = &x->o;
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

/* Per-worker writers and progress, the rest of the engine config, the engine. */
static int setup_engine(struct run *x)
{
    const struct run_opts *o = &x->o;
    struct tg_engine_config *cfg = &x->cfg;
    x->wctx = calloc(o->threads, sizeof *x->wctx);
    x->wptr = calloc(o->threads, sizeof *x->wptr);
    if (!x->wctx || !x->wptr)
        return resource("out of memory");
    /* progress: a live line on a terminal, plain lines on request, nothing with -q */
    const char *term = getenv("TERM");
    x->live = !o->quiet && isatty(STDERR_FILENO) && !(term && !strcmp(term, "dumb"));
    x->show = x->live || (o->progress && !o->quiet);
    for (uint64_t i = 0; x->show && i < o->threads; i++)
        if (!(x->wctx[i].lat = tg_progress_lat_new()))
            return resource("out of memory");
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
    cfg->arrival = !strcmp(o->arrival, "poisson") ? TG_ARRIVAL_POISSON
                   : !strcmp(o->arrival, "gamma") ? TG_ARRIVAL_GAMMA
                   : !strcmp(o->arrival, "trace") ? TG_ARRIVAL_TRACE
                                                  : TG_ARRIVAL_CONSTANT;
    cfg->seed = o->seed;
    cfg->burstiness = o->burstiness;
    cfg->stages = o->nstages ? o->stages : NULL;
    cfg->nstages = o->nstages;
    cfg->stages_concurrency = o->stages_concurrency;
    cfg->trace_ns = x->trace ? x->trace->offsets_ns : NULL;
    cfg->ntrace = x->trace ? x->trace->n : 0;
    cfg->trace_speed = o->trace_speed;
    cfg->batch = (uint32_t)o->batch;
    cfg->batch_wait_ns = (uint64_t)(o->batch_wait_ms * 1e6);
    cfg->connections = (uint32_t)o->connections;
    tg_run_shard_apply(o, cfg);   /* a shard: its stripe, its part of -c and of the pool */
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
        return (erc == TG_ENOMEM ? tg_cli_resource_error : tg_cli_usage_error)("run", "cannot set up the engine: %s",
                                                                               tg_strerror(erc));
    return 0;
}

static void run_free(struct run *x)
{
    tg_scrape_stop(x->scraper, 0, NULL);   /* a failed start: no file */
    tg_run_metrics_free(x->metrics);        /* before the engine it reads */
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
    if (x->trace)
        tg_trace_free(x->trace);   /* owns x->payloads */
    else
        tg_payloads_free(x->payloads);
    tg_run_opts_free(&x->o);
}

int tg_cmd_run(int argc, char **argv)
{
    struct run *x = calloc(1, sizeof *x);
    if (!x)
        return resource("out of memory");
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
        rc = resource("out of memory");
    if (!rc)
        tg_run_config_add_trace(x->config, &x->o, x->trace);
    if (!rc)
        tg_run_shard_config(&x->o, x->config);
    if (!rc)
        rc = setup_engine(x);
    if (!rc)
        rc = tg_run_metrics_begin(x);
    if (!rc)
        rc = tg_run_loop(x, &t);
    if (!rc)
        rc = tg_run_report(x, t);
    if (t)
        tg_run_linger(x);
done:
    run_free(x);
    pthread_mutex_destroy(&x->csv_lock);
    pthread_mutex_destroy(&x->outs_lock);
    pthread_mutex_destroy(&x->stream_lock);
    free(x);
    return rc;
}
