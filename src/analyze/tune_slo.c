/*
 * tune_slo.c - --slo in tune: each measured candidate judged by the code
 * compare and run use (tg_slo_eval_gaps on rows built from the probe), and
 * the SLO part of tune.json / tune.md.
 */
#include "analyze/tune.h"

#include "core/buf.h"
#include "core/error.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static double confidence(const struct tg_tune_opts *o)
{
    return o->confidence > 0 && o->confidence < 1 ? o->confidence : 0.99;
}

static double pct(double p)
{
    return round(p * 1e10) / 1e8;
}

int tg_tune_judge_slos(const struct tg_tune_opts *o, const struct tg_probe_result *r, struct tg_tune_cand *c)
{
    c->nslo = 0;
    c->slos_met = false;
    c->good = 0;
    c->goodput_rps = NAN;
    size_t n = o->nslos;
    if (n == 0)
        return 0;
    if (n > TG_TUNE_MAX_SLOS)
        return TG_EINVAL;
    struct tg_slo slos[TG_SLO_MAX];
    memcpy(slos, o->slos, n * sizeof *slos);
    char spec[64], why[128], err[160];
    snprintf(spec, sizeof spec, "latency:p95<=%.10gms", o->sla_p95_ms);
    if (tg_slo_parse(spec, &slos[n], why, sizeof why) < 0)
        return TG_EINVAL;
    bool want_itl = false;
    for (size_t k = 0; k < n; k++)
        want_itl |= slos[k].metric == TG_SLO_ITL;

    struct tg_rows rows;
    if (tg_probe_rows(r, &rows))
        return TG_ENOMEM;
    struct tg_slo_eval *e = malloc(sizeof *e);
    int rc = e ? tg_slo_eval_gaps(&rows, r->itl_gaps, r->n_itl_gaps, want_itl && r->streamed, slos, n + 1,
                                  confidence(o), r->wall_s, e, err, sizeof err)
               : TG_ENOMEM;
    tg_rows_free(&rows);
    if (rc == 0) {
        c->nslo = n;
        c->slos_met = true;
        for (size_t k = 0; k < n; k++) {
            c->slo[k] = e->res[k];
            c->slo_met[k] = e->res[k].n > 0 && e->res[k].estimate_ms <= slos[k].limit_ms;
            c->slos_met &= c->slo_met[k];
        }
        c->good = e->good;
        c->goodput_rps = e->goodput_rps;
    }
    free(e);
    return rc;
}

json_t *tg_tune_cand_slos_json(const struct tg_tune_opts *o, const struct tg_tune_cand *c)
{
    if (!c->nslo || c->nslo > o->nslos)
        return NULL;
    struct tg_slo_eval *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->n = c->nslo;
    for (size_t k = 0; k < c->nslo; k++) {
        e->slo[k] = o->slos[k];
        e->res[k] = c->slo[k];
        if (c->slo[k].n == 0)
            snprintf(e->note[k], sizeof e->note[k], "%s",
                     o->slos[k].metric == TG_SLO_ITL ? "no per-event times" : "no samples (no streamed input)");
    }
    json_t *a = tg_slo_eval_json(e, confidence(o));
    free(e);
    for (size_t k = 0; a && k < c->nslo; k++)
        json_object_set_new(json_array_get(a, k), "met", json_boolean(c->slo_met[k]));
    return a;
}

void tg_tune_missed_slos(const struct tg_tune_opts *o, const struct tg_tune_cand *c, char *out, size_t len)
{
    out[0] = '\0';
    for (size_t k = 0; k < c->nslo && k < o->nslos; k++) {
        if (c->slo_met[k])
            continue;
        const struct tg_slo_result *r = &c->slo[k];
        tg_str_appendf(out, len, "%s%s (", out[0] ? ", " : "", o->slos[k].text);
        if (r->n == 0)
            tg_str_appendf(out, len, "no samples)");
        else if (isinf(r->estimate_ms))
            tg_str_appendf(out, len, "p%g a failed input)", pct(o->slos[k].p));
        else
            tg_str_appendf(out, len, "p%g %.1f ms)", pct(o->slos[k].p), r->estimate_ms);
    }
}

int tg_tune_slos_md(FILE *f, const struct tg_tune *t, const struct tg_tune_opts *o)
{
    if (o->nslos == 0)
        return 0;
    fprintf(f, "## SLOs\n\nEach measured candidate judged like `tailgate compare --slo` (met: the pNN "
               "estimate <= the limit; binomial verdict at %g %% confidence in brackets). Goodput: ok "
               "inputs meeting every SLO and P95 <= %.0f ms per second.\n\n| role | config |",
            100 * confidence(o), o->sla_p95_ms);
    for (size_t k = 0; k < o->nslos; k++)
        fprintf(f, " %s |", o->slos[k].text);
    fprintf(f, " goodput (inputs/s) | every SLO |\n|---|---|");
    for (size_t k = 0; k <= o->nslos + 1; k++)
        fputs("---|", f);
    fputc('\n', f);
    for (size_t i = 0; i < t->n; i++) {
        const struct tg_tune_cand *c = &t->cands[i];
        if (!c->measured || !c->nslo)
            continue;
        char args[160];
        tg_tune_args(&c->cfg, args, sizeof args);
        fprintf(f, "| %s%s | `%s` |", tg_tune_role_name(c->role), (int)i == t->best ? " (chosen)" : "", args);
        for (size_t k = 0; k < c->nslo; k++) {
            const struct tg_slo_result *r = &c->slo[k];
            if (isfinite(r->estimate_ms))
                fprintf(f, " %.1f ms", r->estimate_ms);
            else
                fprintf(f, " %s", r->n ? "failed" : "n/a");
            fprintf(f, " %s [%s] |", c->slo_met[k] ? "met" : "missed", tg_verdict_name(r->verdict));
        }
        if (isfinite(c->goodput_rps))
            fprintf(f, " %.1f |", c->goodput_rps);
        else
            fputs(" n/a |", f);
        fprintf(f, " %s |\n", c->slos_met ? "yes" : "no");
    }
    fputc('\n', f);
    return ferror(f) ? -EIO : 0;
}
