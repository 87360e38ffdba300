/*
 * chunked.c - the in-place chunked transfer-coding decoder (RFC 9112 7.1).
 *
 * A byte-at-a-time state machine for the framing lines and one memmove per
 * run of data, so any split of the input gives the same result.  Choices:
 * the CR before each LF is optional (bare LF accepted, as for the head);
 * chunk extensions are skipped without being interpreted (only control
 * bytes are refused); trailer fields are skipped, never interpreted; a
 * chunk size past 2^64-1 is TG_EPARSE.
 */
#include "http/http.h"

#include "core/error.h"

#include <string.h>

#define LINE_MAX_BYTES 1024

enum {
    ST_SIZE_FIRST,   /* expecting the first hex digit of a chunk-size */
    ST_SIZE,         /* in the hex digits */
    ST_SIZE_WS,      /* blanks after the size: ';' or the line end must follow */
    ST_EXT,          /* in chunk extensions, up to the line end */
    ST_SIZE_LF,      /* CR seen on the size line, LF must follow */
    ST_DATA,         /* chunk_left data bytes to copy */
    ST_DATA_CR,      /* after the data: CR or LF */
    ST_DATA_LF,      /* after the data and CR: LF */
    ST_TRAILER_START,/* start of a trailer line or of the final blank line */
    ST_TRAILER,      /* inside a trailer field line */
    ST_TRAILER_LF,   /* CR in a trailer line seen, LF must follow */
    ST_END_LF,       /* CR of the final blank line seen, LF must follow */
    ST_DONE,
};

static inline int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static inline bool is_ctl(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

long tg_http_decode_chunked(struct tg_http_chunked *d, char *buf, size_t *len)
{
    size_t src = 0, dst = 0, n = *len;
    long rc = TG_EPARTIAL;

    while (src < n) {
        if (d->state == ST_DATA) {
            size_t avail = n - src;
            size_t take = d->chunk_left < avail ? (size_t)d->chunk_left : avail;
            if (dst != src)
                memmove(buf + dst, buf + src, take);
            dst += take;
            src += take;
            d->chunk_left -= take;
            if (d->chunk_left == 0)
                d->state = ST_DATA_CR;
            continue;
        }
        if (d->state == ST_DONE)
            break;
        unsigned char c = (unsigned char)buf[src++];
        /* Every framing byte but the CR LF ending a line counts towards the
         * cap; no state accepts two CRs in a row, so CRs cannot pile up. */
        if (c != '\n' && c != '\r' && ++d->line_len > LINE_MAX_BYTES)
            return TG_ETOOBIG;
        switch (d->state) {
        case ST_SIZE_FIRST:
        case ST_SIZE: {
            int h = hexval(c);
            if (h >= 0) {
                if (d->chunk_left >> 60)
                    return TG_EPARSE; /* would overflow 64 bits */
                d->chunk_left = (d->chunk_left << 4) | (uint64_t)h;
                d->state = ST_SIZE;
                break;
            }
            if (d->state == ST_SIZE_FIRST)
                return TG_EPARSE;
            goto after_size;
        }
        case ST_SIZE_WS:
        after_size:
            if (c == ' ' || c == '\t')
                d->state = ST_SIZE_WS;
            else if (c == ';')
                d->state = ST_EXT;
            else if (c == '\r')
                d->state = ST_SIZE_LF;
            else if (c == '\n')
                goto size_line_done;
            else
                return TG_EPARSE;
            break;
        case ST_EXT:
            if (c == '\r')
                d->state = ST_SIZE_LF;
            else if (c == '\n')
                goto size_line_done;
            else if (is_ctl(c))
                return TG_EPARSE;
            break;
        case ST_SIZE_LF:
            if (c != '\n')
                return TG_EPARSE;
        size_line_done:
            d->line_len = 0;
            d->state = d->chunk_left ? ST_DATA : ST_TRAILER_START;
            break;
        case ST_DATA_CR:
            d->line_len = 0;
            if (c == '\r')
                d->state = ST_DATA_LF;
            else if (c == '\n')
                d->state = ST_SIZE_FIRST;
            else
                return TG_EPARSE;
            break;
        case ST_DATA_LF:
            if (c != '\n')
                return TG_EPARSE;
            d->line_len = 0;
            d->state = ST_SIZE_FIRST;
            break;
        case ST_TRAILER_START:
            if (c == '\r')
                d->state = ST_END_LF;
            else if (c == '\n')
                d->state = ST_DONE;
            else if (is_ctl(c) || c == ' ' || c == '\t')
                return TG_EPARSE; /* obs-fold or garbage */
            else
                d->state = ST_TRAILER;
            break;
        case ST_TRAILER:
            if (c == '\n') {
                d->line_len = 0;
                d->state = ST_TRAILER_START;
            } else if (c == '\r') {
                d->state = ST_TRAILER_LF;
            } else if (is_ctl(c)) {
                return TG_EPARSE;
            }
            break;
        case ST_TRAILER_LF:
            if (c != '\n')
                return TG_EPARSE;
            d->line_len = 0;
            d->state = ST_TRAILER_START;
            break;
        case ST_END_LF:
            if (c != '\n')
                return TG_EPARSE;
            d->state = ST_DONE;
            break;
        default:
            return TG_EPARSE;
        }
    }
    if (d->state == ST_DONE) {
        rc = (long)(n - src);
        if (rc && dst != src)
            memmove(buf + dst, buf + src, n - src);
    }
    *len = dst;
    return rc;
}
