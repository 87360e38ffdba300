/*
 * tolerance.h - when two outputs count as the same: exactly (equal
 * canonical text, i.e. equal output_hash), or numerically within a
 * tolerance, for accelerators whose floats drift slightly with batch size.
 *
 * Syntax (the --output-tolerance value of tune, compare and run_tests):
 *           "T" or "abs:T"   every number within T (max absolute difference)
 *           "cosine:EPS"     cosine similarity of the flattened numbers >= 1 - EPS
 * Two outputs are compared only when their JSON shapes agree (arrays of
 * equal length, objects with equal keys, equal non-numbers).
 *
 * Pure and thread-safe.
 */
#ifndef TG_COMPARE_TOLERANCE_H
#define TG_COMPARE_TOLERANCE_H

#include <stdbool.h>
#include <stddef.h>

enum tg_tol_kind { TG_TOL_EXACT, TG_TOL_ABS, TG_TOL_COSINE };

struct tg_tolerance {
    enum tg_tol_kind kind;
    double eps;     /* ABS: the largest allowed |a - b|; COSINE: 1 - the smallest allowed cosine */
};

/* Parses s into *out.  Returns 0 or TG_EINVAL (not one of the forms above,
 * or a negative/non-finite number). */
int tg_tolerance_parse(const char *s, struct tg_tolerance *out);

/* Formats t ("exact", "abs:1e-05", "cosine:1e-06") into out. */
void tg_tolerance_format(const struct tg_tolerance *t, char *out, size_t n);

/* True when canonical JSON texts a and b are equal under t.  *measure (may
 * be NULL) gets the max absolute difference (ABS, EXACT) or 1 - cosine
 * (COSINE) of the numbers; INFINITY when the shapes differ, NAN when a text
 * is not JSON.  EXACT compares the texts byte for byte. */
bool tg_tolerance_within(const struct tg_tolerance *t, const char *a, const char *b, double *measure);

/* The same measure for two parsed JSON values (json_t *, passed as void *
 * so that this header needs no jansson): max |a - b| (ABS, EXACT) or
 * 1 - cosine (COSINE); INFINITY when the shapes differ. */
double tg_tolerance_measure(const struct tg_tolerance *t, const void *a, const void *b);

#endif
