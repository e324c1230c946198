/* test_vm_prof.c: stack sites. With hakmem's profile on, a script's
   allocations are named after its call stack ("<main> (f.hk:14);first
   (f.hk:6);helper (f.hk:2);array"): two functions calling one allocating
   helper get two sites with the exact counts the script makes, a deep
   recursion keeps only the leaf-side frames behind "...", every block is
   freed with the site it was allocated with, and with the profile off the
   sites are the per-line names ("f.hk:2 array"). Scripts are hk source
   compiled with runtime/mir; each test uses file names of its own, since the
   profile's counters are process-wide. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "failing_alc.h"
#include "hmir.h"
#include "vm_test.h"

// ----- A context that checks sites: every free and realloc must pass the
// site its block was allocated with; it remembers every site it saw -----
#define CK_SITES 4096

static hak_site_t ck_seen[CK_SITES];

static void ck_init(failing_alc_t* c) {
  failing_alc_init(c, 0, FAILING_ALC_SITES);
  failing_alc_record_sites(c, ck_seen, CK_SITES);
}

// Waits (at most 5 s) for spawned threads to free their VMs: join returns
// before the thread has freed its heap.
static long ck_wait_live(failing_alc_t* c) {
  for (int i = 0; i < 500 && c->live != 0; i++) usleep(10000);
  return c->live;
}

static int ck_saw(failing_alc_t* c, const char* name) {
  for (size_t i = 0; i < c->nseen; i++) {
    const char* n = hak_site_name(c->seen[i]);
    if (n && !strcmp(n, name)) return 1;
  }
  return 0;
}

static int ck_saw_stack(failing_alc_t* c) {
  for (size_t i = 0; i < c->nseen; i++) {
    const char* n = hak_site_name(c->seen[i]);
    if (n && strchr(n, ';')) return 1;
  }
  return 0;
}

// ----- Running hk source -----
// Compiles src as `file` and runs it (alc NULL: hakmem); expects status 0 and output out (NULL: any).
static void run_hk(const char* file, const char* src, const hak_alc_t* alc, int stress, const char* out) {
  hmir_options_t mo;
  hmir_options_init(&mo);
  mo.vm_alc = alc;  // the module is the program's; the compiler's own memory stays hakmem's
  hbc_module_t* m = NULL;
  assert_int_equal(hmir_compile_source(file, src, strlen(src), &mo, &m), HMIR_OK);
  hvm_options_t opt;
  hvm_options_init(&opt);
  opt.alc = alc;
  opt.gc_stress = stress;
  vm_run_t r;
  vm_run_module(m, &opt, &r);
  if (r.status != 0) fail_msg("%s: status %d, stderr: %s", file, r.status, r.err);
  if (out) assert_string_equal(r.out, out);
  vm_run_free(&r);
}

// The profile's rows (caller frees); *n gets their count.
static hak_site_stats_t* snapshot(size_t* n) {
  size_t cap = hak_profile_snapshot(NULL, 0) + 64;
  hak_site_stats_t* s = calloc(cap, sizeof *s);
  assert_non_null(s);
  *n = hak_profile_snapshot(s, cap);
  assert_true(*n <= cap);
  return s;
}

static const hak_site_stats_t* find_site(const hak_site_stats_t* s, size_t n, const char* name) {
  for (size_t i = 0; i < n; i++) {
    if (s[i].name && !strcmp(s[i].name, name)) return &s[i];
  }
  return NULL;
}

// Sites whose name contains part; each must be balanced (every block freed, with its site).
static size_t count_balanced(const hak_site_stats_t* s, size_t n, const char* part) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (!s[i].name || !strstr(s[i].name, part)) continue;
    k++;
    if (s[i].frees != s[i].allocs || s[i].live != 0)
      fail_msg("site %s: %llu allocs, %llu frees, %lld live", s[i].name, (unsigned long long)s[i].allocs,
               (unsigned long long)s[i].frees, (long long)s[i].live);
  }
  return k;
}

// ----- Two functions calling one allocating helper -----
static const char* const stacks_src =
    "fn helper(n) {\n"                                                  // 1
    "  return [n, n];\n"                                                // 2
    "}\n"                                                               // 3
    "fn first() {\n"                                                    // 4
    "  let r = 0;\n"                                                    // 5
    "  for i in range(0, 3) { r = r + len(helper(i)); }\n"              // 6
    "  return r;\n"                                                     // 7
    "}\n"                                                               // 8
    "fn second() {\n"                                                   // 9
    "  let r = 0;\n"                                                    // 10
    "  for i in range(0, 5) { r = r + len(helper(i)); }\n"              // 11
    "  return r;\n"                                                     // 12
    "}\n"                                                               // 13
    "print(first(), second());\n"                                       // 14
    "let keep = helper(7);\n"                                           // 15
    "print(len(keep));\n";                                              // 16

static void expect_allocs(const hak_site_stats_t* s, size_t n, const char* name, uint64_t allocs) {
  const hak_site_stats_t* x = find_site(s, n, name);
  if (!x) fail_msg("no site %s", name);
  assert_int_equal(x->allocs, allocs);
  assert_int_equal(hak_site_subsys(x->site), HAK_SUBSYS("vm"));
}

static void check_stacks(const char* file, int stress) {
  hak_profile_enable(true);
  run_hk(file, stacks_src, NULL, stress, "6 10\n2\n");
  hak_profile_enable(false);
  size_t n;
  hak_site_stats_t* s = snapshot(&n);
  char name[3][256];
  snprintf(name[0], sizeof name[0], "<main> (%s:14);first (%s:6);helper (%s:2);array", file, file, file);
  snprintf(name[1], sizeof name[1], "<main> (%s:14);second (%s:11);helper (%s:2);array", file, file, file);
  snprintf(name[2], sizeof name[2], "<main> (%s:15);helper (%s:2);array", file, file);
  expect_allocs(s, n, name[0], 3);
  expect_allocs(s, n, name[1], 5);
  expect_allocs(s, n, name[2], 1);
  char leaf[64];
  snprintf(leaf, sizeof leaf, "helper (%s:2);", file);
  assert_int_equal(count_balanced(s, n, leaf), 3);  // no other stack reached the helper
  char line[64];
  snprintf(line, sizeof line, "%s:2 array", file);
  assert_null(find_site(s, n, line));  // no per-line site while profiling
  free(s);
}

static void test_two_callers(void** state) {
  (void)state;
  check_stacks("stacks.hk", 0);
}

static void test_two_callers_gc_stress(void** state) {
  (void)state;
  check_stacks("stacks_gc.hk", 1);
}

// ----- Recursion: a name keeps the 64 leaf-side frames -----
static const char* deep_fmt =
    "fn down(n) {\n"                       // 1
    "  if n == 0 { return [n]; }\n"        // 2
    "  return down(n - 1);\n"              // 3
    "}\n"                                  // 4
    "print(len(down(%d)));\n";             // 5

// The name of down(depth)'s allocation, at most 64 frames.
static void deep_name(char* out, size_t cap, const char* file, int depth) {
  int frames = depth + 2;  // <main>, down(depth) .. down(0)
  size_t len = 0;
  if (frames > 64) len += (size_t)snprintf(out + len, cap - len, "...;");
  else len += (size_t)snprintf(out + len, cap - len, "<main> (%s:5);", file);
  int calls = (frames > 64 ? 64 : frames - 1) - 1;  // down frames above the leaf
  for (int j = 0; j < calls; j++) len += (size_t)snprintf(out + len, cap - len, "down (%s:3);", file);
  snprintf(out + len, cap - len, "down (%s:2);array", file);
}

static void check_deep(const char* file, int depth) {
  char src[512], name[8192];
  snprintf(src, sizeof src, deep_fmt, depth);
  hak_profile_enable(true);
  run_hk(file, src, NULL, 0, "1\n");
  hak_profile_enable(false);
  size_t n;
  hak_site_stats_t* s = snapshot(&n);
  deep_name(name, sizeof name, file, depth);
  expect_allocs(s, n, name, 1);
  char leaf[64];
  snprintf(leaf, sizeof leaf, "down (%s:2);array", file);
  assert_int_equal(count_balanced(s, n, leaf), 1);
  free(s);
}

static void test_recursion_bounded(void** state) {
  (void)state;
  check_deep("deep3.hk", 3);        // the whole stack
  check_deep("deep62.hk", 62);      // 64 frames: still whole
  check_deep("deep63.hk", 63);      // 65 frames: the root is cut
  check_deep("deep5000.hk", 5000);  // 5002 frames: 64 named
  char name[8192];
  deep_name(name, sizeof name, "deep5000.hk", 5000);
  assert_true(strlen(name) < 2048);
}

// ----- Frees pass the allocation's site (threads, maps, strings, copies) -----
static const char* const mixed_src =
    "fn work(c, n) {\n"
    "  let m = {};\n"
    "  for i in range(0, n) { m[\"k\" + str(i)] = [i, str(i * 2)]; }\n"
    "  send(c, m);\n"
    "  return split(\"a,b,c\", \",\");\n"
    "}\n"
    "fn grow(n) {\n"
    "  let a = [];\n"
    "  for i in range(0, n) { push(a, {\"i\": i}); }\n"
    "  return a;\n"
    "}\n"
    "let c = chan();\n"
    "let t = spawn(work, c, 300);\n"
    "let got = recv(c);\n"
    "let parts = join(t);\n"
    "let s = \"\";\n"
    "for k in got { s = s + k; }\n"
    "let g = grow(500);\n"
    "print(len(got), len(parts), len(g), json_stringify(json_parse(\"[1,{\\\"x\\\":2}]\")));\n";

static failing_alc_t ck_ctx;  // static: a spawned thread may still free into it after the run

static void check_mixed(int profile, int stress) {
  failing_alc_t* c = &ck_ctx;
  ck_init(c);
  hak_profile_enable(profile);
  run_hk(profile ? "mixed_on.hk" : "mixed_off.hk", mixed_src, &c->alc, stress, "300 3 500 [1,{\"x\":2}]\n");
  hak_profile_enable(false);
  assert_int_equal(ck_wait_live(c), 0);
  assert_int_equal(c->bad, 0);
  assert_int_equal(ck_saw_stack(c), profile);
  if (profile) {
    assert_true(ck_saw(c, "<main> (mixed_on.hk:18);grow (mixed_on.hk:9);map"));
    assert_true(ck_saw(c, "work (mixed_on.hk:3);concat"));  // a spawned thread's stack starts at its function
    assert_true(ck_saw(c, "<main> (mixed_on.hk:18);grow (mixed_on.hk:8);array"));  // push grows it: charged to its maker
  } else {
    assert_true(ck_saw(c, "mixed_off.hk:9 map"));
    assert_true(ck_saw(c, "mixed_off.hk:3 concat"));
  }
}

static void test_frees_match_sites(void** state) {
  (void)state;
  check_mixed(1, 0);
  check_mixed(1, 1);
}

// ----- Profile off: the per-line sites -----
static void test_profile_off(void** state) {
  (void)state;
  check_mixed(0, 0);
  failing_alc_t* c = &ck_ctx;
  ck_init(c);
  run_hk("off.hk", stacks_src, &c->alc, 0, "6 10\n2\n");
  assert_true(ck_saw(c, "off.hk:2 array"));
  assert_false(ck_saw_stack(c));
  assert_int_equal(ck_wait_live(c), 0);
  assert_int_equal(c->bad, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_two_callers),
      cmocka_unit_test(test_two_callers_gc_stress),
      cmocka_unit_test(test_recursion_bounded),
      cmocka_unit_test(test_frees_match_sites),
      cmocka_unit_test(test_profile_off),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
