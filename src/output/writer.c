/*
 * writer.c - per-thread O_APPEND writer (see writer.h).
 */
#include "output/writer.h"

#include "core/error.h"

#include <errno.h>
#include <unistd.h>

void tg_writer_init(struct tg_writer *w, int fd, size_t flush_at)
{
    w->fd = fd;
    w->buf = (struct tg_buf)TG_BUF_INIT(0);
    w->flush_at = flush_at;
    w->err = 0;
    w->lock = NULL;
}

void tg_writer_set_lock(struct tg_writer *w, pthread_mutex_t *lock) { w->lock = lock; }

int tg_writer_flush(struct tg_writer *w)
{
    size_t off = 0;
    if (w->lock && w->buf.len)
        pthread_mutex_lock(w->lock);
    while (off < w->buf.len && !w->err) {
        ssize_t n = write(w->fd, w->buf.data + off, w->buf.len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            w->err = -errno;
            break;
        }
        off += (size_t)n;
    }
    if (w->lock && w->buf.len)
        pthread_mutex_unlock(w->lock);
    tg_buf_reset(&w->buf);
    return w->err;
}

char *tg_writer_reserve(struct tg_writer *w, size_t n)
{
    if (tg_buf_reserve(&w->buf, n) != 0) {
        if (!w->err)
            w->err = TG_ENOMEM;
        return NULL;
    }
    return w->buf.data + w->buf.len;
}

int tg_writer_commit(struct tg_writer *w, size_t used)
{
    w->buf.len += used;
    w->buf.data[w->buf.len] = '\0';
    if (w->buf.len >= w->flush_at)
        return tg_writer_flush(w);
    return w->err;
}

int tg_writer_add(struct tg_writer *w, const void *p, size_t n)
{
    int rc = tg_buf_append(&w->buf, p, n);
    if (rc) {
        if (!w->err)
            w->err = rc;
        return rc;
    }
    if (w->buf.len >= w->flush_at)
        return tg_writer_flush(w);
    return w->err;
}

int tg_writer_close(struct tg_writer *w)
{
    int rc = tg_writer_flush(w);
    tg_buf_free(&w->buf);
    return rc;
}
