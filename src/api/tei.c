/*
 * tei.c - the tei dialect (docs/api.md, "tei").  STUB: filled in by the dialect work.
 */
#include "api/internal.h"

const struct tg_api tg_api_tei = {
    .name = "tei",
    .summary = "tei (not yet implemented)",
    .route = "/embed",
};
