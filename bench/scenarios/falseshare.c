/* falseshare.c: false sharing of blocks given out to different threads (the
   class of Hoard's cache-scratch, passive, and cache-thrash, active).

   passive (the default): the main thread allocates `threads` small objects
   of `size` bytes one after the other (so they likely share a cache line)
   and hands one to each thread. Each thread first frees the object it was
   given (a remote free of a main-thread block), then `objects / threads`
   times allocates an object of the same size, writes its first word
   `writes` times (each write read back through a volatile pointer) and
   frees it. An allocator that gives the freed object, or its neighbours on
   the same cache line, to threads that then write to it makes their writes
   ping-pong one line between cores, and the run slows down many times.
   active: the same without the hand-off; every thread allocates its own
   objects from the start, so only the allocator's placement of objects
   that different threads allocate at the same time matters.
   The total work is fixed (objects * writes), so a scalable allocator runs
   T threads T times faster on T cores.

   Data check: the object holds the address-and-size pattern (every whole
   word) when it is freed; the write loop checks each value it reads back.
   The summary also counts `shared_lines`: threads whose first object lies
   on a cache line that another thread's first object (or, passive, an
   object handed out by the main thread) also touches.

   The result is the wall time (seconds=, lower is better).

   Usage: falseshare [mode=passive|active] [objects=1000000] [writes=1000] [threads=1] [size=8]
   (the literature: cache-scratch T 1000 1 2000000 T, i.e. 1000 objects per
   thread, 2000000/T writes each, 1-byte objects) */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

#define FS_LINE 64  // cache line bytes

// ----- Threads -----
// One thread's work and what it saw.
typedef struct fs_thread_s {
  void* given;        // passive: the main thread's object to free first; active: NULL
  size_t objects;     // objects to allocate, write and free
  size_t writes;      // writes per object
  size_t size;        // object size in bytes
  uintptr_t first;    // address of its first object
  size_t bad;         // read-backs that did not return the value written
  pthread_barrier_t* start;  // all threads start together
} fs_thread_t;

// Writes the first word of p `writes` times and reads each write back;
// returns the number of mismatches. Without false sharing the loop runs at
// the front end's speed (about 2 cycles a write), which depends on where
// the loop sits: function and loop are aligned to 64 bytes (the attribute
// here, -falign-loops=64 in CMakeLists.txt), so the hakmem and the malloc
// builds run the same code at the same alignment (it made 30-50% of
// difference between two identical loops).
__attribute__((noinline, aligned(64))) static size_t fs_hammer(void* p, size_t size, size_t writes) {
  volatile uint64_t* w = (volatile uint64_t*)p;
  uint64_t key = bench_pattern(p, size, 0);
  size_t bad = 0;
  for (size_t i = writes; i > 0; i--) {
    *w = key + i;
    bad += *w != key + i;
  }
  *w = key;
  return bad;
}

static void* fs_worker(void* arg) {
  fs_thread_t* t = arg;
  pthread_barrier_wait(t->start);
  if (t->given != NULL) {
    if (!bench_fill_ok(t->given, t->size)) bench_corrupt("falseshare", t->given, t->size, "handed-out object overwritten");
    bench_free(t->given);
  }
  size_t bad = 0;
  for (size_t i = 0; i < t->objects; i++) {
    void* p = bench_malloc(t->size);
    if (p == NULL) {
      fprintf(stderr, "falseshare: out of memory\n");
      exit(1);
    }
    if (i == 0) t->first = (uintptr_t)p;
    bench_fill(p, t->size);
    bad += fs_hammer(p, t->size, t->writes);
    if (!bench_fill_ok(p, t->size)) bench_corrupt("falseshare", p, t->size, "pattern overwritten");
    bench_free(p);
  }
  t->bad = bad;
  return NULL;
}

// ----- Cache lines -----
// True when [a, a+size) and [b, b+size) touch a common cache line.
static bool fs_same_line(uintptr_t a, uintptr_t b, size_t size) {
  uintptr_t a0 = a / FS_LINE, a1 = (a + size - 1) / FS_LINE, b0 = b / FS_LINE, b1 = (b + size - 1) / FS_LINE;
  return a0 <= b1 && b0 <= a1;
}

// Threads whose first object shares a line with another thread's first
// object or with one of the handed-out objects (other than its own).
static unsigned fs_shared_lines(const fs_thread_t* t, const uintptr_t* given, unsigned n, size_t size) {
  unsigned shared = 0;
  for (unsigned i = 0; i < n; i++) {
    bool hit = false;
    for (unsigned j = 0; j < n && !hit; j++) {
      if (j == i) continue;
      hit = fs_same_line(t[i].first, t[j].first, size) || (given[j] != 0 && fs_same_line(t[i].first, given[j], size));
    }
    shared += hit;
  }
  return shared;
}

// ----- Main -----
static int fs_usage(void) {
  fprintf(stderr,
          "usage: falseshare [passive|active] [objects=1000000] [writes=1000] [threads=1] [size=8]\n"
          "  threads share `objects` objects of `size` bytes (>= 8) in all, each written `writes` times;\n"
          "  passive first hands each thread an object the main thread allocated.\n");
  return 2;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "passive";
  size_t objects = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
  size_t writes = argc > 3 ? strtoul(argv[3], NULL, 10) : 1000;
  unsigned threads = argc > 4 ? (unsigned)atoi(argv[4]) : 1;
  size_t size = argc > 5 ? strtoul(argv[5], NULL, 10) : 8;
  bool passive = strcmp(mode, "passive") == 0;
  if ((!passive && strcmp(mode, "active") != 0) || objects < 1 || writes < 1 || threads < 1 || threads > 256 ||
      size < 8 || size > 4096)
    return fs_usage();
  fs_thread_t* t = calloc(threads, sizeof(*t));
  uintptr_t* given = calloc(threads, sizeof(*given));
  pthread_t* th = calloc(threads, sizeof(*th));
  if (t == NULL || given == NULL || th == NULL) return 1;
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, threads + 1);
  for (unsigned i = 0; i < threads; i++) {
    t[i].objects = objects / threads + (i < objects % threads);
    t[i].writes = writes, t[i].size = size, t[i].start = &start;
    if (passive) {  // back to back, on the main thread
      t[i].given = bench_malloc(size);
      if (t[i].given == NULL) return 1;
      bench_fill(t[i].given, size);
      given[i] = (uintptr_t)t[i].given;
    }
  }
  for (unsigned i = 0; i < threads; i++) {
    if (pthread_create(&th[i], NULL, fs_worker, &t[i]) != 0) {
      fprintf(stderr, "falseshare: cannot create a thread\n");
      return 1;
    }
  }
  double t0 = bench_now();
  pthread_barrier_wait(&start);
  for (unsigned i = 0; i < threads; i++) pthread_join(th[i], NULL);
  double elapsed = bench_now() - t0;
  pthread_barrier_destroy(&start);
  size_t bad = 0;
  for (unsigned i = 0; i < threads; i++) bad += t[i].bad;
  unsigned shared = fs_shared_lines(t, given, threads, size);
  free(t);
  free(given);
  free(th);
  if (bad != 0) {
    fprintf(stderr, "falseshare: %zu writes read back a different value\n", bad);
    return 1;
  }
  printf("falseshare: mode=%s threads=%u objects=%zu writes=%zu size=%zu shared_lines=%u seconds=%.3f "
         "throughput=%.0f writes/s peak_rss_kb=%ld\n",
         passive ? "passive" : "active", threads, objects, writes, size, shared, elapsed,
         (double)objects * (double)writes / elapsed, bench_peak_rss_kb());
  bench_report_allocator();
  return 0;
}
