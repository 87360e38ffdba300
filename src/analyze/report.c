/*
 * report.c - the analysis documents (the sentence, its evidence,
 * analysis.json, analysis.md, the cost model read back) and the atomic JSON
 * writer; tune.json / tune.md are report_tune.c.  Numbers that were not
 * measured are JSON null and "n/a" in Markdown, never a guess.
 */
#include "analyze/report.h"
#include "analyze/report_internal.h"
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

json_t *tg_rep_num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *tg_rep_r3(double v)   /* rounded to µs: stable, readable files */
{
    return isfinite(v) ? json_real(round(v * 1000) / 1000) : json_null();
}

json_t *tg_rep_cfg_json(const struct tg_client_cfg *c)
{
    return json_pack("{s:i, s:b, s:i, s:o}", "connections", (json_int_t)c->connections, "keepalive",
                     c->keepalive, "batch", (json_int_t)c->batch, "batch_wait_ms", tg_rep_num(c->batch_wait_ms));
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
                                           "throughput_ips", tg_rep_r3(p[i].throughput_ips), "p50_ms", tg_rep_r3(p[i].p50_ms),
                                           "p95_ms", tg_rep_r3(p[i].p95_ms), "mean_ms", tg_rep_r3(p[i].mean_ms), "source",
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
    json_object_set_new(root, "interrupted", json_boolean(a->interrupted));
    json_object_set_new(root, "interrupted_during",
                        a->interrupted && a->interrupted_during ? json_string(a->interrupted_during) : json_null());
    json_t *nm = json_array();
    for (size_t i = 0; a->interrupted && i < a->n_not_measured; i++)
        json_array_append_new(nm, json_string(a->not_measured[i]));
    json_object_set_new(root, "not_measured", nm);
    json_object_set_new(root, "source", json_pack("{s:o, s:o, s:o}", "run", a->run ? json_string(a->run) : json_null(),
                                                  "probe_url", a->probe_url ? json_string(a->probe_url) : json_null(),
                                                  "baseline_csv",
                                                  a->baseline_csv ? json_string(a->baseline_csv) : json_null()));
    json_object_set_new(root, "concurrency", a->concurrency ? json_integer(a->concurrency) : json_null());
    json_object_set_new(root, "dominant_cause", json_string(tg_cause_name(a->cause)));
    json_object_set_new(root, "dominant_share", tg_rep_r3(a->cause_share));
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
                                  "slots_estimate", tg_rep_r3(a->slots)));
    if (a->has_run)
        json_object_set_new(root, "run", json_pack("{s:I, s:I, s:I, s:o, s:{s:o, s:o, s:o, s:o}}", "inputs",
                                                   (json_int_t)a->inputs, "ok", (json_int_t)a->ok, "failed",
                                                   (json_int_t)a->failed, "wall_time_s", tg_rep_r3(a->wall_s),
                                                   "latency_ms", "p50", tg_rep_r3(a->p50_ms), "p95", tg_rep_r3(a->p95_ms),
                                                   "p99", tg_rep_r3(a->p99_ms), "mean", tg_rep_r3(a->mean_ms)));
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
                json_object_set_new(comp, tg_comp_names[j], tg_rep_r3(b->comp_ms[j]));
                json_object_set_new(share, tg_comp_names[j],
                                    tg_rep_r3(b->band_latency_ms > 0 ? b->comp_ms[j] / b->band_latency_ms : NAN));
            }
            json_array_append_new(bands, json_pack("{s:f, s:[f,f], s:I, s:o, s:o, s:o, s:o}", "percentile", b->pct,
                                                   "rank_window", b->lo_pct, b->hi_pct, "rows", (json_int_t)b->n,
                                                   "latency_ms", tg_rep_r3(b->latency_ms), "band_latency_ms",
                                                   tg_rep_r3(b->band_latency_ms), "components_ms", comp, "shares", share));
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
                            json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "throughput_ips", tg_rep_r3(a->little.throughput_ips),
                                      "mean_latency_ms", tg_rep_r3(a->little.mean_latency_ms), "in_flight",
                                      tg_rep_r3(a->little.in_flight), "concurrency", tg_rep_num(a->little.concurrency),
                                      "ratio", tg_rep_r3(a->little.ratio), "server_in_flight",
                                      tg_rep_r3(a->little.server_in_flight)));
    else
        json_object_set_new(root, "littles_law", json_null());
    json_object_set_new(root, "sweep", sweep_json(a->sweep, a->nsweep));

    if (a->has_fit) {
        json_t *pts = json_array();
        for (size_t i = 0; i < a->nbpts; i++)
            json_array_append_new(pts, json_pack("{s:i, s:I, s:o, s:o, s:o}", "batch", (json_int_t)a->bpts[i].batch,
                                                 "n", (json_int_t)a->bpts[i].n, "median_ms", tg_rep_r3(a->bpts[i].median_ms),
                                                 "min_ms", tg_rep_r3(a->bpts[i].min_ms), "max_ms", tg_rep_r3(a->bpts[i].max_ms)));
        json_t *jit = json_array();
        for (size_t i = 0; i < a->njitter; i++)
            json_array_append_new(jit, json_real(round(a->jitter[i] * 1e4) / 1e4));
        json_object_set_new(root, "batch_fit",
                            json_pack("{s:o, s:o, s:o, s:o, s:I, s:s, s:o, s:o, s:i, s:o, s:o, s:o, s:o}",
                                      "alpha_ms", tg_rep_r3(a->bfit.fit.alpha), "beta_ms", tg_rep_r3(a->bfit.fit.beta), "r2",
                                      tg_rep_num(round(a->bfit.fit.r2 * 1e5) / 1e5), "rmse_ms", tg_rep_r3(a->bfit.fit.rmse),
                                      "n_points", (json_int_t)a->bfit.fit.n,
                                      "source", a->exec_source ? a->exec_source
                                                : a->bfit.from_server_timing ? "server_timing_compute" : "service_time",
                                      "points", pts, "max_batch", a->max_batch ? json_integer(a->max_batch) : json_null(),
                                      "batch_at_concurrency", (json_int_t)a->bfit.batch_at_c,
                                      "gain_at_concurrency", tg_rep_r3(a->bfit.gain_at_c), "efficiency_at_concurrency",
                                      tg_rep_r3(a->bfit.efficiency_at_c), "gain_limit", tg_rep_r3(a->bfit.gain_limit),
                                      "jitter_factors", jit));
        json_object_set_new(json_object_get(root, "batch_fit"), "max_batch_exact", json_boolean(a->max_batch_exact));
        json_object_set_new(json_object_get(root, "batch_fit"), "time_budget_cut", json_boolean(a->budget_cut));
        json_object_set_new(json_object_get(root, "batch_fit"), "rtt_subtracted_ms", tg_rep_r3(a->rtt_ms));
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
                            json_pack("{s:o, s:o, s:o, s:i, s:o, s:o}", "alpha_ms", tg_rep_r3(a->model.alpha_ms), "beta_ms",
                                      tg_rep_r3(a->model.beta_ms), "slots", tg_rep_r3(a->slots), "max_batch",
                                      (json_int_t)a->model.max_batch, "overhead_ms", tg_rep_r3(a->model.overhead_ms),
                                      "connect_ms", tg_rep_r3(a->model.connect_ms)));
    else if (a->interrupted)   /* a model needs every probe stage: none from a cut one */
        json_object_set_new(root, "model", json_null());
    else
        json_object_set_new(root, "model",
                            json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "alpha_ms", a->has_fit ? tg_rep_r3(a->bfit.fit.alpha) : json_null(),
                                      "beta_ms", a->has_fit ? tg_rep_r3(a->bfit.fit.beta) : json_null(), "slots", tg_rep_r3(a->slots),
                                      "max_batch", a->max_batch ? json_integer(a->max_batch) : json_null(),
                                      "overhead_ms", tg_rep_r3(a->overhead_ms), "connect_ms",
                                      a->has_conn ? tg_rep_r3(a->conn.new_connect_ms) : json_null()));
    if (a->has_conn)
        json_object_set_new(root, "connection_cost",
                            json_pack("{s:I, s:I, s:o, s:o, s:o, s:o}", "new", (json_int_t)a->conn.n_new, "reused",
                                      (json_int_t)a->conn.n_reused, "new_connect_ms", tg_rep_r3(a->conn.new_connect_ms),
                                      "new_service_ms", tg_rep_r3(a->conn.new_service_ms), "reused_service_ms",
                                      tg_rep_r3(a->conn.reused_service_ms), "extra_ms", tg_rep_r3(a->conn.extra_ms)));
    else
        json_object_set_new(root, "connection_cost", json_null());
    if (a->has_client) {
        const struct tg_client_overhead *c = &a->client;
        json_object_set_new(root, "client_overhead",
                            json_pack("{s:{s:I, s:o, s:o, s:o}, s:{s:I, s:o, s:o, s:o}, s:{s:o, s:o, s:o}}",
                                      "baseline", "n", (json_int_t)c->baseline_n, "p50_ms", tg_rep_r3(c->baseline_p50_ms),
                                      "p95_ms", tg_rep_r3(c->baseline_p95_ms), "mean_ms", tg_rep_r3(c->baseline_mean_ms),
                                      "replica", "n", (json_int_t)c->replica_n, "p50_ms", tg_rep_r3(c->replica_p50_ms),
                                      "p95_ms", tg_rep_r3(c->replica_p95_ms), "mean_ms", tg_rep_r3(c->replica_mean_ms),
                                      "delta", "p50_ms", tg_rep_r3(c->delta_p50_ms), "p95_ms", tg_rep_r3(c->delta_p95_ms),
                                      "mean_ms", tg_rep_r3(c->delta_mean_ms)));
    } else {
        json_object_set_new(root, "client_overhead", json_null());
    }
    json_object_set_new(root, "probe", a->probe_url ? json_pack("{s:o, s:I}", "elapsed_s", tg_rep_r3(a->probe_s), "inputs",
                                                                (json_int_t)a->probe_inputs)
                                                    : json_null());
    return root;
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
    if (json_is_true(json_object_get(root, "interrupted")) && !json_is_object(model)) {
        snprintf(err, errlen, "%s: an interrupted analysis without a cost model (run tailgate analyze --probe again)",
                 path);
        goto out;
    }
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
