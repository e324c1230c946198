/* test_api.c: every public allocation function of hakmem.h on 0, NULL,
   overflow, huge sizes, every alignment, realloc across tiers, usable size,
   foreign pointers, sites, options, contexts and stats. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hakmem.h"

static void fill(uint8_t* p, size_t n, uint8_t seed) {
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(seed + i * 7);
}
static int check(const uint8_t* p, size_t n, uint8_t seed) {
  for (size_t i = 0; i < n; i++) {
    if (p[i] != (uint8_t)(seed + i * 7)) return 0;
  }
  return 1;
}

static hak_stats_t stats(void) {
  hak_stats_t s;
  s.size = sizeof(s);
  hak_stats_get(&s);
  return s;
}

// ----- Allocation -----
static void test_alloc_zero_is_unique(void** state) {
  (void)state;
  void* a = hak_alloc_at(0, HAK_SITE_DEFAULT);
  void* b = hak_alloc_at(0, HAK_SITE_DEFAULT);
  assert_non_null(a);
  assert_non_null(b);
  assert_ptr_not_equal(a, b);
  assert_true(hak_usable_size(a) >= 1);
  hak_free_at(a, HAK_SITE_DEFAULT);
  hak_free_at(b, HAK_SITE_DEFAULT);
}

static void test_free_null_is_noop(void** state) {
  (void)state;
  hak_stats_t before = stats();
  hak_free_at(NULL, HAK_SITE_DEFAULT);
  hak_stats_t after = stats();
  assert_int_equal(before.invalid_free, after.invalid_free);
  assert_int_equal(before.free_count, after.free_count);
}

static void test_sizes_every_tier(void** state) {
  (void)state;
  hak_stats_t before = stats();
  for (size_t size = 1; size <= ((size_t)8 << 20); size = size < 64 ? size + 1 : size + size / 5 + 1) {
    uint8_t* p = hak_alloc_at(size, HAK_SITE_DEFAULT);
    assert_non_null(p);
    assert_true(hak_usable_size(p) >= size);
    assert_true(hak_owns(p));
    if (size % 16 == 0) assert_int_equal((uintptr_t)p % 16, 0);
    else assert_int_equal((uintptr_t)p % 8, 0);
    fill(p, size, (uint8_t)size);
    assert_true(check(p, size, (uint8_t)size));
    hak_free_at(p, HAK_SITE_DEFAULT);
  }
  hak_stats_t after = stats();
  assert_true(after.tiny_alloc > before.tiny_alloc);
  assert_true(after.mid_alloc > before.mid_alloc);
  assert_true(after.large_alloc > before.large_alloc);
  assert_true(after.whale_alloc > before.whale_alloc);
  assert_int_equal(after.alloc_count - before.alloc_count, after.free_count - before.free_count);
}

// The classes seen from outside: walking usable sizes from 1 byte up, each is
// a class (asking for exactly it gives it back), the next byte starts the
// next class, and there are 64 of them up to 1 MiB.
static size_t usable_of(size_t size) {
  void* p = hak_alloc_at(size, HAK_SITE_DEFAULT);
  assert_non_null(p);
  size_t u = hak_usable_size(p);
  hak_free_at(p, HAK_SITE_DEFAULT);
  return u;
}

static void test_classes_and_tier_limits(void** state) {
  (void)state;
  size_t classes = 0;
  for (size_t u = usable_of(1); u <= ((size_t)1 << 20); u = usable_of(u + 1)) {
    assert_int_equal(usable_of(u), u);
    classes++;
  }
  assert_int_equal(classes, 64);
  // Each tier's largest size, as hak_stats_t's field descriptions state them.
  static const struct { size_t size; size_t field; } edges[] = {
      {1024, offsetof(hak_stats_t, tiny_alloc)},          {1025, offsetof(hak_stats_t, mid_alloc)},
      {32 * 1024, offsetof(hak_stats_t, mid_alloc)},      {32 * 1024 + 1, offsetof(hak_stats_t, large_alloc)},
      {1024 * 1024, offsetof(hak_stats_t, large_alloc)},  {1024 * 1024 + 1, offsetof(hak_stats_t, whale_alloc)},
  };
  for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
    hak_stats_t s0 = stats();
    void* p = hak_alloc_at(edges[i].size, HAK_SITE_DEFAULT);
    hak_stats_t s1 = stats();
    hak_free_at(p, HAK_SITE_DEFAULT);
    uint64_t n0, n1;
    memcpy(&n0, (char*)&s0 + edges[i].field, sizeof n0);
    memcpy(&n1, (char*)&s1 + edges[i].field, sizeof n1);
    if (n1 != n0 + 1) fail_msg("a block of %zu bytes is not counted in its tier", edges[i].size);
  }
}

static void test_waste_at_most_25_percent(void** state) {
  (void)state;
  for (size_t size = 65; size <= ((size_t)1 << 20); size++) {
    void* p = hak_alloc_at(size, HAK_SITE_DEFAULT);
    size_t usable = hak_usable_size(p);
    assert_true(usable >= size);
    assert_true((usable - size) * 4 <= usable);  // at most a quarter of the block unused
    hak_free_at(p, HAK_SITE_DEFAULT);
    if (size > 4096) size += size / 64;
  }
}

static void test_huge_sizes_fail_cleanly(void** state) {
  (void)state;
  size_t sizes[] = {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX / 2, (size_t)1 << 48, (size_t)1 << 47};
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    errno = 0;
    assert_null(hak_alloc_at(sizes[i], HAK_SITE_DEFAULT));
    assert_int_equal(errno, ENOMEM);
    errno = 0;
    assert_null(hak_calloc_at(1, sizes[i], HAK_SITE_DEFAULT));
    assert_int_equal(errno, ENOMEM);
  }
  void* p = hak_alloc_at(1, HAK_SITE_DEFAULT);
  assert_non_null(p);  // still works afterwards
  hak_free_at(p, HAK_SITE_DEFAULT);
}

static void test_calloc_zeroes(void** state) {
  (void)state;
  errno = 0;
  assert_null(hak_calloc_at(SIZE_MAX / 2, 3, HAK_SITE_DEFAULT));
  assert_int_equal(errno, ENOMEM);
  errno = 0;
  assert_null(hak_calloc_at((size_t)1 << 33, (size_t)1 << 33, HAK_SITE_DEFAULT));
  assert_int_equal(errno, ENOMEM);
  void* z = hak_calloc_at(0, 16, HAK_SITE_DEFAULT);
  assert_non_null(z);
  hak_free_at(z, HAK_SITE_DEFAULT);
  // Dirty some memory first so calloc has to zero reused blocks.
  for (size_t size = 1; size <= ((size_t)4 << 20); size = size * 3 / 2 + 1) {
    uint8_t* d = hak_alloc_at(size, HAK_SITE_DEFAULT);
    memset(d, 0xAB, size);
    hak_free_at(d, HAK_SITE_DEFAULT);
    uint8_t* p = hak_calloc_at(size, 1, HAK_SITE_DEFAULT);
    assert_non_null(p);
    for (size_t i = 0; i < size; i++) {
      if (p[i] != 0) fail_msg("calloc(%zu) byte %zu is %d", size, i, p[i]);
    }
    hak_free_at(p, HAK_SITE_DEFAULT);
  }
}

// ----- Alignment -----
static void test_aligned_every_power_of_two(void** state) {
  (void)state;
  size_t sizes[] = {0, 1, 24, 100, 4096, 40000, (size_t)2 << 20};
  for (size_t align = 1; align <= HAK_ALIGN_MAX; align *= 2) {
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
      if (align >= ((size_t)64 << 20) && i > 2) continue;  // keep the test's address space small
      uint8_t* p = hak_aligned_alloc_at(align, sizes[i], HAK_SITE_DEFAULT);
      if (p == NULL) fail_msg("aligned_alloc(%zu, %zu) failed", align, sizes[i]);
      assert_int_equal((uintptr_t)p % align, 0);
      assert_true(hak_usable_size(p) >= sizes[i]);
      fill(p, sizes[i], 3);
      assert_true(check(p, sizes[i], 3));
      hak_free_at(p, HAK_SITE_DEFAULT);
    }
  }
}

static void test_aligned_many_live(void** state) {
  (void)state;
  // Many live aligned blocks in the same pages, freed in another order.
  void* ps[512];
  for (size_t i = 0; i < 512; i++) {
    size_t align = (size_t)32 << (i % 8);
    ps[i] = hak_aligned_alloc_at(align, 40 + i, HAK_SITE_DEFAULT);
    assert_non_null(ps[i]);
    assert_int_equal((uintptr_t)ps[i] % align, 0);
    memset(ps[i], (int)i, 40 + i);
  }
  for (size_t i = 0; i < 512; i += 2) hak_free_at(ps[i], HAK_SITE_DEFAULT);
  for (size_t i = 1; i < 512; i += 2) {
    assert_int_equal(((uint8_t*)ps[i])[39 + i], (uint8_t)i);
    hak_free_at(ps[i], HAK_SITE_DEFAULT);
  }
}

// Small aligned blocks kept live side by side, so that they come from every
// position in their pages: each must hold its size, and writing all of it
// must not reach another (blocks of 24, 40 and 56 bytes are only 8-aligned:
// an aligned block carved from one once ended 8 bytes short of its size).
static void test_aligned_small_live(void** state) {
  (void)state;
  enum { N = 64 };
  for (size_t align = 32; align <= 256; align *= 2) {
    for (size_t size = 1; size <= 80; size++) {
      uint8_t* ps[N];
      for (size_t i = 0; i < N; i++) {
        ps[i] = hak_aligned_alloc_at(align, size, HAK_SITE_DEFAULT);
        assert_non_null(ps[i]);
        assert_int_equal((uintptr_t)ps[i] % align, 0);
        if (hak_usable_size(ps[i]) < size) fail_msg("aligned_alloc(%zu, %zu): usable size %zu", align, size, hak_usable_size(ps[i]));
        memset(ps[i], (int)i, size);
      }
      for (size_t i = 0; i < N; i++) {
        for (size_t k = 0; k < size; k++) {
          if (ps[i][k] != (uint8_t)i) fail_msg("aligned_alloc(%zu, %zu): block %zu overwritten", align, size, i);
        }
        hak_free_at(ps[i], HAK_SITE_DEFAULT);
      }
    }
  }
}

static void test_aligned_bad_alignment(void** state) {
  (void)state;
  size_t bad[] = {0, 3, 24, 100, HAK_ALIGN_MAX * 2, SIZE_MAX};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    errno = 0;
    assert_null(hak_aligned_alloc_at(bad[i], 16, HAK_SITE_DEFAULT));
    assert_int_equal(errno, EINVAL);
  }
  errno = 0;
  assert_null(hak_aligned_alloc_at(64, SIZE_MAX - 10, HAK_SITE_DEFAULT));
  assert_int_equal(errno, ENOMEM);
}

// ----- Realloc -----
static void test_realloc_null_and_zero(void** state) {
  (void)state;
  void* p = hak_realloc_at(NULL, 100, HAK_SITE_DEFAULT);
  assert_non_null(p);
  assert_true(hak_usable_size(p) >= 100);
  assert_null(hak_realloc_at(p, 0, HAK_SITE_DEFAULT));  // frees p
}

static void test_realloc_grow_and_shrink_across_tiers(void** state) {
  (void)state;
  size_t size = 1;
  uint8_t* p = hak_alloc_at(size, HAK_SITE_DEFAULT);
  fill(p, size, 9);
  while (size < ((size_t)24 << 20)) {  // tiny -> mid -> large -> whale (mremap)
    size_t next = size * 2 + 3;
    p = hak_realloc_at(p, next, HAK_SITE_DEFAULT);
    assert_non_null(p);
    assert_true(check(p, size, 9));
    fill(p, next, 9);
    size = next;
  }
  while (size > 3) {  // and back down
    size_t next = size / 3;
    p = hak_realloc_at(p, next, HAK_SITE_DEFAULT);
    assert_non_null(p);
    assert_true(check(p, next, 9));
    assert_true(hak_usable_size(p) >= next);
    size = next;
  }
  hak_free_at(p, HAK_SITE_DEFAULT);
}

static void test_realloc_in_place_when_it_fits(void** state) {
  (void)state;
  uint8_t* p = hak_alloc_at(1000, HAK_SITE_DEFAULT);
  size_t usable = hak_usable_size(p);
  assert_ptr_equal(hak_realloc_at(p, usable, HAK_SITE_DEFAULT), p);
  assert_ptr_equal(hak_realloc_at(p, usable / 2 + 1, HAK_SITE_DEFAULT), p);
  uint8_t* q = hak_realloc_at(p, 10, HAK_SITE_DEFAULT);  // far smaller: moves to a smaller class
  assert_non_null(q);
  assert_true(hak_usable_size(q) < usable);
  hak_free_at(q, HAK_SITE_DEFAULT);
  uint8_t* w = hak_alloc_at((size_t)3 << 20, HAK_SITE_DEFAULT);
  assert_ptr_equal(hak_realloc_at(w, (size_t)2 << 20, HAK_SITE_DEFAULT), w);  // whale shrinks in place
  hak_free_at(w, HAK_SITE_DEFAULT);
}

static void test_realloc_failure_keeps_block(void** state) {
  (void)state;
  uint8_t* p = hak_alloc_at(100, HAK_SITE_DEFAULT);
  fill(p, 100, 5);
  errno = 0;
  assert_null(hak_realloc_at(p, SIZE_MAX - 4096, HAK_SITE_DEFAULT));
  assert_int_equal(errno, ENOMEM);
  assert_true(check(p, 100, 5));
  hak_free_at(p, HAK_SITE_DEFAULT);
}

// ----- Foreign and bad pointers -----
static void test_foreign_pointers_are_ignored(void** state) {
  (void)state;
#ifdef HAK_TEST_HARDENED
  skip();  // hardened: each of these stops the process (tests/alloc/test_secure.c)
#endif
  int local = 0;
  void* m = malloc(64);
  uint8_t* mine = hak_alloc_at(256, HAK_SITE_DEFAULT);
  uint8_t* whale = hak_alloc_at((size_t)3 << 20, HAK_SITE_DEFAULT);
  // Not ours at all, and pointers into the middle of a whale (interior
  // pointers of smaller blocks are caught in checked mode: test_check.c).
  void* bad[] = {&local, m, (void*)1, (void*)0x1000, (void*)(uintptr_t)0xffff800000000000ull,
                 (void*)UINTPTR_MAX, whale + 4096, whale + ((size_t)2 << 20) + 64};
  hak_stats_t before = stats();
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    hak_free_at(bad[i], HAK_SITE_DEFAULT);
    assert_int_equal(hak_usable_size(bad[i]), 0);
    errno = 0;
    assert_null(hak_realloc_at(bad[i], 10, HAK_SITE_DEFAULT));
    assert_int_equal(errno, EINVAL);
  }
  assert_false(hak_owns(&local));
  assert_false(hak_owns(m));
  assert_true(hak_owns(mine));
  hak_stats_t after = stats();
  assert_int_equal(after.invalid_free - before.invalid_free, sizeof(bad) / sizeof(bad[0]));
  hak_free_at(mine, HAK_SITE_DEFAULT);
  hak_free_at(whale, HAK_SITE_DEFAULT);
  hak_free_at(whale, HAK_SITE_DEFAULT);  // double free of a whale: detected, ignored
  hak_stats_t last = stats();
  assert_int_equal(last.invalid_free - after.invalid_free, 1);
  free(m);
}

// ----- Sites -----
static void test_sites(void** state) {
  (void)state;
  hak_site_t a = hak_site_register(HAK_SUBSYS("json"), "json.test.a");
  hak_site_t b = hak_site_register(HAK_SUBSYS("json"), "json.test.b");
  hak_site_t a2 = hak_site_register(HAK_SUBSYS("json"), "json.test.a");
  hak_site_t v = hak_site_register(HAK_SUBSYS("vm"), "json.test.a");
  assert_int_equal(a, a2);
  assert_int_not_equal(a, b);
  assert_int_not_equal(a, v);
  assert_int_equal(hak_site_subsys(a), HAK_SUBSYS("json"));
  assert_int_equal(hak_site_subsys(v), HAK_SUBSYS("vm"));
  assert_string_equal(hak_site_name(a), "json.test.a");
  assert_string_equal(hak_site_name(v), "json.test.a");
  assert_string_equal(hak_site_name(HAK_SITE_ANON(HAK_SUBSYS("mir"))), "mir");
  assert_string_equal(hak_site_name(HAK_SITE_DEFAULT), "default");
  assert_null(hak_site_name((hak_site_t)HAK_SITE_INDEX_MASK));
  assert_int_equal(hak_site_register((hak_subsys_t)99, "x"), HAK_SITE_DEFAULT);
  assert_int_equal(hak_site_register(HAK_SUBSYS("lang"), NULL), HAK_SITE_ANON(HAK_SUBSYS("lang")));
  hak_site_t s1 = HAK_SITE(HAK_SUBSYS("user1"), "user.macro");
  assert_string_equal(hak_site_name(s1), "user.macro");
  assert_string_equal(hak_subsys_name(HAK_SUBSYS("vm")), "vm");
  assert_null(hak_subsys_name(hak_subsys_count()));
  assert_null(hak_subsys_name(HAK_SUBSYS_INVALID));
  assert_true(hak_site_count() > HAK_SUBSYS_MAX);
  // Allocations of every subsystem work and are freed from anywhere.
  void* ps[HAK_SUBSYS_MAX];
  unsigned n = hak_subsys_count();
  for (unsigned s = 0; s < n; s++) ps[s] = hak_alloc_at(100 + s, HAK_SITE_ANON(s));
  for (unsigned s = 0; s < n; s++) hak_free_at(ps[s], HAK_SITE_DEFAULT);
}

// ----- Options, config, contexts, stats -----
static void test_options_and_config(void** state) {
  (void)state;
  assert_string_equal(hak_option_name(HAK_OPT_PURGE_DELAY_MS), "purge_delay_ms");
  assert_null(hak_option_name(HAK_OPTION_COUNT));
  long old = hak_option_get(HAK_OPT_PURGE_DELAY_MS);
  hak_option_set(HAK_OPT_PURGE_DELAY_MS, 7);
  assert_int_equal(hak_option_get(HAK_OPT_PURGE_DELAY_MS), 7);
  hak_config_t cfg;
  hak_config_init(&cfg);
  cfg.option[HAK_OPT_PURGE_DELAY_MS] = 11;
  assert_int_equal(hak_init_ex(&cfg), 0);
  assert_int_equal(hak_option_get(HAK_OPT_PURGE_DELAY_MS), 11);
  assert_int_equal(hak_option_get(HAK_OPT_SEGMENT_CACHE), 8);  // unset: unchanged
  cfg.size = 3;
  assert_int_equal(hak_init_ex(&cfg), EINVAL);
  assert_int_equal(hak_init_ex(NULL), 0);
  hak_option_set(HAK_OPT_PURGE_DELAY_MS, old);
  assert_int_equal(hak_option_get(HAK_OPTION_COUNT), 0);
}

static void test_contexts(void** state) {
  (void)state;
  const hak_alc_t* alcs[] = {hak_alc_default(), hak_alc_libc()};
  for (size_t i = 0; i < 2; i++) {
    const hak_alc_t* a = alcs[i];
    uint8_t* p = a->alloc(a->ctx, 100, HAK_SITE_DEFAULT);
    fill(p, 100, 1);
    p = a->realloc(a->ctx, p, 100, 5000, HAK_SITE_DEFAULT);
    assert_true(check(p, 100, 1));
    a->free(a->ctx, p, 5000, HAK_SITE_DEFAULT);
  }
  void* h = hak_alc_default()->alloc(NULL, 1, HAK_SITE_DEFAULT);
  assert_true(hak_owns(h));  // the default context is hakmem
  hak_alc_default()->free(NULL, h, 1, HAK_SITE_DEFAULT);
  assert_non_null(hak_alc_default()->release);
  assert_null(hak_alc_libc()->release);
}

static void test_stats_snapshot(void** state) {
  (void)state;
  hak_stats_t s0 = stats();
  void* p = hak_alloc_at(40, HAK_SITE_DEFAULT);
  hak_stats_t s1 = stats();
  assert_int_equal(s1.alloc_count, s0.alloc_count + 1);
  assert_int_equal(s1.tiny_alloc, s0.tiny_alloc + 1);
  hak_free_at(p, HAK_SITE_DEFAULT);
  hak_stats_t s2 = stats();
  assert_int_equal(s2.free_count, s1.free_count + 1);
  assert_int_equal(s2.version, HAKMEM_VERSION);
  assert_true(s2.segments_current >= 1);
  assert_true(s2.rss_current > 0);
  // An older, smaller struct is filled up to its size only.
  uint8_t raw[sizeof(hak_stats_t) + 8];
  memset(raw, 0xEE, sizeof(raw));
  hak_stats_t* small = (hak_stats_t*)raw;
  small->size = offsetof(hak_stats_t, free_count);
  hak_stats_get(small);
  assert_int_equal(small->size, offsetof(hak_stats_t, free_count));
  assert_int_equal(raw[offsetof(hak_stats_t, free_count)], 0xEE);
  hak_stats_get(NULL);
  FILE* f = tmpfile();
  hak_stats_print(f);
  hak_stats_print_json(f);
  assert_true(ftell(f) > 100);
  fclose(f);
}

// A thread that only frees (it never allocated, so it has no heaps) still
// counts its frees, remote ones included.
static void* free_only(void* arg) {
  void** blocks = (void**)arg;
  for (int i = 0; i < 10; i++) hak_free_at(blocks[i], HAK_SITE_DEFAULT);
  return NULL;
}

static void test_frees_from_a_thread_without_heaps(void** state) {
  (void)state;
  void* blocks[10];
  for (int i = 0; i < 10; i++) blocks[i] = hak_alloc_at(64, HAK_SITE_DEFAULT);
  hak_stats_t s0 = stats();
  pthread_t t;
  pthread_create(&t, NULL, free_only, blocks);
  pthread_join(t, NULL);
  hak_stats_t s1 = stats();
  assert_int_equal(s1.free_count - s0.free_count, 10);
  assert_int_equal(s1.remote_free - s0.remote_free, 10);
}

static void test_heap_release_basic(void** state) {
  (void)state;
  for (int i = 0; i < 1000; i++) {
    void* leak = hak_alloc_at(100, HAK_SITE_ANON(HAK_SUBSYS("user3")));  // released in bulk below
    assert_non_null(leak);
  }
  void* keep = hak_alloc_at(100, HAK_SITE_ANON(HAK_SUBSYS("user2")));
  void* w = hak_alloc_at((size_t)5 << 20, HAK_SITE_ANON(HAK_SUBSYS("user3")));
  assert_non_null(w);
  assert_true(hak_heap_release(HAK_SUBSYS("user3")) >= ((size_t)5 << 20));
  assert_false(hak_owns(w));
  assert_true(hak_owns(keep));
  assert_int_equal(hak_heap_release(HAK_SUBSYS("user3")), 0);
  assert_int_equal(hak_heap_release((hak_subsys_t)42), 0);
  void* again = hak_alloc_at(100, HAK_SITE_ANON(HAK_SUBSYS("user3")));
  assert_non_null(again);
  hak_free_at(again, HAK_SITE_DEFAULT);
  hak_free_at(keep, HAK_SITE_DEFAULT);
  hak_collect(true);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_alloc_zero_is_unique),
      cmocka_unit_test(test_free_null_is_noop),
      cmocka_unit_test(test_sizes_every_tier),
      cmocka_unit_test(test_classes_and_tier_limits),
      cmocka_unit_test(test_waste_at_most_25_percent),
      cmocka_unit_test(test_huge_sizes_fail_cleanly),
      cmocka_unit_test(test_calloc_zeroes),
      cmocka_unit_test(test_aligned_every_power_of_two),
      cmocka_unit_test(test_aligned_many_live),
      cmocka_unit_test(test_aligned_small_live),
      cmocka_unit_test(test_aligned_bad_alignment),
      cmocka_unit_test(test_realloc_null_and_zero),
      cmocka_unit_test(test_realloc_grow_and_shrink_across_tiers),
      cmocka_unit_test(test_realloc_in_place_when_it_fits),
      cmocka_unit_test(test_realloc_failure_keeps_block),
      cmocka_unit_test(test_foreign_pointers_are_ignored),
      cmocka_unit_test(test_sites),
      cmocka_unit_test(test_options_and_config),
      cmocka_unit_test(test_contexts),
      cmocka_unit_test(test_stats_snapshot),
      cmocka_unit_test(test_frees_from_a_thread_without_heaps),
      cmocka_unit_test(test_heap_release_basic),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
