/*
 * rng.c - xoshiro256** (Blackman & Vigna) seeded by splitmix64, plus
 * Box-Muller normals and Marsaglia-Tsang gammas.
 */
#include "core/rng.h"

#include <math.h>

uint64_t tg_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void tg_rng_seed(struct tg_rng *r, uint64_t seed)
{
    uint64_t st = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = tg_splitmix64(&st);
    /* splitmix64 never yields four zeros in a row, but be explicit: an
     * all-zero state would make xoshiro emit zeros forever. */
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
        r->s[0] = 1;
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t tg_rng_next(struct tg_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double tg_rng_uniform(struct tg_rng *r)
{
    return (double)(tg_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Lemire's nearly-divisionless method: unbiased, one multiply usually. */
uint64_t tg_rng_below(struct tg_rng *r, uint64_t n)
{
    if (n == 0)
        return 0;
    unsigned __int128 m = (unsigned __int128)tg_rng_next(r) * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        uint64_t threshold = -n % n;
        while (lo < threshold) {
            m = (unsigned __int128)tg_rng_next(r) * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

/* Box-Muller without caching the second value: the generator stays a plain
 * value whose next draw depends only on its state. */
double tg_rng_normal(struct tg_rng *r)
{
    double u1 = 1.0 - tg_rng_uniform(r); /* (0, 1]: log() stays finite */
    double u2 = tg_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

double tg_rng_exp(struct tg_rng *r, double mean)
{
    return -mean * log(1.0 - tg_rng_uniform(r));
}

double tg_rng_lognormal(struct tg_rng *r, double mu, double sigma)
{
    return exp(mu + sigma * tg_rng_normal(r));
}

/* Marsaglia & Tsang (2000); shape < 1 through Gamma(shape + 1) * U^(1/shape). */
double tg_rng_gamma(struct tg_rng *r, double shape)
{
    if (!(shape > 0))
        return NAN;
    if (shape < 1.0) {
        double u = 1.0 - tg_rng_uniform(r);
        return tg_rng_gamma(r, shape + 1.0) * pow(u, 1.0 / shape);
    }
    double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do {
            x = tg_rng_normal(r);
            v = 1.0 + c * x;
        } while (v <= 0);
        v = v * v * v;
        double u = 1.0 - tg_rng_uniform(r);
        if (u < 1.0 - 0.0331 * x * x * x * x)
            return d * v;
        if (log(u) < 0.5 * x * x + d * (1.0 - v + log(v)))
            return d * v;
    }
}

double tg_rng_beta(struct tg_rng *r, double a, double b)
{
    double x = tg_rng_gamma(r, a), y = tg_rng_gamma(r, b);
    double s = x + y;
    return s > 0 ? x / s : 0.5;
}

uint64_t tg_fnv1a64(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}
