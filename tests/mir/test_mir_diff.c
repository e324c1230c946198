/* test_mir_diff.c: the passes never change what a program does. Programs
   run in the VM twice, compiled with and without the passes (both verified
   after every step), and must print the same stdout, the same stderr
   (runtime errors name lines, so line tables must agree) and end with the
   same status:
   - random programs from the generator of bench/mir (hkgen.h), seeded;
   - every script of tests/scripts (argv[1]: its directory), with its
     arguments.
   argv[2]: the number of random programs (default 200). */
#include <dirent.h>

#include "hkgen.h"
#include "hvm.h"
#include "mir_test.h"

static const char* scripts_dir = NULL;
static long nrandom = 200;

typedef struct run_s {
  char* out;       // stdout
  char* err;       // stderr
  int status;      // hvm_program_run's
  hmir_status_t compiled;
} run_t;

static void run_free(run_t* r) {
  free(r->out);
  free(r->err);
}

static run_t run_program(const char* file, const char* src, size_t len, bool optimize, int argc, const char* const* argv) {
  run_t r = {NULL, NULL, 0, HMIR_OK};
  size_t n1, n2;
  FILE* out = open_memstream(&r.out, &n1);
  FILE* err = open_memstream(&r.err, &n2);
  hmir_options_t opt;
  hmir_options_init(&opt);
  opt.verify = true;
  opt.optimize = optimize;
  opt.diag = err;
  hbc_module_t* m = NULL;
  r.compiled = hmir_compile_source(file, src, len, &opt, &m);
  if (r.compiled == HMIR_OK) {
    hvm_options_t vo;
    hvm_options_init(&vo);
    vo.out = out;
    vo.err = err;
    vo.argc = argc;
    vo.argv = argv;
    hvm_program_t* p = hvm_program_new(m, &vo);
    assert_non_null(p);
    r.status = hvm_program_run(p, NULL);
    hvm_program_free(p);
  }
  fclose(out);
  fclose(err);
  return r;
}

// Runs src both ways; returns the optimized run's status (-1: did not compile).
static int compare(const char* file, const char* src, size_t len, int argc, const char* const* argv) {
  run_t a = run_program(file, src, len, true, argc, argv);
  run_t b = run_program(file, src, len, false, argc, argv);
  bool same = a.compiled == b.compiled && a.status == b.status && !strcmp(a.out, b.out) && !strcmp(a.err, b.err);
  if (!same) {
    fprintf(stderr, "%s: optimized and unoptimized runs differ\n--- optimized (status %d):\n%s%s--- unoptimized (status %d):\n%s%s",
            file, a.status, a.out, a.err, b.status, b.out, b.err);
  }
  assert_true(same);
  int st = a.compiled == HMIR_OK ? a.status : -1;
  run_free(&a);
  run_free(&b);
  return st;
}

static void test_random_programs(void** state) {
  (void)state;
  long clean = 0;
  for (long k = 0; k < nrandom; k++) {
    hkgen_options_t g;
    hkgen_options_init(&g, 1000 + (uint64_t)k, 1 + (uint32_t)(k % 12));
    char* src = NULL;
    size_t len = 0;
    FILE* f = open_memstream(&src, &len);
    assert_true(hkgen_write(f, &g) > 0);
    fclose(f);
    char name[64];
    snprintf(name, sizeof name, "gen%ld.hk", k);
    clean += compare(name, src, len, 0, NULL) == 0;
    free(src);
  }
  assert_int_equal(clean, nrandom);  // the generator writes programs that run without errors
}

static char* read_file(const char* path, size_t* len) {
  FILE* f = fopen(path, "rb");
  if (!f) return NULL;
  char* buf = NULL;
  FILE* m = open_memstream(&buf, len);
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) fwrite(chunk, 1, n, m);
  fclose(f);
  fclose(m);
  return buf;
}

// Scripts whose output depends on timing or scheduling are only compiled and
// run, not compared.
static bool deterministic(const char* src) { return !strstr(src, "clock(") && !strstr(src, "spawn("); }

static void test_scripts(void** state) {
  (void)state;
  if (scripts_dir == NULL) skip();
  DIR* d = opendir(scripts_dir);
  assert_non_null(d);
  int count = 0;
  for (struct dirent* e; (e = readdir(d));) {
    size_t n = strlen(e->d_name);
    if (n < 4 || strcmp(e->d_name + n - 3, ".hk")) continue;
    char path[1024], apath[1024];
    snprintf(path, sizeof path, "%s/%s", scripts_dir, e->d_name);
    snprintf(apath, sizeof apath, "%s/%.*s.args", scripts_dir, (int)(n - 3), e->d_name);
    size_t len, alen = 0;
    char* src = read_file(path, &len);
    char* args = read_file(apath, &alen);
    const char* argv[16];
    int argc = 0;
    for (char* a = args ? strtok(args, "\n") : NULL; a && argc < 16; a = strtok(NULL, "\n")) argv[argc++] = a;
    if (deterministic(src)) {
      compare(e->d_name, src, len, argc, argv);
    } else {
      run_t r = run_program(e->d_name, src, len, true, argc, argv);
      run_free(&r);
    }
    free(src);
    free(args);
    count++;
  }
  closedir(d);
  assert_true(count > 10);
}

int main(int argc, char** argv) {
  if (argc > 1) scripts_dir = argv[1];
  if (argc > 2) nrandom = strtol(argv[2], NULL, 10);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_random_programs),
      cmocka_unit_test(test_scripts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
