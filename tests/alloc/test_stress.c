/* test_stress.c: threads allocate, verify and free under churn.

   Each round starts `threads` new threads and joins them, so every round's
   threads exit and the next round's adopt their heaps. A thread allocates
   blocks of 8 B .. max_size (heavy-tailed: most are small), fills each with a
   pattern derived from its address and size, and frees about half of them
   itself; the other half go through a shared exchange array, where another
   thread (maybe of a later round, after the owner exited) checks and frees
   them. At the end everything is freed, the counters balance, and RSS is back
   near where it started.

   Usage: test_stress [threads=4] [rounds=10] [ops=50000] [max_size_log2=22] [seed=1] */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <valgrind/helgrind.h>

#include "hakmem.h"

static unsigned opt_threads = 4, opt_rounds = 10, opt_ops = 50000, opt_max_log = 22;
static uint64_t opt_seed = 1;

#define EXCHANGE 1024
#define LOCAL 256

static _Atomic(uint64_t*) exchange_slots[EXCHANGE];
static _Atomic uint64_t bad_blocks;

static uint64_t rng_next(uint64_t* s) {  // splitmix64
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Heavy tail: 8 B .. 2^max_log bytes. The size's exponent is geometric (most
// blocks are small), and uniform one time in 64 (so every tier up to whales
// is hit often).
static size_t pick_size(uint64_t* rng) {
  uint64_t r = rng_next(rng);
  unsigned top = opt_max_log - 3;
  unsigned e = (r & 63) == 0 ? (unsigned)((r >> 6) % (top + 1)) : (unsigned)__builtin_ctzll((r >> 6) | (1ull << 40));
  if (e > top) e = top;
  return 8 + (size_t)(rng_next(rng) % (((uint64_t)8 << e) - 7));  // 8 .. 8 << e
}

static uint64_t pattern(const void* p, size_t size) {
  return ((uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull) ^ (size * 0xC2B2AE3D27D4EB4Full);
}

// A block holds its size in word 0, then the pattern words.
static uint64_t* block_new(uint64_t* rng) {
  size_t size = pick_size(rng);
  if (size < 16) size = 16;
  uint64_t* b = hak_alloc_at(size, HAK_SITE_DEFAULT);
  if (b == NULL) return NULL;
  b[0] = size;
  uint64_t pat = pattern(b, size);
  size_t words = size / 8;
  for (size_t i = 1; i < words; i++) b[i] = pat + i;
  return b;
}

static void block_free(uint64_t* b) {
  if (b == NULL) return;
  size_t size = b[0];
  uint64_t pat = pattern(b, size);
  size_t words = size / 8;
  bool ok = hak_usable_size(b) >= size;
  for (size_t i = 1; i < words && ok; i++) ok = b[i] == pat + i;
  if (!ok) atomic_fetch_add(&bad_blocks, 1);
  hak_free_at(b, HAK_SITE_DEFAULT);
}

// Frees b itself, or swaps it into the exchange and frees what comes out.
static void release(uint64_t* b, uint64_t* rng) {
  if (rng_next(rng) & 1) {
    block_free(b);
  } else {
    _Atomic(uint64_t*)* slot = &exchange_slots[rng_next(rng) % EXCHANGE];
    ANNOTATE_HAPPENS_BEFORE(slot);  // helgrind does not see the exchange's ordering by itself
    uint64_t* out = atomic_exchange(slot, b);
    ANNOTATE_HAPPENS_AFTER(slot);
    block_free(out);
  }
}

static void* worker(void* arg) {
  uint64_t rng = (uint64_t)(uintptr_t)arg;
  uint64_t* local[LOCAL] = {0};
  for (unsigned op = 0; op < opt_ops; op++) {
    size_t i = rng_next(&rng) % LOCAL;
    if (local[i] != NULL) release(local[i], &rng);
    local[i] = block_new(&rng);
    if (local[i] == NULL) atomic_fetch_add(&bad_blocks, 1);
  }
  for (size_t i = 0; i < LOCAL; i++) {
    if (local[i] != NULL) release(local[i], &rng);
  }
  return NULL;
}

static void test_stress_churn(void** state) {
  (void)state;
  // The main thread has a heap of its own from the start, so that its frees
  // of the exchange's blocks at the end are remote whatever the scheduling
  // (a thread whose first call frees an exited thread's block adopts that
  // thread's heap; under valgrind the workers may well run one by one).
  hak_collect(true);
  hak_stats_t s0 = {.size = sizeof(s0)};
  hak_stats_get(&s0);
  void* mine = hak_alloc_at(16, HAK_SITE_DEFAULT);
  assert_non_null(mine);
  uint64_t seed = opt_seed;
  for (unsigned r = 0; r < opt_rounds; r++) {
    pthread_t t[64];
    for (unsigned i = 0; i < opt_threads; i++) {
      assert_int_equal(pthread_create(&t[i], NULL, worker, (void*)(uintptr_t)rng_next(&seed)), 0);
    }
    for (unsigned i = 0; i < opt_threads; i++) pthread_join(t[i], NULL);
  }
  for (size_t i = 0; i < EXCHANGE; i++) {
    uint64_t* b = atomic_exchange(&exchange_slots[i], NULL);
    ANNOTATE_HAPPENS_AFTER(&exchange_slots[i]);
    block_free(b);
  }
  assert_int_equal(atomic_load(&bad_blocks), 0);
  hak_free_at(mine, HAK_SITE_DEFAULT);
  hak_collect(true);
  hak_stats_t s1 = {.size = sizeof(s1)};
  hak_stats_get(&s1);
  uint64_t allocs = s1.alloc_count - s0.alloc_count, frees = s1.free_count - s0.free_count;
  printf("stress: %u threads x %u rounds x %u ops: %llu allocations, %llu frees (%llu remote), "
         "peak %llu segments, RSS %llu -> %llu KiB\n",
         opt_threads, opt_rounds, opt_ops, (unsigned long long)allocs, (unsigned long long)frees,
         (unsigned long long)(s1.remote_free - s0.remote_free), (unsigned long long)s1.segments_peak,
         (unsigned long long)(s0.rss_current >> 10), (unsigned long long)(s1.rss_current >> 10));
  assert_int_equal(allocs, frees);
  assert_true(s1.remote_free > s0.remote_free);
  assert_int_equal(s1.invalid_free, s0.invalid_free);
  assert_true(s1.threads_abandoned >= 1);  // exited threads' heaps wait for adoption, not leaked
  assert_true(s1.threads_current + s1.threads_abandoned <= opt_threads + 1);
#if !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
  if (!RUNNING_ON_VALGRIND) {
    // Everything is freed and purged: RSS is back within 8 MiB of the start.
    assert_true(s1.rss_current <= s0.rss_current + ((uint64_t)8 << 20));
    assert_true(s1.pages_current <= s0.pages_current + 1);
  }
#endif
}

int main(int argc, char** argv) {
  if (argc > 1) opt_threads = (unsigned)atoi(argv[1]);
  if (argc > 2) opt_rounds = (unsigned)atoi(argv[2]);
  if (argc > 3) opt_ops = (unsigned)atoi(argv[3]);
  if (argc > 4) opt_max_log = (unsigned)atoi(argv[4]);
  if (argc > 5) opt_seed = strtoull(argv[5], NULL, 10);
  if (opt_threads < 1 || opt_threads > 64 || opt_max_log < 4 || opt_max_log > 26) {
    fprintf(stderr, "usage: test_stress [threads 1..64] [rounds] [ops] [max_size_log2 4..26] [seed]\n");
    return 2;
  }
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_stress_churn)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
