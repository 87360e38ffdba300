/*
 * analyze_opts.h - `tailgate analyze`'s options (internal to src/cli/analyze*.c):
 * the struct the parser fills (analyze_opts.c: defaults, --help, getopt_long)
 * and the run reads (analyze.c).
 */
#ifndef TG_CLI_ANALYZE_OPTS_H
#define TG_CLI_ANALYZE_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "analyze/stream.h"
#include "cli/endpoint.h"

struct analyze_opts {
    const char *probe;
    struct tg_cli_endpoint ep;  /* --api, -H, --cacert, --insecure of the probes */
    const char *payloads;
    uint64_t concurrency;      /* 0: the run's, else 20 */
    const char *baseline_csv;
    const char *out;
    double budget_s;
    bool quiet;
    struct tg_stream_slo slo;  /* --slo ttft/tpot at p95 (NAN none) */
    const char *scrape;        /* --scrape URL: the server's /metrics during the probes */
    uint64_t scrape_interval_ns;
};

/* Parses argv (argv[0] is "analyze") into *out and the RUN argument into *run
 * (NULL: none), checking the options against each other.  Returns -1 to go
 * on, else the exit code to return at once (TG_EXIT_OK after --help,
 * TG_EXIT_USAGE after a one-line usage error on stderr). */
int tg_analyze_parse_opts(int argc, char **argv, struct analyze_opts *out, const char **run);

#endif
