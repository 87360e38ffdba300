#include "core/buf.h"
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tg_buf_reserve(struct tg_buf *b, size_t extra)
{
    size_t max = b->max ? b->max : TG_BUF_DEFAULT_MAX;
    if (extra > max || b->len > max - extra)
        return TG_ENOMEM;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    if (cap > max + 1)
        cap = max + 1;
    char *p = realloc(b->data, cap);
    if (!p)
        return TG_ENOMEM;
    b->data = p;
    b->cap = cap;
    b->data[b->len] = '\0';   /* keeps the always-NUL-terminated promise for a new buffer */
    return 0;
}

int tg_buf_append(struct tg_buf *b, const void *p, size_t n)
{
    int rc = tg_buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int tg_buf_puts(struct tg_buf *b, const char *s) { return tg_buf_append(b, s, strlen(s)); }

int tg_buf_vprintf(struct tg_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return TG_EINVAL;
    int rc = tg_buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int tg_buf_printf(struct tg_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = tg_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void tg_buf_consume(struct tg_buf *b, size_t n)
{
    if (n >= b->len) {
        tg_buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

void tg_buf_reset(struct tg_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void tg_buf_free(struct tg_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void tg_str_appendf(char *buf, size_t len, const char *fmt, ...)
{
    size_t n = strlen(buf);
    if (n + 1 >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, len - n, fmt, ap);
    va_end(ap);
}
