/* test_rng.h: the seeded generator of the randomized tests (splitmix64), so
   that a run repeats exactly from its seed. The state is the caller's. */
#ifndef TEST_RNG_H
#define TEST_RNG_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t test_rng_next(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// A number below n (0 when n is 0).
static inline size_t test_rng_below(uint64_t* state, size_t n) { return n ? (size_t)(test_rng_next(state) % n) : 0; }

#endif  // TEST_RNG_H
