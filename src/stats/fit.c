/*
 * fit.c - least squares in two passes (means first, then centred sums), which
 * keeps the slope accurate when x and y are large and close together.
 */
#include "stats/fit.h"

#include "core/error.h"

#include <math.h>

static bool usable(const double *x, const double *y, const double *w, size_t i)
{
    return isfinite(x[i]) && isfinite(y[i]) && (!w || (isfinite(w[i]) && w[i] > 0));
}

static void quality(const double *x, const double *y, const double *w, size_t n, struct tg_fit *f)
{
    double sy = 0, m = 0;
    for (size_t i = 0; i < n; i++)
        if (usable(x, y, w, i)) {
            sy += y[i];
            m++;
        }
    double my = sy / m, ssr = 0, sst = 0;
    for (size_t i = 0; i < n; i++)
        if (usable(x, y, w, i)) {
            double r = y[i] - (f->alpha + f->beta * x[i]), d = y[i] - my;
            ssr += r * r;
            sst += d * d;
        }
    f->rmse = sqrt(ssr / m);
    /* every y equal: a flat line fits them exactly */
    f->r2 = sst > 0 ? 1.0 - ssr / sst : (ssr > 0 ? 0.0 : 1.0);
}

int tg_fit_weighted(const double *x, const double *y, const double *w, size_t n, bool nonneg_alpha,
                    struct tg_fit *out)
{
    double sw = 0, sx = 0, sy = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!usable(x, y, w, i))
            continue;
        double wi = w ? w[i] : 1;
        sw += wi;
        sx += wi * x[i];
        sy += wi * y[i];
        m++;
    }
    if (m < 2)
        return TG_EINVAL;
    double mx = sx / sw, my = sy / sw;
    double sxx = 0, sxy = 0;
    for (size_t i = 0; i < n; i++) {
        if (!usable(x, y, w, i))
            continue;
        double wi = w ? w[i] : 1, dx = x[i] - mx;
        sxx += wi * dx * dx;
        sxy += wi * dx * (y[i] - my);
    }
    if (!(sxx > 0))
        return TG_EINVAL;
    out->beta = sxy / sxx;
    out->alpha = my - out->beta * mx;
    if (nonneg_alpha && out->alpha < 0) {
        double nxy = 0, nxx = 0;
        for (size_t i = 0; i < n; i++)
            if (usable(x, y, w, i)) {
                double wi = w ? w[i] : 1;
                nxy += wi * x[i] * y[i];
                nxx += wi * x[i] * x[i];
            }
        out->alpha = 0;
        out->beta = nxx > 0 ? nxy / nxx : 0;
    }
    out->n = m;
    quality(x, y, w, n, out);
    return 0;
}

int tg_fit_linear(const double *x, const double *y, size_t n, struct tg_fit *out)
{
    return tg_fit_weighted(x, y, NULL, n, false, out);
}
