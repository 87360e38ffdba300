/*
 * report.c - analysis.json, the cost model read back from it, the atomic
 * JSON writer, and the JSON helpers of report_internal.h; the sentence, its
 * evidence and analysis.md are report_md.c, tune.json / tune.md are
 * report_tune.c.  Numbers that were not measured are JSON null, never a
 * guess.
 */
#include "analyze/report.h"
#include "analyze/report_internal.h"
#include "core/fs.h"

#include "compare/rows.h"
#include "core/error.h"
#include "core/time.h"

#include <errno.h>
#include <math.h>
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
