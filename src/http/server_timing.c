/*
 * server_timing.c - the two Server-Timing metrics tailgate reads: "queue"
 * and "compute" durations in ms (W3C Server Timing), in any order, among
 * other metrics and parameters, over one or several header fields.
 *
 * Lenient by design (it "never fails"): a malformed element is skipped up to
 * the next comma outside a quoted string; a metric whose dur is missing,
 * negative or not a number stays absent; the first valid dur of a metric
 * wins, as the spec prescribes for repeated parameters.
 */
#include "http/http.h"
#include "http/internal.h"

#include <math.h>
#include <stdint.h>

static const char *skip_ows(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

static const char *skip_token(const char *p, const char *e)
{
    while (p < e && tg_http_tchar[(unsigned char)*p])
        p++;
    return p;
}

/* p at the opening quote; returns the byte after the closing one, or e
 * (then *closed is false) when the string is not terminated. */
static const char *skip_quoted_ex(const char *p, const char *e, bool *closed)
{
    for (p++; p < e; p++) {
        if (*p == '\\') {
            if (++p == e)
                break;
        } else if (*p == '"') {
            *closed = true;
            return p + 1;
        }
    }
    *closed = false;
    return e;
}

static const char *skip_quoted(const char *p, const char *e)
{
    bool closed;
    return skip_quoted_ex(p, e, &closed);
}

/* Skips to the next ',' outside a quoted string (returns it, or e). */
static const char *skip_to_comma(const char *p, const char *e)
{
    while (p < e && *p != ',')
        p = *p == '"' ? skip_quoted(p, e) : p + 1;
    return p;
}

static const double pow10_tab[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Decimal [digits][.digits][(e|E)[+-]digits], the whole of [p, e); returns
 * false when it is not one or is not finite.  Exact for the usual "48.213". */
static bool parse_dur(const char *p, const char *e, double *out)
{
    uint64_t mant = 0;
    int exp10 = 0, digits = 0, sig = 0;
    for (; p < e && *p >= '0' && *p <= '9'; p++, digits++) {
        if (sig < 19) {
            mant = mant * 10 + (uint64_t)(*p - '0');
            if (mant)
                sig++;
        } else {
            exp10++;
        }
    }
    if (p < e && *p == '.') {
        for (p++; p < e && *p >= '0' && *p <= '9'; p++, digits++) {
            if (sig < 19) {
                mant = mant * 10 + (uint64_t)(*p - '0');
                exp10--;
                if (mant)
                    sig++;
            }
        }
    }
    if (!digits)
        return false;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        int sign = 1, x = 0, xd = 0;
        if (p < e && (*p == '+' || *p == '-'))
            sign = *p++ == '-' ? -1 : 1;
        for (; p < e && *p >= '0' && *p <= '9'; p++, xd++)
            if (x < 10000)
                x = x * 10 + (*p - '0');
        if (!xd)
            return false;
        exp10 += sign * x;
    }
    if (p != e)
        return false;
    double v = (double)mant;
    if (mant == 0)
        v = 0;
    else if (exp10 >= 0 && exp10 <= 22)
        v *= pow10_tab[exp10];
    else if (exp10 < 0 && exp10 >= -22)
        v /= pow10_tab[-exp10];
    else
        v *= pow(10.0, exp10);
    if (!isfinite(v))
        return false;
    *out = v;
    return true;
}

void tg_http_server_timing_merge(const char *v, size_t n, double *queue_ms, double *compute_ms)
{
    const char *p = v, *e = v + n;
    while (p < e) {
        p = skip_ows(p, e);
        if (p < e && *p == ',') {
            p++;
            continue;
        }
        const char *name = p;
        p = skip_token(p, e);
        size_t nl = (size_t)(p - name);
        if (!nl) {
            p = skip_to_comma(p, e);
            continue;
        }
        double *target = NULL;
        if (tg_http_name_eq(name, nl, "queue", 5))
            target = queue_ms;
        else if (tg_http_name_eq(name, nl, "compute", 7))
            target = compute_ms;
        bool seen_dur = false;
        for (;;) {
            p = skip_ows(p, e);
            if (p >= e)
                break;
            if (*p == ',') {
                p++;
                break;
            }
            if (*p != ';') {
                p = skip_to_comma(p, e);
                continue;
            }
            p = skip_ows(p + 1, e);
            const char *pn = p;
            p = skip_token(p, e);
            size_t pnl = (size_t)(p - pn);
            p = skip_ows(p, e);
            const char *vs = p, *ve = p;
            if (p < e && *p == '=') {
                p = skip_ows(p + 1, e);
                if (p < e && *p == '"') {
                    bool closed;
                    vs = p + 1;
                    p = skip_quoted_ex(p, e, &closed);
                    if (closed)
                        ve = p - 1;
                    else
                        vs = ve = NULL; /* unterminated: no value */
                } else {
                    vs = p;
                    p = skip_token(p, e);
                    ve = p;
                }
            }
            if (pnl && tg_http_name_eq(pn, pnl, "dur", 3) && !seen_dur) {
                seen_dur = true;
                double d;
                if (target && *target < 0 && vs && parse_dur(vs, ve, &d))
                    *target = d;
            }
        }
    }
}

void tg_http_parse_server_timing(const char *v, size_t n, double *queue_ms, double *compute_ms)
{
    *queue_ms = -1;
    *compute_ms = -1;
    tg_http_server_timing_merge(v, n, queue_ms, compute_ms);
}
