/*
 * run.c - `tailgate run`: options -> engine config, output directory,
 * signals and progress, then requests.csv (streamed by the workers),
 * summary.json and the human summary.
 */
#include "api/api.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "core/fs.h"
#include "core/error.h"
#include "core/redact.h"
#include "core/time.h"
#include "core/units.h"
#include "engine/engine.h"
#include "engine/tls.h"
#include "output/csv.h"
#include "output/progress.h"
#include "output/summary.h"
#include "output/writer.h"
#include "stats/hist.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_HEADERS 32
#define OPEN_LOOP_MAX_IN_FLIGHT 1000

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
};

static const struct run_opts defaults = {
    .mode = "default",
    .concurrency = 20,
    .inputs = 0,
    .duration_ns = 0,
    .rate = 0,
    .arrival = "constant",
    .payloads = "workload/requests.jsonl",
    .batch = 1,
    .batch_wait_ms = 0,
    .api = "tailgate",
    .connections = 0,
    .keepalive = true,
    .preconnect = false,
    .timeout_ns = 30 * TG_NS_PER_S,
    .threads = 1,
    .seed = 1,
    .save_outputs = NULL,
    .outputs = true,
    .out_dir = NULL,
    .force = false,
    .max_response = 64ULL << 20,
    .quiet = false,
    .progress = false,
    .progress_interval_ns = 5 * TG_NS_PER_S,
    .cacert = NULL,
    .insecure = false,
};

/* input.py's client: httpx 0.23.3 AsyncClient defaults. */
#define BASELINE_POOL 100
#define BASELINE_INPUTS 400
#define BASELINE_CONCURRENCY 20
static const struct tg_http_kv baseline_headers[] = {
    { "Accept", "*/*" },
    { "Accept-Encoding", "gzip, deflate" },
    { "Connection", "keep-alive" },
    { "User-Agent", "python-httpx/0.23.3" },
    { "Content-Type", "application/json" },
};

static void help(void)
{
    printf("usage: tailgate run [options] URL\n\n"
           "One load test against URL (POST, one payload line per input).  Writes\n"
           "OUT/requests.csv (a row per input) and OUT/summary.json; prints a summary.\n\n"
           "Load model:\n"
           "  -c, --concurrency N      closed loop: inputs in flight (default %llu);\n"
           "                           open loop: the most in flight (default %d)\n"
           "  -n, --inputs N           inputs to send (default: one per payload line; 400 in baseline mode)\n"
           "  -d, --duration DUR       start inputs for DUR (e.g. 5s); with -n, whichever ends first\n"
           "      --rate R             open loop: R inputs/s, latency from the intended send time\n"
           "      --arrival A          constant|poisson (default %s)\n"
           "      --seed S             seed for Poisson arrivals (default %llu)\n"
           "Workload:\n"
           "      --payloads FILE      JSON lines, one request body each (default %s)\n"
           "      --mode M             default|baseline: baseline reproduces input.py's httpx client\n"
           "                           (its headers, pool of %d lazy keep-alive connections, timeout 30 s,\n"
           "                           -c %d, -n %d)\n"
           "Batching:\n"
           "      --batch B            coalesce up to B ready inputs into one request (default 1)\n"
           "      --batch-wait-ms W    send a partial batch W ms after its first input (default 0: at once)\n"
           "      --api NAME           the endpoint's API: %s (default %s);\n"
           "                           payload lines are that API's single-input bodies (docs/api.md)\n"
           "      --batch-format NAME  the old name of --api (kept as an alias)\n"
           "Connections:\n"
           "      --connections N      pool size (default: = concurrency)\n"
           "      --no-keepalive       one connection per request\n"
           "      --preconnect         open the pool before the first input\n"
           "  -H, --header 'N: V'      extra request header (repeatable)\n"
           "      --timeout DUR        per request (default 30s)\n"
           "      --threads N          worker threads, one event loop each (default %llu)\n"
           "HTTPS (certificate and host name verified against the system CA store by default):\n"
           "      --cacert FILE        trust the CA or self-signed certificate(s) in PEM FILE instead\n"
           "      --insecure           do not verify the certificate or host name (warned, recorded)\n"
           "Outputs:\n"
           "      --no-outputs         do not parse response bodies (no output_hash)\n"
           "      --save-outputs FILE  write {\"request_id\",\"output\"} JSON lines\n"
           "      --max-response SIZE  largest accepted response (default 64M)\n"
           "  -o, --out DIR            output directory (default results/run-<UTC stamp>)\n"
           "      --force              write into a non-empty existing directory\n"
           "Progress (stderr):\n"
           "      --progress           also when stderr is not a terminal: a plain line every\n"
           "                           --progress-interval (default: only a live line on a terminal)\n"
           "      --progress-interval DUR  plain-line period (default %llus)\n"
           "  -q, --quiet              no progress at all\n"
           "                           (the live line: elapsed, done/total, inputs/s over the last second,\n"
           "                           running P50/P95 of ok inputs (+-3 %%), errors; no colour is used)\n"
           "  -h, --help\n\n"
           "Exit: 0 all inputs ok, 1 some failed, 2 usage/setup error, 3 interrupted.\n",
           (unsigned long long)defaults.concurrency, OPEN_LOOP_MAX_IN_FLIGHT, defaults.arrival, (unsigned long long)defaults.seed,
           defaults.payloads, BASELINE_POOL, BASELINE_CONCURRENCY, BASELINE_INPUTS, tg_api_names(),
           defaults.api, (unsigned long long)defaults.threads,
           (unsigned long long)(defaults.progress_interval_ns / TG_NS_PER_S));
}

#define usage(...) tg_cli_usage_error("run", __VA_ARGS__)

/* ---- per-worker output ------------------------------------------------------ */

struct wctx {
    struct tg_writer csv;
    struct tg_writer outs;
    bool save;
    struct tg_progress_lat *lat;   /* NULL: no progress shown */
};

static void on_result(void *ctx, const struct tg_input_result *r)
{
    struct wctx *c = ctx;
    struct tg_csv_row row = {
        .request_id = r->request_id,
        .timestamp_ms = r->timestamp_ms,
        .latency_ns = r->latency_ns,
        .status = r->status,
        .ok = r->ok,
        .sent = r->sent,
        .http_request_id = r->http_request_id,
        .batch_size = r->batch_size,
        .client_queue_ns = r->client_queue_ns,
        .connect_ns = r->connect_ns,
        .tls_ns = r->tls_ns,
        .ttfb_ns = r->ttfb_ns,
        .service_ns = r->service_ns,
        .server_queue_ms = r->server_queue_ms,
        .server_compute_ms = r->server_compute_ms,
        .bytes_out = r->bytes_out,
        .bytes_in = r->bytes_in,
        .output_hash = r->output_hash,
        .error = tg_errc_name(r->errc),
        .latency_uncorrected_ns = r->latency_uncorrected_ns,
        .worker = r->worker,
        .error_detail = r->error_detail,
    };
    if (c->lat && r->ok)
        tg_progress_lat_record(c->lat, r->latency_ns / 1000);
    char *p = tg_writer_reserve(&c->csv, TG_CSV_ROW_MAX);
    if (p)
        tg_writer_commit(&c->csv, tg_csv_format_row(p, &row));
    if (c->save && r->output_json) {
        char head[64];
        int n = snprintf(head, sizeof head, "{\"request_id\":%llu,\"output\":", (unsigned long long)r->request_id);
        char *q = tg_writer_reserve(&c->outs, (size_t)n + r->output_len + 3);
        if (q) {
            memcpy(q, head, (size_t)n);
            memcpy(q + n, r->output_json, r->output_len);
            memcpy(q + n + r->output_len, "}\n", 2);
            tg_writer_commit(&c->outs, (size_t)n + r->output_len + 2);
        }
    }
}

static void on_flush(void *ctx)
{
    struct wctx *c = ctx;
    tg_writer_flush(&c->csv);
    if (c->save)
        tg_writer_flush(&c->outs);
    if (c->lat)
        tg_progress_lat_publish(c->lat);
}

/* ---- helpers ------------------------------------------------------------------ */

/* The URL as recorded: no userinfo, query values of secret-looking names redacted. */
static json_t *safe_url(const struct tg_url *u)
{
    char out[4096];
    size_t o = (size_t)snprintf(out, sizeof out, "%s://%s", u->tls ? "https" : "http", u->authority);
    if (tg_redact_put_path(out, sizeof out, o, u->path) >= sizeof out - 1)
        return json_string("(URL too long)");
    return json_string(out);
}

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

static int parse_u64_opt(const char *name, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (tg_parse_count(s, min, max, out) != 0) {
        usage("invalid %s '%s' (expected a count in [%llu, %llu])", name, s, (unsigned long long)min,
              (unsigned long long)max);
        return -1;
    }
    return 0;
}

/* ---- progress -------------------------------------------------------------------- */

static unsigned term_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0)
        return ws.ws_col;
    return 0;
}

static void progress_tick(struct tg_progress *p, const struct tg_engine *e, struct wctx *w, uint64_t n,
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

/* ---- the command ---------------------------------------------------------------- */

enum {
    OPT_RATE = 256, OPT_ARRIVAL, OPT_PAYLOADS, OPT_MODE, OPT_BATCH, OPT_BATCH_WAIT, OPT_API,
    OPT_CONNECTIONS, OPT_NO_KEEPALIVE, OPT_PRECONNECT, OPT_TIMEOUT, OPT_THREADS, OPT_SEED,
    OPT_SAVE_OUTPUTS, OPT_NO_OUTPUTS, OPT_FORCE, OPT_MAX_RESPONSE, OPT_PROGRESS, OPT_PROGRESS_INTERVAL,
    OPT_CACERT, OPT_INSECURE,
};

static const struct option long_opts[] = {
    { "concurrency", required_argument, NULL, 'c' },
    { "inputs", required_argument, NULL, 'n' },
    { "requests", required_argument, NULL, 'n' },
    { "duration", required_argument, NULL, 'd' },
    { "rate", required_argument, NULL, OPT_RATE },
    { "arrival", required_argument, NULL, OPT_ARRIVAL },
    { "payloads", required_argument, NULL, OPT_PAYLOADS },
    { "mode", required_argument, NULL, OPT_MODE },
    { "batch", required_argument, NULL, OPT_BATCH },
    { "batch-wait-ms", required_argument, NULL, OPT_BATCH_WAIT },
    { "api", required_argument, NULL, OPT_API },
    { "batch-format", required_argument, NULL, OPT_API },
    { "connections", required_argument, NULL, OPT_CONNECTIONS },
    { "no-keepalive", no_argument, NULL, OPT_NO_KEEPALIVE },
    { "preconnect", no_argument, NULL, OPT_PRECONNECT },
    { "header", required_argument, NULL, 'H' },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "threads", required_argument, NULL, OPT_THREADS },
    { "seed", required_argument, NULL, OPT_SEED },
    { "save-outputs", required_argument, NULL, OPT_SAVE_OUTPUTS },
    { "no-outputs", no_argument, NULL, OPT_NO_OUTPUTS },
    { "out", required_argument, NULL, 'o' },
    { "force", no_argument, NULL, OPT_FORCE },
    { "max-response", required_argument, NULL, OPT_MAX_RESPONSE },
    { "quiet", no_argument, NULL, 'q' },
    { "progress", no_argument, NULL, OPT_PROGRESS },
    { "progress-interval", required_argument, NULL, OPT_PROGRESS_INTERVAL },
    { "cacert", required_argument, NULL, OPT_CACERT },
    { "insecure", no_argument, NULL, OPT_INSECURE },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

int tg_cmd_run(int argc, char **argv)
{
    struct run_opts o = defaults;
    bool set_c = false, set_n = false, set_conn = false, set_timeout = false, set_payloads = false;
    struct tg_http_kv user_headers[MAX_HEADERS];
    char *header_store[MAX_HEADERS];
    size_t nuser = 0;
    int rc = TG_EXIT_USAGE;
    struct tg_payloads *payloads = NULL;
    struct tg_engine *engine = NULL;
    struct tg_tls *tls = NULL;
    struct wctx *wctx = NULL;
    struct tg_progress *progress = NULL;
    void **wptr = NULL;
    json_t *config = NULL, *summary_doc = NULL;
    int csv_fd = -1, out_fd = -1;
    char out_dir_buf[256];

    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":c:n:d:H:o:qh", long_opts, NULL)) != -1) {
        uint64_t v;
        switch (ch) {
        case 'c':
            if (parse_u64_opt("-c", optarg, 1, 1000000, &o.concurrency))
                goto out;
            set_c = true;
            break;
        case 'n':
            if (parse_u64_opt("-n", optarg, 1, UINT64_MAX - 1, &o.inputs))
                goto out;
            set_n = true;
            break;
        case 'd':
            if (tg_parse_duration_ns(optarg, TG_NS_PER_S, &o.duration_ns) != 0 || o.duration_ns == 0) {
                rc = usage("invalid duration '%s' (e.g. 5s, 500ms, 2m)", optarg);
                goto out;
            }
            break;
        case OPT_RATE:
            if (tg_parse_double(optarg, 1e-6, 1e9, &o.rate) != 0) {
                rc = usage("invalid --rate '%s' (inputs per second, > 0)", optarg);
                goto out;
            }
            break;
        case OPT_ARRIVAL:
            if (strcmp(optarg, "constant") && strcmp(optarg, "poisson")) {
                rc = usage("invalid --arrival '%s' (constant or poisson)", optarg);
                goto out;
            }
            o.arrival = optarg;
            break;
        case OPT_PAYLOADS:
            o.payloads = optarg;
            set_payloads = true;
            break;
        case OPT_MODE:
            if (strcmp(optarg, "default") && strcmp(optarg, "baseline")) {
                rc = usage("invalid --mode '%s' (default or baseline)", optarg);
                goto out;
            }
            o.mode = optarg;
            break;
        case OPT_BATCH:
            if (parse_u64_opt("--batch", optarg, 1, 10000, &o.batch))
                goto out;
            break;
        case OPT_BATCH_WAIT:
            if (tg_parse_double(optarg, 0, 3.6e6, &o.batch_wait_ms) != 0) {
                rc = usage("invalid --batch-wait-ms '%s' (milliseconds >= 0)", optarg);
                goto out;
            }
            break;
        case OPT_API:
            if (!tg_api_find(optarg)) {
                rc = usage("unknown --api '%s' (known: %s)", optarg, tg_api_names());
                goto out;
            }
            o.api = optarg;
            break;
        case OPT_CONNECTIONS:
            if (parse_u64_opt("--connections", optarg, 1, 100000, &o.connections))
                goto out;
            set_conn = true;
            break;
        case OPT_NO_KEEPALIVE:
            o.keepalive = false;
            break;
        case OPT_PRECONNECT:
            o.preconnect = true;
            break;
        case 'H': {
            const char *colon = strchr(optarg, ':');
            if (nuser == MAX_HEADERS) {
                rc = usage("too many -H headers (at most %d)", MAX_HEADERS);
                goto out;
            }
            if (!colon || colon == optarg) {
                /* Not echoed: a malformed header may still hold a secret. */
                rc = usage("invalid -H header number %zu (expected 'Name: value'; not shown, it may hold a secret)",
                           nuser + 1);
                goto out;
            }
            for (const char *p = optarg; p < colon; p++)
                if (!isgraph((unsigned char)*p)) {
                    rc = usage("invalid header name in -H header number %zu (not shown, it may hold a secret)",
                               nuser + 1);
                    goto out;
                }
            if (strpbrk(optarg, "\r\n")) {
                char name[128];
                snprintf(name, sizeof name, "%.*s", (int)(colon - optarg), optarg);
                rc = usage("invalid header '%s: ...' (line break in the value)", name);
                goto out;
            }
            char *s = strdup(optarg);
            if (!s) {
                rc = usage("out of memory");
                goto out;
            }
            header_store[nuser] = s;
            s[colon - optarg] = '\0';
            char *val = s + (colon - optarg) + 1;
            while (*val == ' ' || *val == '\t')
                val++;
            user_headers[nuser++] = (struct tg_http_kv){ s, val };
            break;
        }
        case OPT_TIMEOUT:
            if (tg_parse_duration_ns(optarg, TG_NS_PER_S, &o.timeout_ns) != 0 || o.timeout_ns == 0) {
                rc = usage("invalid --timeout '%s' (e.g. 30s, 500ms)", optarg);
                goto out;
            }
            set_timeout = true;
            break;
        case OPT_THREADS:
            if (parse_u64_opt("--threads", optarg, 1, 256, &o.threads))
                goto out;
            break;
        case OPT_SEED:
            if (parse_u64_opt("--seed", optarg, 0, UINT64_MAX, &v))
                goto out;
            o.seed = v;
            break;
        case OPT_SAVE_OUTPUTS:
            o.save_outputs = optarg;
            break;
        case OPT_NO_OUTPUTS:
            o.outputs = false;
            break;
        case 'o':
            o.out_dir = optarg;
            break;
        case OPT_FORCE:
            o.force = true;
            break;
        case OPT_PROGRESS:
            o.progress = true;
            break;
        case OPT_PROGRESS_INTERVAL:
            if (tg_parse_duration_ns(optarg, TG_NS_PER_S, &o.progress_interval_ns) != 0 ||
                o.progress_interval_ns < 100 * TG_NS_PER_MS) {
                rc = usage("invalid --progress-interval '%s' (a duration >= 100ms, e.g. 5s)", optarg);
                goto out;
            }
            break;
        case OPT_MAX_RESPONSE:
            if (tg_parse_size(optarg, &o.max_response) != 0 || o.max_response < 1024 ||
                o.max_response > (1ULL << 32)) {
                rc = usage("invalid --max-response '%s' (1k..4G)", optarg);
                goto out;
            }
            break;
        case 'q':
            o.quiet = true;
            break;
        case OPT_CACERT:
            o.cacert = optarg;
            break;
        case OPT_INSECURE:
            o.insecure = true;
            break;
        case 'h':
            help();
            rc = TG_EXIT_OK;
            goto out;
        case ':':
            rc = usage("option '%s' needs a value", argv[optind - 1]);
            goto out;
        default:
            rc = usage("unknown option '%s' (see tailgate run --help)", argv[optind - 1]);
            goto out;
        }
    }

    bool baseline = !strcmp(o.mode, "baseline");
    const char *url_s = optind < argc ? argv[optind] : NULL;
    if (optind + 1 < argc) {
        rc = usage("unexpected argument '%s' (one URL only)", argv[optind + 1]);
        goto out;
    }
    if (baseline) {
        /* input.py's environment variables and defaults */
        if (!url_s)
            url_s = getenv("API_URL") ? getenv("API_URL") : "http://127.0.0.1:8000/v1/infer";
        if (!set_payloads && getenv("PAYLOADS"))
            o.payloads = getenv("PAYLOADS");
        if (!set_c)
            o.concurrency = BASELINE_CONCURRENCY;
        if (!set_n && !o.duration_ns)
            o.inputs = BASELINE_INPUTS;
        if (!set_conn)
            o.connections = BASELINE_POOL;
        if (!set_timeout)
            o.timeout_ns = 30 * TG_NS_PER_S;
        if (o.batch > 1) {
            rc = usage("--mode baseline sends one input per request; drop --batch");
            goto out;
        }
    }
    if (!url_s) {
        rc = usage("missing URL (e.g. http://127.0.0.1:8000/v1/infer)");
        goto out;
    }
    if (o.rate == 0 && strcmp(o.arrival, "constant")) {
        rc = usage("--arrival needs --rate");
        goto out;
    }
    if (!o.outputs && o.save_outputs) {
        rc = usage("--save-outputs needs the outputs (drop --no-outputs)");
        goto out;
    }
    if (o.rate > 0 && !set_c && !baseline)
        o.concurrency = OPEN_LOOP_MAX_IN_FLIGHT;   /* open loop: the schedule, not -c, sets the load */
    if (o.threads > o.concurrency)
        o.threads = o.concurrency;
    if (o.connections && o.threads > o.connections)
        o.threads = o.connections;   /* every worker needs a connection of its own */

    struct tg_engine_config cfg = { 0 };
    const char *why = NULL;
    if (tg_url_parse(url_s, &cfg.url, &why) != 0) {
        char shown[1024];
        rc = usage("bad URL '%s': %s", tg_redact_url(url_s, shown, sizeof shown), why ? why : "invalid");
        goto out;
    }
    if (!cfg.url.tls && (o.cacert || o.insecure)) {
        rc = usage("%s needs an https URL", o.cacert ? "--cacert" : "--insecure");
        goto out;
    }
    if (cfg.url.tls) {
        char twhy[400];
        int trc = tg_tls_new(o.insecure ? NULL : o.cacert, !o.insecure, &tls, twhy, sizeof twhy);
        if (trc) {
            rc = trc == TG_EINVAL ? usage("%s", twhy) : usage("TLS set-up: %s", tg_strerror(trc));
            goto out;
        }
        cfg.tls = tls;
    }
    {
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai = NULL;
        char port[8];
        snprintf(port, sizeof port, "%u", cfg.url.port);
        int g = getaddrinfo(cfg.url.host, port, &hints, &ai);
        if (g != 0 || !ai) {
            rc = usage("cannot resolve '%s': %s", cfg.url.host, gai_strerror(g));
            goto out;
        }
        memcpy(&cfg.addr, ai->ai_addr, ai->ai_addrlen);
        cfg.addrlen = ai->ai_addrlen;
        freeaddrinfo(ai);
    }

    const struct tg_api *api = tg_api_find(o.api);
    if (o.batch > 1 && !api->build_batch) {
        rc = usage("--api %s is not batchable (batchable: %s)", api->name, tg_api_batchable_names());
        goto out;
    }
    char why_buf[320];
    int prc = tg_payloads_load(o.payloads, o.batch > 1 ? api : NULL, &payloads, why_buf, sizeof why_buf);
    if (prc) {
        if (prc == TG_EPARSE || prc == TG_EINVAL)
            rc = usage("payloads %s: %s%s", o.payloads, why_buf,
                       o.batch > 1 && prc == TG_EPARSE ? " (--batch needs single-input lines of --api)" : "");
        else
            rc = usage("cannot read payloads %s: %s", o.payloads, tg_strerror(prc));
        goto out;
    }
    if (!set_n && !o.duration_ns && !baseline)
        o.inputs = payloads->n;
    if (!o.connections)
        o.connections = o.concurrency;

    /* headers: the mode's, then -H (replacing a same-named one) */
    struct tg_http_kv headers[MAX_HEADERS + 8];
    size_t nh = 0;
    if (baseline) {
        for (size_t i = 0; i < sizeof baseline_headers / sizeof baseline_headers[0]; i++)
            headers[nh++] = baseline_headers[i];
    } else {
        headers[nh++] = (struct tg_http_kv){ "User-Agent", "tailgate/" TG_VERSION };
        headers[nh++] = (struct tg_http_kv){ "Content-Type", "application/json" };
    }
    for (size_t i = 0; i < nuser; i++) {
        size_t j;
        for (j = 0; j < nh; j++)
            if (!strcasecmp(headers[j].name, user_headers[i].name))
                break;
        headers[j] = user_headers[i];
        if (j == nh)
            nh++;
    }

    /* the output directory */
    const char *out_dir = o.out_dir;
    if (!out_dir) {
        char stamp[32];
        tg_utc_stamp(stamp, sizeof stamp);
        snprintf(out_dir_buf, sizeof out_dir_buf, "results/run-%s", stamp);
        out_dir = out_dir_buf;
    }
    int ds = dir_state(out_dir);
    if (ds < 0) {
        rc = usage("cannot use output directory %s: %s", out_dir, strerror(-ds));
        goto out;
    }
    if (ds == 2 && !o.force) {
        rc = usage("output directory %s is not empty (use --force to overwrite)", out_dir);
        goto out;
    }
    int mrc = tg_mkdir_p(out_dir);
    if (mrc) {
        rc = usage("cannot create output directory %s: %s", out_dir, strerror(-mrc));
        goto out;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/requests.csv", out_dir);
    csv_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0666);
    if (csv_fd < 0) {
        rc = usage("cannot create %s: %s", path, strerror(errno));
        goto out;
    }
    if (write(csv_fd, tg_csv_header, strlen(tg_csv_header)) < 0) {
        rc = usage("cannot write %s: %s", path, strerror(errno));
        goto out;
    }
    if (o.save_outputs) {
        out_fd = open(o.save_outputs, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0666);
        if (out_fd < 0) {
            rc = usage("cannot create %s: %s", o.save_outputs, strerror(errno));
            goto out;
        }
    }

    /* the effective configuration, recorded in summary.json */
    config = json_object();
    json_object_set_new(config, "mode", json_string(o.mode));
    json_object_set_new(config, "load_model", json_string(o.rate > 0 ? "open" : "closed"));
    json_object_set_new(config, "concurrency", json_integer((json_int_t)o.concurrency));
    json_object_set_new(config, "inputs", o.duration_ns && !set_n ? json_null() : json_integer((json_int_t)o.inputs));
    json_object_set_new(config, "duration_s", o.duration_ns ? json_real((double)o.duration_ns / 1e9) : json_null());
    json_object_set_new(config, "rate", o.rate > 0 ? json_real(o.rate) : json_null());
    json_object_set_new(config, "arrival", o.rate > 0 ? json_string(o.arrival) : json_null());
    json_object_set_new(config, "batch", json_integer((json_int_t)o.batch));
    json_object_set_new(config, "batch_wait_ms", json_real(o.batch_wait_ms));
    json_object_set_new(config, "api", json_string(o.api));
    /* the pre-dialect name of the same setting, kept so older readers still find it */
    json_object_set_new(config, "batch_format", json_string(o.api));
    json_object_set_new(config, "connections", json_integer((json_int_t)o.connections));
    json_object_set_new(config, "keepalive", json_boolean(o.keepalive));
    json_object_set_new(config, "preconnect", json_boolean(o.preconnect));
    json_object_set_new(config, "timeout_ms", json_real((double)o.timeout_ns / 1e6));
    json_object_set_new(config, "threads", json_integer((json_int_t)o.threads));
    json_object_set_new(config, "seed", json_integer((json_int_t)o.seed));
    json_object_set_new(config, "url", safe_url(&cfg.url));
    json_t *hj = json_array();
    for (size_t i = 0; i < nh; i++) {
        char line[1024];
        snprintf(line, sizeof line, "%s: %s", headers[i].name,
                 tg_redact_is_secret_name(headers[i].name, strlen(headers[i].name)) ? "REDACTED" : headers[i].value);
        json_array_append_new(hj, json_string(line));
    }
    json_object_set_new(config, "headers", hj);
    json_object_set_new(config, "payloads", json_string(o.payloads));
    json_object_set_new(config, "payload_lines", json_integer((json_int_t)payloads->n));
    char *save_abs = o.save_outputs ? realpath(o.save_outputs, NULL) : NULL;
    json_object_set_new(config, "save_outputs",
                        o.save_outputs ? json_string(save_abs ? save_abs : o.save_outputs) : json_null());
    free(save_abs);
    json_object_set_new(config, "parse_outputs", json_boolean(o.outputs));
    json_object_set_new(config, "max_response_bytes", json_integer((json_int_t)o.max_response));
    json_object_set_new(config, "out_dir", json_string(out_dir));
    json_object_set_new(config, "insecure", json_boolean(cfg.url.tls && o.insecure));
    if (cfg.url.tls) {
        json_t *tj = json_object();
        char *ca_abs = o.cacert && !o.insecure ? realpath(o.cacert, NULL) : NULL;
        json_object_set_new(tj, "verify", json_boolean(!o.insecure));
        json_object_set_new(tj, "ca", json_string(o.insecure ? "none" : o.cacert ? (ca_abs ? ca_abs : o.cacert)
                                                                                 : "system"));
        free(ca_abs);
        json_object_set_new(tj, "sni", json_boolean(!strchr(cfg.url.host, ':') &&
                                                    strspn(cfg.url.host, "0123456789.") != strlen(cfg.url.host)));
        json_object_set_new(tj, "session_resumption", json_false());
        json_object_set_new(config, "tls", tj);
    } else {
        json_object_set_new(config, "tls", json_null());
    }

    /* the engine */
    wctx = calloc(o.threads, sizeof *wctx);
    wptr = calloc(o.threads, sizeof *wptr);
    if (!wctx || !wptr) {
        rc = usage("out of memory");
        goto out;
    }
    /* progress: a live line on a terminal, plain lines on request, nothing with -q */
    const char *term = getenv("TERM");
    bool live = !o.quiet && isatty(STDERR_FILENO) && !(term && !strcmp(term, "dumb"));
    bool show = live || (o.progress && !o.quiet);
    for (uint64_t i = 0; show && i < o.threads; i++)
        if (!(wctx[i].lat = tg_progress_lat_new())) {
            rc = usage("out of memory");
            goto out;
        }
    for (uint64_t i = 0; i < o.threads; i++) {
        tg_writer_init(&wctx[i].csv, csv_fd, 64 * 1024);
        tg_writer_init(&wctx[i].outs, out_fd, 256 * 1024);
        wctx[i].save = out_fd >= 0;
        wptr[i] = &wctx[i];
    }
    cfg.payloads = payloads;
    cfg.inputs = o.duration_ns && !set_n ? UINT64_MAX : o.inputs;
    cfg.duration_ns = o.duration_ns;
    cfg.concurrency = (uint32_t)o.concurrency;
    cfg.rate = o.rate;
    cfg.arrival = strcmp(o.arrival, "poisson") ? TG_ARRIVAL_CONSTANT : TG_ARRIVAL_POISSON;
    cfg.seed = o.seed;
    cfg.batch = (uint32_t)o.batch;
    cfg.batch_wait_ns = (uint64_t)(o.batch_wait_ms * 1e6);
    cfg.api = api;
    cfg.connections = (uint32_t)o.connections;
    cfg.keepalive = o.keepalive;
    cfg.preconnect = o.preconnect;
    cfg.headers = headers;
    cfg.nheaders = nh;
    cfg.timeout_ns = o.timeout_ns;
    cfg.threads = (uint32_t)o.threads;
    cfg.parse_outputs = o.outputs;
    cfg.keep_outputs = out_fd >= 0;
    cfg.max_response_bytes = (size_t)o.max_response;
    cfg.on_result = on_result;
    cfg.on_flush = on_flush;
    cfg.worker_ctx = wptr;
    int erc = tg_engine_new(&cfg, &engine);
    if (erc) {
        rc = usage("cannot set up the engine: %s", tg_strerror(erc));
        goto out;
    }

    /* Signals are taken synchronously by this thread; workers never see them. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (cfg.url.tls && o.insecure)
        fprintf(stderr, "tailgate run: WARNING: --insecure: TLS certificates and host names are NOT verified "
                        "(results recorded with \"insecure\": true)\n");

    char started_at[32];
    tg_utc_iso(started_at, sizeof started_at);
    uint64_t t0 = tg_now_ns();
    if (show && !(progress = tg_progress_new(cfg.inputs, t0))) {
        rc = usage("out of memory");
        goto out;
    }
    erc = tg_engine_start(engine);
    if (erc) {
        rc = usage("cannot start worker threads: %s", tg_strerror(erc));
        goto out;
    }
    int signals = 0;
    uint64_t next_line = t0 + o.progress_interval_ns, line_done = UINT64_MAX;
    while (!tg_engine_finished(engine)) {
        struct timespec ts = { 0, 200 * 1000 * 1000 };
        int s = sigtimedwait(&sigs, NULL, &ts);
        if (s == SIGINT || s == SIGTERM) {
            if (signals++ == 0)
                tg_engine_interrupt(engine);
        }
        uint64_t now = tg_now_ns();
        if (progress && (live || now >= next_line)) {
            progress_tick(progress, engine, wctx, o.threads, now);
            if (live)
                tg_progress_print_live(progress, stderr, term_width());
            else {
                tg_progress_print_line(progress, stderr);
                line_done = tg_progress_done(progress);
                next_line += o.progress_interval_ns * ((now - next_line) / o.progress_interval_ns + 1);
            }
        }
    }
    if (progress) {
        /* every worker has flushed: the final counts */
        progress_tick(progress, engine, wctx, o.threads, tg_now_ns());
        if (live) {
            tg_progress_print_live(progress, stderr, term_width());
            tg_progress_clear_live(stderr);
        } else if (tg_progress_done(progress) != line_done) {
            tg_progress_print_line(progress, stderr);
        }
    }

    const struct tg_engine_totals *t = NULL;
    if (tg_engine_join(engine, &t) != 0) {
        rc = usage("out of memory merging statistics");
        goto out;
    }
    int werr = 0;
    for (uint64_t i = 0; i < o.threads; i++) {
        int a = tg_writer_close(&wctx[i].csv), b = tg_writer_close(&wctx[i].outs);
        if (!werr)
            werr = a ? a : b;
    }
    if (fsync(csv_fd) != 0 && !werr)
        werr = -errno;

    struct tg_summary_class classes[TG_ERRC_COUNT];
    size_t nclasses = 0;
    for (int c = 1; c < TG_ERRC_COUNT; c++)
        classes[nclasses++] = (struct tg_summary_class){ tg_errc_name((enum tg_errc)c), t->by_class[c] };
    const struct tg_hist *phases[TG_PHASE_COUNT];
    for (int p = 0; p < TG_PHASE_COUNT; p++)
        phases[p] = t->phase[p];
    struct tg_summary sum = {
        .tool_version = TG_VERSION,
        .config = config,
        .payload_sha256 = payloads->sha256,
        .inputs = t->inputs, .ok = t->ok, .failed = t->failed,
        .classes = classes, .nclasses = nclasses,
        .http_requests = t->http_requests, .connections_opened = t->connections_opened,
        .bytes_out = t->bytes_out, .bytes_in = t->bytes_in,
        .latency = t->latency, .latency_uncorrected = t->latency_uncorrected,
        .phase_names = tg_phase_names, .phases = phases, .nphases = TG_PHASE_COUNT,
        .wall_time_s = (double)t->wall_ns / 1e9,
        .open_loop = o.rate > 0,
        .late_inputs = t->late_inputs,
        .max_lag_ms = (double)t->max_lag_ns / 1e6,
        .mean_lag_ms = t->mean_lag_ns / 1e6,
        .interrupted = t->interrupted,
        .started_at = started_at,
        .tls = cfg.url.tls,
        .tls_handshakes = t->tls_handshakes,
        .tls_handshake = t->tls_handshake,
        .tls_protocol = t->tls_protocol,
        .tls_cipher = t->tls_cipher,
    };
    summary_doc = tg_summary_build(&sum);
    snprintf(path, sizeof path, "%s/summary.json", out_dir);
    int src = summary_doc ? tg_summary_write(path, summary_doc) : -ENOMEM;
    tg_summary_print(stdout, &sum, out_dir);
    fflush(stdout);

    if (werr)
        fprintf(stderr, "tailgate run: writing results failed: %s\n", tg_strerror(werr));
    if (src)
        fprintf(stderr, "tailgate run: cannot write %s: %s\n", path, tg_strerror(src));
    if (o.rate > 0 && t->late_inputs)
        fprintf(stderr, "tailgate run: fell behind schedule: %llu inputs started more than 10 ms late "
                        "(max lag %.1f ms)\n", (unsigned long long)t->late_inputs, (double)t->max_lag_ns / 1e6);
    uint64_t tls_failed = t->by_class[TG_ERRC_TLS];
    if (tls_failed && t->first_tls_error[0])
        fprintf(stderr, "tailgate run: TLS: %s%s\n", t->first_tls_error,
                t->tls_verify_failed ? " (use --cacert FILE or --insecure)" : "");
    char shown[1024];
    if (t->by_class[TG_ERRC_CONNECT] && t->by_class[TG_ERRC_CONNECT] == t->failed && t->ok == 0)
        fprintf(stderr, "tailgate run: %s is unreachable: %s\n", tg_redact_url(url_s, shown, sizeof shown),
                t->first_error);
    else if (t->failed > t->by_class[TG_ERRC_INTERRUPTED] + (t->first_tls_error[0] ? tls_failed : 0))
        fprintf(stderr, "tailgate run: %llu inputs failed; first: %s\n",
                (unsigned long long)(t->failed - t->by_class[TG_ERRC_INTERRUPTED]), t->first_error);

    if (t->interrupted)
        rc = TG_EXIT_INTERRUPTED;
    else if (t->failed || werr || src)
        rc = TG_EXIT_FAIL;
    else
        rc = TG_EXIT_OK;
out:
    tg_engine_free(engine);
    for (uint64_t i = 0; wctx && i < o.threads; i++)
        tg_progress_lat_free(wctx[i].lat);
    tg_progress_free(progress);
    tg_tls_free(tls);
    free(wctx);
    free(wptr);
    if (csv_fd >= 0)
        close(csv_fd);
    if (out_fd >= 0)
        close(out_fd);
    json_decref(config);
    json_decref(summary_doc);
    tg_payloads_free(payloads);
    for (size_t i = 0; i < nuser; i++)
        free(header_store[i]);
    return rc;
}
