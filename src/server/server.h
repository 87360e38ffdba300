/*
 * server.h - the placeholder inference server's HTTP side (libmicrohttpd):
 * routes, request life cycle, suspension while the virtual accelerator
 * works, errors, metrics and draining.
 *
 * Routes:  POST /v1/infer   GET /healthz   GET /metrics
 * A queued /v1/infer connection is suspended (MHD_ALLOW_SUSPEND_RESUME) and
 * resumed by the accelerator's completion callback, so no thread waits for
 * a simulated execution.
 *
 * Thread-safety: tg_server_new/drain/free from one controlling thread.
 */
#ifndef TG_SERVER_SERVER_H
#define TG_SERVER_SERVER_H

#include "server/accel.h"
#include "server/fault.h"

#include <stddef.h>
#include <stdint.h>

struct tg_server_config {
    const char *host;          /* numeric IPv4 or IPv6 address to bind */
    unsigned port;             /* 0: any free port (see tg_server_port) */
    size_t max_body;           /* bytes; larger bodies get 413 */
    unsigned max_connections;  /* more get 503 + close (64 more), then are closed at accept */
    unsigned threads;          /* HTTP threads: 1 = one epoll thread, more = a pool */
    unsigned conn_timeout_s;   /* idle keep-alive timeout, s (0: none) */
    struct tg_accel_config accel;
    struct tg_fault_plan fault;  /* all rates 0: no fault injection */
};

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
 * are closed and trickled (--fault slow) answers are cut.  Returns once every accepted /v1/infer
 * request has been answered (0) or after timeout_ns (TG_ETIMEOUT). */
int tg_server_drain(struct tg_server *s, uint64_t timeout_ns);

/* Stops: requests still pending are answered 503, the listener and every
 * connection are closed, memory is released.  NULL is a no-op. */
void tg_server_free(struct tg_server *s);

#endif
