/*
 * sweep_out.c - what `tailgate sweep` writes and prints (cli/sweep.h):
 * sweep.json (analyze/loadsweep.h's document plus the URL, the API and the
 * configuration), sweep.svg (report/curve.h) and the table with the knee.
 */
#include "analyze/report.h"
#include "cli/sweep.h"
#include "core/error.h"
#include "core/redact.h"
#include "report/curve.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fmt_ms(char *out, size_t n, double v)
{
    if (isfinite(v))
        snprintf(out, n, "%.1f", v);
    else
        snprintf(out, n, "-");
}

static void print_row(FILE *f, const struct tg_loadsweep_point *p)
{
    char a[32], b[32], c[32], d[32], e[32];
    fmt_ms(a, sizeof a, p->p50_ms);
    fmt_ms(b, sizeof b, p->p95_ms);
    fmt_ms(c, sizeof c, p->p99_ms);
    fmt_ms(d, sizeof d, p->achieved_rate);
    fmt_ms(e, sizeof e, p->throughput_ips);
    const char *v = tg_loadsweep_point_verdict(p);
    fprintf(f, "%9g %8llu %7llu %11s %13s %9s %9s %9s  %s%s\n", p->load, (unsigned long long)p->inputs,
            (unsigned long long)p->failed, d, e, a, b, c, v ? v : "-",
            p->interrupted ? " (deadline: interrupted)" : "");
}

static json_t *config_json(const struct sweep_cli *o)
{
    return json_pack("{s:o, s:b, s:i, s:f, s:o, s:s, s:I, s:o, s:o, s:f, s:f, s:s}", "connections",
                     o->cfg.connections ? json_integer(o->cfg.connections) : json_null(), "keepalive",
                     o->cfg.keepalive, "batch", (int)o->cfg.batch, "batch_wait_ms", o->cfg.batch_wait_ms,
                     "concurrency_cap", o->mode == TG_LOADSWEEP_RATE ? json_integer((json_int_t)o->cap) : json_null(),
                     "arrival", o->mode == TG_LOADSWEEP_RATE ? (o->arrival == TG_ARRIVAL_POISSON ? "poisson" : "constant")
                                                         : "closed",
                     "seed", (json_int_t)o->seed, "duration_s",
                     o->duration_ns ? json_real((double)o->duration_ns / 1e9) : json_null(),
                     "inputs_per_point", o->inputs ? json_integer((json_int_t)o->inputs) : json_null(),
                     "warmup_s", (double)o->warmup_ns / 1e9, "timeout_s", (double)o->timeout_ns / 1e9,
                     "payloads", o->payloads);
}

/* The chart: the SLA line from --sla-p95, else from the first latency SLO. */
static int write_svg(const char *path, const struct sweep_cli *o, const struct tg_loadsweep_point *pts, size_t n)
{
    struct tg_curve_point *cp = calloc(n ? n : 1, sizeof *cp);
    if (!cp)
        return TG_ENOMEM;
    double lo = INFINITY, hi = 0;
    for (size_t i = 0; i < n; i++) {
        cp[i] = (struct tg_curve_point){ pts[i].load, pts[i].throughput_ips, pts[i].p50_ms, pts[i].p95_ms,
                                         pts[i].p99_ms, tg_loadsweep_point_verdict(&pts[i]) };
        if (pts[i].p50_ms > 0)
            lo = fmin(lo, pts[i].p50_ms);
        if (isfinite(pts[i].p99_ms))
            hi = fmax(hi, pts[i].p99_ms);
    }
    const struct tg_slo *sla = o->sla_p95_ms > 0 ? &o->slos[o->nslos - 1] : NULL;  /* last */
    for (size_t k = 0; !sla && k < o->nslos; k++)
        if (o->slos[k].metric == TG_SLO_LATENCY)
            sla = &o->slos[k];
    char sla_label[96] = "";
    if (o->sla_p95_ms > 0)
        snprintf(sla_label, sizeof sla_label, "SLA P95 %g ms", o->sla_p95_ms);
    else if (sla)
        snprintf(sla_label, sizeof sla_label, "SLA P%g %g ms", round(sla->p * 1e8) / 1e6, sla->limit_ms);
    long knee = tg_loadsweep_knee(pts, n);
    char title[160];
    snprintf(title, sizeof title, "Sweep: latency and throughput against %s",
             o->mode == TG_LOADSWEEP_RATE ? "offered rate" : "concurrency");
    struct tg_curve c = {
        .title = title,
        .load_label = o->mode == TG_LOADSWEEP_RATE ? "offered rate (inputs/s)" : "concurrency (inputs in flight)",
        .points = cp,
        .npoints = n,
        .sla_ms = sla ? sla->limit_ms : 0,
        .sla_label = sla ? sla_label : NULL,
        .limit_load = knee >= 0 ? pts[knee].load : 0,
        .limit_label = "knee",
        .log_latency = isfinite(lo) && hi / lo > 50,
    };
    int rc = tg_curve_write(path, &c);
    free(cp);
    return rc;
}

static void print_summary(FILE *f, const struct sweep_cli *o, const struct tg_loadsweep_point *pts, size_t n)
{
    const char *unit = o->mode == TG_LOADSWEEP_RATE ? " inputs/s" : "";
    const char *what = tg_loadsweep_mode_name(o->mode);
    long k = tg_loadsweep_knee(pts, n);
    if (k >= 0)
        fprintf(f, "knee: %s %g%s (next point: throughput %.1f -> %.1f inputs/s, %+.1f %%; P95 %.1f -> %.1f ms)\n",
               what, pts[k].load, unit, pts[k].throughput_ips, pts[k + 1].throughput_ips,
               100 * (pts[k + 1].throughput_ips / pts[k].throughput_ips - 1), pts[k].p95_ms, pts[k + 1].p95_ms);
    else
        fprintf(f, "knee: none (throughput rose at every step, or too few points)\n");
    if (o->nslos == 0)
        return;
    long l = tg_loadsweep_sla_limit(pts, n);
    if (l >= 0)
        fprintf(f, "meets every SLO up to %s %g%s (%.1f inputs/s)\n", what, pts[l].load, unit, pts[l].throughput_ips);
    else
        fprintf(f, "no point meets every SLO (the lowest, %s %g%s: %s)\n", what, n ? pts[0].load : 0, unit,
               n ? tg_loadsweep_point_verdict(&pts[0]) : "not measured");
}

int tg_sweep_cli_write(const struct sweep_cli *o, const struct tg_probe_target *t, const struct sweep_done *d)
{
    struct tg_loadsweep sw = { o->mode, o->values, o->nvalues, d->pts, d->n, o->slos, o->nslos, o->confidence,
                               d->interrupted, d->elapsed_s };
    json_t *doc = tg_loadsweep_json(&sw);
    char url_shown[2048], path[4200];
    if (doc) {
        json_object_set_new(doc, "url", json_string(tg_redact_url(d->url, url_shown, sizeof url_shown)));
        json_object_set_new(doc, "api", json_string(t->api->name));
        json_object_set_new(doc, "config", config_json(o));
        tg_cli_endpoint_record(doc, &o->ep, t);
    }
    snprintf(path, sizeof path, "%s/sweep.json", d->out_dir);
    int rc = doc ? tg_report_write_json(path, doc) : TG_ENOMEM;
    json_decref(doc);
    if (!rc && d->n > 0) {
        snprintf(path, sizeof path, "%s/sweep.svg", d->out_dir);
        rc = write_svg(path, o, d->pts, d->n);
    }
    if (rc)
        fprintf(stderr, "tailgate sweep: cannot write %s: %s\n", path, tg_strerror(rc));
    return rc;
}

void tg_sweep_cli_print(FILE *f, const struct sweep_cli *o, const struct sweep_done *d)
{
    char url_shown[2048];
    fprintf(f, "sweep: %s %s against %s\n", tg_loadsweep_mode_name(o->mode), o->list,
            tg_redact_url(d->url, url_shown, sizeof url_shown));
    fprintf(f, "%9s %8s %7s %11s %13s %9s %9s %9s  %s\n", o->mode == TG_LOADSWEEP_RATE ? "rate/s" : "conc",
            "inputs", "failed", "achieved/s", "throughput/s", "P50 ms", "P95 ms", "P99 ms", "verdict");
    for (size_t i = 0; i < d->n; i++)
        print_row(f, &d->pts[i]);
    print_summary(f, o, d->pts, d->n);
    if (d->interrupted)
        fprintf(f, "interrupted: %zu of %zu points measured\n", d->n, o->nvalues);
    fprintf(f, "written: %s/sweep.json%s%s%s (%.1f s)\n", d->out_dir, d->n ? ", " : "", d->n ? d->out_dir : "",
            d->n ? "/sweep.svg" : "", d->elapsed_s);
}
