/* A seeded pseudo-random generator (xoshiro256**, seeded by splitmix64).
 * Owned by the caller, so every simulated run is reproducible from a seed.
 * Not for keys or ICE credentials: those come from OpenSSL's RAND_bytes. */
#ifndef PL_BASE_RNG_H
#define PL_BASE_RNG_H

#include <stdint.h>

typedef struct pl_rng {
  uint64_t s[4];
} pl_rng;

void pl_rng_seed(pl_rng *r, uint64_t seed);
uint64_t pl_rng_u64(pl_rng *r);
/* Uniform in [0, 1). */
double pl_rng_uniform(pl_rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t pl_rng_below(pl_rng *r, uint64_t n);
/* Standard normal (Box-Muller; one value per call, no hidden state). */
double pl_rng_normal(pl_rng *r);

#endif
