/* test_remote.c: the cross-thread free paths, each forced on purpose and
   checked by its effect on the data and on the counters.

   - all remote: a producer allocates blocks of every tiny and mid class
     while consumers free every one of them, so pages run dry, are parked as
     full, come back through the heap's notices and are collected from their
     page lists; nothing is lost (pages and live counts return to where they
     were after hak_collect(true)) and no block is handed out twice.
   - owner exited: the producer exits while its blocks are still in the
     consumers' hands; their frees land in an abandoned heap (page lists and
     notices), and the memory comes back after hak_collect(true).
   - adoption by the first free: a thread whose first call frees a block of
     an exited thread adopts that thread's heap, so its frees of that
     thread's blocks are local (no remote free counted).
   - concurrent notices: several threads free into pages the owner keeps
     parking and unparking, while the owner keeps allocating.

   Usage: test_remote [rounds=4] [blocks=20000] */
#include <pthread.h>
#include <sched.h>
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

static unsigned opt_rounds = 4, opt_blocks = 20000;

// ----- Blocks with a verifiable pattern -----
// Word 0 holds the size, word 1 a serial number; the rest a pattern of the
// address and the serial, checked before every free.
static _Atomic uint64_t bad_blocks;

static uint64_t pattern(const void* p, uint64_t serial) {
  return ((uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull) ^ (serial * 0xC2B2AE3D27D4EB4Full);
}

static uint64_t* block_new(size_t size, uint64_t serial) {
  uint64_t* b = hak_alloc_at(size, HAK_SITE_DEFAULT);
  if (b == NULL) {
    atomic_fetch_add(&bad_blocks, 1);
    return NULL;
  }
  b[0] = size;
  b[1] = serial;
  for (size_t i = 2; i < size / 8; i++) b[i] = pattern(b, serial) + i;
  return b;
}

static void block_free(uint64_t* b) {
  size_t size = b[0];
  bool ok = size >= 16 && hak_usable_size(b) >= size;
  for (size_t i = 2; ok && i < size / 8; i++) ok = b[i] == pattern(b, b[1]) + i;
  if (!ok) atomic_fetch_add(&bad_blocks, 1);
  hak_free_at(b, HAK_SITE_DEFAULT);
}

// Sizes cycle through every tiny class and some mid ones.
static size_t size_of(uint64_t i) {
  return (i % 7 == 6) ? 1024 + (size_t)(i % 13) * 1000 : 16 + (size_t)(i % 64) * 16;
}

// ----- A bounded channel of blocks (mutex + condition variables) -----
typedef struct chan_s {
  pthread_mutex_t lock;
  pthread_cond_t not_empty, not_full;
  uint64_t* slots[256];
  unsigned head, count;
  bool closed;
} chan_t;

static void chan_init(chan_t* c) {
  memset(c, 0, sizeof(*c));
  pthread_mutex_init(&c->lock, NULL);
  pthread_cond_init(&c->not_empty, NULL);
  pthread_cond_init(&c->not_full, NULL);
}

static void chan_destroy(chan_t* c) {
  pthread_mutex_destroy(&c->lock);
  pthread_cond_destroy(&c->not_empty);
  pthread_cond_destroy(&c->not_full);
}

static void chan_send(chan_t* c, uint64_t* b) {
  pthread_mutex_lock(&c->lock);
  while (c->count == 256) pthread_cond_wait(&c->not_full, &c->lock);
  c->slots[(c->head + c->count++) % 256] = b;
  pthread_cond_signal(&c->not_empty);
  pthread_mutex_unlock(&c->lock);
}

static void chan_close(chan_t* c) {
  pthread_mutex_lock(&c->lock);
  c->closed = true;
  pthread_cond_broadcast(&c->not_empty);
  pthread_mutex_unlock(&c->lock);
}

// NULL once closed and drained.
static uint64_t* chan_recv(chan_t* c) {
  pthread_mutex_lock(&c->lock);
  while (c->count == 0 && !c->closed) pthread_cond_wait(&c->not_empty, &c->lock);
  uint64_t* b = NULL;
  if (c->count > 0) {
    b = c->slots[c->head];
    c->head = (c->head + 1) % 256;
    c->count--;
    pthread_cond_signal(&c->not_full);
  }
  pthread_mutex_unlock(&c->lock);
  return b;
}

// ----- Counters -----
static hak_stats_t stats_now(void) {
  hak_stats_t s = {.size = sizeof(s)};
  hak_stats_get(&s);
  return s;
}

// After hak_collect(true), everything the test allocated is back: as many
// frees as allocations, and no more pages than at the start.
static void assert_balanced(const hak_stats_t* s0, const char* what) {
  hak_collect(true);
  hak_stats_t s1 = stats_now();
  if (s1.alloc_count - s0->alloc_count != s1.free_count - s0->free_count || s1.pages_current > s0->pages_current + 1) {
    fail_msg("%s: %llu allocations, %llu frees, pages %lld -> %lld", what,
             (unsigned long long)(s1.alloc_count - s0->alloc_count), (unsigned long long)(s1.free_count - s0->free_count),
             (long long)s0->pages_current, (long long)s1.pages_current);
  }
  assert_int_equal(s1.invalid_free, s0->invalid_free);
  assert_int_equal(atomic_load(&bad_blocks), 0);
}

// ----- All remote -----
typedef struct prod_arg_s {
  chan_t* chans;
  unsigned consumers;
  uint64_t serial0;
} prod_arg_t;

static void* producer(void* p) {
  prod_arg_t* a = (prod_arg_t*)p;
  for (uint64_t i = 0; i < opt_blocks; i++) {
    uint64_t* b = block_new(size_of(i), a->serial0 + i);
    if (b != NULL) chan_send(&a->chans[i % a->consumers], b);
  }
  return NULL;
}

static void* consumer(void* p) {
  chan_t* c = (chan_t*)p;
  for (uint64_t* b; (b = chan_recv(c)) != NULL;) block_free(b);
  return NULL;
}

static void run_producer_consumers(unsigned consumers, bool producer_exits_first) {
  chan_t chans[4];
  pthread_t prod, cons[4];
  prod_arg_t arg = {chans, consumers, 1};
  for (unsigned i = 0; i < consumers; i++) chan_init(&chans[i]);
  assert_int_equal(pthread_create(&prod, NULL, producer, &arg), 0);
  if (producer_exits_first) {
    // The consumers start only once the producer has exited: every free
    // lands in an abandoned heap. The channels must hold everything.
    pthread_join(prod, NULL);
  }
  for (unsigned i = 0; i < consumers; i++) assert_int_equal(pthread_create(&cons[i], NULL, consumer, &chans[i]), 0);
  if (!producer_exits_first) pthread_join(prod, NULL);
  for (unsigned i = 0; i < consumers; i++) chan_close(&chans[i]);
  for (unsigned i = 0; i < consumers; i++) pthread_join(cons[i], NULL);
  for (unsigned i = 0; i < consumers; i++) chan_destroy(&chans[i]);
}

static void test_all_remote(void** state) {
  (void)state;
  hak_collect(true);
  hak_stats_t s0 = stats_now();
  for (unsigned r = 0; r < opt_rounds; r++) run_producer_consumers(1 + r % 3, false);
  hak_stats_t s1 = stats_now();
  assert_true(s1.remote_free - s0.remote_free >= (uint64_t)opt_rounds * opt_blocks);
  assert_balanced(&s0, "all remote");
}

// ----- Owner exited -----
// A channel that holds everything: the producer fills a plain array, exits,
// then the consumers free the blocks.
static uint64_t** orphan_blocks;

static void* orphan_producer(void* p) {
  (void)p;
  for (uint64_t i = 0; i < opt_blocks; i++) orphan_blocks[i] = block_new(size_of(i), 1000000 + i);
  return NULL;
}

typedef struct orphan_arg_s {
  unsigned first, step;
} orphan_arg_t;

static void* orphan_consumer(void* p) {
  orphan_arg_t* a = (orphan_arg_t*)p;
  for (unsigned i = a->first; i < opt_blocks; i += a->step) {
    if (orphan_blocks[i] != NULL) block_free(orphan_blocks[i]);
  }
  return NULL;
}

static void test_owner_exited(void** state) {
  (void)state;
  orphan_blocks = calloc(opt_blocks, sizeof(uint64_t*));
  assert_non_null(orphan_blocks);
  hak_collect(true);
  hak_stats_t s0 = stats_now();
  for (unsigned r = 0; r < opt_rounds; r++) {
    pthread_t t, c[3];
    orphan_arg_t args[3];
    assert_int_equal(pthread_create(&t, NULL, orphan_producer, NULL), 0);
    pthread_join(t, NULL);  // the owner is gone; its pages hold every block
    hak_stats_t mid = stats_now();
    assert_true(mid.threads_abandoned >= 1);
    // The main thread keeps a tld, so the consumers' first frees may adopt
    // the producer's heap or free remotely into it: both paths are right.
    for (unsigned i = 0; i < 3; i++) {
      args[i] = (orphan_arg_t){i, 3};
      assert_int_equal(pthread_create(&c[i], NULL, orphan_consumer, &args[i]), 0);
    }
    for (unsigned i = 0; i < 3; i++) pthread_join(c[i], NULL);
  }
  free(orphan_blocks);
  assert_balanced(&s0, "owner exited");
}

// ----- Adoption by the first free -----
static uint64_t* adopt_blocks[512];

static void* adopt_alloc(void* p) {
  (void)p;
  for (unsigned i = 0; i < 512; i++) adopt_blocks[i] = block_new(32 + (i % 8) * 16, 2000000 + i);
  return NULL;
}

static _Atomic int adopt_go;

static void* adopt_other(void* p) {
  (void)p;
  uint64_t* b = block_new(64, 2100000);
  atomic_store(&adopt_go, 1);
  while (atomic_load(&adopt_go) != 2) sched_yield();
  block_free(b);
  return NULL;
}

static _Atomic uint64_t adopt_remote;

static void* adopt_free(void* p) {
  (void)p;
  hak_stats_t before = stats_now();  // no allocation: this thread's first allocator call is the free below
  for (unsigned i = 0; i < 512; i++) block_free(adopt_blocks[i]);
  hak_stats_t after = stats_now();
  atomic_store(&adopt_remote, after.remote_free - before.remote_free);
  return NULL;
}

static void test_first_free_adopts(void** state) {
  (void)state;
  hak_collect(true);
  hak_stats_t s0 = stats_now();
  // Another thread holds a heap while the allocating thread runs, and
  // exits after it: its heap is then the most recently abandoned one, the
  // one a thread that allocates first would adopt.
  pthread_t t, other;
  atomic_store(&adopt_go, 0);
  assert_int_equal(pthread_create(&other, NULL, adopt_other, NULL), 0);
  while (atomic_load(&adopt_go) == 0) sched_yield();  // it has its heap
  assert_int_equal(pthread_create(&t, NULL, adopt_alloc, NULL), 0);
  pthread_join(t, NULL);
  atomic_store(&adopt_go, 2);
  pthread_join(other, NULL);
  assert_int_equal(pthread_create(&t, NULL, adopt_free, NULL), 0);
  pthread_join(t, NULL);
  // Every block was the exited thread's: the freeing thread took its heap
  // over, so none of its frees was remote.
  assert_int_equal(atomic_load(&adopt_remote), 0);
  assert_balanced(&s0, "first free adopts");
}

// ----- Concurrent notices -----
// The owner allocates in waves (its pages fill up and are parked as full)
// while three threads free its previous wave (the first free into each
// parked page is a notice, the later ones go onto the page's list).
#define WAVE 4096
static uint64_t* waves[2][WAVE];
static _Atomic unsigned wave_ready, wave_done;

static void* notice_freer(void* p) {
  unsigned id = (unsigned)(uintptr_t)p;
  for (unsigned w = 1; w <= opt_rounds * 4; w++) {
    while (atomic_load(&wave_ready) < w) sched_yield();
    ANNOTATE_HAPPENS_AFTER(&wave_ready);
    uint64_t** wave = waves[w % 2];
    for (unsigned i = id; i < WAVE; i += 3) block_free(wave[i]);
    ANNOTATE_HAPPENS_BEFORE(&wave_done);
    atomic_fetch_add(&wave_done, 1);
  }
  return NULL;
}

static void test_concurrent_notices(void** state) {
  (void)state;
  hak_collect(true);
  hak_stats_t s0 = stats_now();
  atomic_store(&wave_ready, 0);
  atomic_store(&wave_done, 0);
  pthread_t t[3];
  for (unsigned i = 0; i < 3; i++) assert_int_equal(pthread_create(&t[i], NULL, notice_freer, (void*)(uintptr_t)i), 0);
  for (unsigned w = 1; w <= opt_rounds * 4; w++) {
    // Wave w is freed while wave w+1 is allocated: wait for wave w-1's frees.
    while (atomic_load(&wave_done) < 3 * (w - 1)) sched_yield();
    ANNOTATE_HAPPENS_AFTER(&wave_done);
    for (unsigned i = 0; i < WAVE; i++) waves[w % 2][i] = block_new(16 + (i % 4) * 16, 3000000 + w * WAVE + i);
    ANNOTATE_HAPPENS_BEFORE(&wave_ready);
    atomic_store(&wave_ready, w);
  }
  for (unsigned i = 0; i < 3; i++) pthread_join(t[i], NULL);
  assert_balanced(&s0, "concurrent notices");
}

int main(int argc, char** argv) {
  if (argc > 1) opt_rounds = (unsigned)atoi(argv[1]);
  if (argc > 2) opt_blocks = (unsigned)atoi(argv[2]);
  if (opt_rounds < 1 || opt_blocks < 16) {
    fprintf(stderr, "usage: test_remote [rounds >= 1] [blocks >= 16]\n");
    return 2;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_all_remote),
      cmocka_unit_test(test_owner_exited),
      cmocka_unit_test(test_first_free_adopts),
      cmocka_unit_test(test_concurrent_notices),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
