/*
 * binomial.h - the regularized incomplete beta function, its inverse, the
 * binomial CDF and one-sided Clopper-Pearson bounds, for the SLA verdict.
 *
 * Numerics: Lentz's continued fraction for I_x(a, b) (Numerical Recipes
 * betacf) with the log-space prefactor in long double (lgammal_r), so n in
 * the millions (a, b up to ~10^7) keeps ~1e-10 relative accuracy; inverses by
 * bisection on x to full double precision.  Pure and thread-safe.
 */
#ifndef TG_STATS_BINOMIAL_H
#define TG_STATS_BINOMIAL_H

#include <stdint.h>

/* Regularized incomplete beta I_x(a, b), a, b > 0, x clamped to [0, 1].
 * NAN when a or b is not positive. */
double tg_beta_inc(double a, double b, double x);

/* The x in [0, 1] with I_x(a, b) = q, q in [0, 1].  NAN on bad arguments. */
double tg_beta_quantile(double a, double b, double q);

/* P(X <= k) for X ~ Binomial(n, p).  1 when k >= n. */
double tg_binom_cdf(uint64_t k, uint64_t n, double p);

/* One-sided Clopper-Pearson bounds at `confidence` (e.g. 0.99) on the true
 * proportion behind k successes out of n > 0 trials:
 *   *lo: P(p >= lo) >= confidence; 0 when k == 0  (Beta(1-c; k, n-k+1))
 *   *hi: P(p <= hi) >= confidence; 1 when k == n  (Beta(c; k+1, n-k))
 * For k = 0, hi = 1 - (1-c)^(1/n).  Returns 0 or TG_EINVAL (k > n, n == 0,
 * confidence outside (0, 1)). */
int tg_clopper_pearson(uint64_t k, uint64_t n, double confidence, double *lo, double *hi);

#endif
