/*
 * batch.c - the batcher (see batch.h).
 */
#include "engine/batch.h"

#include "core/error.h"
#include <stdlib.h>
#include <string.h>

/* ---- the batcher ----------------------------------------------------------- */

int tg_batcher_init(struct tg_batcher *b, size_t ngroups, uint32_t max_items, uint64_t wait_ns)
{
    *b = (struct tg_batcher){ .max_items = max_items ? max_items : 1, .wait_ns = wait_ns, .ngroups = ngroups };
    b->by_group = calloc(ngroups ? ngroups : 1, sizeof *b->by_group);
    if (!b->by_group)
        return TG_ENOMEM;
    for (size_t m = 0; m < ngroups; m++)
        if (!(b->by_group[m].items = malloc(b->max_items * sizeof(uint32_t)))) {
            tg_batcher_free(b);
            return TG_ENOMEM;
        }
    return 0;
}

void tg_batcher_free(struct tg_batcher *b)
{
    if (b->by_group)
        for (size_t m = 0; m < b->ngroups; m++)
            free(b->by_group[m].items);
    free(b->by_group);
    b->by_group = NULL;
}

bool tg_batcher_add(struct tg_batcher *b, uint32_t group, uint32_t item, uint64_t now_ns)
{
    struct tg_batch_pending *q = &b->by_group[group];
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
    for (size_t m = 0; m < b->ngroups; m++) {
        const struct tg_batch_pending *q = &b->by_group[m];
        if (q->n == 0)
            continue;
        if (q->n < b->max_items && b->wait_ns && q->first_ns + b->wait_ns > now_ns)
            continue;
        if (best < 0 || q->first_ns < b->by_group[best].first_ns)
            best = (int)m;
    }
    return best;
}

uint32_t tg_batcher_take(struct tg_batcher *b, uint32_t group, uint32_t *out)
{
    struct tg_batch_pending *q = &b->by_group[group];
    uint32_t n = q->n;
    memcpy(out, q->items, n * sizeof *out);
    q->n = 0;
    b->pending -= n;
    return n;
}

uint64_t tg_batcher_next_deadline(const struct tg_batcher *b)
{
    uint64_t d = UINT64_MAX;
    for (size_t m = 0; m < b->ngroups; m++)
        if (b->by_group[m].n && b->by_group[m].first_ns + b->wait_ns < d)
            d = b->by_group[m].first_ns + b->wait_ns;
    return d;
}
