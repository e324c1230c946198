/* test_profile.c: per-site profiling through the embedded API: exact
   counters (one thread, and blocks freed by another thread), switching at run
   time, and the data file. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hakmem.h"

static bool find_site(hak_site_t site, hak_site_stats_t* out) {
  static hak_site_stats_t all[4096];
  size_t n = hak_profile_snapshot(all, 4096);
  for (size_t i = 0; i < n && i < 4096; i++) {
    if (all[i].site == site) {
      *out = all[i];
      return true;
    }
  }
  return false;
}

// Exact counts for one thread, every tier.
static void test_exact_counters(void** state) {
  (void)state;
  hak_profile_enable(true);
  assert_true(hak_profile_enabled());
  hak_site_t s = hak_site_register(HAK_SUBSYS("user1"), "profile.test.exact");
  size_t sizes[] = {8, 24, 100, 1000, 5000, 40000, 300000, 3u << 20};
  void* blocks[8][50];
  uint64_t bytes = 0, freed = 0, frees = 0;
  int64_t live = 0, peak = 0;
  for (int i = 0; i < 8; i++) {
    for (int j = 0; j < 50; j++) {
      blocks[i][j] = hak_alloc_at(sizes[i], s);
      size_t u = hak_usable_size(blocks[i][j]);
      bytes += u, live += (int64_t)u;
      if (live > peak) peak = live;
    }
    for (int j = 0; j < 50; j += 2) {  // free half as we go
      size_t u = hak_usable_size(blocks[i][j]);
      hak_free_at(blocks[i][j], s);
      freed += u, frees++, live -= (int64_t)u;
    }
  }
  hak_site_stats_t st;
  assert_true(find_site(s, &st));
  assert_string_equal(st.name, "profile.test.exact");
  assert_int_equal(st.allocs, 400);
  assert_int_equal(st.bytes, bytes);
  assert_int_equal(st.frees, frees);
  assert_int_equal(st.freed_bytes, freed);
  assert_int_equal(st.live, live);
  assert_int_equal(st.peak, peak);
  for (int i = 0; i < 8; i++) {
    for (int j = 1; j < 50; j += 2) hak_free_at(blocks[i][j], s);
  }
  assert_true(find_site(s, &st));
  assert_int_equal(st.frees, 400);
  assert_int_equal(st.live, 0);
  assert_int_equal(st.peak, peak);
}

// Blocks allocated by one thread and freed by another: merged totals exact.
static hak_site_t cross_site;
static void* cross_blocks[10000];

static void* cross_alloc(void* arg) {
  (void)arg;
  for (int i = 0; i < 10000; i++) cross_blocks[i] = hak_alloc_at(64, cross_site);
  return NULL;
}

static void* cross_free(void* arg) {
  (void)arg;
  for (int i = 0; i < 10000; i++) hak_free_at(cross_blocks[i], cross_site);
  return NULL;
}

static void test_cross_thread(void** state) {
  (void)state;
  hak_profile_enable(true);
  cross_site = hak_site_register(HAK_SUBSYS("vm"), "profile.test.cross");
  pthread_t t;
  pthread_create(&t, NULL, cross_alloc, NULL);
  pthread_join(t, NULL);
  pthread_create(&t, NULL, cross_free, NULL);
  pthread_join(t, NULL);
  hak_site_stats_t st;
  assert_true(find_site(cross_site, &st));
  assert_int_equal(st.allocs, 10000);
  assert_int_equal(st.frees, 10000);
  assert_int_equal(st.bytes, 10000 * 64);
  assert_int_equal(st.live, 0);
  assert_int_equal(st.peak, 10000 * 64);
}

// Off means off: nothing is counted while profiling is off, and switching
// back on continues from the kept counters.
static void test_switching(void** state) {
  (void)state;
  hak_site_t s = hak_site_register(HAK_SUBSYS("user2"), "profile.test.switch");
  hak_profile_enable(false);
  assert_false(hak_profile_enabled());
  hak_free_at(hak_alloc_at(32, s), s);
  hak_site_stats_t st;
  assert_false(find_site(s, &st));
  hak_profile_enable(true);
  hak_free_at(hak_alloc_at(32, s), s);
  assert_true(find_site(s, &st));
  assert_int_equal(st.allocs, 1);
  assert_int_equal(st.frees, 1);
}

static char* read_all(FILE* f) {
  long n = ftell(f);
  rewind(f);
  char* buf = calloc(1, (size_t)n + 1);
  assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
  return buf;
}

// The data file (docs/profile-format.md): header, maps, the site's line with
// its counts and name (spaces and all), the end line; written whole to a
// path ("%p" is the pid); a path that cannot be written is an error.
static void test_data_file(void** state) {
  (void)state;
  hak_profile_enable(true);
  hak_site_t big = hak_site_register(HAK_SUBSYS("json"), "profile.test.data <&>");
  void* keep = hak_alloc_at(200000, big);
  FILE* f = tmpfile();
  assert_int_equal(hak_profile_dump(f), 0);
  char* text = read_all(f);
  assert_true(strncmp(text, "hakmem-profile 1\npid ", strlen("hakmem-profile 1\npid ")) == 0);
  assert_non_null(strstr(text, "\nreason api\n"));
  assert_non_null(strstr(text, "\nmap 0x"));
  char want[128];
  snprintf(want, sizeof(want), "\nsite %u json 1 1 ", hak_site_index(big));
  char* line = strstr(text, want);
  assert_non_null(line);
  assert_non_null(strstr(line, " profile.test.data <&>\n"));
  size_t n = strlen(text);
  assert_true(n > 4 && strcmp(text + n - 4, "end\n") == 0);
  fclose(f), free(text);
  char dir[] = "/tmp/hakmem-profile-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[128], real[128];
  snprintf(path, sizeof(path), "%s/p.%%p.hprof", dir);
  snprintf(real, sizeof(real), "%s/p.%ld.hprof", dir, (long)getpid());
  assert_int_equal(hak_profile_write(path), 0);
  FILE* g = fopen(real, "r");
  assert_non_null(g);
  fseek(g, 0, SEEK_END);
  char* written = read_all(g);
  assert_non_null(strstr(written, " profile.test.data <&>\n"));
  fclose(g), free(written), remove(real), rmdir(dir);
  assert_int_equal(hak_profile_write("/nonexistent/dir/x.hprof"), ENOENT);
  assert_int_equal(hak_profile_write(""), EINVAL);
  hak_free_at(keep, big);
}

// A bulk release counts the blocks it dropped as freed.
static void test_release_counts_frees(void** state) {
  (void)state;
  hak_profile_enable(true);
  hak_site_t s = hak_site_register(HAK_SUBSYS("user3"), "profile.test.release");
  for (int i = 0; i < 1000; i++) {
    void* p = hak_alloc_at(40, s);
    if (i % 4 == 0) hak_free_at(p, s);  // some freed one by one, the rest left for the release
  }
  hak_site_stats_t st;
  assert_true(find_site(s, &st));
  assert_int_equal(st.frees, 250);
  assert_true(st.live > 0);
  hak_heap_release(HAK_SUBSYS("user3"));
  assert_true(find_site(s, &st));
  assert_int_equal(st.allocs, 1000);
  assert_int_equal(st.frees, 1000);
  assert_int_equal(st.freed_bytes, st.bytes);
  assert_int_equal(st.live, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exact_counters),
      cmocka_unit_test(test_cross_thread),
      cmocka_unit_test(test_switching),
      cmocka_unit_test(test_data_file),
      cmocka_unit_test(test_release_counts_frees),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
