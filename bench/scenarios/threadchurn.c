/* threadchurn.c: many short-lived threads with random lifetimes that pass
   blocks between them through a global transfer array (the class of
   mimalloc's mstress).

   The run has `rounds` rounds; each round starts `threads` threads and joins
   them. A thread lives for a random number of steps, `steps` times 1..8
   (seeded from the round and the thread's index, so lifetimes differ and the
   run is the same every time). Each step:
   - allocates a block: usually (or once its quota is used up) a data block of
     8..128 B, appended to the thread's data slots; otherwise (35%, up to
     steps/2 of them) a block of 8..512 B that it keeps until it exits. About
     2% of all blocks are enlarged 100x (87% of those), 1000x (11%) or 10000x
     (2%), so a few reach megabytes;
   - frees the block of a random data slot (2 steps in 3; the slot may be
     empty);
   - swaps a random data slot with a random slot of the global transfer array
     of TC_TRANSFER slots (1 step in 4), with an atomic exchange: the thread
     takes over a block that another thread allocated, possibly in an
     earlier round, by a thread that has exited since.
   On exit a thread frees all its blocks. Between rounds the main thread
   frees about half of the transfer array; after the last round, all of it.
   So allocation, local and remote frees, huge blocks and the memory of
   exited threads mix, and an allocator's thread-exit and orphan handling is
   paid for at every thread's end.

   Data check: every block is self-describing (bench_tag_fill: size in the
   first word, every other word the address-and-size pattern, all written on
   allocation) and every word is checked before the block is freed,
   whichever thread frees it.

   The result is the wall time of all rounds (seconds=, lower is better).

   Usage: threadchurn [rounds=100] [steps=2000] [threads=1] [seed=1] */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

#define TC_TRANSFER 1000                       // slots of the global transfer array
#define TC_DATA_WORDS 16                       // data blocks: 1..16 words (8..128 B)
#define TC_KEEP_WORDS 64                       // kept blocks: 1..64 words (8..512 B)
#define TC_MAX_BYTES (TC_KEEP_WORDS * 8 * 10000)  // the largest block (5 MB)

// ----- Shared state -----
static _Atomic(void*) tc_transfer[TC_TRANSFER];  // blocks in transit between threads

// ----- Blocks -----
// A block of 1..max_words words, enlarged now and then.
static void* tc_alloc(uint64_t* rng, size_t max_words) {
  uint64_t r = bench_rand(rng);
  size_t words = 1 + (size_t)(r % max_words);
  if ((r >> 20) % 50 == 0) {  // 2% enlarged
    unsigned pick = (unsigned)((r >> 32) % 100);
    words *= pick < 2 ? 10000 : pick < 13 ? 1000 : 100;
  }
  size_t size = words * 8;
  void* p = bench_malloc(size);
  if (p == NULL) {
    fprintf(stderr, "threadchurn: out of memory (%zu bytes)\n", size);
    exit(1);
  }
  bench_tag_fill(p, size);
  return p;
}

static void tc_free(void* p) {
  if (p == NULL) return;
  if (bench_tag_check(p, TC_MAX_BYTES) == 0) bench_tag_corrupt("threadchurn", p, TC_MAX_BYTES);
  bench_free(p);
}

// ----- Threads -----
// One thread of one round.
typedef struct tc_thread_s {
  uint64_t seed;   // its random state
  size_t steps;    // its life in steps
  uint64_t allocs; // blocks it allocated
  uint64_t frees;  // blocks it freed
  uint64_t swaps;  // exchanges with the transfer array
} tc_thread_t;

static void* tc_worker(void* arg) {
  tc_thread_t* t = arg;
  uint64_t rng = t->seed, frees = 0, swaps = 0;
  size_t keep_max = t->steps / 2, nkeep = 0, ndata = 0;
  void** data = bench_malloc(t->steps * sizeof(void*));  // at most one data block per step
  void** keep = bench_malloc((keep_max + 1) * sizeof(void*));
  if (data == NULL || keep == NULL) {
    fprintf(stderr, "threadchurn: out of memory\n");
    exit(1);
  }
  for (size_t i = 0; i < t->steps; i++) {
    uint64_t r = bench_rand(&rng);
    if (nkeep < keep_max && r % 100 < 35) keep[nkeep++] = tc_alloc(&rng, TC_KEEP_WORDS);
    else data[ndata++] = tc_alloc(&rng, TC_DATA_WORDS);
    if (ndata == 0) continue;
    if ((r >> 8) % 3 != 0) {
      size_t j = (size_t)((r >> 16) % ndata);
      frees += data[j] != NULL;
      tc_free(data[j]);
      data[j] = NULL;
    }
    if ((r >> 40) % 4 == 0) {
      size_t j = (size_t)(bench_rand(&rng) % ndata);
      data[j] = atomic_exchange(&tc_transfer[(r >> 44) % TC_TRANSFER], data[j]);
      swaps++;
    }
  }
  for (size_t i = 0; i < nkeep; i++) tc_free(keep[i]);
  for (size_t i = 0; i < ndata; i++) {
    frees += data[i] != NULL;
    tc_free(data[i]);
  }
  bench_free(data);
  bench_free(keep);
  t->allocs = ndata + nkeep;
  t->frees = frees + nkeep;
  t->swaps = swaps;
  return NULL;
}

// Frees the transfer array's blocks, each with probability `percent`.
static uint64_t tc_clear_transfer(uint64_t* rng, unsigned percent) {
  uint64_t n = 0;
  for (size_t k = 0; k < TC_TRANSFER; k++) {
    if (bench_rand(rng) % 100 >= percent) continue;
    void* p = atomic_exchange(&tc_transfer[k], NULL);
    n += p != NULL;
    tc_free(p);
  }
  return n;
}

// ----- Main -----
static int tc_usage(void) {
  fprintf(stderr,
          "usage: threadchurn [rounds=100] [steps=2000] [threads=1] [seed=1]\n"
          "  each round starts `threads` threads of steps * 1..8 allocation steps each and joins them.\n");
  return 2;
}

int main(int argc, char** argv) {
  unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 100;
  size_t steps = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000;
  unsigned threads = argc > 3 ? (unsigned)atoi(argv[3]) : 1;
  uint64_t seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
  if (rounds < 1 || steps < 2 || steps > (1u << 24) || threads < 1 || threads > 256) return tc_usage();
  tc_thread_t* t = calloc(threads, sizeof(*t));
  pthread_t* th = calloc(threads, sizeof(*th));
  if (t == NULL || th == NULL) return 1;
  uint64_t rng = seed * 0x9E3779B97F4A7C15ull + 1, allocs = 0, frees = 0, swaps = 0, lives = 0;
  double t0 = bench_now();
  for (unsigned r = 0; r < rounds; r++) {
    for (unsigned i = 0; i < threads; i++) {
      t[i] = (tc_thread_t){.seed = bench_rand(&rng) | 1, .steps = steps * (1 + (size_t)(bench_rand(&rng) % 8))};
      lives += t[i].steps;
      if (pthread_create(&th[i], NULL, tc_worker, &t[i]) != 0) {
        fprintf(stderr, "threadchurn: cannot create a thread\n");
        return 1;
      }
    }
    for (unsigned i = 0; i < threads; i++) {
      pthread_join(th[i], NULL);
      allocs += t[i].allocs, frees += t[i].frees, swaps += t[i].swaps;
    }
    frees += tc_clear_transfer(&rng, r + 1 < rounds ? 50 : 100);
  }
  double elapsed = bench_now() - t0;
  free(t);
  free(th);
  if (frees != allocs) {
    fprintf(stderr, "threadchurn: %llu blocks allocated, %llu freed\n", (unsigned long long)allocs, (unsigned long long)frees);
    return 1;
  }
  printf("threadchurn: threads=%u rounds=%u steps=%zu thread_lives=%u total_steps=%llu allocs=%llu swaps=%llu "
         "seconds=%.3f peak_rss_kb=%ld\n",
         threads, rounds, steps, rounds * threads, (unsigned long long)lives, (unsigned long long)allocs,
         (unsigned long long)swaps, elapsed, bench_peak_rss_kb());
  bench_report_allocator();
  return 0;
}
