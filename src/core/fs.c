#include "core/fs.h"
#include "core/error.h"
#include "core/vec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int tg_mkdir_p(const char *path)
{
    char tmp[TG_PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return TG_ETOOBIG;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0777) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(tmp, 0777) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

int tg_atomic_open(struct tg_atomic_file *a, const char *path)
{
    a->f = NULL;
    if (snprintf(a->path, sizeof a->path, "%s", path) >= (int)sizeof a->path)
        return TG_ETOOBIG;
    /* The temporary file sits in the target's directory so that rename() is
     * atomic, and is hidden so that a crash leaves no look-alike. */
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    const char *base = slash ? slash + 1 : path;
    if (snprintf(a->tmp, sizeof a->tmp, "%.*s.%s.XXXXXX", dirlen, path, base) >= (int)sizeof a->tmp)
        return TG_ETOOBIG;
    int fd = mkstemp(a->tmp);
    if (fd < 0)
        return -errno;
    if (fchmod(fd, 0644) < 0 || !(a->f = fdopen(fd, "w"))) {
        int e = -errno;
        close(fd);
        unlink(a->tmp);
        return e;
    }
    return 0;
}

int tg_atomic_commit(struct tg_atomic_file *a)
{
    int rc = 0;
    if (fflush(a->f) != 0 || ferror(a->f) || fsync(fileno(a->f)) != 0)
        rc = errno ? -errno : TG_EIO;
    if (fclose(a->f) != 0 && !rc)
        rc = -errno;
    a->f = NULL;
    if (!rc && rename(a->tmp, a->path) != 0)
        rc = -errno;
    if (rc)
        unlink(a->tmp);
    return rc;
}

void tg_atomic_abort(struct tg_atomic_file *a)
{
    if (a->f)
        fclose(a->f);
    a->f = NULL;
    unlink(a->tmp);
}

int tg_write_file_atomic(const char *path, const void *data, size_t len)
{
    struct tg_atomic_file a;
    int rc = tg_atomic_open(&a, path);
    if (rc)
        return rc;
    if (len && fwrite(data, 1, len, a.f) != len) {
        rc = errno ? -errno : TG_EIO;
        tg_atomic_abort(&a);
        return rc;
    }
    return tg_atomic_commit(&a);
}

int tg_read_file(const char *path, size_t max, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return -EISDIR;
    }
    size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096, n = 0;
    if (cap - 1 > max) {
        close(fd);
        return TG_ETOOBIG;
    }
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return TG_ENOMEM;
    }
    for (;;) {
        if (n + 1 >= cap) {
            /* n + 2: the byte read next and the NUL; doubles cap */
            int rc = cap > max ? TG_ETOOBIG : tg_grow((void **)&buf, &cap, n + 2, 1, 0);
            if (rc) {
                free(buf);
                close(fd);
                return rc;
            }
        }
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = -errno;
            free(buf);
            close(fd);
            return e;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}
