/* micro.c: allocator micro-benchmarks.

   pairs-<size>: malloc(size), touch, free, in a loop (one per tier: tiny 16,
   64, 256, 1000; mid 4096, 32768; large 262144, 1048576; whale 4194304).
   ring-tiny / ring-mid: a ring of 1024 live blocks of random sizes (8..1 KiB,
   8..32 KiB); each step frees the oldest block and allocates a new one.
   Every case runs in `threads` threads at once; the result is operations
   (malloc+free pairs) per second over all threads.

   Usage: micro [case|all] [iterations=2000000] [threads=1]
   For instruction counts: valgrind --tool=callgrind --toggle-collect=micro_pairs_loop micro pairs-16 100000 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

typedef struct micro_case_s {
  const char* name;
  size_t size;      // pairs: the size; ring: the largest size
  int ring;         // 0 pairs, 1 ring
} micro_case_t;

static const micro_case_t micro_cases[] = {
    {"pairs-16", 16, 0},        {"pairs-64", 64, 0},         {"pairs-256", 256, 0},
    {"pairs-1000", 1000, 0},    {"pairs-4096", 4096, 0},     {"pairs-32768", 32768, 0},
    {"pairs-262144", 262144, 0}, {"pairs-1048576", 1048576, 0}, {"pairs-4194304", 4194304, 0},
    {"ring-tiny", 1024, 1},     {"ring-mid", 32768, 1},
};

typedef struct micro_arg_s {
  const micro_case_t* c;
  size_t iterations;
  uint64_t seed;
} micro_arg_t;

__attribute__((noinline)) void micro_pairs_loop(size_t size, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char* p = bench_malloc(size);
    __asm__ volatile("" : : "r"(p) : "memory");  // keep the pair from being optimized away
    p[0] = (char)i;
    bench_free(p);
  }
}

#define RING 1024
__attribute__((noinline)) void micro_ring_loop(size_t max, size_t n, uint64_t seed) {
  void* ring[RING];
  uint64_t rng = seed;
  for (size_t i = 0; i < RING; i++) ring[i] = bench_malloc(8 + (size_t)(bench_rand(&rng) % (max - 7)));
  for (size_t i = 0; i < n; i++) {
    size_t slot = i % RING;
    bench_free(ring[slot]);
    size_t size = 8 + (size_t)(bench_rand(&rng) % (max - 7));
    char* p = bench_malloc(size);
    p[0] = (char)i;
    ring[slot] = p;
  }
  for (size_t i = 0; i < RING; i++) bench_free(ring[i]);
}

static void* micro_worker(void* p) {
  micro_arg_t* a = (micro_arg_t*)p;
  size_t n = a->iterations;
  if (a->c->size > 65536) n /= 16;  // large and whale pairs cost more: keep the run short
  if (a->c->ring) micro_ring_loop(a->c->size, n, a->seed);
  else micro_pairs_loop(a->c->size, n);
  a->iterations = n;
  return NULL;
}

static size_t micro_total_ops;
static double micro_total_seconds;

static void micro_run(const micro_case_t* c, size_t iterations, unsigned threads) {
  pthread_t th[64];
  micro_arg_t args[64];
  double t0 = bench_now();
  for (unsigned t = 0; t < threads; t++) {
    args[t] = (micro_arg_t){c, iterations, 0x1234567ull + t};
    pthread_create(&th[t], NULL, micro_worker, &args[t]);
  }
  size_t ops = 0;
  for (unsigned t = 0; t < threads; t++) {
    pthread_join(th[t], NULL);
    ops += args[t].iterations;
  }
  double elapsed = bench_now() - t0;
  micro_total_ops += ops;
  micro_total_seconds += elapsed;
  printf("micro: case=%s threads=%u ops=%zu seconds=%.3f ns_per_op=%.1f throughput=%.0f ops/s\n", c->name, threads, ops,
         elapsed, elapsed * 1e9 / (double)ops * threads, (double)ops / elapsed);
}

int main(int argc, char** argv) {
  const char* which = argc > 1 ? argv[1] : "all";
  size_t iterations = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000000;
  unsigned threads = argc > 3 ? (unsigned)atoi(argv[3]) : 1;
  if (iterations < 1 || threads < 1 || threads > 64) {
    fprintf(stderr, "usage: micro [case|all] [iterations] [threads 1..64]\n");
    return 2;
  }
  int ran = 0;
  for (size_t i = 0; i < sizeof(micro_cases) / sizeof(micro_cases[0]); i++) {
    if (strcmp(which, "all") == 0 || strcmp(which, micro_cases[i].name) == 0) {
      micro_run(&micro_cases[i], iterations, threads);
      ran++;
    }
  }
  if (ran == 0) {
    fprintf(stderr, "micro: unknown case '%s'; cases:", which);
    for (size_t i = 0; i < sizeof(micro_cases) / sizeof(micro_cases[0]); i++) fprintf(stderr, " %s", micro_cases[i].name);
    fprintf(stderr, "\n");
    return 2;
  }
  printf("micro: total cases=%d ops=%zu seconds=%.3f throughput=%.0f ops/s peak_rss_kb=%ld\n", ran, micro_total_ops,
         micro_total_seconds, (double)micro_total_ops / micro_total_seconds, bench_peak_rss_kb());
  bench_report_allocator();
  return 0;
}
