/*
 * scrape.h - `--scrape URL` of run and analyze: a thread that GETs a
 * server's Prometheus /metrics every interval while the load runs and
 * streams every sample to CSV (time_ms,metric,labels,value; docs/formats.md,
 * "server_metrics.csv"), written to PATH.tmp and renamed to PATH when stopped.
 *
 * One plain-HTTP GET per scrape on a blocking socket (Connection: close,
 * bounded by the interval, at least 1 s and at most 5 s), the body parsed by
 * http/promtext.h.  The thread is the only one touching the file.
 */
#ifndef TG_CLI_SCRAPE_H
#define TG_CLI_SCRAPE_H

#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#define TG_SCRAPE_DEFAULT_INTERVAL_NS 1000000000ull
#define TG_SCRAPE_MAX_BODY (8u << 20)   /* a larger /metrics body is a failed scrape */

struct tg_scraper;

struct tg_scrape_stats {
    uint64_t scrapes, failed;        /* GETs tried / failed (no 200, a bad body, …) */
    uint64_t rows;                   /* samples written */
    uint64_t bad_lines;              /* lines the parser refused (skipped) */
    char first_error[200];           /* the first failure's reason, "" none */
    int write_error;                 /* 0, or the -errno that lost the file */
};

/* Checks url (http only: "https is not supported by --scrape"), resolves its
 * host and opens csv_path.tmp; then starts the thread, whose first scrape is
 * immediate.  Returns 0, or TG_EINVAL / -errno with a one-line reason in why. */
int tg_scrape_start(const char *url, uint64_t interval_ns, const char *csv_path, struct tg_scraper **out,
                    char *why, size_t whylen);

/* One last scrape, then stops and joins the thread, flushes, fsyncs and
 * renames the file into place (removed instead when no row was written and
 * keep_empty is 0).  Fills *st (may be NULL).  Frees s; NULL is a no-op.
 * Returns 0 or the -errno that lost the file. */
int tg_scrape_stop(struct tg_scraper *s, int keep_empty, struct tg_scrape_stats *st);

#endif
