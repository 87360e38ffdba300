/*
 * analyze.c - `tailgate analyze [--probe URL] [-o DIR] [RUN]`: the evidence
 * behind the latency, from a run's files (passive) and short bounded probes
 * (active).  Writes analysis.json and analysis.md; prints the verdict.
 * This file is the run; the options and --help are analyze_opts.c.
 */
#include "api/api.h"
#include "analyze/active.h"
#include "analyze/analyze.h"
#include "analyze/probe.h"
#include "analyze/prows.h"
#include "analyze/report.h"
#include "cli/analyze_cut.h"
#include "cli/analyze_opts.h"
#include "cli/analyze_stream.h"
#include "cli/cli.h"
#include "cli/endpoint.h"
#include "cli/commands.h"
#include "cli/analyze_scrape.h"
#include "cli/scrape.h"
#include "core/fs.h"
#include "core/error.h"
#include "core/redact.h"
#include "core/time.h"
#include "stats/percentile.h"

#include <errno.h>
#include <signal.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#define usage(...) tg_cli_usage_error("analyze", __VA_ARGS__)

/* concurrency and wall time from RUN/summary.json, when there is one */
static void run_summary(const char *run, uint64_t *conc, double *wall_s)
{
    char path[4200];
    struct stat st;
    if (stat(run, &st) != 0 || !S_ISDIR(st.st_mode))
        return;
    snprintf(path, sizeof path, "%s/summary.json", run);
    json_t *root = json_load_file(path, 0, NULL);
    if (!root)
        return;
    json_t *c = json_object_get(json_object_get(root, "config"), "concurrency");
    if (json_is_integer(c) && json_integer_value(c) > 0)
        *conc = (uint64_t)json_integer_value(c);
    json_t *w = json_object_get(root, "wall_time_s");
    if (json_is_number(w))
        *wall_s = json_number_value(w);
    json_decref(root);
}

/* Passive batch points: one execution per distinct HTTP request. */
static size_t passive_points(const struct tg_prows *r, struct tg_batch_point *pts, size_t cap, bool *st)
{
    size_t n = 0;
    *st = true;
    uint32_t sizes[TG_ACTIVE_MAX_POINTS];
    size_t ns = 0;
    for (size_t i = 0; i < r->n && ns < TG_ACTIVE_MAX_POINTS; i++) {
        const struct tg_prow *p = &r->v[i];
        if (!p->ok || !p->batch_size)
            continue;
        bool seen = false;
        for (size_t k = 0; k < ns && !seen; k++)
            seen = sizes[k] == p->batch_size;
        if (!seen)
            sizes[ns++] = p->batch_size;
    }
    if (ns < 2)
        return 0;
    double *v = malloc(r->n * sizeof *v);
    if (!v)
        return 0;
    for (size_t k = 0; k < ns && n < cap; k++) {
        size_t m = 0;
        uint64_t last = UINT64_MAX;
        for (size_t i = 0; i < r->n; i++) {
            const struct tg_prow *p = &r->v[i];
            if (!p->ok || p->batch_size != sizes[k] || (p->has_http_id && p->http_request_id == last))
                continue;
            last = p->http_request_id;
            double ms = isnan(p->server_compute_ms) ? p->service_ms : p->server_compute_ms;
            if (isnan(p->server_compute_ms))
                *st = false;
            if (!isnan(ms))
                v[m++] = ms;
        }
        if (!m)
            continue;
        double mn = INFINITY, mx = -INFINITY;
        for (size_t i = 0; i < m; i++) {
            mn = fmin(mn, v[i]);
            mx = fmax(mx, v[i]);
        }
        pts[n++] = (struct tg_batch_point){ .batch = sizes[k], .n = m, .median_ms = tg_median(v, m),
                                            .min_ms = mn, .max_ms = mx };
    }
    free(v);
    return n;
}
int tg_cmd_analyze(int argc, char **argv)
{
    struct analyze_opts o;
    const char *run_path;
    int rc = tg_analyze_parse_opts(argc, argv, &o, &run_path);
    if (rc >= 0)
        return rc;   /* --help or a usage error */
    struct tg_prows run = { 0 }, base = { 0 };
    struct tg_probe_target target;
    bool have_target = false;
    struct tg_active act = { 0 };
    struct tg_sweep_point sweep[TG_ACTIVE_MAX_POINTS + 1];
    struct tg_batch_point ppts[TG_ACTIVE_MAX_POINTS];
    double *jitter = NULL;
    json_t *doc = NULL;
    char *md = NULL;
    size_t mdlen = 0;
    char err[512], out_buf[256];
    struct tg_cli_scrape scr = { 0 };    /* --scrape, and the scraped server series */

    signal(SIGPIPE, SIG_IGN);   /* https: OpenSSL writes with write(2) (engine/tls.h) */
    if (o.probe && tg_probe_catch_signals() != 0)
        return usage("cannot install the SIGINT/SIGTERM handlers: %s", strerror(errno));
    struct tg_cli_cut prog = { .quiet = o.quiet };
    struct tg_analysis a = { 0 };
    bool cut = false;   /* an interrupt cut the probes short */

    uint64_t conc = 0;
    double wall_s = NAN;
    if (run_path) {
        if (tg_prows_load(run_path, &run, err, sizeof err) != 0) {
            rc = usage("%s", err);
            goto out;
        }
        run_summary(run_path, &conc, &wall_s);
    }
    uint64_t run_conc = conc;   /* the run's own, before -c sets the probes' */
    if (o.concurrency)
        conc = o.concurrency;
    if (!conc)
        conc = 20;
    if (o.baseline_csv && tg_prows_load(o.baseline_csv, &base, err, sizeof err) != 0) {
        rc = usage("%s", err);
        goto out;
    }

    const char *out_dir = o.out;
    if (!out_dir) {
        struct stat st;
        if (run_path && stat(run_path, &st) == 0 && S_ISDIR(st.st_mode)) {
            out_dir = run_path;
        } else {
            char stamp[32];
            tg_utc_stamp(stamp, sizeof stamp);
            snprintf(out_buf, sizeof out_buf, "results/analysis-%s", stamp);
            out_dir = out_buf;
        }
    }
    int mrc = tg_mkdir_p(out_dir);
    if (mrc) {
        rc = usage("cannot create %s: %s", out_dir, strerror(-mrc));
        goto out;
    }

    /* the run's own point on the sweep: it has the concurrency's rows already */
    bool run_has_phases = run_path && (run.have & TG_PROWS_PHASES);
    if (o.probe) {
        have_target = true;
        if ((rc = tg_cli_endpoint_target("analyze", &o.ep, o.probe, o.payloads, &target)) != 0)
            goto out;
        struct tg_active_opts ao = {
            .concurrency = (uint32_t)conc,
            .sweep_top = !run_has_phases,
            .sweep = true,
            .connections = true,
            .batch_budget_s = o.budget_s,
            .progress = tg_cli_cut_progress,
            .progress_ctx = &prog,
        };
        if (o.scrape && (rc = tg_cli_scrape_begin(&scr, o.scrape, o.scrape_interval_ns, o.ep.cacert,
                                                          o.ep.insecure, out_dir)) != 0)
            goto out;
        int prc = tg_active_probe(&target, &ao, &act, err, sizeof err);
        tg_cli_scrape_end(&scr, o.quiet);
        if (prc != 0) {
            if (!tg_probe_interrupted()) {
                fprintf(stderr, "tailgate analyze: %s\n", err);
                rc = TG_EXIT_FAIL;
                goto out;
            }
            cut = true;
            tg_cli_cut_drop(&prog, &act, &a);
        }
    }

    a.run = run_path;
    char probe_shown[2048]; /* the URL as recorded: secrets redacted */
    a.probe_url = o.probe ? tg_redact_url(o.probe, probe_shown, sizeof probe_shown) : NULL;
    a.baseline_csv = o.baseline_csv;
    a.concurrency = (uint32_t)conc;
    a.saturated = -1;
    a.slots = NAN;
    a.overhead_ms = NAN;
    a.cause_share = NAN;
    a.p50_ms = a.p95_ms = a.p99_ms = a.mean_ms = a.wall_s = NAN;

    /* the rows to decompose: the run's, else the probe's top sweep point */
    const struct tg_prows *rows = run_path ? &run : act.top_rows.n ? &act.top_rows : NULL;
    double rows_wall = run_path ? wall_s : act.top_wall_s;
    if (rows) {
        double *lat;
        size_t n;
        if (tg_prows_ok_latencies(rows, &lat, &n) == 0 && n) {
            double s = 0;
            for (size_t i = 0; i < n; i++)
                s += lat[i];
            a.has_run = run_path != NULL;
            a.p50_ms = tg_percentile_sorted(lat, n, 50);
            a.p95_ms = tg_percentile_sorted(lat, n, 95);
            a.p99_ms = tg_percentile_sorted(lat, n, 99);
            a.mean_ms = s / (double)n;
            free(lat);
        }
        a.inputs = rows->n;
        for (size_t i = 0; i < rows->n; i++)
            a.ok += rows->v[i].ok;
        a.failed = a.inputs - a.ok;
        a.wall_s = isfinite(rows_wall) && rows_wall > 0 ? rows_wall : tg_prows_wall_s(rows);
        a.has_decomp = tg_decomp_compute(rows, &a.decomp) == 0;
        a.has_little = tg_little_check(rows, a.wall_s, (double)conc, &a.little) == 0;
    }

    /* the sweep: probed points, then the run's own (at its concurrency) */
    size_t ns = 0;
    for (size_t i = 0; i < act.nsweep; i++)
        sweep[ns++] = act.sweep[i];
    if (run_has_phases && a.has_little && o.probe && a.ok)
        sweep[ns++] = (struct tg_sweep_point){
            .concurrency = (uint32_t)conc, .inputs = a.inputs, .ok = a.ok, .failed = a.failed,
            .throughput_ips = a.little.throughput_ips, .p50_ms = a.p50_ms, .p95_ms = a.p95_ms,
            .mean_ms = a.mean_ms, .from_run = true,
        };
    a.sweep = sweep;
    a.nsweep = ns;
    uint32_t knee = 0;
    int sat = tg_sweep_saturated(sweep, ns, 0.15, &knee);
    if (sat >= 0) {
        a.saturated = sat;
        a.knee = knee;
        a.saturation_evidence = "concurrency sweep: throughput at the top concurrency vs half of it";
    } else if (a.has_decomp && a.decomp.server_timing) {
        /* no sweep: inputs that wait longer than they execute even at the median met a busy server */
        const struct tg_decomp_band *b = &a.decomp.band[0];
        a.saturated = b->comp_ms[TG_COMP_SERVER_QUEUE] > b->comp_ms[TG_COMP_SERVER_COMPUTE];
        a.saturation_evidence = "server queue vs compute at P50 (no sweep)";
    }

    /* batch cost: the probe's curve, else the run's own batch sizes */
    const struct tg_batch_point *bp = act.bpts;
    size_t nbp = act.nbpts;
    bool from_st = act.from_server_timing;
    if (nbp < 2 && run_path) {
        nbp = passive_points(&run, ppts, TG_ACTIVE_MAX_POINTS, &from_st);
        bp = ppts;
    }
    a.max_batch = act.max_batch;
    a.max_batch_exact = act.max_batch_exact;
    a.budget_cut = act.budget_cut;
    if (nbp >= 2 && tg_batch_fit(bp, nbp, (uint32_t)conc, a.max_batch, from_st, &a.bfit) == 0) {
        a.has_fit = true;
        a.bpts = bp;
        a.nbpts = nbp;
        if (!a.max_batch)
            a.max_batch = bp[nbp - 1].batch;
        jitter = tg_active_jitter(&act, &a.bfit.fit, &a.njitter);
        a.jitter = jitter;
    }
    a.overhead_ms = act.overhead_ms;
    if (!isfinite(a.overhead_ms) && a.has_decomp && a.decomp.server_timing)
        a.overhead_ms = a.decomp.band[0].comp_ms[TG_COMP_TRANSFER];
    if (a.has_fit && ns) {
        double best = 0;
        for (size_t i = 0; i < ns; i++)
            if (sweep[i].ok && sweep[i].throughput_ips > best)
                best = sweep[i].throughput_ips;
        double t1 = tg_fit_eval(&a.bfit.fit, 1) + (isfinite(a.overhead_ms) ? a.overhead_ms : 0);
        if (best > 0 && t1 > 0)
            a.slots = best * t1 / 1000.0;
    }
    if (act.has_conn) {
        a.has_conn = true;
        a.conn = act.conn;
    } else if (run_path && tg_conn_cost(&run, &a.conn) == 0 && a.conn.n_new && a.conn.n_reused) {
        a.has_conn = true;
    }
    if (o.baseline_csv)
        a.has_client = tg_client_overhead(&base, &run, &a.client) == 0;
    double *mjit = NULL;
    if (o.probe && !cut && tg_active_model(&act, &a.model, &mjit) == 0) {
        a.has_model = true;
        free(mjit);   /* the same factors as `jitter` when fitted; the file keeps batch_fit's */
        a.model.jitter = NULL;
        a.model.njitter = 0;
    }
    a.cause = tg_dominant_cause(&a.decomp, a.saturated, a.has_fit ? a.bfit.gain_at_c : NAN, &a.cause_share);
    if (!a.has_decomp)
        a.cause = TG_CAUSE_UNKNOWN;
    /* the server's own series: the run's scrape (it matches the rows), else the probes' */
    tg_cli_scrape_evidence(&scr, &a, run_path, run_path ? &run : NULL, &act.top_rows, out_dir);
    a.probe_s = act.elapsed_s;
    a.probe_inputs = act.probe_inputs;
    const struct tg_api *dialect = tg_api_find(o.ep.api);
    char time_headers[160] = "";
    if (dialect->queue_time_header || dialect->compute_time_header) {
        snprintf(time_headers, sizeof time_headers, "%s%s%s", dialect->queue_time_header ? dialect->queue_time_header : "",
                 dialect->queue_time_header && dialect->compute_time_header ? ", " : "",
                 dialect->compute_time_header ? dialect->compute_time_header : "");
        a.time_headers = time_headers;
    }
    a.api = dialect->name;
    a.rtt_ms = a.transfer_ms = NAN;
    if (o.probe) {
        a.exec_source = act.exec_source;
        a.rtt_ms = act.rtt_ms;
        a.transfer_ms = act.transfer_ms;
        a.max_batch_evidence = act.max_batch_evidence;
        a.max_batch_status = act.max_batch_status;
        a.max_batch_message = act.max_batch_message;
        a.max_batch_named = act.max_batch_named;
    }
    tg_analysis_sentence(&a);
    tg_cli_scrape_sentence(&scr, &a);

    /* streams: a run that streamed, or a probe of a streaming dialect */
    struct tg_cli_stream st = { 0 };
    bool streaming = (run_path && (run.have & TG_PROWS_STREAM)) || (o.probe && dialect->stream_event);
    if (streaming)
        tg_cli_stream_analyze(run_path ? &run : NULL, (uint32_t)(run_conc ? run_conc : conc), (uint32_t)conc,
                              o.probe ? &target : NULL, &o.slo, o.quiet, &st);
    a.interrupted = o.probe && tg_probe_interrupted();
    if (st.interrupted) {
        if (!a.interrupted_during)
            a.interrupted_during = "stream probes";
        a.not_measured[a.n_not_measured++] = "stream probes";
    }

    /* the files */
    char path[4200];
    doc = tg_analysis_json(&a);
    if (doc && o.probe) {
        /* how the probes reached the endpoint: header names, secret values redacted */
        tg_cli_endpoint_record(json_object_get(doc, "source"), &o.ep, &target);
    }
    if (doc && streaming)
        json_object_set_new(doc, "stream", tg_cli_stream_json(&st));
    if (doc)
        json_object_set_new(doc, "server_metrics", tg_cli_scrape_json(&scr));
    snprintf(path, sizeof path, "%s/analysis.json", out_dir);
    int wrc = doc ? tg_report_write_json(path, doc) : -ENOMEM;
    if (wrc == 0) {
        FILE *mf = open_memstream(&md, &mdlen);
        if (!mf || tg_analysis_md(mf, &a) != 0 || (streaming && tg_cli_stream_md(mf, &st) != 0) ||
            tg_cli_scrape_md(mf, &scr) != 0)
            wrc = -ENOMEM;
        if (mf && fclose(mf) != 0)
            wrc = -ENOMEM;
        snprintf(path, sizeof path, "%s/analysis.md", out_dir);
        if (wrc == 0)
            wrc = tg_write_file_atomic(path, md, mdlen);
    }
    if (wrc) {
        fprintf(stderr, "tailgate analyze: cannot write %s: %s\n", path, tg_strerror(wrc));
        rc = TG_EXIT_FAIL;
        goto out;
    }

    if (a.interrupted) {
        char kept[200], not_measured[160] = "nothing";
        for (size_t i = 0, k = 0; i < a.n_not_measured; i++)
            k += (size_t)snprintf(not_measured + k, sizeof not_measured - k, "%s%s", i ? ", " : "", a.not_measured[i]);
        fprintf(stderr, "tailgate analyze: interrupted %s%s: kept %s%s; not measured: %s; wrote %s/analysis.json, "
                        "%s/analysis.md (\"interrupted\": true)\n",
                a.interrupted_during ? "during the " : "after the probes", a.interrupted_during ? a.interrupted_during : "",
                run_path ? "the run's sections and " : "", tg_cli_cut_kept(&act, &st, kept, sizeof kept),
                not_measured, out_dir, out_dir);
        rc = TG_EXIT_INTERRUPTED;
        goto out;
    }
    if (streaming && st.done)
        printf("%s\n", st.sa.sentence);
    else if (streaming)
        printf("Streams: not analysed: %s.\n", st.note);
    printf("%s\n", a.sentence);
    if (streaming && st.done)
        printf("stream dominant cause: %s (%s)\n", tg_stream_cause_name(st.sa.cause), st.sa.cause_metric);
    printf("dominant cause: %s", tg_cause_name(a.cause));
    if (isfinite(a.cause_share))
        printf(" (%.0f %% of the P95 band)", 100 * a.cause_share);
    printf("; saturated: %s", a.saturated == 1 ? "yes" : a.saturated == 0 ? "no" : "unknown");
    if (a.has_fit)
        printf("; t(b) = %.2f + %.3f*b ms (R^2 %.3f, max batch %s%u)", a.bfit.fit.alpha, a.bfit.fit.beta,
               a.bfit.fit.r2, a.max_batch_exact ? "" : ">=", a.max_batch);
    printf("\n");
    if (ns) {
        printf("sweep:");
        for (size_t i = 0; i < ns; i++)
            printf(" c=%u %.1f/s P95 %.0f ms%s", sweep[i].concurrency, sweep[i].throughput_ips, sweep[i].p95_ms,
                   i + 1 < ns ? ";" : "");
        printf("\n");
    }
    printf("written: %s/analysis.json, %s/analysis.md", out_dir, out_dir);
    if (o.probe)
        printf(" (probes: %llu inputs, %.1f s)", (unsigned long long)act.probe_inputs, act.elapsed_s);
    printf("\n");
    rc = TG_EXIT_OK;
out:
    tg_cli_scrape_free(&scr);
    json_decref(doc);
    free(md);
    free(jitter);
    tg_active_free(&act);
    if (have_target)
        tg_probe_target_free(&target);
    tg_prows_free(&run);
    tg_prows_free(&base);
    return rc;
}
