/*
 * datadir.h - where the data files that commands default to (the workload,
 * workload/requests.jsonl) are found when tailgate runs outside its source
 * tree: installed (make install, the Debian package) or relocated (a
 * DESTDIR, a package unpacked with dpkg -x).
 *
 * A relative path is looked up, first match wins, as:
 *   1. the path as given (relative to the working directory);
 *   2. $TAILGATE_DATADIR/path, when that variable is set;
 *   3. the source tree the binary was built in: the binary's directory or
 *      one of its two parents, when it holds src/core/version.h (./tailgate,
 *      build/release/tailgate);
 *   4. BIN/../share/tailgate/path, BIN the binary's directory (a relocated
 *      install);
 *   5. TG_DATADIR/path, the build's data directory ($(PREFIX)/share/tailgate).
 * An absolute path is used as given.  docs/install.md says the same.
 * Not thread-safe only in that it reads the environment.
 */
#ifndef TG_CORE_DATADIR_H
#define TG_CORE_DATADIR_H

#include <stddef.h>

#define TG_DATADIR_ENV "TAILGATE_DATADIR"

/* The places to look in; NULL members are skipped. */
struct tg_datadir_places {
    const char *env;        /* $TAILGATE_DATADIR */
    const char *exe;        /* the binary's own path (/proc/self/exe) */
    const char *compiled;   /* TG_DATADIR */
};

/* The build's data directory (TG_DATADIR, e.g. "/usr/local/share/tailgate"). */
const char *tg_datadir_compiled(void);

/* The places of this process: the environment, /proc/self/exe, TG_DATADIR. */
struct tg_datadir_places tg_datadir_places(void);

/* Looks path up in the places (order above) and writes the first existing
 * candidate (readable) to out.  0 found; -ENOENT none exists (out holds path
 * as given); TG_ERANGE a candidate did not fit outlen (out holds path). */
int tg_datadir_find_in(const char *path, const struct tg_datadir_places *places, char *out,
                       size_t outlen);

/* tg_datadir_find_in with tg_datadir_places(). */
int tg_datadir_find(const char *path, char *out, size_t outlen);

#endif
