/*
 * prng.h - a small seeded pseudo-random generator (xoshiro256**, seeded with
 * splitmix64) and the few distributions the placeholder server needs.
 *
 * Pure integer arithmetic for the raw stream, so a seed yields the same
 * numbers on every platform.  A struct tg_prng is plain state: no allocation,
 * not thread-safe (one owner at a time).
 */
#ifndef TG_SERVER_PRNG_H
#define TG_SERVER_PRNG_H

#include <stddef.h>
#include <stdint.h>

struct tg_prng {
    uint64_t s[4];
};

/* Seeds the generator from one 64-bit value (any value, 0 included). */
void tg_prng_seed(struct tg_prng *g, uint64_t seed);

/* Next raw 64-bit value. */
uint64_t tg_prng_next(struct tg_prng *g);

/* Uniform double in [0, 1), 53 random bits. */
double tg_prng_uniform(struct tg_prng *g);

/* Standard normal N(0, 1) (Box-Muller; uses libm). */
double tg_prng_normal(struct tg_prng *g);

/* Exponential with the given mean (mean >= 0). */
double tg_prng_exp(struct tg_prng *g, double mean);

/* 64-bit FNV-1a of p[0..n), continuing from h (start with TG_FNV64_OFFSET). */
#define TG_FNV64_OFFSET 0xcbf29ce484222325ULL
uint64_t tg_fnv1a64(uint64_t h, const void *p, size_t n);

#endif
