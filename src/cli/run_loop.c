/*
 * run_loop.c - `tailgate run` while the load runs: the metrics endpoint
 * (--metrics-listen) up before the first input, the engine driven to its end
 * with signals (SIGINT/SIGTERM interrupt it) and progress lines, the scraper
 * (--scrape) stopped when the load ends, and --metrics-linger afterwards.
 */
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/run.h"
#include "cli/scrape.h"
#include "core/error.h"
#include "core/redact.h"
#include "core/time.h"
#include "engine/engine.h"
#include "output/progress.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define usage(...) tg_cli_usage_error("run", __VA_ARGS__)
#define resource(...) tg_cli_resource_error("run", __VA_ARGS__)

/* ---- progress -------------------------------------------------------------------- */

static unsigned term_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0)
        return ws.ws_col;
    return 0;
}

static void progress_tick(struct tg_progress *p, const struct tg_engine *e, struct run_wctx *w, uint64_t n,
                          uint64_t now)
{
    struct tg_progress_lat *lats[256];
    for (uint64_t i = 0; i < n && i < 256; i++)
        lats[i] = w[i].lat;
    tg_progress_collect(p, lats, n < 256 ? (size_t)n : 256);
    uint64_t done, failed;
    tg_engine_progress(e, &done, &failed);
    tg_progress_update(p, now, done, failed);
}

/* --metrics-listen: the endpoint is up (and its port written) before the first input. */
int tg_run_metrics_begin(struct run *x)
{
    if (x->o.metrics_listen || x->o.scrape_url) {
        char shown[1024];
        json_object_set_new(x->config, "metrics_listen",
                            x->o.metrics_listen ? json_string(x->o.metrics_listen) : json_null());
        json_object_set_new(x->config, "scrape",
                            x->o.scrape_url ? json_pack("{s:s, s:f}", "url",
                                                        tg_redact_url(x->o.scrape_url, shown, sizeof shown),
                                                        "interval_s", (double)x->o.scrape_interval_ns / 1e9)
                                            : json_null());
    }
    if (!x->o.metrics_listen)
        return 0;
    char why[400];
    if (tg_run_metrics_start(&x->metrics, &x->o, &x->cfg, x->engine, why, sizeof why) != 0)
        return usage("--metrics-listen %s: %s", x->o.metrics_listen, why);
    for (uint64_t i = 0; i < x->o.threads; i++)
        x->wctx[i].metrics = tg_run_metrics_shard(x->metrics, i);
    if (!x->o.quiet)
        fprintf(stderr, "tailgate run: serving metrics at %s\n", tg_run_metrics_url(x->metrics));
    return 0;
}

/* --scrape: stopped (one last scrape, the file renamed into place) when the load ends. */
static void stop_scrape(struct run *x)
{
    if (!x->scraper)
        return;
    struct tg_scrape_stats st;
    int rc = tg_scrape_stop(x->scraper, 1, &st);
    x->scraper = NULL;
    char shown[1024];
    tg_redact_url(x->o.scrape_url, shown, sizeof shown);
    if (rc)
        fprintf(stderr, "tailgate run: --scrape: lost %s/server_metrics.csv: %s\n", x->out_dir, tg_strerror(rc));
    else if (!x->o.quiet || st.failed)
        fprintf(stderr, "tailgate run: scraped %s %llu times (%llu failed%s%s), %llu samples -> %s/server_metrics.csv\n",
                shown, (unsigned long long)st.scrapes, (unsigned long long)st.failed, st.first_error[0] ? ": " : "",
                st.first_error, (unsigned long long)st.rows, x->out_dir);
}

/* --metrics-linger: the final values stay up for DUR, or until a signal. */
void tg_run_linger(struct run *x)
{
    if (!x->metrics || !x->o.metrics_linger_ns)
        return;
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    uint64_t end = tg_now_ns() + x->o.metrics_linger_ns;
    for (uint64_t now; (now = tg_now_ns()) < end;) {
        uint64_t left = end - now;
        struct timespec ts = { (time_t)(left / TG_NS_PER_S), (long)(left % TG_NS_PER_S) };
        int s = sigtimedwait(&sigs, NULL, &ts);
        if (s == SIGINT || s == SIGTERM)
            break;
    }
}

/* Runs the engine to its end with signals and progress, then joins it. */
int tg_run_loop(struct run *x, const struct tg_engine_totals **t)
{
    const struct run_opts *o = &x->o;
    /* Signals are taken synchronously by this thread; workers never see them. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (x->cfg.url.tls && o->insecure)
        fprintf(stderr, "tailgate run: WARNING: --insecure: TLS certificates and host names are NOT verified "
                        "(results recorded with \"insecure\": true)\n");
    else if (o->insecure)   /* only --scrape is https (run.c) */
        fprintf(stderr, "tailgate run: WARNING: --insecure: the --scrape endpoint's TLS certificate and host name "
                        "are NOT verified\n");

    int wrc = tg_run_shard_wait(x, &sigs);   /* --start-at */
    if (wrc)
        return wrc;
    tg_utc_iso(x->started_at, sizeof x->started_at);
    uint64_t t0 = tg_now_ns();
    if (x->show && !(x->progress = tg_progress_new(tg_run_shard_inputs(o, x->cfg.inputs), t0)))
        return resource("out of memory");
    if (o->scrape_url) {
        char why[400], csv[4200];
        snprintf(csv, sizeof csv, "%s/server_metrics.csv", x->out_dir);
        int src = tg_scrape_start(o->scrape_url, o->scrape_interval_ns, o->cacert, o->insecure, csv, &x->scraper,
                                  why, sizeof why);
        if (src)   /* out of memory, or no thread (EAGAIN): the machine; else the URL or its peer */
            return src == TG_ENOMEM || src == -EAGAIN ? resource("%s", why) : usage("%s", why);
    }
    int erc = tg_engine_start(x->engine);
    if (erc)
        return resource("cannot start worker threads: %s", tg_strerror(erc));
    tg_run_metrics_started(x->metrics, t0);
    int signals = 0;
    uint64_t next_line = t0 + o->progress_interval_ns, line_done = UINT64_MAX;
    while (!tg_engine_finished(x->engine)) {
        struct timespec ts = { 0, 200 * 1000 * 1000 };
        int s = sigtimedwait(&sigs, NULL, &ts);
        if (s == SIGINT || s == SIGTERM) {
            if (signals++ == 0)
                tg_engine_interrupt(x->engine);
        }
        uint64_t now = tg_now_ns();
        if (x->progress && (x->live || now >= next_line)) {
            progress_tick(x->progress, x->engine, x->wctx, o->threads, now);
            if (x->live)
                tg_progress_print_live(x->progress, stderr, term_width());
            else {
                tg_progress_print_line(x->progress, stderr);
                line_done = tg_progress_done(x->progress);
                next_line += o->progress_interval_ns * ((now - next_line) / o->progress_interval_ns + 1);
            }
        }
    }
    stop_scrape(x);
    if (x->progress) {
        /* every worker has flushed: the final counts */
        progress_tick(x->progress, x->engine, x->wctx, o->threads, tg_now_ns());
        if (x->live) {
            tg_progress_print_live(x->progress, stderr, term_width());
            tg_progress_clear_live(stderr);
        } else if (tg_progress_done(x->progress) != line_done) {
            tg_progress_print_line(x->progress, stderr);
        }
    }
    if (tg_engine_join(x->engine, t) != 0) {
        /* The inputs ran and their rows are on disk: a failed run, not a usage error. */
        fprintf(stderr, "tailgate run: out of memory merging statistics: no summary.json; the rows are in "
                        "%s/requests.csv\n", x->out_dir);
        return TG_EXIT_FAIL;
    }
    tg_run_metrics_finished(x->metrics);
    return 0;
}

