/*
 * analyze_opts.c - `tailgate analyze`'s options: the defaults (read by both
 * the parser and --help), --help itself, and getopt_long into struct
 * analyze_opts (analyze_opts.h) with the options checked against each other.
 */
#include "api/api.h"
#include "cli/analyze_opts.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/endpoint.h"
#include "cli/scrape.h"
#include "core/time.h"
#include "core/units.h"
#include "stats/slo.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>

static const struct analyze_opts defaults = {
    .ep = { .api = "tailgate" },
    .payloads = "workload/requests.jsonl",
    .budget_s = 5,
    .slo = { NAN, NAN },
    .scrape_interval_ns = TG_SCRAPE_DEFAULT_INTERVAL_NS,
};

static void help(void)
{
    printf("usage: tailgate analyze [options] [RUN]\n\n"
           "Explains where the latency goes, from measured data only: RUN is a directory\n"
           "written by `tailgate run` (or a requests.csv); --probe adds short bounded\n"
           "measurements of a live endpoint.  Writes analysis.json and analysis.md and\n"
           "prints the dominant cause in one sentence.\n\n"
           "      --probe URL          measure URL (http or https): batch cost curve t(b) = alpha + beta*b\n"
           "                           (and the largest batch: an error body naming the limit, else\n"
           "                           bisection on the refusing 413/422/400), concurrency sweep 1, 2, 4 ... c,\n"
           "                           new vs reused connections\n"
           "      --api NAME           the endpoint's API (default %s; %s)\n"
           "  -H, --header 'N: V'      extra request header of the probes (repeatable; values of\n"
           "                           secret-looking names are never written or printed)\n"
           "      --cacert FILE        https: trust the CA or self-signed certificate in PEM FILE\n"
           "      --insecure           https: do not verify the certificate or host name (warned)\n"
           "      --payloads FILE      payloads for the probes, single-input bodies of --api (default %s)\n"
           "  -c, --concurrency N      the sweep's top (default: the run's concurrency, else 20)\n"
           "      --baseline-csv FILE  input.py's latency CSV on the same server: the client's overhead\n"
           "      --budget SEC         time for the batch sweep (default %g)\n"
           "      --slo METRIC:p95<=VALUE  streams: the ttft / tpot SLO the server-side estimate is\n"
           "                           judged against (repeatable; other metrics and quantiles ignored)\n"
           "      --scrape URL         poll the server's Prometheus endpoint (http or https, verified like\n"
           "                           the probes: --cacert, --insecure) during the probes into\n"
           "                           OUT/probe_server_metrics.csv (needs --probe); RUN/server_metrics.csv\n"
           "                           (run --scrape) is read when present\n"
           "      --scrape-interval DUR  poll period (default 1s)\n"
           "  -o, --out DIR            where to write (default: RUN, else results/analysis-<UTC stamp>)\n"
           "  -q, --quiet              no progress on stderr\n"
           "  -h, --help               this help\n\n"
           "A run that streamed (or --probe on a streaming API: openai-chat, openai-completions)\n"
           "also gets the stream analysis: the TTFT / TPOT floor at concurrency 1, the excess at\n"
           "the run's concurrency (admission queueing from the server's /metrics, the running batch,\n"
           "prefill interference, connections) and the server-side estimate (docs/analysis.md).\n\n"
           "With --probe, Ctrl-C (SIGINT) or SIGTERM interrupts the probe in flight and starts no\n"
           "further one: analysis.json / analysis.md are written from what finished, with\n"
           "\"interrupted\": true, the stage cut short (\"interrupted_during\") and the stages not\n"
           "measured (\"not_measured\"; their sections null or empty, never a fragment).\n\n"
           "Without Server-Timing, the server's own queue and running series (tailgate serve, vLLM,\n"
           "TEI, Triton; scraped with --scrape) are the queueing and saturation evidence.\n\n"
           "Exit: 0 analysed, 1 the endpoint could not be measured, 2 usage or input error,\n"
           "3 interrupted.\n",
           defaults.ep.api, tg_api_names(), defaults.payloads, defaults.budget_s);
}

#define usage(...) tg_cli_usage_error("analyze", __VA_ARGS__)

enum { OPT_PROBE = 256, OPT_PAYLOADS, OPT_BASELINE, OPT_BUDGET, OPT_SLO, OPT_SCRAPE = 400, OPT_SCRAPE_INTERVAL };

static const struct option long_opts[] = {
    { "probe", required_argument, NULL, OPT_PROBE },
    TG_CLI_ENDPOINT_LONG_OPTS,
    { "payloads", required_argument, NULL, OPT_PAYLOADS },
    { "concurrency", required_argument, NULL, 'c' },
    { "baseline-csv", required_argument, NULL, OPT_BASELINE },
    { "budget", required_argument, NULL, OPT_BUDGET },
    { "slo", required_argument, NULL, OPT_SLO },
    { "scrape", required_argument, NULL, OPT_SCRAPE },
    { "scrape-interval", required_argument, NULL, OPT_SCRAPE_INTERVAL },
    { "out", required_argument, NULL, 'o' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

int tg_analyze_parse_opts(int argc, char **argv, struct analyze_opts *out, const char **run)
{
    struct analyze_opts o = defaults;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = tg_cli_getopt_long(argc, argv, ":c:o:qhH:", long_opts)) != -1) {
        int ec;
        if (tg_cli_endpoint_opt("analyze", &o.ep, ch, optarg, &ec)) {
            if (ec)
                return ec;
            continue;
        }
        switch (ch) {
        case OPT_PROBE: o.probe = optarg; break;
        case OPT_PAYLOADS: o.payloads = optarg; break;
        case 'c':
            if (tg_parse_count(optarg, 1, 4096, &o.concurrency) != 0)
                return usage("invalid -c '%s' (a count in [1, 4096])", optarg);
            break;
        case OPT_BASELINE: o.baseline_csv = optarg; break;
        case OPT_BUDGET:
            if (tg_parse_double(optarg, 0.5, 600, &o.budget_s) != 0)
                return usage("invalid --budget '%s' (seconds in [0.5, 600])", optarg);
            break;
        case OPT_SLO: {
            struct tg_slo slo;
            char why[160];
            if (tg_slo_parse(optarg, &slo, why, sizeof why) != 0)
                return usage("--slo '%s': %s", optarg, why);
            if (slo.p == 0.95 && slo.metric == TG_SLO_TTFT)
                o.slo.ttft_p95_ms = slo.limit_ms;
            else if (slo.p == 0.95 && slo.metric == TG_SLO_TPOT)
                o.slo.tpot_p95_ms = slo.limit_ms;
            break;
        }
        case OPT_SCRAPE: o.scrape = optarg; break;
        case OPT_SCRAPE_INTERVAL:
            if (tg_parse_duration_ns(optarg, TG_NS_PER_S, &o.scrape_interval_ns) != 0 ||
                o.scrape_interval_ns < 100 * TG_NS_PER_MS || o.scrape_interval_ns > 3600 * TG_NS_PER_S)
                return usage("invalid --scrape-interval '%s' (a duration in [100ms, 1h], e.g. 1s)", optarg);
            break;
        case 'o': o.out = optarg; break;
        case 'q': o.quiet = true; break;
        case 'h': help(); return TG_EXIT_OK;
        case ':': return usage("option '%s' needs a value", argv[optind - 1]);
        default: return usage("unknown option '%s' (see tailgate analyze --help)", argv[optind - 1]);
        }
    }
    const char *run_path = optind < argc ? argv[optind] : NULL;
    if (optind + 1 < argc)
        return usage("unexpected argument '%s' (one RUN only)", argv[optind + 1]);
    if (!run_path && !o.probe)
        return usage("nothing to analyze: give a RUN directory, --probe URL, or both");
    if (o.baseline_csv && !run_path)
        return usage("--baseline-csv needs the replica's RUN to compare with");
    if ((o.ep.nheaders || o.ep.cacert || o.ep.insecure) && !o.probe)
        return usage("%s applies to --probe only", o.ep.nheaders ? "-H" : o.ep.cacert ? "--cacert" : "--insecure");
    if (o.scrape && !o.probe)
        return usage("--scrape polls during the probes: add --probe URL (a run's own scrape is run --scrape)");
    *out = o;
    *run = run_path;
    return -1;
}
