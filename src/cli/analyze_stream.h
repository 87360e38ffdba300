/*
 * analyze_stream.h - the streaming part of `tailgate analyze`: the run's
 * TTFT/TPOT point, two short probes (concurrency 1: the floor; concurrency
 * N with the server's /metrics gauges sampled every 100 ms), and the stream
 * analysis (analyze/stream.h) written as analysis.json "stream" and an
 * analysis.md section (docs/analysis.md, "Streams").
 */
#ifndef TG_CLI_ANALYZE_STREAM_H
#define TG_CLI_ANALYZE_STREAM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "analyze/probe.h"
#include "analyze/prows.h"
#include "analyze/stream.h"

struct tg_cli_stream {
    bool done;                     /* an analysis was made (sa valid) */
    struct tg_stream_analysis sa;
    bool run_from_probe;           /* the loaded point is the probe's, not the run's */
    bool probed;                   /* the probes ran */
    uint64_t probe_inputs;
    double probe_s;
    const char *gauges_source;     /* "/metrics" URL path or a reason it is absent */
    bool interrupted;              /* the probe interrupt (probe.h) cut the stream probes short:
                                      not analysed (done false, note says so) */
    char note[200];                /* why there is no analysis, "" none */
};

/* run: the analysed rows (NULL or without TG_PROWS_STREAM: the loaded probe
 * stands in), at run_concurrency; concurrency: the loaded probe's; t: the
 * probe target (NULL: passive, no floor); slo: the P95 SLOs (NAN none).
 * Probes are bounded (a few seconds each); with the probe interrupt raised
 * (before or during them) none further starts and the section is not
 * analysed (out->interrupted).  Never fails: out->done false and out->note
 * say why. */
void tg_cli_stream_analyze(const struct tg_prows *run, uint32_t run_concurrency, uint32_t concurrency,
                           const struct tg_probe_target *t,
                           const struct tg_stream_slo *slo, bool quiet, struct tg_cli_stream *out);

/* analysis.json "stream" (NULL on allocation failure) and the md section. */
json_t *tg_cli_stream_json(const struct tg_cli_stream *s);
int tg_cli_stream_md(FILE *f, const struct tg_cli_stream *s);

#endif
