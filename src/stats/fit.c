/*
 * fit.c - least squares in two passes (means first, then centred sums), which
 * keeps the slope accurate when x and y are large and close together.
 */
#include "stats/fit.h"

#include "core/error.h"

#include <math.h>

int tg_fit_linear(const double *x, const double *y, size_t n, struct tg_fit *out)
{
    double sx = 0, sy = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        sx += x[i];
        sy += y[i];
        m++;
    }
    if (m < 2)
        return TG_EINVAL;
    double mx = sx / (double)m, my = sy / (double)m;
    double sxx = 0, sxy = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        double dx = x[i] - mx, dy = y[i] - my;
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    if (!(sxx > 0))
        return TG_EINVAL;
    double beta = sxy / sxx, alpha = my - beta * mx;
    double ssr = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        double r = y[i] - (alpha + beta * x[i]);
        ssr += r * r;
    }
    out->alpha = alpha;
    out->beta = beta;
    out->n = m;
    out->rmse = sqrt(ssr / (double)m);
    /* every y equal: a flat line fits them exactly */
    out->r2 = syy > 0 ? 1.0 - ssr / syy : 1.0;
    return 0;
}
