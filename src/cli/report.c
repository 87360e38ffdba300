/*
 * report.c - `tailgate report`: reads one run or a Before/After pair (plus
 * comparison.json, analysis.md/json and summary.json when present) and
 * writes report.html and the four charts as SVG files next to it, each
 * atomically (temporary file + rename).
 */
#include "cli/cli.h"
#include "cli/commands.h"
#include "core/fs.h"
#include "cli/report_curves.h"
#include "cli/report_load.h"
#include "cli/report_server.h"
#include "cli/report_pages.h"

#include "compare/rows.h" /* tg_read_file */
#include "core/buf.h"
#include "core/error.h"
#include "core/time.h"
#include "core/units.h"
#include "report/html.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CURVE_ARGS 8

struct report_opts {
    const char *output;
    double sla_p95_ms;
    const char *title;
    const char *curves[MAX_CURVE_ARGS];   /* --curve, as given */
    size_t ncurves;
};

static const struct report_opts defaults = {
    .output = "report.html",
    .sla_p95_ms = 800,
    .title = NULL,
};

static void help(FILE *f)
{
    fprintf(f,
            "usage: tailgate report [-o FILE] [--sla-p95 MS] [--title T] [--curve PATH]... RUN [RUN]\n"
            "\n"
            "Writes a self-contained HTML report (inline SVG and CSS, opens offline) and\n"
            "each chart as its own SVG next to it: cdf.svg, timeline.svg, histogram.svg,\n"
            "phases.svg.  With two runs, the first is Before and the second After; a\n"
            "comparison.json in the -o directory or in the parent of AFTER adds the\n"
            "comparison table and the SLA verdict, and an analysis.md / analysis.json\n"
            "next to it adds the analysis.  A capacity.json or sweep.json (tailgate\n"
            "capacity / sweep) in the -o directory or in a RUN's directory adds its\n"
            "latency-against-load curve; so do those in the capacity* and sweep*\n"
            "subdirectories of a directory holding comparison.json (./run_tests).\n"
            "\n"
            "A RUN is a directory with requests.csv (and summary.json) written by\n"
            "`tailgate run`, or a CSV request_id,timestamp_ms,latency_ms,status_code as\n"
            "input.py writes it (a file, or a directory holding latency.csv).\n"
            "\n"
            "  -o, --output FILE   the HTML file (default %s)\n"
            "      --sla-p95 MS    the P95 limit drawn on the charts (default %g)\n"
            "      --title T       the page title (default: tailgate report: ...)\n"
            "      --curve PATH    also draw this capacity.json / sweep.json, or those in the\n"
            "                      directory PATH and its capacity*/sweep* subdirectories\n"
            "                      (repeatable, at most %d)\n"
            "  -h, --help          this text\n"
            "\n"
            "Exit status: 0 written, 1 a file could not be written, 2 usage error or an\n"
            "unreadable run, 4 out of memory.\n",
            defaults.output, defaults.sla_p95_ms, MAX_CURVE_ARGS);
}

#define usage_error(...) tg_cli_usage_error("report", __VA_ARGS__)

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

/* ---- capacity and sweep curves ------------------------------------------------------- */

/* --curve paths first, then the -o directory, the comparison's directory
 * (with its capacity* and sweep* subdirectories: ./run_tests' results) and each
 * run's directory.  A file found twice is drawn once. */
static void find_curves(struct tg_rcurves *c, struct tg_rpool *pool, const struct report_opts *o,
                        const char *outdir, const char *cmp_dir, const struct tg_run_data *data,
                        int nruns, const char **notes, size_t *notes_n, size_t notes_max)
{
    for (size_t i = 0; i < o->ncurves; i++) {
        struct stat st;
        if (stat(o->curves[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            size_t before = c->n;
            tg_rcurves_find(c, pool, o->curves[i], true, notes, notes_n, notes_max);
            if (c->n == before && *notes_n < notes_max)
                notes[(*notes_n)++] = tg_rpool_printf(pool, "--curve %s: no capacity.json or sweep.json "
                                                      "there", o->curves[i]);
        } else {
            const char *note = NULL;
            tg_rcurves_load(c, pool, o->curves[i], &note);
            if (note && *notes_n < notes_max)
                notes[(*notes_n)++] = note;
        }
    }
    char cmp_here[TG_PATH_MAX];
    snprintf(cmp_here, sizeof cmp_here, "%s/comparison.json", outdir);
    tg_rcurves_find(c, pool, outdir, is_file(cmp_here), notes, notes_n, notes_max);
    if (cmp_dir)
        tg_rcurves_find(c, pool, cmp_dir, true, notes, notes_n, notes_max);
    for (int k = 0; k < nruns; k++) {
        char *d = data[k].csv_path ? dir_of(data[k].csv_path) : NULL;
        if (d)
            tg_rcurves_find(c, pool, d, false, notes, notes_n, notes_max);
        free(d);
    }
}

/* ---- the command ---------------------------------------------------------------------- */

int tg_cmd_report(int argc, char **argv)
{
    struct report_opts o = defaults;
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'o' },
        { "sla-p95", required_argument, NULL, 's' },
        { "title", required_argument, NULL, 't' },
        { "curve", required_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    optind = 1;
    opterr = 0;
    int c;
    while ((c = tg_cli_getopt_long(argc, argv, ":o:h", longopts)) != -1) {
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
        case 'C': {
            struct stat st;
            if (o.ncurves == MAX_CURVE_ARGS)
                return usage_error("at most %d --curve", MAX_CURVE_ARGS);
            if (stat(optarg, &st) != 0)
                return usage_error("--curve %s: %s", optarg, strerror(errno));
            o.curves[o.ncurves++] = optarg;
            break;
        }
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
    struct tg_rpool pool = { 0 };
    struct tg_run_data data[2] = { { 0 }, { 0 } };
    struct tg_plot_run runs[2];
    struct tg_report_run_info info[2];
    struct tg_rkvlist env[2] = { { .max = 200 }, { .max = 200 } };
    struct tg_rkvlist facts = { .max = 60 }, akv = { .max = 80 };
    const char **cmp_cells = NULL;
    const char *notes[16];
    struct tg_rcurves curves = { 0 };
    size_t notes_n = 0;
    struct tg_buf svg[TG_CHART_COUNT];
    struct tg_buf srv[2] = { { 0 }, { 0 } };   /* the scraped server charts, Before/After */
    struct tg_report_figure fig[2];
    size_t nsrv = 0;
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
            tg_rpage_run_info(&pool, data[k].summary_path, &env[k], &info[k].command,
                                  &info[k].command_origin, &note);
            if (note && notes_n < 16)
                notes[notes_n++] = note;
            info[k].env = env[k].v;
            info[k].env_n = env[k].n;
        }
    }

    if (!(outdir = dir_of(o.output))) {
        exit_code = tg_cli_resource_error("report", "out of memory");
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
                              : tg_rpool_printf(&pool, "tailgate report: %s",
                                            base ? basename(base) : "run");
        free(base);
    }

    /* comparison.json: in the -o directory, else in the parent of AFTER. */
    const char *analysis_dirs[3] = { NULL, NULL, NULL };
    const char *cmp_dir = NULL;   /* where comparison.json was found */
    if (nruns == 2) {
        char *after_parent = dir_of(argv[optind + 1]);
        const char *cands[2] = { tg_rpool_printf(&pool, "%s/comparison.json", outdir),
                                 after_parent ? tg_rpool_printf(&pool, "%s/comparison.json",
                                                            after_parent)
                                              : "" };
        free(after_parent);
        for (int i = 0; i < 2; i++)
            if (is_file(cands[i])) {
                const char *note = NULL;
                tg_rpage_comparison(&pool, cands[i], &pg, &cmp_cells, &facts, &note);
                if (note && notes_n < 16)
                    notes[notes_n++] = note;
                char *d = dir_of(cands[i]);
                analysis_dirs[0] = d ? tg_rpool_take(&pool, d) : NULL;
                cmp_dir = analysis_dirs[0];
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
        const char *md = tg_rpool_printf(&pool, "%s/analysis.md", analysis_dirs[i]);
        const char *js = tg_rpool_printf(&pool, "%s/analysis.json", analysis_dirs[i]);
        int have_md = is_file(md), have_js = is_file(js);
        if (!have_md && !have_js)
            continue;
        if (have_md) {
            size_t md_len;
            int rc = tg_read_file(md, (size_t)1 << 20, &analysis_text, &md_len);
            if (rc && notes_n < 16)
                notes[notes_n++] = tg_rpool_printf(&pool, "%s: %s; analysis text omitted", md,
                                               tg_strerror(rc));
            pg.analysis_text = analysis_text;
        }
        if (have_js) {
            const char *note = NULL;
            tg_rpage_analysis(&pool, js, &akv, &note);
            if (note && notes_n < 16)
                notes[notes_n++] = note;
            pg.analysis_kv = akv.v;
            pg.analysis_n = akv.n;
        }
        pg.analysis_source = have_md && have_js ? tg_rpool_printf(&pool, "%s, %s", md, js)
                             : have_md          ? md
                                                : js;
        break;
    }
    for (int k = 0; k < nruns; k++)
        if (!tg_plot_run_has_phases(&runs[k]) && notes_n < 16) {
            notes[notes_n++] = tg_rpool_printf(&pool, "%s (%s) has latencies only: its phase "
                                           "breakdown is not measured.", runs[k].name,
                                           data[k].csv_path);
        }
    find_curves(&curves, &pool, &o, outdir, cmp_dir, data, nruns, notes, &notes_n, 16);
    pg.curves = curves.v;
    pg.ncurves = curves.n;
    /* run --scrape: the server's own queue / running series, one extra chart */
    if (tg_mkdir_p(outdir) == 0)
        for (int k = 0; k < nruns && notes_n < 8; k++) {
            char note[600] = "";
            const char *file = nruns == 1 ? "server_metrics.svg" : k ? "server_metrics_after.svg" : "server_metrics_before.svg";
            int sc = tg_report_server_chart(&data[k], outdir, file, note, sizeof note);
            const char *path = sc == 1 ? tg_rpool_printf(&pool, "%s/%s", outdir, file) : NULL;
            char *doc = NULL;
            size_t len = 0;
            if (path && tg_read_file(path, 16u << 20, &doc, &len) == 0 && tg_buf_append(&srv[nsrv], doc, len) == 0) {
                fig[nsrv] = (struct tg_report_figure){ tg_rpool_printf(&pool, "%s (%s)", note, file), &srv[nsrv] };
                nsrv++;
            } else if (sc != 0 && note[0]) {
                notes[notes_n++] = tg_rpool_printf(&pool, "%s", note);
            }
            free(doc);
        }
    pg.extra = fig;
    pg.nextra = nsrv;
    pg.notes = notes;
    pg.notes_n = notes_n;
    if (pool.oom) {
        exit_code = tg_cli_resource_error("report", "out of memory");
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
        const char *path = tg_rpool_printf(&pool, "%s/%s", outdir,
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
    printf("report: %s (charts: %s/{cdf,timeline,histogram,phases}.svg", o.output, outdir);
    for (size_t i = 0; i < curves.n; i++)
        printf("%s%s", i ? ", " : "; curves from ", curves.v[i].source);
    printf(")\n");
    exit_code = TG_EXIT_OK;
out:
    for (int k = 0; k < 2; k++) {
        tg_run_data_free(&data[k]);
        if (k == 0)
            tg_rcurves_free(&curves);
        free(env[k].v);
    }
    for (int i = 0; i < TG_CHART_COUNT; i++)
        tg_buf_free(&svg[i]);
    tg_buf_free(&html);
    tg_buf_free(&srv[0]);
    tg_buf_free(&srv[1]);
    free(facts.v);
    free(akv.v);
    free(cmp_cells);
    free(outdir);
    free(analysis_text);
    tg_rpool_free(&pool);
    return exit_code;
}
