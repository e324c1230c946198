/* xbatch.c: all-remote frees in batches, the pattern of a thread pool that
   hands work items over (the class of Lever & Boreham's xmalloc-test).

   `pairs` producer threads and `pairs` consumer threads share one stack of
   batches, a LIFO protected by a mutex that holds at most `depth` batches.
   A producer allocates a batch: a header block (link, count and `batch`
   pointers, about 32 KiB for 4096) and `batch` blocks of `size` bytes, each
   filled with the address-and-size pattern; it pushes the batch, waiting
   while the stack is full. A consumer pops a batch (waiting while the stack
   is empty), checks every block and frees it, then frees the header. Any
   consumer may take any producer's batch, and the newest batch goes first:
   every free is a remote free, in bursts of `batch` frees from one thread,
   and the memory queued on the stack (up to depth * batch * size bytes, 26
   MB with the defaults) shows how well an allocator reuses memory that other
   threads freed. Work is fixed in total: `batches` batches, split among the
   producers. The result is block frees per second (headers not counted).

   Usage: xbatch [batches=8000] [pairs=1] [batch=4096] [size=64] [depth=100]
   (2 * pairs threads run; the literature runs xmalloc-test -w T -t 5 -s 64,
   5 s of the same pattern at 64 B) */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

// ----- Batches and the shared stack -----
// A batch: the header block and the blocks it carries.
typedef struct xb_batch_s {
  struct xb_batch_s* next;  // the batch below on the stack
  size_t count;             // blocks in `blocks`
  void* blocks[];           // count blocks of the block size
} xb_batch_t;

// The stack all producers push on and all consumers pop from.
typedef struct xb_stack_s {
  pthread_mutex_t lock;      // guards every field below
  pthread_cond_t not_full;   // producers wait here while depth == max_depth
  pthread_cond_t not_empty;  // consumers wait here while the stack is empty and batches are still to come
  xb_batch_t* top;           // the newest batch, or NULL
  size_t depth;              // batches on the stack
  size_t max_depth;          // capacity
  size_t to_pop;             // batches not yet popped (made or still to be made): a consumer stops at 0
} xb_stack_t;

static xb_stack_t xb_stack = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0, 0};

static void xb_push(xb_batch_t* b) {
  pthread_mutex_lock(&xb_stack.lock);
  while (xb_stack.depth == xb_stack.max_depth) pthread_cond_wait(&xb_stack.not_full, &xb_stack.lock);
  b->next = xb_stack.top;
  xb_stack.top = b;
  xb_stack.depth++;
  pthread_cond_signal(&xb_stack.not_empty);
  pthread_mutex_unlock(&xb_stack.lock);
}

// The newest batch, or NULL when every batch has been popped.
static xb_batch_t* xb_pop(void) {
  pthread_mutex_lock(&xb_stack.lock);
  while (xb_stack.top == NULL && xb_stack.to_pop > 0) pthread_cond_wait(&xb_stack.not_empty, &xb_stack.lock);
  xb_batch_t* b = xb_stack.top;
  if (b != NULL) {
    xb_stack.top = b->next;
    xb_stack.depth--;
    if (--xb_stack.to_pop == 0) pthread_cond_broadcast(&xb_stack.not_empty);  // the other consumers can stop
    pthread_cond_signal(&xb_stack.not_full);
  }
  pthread_mutex_unlock(&xb_stack.lock);
  return b;
}

// ----- Threads -----
// What one producer or consumer does and did.
typedef struct xb_thread_s {
  size_t batches;  // producer: batches to make
  size_t batch;    // blocks per batch
  size_t size;     // bytes per block
  uint64_t frees;  // consumer: blocks freed
} xb_thread_t;

static void* xb_producer(void* arg) {
  xb_thread_t* t = arg;
  for (size_t i = 0; i < t->batches; i++) {
    xb_batch_t* b = bench_malloc(sizeof(xb_batch_t) + t->batch * sizeof(void*));
    if (b == NULL) {
      fprintf(stderr, "xbatch: out of memory\n");
      exit(1);
    }
    b->count = t->batch;
    for (size_t k = 0; k < t->batch; k++) {
      void* p = bench_malloc(t->size);
      if (p == NULL) {
        fprintf(stderr, "xbatch: out of memory\n");
        exit(1);
      }
      bench_fill(p, t->size);
      b->blocks[k] = p;
    }
    xb_push(b);
  }
  return NULL;
}

static void* xb_consumer(void* arg) {
  xb_thread_t* t = arg;
  uint64_t frees = 0;
  for (xb_batch_t* b; (b = xb_pop()) != NULL;) {
    for (size_t k = 0; k < b->count; k++) {
      if (!bench_fill_ok(b->blocks[k], t->size)) bench_corrupt("xbatch", b->blocks[k], t->size, "pattern overwritten");
      bench_free(b->blocks[k]);
    }
    frees += b->count;
    bench_free(b);
  }
  t->frees = frees;
  return NULL;
}

// ----- Main -----
static int xb_usage(void) {
  fprintf(stderr,
          "usage: xbatch [batches=8000] [pairs=1] [batch=4096] [size=64] [depth=100]\n"
          "  pairs producers push `batches` batches (in all) of `batch` blocks of `size` bytes (>= 8) on one\n"
          "  stack of at most `depth` batches; pairs consumers pop them and free every block.\n");
  return 2;
}

int main(int argc, char** argv) {
  size_t batches = argc > 1 ? strtoul(argv[1], NULL, 10) : 8000;
  unsigned pairs = argc > 2 ? (unsigned)atoi(argv[2]) : 1;
  size_t batch = argc > 3 ? strtoul(argv[3], NULL, 10) : 4096;
  size_t size = argc > 4 ? strtoul(argv[4], NULL, 10) : 64;
  size_t depth = argc > 5 ? strtoul(argv[5], NULL, 10) : 100;
  if (batches < 1 || pairs < 1 || pairs > 64 || batch < 1 || batch > (1u << 20) || size < 8 || size > (1u << 20) ||
      depth < 1)
    return xb_usage();
  xb_thread_t* t = calloc(2 * (size_t)pairs, sizeof(*t));
  pthread_t* th = calloc(2 * (size_t)pairs, sizeof(*th));
  if (t == NULL || th == NULL) return 1;
  xb_stack.max_depth = depth;
  xb_stack.to_pop = batches;
  for (unsigned i = 0; i < 2 * pairs; i++) {
    t[i].batch = batch, t[i].size = size;
    if (i < pairs) t[i].batches = batches / pairs + (i < batches % pairs);
  }
  double t0 = bench_now();
  for (unsigned i = 0; i < pairs; i++) {
    if (pthread_create(&th[pairs + i], NULL, xb_consumer, &t[pairs + i]) != 0 ||
        pthread_create(&th[i], NULL, xb_producer, &t[i]) != 0) {
      fprintf(stderr, "xbatch: cannot create a thread\n");
      return 1;
    }
  }
  for (unsigned i = 0; i < 2 * pairs; i++) pthread_join(th[i], NULL);
  double elapsed = bench_now() - t0;
  uint64_t frees = 0;
  for (unsigned i = pairs; i < 2 * pairs; i++) frees += t[i].frees;
  free(t);
  free(th);
  if (frees != (uint64_t)batches * batch) {
    fprintf(stderr, "xbatch: %llu blocks freed, %llu made\n", (unsigned long long)frees,
            (unsigned long long)batches * batch);
    return 1;
  }
  printf("xbatch: pairs=%u threads=%u batches=%zu batch=%zu size=%zu depth=%zu frees=%llu seconds=%.3f "
         "throughput=%.0f frees/s peak_rss_kb=%ld\n",
         pairs, 2 * pairs, batches, batch, size, depth, (unsigned long long)frees, elapsed, (double)frees / elapsed,
         bench_peak_rss_kb());
  bench_report_allocator();
  return 0;
}
