/*
 * resolve.c - the address to load (see resolve.h).
 */
#include "engine/resolve.h"

#include "core/error.h"
#include "core/time.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void tg_resolve_format(const struct sockaddr *sa, char *out, size_t outlen)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        port = ntohs(a->sin_port);
        snprintf(out, outlen, "%s:%u", host, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        port = ntohs(a->sin6_port);
        snprintf(out, outlen, "[%s]:%u", host, port);
    } else {
        snprintf(out, outlen, "(address family %d)", sa->sa_family);
    }
}

/* 0 when a TCP connection to sa is accepted within timeout_ns, else -errno. */
static int try_connect(const struct sockaddr *sa, socklen_t len, uint64_t timeout_ns)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int rc = 0;
    if (connect(fd, sa, len) != 0) {
        if (errno != EINPROGRESS) {
            rc = -errno;
        } else {
            struct pollfd p = { .fd = fd, .events = POLLOUT };
            int ms = (int)(timeout_ns / TG_NS_PER_MS);
            int n;
            do
                n = poll(&p, 1, ms > 0 ? ms : 1);
            while (n < 0 && errno == EINTR);
            if (n == 0) {
                rc = -ETIMEDOUT;
            } else if (n < 0) {
                rc = -errno;
            } else {
                int soerr = 0;
                socklen_t sl = sizeof soerr;
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
                    rc = -errno;
                else if (soerr)
                    rc = -soerr;
            }
        }
    }
    close(fd);
    return rc;
}

int tg_resolve_first_reachable(const struct sockaddr_storage *list, const socklen_t *lens, size_t n,
                               uint64_t timeout_ns, size_t *picked, char *tried, size_t triedlen)
{
    size_t off = 0;
    int rc = -EHOSTUNREACH;
    if (tried && triedlen)
        tried[0] = '\0';
    *picked = 0;
    for (size_t i = 0; i < n; i++) {
        rc = try_connect((const struct sockaddr *)&list[i], lens[i], timeout_ns);
        if (rc == 0) {
            *picked = i;
            return 0;
        }
        if (tried && off + 1 < triedlen) {
            char a[80];
            tg_resolve_format((const struct sockaddr *)&list[i], a, sizeof a);
            int w = snprintf(tried + off, triedlen - off, "%s%s (%s)", off ? ", " : "", a, strerror(-rc));
            if (w > 0)
                off += (size_t)w < triedlen - off ? (size_t)w : triedlen - off - 1;
        }
    }
    return rc;
}

int tg_resolve_pick(const char *host, unsigned port, uint64_t timeout_ns, struct sockaddr_storage *out,
                    socklen_t *outlen, size_t *naddr, char *tried, size_t triedlen, char *why,
                    size_t whylen)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai = NULL;
    char ps[8];
    snprintf(ps, sizeof ps, "%u", port);
    if (tried && triedlen)
        tried[0] = '\0';
    int g = getaddrinfo(host, ps, &hints, &ai);
    if (g != 0 || !ai) {
        snprintf(why, whylen, "cannot resolve '%s': %s", host, g ? gai_strerror(g) : "no address");
        return TG_EINVAL;
    }
    struct sockaddr_storage list[TG_RESOLVE_MAX];
    socklen_t lens[TG_RESOLVE_MAX];
    size_t n = 0;
    for (const struct addrinfo *p = ai; p && n < TG_RESOLVE_MAX; p = p->ai_next) {
        if (p->ai_addrlen > sizeof list[0])
            continue;
        memset(&list[n], 0, sizeof list[n]);
        memcpy(&list[n], p->ai_addr, p->ai_addrlen);
        lens[n++] = p->ai_addrlen;
    }
    freeaddrinfo(ai);
    if (n == 0) {
        snprintf(why, whylen, "cannot resolve '%s': no usable address", host);
        return TG_EINVAL;
    }
    size_t k = 0;
    if (n > 1)
        tg_resolve_first_reachable(list, lens, n, timeout_ns, &k, tried, triedlen);
    *out = list[k];
    *outlen = lens[k];
    *naddr = n;
    return 0;
}
