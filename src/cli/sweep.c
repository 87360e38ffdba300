/*
 * sweep.c - `tailgate sweep (--concurrency LIST | --rate LIST) [options] URL`:
 * one bounded measured point per load through analyze/probe.h (closed loop
 * at each concurrency, or open loop at each rate under an in-flight cap),
 * each judged against the SLOs when some are given; writes sweep.json and
 * sweep.svg and prints a table with the knee (sweep_out.c).
 */
#include "analyze/loadsweep.h"
#include "analyze/probe.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/endpoint.h"
#include "cli/sweep.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/time.h"
#include "core/units.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct sweep_cli defaults = {
    .ep = { .api = "tailgate" },
    .cap = 64,
    .arrival = TG_ARRIVAL_POISSON,
    .warmup_ns = TG_NS_PER_S,
    .timeout_ns = 30 * TG_NS_PER_S,
    .cfg = { .keepalive = true, .batch = 1 },
    .payloads = "workload/requests.jsonl",
    .confidence = 0.99,
    .seed = 1,
};

#define DEFAULT_DURATION_NS (5 * TG_NS_PER_S)
#define NO_DURATION_DEADLINE_NS (600 * TG_NS_PER_S)

static void help(void)
{
    printf("usage: tailgate sweep (--concurrency LIST | --rate LIST) [options] URL\n\n"
           "Measures one point per load of LIST (comma-separated, increasing): closed loop at\n"
           "each concurrency, or open loop at each rate (inputs/s, seeded arrivals) with at most\n"
           "--concurrency-cap inputs in flight (an input waiting for a slot counts that wait in\n"
           "its latency).  Writes sweep.json (schema tailgate.sweep/1) and sweep.svg (P50/P95/P99\n"
           "and throughput against load, the knee marked) and prints a table (docs/sweep.md).\n\n"
           "  -c, --concurrency LIST   closed loop at each concurrency, e.g. 1,2,4,8\n"
           "      --rate LIST          open loop at each rate, e.g. 5,10,15\n"
           "      --concurrency-cap N  --rate: inputs in flight at most (default %llu)\n"
           "      --arrival A          --rate: poisson|constant (default poisson)\n"
           "  -d, --duration DUR       per point: no input starts after DUR (default 5s, or none with -n)\n"
           "  -n, --inputs N           per point: at most N inputs (with -d: whichever comes first)\n"
           "      --warmup DUR         once, before the first point, at its load; not counted\n"
           "                           (default 1s; 0 for none).  Every point opens its connections first\n"
           "      --sla-p95 MS         judge every point on latency:p95<=MS\n"
           "      --slo METRIC:pNN<=VALUE  judge every point on this SLO too (repeatable; as tailgate\n"
           "                           compare --slo): a point PASSes when every SLO does\n"
           "      --confidence C       of the binomial verdicts (default %g)\n"
           "      --batch N            inputs per request at most (default 1)\n"
           "      --batch-wait-ms MS   a partial batch waits this long for more inputs (default 0)\n"
           "      --connections N      connection pool (default: one per input in flight)\n"
           "      --no-keepalive       a new connection per request\n"
           "      --api NAME           the endpoint's API (default %s; %s)\n"
           "  -H, --header 'N: V'      extra request header (repeatable; secret values never written)\n"
           "      --cacert FILE        https: trust the CA or self-signed certificate in PEM FILE\n"
           "      --insecure           https: do not verify the certificate or host name (warned)\n"
           "      --payloads FILE      workload, single-input bodies of --api (default %s)\n"
           "      --timeout DUR        per request (default 30s)\n"
           "      --seed N             arrivals and payload order (default 1; every point the same)\n"
           "  -o, --out DIR            where to write (default results/sweep-<UTC stamp>)\n"
           "  -q, --quiet              no progress on stderr\n"
           "  -h, --help\n\n"
           "Knee: the first load whose next point raises throughput by less than 5 %% while P95 rises.\n"
           "Exit: 0 every point measured; 1 an SLO was given and no point PASSes it, or no point had an\n"
           "ok input, or a file could not be written; 2 usage or setup error; 3 interrupted (SIGINT,\n"
           "SIGTERM): sweep.json keeps the points measured so far, marked \"interrupted\"; 4 out of memory.\n",
           (unsigned long long)defaults.cap, defaults.confidence, defaults.ep.api, tg_api_names(),
           defaults.payloads);
}

#define usage(...) tg_cli_usage_error("sweep", __VA_ARGS__)

enum { OPT_RATE = 256, OPT_CAP, OPT_ARRIVAL, OPT_WARMUP, OPT_SLA, OPT_SLO, OPT_CONFIDENCE, OPT_BATCH,
       OPT_BATCH_WAIT, OPT_CONNECTIONS, OPT_NO_KEEPALIVE, OPT_PAYLOADS, OPT_TIMEOUT, OPT_SEED };

static const struct option long_opts[] = {
    TG_CLI_ENDPOINT_LONG_OPTS,
    { "concurrency", required_argument, NULL, 'c' },
    { "rate", required_argument, NULL, OPT_RATE },
    { "concurrency-cap", required_argument, NULL, OPT_CAP },
    { "arrival", required_argument, NULL, OPT_ARRIVAL },
    { "duration", required_argument, NULL, 'd' },
    { "inputs", required_argument, NULL, 'n' },
    { "warmup", required_argument, NULL, OPT_WARMUP },
    { "sla-p95", required_argument, NULL, OPT_SLA },
    { "slo", required_argument, NULL, OPT_SLO },
    { "confidence", required_argument, NULL, OPT_CONFIDENCE },
    { "batch", required_argument, NULL, OPT_BATCH },
    { "batch-wait-ms", required_argument, NULL, OPT_BATCH_WAIT },
    { "connections", required_argument, NULL, OPT_CONNECTIONS },
    { "no-keepalive", no_argument, NULL, OPT_NO_KEEPALIVE },
    { "payloads", required_argument, NULL, OPT_PAYLOADS },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "seed", required_argument, NULL, OPT_SEED },
    { "out", required_argument, NULL, 'o' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* Parses argv into o.  Returns -1 to go on, else the exit code. */
static int parse(int argc, char **argv, struct sweep_cli *o, const char **url)
{
    const char *conc = NULL, *rate = NULL;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = tg_cli_getopt_long(argc, argv, ":c:d:n:o:qhH:", long_opts)) != -1) {
        int ec;
        if (tg_cli_endpoint_opt("sweep", &o->ep, ch, optarg, &ec)) {
            if (ec)
                return ec;
            continue;
        }
        uint64_t u;
        switch (ch) {
        case 'c': conc = optarg; break;
        case OPT_RATE: rate = optarg; break;
        case OPT_CAP:
            if (tg_parse_count(optarg, 1, 4096, &o->cap) != 0)
                return usage("invalid --concurrency-cap '%s' (a count in [1, 4096])", optarg);
            break;
        case OPT_ARRIVAL:
            if (!strcmp(optarg, "poisson"))
                o->arrival = TG_ARRIVAL_POISSON;
            else if (!strcmp(optarg, "constant"))
                o->arrival = TG_ARRIVAL_CONSTANT;
            else
                return usage("invalid --arrival '%s' (poisson or constant)", optarg);
            break;
        case 'd':
            if (tg_parse_duration_ns(optarg, TG_NS_PER_S, &o->duration_ns) != 0 ||
                o->duration_ns < TG_NS_PER_S / 10)
                return usage("invalid --duration '%s' (e.g. 5s, at least 100ms)", optarg);
            break;
        case 'n':
            if (tg_parse_count(optarg, 1, 100000000, &o->inputs) != 0)
                return usage("invalid -n '%s' (a count in [1, 1e8])", optarg);
            break;
        case OPT_WARMUP:
            if (tg_parse_duration_ns(optarg, TG_NS_PER_S, &o->warmup_ns) != 0)
                return usage("invalid --warmup '%s' (e.g. 1s, or 0)", optarg);
            break;
        case OPT_SLA:
            if (tg_parse_double(optarg, 0.001, 1e9, &o->sla_p95_ms) != 0)
                return usage("invalid --sla-p95 '%s' (milliseconds > 0)", optarg);
            break;
        case OPT_SLO: {
            char why[160];
            if (o->nslos + 1 >= TG_SLO_MAX)   /* one kept for --sla-p95 */
                return usage("--slo '%s': at most %d --slo", optarg, TG_SLO_MAX - 1);
            if (tg_slo_parse(optarg, &o->slos[o->nslos], why, sizeof why) != 0)
                return usage("--slo '%s': %s", optarg, why);
            o->nslos++;
            break;
        }
        case OPT_CONFIDENCE:
            if (tg_parse_double(optarg, 0.5, 0.999999, &o->confidence) != 0)
                return usage("invalid --confidence '%s' (in [0.5, 0.999999])", optarg);
            break;
        case OPT_BATCH:
            if (tg_parse_count(optarg, 1, 4096, &u) != 0)
                return usage("invalid --batch '%s' (a count in [1, 4096])", optarg);
            o->cfg.batch = (uint32_t)u;
            break;
        case OPT_BATCH_WAIT:
            if (tg_parse_double(optarg, 0, 60000, &o->cfg.batch_wait_ms) != 0)
                return usage("invalid --batch-wait-ms '%s' (milliseconds in [0, 60000])", optarg);
            break;
        case OPT_CONNECTIONS:
            if (tg_parse_count(optarg, 1, 4096, &u) != 0)
                return usage("invalid --connections '%s' (a count in [1, 4096])", optarg);
            o->cfg.connections = (uint32_t)u;
            break;
        case OPT_NO_KEEPALIVE: o->cfg.keepalive = false; break;
        case OPT_PAYLOADS: o->payloads = optarg; break;
        case OPT_TIMEOUT:
            if (tg_parse_duration_ns(optarg, TG_NS_PER_S, &o->timeout_ns) != 0 || o->timeout_ns == 0)
                return usage("invalid --timeout '%s' (e.g. 30s)", optarg);
            break;
        case OPT_SEED:
            if (tg_parse_count(optarg, 0, UINT64_MAX, &o->seed) != 0)
                return usage("invalid --seed '%s'", optarg);
            break;
        case 'o': o->out = optarg; break;
        case 'q': o->quiet = true; break;
        case 'h': help(); return TG_EXIT_OK;
        case ':': return usage("option '%s' needs a value", argv[optind - 1]);
        default: return usage("unknown option '%s' (see tailgate sweep --help)", argv[optind - 1]);
        }
    }
    if (!conc == !rate)
        return usage("give exactly one of --concurrency LIST and --rate LIST");
    o->mode = rate ? TG_LOADSWEEP_RATE : TG_LOADSWEEP_CONCURRENCY;
    o->list = rate ? rate : conc;
    char why[160];
    if (tg_loadsweep_parse_list(o->list, o->mode, o->values, &o->nvalues, why, sizeof why) != 0)
        return usage("invalid --%s '%s': %s", rate ? "rate" : "concurrency", o->list, why);
    if (!o->duration_ns && !o->inputs)
        o->duration_ns = DEFAULT_DURATION_NS;
    if (o->sla_p95_ms > 0) {
        char spec[64];
        snprintf(spec, sizeof spec, "latency:p95<=%.10gms", o->sla_p95_ms);
        if (tg_slo_parse(spec, &o->slos[o->nslos], why, sizeof why) != 0)
            return usage("--sla-p95: %s", why);
        o->nslos++;
    }
    if (optind >= argc)
        return usage("missing URL (e.g. http://127.0.0.1:8000/v1/infer)");
    if (optind + 1 < argc)
        return usage("unexpected argument '%s' (one URL only)", argv[optind + 1]);
    *url = argv[optind];
    return -1;
}

static struct tg_probe_spec spec_for(const struct sweep_cli *o, double load, uint64_t window_ns,
                                     uint64_t inputs)
{
    struct tg_probe_spec s = {
        .cfg = o->cfg,
        .inputs = inputs ? inputs : UINT64_MAX,
        .start_window_ns = window_ns,
        .deadline_ns = window_ns ? 2 * window_ns + 10 * TG_NS_PER_S : NO_DURATION_DEADLINE_NS,
        .preconnect = true,
        .keep_stream = true,
        .arrival = o->arrival,
        .seed = o->seed,
    };
    if (o->mode == TG_LOADSWEEP_RATE) {
        s.rate = load;
        s.concurrency = (uint32_t)o->cap;
    } else {
        s.concurrency = (uint32_t)load;
    }
    return s;
}

int tg_cmd_sweep(int argc, char **argv)
{
    struct sweep_cli o = defaults;
    const char *url = NULL;
    int rc = parse(argc, argv, &o, &url);
    if (rc >= 0)
        return rc;

    signal(SIGPIPE, SIG_IGN);   /* https: OpenSSL writes with write(2) (engine/tls.h) */
    /* SIGINT/SIGTERM raise the probes' one stop flag (analyze/probe.h): the
     * point in flight is cut short and dropped, no further one starts */
    if (tg_probe_catch_signals() != 0)
        return usage("cannot install the SIGINT/SIGTERM handlers: %s", strerror(errno));

    struct tg_probe_target target;
    struct tg_loadsweep_point *pts = NULL;
    char out_buf[256], err[256];
    if ((rc = tg_cli_endpoint_target("sweep", &o.ep, url, o.payloads, &target)) != 0)
        goto out;
    target.timeout_ns = o.timeout_ns;
    const char *out_dir = o.out;
    if (!out_dir) {
        char stamp[32];
        tg_utc_stamp(stamp, sizeof stamp);
        snprintf(out_buf, sizeof out_buf, "results/sweep-%s", stamp);
        out_dir = out_buf;
    }
    int mrc = tg_mkdir_p(out_dir);
    if (mrc) {
        rc = usage("cannot create %s: %s", out_dir, tg_strerror(mrc));
        goto out;
    }
    if (!(pts = calloc(o.nvalues, sizeof *pts))) {
        rc = tg_cli_resource_error("sweep", "out of memory");
        goto out;
    }
    uint64_t t0 = tg_now_ns();
    const char *what = tg_loadsweep_mode_name(o.mode);
    if (o.warmup_ns && !tg_probe_interrupted()) {
        if (!o.quiet)
            fprintf(stderr, "sweep: warm-up, %g s at %s %g\n", (double)o.warmup_ns / 1e9, what, o.values[0]);
        struct tg_probe_spec ws = spec_for(&o, o.values[0], o.warmup_ns, 0);
        ws.keep_stream = false;
        struct tg_probe_result wr = { 0 };
        int prc = tg_probe_run(&target, &ws, &wr);
        if (prc == TG_EINTR)
            prc = 0;   /* the loop below stops */
        bool dead = prc == 0 && wr.inputs > 0 && wr.ok == 0 && !tg_probe_interrupted();
        if (prc || dead) {
            fprintf(stderr, "tailgate sweep: warm-up: %s\n",
                    prc ? tg_strerror(prc) : wr.first_error[0] ? wr.first_error : "every input failed");
            tg_probe_result_free(&wr);
            rc = TG_EXIT_FAIL;
            goto out;
        }
        tg_probe_result_free(&wr);
    }
    size_t n = 0;
    bool interrupted = false;
    for (size_t i = 0; i < o.nvalues; i++) {
        if (tg_probe_interrupted()) {
            interrupted = true;
            break;
        }
        struct tg_probe_spec s = spec_for(&o, o.values[i], o.duration_ns, o.inputs);
        struct tg_probe_result r = { 0 };
        int prc = tg_probe_run(&target, &s, &r);
        if (prc && prc != TG_EINTR) {
            tg_probe_result_free(&r);
            fprintf(stderr, "tailgate sweep: %s %g: %s\n", what, o.values[i], tg_strerror(prc));
            rc = TG_EXIT_FAIL;
            goto out;
        }
        if (prc == TG_EINTR || tg_probe_interrupted()) {   /* a point cut short is not a measurement: dropped */
            tg_probe_result_free(&r);
            interrupted = true;
            break;
        }
        prc = tg_loadsweep_point_from_probe(o.values[i], &r, o.slos, o.nslos, o.confidence, &pts[n], err, sizeof err);
        tg_probe_result_free(&r);
        if (prc) {
            fprintf(stderr, "tailgate sweep: %s %g: %s\n", what, o.values[i], err);
            rc = TG_EXIT_FAIL;
            goto out;
        }
        if (!o.quiet) {
            const struct tg_loadsweep_point *p = &pts[n];
            const char *v = tg_loadsweep_point_verdict(p);
            fprintf(stderr, "sweep: %s %g: %llu inputs (%llu failed), %.1f inputs/s, P50/P95/P99 %.1f/%.1f/%.1f ms%s%s\n",
                    what, p->load, (unsigned long long)p->inputs, (unsigned long long)p->failed, p->throughput_ips,
                    p->p50_ms, p->p95_ms, p->p99_ms, v ? ", " : "", v ? v : "");
        }
        n++;
    }

    struct sweep_done done = { url, out_dir, pts, n, interrupted, (double)(tg_now_ns() - t0) / 1e9 };
    if (tg_sweep_cli_write(&o, &target, &done) != 0) {
        rc = TG_EXIT_FAIL;
        goto out;
    }
    tg_sweep_cli_print(stdout, &o, &done);
    bool any_ok = false, any_pass = false;
    for (size_t i = 0; i < n; i++) {
        any_ok |= pts[i].ok > 0;
        any_pass |= pts[i].judged && pts[i].verdict == TG_VERDICT_PASS;
    }
    if (interrupted)
        rc = TG_EXIT_INTERRUPTED;
    else if (!any_ok || (o.nslos && !any_pass))
        rc = TG_EXIT_FAIL;
    else
        rc = TG_EXIT_OK;
out:
    free(pts);
    tg_probe_target_free(&target);
    return rc;
}
