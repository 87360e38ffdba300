/*
 * tolerance.c - numeric output equivalence.  Shapes are walked in parallel
 * so that two different structures never compare "close" by accident.
 */
#include "compare/tolerance.h"

#include "compare/outputs.h"
#include "core/error.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_eps(const char *s, double *out)
{
    char *end;
    if (!*s)
        return TG_EINVAL;
    double v = strtod(s, &end);
    if (*end || !isfinite(v) || v < 0)
        return TG_EINVAL;
    *out = v;
    return 0;
}

int tg_tolerance_parse(const char *s, struct tg_tolerance *out)
{
    struct tg_tolerance t = { TG_TOL_ABS, 0 };
    const char *v = s;
    if (!strncmp(s, "abs:", 4)) {
        v = s + 4;
    } else if (!strncmp(s, "cosine:", 7)) {
        t.kind = TG_TOL_COSINE;
        v = s + 7;
    }
    if (parse_eps(v, &t.eps) != 0 || (t.kind == TG_TOL_COSINE && t.eps > 2))
        return TG_EINVAL;
    *out = t;
    return 0;
}

void tg_tolerance_format(const struct tg_tolerance *t, char *out, size_t n)
{
    if (t->kind == TG_TOL_EXACT)
        snprintf(out, n, "exact");
    else
        snprintf(out, n, "%s:%g", t->kind == TG_TOL_COSINE ? "cosine" : "abs", t->eps);
}

struct dot { double ab, aa, bb; };

/* Accumulates the dot products of a and b; false when the shapes differ. */
static bool walk(const json_t *a, const json_t *b, struct dot *d)
{
    if (json_is_number(a) && json_is_number(b)) {
        double x = json_number_value(a), y = json_number_value(b);
        d->ab += x * y;
        d->aa += x * x;
        d->bb += y * y;
        return true;
    }
    if (json_typeof(a) != json_typeof(b))
        return false;
    if (json_is_array(a)) {
        size_t n = json_array_size(a);
        if (n != json_array_size(b))
            return false;
        for (size_t i = 0; i < n; i++)
            if (!walk(json_array_get(a, i), json_array_get(b, i), d))
                return false;
        return true;
    }
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return false;
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)a, k, v) {
            const json_t *w = json_object_get(b, k);
            if (!w || !walk(v, w, d))
                return false;
        }
        return true;
    }
    return json_equal((json_t *)a, (json_t *)b);
}

static double cosine_gap(const json_t *x, const json_t *y)
{
    struct dot d = { 0, 0, 0 };
    if (!walk(x, y, &d))
        return INFINITY;
    if (d.aa == 0 && d.bb == 0)
        return 0;                         /* both all-zero (or no numbers): the same */
    if (d.aa == 0 || d.bb == 0)
        return 1;
    return fmax(0, 1 - d.ab / (sqrt(d.aa) * sqrt(d.bb)));
}

static double one_minus_cosine(const char *a, const char *b)
{
    json_t *x = json_loads(a, JSON_DECODE_ANY, NULL), *y = json_loads(b, JSON_DECODE_ANY, NULL);
    double m = x && y ? cosine_gap(x, y) : NAN;
    json_decref(x);
    json_decref(y);
    return m;
}

double tg_tolerance_measure(const struct tg_tolerance *t, const void *a, const void *b)
{
    return t->kind == TG_TOL_COSINE ? cosine_gap(a, b) : tg_outputs_json_diff(a, b);
}

bool tg_tolerance_within(const struct tg_tolerance *t, const char *a, const char *b, double *measure)
{
    double m;
    if (!strcmp(a, b)) {
        if (measure)
            *measure = 0;
        return true;
    }
    if (t->kind == TG_TOL_EXACT) {
        if (measure)
            *measure = tg_outputs_json_max_abs_diff(a, b);
        return false;
    }
    m = t->kind == TG_TOL_COSINE ? one_minus_cosine(a, b) : tg_outputs_json_max_abs_diff(a, b);
    if (measure)
        *measure = m;
    return isfinite(m) && m <= t->eps;
}
