/*
 * request.c - the request writer.  It sizes the whole request first and
 * copies with memcpy into one reservation: it runs once per request on the
 * load generator's hot path, where printf-style formatting would dominate.
 */
#include "http/http.h"

#include "core/error.h"

#include <string.h>

static bool has_crlf(const char *s, size_t n)
{
    return memchr(s, '\r', n) || memchr(s, '\n', n);
}

static char *put(char *w, const char *s, size_t n)
{
    memcpy(w, s, n);
    return w + n;
}

int tg_http_write_request(struct tg_buf *out, const char *method, const struct tg_url *u,
                          const struct tg_http_kv *headers, size_t nheaders,
                          const void *body, size_t body_len, bool keep_alive)
{
    static const char ver[] = " HTTP/1.1\r\nHost: ";
    static const char cl[] = "Content-Length: ";
    static const char close_hdr[] = "Connection: close\r\n";
    size_t ml = strlen(method), pl = strlen(u->path), al = strlen(u->authority);
    if (!ml || has_crlf(method, ml) || memchr(method, ' ', ml) || has_crlf(u->path, pl) ||
        has_crlf(u->authority, al))
        return TG_EINVAL;

    size_t total = ml + 1 + pl + (sizeof ver - 1) + al + 2 + 2;
    for (size_t i = 0; i < nheaders; i++) {
        size_t nl = strlen(headers[i].name), vl = strlen(headers[i].value);
        if (!nl || has_crlf(headers[i].name, nl) || memchr(headers[i].name, ':', nl) ||
            has_crlf(headers[i].value, vl))
            return TG_EINVAL; /* no header injection through -H */
        total += nl + 2 + vl + 2;
    }
    char num[24];
    size_t numlen = 0;
    if (body) {
        char tmp[24];
        size_t v = body_len;
        do {
            tmp[numlen++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        for (size_t i = 0; i < numlen; i++)
            num[i] = tmp[numlen - 1 - i];
        total += (sizeof cl - 1) + numlen + 2 + body_len;
    }
    if (!keep_alive)
        total += sizeof close_hdr - 1;

    int rc = tg_buf_reserve(out, total);
    if (rc)
        return rc;
    char *w = out->data + out->len;
    w = put(w, method, ml);
    *w++ = ' ';
    w = put(w, u->path, pl);
    w = put(w, ver, sizeof ver - 1);
    w = put(w, u->authority, al);
    w = put(w, "\r\n", 2);
    for (size_t i = 0; i < nheaders; i++) {
        w = put(w, headers[i].name, strlen(headers[i].name));
        w = put(w, ": ", 2);
        w = put(w, headers[i].value, strlen(headers[i].value));
        w = put(w, "\r\n", 2);
    }
    if (body) {
        w = put(w, cl, sizeof cl - 1);
        w = put(w, num, numlen);
        w = put(w, "\r\n", 2);
    }
    if (!keep_alive)
        w = put(w, close_hdr, sizeof close_hdr - 1);
    w = put(w, "\r\n", 2);
    if (body && body_len)
        w = put(w, body, body_len);
    out->len = (size_t)(w - out->data);
    out->data[out->len] = '\0';
    return 0;
}
