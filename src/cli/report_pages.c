/*
 * report_pages.c - the parts of report.html read from a run's JSON files
 * (report_pages.h): provenance, comparison, analysis.
 */
#include "cli/report_pages.h"

#include "core/buf.h"
#include "core/vec.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- owned strings ---------------------------------------------------------- */

const char *tg_rpool_take(struct tg_rpool *p, char *s)
{
    if (!s) {
        p->oom = 1;
        return "";
    }
    if (tg_grow((void **)&p->v, &p->cap, p->n + 1, sizeof *p->v, 64)) {
        free(s);
        p->oom = 1;
        return "";
    }
    p->v[p->n++] = s;
    return s;
}

const char *tg_rpool_printf(struct tg_rpool *p, const char *fmt, ...)
{
    struct tg_buf b = TG_BUF_INIT(0);
    va_list ap;
    va_start(ap, fmt);
    int rc = tg_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (rc) {
        tg_buf_free(&b);
        return tg_rpool_take(p, NULL);
    }
    return tg_rpool_take(p, b.data ? b.data : strdup(""));
}

void tg_rpool_free(struct tg_rpool *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
}

void tg_rkv_add(struct tg_rkvlist *l, struct tg_rpool *p, const char *k, const char *v)
{
    if (l->n >= l->max)
        return;
    if (tg_grow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v, 32)) {
        p->oom = 1;
        return;
    }
    l->v[l->n++] = (struct tg_report_kv){ k, v };
}

/* ---- JSON helpers ------------------------------------------------------------- */

static const char *json_text(struct tg_rpool *p, const json_t *v)
{
    if (json_is_string(v))
        return tg_rpool_take(p, strdup(json_string_value(v)));
    if (json_is_real(v))
        return tg_rpool_printf(p, "%.6g", json_real_value(v));
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s && strlen(s) > 600)
        strcpy(s + 597, "...");
    return tg_rpool_take(p, s);
}

/* Adds every leaf of v under prefix (dotted keys; arrays of scalars inline). */
static void flatten(struct tg_rkvlist *l, struct tg_rpool *p, const char *prefix, const json_t *v,
                    int depth)
{
    if (json_is_object(v) && depth < 4) {
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c) {
            const char *key = prefix[0] ? tg_rpool_printf(p, "%s.%s", prefix, k)
                                        : tg_rpool_take(p, strdup(k));
            flatten(l, p, key, c, depth + 1);
        }
        return;
    }
    if (json_is_null(v))
        return;   /* "does not exist": nothing to show */
    tg_rkv_add(l, p, prefix, json_text(p, v));
}

/* Quotes one argument for a POSIX shell when needed. */
static void shell_quote(struct tg_buf *b, const char *a)
{
    if (*a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                        "-_./:=,+@%") == strlen(a)) {
        tg_buf_puts(b, a);
        return;
    }
    tg_buf_puts(b, "'");
    for (; *a; a++) {
        if (*a == '\'')
            tg_buf_puts(b, "'\\''");
        else
            tg_buf_append(b, a, 1);
    }
    tg_buf_puts(b, "'");
}

/* The exact command of a run: "command"/"cmdline" (string) or "argv" (array)
 * at the top of summary.json, in config or in environment. */
static const char *find_command(struct tg_rpool *p, const json_t *root)
{
    const json_t *scopes[3] = { root, json_object_get(root, "config"),
                                json_object_get(root, "environment") };
    static const char *const keys[] = { "command", "cmdline", "command_line", "argv" };
    for (size_t s = 0; s < 3; s++) {
        if (!json_is_object(scopes[s]))
            continue;
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            const json_t *v = json_object_get(scopes[s], keys[k]);
            if (json_is_string(v))
                return tg_rpool_take(p, strdup(json_string_value(v)));
            if (json_is_array(v) && json_array_size(v) > 0) {
                struct tg_buf b = TG_BUF_INIT(1 << 20);
                size_t i;
                const json_t *a;
                json_array_foreach(v, i, a) {
                    if (i)
                        tg_buf_puts(&b, " ");
                    if (json_is_string(a))
                        shell_quote(&b, json_string_value(a));
                }
                return tg_rpool_take(p, b.data ? b.data : strdup(""));
            }
        }
    }
    return NULL;
}

/* An equivalent `tailgate run` command rebuilt from summary.json's config
 * (tailgate run records its effective configuration, not its argv). */
static const char *rebuild_command(struct tg_rpool *p, const json_t *cfg)
{
    if (!json_is_object(cfg) || !json_is_string(json_object_get(cfg, "url")))
        return NULL;
    struct tg_buf b = TG_BUF_INIT(1 << 20);
    tg_buf_puts(&b, "tailgate run");
    static const struct {
        const char *key, *flag;
    } opts[] = {
        { "mode", "--mode" }, { "concurrency", "-c" }, { "inputs", "-n" },
        { "duration_s", "-d" }, { "rate", "--rate" }, { "arrival", "--arrival" },
        { "batch", "--batch" }, { "batch_wait_ms", "--batch-wait-ms" },
        { "api", "--api" }, { "connections", "--connections" },
        { "timeout_ms", "--timeout" }, { "threads", "--threads" }, { "seed", "--seed" },
        { "payloads", "--payloads" }, { "save_outputs", "--save-outputs" },
        { "out_dir", "-o" },
    };
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        const json_t *v = json_object_get(cfg, opts[i].key);
        char num[64];
        const char *val = NULL;
        if (json_is_string(v)) {
            val = json_string_value(v);
        } else if (json_is_integer(v)) {
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
            val = num;
        } else if (json_is_real(v)) {
            snprintf(num, sizeof num, "%g", json_real_value(v));
            val = num;
        }
        if (!val)
            continue;
        /* Units the options take: durations in s and ms. */
        if (val == num && !strcmp(opts[i].key, "duration_s"))
            strcat(num, "s");
        else if (val == num && !strcmp(opts[i].key, "timeout_ms"))
            strcat(num, "ms");
        tg_buf_printf(&b, " %s ", opts[i].flag);
        shell_quote(&b, val);
    }
    if (json_is_false(json_object_get(cfg, "keepalive")))
        tg_buf_puts(&b, " --no-keepalive");
    if (json_is_true(json_object_get(cfg, "preconnect")))
        tg_buf_puts(&b, " --preconnect");
    if (json_is_false(json_object_get(cfg, "parse_outputs")))
        tg_buf_puts(&b, " --no-outputs");
    /* Headers are left out: config.headers lists the effective ones, which
     * include those a mode implies (baseline: httpx's), not only -H. */
    tg_buf_puts(&b, " ");
    shell_quote(&b, json_string_value(json_object_get(cfg, "url")));
    return tg_rpool_take(p, b.data ? b.data : strdup(""));
}

/* Environment and configuration of a run from its summary.json. */
void tg_rpage_run_info(struct tg_rpool *p, const char *path, struct tg_rkvlist *env,
                                  const char **command, const char **origin, const char **note)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root || !json_is_object(root)) {
        *note = tg_rpool_printf(p, "%s: not readable JSON (%s, line %d); environment omitted", path,
                            jerr.text, jerr.line);
        json_decref(root);
        return;
    }
    *command = find_command(p, root);
    *origin = "as recorded in summary.json";
    if (!*command) {
        *command = rebuild_command(p, json_object_get(root, "config"));
        *origin = "equivalent command, rebuilt from summary.json config (request headers: "
                  "config.headers below)";
    }
    const char *k;
    json_t *v;
    /* Identity first (scalars), then config and environment in full. */
    json_object_foreach(root, k, v) {
        if (!json_is_object(v) && !json_is_array(v) && !json_is_null(v))
            tg_rkv_add(env, p, tg_rpool_take(p, strdup(k)), json_text(p, v));
    }
    static const char *const sections[] = { "config", "environment" };
    for (size_t s = 0; s < 2; s++) {
        v = json_object_get(root, sections[s]);
        if (v)
            flatten(env, p, sections[s], v, 0);
    }
    json_decref(root);
}

static double jnum(const json_t *o, const char *a, const char *b, const char *c)
{
    const json_t *v = json_object_get(o, a);
    if (b)
        v = json_object_get(v, b);
    if (c)
        v = json_object_get(v, c);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *fmt_num(struct tg_rpool *p, double v, int is_count)
{
    if (isnan(v))
        return "";
    if (isinf(v))
        return "inf";
    return is_count ? tg_rpool_printf(p, "%.0f", v) : tg_rpool_printf(p, "%.1f", v);
}

/* The comparison table, facts and verdict from comparison.json. */
void tg_rpage_comparison(struct tg_rpool *p, const char *path, struct tg_report_page *pg,
                                 const char ***cells, struct tg_rkvlist *facts, const char **note)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root || !json_is_object(root)) {
        *note = tg_rpool_printf(p, "%s: not readable JSON (%s, line %d); comparison omitted", path,
                            jerr.text, jerr.line);
        json_decref(root);
        return;
    }
    pg->cmp_source = tg_rpool_take(p, strdup(path));
    const json_t *before = json_object_get(root, "before"), *after = json_object_get(root, "after");
    const json_t *delta = json_object_get(root, "delta");
    const json_t *ci = json_object_get(delta, "ci95");

    enum { COLS = 5, MAXROWS = 40 };
    const char **c = calloc(COLS * MAXROWS, sizeof *c);
    if (!c) {
        p->oom = 1;
        json_decref(root);
        return;
    }
    size_t rows = 0;
    const char *hdr[COLS] = { "metric", "Before", "After", "After \xE2\x88\x92 Before",
                              "95 % CI of the delta" };
    memcpy(c, hdr, sizeof hdr);
    rows++;

    /* Counts: in the order of before.counts (jansson keeps insertion order). */
    const json_t *counts = json_object_get(before, "counts");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)counts, k, v) {
        if (rows >= MAXROWS)
            break;
        const json_t *av = json_object_get(json_object_get(after, "counts"), k);
        if (json_is_object(v) || json_is_object(av)) {
            /* failed_by_class: one row per class of either side. */
            const json_t *sides[2] = { v, av };
            for (int sd = 0; sd < 2; sd++) {
                const char *ck;
                json_t *cv;
                json_object_foreach((json_t *)sides[sd], ck, cv) {
                    if (sd == 1 && json_object_get(v, ck))
                        continue;
                    if (rows >= MAXROWS)
                        break;
                    double bn = jnum(v, ck, NULL, NULL), an = jnum(av, ck, NULL, NULL);
                    const char **r = &c[rows++ * COLS];
                    r[0] = tg_rpool_printf(p, "failed: %s", ck);
                    r[1] = fmt_num(p, isnan(bn) ? 0 : bn, 1);
                    r[2] = fmt_num(p, isnan(an) ? 0 : an, 1);
                    r[3] = tg_rpool_printf(p, "%+.0f", (isnan(an) ? 0 : an) - (isnan(bn) ? 0 : bn));
                    r[4] = "";
                }
            }
            continue;
        }
        const char **r = &c[rows++ * COLS];
        r[0] = tg_rpool_printf(p, "%s", k);
        if (json_is_number(v) && json_is_number(av)) {
            r[1] = fmt_num(p, json_number_value(v), 1);
            r[2] = fmt_num(p, json_number_value(av), 1);
            r[3] = tg_rpool_printf(p, "%+.0f", json_number_value(av) - json_number_value(v));
        } else {
            r[1] = json_text(p, v);
            r[2] = av ? json_text(p, av) : "";
            r[3] = "";
        }
        r[4] = "";
    }
    /* Latency rows. */
    static const char *const lat[] = { "min", "mean", "p50", "p90", "p95", "p99", "p999", "max" };
    static const char *const lat_name[] = { "min (ms)", "mean (ms)", "P50 (ms)", "P90 (ms)",
                                            "P95 (ms)", "P99 (ms)", "P99.9 (ms)", "max (ms)" };
    for (size_t i = 0; i < sizeof lat / sizeof lat[0] && rows < MAXROWS; i++) {
        double b = jnum(before, "latency_ms", lat[i], NULL);
        double a = jnum(after, "latency_ms", lat[i], NULL);
        if (isnan(a) && isnan(b))
            continue;
        char dk[32];
        snprintf(dk, sizeof dk, "%s_ms", lat[i]);
        double d = jnum(delta, dk, NULL, NULL);
        if (isnan(d))
            d = a - b;
        const char **r = &c[rows++ * COLS];
        r[0] = lat_name[i];
        r[1] = fmt_num(p, b, 0);
        r[2] = fmt_num(p, a, 0);
        r[3] = isnan(d) ? "" : b > 0 ? tg_rpool_printf(p, "%+.1f (%+.1f %%)", d, 100 * d / b)
                                     : tg_rpool_printf(p, "%+.1f", d);
        r[4] = "";
        const json_t *cv = json_object_get(ci, dk);
        if (!cv)
            cv = json_object_get(ci, lat[i]);
        double lo = NAN, hi = NAN;
        if (json_is_array(cv) && json_array_size(cv) == 2) {
            lo = json_number_value(json_array_get(cv, 0));
            hi = json_number_value(json_array_get(cv, 1));
        } else if (json_is_object(cv)) {
            lo = jnum(cv, "lo", NULL, NULL);
            hi = jnum(cv, "hi", NULL, NULL);
        }
        if (!isnan(lo) && !isnan(hi))
            r[4] = tg_rpool_printf(p, "[%+.1f, %+.1f]", lo, hi);
    }
    static const char *const extra[] = { "wall_time_s", "throughput_ips" };
    static const char *const extra_name[] = { "wall time (s)", "throughput (inputs/s)" };
    for (size_t i = 0; i < 2 && rows < MAXROWS; i++) {
        double b = jnum(before, extra[i], NULL, NULL), a = jnum(after, extra[i], NULL, NULL);
        if (isnan(a) && isnan(b))
            continue;
        const char **r = &c[rows++ * COLS];
        r[0] = extra_name[i];
        r[1] = isnan(b) ? "" : tg_rpool_printf(p, "%.2f", b);
        r[2] = isnan(a) ? "" : tg_rpool_printf(p, "%.2f", a);
        r[3] = isnan(a - b) ? "" : b > 0 ? tg_rpool_printf(p, "%+.2f (%+.1f %%)", a - b, 100 * (a - b) / b)
                                         : tg_rpool_printf(p, "%+.2f", a - b);
        r[4] = "";
    }
    pg->cmp = (struct tg_report_table){ rows, COLS, c };
    *cells = c;

    /* Scalars of workload, outputs and sla (nested detail stays in the file;
     * empty lists and nulls say nothing). */
    static const char *const fact_sections[] = { "workload", "outputs", "sla" };
    for (size_t s = 0; s < 3; s++) {
        const char *fk;
        json_t *fv;
        json_object_foreach(json_object_get(root, fact_sections[s]), fk, fv) {
            if (json_is_object(fv) || json_is_null(fv) ||
                (json_is_array(fv) && json_array_size(fv) == 0))
                continue;
            tg_rkv_add(facts, p, tg_rpool_printf(p, "%s.%s", fact_sections[s], fk), json_text(p, fv));
        }
    }
    const json_t *sla = json_object_get(root, "sla");
    const json_t *verdict = json_object_get(sla, "verdict");
    if (json_is_string(verdict)) {
        pg->verdict = tg_rpool_take(p, strdup(json_string_value(verdict)));
        struct tg_buf b = TG_BUF_INIT(4096);
        double p95 = jnum(sla, "after_p95_ms", NULL, NULL);
        if (isnan(p95))
            p95 = jnum(after, "latency_ms", "p95", NULL);
        double lim = jnum(sla, "p95_ms", NULL, NULL);
        double conf = jnum(sla, "confidence", NULL, NULL);
        double over = jnum(sla, "over_limit", NULL, NULL);
        double n = jnum(sla, "n", NULL, NULL);
        if (isnan(n))
            n = jnum(after, "counts", "inputs", NULL);
        const json_t *reasons = json_object_get(sla, "reasons");
        const json_t *met = json_object_get(sla, "met");
        if (!isnan(p95))
            tg_buf_printf(&b, "After P95 %.1f ms", p95);
        if (!isnan(lim))
            tg_buf_printf(&b, " against the SLA P95 \xE2\x89\xA4 %g ms", lim);
        if (json_is_boolean(met))
            tg_buf_printf(&b, "; SLA met: %s", json_is_true(met) ? "yes" : "no");
        if (!isnan(over))
            tg_buf_printf(&b, isnan(n) ? "; %.0f inputs over the limit"
                                       : "; %.0f inputs over the limit", over);
        if (!isnan(over) && !isnan(n))
            tg_buf_printf(&b, " of %.0f", n);
        if (!isnan(conf))
            tg_buf_printf(&b, "; confidence %g %%", conf <= 1 ? conf * 100 : conf);
        if (json_is_string(reasons))
            tg_buf_printf(&b, "; not met: %s", json_string_value(reasons));
        pg->verdict_detail = tg_rpool_take(p, b.data ? b.data : strdup(""));
    }
    json_decref(root);
}

void tg_rpage_analysis(struct tg_rpool *p, const char *path, struct tg_rkvlist *kv,
                                    const char **note)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root || !json_is_object(root)) {
        *note = tg_rpool_printf(p, "%s: not readable JSON (%s, line %d); analysis omitted", path,
                            jerr.text, jerr.line);
        json_decref(root);
        return;
    }
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        if (json_is_array(v))
            continue;   /* raw evidence tables stay in the file */
        flatten(kv, p, tg_rpool_take(p, strdup(k)), v, 1);
    }
    json_decref(root);
}
