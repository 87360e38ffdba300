/*
 * run_opts.c - `tailgate run`'s options: the defaults (read by both the
 * parser and --help, run_help.c), and getopt_long into struct run_opts.
 */
#include "api/api.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/run.h"
#include "core/time.h"
#include "core/units.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
    .start_tolerance_ns = TG_NS_PER_S,
    .cacert = NULL,
    .insecure = false,
    .save_stream = NULL,
    .slo_confidence = 0.99,
    .burstiness = 0,
    .trace_speed = 1,
    .scrape_interval_ns = 1 * TG_NS_PER_S,
};

/* input.py's client: httpx 0.23.3 AsyncClient defaults (BASELINE_*: run.h). */
static const struct tg_http_kv baseline_headers[] = {
    { "Accept", "*/*" },
    { "Accept-Encoding", "gzip, deflate" },
    { "Connection", "keep-alive" },
    { "User-Agent", "python-httpx/0.23.3" },
    { "Content-Type", "application/json" },
};


#define usage(...) tg_cli_usage_error("run", __VA_ARGS__)

static int parse_u64_opt(const char *name, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (tg_parse_count(s, min, max, out) != 0) {
        usage("invalid %s '%s' (expected a count in [%llu, %llu])", name, s, (unsigned long long)min,
              (unsigned long long)max);
        return -1;
    }
    return 0;
}

enum {
    OPT_RATE = 256, OPT_ARRIVAL, OPT_PAYLOADS, OPT_MODE, OPT_BATCH, OPT_BATCH_WAIT, OPT_API,
    OPT_CONNECTIONS, OPT_NO_KEEPALIVE, OPT_PRECONNECT, OPT_TIMEOUT, OPT_THREADS, OPT_SEED,
    OPT_SAVE_OUTPUTS, OPT_NO_OUTPUTS, OPT_FORCE, OPT_MAX_RESPONSE, OPT_PROGRESS, OPT_PROGRESS_INTERVAL,
    OPT_CACERT, OPT_INSECURE, OPT_SAVE_STREAM, OPT_SLO, OPT_SLO_CONFIDENCE,
    /* load shapes */
    OPT_BURSTINESS, OPT_STAGES, OPT_TRACE, OPT_TRACE_SPEED,
    /* distributed runs */
    OPT_SHARD_INDEX, OPT_SHARD_COUNT, OPT_RUN_ID, OPT_START_AT, OPT_START_TOLERANCE,
    OPT_METRICS_LISTEN = 400, OPT_METRICS_PORT_FILE, OPT_METRICS_LINGER, OPT_SCRAPE, OPT_SCRAPE_INTERVAL,
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
    { "save-stream", required_argument, NULL, OPT_SAVE_STREAM },
    { "slo", required_argument, NULL, OPT_SLO },
    { "slo-confidence", required_argument, NULL, OPT_SLO_CONFIDENCE },
    /* load shapes */
    { "burstiness", required_argument, NULL, OPT_BURSTINESS },
    { "stages", required_argument, NULL, OPT_STAGES },
    { "trace", required_argument, NULL, OPT_TRACE },
    { "trace-speed", required_argument, NULL, OPT_TRACE_SPEED },
    { "shard-index", required_argument, NULL, OPT_SHARD_INDEX },
    { "shard-count", required_argument, NULL, OPT_SHARD_COUNT },
    { "run-id", required_argument, NULL, OPT_RUN_ID },
    { "start-at", required_argument, NULL, OPT_START_AT },
    { "start-tolerance", required_argument, NULL, OPT_START_TOLERANCE },
    { "metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN },
    { "metrics-port-file", required_argument, NULL, OPT_METRICS_PORT_FILE },
    { "metrics-linger", required_argument, NULL, OPT_METRICS_LINGER },
    { "scrape", required_argument, NULL, OPT_SCRAPE },
    { "scrape-interval", required_argument, NULL, OPT_SCRAPE_INTERVAL },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

int tg_run_parse_opts(int argc, char **argv, struct run_opts *o)
{
    *o = defaults;
    bool set_c = false, set_conn = false, set_timeout = false, set_payloads = false;
    bool set_arrival = false, set_speed = false;

    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = tg_cli_getopt_long(argc, argv, ":c:n:d:H:o:qh", long_opts)) != -1) {
        uint64_t v;
        switch (ch) {
        case 'c':
            if (parse_u64_opt("-c", optarg, 1, 1000000, &o->concurrency))
                return TG_EXIT_USAGE;
            set_c = true;
            break;
        case 'n':
            if (parse_u64_opt("-n", optarg, 1, UINT64_MAX - 1, &o->inputs))
                return TG_EXIT_USAGE;
            o->set_n = true;
            break;
        case 'd':
            if (tg_parse_duration_ns(optarg, TG_NS_PER_S, &o->duration_ns) != 0 || o->duration_ns == 0)
                return usage("invalid duration '%s' (e.g. 5s, 500ms, 2m)", optarg);
            o->set_d = true;
            break;
        case OPT_RATE:
            if (tg_parse_double(optarg, 1e-6, 1e9, &o->rate) != 0)
                return usage("invalid --rate '%s' (inputs per second, > 0)", optarg);
            break;
        case OPT_ARRIVAL:
            if (strcmp(optarg, "constant") && strcmp(optarg, "poisson") && strcmp(optarg, "gamma"))
                return usage("invalid --arrival '%s' (constant, poisson or gamma)", optarg);
            o->arrival = optarg;
            set_arrival = true;
            break;
        /* load shapes */
        case OPT_BURSTINESS:
            if (tg_parse_double(optarg, 1e-3, 1e6, &o->burstiness) != 0)
                return usage("invalid --burstiness '%s' (the gamma shape K, 0.001..1e6; 1 is Poisson)", optarg);
            break;
        case OPT_STAGES: {
            char why[200];
            int n = tg_stages_parse(optarg, o->stages, TG_STAGES_MAX, &o->stages_concurrency, why, sizeof why);
            if (n < 0)
                return usage("invalid --stages '%s': %s", optarg, why);
            o->nstages = (size_t)n;
            o->stages_text = optarg;
            break;
        }
        case OPT_TRACE:
            o->trace = optarg;
            break;
        case OPT_TRACE_SPEED:
            if (tg_parse_double(optarg, 1e-6, 1e6, &o->trace_speed) != 0 || o->trace_speed <= 0)
                return usage("invalid --trace-speed '%s' (a factor > 0, e.g. 2)", optarg);
            set_speed = true;
            break;
        case OPT_PAYLOADS:
            o->payloads = optarg;
            set_payloads = true;
            break;
        case OPT_MODE:
            if (strcmp(optarg, "default") && strcmp(optarg, "baseline"))
                return usage("invalid --mode '%s' (default or baseline)", optarg);
            o->mode = optarg;
            break;
        case OPT_BATCH:
            if (parse_u64_opt("--batch", optarg, 1, 10000, &o->batch))
                return TG_EXIT_USAGE;
            break;
        case OPT_BATCH_WAIT:
            if (tg_parse_double(optarg, 0, 3.6e6, &o->batch_wait_ms) != 0)
                return usage("invalid --batch-wait-ms '%s' (milliseconds >= 0)", optarg);
            break;
        case OPT_API:
            if (!tg_api_find(optarg))
                return usage("unknown --api '%s' (known: %s)", optarg, tg_api_names());
            o->api = optarg;
            break;
        case OPT_CONNECTIONS:
            if (parse_u64_opt("--connections", optarg, 1, 100000, &o->connections))
                return TG_EXIT_USAGE;
            set_conn = true;
            break;
        case OPT_NO_KEEPALIVE:
            o->keepalive = false;
            break;
        case OPT_PRECONNECT:
            o->preconnect = true;
            break;
        case 'H': {
            const char *colon = strchr(optarg, ':');
            if (o->nuser == TG_RUN_MAX_HEADERS)
                return usage("too many -H headers (at most %d)", TG_RUN_MAX_HEADERS);
            if (!colon || colon == optarg) {
                /* Not echoed: a malformed header may still hold a secret. */
                return usage("invalid -H header number %zu (expected 'Name: value'; not shown, it may hold a secret)",
                             o->nuser + 1);
            }
            for (const char *p = optarg; p < colon; p++)
                if (!isgraph((unsigned char)*p))
                    return usage("invalid header name in -H header number %zu (not shown, it may hold a secret)",
                                 o->nuser + 1);
            if (strpbrk(optarg, "\r\n")) {
                char name[128];
                snprintf(name, sizeof name, "%.*s", (int)(colon - optarg), optarg);
                return usage("invalid header '%s: ...' (line break in the value)", name);
            }
            char *s = strdup(optarg);
            if (!s)
                return tg_cli_resource_error("run", "out of memory");
            s[colon - optarg] = '\0';
            char *val = s + (colon - optarg) + 1;
            while (*val == ' ' || *val == '\t')
                val++;
            o->user_headers[o->nuser++] = (struct tg_http_kv){ s, val };
            break;
        }
        case OPT_TIMEOUT:
            if (tg_parse_duration_ns(optarg, TG_NS_PER_S, &o->timeout_ns) != 0 || o->timeout_ns == 0)
                return usage("invalid --timeout '%s' (e.g. 30s, 500ms)", optarg);
            set_timeout = true;
            break;
        case OPT_THREADS:
            if (parse_u64_opt("--threads", optarg, 1, 256, &o->threads))
                return TG_EXIT_USAGE;
            break;
        case OPT_SEED:
            if (parse_u64_opt("--seed", optarg, 0, UINT64_MAX, &v))
                return TG_EXIT_USAGE;
            o->seed = v;
            break;
        case OPT_SAVE_OUTPUTS:
            o->save_outputs = optarg;
            break;
        case OPT_NO_OUTPUTS:
            o->outputs = false;
            break;
        case 'o':
            o->out_dir = optarg;
            break;
        case OPT_FORCE:
            o->force = true;
            break;
        case OPT_PROGRESS:
            o->progress = true;
            break;
        case OPT_PROGRESS_INTERVAL:
            if (tg_parse_duration_ns(optarg, TG_NS_PER_S, &o->progress_interval_ns) != 0 ||
                o->progress_interval_ns < 100 * TG_NS_PER_MS)
                return usage("invalid --progress-interval '%s' (a duration >= 100ms, e.g. 5s)", optarg);
            break;
        case OPT_MAX_RESPONSE:
            if (tg_parse_size(optarg, &o->max_response) != 0 || o->max_response < 1024 ||
                o->max_response > (1ULL << 32))
                return usage("invalid --max-response '%s' (1k..4G)", optarg);
            break;
        case 'q':
            o->quiet = true;
            break;
        case OPT_CACERT:
            o->cacert = optarg;
            break;
        case OPT_INSECURE:
            o->insecure = true;
            break;
        case OPT_SAVE_STREAM:
            o->no_stream_file = !strcmp(optarg, "none");
            o->save_stream = o->no_stream_file ? NULL : optarg;
            break;
        case OPT_SLO: {
            char why[160];
            if (o->nslos == TG_SLO_MAX)
                return usage("too many --slo (at most %d)", TG_SLO_MAX);
            if (tg_slo_parse(optarg, &o->slos[o->nslos], why, sizeof why) != 0)
                return usage("invalid --slo '%s': %s", optarg, why);
            o->nslos++;
            break;
        }
        case OPT_SLO_CONFIDENCE:
            if (tg_parse_double(optarg, 0, 1, &o->slo_confidence) != 0 || o->slo_confidence <= 0 ||
                o->slo_confidence >= 1)
                return usage("invalid --slo-confidence '%s' (in (0, 1), e.g. 0.99)", optarg);
            break;
        case OPT_SHARD_INDEX: o->shard_index_text = optarg; break;
        case OPT_SHARD_COUNT: o->shard_count_text = optarg; break;
        case OPT_RUN_ID: o->run_id = optarg; break;
        case OPT_START_AT: o->start_at_text = optarg; break;
        case OPT_START_TOLERANCE:
            if (tg_parse_duration_ns(optarg, TG_NS_PER_S, &o->start_tolerance_ns) != 0)
                return usage("invalid --start-tolerance '%s' (a duration, e.g. 50ms)", optarg);
            break;
        /* Prometheus out (--metrics-*) and in (--scrape*) */
        case OPT_METRICS_LISTEN:
            o->metrics_listen = optarg;
            break;
        case OPT_METRICS_PORT_FILE:
            o->metrics_port_file = optarg;
            break;
        case OPT_METRICS_LINGER:
            if (tg_parse_duration_ns(optarg, TG_NS_PER_S, &o->metrics_linger_ns) != 0 ||
                o->metrics_linger_ns > 3600 * TG_NS_PER_S)
                return usage("invalid --metrics-linger '%s' (a duration up to 1h, e.g. 5s)", optarg);
            break;
        case OPT_SCRAPE:
            o->scrape_url = optarg;
            break;
        case OPT_SCRAPE_INTERVAL:
            if (tg_parse_duration_ns(optarg, TG_NS_PER_S, &o->scrape_interval_ns) != 0 ||
                o->scrape_interval_ns < 100 * TG_NS_PER_MS || o->scrape_interval_ns > 3600 * TG_NS_PER_S)
                return usage("invalid --scrape-interval '%s' (a duration in [100ms, 1h], e.g. 1s)", optarg);
            break;
        case 'h':
            tg_run_help(&defaults);
            return TG_EXIT_OK;
        case ':':
            return usage("option '%s' needs a value", argv[optind - 1]);
        default:
            return usage("unknown option '%s' (see tailgate run --help)", argv[optind - 1]);
        }
    }

    o->set_c = set_c;
    int src = tg_run_shape_opts(o, set_arrival, set_speed, set_payloads);
    if (src >= 0)
        return src;
    bool baseline = o->baseline = !strcmp(o->mode, "baseline");
    const char *url_s = optind < argc ? argv[optind] : NULL;
    if (optind + 1 < argc)
        return usage("unexpected argument '%s' (one URL only)", argv[optind + 1]);
    if (baseline) {
        /* input.py's environment variables and defaults */
        if (!url_s)
            url_s = getenv("API_URL") ? getenv("API_URL") : "http://127.0.0.1:8000/v1/infer";
        if (!set_payloads && getenv("PAYLOADS"))
            o->payloads = getenv("PAYLOADS");
        if (!set_c)
            o->concurrency = BASELINE_CONCURRENCY;
        if (!o->set_n && !o->duration_ns)
            o->inputs = BASELINE_INPUTS;
        if (!set_conn)
            o->connections = BASELINE_POOL;
        if (!set_timeout)
            o->timeout_ns = 30 * TG_NS_PER_S;
        if (o->batch > 1)
            return usage("--mode baseline sends one input per request; drop --batch");
    }
    o->payloads = tg_cli_data_path(o->payloads);   /* an installed workload too (core/datadir.h) */
    if (!url_s)
        return usage("missing URL (e.g. http://127.0.0.1:8000/v1/infer)");
    o->url = url_s;
    if (baseline && o->trace)
        return usage("--mode baseline sends input.py's payloads; drop --trace");
    if (!o->outputs && o->save_outputs)
        return usage("--save-outputs needs the outputs (drop --no-outputs)");
    if (!o->outputs && o->save_stream)
        return usage("--save-stream needs the outputs (drop --no-outputs)");
    if ((o->metrics_port_file || o->metrics_linger_ns) && !o->metrics_listen)
        return usage("%s needs --metrics-listen", o->metrics_port_file ? "--metrics-port-file" : "--metrics-linger");
    if (tg_run_open_loop(o) && !set_c && !baseline)
        o->concurrency = TG_RUN_OPEN_LOOP_MAX_IN_FLIGHT;   /* open loop: the schedule, not -c, sets the load */
    int shr = tg_run_shard_opts(o);
    if (shr >= 0)
        return shr;
    if (o->threads > tg_run_concurrency(o))
        o->threads = tg_run_concurrency(o);
    uint64_t conns = o->sharded ? o->shard_connections : o->connections;
    if (conns && o->threads > conns)
        o->threads = conns;   /* every worker needs a connection of its own */
    return -1;
}

void tg_run_opts_free(struct run_opts *o)
{
    for (size_t i = 0; i < o->nuser; i++)
        free((char *)o->user_headers[i].name);   /* one strdup holds name and value */
    o->nuser = 0;
}

size_t tg_run_headers(const struct run_opts *o, struct tg_http_kv *out)
{
    size_t nh = 0;
    if (o->baseline) {
        for (size_t i = 0; i < sizeof baseline_headers / sizeof baseline_headers[0]; i++)
            out[nh++] = baseline_headers[i];
    } else {
        out[nh++] = (struct tg_http_kv){ "User-Agent", "tailgate/" TG_VERSION };
        out[nh++] = (struct tg_http_kv){ "Content-Type", "application/json" };
    }
    for (size_t i = 0; i < o->nuser; i++) {
        size_t j;
        for (j = 0; j < nh; j++)
            if (!strcasecmp(out[j].name, o->user_headers[i].name))
                break;
        out[j] = o->user_headers[i];
        if (j == nh)
            nh++;
    }
    return nh;
}
