/*
 * report_pages.h - what `tailgate report` reads from a run's JSON files into
 * the page: the run's provenance and environment (summary.json), the
 * comparison table, facts and verdict (comparison.json), and the analysis
 * facts (analysis.json).  Strings live in a pool that the command frees at
 * once at the end.
 *
 * An unreadable file is never fatal: the reader leaves its part of the page
 * empty and sets *note to a one-line reason shown on the page.  Allocation
 * failures set pool->oom (checked once by the caller).  Not thread-safe.
 */
#ifndef TG_CLI_REPORT_PAGES_H
#define TG_CLI_REPORT_PAGES_H

#include "report/html.h"

#include <stddef.h>

/* Owned strings: every string a reader returns is in the pool. */
struct tg_rpool {
    char **v;
    size_t n, cap;
    int oom;
};

/* Takes ownership of s (NULL: sets oom) and returns it ("" on failure). */
const char *tg_rpool_take(struct tg_rpool *p, char *s);
/* A formatted string in the pool ("" on failure, with oom set). */
const char *tg_rpool_printf(struct tg_rpool *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tg_rpool_free(struct tg_rpool *p);

/* A growable list of key/value pairs whose strings live in the pool; at
 * most max entries are kept (more are dropped). */
struct tg_rkvlist {
    struct tg_report_kv *v;
    size_t n, cap, max;
};
void tg_rkv_add(struct tg_rkvlist *l, struct tg_rpool *p, const char *k, const char *v);

/* summary.json at path: the command that made the run (recorded, else
 * rebuilt from config, with *origin saying which) and its identity, config
 * and environment as flattened pairs in env. */
void tg_rpage_run_info(struct tg_rpool *p, const char *path, struct tg_rkvlist *env,
                       const char **command, const char **origin, const char **note);

/* comparison.json at path: the Before/After table (*cells, malloc'ed, the
 * caller frees it), the facts and the verdict into pg. */
void tg_rpage_comparison(struct tg_rpool *p, const char *path, struct tg_report_page *pg,
                         const char ***cells, struct tg_rkvlist *facts, const char **note);

/* analysis.json at path: its scalar facts (flattened; arrays stay in the file). */
void tg_rpage_analysis(struct tg_rpool *p, const char *path, struct tg_rkvlist *kv, const char **note);

#endif
