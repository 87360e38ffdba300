/*
 * scrape.h - `--scrape URL` of run and analyze: a thread that GETs a
 * server's Prometheus /metrics every interval while the load runs and
 * streams every sample to CSV (time_ms,metric,labels,value; docs/formats.md,
 * "server_metrics.csv"), written to PATH.tmp and renamed to PATH when stopped.
 *
 * One GET per scrape on a new connection (Connection: close), http or https
 * (the engine's TLS client, engine/tls.h: the same --cacert / --insecure as
 * the load's target), connect, handshake, request and response all bounded
 * by one deadline (the interval, at least 1 s and at most 5 s); the body
 * parsed by http/promtext.h.  The thread is the only one touching the file.
 * https writes with write(2): the process must ignore SIGPIPE (run and
 * analyze do).
 */
#ifndef TG_CLI_SCRAPE_H
#define TG_CLI_SCRAPE_H

#include <stdbool.h>
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

/* Checks url, resolves its host and opens csv_path.tmp; then starts the
 * thread, whose first scrape is immediate.  https: verifies against cacert
 * (a PEM file; NULL: the system store) unless insecure (both ignored for
 * http), and the first scrape is made here, before the thread: a handshake
 * that fails certificate or host-name verification is TG_EINVAL ("--scrape
 * URL: TLS handshake with HOST:PORT: certificate verify failed: … (trust it
 * with --cacert FILE, or --insecure)"), at most the deadline above after the
 * call.  Any other failed scrape is only counted (tg_scrape_stats), for http
 * and https alike.  Returns 0, or TG_EINVAL / TG_ENOMEM / -errno with a
 * one-line reason in why. */
int tg_scrape_start(const char *url, uint64_t interval_ns, const char *cacert, bool insecure, const char *csv_path,
                    struct tg_scraper **out, char *why, size_t whylen);

/* One last scrape, then stops and joins the thread, flushes, fsyncs and
 * renames the file into place (removed instead when no row was written and
 * keep_empty is 0).  Fills *st (may be NULL).  Frees s; NULL is a no-op.
 * Returns 0 or the -errno that lost the file. */
int tg_scrape_stop(struct tg_scraper *s, int keep_empty, struct tg_scrape_stats *st);

#endif
