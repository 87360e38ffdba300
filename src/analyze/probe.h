/*
 * probe.h - one short, bounded load against a live endpoint through the
 * engine's library API (engine/engine.h), rows collected in memory: the
 * measuring instrument of `tailgate analyze --probe` and `tailgate tune`.
 *
 * A probe is bounded three ways: an input count, a time after which no input
 * starts (in-flight ones still finish), and a hard deadline after which the
 * run is interrupted (its unfinished inputs fail as "interrupted").
 *
 * Ownership: struct tg_probe_target owns the loaded payloads (release with
 * tg_probe_target_free, NULL-safe); struct tg_probe_result owns its rows
 * (tg_probe_result_free).  Runs one engine at a time from the calling
 * thread; not thread-safe per target.  Library code: never prints.
 */
#ifndef TG_ANALYZE_PROBE_H
#define TG_ANALYZE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "analyze/model.h"
#include "analyze/prows.h"
#include "http/http.h"

struct tg_payloads;
struct tg_api;

struct tg_probe_target {
    struct tg_url url;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    struct tg_payloads *payloads;          /* parsed (batching needs the items) */
    const struct tg_api *api;              /* the endpoint's dialect (borrowed, static) */
    uint64_t timeout_ns;                   /* per request */
};

/* Resolves url and loads the payload file (single-input bodies of api, split
 * by the dialect when it is batchable).  Returns 0 or a negative code with a
 * one-line reason in err. */
int tg_probe_target_init(struct tg_probe_target *t, const struct tg_api *api, const char *url,
                         const char *payloads,
                         char *err, size_t errlen);
void tg_probe_target_free(struct tg_probe_target *t);

struct tg_probe_result {
    struct tg_prows rows;          /* one per input, in completion order */
    uint64_t inputs, ok, failed, http_requests, connections_opened;
    uint64_t status_413;           /* inputs answered 413 (batch or body too large) */
    double wall_s;                 /* engine start -> last input */
    double throughput_ips;         /* ok / wall_s */
    double p50_ms, p95_ms, p99_ms, mean_ms;  /* ok inputs, nearest rank; NAN when none */
    bool interrupted;              /* the hard deadline struck */
    char first_error[160];
};

struct tg_probe_spec {
    struct tg_client_cfg cfg;
    uint32_t concurrency;
    uint64_t inputs;
    uint64_t start_window_ns;      /* no input starts after this (0: no limit) */
    uint64_t deadline_ns;          /* interrupt after this (0: start_window*3 + 10 s) */
    bool preconnect;
};

/* Runs spec against t; fills out (zero it first).  Returns 0 (failed inputs
 * are results, not errors), or TG_EINVAL / TG_ENOMEM / -errno when the
 * engine could not run. */
int tg_probe_run(const struct tg_probe_target *t, const struct tg_probe_spec *spec,
                 struct tg_probe_result *out);
void tg_probe_result_free(struct tg_probe_result *r);

#endif
