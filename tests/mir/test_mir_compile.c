/* test_mir_compile.c: the compile driver (hmir_compile_*): diagnostics and
   statuses, dumps, allocation discipline (lang.* and mir.* sites for the
   compiler, vm.* for the module, MIR released in bulk once per function
   when the context can, freed block by block when it cannot), every
   out-of-memory path, and compiling on several threads at once. */
#include <pthread.h>
#include <unistd.h>

#include "mir_test.h"

static const char* const program =
    "extern \"libm.so.6\" fn sqrt(f64) -> f64;\n"
    "fn make(d) { if d == 0 { return [nil, nil]; } return [make(d - 1), make(d - 1)]; }\n"
    "fn check(t) { if t[0] == nil { return 1; } return 1 + check(t[0]) + check(t[1]); }\n"
    "fn worker(c, n) { let s = 0; for i in range(0, n) { s = s + i; } send(c, s); return n; }\n"
    "let t = make(4);\n"
    "let m = {a: [1, 2.5, \"x\"], \"b\": nil};\n"
    "for k in m { print(k, check(t), sqrt(16.0), json_stringify(m[k])); }\n"
    "let i = 0; while i < 3 and not false { i = i + 1; if i == 2 { continue; } }\n";

static char* run_compile(const char* src, hmir_options_t* opt, hmir_status_t want, hbc_module_t** out) {
  char* buf = NULL;
  size_t len = 0;
  opt->diag = open_memstream(&buf, &len);
  hmir_status_t st = hmir_compile_source("c.hk", src, strlen(src), opt, out);
  fclose(opt->diag);
  opt->diag = NULL;
  if (st != want) fprintf(stderr, "status %d:\n%s", st, buf);
  assert_int_equal(st, want);
  return buf;
}

static void test_statuses(void** state) {
  (void)state;
  hmir_options_t opt;
  hmir_options_init(&opt);
  assert_true(opt.optimize);
  hbc_module_t* m = (hbc_module_t*)1;
  char* d = run_compile("let x = ;\nprint(y);\n", &opt, HMIR_ERR_SYNTAX, &m);
  assert_null(m);
  assert_string_equal(d, "c.hk:1:9: syntax error: expected an expression, found ';'\n");
  free(d);
  d = run_compile("print(y);\n", &opt, HMIR_ERR_SYNTAX, &m);
  assert_string_equal(d, "c.hk:1:7: syntax error: undefined name 'y'\n");
  free(d);
  d = run_compile(program, &opt, HMIR_OK, &m);
  assert_string_equal(d, "");
  assert_non_null(m);
  assert_true(m->finished);
  assert_int_equal(m->nfuncs, 4);
  assert_int_equal(m->nexterns, 1);
  assert_int_equal(m->main, 0);
  assert_string_equal(m->funcs[2]->name, "check");
  assert_string_equal(m->externs[0].sym, "sqrt");
  assert_int_equal(m->externs[0].ret, HBC_FFI_F64);
  hbc_module_free(m);
  free(d);
  // out == NULL: compiled and dropped
  d = run_compile(program, &opt, HMIR_OK, NULL);
  free(d);
  assert_int_equal(hmir_status_exit_code(HMIR_OK), 0);
  assert_int_equal(hmir_status_exit_code(HMIR_ERR_SYNTAX), 2);
  assert_int_equal(hmir_status_exit_code(HMIR_ERR_LIMIT), 2);
  assert_int_equal(hmir_status_exit_code(HMIR_ERR_NOMEM), 1);
  assert_int_equal(hmir_status_exit_code(HMIR_ERR_IO), 1);
  assert_int_equal(hmir_status_exit_code(HMIR_ERR_INTERNAL), 1);
  // a program with errors given to hmir_compile_program
  hlang_program_t* p = hlang_parse(NULL, "p.hk", "1 +;", 4);
  char* buf = NULL;
  size_t len = 0;
  opt.diag = open_memstream(&buf, &len);
  assert_int_equal(hmir_compile_program(p, &opt, &m), HMIR_ERR_SYNTAX);
  fclose(opt.diag);
  assert_string_equal(buf, "p.hk:1:4: syntax error: expected an expression, found ';'\n");
  free(buf);
  hlang_program_free(p);
  assert_int_equal(hmir_compile_program(NULL, NULL, &m), HMIR_ERR_NOMEM);
}

static void test_files(void** state) {
  (void)state;
  hmir_options_t opt;
  hmir_options_init(&opt);
  char* buf = NULL;
  size_t len = 0;
  opt.diag = open_memstream(&buf, &len);
  hbc_module_t* m = NULL;
  assert_int_equal(hmir_compile_file("/nonexistent/x.hk", &opt, &m), HMIR_ERR_IO);
  fclose(opt.diag);
  assert_string_equal(buf, "hakmem: cannot read /nonexistent/x.hk: No such file or directory\n");
  free(buf);
  char path[] = "/tmp/test_mir_compile_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  // bigger than the first read buffer, so the reader grows
  for (int k = 0; k < 3000; k++) assert_true(write(fd, "let x = [1, 2, 3];\n", 19) == 19);
  close(fd);
  opt.diag = NULL;
  assert_int_equal(hmir_compile_file(path, &opt, &m), HMIR_OK);
  assert_non_null(m);
  hbc_module_free(m);
  unlink(path);
}

static void test_dumps(void** state) {
  (void)state;
  hmir_options_t opt;
  hmir_options_init(&opt);
  char *mir = NULL, *hbc = NULL;
  size_t n1 = 0, n2 = 0;
  opt.dump_mir = open_memstream(&mir, &n1);
  opt.dump_hbc = open_memstream(&hbc, &n2);
  hbc_module_t* m = NULL;
  char* d = run_compile(program, &opt, HMIR_OK, &m);
  fclose(opt.dump_mir);
  fclose(opt.dump_hbc);
  assert_non_null(strstr(mir, "fn <main>()\nb0:\n"));
  assert_non_null(strstr(mir, "fn worker(c, n)\n"));
  assert_non_null(strstr(mir, "forprep"));
  assert_non_null(strstr(hbc, "function check (index 2, arity 1"));
  assert_non_null(strstr(hbc, "FORLOOP"));
  free(mir);
  free(hbc);
  free(d);
  hbc_module_free(m);
}

// Compiler memory from one context, the module's from another: each sees only
// its own subsystems; nothing is left but the module, and it goes with it.
static void check_contexts(bool bulk) {
  failing_alc_t a, v;
  failing_alc_init(&a, FAILING_ALC_MASK("lang") | FAILING_ALC_MASK("mir"), bulk ? FAILING_ALC_BULK : 0);
  failing_alc_init(&v, FAILING_ALC_MASK("vm"), 0);
  hmir_options_t opt;
  hmir_options_init(&opt);
  opt.verify = true;
  opt.alc = &a.alc;
  opt.vm_alc = &v.alc;
  hbc_module_t* m = NULL;
  free(run_compile(program, &opt, HMIR_OK, &m));
  assert_int_equal(a.bad, 0);
  assert_int_equal(v.bad, 0);
  assert_int_equal(a.live, 0);
  assert_int_equal(a.releases, bulk ? 4 : 0);  // once per function
  assert_true(a.allocs > 200);                 // many small MIR nodes
  assert_true(v.live > 0);
  hbc_module_free(m);
  assert_int_equal(v.live, 0);
  assert_int_equal(v.bad, 0);
}

static void test_contexts(void** state) {
  (void)state;
  check_contexts(true);
  check_contexts(false);
}

// hakmem's own context releases the MIR heap in bulk: one release per function.
static void test_hakmem_bulk_release(void** state) {
  (void)state;
  hak_stats_t before, after;
  before.size = after.size = sizeof before;
  hak_stats_get(&before);
  hmir_options_t opt;
  hmir_options_init(&opt);
  hbc_module_t* m = NULL;
  free(run_compile(program, &opt, HMIR_OK, &m));
  hak_stats_get(&after);
  assert_true(after.heap_releases >= before.heap_releases + 4);
  hbc_module_free(m);
}

// Compiles program with the MIR dump on, into a fresh string (free it).
static char* mir_dump_of(failing_alc_t* t, bool optimize, hmir_status_t* st) {
  hmir_options_t opt;
  hmir_options_init(&opt);
  opt.optimize = optimize;
  opt.alc = &t->alc;
  char *buf = NULL, *dump = NULL;
  size_t len = 0, dlen = 0;
  opt.diag = open_memstream(&buf, &len);
  opt.dump_mir = open_memstream(&dump, &dlen);
  hbc_module_t* m = NULL;
  *st = hmir_compile_source("o.hk", program, strlen(program), &opt, &m);
  fclose(opt.diag);
  fclose(opt.dump_mir);
  if (*st != HMIR_OK) assert_non_null(strstr(buf, "out of memory"));
  free(buf);
  hbc_module_free(m);
  return dump;
}

// Every allocation failing in turn: HMIR_ERR_NOMEM and its message, or
// success once no allocation fails; nothing leaked either way. With the
// MIR dump on (dump), a compile that succeeds wrote the same text as one
// without failures, and one that failed a prefix of it.
static void check_oom(bool bulk, bool optimize, bool dump) {
  bool done = false;
  long fails = 0;
  char* want = NULL;
  if (dump) {
    failing_alc_t t;
    failing_alc_init(&t, MIR_ALC_MASK, bulk ? FAILING_ALC_BULK : 0);
    hmir_status_t st;
    want = mir_dump_of(&t, optimize, &st);
    assert_int_equal(st, HMIR_OK);
    failing_alc_drain(&t);
  }
  for (long at = 1; dump && !done; at++) {
    failing_alc_t t;
    failing_alc_init(&t, MIR_ALC_MASK, bulk ? FAILING_ALC_BULK : 0);
    t.fail_at = at;
    hmir_status_t st;
    char* got = mir_dump_of(&t, optimize, &st);
    if (st == HMIR_OK) {
      assert_string_equal(got, want);
      done = t.attempts < at;
    } else {
      assert_int_equal(st, HMIR_ERR_NOMEM);
      assert_true(strncmp(want, got, strlen(got)) == 0);
      fails++;
    }
    free(got);
    assert_int_equal(t.bad, 0);
    assert_int_equal(t.live, 0);
    failing_alc_drain(&t);
    assert_true(at < 100000);
  }
  free(want);
  for (long at = 1; !dump && !done; at++) {
    failing_alc_t t;
    failing_alc_init(&t, MIR_ALC_MASK, bulk ? FAILING_ALC_BULK : 0);
    t.fail_at = at;
    hmir_options_t opt;
    hmir_options_init(&opt);
    opt.verify = true;
    opt.optimize = optimize;
    opt.alc = &t.alc;
    char* buf = NULL;
    size_t len = 0;
    opt.diag = open_memstream(&buf, &len);
    hbc_module_t* m = NULL;
    hmir_status_t st = hmir_compile_source("o.hk", program, strlen(program), &opt, &m);
    fclose(opt.diag);
    if (st == HMIR_OK) {
      assert_non_null(m);
      hbc_module_free(m);
      done = t.attempts < at;
    } else {
      assert_int_equal(st, HMIR_ERR_NOMEM);
      assert_null(m);
      assert_non_null(strstr(buf, "out of memory"));
      fails++;
    }
    free(buf);
    assert_int_equal(t.bad, 0);
    assert_int_equal(t.live, 0);
    failing_alc_drain(&t);
    assert_true(at < 100000);
  }
  assert_true(fails > 100);
}

static void test_oom(void** state) {
  (void)state;
  check_oom(true, true, false);
  check_oom(false, true, false);
  check_oom(true, false, false);
}

// The dump's own allocations failing: out of memory, never a different text.
static void test_oom_dump(void** state) {
  (void)state;
  check_oom(true, true, true);
  check_oom(false, false, true);
}

static void* compile_thread(void* arg) {
  char** out = arg;
  hmir_options_t opt;
  hmir_options_init(&opt);
  char* buf = NULL;
  size_t len = 0;
  opt.dump_hbc = open_memstream(&buf, &len);
  for (int k = 0; k < 20; k++) {
    hbc_module_t* m = NULL;
    if (hmir_compile_source("t.hk", program, strlen(program), &opt, &m) != HMIR_OK) return NULL;
    hbc_module_free(m);
    if (k == 0) fflush(opt.dump_hbc);
  }
  fclose(opt.dump_hbc);
  *out = buf;
  return NULL;
}

// Threads compile at once, each in its own MIR heap: the same bytecode.
static void test_threads(void** state) {
  (void)state;
  pthread_t th[4];
  char* dumps[4] = {NULL};
  for (int k = 0; k < 4; k++) assert_int_equal(pthread_create(&th[k], NULL, compile_thread, &dumps[k]), 0);
  for (int k = 0; k < 4; k++) pthread_join(th[k], NULL);
  for (int k = 0; k < 4; k++) {
    assert_non_null(dumps[k]);
    assert_string_equal(dumps[k], dumps[0]);
  }
  for (int k = 0; k < 4; k++) free(dumps[k]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_statuses), cmocka_unit_test(test_files),
      cmocka_unit_test(test_dumps),    cmocka_unit_test(test_contexts),
      cmocka_unit_test(test_hakmem_bulk_release), cmocka_unit_test(test_oom), cmocka_unit_test(test_oom_dump),
      cmocka_unit_test(test_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
