/*
 * datadir.c - finding the data files of an installed tailgate (datadir.h).
 */
#include "core/datadir.h"

#include "core/error.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef TG_DATADIR
#define TG_DATADIR "/usr/local/share/tailgate"
#endif

const char *tg_datadir_compiled(void)
{
    return TG_DATADIR;
}

struct tg_datadir_places tg_datadir_places(void)
{
    static char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    const char *env = getenv(TG_DATADIR_ENV);
    return (struct tg_datadir_places){ .env = env && *env ? env : NULL, .exe = n > 0 ? exe : NULL,
                                       .compiled = TG_DATADIR };
}

/* Writes DIR/path to out if it fits and exists: 1 found, 0 not, TG_ERANGE too long. */
static int try(const char *dir, size_t dirlen, const char *path, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "%.*s/%s", (int)dirlen, dir, path);
    if (n < 0 || (size_t)n >= outlen)
        return TG_ERANGE;
    return access(out, R_OK) == 0;
}

int tg_datadir_find_in(const char *path, const struct tg_datadir_places *pl, char *out, size_t outlen)
{
    int rc = -ENOENT;
    if (strlen(path) >= outlen)
        return TG_ERANGE;
    if (path[0] == '/' || access(path, R_OK) == 0) {
        strcpy(out, path);
        return path[0] == '/' && access(path, R_OK) != 0 ? -ENOENT : 0;
    }
    char buf[PATH_MAX];
    int r;
    if (pl->env && (r = try(pl->env, strlen(pl->env), path, out, outlen)) != 0) {
        if (r == 1)
            return 0;
        rc = r;
    }
    if (pl->exe && strchr(pl->exe, '/')) {
        /* the binary's directory and its two parents: a source tree holds src/core/version.h */
        size_t len = (size_t)(strrchr(pl->exe, '/') - pl->exe);
        for (int up = 0; up < 3; up++) {
            if (try(pl->exe, len, "src/core/version.h", buf, sizeof buf) == 1) {
                if ((r = try(pl->exe, len, path, out, outlen)) == 1)
                    return 0;
                if (r < 0)
                    rc = r;
                break;
            }
            const char *slash = memrchr(pl->exe, '/', len);
            if (!slash)
                break;
            len = (size_t)(slash - pl->exe);
        }
        len = (size_t)(strrchr(pl->exe, '/') - pl->exe);
        char rel[PATH_MAX];
        if (snprintf(rel, sizeof rel, "%.*s/../share/tailgate", (int)len, pl->exe) < (int)sizeof rel &&
            (r = try(rel, strlen(rel), path, out, outlen)) != 0) {
            if (r == 1)
                return 0;
            rc = r;
        }
    }
    if (pl->compiled && (r = try(pl->compiled, strlen(pl->compiled), path, out, outlen)) != 0) {
        if (r == 1)
            return 0;
        rc = r;
    }
    strcpy(out, path);
    return rc;
}

int tg_datadir_find(const char *path, char *out, size_t outlen)
{
    struct tg_datadir_places pl = tg_datadir_places();
    return tg_datadir_find_in(path, &pl, out, outlen);
}
