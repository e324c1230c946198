/* rss_return.c: does memory go back to the OS after a burst?

   `threads` threads together allocate `total_mb` MiB in blocks of every tier
   (tiny to whale), touching every byte, then free them all, half of them
   through another thread, and exit. The main thread then waits `wait_ms`
   (longer than the allocator's purge delay) without allocating, and reports
   RSS at the start, at the peak and at the end.

   Usage: rss_return [total_mb=1024] [threads=8] [wait_ms=600] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_common.h"

static size_t per_thread_bytes;
static unsigned nthreads;
static void** handoff[64];   // blocks a thread leaves for the next one to free
static size_t handoff_n[64];
static pthread_barrier_t barrier;

static long rss_kb(void) {
  FILE* f = fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f != NULL) {
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void* burst(void* arg) {
  unsigned id = (unsigned)(uintptr_t)arg;
  uint64_t rng = 0x9E3779B97F4A7C15ull * (id + 1);
  size_t cap = 1 << 16, n = 0, bytes = 0;
  void** blocks = malloc(cap * sizeof(void*));
  while (bytes < per_thread_bytes) {
    uint64_t r = bench_rand(&rng);
    size_t size = (r & 15) == 0 ? (size_t)(1 << 20) + (r >> 40) % (3 << 20)   // whales
                : (r & 15) < 4 ? 1024 + (r >> 40) % (256 << 10)               // mid and large
                : 8 + (r >> 40) % 1016;                                       // tiny
    if (n == cap) blocks = realloc(blocks, (cap *= 2) * sizeof(void*));
    char* p = malloc(size);
    memset(p, (int)id, size);
    blocks[n++] = p;
    bytes += size;
  }
  // Keep the even blocks for the next thread to free; free the odd ones.
  size_t kept = 0;
  for (size_t i = 0; i < n; i++) {
    if (i % 2) free(blocks[i]);
    else blocks[kept++] = blocks[i];
  }
  handoff[id] = blocks;
  handoff_n[id] = kept;
  pthread_barrier_wait(&barrier);
  unsigned other = (id + 1) % nthreads;
  for (size_t i = 0; i < handoff_n[other]; i++) free(handoff[other][i]);
  pthread_barrier_wait(&barrier);
  free(blocks);
  return NULL;
}

int main(int argc, char** argv) {
  size_t total_mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024;
  nthreads = argc > 2 ? (unsigned)atoi(argv[2]) : 8;
  long wait_ms = argc > 3 ? atol(argv[3]) : 600;
  if (total_mb < 1 || nthreads < 1 || nthreads > 64 || wait_ms < 0) {
    fprintf(stderr, "usage: rss_return [total_mb] [threads 1..64] [wait_ms]\n");
    return 2;
  }
  per_thread_bytes = (total_mb << 20) / nthreads;
  long start = rss_kb();
  pthread_barrier_init(&barrier, NULL, nthreads);
  pthread_t t[64];
  for (unsigned i = 0; i < nthreads; i++) pthread_create(&t[i], NULL, burst, (void*)(uintptr_t)i);
  for (unsigned i = 0; i < nthreads; i++) pthread_join(t[i], NULL);
  long after = rss_kb();
  usleep((useconds_t)wait_ms * 1000);
  long end = rss_kb();
  printf("rss_return: total_mb=%zu threads=%u rss_start_kb=%ld rss_after_free_kb=%ld rss_end_kb=%ld peak_rss_kb=%ld "
         "end_over_start=%.3f\n",
         total_mb, nthreads, start, after, end, bench_peak_rss_kb(), (double)end / (double)start);
  bench_report_allocator();
  return 0;
}
