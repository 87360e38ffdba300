/*
 * kserve_v2.c - the kserve-v2 dialect (docs/api.md, "kserve-v2").  STUB: filled in by the dialect work.
 */
#include "api/internal.h"

const struct tg_api tg_api_kserve_v2 = {
    .name = "kserve-v2",
    .summary = "kserve-v2 (not yet implemented)",
    .route = "/v2/models/{model}/infer",
};
