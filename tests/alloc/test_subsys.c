/* test_subsys.c: subsystems registered at run time. Names are idempotent and
   validated; every registered subsystem has its own per-thread heap (its
   blocks live in its own pages, released in one call without touching the
   others), its anonymous site and its profile rows; when all are taken the
   next registration fails with ENOSPC, and a site of an unregistered
   subsystem gets NULL with EINVAL instead of memory. Its own process: the
   test counts every registration. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hakmem.h"

static void test_names(void** state) {
  (void)state;
  assert_int_equal(hak_subsys_count(), 1);
  assert_string_equal(hak_subsys_name(HAK_SUBSYS_DEFAULT), "default");
  assert_int_equal(hak_subsys_register("default"), HAK_SUBSYS_DEFAULT);
  hak_subsys_t a = hak_subsys_register("engine.parser");
  assert_int_equal(a, 1);
  assert_int_equal(hak_subsys_register("engine.parser"), a);  // idempotent
  assert_string_equal(hak_subsys_name(a), "engine.parser");
  assert_int_equal(hak_subsys_count(), 2);
  // Bad names: clear error, nothing registered.
  const char* bad[] = {NULL, "", "has space", "slash/name", "0123456789012345678901234567890123"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    errno = 0;
    assert_int_equal(hak_subsys_register(bad[i]), HAK_SUBSYS_INVALID);
    assert_int_equal(errno, EINVAL);
  }
  assert_int_equal(hak_subsys_count(), 2);
  assert_null(hak_subsys_name(2));
  assert_null(hak_subsys_name(HAK_SUBSYS_INVALID));
  // The macro registers once and then reads its cache.
  assert_int_equal(HAK_SUBSYS("engine.parser"), a);
  assert_int_equal(HAK_SUBSYS("engine.vm"), 2);
  assert_string_equal(hak_site_name(HAK_SITE_ANON(2)), "engine.vm");
}

// Each subsystem's blocks live in pages of their own; releasing one heap
// leaves the others' blocks intact.
static void test_heaps_apart(void** state) {
  (void)state;
  hak_subsys_t parse = HAK_SUBSYS("engine.parser"), vm = HAK_SUBSYS("engine.vm");
  hak_site_t ps = hak_site_register(parse, "parser.node"), vs = hak_site_register(vm, "vm.object");
  assert_int_equal(hak_site_subsys(ps), parse);
  char* p[64];
  char* v[64];
  for (int i = 0; i < 64; i++) {
    p[i] = hak_alloc_at(48, ps);
    v[i] = hak_alloc_at(48, vs);
    assert_non_null(p[i]);
    assert_non_null(v[i]);
    memset(v[i], 'v', 48);
  }
  // Same size class, different subsystems: never the same 64 KiB slice.
  for (int i = 0; i < 64; i++) {
    for (int j = 0; j < 64; j++) assert_true(((uintptr_t)p[i] >> 16) != ((uintptr_t)v[j] >> 16));
  }
  assert_true(hak_heap_release(parse) > 0);
  for (int i = 0; i < 64; i++) {
    for (int k = 0; k < 48; k++) assert_int_equal(v[i][k], 'v');
    hak_free_at(v[i], vs);
  }
  assert_int_equal(hak_heap_release(parse), 0);  // nothing left
}

// An unregistered subsystem's site: no memory, EINVAL; a registered one
// that this thread never used gets its heap at the first allocation.
static void test_unregistered_site(void** state) {
  (void)state;
  hak_subsys_t next = hak_subsys_count();
  errno = 0;
  assert_null(hak_alloc_at(100, HAK_SITE_ANON(next)));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(hak_calloc_at(2, 100, HAK_SITE_ANON(HAK_SUBSYS_MAX - 1)));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(hak_aligned_alloc_at(64, 100, HAK_SITE_ANON(next)));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(hak_site_register(next, "x"), HAK_SITE_DEFAULT);
  assert_int_equal(errno, EINVAL);
  assert_int_equal(hak_heap_release(next), 0);
  assert_int_equal(hak_heap_release(HAK_SUBSYS_INVALID), 0);
}

static void* use_engine_vm(void* arg) {
  (void)arg;
  void* b = hak_alloc_at(3000, HAK_SITE_ANON(HAK_SUBSYS("engine.vm")));
  if (b != NULL) memset(b, 1, 3000);
  hak_free_at(b, HAK_SITE_DEFAULT);
  return b;
}

static void test_other_thread(void** state) {
  (void)state;
  pthread_t t;
  void* got = NULL;
  assert_int_equal(pthread_create(&t, NULL, use_engine_vm, NULL), 0);
  pthread_join(t, &got);
  assert_non_null(got);
}

// Per-subsystem profile rows: the data file names each site's subsystem.
static void test_profile_rows(void** state) {
  (void)state;
  hak_profile_enable(true);
  hak_site_t s = hak_site_register(HAK_SUBSYS("engine.vm"), "vm.string");
  void* b = hak_alloc_at(200, s);
  hak_site_stats_t rows[64];
  size_t n = hak_profile_snapshot(rows, 64);
  bool found = false;
  for (size_t i = 0; i < n && i < 64; i++) {
    if (rows[i].site == s) found = rows[i].allocs == 1 && strcmp(rows[i].name, "vm.string") == 0;
  }
  assert_true(found);
  char buf[8192];
  FILE* f = fmemopen(buf, sizeof(buf), "w");
  assert_int_equal(hak_profile_dump(f), 0);
  fclose(f);
  assert_non_null(strstr(buf, " engine.vm 1 1 "));
  hak_free_at(b, s);
  hak_profile_enable(false);
}

// All taken: the next registration is a clear error, and the ids handed out
// before stay valid.
static void test_all_taken(void** state) {
  (void)state;
  char name[32];
  for (uint32_t i = hak_subsys_count(); i < HAK_SUBSYS_MAX; i++) {
    snprintf(name, sizeof(name), "filler%u", i);
    assert_int_equal(hak_subsys_register(name), i);
  }
  assert_int_equal(hak_subsys_count(), HAK_SUBSYS_MAX);
  errno = 0;
  assert_int_equal(hak_subsys_register("one.too.many"), HAK_SUBSYS_INVALID);
  assert_int_equal(errno, ENOSPC);
  assert_int_equal(hak_subsys_register("engine.parser"), 1);  // registered names still resolve
  snprintf(name, sizeof(name), "filler%u", HAK_SUBSYS_MAX - 1);
  hak_subsys_t last = hak_subsys_register(name);
  assert_int_equal(last, HAK_SUBSYS_MAX - 1);
  void* b = hak_alloc_at(64, HAK_SITE_ANON(last));  // the highest heap slot works
  assert_non_null(b);
  hak_free_at(b, HAK_SITE_ANON(last));
  assert_true(hak_heap_release(last) > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),           cmocka_unit_test(test_heaps_apart), cmocka_unit_test(test_unregistered_site),
      cmocka_unit_test(test_other_thread),    cmocka_unit_test(test_profile_rows), cmocka_unit_test(test_all_taken),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
