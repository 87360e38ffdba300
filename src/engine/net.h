/*
 * net.h - non-blocking socket I/O with a tri-state result.  EAGAIN,
 * EWOULDBLOCK, EINPROGRESS and EINTR are mapped to TG_IO_AGAIN in exactly one
 * place (net.c); every other failure is TG_IO_ERROR with the errno kept.
 * Thread-safe (no state).
 */
#ifndef TG_ENGINE_NET_H
#define TG_ENGINE_NET_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

enum tg_io { TG_IO_OK, TG_IO_AGAIN, TG_IO_ERROR };

/* Opens a non-blocking TCP socket (TCP_NODELAY) and starts connecting.
 * TG_IO_OK: connected at once; TG_IO_AGAIN: in progress (wait for writable,
 * then tg_net_connect_result); TG_IO_ERROR: *err = errno.  *fd is set in the
 * OK and AGAIN cases. */
enum tg_io tg_net_connect(const struct sockaddr *sa, socklen_t salen, int *fd, int *err);
/* After a connecting socket became writable: TG_IO_OK or TG_IO_ERROR (*err). */
enum tg_io tg_net_connect_result(int fd, int *err);

/* Reads up to n bytes.  TG_IO_OK with *got > 0 (data) or *got == 0 (peer
 * closed); TG_IO_AGAIN; TG_IO_ERROR with *err. */
enum tg_io tg_net_read(int fd, void *p, size_t n, size_t *got, int *err);
/* Writes up to the iovecs' total; a partial write is TG_IO_OK with *put short. */
enum tg_io tg_net_writev(int fd, const struct iovec *iov, int iovcnt, size_t *put, int *err);

#endif
