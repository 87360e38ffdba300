/*
 * prows.c - a small by-name CSV reader for requests.csv phases.  compare's
 * strict reader (compare/rows.h) validates the columns it knows; this one
 * only needs the numbers, so it is lenient about columns it does not use
 * but still rejects rows whose field count differs from the header's.
 */
#include "analyze/prows.h"

#include "compare/rows.h"
#include "core/error.h"
#include "stats/percentile.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FIELD_MAX 1024
#define MAX_COLS 128

enum col {
    C_IGNORE, C_REQUEST_ID, C_TIMESTAMP, C_LATENCY, C_STATUS, C_OK, C_HTTP_ID, C_BATCH,
    C_CLIENT_QUEUE, C_CONNECT, C_TTFB, C_SERVICE, C_SQUEUE, C_SCOMPUTE, C_HASH,
    C_TTFT, C_TPOT, C_ITL_MAX, C_OTOKENS,
};

static const struct { const char *name; enum col c; } names[] = {
    { "request_id", C_REQUEST_ID }, { "timestamp_ms", C_TIMESTAMP }, { "latency_ms", C_LATENCY },
    { "status_code", C_STATUS }, { "ok", C_OK }, { "http_request_id", C_HTTP_ID },
    { "batch_size", C_BATCH }, { "client_queue_ms", C_CLIENT_QUEUE }, { "connect_ms", C_CONNECT },
    { "ttfb_ms", C_TTFB }, { "service_ms", C_SERVICE }, { "server_queue_ms", C_SQUEUE },
    { "server_compute_ms", C_SCOMPUTE }, { "output_hash", C_HASH },
    { "ttft_ms", C_TTFT }, { "tpot_ms", C_TPOT }, { "itl_max_ms", C_ITL_MAX }, { "output_tokens", C_OTOKENS },
};

struct tg_prow *tg_prows_push(struct tg_prows *r)
{
    if (r->n == r->cap) {
        if (r->cap >= TG_PROWS_MAX)
            return NULL;
        size_t cap = r->cap ? r->cap * 2 : 256;
        struct tg_prow *v = realloc(r->v, cap * sizeof *v);
        if (!v)
            return NULL;
        r->v = v;
        r->cap = cap;
    }
    struct tg_prow *p = &r->v[r->n++];
    memset(p, 0, sizeof *p);
    p->timestamp_ms = p->latency_ms = p->client_queue_ms = p->connect_ms = NAN;
    p->ttfb_ms = p->service_ms = p->server_queue_ms = p->server_compute_ms = NAN;
    p->ttft_ms = p->tpot_ms = p->itl_max_ms = p->output_tokens = NAN;
    return p;
}

void tg_prows_free(struct tg_prows *r)
{
    if (!r)
        return;
    free(r->v);
    memset(r, 0, sizeof *r);
}

static int perr(char *err, size_t errlen, const char *name, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int perr(char *err, size_t errlen, const char *name, unsigned line, const char *fmt, ...)
{
    if (err && errlen) {
        int n = snprintf(err, errlen, "%s:%u: ", name, line);
        if (n >= 0 && (size_t)n < errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return TG_EPARSE;
}

/* Reads one field at *p (up to a comma or line end) into f; advances *p past
 * the comma.  Returns 1 more fields follow, 0 end of line, -1 malformed. */
static int next_field(const char **p, const char *end, char *f, size_t *flen)
{
    const char *s = *p;
    size_t n = 0;
    if (s < end && *s == '"') {
        s++;
        for (;;) {
            if (s >= end)
                return -1;
            if (*s == '"') {
                if (s + 1 < end && s[1] == '"') {
                    if (n < FIELD_MAX - 1)
                        f[n++] = '"';
                    s += 2;
                    continue;
                }
                s++;
                break;
            }
            if (n < FIELD_MAX - 1)
                f[n++] = *s;
            s++;
        }
    } else {
        while (s < end && *s != ',' && *s != '\n' && *s != '\r') {
            if (*s == '"')
                return -1;
            if (n < FIELD_MAX - 1)
                f[n++] = *s;
            s++;
        }
    }
    f[n] = '\0';
    *flen = n;
    if (s < end && *s == ',') {
        *p = s + 1;
        return 1;
    }
    if (s < end && *s == '\r')
        s++;
    if (s < end && *s == '\n')
        s++;
    else if (s < end)
        return -1;
    *p = s;
    return 0;
}

static bool num(const char *f, double *v)
{
    if (!*f) {
        *v = NAN;
        return true;
    }
    char *e;
    errno = 0;
    double d = strtod(f, &e);
    if (*e || errno == ERANGE)
        return false;
    *v = d;
    return true;
}

int tg_prows_parse(const char *data, size_t len, const char *name, struct tg_prows *out,
                   char *err, size_t errlen)
{
    const char *p = data, *end = data + len;
    char f[FIELD_MAX];
    size_t flen;
    enum col cols[MAX_COLS];
    size_t ncols = 0;
    unsigned line = 1;
    unsigned present = 0;   /* bit per enum col */

    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    for (;;) {
        int more = next_field(&p, end, f, &flen);
        if (more < 0)
            return perr(err, errlen, name, line, "malformed header");
        if (ncols == MAX_COLS)
            return perr(err, errlen, name, line, "more than %d columns", MAX_COLS);
        enum col c = C_IGNORE;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (!strcmp(f, names[i].name))
                c = names[i].c;
        cols[ncols++] = c;
        present |= 1u << c;
        if (!more)
            break;
    }
    if (!(present & (1u << C_REQUEST_ID)) || !(present & (1u << C_LATENCY)) ||
        !(present & ((1u << C_STATUS) | (1u << C_OK))))
        return perr(err, errlen, name, 1, "needs columns request_id, latency_ms and status_code or ok");
    bool has_ok = present & (1u << C_OK);
    unsigned filled = 0;
    while (p < end) {
        line++;
        if (*p == '\n' || *p == '\r') {   /* blank line */
            if (*p == '\r')
                p++;
            if (p < end && *p == '\n')
                p++;
            continue;
        }
        struct tg_prow *r = tg_prows_push(out);
        if (!r)
            return TG_ENOMEM;
        double ok = NAN;
        size_t i = 0;
        for (;; i++) {
            int more = next_field(&p, end, f, &flen);
            if (more < 0)
                return perr(err, errlen, name, line, "malformed field %zu", i + 1);
            if (i >= ncols)
                return perr(err, errlen, name, line, "more fields than the header's %zu", ncols);
            double v = NAN;
            enum col c = cols[i];
            if (c != C_IGNORE && c != C_HASH && !num(f, &v))
                return perr(err, errlen, name, line, "bad number '%.40s' in column %zu", f, i + 1);
            if (!isnan(v) || (c == C_HASH && flen))
                filled |= 1u << c;
            switch (c) {
            case C_REQUEST_ID:
                if (!(v >= 0) || v != floor(v))
                    return perr(err, errlen, name, line, "bad request_id '%.40s'", f);
                r->request_id = (uint64_t)v;
                break;
            case C_TIMESTAMP: r->timestamp_ms = v; break;
            case C_LATENCY: r->latency_ms = v; break;
            case C_STATUS: r->status = isnan(v) ? 0 : (int)v; break;
            case C_OK: ok = v; break;
            case C_HTTP_ID:
                if (v >= 0) {
                    r->http_request_id = (uint64_t)v;
                    r->has_http_id = true;
                }
                break;
            case C_BATCH: r->batch_size = v >= 0 && v < 1e9 ? (uint32_t)v : 0; break;
            case C_CLIENT_QUEUE: r->client_queue_ms = v; break;
            case C_CONNECT: r->connect_ms = v; break;
            case C_TTFB: r->ttfb_ms = v; break;
            case C_SERVICE: r->service_ms = v; break;
            case C_SQUEUE: r->server_queue_ms = v; break;
            case C_SCOMPUTE: r->server_compute_ms = v; break;
            case C_TTFT: r->ttft_ms = v; break;
            case C_TPOT: r->tpot_ms = v; break;
            case C_ITL_MAX: r->itl_max_ms = v; break;
            case C_OTOKENS: r->output_tokens = v; break;
            case C_HASH:
                if (flen == 64)
                    memcpy(r->hash, f, 65);
                break;
            case C_IGNORE: break;
            }
            if (!more)
                break;
        }
        if (i + 1 != ncols)
            return perr(err, errlen, name, line, "%zu fields, the header has %zu", i + 1, ncols);
        r->ok = has_ok ? ok == 1 : r->status >= 200 && r->status < 300;
        if (r->ok && isnan(r->latency_ms))
            return perr(err, errlen, name, line, "an ok row without latency_ms");
    }
    out->have = 0;
    if ((filled & (1u << C_SERVICE)) && (filled & (1u << C_CLIENT_QUEUE)))
        out->have |= TG_PROWS_PHASES;
    if ((filled & (1u << C_SQUEUE)) && (filled & (1u << C_SCOMPUTE)))
        out->have |= TG_PROWS_SERVER_TIMING;
    if (filled & (1u << C_HASH))
        out->have |= TG_PROWS_HASH;
    if (filled & (1u << C_BATCH))
        out->have |= TG_PROWS_BATCH;
    if (filled & (1u << C_TTFT))
        out->have |= TG_PROWS_STREAM;
    return 0;
}

int tg_prows_load(const char *path, struct tg_prows *out, char *err, size_t errlen)
{
    char file[4200];
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(file, sizeof file, "%s/requests.csv", path);
    else
        snprintf(file, sizeof file, "%s", path);
    char *data;
    size_t len;
    int rc = tg_read_file(file, (size_t)1 << 31, &data, &len);
    if (rc) {
        snprintf(err, errlen, "%s: %s", file, tg_strerror(rc));
        return rc;
    }
    rc = tg_prows_parse(data, len, file, out, err, errlen);
    free(data);
    return rc;
}

int tg_prows_ok_latencies(const struct tg_prows *r, double **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t m = 0;
    for (size_t i = 0; i < r->n; i++)
        m += r->v[i].ok;
    if (!m)
        return 0;
    double *v = malloc(m * sizeof *v);
    if (!v)
        return TG_ENOMEM;
    m = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].ok)
            v[m++] = r->v[i].latency_ms;
    tg_sort_doubles(v, m);
    *out = v;
    *n = m;
    return 0;
}

double tg_prows_wall_s(const struct tg_prows *r)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < r->n; i++) {
        const struct tg_prow *p = &r->v[i];
        if (isnan(p->timestamp_ms))
            continue;
        if (p->timestamp_ms < lo)
            lo = p->timestamp_ms;
        double e = p->timestamp_ms + (isnan(p->latency_ms) ? 0 : p->latency_ms);
        if (e > hi)
            hi = e;
    }
    return hi > lo ? (hi - lo) / 1000.0 : NAN;
}
