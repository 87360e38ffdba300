/*
 * step_summary.c - append comparison.md to a CI job summary file.
 */
#include "compare/step_summary.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int tg_step_summary_append(const char *path, const struct tg_comparison *c, char *err, size_t errlen)
{
    char *doc = NULL;
    size_t len = 0;
    int rc = 0, fd = -1;
    FILE *m = open_memstream(&doc, &len);
    if (!m) {
        rc = TG_ENOMEM;
        goto fail;
    }
    fputc('\n', m); /* a blank line before, dropped below for an empty file */
    rc = tg_compare_write_md(m, c);
    if (fclose(m) != 0 && rc == 0)
        rc = TG_ENOMEM;
    if (rc < 0)
        goto fail;
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = -errno;
        goto fail;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        goto fail;
    }
    size_t skip = st.st_size > 0 ? 0 : 1;
    if ((rc = write_all(fd, doc + skip, len - skip)) < 0)
        goto fail;
    if (close(fd) < 0) {
        fd = -1;
        rc = -errno;
        goto fail;
    }
    free(doc);
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    free(doc);
    snprintf(err, errlen, "%s: %s", path, tg_strerror(rc));
    return rc;
}
