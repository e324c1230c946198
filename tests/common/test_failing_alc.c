/* test_failing_alc.c: the failing allocation context (failing_alc.h) that
   the other tests rely on to find leaks and misuse: the fail_at-th attempt
   and every attempt from fail_from on fail, and only those; a free or
   realloc with a wrong size or a wrong site (with FAILING_ALC_SITES) is
   bad; so is a subsystem outside the mask; the
   bulk release frees one subsystem's blocks; the counters are exact, also
   with four threads allocating and freeing at once. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "failing_alc.h"

#define SITE_A HAK_SITE(HAK_SUBSYS("fa.one"), "fa.one.a")
#define SITE_B HAK_SITE(HAK_SUBSYS("fa.one"), "fa.one.b")
#define SITE_OTHER HAK_SITE(HAK_SUBSYS("fa.two"), "fa.two.x")

static void* alloc(failing_alc_t* t, size_t size, hak_site_t site) { return t->alc.alloc(t->alc.ctx, size, site); }
static void release(failing_alc_t* t, void* p, size_t size, hak_site_t site) { t->alc.free(t->alc.ctx, p, size, site); }

// The context's live blocks and bad calls are exactly these.
static void expect(failing_alc_t* t, long live, long bad) {
  assert_int_equal(t->live, live);
  assert_int_equal(t->bad, bad);
}

static void test_fail_at(void** state) {
  (void)state;
  failing_alc_t t;
  failing_alc_init(&t, 0, 0);
  t.fail_at = 3;
  void* p[5];
  for (int i = 0; i < 5; i++) {
    p[i] = alloc(&t, 10 + (size_t)i, SITE_A);
    if (i == 2) assert_null(p[i]);
    else assert_non_null(p[i]);
  }
  assert_int_equal(t.attempts, 5);
  assert_int_equal(t.allocs, 4);
  assert_int_equal(t.failures, 1);
  assert_int_equal(t.live, 4);
  assert_int_equal(t.live_bytes, 10 + 11 + 13 + 14);
  assert_int_equal(((unsigned char*)p[0])[9], 0xd0);
  for (int i = 0; i < 5; i++) release(&t, p[i], 10 + (size_t)i, SITE_A);
  assert_int_equal(t.live_bytes, 0);
  expect(&t, 0, 0);
}

static void test_fail_from(void** state) {
  (void)state;
  failing_alc_t t;
  failing_alc_init(&t, 0, 0);
  t.fail_from = 2;
  void* p = alloc(&t, 8, SITE_A);
  assert_non_null(p);
  assert_null(alloc(&t, 8, SITE_A));
  assert_null(t.alc.realloc(t.alc.ctx, p, 8, 64, SITE_A));  // a failed realloc keeps the block
  assert_int_equal(t.failures, 2);
  assert_int_equal(t.live, 1);
  release(&t, p, 8, SITE_A);
  expect(&t, 0, 0);
}

static void test_realloc_moves_and_copies(void** state) {
  (void)state;
  failing_alc_t t;
  failing_alc_init(&t, 0, 0);
  char* p = alloc(&t, 4, SITE_A);
  memcpy(p, "abcd", 4);
  char* q = t.alc.realloc(t.alc.ctx, p, 4, 100, SITE_A);
  assert_non_null(q);
  assert_ptr_not_equal(p, q);
  assert_memory_equal(q, "abcd", 4);
  assert_int_equal(t.live_bytes, 100);
  expect(&t, 1, 0);
  release(&t, q, 100, SITE_A);
  expect(&t, 0, 0);
}

static void test_bad_frees(void** state) {
  (void)state;
  failing_alc_t t;
  failing_alc_init(&t, 0, 0);
  void* p = alloc(&t, 32, SITE_A);
  release(&t, p, 31, SITE_A);  // wrong size: refused, counted
  expect(&t, 1, 1);
  release(&t, p, 32, SITE_B);  // another site is fine without FAILING_ALC_SITES
  expect(&t, 0, 1);
  failing_alc_init(&t, 0, FAILING_ALC_SITES);
  p = alloc(&t, 32, SITE_A);
  release(&t, p, 32, SITE_B);
  expect(&t, 1, 1);
  assert_null(t.alc.realloc(t.alc.ctx, p, 32, 64, SITE_B));
  expect(&t, 1, 2);
  release(&t, p, 32, SITE_A);
  expect(&t, 0, 2);
}

static void test_mask_and_release(void** state) {
  (void)state;
  failing_alc_t t;
  failing_alc_init(&t, FAILING_ALC_MASK("fa.one"), FAILING_ALC_BULK);
  hak_site_t seen[4];
  failing_alc_record_sites(&t, seen, 4);
  void* a = alloc(&t, 16, SITE_A);
  void* b = alloc(&t, 16, SITE_B);
  void* c = alloc(&t, 24, SITE_OTHER);  // outside the mask: served, but bad
  assert_int_equal(t.bad, 1);
  assert_int_equal(t.nseen, 3);
  assert_int_equal(seen[2], SITE_OTHER);
  assert_int_equal(failing_alc_live_in(&t, HAK_SUBSYS("fa.one")), 2);
  assert_non_null(t.alc.release);
  assert_int_equal(t.alc.release(t.alc.ctx, HAK_SUBSYS("fa.one")), 32);
  assert_int_equal(t.releases, 1);
  expect(&t, 1, 1);
  (void)a, (void)b, (void)c;
  failing_alc_drain(&t);
  expect(&t, 0, 1);
  failing_alc_init(&t, 0, 0);
  assert_null(t.alc.release);
}

static void* churn(void* arg) {
  failing_alc_t* t = arg;
  for (int i = 0; i < 20000; i++) {
    void* p = alloc(t, (size_t)(i % 100), SITE_A);
    release(t, p, (size_t)(i % 100), SITE_A);
  }
  return NULL;
}

static void test_threads(void** state) {
  (void)state;
  failing_alc_t t;
  failing_alc_init(&t, 0, FAILING_ALC_SITES);
  pthread_t th[4];
  for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, churn, &t);
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  assert_int_equal(t.allocs, 80000);
  expect(&t, 0, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fail_at),      cmocka_unit_test(test_fail_from),        cmocka_unit_test(test_realloc_moves_and_copies),
      cmocka_unit_test(test_bad_frees),    cmocka_unit_test(test_mask_and_release), cmocka_unit_test(test_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
