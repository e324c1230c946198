/* fault_soak.c THREADS OPS: the allocator while the OS refuses memory calls
   (a HAK_FAULTS build, run by fault_soak.sh with HAKMEM_FAULT_* set).

   Phase 1: THREADS threads each run OPS random operations in two subsystems:
   allocate, calloc, realloc, aligned allocation, free, of sizes from 8 B to
   8 MiB (every tier), a quarter of the blocks handed to the next thread,
   which frees them (cross-thread frees). Every block is filled with a
   pattern of its own and checked before it is freed or reallocated; calloc's
   blocks must read zero; a NULL result must come with errno ENOMEM; usable
   sizes must cover the request and aligned blocks their alignment.
   Phase 2: the OS says yes again (_hak_prim_fault_stop); every thread must
   then get a block of every tier, calloc's zeroed. At the end every block is
   freed and the allocator's counts must balance (as many frees as
   allocations, no invalid free). Prints the operations, the failed ones and
   the stats; exit 1 on the first violation, with what it was. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hakmem.h"

void _hak_prim_fault_stop(void);  // the OS layer's (HAK_FAULTS builds)

#define SLOTS 256
#define MAX_THREADS 16

typedef struct block_s {
  uint8_t* p;
  size_t size;
  uint64_t tag;  // the fill pattern's seed; 0: zero (calloc, not yet written)
  hak_site_t site;
} block_t;

typedef struct handoff_s {  // one thread's blocks for the next one to free
  pthread_mutex_t lock;
  block_t items[SLOTS];
  size_t n;
} handoff_t;

static hak_site_t sites[2];
static handoff_t handoff[MAX_THREADS];
static int nthreads;
static long ops_per_thread;
static _Atomic long ops_done, ops_failed;

static void die(const char* what, const block_t* b) {
  fprintf(stderr, "fault_soak: %s (block %p, %zu bytes)\n", what, b ? (void*)b->p : NULL, b ? b->size : 0);
  exit(1);
}

static uint64_t next_rand(uint64_t* s) {
  *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
  return *s;
}

// Sizes from 8 B to 8 MiB, about evenly over the powers of two.
static size_t rand_size(uint64_t* r) {
  unsigned shift = 3 + (unsigned)(next_rand(r) % 21);
  size_t base = (size_t)1 << shift;
  return base + next_rand(r) % base;
}

// The pattern: bytes derived from the tag, written at both ends and every
// 64 KiB in between (touching all of 8 MiB blocks would make the soak slow).
static void fill(block_t* b) {
  for (size_t i = 0; i < b->size; i += (i < 64 || b->size - i <= 64) ? 1 : 65536) b->p[i] = (uint8_t)(b->tag * 31 + i);
}

// Checks the pattern a block of `written` bytes got, over its first `upto`
// bytes (a realloc keeps the start of a block), and the usable size.
static void check_upto(const block_t* b, size_t written, size_t upto) {
  for (size_t i = 0; i < written && i < upto; i += (i < 64 || written - i <= 64) ? 1 : 65536) {
    uint8_t want = b->tag != 0 ? (uint8_t)(b->tag * 31 + i) : 0;
    if (b->p[i] != want) die(b->tag != 0 ? "a block's contents changed" : "calloc gave memory that is not zero", b);
  }
  if (hak_usable_size(b->p) < upto) die("usable size below the request", b);
}

static void check(const block_t* b) {
  check_upto(b, b->size, b->size);
}

static void release(block_t* b) {
  check(b);
  hak_free_at(b->p, b->site);
  b->p = NULL;
}

static void failed(void) {
  if (errno != ENOMEM) {
    fprintf(stderr, "fault_soak: NULL with errno %d (%s), not ENOMEM\n", errno, strerror(errno));
    exit(1);
  }
  ops_failed++;
}

// One random operation on slot b.
static void step(block_t* b, uint64_t* r, int me) {
  unsigned op = (unsigned)(next_rand(r) % 8);
  if (b->p != NULL) {
    if (op < 3) {
      release(b);
    } else if (op < 5) {  // realloc, keeping the pattern of what fits
      size_t size = rand_size(r);
      check(b);
      errno = 0;
      uint8_t* q = hak_realloc_at(b->p, size, b->site);
      if (q == NULL) {
        failed();
        check(b);  // a failed realloc leaves the block as it was
        return;
      }
      b->p = q;
      if (hak_usable_size(q) < size) die("realloc gave a block smaller than asked", b);
      check_upto(b, b->size, size < b->size ? size : b->size);
      b->size = size;
      b->tag = next_rand(r) | 1;
      fill(b);
    } else if (op == 5) {  // to the next thread
      handoff_t* h = &handoff[(me + 1) % nthreads];
      pthread_mutex_lock(&h->lock);
      if (h->n < SLOTS) h->items[h->n++] = *b, b->p = NULL;
      pthread_mutex_unlock(&h->lock);
    }
    return;
  }
  b->size = rand_size(r);
  b->site = sites[next_rand(r) & 1];
  errno = 0;
  size_t align = 0;
  if (op < 4) {
    b->p = hak_alloc_at(b->size, b->site);
  } else if (op < 6) {
    b->p = hak_calloc_at(1, b->size, b->site);
  } else {
    align = (size_t)16 << (next_rand(r) % 10);
    b->p = hak_aligned_alloc_at(align, b->size, b->site);
  }
  if (b->p == NULL) {
    failed();
    return;
  }
  if (align != 0 && ((uintptr_t)b->p & (align - 1)) != 0) die("an aligned block is not aligned", b);
  if (hak_usable_size(b->p) < b->size) die(op < 4 ? "malloc gave a block smaller than asked" : op < 6 ? "calloc gave a block smaller than asked" : "aligned allocation gave a block smaller than asked", b);
  if (op >= 4 && op < 6) {
    b->tag = 0;
    check(b);
  }
  b->tag = next_rand(r) | 1;
  fill(b);
}

static void drain(int me) {
  handoff_t* h = &handoff[me];
  pthread_mutex_lock(&h->lock);
  for (size_t i = 0; i < h->n; i++) release(&h->items[i]);
  h->n = 0;
  pthread_mutex_unlock(&h->lock);
}

static pthread_barrier_t phase;

static void* worker(void* arg) {
  int me = (int)(intptr_t)arg;
  uint64_t r = 0x9E3779B97F4A7C15ull * (uint64_t)(me + 1);
  block_t slots[SLOTS];
  memset(slots, 0, sizeof(slots));
  for (long i = 0; i < ops_per_thread; i++) {
    step(&slots[next_rand(&r) % SLOTS], &r, me);
    if (i % 64 == 0) drain(me);
    ops_done++;
  }
  pthread_barrier_wait(&phase);  // main stops the faults
  pthread_barrier_wait(&phase);
  // Phase 2: the OS says yes: a block of every tier, and calloc's zeroed.
  static const size_t tiers[] = {24, 3000, 200000, 3 << 20};
  for (size_t t = 0; t < sizeof(tiers) / sizeof(tiers[0]); t++) {
    block_t b = {hak_calloc_at(1, tiers[t], sites[t & 1]), tiers[t], 0, sites[t & 1]};
    if (b.p == NULL) die("no memory after the OS stopped failing", &b);
    release(&b);
  }
  for (size_t i = 0; i < SLOTS; i++) {
    if (slots[i].p != NULL) release(&slots[i]);
  }
  pthread_barrier_wait(&phase);
  drain(me);
  return NULL;
}

int main(int argc, char** argv) {
  nthreads = argc > 1 ? atoi(argv[1]) : 4;
  ops_per_thread = argc > 2 ? atol(argv[2]) : 20000;
  if (nthreads < 1 || nthreads > MAX_THREADS) return 2;
  sites[0] = HAK_SITE(HAK_SUBSYS("soak.a"), "soak.a");
  sites[1] = HAK_SITE(HAK_SUBSYS("soak.b"), "soak.b");
  for (int i = 0; i < nthreads; i++) pthread_mutex_init(&handoff[i].lock, NULL);
  pthread_barrier_init(&phase, NULL, (unsigned)nthreads + 1);
  pthread_t t[MAX_THREADS];
  for (int i = 0; i < nthreads; i++) {
    if (pthread_create(&t[i], NULL, worker, (void*)(intptr_t)i) != 0) return 1;
  }
  pthread_barrier_wait(&phase);
  _hak_prim_fault_stop();
  pthread_barrier_wait(&phase);
  pthread_barrier_wait(&phase);
  for (int i = 0; i < nthreads; i++) pthread_join(t[i], NULL);
  hak_stats_t s = {.size = sizeof(s)};
  hak_stats_get(&s);
  printf("fault_soak: %d threads, %ld operations, %ld refused (ENOMEM); allocs %llu, frees %llu, invalid frees %llu\n",
         nthreads, (long)ops_done, (long)ops_failed, (unsigned long long)s.alloc_count, (unsigned long long)s.free_count,
         (unsigned long long)s.invalid_free);
  if (s.alloc_count != s.free_count) die("allocations and frees do not balance (a block was lost or freed twice)", NULL);
  if (s.invalid_free != 0) die("invalid frees", NULL);
  return 0;
}
