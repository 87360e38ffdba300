/*
 * binomial.c - incomplete beta by continued fraction, inverse by bisection.
 */
#include "stats/binomial.h"

#include <float.h>
#include <math.h>

#include "core/error.h"

/* Continued fraction for I_x(a, b) (modified Lentz).  It converges fast for
 * x < (a+1)/(a+b+2); the caller uses the symmetry I_x(a,b) = 1 - I_{1-x}(b,a)
 * otherwise.  Iterations grow like sqrt(max(a, b)); the cap covers a, b up
 * to ~10^9. */
static long double betacf(long double a, long double b, long double x)
{
    const long double tiny = 1e-300L, eps = 1e-17L;
    long double qab = a + b, qap = a + 1, qam = a - 1;
    long double c = 1, d = 1 - qab * x / qap;
    if (fabsl(d) < tiny)
        d = tiny;
    d = 1 / d;
    long double h = d;
    for (long m = 1; m <= 2000000; m++) {
        long double m2 = 2.0L * m;
        long double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1 + aa * d;
        if (fabsl(d) < tiny)
            d = tiny;
        c = 1 + aa / c;
        if (fabsl(c) < tiny)
            c = tiny;
        d = 1 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1 + aa * d;
        if (fabsl(d) < tiny)
            d = tiny;
        c = 1 + aa / c;
        if (fabsl(c) < tiny)
            c = tiny;
        d = 1 / d;
        long double del = d * c;
        h *= del;
        if (fabsl(del - 1) < eps)
            break;
    }
    return h;
}

static long double lgam(long double v)
{
    int sign;
    return lgammal_r(v, &sign); /* the _r form: lgamma() writes signgam */
}

double tg_beta_inc(double a, double b, double x)
{
    if (!(a > 0) || !(b > 0) || isnan(x))
        return NAN;
    if (x <= 0)
        return 0.0;
    if (x >= 1)
        return 1.0;
    long double la = a, lb = b, lx = x;
    long double lbt = lgam(la + lb) - lgam(la) - lgam(lb) + la * logl(lx) + lb * log1pl(-lx);
    long double bt = expl(lbt);
    if (lx < (la + 1) / (la + lb + 2))
        return (double)(bt * betacf(la, lb, lx) / la);
    return (double)(1 - bt * betacf(lb, la, 1 - lx) / lb);
}

double tg_beta_quantile(double a, double b, double q)
{
    if (!(a > 0) || !(b > 0) || !(q >= 0 && q <= 1))
        return NAN;
    if (q == 0)
        return 0.0;
    if (q == 1)
        return 1.0;
    /* I_x is increasing in x: bisect until the bracket is one or two ulps
     * wide (relative), which takes ~60-120 steps. */
    double lo = 0, hi = 1;
    for (int i = 0; i < 2000; i++) {
        double mid = lo + (hi - lo) / 2;
        if (mid <= lo || mid >= hi)
            break;
        if (tg_beta_inc(a, b, mid) < q)
            lo = mid;
        else
            hi = mid;
        if (hi - lo <= 2 * DBL_EPSILON * hi)
            break;
    }
    return lo + (hi - lo) / 2;
}

double tg_binom_cdf(uint64_t k, uint64_t n, double p)
{
    if (k >= n)
        return 1.0;
    if (!(p >= 0 && p <= 1))
        return NAN;
    if (p == 0)
        return 1.0;
    if (p == 1)
        return 0.0;
    /* P(X <= k) = I_{1-p}(n - k, k + 1) */
    return tg_beta_inc((double)(n - k), (double)k + 1, 1.0 - p);
}

int tg_clopper_pearson(uint64_t k, uint64_t n, double confidence, double *lo, double *hi)
{
    if (n == 0 || k > n || !(confidence > 0 && confidence < 1))
        return TG_EINVAL;
    double dk = (double)k, dn = (double)n;
    if (lo)
        *lo = k == 0 ? 0.0 : tg_beta_quantile(dk, dn - dk + 1, 1 - confidence);
    if (hi)
        *hi = k == n ? 1.0 : tg_beta_quantile(dk + 1, dn - dk, confidence);
    return 0;
}
