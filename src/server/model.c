#include "server/model.h"
#include "core/rng.h"

#include <math.h>
#include <string.h>

void tg_model_embed(const char *model, size_t model_len, const char *input, size_t input_len,
                    double out[TG_MODEL_DIM])
{
    uint64_t h = tg_fnv1a64(TG_FNV64_OFFSET, model, model_len);
    h = tg_fnv1a64(h, "", 1);
    h = tg_fnv1a64(h, input, input_len);
    struct tg_rng g;
    tg_rng_seed(&g, h);
    double sum = 0;
    for (int i = 0; i < TG_MODEL_DIM; i++) {
        out[i] = 2.0 * tg_rng_uniform(&g) - 1.0;
        sum += out[i] * out[i];
    }
    double norm = sqrt(sum);
    if (norm == 0) /* 768 exact zeros: not reachable, but never divide by 0 */
        norm = 1;
    for (int i = 0; i < TG_MODEL_DIM; i++)
        out[i] /= norm;
}

void tg_model_drift(double v[TG_MODEL_DIM], size_t b, const char *input, size_t len, double eps)
{
    if (b <= 1 || !(eps > 0))
        return;
    /* The batch size goes in as fixed-width bytes so that the seed does not
     * depend on the host's size_t. */
    unsigned char bb[8];
    uint64_t bs = (uint64_t)b;
    for (int k = 0; k < 8; k++)
        bb[k] = (unsigned char)(bs >> (8 * k));
    uint64_t state = tg_fnv1a64(TG_FNV64_OFFSET, bb, sizeof bb);
    state = tg_fnv1a64(state, input, len);
    for (int i = 0; i < TG_MODEL_DIM; i++) {
        double u = (double)(tg_splitmix64(&state) >> 11) * 0x1.0p-53;
        v[i] += eps * (2.0 * u - 1.0);
    }
}

void tg_model_vectors(const char *model, const struct tg_api_text *texts, size_t n,
                      double drift_eps, double *out)
{
    size_t mlen = strlen(model);
    for (size_t k = 0; k < n; k++) {
        double *v = out + k * TG_MODEL_DIM;
        tg_model_embed(model, mlen, texts[k].data, texts[k].len, v);
        tg_model_drift(v, n, texts[k].data, texts[k].len, drift_eps);
        for (int i = 0; i < TG_MODEL_DIM; i++)
            v[i] = tg_api_round8(v[i]);
    }
}
