/*
 * writer.h - a buffered appender to a file descriptor opened with O_APPEND,
 * one per worker thread.  Lines are added whole to the buffer and the buffer
 * is written whole (a loop of write(2) calls only on a short write), so
 * several workers appending to one file never interleave inside a line.  A
 * short write (a full disk, a signal) would let another writer's buffer land
 * between the two parts, so writers of one file share a mutex
 * (tg_writer_set_lock) held across each flush: flushes are rare (every
 * flush_at bytes or ~100 ms), never per line.  A line that cannot be buffered
 * (out of memory) is not dropped silently: it is the writer's sticky error.
 * This is the one writer that takes an fd, not a FILE *: stdio may split a
 * line across two write(2) calls.
 *
 * Ownership: the writer owns its buffer, not the fd.  Not thread-safe: one
 * writer per thread.
 */
#ifndef TG_OUTPUT_WRITER_H
#define TG_OUTPUT_WRITER_H

#include <pthread.h>
#include <stddef.h>

#include "core/buf.h"

struct tg_writer {
    int fd;
    struct tg_buf buf;
    size_t flush_at;   /* bytes buffered before an automatic flush */
    int err;           /* first write error (-errno) or TG_ENOMEM (a lost line), sticky */
    pthread_mutex_t *lock; /* shared by the writers of one file; NULL: none */
};

void tg_writer_init(struct tg_writer *w, int fd, size_t flush_at);
/* Makes every flush of w hold lock (shared by all writers of w's file). */
void tg_writer_set_lock(struct tg_writer *w, pthread_mutex_t *lock);
/* Appends n bytes (whole lines); flushes when flush_at is reached.  Returns 0 or the sticky error. */
int tg_writer_add(struct tg_writer *w, const void *p, size_t n);
/* Reserves n bytes at the end of the buffer for the caller to fill, then
 * tg_writer_commit(w, used).  Returns NULL on allocation failure, which
 * becomes the sticky error (the line is lost, and close says so). */
char *tg_writer_reserve(struct tg_writer *w, size_t n);
int tg_writer_commit(struct tg_writer *w, size_t used);
/* Writes everything buffered.  Returns 0 or the sticky error (-errno). */
int tg_writer_flush(struct tg_writer *w);
/* Flushes and frees the buffer (does not close fd). */
int tg_writer_close(struct tg_writer *w);

#endif
