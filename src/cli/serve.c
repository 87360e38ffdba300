/*
 * serve.c - `tailgate serve`: the placeholder inference server.
 * Options -> config, listen, write the port file, wait for SIGINT/SIGTERM,
 * drain, exit 0.
 */
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/serve_llm.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/time.h"
#include "core/units.h"
#include "server/accel.h"
#include "server/fault.h"
#include "server/model.h"
#include "server/server.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

struct serve_opts {
    const char *host;
    unsigned port;
    const char *port_file;
    const char *profile;
    int jitter;
    uint64_t seed;
    int dynamic_batching;
    double max_queue_delay_ms;
    uint64_t max_queue;
    uint64_t max_body;
    unsigned threads;
    unsigned max_connections;
    uint64_t drain_timeout_ns;
    uint64_t idle_timeout_ns;
    int no_server_timing;
    double batch_drift;
};

static const struct serve_opts defaults = {
    .host = "127.0.0.1",
    .port = 8000,
    .port_file = NULL,
    .profile = "default",
    .jitter = 1,
    .seed = 42,
    .dynamic_batching = 0,
    .max_queue_delay_ms = 5.0,
    .max_queue = 4096,
    .max_body = 1 << 20,
    .threads = 1,
    .max_connections = 16384,
    .drain_timeout_ns = 10 * TG_NS_PER_S,
    .idle_timeout_ns = 60 * TG_NS_PER_S,
    .no_server_timing = 0,
    .batch_drift = 0,
};

/* Prints the routes of every dialect the server serves, generated from the
 * dialect table: paths, an error body from the dialect's own writer, the
 * batch limit and the timing headers. */
static void help_routes(void)
{
    printf("Routes: every dialect at once, one accelerator (tailgate run --api NAME):\n");
    for (const struct tg_api *const *a = tg_api_all(); *a; a++) {
        const struct tg_api *d = *a;
        if (!tg_server_serves(d)) {
            printf("  %-18s (no server side in this build)\n", d->name);
            continue;
        }
        char path[256];
        if (!tg_api_path(d->route, TG_MODEL_NAME, path, sizeof path))
            printf("  %-18s POST %s\n", d->name, path);
        const char *gets[2][2] = { { d->health_route, "health" }, { d->metadata_route, "metadata" } };
        for (int k = 0; k < 2; k++)
            if (gets[k][0] && !tg_api_path(gets[k][0], TG_MODEL_NAME, path, sizeof path))
                printf("  %-18s GET %s (%s)\n", "", path, gets[k][1]);
        if (d->server_chunk) {
            printf("  %-18s model %s, streaming (SSE) or not; the placeholder LLM below\n", "",
                   TG_LLM_MODEL_NAME);
            continue;
        }
        struct tg_buf b = TG_BUF_INIT(0);
        if (!d->server_error(&b, 400, "..."))
            printf("  %-18s errors %s\n", "", b.data);
        tg_buf_free(&b);
        if (d->spec_max_batch)
            printf("  %-18s max batch min(%u, --max-batch)", "", (unsigned)d->spec_max_batch);
        else
            printf("  %-18s max batch --max-batch", "");
        if (d->queue_time_header || d->compute_time_header)
            printf("; headers %s%s%s (integer ms)", d->queue_time_header ? d->queue_time_header : "",
                   d->queue_time_header && d->compute_time_header ? ", " : "",
                   d->compute_time_header ? d->compute_time_header : "");
        printf("\n");
    }
    printf("  %-18s GET /metrics (Prometheus text); any other path: 404 in tailgate's shape\n\n",
           "(server)");
}

static void help(void)
{
    printf("usage: tailgate serve [options]\n\n"
           "The placeholder inference server: one simulated accelerator serving\n"
           "\"example-model\" (768-d embeddings) through every API dialect at once; the same\n"
           "text gives the same vector in every dialect.\n\n");
    help_routes();
    printf("  --host ADDR              bind address (default %s)\n"
           "  --port P                 TCP port, 0 = any free port (default %u)\n"
           "  --port-file F            write the bound port to F once listening\n"
           "  --profile NAME           cost preset (default %s):\n",
           defaults.host, defaults.port, defaults.profile);
    for (size_t i = 0; i < tg_accel_profile_count; i++) {
        const struct tg_accel_profile *p = &tg_accel_profiles[i];
        printf("      %-14s alpha %g ms, beta %g ms, sigma %g, stall-prob %g, slots %u, max-batch %u\n",
               p->name, p->alpha_ms, p->beta_ms, p->sigma, p->stall_prob, p->slots, p->max_batch);
    }
    printf("  --alpha MS               per-execution cost, overrides the profile\n"
           "  --beta MS                per-item cost, overrides the profile\n"
           "  --sigma S                log-normal jitter sigma, overrides the profile\n"
           "  --stall-prob P           stall probability per execution, overrides the profile\n"
           "  --slots N                parallel execution instances, overrides the profile\n"
           "  --max-batch N            most inputs per request / execution, overrides the profile\n"
           "  --jitter on|off          off: every execution takes exactly alpha + beta*b (default on)\n"
           "  --seed S                 jitter PRNG seed (default %llu)\n"
           "  --dynamic-batching on|off  server-side greedy batching (default off)\n"
           "  --max-queue-delay-ms D   dynamic batching: wait up to D ms for more inputs (default %g)\n"
           "  --max-queue N            most queued inputs before 429 (default %llu)\n"
           "  --max-body SIZE          largest request body, e.g. 1M (default %llu bytes)\n"
           "  --threads N              HTTP threads (default %u)\n"
           "  --max-connections N      open connection limit (default %u)\n"
           "  --drain-timeout DUR      on SIGTERM/SIGINT, wait this long for in-flight requests (default 10s)\n"
           "  --idle-timeout DUR       close a connection idle this long, whole seconds, 0 = never (default 60s)\n"
           "  --no-server-timing       no Server-Timing header, as a real server (TEI's x-queue-time\n"
           "                           and x-inference-time are still sent on its route)\n"
           "  --batch-drift EPS        perturb each value of an item in a request of b > 1 items by\n"
           "                           up to EPS (0..%g), deterministically per (b, index, input), the\n"
           "                           way GPU kernels drift with batch size (default 0: none)\n"
           "  --fault KIND[:RATE]      misbehave on a fraction RATE (0..1, default 1) of inference\n"
           "                           requests, chosen by --seed; repeatable, rates add up to <= 1.\n"
           "                           KIND: reset (RST), truncate (half the body, close), garbage\n"
           "                           (non-HTTP bytes, close), stall (no answer until the idle\n"
           "                           timeout), close (no response), slow (body trickled in %d\n"
           "                           pieces %d ms apart), status500\n"
           "  -h, --help               this help\n",
           (unsigned long long)defaults.seed, defaults.max_queue_delay_ms,
           (unsigned long long)defaults.max_queue, (unsigned long long)defaults.max_body,
           defaults.threads, defaults.max_connections, TG_MODEL_DRIFT_MAX, TG_FAULT_SLOW_PIECES,
           TG_FAULT_SLOW_GAP_MS);
    tg_serve_llm_help();
}

#define usage_error(...) tg_cli_usage_error("serve", __VA_ARGS__)

static int parse_onoff(const char *s, int *out)
{
    if (!strcmp(s, "on") || !strcmp(s, "true") || !strcmp(s, "1"))
        *out = 1;
    else if (!strcmp(s, "off") || !strcmp(s, "false") || !strcmp(s, "0"))
        *out = 0;
    else
        return TG_EINVAL;
    return 0;
}

/* Writes the port to path atomically, so that a reader never sees half a number. */
static int write_port_file(const char *path, unsigned port)
{
    char text[16];
    int n = snprintf(text, sizeof text, "%u\n", port);
    return tg_write_file_atomic(path, text, (size_t)n);
}

static unsigned raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur > 1u << 30 ? 1u << 30 : (unsigned)rl.rlim_cur;
}

enum {
    OPT_HOST = 1000, OPT_PORT, OPT_PORT_FILE, OPT_PROFILE, OPT_ALPHA, OPT_BETA, OPT_SIGMA,
    OPT_STALL, OPT_SLOTS, OPT_MAX_BATCH, OPT_JITTER, OPT_SEED, OPT_DYN, OPT_DELAY,
    OPT_MAX_QUEUE, OPT_MAX_BODY, OPT_THREADS, OPT_MAX_CONN, OPT_DRAIN, OPT_IDLE, OPT_FAULT,
    OPT_NO_TIMING, OPT_DRIFT,
};

int tg_cmd_serve(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "host", required_argument, NULL, OPT_HOST },
        { "port", required_argument, NULL, OPT_PORT },
        { "port-file", required_argument, NULL, OPT_PORT_FILE },
        { "profile", required_argument, NULL, OPT_PROFILE },
        { "alpha", required_argument, NULL, OPT_ALPHA },
        { "beta", required_argument, NULL, OPT_BETA },
        { "sigma", required_argument, NULL, OPT_SIGMA },
        { "stall-prob", required_argument, NULL, OPT_STALL },
        { "slots", required_argument, NULL, OPT_SLOTS },
        { "max-batch", required_argument, NULL, OPT_MAX_BATCH },
        { "jitter", required_argument, NULL, OPT_JITTER },
        { "seed", required_argument, NULL, OPT_SEED },
        { "dynamic-batching", required_argument, NULL, OPT_DYN },
        { "max-queue-delay-ms", required_argument, NULL, OPT_DELAY },
        { "max-queue", required_argument, NULL, OPT_MAX_QUEUE },
        { "max-body", required_argument, NULL, OPT_MAX_BODY },
        { "threads", required_argument, NULL, OPT_THREADS },
        { "max-connections", required_argument, NULL, OPT_MAX_CONN },
        { "drain-timeout", required_argument, NULL, OPT_DRAIN },
        { "idle-timeout", required_argument, NULL, OPT_IDLE },
        { "fault", required_argument, NULL, OPT_FAULT },
        { "no-server-timing", no_argument, NULL, OPT_NO_TIMING },
        { "batch-drift", required_argument, NULL, OPT_DRIFT },
        TG_SERVE_LLM_LONGOPTS,
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct serve_opts o = defaults;
    /* Overrides apply after the profile, whatever their order on the line. */
    double alpha = -1, beta = -1, sigma = -1, stall = -1;
    uint64_t slots = 0, max_batch = 0, v;
    struct tg_fault_plan fault = { .any = 0 };
    struct tg_llm_config llm = tg_llm_defaults;
    const char *token_log = NULL;
    int max_queue_set = 0;
    double d;
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = tg_cli_getopt_long(argc, argv, "h", longopts)) != -1) {
        switch (opt) {
        case 'h':
            help();
            return TG_EXIT_OK;
        case OPT_HOST: o.host = optarg; break;
        case OPT_PORT:
            if (tg_parse_count(optarg, 0, 65535, &v))
                return usage_error("--port wants 0..65535, got '%s'", optarg);
            o.port = (unsigned)v;
            break;
        case OPT_PORT_FILE: o.port_file = optarg; break;
        case OPT_PROFILE:
            if (!tg_accel_profile_find(optarg))
                return usage_error("unknown profile '%s' (default, llm-decode, compute-bound)", optarg);
            o.profile = optarg;
            break;
        case OPT_ALPHA:
            if (tg_parse_double(optarg, 0, 1e7, &alpha))
                return usage_error("--alpha wants milliseconds >= 0, got '%s'", optarg);
            break;
        case OPT_BETA:
            if (tg_parse_double(optarg, 0, 1e7, &beta))
                return usage_error("--beta wants milliseconds >= 0, got '%s'", optarg);
            break;
        case OPT_SIGMA:
            if (tg_parse_double(optarg, 0, 10, &sigma))
                return usage_error("--sigma wants 0..10, got '%s'", optarg);
            break;
        case OPT_STALL:
            if (tg_parse_double(optarg, 0, 1, &stall))
                return usage_error("--stall-prob wants 0..1, got '%s'", optarg);
            break;
        case OPT_SLOTS:
            if (tg_parse_count(optarg, 1, 1024, &slots))
                return usage_error("--slots wants 1..1024, got '%s'", optarg);
            break;
        case OPT_MAX_BATCH:
            if (tg_parse_count(optarg, 1, 4096, &max_batch))
                return usage_error("--max-batch wants 1..4096, got '%s'", optarg);
            break;
        case OPT_JITTER:
            if (parse_onoff(optarg, &o.jitter))
                return usage_error("--jitter wants on or off, got '%s'", optarg);
            break;
        case OPT_SEED:
            if (tg_parse_count(optarg, 0, UINT64_MAX, &o.seed))
                return usage_error("--seed wants a non-negative integer, got '%s'", optarg);
            break;
        case OPT_DYN:
            if (parse_onoff(optarg, &o.dynamic_batching))
                return usage_error("--dynamic-batching wants on or off, got '%s'", optarg);
            break;
        case OPT_DELAY:
            if (tg_parse_double(optarg, 0, 1e6, &d))
                return usage_error("--max-queue-delay-ms wants milliseconds >= 0, got '%s'", optarg);
            o.max_queue_delay_ms = d;
            break;
        case OPT_MAX_QUEUE:
            if (tg_parse_count(optarg, 1, 1u << 30, &o.max_queue))
                return usage_error("--max-queue wants a count >= 1, got '%s'", optarg);
            max_queue_set = 1;
            break;
        case OPT_LLM_STEP: case OPT_LLM_MAX_SEQS: case OPT_LLM_KV: case OPT_LLM_MODEL_LEN:
        case OPT_LLM_MAX_TOKENS: case OPT_LLM_PREEMPT: case OPT_TOKEN_LOG:
            if (tg_serve_llm_option(opt, optarg, &llm, &token_log))
                return TG_EXIT_USAGE;
            break;
        case OPT_MAX_BODY:
            if (tg_parse_size(optarg, &o.max_body) || o.max_body < 1 || o.max_body > (1u << 30))
                return usage_error("--max-body wants a size of 1..1G, got '%s'", optarg);
            break;
        case OPT_THREADS:
            if (tg_parse_count(optarg, 1, 64, &v))
                return usage_error("--threads wants 1..64, got '%s'", optarg);
            o.threads = (unsigned)v;
            break;
        case OPT_MAX_CONN:
            if (tg_parse_count(optarg, 1, 1u << 20, &v))
                return usage_error("--max-connections wants 1..1M, got '%s'", optarg);
            o.max_connections = (unsigned)v;
            break;
        case OPT_DRAIN:
            if (tg_parse_duration_ns(optarg, TG_NS_PER_S, &o.drain_timeout_ns))
                return usage_error("--drain-timeout wants a duration, got '%s'", optarg);
            break;
        case OPT_IDLE:
            if (tg_parse_duration_ns(optarg, TG_NS_PER_S, &o.idle_timeout_ns) ||
                o.idle_timeout_ns > 86400 * TG_NS_PER_S)
                return usage_error("--idle-timeout wants a duration up to 1 day, got '%s'", optarg);
            break;
        case OPT_NO_TIMING: o.no_server_timing = 1; break;
        case OPT_DRIFT:
            if (tg_parse_double(optarg, 0, TG_MODEL_DRIFT_MAX, &o.batch_drift))
                return usage_error("--batch-drift wants a perturbation 0..%g per value "
                                   "(e.g. 1e-6), got '%s'", TG_MODEL_DRIFT_MAX, optarg);
            break;
        case OPT_FAULT:
            switch (tg_fault_plan_add(&fault, optarg)) {
            case 0: break;
            case TG_ERANGE:
                return usage_error("--fault rates add up to more than 1 at '%s'", optarg);
            default:
                return usage_error("--fault wants KIND[:RATE] with KIND reset|truncate|garbage|"
                                   "stall|close|slow|status500 (each once) and RATE 0..1, got '%s'",
                                   optarg);
            }
            break;
        default:
            return usage_error("unknown or incomplete option '%s' (see --help)",
                               argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);

    const struct tg_accel_profile *p = tg_accel_profile_find(o.profile);
    fault.seed = o.seed;
    struct tg_server_config cfg = {
        .host = o.host,
        .port = o.port,
        .max_body = (size_t)o.max_body,
        .max_connections = o.max_connections,
        .threads = o.threads,
        .conn_timeout_s = (unsigned)((o.idle_timeout_ns + TG_NS_PER_S - 1) / TG_NS_PER_S),
        .no_server_timing = o.no_server_timing,
        .batch_drift = o.batch_drift,
        .accel = {
            .alpha_ms = alpha >= 0 ? alpha : p->alpha_ms,
            .beta_ms = beta >= 0 ? beta : p->beta_ms,
            .sigma = sigma >= 0 ? sigma : p->sigma,
            .stall_prob = stall >= 0 ? stall : p->stall_prob,
            .jitter = o.jitter,
            .seed = o.seed,
            .slots = slots ? (unsigned)slots : p->slots,
            .max_batch = max_batch ? (unsigned)max_batch : p->max_batch,
            .dynamic_batching = o.dynamic_batching,
            .max_queue_delay_ms = o.max_queue_delay_ms,
            .max_queue = (size_t)o.max_queue,
        },
        .fault = fault,
        .llm = llm,
    };
    cfg.llm.seed = o.seed;
    cfg.llm.max_waiting = max_queue_set ? (size_t)o.max_queue : tg_llm_defaults.max_waiting;
    if (tg_llm_config_check(&cfg.llm))
        return usage_error("the --llm-* options do not make a valid model");
    FILE *tlog = NULL;
    if (token_log) {
        if (!(tlog = fopen(token_log, "w"))) {
            fprintf(stderr, "tailgate serve: cannot write %s: %s\n", token_log, strerror(errno));
            return TG_EXIT_USAGE;
        }
        setvbuf(tlog, NULL, _IOFBF, 1 << 20);
        cfg.token_log = tlog;
    }

    unsigned nofile = raise_nofile();
    /* 64 descriptors of headroom, 64 more for the 503s past the limit */
    if (cfg.max_connections + 128 > nofile)
        cfg.max_connections = nofile > 192 ? nofile - 128 : 64;

    /* Signals are taken synchronously by sigwait() below; every thread
     * created from here on inherits the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct tg_server *srv;
    int rc = tg_server_new(&cfg, &srv);
    if (rc) {
        fprintf(stderr, "tailgate serve: cannot listen on %s:%u: %s\n", o.host, o.port,
                rc == TG_EIO ? "address in use or not available" : tg_strerror(rc));
        if (tlog)
            fclose(tlog);
        return TG_EXIT_USAGE;
    }
    unsigned port = tg_server_port(srv);
    if (o.port_file && (rc = write_port_file(o.port_file, port))) {
        fprintf(stderr, "tailgate serve: cannot write %s: %s\n", o.port_file, tg_strerror(rc));
        tg_server_free(srv);
        if (tlog)
            fclose(tlog);
        return TG_EXIT_USAGE;
    }
    const struct tg_accel_config *a = &cfg.accel;
    fprintf(stderr,
            "tailgate serve: listening on http://%s:%u  profile %s: alpha %g ms, beta %g ms, "
            "sigma %g, stall-prob %g, jitter %s, seed %llu, slots %u, max-batch %u, "
            "dynamic-batching %s (max-queue-delay %g ms), max-queue %zu, max-body %zu, "
            "server-timing %s, batch-drift %g\n",
            o.host, port, p->name, a->alpha_ms, a->beta_ms, a->sigma, a->stall_prob,
            a->jitter ? "on" : "off", (unsigned long long)a->seed, a->slots, a->max_batch,
            a->dynamic_batching ? "on" : "off", a->max_queue_delay_ms, a->max_queue,
            cfg.max_body, cfg.no_server_timing ? "off" : "on", cfg.batch_drift);
    char served[512];
    size_t off = 0;
    served[0] = '\0';
    for (const struct tg_api *const *api = tg_api_all(); *api; api++) {
        char path[256];
        if (!tg_server_serves(*api) ||
            tg_api_path((*api)->route, TG_MODEL_NAME, path, sizeof path) || off >= sizeof served)
            continue;
        off += (size_t)snprintf(served + off, sizeof served - off, "%s%s (POST %s)",
                                off ? ", " : "", (*api)->name, path);
    }
    fprintf(stderr, "tailgate serve: dialects: %s\n", served);
    tg_serve_llm_describe(&cfg.llm, token_log);
    if (fault.any) {
        char line[512];
        size_t n = 0;
        for (int k = TG_FAULT_NONE + 1; k < TG_FAULT_KIND_COUNT; k++)
            if (fault.rate[k] > 0 && n < sizeof line)
                n += (size_t)snprintf(line + n, sizeof line - n, " %s:%g",
                                      tg_fault_name((enum tg_fault_kind)k), fault.rate[k]);
        fprintf(stderr, "tailgate serve: injecting faults (seed %llu):%s\n",
                (unsigned long long)fault.seed, line);
    }

    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "tailgate serve: %s: draining (up to %.1f s)\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM", (double)o.drain_timeout_ns / 1e9);
    rc = tg_server_drain(srv, o.drain_timeout_ns);
    if (rc)
        fprintf(stderr, "tailgate serve: drain timed out; answering the rest with 503\n");
    if (fault.any) {
        uint64_t cnt[TG_FAULT_KIND_COUNT];
        tg_server_fault_counts(srv, cnt);
        fprintf(stderr, "tailgate serve: inference requests: %llu without a fault",
                (unsigned long long)cnt[TG_FAULT_NONE]);
        for (int k = TG_FAULT_NONE + 1; k < TG_FAULT_KIND_COUNT; k++)
            if (fault.rate[k] > 0)
                fprintf(stderr, ", %llu %s", (unsigned long long)cnt[k],
                        tg_fault_name((enum tg_fault_kind)k));
        fputc('\n', stderr);
    }
    tg_server_free(srv);
    if (tlog && fclose(tlog))
        fprintf(stderr, "tailgate serve: writing %s failed: %s\n", token_log, strerror(errno));
    fprintf(stderr, "tailgate serve: stopped\n");
    return TG_EXIT_OK;
}
