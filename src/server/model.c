#include "server/model.h"
#include "core/rng.h"
#include "core/error.h"

#include <math.h>
#include <string.h>

int tg_model_known(const char *name, size_t len)
{
    return len == sizeof TG_MODEL_NAME - 1 && memcmp(name, TG_MODEL_NAME, len) == 0;
}

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

/* Writes llround(v * 1e8) as [-]I.DDDDDDDD; |v| <= 1 so I is 0 or 1.  Hand-
 * rolled rather than printf("%.8f") because it is the server's hot loop and
 * must not depend on the locale. Returns the bytes written (at most 11). */
static size_t fixed8(char *p, double v)
{
    long long m = llround(v * 1e8);
    char *s = p;
    if (m < 0) {
        *s++ = '-';
        m = -m;
    }
    long long ip = m / 100000000, fp = m % 100000000;
    *s++ = (char)('0' + ip); /* ip <= 1 after normalisation */
    *s++ = '.';
    for (int i = 7; i >= 0; i--) {
        s[i] = (char)('0' + fp % 10);
        fp /= 10;
    }
    return (size_t)(s - p) + 8;
}

int tg_model_write_vector(struct tg_buf *b, const double v[TG_MODEL_DIM])
{
    int rc = tg_buf_reserve(b, TG_MODEL_VECTOR_MAX);
    if (rc)
        return rc;
    char *p = b->data + b->len;
    char *start = p;
    *p++ = '[';
    for (int i = 0; i < TG_MODEL_DIM; i++) {
        if (i)
            *p++ = ',';
        p += fixed8(p, v[i]);
    }
    *p++ = ']';
    b->len += (size_t)(p - start);
    b->data[b->len] = '\0';
    return 0;
}

int tg_model_write_response(struct tg_buf *b, const char *model, const struct tg_item *items,
                            size_t n, int batched)
{
    if (!batched && n != 1)
        return TG_EINVAL;
    size_t mlen = strlen(model);
    int rc = tg_buf_reserve(b, 40 + mlen + n * (TG_MODEL_VECTOR_MAX + 1));
    if (rc)
        return rc;
    tg_buf_puts(b, "{\"model\":\"");
    tg_buf_append(b, model, mlen);
    tg_buf_puts(b, batched ? "\",\"outputs\":[" : "\",\"output\":");
    double v[TG_MODEL_DIM];
    for (size_t i = 0; i < n; i++) {
        if (i)
            tg_buf_append(b, ",", 1);
        tg_model_embed(model, mlen, items[i].data, items[i].len, v);
        if ((rc = tg_model_write_vector(b, v)))
            return rc;
    }
    return tg_buf_puts(b, batched ? "]}" : "}");
}
