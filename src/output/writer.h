/*
 * writer.h - a buffered appender to a file descriptor opened with O_APPEND,
 * one per worker thread.  Lines are added whole to the buffer and the buffer
 * is written whole (a loop of write(2) calls only on a short write), so
 * several workers appending to one file never interleave inside a line, and
 * no lock is shared between them.  This is the one writer that takes an fd,
 * not a FILE *: stdio may split a line across two write(2) calls.
 *
 * Ownership: the writer owns its buffer, not the fd.  Not thread-safe: one
 * writer per thread.
 */
#ifndef TG_OUTPUT_WRITER_H
#define TG_OUTPUT_WRITER_H

#include <stddef.h>

#include "core/buf.h"

struct tg_writer {
    int fd;
    struct tg_buf buf;
    size_t flush_at;   /* bytes buffered before an automatic flush */
    int err;           /* first write error (-errno), sticky */
};

void tg_writer_init(struct tg_writer *w, int fd, size_t flush_at);
/* Appends n bytes (whole lines); flushes when flush_at is reached.  Returns 0 or the sticky error. */
int tg_writer_add(struct tg_writer *w, const void *p, size_t n);
/* Reserves n bytes at the end of the buffer for the caller to fill, then
 * tg_writer_commit(w, used).  Returns NULL on allocation failure. */
char *tg_writer_reserve(struct tg_writer *w, size_t n);
int tg_writer_commit(struct tg_writer *w, size_t used);
/* Writes everything buffered.  Returns 0 or the sticky error (-errno). */
int tg_writer_flush(struct tg_writer *w);
/* Flushes and frees the buffer (does not close fd). */
int tg_writer_close(struct tg_writer *w);

#endif
