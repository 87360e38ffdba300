/*
 * analyze_scrape.c - the scraped server series of `tailgate analyze`
 * (cli/analyze_scrape.h).
 */
#include "cli/analyze_scrape.h"

#include "analyze/report.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/scrape.h"
#include "core/error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int tg_cli_scrape_begin(struct tg_cli_scrape *s, const char *url, uint64_t interval_ns, const char *cacert,
                        bool insecure, const char *out_dir)
{
    char why[400];
    snprintf(s->path, sizeof s->path, "%s/probe_server_metrics.csv", out_dir);
    if (tg_scrape_start(url, interval_ns, cacert, insecure, s->path, &s->scraper, why, sizeof why) != 0)
        return tg_cli_usage_error("analyze", "%s", why);
    s->probed = true;
    return 0;
}

void tg_cli_scrape_end(struct tg_cli_scrape *s, bool quiet)
{
    if (!s->scraper)
        return;
    struct tg_scrape_stats st;
    int rc = tg_scrape_stop(s->scraper, 1, &st);
    s->scraper = NULL;
    if (rc)
        fprintf(stderr, "tailgate analyze: --scrape: lost %s: %s\n", s->path, tg_strerror(rc));
    else if (!quiet || st.failed)
        fprintf(stderr, "analyze: scraped %llu times (%llu failed%s%s), %llu samples -> %s\n",
                (unsigned long long)st.scrapes, (unsigned long long)st.failed, st.first_error[0] ? ": " : "",
                st.first_error, (unsigned long long)st.rows, s->path);
}

void tg_cli_scrape_evidence(struct tg_cli_scrape *s, struct tg_analysis *a, const char *run_path,
                            const struct tg_prows *run, const struct tg_prows *top, const char *out_dir)
{
    struct stat st;
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    double rate = NAN;
    /* the run's own scrape (it matches the rows), else the probes' */
    s->path[0] = '\0';
    if (run_path && run && stat(run_path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(s->path, sizeof s->path, "%s/server_metrics.csv", run_path);
        if (stat(s->path, &st) == 0)
            rate = tg_scraped_window(run, &lo, &hi);
        else
            s->path[0] = '\0';
    }
    if (!s->path[0] && s->probed) {
        snprintf(s->path, sizeof s->path, "%s/probe_server_metrics.csv", out_dir);
        if (top && top->n)
            rate = tg_scraped_window(top, &lo, &hi);   /* the top sweep point's window */
    }
    if (!s->path[0])
        return;
    char err[512];
    int rc = tg_scraped_load(s->path, lo, hi, &s->sc, err, sizeof err);
    if (rc == 0 && s->sc.scrapes < 3 && (lo != INT64_MIN || hi != INT64_MAX)) {
        /* too short a window for the interval: every scrape of the file */
        tg_scraped_free(&s->sc);
        rc = tg_scraped_load(s->path, INT64_MIN, INT64_MAX, &s->sc, err, sizeof err);
    }
    if (rc) {
        if (rc != -ENOENT)
            fprintf(stderr, "tailgate analyze: %s (scraped series not used)\n", err);
        return;
    }
    s->have = true;
    tg_scraped_judge(&s->sc, rate);
    s->used = tg_scraped_before(a, &s->sc, s->sat, sizeof s->sat, &s->why);
}

void tg_cli_scrape_sentence(struct tg_cli_scrape *s, struct tg_analysis *a)
{
    if (s->have) {
        const char *base = strrchr(s->path, '/');
        tg_scraped_after(a, &s->sc, s->used, base ? base + 1 : s->path);
    }
}

json_t *tg_cli_scrape_json(const struct tg_cli_scrape *s)
{
    return s->have ? tg_scraped_json(&s->sc, s->path, s->used, s->why) : json_null();
}

int tg_cli_scrape_md(FILE *f, const struct tg_cli_scrape *s)
{
    return s->have ? tg_scraped_md(f, &s->sc, s->path, s->used, s->why) : 0;
}

void tg_cli_scrape_free(struct tg_cli_scrape *s)
{
    tg_scrape_stop(s->scraper, 0, NULL);
    s->scraper = NULL;
    tg_scraped_free(&s->sc);
}
