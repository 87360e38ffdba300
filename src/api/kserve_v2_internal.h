/*
 * kserve_v2_internal.h - what the two halves of the kserve-v2 dialect share:
 * the tensor helpers (kserve_v2.c) that both sides read tensors with, and the
 * server side (kserve_v2_server.c) that the dialect's table in kserve_v2.c
 * points at.  Internal to src/api/kserve_v2*.c.
 */
#ifndef TG_API_KSERVE_V2_INTERNAL_H
#define TG_API_KSERVE_V2_INTERNAL_H

#include "api/api.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* ---- tensors (kserve_v2.c) ----------------------------------------------------- */

/* Element pointers (borrowed from the document) of a flattened tensor. */
struct tg_api_kserve_flat {
    json_t **v;
    size_t n, cap;
};

/* Frees f->v and zeroes f. */
void tg_api_kserve_flat_free(struct tg_api_kserve_flat *f);
/* Appends the leaves of data (row-major: nested arrays flattened) to f.
 * 0 or TG_ENOMEM. */
int tg_api_kserve_flatten(struct tg_api_kserve_flat *f, json_t *data);
/* Reads shape (an array of integers >= 0, rank >= 1) into its element count.
 * Returns false when it is not one. */
bool tg_api_kserve_shape_count(const json_t *shape, size_t *count);
/* The tensor's string "name", else "". */
const char *tg_api_kserve_tensor_name(const json_t *t);

/* ---- server side (kserve_v2_server.c): the table members of api.h ------------- */

enum tg_api_route tg_api_kserve_route(const char *path, char *model, size_t cap);
int tg_api_kserve_parse(const char *body, size_t len, const char *path_model,
                        const struct tg_api_server_limits *lim, struct tg_api_request *r);
int tg_api_kserve_write(struct tg_buf *b, const struct tg_api_request *r, const double *vecs,
                        size_t dim);
int tg_api_kserve_meta(struct tg_buf *b, enum tg_api_route kind, const char *model,
                       const struct tg_api_server_limits *lim);

#endif
