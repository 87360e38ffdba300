/*
 * net.h - non-blocking connection I/O with a tri-state result, for plain TCP
 * and TLS alike.  EAGAIN, EWOULDBLOCK, EINPROGRESS, EINTR and OpenSSL's
 * SSL_ERROR_WANT_READ / SSL_ERROR_WANT_WRITE are mapped to TG_IO_AGAIN in
 * exactly one place (net.c), which also records the readiness the operation
 * waits for in nc->want (a TLS read may need the socket writable and a TLS
 * write readable); every other failure is TG_IO_ERROR with the errno kept,
 * or TG_NET_ETLS for a TLS protocol or verification failure.
 * Thread-safe (no shared state; a tg_net_conn belongs to one thread).
 */
#ifndef TG_ENGINE_NET_H
#define TG_ENGINE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

enum tg_io { TG_IO_OK, TG_IO_AGAIN, TG_IO_ERROR };

/* nc->want after TG_IO_AGAIN (same bits as TG_LOOP_READ / TG_LOOP_WRITE). */
enum { TG_NET_WANT_READ = 1u, TG_NET_WANT_WRITE = 2u };

/* *err of a TG_IO_ERROR that is a TLS failure (errno values are > 0). */
#define TG_NET_ETLS (-1)

struct ssl_st;

/* One connection's endpoint: plain TCP (ssl == NULL) or TLS over it. */
struct tg_net_conn {
    int fd;                 /* -1 when closed */
    struct ssl_st *ssl;     /* owned; NULL for plain http (see engine/tls.h) */
    unsigned want;          /* after TG_IO_AGAIN: TG_NET_WANT_READ or TG_NET_WANT_WRITE */
    unsigned long tls_err;  /* after TG_NET_ETLS: the OpenSSL error code (0: none queued) */
    long verify_result;     /* after TG_NET_ETLS in the handshake: X509_V_OK or the failure */
};

/* Opens a non-blocking TCP socket (TCP_NODELAY) and starts connecting.
 * TG_IO_OK: connected at once; TG_IO_AGAIN: in progress (wait for writable,
 * then tg_net_connect_result); TG_IO_ERROR: *err = errno.  *fd is set in the
 * OK and AGAIN cases. */
enum tg_io tg_net_connect(const struct sockaddr *sa, socklen_t salen, int *fd, int *err);
/* After a connecting socket became writable: TG_IO_OK or TG_IO_ERROR (*err). */
enum tg_io tg_net_connect_result(int fd, int *err);

/* One step of the TLS handshake (nc->ssl set): TG_IO_OK when established,
 * TG_IO_AGAIN (wait for nc->want) or TG_IO_ERROR (*err: errno or TG_NET_ETLS). */
enum tg_io tg_net_handshake(struct tg_net_conn *nc, int *err);

/* Reads up to n bytes.  TG_IO_OK with *got > 0 (data) or *got == 0 (peer
 * closed); TG_IO_AGAIN; TG_IO_ERROR with *err.  Over TLS, data may remain
 * buffered inside OpenSSL with no socket event to come: call again until
 * TG_IO_AGAIN, or check tg_net_pending(). */
enum tg_io tg_net_read(struct tg_net_conn *nc, void *p, size_t n, size_t *got, int *err);
/* Writes up to the iovecs' total; a partial write is TG_IO_OK with *put
 * short (TLS writes the first non-empty iovec only).  After TG_IO_AGAIN a TLS
 * write must be retried with the same bytes. */
enum tg_io tg_net_writev(struct tg_net_conn *nc, const struct iovec *iov, int iovcnt, size_t *put, int *err);
/* True when decrypted bytes wait inside OpenSSL (always false for plain TCP). */
bool tg_net_pending(const struct tg_net_conn *nc);
/* Frees the TLS session (no close_notify is sent) and closes the fd. */
void tg_net_close(struct tg_net_conn *nc);

#endif
