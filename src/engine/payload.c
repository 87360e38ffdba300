/*
 * payload.c - reading and (optionally) parsing the payload file.
 */
#include "engine/payload.h"

#include "api/api.h"
#include "core/error.h"
#include "core/vec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tg_payloads_free(struct tg_payloads *p)
{
    if (!p)
        return;
    if (p->items)
        for (size_t i = 0; i < p->n; i++)
            free((char *)p->items[i].item);
    for (size_t i = 0; i < p->ngroups; i++)
        free(p->groups[i]);
    free(p->groups);
    free(p->items);
    free(p->data);
    free(p);
}

static int read_file(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    char *buf = NULL;
    size_t cap = 0, n = 0;   /* cap: bytes allocated, the last one kept for the NUL */
    for (;;) {
        /* n + 2: room for one more byte and the NUL; first 64 KiB and the NUL */
        if (tg_grow((void **)&buf, &cap, n + 2, 1, ((size_t)1 << 16) + 1))
            goto nomem;
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
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

/* Takes ownership of group (freed when it is a duplicate). */
static int intern_group(struct tg_payloads *p, char *group, uint32_t *idx)
{
    for (size_t i = 0; i < p->ngroups; i++)
        if (!strcmp(p->groups[i], group)) {
            free(group);
            *idx = (uint32_t)i;
            return 0;
        }
    char **g = realloc(p->groups, (p->ngroups + 1) * sizeof *g);
    if (!g) {
        free(group);
        return TG_ENOMEM;
    }
    p->groups = g;
    g[p->ngroups] = group;
    *idx = (uint32_t)p->ngroups++;
    return 0;
}

static int parse_line(struct tg_payloads *p, struct tg_payload *pl, const struct tg_api *api,
                      char *why, size_t whylen, size_t lineno)
{
    struct tg_api_line l;
    char reason[200] = "";
    int rc = api->parse_line(pl->line, pl->len, &l, reason, sizeof reason);
    if (rc) {
        snprintf(why, whylen, "line %zu: %s", lineno,
                 rc == TG_ENOMEM ? "out of memory" : reason);
        return rc;
    }
    pl->item = l.item;
    pl->item_len = l.item_len;
    rc = intern_group(p, l.group, &pl->group);
    free(l.model);
    return rc;
}

int tg_payloads_load(const char *path, const struct tg_api *api, struct tg_payloads **out,
                     char *why, size_t whylen)
{
    char *data = NULL;
    size_t len = 0;
    int rc = read_file(path, &data, &len);
    if (rc) {
        if (why && whylen)
            *why = '\0';
        return rc;
    }
    return tg_payloads_from_buffer(data, len, api, out, why, whylen);
}

int tg_payloads_from_buffer(char *data, size_t len, const struct tg_api *api, struct tg_payloads **out,
                            char *why, size_t whylen)
{
    char dummy[8];
    if (!why) {
        why = dummy;
        whylen = sizeof dummy;
    }
    *why = '\0';
    struct tg_payloads *p = calloc(1, sizeof *p);
    if (!p) {
        free(data);
        return TG_ENOMEM;
    }
    p->data = data;
    int rc;
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
        if ((rc = tg_grow((void **)&p->items, &cap, p->n + 1, sizeof *p->items, 1024)) != 0)
            goto fail;
        struct tg_payload *pl = &p->items[p->n++];
        *pl = (struct tg_payload){ .line = s, .len = l };
        if (api && (rc = parse_line(p, pl, api, why, whylen, lineno)) != 0)
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
