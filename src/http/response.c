/*
 * response.c - the incremental, zero-copy HTTP/1.1 response head parser.
 *
 * The parser is re-run from the start of the buffer whenever more bytes have
 * arrived (picohttpparser style).  It looks at complete lines only, in order,
 * and decides each line from that line and the ones before it, so feeding a
 * head byte by byte gives exactly the verdict of feeding it whole: every
 * proper prefix of a valid head is TG_EPARTIAL.  The common case (the whole
 * head in one read) is one memchr per line plus one pass over the bytes.
 */
#include "http/http.h"
#include "http/internal.h"

#include "core/error.h"

#include <string.h>
#include <strings.h>

/* RFC 9110 5.6.2 tchar. */
const unsigned char tg_http_tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1,
    ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1,
    ['~'] = 1, ['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1,
};

/* Field-value and reason-phrase bytes: HTAB, SP, VCHAR, obs-text. */
static inline bool bad_text_byte(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

static inline uint64_t load8(const char *p)
{
    uint64_t x;
    memcpy(&x, p, sizeof x);
    return x;
}

/* The hot loop of the parser: header values are most of a head's bytes.
 * Eight bytes at a time with the exact "has a byte less than n" and "has a
 * zero byte" word tricks; a word holding any control byte (HTAB included,
 * the one allowed) or DEL drops to the byte loop, which decides. */
static bool text_ok(const char *p, const char *e)
{
    if (e - p >= 8) {
        /* the last word overlaps the one before it: no byte-wise tail */
        const char *last = e - 8;
        for (;;) {
            uint64_t x = load8(p), y = x ^ (0x7f * ONES);
            if (((x - 0x20 * ONES) & ~x & HIGHS) | ((y - ONES) & ~y & HIGHS))
                break;
            if (p == last)
                return true;
            p = p + 8 < last ? p + 8 : last;
        }
    }
    for (; p < e; p++)
        if (bad_text_byte((unsigned char)*p))
            return false;
    return true;
}

/* Returns the end of the run of tchars starting at p (at most le). */
static inline const char *scan_token(const char *p, const char *le)
{
    const unsigned char *q = (const unsigned char *)p;
    while (le - (const char *)q >= 4 &&
           (tg_http_tchar[q[0]] & tg_http_tchar[q[1]] & tg_http_tchar[q[2]] & tg_http_tchar[q[3]]))
        q += 4;
    while ((const char *)q < le && tg_http_tchar[*q])
        q++;
    return (const char *)q;
}

bool tg_http_name_eq(const char *p, size_t n, const char *lower, size_t ln)
{
    if (n != ln)
        return false;
    /* OR-ing 0x20 folds A-Z onto a-z; the only other bytes it can fold onto
     * a lower-case letter, digit or '-' are controls and a few punctuation
     * bytes that are neither tchars nor allowed in a list element here. */
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        if ((load8(p + i) | 0x20 * ONES) != load8(lower + i))
            return false;
    for (; i < n; i++)
        if (((unsigned char)p[i] | 0x20) != (unsigned char)lower[i])
            return false;
    return true;
}

/* Calls fn(ctx, elem, elem_len) for each non-empty element of a
 * comma-separated list (RFC 9110 5.6.1), elements OWS-trimmed.  Stops and
 * returns the first non-zero fn result. */
static int for_each_elem(const char *v, size_t n, int (*fn)(void *, const char *, size_t),
                         void *ctx)
{
    const char *p = v, *e = v + n;
    while (p < e) {
        const char *c = memchr(p, ',', (size_t)(e - p));
        const char *ee = c ? c : e;
        const char *a = p, *b = ee;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (a < b) {
            int rc = fn(ctx, a, (size_t)(b - a));
            if (rc)
                return rc;
        }
        p = c ? c + 1 : e;
    }
    return 0;
}

struct framing {
    bool have_cl;
    uint64_t cl;
    unsigned cl_elems;   /* Content-Length list elements seen */
    int te_chunked;      /* number of "chunked" codings seen */
    bool conn_close;
    bool conn_keep_alive;
};

static int cl_elem(void *ctx, const char *p, size_t n)
{
    struct framing *f = ctx;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)p[i] - '0';
        if (d > 9)
            return TG_EPARSE;
        if (v > (UINT64_MAX - d) / 10)
            return TG_EPARSE;
        v = v * 10 + d;
    }
    if (f->have_cl && f->cl != v)
        return TG_EPARSE;
    f->have_cl = true;
    f->cl = v;
    f->cl_elems++;
    return 0;
}

static int te_elem(void *ctx, const char *p, size_t n)
{
    struct framing *f = ctx;
    if (!tg_http_name_eq(p, n, "chunked", 7))
        return TG_EPARSE;
    f->te_chunked++;
    return 0;
}

static int conn_elem(void *ctx, const char *p, size_t n)
{
    struct framing *f = ctx;
    if (tg_http_name_eq(p, n, "close", 5))
        f->conn_close = true;
    else if (tg_http_name_eq(p, n, "keep-alive", 10))
        f->conn_keep_alive = true;
    return 0;
}

static int on_header(struct framing *f, struct tg_http_response *r, const char *name, size_t nl,
                     const char *v, size_t vl)
{
    int rc = 0;
    switch (nl) {
    case 10:
        if (tg_http_name_eq(name, nl, "connection", 10))
            rc = for_each_elem(v, vl, conn_elem, f);
        break;
    case 13:
        if (tg_http_name_eq(name, nl, "server-timing", 13))
            tg_http_server_timing_merge(v, vl, &r->server_queue_ms, &r->server_compute_ms);
        break;
    case 14:
        if (tg_http_name_eq(name, nl, "content-length", 14)) {
            /* "5, 5" and repeated equal headers are one length (RFC 9110
             * 8.6); an empty value or only commas is none. */
            unsigned before = f->cl_elems;
            rc = for_each_elem(v, vl, cl_elem, f);
            if (!rc && f->cl_elems == before)
                rc = TG_EPARSE;
        }
        break;
    case 17:
        if (tg_http_name_eq(name, nl, "transfer-encoding", 17)) {
            int before = f->te_chunked;
            rc = for_each_elem(v, vl, te_elem, f);
            if (!rc && f->te_chunked == before)
                rc = TG_EPARSE; /* empty Transfer-Encoding */
        }
        break;
    default:
        break;
    }
    return rc;
}

/* ASCII case-insensitive equality of two n-byte names. */
static bool name_eq_ci(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if ((unsigned)(x - 'A') < 26u)
            x |= 0x20;
        if ((unsigned)(y - 'A') < 26u)
            y |= 0x20;
        if (x != y)
            return false;
    }
    return true;
}

static void on_watched(const struct tg_http_watch *watch, struct tg_http_response *r, const char *name,
                       size_t nl, const char *v, size_t vl)
{
    for (int i = 0; i < TG_HTTP_MAX_WATCH; i++)
        if (watch->len[i] == nl && !r->watched[i] && name_eq_ci(name, watch->name[i], nl)) {
            r->watched[i] = v;
            r->watched_len[i] = vl;
        }
}

static inline int incomplete(size_t len)
{
    return len >= TG_HTTP_MAX_HEAD_BYTES ? TG_ETOOBIG : TG_EPARTIAL;
}

int tg_http_parse_response_head(const char *buf, size_t len, bool request_was_head,
                                 struct tg_http_response *r)
{
    return tg_http_parse_response_head_watch(buf, len, request_was_head, NULL, r);
}

int tg_http_parse_response_head_watch(const char *buf, size_t len, bool request_was_head,
                                       const struct tg_http_watch *watch, struct tg_http_response *r)
{
    size_t lim = len < TG_HTTP_MAX_HEAD_BYTES ? len : TG_HTTP_MAX_HEAD_BYTES;
    const char *end = buf + lim;
    if (len == 0)
        return TG_EPARTIAL;

    /* Fail fast on a peer that does not speak HTTP/1.x at all. */
    static const char proto[] = "HTTP/1.";
    if (memcmp(buf, proto, lim < 7 ? lim : 7) != 0)
        return TG_EPARSE;

    const char *nl = memchr(buf, '\n', lim);
    if (!nl)
        return incomplete(len);
    const char *le = nl;
    if (le > buf && le[-1] == '\r')
        le--;

    /* status-line = HTTP-version SP 3DIGIT SP [reason-phrase]; the SP before an
     * empty reason is often missing in the wild, so both forms are accepted. */
    const char *p = buf;
    if (le - p < 12 || (p[7] != '0' && p[7] != '1') || p[8] != ' ')
        return TG_EPARSE;
    unsigned d0 = (unsigned char)p[9] - '0', d1 = (unsigned char)p[10] - '0',
             d2 = (unsigned char)p[11] - '0';
    if (d0 - 1 > 8 || d1 > 9 || d2 > 9)
        return TG_EPARSE;
    r->minor_version = p[7] - '0';
    r->status = (int)(d0 * 100 + d1 * 10 + d2);
    if (le == p + 12) {
        r->reason = p + 12;
        r->reason_len = 0;
    } else {
        if (p[12] != ' ' || !text_ok(p + 13, le))
            return TG_EPARSE;
        r->reason = p + 13;
        r->reason_len = (size_t)(le - (p + 13));
    }
    r->num_headers = 0;
    r->server_queue_ms = -1;
    r->server_compute_ms = -1;
    for (int i = 0; i < TG_HTTP_MAX_WATCH; i++) {
        r->watched[i] = NULL;
        r->watched_len[i] = 0;
    }

    struct framing f = { 0 };
    for (;;) {
        p = nl + 1;
        if (p >= end)
            return incomplete(len);
        if (*p == '\n') {
            p++;
            break;
        }
        if (*p == '\r') {
            if (p + 1 >= end)
                return incomplete(len);
            if (p[1] != '\n')
                return TG_EPARSE;
            p += 2;
            break;
        }
        nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return incomplete(len);
        le = nl;
        if (le[-1] == '\r')
            le--;
        /* field-name ":" OWS field-value OWS; a line starting with a blank
         * (obs-fold) or a blank before the colon fails the token scan. */
        const char *q = scan_token(p, le);
        if (q == p || q == le || *q != ':')
            return TG_EPARSE;
        const char *name = p;
        size_t name_len = (size_t)(q - p);
        q++;
        while (q < le && (*q == ' ' || *q == '\t'))
            q++;
        const char *ve = le;
        while (ve > q && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        if (!text_ok(q, ve))
            return TG_EPARSE;
        if (r->num_headers == TG_HTTP_MAX_HEADERS)
            return TG_ETOOBIG;
        struct tg_http_header *h = &r->headers[r->num_headers++];
        h->name = name;
        h->name_len = name_len;
        h->value = q;
        h->value_len = (size_t)(ve - q);
        int rc = on_header(&f, r, name, name_len, q, h->value_len);
        if (rc)
            return rc;
        if (watch)
            on_watched(watch, r, name, name_len, q, h->value_len);
    }

    r->head_len = (size_t)(p - buf);
    r->content_length = 0;
    if (r->minor_version == 1)
        r->keep_alive = !f.conn_close;
    else
        r->keep_alive = f.conn_keep_alive && !f.conn_close;

    /* RFC 9112 6.1: Transfer-Encoding in an HTTP/1.0 message means faulty
     * framing; chunked applied twice is forbidden. */
    if (f.te_chunked && (r->minor_version == 0 || f.te_chunked > 1))
        return TG_EPARSE;

    /* RFC 9112 6.3, in its order. */
    if (request_was_head || r->status < 200 || r->status == 204 || r->status == 304) {
        r->body_kind = TG_HTTP_BODY_NONE;
        if (r->status == 101)
            r->keep_alive = false; /* the connection is no longer HTTP/1.1 */
    } else if (f.te_chunked) {
        /* Transfer-Encoding overrides Content-Length; such a message may be a
         * smuggling attempt, so the connection is not reused after it. */
        r->body_kind = TG_HTTP_BODY_CHUNKED;
        if (f.have_cl)
            r->keep_alive = false;
    } else if (f.have_cl) {
        r->body_kind = TG_HTTP_BODY_LENGTH;
        r->content_length = f.cl;
    } else {
        r->body_kind = TG_HTTP_BODY_UNTIL_CLOSE;
        r->keep_alive = false;
    }
    return (int)r->head_len;
}

const struct tg_http_header *tg_http_find_header(const struct tg_http_response *r,
                                                 const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < r->num_headers; i++) {
        const struct tg_http_header *h = &r->headers[i];
        if (h->name_len == n && strncasecmp(h->name, name, n) == 0)
            return h;
    }
    return NULL;
}
