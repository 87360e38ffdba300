/*
 * percentile.c - exact nearest-rank statistics, the bootstrap CI of a
 * percentile delta, and the binomial P95 verdict.
 */
#include "stats/percentile.h"
#include "stats/slo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "stats/binomial.h"
#include "core/rng.h"

/* NaN sorts last so that it never hides among the real values. */
static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    if (isnan(a) || isnan(b))
        return isnan(a) - isnan(b);
    return (a > b) - (a < b);
}

#define SIGN_BIT ((uint64_t)1 << 63)

/* Order-preserving map from doubles to unsigned keys: negative numbers have
 * every bit flipped, positive ones only the sign bit.  NaN maps to the top. */
static inline uint64_t dkey(double d)
{
    if (isnan(d))
        return UINT64_MAX;
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return (b & SIGN_BIT) ? ~b : b | SIGN_BIT;
}

static inline double dval(uint64_t k)
{
    uint64_t b = (k & SIGN_BIT) ? k & ~SIGN_BIT : ~k;
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

/* LSD radix sort, 8 bits a pass; passes where every key has the same byte
 * (the high bytes of latencies, mostly) are skipped.  O(n), stable. */
static void radix_sort_keys(uint64_t *a, uint64_t *tmp, size_t n)
{
    size_t count[8][256];
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < n; i++)
        for (int p = 0; p < 8; p++)
            count[p][(a[i] >> (8 * p)) & 0xff]++;
    uint64_t *src = a, *dst = tmp;
    for (int p = 0; p < 8; p++) {
        size_t *c = count[p];
        if (c[(src[0] >> (8 * p)) & 0xff] == n)
            continue;
        size_t sum = 0;
        for (int b = 0; b < 256; b++) {
            size_t t = c[b];
            c[b] = sum;
            sum += t;
        }
        for (size_t i = 0; i < n; i++)
            dst[c[(src[i] >> (8 * p)) & 0xff]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

void tg_sort_doubles(double *v, size_t n)
{
    if (n < 2)
        return;
    uint64_t *keys = n >= 256 ? malloc(2 * n * sizeof *keys) : NULL;
    if (!keys) {   /* small, or no memory: the comparison sort */
        qsort(v, n, sizeof *v, cmp_double);
        return;
    }
    for (size_t i = 0; i < n; i++)
        keys[i] = dkey(v[i]);
    radix_sort_keys(keys, keys + n, n);
    for (size_t i = 0; i < n; i++)
        v[i] = dval(keys[i]);
    free(keys);
}

uint64_t tg_percentile_rank(uint64_t n, double p)
{
    if (n == 0)
        return 0;
    if (!(p > 0))          /* also NaN */
        return 1;
    if (p >= 100)
        return n;
    double x = p * (double)n / 100.0;
    double r = nearbyint(x);
    uint64_t rank;
    if (fabs(x - r) <= 1e-9 * (r > 1 ? r : 1))
        rank = (uint64_t)r;
    else
        rank = (uint64_t)ceil(x);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return rank;
}

double tg_percentile_sorted(const double *sorted, size_t n, double p)
{
    if (n == 0)
        return NAN;
    return sorted[tg_percentile_rank(n, p) - 1];
}

int tg_summary_stats(const double *v, size_t n, struct tg_summary_stats *out)
{
    memset(out, 0, sizeof *out);
    out->n = n;
    if (n == 0) {
        out->min = out->mean = out->stdev = out->p50 = out->p90 = out->p95 = NAN;
        out->p99 = out->p999 = out->max = NAN;
        return 0;
    }
    double *s = malloc(n * sizeof *s);
    if (!s)
        return TG_ENOMEM;
    memcpy(s, v, n * sizeof *s);
    tg_sort_doubles(s, n);
    /* Two passes in long double: mean, then the centred sum of squares
     * (no cancellation, unlike Σx² - n·mean²). */
    long double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += s[i];
    long double mean = sum / (long double)n, ss = 0;
    for (size_t i = 0; i < n; i++) {
        long double d = s[i] - mean;
        ss += d * d;
    }
    out->min = s[0];
    out->max = s[n - 1];
    out->mean = (double)mean;
    out->stdev = n > 1 && isfinite((double)mean) ? (double)sqrtl(ss / (long double)n) : (n > 1 ? NAN : 0.0);
    out->p50 = tg_percentile_sorted(s, n, 50);
    out->p90 = tg_percentile_sorted(s, n, 90);
    out->p95 = tg_percentile_sorted(s, n, 95);
    out->p99 = tg_percentile_sorted(s, n, 99);
    out->p999 = tg_percentile_sorted(s, n, 99.9);
    free(s);
    return 0;
}

static double diff(double a, double b)
{
    if (isinf(a) && isinf(b) && (a > 0) == (b > 0))
        return 0.0;
    return a - b;
}

/* One bootstrap draw of the nearest-rank percentile of a resample of sorted
 * s[0..n): the rank-th smallest of n uniform indices is floor(n * U_(rank)),
 * U_(rank) ~ Beta(rank, n + 1 - rank) (see the header). */
static double draw_percentile(struct tg_rng *r, const double *s, size_t n, uint64_t rank)
{
    double u = tg_rng_beta(r, (double)rank, (double)(n + 1 - rank));
    double idx = floor(u * (double)n);
    size_t i = idx < 0 ? 0 : idx >= (double)n ? n - 1 : (size_t)idx;
    return s[i];
}

int tg_bootstrap_delta_ci(const double *before, size_t nb, const double *after, size_t na,
                          double p, unsigned resamples, double confidence, uint64_t seed,
                          struct tg_ci *out)
{
    out->lo = out->hi = NAN;
    if (resamples == 0 || !(confidence > 0 && confidence < 1))
        return TG_EINVAL;
    if (nb == 0 || na == 0)
        return 0;
    int rc = TG_ENOMEM;
    double *sb = malloc(nb * sizeof *sb);
    double *sa = malloc(na * sizeof *sa);
    double *d = malloc((size_t)resamples * sizeof *d);
    if (!sb || !sa || !d)
        goto out;
    memcpy(sb, before, nb * sizeof *sb);
    memcpy(sa, after, na * sizeof *sa);
    tg_sort_doubles(sb, nb);
    tg_sort_doubles(sa, na);
    uint64_t kb = tg_percentile_rank(nb, p), ka = tg_percentile_rank(na, p);
    struct tg_rng rng;
    tg_rng_seed(&rng, seed);
    for (unsigned i = 0; i < resamples; i++) {
        double pb = draw_percentile(&rng, sb, nb, kb);
        double pa = draw_percentile(&rng, sa, na, ka);
        d[i] = diff(pa, pb);
    }
    tg_sort_doubles(d, resamples);
    double alpha = 1 - confidence;
    out->lo = tg_percentile_sorted(d, resamples, 100 * alpha / 2);
    out->hi = tg_percentile_sorted(d, resamples, 100 * (1 - alpha / 2));
    rc = 0;
out:
    free(sb);
    free(sa);
    free(d);
    return rc;
}

int tg_sla_verdict(const double *v, size_t n, double limit_ms, double confidence,
                   struct tg_sla_result *out)
{
    /* The P95 SLA is the latency SLO at p95 (stats/slo.h): one computation. */
    const struct tg_slo slo = { .metric = TG_SLO_LATENCY, .p = 0.95, .limit_ms = limit_ms };
    struct tg_slo_result r;
    int rc = tg_slo_judge(&slo, v, n, confidence, &r);
    *out = (struct tg_sla_result){
        .p95_ms = r.estimate_ms, .over_limit = (size_t)r.over, .n = n,
        .frac_over_lo = r.frac_over_lo, .frac_over_hi = r.frac_over_hi, .verdict = r.verdict,
    };
    return rc;
}

const char *tg_verdict_name(enum tg_verdict v)
{
    switch (v) {
    case TG_VERDICT_PASS:
        return "PASS";
    case TG_VERDICT_FAIL:
        return "FAIL";
    case TG_VERDICT_INCONCLUSIVE:
        return "INCONCLUSIVE";
    }
    return "INCONCLUSIVE";
}
