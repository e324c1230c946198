/* json_test_alc.h: a checking allocation context for the json tests
   (docs/style.md, Tests). Every block gets a header with its size and site,
   so a free or realloc with the wrong size or site fails the test; live
   blocks and bytes are counted (leaks), and the n-th allocation can be made
   to fail (every OOM path). Blocks come from malloc so ASan sees each one. */
#ifndef JSON_TEST_ALC_H
#define JSON_TEST_ALC_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hakmem.h"

typedef struct test_alc_s {
  hak_alc_t alc;       // what the code under test gets
  long allocs;         // allocations (and reallocs) that succeeded
  long live;           // blocks not yet freed
  size_t live_bytes;   // their requested bytes
  long fail_at;        // allocation number (1-based) that fails; 0: none
  long attempts;       // allocation attempts so far
  long bad;            // frees/reallocs with a wrong size or site
} test_alc_t;

typedef struct test_hdr_s {
  size_t size;        // requested size
  hak_site_t site;    // site of the allocation
  uint32_t magic;     // 0x6a736f6e while live
} test_hdr_t;
#define TEST_HDR 32  // keeps the 16-byte alignment of the user block

static int test_alc_fail_now(test_alc_t* t) {
  t->attempts++;
  return t->fail_at && t->attempts == t->fail_at;
}

static void* test_alc_raw(test_alc_t* t, size_t size, hak_site_t site) {
  if (hak_site_subsys(site) != HAK_SUBSYS("json")) t->bad++;
  char* b = (char*)malloc(TEST_HDR + size);
  if (!b) return NULL;
  test_hdr_t* h = (test_hdr_t*)b;
  h->size = size;
  h->site = site;
  h->magic = 0x6a736f6e;
  t->allocs++;
  t->live++;
  t->live_bytes += size;
  memset(b + TEST_HDR, 0xd0, size);  // uninitialized fill (docs/style.md: debug fill bytes)
  return b + TEST_HDR;
}

static void* test_alc_alloc(void* ctx, size_t size, hak_site_t site) {
  test_alc_t* t = (test_alc_t*)ctx;
  return test_alc_fail_now(t) ? NULL : test_alc_raw(t, size, site);
}

static void test_alc_free(void* ctx, void* p, size_t size, hak_site_t site) {
  test_alc_t* t = (test_alc_t*)ctx;
  if (!p) return;
  test_hdr_t* h = (test_hdr_t*)((char*)p - TEST_HDR);
  if (h->magic != 0x6a736f6e || h->size != size) {
    fprintf(stderr, "test_alc: bad free %p size %zu (block %zu, magic %x)\n", p, size, h->size, h->magic);
    t->bad++;
    return;
  }
  h->magic = 0;
  t->live--;
  t->live_bytes -= size;
  memset(p, 0xdf, size);  // freed fill
  free(h);
}

static void* test_alc_realloc(void* ctx, void* p, size_t old, size_t size, hak_site_t site) {
  test_alc_t* t = (test_alc_t*)ctx;
  if (!p) return test_alc_alloc(ctx, size, site);
  test_hdr_t* h = (test_hdr_t*)((char*)p - TEST_HDR);
  if (h->magic != 0x6a736f6e || h->size != old) {
    fprintf(stderr, "test_alc: bad realloc %p old %zu (block %zu)\n", p, old, h->size);
    t->bad++;
    return NULL;
  }
  if (test_alc_fail_now(t)) return NULL;
  void* n = test_alc_raw(t, size, site);
  if (!n) return NULL;
  memcpy(n, p, old < size ? old : size);
  test_alc_free(ctx, p, old, site);
  return n;
}

static void test_alc_init(test_alc_t* t) {
  memset(t, 0, sizeof(*t));
  t->alc = (hak_alc_t){t, test_alc_alloc, test_alc_realloc, test_alc_free, NULL};
}

#endif  // JSON_TEST_ALC_H
