/*
 * report.c - `tailgate report`: reads one run or a Before/After pair (plus
 * comparison.json, analysis.md/json and summary.json when present) and
 * writes report.html and the four charts as SVG files next to it, each
 * atomically (temporary file + rename).
 */
#include "cli/cli.h"
#include "cli/commands.h"
#include "core/fs.h"
#include "cli/report_load.h"

#include "compare/rows.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/time.h"
#include "core/units.h"
#include "report/html.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct report_opts {
    const char *output;
    double sla_p95_ms;
    const char *title;
};

static const struct report_opts defaults = {
    .output = "report.html",
    .sla_p95_ms = 800,
    .title = NULL,
};

static void help(FILE *f)
{
    fprintf(f,
            "usage: tailgate report [-o FILE] [--sla-p95 MS] [--title T] RUN [RUN]\n"
            "\n"
            "Writes a self-contained HTML report (inline SVG and CSS, opens offline) and\n"
            "each chart as its own SVG next to it: cdf.svg, timeline.svg, histogram.svg,\n"
            "phases.svg.  With two runs, the first is Before and the second After; a\n"
            "comparison.json in the -o directory or in the parent of AFTER adds the\n"
            "comparison table and the SLA verdict, and an analysis.md / analysis.json\n"
            "next to it adds the analysis.\n"
            "\n"
            "A RUN is a directory with requests.csv (and summary.json) written by\n"
            "`tailgate run`, or a CSV request_id,timestamp_ms,latency_ms,status_code as\n"
            "input.py writes it (a file, or a directory holding latency.csv).\n"
            "\n"
            "  -o, --output FILE   the HTML file (default %s)\n"
            "      --sla-p95 MS    the P95 limit drawn on the charts (default %g)\n"
            "      --title T       the page title (default: tailgate report: ...)\n"
            "  -h, --help          this text\n"
            "\n"
            "Exit status: 0 written, 1 a file could not be written, 2 usage error or an\n"
            "unreadable run.\n",
            defaults.output, defaults.sla_p95_ms);
}

#define usage_error(...) tg_cli_usage_error("report", __VA_ARGS__)

/* ---- owned strings ---------------------------------------------------------- */

struct pool {
    char **v;
    size_t n, cap;
    int oom;
};

static const char *pool_take(struct pool *p, char *s)
{
    if (!s) {
        p->oom = 1;
        return "";
    }
    if (p->n == p->cap) {
        size_t ncap = p->cap ? p->cap * 2 : 64;
        char **nv = realloc(p->v, ncap * sizeof *nv);
        if (!nv) {
            free(s);
            p->oom = 1;
            return "";
        }
        p->v = nv;
        p->cap = ncap;
    }
    p->v[p->n++] = s;
    return s;
}

static const char *pool_printf(struct pool *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const char *pool_printf(struct pool *p, const char *fmt, ...)
{
    struct tg_buf b = TG_BUF_INIT(0);
    va_list ap;
    va_start(ap, fmt);
    int rc = tg_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (rc) {
        tg_buf_free(&b);
        return pool_take(p, NULL);
    }
    return pool_take(p, b.data ? b.data : strdup(""));
}

static void pool_free(struct pool *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
}

/* A growable list of key/value pairs whose strings live in the pool. */
struct kvlist {
    struct tg_report_kv *v;
    size_t n, cap, max;
};

static void kv_add(struct kvlist *l, struct pool *p, const char *k, const char *v)
{
    if (l->n >= l->max)
        return;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 32;
        struct tg_report_kv *nv = realloc(l->v, ncap * sizeof *nv);
        if (!nv) {
            p->oom = 1;
            return;
        }
        l->v = nv;
        l->cap = ncap;
    }
    l->v[l->n++] = (struct tg_report_kv){ k, v };
}

/* ---- JSON helpers ------------------------------------------------------------- */

static const char *json_text(struct pool *p, const json_t *v)
{
    if (json_is_string(v))
        return pool_take(p, strdup(json_string_value(v)));
    if (json_is_real(v))
        return pool_printf(p, "%.6g", json_real_value(v));
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s && strlen(s) > 600)
        strcpy(s + 597, "...");
    return pool_take(p, s);
}

/* Adds every leaf of v under prefix (dotted keys; arrays of scalars inline). */
static void flatten(struct kvlist *l, struct pool *p, const char *prefix, const json_t *v,
                    int depth)
{
    if (json_is_object(v) && depth < 4) {
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c) {
            const char *key = prefix[0] ? pool_printf(p, "%s.%s", prefix, k)
                                        : pool_take(p, strdup(k));
            flatten(l, p, key, c, depth + 1);
        }
        return;
    }
    if (json_is_null(v))
        return;   /* "does not exist": nothing to show */
    kv_add(l, p, prefix, json_text(p, v));
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
static const char *find_command(struct pool *p, const json_t *root)
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
                return pool_take(p, strdup(json_string_value(v)));
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
                return pool_take(p, b.data ? b.data : strdup(""));
            }
        }
    }
    return NULL;
}

/* An equivalent `tailgate run` command rebuilt from summary.json's config
 * (tailgate run records its effective configuration, not its argv). */
static const char *rebuild_command(struct pool *p, const json_t *cfg)
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
    return pool_take(p, b.data ? b.data : strdup(""));
}

/* Environment and configuration of a run from its summary.json. */
static void run_info_from_summary(struct pool *p, const char *path, struct kvlist *env,
                                  const char **command, const char **origin, const char **note)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root || !json_is_object(root)) {
        *note = pool_printf(p, "%s: not readable JSON (%s, line %d); environment omitted", path,
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
            kv_add(env, p, pool_take(p, strdup(k)), json_text(p, v));
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

static const char *fmt_num(struct pool *p, double v, int is_count)
{
    if (isnan(v))
        return "";
    if (isinf(v))
        return "inf";
    return is_count ? pool_printf(p, "%.0f", v) : pool_printf(p, "%.1f", v);
}

/* The comparison table, facts and verdict from comparison.json. */
static void page_from_comparison(struct pool *p, const char *path, struct tg_report_page *pg,
                                 const char ***cells, struct kvlist *facts, const char **note)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root || !json_is_object(root)) {
        *note = pool_printf(p, "%s: not readable JSON (%s, line %d); comparison omitted", path,
                            jerr.text, jerr.line);
        json_decref(root);
        return;
    }
    pg->cmp_source = pool_take(p, strdup(path));
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
                    r[0] = pool_printf(p, "failed: %s", ck);
                    r[1] = fmt_num(p, isnan(bn) ? 0 : bn, 1);
                    r[2] = fmt_num(p, isnan(an) ? 0 : an, 1);
                    r[3] = pool_printf(p, "%+.0f", (isnan(an) ? 0 : an) - (isnan(bn) ? 0 : bn));
                    r[4] = "";
                }
            }
            continue;
        }
        const char **r = &c[rows++ * COLS];
        r[0] = pool_printf(p, "%s", k);
        if (json_is_number(v) && json_is_number(av)) {
            r[1] = fmt_num(p, json_number_value(v), 1);
            r[2] = fmt_num(p, json_number_value(av), 1);
            r[3] = pool_printf(p, "%+.0f", json_number_value(av) - json_number_value(v));
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
        r[3] = isnan(d) ? "" : b > 0 ? pool_printf(p, "%+.1f (%+.1f %%)", d, 100 * d / b)
                                     : pool_printf(p, "%+.1f", d);
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
            r[4] = pool_printf(p, "[%+.1f, %+.1f]", lo, hi);
    }
    static const char *const extra[] = { "wall_time_s", "throughput_ips" };
    static const char *const extra_name[] = { "wall time (s)", "throughput (inputs/s)" };
    for (size_t i = 0; i < 2 && rows < MAXROWS; i++) {
        double b = jnum(before, extra[i], NULL, NULL), a = jnum(after, extra[i], NULL, NULL);
        if (isnan(a) && isnan(b))
            continue;
        const char **r = &c[rows++ * COLS];
        r[0] = extra_name[i];
        r[1] = isnan(b) ? "" : pool_printf(p, "%.2f", b);
        r[2] = isnan(a) ? "" : pool_printf(p, "%.2f", a);
        r[3] = isnan(a - b) ? "" : b > 0 ? pool_printf(p, "%+.2f (%+.1f %%)", a - b, 100 * (a - b) / b)
                                         : pool_printf(p, "%+.2f", a - b);
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
            kv_add(facts, p, pool_printf(p, "%s.%s", fact_sections[s], fk), json_text(p, fv));
        }
    }
    const json_t *sla = json_object_get(root, "sla");
    const json_t *verdict = json_object_get(sla, "verdict");
    if (json_is_string(verdict)) {
        pg->verdict = pool_take(p, strdup(json_string_value(verdict)));
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
        pg->verdict_detail = pool_take(p, b.data ? b.data : strdup(""));
    }
    json_decref(root);
}

static void page_from_analysis_json(struct pool *p, const char *path, struct kvlist *kv,
                                    const char **note)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root || !json_is_object(root)) {
        *note = pool_printf(p, "%s: not readable JSON (%s, line %d); analysis omitted", path,
                            jerr.text, jerr.line);
        json_decref(root);
        return;
    }
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        if (json_is_array(v))
            continue;   /* raw evidence tables stay in the file */
        flatten(kv, p, pool_take(p, strdup(k)), v, 1);
    }
    json_decref(root);
}

/* ---- files ------------------------------------------------------------------------ */

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* dirname() of a copy, without trailing slashes. */
static char *dir_of(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return NULL;
    size_t n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    char *d = strdup(dirname(copy));
    free(copy);
    return d;
}

/* ---- the command ---------------------------------------------------------------------- */

int tg_cmd_report(int argc, char **argv)
{
    struct report_opts o = defaults;
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'o' },
        { "sla-p95", required_argument, NULL, 's' },
        { "title", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            if (!optarg[0])
                return usage_error("%s-o needs a file name", "");
            o.output = optarg;
            break;
        case 's':
            if (tg_parse_double(optarg, 1e-6, 1e9, &o.sla_p95_ms))
                return usage_error("--sla-p95 must be a positive number of ms, got '%s'",
                                   optarg);
            break;
        case 't':
            o.title = optarg;
            break;
        case 'h':
            help(stdout);
            return TG_EXIT_OK;
        case ':':
            return usage_error("option %s needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s' (see tailgate report --help)",
                               argv[optind - 1]);
        }
    }
    int nruns = argc - optind;
    if (nruns < 1 || nruns > 2)
        return usage_error("%sexpected one RUN or a BEFORE AFTER pair", "");

    int exit_code = TG_EXIT_FAIL;
    struct pool pool = { 0 };
    struct tg_run_data data[2] = { { 0 }, { 0 } };
    struct tg_plot_run runs[2];
    struct tg_report_run_info info[2];
    struct kvlist env[2] = { { .max = 200 }, { .max = 200 } };
    struct kvlist facts = { .max = 60 }, akv = { .max = 80 };
    const char **cmp_cells = NULL;
    const char *notes[8];
    size_t notes_n = 0;
    struct tg_buf svg[TG_CHART_COUNT];
    struct tg_buf html = TG_BUF_INIT(0);
    char *outdir = NULL, *analysis_text = NULL;
    for (int i = 0; i < TG_CHART_COUNT; i++)
        svg[i] = (struct tg_buf)TG_BUF_INIT(0);
    memset(info, 0, sizeof info);

    static const char *const names2[2] = { "Before", "After" };
    for (int k = 0; k < nruns; k++) {
        char err[512] = "";
        int rc = tg_run_load(argv[optind + k], &data[k], err, sizeof err);
        if (rc) {
            fprintf(stderr, "tailgate report: %s\n", err[0] ? err : tg_strerror(rc));
            exit_code = TG_EXIT_USAGE;
            goto out;
        }
        tg_run_data_view(&data[k], nruns == 2 ? names2[k] : "Run", &runs[k]);
        info[k].source = data[k].csv_path;
        info[k].kind = data[k].kind;
        if (data[k].summary_path) {
            const char *note = NULL;
            run_info_from_summary(&pool, data[k].summary_path, &env[k], &info[k].command,
                                  &info[k].command_origin, &note);
            if (note && notes_n < 8)
                notes[notes_n++] = note;
            info[k].env = env[k].v;
            info[k].env_n = env[k].n;
        }
    }

    if (!(outdir = dir_of(o.output))) {
        fprintf(stderr, "tailgate report: out of memory\n");
        goto out;
    }
    struct tg_report_page pg = { 0 };
    char stamp[32] = "";
    tg_utc_iso(stamp, sizeof stamp);
    pg.generated_utc = stamp;
    pg.tool_version = TG_VERSION;
    pg.sla_ms = o.sla_p95_ms;
    pg.runs = runs;
    pg.nruns = (size_t)nruns;
    pg.info = info;
    pg.title = o.title;
    if (!pg.title) {
        char *base = strdup(data[nruns - 1].source);
        pg.title = nruns == 2 ? "tailgate report: Before vs After"
                              : pool_printf(&pool, "tailgate report: %s",
                                            base ? basename(base) : "run");
        free(base);
    }

    /* comparison.json: in the -o directory, else in the parent of AFTER. */
    const char *analysis_dirs[3] = { NULL, NULL, NULL };
    if (nruns == 2) {
        char *after_parent = dir_of(argv[optind + 1]);
        const char *cands[2] = { pool_printf(&pool, "%s/comparison.json", outdir),
                                 after_parent ? pool_printf(&pool, "%s/comparison.json",
                                                            after_parent)
                                              : "" };
        free(after_parent);
        for (int i = 0; i < 2; i++)
            if (is_file(cands[i])) {
                const char *note = NULL;
                page_from_comparison(&pool, cands[i], &pg, &cmp_cells, &facts, &note);
                if (note && notes_n < 8)
                    notes[notes_n++] = note;
                char *d = dir_of(cands[i]);
                analysis_dirs[0] = d ? pool_take(&pool, d) : NULL;
                break;
            }
        pg.cmp_kv = facts.v;
        pg.cmp_kv_n = facts.n;
    }
    if (!analysis_dirs[0]) {
        /* No comparison: the -o directory, then the (last) run's directory. */
        analysis_dirs[0] = outdir;
        analysis_dirs[1] = data[nruns - 1].source;
    }
    for (int i = 0; i < 3 && analysis_dirs[i]; i++) {
        const char *md = pool_printf(&pool, "%s/analysis.md", analysis_dirs[i]);
        const char *js = pool_printf(&pool, "%s/analysis.json", analysis_dirs[i]);
        int have_md = is_file(md), have_js = is_file(js);
        if (!have_md && !have_js)
            continue;
        if (have_md) {
            size_t md_len;
            int rc = tg_read_file(md, (size_t)1 << 20, &analysis_text, &md_len);
            if (rc && notes_n < 8)
                notes[notes_n++] = pool_printf(&pool, "%s: %s; analysis text omitted", md,
                                               tg_strerror(rc));
            pg.analysis_text = analysis_text;
        }
        if (have_js) {
            const char *note = NULL;
            page_from_analysis_json(&pool, js, &akv, &note);
            if (note && notes_n < 8)
                notes[notes_n++] = note;
            pg.analysis_kv = akv.v;
            pg.analysis_n = akv.n;
        }
        pg.analysis_source = have_md && have_js ? pool_printf(&pool, "%s, %s", md, js)
                             : have_md          ? md
                                                : js;
        break;
    }
    for (int k = 0; k < nruns; k++)
        if (!tg_plot_run_has_phases(&runs[k]) && notes_n < 8) {
            notes[notes_n++] = pool_printf(&pool, "%s (%s) has latencies only: its phase "
                                           "breakdown is not measured.", runs[k].name,
                                           data[k].csv_path);
        }
    pg.notes = notes;
    pg.notes_n = notes_n;
    if (pool.oom) {
        fprintf(stderr, "tailgate report: out of memory\n");
        goto out;
    }

    int rc = tg_report_render_charts(runs, (size_t)nruns, o.sla_p95_ms, svg);
    if (!rc)
        rc = tg_report_html(&pg, svg, &html);
    if (rc) {
        fprintf(stderr, "tailgate report: rendering failed: %s\n", tg_strerror(rc));
        goto out;
    }
    if ((rc = tg_mkdir_p(outdir))) {
        fprintf(stderr, "tailgate report: cannot create %s: %s\n", outdir, tg_strerror(rc));
        goto out;
    }
    for (int i = 0; i < TG_CHART_COUNT; i++) {
        const char *path = pool_printf(&pool, "%s/%s", outdir,
                                       tg_report_chart_file((enum tg_report_chart)i));
        if ((rc = tg_write_file_atomic(path, svg[i].data, svg[i].len))) {
            fprintf(stderr, "tailgate report: cannot write %s: %s\n", path, tg_strerror(rc));
            goto out;
        }
    }
    if ((rc = tg_write_file_atomic(o.output, html.data, html.len))) {
        fprintf(stderr, "tailgate report: cannot write %s: %s\n", o.output, tg_strerror(rc));
        goto out;
    }
    printf("report: %s (charts: %s/{cdf,timeline,histogram,phases}.svg)\n", o.output, outdir);
    exit_code = TG_EXIT_OK;
out:
    for (int k = 0; k < 2; k++) {
        tg_run_data_free(&data[k]);
        free(env[k].v);
    }
    for (int i = 0; i < TG_CHART_COUNT; i++)
        tg_buf_free(&svg[i]);
    tg_buf_free(&html);
    free(facts.v);
    free(akv.v);
    free(cmp_cells);
    free(outdir);
    free(analysis_text);
    pool_free(&pool);
    return exit_code;
}
