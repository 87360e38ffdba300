/*
 * tune_outputs.c - a candidate's outputs against the reference (tune.h):
 * joined on payload index, hashes first, numbers within the tolerance when
 * hashes differ.
 */
#include "analyze/tune.h"

#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int tg_tune_outputs(const struct tg_prows *ref, const struct tg_prows *cand, size_t npayloads,
                    uint64_t *compared, uint64_t *different, uint64_t *missing)
{
    struct tg_tune_cand c;
    static const struct tg_tolerance exact = { TG_TOL_EXACT, 0 };
    int rc = tg_tune_outputs_tol(ref, NULL, cand, NULL, npayloads, &exact, &c);
    *compared = c.outputs_compared;
    *different = c.outputs_different;
    *missing = c.outputs_missing;
    return rc;
}

int tg_tune_outputs_tol(const struct tg_prows *ref, char *const *ref_out, const struct tg_prows *cand,
                        char *const *cand_out, size_t npayloads, const struct tg_tolerance *tol,
                        struct tg_tune_cand *c)
{
    uint64_t *compared = &c->outputs_compared, *different = &c->outputs_different, *missing = &c->outputs_missing;
    *compared = *different = *missing = c->outputs_within_tolerance = 0;
    c->outputs_max_diff = NAN;
    if (!npayloads)
        return TG_EINVAL;
    const char **by = calloc(npayloads, sizeof *by);
    if (!by)
        return TG_ENOMEM;
    for (size_t i = 0; i < ref->n; i++) {
        const struct tg_prow *p = &ref->v[i];
        if (p->ok && p->hash[0])
            by[p->request_id % npayloads] = p->hash;
    }
    for (size_t i = 0; i < cand->n; i++) {
        const struct tg_prow *p = &cand->v[i];
        const char *r = by[p->request_id % npayloads];
        if (!p->ok || !p->hash[0] || !r) {
            (*missing)++;
            continue;
        }
        (*compared)++;
        if (!strcmp(r, p->hash))
            continue;
        const char *ro = ref_out ? ref_out[p->request_id % npayloads] : NULL;
        const char *co = cand_out ? cand_out[i] : NULL;
        if (ref_out && !ro && tol->kind != TG_TOL_EXACT) {
            /* the numeric reference does not cover this payload: unverified,
             * like a payload the hash reference does not cover */
            (*compared)--;
            (*missing)++;
            continue;
        }
        double m = NAN;
        bool within = tol->kind != TG_TOL_EXACT && ro && co && tg_tolerance_within(tol, ro, co, &m);
        if (ro && co && tol->kind != TG_TOL_EXACT && !isnan(m))
            c->outputs_max_diff = isnan(c->outputs_max_diff) ? m : fmax(c->outputs_max_diff, m);
        if (within)
            c->outputs_within_tolerance++;
        else
            (*different)++;
    }
    free(by);
    return 0;
}
