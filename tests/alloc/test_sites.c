/* test_sites.c: the site registry under concurrent registration, routing of
   allocations to per-subsystem heaps, and bulk release (hak_heap_release):
   what it frees, what it leaves alone, and what happens to blocks of the
   released heap that another thread still holds or frees. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hakmem.h"

static hak_stats_t stats(void) {
  hak_stats_t s = {.size = sizeof(s)};
  hak_stats_get(&s);
  return s;
}

// ----- Registry -----
#define REG_THREADS 8
#define REG_NAMES 500
static hak_site_t reg_ids[REG_THREADS][REG_NAMES];

static void* reg_worker(void* arg) {
  unsigned t = (unsigned)(uintptr_t)arg;
  char name[64];
  for (unsigned i = 0; i < REG_NAMES; i++) {
    unsigned k = (i * 7 + t * 13) % REG_NAMES;  // every thread registers every name, in its own order
    snprintf(name, sizeof(name), "test.concurrent.%u", k);
    reg_ids[t][k] = hak_site_register(k % 2 ? HAK_SUBSYS("user1") : HAK_SUBSYS("user2"), name);
  }
  return NULL;
}

static void test_concurrent_registration(void** state) {
  (void)state;
  uint32_t before = hak_site_count();
  pthread_t th[REG_THREADS];
  for (unsigned t = 0; t < REG_THREADS; t++) pthread_create(&th[t], NULL, reg_worker, (void*)(uintptr_t)t);
  for (unsigned t = 0; t < REG_THREADS; t++) pthread_join(th[t], NULL);
  for (unsigned k = 0; k < REG_NAMES; k++) {
    char name[64];
    snprintf(name, sizeof(name), "test.concurrent.%u", k);
    for (unsigned t = 1; t < REG_THREADS; t++) assert_int_equal(reg_ids[t][k], reg_ids[0][k]);  // same name, same id
    assert_string_equal(hak_site_name(reg_ids[0][k]), name);
    assert_int_equal(hak_site_subsys(reg_ids[0][k]), k % 2 ? HAK_SUBSYS("user1") : HAK_SUBSYS("user2"));
    for (unsigned j = 0; j < k; j++) assert_int_not_equal(reg_ids[0][j], reg_ids[0][k]);  // distinct names, distinct ids
  }
  assert_int_equal(hak_site_count(), before + REG_NAMES);
}

static void test_static_site_macro(void** state) {
  (void)state;
  hak_site_t first = 0;
  for (int i = 0; i < 3; i++) {
    hak_site_t s = HAK_SITE(HAK_SUBSYS("json"), "json.test.macro");
    if (i == 0) first = s;
    assert_int_equal(s, first);
  }
  assert_int_equal(first, hak_site_register(HAK_SUBSYS("json"), "json.test.macro"));
}

// ----- Routing and bulk release -----
// Blocks of one subsystem come from that subsystem's heap: releasing it frees
// them and only them.
static void test_release_frees_only_its_subsystem(void** state) {
  (void)state;
  hak_option_set(HAK_OPT_PURGE_DELAY_MS, 0);  // purge at once, so RSS drops at once
  hak_collect(true);
  hak_site_t mir = hak_site_register(HAK_SUBSYS("mir"), "mir.test.node");
  hak_site_t vm = hak_site_register(HAK_SUBSYS("vm"), "vm.test.object");
  enum { N = 200000 };
  static uint8_t* vm_blocks[1000];
  for (int i = 0; i < 1000; i++) {
    vm_blocks[i] = hak_alloc_at(64, vm);
    memset(vm_blocks[i], i & 0xFF, 64);
  }
  hak_stats_t s0 = stats();
  static void* mir_blocks[N];
  for (int i = 0; i < N; i++) {  // ~50 MiB of IR nodes, touched
    size_t size = 16 + (size_t)(i % 16) * 32;
    mir_blocks[i] = hak_alloc_at(size, mir);
    memset(mir_blocks[i], 0x5A, size);
  }
  hak_stats_t s1 = stats();
  assert_true(s1.rss_current > s0.rss_current + (40u << 20));
  size_t released = hak_heap_release(HAK_SUBSYS("mir"));
  hak_stats_t s2 = stats();
  printf("release: %zu bytes of pages; pages %llu -> %llu -> %llu; RSS %llu -> %llu -> %llu KiB\n", released,
         (unsigned long long)s0.pages_current, (unsigned long long)s1.pages_current, (unsigned long long)s2.pages_current,
         (unsigned long long)s0.rss_current >> 10, (unsigned long long)s1.rss_current >> 10, (unsigned long long)s2.rss_current >> 10);
  assert_true(released >= (40u << 20));
  assert_int_equal(s2.pages_current, s0.pages_current);          // exactly the MIR pages went
  assert_true(s2.rss_current < s1.rss_current - (40u << 20));   // and their memory
  assert_int_equal(s2.heap_releases, s1.heap_releases + 1);
  for (int i = 0; i < N; i += 997) assert_false(hak_owns(mir_blocks[i]));
  for (int i = 0; i < 1000; i++) {  // the VM's blocks are untouched
    assert_true(hak_owns(vm_blocks[i]));
    for (int j = 0; j < 64; j++) assert_int_equal(vm_blocks[i][j], i & 0xFF);
    hak_free_at(vm_blocks[i], vm);
  }
  // The MIR heap works again after the release.
  void* again = hak_alloc_at(100, mir);
  assert_non_null(again);
  hak_free_at(again, mir);
  hak_option_set(HAK_OPT_PURGE_DELAY_MS, 100);
}

// Frees other threads made before the release are discarded with the heap;
// a block freed after the release is reported as invalid and ignored (its
// memory is no longer hakmem's), never a crash.
static void* free_blocks(void* arg) {
  void** blocks = (void**)arg;
  for (int i = 0; i < 100; i++) hak_free_at(blocks[i], HAK_SITE_ANON(HAK_SUBSYS("user3")));
  return NULL;
}

static void test_release_with_blocks_held_elsewhere(void** state) {
  (void)state;
  hak_site_t site = HAK_SITE_ANON(HAK_SUBSYS("user3"));
  static void* early[100];
  static void* late[100];
  for (int i = 0; i < 100; i++) early[i] = hak_alloc_at(48, site), late[i] = hak_alloc_at((size_t)64 << 10, site);
  pthread_t t;
  pthread_create(&t, NULL, free_blocks, early);  // remote frees, pending on this heap's list
  pthread_join(t, NULL);
  hak_stats_t s0 = stats();
  hak_heap_release(HAK_SUBSYS("user3"));
  hak_collect(true);  // cached empty segments are unmapped: the released memory is not hakmem's any more
#ifdef HAK_TEST_HARDENED
  return;  // hardened: a free after the release stops the process (tests/alloc/test_secure.c)
#endif
  pthread_create(&t, NULL, free_blocks, late);  // frees after the release
  pthread_join(t, NULL);
  hak_stats_t s1 = stats();
  assert_int_equal(s1.invalid_free - s0.invalid_free, 100);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_concurrent_registration),
      cmocka_unit_test(test_static_site_macro),
      cmocka_unit_test(test_release_frees_only_its_subsystem),
      cmocka_unit_test(test_release_with_blocks_held_elsewhere),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
