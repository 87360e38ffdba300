/*
 * payload.h - the payload file: one request body per line, read once at
 * start.  Lines are split exactly as input.py does (blank lines skipped,
 * trailing CR/LF stripped, every other byte kept), so payload i is input.py's
 * payload i.  When `parse` is set each line must be a JSON object with a
 * string "model" and an "input" value (needed for client-side batching); the
 * model names are interned so inputs can be grouped by model cheaply.
 *
 * Ownership: tg_payloads_load() returns an object owned by the caller,
 * released with tg_payloads_free() (NULL is a no-op).  Read-only after load,
 * so worker threads may share it.
 */
#ifndef TG_ENGINE_PAYLOAD_H
#define TG_ENGINE_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"

struct tg_payload {
    const char *line;        /* the body, byte for byte (not NUL-terminated) */
    size_t len;
    uint32_t model;          /* index into models[]; 0 when not parsed */
    const char *item_json;   /* compact JSON of the item ("input" value) when parsed, NUL-terminated */
    size_t item_len;
};

struct tg_payloads {
    size_t n;
    struct tg_payload *items;
    size_t nmodels;
    char **models;           /* the model names as JSON strings (with quotes), NUL-terminated */
    char sha256[TG_SHA256_HEX_LEN + 1];  /* of the whole file */
    char *data;              /* private: the file contents */
};

/* Loads path.  parse: also parse each line as {"model":…, "<item_key>":…}.
 * Returns 0, -errno (unreadable), TG_EINVAL (no payloads) or TG_EPARSE (bad
 * line; `why` gets "line N: reason").  why may be NULL. */
int tg_payloads_load(const char *path, bool parse, const char *item_key,
                     struct tg_payloads **out, char *why, size_t whylen);
void tg_payloads_free(struct tg_payloads *p);

#endif
