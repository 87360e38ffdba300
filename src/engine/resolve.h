/*
 * resolve.h - which address of a name to load.  getaddrinfo() may return
 * several (A and AAAA records, a round-robin name); the first is not always
 * the one a server listens on (a server bound to 127.0.0.1 behind a
 * "localhost" that resolves to ::1 first).  Every address is tried in order,
 * with a connect bounded in time, before failing.  Blocking; called once at
 * set-up, never on the hot path.  Thread-safe.
 */
#ifndef TG_ENGINE_RESOLVE_H
#define TG_ENGINE_RESOLVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define TG_RESOLVE_MAX 16   /* addresses considered, in getaddrinfo order */

/* Tries list[0..n) in order (a TCP connect of at most timeout_ns each, then
 * closed) and sets *picked to the first that accepts.  Returns 0, or
 * -ECONNREFUSED-style -errno of the last failure when none accepts (then
 * *picked is 0).  tried (may be NULL) gets "ADDR (reason), ADDR (reason)"
 * for every address that failed before the pick (or all, when none). */
int tg_resolve_first_reachable(const struct sockaddr_storage *list, const socklen_t *lens, size_t n,
                               uint64_t timeout_ns, size_t *picked, char *tried, size_t triedlen);

/* Resolves host:port.  One address: kept untried (an unreachable server then
 * shows as per-input connect failures).  Several: the first reachable one
 * (tg_resolve_first_reachable), else the first.  *naddr gets how many there
 * were; tried as above.  Returns 0, or TG_EINVAL when the name does not
 * resolve (why gets the resolver's reason). */
int tg_resolve_pick(const char *host, unsigned port, uint64_t timeout_ns, struct sockaddr_storage *out,
                    socklen_t *outlen, size_t *naddr, char *tried, size_t triedlen, char *why,
                    size_t whylen);

/* Writes "1.2.3.4:80" or "[::1]:80" for sa into out. */
void tg_resolve_format(const struct sockaddr *sa, char *out, size_t outlen);

#endif
