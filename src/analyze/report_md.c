/*
 * report_md.c - the analysis in words (report.h): the one-sentence verdict
 * with the evidence lines it rests on, and analysis.md.  Numbers that were
 * not measured are "n/a", never a guess.
 */
#include "analyze/report.h"
#include "analyze/report_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- the sentence ----------------------------------------------------------- */

static void evidence(struct tg_analysis *a);

void tg_analysis_sentence(struct tg_analysis *a)
{
    char *s = a->sentence;
    size_t n = sizeof a->sentence;
    const struct tg_decomp_band *b = &a->decomp.band[1];
    double lat = b->latency_ms;
    char sat[200] = "";
    if (a->saturated == 1 && a->nsweep >= 2) {
        const struct tg_sweep_point *lo = &a->sweep[0], *hi = &a->sweep[a->nsweep - 1];
        snprintf(sat, sizeof sat, "; the server is saturated (throughput %.1f/s at concurrency %u vs %.1f/s at %u)",
                 hi->throughput_ips, hi->concurrency, lo->throughput_ips, lo->concurrency);
    } else if (a->saturated == 1) {
        snprintf(sat, sizeof sat, "; the server is saturated (inputs queue behind a busy server)");
    }
    char fit[240] = "";
    if (a->has_fit)
        snprintf(fit, sizeof fit, "one execution costs t(b) = %.1f + %.2f*b ms (R^2 %.3f), so batching %u inputs "
                 "multiplies throughput by %.2f", a->bfit.fit.alpha, a->bfit.fit.beta, a->bfit.fit.r2,
                 a->bfit.batch_at_c, a->bfit.gain_at_c);
    double comp = a->has_decomp ? b->comp_ms[a->cause == TG_CAUSE_SERVER_COMPUTE && a->decomp.server_timing &&
                                             b->comp_ms[TG_COMP_SERVER_QUEUE] > b->comp_ms[TG_COMP_SERVER_COMPUTE]
                                                 ? TG_COMP_SERVER_QUEUE
                                                 : TG_COMP_SERVER_COMPUTE]
                                : NAN;
    switch (a->cause) {
    case TG_CAUSE_SERVER_QUEUE:
        snprintf(s, n, "Dominant cause: server-side queueing - at P95 (%.0f ms) an input waits %.0f ms (%.0f %%) "
                 "in the server's queue%s%s%s.", lat,
                 a->decomp.server_timing ? b->comp_ms[TG_COMP_SERVER_QUEUE] : b->comp_ms[TG_COMP_SERVER],
                 100 * a->cause_share, sat, fit[0] ? "; " : "", fit);
        break;
    case TG_CAUSE_SERVER_COMPUTE:
        if (a->has_fit && a->bfit.gain_at_c < 1.5)
            snprintf(s, n, "Dominant cause: server compute - at P95 (%.0f ms) inputs spend %.0f ms (%.0f %%) queued "
                     "behind the server's per-input compute%s; %s only, so client-side batching cannot remove "
                     "the queue: the server needs more capacity.", lat, comp, 100 * a->cause_share, sat, fit);
        else
            snprintf(s, n, "Dominant cause: server compute - at P95 (%.0f ms) execution takes %.0f ms (%.0f %%)%s%s%s.",
                     lat, comp, 100 * a->cause_share, sat, fit[0] ? "; " : "", fit);
        break;
    case TG_CAUSE_CONNECT:
        snprintf(s, n, "Dominant cause: connection setup - at P95 (%.0f ms) %.0f ms (%.0f %%) go to opening "
                 "connections; keep-alive and a pre-opened pool remove it.", lat, b->comp_ms[TG_COMP_CONNECT],
                 100 * a->cause_share);
        break;
    case TG_CAUSE_CLIENT:
        snprintf(s, n, "Dominant cause: the client - at P95 (%.0f ms) inputs wait %.0f ms (%.0f %%) inside the "
                 "client before their request is written (pool too small or the load generator saturated).",
                 lat, b->comp_ms[TG_COMP_CLIENT_QUEUE], 100 * a->cause_share);
        break;
    case TG_CAUSE_TRANSFER:
        snprintf(s, n, "Dominant cause: transfer - at P95 (%.0f ms) %.0f ms (%.0f %%) are spent outside the "
                 "server's queue and compute (network, HTTP, bodies).", lat, b->comp_ms[TG_COMP_TRANSFER],
                 100 * a->cause_share);
        break;
    case TG_CAUSE_SERVER: {
        char inf[300] = "";
        if (a->saturated == 1 && a->has_little && isfinite(a->slots) && a->slots > 0 &&
            a->little.in_flight > 1.5 * a->slots)
            snprintf(inf, sizeof inf, "; by Little's law %.1f inputs are in flight against about %.1f parallel "
                     "executions, so most of that time is spent waiting inside the server (inferred from the sweep, "
                     "not measured as queue)", a->little.in_flight, a->slots);
        snprintf(s, n, "Dominant cause: the server - at P95 (%.0f ms) %.0f ms (%.0f %%) pass between writing the "
                 "request and the first response byte; the server reports no time of its own, so its queue and "
                 "compute are not separated%s%s%s%s.", lat, b->comp_ms[TG_COMP_SERVER], 100 * a->cause_share, sat,
                 inf, fit[0] ? "; " : "", fit);
        break;
    }
    case TG_CAUSE_UNKNOWN:
        snprintf(s, n, "Dominant cause: unknown - %s.",
                 a->has_run ? "the rows carry no per-request phases (input.py's CSV has none); "
                              "analyze a tailgate run or add --probe"
                            : "no run to decompose; give a run directory");
        break;
    }
    evidence(a);
    if (a->has_decomp && a->decomp.phases) {
        size_t k = strlen(s);
        if (a->decomp.server_timing)
            snprintf(s + k, n - k, " Evidence: server time from %s.",
                     a->time_headers ? "the server's own report (Server-Timing or its time headers)" : "Server-Timing");
        else
            snprintf(s + k, n - k, " Evidence: server time from TTFB minus connect, no server-reported time%s.",
                     a->has_fit && a->exec_source && !strcmp(a->exec_source, "ttfb_minus_rtt")
                         ? "; batch cost from service time alone" : "");
    }
}

/* ---- the evidence ------------------------------------------------------------------ */

static void evidence_add(struct tg_analysis *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void evidence_add(struct tg_analysis *a, const char *fmt, ...)
{
    if (a->nevidence == sizeof a->evidence / sizeof a->evidence[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->evidence[a->nevidence++], sizeof a->evidence[0], fmt, ap);
    va_end(ap);
}

/* One line per conclusion, each naming the measurements it rests on. */
static void evidence(struct tg_analysis *a)
{
    a->nevidence = 0;
    if (a->has_decomp && a->decomp.phases) {
        evidence_add(a, "phases: client queue, connect, time to first byte and service time measured per input "
                     "by the client (%zu ok inputs)", a->decomp.n_ok);
        if (a->decomp.server_timing)
            evidence_add(a, "server time: queue and compute as the server reports them (%s)",
                         a->time_headers ? "Server-Timing, or the dialect's headers" : "Server-Timing");
        else
            evidence_add(a, "server time: none reported (no Server-Timing%s%s%s); 'server' is the time to first "
                         "byte (write start to first byte, connect excluded), transfer = service - TTFB",
                         a->time_headers ? ", no " : "", a->time_headers ? a->time_headers : "",
                         a->time_headers ? " headers" : "");
    } else if (a->has_decomp) {
        evidence_add(a, "phases: none (the CSV has only latencies): nothing can be decomposed");
    }
    if (a->saturated >= 0 && a->saturation_evidence)
        evidence_add(a, "saturation: %s%s", a->saturation_evidence,
                     a->has_little ? (a->little.ratio > 0 ? "; Little's law on the analysed rows" : "") : "");
    if (a->has_fit) {
        const char *src = a->exec_source ? a->exec_source
                          : a->bfit.from_server_timing ? "server_timing_compute" : "service_time";
        if (!strcmp(src, "server_timing_compute"))
            evidence_add(a, "batch cost: server-reported compute per execution (%zu batch sizes)", a->bfit.fit.n);
        else if (!strcmp(src, "ttfb_minus_rtt"))
            evidence_add(a, "batch cost: service time alone - time to first byte of each execution minus one "
                         "TCP round trip (%.3f ms, measured as connect time); transfer after the first byte %.3f ms "
                         "(measured); no server-reported time", a->rtt_ms, a->transfer_ms);
        else
            evidence_add(a, "batch cost: service time (write start to last byte), network included; no "
                         "server-reported time");
    }
    if (a->max_batch && a->max_batch_evidence) {
        if (a->max_batch_status && a->max_batch_message && a->max_batch_message[0])
            evidence_add(a, "max batch %u: %s (HTTP %d: \"%.120s\")", a->max_batch, a->max_batch_evidence,
                         a->max_batch_status, a->max_batch_message);
        else if (a->max_batch_status)
            evidence_add(a, "max batch %u: %s (HTTP %d)", a->max_batch, a->max_batch_evidence, a->max_batch_status);
        else
            evidence_add(a, "max batch %s%u: %s", a->max_batch_exact ? "" : ">= ", a->max_batch,
                         a->max_batch_evidence);
    }
}

/* ---- analysis.md ----------------------------------------------------------------- */

const char *tg_rep_fmt_ms(char *b, size_t n, double v)
{
    if (isfinite(v))
        snprintf(b, n, "%.1f", v);
    else
        snprintf(b, n, "n/a");
    return b;
}

int tg_analysis_md(FILE *f, const struct tg_analysis *a)
{
    char x[32], y[32], z[32], mb[96];
    fprintf(f, "# Latency analysis\n\n");
    if (a->interrupted) {
        fprintf(f, "**Interrupted** (SIGINT/SIGTERM)%s%s: what finished before it is below; not measured:",
                a->interrupted_during ? " during the " : " after the probes",
                a->interrupted_during ? a->interrupted_during : "");
        for (size_t i = 0; i < a->n_not_measured; i++)
            fprintf(f, "%s %s", i ? "," : "", a->not_measured[i]);
        fprintf(f, "%s.\n\n", a->n_not_measured ? "" : " nothing");
    }
    fprintf(f, "**%s**\n\n", a->sentence);
    if (a->nevidence) {
        fprintf(f, "Evidence:\n\n");
        for (size_t i = 0; i < a->nevidence; i++)
            fprintf(f, "- %s\n", a->evidence[i]);
        fprintf(f, "\n");
    }
    fprintf(f, "Source: %s%s%s%s%s. Concurrency: %u.\n\n", a->run ? "run `" : "", a->run ? a->run : "",
            a->run ? "`" : "", a->probe_url ? (a->run ? " + probes of " : "probes of ") : "",
            a->probe_url ? a->probe_url : "", a->concurrency);
    if (a->has_run)
        fprintf(f, "Run: %llu inputs, %llu ok, %llu failed; P50 %s ms, P95 %s ms, P99 %s ms.\n\n",
                (unsigned long long)a->inputs, (unsigned long long)a->ok, (unsigned long long)a->failed,
                tg_rep_fmt_ms(x, sizeof x, a->p50_ms), tg_rep_fmt_ms(y, sizeof y, a->p95_ms), tg_rep_fmt_ms(z, sizeof z, a->p99_ms));

    fprintf(f, "## Where the time goes\n\n");
    if (a->has_decomp && a->decomp.phases) {
        const struct tg_decomp *d = &a->decomp;
        fprintf(f, "Mean of each component over the rows ranked around each percentile (ms).%s\n\n",
                d->server_timing ? "" : " No server-reported time: the server's queue and compute cannot be "
                                        "separated (column `server` = time to first byte).");
        fprintf(f, "| percentile | latency | rows |");
        for (int j = 0; j < TG_COMP_COUNT; j++)
            if (isfinite(d->band[0].comp_ms[j]))
                fprintf(f, " %s |", tg_comp_names[j]);
        fprintf(f, "\n|---|---|---|");
        for (int j = 0; j < TG_COMP_COUNT; j++)
            if (isfinite(d->band[0].comp_ms[j]))
                fprintf(f, "---|");
        fprintf(f, "\n");
        for (int i = 0; i < TG_DECOMP_BANDS; i++) {
            const struct tg_decomp_band *b = &d->band[i];
            fprintf(f, "| P%g | %.1f | %zu |", b->pct, b->latency_ms, b->n);
            for (int j = 0; j < TG_COMP_COUNT; j++)
                if (isfinite(d->band[0].comp_ms[j]))
                    fprintf(f, " %.1f (%.0f %%) |", b->comp_ms[j],
                            b->band_latency_ms > 0 ? 100 * b->comp_ms[j] / b->band_latency_ms : 0);
            fprintf(f, "\n");
        }
        fprintf(f, "\n");
    } else {
        fprintf(f, "Not available: the rows carry no per-request phases.\n\n");
    }

    fprintf(f, "## Is the server saturated?\n\n");
    if (a->has_little)
        fprintf(f, "Little's law: throughput %.2f inputs/s x mean latency %.1f ms = %.2f inputs in flight "
                "(client concurrency %s, ratio %.2f)%s%s%s.\n\n", a->little.throughput_ips,
                a->little.mean_latency_ms, a->little.in_flight, tg_rep_fmt_ms(x, sizeof x, a->little.concurrency),
                a->little.ratio, isfinite(a->little.server_in_flight) ? "; inside the server " : "",
                isfinite(a->little.server_in_flight) ? tg_rep_fmt_ms(y, sizeof y, a->little.server_in_flight) : "",
                isfinite(a->little.server_in_flight) ? " on average" : "");
    if (a->nsweep) {
        fprintf(f, "| concurrency | throughput (inputs/s) | P50 ms | P95 ms | inputs | source |\n|---|---|---|---|---|---|\n");
        for (size_t i = 0; i < a->nsweep; i++)
            fprintf(f, "| %u | %.2f | %.1f | %.1f | %llu | %s |\n", a->sweep[i].concurrency, a->sweep[i].throughput_ips,
                    a->sweep[i].p50_ms, a->sweep[i].p95_ms, (unsigned long long)a->sweep[i].inputs,
                    a->sweep[i].from_run ? "run" : "probe");
        fprintf(f, "\n");
    }
    fprintf(f, "Saturated: **%s** (evidence: %s%s%s).%s%s\n\n",
            a->saturated == 1 ? "yes" : a->saturated == 0 ? "no" : "unknown",
            a->saturation_evidence ? a->saturation_evidence : "none",
            a->knee ? "; throughput reaches 90 % of its best at concurrency " : "",
            a->knee ? (snprintf(x, sizeof x, "%u", a->knee), x) : "",
            isfinite(a->slots) ? " Effective parallel executions (best throughput x t(1)): " : "",
            isfinite(a->slots) ? (snprintf(y, sizeof y, "%.2f.", a->slots), y) : "");

    fprintf(f, "## Batch cost\n\n");
    if (a->has_fit) {
        fprintf(f, "t(b) = %.2f + %.3f*b ms, R^2 = %.4f over %zu batch sizes (%s; median of each size).\n\n",
                a->bfit.fit.alpha, a->bfit.fit.beta, a->bfit.fit.r2, a->bfit.fit.n,
                a->bfit.from_server_timing ? "server-reported compute"
                : a->exec_source && !strcmp(a->exec_source, "ttfb_minus_rtt")
                    ? "service time alone: time to first byte minus one TCP round trip"
                    : "service time, which includes the network");
        fprintf(f, "| batch | executions | median ms | min | max | fitted |\n|---|---|---|---|---|---|\n");
        for (size_t i = 0; i < a->nbpts; i++)
            fprintf(f, "| %u | %zu | %.1f | %.1f | %.1f | %.1f |\n", a->bpts[i].batch, a->bpts[i].n, a->bpts[i].median_ms,
                    a->bpts[i].min_ms, a->bpts[i].max_ms, tg_fit_eval(&a->bfit.fit, a->bpts[i].batch));
        fprintf(f, "\nLargest accepted batch: %s%u%s. Batching %u inputs gives %.2fx the throughput of single "
                "inputs (%.0f %% of linear); no batch size can give more than %.1fx.\n\n",
                a->max_batch_exact ? "" : ">= ", a->max_batch,
                a->max_batch_evidence ? (snprintf(mb, sizeof mb, " (%.80s)", a->max_batch_evidence), mb) : "",
                a->bfit.batch_at_c, a->bfit.gain_at_c, 100 * a->bfit.efficiency_at_c, a->bfit.gain_limit);
    } else {
        fprintf(f, "Not measured (no probe, or the run has a single batch size).\n\n");
    }

    fprintf(f, "## Connections\n\n");
    if (a->has_conn)
        fprintf(f, "A new connection costs %.3f ms to open; requests on new connections took %.2f ms (connect + "
                "service) vs %.2f ms on reused ones (%+.2f ms; %zu new, %zu reused).\n\n",
                a->conn.new_connect_ms, a->conn.new_service_ms, a->conn.reused_service_ms, a->conn.extra_ms,
                a->conn.n_new, a->conn.n_reused);
    else
        fprintf(f, "Not measured.\n\n");

    fprintf(f, "## The client's own overhead\n\n");
    if (a->has_client)
        fprintf(f, "input.py: P50 %.1f ms, P95 %.1f ms; C replica on the same server: P50 %.1f ms, P95 %.1f ms. "
                "Difference (input.py - replica): P50 %+.1f ms, P95 %+.1f ms, mean %+.1f ms.\n",
                a->client.baseline_p50_ms, a->client.baseline_p95_ms, a->client.replica_p50_ms,
                a->client.replica_p95_ms, a->client.delta_p50_ms, a->client.delta_p95_ms, a->client.delta_mean_ms);
    else
        fprintf(f, "Not measured (give input.py's CSV with --baseline-csv).\n");
    if (a->probe_url)
        fprintf(f, "\nProbes: %llu inputs in %.1f s.\n", (unsigned long long)a->probe_inputs, a->probe_s);
    return ferror(f) ? -EIO : 0;
}
