/*
 * model.h - the placeholder model: a deterministic "embedding" per input, the
 * --batch-drift perturbation, and the vectors every dialect answers with.
 *
 * An output is a pure function of (model name, input bytes):
 *   seed = FNV-1a-64(model || 0x00 || input), then xoshiro256** (splitmix64
 *   seeding) yields TG_MODEL_DIM uniforms in [-1, 1), and the vector is
 *   divided by its L2 norm (sum of squares in index order, IEEE sqrt).
 * Answers carry each value rounded to 8 decimals (tg_api_round8) and written
 * with exactly 8 (tg_api_put_vector8 / tg_api_put_fixed8, in src/api).
 * Only integer arithmetic, +, *, / and sqrt are involved, so the values are
 * the same on every IEEE-754 platform, and without drift an item's values
 * never depend on the batch it came in, nor on the dialect that asked.
 *
 * All functions are pure and thread-safe.
 */
#ifndef TG_SERVER_MODEL_H
#define TG_SERVER_MODEL_H

#include "api/api.h"

#include <stddef.h>

#define TG_MODEL_NAME "example-model"
#define TG_MODEL_DIM 768
/* Largest accepted --batch-drift EPS. */
#define TG_MODEL_DRIFT_MAX 0.01

/* Fills out[] with the L2-normalised output for (model, input). */
void tg_model_embed(const char *model, size_t model_len, const char *input, size_t input_len,
                    double out[TG_MODEL_DIM]);

/* Adds the batch-drift perturbation of an item of input[0..len) that came in
 * a request of b items (the way GPU kernels change floats with the batch
 * size):  v[i] += eps * (2 u_i - 1), where
 *   state = FNV-1a-64(b as 8 bytes little-endian || input bytes),
 *   x_i   = the i-th tg_splitmix64(&state) (i = 0, 1, ...),
 *   u_i   = (x_i >> 11) * 2^-53, in [0, 1).
 * So |delta| <= eps, it is a pure function of (b, i, input), and nothing
 * changes when b <= 1 or eps == 0 (unbatched answers stay the reference). */
void tg_model_drift(double v[TG_MODEL_DIM], size_t b, const char *input, size_t len, double eps);

/* The answer of one request of n texts, as every dialect writes it:
 * out[k * TG_MODEL_DIM + i] = tg_api_round8(embed(model, text k)[i] + drift),
 * drift from tg_model_drift(b = n, eps = drift_eps).  out holds
 * n * TG_MODEL_DIM values. */
void tg_model_vectors(const char *model, const struct tg_api_text *texts, size_t n,
                      double drift_eps, double *out);

#endif
