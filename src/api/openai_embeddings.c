/*
 * openai_embeddings.c - the openai-embeddings dialect (docs/api.md, "openai-embeddings").  STUB: filled in by the dialect work.
 */
#include "api/internal.h"

const struct tg_api tg_api_openai_embeddings = {
    .name = "openai-embeddings",
    .summary = "openai-embeddings (not yet implemented)",
    .route = "/v1/embeddings",
};
