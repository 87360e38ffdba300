/*
 * capacity.h - the parts of `tailgate capacity` (internal to src/cli):
 *   capacity.c      options, the starting rate, the flow
 *   capacity_out.c  capacity.json, capacity.svg and the printed paragraph
 */
#ifndef TG_CLI_CAPACITY_H
#define TG_CLI_CAPACITY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "analyze/capacity.h"
#include "analyze/model.h"
#include "analyze/probe.h"
#include "cli/endpoint.h"
#include "stats/slo.h"

struct capacity_cli {
    struct tg_cli_endpoint ep;     /* --api, -H, --cacert, --insecure */
    double sla_p95_ms;
    bool has_sla;                  /* slos[0] is latency:p95<=sla_p95_ms */
    struct tg_slo slos[TG_SLO_MAX];
    size_t nslos;
    double confidence;
    uint64_t budget_ns;
    double resolution;             /* relative: 0.05 */
    const char *analysis;
    double start_rate, min_rate, max_rate;   /* 0: the search's default */
    uint64_t min_run_ns;
    uint64_t seed;
    const char *payloads;
    uint64_t concurrency;          /* in-flight cap */
    struct tg_client_cfg cfg;      /* connections 0: = concurrency */
    bool preconnect;
    const char *out;
    bool quiet;
    const char *url;
    /* filled by the flow */
    const char *out_dir;
    const char *start_source;      /* "option", "analysis", "probe" */
    double growth;
    double probe_ips;              /* the closed-loop probe's throughput; 0 none */
    double model_rate;             /* the model's predicted rate (with --analysis); 0 none */
    uint32_t model_concurrency;
};

/* Writes OUT/capacity.json (atomically) and OUT/capacity.svg (when there is
 * a point).  Returns 0, or a negative code after a message on stderr. */
int tg_capacity_cli_write(const struct capacity_cli *o, const struct tg_probe_target *t,
                          const struct tg_capacity *c, const char *first_error);

/* The limit with its evidence in one paragraph (and where the files are). */
void tg_capacity_cli_print(FILE *f, const struct capacity_cli *o, const struct tg_capacity *c,
                           const char *first_error);

#endif
