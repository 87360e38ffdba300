/*
 * request.h - pure parsing and validation of a /v1/infer request body, and
 * the JSON error body.  No sockets, no globals: unit tests and the fuzzer
 * call these directly.
 *
 * Accepted bodies (other fields are ignored):
 *   {"model":"example-model","input":"..."}            one item, answer "output"
 *   {"model":"example-model","inputs":["...", ...]}    1..max_batch items, "outputs"
 * Thread-safe (jansson is thread-safe for separate values).
 */
#ifndef TG_SERVER_REQUEST_H
#define TG_SERVER_REQUEST_H

#include "core/buf.h"
#include "server/model.h"

#include <stddef.h>

struct tg_request_limits {
    size_t max_batch; /* most items in "inputs"; more is a 413 */
};

struct tg_request {
    void *root;             /* the parsed document (json_t *); owns every item's bytes */
    const char *model;      /* NUL-terminated, points into root */
    size_t n;               /* number of items (1 for "input") */
    struct tg_item *items;  /* n items, in input order; == &one or malloc'ed */
    struct tg_item one;
    int batched;            /* 1 when the body used "inputs" */
    int status;             /* HTTP status: 200 when valid, else 400, 404 or 413 */
    char message[256];      /* what is wrong, when status != 200 */
};

/* Parses body[0..len) (need not be NUL-terminated) into *r.  Returns 0 when
 * the request is valid (r->status 200), else TG_EPARSE (400: malformed JSON,
 * with line/column/byte position, or a missing/mistyped field), TG_EINVAL
 * (404: unknown model) or TG_ETOOBIG (413: batch over lim->max_batch) with
 * r->status and r->message set, or TG_ENOMEM (r->status 500).  Always call
 * tg_request_free() afterwards. */
int tg_request_parse(struct tg_request *r, const char *body, size_t len,
                     const struct tg_request_limits *lim);

/* Releases what tg_request_parse() allocated. NULL or zeroed *r is fine. */
void tg_request_free(struct tg_request *r);

/* Appends {"error":{"code":status,"message":"..."}} with message escaped to
 * plain ASCII JSON (bytes >= 0x80 become \u00XX).  Returns 0 or TG_ENOMEM. */
int tg_request_write_error(struct tg_buf *b, int status, const char *message);

#endif
