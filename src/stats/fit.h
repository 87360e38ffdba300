/*
 * fit.h - ordinary least-squares straight line y = alpha + beta*x with its
 * coefficient of determination, for the batch cost model t(b) = alpha + beta*b.
 *
 * Pure and thread-safe; no allocation.
 */
#ifndef TG_STATS_FIT_H
#define TG_STATS_FIT_H

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

/* alpha + beta*x. */
static inline double tg_fit_eval(const struct tg_fit *f, double x) { return f->alpha + f->beta * x; }

#endif
