/*
 * report_tune.c - tune.json, tune.md and tune's summary line (report.h).
 * Numbers that were not measured are JSON null and "n/a", never a guess.
 */
#include "analyze/report.h"
#include "analyze/report_internal.h"

#include "core/error.h"
#include "core/time.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tune.json / tune.md ------------------------------------------------------------- */

static json_t *cand_json(const struct tg_tune_opts *to, const struct tg_tune_cand *c)
{
    json_t *o = json_pack("{s:s, s:o, s:{s:o, s:o, s:o}, s:b}", "role", tg_tune_role_name(c->role), "config",
                          tg_rep_cfg_json(&c->cfg), "predicted", "p50_ms", tg_rep_r3(c->pred.p50_ms), "p95_ms", tg_rep_r3(c->pred.p95_ms),
                          "throughput_ips", tg_rep_r3(c->pred.throughput_ips), "measured", c->measured);
    if (c->measured)
        json_object_set_new(o, "measurement",
                            json_pack("{s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:{s:I, s:I, s:I}, s:b}", "inputs",
                                      (json_int_t)c->inputs, "ok", (json_int_t)c->ok, "failed", (json_int_t)c->failed,
                                      "p50_ms", tg_rep_r3(c->p50_ms), "p95_ms", tg_rep_r3(c->p95_ms), "p99_ms", tg_rep_r3(c->p99_ms),
                                      "throughput_ips", tg_rep_r3(c->throughput_ips), "wall_s", tg_rep_r3(c->wall_s), "outputs",
                                      "compared", (json_int_t)c->outputs_compared, "different",
                                      (json_int_t)c->outputs_different, "missing", (json_int_t)c->outputs_missing,
                                      "eligible", tg_tune_eligible(c)));
    if (c->measured) {
        json_t *oj = json_object_get(json_object_get(o, "measurement"), "outputs");
        json_object_set_new(oj, "within_tolerance", json_integer((json_int_t)c->outputs_within_tolerance));
        json_object_set_new(oj, "max_diff", tg_rep_num(c->outputs_max_diff));
        json_object_set_new(json_object_get(o, "measurement"), "verdict",
                            json_string(c->failed ? "failed inputs" : c->outputs_different ? "outputs differ"
                                        : !c->outputs_compared ? "no output compared" : "eligible"));
    }
    json_t *slos = c->measured ? tg_tune_cand_slos_json(to, c) : NULL;
    if (slos) {
        json_t *mj = json_object_get(o, "measurement");
        json_object_set_new(mj, "slos", slos);
        json_object_set_new(mj, "slos_met", json_boolean(c->slos_met));
        json_object_set_new(mj, "goodput_rps", tg_rep_r3(c->goodput_rps));
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
    json_object_set_new(root, "sla_p95_ms", tg_rep_num(o->sla_p95_ms));
    json_object_set_new(root, "concurrency", json_integer(o->concurrency));
    json_object_set_new(root, "inputs_per_candidate", json_integer((json_int_t)(o->inputs ? o->inputs : 200)));
    json_object_set_new(root, "interrupted", json_boolean(t->interrupted));
    json_object_set_new(root, "interrupted_during",
                        t->interrupted && t->interrupted_during ? json_string(t->interrupted_during) : json_null());
    json_object_set_new(root, "model", !m ? json_null()
                        : json_pack("{s:s, s:o, s:o, s:i, s:i, s:o, s:o, s:I}", "source", model_source,
                                    "alpha_ms", tg_rep_r3(m->alpha_ms), "beta_ms", tg_rep_r3(m->beta_ms), "slots",
                                    (json_int_t)m->slots, "max_batch", (json_int_t)m->max_batch,
                                    "overhead_ms", tg_rep_r3(m->overhead_ms), "connect_ms", tg_rep_r3(m->connect_ms),
                                    "jitter_factors", (json_int_t)m->njitter));
    if (t->best >= 0) {
        tg_tune_args(&t->cands[t->best].cfg, args, sizeof args);
        const struct tg_tune_cand *cf = t->confirm >= 0 ? &t->cands[t->confirm] : NULL;
        json_object_set_new(root, "best", json_pack("{s:o, s:s, s:o, s:o, s:o, s:o}", "config",
                                                     tg_rep_cfg_json(&t->cands[t->best].cfg), "run_args", args, "p95_ms",
                                                     tg_rep_r3(t->best_p95_ms), "search_p95_ms",
                                                     tg_rep_r3(t->cands[t->best].p95_ms), "predicted_p95_ms",
                                                     tg_rep_r3(t->cands[t->best].pred.p95_ms), "confirmation",
                                                     cf ? cand_json(o, cf) : json_null()));
    } else {
        json_object_set_new(root, "best", json_null());
    }
    json_object_set_new(root, "theoretical_best_p95_ms", tg_rep_r3(t->theoretical_best_p95_ms));
    json_object_set_new(root, "theoretical_best_with_jitter_p95_ms", tg_rep_r3(t->theoretical_best_jitter_p95_ms));
    json_object_set_new(root, "theoretical_best_batch",
                        t->theoretical_best_batch ? json_integer(t->theoretical_best_batch) : json_null());
    json_object_set_new(root, "ratio_to_theoretical_best", tg_rep_r3(t->ratio));
    json_object_set_new(root, "meets_sla", json_boolean(t->meets_sla));
    json_t *slos = json_array();
    for (size_t k = 0; k < o->nslos; k++)
        json_array_append_new(slos, json_string(o->slos[k].text));
    json_object_set_new(root, "slos", slos);
    char tol[48];
    tg_tolerance_format(&o->tol, tol, sizeof tol);
    json_object_set_new(root, "output_tolerance", json_string(tol));
    json_object_set_new(root, "reason", t->reason[0] ? json_string(t->reason) : json_null());
    json_object_set_new(root, "outputs_differ", json_pack("{s:I, s:I}", "candidates", (json_int_t)t->n_outputs_differ,
                                                          "batched", (json_int_t)t->n_batched_differ));
    json_t *ss = json_pack("{s:o, s:o, s:o}", "dynamic_batching_p95_ms", tg_rep_r3(t->dyn_batching_p95_ms), "slots_needed",
                           t->slots_needed ? json_integer(t->slots_needed) : json_null(), "slots_p95_ms",
                           tg_rep_r3(t->slots_p95_ms));
    json_object_set_new(root, "server_side", t->interrupted ? json_null() : ss);
    if (t->interrupted)
        json_decref(ss);
    json_t *abl = json_array();
    const struct tg_tune_cand *base = find_role(t, TG_ROLE_BASELINE);
    for (int r = TG_ROLE_BASELINE; r < TG_ROLE_COUNT; r++) {
        const struct tg_tune_cand *c = find_role(t, (enum tg_tune_role)r);
        if (!c)
            continue;
        json_t *row = cand_json(o, c);
        json_object_set_new(row, "lever", json_string(lever_name(c->role)));
        json_object_set_new(row, "delta_p95_ms", c->measured && base && base->measured
                                                     ? tg_rep_r3(c->p95_ms - base->p95_ms) : json_null());
        if (c->role == TG_ROLE_BATCH_WAIT && !c->measured)
            json_object_set_new(row, "note", json_string("no effect without batching (batch 1): not measured"));
        json_array_append_new(abl, row);
    }
    json_object_set_new(root, "ablation", abl);
    json_t *cands = json_array();
    for (size_t i = 0; i < t->n; i++)
        json_array_append_new(cands, cand_json(o, &t->cands[i]));
    json_object_set_new(root, "candidates", cands);
    json_object_set_new(root, "elapsed_s", tg_rep_r3(t->elapsed_s));
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
    char slos[32] = "";
    if (o->nslos)
        snprintf(slos, sizeof slos, " and %zu SLO%s", o->nslos, o->nslos == 1 ? "" : "s");
    int n = snprintf(out, outlen, "tune: best %s: P95 %.1f ms (SLA %.0f ms%s: %s); theoretical best %.1f ms "
                     "(batch %u), ratio %.2f", args, t->best_p95_ms, o->sla_p95_ms, slos, t->meets_sla ? "met" : "NOT met",
                     t->theoretical_best_p95_ms, t->theoretical_best_batch, t->ratio);
    if (!t->meets_sla && t->best_p95_ms <= o->sla_p95_ms && n > 0 && (size_t)n < outlen) {
        snprintf(out + n, outlen - (size_t)n, "; no measured client-side configuration meets every --slo");
    } else if (!t->meets_sla && n > 0 && (size_t)n < outlen) {
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
            t->reason[0] && !t->interrupted ? " " : "", t->interrupted ? "" : t->reason);
    if (t->interrupted)
        fprintf(f, "**Interrupted** (SIGINT/SIGTERM) during the %s: the candidates measured before it are "
                "below; the one in flight and the rest were not measured, nothing was chosen or confirmed.\n\n",
                t->interrupted_during ? t->interrupted_during : "search");
    if (m)
        fprintf(f, "Cost model: t(b) = %.2f + %.3f*b ms, %u slot(s), max batch %u, %.2f ms per request outside the "
                "server, %.3f ms per new connection, %zu measured jitter factors. Concurrency %u, SLA P95 <= %.0f ms.\n\n",
                m->alpha_ms, m->beta_ms, m->slots, m->max_batch, m->overhead_ms, m->connect_ms, m->njitter,
                o->concurrency, o->sla_p95_ms);
    else
        fprintf(f, "Cost model: not measured (interrupted). Concurrency %u, SLA P95 <= %.0f ms.\n\n",
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
                tg_rep_fmt_ms(a, sizeof a, c->pred.p95_ms), c->measured ? tg_rep_fmt_ms(b, sizeof b, c->p95_ms) : "not measured",
                c->measured && base && base->measured && c != base
                    ? (snprintf(line, sizeof line, "%+.1f ms", c->p95_ms - base->p95_ms), line) : "",
                (unsigned long long)c->inputs, (unsigned long long)c->failed, out);
    }
    if (isfinite(t->theoretical_best_p95_ms))
        fprintf(f, "\nTheoretical best P95 at concurrency %u from the fitted cost model (ideal client, batch %u, "
                "exact t(b)): %.1f ms (%.1f ms with the measured execution jitter); achieved %s ms (ratio %s).\n\n",
                o->concurrency, t->theoretical_best_batch, t->theoretical_best_p95_ms,
                t->theoretical_best_jitter_p95_ms, tg_rep_fmt_ms(a, sizeof a, t->best_p95_ms),
                isfinite(t->ratio) ? (snprintf(b, sizeof b, "%.2f", t->ratio), b) : "n/a");
    else
        fprintf(f, "\n");
    if (!t->meets_sla && !t->interrupted && m) {
        fprintf(f, "## Server-side options (model estimates)\n\n- dynamic batching on the server (up to %u per "
                "execution): P95 about %.0f ms\n", m->max_batch, t->dyn_batching_p95_ms);
        if (t->slots_needed)
            fprintf(f, "- %u execution slots (e.g. more replicas): P95 about %.0f ms\n\n", t->slots_needed, t->slots_p95_ms);
        else
            fprintf(f, "- no slot count up to 64 meets the SLA\n\n");
    }
    if (tg_tune_slos_md(f, t, o) != 0)
        return -EIO;
    fprintf(f, "## Measured candidates\n\n| role | config | predicted P95 | measured P50 | P95 | P99 | inputs | eligible |\n"
               "|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < t->n; i++) {
        const struct tg_tune_cand *c = &t->cands[i];
        if (!c->measured)
            continue;
        char args[160], p[32], q[32], s[32];
        tg_tune_args(&c->cfg, args, sizeof args);
        fprintf(f, "| %s%s | `%s` | %s | %s | %s | %s | %llu | %s |\n", tg_tune_role_name(c->role),
                (int)i == t->best ? " (chosen)" : "", args, tg_rep_fmt_ms(a, sizeof a, c->pred.p95_ms),
                tg_rep_fmt_ms(p, sizeof p, c->p50_ms), tg_rep_fmt_ms(q, sizeof q, c->p95_ms), tg_rep_fmt_ms(s, sizeof s, c->p99_ms),
                (unsigned long long)c->inputs, tg_tune_eligible(c) ? "yes" : "no");
    }
    fprintf(f, "\n%zu configurations predicted, searched in %.1f s (%llu probe inputs).\n", t->n, t->elapsed_s,
            (unsigned long long)t->probe_inputs);
    return ferror(f) ? -EIO : 0;
}
