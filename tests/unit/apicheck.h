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
#include "core/hash.h"

#include <stdbool.h>
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
 * by its client, into *o (emptied first; o->n < n when a step failed), each
 * output checked to hash as its canonical text's SHA-256.  The caller frees
 * it with outs_free(). */
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
    for (size_t k = 0; k < o->n; k++) { /* the reference hashes as its text */
        char hex[TG_SHA256_HEX_LEN + 1];
        tg_sha256_hex(o->canon[k], strlen(o->canon[k]), hex);
        CHECK_STR_EQ(hex, o->hex[k]);
    }
    tg_buf_free(&b);
    tg_api_request_free(&r);
}

/* ---- table runners: one loop per client or server step, for every dialect --------
 * Each runs its cases in order; a case whose checks failed is named after
 * them ("  ^ kserve-v2 split case 3: <input>"), the checks printing both
 * sides.  Reasons of failures must start with the dialect's name. */

/* A case that failed checks since `before`: say which, under its checks,
 * with what the step said (got: its reason or message; NULL: none). */
APICHECK_FN void case_failed(int before, const struct tg_api *a, const char *what, size_t i,
                             const char *input, const char *got)
{
    if (tg_test_failed_checks != before)
        fprintf(stderr, "  ^ %s %s case %zu: %.300s%s%s%s\n", a->name, what, i, input,
                got ? " (said \"" : "", got ? got : "", got ? "\")" : "");
}

APICHECK_FN int why_has_prefix(const struct tg_api *a, const char *why)
{
    size_t n = strlen(a->name);
    return !strncmp(why, a->name, n) && !strncmp(why + n, ": ", 2);
}

/* A payload line: parse_line gives rc; on 0 the group, item (and its length)
 * and model (NULL: the body names none), else a reason holding why and no
 * line.  Every proper prefix of the line is refused too (TG_EPARSE: no JSON
 * object). */
struct line_case {
    const char *line;
    int rc;
    const char *group, *item; /* rc 0 */
    const char *why;          /* rc != 0: a substring of the reason */
    const char *model;        /* rc 0 */
};

APICHECK_FN void check_lines(const struct tg_api *a, const struct line_case *cases, size_t ncases)
{
    for (size_t i = 0; i < ncases; i++) {
        const struct line_case *c = &cases[i];
        int before = tg_test_failed_checks;
        struct tg_api_line l = { 0 };
        char why[256] = "";
        int rc = a->parse_line(c->line, strlen(c->line), &l, why, sizeof why);
        CHECK_INT_EQ(c->rc, rc);
        if (rc == 0) {
            CHECK_STR_EQ(c->group, l.group);
            CHECK_STR_EQ(c->item, l.item);
            CHECK_UINT_EQ(l.item ? strlen(l.item) : 0, l.item_len);
            if (c->model)
                CHECK_STR_EQ(c->model, l.model);
            else
                CHECK(l.model == NULL);
            tg_api_line_free(&l);
        } else {
            CHECK(why_has_prefix(a, why));
            if (!c->why || !strstr(why, c->why))
                TG_FAIL_AT("why \"%s\" lacks \"%s\"", why, c->why ? c->why : "(null)");
            CHECK(l.group == NULL && l.item == NULL);
        }
        for (size_t k = 0; k + 1 < strlen(c->line); k++) {
            int pbefore = tg_test_failed_checks;
            struct tg_api_line p = { 0 };
            char pwhy[256] = "";
            CHECK_INT_EQ(TG_EPARSE, a->parse_line(c->line, k, &p, pwhy, sizeof pwhy));
            CHECK(why_has_prefix(a, pwhy));
            if (tg_test_failed_checks != pbefore) { /* one failing prefix is enough to read */
                fprintf(stderr, "  ^ its first %zu bytes (said \"%s\")\n", k, pwhy);
                tg_api_line_free(&p);
                break;
            }
        }
        case_failed(before, a, "line", i, c->line, why);
    }
}

/* A response body split for n inputs (batched or not): rc; on 0, n outputs
 * whose first two canonical texts are out0/out1 (NULL: not checked), each
 * hashed as its canonical text's SHA-256; else a reason holding why and no
 * output. */
struct split_case {
    const char *body;
    bool batched;
    size_t n;
    int rc;
    const char *out0, *out1; /* rc 0 */
    const char *why;         /* rc != 0: a substring of the reason */
};

APICHECK_FN void check_splits(const struct tg_api *a, const struct split_case *cases, size_t ncases)
{
    for (size_t i = 0; i < ncases; i++) {
        const struct split_case *c = &cases[i];
        int before = tg_test_failed_checks;
        struct outs o = { 0 };
        char why[256] = "";
        int rc = a->split(c->body, strlen(c->body), c->batched, c->n, collect, &o, why, sizeof why);
        CHECK_INT_EQ(c->rc, rc);
        if (rc == 0) {
            CHECK_UINT_EQ(c->n, o.n);
            if (o.n > 0 && c->out0)
                CHECK_STR_EQ(c->out0, o.canon[0]);
            if (o.n > 1 && c->out1)
                CHECK_STR_EQ(c->out1, o.canon[1]);
            for (size_t k = 0; k < o.n; k++) {
                char hex[TG_SHA256_HEX_LEN + 1];
                tg_sha256_hex(o.canon[k], strlen(o.canon[k]), hex);
                CHECK_STR_EQ(hex, o.hex[k]);
            }
        } else {
            CHECK(why_has_prefix(a, why));
            if (!c->why || !strstr(why, c->why))
                TG_FAIL_AT("why \"%s\" lacks \"%s\"", why, c->why ? c->why : "(null)");
            CHECK_UINT_EQ(0, o.n);
        }
        outs_free(&o);
        case_failed(before, a, "split", i, c->body, why);
    }
}

/* A request path: server_route gives kind and the model named in the path
 * (NULL: not checked). */
struct route_case {
    const char *path;
    enum tg_api_route kind;
    const char *model;
};

APICHECK_FN void check_routes(const struct tg_api *a, const struct route_case *cases, size_t ncases)
{
    for (size_t i = 0; i < ncases; i++) {
        int before = tg_test_failed_checks;
        char model[64] = "junk";
        CHECK_INT_EQ(cases[i].kind, a->server_route(cases[i].path, model, sizeof model));
        if (cases[i].model)
            CHECK_STR_EQ(cases[i].model, model);
        case_failed(before, a, "route", i, cases[i].path, NULL);
    }
}

/* A request body to the server (path_model: the model named in the path,
 * NULL for ""): the status; on 200, n texts whose first two are t0/t1
 * (NULL: not checked) for lim's model, with request id id (NULL: not
 * checked); else a message holding msg, which the dialect's error body
 * carries back to the client's reader with max_batch. */
struct parse_case {
    const char *body, *path_model;
    int status;
    size_t n;
    const char *t0, *t1, *id; /* status 200 */
    const char *msg;          /* else a substring of the message */
    unsigned max_batch;       /* else what the client reads back */
    int batched;              /* 200: 1 batched, -1 not, 0 not checked */
};

APICHECK_FN void check_server_parses(const struct tg_api *a, const struct tg_api_server_limits *lim,
                                     const struct parse_case *cases, size_t ncases)
{
    for (size_t i = 0; i < ncases; i++) {
        const struct parse_case *c = &cases[i];
        int before = tg_test_failed_checks;
        struct tg_api_request r;
        int rc = a->server_parse(c->body, strlen(c->body), c->path_model ? c->path_model : "", lim, &r);
        CHECK_INT_EQ(c->status, r.status);
        if (c->status == 200) {
            CHECK_INT_EQ(0, rc);
            CHECK_UINT_EQ(c->n, r.n);
            CHECK_STR_EQ(lim->model, r.model);
            if (c->batched)
                CHECK_INT_EQ(c->batched > 0, r.batched);
            if (c->id)
                CHECK_STR_EQ(c->id, r.id);
            if (r.n > 0 && c->t0)
                CHECK_MEM_EQ(c->t0, strlen(c->t0), r.texts[0].data, r.texts[0].len);
            if (r.n > 1 && c->t1)
                CHECK_MEM_EQ(c->t1, strlen(c->t1), r.texts[1].data, r.texts[1].len);
        } else {
            CHECK(rc < 0);
            if (!c->msg || !strstr(r.message, c->msg))
                TG_FAIL_AT("message \"%s\" lacks \"%s\"", r.message, c->msg ? c->msg : "(null)");
            struct tg_buf b = TG_BUF_INIT(0);
            CHECK_INT_EQ(0, a->server_error(&b, r.status, r.message));
            struct tg_api_error e;
            tg_api_read_error(a, r.status, b.data, b.len, &e);
            CHECK_STR_EQ(r.message, e.message);
            CHECK_UINT_EQ(c->max_batch, e.max_batch);
            tg_buf_free(&b);
        }
        case_failed(before, a, "server_parse", i, c->body, r.message);
        tg_api_request_free(&r);
    }
}

#endif
