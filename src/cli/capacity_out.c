/*
 * capacity_out.c - what `tailgate capacity` leaves behind: capacity.json
 * (schema tailgate.capacity/1, docs/formats.md), capacity.svg (the
 * latency-against-rate curve, report/curve.h) and the paragraph it prints.
 */
#include "analyze/capacity_probe.h"
#include "analyze/report.h"
#include "cli/capacity.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/redact.h"
#include "core/version.h"
#include "engine/payload.h"
#include "report/curve.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TG_CAPACITY_SCHEMA "tailgate.capacity/1"

static void client_args(const struct capacity_cli *o, char *out, size_t len)
{
    out[0] = '\0';
    tg_str_appendf(out, len, "-c %llu --connections %u --batch %u", (unsigned long long)o->concurrency,
                   o->cfg.connections ? o->cfg.connections : (unsigned)o->concurrency, o->cfg.batch);
    if (o->cfg.batch > 1)
        tg_str_appendf(out, len, " --batch-wait-ms %g", o->cfg.batch_wait_ms);
    if (!o->cfg.keepalive)
        tg_str_appendf(out, len, " --no-keepalive");
    if (o->preconnect)
        tg_str_appendf(out, len, " --preconnect");
}

static void slo_list(const struct capacity_cli *o, char *out, size_t len)
{
    out[0] = '\0';
    for (size_t k = 0; k < o->nslos; k++)
        tg_str_appendf(out, len, "%s%s", k ? ", " : "", o->slos[k].text);
}

static double pct(double p)
{
    return round(p * 1e10) / 1e8;
}

/* "316 inputs (achieved 17.6/s), P50 120.3 ms, P95 612.0 ms, P99 900.1 ms;
 * latency:p95<=800ms: 3 of 316 over (PASS)" */
static void evidence(const struct capacity_cli *o, const struct tg_capacity_point *p, char *out, size_t len)
{
    out[0] = '\0';
    tg_str_appendf(out, len, "%llu inputs (achieved %.3g/s", (unsigned long long)p->inputs, p->achieved_ips);
    if (p->failed)
        tg_str_appendf(out, len, ", %llu failed", (unsigned long long)p->failed);
    tg_str_appendf(out, len, "), P50 %.1f ms, P95 %.1f ms, P99 %.1f ms", p->p50_ms, p->p95_ms, p->p99_ms);
    for (size_t k = 0; k < p->nslo && k < o->nslos; k++) {
        const struct tg_slo_result *r = &p->slo[k];
        tg_str_appendf(out, len, "; %s: ", o->slos[k].text);
        if (o->slos[k].metric != TG_SLO_LATENCY || o->slos[k].p != 0.95) {
            if (isinf(r->estimate_ms))
                tg_str_appendf(out, len, "p%g a failed input, ", pct(o->slos[k].p));
            else if (isfinite(r->estimate_ms))
                tg_str_appendf(out, len, "p%g %.1f ms, ", pct(o->slos[k].p), r->estimate_ms);
        }
        tg_str_appendf(out, len, "%llu of %llu over (%s)", (unsigned long long)r->over, (unsigned long long)r->n,
                       tg_verdict_name(r->verdict));
    }
    if (p->undecided)
        tg_str_appendf(out, len, ", still INCONCLUSIVE after %u extension%s: counted as not PASS", p->extensions,
                       p->extensions == 1 ? "" : "s");
}

/* The not-PASS point at the bracket's upper end, or -1. */
static int upper_point(const struct tg_capacity *c)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->points[i].rate == c->hi && c->points[i].verdict != TG_VERDICT_PASS)
            return (int)i;
    return -1;
}

/* The lowest rate measured to a verdict, or -1. */
static int lowest_point(const struct tg_capacity *c)
{
    int lo = -1;
    for (size_t i = 0; i < c->n; i++)
        if (c->points[i].decided && (lo < 0 || c->points[i].rate < c->points[lo].rate))
            lo = (int)i;
    return lo;
}

static const char *shown_verdict(const struct tg_capacity_point *p)
{
    return p->decided ? tg_verdict_name(p->verdict) : "cut short";
}

static void paragraph(const struct capacity_cli *o, const struct tg_capacity *c, const char *first_error,
                      char *out, size_t len)
{
    char slos[512], args[200], ev[1024];
    slo_list(o, slos, sizeof slos);
    client_args(o, args, sizeof args);
    out[0] = '\0';
    if (c->max_rate > 0) {
        const struct tg_capacity_point *b = &c->points[c->best];
        tg_str_appendf(out, len, "Capacity: %s PASS%s at %g %% confidence up to %s%.3g inputs/s (Poisson arrivals, "
                       "seed %llu; client %s). Evidence: at %.3g inputs/s, ",
                       slos, o->nslos == 1 ? "es" : "", 100 * o->confidence,
                       c->end == TG_CAPACITY_AT_MAX ? "at least " : "", c->max_rate, (unsigned long long)o->seed,
                       args, b->rate);
        evidence(o, b, ev, sizeof ev);
        tg_str_appendf(out, len, "%s", ev);
        int u = upper_point(c);
        if (u >= 0) {
            evidence(o, &c->points[u], ev, sizeof ev);
            tg_str_appendf(out, len, "; the lowest rate that did not PASS, %.3g inputs/s: %s", c->points[u].rate, ev);
            tg_str_appendf(out, len, ". Bracket [%.3g, %.3g] inputs/s, resolution %.1f %% (target %g %%)", c->lo,
                           c->hi, 100 * c->resolution, 100 * o->resolution);
        } else if (c->end == TG_CAPACITY_AT_MAX) {
            tg_str_appendf(out, len, ". No rate tried failed: --max-rate %.3g was reached", c->max_rate);
        } else {
            tg_str_appendf(out, len, ". No rate above it was measured to a verdict: the limit may be higher");
        }
    } else if (c->end == TG_CAPACITY_NONE_PASS) {
        int l = lowest_point(c);
        const struct tg_capacity_point *p = &c->points[l];
        evidence(o, p, ev, sizeof ev);
        tg_str_appendf(out, len, "Capacity: NOT FOUND: even the lowest rate tried, %.3g inputs/s, does not meet %s "
                       "at %g %% confidence (%s): %s. Client %s",
                       p->rate, slos, 100 * o->confidence, tg_verdict_name(p->verdict), ev, args);
        if (p->failed == p->inputs && first_error && first_error[0])
            tg_str_appendf(out, len, "; every input failed (%s)", first_error);
    } else {
        tg_str_appendf(out, len, "Capacity: NOT FOUND: %s before any rate PASSed %s",
                       c->end == TG_CAPACITY_BUDGET ? "the budget ended the search"
                       : c->end == TG_CAPACITY_INTERRUPTED ? "interrupted"
                                                           : "a measurement failed",
                       slos);
        int l = lowest_point(c);
        if (l >= 0) {
            evidence(o, &c->points[l], ev, sizeof ev);
            tg_str_appendf(out, len, "; the lowest rate tried, %.3g inputs/s: %s", c->points[l].rate, ev);
        }
        if (c->end == TG_CAPACITY_ERROR)
            tg_str_appendf(out, len, " (%s)", tg_strerror(c->error));
    }
    tg_str_appendf(out, len, ". %zu point%s, %.1f s (budget %.0f s)", c->n, c->n == 1 ? "" : "s", c->search_s,
                   (double)o->budget_ns / 1e9);
    if (c->end == TG_CAPACITY_BUDGET)
        tg_str_appendf(out, len, "; the budget ended the search");
    if (c->end == TG_CAPACITY_INTERRUPTED)
        tg_str_appendf(out, len, "; INTERRUPTED");
    tg_str_appendf(out, len, ".");
}

void tg_capacity_cli_print(FILE *f, const struct capacity_cli *o, const struct tg_capacity *c,
                           const char *first_error)
{
    char text[4096];
    paragraph(o, c, first_error, text, sizeof text);
    fprintf(f, "%s\n", text);
    fprintf(f, "%-8s %10s %10s %8s %10s %10s %10s  %s\n", "point", "rate/s", "achieved", "inputs", "P50 ms",
            "P95 ms", "P99 ms", "verdict");
    for (size_t i = 0; i < c->n; i++) {
        const struct tg_capacity_point *p = &c->points[i];
        fprintf(f, "%-8zu %10.3g %10.3g %8llu %10.1f %10.1f %10.1f  %s%s%s\n", i + 1, p->rate, p->achieved_ips,
                (unsigned long long)p->inputs, p->p50_ms, p->p95_ms, p->p99_ms, shown_verdict(p),
                p->undecided ? " (undecided)" : "", (int)i == c->best ? "  <- limit" : "");
    }
    bool svg = lowest_point(c) >= 0;   /* capacity.svg draws the decided points */
    fprintf(f, "written: %s/capacity.json%s%s%s\n", o->out_dir, svg ? ", " : "", svg ? o->out_dir : "",
            svg ? "/capacity.svg" : "");
}

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *document(const struct capacity_cli *o, const struct tg_probe_target *t, const struct tg_capacity *c,
                        const char *first_error)
{
    json_t *d = json_object();
    if (!d)
        return NULL;
    char url[2048], text[4096], args[200];
    json_object_set_new(d, "schema", json_string(TG_CAPACITY_SCHEMA));
    json_object_set_new(d, "tool", json_string("tailgate"));
    json_object_set_new(d, "tool_version", json_string(TG_VERSION));
    json_object_set_new(d, "url", json_string(tg_redact_url(o->url, url, sizeof url)));
    json_object_set_new(d, "api", json_string(t->api->name));
    tg_cli_endpoint_record(d, &o->ep, t);
    json_object_set_new(d, "max_rate", c->max_rate > 0 ? json_real(c->max_rate) : json_null());
    json_object_set_new(d, "found", json_boolean(c->max_rate > 0));
    json_object_set_new(d, "end", json_string(tg_capacity_end_name(c->end)));
    json_object_set_new(d, "budget_ended", json_boolean(c->end == TG_CAPACITY_BUDGET));
    json_object_set_new(d, "interrupted", json_boolean(c->end == TG_CAPACITY_INTERRUPTED));
    paragraph(o, c, first_error, text, sizeof text);
    json_object_set_new(d, "summary", json_string(text));
    json_object_set_new(d, "sla_p95_ms", o->has_sla ? json_real(o->sla_p95_ms) : json_null());
    json_t *sl = json_array();
    for (size_t k = 0; sl && k < o->nslos; k++)
        json_array_append_new(sl, json_pack("{s:s, s:s, s:f, s:f}", "slo", o->slos[k].text, "metric",
                                            tg_slo_metric_name(o->slos[k].metric), "p", o->slos[k].p, "limit_ms",
                                            o->slos[k].limit_ms));
    json_object_set_new(d, "slos", sl ? sl : json_null());
    json_object_set_new(d, "confidence", json_real(o->confidence));
    json_object_set_new(d, "resolution", json_pack("{s:f, s:o}", "target", o->resolution, "reached",
                                                   num_or_null(c->resolution)));
    json_object_set_new(d, "bracket", json_pack("{s:o, s:o}", "lo", c->lo > 0 ? json_real(c->lo) : json_null(), "hi",
                                                num_or_null(c->hi)));
    json_object_set_new(d, "budget_s", json_real((double)o->budget_ns / 1e9));
    json_object_set_new(d, "search_s", json_real(c->search_s));
    json_object_set_new(d, "start", json_pack("{s:s, s:f, s:f, s:o, s:o, s:o}", "source", o->start_source,
                                              "rate", o->start_rate, "growth", o->growth, "probe_ips",
                                              o->probe_ips > 0 ? json_real(o->probe_ips) : json_null(), "model_rate",
                                              o->analysis ? json_real(o->model_rate) : json_null(),
                                              "model_concurrency",
                                              o->model_concurrency ? json_integer(o->model_concurrency) : json_null()));
    json_object_set_new(d, "analysis", o->analysis ? json_string(o->analysis) : json_null());
    json_object_set_new(d, "run_inputs", json_integer((json_int_t)c->run_inputs));
    json_object_set_new(d, "min_pass_inputs", json_integer((json_int_t)c->min_pass_inputs));
    client_args(o, args, sizeof args);
    json_object_set_new(d, "config",
                        json_pack("{s:i, s:i, s:b, s:b, s:i, s:f, s:s, s:I, s:s, s:s, s:f, s:s}", "concurrency",
                                  (int)o->concurrency, "connections",
                                  (int)(o->cfg.connections ? o->cfg.connections : o->concurrency), "keepalive",
                                  o->cfg.keepalive, "preconnect", o->preconnect, "batch", (int)o->cfg.batch,
                                  "batch_wait_ms", o->cfg.batch_wait_ms, "arrival", "poisson", "seed",
                                  (json_int_t)o->seed, "payloads", o->payloads, "payload_sha256",
                                  t->payloads ? t->payloads->sha256 : "", "min_run_s", (double)o->min_run_ns / 1e9,
                                  "run_args", args));
    json_object_set_new(d, "best", c->best >= 0 ? json_integer(c->best) : json_null());
    json_t *pts = json_array();
    for (size_t i = 0; pts && i < c->n; i++) {
        json_t *p = tg_capacity_point_json(&c->points[i], o->slos, o->nslos, o->confidence);
        if (p)
            json_array_append_new(pts, p);
    }
    json_object_set_new(d, "points", pts ? pts : json_null());
    json_object_set_new(d, "first_error", first_error && first_error[0] ? json_string(first_error) : json_null());
    return d;
}

static int write_svg(const struct capacity_cli *o, const struct tg_capacity *c, const char *path)
{
    struct tg_curve_point *pts = calloc(c->n ? c->n : 1, sizeof *pts);
    if (!pts)
        return TG_ENOMEM;
    size_t n = 0;   /* the points measured to a verdict; cut-short ones are not drawn */
    for (size_t i = 0; i < c->n; i++) {
        const struct tg_capacity_point *p = &c->points[i];
        if (p->decided)
            pts[n++] = (struct tg_curve_point){ .load = p->rate, .achieved_ips = p->achieved_ips,
                                                .p50_ms = p->p50_ms, .p95_ms = p->p95_ms, .p99_ms = p->p99_ms,
                                                .verdict = tg_verdict_name(p->verdict) };
    }
    if (n == 0) {
        free(pts);
        return 0;
    }
    /* the SLA line: the first latency SLO (the --sla-p95 one when given) */
    const struct tg_slo *line = NULL;
    for (size_t k = 0; !line && k < o->nslos; k++)
        if (o->slos[k].metric == TG_SLO_LATENCY)
            line = &o->slos[k];
    char title[256], label[64];
    snprintf(title, sizeof title, "tailgate capacity: latency against offered rate (limit %s)",
             c->max_rate > 0 ? "found" : "not found");
    if (line)
        snprintf(label, sizeof label, "SLO %s", line->text);
    struct tg_curve cv = {
        .title = title,
        .load_label = "offered rate (inputs/s, Poisson)",
        .points = pts,
        .npoints = n,
        .sla_ms = line ? line->limit_ms : 0,
        .sla_label = line ? label : NULL,
        .limit_load = c->max_rate,
        .log_latency = false,
    };
    /* latencies spanning more than two decades: log axis */
    double lo = INFINITY, hi = 0;
    for (size_t i = 0; i < n; i++) {
        if (isfinite(pts[i].p50_ms) && pts[i].p50_ms > 0)
            lo = fmin(lo, pts[i].p50_ms);
        if (isfinite(pts[i].p99_ms))
            hi = fmax(hi, pts[i].p99_ms);
    }
    cv.log_latency = isfinite(lo) && hi / lo > 100;
    int rc = tg_curve_write(path, &cv);
    free(pts);
    return rc;
}

int tg_capacity_cli_write(const struct capacity_cli *o, const struct tg_probe_target *t,
                          const struct tg_capacity *c, const char *first_error)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/capacity.json", o->out_dir);
    json_t *d = document(o, t, c, first_error);
    int rc = d ? tg_report_write_json(path, d) : TG_ENOMEM;
    json_decref(d);
    if (rc) {
        fprintf(stderr, "tailgate capacity: cannot write %s: %s\n", path, tg_strerror(rc));
        return rc;
    }
    if (c->n == 0)
        return 0;
    snprintf(path, sizeof path, "%s/capacity.svg", o->out_dir);
    rc = write_svg(o, c, path);
    if (rc)
        fprintf(stderr, "tailgate capacity: cannot write %s: %s\n", path, tg_strerror(rc));
    return rc;
}
