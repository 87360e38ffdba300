/*
 * tune_explain.c - what a search ended with, in words: the reason nothing
 * was chosen or the choice misses the SLA (tune.h: tg_tune_explain), and an
 * interrupted search's marks (tg_tune_mark_interrupted).
 */
#include "analyze/tune.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Appends s to the NUL-terminated r[0..n), cut to fit. */
static void append(char *r, size_t n, const char *s)
{
    size_t l = strlen(r), m = strlen(s);
    if (l + 1 >= n)
        return;
    if (m > n - l - 1)
        m = n - l - 1;
    memcpy(r + l, s, m);
    r[l + m] = '\0';
}

static size_t count_measured(const struct tg_tune *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        n += t->cands[i].measured;
    return n;
}

void tg_tune_mark_interrupted(struct tg_tune *t, const char *during)
{
    if (!t->n)
        t->theoretical_best_p95_ms = t->theoretical_best_jitter_p95_ms = NAN;
    t->interrupted = true;
    t->interrupted_during = during;
    t->best = t->confirm = -1;
    t->best_p95_ms = t->ratio = NAN;
    t->meets_sla = false;
    t->dyn_batching_p95_ms = t->slots_p95_ms = NAN;
    t->slots_needed = 0;
    t->n_measured = count_measured(t);
    snprintf(t->reason, sizeof t->reason, "interrupted (SIGINT/SIGTERM) during the %s: %zu candidate(s) measured "
             "and kept; no configuration chosen (the search did not finish)", during, t->n_measured);
}

void tg_tune_explain(struct tg_tune *t, const struct tg_tune_opts *o)
{
    t->n_measured = count_measured(t);
    t->n_outputs_differ = t->n_batched_differ = 0;
    size_t failed = 0, measured = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct tg_tune_cand *c = &t->cands[i];
        if (!c->measured)
            continue;
        measured++;
        if (c->outputs_different) {
            t->n_outputs_differ++;
            t->n_batched_differ += c->cfg.batch > 1;
        }
        if (c->failed)
            failed++;
    }
    char tol[48];
    tg_tolerance_format(&o->tol, tol, sizeof tol);
    char differ[320] = "";
    if (t->n_outputs_differ)
        snprintf(differ, sizeof differ, "%zu measured candidate(s) (%zu batched) gave outputs that differ from the "
                 "unbatched reference (outputs compared: %s%s), so they were not chosen", t->n_outputs_differ,
                 t->n_batched_differ, tol, o->tol.kind == TG_TOL_EXACT ? "; --output-tolerance accepts float drift" : "");
    char *r = t->reason;
    size_t n = sizeof t->reason;
    if (t->best < 0) {
        int k = snprintf(r, n, "no evidence-chosen configuration: none of %zu measured candidates finished "
                         "without failures and with equal outputs", measured);
        if (failed && k > 0 && (size_t)k < n)
            k += snprintf(r + k, n - (size_t)k, " (%zu with failed inputs)", failed);
        if (differ[0] && k > 0 && (size_t)k < n) {
            append(r, n, "; ");
            append(r, n, differ);
        }
    } else if (!t->meets_sla) {
        const struct tg_tune_cand *cf = t->confirm >= 0 ? &t->cands[t->confirm] : &t->cands[t->best];
        char missed[240] = "";
        tg_tune_missed_slos(o, cf, missed, sizeof missed);
        if (!missed[0] && cf != &t->cands[t->best])
            tg_tune_missed_slos(o, &t->cands[t->best], missed, sizeof missed);
        r[0] = '\0';
        if (!(t->best_p95_ms <= o->sla_p95_ms) || !missed[0]) {
            char head[400];
            snprintf(head, sizeof head, "the best measured configuration misses the SLA (P95 %.1f ms > %.0f ms)",
                     t->best_p95_ms, o->sla_p95_ms);
            append(r, n, head);
            if (missed[0])
                append(r, n, " and the SLOs ");
        } else {
            append(r, n, "the best measured configuration misses the SLOs ");
        }
        append(r, n, missed);
        if (differ[0]) {
            append(r, n, "; ");
            append(r, n, differ);
        }
    } else {
        snprintf(r, n, "%s", differ);
    }
}
