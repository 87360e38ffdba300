/*
 * batch.h - client-side batching: the API batch formats (a small table, one
 * row per API) and the batcher that coalesces ready inputs.
 *
 * A format says how to build one batch request body from items (the payload
 * lines' item values, all of one model) and where the outputs are in the
 * responses.  To support another API, add a row to the table in batch.c.
 *
 * The batcher is per worker, not thread-safe; it allocates only in init.
 * Items are opaque uint32 (the worker's input slots).  Times are monotonic ns.
 */
#ifndef TG_ENGINE_BATCH_H
#define TG_ENGINE_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct tg_payloads;

struct tg_batch_format {
    const char *name;
    const char *item_key;            /* field of a payload line holding the item ("input") */
    const char *single_output_key;   /* field of a one-input response holding its output ("output") */
    const char *batch_output_key;    /* field of a batch response: array of outputs in input order */
    /* Appends the body of a batch request for payloads idx[0..n) (one model). 0 or TG_ENOMEM. */
    int (*build_body)(struct tg_buf *out, const struct tg_payloads *p, const uint32_t *idx, size_t n);
};

/* The format called name ("tailgate" is the default), or NULL. */
const struct tg_batch_format *tg_batch_format_find(const char *name);
/* Names of all formats, comma-separated (for --help). */
const char *tg_batch_format_names(void);

/* ---- outputs --------------------------------------------------------------- */

#define TG_OUTPUT_HASH_LEN 64

/* Callback receiving output i of a response: its canonical JSON (compact,
 * sorted keys, 17 significant digits) and that text's SHA-256 in hex. */
typedef void (*tg_output_fn)(void *ctx, size_t i, const char *canon, size_t canon_len,
                             const char *sha256_hex);

/* Extracts the outputs of a 2xx response body: body[single_output_key] when
 * batch is false (n must be 1), else body[batch_output_key], an array of
 * exactly n values.  Calls fn for each output in order.  Returns 0,
 * TG_EPARSE (not JSON: `why` says where) or TG_EMISMATCH (wrong shape or
 * count).  why (may be NULL) gets a one-line reason. */
int tg_output_extract(const struct tg_batch_format *f, const char *body, size_t len, bool batch,
                      size_t n, tg_output_fn fn, void *ctx, char *why, size_t whylen);

/* ---- the batcher ----------------------------------------------------------- */

struct tg_batch_pending {
    uint32_t *items;
    uint32_t n;
    uint64_t first_ns;   /* when the first of them became ready */
};

struct tg_batcher {
    uint32_t max_items;  /* B */
    uint64_t wait_ns;    /* W; 0: send whatever is ready now */
    size_t nmodels;
    size_t pending;      /* items waiting, over all models */
    struct tg_batch_pending *by_model;
};

/* Returns 0 or TG_ENOMEM. */
int tg_batcher_init(struct tg_batcher *b, size_t nmodels, uint32_t max_items, uint64_t wait_ns);
void tg_batcher_free(struct tg_batcher *b);

/* Queues item for model at now.  Returns true when that model's batch is now full. */
bool tg_batcher_add(struct tg_batcher *b, uint32_t model, uint32_t item, uint64_t now_ns);

/* A model whose batch should be sent at now: full, or waited W since its
 * first item (W = 0: any non-empty); the oldest first.  -1 when none. */
int tg_batcher_due(const struct tg_batcher *b, uint64_t now_ns);

/* Moves the model's pending items (up to B) into out; returns how many. */
uint32_t tg_batcher_take(struct tg_batcher *b, uint32_t model, uint32_t *out);

/* The earliest time a partial batch becomes due; UINT64_MAX when nothing waits. */
uint64_t tg_batcher_next_deadline(const struct tg_batcher *b);

#endif
