/*
 * sweep.h - the parts of `tailgate sweep` (internal to src/cli):
 *   sweep.c      options, the warm-up and the per-point loop, the exit code
 *   sweep_out.c  sweep.json, sweep.svg and the printed table
 */
#ifndef TG_CLI_SWEEP_H
#define TG_CLI_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analyze/loadsweep.h"
#include "analyze/probe.h"
#include "cli/endpoint.h"
#include "stats/slo.h"

struct sweep_cli {
    struct tg_cli_endpoint ep;
    enum tg_loadsweep_mode mode;
    const char *list;               /* --concurrency or --rate, as given */
    double values[TG_LOADSWEEP_MAX_POINTS];
    size_t nvalues;
    uint64_t cap;                   /* --concurrency-cap (rate mode) */
    enum tg_arrival arrival;
    uint64_t duration_ns;           /* per point; 0 with -n alone */
    uint64_t inputs;                /* per point; 0: until the duration */
    uint64_t warmup_ns;
    uint64_t timeout_ns;
    struct tg_client_cfg cfg;       /* connections 0: one per input in flight */
    const char *payloads;
    double sla_p95_ms;              /* 0: none */
    struct tg_slo slos[TG_SLO_MAX]; /* --slo, then --sla-p95's */
    size_t nslos;
    double confidence;
    uint64_t seed;
    const char *out;
    bool quiet;
};

/* What the loop measured. */
struct sweep_done {
    const char *url;                /* as given (written and printed redacted) */
    const char *out_dir;
    const struct tg_loadsweep_point *pts;   /* the points measured, in load order */
    size_t n;
    bool interrupted;               /* SIGINT/SIGTERM: the later loads not measured */
    double elapsed_s;               /* the whole sweep */
};

/* Writes OUT/sweep.json (atomically) and OUT/sweep.svg (when there is a
 * point).  Returns 0, or a negative code after a message on stderr. */
int tg_sweep_cli_write(const struct sweep_cli *o, const struct tg_probe_target *t, const struct sweep_done *d);

/* The table of points, the knee and SLO lines, and where the files are. */
void tg_sweep_cli_print(FILE *f, const struct sweep_cli *o, const struct sweep_done *d);

#endif
