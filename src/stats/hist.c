/*
 * hist.c - HDR-style log-linear histogram.
 *
 * Layout: values below 2 * SUB (SUB = 2^10) have one bucket each (exact).
 * Above, every power of two [2^m, 2^(m+1)) is split into SUB linear buckets of
 * width 2^(m-10), so a bucket's width is at most 1/1024 of any value in it.
 * The index is computed with one count-leading-zeros, no loop and no
 * allocation, which keeps tg_hist_record() at a few nanoseconds.
 *
 * Mean and stdev are exact: integer running sums (128-bit for the squares).
 */
#include "stats/hist.h"

#include <math.h>
#include <stdlib.h>

#include "core/error.h"
#include "stats/percentile.h"

#define SUB_BITS 10
#define SUB ((uint64_t)1 << SUB_BITS)

struct tg_hist {
    uint64_t max_us;          /* values above are clamped to it */
    uint64_t count, overflow;
    uint64_t min, max;        /* exact, after clamping */
    uint64_t sum;             /* µs (2^64 µs is 584,000 years of samples) */
    unsigned __int128 sumsq;  /* µs² */
    size_t nbuckets;
    uint64_t counts[];        /* nbuckets */
};

static inline size_t bucket_index(uint64_t v)
{
    if (v < 2 * SUB)
        return (size_t)v;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - SUB_BITS;
    return (size_t)(((uint64_t)shift + 1) * SUB + ((v >> shift) - SUB));
}

/* Highest value that maps to bucket i. */
static uint64_t bucket_high(size_t i)
{
    if (i < 2 * SUB)
        return i;
    uint64_t shift = i / SUB - 1;
    uint64_t low = ((i % SUB) + SUB) << shift;
    return low + (((uint64_t)1 << shift) - 1);
}

struct tg_hist *tg_hist_new(uint64_t max_us)
{
    if (max_us < 1)
        max_us = 1;
    size_t n = bucket_index(max_us) + 1;
    struct tg_hist *h = calloc(1, sizeof *h + n * sizeof h->counts[0]);
    if (!h)
        return NULL;
    h->max_us = max_us;
    h->nbuckets = n;
    h->min = UINT64_MAX;
    return h;
}

void tg_hist_free(struct tg_hist *h)
{
    free(h);
}

void tg_hist_record(struct tg_hist *h, uint64_t v)
{
    if (v > h->max_us) {
        v = h->max_us;
        h->overflow++;
    }
    h->counts[bucket_index(v)]++;
    h->count++;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
    h->sum += v;
    h->sumsq += (unsigned __int128)v * v;
}

int tg_hist_merge(struct tg_hist *dst, const struct tg_hist *src)
{
    if (!dst || !src || dst->max_us != src->max_us)
        return TG_EINVAL;
    for (size_t i = 0; i < dst->nbuckets; i++)
        dst->counts[i] += src->counts[i];
    dst->count += src->count;
    dst->overflow += src->overflow;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
    dst->sum += src->sum;
    dst->sumsq += src->sumsq;
    return 0;
}

uint64_t tg_hist_count(const struct tg_hist *h) { return h->count; }
uint64_t tg_hist_overflow(const struct tg_hist *h) { return h->overflow; }
uint64_t tg_hist_min(const struct tg_hist *h) { return h->count ? h->min : 0; }
uint64_t tg_hist_max(const struct tg_hist *h) { return h->count ? h->max : 0; }

double tg_hist_mean(const struct tg_hist *h)
{
    return h->count ? (double)h->sum / (double)h->count : 0.0;
}

/* Population standard deviation: sqrt((n*Σx² - (Σx)²) / n²).  The numerator
 * is exact in 128 bits whenever it fits (always, for latencies below hours
 * and fewer than ~10^15 samples); long double otherwise. */
double tg_hist_stdev(const struct tg_hist *h)
{
    if (h->count < 2)
        return 0.0;
    unsigned __int128 n = h->count, s = h->sum, num;
    const unsigned __int128 lim = ~(unsigned __int128)0;
    if (h->sumsq <= lim / n && s <= lim / (s ? s : 1)) {
        unsigned __int128 a = n * h->sumsq, b = s * s;
        num = a > b ? a - b : 0;
        long double var = (long double)num / ((long double)h->count * (long double)h->count);
        return (double)sqrtl(var);
    }
    long double mean = (long double)h->sum / (long double)h->count;
    long double var = (long double)h->sumsq / (long double)h->count - mean * mean;
    return var > 0 ? (double)sqrtl(var) : 0.0;
}

uint64_t tg_hist_percentile(const struct tg_hist *h, double p)
{
    if (!h->count)
        return 0;
    uint64_t rank = tg_percentile_rank(h->count, p);
    uint64_t seen = 0;
    for (size_t i = 0; i < h->nbuckets; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t v = bucket_high(i);
            if (v > h->max)
                v = h->max;
            if (v < h->min)
                v = h->min;
            return v;
        }
    }
    return h->max;
}
