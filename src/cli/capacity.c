/*
 * capacity.c - `tailgate capacity [client options] URL`: the highest Poisson
 * arrival rate at which every SLO still PASSes at the stated confidence, for
 * one client configuration.  The search is analyze/capacity.h, its points
 * are open-loop probe runs (analyze/capacity_probe.h); this file parses,
 * picks the starting rate, prints, and writes capacity.json / capacity.svg
 * (capacity_out.c).
 */
#include "api/api.h"
#include "analyze/capacity.h"
#include "analyze/capacity_probe.h"
#include "analyze/probe.h"
#include "analyze/report.h"
#include "cli/capacity.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/endpoint.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/time.h"
#include "core/units.h"
#include "engine/payload.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct capacity_cli defaults = {
    .ep = { .api = "tailgate" },
    .sla_p95_ms = 800,
    .confidence = 0.99,
    .budget_ns = 300 * TG_NS_PER_S,
    .resolution = 0.05,
    .min_run_ns = 30 * TG_NS_PER_S,
    .seed = 1,
    .payloads = "workload/requests.jsonl",
    .concurrency = 20,
    .cfg = { .connections = 0, .keepalive = true, .batch = 1, .batch_wait_ms = 0 },
};

static void help(void)
{
    printf("usage: tailgate capacity [options] URL\n\n"
           "The highest Poisson arrival rate (inputs/s, seeded) at which every SLO still PASSes\n"
           "at --confidence for this client configuration (so --batch 20 gives the capacity of\n"
           "a batching client).  Bracketing from the start rate (up while rates PASS, down until\n"
           "one does; steps of x1.25 growing to x2), bisection to --resolution, then a second,\n"
           "independent run at the best rate that must PASS too.  Each point runs long enough\n"
           "for its binomial verdict to be decidable (and for --min-run); an INCONCLUSIVE point\n"
           "is extended with more inputs at the same rate, never guessed.  --budget bounds the\n"
           "whole search.  Writes capacity.json and capacity.svg; prints the limit with its\n"
           "evidence (docs/capacity.md).\n\n"
           "SLOs and search:\n"
           "      --sla-p95 MS         P95 limit, the SLO latency:p95<=MS (default %g; with --slo\n"
           "                           and no --sla-p95, only the --slo list)\n"
           "      --slo LIST           METRIC:pNN<=VALUE[,…] (repeatable, %d in all at most): METRIC\n"
           "                           latency, ttft, tpot or itl, VALUE a duration (250ms; bare = ms)\n"
           "      --confidence C       of the PASS/FAIL/INCONCLUSIVE verdicts (default %g)\n"
           "      --budget DUR         the whole search, probes included (default 5m)\n"
           "      --resolution PCT     stop when (hi - lo) / lo <= PCT %% (default %g)\n"
           "      --analysis FILE      start from the cost model of `tailgate analyze --probe`'s\n"
           "                           analysis.json: the highest rate it predicts meets the SLOs\n"
           "      --start-rate R       first rate measured (default: --analysis, else 0.8 x\n"
           "                           the closed-loop throughput of a 2 s probe at -c in flight)\n"
           "      --min-rate R         no rate below R (default: start / 16, at most 1/s)\n"
           "      --max-rate R         no rate above R (default start x 1024)\n"
           "      --min-run DUR        a point's arrivals span at least DUR (default 30s): the limit\n"
           "                           holds for runs that long (near saturation a queue keeps growing)\n"
           "      --seed S             arrival seed (default %llu)\n"
           "Client (as `tailgate run` takes them):\n"
           "      --api NAME           the endpoint's API (default %s; %s)\n"
           "  -H, --header 'N: V'      extra request header (repeatable; secret-looking values never\n"
           "                           written or printed)\n"
           "      --cacert FILE        https: trust the CA or self-signed certificate in PEM FILE\n"
           "      --insecure           https: do not verify the certificate or host name (warned)\n"
           "      --payloads FILE      workload, single-input bodies of --api (default %s)\n"
           "  -c, --concurrency N      inputs in flight at most (default %llu); an arrival that finds\n"
           "                           them all busy waits, and that wait is in its latency\n"
           "      --connections N      pool size (default: = concurrency)\n"
           "      --no-keepalive       one connection per request\n"
           "      --preconnect         open the pool before the first input\n"
           "      --batch B            coalesce up to B ready inputs into one request (default 1)\n"
           "      --batch-wait-ms W    send a partial batch W ms after its first input (default 0)\n"
           "Output:\n"
           "  -o, --out DIR            where to write (default results/capacity-<UTC stamp>)\n"
           "  -q, --quiet              no progress on stderr\n"
           "  -h, --help\n\n"
           "Exit: 0 a limit was found, 1 no rate tried PASSes (even the lowest), 2 usage or setup\n"
           "error, 3 interrupted (capacity.json keeps the points so far, \"interrupted\": true).\n",
           defaults.sla_p95_ms, TG_SLO_MAX, defaults.confidence, defaults.resolution * 100,
           (unsigned long long)defaults.seed, defaults.ep.api, tg_api_names(), defaults.payloads,
           (unsigned long long)defaults.concurrency);
}

#define usage(...) tg_cli_usage_error("capacity", __VA_ARGS__)

enum { OPT_SLA = 256, OPT_SLO, OPT_CONFIDENCE, OPT_BUDGET, OPT_RESOLUTION, OPT_ANALYSIS, OPT_START, OPT_MIN,
       OPT_MAX, OPT_MIN_RUN, OPT_SEED, OPT_PAYLOADS, OPT_CONNECTIONS, OPT_NO_KEEPALIVE, OPT_PRECONNECT,
       OPT_BATCH, OPT_BATCH_WAIT };

static const struct option long_opts[] = {
    TG_CLI_ENDPOINT_LONG_OPTS,
    { "sla-p95", required_argument, NULL, OPT_SLA },
    { "slo", required_argument, NULL, OPT_SLO },
    { "confidence", required_argument, NULL, OPT_CONFIDENCE },
    { "budget", required_argument, NULL, OPT_BUDGET },
    { "resolution", required_argument, NULL, OPT_RESOLUTION },
    { "analysis", required_argument, NULL, OPT_ANALYSIS },
    { "start-rate", required_argument, NULL, OPT_START },
    { "min-rate", required_argument, NULL, OPT_MIN },
    { "max-rate", required_argument, NULL, OPT_MAX },
    { "min-run", required_argument, NULL, OPT_MIN_RUN },
    { "seed", required_argument, NULL, OPT_SEED },
    { "payloads", required_argument, NULL, OPT_PAYLOADS },
    { "concurrency", required_argument, NULL, 'c' },
    { "connections", required_argument, NULL, OPT_CONNECTIONS },
    { "no-keepalive", no_argument, NULL, OPT_NO_KEEPALIVE },
    { "preconnect", no_argument, NULL, OPT_PRECONNECT },
    { "batch", required_argument, NULL, OPT_BATCH },
    { "batch-wait-ms", required_argument, NULL, OPT_BATCH_WAIT },
    { "out", required_argument, NULL, 'o' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* --slo takes one SLO or a comma-separated list of them. */
static int add_slos(struct capacity_cli *o, const char *arg)
{
    char buf[512];
    if (snprintf(buf, sizeof buf, "%s", arg) >= (int)sizeof buf)
        return usage("--slo '%.40s…': too long", arg);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char why[160];
        if (o->nslos == TG_SLO_MAX)
            return usage("--slo '%s': at most %d SLOs", arg, TG_SLO_MAX);
        if (tg_slo_parse(t, &o->slos[o->nslos], why, sizeof why) != 0)
            return usage("--slo '%s': %s", t, why);
        o->nslos++;
    }
    return 0;
}

static int parse(int argc, char **argv, struct capacity_cli *o)
{
    optind = 1;
    opterr = 0;
    int ch;
    bool have_sla = false;
    while ((ch = tg_cli_getopt_long(argc, argv, ":c:o:qhH:", long_opts)) != -1) {
        int ec;
        uint64_t u;
        if (tg_cli_endpoint_opt("capacity", &o->ep, ch, optarg, &ec)) {
            if (ec)
                return ec;
            continue;
        }
        switch (ch) {
        case OPT_SLA:
            if (tg_parse_double(optarg, 0.001, 1e9, &o->sla_p95_ms) != 0)
                return usage("invalid --sla-p95 '%s' (milliseconds > 0)", optarg);
            have_sla = true;
            break;
        case OPT_SLO:
            if ((ec = add_slos(o, optarg)) != 0)
                return ec;
            break;
        case OPT_CONFIDENCE:
            if (tg_parse_double(optarg, 0.5, 0.999999, &o->confidence) != 0)
                return usage("invalid --confidence '%s' (in [0.5, 0.999999])", optarg);
            break;
        case OPT_BUDGET:
            if (tg_parse_duration_ns(optarg, TG_NS_PER_S, &o->budget_ns) != 0 || o->budget_ns < TG_NS_PER_S)
                return usage("invalid --budget '%s' (a duration, e.g. 5m, at least 1s)", optarg);
            break;
        case OPT_RESOLUTION: {
            char buf[32];
            snprintf(buf, sizeof buf, "%s", optarg);
            size_t l = strlen(buf);
            if (l && buf[l - 1] == '%')
                buf[l - 1] = '\0';
            if (tg_parse_double(buf, 0.1, 100, &o->resolution) != 0)
                return usage("invalid --resolution '%s' (percent in [0.1, 100])", optarg);
            o->resolution /= 100;
            break;
        }
        case OPT_ANALYSIS: o->analysis = optarg; break;
        case OPT_START:
        case OPT_MIN:
        case OPT_MAX: {
            double v;
            if (tg_parse_double(optarg, 1e-6, 1e9, &v) != 0)
                return usage("invalid %s '%s' (inputs/s > 0)", argv[optind - 1], optarg);
            *(ch == OPT_START ? &o->start_rate : ch == OPT_MIN ? &o->min_rate : &o->max_rate) = v;
            break;
        }
        case OPT_MIN_RUN:
            if (tg_parse_duration_ns(optarg, TG_NS_PER_S, &o->min_run_ns) != 0 || o->min_run_ns < TG_NS_PER_S / 10)
                return usage("invalid --min-run '%s' (a duration, at least 100ms)", optarg);
            break;
        case OPT_SEED:
            if (tg_parse_count(optarg, 0, UINT64_MAX / 2, &o->seed) != 0)
                return usage("invalid --seed '%s'", optarg);
            break;
        case OPT_PAYLOADS: o->payloads = optarg; break;
        case 'c':
            if (tg_parse_count(optarg, 1, 4096, &o->concurrency) != 0)
                return usage("invalid -c '%s' (a count in [1, 4096])", optarg);
            break;
        case OPT_CONNECTIONS:
            if (tg_parse_count(optarg, 1, 100000, &u) != 0)
                return usage("invalid --connections '%s' (a count in [1, 100000])", optarg);
            o->cfg.connections = (uint32_t)u;
            break;
        case OPT_NO_KEEPALIVE: o->cfg.keepalive = false; break;
        case OPT_PRECONNECT: o->preconnect = true; break;
        case OPT_BATCH:
            if (tg_parse_count(optarg, 1, 10000, &u) != 0)
                return usage("invalid --batch '%s' (a count in [1, 10000])", optarg);
            o->cfg.batch = (uint32_t)u;
            break;
        case OPT_BATCH_WAIT:
            if (tg_parse_double(optarg, 0, 3.6e6, &o->cfg.batch_wait_ms) != 0)
                return usage("invalid --batch-wait-ms '%s' (milliseconds >= 0)", optarg);
            break;
        case 'o': o->out = optarg; break;
        case 'q': o->quiet = true; break;
        case 'h': help(); return TG_EXIT_OK;
        case ':': return usage("option '%s' needs a value", argv[optind - 1]);
        default: return usage("unknown option '%s' (see tailgate capacity --help)", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return usage("missing URL (e.g. http://127.0.0.1:8000/v1/infer)");
    if (optind + 1 < argc)
        return usage("unexpected argument '%s' (one URL only)", argv[optind + 1]);
    o->url = argv[optind];
    if (o->min_rate && o->max_rate && o->min_rate > o->max_rate)
        return usage("--min-rate %g is above --max-rate %g", o->min_rate, o->max_rate);
    if (o->preconnect && !o->cfg.keepalive)
        return usage("--preconnect needs keep-alive (drop --no-keepalive)");
    /* the SLOs: --sla-p95 (default 800 ms) first, unless only --slo was given */
    if (have_sla || o->nslos == 0) {
        if (o->nslos == TG_SLO_MAX)
            return usage("at most %d SLOs with --sla-p95", TG_SLO_MAX - 1);
        char spec[64], why[128];
        snprintf(spec, sizeof spec, "latency:p95<=%.10gms", o->sla_p95_ms);
        memmove(&o->slos[1], &o->slos[0], o->nslos * sizeof o->slos[0]);
        if (tg_slo_parse(spec, &o->slos[0], why, sizeof why) != 0)
            return usage("--sla-p95 %g: %s", o->sla_p95_ms, why);
        o->nslos++;
        o->has_sla = true;
    }
    return -1;
}

struct clock_ctx {
    uint64_t t0;
    bool quiet;
};

static double elapsed_s(void *ctx)
{
    return (double)(tg_now_ns() - ((struct clock_ctx *)ctx)->t0) / 1e9;
}

static void on_progress(void *ctx, const struct tg_capacity_point *p, const char *phase)
{
    if (((struct clock_ctx *)ctx)->quiet)
        return;
    fprintf(stderr, "capacity: %-7s %8.3g inputs/s: %llu inputs (%u chunk%s), achieved %.3g/s, P95 %.1f ms, %s\n",
            phase, p->rate, (unsigned long long)p->inputs, p->chunks, p->chunks == 1 ? "" : "s", p->achieved_ips,
            p->p95_ms, tg_verdict_name(p->verdict));
}

/* The starting rate: --start-rate, the model's prediction, else half the
 * closed-loop throughput of a 2 s probe.  Fills o->start_*.  Returns 0, or
 * an exit code after a message. */
static int pick_start(struct capacity_cli *o, const struct tg_probe_target *t)
{
    if (o->start_rate > 0) {
        o->start_source = "option";
        o->growth = 1.25;
        return 0;
    }
    if (o->analysis) {
        struct tg_costmodel m;
        double *jitter = NULL, rate;
        uint32_t at;
        char err[512];
        if (tg_analysis_load_model(o->analysis, &m, &jitter, err, sizeof err) != 0)
            return usage("%s", err);
        struct tg_client_cfg cfg = o->cfg;
        if (!cfg.connections)
            cfg.connections = (uint32_t)o->concurrency;
        if (cfg.batch > m.max_batch)
            cfg.batch = m.max_batch;   /* the model's limit; the measurement will show the server's */
        int rc = tg_capacity_model_rate(&m, &cfg, (uint32_t)o->concurrency, o->slos, o->nslos, o->seed, &rate, &at);
        free(jitter);
        if (rc == TG_EINVAL && o->nslos)
            fprintf(stderr, "tailgate capacity: note: --analysis: no latency SLO for the model to judge; "
                            "starting from a probe\n");
        else if (rc)
            return usage("--analysis %s: the cost model cannot predict this configuration (%s)", o->analysis,
                         tg_strerror(rc));
        else {
            o->model_rate = rate;
            o->model_concurrency = at;
            o->start_source = "analysis";
            if (rate > 0) {
                o->start_rate = rate;
                o->growth = 1.25;   /* a prediction: small steps first */
                return 0;
            }
            fprintf(stderr, "tailgate capacity: note: the cost model predicts no rate meets the SLOs; "
                            "measuring from a probe\n");
        }
    }
    struct tg_probe_spec spec = {
        .cfg = o->cfg,
        .concurrency = (uint32_t)o->concurrency,
        .inputs = 100000,
        .start_window_ns = 2 * TG_NS_PER_S,
        .deadline_ns = 15 * TG_NS_PER_S,
        .preconnect = o->preconnect,
    };
    struct tg_probe_result r = { 0 };
    int rc = tg_probe_run(t, &spec, &r);
    double x = r.throughput_ips;
    char first_error[160];
    snprintf(first_error, sizeof first_error, "%s", r.first_error);
    uint64_t ok = r.ok, inputs = r.inputs;
    tg_probe_result_free(&r);
    if (rc == TG_EINTR || tg_probe_interrupted())
        return TG_EXIT_INTERRUPTED;
    if (rc) {
        fprintf(stderr, "tailgate capacity: the closed-loop probe could not run: %s\n", tg_strerror(rc));
        return TG_EXIT_USAGE;
    }
    if (!ok || !(x > 0)) {
        fprintf(stderr, "tailgate capacity: the endpoint answered none of %llu probe inputs (%s)\n",
                (unsigned long long)inputs, first_error[0] ? first_error : "no error recorded");
        return TG_EXIT_FAIL;
    }
    /* open loop under the same in-flight cap cannot sustain more than the
     * closed loop's throughput: start just under it, in small steps */
    o->probe_ips = x;
    o->start_rate = 0.8 * x;
    o->start_source = "probe";   /* also when the model predicted no rate (model_rate 0) */
    o->growth = 1.25;
    return 0;
}

int tg_cmd_capacity(int argc, char **argv)
{
    struct capacity_cli o = defaults;
    int rc = parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
    struct tg_probe_target target;
    struct tg_capacity_meter meter = { 0 };
    struct tg_capacity cap = { 0 };
    struct clock_ctx clk = { .t0 = tg_now_ns(), .quiet = o.quiet };
    char out_buf[256];

    signal(SIGPIPE, SIG_IGN);   /* https: OpenSSL writes with write(2) (engine/tls.h) */
    if (tg_probe_catch_signals() != 0)   /* the probes' one stop flag */
        return usage("cannot install the SIGINT/SIGTERM handlers: %s", strerror(errno));

    if ((rc = tg_cli_endpoint_target("capacity", &o.ep, o.url, o.payloads, &target)) != 0)
        goto out;
    if (o.cfg.batch > 1 && !target.api->build_batch) {
        rc = usage("--batch %u: the %s API has no batch format", o.cfg.batch, target.api->name);
        goto out;
    }
    o.out_dir = o.out;
    if (!o.out_dir) {
        char stamp[32];
        tg_utc_stamp(stamp, sizeof stamp);
        snprintf(out_buf, sizeof out_buf, "results/capacity-%s", stamp);
        o.out_dir = out_buf;
    }
    int mrc = tg_mkdir_p(o.out_dir);
    if (mrc) {
        rc = usage("cannot create %s: %s", o.out_dir, tg_strerror(mrc));
        goto out;
    }
    if ((rc = pick_start(&o, &target)) != 0) {
        if (rc == TG_EXIT_INTERRUPTED)
            fprintf(stderr, "tailgate capacity: interrupted before the first point\n");
        goto out;
    }

    meter = (struct tg_capacity_meter){
        .target = &target,
        .cfg = o.cfg,
        .concurrency = (uint32_t)o.concurrency,
        .preconnect = o.preconnect,
        .slos = o.slos,
        .nslos = o.nslos,
        .confidence = o.confidence,
    };
    double qmax = 0;
    for (size_t k = 0; k < o.nslos; k++)
        qmax = fmax(qmax, o.slos[k].p);
    struct tg_capacity_opts so = {
        .quantile = qmax,
        .confidence = o.confidence,
        .resolution = o.resolution,
        .start_rate = o.start_rate,
        .growth = o.growth,
        .min_rate = o.min_rate,
        .max_rate = o.max_rate,
        .budget_s = (double)o.budget_ns / 1e9,
        .min_run_s = (double)o.min_run_ns / 1e9,
        .seed = o.seed,
        .confirm = true,
        .elapsed_s = elapsed_s,
        .progress = on_progress,
        .ctx = &clk,
    };
    if (!o.quiet)
        fprintf(stderr, "capacity: starting at %.3g inputs/s (%s), budget %.0f s\n", o.start_rate, o.start_source,
                so.budget_s);
    int src = tg_capacity_search(&so, tg_capacity_meter_measure, &meter, &cap);
    if (src) {
        fprintf(stderr, "tailgate capacity: the search could not start: %s\n", tg_strerror(src));
        rc = TG_EXIT_USAGE;
        goto out;
    }
    int wrc = tg_capacity_cli_write(&o, &target, &cap, meter.first_error);
    tg_capacity_cli_print(stdout, &o, &cap, meter.first_error);
    if (wrc) {
        rc = TG_EXIT_USAGE;
        goto out;
    }
    switch (cap.end) {
    case TG_CAPACITY_INTERRUPTED: rc = TG_EXIT_INTERRUPTED; break;
    case TG_CAPACITY_ERROR: rc = TG_EXIT_USAGE; break;
    default: rc = cap.max_rate > 0 ? TG_EXIT_OK : TG_EXIT_FAIL; break;
    }
out:
    tg_capacity_free(&cap);
    tg_capacity_meter_free(&meter);
    tg_probe_target_free(&target);
    return rc;
}
