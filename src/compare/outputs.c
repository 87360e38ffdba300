/*
 * outputs.c - hash join and the numeric tolerance pass.
 */
#include "compare/outputs.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

static double json_diff(json_t *a, json_t *b);

double tg_outputs_json_diff(const void *a, const void *b) { return json_diff((json_t *)a, (json_t *)b); }

static double json_diff(json_t *a, json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return fabs(json_number_value(a) - json_number_value(b));
    if (json_typeof(a) != json_typeof(b))
        return INFINITY;
    if (json_is_array(a)) {
        size_t n = json_array_size(a);
        if (n != json_array_size(b))
            return INFINITY;
        double m = 0;
        for (size_t i = 0; i < n && isfinite(m); i++) {
            double d = json_diff(json_array_get(a, i), json_array_get(b, i));
            if (!(d <= m))
                m = d;
        }
        return m;
    }
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return INFINITY;
        double m = 0;
        const char *k;
        json_t *va;
        json_object_foreach(a, k, va) {
            json_t *vb = json_object_get(b, k);
            double d = vb ? json_diff(va, vb) : INFINITY;
            if (!(d <= m))
                m = d;
        }
        return m;
    }
    return json_equal(a, b) ? 0 : INFINITY;
}

double tg_outputs_json_max_abs_diff(const char *a, const char *b)
{
    json_t *ja = json_loads(a, JSON_DECODE_ANY, NULL), *jb = json_loads(b, JSON_DECODE_ANY, NULL);
    double d = ja && jb ? json_diff(ja, jb) : NAN;
    json_decref(ja);
    json_decref(jb);
    return d;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Reads the "output" of every wanted request_id from a saved-outputs file
 * (JSON lines {"request_id":N,"output":…}); outs[i] gets a new reference. */
static int load_saved(const char *path, const uint64_t *want, size_t nwant, json_t **outs,
                      char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open saved outputs", path);
        return TG_EIO;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned lineno = 0;
    int rc = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (n == 0 || (n == 1 && line[0] == '\n'))
            continue;
        json_error_t je;
        json_t *o = json_loadb(line, (size_t)n, 0, &je);
        if (!o) {
            snprintf(err, errlen, "%s:%u: %s", path, lineno, je.text);
            rc = TG_EPARSE;
            break;
        }
        json_t *id = json_object_get(o, "request_id"), *out = json_object_get(o, "output");
        if (!json_is_integer(id) || json_integer_value(id) < 0 || !out) {
            json_decref(o);
            snprintf(err, errlen, "%s:%u: expected {\"request_id\":N,\"output\":…}", path, lineno);
            rc = TG_EPARSE;
            break;
        }
        uint64_t key = (uint64_t)json_integer_value(id);
        const uint64_t *hit = bsearch(&key, want, nwant, sizeof *want, cmp_u64);
        if (hit) {
            size_t i = (size_t)(hit - want);
            json_decref(outs[i]);
            outs[i] = json_incref(out);
        }
        json_decref(o);
    }
    free(line);
    fclose(f);
    return rc;
}

static void remember(uint64_t *list, size_t *n, uint64_t id)
{
    if (*n < TG_OUTPUTS_LIST)
        list[(*n)++] = id;
}

int tg_outputs_compare(const struct tg_rows *ref, const struct tg_rows *after,
                       const struct tg_tolerance *tol,
                       const char *ref_saved, const char *after_saved, struct tg_output_cmp *out,
                       char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (tol)
        out->tolerance = *tol;
    out->max_abs_diff = NAN;
    out->ref_hashes = tg_rows_count_hashes(ref);
    out->after_hashes = tg_rows_count_hashes(after);

    uint64_t *pending = NULL;   /* ids whose hashes differ */
    size_t npending = 0;
    if (out->tolerance.kind != TG_TOL_EXACT) {
        pending = malloc((after->n ? after->n : 1) * sizeof *pending);
        if (!pending)
            return TG_ENOMEM;
    }

    size_t i = 0, j = 0;
    while (i < ref->n || j < after->n) {
        const struct tg_row *r = i < ref->n ? &ref->rows[i] : NULL;
        const struct tg_row *a = j < after->n ? &after->rows[j] : NULL;
        if (r && a && r->request_id != a->request_id) {
            if (r->request_id < a->request_id)
                a = NULL;
            else
                r = NULL;
        }
        uint64_t id = r ? r->request_id : a->request_id;
        if (r)
            i++;
        if (a)
            j++;
        if (!r || !a || !r->hash_len || !a->hash_len) {
            out->missing++;
            remember(out->first_missing, &out->n_first_missing, id);
            continue;
        }
        out->compared++;
        if (r->hash_len == a->hash_len &&
            !memcmp(tg_row_hash(ref, r), tg_row_hash(after, a), r->hash_len)) {
            out->equal++;
            out->equal_exact++;
        } else if (pending) {
            pending[npending++] = id;
        } else {
            out->different++;
            remember(out->first_different, &out->n_first_different, id);
        }
    }
    if (!pending)
        return 0;

    /* Numeric pass over the differing hashes. */
    int rc = 0;
    json_t **ro = NULL, **ao = NULL;
    if (npending == 0) {
        out->tolerance_applied = true;
        goto done;
    }
    if (!ref_saved || !*ref_saved || !after_saved || !*after_saved) {
        snprintf(out->note, sizeof out->note,
                 "tolerance not applied: %s has no saved outputs (tailgate run --save-outputs)",
                 (!ref_saved || !*ref_saved) ? "the reference run" : "the After run");
        goto unresolved;
    }
    ro = calloc(npending, sizeof *ro);
    ao = calloc(npending, sizeof *ao);
    if (!ro || !ao) {
        rc = TG_ENOMEM;
        goto done;
    }
    if ((rc = load_saved(ref_saved, pending, npending, ro, err, errlen)) < 0 ||
        (rc = load_saved(after_saved, pending, npending, ao, err, errlen)) < 0)
        goto done;
    out->tolerance_applied = true;
    for (size_t k = 0; k < npending; k++) {
        double d = ro[k] && ao[k] ? tg_tolerance_measure(&out->tolerance, ro[k], ao[k]) : INFINITY;
        if (isfinite(d) && (isnan(out->max_abs_diff) || d > out->max_abs_diff))
            out->max_abs_diff = d;
        if (d <= out->tolerance.eps) {
            out->equal++;
            out->equal_within_tolerance++;
        } else {
            out->different++;
            remember(out->first_different, &out->n_first_different, pending[k]);
        }
    }
    goto done;
unresolved:
    for (size_t k = 0; k < npending; k++) {
        out->different++;
        remember(out->first_different, &out->n_first_different, pending[k]);
    }
done:
    if (ro)
        for (size_t k = 0; k < npending; k++)
            json_decref(ro[k]);
    if (ao)
        for (size_t k = 0; k < npending; k++)
            json_decref(ao[k]);
    free(ro);
    free(ao);
    free(pending);
    return rc;
}
