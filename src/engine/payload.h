/*
 * payload.h - the payload file: one request body per line, read once at
 * start.  Lines are split exactly as input.py does (blank lines skipped,
 * trailing CR/LF stripped, every other byte kept), so payload i is input.py's
 * payload i.  When a dialect is given, each line must be that dialect's
 * single-input body (needed for client-side batching): the dialect splits it
 * into its input (item) and the rest (group, api/api.h); the groups are
 * interned so that inputs can be grouped cheaply.
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

struct tg_api;

struct tg_payload {
    const char *line;        /* the body, byte for byte (not NUL-terminated) */
    size_t len;
    uint32_t group;          /* index into groups[]; 0 when not parsed */
    const char *item;        /* the dialect's item JSON when parsed, NUL-terminated; else NULL */
    size_t item_len;
};

struct tg_payloads {
    size_t n;
    struct tg_payload *items;
    size_t ngroups;
    char **groups;           /* the dialect's group texts (body without its input), NUL-terminated */
    char sha256[TG_SHA256_HEX_LEN + 1];  /* of the whole file */
    char *data;              /* private: the file contents */
};

/* Loads path.  api non-NULL: also split each line with api->parse_line.
 * Returns 0, -errno (unreadable), TG_EINVAL (no payloads) or TG_EPARSE (bad
 * line; `why` gets "line N: <dialect>: reason").  why may be NULL. */
int tg_payloads_load(const char *path, const struct tg_api *api, struct tg_payloads **out,
                     char *why, size_t whylen);
/* The same from data[0..len) (NUL-terminated at data[len]), which the
 * payloads take over (freed on failure too); sha256 is of data. */
int tg_payloads_from_buffer(char *data, size_t len, const struct tg_api *api, struct tg_payloads **out,
                            char *why, size_t whylen);
void tg_payloads_free(struct tg_payloads *p);

#endif
