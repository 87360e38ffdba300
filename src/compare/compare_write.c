/*
 * compare_write.c - the renderers of a comparison (compare.h): the metric
 * table shared by CSV, Markdown and stdout, comparison.json, the verdict
 * line.
 */
#include "compare/compare.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "compare/compare_slo.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/time.h"

/* ---- metric table (shared by CSV, Markdown and stdout) ------------------- */

struct metric {
    char id[80];          /* CSV metric name */
    char label[80];       /* table label */
    double before, after;
    int digits;           /* decimals in the table; -1: integer */
    const struct tg_ci *ci;
};

#define MAX_METRICS (16 + 2 * TG_ROWS_MAX_CLASSES)

static size_t class_count(const struct tg_side_stats *s, const char *name)
{
    for (size_t i = 0; i < s->nclasses; i++)
        if (!strcmp(s->classes[i].name, name))
            return s->classes[i].count;
    return 0;
}

static size_t metrics(const struct tg_comparison *c, struct metric *m)
{
    size_t n = 0;
#define ADD(ID, LABEL, B, A, D, CI)                                                        \
    do {                                                                                   \
        snprintf(m[n].id, sizeof m[n].id, "%s", ID);                                       \
        snprintf(m[n].label, sizeof m[n].label, "%s", LABEL);                              \
        m[n].before = (B);                                                                 \
        m[n].after = (A);                                                                  \
        m[n].digits = (D);                                                                 \
        m[n].ci = (CI);                                                                    \
        n++;                                                                               \
    } while (0)
    const struct tg_side_stats *b = &c->before, *a = &c->after;
    ADD("p50_ms", "P50 (ms)", b->lat.p50, a->lat.p50, 2, &c->ci_p50);
    ADD("p90_ms", "P90 (ms)", b->lat.p90, a->lat.p90, 2, NULL);
    ADD("p95_ms", "P95 (ms)", b->lat.p95, a->lat.p95, 2, &c->ci_p95);
    ADD("p99_ms", "P99 (ms)", b->lat.p99, a->lat.p99, 2, &c->ci_p99);
    ADD("p999_ms", "P99.9 (ms)", b->lat.p999, a->lat.p999, 2, NULL);
    ADD("mean_ms", "mean (ms)", b->lat.mean, a->lat.mean, 2, NULL);
    ADD("stdev_ms", "stdev (ms)", b->lat.stdev, a->lat.stdev, 2, NULL);
    ADD("min_ms", "min (ms)", b->lat.min, a->lat.min, 2, NULL);
    ADD("max_ms", "max (ms)", b->lat.max, a->lat.max, 2, NULL);
    ADD("inputs", "inputs", (double)b->inputs, (double)a->inputs, -1, NULL);
    ADD("ok", "ok", (double)b->ok, (double)a->ok, -1, NULL);
    ADD("failed", "failed", (double)b->failed, (double)a->failed, -1, NULL);
    /* failed by class: the union of both sides' classes */
    const struct tg_side_stats *sides[2] = { b, a };
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < sides[s]->nclasses; i++) {
            const char *name = sides[s]->classes[i].name;
            if (s == 1 && class_count(b, name))
                continue;   /* already listed from before */
            char id[80], label[80];
            snprintf(id, sizeof id, "failed.%.60s", name);
            snprintf(label, sizeof label, "  failed: %.60s", name);
            ADD(id, label, (double)class_count(b, name), (double)class_count(a, name), -1, NULL);
        }
    }
    ADD("http_requests", "HTTP requests", (double)b->http_requests, (double)a->http_requests, -1,
        NULL);
    ADD("wall_time_s", "wall time (s)", b->wall_time_s, a->wall_time_s, 2, NULL);
    ADD("throughput_ips", "throughput (inputs/s)", b->throughput_ips, a->throughput_ips, 1, NULL);
#undef ADD
    return n;
}

static double delta_pct(double b, double a)
{
    return isfinite(a) && isfinite(b) && b != 0 ? 100.0 * (a - b) / b : NAN;
}

/* ---- JSON --------------------------------------------------------------- */

static json_t *jreal(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *side_json(const struct tg_side_stats *s)
{
    json_t *classes = json_object();
    for (size_t i = 0; i < s->nclasses; i++)
        json_object_set_new(classes, s->classes[i].name, json_integer((json_int_t)s->classes[i].count));
    return json_pack("{s:s, s:s, s:{s:I, s:I, s:I, s:I, s:o}, s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}, "
                     "s:o, s:s, s:o}",
                     "source", s->source, "kind", s->kind,
                     "counts", "inputs", (json_int_t)s->inputs, "ok", (json_int_t)s->ok,
                     "failed", (json_int_t)s->failed, "http_requests", (json_int_t)s->http_requests,
                     "failed_by_class", classes,
                     "latency_ms", "min", jreal(s->lat.min), "mean", jreal(s->lat.mean),
                     "stdev", jreal(s->lat.stdev), "p50", jreal(s->lat.p50), "p90", jreal(s->lat.p90),
                     "p95", jreal(s->lat.p95), "p99", jreal(s->lat.p99), "p999", jreal(s->lat.p999),
                     "max", jreal(s->lat.max),
                     "wall_time_s", jreal(s->wall_time_s), "wall_time_source", s->wall_time_source,
                     "throughput_ips", jreal(s->throughput_ips));
}

static json_t *ids_json(const uint64_t *ids, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_integer((json_int_t)ids[i]));
    return a;
}

static json_t *identity_json(const struct tg_identity *id)
{
    return json_pack("{s:o, s:I, s:o}", "payload_sha256",
                     id->payload_sha256[0] ? json_string(id->payload_sha256) : json_null(),
                     "inputs", (json_int_t)id->inputs, "concurrency",
                     id->concurrency ? json_integer((json_int_t)id->concurrency) : json_null());
}

static const char *outputs_status(const struct tg_comparison *c)
{
    if (c->opts.ignore_outputs)
        return "ignored";
    if (!c->outputs_compared)
        return "not_compared";
    if (c->outputs.different || c->outputs.missing)
        return "different";
    return "equal";
}

static json_t *comparison_json(const struct tg_comparison *c)
{
    struct metric m[MAX_METRICS];
    size_t nm = metrics(c, m);
    json_t *delta = json_object();
    for (size_t i = 0; i < nm; i++) {
        if (!strncmp(m[i].id, "failed.", 7))
            continue;
        double d = m[i].after - m[i].before;
        json_object_set_new(delta, m[i].id,
                            m[i].digits < 0 && isfinite(d) ? json_integer((json_int_t)d) : jreal(d));
    }
    json_t *pct = json_object();
    for (size_t i = 0; i < nm; i++)
        if (strncmp(m[i].id, "failed.", 7))
            json_object_set_new(pct, m[i].id, jreal(delta_pct(m[i].before, m[i].after)));
    json_object_set_new(delta, "pct", pct);
    json_object_set_new(delta, "ci95",
                        json_pack("{s:[o,o], s:[o,o], s:[o,o], s:f, s:I, s:I, s:s}",
                                  "p50_ms", jreal(c->ci_p50.lo), jreal(c->ci_p50.hi),
                                  "p95_ms", jreal(c->ci_p95.lo), jreal(c->ci_p95.hi),
                                  "p99_ms", jreal(c->ci_p99.lo), jreal(c->ci_p99.hi),
                                  "level", c->opts.ci_level,
                                  "resamples", (json_int_t)c->opts.resamples,
                                  "seed", (json_int_t)c->opts.seed,
                                  "method", "percentile bootstrap over ok inputs"));

    const struct tg_identity *ia = &c->id_after;
    json_t *workload = json_pack(
        "{s:b, s:o, s:I, s:o, s:o, s:o, s:o}", "identical", c->workload_identical,
        "payload_sha256", ia->payload_sha256[0] ? json_string(ia->payload_sha256) : json_null(),
        "inputs", (json_int_t)ia->inputs,
        "concurrency", ia->concurrency ? json_integer((json_int_t)ia->concurrency) : json_null(),
        "differences", c->workload_diff[0] ? json_string(c->workload_diff) : json_null(),
        "before", identity_json(&c->id_before), "after", identity_json(&c->id_after));

    const struct tg_output_cmp *o = &c->outputs;
    json_t *outputs = json_pack(
        "{s:I, s:I, s:I, s:I, s:s, s:s, s:I, s:I, s:o, s:o, s:b, s:o, s:o, s:o, s:o}",
        "compared", (json_int_t)o->compared, "equal", (json_int_t)o->equal,
        "different", (json_int_t)o->different, "missing", (json_int_t)o->missing,
        "status", outputs_status(c), "reference", c->outputs_reference,
        "equal_exact", (json_int_t)o->equal_exact,
        "equal_within_tolerance", (json_int_t)o->equal_within_tolerance,
        "tolerance", o->tolerance.kind == TG_TOL_EXACT ? json_null() : json_real(o->tolerance.eps),
        "tolerance_kind", o->tolerance.kind == TG_TOL_EXACT ? json_null()
                          : json_string(o->tolerance.kind == TG_TOL_COSINE ? "cosine" : "abs"),
        "tolerance_applied", o->tolerance_applied,
        "max_abs_diff", jreal(o->max_abs_diff),
        "note", o->note[0] ? json_string(o->note) : json_null(),
        "first_different", ids_json(o->first_different, o->n_first_different),
        "first_missing", ids_json(o->first_missing, o->n_first_missing));

    json_t *sla = json_pack(
        "{s:f, s:b, s:s, s:f, s:I, s:I, s:o, s:o, s:o, s:s, s:o}",
        "p95_ms", c->opts.sla_p95_ms, "met", c->met, "verdict", tg_verdict_name(c->verdict),
        "confidence", c->opts.confidence, "over_limit", (json_int_t)c->sla.over_limit,
        "n", (json_int_t)c->sla.n, "after_p95_ms", jreal(c->after.lat.p95),
        "frac_over_limit_lo", jreal(c->sla.frac_over_lo),
        "frac_over_limit_hi", jreal(c->sla.frac_over_hi),
        "binomial_verdict", tg_verdict_name(c->sla.verdict),
        "reasons", c->reasons[0] ? json_string(c->reasons) : json_null());

    char stamp[64];
    tg_utc_iso(stamp, sizeof stamp);
    return json_pack("{s:s, s:{s:s, s:s}, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o*, s:o*}",
                     "schema", TG_COMPARISON_SCHEMA, "tool", "name", "tailgate", "version",
                     c->opts.tool_version ? c->opts.tool_version : "unknown", "generated_utc", stamp,
                     "before", side_json(&c->before), "after", side_json(&c->after),
                     "delta", delta, "workload", workload, "outputs", outputs, "sla", sla,
                     "slos", tg_compare_slos_json(c), "goodput", tg_compare_goodput_json(c));
}

static int check_stream(FILE *f)
{
    if (fflush(f) != 0 || ferror(f))
        return errno ? -errno : TG_EIO;
    return 0;
}

int tg_compare_write_json(FILE *f, const struct tg_comparison *c)
{
    json_t *root = comparison_json(c);
    if (!root)
        return TG_ENOMEM;
    int rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    json_decref(root);
    if (rc != 0)
        return TG_EIO;
    if (fputc('\n', f) == EOF)
        return TG_EIO;
    return check_stream(f);
}

/* ---- CSV ---------------------------------------------------------------- */

static void csv_num(FILE *f, double v, bool last)
{
    if (isfinite(v))
        fprintf(f, "%.12g", v);
    fputc(last ? '\n' : ',', f);
}

int tg_compare_write_csv(FILE *f, const struct tg_comparison *c)
{
    struct metric m[MAX_METRICS];
    size_t nm = metrics(c, m);
    fprintf(f, "metric,before,after,delta,delta_pct\n");
    for (size_t i = 0; i < nm; i++) {
        /* metric ids are [a-z0-9_.] plus error class names, which may hold
         * spaces but never commas or quotes (the CSV reader rejects them) */
        fprintf(f, "%s,", m[i].id);
        csv_num(f, m[i].before, false);
        csv_num(f, m[i].after, false);
        csv_num(f, m[i].after - m[i].before, false);
        csv_num(f, delta_pct(m[i].before, m[i].after), true);
    }
    return check_stream(f);
}

/* ---- Markdown table and verdict line ------------------------------------- */

static void fmt_num(char *buf, size_t len, double v, int digits, bool sign)
{
    if (!isfinite(v))
        snprintf(buf, len, "–");
    else if (digits < 0)
        snprintf(buf, len, sign ? "%+.0f" : "%.0f", v);
    else
        snprintf(buf, len, sign ? "%+.*f" : "%.*f", digits, v);
}

#define NCOLS 6

/* Display width of a UTF-8 string (code points; all ours are narrow). */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

int tg_compare_write_table(FILE *f, const struct tg_comparison *c)
{
    struct metric m[MAX_METRICS];
    size_t nm = metrics(c, m);
    char (*cells)[NCOLS][96] = malloc((MAX_METRICS + 1) * sizeof *cells);
    if (!cells)
        return TG_ENOMEM;
    char ci_head[48];
    snprintf(ci_head, sizeof ci_head, "%g %% CI of Δ", 100 * c->opts.ci_level);
    const char *head[NCOLS] = { "metric", "Before", "After", "Δ", "Δ %", ci_head };
    for (int k = 0; k < NCOLS; k++)
        snprintf(cells[0][k], sizeof cells[0][k], "%s", head[k]);
    for (size_t i = 0; i < nm; i++) {
        char (*row)[96] = cells[i + 1];
        snprintf(row[0], sizeof row[0], "%s", m[i].label);
        fmt_num(row[1], sizeof row[1], m[i].before, m[i].digits, false);
        fmt_num(row[2], sizeof row[2], m[i].after, m[i].digits, false);
        fmt_num(row[3], sizeof row[3], m[i].after - m[i].before, m[i].digits, true);
        double p = delta_pct(m[i].before, m[i].after);
        if (isfinite(p))
            snprintf(row[4], sizeof row[4], "%+.1f %%", p);
        else
            snprintf(row[4], sizeof row[4], "–");
        if (m[i].ci && isfinite(m[i].ci->lo))
            snprintf(row[5], sizeof row[5], "[%+.*f, %+.*f]", m[i].digits, m[i].ci->lo,
                     m[i].digits, m[i].ci->hi);
        else
            row[5][0] = '\0';
    }
    size_t w[NCOLS] = { 0 };
    for (size_t i = 0; i <= nm; i++)
        for (int k = 0; k < NCOLS; k++)
            if (width(cells[i][k]) > w[k])
                w[k] = width(cells[i][k]);
    for (size_t i = 0; i <= nm; i++) {
        for (int k = 0; k < NCOLS; k++) {
            size_t pad = w[k] - width(cells[i][k]);
            fputs("| ", f);
            if (k == 0) {
                fputs(cells[i][k], f);
                fprintf(f, "%*s", (int)pad, "");
            } else {
                fprintf(f, "%*s", (int)pad, "");
                fputs(cells[i][k], f);
            }
            fputc(' ', f);
        }
        fputs("|\n", f);
        if (i == 0) {  /* the Markdown alignment row */
            for (int k = 0; k < NCOLS; k++) {
                fputs(k == 0 ? "|:" : "| ", f);
                for (size_t d = 0; d < w[k]; d++)
                    fputc('-', f);
                fputs(k == 0 ? " " : ":", f);
            }
            fputs("|\n", f);
        }
    }
    free(cells);
    return check_stream(f);
}

void tg_compare_verdict_line(const struct tg_comparison *c, char *buf, size_t len)
{
    buf[0] = '\0';
    tg_str_appendf(buf, len, "SLA P95 <= %g ms", c->opts.sla_p95_ms);
    if (c->opts.nslos)
        tg_str_appendf(buf, len, " and %zu SLO%s", c->opts.nslos, c->opts.nslos == 1 ? "" : "s");
    tg_str_appendf(buf, len, ": %s — after P95 ", tg_verdict_name(c->verdict));
    if (isfinite(c->after.lat.p95))
        tg_str_appendf(buf, len, "%.1f ms", c->after.lat.p95);
    else
        tg_str_appendf(buf, len, "n/a");
    tg_str_appendf(buf, len, ", %zu/%zu inputs over the limit", c->sla.over_limit, c->sla.n);
    if (c->after.failed)
        tg_str_appendf(buf, len, " (%zu failed)", c->after.failed);
    tg_str_appendf(buf, len, ", %g %% confidence", 100 * c->opts.confidence);
    if (c->met && c->sla.verdict == TG_VERDICT_INCONCLUSIVE)
        tg_str_appendf(buf, len, " (over-limit share up to %.2f %% > 5 %%: more inputs needed)",
                100 * c->sla.frac_over_hi);
    tg_compare_slos_line(c, buf, len);
    const struct tg_output_cmp *o = &c->outputs;
    if (c->opts.ignore_outputs)
        tg_str_appendf(buf, len, "; outputs ignored (--ignore-outputs)");
    else if (!c->outputs_compared)
        tg_str_appendf(buf, len, "; outputs NOT compared");
    else {
        size_t total = o->compared + o->missing;
        tg_str_appendf(buf, len, "; outputs %zu/%zu equal", o->equal, total);
        if (o->equal_within_tolerance) {
            char tol[48];
            tg_tolerance_format(&o->tolerance, tol, sizeof tol);
            tg_str_appendf(buf, len, " (%zu within %s)", o->equal_within_tolerance, tol);
        }
        if (o->different)
            tg_str_appendf(buf, len, ", %zu different", o->different);
        if (o->missing)
            tg_str_appendf(buf, len, ", %zu missing", o->missing);
    }
    if (c->workload_identical)
        tg_str_appendf(buf, len, "; workload identical");
    else
        tg_str_appendf(buf, len, "; workload DIFFERS (%s)", c->workload_diff);
    if (!c->met)
        tg_str_appendf(buf, len, " — not met: %s", c->reasons);
}

int tg_compare_write_md(FILE *f, const struct tg_comparison *c)
{
    char line[2048];
    fprintf(f, "# tailgate comparison\n\n");
    fprintf(f, "- Before: `%s` (%s)\n", c->before.source, c->before.kind);
    fprintf(f, "- After: `%s` (%s)\n", c->after.source, c->after.kind);
    fprintf(f, "- Latency statistics over ok inputs, nearest rank; Δ = After − Before; "
               "CI: percentile bootstrap, %u resamples, seed %llu\n\n",
            c->opts.resamples, (unsigned long long)c->opts.seed);
    int rc = tg_compare_write_table(f, c);
    if (rc < 0)
        return rc;
    const struct tg_output_cmp *o = &c->outputs;
    fprintf(f, "\n- Workload: %s", c->workload_identical ? "identical" : "DIFFERS");
    if (c->workload_diff[0])
        fprintf(f, " (%s)", c->workload_diff);
    fprintf(f, "; payload SHA-256 `%s`, %llu inputs, concurrency %llu\n",
            c->id_after.payload_sha256[0] ? c->id_after.payload_sha256 : "unknown",
            (unsigned long long)c->id_after.inputs, (unsigned long long)c->id_after.concurrency);
    fprintf(f, "- Outputs (%s, reference `%s`): %zu compared, %zu equal, %zu different, %zu missing",
            outputs_status(c), c->outputs_reference, o->compared, o->equal, o->different,
            o->missing);
    if (o->tolerance.kind != TG_TOL_EXACT) {
        char tol[48];
        tg_tolerance_format(&o->tolerance, tol, sizeof tol);
        fprintf(f, "; tolerance %s%s", tol, o->tolerance_applied ? "" : " (not applied)");
    }
    fputc('\n', f);
    fprintf(f, "- SLA evidence: %zu/%zu After inputs over %g ms; one-sided %g %% Clopper–Pearson "
               "bounds on that share: [%.2f %%, %.2f %%] (PASS needs the upper bound ≤ 5 %%)\n\n",
            c->sla.over_limit, c->sla.n, c->opts.sla_p95_ms, 100 * c->opts.confidence,
            100 * c->sla.frac_over_lo, 100 * c->sla.frac_over_hi);
    if ((rc = tg_compare_write_slo_table(f, c)) < 0)
        return rc;
    if (c->opts.nslos)
        fputc('\n', f);
    tg_compare_verdict_line(c, line, sizeof line);
    fprintf(f, "**%s**\n", line);
    return check_stream(f);
}
