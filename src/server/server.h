/*
 * server.h - the placeholder inference server's HTTP side (libmicrohttpd):
 * routes, request life cycle, suspension while the virtual accelerator
 * works, errors, metrics and draining.
 *
 * Routes: every dialect of tg_api_all() with a server side at once (its
 * server_route decides which paths are its own; the first dialect that
 * claims a path owns the request and every error it gets is written in that
 * dialect's shape), plus GET /metrics (the server's own, Prometheus text).
 * Every inference route feeds the same virtual accelerator.  A queued
 * inference connection is suspended (MHD_ALLOW_SUSPEND_RESUME) and resumed by
 * the accelerator's completion callback, so no thread waits for a simulated
 * execution.
 *
 * Thread-safety: tg_server_new/drain/free from one controlling thread.
 */
#ifndef TG_SERVER_SERVER_H
#define TG_SERVER_SERVER_H

#include "api/api.h"
#include "server/accel.h"
#include "server/fault.h"
#include "server/llm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct tg_server_config {
    const char *host;          /* numeric IPv4 or IPv6 address to bind */
    unsigned port;             /* 0: any free port (see tg_server_port) */
    size_t max_body;           /* bytes; larger bodies get 413 */
    unsigned max_connections;  /* more get 503 + close (64 more), then are closed at accept */
    unsigned threads;          /* HTTP threads: 1 = one epoll thread, more = a pool */
    unsigned conn_timeout_s;   /* idle keep-alive timeout, s (0: none) */
    int no_server_timing;      /* 1: no Server-Timing header (as a real server); the
                                  dialects' own timing headers (TEI) are still sent */
    double batch_drift;        /* --batch-drift EPS, 0..TG_MODEL_DRIFT_MAX (model.h) */
    struct tg_accel_config accel;
    struct tg_fault_plan fault;  /* all rates 0: no fault injection */
    struct tg_llm_config llm;    /* the placeholder LLM of the generative dialects */
    FILE *token_log;             /* --token-log: one JSON line per generative request
                                    (the caller's; written from the HTTP thread,
                                    flushed by drain and free); NULL: none */
};

/* true when `tailgate serve` serves dialect a: its server_route,
 * server_parse and server_error are set, and either server_write and
 * server_meta (an embedding API, on the accelerator) or server_chunk,
 * server_stream_end and server_complete (a generative API, on the
 * placeholder LLM).  Checked once per dialect at tg_server_new; others are
 * skipped. */
bool tg_server_serves(const struct tg_api *a);

/* Copies NUL-terminated s into out (cap >= 1 bytes, truncated, always
 * terminated) with every byte that is not part of a valid UTF-8 sequence
 * (RFC 3629) replaced by '?': what the server does to every error message
 * before the dialect's server_error writes it.  Pure, thread-safe. */
void tg_server_clean_message(char *out, size_t cap, const char *s);

struct tg_server;

/* Starts the accelerator and listens.  Returns 0, TG_EINVAL (bad address or
 * config), TG_EIO (libmicrohttpd could not start: port busy, ...) or TG_ENOMEM. */
int tg_server_new(const struct tg_server_config *c, struct tg_server **out);

/* The bound TCP port. */
unsigned tg_server_port(const struct tg_server *s);

/* Faults injected so far, by kind (out[TG_FAULT_NONE] = requests without
 * one).  Any thread. */
void tg_server_fault_counts(struct tg_server *s, uint64_t out[TG_FAULT_KIND_COUNT]);

/* Enters draining: new requests get 503 (Connection: close), queued and
 * executing ones run to completion; stalled (--fault stall) connections
 * are closed and trickled (--fault slow) answers are cut.  Returns once
 * every accepted inference request has been answered (0) or after
 * timeout_ns (TG_ETIMEOUT). */
int tg_server_drain(struct tg_server *s, uint64_t timeout_ns);

/* Stops: requests still pending are answered 503, the listener and every
 * connection are closed, memory is released.  NULL is a no-op. */
void tg_server_free(struct tg_server *s);

#endif
