/*
 * error.h - tailgate's one error convention.
 *
 * Every fallible function returns int: 0 on success, a negative TG_E* code or
 * a negative errno value on failure.  tg_strerror() names either kind.
 * Library code never prints or exits; only src/cli does.
 */
#ifndef TG_CORE_ERROR_H
#define TG_CORE_ERROR_H

#include <stddef.h>

enum {
    TG_EBASE = 10000,          /* keeps TG_E* clear of errno values */
    TG_EINVAL = -(TG_EBASE + 1),   /* invalid argument or value */
    TG_ERANGE = -(TG_EBASE + 2),   /* value out of the allowed range */
    TG_ENOMEM = -(TG_EBASE + 3),   /* allocation failed or a hard cap was hit */
    TG_EPARSE = -(TG_EBASE + 4),   /* malformed input (protocol, file, JSON) */
    TG_ETOOBIG = -(TG_EBASE + 5),  /* input larger than the configured limit */
    TG_EAGAIN = -(TG_EBASE + 6),   /* would block; retry when ready */
    TG_EPARTIAL = -(TG_EBASE + 7), /* incomplete input; feed more bytes */
    TG_ETIMEOUT = -(TG_EBASE + 8), /* a deadline passed */
    TG_ECLOSED = -(TG_EBASE + 9),  /* peer closed the connection */
    TG_EIO = -(TG_EBASE + 10),     /* I/O error not covered by errno */
    TG_EMISMATCH = -(TG_EBASE + 11), /* inputs that must agree do not */
    TG_EINTR = -(TG_EBASE + 12),   /* interrupted by a signal (SIGINT/SIGTERM) */
};

/* Returns a static, thread-safe string for a TG_E* code or a negative errno.
 * Positive values are treated as errno values too. */
const char *tg_strerror(int err);

/* The one message of an error in a file at a line: writes "NAME:LINE: " and
 * the formatted reason into err[0..errlen) (cut to fit; nothing when err is
 * NULL or errlen 0) and returns TG_EPARSE, so a parser can
 * `return tg_err_at(...)`.  Thread-safe. */
int tg_err_at(char *err, size_t errlen, const char *name, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
