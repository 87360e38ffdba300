/*
 * outputs.h - output equivalence, input by input: the After run's output
 * hashes against a reference (the Before run's, or another run's), joined
 * on request_id; optionally a numeric comparison of saved outputs within a
 * tolerance for the inputs whose hashes differ.
 *
 * Counting, over the union of request_ids of both sides:
 *   compared   both sides have an output hash
 *   equal      compared and the hashes are equal, or (with a tolerance and
 *              both saved-output files) every number within the tolerance
 *   different  compared and not equal
 *   missing    at least one side has no hash for the input (a failed input,
 *              a row absent from one file, or no output_hash column)
 * Pure apart from reading the saved-output files; thread-safe.
 */
#ifndef TG_COMPARE_OUTPUTS_H
#define TG_COMPARE_OUTPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compare/rows.h"
#include "compare/tolerance.h"

#define TG_OUTPUTS_LIST 10       /* example request_ids kept per category */
#define TG_OUTPUTS_MAX_FILE ((size_t)1 << 31)

struct tg_output_cmp {
    size_t compared, equal, different, missing;
    size_t equal_exact;              /* equal hashes */
    size_t equal_within_tolerance;   /* different hashes, numbers within tolerance */
    size_t ref_hashes, after_hashes; /* rows with a hash on each side */
    struct tg_tolerance tolerance;   /* kind TG_TOL_EXACT: none requested */
    bool tolerance_applied;          /* saved outputs of both sides were read */
    double max_abs_diff;             /* the largest measure (max |a-b|, or 1 - cosine for a
                                        cosine tolerance) over inputs compared numerically; NAN if none */
    char note[256];                  /* why the tolerance was not applied, etc. */
    uint64_t first_different[TG_OUTPUTS_LIST];
    size_t n_first_different;
    uint64_t first_missing[TG_OUTPUTS_LIST];
    size_t n_first_missing;
};

/* Compares after against ref.  tol NULL or of kind TG_TOL_EXACT disables
 * the numeric pass;
 * ref_saved / after_saved are the --save-outputs JSON-lines files (NULL or
 * "" when absent).  Returns 0, or TG_EPARSE / -errno / TG_ENOMEM with a
 * one-line "file:line: reason" in err. */
int tg_outputs_compare(const struct tg_rows *ref, const struct tg_rows *after,
                       const struct tg_tolerance *tol,
                       const char *ref_saved, const char *after_saved, struct tg_output_cmp *out,
                       char *err, size_t errlen);

/* Largest absolute difference between two JSON texts' numbers when they
 * have the same shape (arrays of equal length, objects with equal keys,
 * equal strings/booleans/nulls); INFINITY when the shapes differ, NAN when a
 * text is not JSON. */
double tg_outputs_json_max_abs_diff(const char *a, const char *b);
/* The same for two parsed values (json_t *). */
double tg_outputs_json_diff(const void *a, const void *b);

#endif
