/*
 * batch.h - the batcher: coalesces ready inputs of one group (payload lines
 * that differ only in their input, api/api.h) into client-side batches.
 * The batch body itself is built by the dialect (tg_api.build_batch).
 *
 * The batcher is per worker, not thread-safe; it allocates only in init.
 * Items are opaque uint32 (the worker's input slots).  Times are monotonic ns.
 */
#ifndef TG_ENGINE_BATCH_H
#define TG_ENGINE_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the batcher ----------------------------------------------------------- */

struct tg_batch_pending {
    uint32_t *items;
    uint32_t n;
    uint64_t first_ns;   /* when the first of them became ready */
};

struct tg_batcher {
    uint32_t max_items;  /* B */
    uint64_t wait_ns;    /* W; 0: send whatever is ready now */
    size_t ngroups;
    size_t pending;      /* items waiting, over all groups */
    struct tg_batch_pending *by_group;
};

/* Returns 0 or TG_ENOMEM. */
int tg_batcher_init(struct tg_batcher *b, size_t ngroups, uint32_t max_items, uint64_t wait_ns);
void tg_batcher_free(struct tg_batcher *b);

/* Queues item for group at now.  Returns true when that group's batch is now full. */
bool tg_batcher_add(struct tg_batcher *b, uint32_t group, uint32_t item, uint64_t now_ns);

/* A group whose batch should be sent at now: full, or waited W since its
 * first item (W = 0: any non-empty); the oldest first.  -1 when none. */
int tg_batcher_due(const struct tg_batcher *b, uint64_t now_ns);

/* Moves the group's pending items (up to B) into out; returns how many. */
uint32_t tg_batcher_take(struct tg_batcher *b, uint32_t group, uint32_t *out);

/* The earliest time a partial batch becomes due; UINT64_MAX when nothing waits. */
uint64_t tg_batcher_next_deadline(const struct tg_batcher *b);

#endif
