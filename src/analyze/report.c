/*
 * report.c - the analysis and tune documents.  Numbers that were not
 * measured are JSON null and "n/a" in Markdown, never a guess.
 */
#include "analyze/report.h"
#include "core/fs.h"

#include "compare/rows.h"
#include "core/error.h"
#include "core/time.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *r3(double v)   /* rounded to µs: stable, readable files */
{
    return isfinite(v) ? json_real(round(v * 1000) / 1000) : json_null();
}

static json_t *cfg_json(const struct tg_client_cfg *c)
{
    return json_pack("{s:i, s:b, s:i, s:o}", "connections", (json_int_t)c->connections, "keepalive",
                     c->keepalive, "batch", (json_int_t)c->batch, "batch_wait_ms", num(c->batch_wait_ms));
}

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

/* ---- analysis.json ------------------------------------------------------------- */

static json_t *sweep_json(const struct tg_sweep_point *p, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:i, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:s}", "concurrency",
                                           (json_int_t)p[i].concurrency, "inputs", (json_int_t)p[i].inputs, "ok",
                                           (json_int_t)p[i].ok, "failed", (json_int_t)p[i].failed,
                                           "throughput_ips", r3(p[i].throughput_ips), "p50_ms", r3(p[i].p50_ms),
                                           "p95_ms", r3(p[i].p95_ms), "mean_ms", r3(p[i].mean_ms), "source",
                                           p[i].from_run ? "run" : "probe"));
    return a;
}

json_t *tg_analysis_json(const struct tg_analysis *a)
{
    char now[32];
    tg_utc_iso(now, sizeof now);
    json_t *root = json_object();
    json_object_set_new(root, "schema", json_string(TG_ANALYSIS_SCHEMA));
    json_object_set_new(root, "generated_utc", json_string(now));
    json_object_set_new(root, "source", json_pack("{s:o, s:o, s:o}", "run", a->run ? json_string(a->run) : json_null(),
                                                  "probe_url", a->probe_url ? json_string(a->probe_url) : json_null(),
                                                  "baseline_csv",
                                                  a->baseline_csv ? json_string(a->baseline_csv) : json_null()));
    json_object_set_new(root, "concurrency", a->concurrency ? json_integer(a->concurrency) : json_null());
    json_object_set_new(root, "dominant_cause", json_string(tg_cause_name(a->cause)));
    json_object_set_new(root, "dominant_share", r3(a->cause_share));
    json_object_set_new(root, "sentence", json_string(a->sentence));
    json_t *ev = json_array();
    for (size_t i = 0; i < a->nevidence; i++)
        json_array_append_new(ev, json_string(a->evidence[i]));
    json_object_set_new(root, "evidence", ev);
    json_object_set_new(root, "api", a->api ? json_string(a->api) : json_null());
    json_object_set_new(root, "saturated", a->saturated < 0 ? json_null() : json_boolean(a->saturated));
    json_object_set_new(root, "saturation",
                        json_pack("{s:s, s:o, s:o}", "evidence", a->saturation_evidence ? a->saturation_evidence : "none",
                                  "knee_concurrency", a->knee ? json_integer(a->knee) : json_null(),
                                  "slots_estimate", r3(a->slots)));
    if (a->has_run)
        json_object_set_new(root, "run", json_pack("{s:I, s:I, s:I, s:o, s:{s:o, s:o, s:o, s:o}}", "inputs",
                                                   (json_int_t)a->inputs, "ok", (json_int_t)a->ok, "failed",
                                                   (json_int_t)a->failed, "wall_time_s", r3(a->wall_s),
                                                   "latency_ms", "p50", r3(a->p50_ms), "p95", r3(a->p95_ms),
                                                   "p99", r3(a->p99_ms), "mean", r3(a->mean_ms)));
    else
        json_object_set_new(root, "run", json_null());

    if (a->has_decomp) {
        const struct tg_decomp *d = &a->decomp;
        json_t *bands = json_array();
        for (int i = 0; i < TG_DECOMP_BANDS; i++) {
            const struct tg_decomp_band *b = &d->band[i];
            json_t *comp = json_object(), *share = json_object();
            for (int j = 0; j < TG_COMP_COUNT; j++) {
                if (!isfinite(b->comp_ms[j]))
                    continue;
                json_object_set_new(comp, tg_comp_names[j], r3(b->comp_ms[j]));
                json_object_set_new(share, tg_comp_names[j],
                                    r3(b->band_latency_ms > 0 ? b->comp_ms[j] / b->band_latency_ms : NAN));
            }
            json_array_append_new(bands, json_pack("{s:f, s:[f,f], s:I, s:o, s:o, s:o, s:o}", "percentile", b->pct,
                                                   "rank_window", b->lo_pct, b->hi_pct, "rows", (json_int_t)b->n,
                                                   "latency_ms", r3(b->latency_ms), "band_latency_ms",
                                                   r3(b->band_latency_ms), "components_ms", comp, "shares", share));
        }
        const char *missing = !d->phases ? "no per-request phases: nothing can be separated"
                              : !d->server_timing ? "no server-reported time (no Server-Timing or time headers): server "
                                                    "queue and compute are not separable (component 'server' = time "
                                                    "to first byte)"
                                                  : NULL;
        json_object_set_new(root, "decomposition",
                            json_pack("{s:b, s:b, s:I, s:o, s:o}", "phases", d->phases, "server_timing",
                                      d->server_timing, "ok_rows", (json_int_t)d->n_ok, "not_separable",
                                      missing ? json_string(missing) : json_null(), "bands", bands));
    } else {
        json_object_set_new(root, "decomposition", json_null());
    }
    if (a->has_little)
        json_object_set_new(root, "littles_law",
                            json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "throughput_ips", r3(a->little.throughput_ips),
                                      "mean_latency_ms", r3(a->little.mean_latency_ms), "in_flight",
                                      r3(a->little.in_flight), "concurrency", num(a->little.concurrency),
                                      "ratio", r3(a->little.ratio), "server_in_flight",
                                      r3(a->little.server_in_flight)));
    else
        json_object_set_new(root, "littles_law", json_null());
    json_object_set_new(root, "sweep", sweep_json(a->sweep, a->nsweep));

    if (a->has_fit) {
        json_t *pts = json_array();
        for (size_t i = 0; i < a->nbpts; i++)
            json_array_append_new(pts, json_pack("{s:i, s:I, s:o, s:o, s:o}", "batch", (json_int_t)a->bpts[i].batch,
                                                 "n", (json_int_t)a->bpts[i].n, "median_ms", r3(a->bpts[i].median_ms),
                                                 "min_ms", r3(a->bpts[i].min_ms), "max_ms", r3(a->bpts[i].max_ms)));
        json_t *jit = json_array();
        for (size_t i = 0; i < a->njitter; i++)
            json_array_append_new(jit, json_real(round(a->jitter[i] * 1e4) / 1e4));
        json_object_set_new(root, "batch_fit",
                            json_pack("{s:o, s:o, s:o, s:o, s:I, s:s, s:o, s:o, s:i, s:o, s:o, s:o, s:o}",
                                      "alpha_ms", r3(a->bfit.fit.alpha), "beta_ms", r3(a->bfit.fit.beta), "r2",
                                      num(round(a->bfit.fit.r2 * 1e5) / 1e5), "rmse_ms", r3(a->bfit.fit.rmse),
                                      "n_points", (json_int_t)a->bfit.fit.n,
                                      "source", a->exec_source ? a->exec_source
                                                : a->bfit.from_server_timing ? "server_timing_compute" : "service_time",
                                      "points", pts, "max_batch", a->max_batch ? json_integer(a->max_batch) : json_null(),
                                      "batch_at_concurrency", (json_int_t)a->bfit.batch_at_c,
                                      "gain_at_concurrency", r3(a->bfit.gain_at_c), "efficiency_at_concurrency",
                                      r3(a->bfit.efficiency_at_c), "gain_limit", r3(a->bfit.gain_limit),
                                      "jitter_factors", jit));
        json_object_set_new(json_object_get(root, "batch_fit"), "max_batch_exact", json_boolean(a->max_batch_exact));
        json_object_set_new(json_object_get(root, "batch_fit"), "time_budget_cut", json_boolean(a->budget_cut));
        json_object_set_new(json_object_get(root, "batch_fit"), "rtt_subtracted_ms", r3(a->rtt_ms));
        json_object_set_new(json_object_get(root, "batch_fit"), "max_batch_evidence",
                            json_pack("{s:o, s:o, s:o, s:o}", "how",
                                      a->max_batch_evidence ? json_string(a->max_batch_evidence) : json_null(),
                                      "status", a->max_batch_status ? json_integer(a->max_batch_status) : json_null(),
                                      "message", a->max_batch_message && a->max_batch_message[0]
                                                     ? json_string(a->max_batch_message) : json_null(),
                                      "named", a->max_batch_named ? json_integer(a->max_batch_named) : json_null()));
    } else {
        json_object_set_new(root, "batch_fit", json_null());
    }
    if (a->has_model)
        json_object_set_new(root, "model",
                            json_pack("{s:o, s:o, s:o, s:i, s:o, s:o}", "alpha_ms", r3(a->model.alpha_ms), "beta_ms",
                                      r3(a->model.beta_ms), "slots", r3(a->slots), "max_batch",
                                      (json_int_t)a->model.max_batch, "overhead_ms", r3(a->model.overhead_ms),
                                      "connect_ms", r3(a->model.connect_ms)));
    else
        json_object_set_new(root, "model",
                            json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "alpha_ms", a->has_fit ? r3(a->bfit.fit.alpha) : json_null(),
                                      "beta_ms", a->has_fit ? r3(a->bfit.fit.beta) : json_null(), "slots", r3(a->slots),
                                      "max_batch", a->max_batch ? json_integer(a->max_batch) : json_null(),
                                      "overhead_ms", r3(a->overhead_ms), "connect_ms",
                                      a->has_conn ? r3(a->conn.new_connect_ms) : json_null()));
    if (a->has_conn)
        json_object_set_new(root, "connection_cost",
                            json_pack("{s:I, s:I, s:o, s:o, s:o, s:o}", "new", (json_int_t)a->conn.n_new, "reused",
                                      (json_int_t)a->conn.n_reused, "new_connect_ms", r3(a->conn.new_connect_ms),
                                      "new_service_ms", r3(a->conn.new_service_ms), "reused_service_ms",
                                      r3(a->conn.reused_service_ms), "extra_ms", r3(a->conn.extra_ms)));
    else
        json_object_set_new(root, "connection_cost", json_null());
    if (a->has_client) {
        const struct tg_client_overhead *c = &a->client;
        json_object_set_new(root, "client_overhead",
                            json_pack("{s:{s:I, s:o, s:o, s:o}, s:{s:I, s:o, s:o, s:o}, s:{s:o, s:o, s:o}}",
                                      "baseline", "n", (json_int_t)c->baseline_n, "p50_ms", r3(c->baseline_p50_ms),
                                      "p95_ms", r3(c->baseline_p95_ms), "mean_ms", r3(c->baseline_mean_ms),
                                      "replica", "n", (json_int_t)c->replica_n, "p50_ms", r3(c->replica_p50_ms),
                                      "p95_ms", r3(c->replica_p95_ms), "mean_ms", r3(c->replica_mean_ms),
                                      "delta", "p50_ms", r3(c->delta_p50_ms), "p95_ms", r3(c->delta_p95_ms),
                                      "mean_ms", r3(c->delta_mean_ms)));
    } else {
        json_object_set_new(root, "client_overhead", json_null());
    }
    json_object_set_new(root, "probe", a->probe_url ? json_pack("{s:o, s:I}", "elapsed_s", r3(a->probe_s), "inputs",
                                                                (json_int_t)a->probe_inputs)
                                                    : json_null());
    return root;
}

/* ---- analysis.md ----------------------------------------------------------------- */

static const char *fmt_ms(char *b, size_t n, double v)
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
    fprintf(f, "# Latency analysis\n\n**%s**\n\n", a->sentence);
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
                fmt_ms(x, sizeof x, a->p50_ms), fmt_ms(y, sizeof y, a->p95_ms), fmt_ms(z, sizeof z, a->p99_ms));

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
                a->little.mean_latency_ms, a->little.in_flight, fmt_ms(x, sizeof x, a->little.concurrency),
                a->little.ratio, isfinite(a->little.server_in_flight) ? "; inside the server " : "",
                isfinite(a->little.server_in_flight) ? fmt_ms(y, sizeof y, a->little.server_in_flight) : "",
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

/* ---- reading the model back ---------------------------------------------------------- */

static double jnum(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

int tg_analysis_load_model(const char *path, struct tg_costmodel *m, double **jitter, char *err, size_t errlen)
{
    *jitter = NULL;
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
        return TG_EPARSE;
    }
    int rc = TG_EPARSE;
    json_t *schema = json_object_get(root, "schema");
    if (!json_is_string(schema) || strcmp(json_string_value(schema), TG_ANALYSIS_SCHEMA)) {
        snprintf(err, errlen, "%s: not a %s document", path, TG_ANALYSIS_SCHEMA);
        goto out;
    }
    json_t *model = json_object_get(root, "model");
    double alpha = jnum(model, "alpha_ms"), beta = jnum(model, "beta_ms"), slots = jnum(model, "slots");
    double maxb = jnum(model, "max_batch");
    if (!isfinite(alpha) || !isfinite(beta) || alpha + beta <= 0) {
        snprintf(err, errlen, "%s: no batch cost fit (analyze it with --probe)", path);
        goto out;
    }
    memset(m, 0, sizeof *m);
    m->alpha_ms = alpha;
    m->beta_ms = beta;
    m->slots = isfinite(slots) && slots >= 1 ? (uint32_t)lround(slots) : 1;
    m->max_batch = isfinite(maxb) && maxb >= 1 ? (uint32_t)maxb : 1;
    m->overhead_ms = isfinite(jnum(model, "overhead_ms")) ? fmax(0, jnum(model, "overhead_ms")) : 0;
    m->connect_ms = isfinite(jnum(model, "connect_ms")) ? jnum(model, "connect_ms") : 0;
    json_t *jit = json_object_get(json_object_get(root, "model"), "jitter_factors");
    if (!jit)
        jit = json_object_get(json_object_get(root, "batch_fit"), "jitter_factors");
    size_t n = json_array_size(jit);
    if (n) {
        double *v = malloc(n * sizeof *v);
        if (!v) {
            rc = TG_ENOMEM;
            goto out;
        }
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_array_get(jit, i);
            if (json_is_number(e) && json_number_value(e) > 0)
                v[k++] = json_number_value(e);
        }
        *jitter = v;
        m->jitter = v;
        m->njitter = k;
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

/* ---- tune.json / tune.md ------------------------------------------------------------- */

static json_t *cand_json(const struct tg_tune_cand *c)
{
    json_t *o = json_pack("{s:s, s:o, s:{s:o, s:o, s:o}, s:b}", "role", tg_tune_role_name(c->role), "config",
                          cfg_json(&c->cfg), "predicted", "p50_ms", r3(c->pred.p50_ms), "p95_ms", r3(c->pred.p95_ms),
                          "throughput_ips", r3(c->pred.throughput_ips), "measured", c->measured);
    if (c->measured)
        json_object_set_new(o, "measurement",
                            json_pack("{s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:{s:I, s:I, s:I}, s:b}", "inputs",
                                      (json_int_t)c->inputs, "ok", (json_int_t)c->ok, "failed", (json_int_t)c->failed,
                                      "p50_ms", r3(c->p50_ms), "p95_ms", r3(c->p95_ms), "p99_ms", r3(c->p99_ms),
                                      "throughput_ips", r3(c->throughput_ips), "wall_s", r3(c->wall_s), "outputs",
                                      "compared", (json_int_t)c->outputs_compared, "different",
                                      (json_int_t)c->outputs_different, "missing", (json_int_t)c->outputs_missing,
                                      "eligible", tg_tune_eligible(c)));
    if (c->measured) {
        json_t *oj = json_object_get(json_object_get(o, "measurement"), "outputs");
        json_object_set_new(oj, "within_tolerance", json_integer((json_int_t)c->outputs_within_tolerance));
        json_object_set_new(oj, "max_diff", num(c->outputs_max_diff));
        json_object_set_new(json_object_get(o, "measurement"), "verdict",
                            json_string(c->failed ? "failed inputs" : c->outputs_different ? "outputs differ"
                                        : !c->outputs_compared ? "no output compared" : "eligible"));
    }
    return o;
}

static const struct tg_tune_cand *find_role(const struct tg_tune *t, enum tg_tune_role r)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->cands[i].role == r)
            return &t->cands[i];
    return NULL;
}

static const char *lever_name(enum tg_tune_role r)
{
    switch (r) {
    case TG_ROLE_BASELINE: return "baseline (pool = concurrency, keep-alive, no batching)";
    case TG_ROLE_POOL: return "pool size alone (1 connection)";
    case TG_ROLE_KEEPALIVE: return "keep-alive alone (off)";
    case TG_ROLE_BATCH: return "batch size alone";
    case TG_ROLE_BATCH_WAIT: return "batch wait alone (batch 1)";
    case TG_ROLE_CONFIRM: return "combined (the choice, full workload)";
    default: return "search";
    }
}

json_t *tg_tune_json(const struct tg_tune *t, const struct tg_tune_opts *o, const struct tg_costmodel *m,
                     const char *url, const char *model_source)
{
    char now[32], args[160] = "";
    tg_utc_iso(now, sizeof now);
    json_t *root = json_object();
    json_object_set_new(root, "schema", json_string(TG_TUNE_SCHEMA));
    json_object_set_new(root, "generated_utc", json_string(now));
    json_object_set_new(root, "url", json_string(url ? url : ""));
    json_object_set_new(root, "sla_p95_ms", num(o->sla_p95_ms));
    json_object_set_new(root, "concurrency", json_integer(o->concurrency));
    json_object_set_new(root, "inputs_per_candidate", json_integer((json_int_t)(o->inputs ? o->inputs : 200)));
    json_object_set_new(root, "model", json_pack("{s:s, s:o, s:o, s:i, s:i, s:o, s:o, s:I}", "source", model_source,
                                                 "alpha_ms", r3(m->alpha_ms), "beta_ms", r3(m->beta_ms), "slots",
                                                 (json_int_t)m->slots, "max_batch", (json_int_t)m->max_batch,
                                                 "overhead_ms", r3(m->overhead_ms), "connect_ms", r3(m->connect_ms),
                                                 "jitter_factors", (json_int_t)m->njitter));
    if (t->best >= 0) {
        tg_tune_args(&t->cands[t->best].cfg, args, sizeof args);
        const struct tg_tune_cand *cf = t->confirm >= 0 ? &t->cands[t->confirm] : NULL;
        json_object_set_new(root, "best", json_pack("{s:o, s:s, s:o, s:o, s:o, s:o}", "config",
                                                     cfg_json(&t->cands[t->best].cfg), "run_args", args, "p95_ms",
                                                     r3(t->best_p95_ms), "search_p95_ms",
                                                     r3(t->cands[t->best].p95_ms), "predicted_p95_ms",
                                                     r3(t->cands[t->best].pred.p95_ms), "confirmation",
                                                     cf ? cand_json(cf) : json_null()));
    } else {
        json_object_set_new(root, "best", json_null());
    }
    json_object_set_new(root, "theoretical_best_p95_ms", r3(t->theoretical_best_p95_ms));
    json_object_set_new(root, "theoretical_best_with_jitter_p95_ms", r3(t->theoretical_best_jitter_p95_ms));
    json_object_set_new(root, "theoretical_best_batch", json_integer(t->theoretical_best_batch));
    json_object_set_new(root, "ratio_to_theoretical_best", r3(t->ratio));
    json_object_set_new(root, "meets_sla", json_boolean(t->meets_sla));
    char tol[48];
    tg_tolerance_format(&o->tol, tol, sizeof tol);
    json_object_set_new(root, "output_tolerance", json_string(tol));
    json_object_set_new(root, "reason", t->reason[0] ? json_string(t->reason) : json_null());
    json_object_set_new(root, "outputs_differ", json_pack("{s:I, s:I}", "candidates", (json_int_t)t->n_outputs_differ,
                                                          "batched", (json_int_t)t->n_batched_differ));
    json_t *ss = json_pack("{s:o, s:o, s:o}", "dynamic_batching_p95_ms", r3(t->dyn_batching_p95_ms), "slots_needed",
                           t->slots_needed ? json_integer(t->slots_needed) : json_null(), "slots_p95_ms",
                           r3(t->slots_p95_ms));
    json_object_set_new(root, "server_side", ss);
    json_t *abl = json_array();
    const struct tg_tune_cand *base = find_role(t, TG_ROLE_BASELINE);
    for (int r = TG_ROLE_BASELINE; r < TG_ROLE_COUNT; r++) {
        const struct tg_tune_cand *c = find_role(t, (enum tg_tune_role)r);
        if (!c)
            continue;
        json_t *row = cand_json(c);
        json_object_set_new(row, "lever", json_string(lever_name(c->role)));
        json_object_set_new(row, "delta_p95_ms", c->measured && base && base->measured
                                                     ? r3(c->p95_ms - base->p95_ms) : json_null());
        if (c->role == TG_ROLE_BATCH_WAIT && !c->measured)
            json_object_set_new(row, "note", json_string("no effect without batching (batch 1): not measured"));
        json_array_append_new(abl, row);
    }
    json_object_set_new(root, "ablation", abl);
    json_t *cands = json_array();
    for (size_t i = 0; i < t->n; i++)
        json_array_append_new(cands, cand_json(&t->cands[i]));
    json_object_set_new(root, "candidates", cands);
    json_object_set_new(root, "elapsed_s", r3(t->elapsed_s));
    json_object_set_new(root, "probe_inputs", json_integer((json_int_t)t->probe_inputs));
    return root;
}

void tg_tune_summary_line(const struct tg_tune *t, const struct tg_tune_opts *o, char *out, size_t outlen)
{
    if (t->best < 0) {
        snprintf(out, outlen, "tune: %s", t->reason[0] ? t->reason
                                                        : "no candidate finished without failures and with equal outputs");
        return;
    }
    char args[160];
    tg_tune_args(&t->cands[t->best].cfg, args, sizeof args);
    int n = snprintf(out, outlen, "tune: best %s: P95 %.1f ms (SLA %.0f ms: %s); theoretical best %.1f ms "
                     "(batch %u), ratio %.2f", args, t->best_p95_ms, o->sla_p95_ms, t->meets_sla ? "met" : "NOT met",
                     t->theoretical_best_p95_ms, t->theoretical_best_batch, t->ratio);
    if (!t->meets_sla && n > 0 && (size_t)n < outlen) {
        if (t->slots_needed)
            snprintf(out + n, outlen - (size_t)n, "; no client-side configuration %smeets the SLA: server-side "
                     "dynamic batching would give about %.0f ms, %u execution slots about %.0f ms",
                     t->n_outputs_differ ? "with equal outputs " : "", t->dyn_batching_p95_ms, t->slots_needed,
                     t->slots_p95_ms);
        else
            snprintf(out + n, outlen - (size_t)n, "; no client-side configuration %smeets the SLA, and the model "
                     "finds no server-side change that would", t->n_outputs_differ ? "with equal outputs " : "");
    }
    size_t k = strlen(out);
    if (t->n_outputs_differ && k + 1 < outlen)
        snprintf(out + k, outlen - k, "; outputs differ for %zu candidate(s) (%zu batched): not chosen",
                 t->n_outputs_differ, t->n_batched_differ);
}

int tg_tune_md(FILE *f, const struct tg_tune *t, const struct tg_tune_opts *o, const struct tg_costmodel *m)
{
    char line[512], a[32], b[32];
    tg_tune_summary_line(t, o, line, sizeof line);
    fprintf(f, "# Client configuration search\n\n**%s**\n\n", line);
    char tol[48];
    tg_tolerance_format(&o->tol, tol, sizeof tol);
    fprintf(f, "Outputs compared: %s%s.%s%s\n\n", tol,
            o->tol.kind == TG_TOL_EXACT ? " (equal output hashes)" : " (numbers against tune's unbatched baseline)",
            t->reason[0] ? " " : "", t->reason);
    fprintf(f, "Cost model: t(b) = %.2f + %.3f*b ms, %u slot(s), max batch %u, %.2f ms per request outside the "
            "server, %.3f ms per new connection, %zu measured jitter factors. Concurrency %u, SLA P95 <= %.0f ms.\n\n",
            m->alpha_ms, m->beta_ms, m->slots, m->max_batch, m->overhead_ms, m->connect_ms, m->njitter,
            o->concurrency, o->sla_p95_ms);
    fprintf(f, "## Ablation\n\n| lever | config | predicted P95 ms | measured P95 ms | vs baseline | inputs | failed | outputs |\n"
               "|---|---|---|---|---|---|---|---|\n");
    const struct tg_tune_cand *base = find_role(t, TG_ROLE_BASELINE);
    for (int r = TG_ROLE_BASELINE; r < TG_ROLE_COUNT; r++) {
        const struct tg_tune_cand *c = find_role(t, (enum tg_tune_role)r);
        if (!c)
            continue;
        char args[160], out[96];
        tg_tune_args(&c->cfg, args, sizeof args);
        if (c->measured && c->outputs_different)
            snprintf(out, sizeof out, "outputs differ (%llu of %llu)", (unsigned long long)c->outputs_different,
                     (unsigned long long)c->outputs_compared);
        else if (c->measured && c->outputs_within_tolerance)
            snprintf(out, sizeof out, "%llu/%llu equal (%llu within tolerance)",
                     (unsigned long long)(c->outputs_compared - c->outputs_different), (unsigned long long)c->inputs,
                     (unsigned long long)c->outputs_within_tolerance);
        else if (c->measured)
            snprintf(out, sizeof out, "%llu/%llu equal", (unsigned long long)(c->outputs_compared - c->outputs_different),
                     (unsigned long long)c->inputs);
        else
            snprintf(out, sizeof out, "-");
        fprintf(f, "| %s | `%s` | %s | %s | %s | %llu | %llu | %s |\n", lever_name(c->role), args,
                fmt_ms(a, sizeof a, c->pred.p95_ms), c->measured ? fmt_ms(b, sizeof b, c->p95_ms) : "not measured",
                c->measured && base && base->measured && c != base
                    ? (snprintf(line, sizeof line, "%+.1f ms", c->p95_ms - base->p95_ms), line) : "",
                (unsigned long long)c->inputs, (unsigned long long)c->failed, out);
    }
    fprintf(f, "\nTheoretical best P95 at concurrency %u from the fitted cost model (ideal client, batch %u, "
            "exact t(b)): %.1f ms (%.1f ms with the measured execution jitter); achieved %.1f ms (ratio %.2f).\n\n",
            o->concurrency, t->theoretical_best_batch, t->theoretical_best_p95_ms, t->theoretical_best_jitter_p95_ms,
            t->best_p95_ms, t->ratio);
    if (!t->meets_sla) {
        fprintf(f, "## Server-side options (model estimates)\n\n- dynamic batching on the server (up to %u per "
                "execution): P95 about %.0f ms\n", m->max_batch, t->dyn_batching_p95_ms);
        if (t->slots_needed)
            fprintf(f, "- %u execution slots (e.g. more replicas): P95 about %.0f ms\n\n", t->slots_needed, t->slots_p95_ms);
        else
            fprintf(f, "- no slot count up to 64 meets the SLA\n\n");
    }
    fprintf(f, "## Measured candidates\n\n| role | config | predicted P95 | measured P50 | P95 | P99 | inputs | eligible |\n"
               "|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < t->n; i++) {
        const struct tg_tune_cand *c = &t->cands[i];
        if (!c->measured)
            continue;
        char args[160], p[32], q[32], s[32];
        tg_tune_args(&c->cfg, args, sizeof args);
        fprintf(f, "| %s%s | `%s` | %s | %s | %s | %s | %llu | %s |\n", tg_tune_role_name(c->role),
                (int)i == t->best ? " (chosen)" : "", args, fmt_ms(a, sizeof a, c->pred.p95_ms),
                fmt_ms(p, sizeof p, c->p50_ms), fmt_ms(q, sizeof q, c->p95_ms), fmt_ms(s, sizeof s, c->p99_ms),
                (unsigned long long)c->inputs, tg_tune_eligible(c) ? "yes" : "no");
    }
    fprintf(f, "\n%zu configurations predicted, searched in %.1f s (%llu probe inputs).\n", t->n, t->elapsed_s,
            (unsigned long long)t->probe_inputs);
    return ferror(f) ? -EIO : 0;
}

/* ---- files ------------------------------------------------------------------------------ */

int tg_report_write_json(const char *path, const json_t *root)
{
    char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (!s)
        return -ENOMEM;
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (!t) {
        free(s);
        return -ENOMEM;
    }
    t[n] = '\n';
    t[n + 1] = '\0';
    int rc = tg_write_file_atomic(path, t, n + 1);
    free(t);
    return rc;
}
