/*
 * apicheck.h - what the dialect tests (test_api_kserve.c, _tfserving.c,
 * _openai.c, _tei.c) share: a fixture of tests/data/api/ read whole, the
 * outputs of a split collected as canonical texts and hashes, and the
 * tailgate dialect's outputs for the same vectors (what every dialect must
 * hash like).  Header-only (each test is one .c): include after test.h.
 */
#ifndef TG_TEST_APICHECK_H
#define TG_TEST_APICHECK_H

#include "api/api.h"
#include "core/buf.h"
#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Not every test file uses every helper. */
#define APICHECK_FN static __attribute__((unused))

/* tests/data/api/<name> under $TG_ROOT (default "."), read whole and
 * NUL-terminated, its length in *len; the caller frees it.  NULL (and a
 * line on stderr) when it cannot be opened. */
APICHECK_FN char *fixture(const char *name, size_t *len)
{
    const char *root = getenv("TG_ROOT");
    char path[512];
    snprintf(path, sizeof path, "%s/tests/data/api/%s", root ? root : ".", name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "  cannot open %s\n", path);
        return NULL;
    }
    struct tg_buf b = TG_BUF_INIT(0);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (tg_buf_append(&b, chunk, n))
            break;
    fclose(f);
    if (!b.data)
        tg_buf_puts(&b, "");
    *len = b.len;
    return b.data;
}

/* The outputs of a split, in order: canonical texts (malloc'ed) and hashes.
 * Start from { 0 }; outs_free() empties it again. */
#define OUTS_MAX 8
struct outs {
    size_t n;
    char *canon[OUTS_MAX];
    char hex[OUTS_MAX][65];
};

/* The split callback (ctx: a struct outs): takes output i only as the next
 * one (TG_ERANGE otherwise, or past OUTS_MAX, or out of memory). */
APICHECK_FN int collect(void *ctx, size_t i, const char *c, size_t len, const char *hex)
{
    struct outs *o = ctx;
    if (i >= OUTS_MAX || i != o->n)
        return TG_ERANGE;
    if (!(o->canon[i] = strndup(c, len)))
        return TG_ERANGE;
    snprintf(o->hex[i], sizeof o->hex[i], "%s", hex);
    o->n++;
    return 0;
}

/* Frees the texts of o and leaves it empty, ready for another split. */
APICHECK_FN void outs_free(struct outs *o)
{
    for (size_t i = 0; i < o->n && i < OUTS_MAX; i++)
        free(o->canon[i]);
    memset(o, 0, sizeof *o);
}

/* What the tailgate dialect yields for n (1: unbatched "input", else the
 * first n of a batch of 4) vectors of dim values: its server's answer, split
 * by its client, into *o (emptied first; o->n < n when a step failed).  The
 * caller frees it with outs_free(). */
APICHECK_FN void tailgate_outputs(const double *vecs, size_t n, size_t dim, struct outs *o)
{
    const struct tg_api *t = tg_api_find("tailgate");
    struct tg_api_server_limits lim = { "example-model", 64, dim };
    struct tg_api_request r;
    const char *one = "{\"model\":\"example-model\",\"input\":\"a\"}";
    const char *many = "{\"model\":\"example-model\",\"inputs\":[\"a\",\"b\",\"c\",\"d\"]}";
    const char *body = n == 1 ? one : many;
    memset(o, 0, sizeof *o);
    if (t->server_parse(body, strlen(body), "", &lim, &r) != 0 || r.n < n) {
        tg_api_request_free(&r);
        return;
    }
    r.n = n;
    struct tg_buf b = TG_BUF_INIT(0);
    char why[200];
    if (t->server_write(&b, &r, vecs, dim) == 0)
        t->split(b.data, b.len, n > 1, n, collect, o, why, sizeof why);
    tg_buf_free(&b);
    tg_api_request_free(&r);
}

#endif
