/*
 * net.c - the one place where errno becomes OK / AGAIN / ERROR.
 */
#include "engine/net.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

static enum tg_io classify(int e, int *err)
{
    if (e == EAGAIN || e == EWOULDBLOCK || e == EINPROGRESS || e == EINTR)
        return TG_IO_AGAIN;
    *err = e;
    return TG_IO_ERROR;
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
    enum tg_io r = classify(errno, err);
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
    return classify(e, err);
}

enum tg_io tg_net_read(int fd, void *p, size_t n, size_t *got, int *err)
{
    ssize_t r = read(fd, p, n);
    if (r >= 0) {
        *got = (size_t)r;
        return TG_IO_OK;
    }
    return classify(errno, err);
}

enum tg_io tg_net_writev(int fd, const struct iovec *iov, int iovcnt, size_t *put, int *err)
{
    /* sendmsg, not writev: MSG_NOSIGNAL turns a reset peer into EPIPE, not SIGPIPE. */
    struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
    ssize_t r = sendmsg(fd, &m, MSG_NOSIGNAL);
    if (r >= 0) {
        *put = (size_t)r;
        return TG_IO_OK;
    }
    return classify(errno, err);
}
