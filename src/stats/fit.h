/*
 * fit.h - ordinary least-squares straight line y = alpha + beta*x with its
 * coefficient of determination, for the batch cost model t(b) = alpha + beta*b.
 *
 * Pure and thread-safe; no allocation.
 */
#ifndef TG_STATS_FIT_H
#define TG_STATS_FIT_H

#include <stdbool.h>
#include <stddef.h>

struct tg_fit {
    double alpha;   /* intercept, in y's unit */
    double beta;    /* slope, y unit per x unit */
    double r2;      /* 1 - SS_res/SS_tot; 1 when every y is equal and fitted exactly */
    double rmse;    /* root mean squared residual, y's unit */
    size_t n;       /* points used */
};

/* Fits y = alpha + beta*x to (x[i], y[i]), i < n; non-finite points are
 * skipped.  Returns 0, or TG_EINVAL when fewer than 2 usable points remain
 * or every x is the same (the slope is undetermined). */
int tg_fit_linear(const double *x, const double *y, size_t n, struct tg_fit *out);

/* Weighted least squares: minimises sum w[i]*(y[i] - alpha - beta*x[i])^2
 * (w NULL: all 1; points with a non-positive or non-finite weight are
 * skipped).  With nonneg_alpha, a negative intercept is replaced by the best
 * line through the origin (alpha = 0), for costs that cannot be negative.
 * r2 and rmse are the unweighted ones of the resulting line.  Returns 0 or
 * TG_EINVAL as tg_fit_linear. */
int tg_fit_weighted(const double *x, const double *y, const double *w, size_t n, bool nonneg_alpha,
                    struct tg_fit *out);

/* alpha + beta*x. */
static inline double tg_fit_eval(const struct tg_fit *f, double x) { return f->alpha + f->beta * x; }

#endif
