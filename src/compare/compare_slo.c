/*
 * compare_slo.c - --slo in a comparison: both sides through tg_slo_eval (the
 * code path `run` and `tune` use), After gated by the SLA's rule.
 */
#include "compare/compare_slo.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"

/* A run directory's stream file, or one next to a requests.csv; NULL when
 * the side cannot have one (input.py's CSV). */
static const char *stream_path(const struct tg_side *s, char *buf, size_t len)
{
    if (!s->dir[0])
        return NULL;
    if (s->kind == TG_SIDE_CSV) {
        const char *base = strrchr(s->csv_path, '/');
        base = base ? base + 1 : s->csv_path;
        if (strcmp(base, "requests.csv"))
            return NULL;
    }
    if (snprintf(buf, len, "%s/stream.jsonl", s->dir) >= (int)len)
        return NULL;
    return buf;
}

static double pct(double p)
{
    return round(p * 1e10) / 1e8;
}

int tg_compare_slos_build(const struct tg_side *before, const struct tg_side *after,
                          struct tg_comparison *c, char *err, size_t errlen)
{
    size_t n = c->opts.nslos;
    if (n > TG_COMPARE_MAX_SLOS) {
        snprintf(err, errlen, "more than %d --slo", TG_COMPARE_MAX_SLOS);
        return TG_EINVAL;
    }
    /* the --slo list, then --sla-p95 as latency:p95 for goodput */
    struct tg_slo slos[TG_SLO_MAX];
    if (n)
        memcpy(slos, c->opts.slos, n * sizeof *slos);
    char spec[64], why[128];
    snprintf(spec, sizeof spec, "latency:p95<=%.10gms", c->opts.sla_p95_ms);
    if (tg_slo_parse(spec, &slos[n], why, sizeof why) < 0) {
        snprintf(err, errlen, "--sla-p95 %g: %s", c->opts.sla_p95_ms, why);
        return TG_EINVAL;
    }
    const struct { const struct tg_side *side; const struct tg_side_stats *st;
                   struct tg_slo_eval *e; const char *name; } sides[2] = {
        { before, &c->before, &c->slo_before, "BEFORE" },
        { after, &c->after, &c->slo_after, "AFTER" },
    };
    for (int i = 0; i < 2; i++) {
        char path[TG_SIDE_PATH_MAX + 16], e[512];
        int rc = tg_slo_eval(&sides[i].side->rows, stream_path(sides[i].side, path, sizeof path),
                             slos, n + 1, c->opts.confidence, sides[i].st->wall_time_s, sides[i].e,
                             e, sizeof e);
        if (rc < 0) {
            snprintf(err, errlen, "%s: %s", sides[i].name, e);
            return rc;
        }
    }
    for (size_t k = 0; k < n; k++) {
        const struct tg_slo *s = &slos[k];
        const struct tg_slo_result *r = &c->slo_after.res[k];
        c->slo_met[k] = r->n > 0 && r->estimate_ms <= s->limit_ms;
        c->slo_verdict[k] = c->slo_met[k] ? r->verdict : TG_VERDICT_FAIL;
        char tmp[256];
        if (r->n == 0)
            snprintf(tmp, sizeof tmp, "%s: no After samples (%s)", s->text,
                     c->slo_after.note[k][0] ? c->slo_after.note[k] : "none");
        else if (!c->slo_met[k] && isinf(r->estimate_ms))
            snprintf(tmp, sizeof tmp, "%s: After p%g is a failed input", s->text, pct(s->p));
        else if (!c->slo_met[k])
            snprintf(tmp, sizeof tmp, "%s: After p%g %.1f ms > %g ms", s->text, pct(s->p),
                     r->estimate_ms, s->limit_ms);
        else
            continue;
        tg_str_appendf(c->reasons, sizeof c->reasons, "%s%s", c->reasons[0] ? "; " : "", tmp);
    }
    return 0;
}

enum tg_verdict tg_compare_slos_verdict(const struct tg_comparison *c)
{
    enum tg_verdict v = TG_VERDICT_PASS;
    for (size_t k = 0; k < c->opts.nslos; k++) {
        if (c->slo_verdict[k] == TG_VERDICT_FAIL)
            return TG_VERDICT_FAIL;
        if (c->slo_verdict[k] == TG_VERDICT_INCONCLUSIVE)
            v = TG_VERDICT_INCONCLUSIVE;
    }
    return v;
}

/* The evaluation without the trailing --sla-p95 entry. */
static json_t *side_slos(const struct tg_comparison *c, const struct tg_slo_eval *e, bool gate)
{
    struct tg_slo_eval shown = *e;
    shown.n = e->n ? c->opts.nslos : 0;
    json_t *a = tg_slo_eval_json(&shown, c->opts.confidence);
    for (size_t k = 0; a && gate && k < shown.n; k++) {
        json_t *o = json_array_get(a, k);
        json_object_set_new(o, "met", json_boolean(c->slo_met[k]));
        json_object_set_new(o, "gate", json_string(tg_verdict_name(c->slo_verdict[k])));
    }
    return a;
}

json_t *tg_compare_slos_json(const struct tg_comparison *c)
{
    json_t *b = side_slos(c, &c->slo_before, false), *a = side_slos(c, &c->slo_after, true);
    if (!a || !b) {
        json_decref(a);
        json_decref(b);
        return NULL;
    }
    return json_pack("{s:o, s:o}", "before", b, "after", a);
}

static json_t *jreal(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *tg_compare_goodput_json(const struct tg_comparison *c)
{
    return json_pack("{s:o, s:o, s:I, s:I, s:s, s:s, s:s}",
                     "before_rps", jreal(c->slo_before.goodput_rps),
                     "after_rps", jreal(c->slo_after.goodput_rps),
                     "before_good", (json_int_t)c->slo_before.good,
                     "after_good", (json_int_t)c->slo_after.good,
                     "before_wall_time_source", c->before.wall_time_source ? c->before.wall_time_source : "unknown",
                     "after_wall_time_source", c->after.wall_time_source ? c->after.wall_time_source : "unknown",
                     "counts", "ok inputs meeting every --slo and the --sla-p95 limit");
}

void tg_compare_slos_line(const struct tg_comparison *c, char *buf, size_t len)
{
    for (size_t k = 0; k < c->opts.nslos; k++)
        tg_str_appendf(buf, len, "%s%s %s", k ? ", " : "; SLOs: ", c->slo_after.slo[k].text,
                tg_verdict_name(c->slo_verdict[k]));
}

static void estimate(char *buf, size_t len, const struct tg_slo_result *r)
{
    if (isfinite(r->estimate_ms))
        snprintf(buf, len, "%.1f ms", r->estimate_ms);
    else if (r->n && isinf(r->estimate_ms))
        snprintf(buf, len, "failed");
    else
        snprintf(buf, len, "n/a");
}

#define SCOLS 6

int tg_compare_write_slo_table(FILE *f, const struct tg_comparison *c)
{
    size_t n = c->opts.nslos;
    if (n == 0 || c->slo_after.n == 0)
        return 0;
    char cells[TG_SLO_MAX + 1][SCOLS][64];
    const char *head[SCOLS] = { "SLO", "Before", "After", "After over", "binomial", "gate" };
    for (int k = 0; k < SCOLS; k++)
        snprintf(cells[0][k], sizeof cells[0][k], "%s", head[k]);
    for (size_t i = 0; i < n; i++) {
        char (*row)[64] = cells[i + 1];
        const struct tg_slo_result *b = &c->slo_before.res[i], *a = &c->slo_after.res[i];
        snprintf(row[0], sizeof row[0], "%s", c->slo_after.slo[i].text);
        estimate(row[1], sizeof row[1], b);
        estimate(row[2], sizeof row[2], a);
        snprintf(row[3], sizeof row[3], "%llu/%llu", (unsigned long long)a->over,
                 (unsigned long long)a->n);
        snprintf(row[4], sizeof row[4], "%s", tg_verdict_name(a->verdict));
        snprintf(row[5], sizeof row[5], "%s", tg_verdict_name(c->slo_verdict[i]));
    }
    size_t w[SCOLS] = { 0 };
    for (size_t i = 0; i <= n; i++)
        for (int k = 0; k < SCOLS; k++)
            if (strlen(cells[i][k]) > w[k])
                w[k] = strlen(cells[i][k]);
    for (size_t i = 0; i <= n; i++) {
        for (int k = 0; k < SCOLS; k++)
            fprintf(f, k == 0 || k >= 4 ? "| %-*s " : "| %*s ", (int)w[k], cells[i][k]);
        fputs("|\n", f);
        if (i == 0) {
            for (int k = 0; k < SCOLS; k++) {
                fputs(k == 0 || k >= 4 ? "|:" : "| ", f);
                for (size_t d = 0; d < w[k]; d++)
                    fputc('-', f);
                fputs(k == 0 || k >= 4 ? " " : ":", f);
            }
            fputs("|\n", f);
        }
    }
    fputc('\n', f);
    for (size_t i = 0; i < n; i++) {
        const char *nb = c->slo_before.note[i], *na = c->slo_after.note[i];
        if (na[0])
            fprintf(f, "- %s, After: %s\n", c->slo_after.slo[i].text, na);
        if (nb[0] && strcmp(nb, na))
            fprintf(f, "- %s, Before: %s\n", c->slo_after.slo[i].text, nb);
    }
    fprintf(f, "- SLO samples: one per input (failed = over the limit), itl: every gap between "
               "content events; estimate nearest rank; gate: After estimate <= limit, PASS when "
               "the one-sided %g %% Clopper–Pearson upper bound on the share over is <= 1 − p\n",
            100 * c->opts.confidence);
    const struct tg_slo_eval *gb = &c->slo_before, *ga = &c->slo_after;
    fprintf(f, "- Goodput (ok inputs meeting every SLO and P95 <= %g ms, per s of wall time): ",
            c->opts.sla_p95_ms);
    const struct { const char *name; const struct tg_slo_eval *e; const struct tg_side_stats *st; } s[2] = {
        { "Before", gb, &c->before }, { "After", ga, &c->after },
    };
    for (int i = 0; i < 2; i++) {
        if (isfinite(s[i].e->goodput_rps))
            fprintf(f, "%s %.2f/s", s[i].name, s[i].e->goodput_rps);
        else
            fprintf(f, "%s n/a", s[i].name);
        fprintf(f, " (%llu of %llu inputs; wall time from %s)%s", (unsigned long long)s[i].e->good,
                (unsigned long long)s[i].e->inputs,
                s[i].st->wall_time_source ? s[i].st->wall_time_source : "unknown", i ? "\n" : ", ");
    }
    if (fflush(f) != 0 || ferror(f))
        return TG_EIO;
    return 0;
}
