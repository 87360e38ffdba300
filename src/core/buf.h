/*
 * buf.h - a growable byte buffer with a hard cap.
 *
 * Ownership: the struct is the caller's (stack or embedded); the bytes are
 * owned by the buffer and released by tg_buf_free().  A failed growth keeps
 * the old contents intact.  Not thread-safe; one owner at a time.
 * data is always NUL-terminated when non-NULL (the NUL is not counted in len).
 */
#ifndef TG_CORE_BUF_H
#define TG_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct tg_buf {
    char *data;   /* NULL until the first append */
    size_t len;   /* bytes used, excluding the trailing NUL */
    size_t cap;   /* bytes allocated */
    size_t max;   /* hard cap on len; 0 means TG_BUF_DEFAULT_MAX */
};

#define TG_BUF_DEFAULT_MAX ((size_t)1 << 30)
#define TG_BUF_INIT(maxbytes) { NULL, 0, 0, (maxbytes) }

/* Ensures room for `extra` more bytes (plus the NUL). Returns 0 or TG_ENOMEM
 * (allocation failed or len + extra > max). */
int tg_buf_reserve(struct tg_buf *b, size_t extra);

/* Appends n bytes. Returns 0 or TG_ENOMEM. */
int tg_buf_append(struct tg_buf *b, const void *p, size_t n);

/* Appends a NUL-terminated string. Returns 0 or TG_ENOMEM. */
int tg_buf_puts(struct tg_buf *b, const char *s);

/* Appends printf-formatted text. Returns 0 or TG_ENOMEM. */
int tg_buf_printf(struct tg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tg_buf_vprintf(struct tg_buf *b, const char *fmt, va_list ap);

/* Drops the first n bytes (n <= len), keeping the rest. */
void tg_buf_consume(struct tg_buf *b, size_t n);

/* Empties the buffer, keeping its allocation. */
void tg_buf_reset(struct tg_buf *b);

/* Releases the bytes; the struct can be reused. NULL is a no-op. */
void tg_buf_free(struct tg_buf *b);

/* Appends formatted text to the NUL-terminated string in the fixed buffer
 * buf[0..len), truncated to fit (nothing when it is full).  For one-line
 * reasons and verdict lines; thread-safe. */
void tg_str_appendf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
