/*
 * fs.h - results files: directories and atomic whole-file writes.
 *
 * A results file is either complete or absent: writers fill a temporary file
 * in the target's directory, then fsync and rename it over the target, so a
 * crash or a full disk never leaves a half-written file that looks complete.
 * Thread-safe as long as two threads do not commit the same path.
 */
#ifndef TG_CORE_FS_H
#define TG_CORE_FS_H

#include <stddef.h>
#include <stdio.h>

#define TG_PATH_MAX 4096

/* Creates path and any missing parents (like mkdir -p).  Returns 0 (also when
 * it exists already), TG_ETOOBIG for a path longer than TG_PATH_MAX, or -errno. */
int tg_mkdir_p(const char *path);

struct tg_atomic_file {
    FILE *f;                    /* write the contents here */
    char path[TG_PATH_MAX];     /* the target */
    char tmp[TG_PATH_MAX];      /* the temporary file next to it */
};

/* Opens a temporary file (mode 0644) next to path for writing through a->f.
 * Returns 0, TG_ETOOBIG or -errno; on failure nothing needs undoing. */
int tg_atomic_open(struct tg_atomic_file *a, const char *path);

/* Flushes, fsyncs and closes a->f, then renames the temporary file over the
 * target.  Returns 0 or -errno (ENOSPC, EIO, …); on failure the temporary file
 * is removed and the target is left as it was.  Either way a->f is closed. */
int tg_atomic_commit(struct tg_atomic_file *a);

/* Closes a->f and removes the temporary file (after a writer error). */
void tg_atomic_abort(struct tg_atomic_file *a);

/* Writes data[0..len) to path atomically. Returns 0 or -errno/TG_ETOOBIG. */
int tg_write_file_atomic(const char *path, const void *data, size_t len);

/* Reads a whole file into a malloc'd NUL-terminated buffer (*data, caller
 * frees; at most max bytes).  Returns 0, -errno (EISDIR for a directory) or
 * TG_ETOOBIG. */
int tg_read_file(const char *path, size_t max, char **data, size_t *len);

#endif
