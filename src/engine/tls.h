/*
 * tls.h - the client TLS context of a run (OpenSSL 3) and per-connection
 * set-up: certificate and host-name verification, SNI.  The I/O itself
 * (SSL_connect/SSL_read/SSL_write and their WANT_READ/WANT_WRITE) goes
 * through engine/net.h like plain sockets do.
 *
 * Threads: one struct tg_tls per run, created before the worker threads
 * start and only read afterwards (OpenSSL 3 allows SSL_new() on a shared,
 * fully set-up SSL_CTX from many threads).  Per-connection objects belong
 * to the worker thread that created them.
 *
 * Choices: TLS 1.2 minimum; no client session cache, so every new
 * connection pays a full handshake (a "new connection" cost is the honest
 * worst case); a peer closing without close_notify reads as a plain EOF
 * (SSL_OP_IGNORE_UNEXPECTED_EOF: HTTP framing, not TLS, decides whether a
 * response was complete); no renegotiation.
 *
 * OpenSSL's socket BIO writes with write(2), not send(MSG_NOSIGNAL): a
 * process using https must ignore SIGPIPE (tailgate run does).
 */
#ifndef TG_ENGINE_TLS_H
#define TG_ENGINE_TLS_H

#include <stdbool.h>
#include <stddef.h>

struct tg_tls;
struct tg_net_conn;

/* Creates the run's context.  verify: SSL_VERIFY_PEER against the system CA
 * store (SSL_CTX_set_default_verify_paths) or, when cacert is not NULL,
 * against that PEM file only (a CA or a self-signed server certificate);
 * !verify: no verification at all (--insecure).  Returns 0, TG_EINVAL (cacert
 * unreadable or not a certificate: why says so) or TG_ENOMEM. */
int tg_tls_new(const char *cacert, bool verify, struct tg_tls **out, char *why, size_t whylen);
/* NULL is a no-op. */
void tg_tls_free(struct tg_tls *t);
bool tg_tls_verifies(const struct tg_tls *t);

/* Attaches a client TLS session to nc (nc->fd connected): SNI with host
 * unless host is an IP literal, and host-name (or IP address) verification
 * when the context verifies.  Returns 0 or TG_ENOMEM (nc->ssl stays NULL). */
int tg_tls_attach(struct tg_tls *t, struct tg_net_conn *nc, const char *host);

/* One line describing the TLS failure behind the last TG_IO_ERROR of nc with
 * *err == TG_NET_ETLS, e.g. "certificate verify failed: self-signed
 * certificate".  Returns true when it was a certificate or host-name
 * verification failure. */
bool tg_tls_describe(const struct tg_net_conn *nc, char *buf, size_t n);

/* The negotiated protocol ("TLSv1.3") and cipher of an established session;
 * static strings valid for the process's lifetime. */
const char *tg_tls_protocol(const struct tg_net_conn *nc);
const char *tg_tls_cipher(const struct tg_net_conn *nc);

#endif
