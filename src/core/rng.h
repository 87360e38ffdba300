/*
 * rng.h - a small seeded PRNG (xoshiro256** seeded through splitmix64) and
 * the few distributions tailgate needs (uniform, normal, exponential, gamma,
 * beta).  Reproducible: the same seed gives the same sequence on every
 * platform (only the non-uniform draws go through libm).
 *
 * Ownership: struct tg_rng is a plain value owned by the caller (stack or
 * embedded).  Not thread-safe: one generator per thread; derive per-thread
 * seeds with tg_rng_seed(&r, base ^ thread_index) or tg_splitmix64().
 */
#ifndef TG_CORE_RNG_H
#define TG_CORE_RNG_H

#include <stddef.h>
#include <stdint.h>

struct tg_rng {
    uint64_t s[4];
};

/* One splitmix64 step: advances *state and returns a well-mixed 64-bit value.
 * Useful on its own for hashing a seed into several independent seeds. */
uint64_t tg_splitmix64(uint64_t *state);

/* Seeds the generator from any 64-bit seed (0 included). */
void tg_rng_seed(struct tg_rng *r, uint64_t seed);

uint64_t tg_rng_next(struct tg_rng *r);            /* uniform 64-bit */
double tg_rng_uniform(struct tg_rng *r);           /* uniform in [0, 1), 53 bits */
uint64_t tg_rng_below(struct tg_rng *r, uint64_t n); /* uniform in [0, n), unbiased; 0 when n == 0 */
double tg_rng_normal(struct tg_rng *r);            /* standard normal N(0, 1) */
double tg_rng_exp(struct tg_rng *r, double mean);  /* exponential with the given mean */
double tg_rng_lognormal(struct tg_rng *r, double mu, double sigma); /* exp(N(mu, sigma)) */
double tg_rng_gamma(struct tg_rng *r, double shape); /* Gamma(shape, 1), shape > 0 */
double tg_rng_beta(struct tg_rng *r, double a, double b); /* Beta(a, b), a, b > 0 */

/* 64-bit FNV-1a of p[0..n), continuing from h (start with TG_FNV64_OFFSET):
 * turns an input into a seed, identically on every platform. */
#define TG_FNV64_OFFSET 0xcbf29ce484222325ULL
uint64_t tg_fnv1a64(uint64_t h, const void *p, size_t n);

#endif
