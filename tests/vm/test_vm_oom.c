/* test_vm_oom.c: every out-of-memory path of the VM (docs/style.md, Tests). A counting
   allocation context fails its Nth allocation; for every N until a run gets
   through, the program must end with status 0 or with the runtime error
   "out of memory" (or hvm_program_new returning NULL), never crash, and
   after hvm_program_free every block must have been freed. Programs cover
   arrays, maps (growth, index), strings, json_parse/stringify, deep copies
   over channels and spawned threads. Each also runs under GC stress. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "failing_alc.h"
#include "vm_test.h"

// Runs text with allocation fail_at failing; returns 1 when the run got
// through without hitting the failure.
static int run_failing(const char* text, long fail_at, int stress) {
  failing_alc_t f;
  failing_alc_init(&f, 0, 0);
  f.fail_at = fail_at;
  hvm_options_t opt;
  hvm_options_init(&opt);
  opt.alc = &f.alc;
  opt.gc_stress = stress;
  size_t ol, el;
  char *out = NULL, *err = NULL;
  opt.out = open_memstream(&out, &ol);
  opt.err = open_memstream(&err, &el);
  hvm_program_t* p = hvm_program_new(vm_asm(text), &opt);
  int status = -1;
  hvm_result_t res;
  if (p) {
    status = hvm_program_run(p, &res);
    hvm_program_free(p);
  } else {
    assert_int_equal(f.failures, 1);
  }
  fclose(opt.out);
  fclose(opt.err);
  if (p && status != 0) {
    if (status != 1 || !strstr(err, "out of memory"))
      fail_msg("fail_at %ld: status %d, stderr: %s", fail_at, status, err);
    assert_int_equal(f.failures, 1);
  }
  // a detached thread may still be tearing its VM down: give it 5 s
  for (int i = 0; i < 500 && f.live != 0; i++) usleep(10000);
  if (f.live != 0) {
    fail_msg("fail_at %ld: %ld blocks (%zu bytes) not freed", fail_at, (long)f.live, (size_t)f.live_bytes);
  }
  assert_int_equal(f.bad, 0);
  free(out);
  free(err);
  return p && status == 0 && f.failures == 0;
}

static void sweep(const char* text) {
  for (int stress = 0; stress <= 1; stress++) {
    long n = 1;
    while (!run_failing(text, n, stress)) {
      n++;
      if (n > 200000) fail_msg("no run got through");
    }
    assert_true(n > 5);  // the sweep went through several failure points
  }
}

static void test_oom_containers(void** state) {
  sweep(
      "fn <main> 0\n"
      "NEWMAP 1 0 0\n"
      "NEWARR 2 0 0\n"
      "LOADI 3 0\n"
      "LOADI 4 40\n"
      "LOADI 5 1\n"
      "FORPREP 3 @end\n"
      "@body:\n"
      "CALLB 7 6 1 str\n"
      "ADDK 8 7 \"!\"\n"
      "SETINDEX 1 8 6\n"
      "SETINDEX 1 6 8\n"
      "APPEND 2 8\n"
      "NEWARR 9 6 2\n"
      "APPEND 2 9\n"
      "FORLOOP 3 @body\n"
      "@end:\n"
      "MOVE 10 2\n"
      "LOADK 11 \",\"\n"
      "CALLB 0 1 1 keys\n"
      "CALLB 0 1 1 print\n"
      "RETNIL\n");
}

static void test_oom_json_strings(void** state) {
  sweep(
      "fn <main> 0\n"
      "LOADK 1 \"{\\\"a\\\": [1, 2.5, \\\"x\\\", {\\\"b\\\": null}], \\\"c\\\": \\\"d\\\"}\"\n"
      "CALLB 2 1 1 json_parse\n"
      "LOADI 3 2\n"
      "CALLB 4 2 2 json_stringify\n"
      "LOADK 5 \", \"\n"
      "CALLB 6 4 2 split\n"
      "MOVE 7 6\n"
      "LOADK 8 \"|\"\n"
      "CALLB 9 7 2 join\n"
      "CALLB 9 9 1 upper\n"
      "LOADI 10 3\n"
      "LOADI 11 4\n"
      "CALLB 12 9 3 substr\n"
      "CALLB 13 0 0 args\n"
      "LOADI 14 0\n"
      "LOADI 15 5\n"
      "CALLB 16 14 2 range\n"
      "CALLB 0 9 1 print\n"
      "RETNIL\n");
}

static void test_oom_threads(void** state) {
  sweep(
      "fn <main> 0\n"
      "CALLB 1 0 0 chan\n"
      "LOADFN 2 worker\n"
      "MOVE 3 1\n"
      "LOADK 4 \"payload\"\n"
      "NEWARR 4 4 1\n"
      "APPEND 4 4\n"         // cyclic: the copy keeps the cycle
      "CALLB 5 2 3 spawn\n"
      "MOVE 7 5\n"
      "CALLB 7 7 1 join\n"  // first: a worker that ran out of memory never sends
      "MOVE 6 1\n"
      "CALLB 6 6 1 recv\n"
      "CALLB 0 7 1 print\n"
      "RETNIL\n"
      "fn worker 2\n"
      "MOVE 2 0\n"
      "MOVE 3 1\n"
      "CALLB 2 2 2 send\n"
      "LOADK 4 \"x\"\n"
      "LOADK 5 \"y\"\n"
      "NEWMAP 6 4 1\n"
      "RET 6\n");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_oom_containers),
      cmocka_unit_test(test_oom_json_strings),
      cmocka_unit_test(test_oom_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
