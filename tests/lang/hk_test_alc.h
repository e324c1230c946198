/* hk_test_alc.h: a checking allocation context for the lang and mir tests
   (docs/style.md, Tests). Blocks come from malloc with a header holding size and site,
   so ASan and memcheck see each one; a free with the wrong size, or of a
   block that is not live, is counted as bad; the n-th allocation can be made
   to fail (every out-of-memory path); allocations of a subsystem outside the
   allowed mask are counted as bad (the site contract). With `bulk`, the
   context has a release hook that frees every live block of a subsystem, as
   hakmem's hak_heap_release does, and counts the calls. */
#ifndef HK_TEST_ALC_H
#define HK_TEST_ALC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hakmem.h"

typedef struct test_blk_s {
  struct test_blk_s* prev;
  struct test_blk_s* next;
  size_t size;
  hak_site_t site;
  uint32_t magic;  // 0x686b6d6d while live
} test_blk_t;
#define TEST_BLK_HDR 48  // >= sizeof(test_blk_t), keeps 16-byte alignment

typedef struct test_alc_s {
  hak_alc_t alc;        // what the code under test gets
  test_blk_t live;      // list head of live blocks
  long nlive;           // blocks not yet freed
  size_t live_bytes;
  long allocs;          // successful allocations (reallocs included)
  long attempts;        // allocation attempts
  long fail_at;         // attempt number (1-based) that fails; 0: none
  long bad;             // wrong sizes, unknown blocks, sites outside the mask
  long releases;        // release calls
  uint32_t subsys_mask; // allowed subsystems (bit per hak_subsys_t)
} test_alc_t;

static void* test_alc_alloc(void* ctx, size_t size, hak_site_t site) {
  test_alc_t* t = (test_alc_t*)ctx;
  t->attempts++;
  if (t->fail_at && t->attempts == t->fail_at) return NULL;
  if (!(t->subsys_mask & (1u << hak_site_subsys(site)))) t->bad++;
  test_blk_t* b = (test_blk_t*)malloc(TEST_BLK_HDR + size);
  if (!b) return NULL;
  b->size = size;
  b->site = site;
  b->magic = 0x686b6d6d;
  b->next = t->live.next;
  b->prev = &t->live;
  t->live.next->prev = b;
  t->live.next = b;
  t->nlive++;
  t->live_bytes += size;
  t->allocs++;
  memset((char*)b + TEST_BLK_HDR, 0xd0, size);
  return (char*)b + TEST_BLK_HDR;
}

static void test_alc_unlink(test_alc_t* t, test_blk_t* b) {
  b->prev->next = b->next;
  b->next->prev = b->prev;
  b->magic = 0;
  t->nlive--;
  t->live_bytes -= b->size;
  memset((char*)b + TEST_BLK_HDR, 0xdf, b->size);
  free(b);
}

static void test_alc_free(void* ctx, void* p, size_t size, hak_site_t site) {
  test_alc_t* t = (test_alc_t*)ctx;
  (void)site;
  if (!p) return;
  test_blk_t* b = (test_blk_t*)((char*)p - TEST_BLK_HDR);
  if (b->magic != 0x686b6d6d || b->size != size) {
    fprintf(stderr, "test_alc: bad free %p size %zu\n", p, size);
    t->bad++;
    return;
  }
  test_alc_unlink(t, b);
}

static void* test_alc_realloc(void* ctx, void* p, size_t old, size_t size, hak_site_t site) {
  if (!p) return test_alc_alloc(ctx, size, site);
  test_alc_t* t = (test_alc_t*)ctx;
  test_blk_t* b = (test_blk_t*)((char*)p - TEST_BLK_HDR);
  if (b->magic != 0x686b6d6d || b->size != old) {
    fprintf(stderr, "test_alc: bad realloc %p old %zu\n", p, old);
    t->bad++;
    return NULL;
  }
  void* q = test_alc_alloc(ctx, size, site);
  if (!q) return NULL;
  memcpy(q, p, old < size ? old : size);
  test_alc_unlink(t, b);
  return q;
}

static size_t test_alc_release(void* ctx, hak_subsys_t sub) {
  test_alc_t* t = (test_alc_t*)ctx;
  size_t bytes = 0;
  t->releases++;
  for (test_blk_t *b = t->live.next, *nx; b != &t->live; b = nx) {
    nx = b->next;
    if (hak_site_subsys(b->site) == sub) {
      bytes += b->size;
      test_alc_unlink(t, b);
    }
  }
  return bytes;
}

// A context; bulk: with a release hook. Allowed subsystems: lang, mir, vm.
static inline void test_alc_init(test_alc_t* t, bool bulk) {
  memset(t, 0, sizeof *t);
  t->live.next = t->live.prev = &t->live;
  t->alc.ctx = t;
  t->alc.alloc = test_alc_alloc;
  t->alc.realloc = test_alc_realloc;
  t->alc.free = test_alc_free;
  t->alc.release = bulk ? test_alc_release : NULL;
  t->subsys_mask = (1u << HAK_SUBSYS("lang")) | (1u << HAK_SUBSYS("mir")) | (1u << HAK_SUBSYS("vm"));
}

// Blocks of a subsystem still live.
static inline long test_alc_live_in(const test_alc_t* t, hak_subsys_t sub) {
  long n = 0;
  for (const test_blk_t* b = t->live.next; b != &t->live; b = b->next) n += hak_site_subsys(b->site) == sub;
  return n;
}

// Frees whatever is left (after a failed test) so that leak checkers stay quiet.
static inline void test_alc_drain(test_alc_t* t) {
  while (t->live.next != &t->live) test_alc_unlink(t, t->live.next);
}

#endif  // HK_TEST_ALC_H
