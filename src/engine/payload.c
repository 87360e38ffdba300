/*
 * payload.c - reading and (optionally) parsing the payload file.
 */
#include "engine/payload.h"

#include "core/error.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tg_payloads_free(struct tg_payloads *p)
{
    if (!p)
        return;
    if (p->items)
        for (size_t i = 0; i < p->n; i++)
            free((char *)p->items[i].item_json);
    for (size_t i = 0; i < p->nmodels; i++)
        free(p->models[i]);
    free(p->models);
    free(p->items);
    free(p->data);
    free(p);
}

static int read_file(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf)
        goto nomem;
    for (;;) {
        if (n == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb)
                goto nomem;
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        int e = errno ? -errno : TG_EIO;
        fclose(f);
        free(buf);
        return e;
    }
    fclose(f);
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
nomem:
    fclose(f);
    free(buf);
    return TG_ENOMEM;
}

/* Python's bytes.strip() whitespace. */
static bool py_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int intern_model(struct tg_payloads *p, const char *json, uint32_t *idx)
{
    for (size_t i = 0; i < p->nmodels; i++)
        if (!strcmp(p->models[i], json)) {
            *idx = (uint32_t)i;
            return 0;
        }
    char **m = realloc(p->models, (p->nmodels + 1) * sizeof *m);
    if (!m)
        return TG_ENOMEM;
    p->models = m;
    if (!(m[p->nmodels] = strdup(json)))
        return TG_ENOMEM;
    *idx = (uint32_t)p->nmodels++;
    return 0;
}

static int parse_line(struct tg_payloads *p, struct tg_payload *pl, const char *item_key,
                      char *why, size_t whylen, size_t lineno)
{
    json_error_t jerr;
    json_t *root = json_loadb(pl->line, pl->len, 0, &jerr);
    if (!root) {
        snprintf(why, whylen, "line %zu: %s", lineno, jerr.text);
        return TG_EPARSE;
    }
    int rc = TG_EPARSE;
    json_t *model = json_object_get(root, "model");
    json_t *item = json_object_get(root, item_key);
    if (!json_is_object(root) || !json_is_string(model) || !item) {
        snprintf(why, whylen, "line %zu: not an object with a string \"model\" and \"%s\"", lineno, item_key);
        goto out;
    }
    rc = TG_ENOMEM;
    char *mj = json_dumps(model, JSON_ENCODE_ANY | JSON_COMPACT);
    char *ij = json_dumps(item, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17));
    if (mj && ij && intern_model(p, mj, &pl->model) == 0) {
        pl->item_json = ij;
        pl->item_len = strlen(ij);
        ij = NULL;
        rc = 0;
    }
    free(mj);
    free(ij);
out:
    json_decref(root);
    return rc;
}

int tg_payloads_load(const char *path, bool parse, const char *item_key,
                     struct tg_payloads **out, char *why, size_t whylen)
{
    char dummy[8];
    if (!why) {
        why = dummy;
        whylen = sizeof dummy;
    }
    *why = '\0';
    struct tg_payloads *p = calloc(1, sizeof *p);
    if (!p)
        return TG_ENOMEM;
    size_t len = 0;
    int rc = read_file(path, &p->data, &len);
    if (rc)
        goto fail;
    tg_sha256_hex(p->data, len, p->sha256);
    size_t cap = 0;
    size_t lineno = 0;
    for (size_t off = 0; off < len;) {
        const char *s = p->data + off;
        const char *nl = memchr(s, '\n', len - off);
        size_t l = nl ? (size_t)(nl - s) + 1 : len - off;
        off += l;
        lineno++;
        bool blank = true;
        for (size_t i = 0; i < l && blank; i++)
            blank = py_space(s[i]);
        if (blank)
            continue;
        while (l && (s[l - 1] == '\n' || s[l - 1] == '\r'))
            l--;
        if (p->n == cap) {
            cap = cap ? cap * 2 : 1024;
            struct tg_payload *ni = realloc(p->items, cap * sizeof *ni);
            if (!ni) {
                rc = TG_ENOMEM;
                goto fail;
            }
            p->items = ni;
        }
        struct tg_payload *pl = &p->items[p->n++];
        *pl = (struct tg_payload){ .line = s, .len = l };
        if (parse && (rc = parse_line(p, pl, item_key, why, whylen, lineno)) != 0)
            goto fail;
    }
    if (p->n == 0) {
        snprintf(why, whylen, "no payloads");
        rc = TG_EINVAL;
        goto fail;
    }
    *out = p;
    return 0;
fail:
    tg_payloads_free(p);
    return rc;
}
