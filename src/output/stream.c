/*
 * stream.c - stream file lines (stream.h).
 */
#include "output/stream.h"

#include <string.h>

#define XID_MAX 64

static char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static char *put_lit(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

/* A JSON string of s (at most XID_MAX bytes): '"' and '\' escaped, control
 * bytes and non-ASCII dropped (an X-Request-Id is ASCII). */
static char *put_jstr(char *p, const char *s)
{
    *p++ = '"';
    for (size_t i = 0; s[i] && i < XID_MAX; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f)
            continue;
        if (c == '"' || c == '\\')
            *p++ = '\\';
        *p++ = (char)c;
    }
    *p++ = '"';
    return p;
}

size_t tg_stream_line_max(size_t n)
{
    /* keys and punctuation < 128, three u64 of 20, the id escaped, then each
     * event: 20 digits + ',' and 10 digits + ',' */
    return 128 + 3 * 20 + 2 * XID_MAX + 2 + n * 32;
}

size_t tg_stream_line_format(char *out, const struct tg_stream_line *l)
{
    char *p = out;
    p = put_lit(p, "{\"request_id\":");
    p = put_u64(p, l->request_id);
    p = put_lit(p, ",\"x_request_id\":");
    p = l->x_request_id ? put_jstr(p, l->x_request_id) : put_lit(p, "null");
    p = put_lit(p, ",\"send_ns\":");
    p = put_u64(p, l->send_ns);
    p = put_lit(p, ",\"event_ns\":[");
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            *p++ = ',';
        p = put_u64(p, l->event_ns[i]);
    }
    p = put_lit(p, "],\"tokens\":[");
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            *p++ = ',';
        p = put_u64(p, l->tokens ? l->tokens[i] : 1);
    }
    p = put_lit(p, l->ok ? "],\"ok\":true}\n" : "],\"ok\":false}\n");
    return (size_t)(p - out);
}
