/*
 * api.c - the dialect table, routes, error bodies and the placeholder's
 * number format (see api.h).
 */
#include "api/api.h"
#include "api/internal.h"

#include "core/error.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct tg_api tg_api_tailgate, tg_api_openai_embeddings, tg_api_tei,
    tg_api_kserve_v2, tg_api_tfserving, tg_api_openai_chat, tg_api_openai_completions;

/* The generative ones last: they are not batchable (build_batch NULL). */
static const struct tg_api *const dialects[] = {
    &tg_api_tailgate, &tg_api_openai_embeddings, &tg_api_tei, &tg_api_kserve_v2,
    &tg_api_tfserving, &tg_api_openai_chat, &tg_api_openai_completions, NULL,
};

const struct tg_api *const *tg_api_all(void) { return dialects; }

const struct tg_api *tg_api_find(const char *name)
{
    for (size_t i = 0; dialects[i]; i++)
        if (!strcmp(dialects[i]->name, name))
            return dialects[i];
    return NULL;
}

static void join_names(char *out, size_t cap, bool batchable_only)
{
    size_t off = 0;
    out[0] = '\0';
    for (size_t i = 0; dialects[i]; i++) {
        if (batchable_only && !dialects[i]->build_batch)
            continue;
        int w = snprintf(out + off, cap - off, "%s%s", off ? ", " : "", dialects[i]->name);
        if (w < 0 || (size_t)w >= cap - off)
            break;
        off += (size_t)w;
    }
}

/* Computed once per process; the table is const, so the strings never change.
 * Both writes of a racing first call produce the same bytes. */
const char *tg_api_names(void)
{
    static char names[256];
    if (!names[0])
        join_names(names, sizeof names, false);
    return names;
}

const char *tg_api_batchable_names(void)
{
    static char names[256];
    if (!names[0])
        join_names(names, sizeof names, true);
    return names;
}

int tg_api_path(const char *route, const char *model, char *out, size_t cap)
{
    const char *at = strstr(route, "{model}");
    int w = at ? snprintf(out, cap, "%.*s%s%s", (int)(at - route), route, model, at + 7)
               : snprintf(out, cap, "%s", route);
    return w < 0 || (size_t)w >= cap ? TG_ERANGE : 0;
}

void tg_api_line_free(struct tg_api_line *l)
{
    if (!l)
        return;
    free(l->group);
    free(l->item);
    free(l->model);
    *l = (struct tg_api_line){ 0 };
}

void tg_api_request_free(struct tg_api_request *r)
{
    if (!r)
        return;
    if (r->texts && r->texts != &r->one)
        free(r->texts);
    if (r->root)
        json_decref(r->root);
    r->texts = NULL;
    r->root = NULL;
    r->n = 0;
}

/* ---- error bodies ---------------------------------------------------------- */

/* Copies s into out as one line (control bytes become spaces). */
static void one_line(char *out, size_t cap, const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++)
        out[k++] = (unsigned char)s[i] < 0x20 ? ' ' : s[i];
    out[k] = '\0';
}

/* The number after the first occurrence of one of the phrases, skipping
 * spaces, ':', '=', "is" and "of"; 0 when none. */
static uint32_t number_after(const char *s, const char *const *phrases)
{
    for (size_t k = 0; phrases[k]; k++) {
        for (const char *p = strcasestr(s, phrases[k]); p; p = strcasestr(p + 1, phrases[k])) {
            const char *q = p + strlen(phrases[k]);
            for (;;) {
                while (*q == ' ' || *q == ':' || *q == '=' || *q == '`' || *q == '\'' || *q == '"')
                    q++;
                if (!strncasecmp(q, "is ", 3) || !strncasecmp(q, "of ", 3))
                    q += 3;
                else
                    break;
            }
            if (isdigit((unsigned char)*q)) {
                unsigned long v = strtoul(q, NULL, 10);
                if (v > 0 && v <= UINT32_MAX)
                    return (uint32_t)v;
            }
        }
    }
    return 0;
}

static uint32_t limit_in(const char *msg)
{
    /* "… > maximum allowed batch size 32" (TEI), "must be at most 2048"
     * (OpenAI-style validators), "exceeds the maximum of 32" (tailgate),
     * "max_batch_size 8", "batch size limit 16". */
    static const char *const phrases[] = {
        "maximum allowed batch size", "maximum batch size", "max batch size", "max_batch_size",
        "max-client-batch-size", "batch size limit", "exceeds the maximum", "maximum of",
        "must be <=", "at most", "no more than", "maximum", "limit", NULL,
    };
    return number_after(msg, phrases);
}

void tg_api_error_generic(int status, const char *body, size_t len, struct tg_api_error *out)
{
    *out = (struct tg_api_error){ 0 };
    (void)status;
    if (!body || !len)
        return;
    json_t *root = json_loadb(body, len, JSON_DECODE_ANY, NULL);
    const char *msg = NULL;
    size_t mlen = 0;
    if (root) {
        json_t *e = json_is_object(root) ? json_object_get(root, "error") : NULL;
        json_t *m = NULL;
        if (json_is_string(e))
            m = e;
        else if (json_is_object(e))
            m = json_object_get(e, "message");
        if (!json_is_string(m) && json_is_object(root))
            m = json_object_get(root, "message");
        if (!json_is_string(m) && json_is_object(root))
            m = json_object_get(root, "detail");
        if (!json_is_string(m) && json_is_string(root))
            m = root;
        if (json_is_string(m)) {
            msg = json_string_value(m);
            mlen = json_string_length(m);
        } else if (json_is_object(root) && (m = json_object_get(root, "detail")) != NULL) {
            /* FastAPI-style validation: {"detail":[{"msg":…}]} */
            json_t *d0 = json_is_array(m) ? json_array_get(m, 0) : NULL;
            json_t *dm = json_is_object(d0) ? json_object_get(d0, "msg") : NULL;
            if (json_is_string(dm)) {
                msg = json_string_value(dm);
                mlen = json_string_length(dm);
            }
        }
    } else {
        msg = body;
        mlen = len;
    }
    if (msg) {
        one_line(out->message, sizeof out->message, msg, mlen);
        out->max_batch = limit_in(out->message);
    }
    if (root)
        json_decref(root);
}

void tg_api_read_error(const struct tg_api *a, int status, const char *body, size_t len,
                       struct tg_api_error *out)
{
    if (a && a->read_error)
        a->read_error(status, body, len, out);
    else
        tg_api_error_generic(status, body, len, out);
}

/* ---- the placeholder's numbers --------------------------------------------- */

double tg_api_round8(double v)
{
    long long m = llround(v * 1e8);
    return m == 0 ? 0.0 : (double)m / 1e8;
}

/* [-]I.DDDDDDDD of llround(v * 1e8); hand-rolled (the server's hot loop,
 * locale-free).  Returns bytes written (at most 30). */
static size_t fixed8(char *p, double v)
{
    long long m = llround(v * 1e8);
    char *s = p;
    if (m < 0) {
        *s++ = '-';
        m = -m;
    }
    long long ip = m / 100000000, fp = m % 100000000;
    char digits[24];
    int nd = 0;
    do {
        digits[nd++] = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    while (nd)
        *s++ = digits[--nd];
    *s++ = '.';
    for (int i = 7; i >= 0; i--) {
        s[i] = (char)('0' + fp % 10);
        fp /= 10;
    }
    return (size_t)(s - p) + 8;
}

int tg_api_put_fixed8(struct tg_buf *b, double v)
{
    int rc = tg_buf_reserve(b, 32);
    if (rc)
        return rc;
    b->len += fixed8(b->data + b->len, v);
    b->data[b->len] = '\0';
    return 0;
}

int tg_api_put_vector8(struct tg_buf *b, const double *v, size_t dim)
{
    int rc = tg_buf_reserve(b, 2 + dim * 31); /* fixed8 writes at most 30 bytes */
    if (rc)
        return rc;
    char *p = b->data + b->len, *start = p;
    *p++ = '[';
    for (size_t i = 0; i < dim; i++) {
        if (i)
            *p++ = ',';
        p += fixed8(p, v[i]);
    }
    *p++ = ']';
    b->len += (size_t)(p - start);
    b->data[b->len] = '\0';
    return 0;
}

int tg_api_put_vector_list8(struct tg_buf *b, const double *vecs, size_t n, size_t dim)
{
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (i)
            rc = tg_buf_append(b, ",", 1);
        if (!rc)
            rc = tg_api_put_vector8(b, vecs + i * dim, dim);
    }
    return rc;
}
