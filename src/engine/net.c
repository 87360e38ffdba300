/*
 * net.c - the one place where errno and OpenSSL's SSL_get_error() become
 * OK / AGAIN / ERROR.
 */
#include "engine/net.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <unistd.h>

/* errno -> tri-state; `dir` is what an AGAIN waits for. */
static enum tg_io classify(struct tg_net_conn *nc, int e, unsigned dir, int *err)
{
    if (e == EAGAIN || e == EWOULDBLOCK || e == EINPROGRESS || e == EINTR) {
        if (nc)
            nc->want = dir;
        return TG_IO_AGAIN;
    }
    *err = e;
    return TG_IO_ERROR;
}

/* The result ret (<= 0) of an SSL_* call -> tri-state.  Clears OpenSSL's
 * per-thread error queue so that the next call on any connection of this
 * thread starts clean (SSL_get_error() needs that). */
static enum tg_io classify_tls(struct tg_net_conn *nc, int ret, unsigned dir, int *err)
{
    int saved = errno;
    switch (SSL_get_error(nc->ssl, ret)) {
    case SSL_ERROR_WANT_READ:
        nc->want = TG_NET_WANT_READ;
        return TG_IO_AGAIN;
    case SSL_ERROR_WANT_WRITE:
        nc->want = TG_NET_WANT_WRITE;
        return TG_IO_AGAIN;
    case SSL_ERROR_SYSCALL: {
        unsigned long code = ERR_get_error();
        ERR_clear_error();
        if (!code && saved)
            return classify(nc, saved, dir, err);
        nc->tls_err = code;   /* 0: the peer closed the connection mid-handshake */
        *err = TG_NET_ETLS;
        return TG_IO_ERROR;
    }
    default:   /* SSL_ERROR_SSL and anything unexpected */
        nc->tls_err = ERR_peek_last_error();
        ERR_clear_error();
        *err = TG_NET_ETLS;
        return TG_IO_ERROR;
    }
}

enum tg_io tg_net_connect(const struct sockaddr *sa, socklen_t salen, int *fd, int *err)
{
    int s = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0) {
        *err = errno;
        return TG_IO_ERROR;
    }
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(s, sa, salen) == 0) {
        *fd = s;
        return TG_IO_OK;
    }
    enum tg_io r = classify(NULL, errno, TG_NET_WANT_WRITE, err);
    if (r == TG_IO_ERROR) {
        close(s);
        return r;
    }
    *fd = s;
    return TG_IO_AGAIN;
}

enum tg_io tg_net_connect_result(int fd, int *err)
{
    int e = 0;
    socklen_t len = sizeof e;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
        e = errno;
    if (e == 0)
        return TG_IO_OK;
    return classify(NULL, e, TG_NET_WANT_WRITE, err);
}

enum tg_io tg_net_handshake(struct tg_net_conn *nc, int *err)
{
    nc->tls_err = 0;
    nc->verify_result = X509_V_OK;
    errno = 0;
    int r = SSL_connect(nc->ssl);
    if (r == 1)
        return TG_IO_OK;
    enum tg_io st = classify_tls(nc, r, TG_NET_WANT_READ, err);
    if (st == TG_IO_ERROR && (SSL_get_verify_mode(nc->ssl) & SSL_VERIFY_PEER))
        nc->verify_result = SSL_get_verify_result(nc->ssl);
    return st;
}

enum tg_io tg_net_read(struct tg_net_conn *nc, void *p, size_t n, size_t *got, int *err)
{
    if (!nc->ssl) {
        ssize_t r = read(nc->fd, p, n);
        if (r >= 0) {
            *got = (size_t)r;
            return TG_IO_OK;
        }
        return classify(nc, errno, TG_NET_WANT_READ, err);
    }
    size_t rd = 0;
    errno = 0;
    int r = SSL_read_ex(nc->ssl, p, n, &rd);
    if (r == 1) {
        *got = rd;
        return TG_IO_OK;
    }
    if (SSL_get_error(nc->ssl, r) == SSL_ERROR_ZERO_RETURN) {
        /* close_notify, or (SSL_OP_IGNORE_UNEXPECTED_EOF) a bare EOF */
        ERR_clear_error();
        *got = 0;
        return TG_IO_OK;
    }
    return classify_tls(nc, r, TG_NET_WANT_READ, err);
}

enum tg_io tg_net_writev(struct tg_net_conn *nc, const struct iovec *iov, int iovcnt, size_t *put, int *err)
{
    if (!nc->ssl) {
        /* sendmsg, not writev: MSG_NOSIGNAL turns a reset peer into EPIPE, not SIGPIPE. */
        struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
        ssize_t r = sendmsg(nc->fd, &m, MSG_NOSIGNAL);
        if (r >= 0) {
            *put = (size_t)r;
            return TG_IO_OK;
        }
        return classify(nc, errno, TG_NET_WANT_WRITE, err);
    }
    int i = 0;
    while (i < iovcnt && iov[i].iov_len == 0)
        i++;
    if (i == iovcnt) {
        *put = 0;
        return TG_IO_OK;
    }
    size_t wr = 0;
    errno = 0;
    int r = SSL_write_ex(nc->ssl, iov[i].iov_base, iov[i].iov_len, &wr);
    if (r == 1) {
        *put = wr;
        return TG_IO_OK;
    }
    return classify_tls(nc, r, TG_NET_WANT_WRITE, err);
}

bool tg_net_pending(const struct tg_net_conn *nc)
{
    return nc->ssl && SSL_pending(nc->ssl) > 0;
}

void tg_net_close(struct tg_net_conn *nc)
{
    if (nc->ssl) {
        SSL_free(nc->ssl);
        nc->ssl = NULL;
    }
    if (nc->fd >= 0) {
        close(nc->fd);
        nc->fd = -1;
    }
}
