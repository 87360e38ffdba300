/*
 * analyze_scrape.h - the scraped server series of `tailgate analyze`:
 * --scrape during the probes (OUT/probe_server_metrics.csv), then the
 * evidence from RUN/server_metrics.csv (run --scrape) or that file
 * (analyze/scraped.h; docs/analysis.md, "Scraped server metrics").
 */
#ifndef TG_CLI_ANALYZE_SCRAPE_H
#define TG_CLI_ANALYZE_SCRAPE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "analyze/prows.h"
#include "analyze/scraped.h"

struct tg_analysis;
struct tg_scraper;

struct tg_cli_scrape {
    struct tg_scraper *scraper;    /* while the probes run */
    bool probed;                   /* the probes were scraped */
    bool have, used;               /* series loaded / the analysis rests on them */
    const char *why;               /* why not used */
    struct tg_scraped sc;
    char path[4200];               /* the file read */
    char sat[400];                 /* saturation evidence text */
};

/* Starts polling url into out_dir/probe_server_metrics.csv (https: verified
 * with the probes' cacert / insecure, cli/scrape.h).  Returns 0, or the exit
 * code after a one-line usage error. */
int tg_cli_scrape_begin(struct tg_cli_scrape *s, const char *url, uint64_t interval_ns, const char *cacert,
                        bool insecure, const char *out_dir);
/* Stops it (after the probes), with a stderr line unless quiet. */
void tg_cli_scrape_end(struct tg_cli_scrape *s, bool quiet);
/* Before tg_analysis_sentence: loads the series (the run's file, else the
 * probes') over the rows' window and applies them to *a (tg_scraped_before).
 * run: the run's rows (NULL: none); top: the probes' top sweep point. */
void tg_cli_scrape_evidence(struct tg_cli_scrape *s, struct tg_analysis *a, const char *run_path,
                            const struct tg_prows *run, const struct tg_prows *top, const char *out_dir);
/* After tg_analysis_sentence: names the series in the sentence and evidence. */
void tg_cli_scrape_sentence(struct tg_cli_scrape *s, struct tg_analysis *a);
/* analysis.json "server_metrics" (null when none; NULL on allocation failure) and the md section. */
json_t *tg_cli_scrape_json(const struct tg_cli_scrape *s);
int tg_cli_scrape_md(FILE *f, const struct tg_cli_scrape *s);
void tg_cli_scrape_free(struct tg_cli_scrape *s);

#endif
