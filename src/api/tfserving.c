/*
 * tfserving.c - the tfserving dialect (docs/api.md, "tfserving").  STUB: filled in by the dialect work.
 */
#include "api/internal.h"

const struct tg_api tg_api_tfserving = {
    .name = "tfserving",
    .summary = "tfserving (not yet implemented)",
    .route = "/v1/models/{model}:predict",
};
