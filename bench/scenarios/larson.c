/* larson.c: the server benchmark of Larson & Krishnan, with the parameters
   the literature runs it with (larson / larson-sized).

   Setup, on the main thread alone: `threads` arrays of `chunks` slots are
   filled with blocks of random sizes in [min, max], the slots are shuffled
   across all arrays (so each thread's array holds blocks from all over the
   main thread's allocation order), and 4 * threads * chunks random
   replacements age the heap. Every block live when the workers start was
   allocated by the main thread.

   Workers: thread t owns array t. Each step frees the block of a random slot
   and allocates a new block of random size there. After `rounds` rounds of
   `chunks` replacements (the thread's life), the thread starts a successor
   that takes over the same array (slots, random state, counters) and exits:
   blocks constantly outlive the thread that allocated them and are freed by
   another one, so an allocator's remote frees, thread exit and adoption of
   an exited thread's memory carry the load next to its plain paths. After
   `seconds` the main thread raises the stop flag, which the workers poll
   every LARSON_POLL steps. The result is replacements per second over all
   threads and their successors.

   Data check: each block gets its first and last whole word stamped from its
   address and size when allocated (bench_stamp; the public program touches
   only a few bytes per block, so a full fill would measure memory
   bandwidth) and checked before it is freed.

   larson-sized (built from this file with LARSON_SIZED): the same workload,
   but every block is freed with its size. The malloc build allocates with
   C++'s `::operator new(size)` and frees with the sized
   `::operator delete(p, size)` (sized_new.cpp), the path a C++ runtime's
   sized deallocation takes; under LD_PRELOAD that is the preloaded library's
   operator if it defines one (libhakmem.so does), else libstdc++'s, which
   calls malloc/free. The hakmem build is identical to larson's: hakmem has
   no sized free, hak_free_at finds the size itself.

   Usage: larson [seconds=5] [min=8] [max=1000] [chunks=5000] [rounds=100] [seed=4141] [threads=1]
   (the literature: larson 5 8 1000 5000 100 4141 T; `hakmem bench` runs 1 s) */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_common.h"

// ----- Allocation calls -----
#if defined(LARSON_SIZED) && !defined(BENCH_HAK)
// sized_new.cpp: ::operator new(size) and ::operator delete(p, size).
void* bench_sized_new(size_t size);
void bench_sized_delete(void* p, size_t size);
const char* bench_sized_origin(void);
#define larson_alloc(size) bench_sized_new(size)
#define larson_free(p, size) bench_sized_delete((p), (size))
#define LARSON_FREE_KIND "sized-delete"
#else
#define larson_alloc(size) bench_malloc(size)
#define larson_free(p, size) ((void)(size), bench_free(p))
#ifdef BENCH_HAK
#define LARSON_FREE_KIND "hak_free_at"
#else
#define LARSON_FREE_KIND "free"
#endif
#endif

#ifdef LARSON_SIZED
#define LARSON_NAME "larson-sized"
#else
#define LARSON_NAME "larson"
#endif

#define LARSON_POLL 64  // steps between two looks at the stop flag

// ----- State -----
// A slot: a live block and its size (the check, and the sized free, need it).
typedef struct larson_slot_s {
  void* block;    // the live block
  size_t size;    // its size in bytes
} larson_slot_t;

// One array and the chain of threads that work on it, one after the other.
typedef struct larson_chain_s {
  larson_slot_t* slots;  // chunks slots, owned by the chain's current thread
  size_t chunks;         // slots in the array
  size_t min, max;       // block sizes, inclusive
  uint64_t life;         // replacements per thread: chunks * rounds
  uint64_t rng;          // random state, handed on to the successor
  uint64_t ops;          // replacements done by the chain so far
  unsigned generations;  // threads the chain has had
  unsigned spawn_fails;  // successors that could not be started (the thread went on itself)
} larson_chain_t;

static atomic_bool larson_stop;      // raised by the main thread after `seconds`
static atomic_int larson_live;       // chains whose current thread has not finished

// ----- Blocks -----
static size_t larson_size(uint64_t* rng, size_t min, size_t max) {
  return min + (size_t)(bench_rand(rng) % (max - min + 1));
}

static void* larson_new_block(size_t size) {
  void* b = larson_alloc(size);
  if (b == NULL) {
    fprintf(stderr, LARSON_NAME ": out of memory (%zu bytes)\n", size);
    exit(1);
  }
  bench_stamp(b, size);
  return b;
}

static void larson_drop_block(larson_slot_t* s) {
  if (!bench_stamp_ok(s->block, s->size)) bench_corrupt(LARSON_NAME, s->block, s->size, "stamp overwritten");
  larson_free(s->block, s->size);
}

// Frees the block of slot i and puts a new one there.
static inline void larson_replace(larson_slot_t* slots, size_t i, size_t size) {
  larson_drop_block(&slots[i]);
  slots[i].block = larson_new_block(size);
  slots[i].size = size;
}

// ----- Workers -----
static void* larson_worker(void* p);

// Starts the successor of the calling thread on chain c (detached).
static bool larson_spawn(larson_chain_t* c) {
  pthread_t th;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  bool ok = pthread_create(&th, &attr, larson_worker, c) == 0;
  pthread_attr_destroy(&attr);
  return ok;
}

static void* larson_worker(void* p) {
  larson_chain_t* c = (larson_chain_t*)p;
  c->generations++;
  for (;;) {
    uint64_t rng = c->rng, done = 0;
    bool stop = false;
    while (done < c->life && !stop) {
      uint64_t n = c->life - done < LARSON_POLL ? c->life - done : LARSON_POLL;
      for (uint64_t i = 0; i < n; i++) {
        size_t victim = (size_t)(bench_rand(&rng) % c->chunks);
        larson_replace(c->slots, victim, larson_size(&rng, c->min, c->max));
      }
      done += n;
      stop = atomic_load_explicit(&larson_stop, memory_order_relaxed);
    }
    c->rng = rng;
    c->ops += done;
    if (stop) break;
    if (larson_spawn(c)) return NULL;  // the successor owns the chain now
    c->spawn_fails++;                  // no thread to be had: live on
  }
  atomic_fetch_sub(&larson_live, 1);
  return NULL;
}

// ----- Setup on the main thread -----
// Fills all arrays, shuffles the slots across them and ages the heap with
// 4 * total random replacements.
static void larson_warm_up(larson_slot_t* all, size_t total, size_t min, size_t max, uint64_t* rng) {
  for (size_t i = 0; i < total; i++) {
    size_t size = larson_size(rng, min, max);
    all[i].block = larson_new_block(size);
    all[i].size = size;
  }
  for (size_t i = total - 1; i > 0; i--) {
    size_t j = (size_t)(bench_rand(rng) % (i + 1));
    larson_slot_t tmp = all[i];
    all[i] = all[j];
    all[j] = tmp;
  }
  for (size_t i = 0; i < 4 * total; i++) {
    size_t victim = (size_t)(bench_rand(rng) % total);
    larson_replace(all, victim, larson_size(rng, min, max));
  }
}

static int larson_usage(void) {
  fprintf(stderr,
          "usage: " LARSON_NAME " [seconds=5] [min=8] [max=1000] [chunks=5000] [rounds=100] [seed=4141] [threads=1]\n"
          "  each thread replaces random blocks of its `chunks` slots (sizes min..max, min >= 8) and after\n"
          "  `rounds` rounds of `chunks` replacements hands its array to a new thread; the run lasts `seconds`.\n");
  return 2;
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 5;
  size_t min = argc > 2 ? strtoul(argv[2], NULL, 10) : 8;
  size_t max = argc > 3 ? strtoul(argv[3], NULL, 10) : 1000;
  size_t chunks = argc > 4 ? strtoul(argv[4], NULL, 10) : 5000;
  size_t rounds = argc > 5 ? strtoul(argv[5], NULL, 10) : 100;
  uint64_t seed = argc > 6 ? strtoull(argv[6], NULL, 10) : 4141;
  unsigned threads = argc > 7 ? (unsigned)atoi(argv[7]) : 1;
  if (seconds <= 0 || min < 8 || max < min || chunks < 1 || rounds < 1 || threads < 1 || threads > 256) return larson_usage();
  size_t total = chunks * threads;
  larson_slot_t* all = calloc(total, sizeof(*all));
  larson_chain_t* chains = calloc(threads, sizeof(*chains));
  if (all == NULL || chains == NULL) return 1;
  uint64_t rng = seed * 0x9E3779B97F4A7C15ull + 1;
  larson_warm_up(all, total, min, max, &rng);
  for (unsigned t = 0; t < threads; t++) {
    larson_chain_t* c = &chains[t];
    c->slots = all + (size_t)t * chunks;
    c->chunks = chunks, c->min = min, c->max = max;
    c->life = (uint64_t)chunks * rounds;
    c->rng = seed * 0x9E3779B97F4A7C15ull + t + 2;
  }
  atomic_store(&larson_live, (int)threads);
  double t0 = bench_now();
  for (unsigned t = 0; t < threads; t++) {
    if (!larson_spawn(&chains[t])) {
      fprintf(stderr, LARSON_NAME ": cannot create a thread\n");
      return 1;
    }
  }
  usleep((useconds_t)(seconds * 1e6));
  atomic_store(&larson_stop, true);
  while (atomic_load(&larson_live) > 0) usleep(200);
  double elapsed = bench_now() - t0;
  uint64_t ops = 0;
  unsigned generations = 0, fails = 0;
  for (unsigned t = 0; t < threads; t++) {
    ops += chains[t].ops;
    generations += chains[t].generations;
    fails += chains[t].spawn_fails;
  }
  for (size_t i = 0; i < total; i++) larson_drop_block(&all[i]);
  free(all);
  free(chains);
  printf(LARSON_NAME ": threads=%u seconds=%.2f min=%zu max=%zu chunks=%zu rounds=%zu life=%llu ops=%llu "
         "thread_generations=%u spawn_failures=%u free=" LARSON_FREE_KIND,
         threads, elapsed, min, max, chunks, rounds, (unsigned long long)chunks * rounds, (unsigned long long)ops,
         generations, fails);
#if defined(LARSON_SIZED) && !defined(BENCH_HAK)
  printf(" %s", bench_sized_origin());
#endif
  printf(" throughput=%.0f ops/s peak_rss_kb=%ld\n", (double)ops / elapsed, bench_peak_rss_kb());
  bench_report_allocator();
  return 0;
}
