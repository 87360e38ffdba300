/*
 * batch.c - batch formats, output extraction and the batcher (see batch.h).
 */
#include "engine/batch.h"

#include "core/error.h"
#include "core/hash.h"
#include "engine/payload.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* {"model":M,"inputs":[i1,i2,…]}: the placeholder server's and many embedding APIs' shape. */
static int build_tailgate(struct tg_buf *out, const struct tg_payloads *p, const uint32_t *idx, size_t n)
{
    if (n == 0)
        return TG_EINVAL;
    int rc = tg_buf_puts(out, "{\"model\":");
    rc = rc ? rc : tg_buf_puts(out, p->models[p->items[idx[0]].model]);
    rc = rc ? rc : tg_buf_puts(out, ",\"inputs\":[");
    for (size_t i = 0; i < n && !rc; i++) {
        if (i)
            rc = tg_buf_append(out, ",", 1);
        if (!rc)
            rc = tg_buf_append(out, p->items[idx[i]].item_json, p->items[idx[i]].item_len);
    }
    return rc ? rc : tg_buf_puts(out, "]}");
}

static const struct tg_batch_format formats[] = {
    { "tailgate", "input", "output", "outputs", build_tailgate },
};

const struct tg_batch_format *tg_batch_format_find(const char *name)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (!strcmp(formats[i].name, name))
            return &formats[i];
    return NULL;
}

const char *tg_batch_format_names(void) { return "tailgate"; }

/* ---- outputs --------------------------------------------------------------- */

static int emit(json_t *v, size_t i, tg_output_fn fn, void *ctx)
{
    char *canon = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    if (!canon)
        return TG_ENOMEM;
    size_t len = strlen(canon);
    char hex[TG_SHA256_HEX_LEN + 1];
    tg_sha256_hex(canon, len, hex);
    fn(ctx, i, canon, len, hex);
    free(canon);
    return 0;
}

int tg_output_extract(const struct tg_batch_format *f, const char *body, size_t len, bool batch,
                      size_t n, tg_output_fn fn, void *ctx, char *why, size_t whylen)
{
    char dummy[8];
    if (!why) {
        why = dummy;
        whylen = sizeof dummy;
    }
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (!root) {
        snprintf(why, whylen, "response body is not JSON: %s at byte %d", jerr.text, jerr.position);
        return TG_EPARSE;
    }
    int rc = TG_EMISMATCH;
    const char *key = batch ? f->batch_output_key : f->single_output_key;
    json_t *v = json_is_object(root) ? json_object_get(root, key) : NULL;
    if (!v) {
        snprintf(why, whylen, "response has no \"%s\"", key);
        goto out;
    }
    if (!batch) {
        rc = n == 1 ? emit(v, 0, fn, ctx) : TG_EINVAL;
        goto out;
    }
    if (!json_is_array(v) || json_array_size(v) != n) {
        snprintf(why, whylen, "\"%s\" is not an array of %zu outputs", key, n);
        goto out;
    }
    rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = emit(json_array_get(v, i), i, fn, ctx);
out:
    json_decref(root);
    return rc;
}

/* ---- the batcher ----------------------------------------------------------- */

int tg_batcher_init(struct tg_batcher *b, size_t nmodels, uint32_t max_items, uint64_t wait_ns)
{
    *b = (struct tg_batcher){ .max_items = max_items ? max_items : 1, .wait_ns = wait_ns, .nmodels = nmodels };
    b->by_model = calloc(nmodels ? nmodels : 1, sizeof *b->by_model);
    if (!b->by_model)
        return TG_ENOMEM;
    for (size_t m = 0; m < nmodels; m++)
        if (!(b->by_model[m].items = malloc(b->max_items * sizeof(uint32_t)))) {
            tg_batcher_free(b);
            return TG_ENOMEM;
        }
    return 0;
}

void tg_batcher_free(struct tg_batcher *b)
{
    if (b->by_model)
        for (size_t m = 0; m < b->nmodels; m++)
            free(b->by_model[m].items);
    free(b->by_model);
    b->by_model = NULL;
}

bool tg_batcher_add(struct tg_batcher *b, uint32_t model, uint32_t item, uint64_t now_ns)
{
    struct tg_batch_pending *q = &b->by_model[model];
    /* A full batch is taken before more items arrive; callers guarantee it. */
    if (q->n == 0)
        q->first_ns = now_ns;
    q->items[q->n++] = item;
    b->pending++;
    return q->n >= b->max_items;
}

int tg_batcher_due(const struct tg_batcher *b, uint64_t now_ns)
{
    int best = -1;
    for (size_t m = 0; m < b->nmodels; m++) {
        const struct tg_batch_pending *q = &b->by_model[m];
        if (q->n == 0)
            continue;
        if (q->n < b->max_items && b->wait_ns && q->first_ns + b->wait_ns > now_ns)
            continue;
        if (best < 0 || q->first_ns < b->by_model[best].first_ns)
            best = (int)m;
    }
    return best;
}

uint32_t tg_batcher_take(struct tg_batcher *b, uint32_t model, uint32_t *out)
{
    struct tg_batch_pending *q = &b->by_model[model];
    uint32_t n = q->n;
    memcpy(out, q->items, n * sizeof *out);
    q->n = 0;
    b->pending -= n;
    return n;
}

uint64_t tg_batcher_next_deadline(const struct tg_batcher *b)
{
    uint64_t d = UINT64_MAX;
    for (size_t m = 0; m < b->nmodels; m++)
        if (b->by_model[m].n && b->by_model[m].first_ns + b->wait_ns < d)
            d = b->by_model[m].first_ns + b->wait_ns;
    return d;
}
