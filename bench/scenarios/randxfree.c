/* randxfree.c: random sizes, random lifetimes and batches of cross-thread
   frees (the class of rpmalloc's benchmark, rptest).

   Each of `threads` threads keeps a working set of `slots` blocks. Sizes are
   drawn from [min, max] log-uniformly: a power-of-two octave is chosen with
   equal odds, then a size within it, so small blocks are common and every
   size class up to max still gets its share (8..16000 B: median about
   360 B, mean about 2.2 KB). Each loop of a thread:
   1. takes every batch other threads have left in its mailbox, checks and
      frees their blocks and their headers (cross-thread frees);
   2. replaces 30..99 random slots: frees the block there (if any) and
      allocates a new one of a random size;
   3. every second loop, allocates a batch of 30..100 new blocks (plus the
      header that lists them) and pushes it into the mailbox of the next
      thread (thread + 1, round robin), which frees them in its next loop.
   The mailbox is a lock-free LIFO per thread: a push is one CAS, taking is
   one exchange of the whole list, so there is no ABA. A thread that has
   done its `loops` keeps emptying its mailbox until every thread is done,
   then frees its working set. With one thread the batches go to the thread
   itself (the same work, without the remote frees).

   Data check: every block is filled with the address-and-size pattern when
   allocated (every word written, as the public model touches all the memory
   it allocates; the size is in the first word, bench_tag_fill) and checked
   before it is freed, whichever thread frees it.

   The result is operations (allocations + frees, headers included) per
   second over all threads.

   Usage: randxfree [loops=25000] [threads=1] [slots=1000] [min=8] [max=16000] [seed=1] */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"

#define RX_BATCH_MIN 30   // blocks per batch, at least
#define RX_BATCH_MAX 100  // and at most
#define RX_CROSS_EVERY 2  // loops per batch sent

// ----- Batches and mailboxes -----
// A batch of blocks on its way to another thread.
typedef struct rx_batch_s {
  struct rx_batch_s* next;  // the next batch in the mailbox
  size_t count;             // blocks in `blocks`
  void* blocks[];           // tagged blocks (bench_tag_fill)
} rx_batch_t;

// One thread's state. The mailbox is on a cache line of its own.
typedef struct rx_thread_s {
  _Alignas(64) _Atomic(rx_batch_t*) mailbox;  // batches other threads left for this one
  _Alignas(64) unsigned id;                    // index in rx_threads
  uint64_t seed;                               // its random state
  uint64_t ops;                                // its allocations + frees
  uint64_t remote;                             // blocks it freed that another thread allocated (batches)
} rx_thread_t;

static rx_thread_t* rx_threads;   // all threads
static unsigned rx_nthreads;      // their number
static atomic_uint rx_running;    // threads still doing their loops
static size_t rx_loops, rx_slots, rx_min, rx_max;

static void rx_push(rx_thread_t* to, rx_batch_t* b) {
  rx_batch_t* head = atomic_load_explicit(&to->mailbox, memory_order_relaxed);
  do b->next = head;
  while (!atomic_compare_exchange_weak_explicit(&to->mailbox, &head, b, memory_order_release, memory_order_relaxed));
}

// ----- Blocks -----
// log2 of x, rounded down (x >= 1).
static unsigned rx_log2(size_t x) { return 63u - (unsigned)__builtin_clzll((unsigned long long)x); }

// A size in [rx_min, rx_max]: an octave with equal odds, then uniform in it.
static size_t rx_size(uint64_t* rng) {
  uint64_t r = bench_rand(rng);
  unsigned lo = rx_log2(rx_min), hi = rx_log2(rx_max);
  unsigned k = lo + (unsigned)(r % (hi - lo + 1));
  size_t a = (size_t)1 << k, b = ((size_t)1 << (k + 1)) - 1;
  if (a < rx_min) a = rx_min;
  if (b > rx_max) b = rx_max;
  return a + (size_t)((r >> 8) % (b - a + 1));
}

static void* rx_alloc(uint64_t* rng) {
  size_t size = rx_size(rng);
  void* p = bench_malloc(size);
  if (p == NULL) {
    fprintf(stderr, "randxfree: out of memory (%zu bytes)\n", size);
    exit(1);
  }
  bench_tag_fill(p, size);
  return p;
}

static void rx_free(void* p) {
  if (bench_tag_check(p, rx_max) == 0) bench_tag_corrupt("randxfree", p, rx_max);
  bench_free(p);
}

// Frees every batch in t's mailbox; returns the number of batches.
static size_t rx_drain(rx_thread_t* t) {
  rx_batch_t* b = atomic_exchange_explicit(&t->mailbox, NULL, memory_order_acquire);
  size_t n = 0;
  while (b != NULL) {
    rx_batch_t* next = b->next;
    for (size_t k = 0; k < b->count; k++) rx_free(b->blocks[k]);
    t->ops += b->count + 1;
    t->remote += b->count;
    bench_free(b);
    b = next;
    n++;
  }
  return n;
}

// A batch of fresh blocks for the next thread.
static void rx_send(rx_thread_t* t, uint64_t* rng) {
  size_t n = RX_BATCH_MIN + (size_t)(bench_rand(rng) % (RX_BATCH_MAX - RX_BATCH_MIN + 1));
  rx_batch_t* b = bench_malloc(sizeof(rx_batch_t) + n * sizeof(void*));
  if (b == NULL) {
    fprintf(stderr, "randxfree: out of memory\n");
    exit(1);
  }
  b->count = n;
  for (size_t k = 0; k < n; k++) b->blocks[k] = rx_alloc(rng);
  t->ops += n + 1;
  rx_push(&rx_threads[(t->id + 1) % rx_nthreads], b);
}

// ----- Threads -----
static void* rx_worker(void* arg) {
  rx_thread_t* t = arg;
  uint64_t rng = t->seed;
  void** slot = calloc(rx_slots, sizeof(void*));  // the working set (the harness's own memory: plain calloc)
  if (slot == NULL) {
    fprintf(stderr, "randxfree: out of memory\n");
    exit(1);
  }
  for (size_t loop = 0; loop < rx_loops; loop++) {
    rx_drain(t);
    size_t n = 30 + (size_t)(bench_rand(&rng) % 70);
    for (size_t i = 0; i < n; i++) {
      size_t j = (size_t)(bench_rand(&rng) % rx_slots);
      if (slot[j] != NULL) {
        rx_free(slot[j]);
        t->ops++;
      }
      slot[j] = rx_alloc(&rng);
      t->ops++;
    }
    if (loop % RX_CROSS_EVERY == 0) rx_send(t, &rng);
  }
  // Done: keep emptying the mailbox until no thread can send any more.
  atomic_fetch_sub(&rx_running, 1);
  while (atomic_load(&rx_running) > 0) {
    if (rx_drain(t) == 0) nanosleep(&(struct timespec){0, 50000}, NULL);
  }
  rx_drain(t);
  for (size_t j = 0; j < rx_slots; j++) {
    if (slot[j] == NULL) continue;
    rx_free(slot[j]);
    t->ops++;
  }
  free(slot);
  t->seed = rng;
  return NULL;
}

// ----- Main -----
static int rx_usage(void) {
  fprintf(stderr,
          "usage: randxfree [loops=25000] [threads=1] [slots=1000] [min=8] [max=16000] [seed=1]\n"
          "  each thread replaces 30..99 random blocks of its `slots` per loop (sizes min..max, log-uniform,\n"
          "  min >= 8) and every second loop sends 30..100 new blocks to the next thread, which frees them.\n");
  return 2;
}

int main(int argc, char** argv) {
  rx_loops = argc > 1 ? strtoul(argv[1], NULL, 10) : 25000;
  unsigned threads = argc > 2 ? (unsigned)atoi(argv[2]) : 1;
  rx_slots = argc > 3 ? strtoul(argv[3], NULL, 10) : 1000;
  rx_min = argc > 4 ? strtoul(argv[4], NULL, 10) : 8;
  rx_max = argc > 5 ? strtoul(argv[5], NULL, 10) : 16000;
  uint64_t seed = argc > 6 ? strtoull(argv[6], NULL, 10) : 1;
  if (rx_loops < 1 || threads < 1 || threads > 256 || rx_slots < 1 || rx_min < 8 || rx_max < rx_min ||
      rx_max > (1u << 30))
    return rx_usage();
  rx_nthreads = threads;
  rx_threads = aligned_alloc(64, threads * sizeof(rx_thread_t));
  pthread_t* th = calloc(threads, sizeof(*th));
  if (rx_threads == NULL || th == NULL) return 1;
  for (unsigned i = 0; i < threads; i++) {
    memset(&rx_threads[i], 0, sizeof(rx_threads[i]));
    atomic_init(&rx_threads[i].mailbox, NULL);
    rx_threads[i].id = i;
    rx_threads[i].seed = seed * 0x9E3779B97F4A7C15ull + i + 1;
  }
  atomic_store(&rx_running, threads);
  double t0 = bench_now();
  for (unsigned i = 0; i < threads; i++) {
    if (pthread_create(&th[i], NULL, rx_worker, &rx_threads[i]) != 0) {
      fprintf(stderr, "randxfree: cannot create a thread\n");
      return 1;
    }
  }
  for (unsigned i = 0; i < threads; i++) pthread_join(th[i], NULL);
  double elapsed = bench_now() - t0;
  uint64_t ops = 0, remote = 0;
  for (unsigned i = 0; i < threads; i++) ops += rx_threads[i].ops, remote += rx_threads[i].remote;
  free(rx_threads);
  free(th);
  printf("randxfree: threads=%u loops=%zu slots=%zu min=%zu max=%zu ops=%llu batch_frees=%llu seconds=%.3f "
         "throughput=%.0f ops/s peak_rss_kb=%ld\n",
         threads, rx_loops, rx_slots, rx_min, rx_max, (unsigned long long)ops, (unsigned long long)remote, elapsed,
         (double)ops / elapsed, bench_peak_rss_kb());
  bench_report_allocator();
  return 0;
}
