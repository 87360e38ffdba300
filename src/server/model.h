/*
 * model.h - the placeholder model: a deterministic "embedding" per input and
 * the JSON writers for /v1/infer answers.
 *
 * An output is a pure function of (model name, input bytes):
 *   seed = FNV-1a-64(model || 0x00 || input), then xoshiro256** (splitmix64
 *   seeding) yields TG_MODEL_DIM uniforms in [-1, 1), the vector is divided by
 *   its L2 norm (sum of squares in index order, IEEE sqrt), and each value is
 *   printed as fixed-point with exactly 8 decimals, llround(v * 1e8) / 1e8
 *   (e.g. -0.03612345, 0.00000000; never "-0").
 * Only integer arithmetic, +, *, / and sqrt are involved, so the bytes are
 * the same on every IEEE-754 platform, and an item's bytes never depend on
 * the batch it came in.
 *
 * All functions are pure and thread-safe; writers append to a caller-owned
 * tg_buf and return 0 or TG_ENOMEM.
 */
#ifndef TG_SERVER_MODEL_H
#define TG_SERVER_MODEL_H

#include "core/buf.h"

#include <stddef.h>

#define TG_MODEL_NAME "example-model"
#define TG_MODEL_DIM 768
/* Upper bound on the bytes of one written vector: "[" + 768 x "-1.00000000," + "]". */
#define TG_MODEL_VECTOR_MAX (2 + TG_MODEL_DIM * 12)

/* One input: bytes that need not be NUL-terminated (not owned). */
struct tg_item {
    const char *data;
    size_t len;
};

/* 1 when this server serves the model named name[0..len), else 0. */
int tg_model_known(const char *name, size_t len);

/* Fills out[] with the L2-normalised output for (model, input). */
void tg_model_embed(const char *model, size_t model_len, const char *input, size_t input_len,
                    double out[TG_MODEL_DIM]);

/* Appends v as a JSON array of TG_MODEL_DIM fixed-point numbers. */
int tg_model_write_vector(struct tg_buf *b, const double v[TG_MODEL_DIM]);

/* Appends the whole /v1/infer answer for items[0..n) of model (a known model
 * name, written verbatim):
 *   batched == 0 (n must be 1): {"model":"M","output":[...]}
 *   batched != 0:               {"model":"M","outputs":[[...],...]} */
int tg_model_write_response(struct tg_buf *b, const char *model, const struct tg_item *items,
                            size_t n, int batched);

#endif
