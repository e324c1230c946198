/* larson.c: the classic server benchmark (Larson & Krishnan).

   Each of `threads` threads owns an array of `chunks` blocks of random sizes
   in [min, max]. It repeatedly frees a random slot and allocates a new block
   there. After `rounds` replacements it starts a new thread that takes over
   the same array, and exits: the new thread frees blocks the old one
   allocated (cross-thread frees, thread churn). After `seconds` the threads
   stop; the result is replacements per second.

   Usage: larson [seconds=5] [min=8] [max=1000] [chunks=1000] [rounds=10000] [seed=1] [threads=1] */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_common.h"

typedef struct larson_arg_s {
  void** blocks;       // the array this chain of threads works on
  size_t chunks;
  size_t min, max;
  size_t rounds;
  uint64_t seed;
  uint64_t ops;        // replacements done by the chain so far
  unsigned generation; // threads the chain has had
} larson_arg_t;

static atomic_bool stop_flag;
static atomic_int live_chains;

static void* larson_worker(void* p) {
  larson_arg_t* a = (larson_arg_t*)p;
  uint64_t rng = a->seed;
  size_t span = a->max - a->min + 1;
  for (size_t r = 0; r < a->rounds; r++) {
    size_t victim = (size_t)(bench_rand(&rng) % a->chunks);
    bench_free(a->blocks[victim]);
    size_t size = a->min + (size_t)(bench_rand(&rng) % span);
    char* b = bench_malloc(size);
    b[0] = (char)r;
    b[size - 1] = (char)victim;
    a->blocks[victim] = b;
  }
  a->ops += a->rounds;
  a->seed = rng;
  a->generation++;
  if (!atomic_load(&stop_flag)) {
    pthread_t next;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&next, &attr, larson_worker, a) == 0) {
      pthread_attr_destroy(&attr);
      return NULL;
    }
    pthread_attr_destroy(&attr);
  }
  atomic_fetch_sub(&live_chains, 1);
  return NULL;
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 5;
  size_t min = argc > 2 ? strtoul(argv[2], NULL, 10) : 8;
  size_t max = argc > 3 ? strtoul(argv[3], NULL, 10) : 1000;
  size_t chunks = argc > 4 ? strtoul(argv[4], NULL, 10) : 1000;
  size_t rounds = argc > 5 ? strtoul(argv[5], NULL, 10) : 10000;
  uint64_t seed = argc > 6 ? strtoull(argv[6], NULL, 10) : 1;
  unsigned threads = argc > 7 ? (unsigned)atoi(argv[7]) : 1;
  if (seconds <= 0 || min < 1 || max < min || chunks < 1 || rounds < 1 || threads < 1 || threads > 256) {
    fprintf(stderr, "usage: larson [seconds] [min] [max] [chunks] [rounds] [seed] [threads]\n");
    return 2;
  }
  larson_arg_t* args = calloc(threads, sizeof(*args));
  for (unsigned t = 0; t < threads; t++) {
    larson_arg_t* a = &args[t];
    a->blocks = calloc(chunks, sizeof(void*));
    a->chunks = chunks, a->min = min, a->max = max, a->rounds = rounds;
    a->seed = seed * 0x9E3779B97F4A7C15ull + t + 1;
    uint64_t rng = a->seed;
    for (size_t i = 0; i < chunks; i++) {  // the arrays start full, allocated by the main thread
      size_t size = min + (size_t)(bench_rand(&rng) % (max - min + 1));
      a->blocks[i] = bench_malloc(size);
      memset(a->blocks[i], 1, size < 16 ? size : 16);
    }
  }
  atomic_store(&live_chains, (int)threads);
  double t0 = bench_now();
  for (unsigned t = 0; t < threads; t++) {
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &attr, larson_worker, &args[t]) != 0) {
      fprintf(stderr, "larson: cannot create a thread\n");
      return 1;
    }
    pthread_attr_destroy(&attr);
  }
  usleep((useconds_t)(seconds * 1e6));
  atomic_store(&stop_flag, true);
  while (atomic_load(&live_chains) > 0) usleep(1000);
  double elapsed = bench_now() - t0;
  uint64_t ops = 0;
  unsigned generations = 0;
  for (unsigned t = 0; t < threads; t++) {
    ops += args[t].ops;
    generations += args[t].generation;
    for (size_t i = 0; i < chunks; i++) bench_free(args[t].blocks[i]);
    free(args[t].blocks);
  }
  free(args);
  printf("larson: threads=%u seconds=%.2f min=%zu max=%zu chunks=%zu rounds=%zu ops=%llu thread_generations=%u "
         "throughput=%.0f ops/s peak_rss_kb=%ld\n",
         threads, elapsed, min, max, chunks, rounds, (unsigned long long)ops, generations, (double)ops / elapsed,
         bench_peak_rss_kb());
  bench_report_allocator();
  return 0;
}
