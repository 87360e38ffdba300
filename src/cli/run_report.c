/*
 * run_report.c - the end of `tailgate run`: the per-worker writers closed,
 * the stream file completed (fsync, rename), the SLO verdicts judged from
 * the files on disk (run_slo.c), summary.json, the human summary and the
 * stderr lines, and the exit code.
 */
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/run.h"
#include "compare/slo_eval.h"
#include "core/error.h"
#include "core/redact.h"
#include "output/summary.h"
#include "stats/hist.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The stream file is complete: fsync, then rename it into place. */
static int finish_stream_file(struct run *x)
{
    if (x->stream_fd < 0)
        return 0;
    int rc = fsync(x->stream_fd) != 0 ? -errno : 0;
    close(x->stream_fd);
    x->stream_fd = -1;
    if (!rc && rename(x->stream_tmp, x->stream_path) != 0)
        rc = -errno;
    if (rc)
        unlink(x->stream_tmp);
    return rc;
}


/* Inputs per second over a span of n admissions: (n - 1) / span; -1 when
 * fewer than 2 or a zero span. */
static double span_rate(const struct tg_hist *lag, uint64_t first, uint64_t last)
{
    uint64_t n = lag ? tg_hist_count(lag) : 0;
    return n >= 2 && last > first ? (double)(n - 1) / ((double)(last - first) / 1e9) : -1;
}

/* The shape's mean rate: --rate, the stages' expected inputs over their
 * duration, the trace's lines over its (sped-up) span; -1: none. */
static double configured_rate(const struct run *x)
{
    const struct run_opts *o = &x->o;
    if (o->rate > 0)
        return o->rate;
    if (o->nstages && !o->stages_concurrency)
        return tg_stages_arrivals(o->stages, o->nstages) / ((double)tg_stages_duration_ns(o->stages, o->nstages) / 1e9);
    if (x->cfg.ntrace >= 2 && x->cfg.trace_ns[x->cfg.ntrace - 1] > 0)
        return (double)(x->cfg.ntrace - 1) / ((double)x->cfg.trace_ns[x->cfg.ntrace - 1] / 1e9 / o->trace_speed);
    return -1;
}

/* Closes the rows, writes summary.json, prints the summary and the stderr
 * lines.  Returns the exit code. */
int tg_run_report(struct run *x, const struct tg_engine_totals *t)
{
    const struct run_opts *o = &x->o;
    int werr = 0;
    for (uint64_t i = 0; i < o->threads; i++) {
        int a = tg_writer_close(&x->wctx[i].csv), b = tg_writer_close(&x->wctx[i].outs),
            c = tg_writer_close(&x->wctx[i].stream);
        if (!werr)
            werr = a ? a : b ? b : c;
    }
    if (fsync(x->csv_fd) != 0 && !werr)
        werr = -errno;
    int serr = finish_stream_file(x);
    if (serr && !werr)
        werr = serr;

    /* SLOs: judged from the files now on disk (the code compare and tune use) */
    double wall_s = (double)t->wall_ns / 1e9;
    struct tg_slo_eval ev = { 0 };
    char slo_err[320] = "";
    snprintf(x->path, sizeof x->path, "%s/requests.csv", x->out_dir);
    int slo_rc;
    if (werr && o->nslos) {
        slo_rc = TG_EIO;
        snprintf(slo_err, sizeof slo_err, "the results are not whole");
    } else {
        slo_rc = tg_run_slo_eval(o, x->path, x->stream_path[0] ? x->stream_path : NULL, wall_s, t->ok, &ev,
                                 slo_err, sizeof slo_err);
    }
    json_t *slos_json = slo_rc ? json_array() : tg_slo_eval_json(&ev, o->slo_confidence);
    const char *slo_texts[TG_SLO_MAX];
    for (size_t i = 0; i < o->nslos; i++)
        slo_texts[i] = o->slos[i].text;

    /* Observed, so recorded after the run: where server queue/compute came
     * from (the source of most responses that reported any). */
    const char *ts = t->timing_server_timing == 0 && t->timing_headers == 0 ? "none"
                     : t->timing_server_timing >= t->timing_headers        ? "server-timing"
                                                                            : "headers";
    json_object_set_new(x->config, "server_timing_source", json_string(ts));
    json_object_set_new(x->config, "save_stream", x->stream_path[0] ? json_string(x->stream_path) : json_null());

    struct tg_summary_class classes[TG_ERRC_COUNT];
    size_t nclasses = 0;
    for (int c = 1; c < TG_ERRC_COUNT; c++)
        classes[nclasses++] = (struct tg_summary_class){ tg_errc_name((enum tg_errc)c), t->by_class[c] };
    const struct tg_hist *phases[TG_PHASE_COUNT];
    for (int p = 0; p < TG_PHASE_COUNT; p++)
        phases[p] = t->phase[p];
    struct tg_summary sum = {
        .tool_version = TG_VERSION,
        .config = x->config,
        .payload_sha256 = x->payloads->sha256,
        .inputs = t->inputs, .ok = t->ok, .failed = t->failed,
        .classes = classes, .nclasses = nclasses,
        .http_requests = t->http_requests, .connections_opened = t->connections_opened,
        .bytes_out = t->bytes_out, .bytes_in = t->bytes_in,
        .latency = t->latency, .latency_uncorrected = t->latency_uncorrected,
        .phase_names = tg_phase_names, .phases = phases, .nphases = TG_PHASE_COUNT,
        .wall_time_s = (double)t->wall_ns / 1e9,
        .open_loop = tg_run_open_loop(o),
        .send_lag = t->send_lag, .lag_late = t->lag_late, .lag_late_cap = t->lag_late_cap,
        .cap_waited = t->cap_waited,
        .target_rps = span_rate(t->send_lag, t->intended_first_ns, t->intended_last_ns),
        .achieved_rps = span_rate(t->send_lag, t->started_first_ns, t->started_last_ns),
        .configured_rps = configured_rate(x),
        .late_inputs = t->late_inputs,
        .max_lag_ms = (double)t->max_lag_ns / 1e6,
        .mean_lag_ms = t->mean_lag_ns / 1e6,
        .interrupted = t->interrupted,
        .started_at = x->started_at,
        .tls = x->cfg.url.tls,
        .tls_handshakes = t->tls_handshakes,
        .tls_handshake = t->tls_handshake,
        .tls_protocol = t->tls_protocol,
        .tls_cipher = t->tls_cipher,
        .streamed = t->streamed,
        .ttft = t->ttft, .tpot = t->tpot, .itl = t->itl,
        .output_tokens = t->output_tokens,
        .tokens_from_usage = t->tokens_from_usage,
        .slos = slos_json,
        .slo_texts = slo_texts, .nslos = o->nslos,
        .goodput_inputs = slo_rc ? 0 : ev.good,
    };
    x->summary_doc = tg_summary_build(&sum);
    snprintf(x->path, sizeof x->path, "%s/summary.json", x->out_dir);
    int src = x->summary_doc ? tg_summary_write(x->path, x->summary_doc) : -ENOMEM;
    if (!src && !werr && (src = tg_run_manifest_write(x, t)) != 0)   /* a shard's manifest.json */
        snprintf(x->path, sizeof x->path, "%s/manifest.json", x->out_dir);
    json_decref(slos_json);
    tg_summary_print(stdout, &sum, x->out_dir);
    if (o->nslos && !slo_rc)
        tg_slo_eval_print(stdout, &ev, o->slo_confidence);
    fflush(stdout);

    if (werr)
        fprintf(stderr, "tailgate run: writing results failed: %s\n", tg_strerror(werr));
    if (src)
        fprintf(stderr, "tailgate run: cannot write %s: %s\n", x->path, tg_strerror(src));
    /* Over 1 % of inputs more than 1 ms late: the load asked for was not
     * the load sent.  The inputs held back by the in-flight cap are named:
     * with a slow server they are the cap's doing, with a client that falls
     * behind they are its backlog filling the cap. */
    double late = tg_summary_late_fraction(&sum);
    if (sum.open_loop && late > TG_SUMMARY_BEHIND_FRACTION)
        fprintf(stderr, "tailgate run: WARNING: fell behind schedule: %.1f %% of inputs started more than 1 ms late "
                        "(send lag P99 %.1f ms, max %.1f ms; achieved %.0f of %.0f inputs/s; %llu waited for the "
                        "in-flight cap -c %llu)\n",
                100 * late, (double)tg_hist_percentile(t->send_lag, 99) / 1e3, (double)tg_hist_max(t->send_lag) / 1e3,
                sum.achieved_rps, sum.target_rps, (unsigned long long)t->cap_waited,
                (unsigned long long)o->concurrency);
    uint64_t tls_failed = t->by_class[TG_ERRC_TLS];
    if (tls_failed && t->first_tls_error[0])
        fprintf(stderr, "tailgate run: TLS: %s%s\n", t->first_tls_error,
                t->tls_verify_failed ? " (use --cacert FILE or --insecure)" : "");
    char shown[1024];
    if (t->by_class[TG_ERRC_CONNECT] && t->by_class[TG_ERRC_CONNECT] == t->failed && t->ok == 0)
        fprintf(stderr, "tailgate run: %s is unreachable: %s\n", tg_redact_url(o->url, shown, sizeof shown),
                t->first_error);
    else if (t->failed > t->by_class[TG_ERRC_INTERRUPTED] + (t->first_tls_error[0] ? tls_failed : 0))
        fprintf(stderr, "tailgate run: %llu inputs failed; first: %s\n",
                (unsigned long long)(t->failed - t->by_class[TG_ERRC_INTERRUPTED]), t->first_error);

    if (o->nslos && slo_rc)
        fprintf(stderr, "tailgate run: SLOs not judged: %s\n", slo_err);
    bool slo_failed = false;
    for (size_t i = 0; o->nslos && !slo_rc && i < ev.n; i++)
        if (ev.res[i].verdict == TG_VERDICT_FAIL) {
            if (!slo_failed)
                fprintf(stderr, "tailgate run: SLO %s FAILED: p%g %.1f ms, %llu/%llu samples over the limit\n",
                        ev.slo[i].text, ev.slo[i].p * 100, ev.res[i].estimate_ms,
                        (unsigned long long)ev.res[i].over, (unsigned long long)ev.res[i].n);
            slo_failed = true;
        }

    if (t->interrupted)
        return TG_EXIT_INTERRUPTED;
    if (t->failed || werr || src || slo_failed || (o->nslos && slo_rc))
        return TG_EXIT_FAIL;
    return TG_EXIT_OK;
}

