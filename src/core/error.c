#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *tg_strerror(int err)
{
    switch (err) {
    case 0: return "success";
    case TG_EINVAL: return "invalid value";
    case TG_ERANGE: return "value out of range";
    case TG_ENOMEM: return "out of memory or size limit reached";
    case TG_EPARSE: return "malformed input";
    case TG_ETOOBIG: return "input too large";
    case TG_EAGAIN: return "operation would block";
    case TG_EPARTIAL: return "incomplete input";
    case TG_ETIMEOUT: return "timed out";
    case TG_ECLOSED: return "connection closed by peer";
    case TG_EIO: return "input/output error";
    case TG_EMISMATCH: return "inputs do not match";
    case TG_EINTR: return "interrupted";
    default: break;
    }
    if (err < 0)
        err = -err;
    /* strerror_r (GNU) may or may not use buf; strerrordesc_np is static. */
    const char *s = strerrordesc_np(err);
    return s ? s : "unknown error";
}

int tg_err_at(char *err, size_t errlen, const char *name, unsigned long line, const char *fmt, ...)
{
    if (!err || !errlen)
        return TG_EPARSE;
    int n = snprintf(err, errlen, "%s:%lu: ", name ? name : "?", line);
    if (n >= 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return TG_EPARSE;
}
