/* test_vm_threads.c: spawn/join, channels, deep copies between VMs, errors
   in threads, many threads at once (also a TSan test). */
#include <pthread.h>

#include "vm_test.h"

static void test_spawn_join(void** state) {
  // worker(c, n): sums 0..n-1, sends the sum, returns [n, "done"]
  vm_expect_out(
      "fn <main> 0\n"
      "CALLB 1 0 0 chan\n"
      "LOADFN 2 worker\n"
      "MOVE 3 1\n"
      "LOADK 4 1000\n"
      "CALLB 5 2 3 spawn\n"
      "MOVE 6 1\n"
      "CALLB 6 6 1 recv\n"
      "MOVE 7 5\n"
      "CALLB 7 7 1 join\n"
      "MOVE 8 5\n"
      "CALLB 8 8 1 join\n"       // a second join gives the result again
      "EQ 9 7 8\n"               // two copies: not identical
      "CALLB 0 6 4 print\n"
      "RETNIL\n"
      "fn worker 2\n"
      "LOADI 2 0\n"
      "LOADI 3 0\n"
      "MOVE 4 1\n"
      "LOADI 5 1\n"
      "FORPREP 3 @end\n"
      "@body:\n"
      "ADD 2 2 6\n"
      "FORLOOP 3 @body\n"
      "@end:\n"
      "MOVE 7 0\n"
      "MOVE 8 2\n"
      "CALLB 7 7 2 send\n"
      "MOVE 7 1\n"
      "LOADK 8 \"done\"\n"
      "NEWARR 7 7 2\n"
      "RET 7\n",
      "499500 [1000,\"done\"] [1000,\"done\"] false\n");
}

static void test_deep_copy(void** state) {
  // a cyclic structure with sharing crosses a channel: the copy keeps both,
  // and changing the original after send does not change the copy
  vm_expect_out(
      "fn <main> 0\n"
      "CALLB 1 0 0 chan\n"
      "LOADK 3 \"shared\"\n"
      "NEWARR 2 3 1\n"           // s = ["shared"]
      "NEWARR 4 2 1\n"           // a = [s]
      "APPEND 4 2\n"             // a = [s, s]
      "APPEND 4 4\n"             // a = [s, s, a]
      "LOADK 5 \"k\"\n"
      "NEWMAP 6 5 1\n"           // m = {"k": "k"}
      "SETFIELD 6 \"a\" 4\n"
      "SETFIELD 6 \"c\" 1\n"     // the channel itself: shared, not copied
      "MOVE 7 1\n"
      "MOVE 8 6\n"
      "CALLB 7 7 2 send\n"
      "LOADI 9 99\n"
      "SETINDEXI 2 0 9\n"        // s[0] = 99 after the send
      "MOVE 10 1\n"
      "CALLB 10 10 1 recv\n"     // r
      "GETFIELD 11 10 \"a\"\n"   // r.a
      "GETINDEXI 12 11 0\n"
      "GETINDEXI 13 11 1\n"
      "EQ 14 12 13\n"            // sharing kept: true
      "GETINDEXI 15 11 2\n"
      "EQ 16 15 11\n"            // cycle kept: true
      "GETINDEXI 17 12 0\n"      // "shared", not 99
      "GETFIELD 18 10 \"c\"\n"
      "EQ 19 18 1\n"             // the same channel
      "MOVE 20 14\n"
      "MOVE 21 16\n"
      "MOVE 22 17\n"
      "MOVE 23 19\n"
      "CALLB 0 20 4 print\n"
      "RETNIL\n",
      "true true shared true\n");
}

static void test_channel_close(void** state) {
  // producer sends 1..100 and closes; consumer (main) sums until recv gives nil
  vm_expect_out(
      "fn <main> 0\n"
      "CALLB 1 0 0 chan\n"
      "LOADFN 2 producer\n"
      "MOVE 3 1\n"
      "CALLB 4 2 2 spawn\n"
      "LOADI 5 0\n"
      "@loop:\n"
      "MOVE 6 1\n"
      "CALLB 6 6 1 recv\n"
      "JEQK 6 nil 1 @done\n"
      "ADD 5 5 6\n"
      "JMP @loop\n"
      "@done:\n"
      "MOVE 7 4\n"
      "CALLB 7 7 1 join\n"
      "MOVE 8 1\n"
      "CALLB 8 8 1 recv\n"        // closed and empty: nil again
      "MOVE 9 1\n"
      "CALLB 9 9 1 close\n"       // closing twice is fine
      "CALLB 0 5 1 print\n"
      "CALLB 0 8 1 print\n"
      "RETNIL\n"
      "fn producer 1\n"
      "LOADI 1 1\n"
      "LOADI 2 101\n"
      "LOADI 3 1\n"
      "FORPREP 1 @end\n"
      "@body:\n"
      "MOVE 5 0\n"
      "MOVE 6 4\n"
      "CALLB 5 5 2 send\n"
      "FORLOOP 1 @body\n"
      "@end:\n"
      "MOVE 5 0\n"
      "CALLB 5 5 1 close\n"
      "RETNIL\n",
      "5050\nnil\n");
  vm_expect_error(
      "fn <main> 0\n"
      "CALLB 1 0 0 chan\n"
      "MOVE 2 1\n"
      "CALLB 2 2 1 close\n"
      "MOVE 2 1\n"
      "LOADI 3 1\n"
      "CALLB 2 2 2 send\n"
      "RETNIL\n",
      "t.hk:7: runtime error: send() on a closed channel");
  vm_expect_error("fn <main> 0\nLOADI 1 1\nCALLB 1 1 1 recv\nRETNIL\n",
                  "t.hk:3: runtime error: recv() argument 1 must be a channel, not int");
}

static void test_thread_errors(void** state) {
  vm_run_t r;
  vm_run_asm(
      "fn <main> 0\n"
      "LOADFN 1 bad\n"
      "LOADI 2 0\n"
      "CALLB 3 1 2 spawn\n"
      "CALLB 3 3 1 join\n"
      "RETNIL\n"
      "fn bad 1\n"
      "LOADI 1 1\n"
      "DIV 0 1 0\n"
      "RET 0\n",
      &r);
  assert_int_equal(r.status, 1);
  assert_string_equal(r.err,
                      "t.hk:5: runtime error: thread failed at t.hk:9: division by zero\n"
                      "  at <main> (t.hk:5)\n"
                      "  in the thread:\n"
                      "  at bad (t.hk:9)\n");
  vm_run_free(&r);
  vm_expect_error("fn <main> 0\nLOADFN 1 two\nCALLB 1 1 1 spawn\nRETNIL\nfn two 2\nRETNIL\n",
                  "t.hk:3: runtime error: two expects 2 arguments, got 0");
  vm_expect_error("fn <main> 0\nLOADBI 1 print\nCALLB 1 1 1 spawn\nRETNIL\n",
                  "t.hk:3: runtime error: spawn() argument 1 must be a script function, not a builtin or extern");
}

static void test_many_threads(void** state) {
  // 16 workers each build a list of 2000 strings and send it; main joins all
  vm_expect_out(
      "fn <main> 0\n"
      "CALLB 1 0 0 chan\n"
      "NEWARR 2 0 0\n"
      "LOADI 3 0\n"
      "LOADI 4 16\n"
      "LOADI 5 1\n"
      "FORPREP 3 @e1\n"
      "@b1:\n"
      "LOADFN 7 worker\n"
      "MOVE 8 1\n"
      "MOVE 9 6\n"
      "CALLB 7 7 3 spawn\n"
      "APPEND 2 7\n"
      "FORLOOP 3 @b1\n"
      "@e1:\n"
      "LOADI 10 0\n"
      "LOADI 3 0\n"
      "LOADI 4 16\n"
      "LOADI 5 1\n"
      "FORPREP 3 @e2\n"
      "@b2:\n"
      "MOVE 7 1\n"
      "CALLB 7 7 1 recv\n"
      "CALLB 7 7 1 len\n"
      "ADD 10 10 7\n"
      "FORLOOP 3 @b2\n"
      "@e2:\n"
      "LOADI 11 0\n"
      "MOVE 12 2\n"
      "ITERPREP 12 @n3\n"
      "@b3:\n"
      "MOVE 15 14\n"
      "CALLB 15 15 1 join\n"
      "ADD 11 11 15\n"
      "@n3:\n"
      "ITERNEXT 12 @b3\n"
      "CALLB 0 10 2 print\n"
      "RETNIL\n"
      "fn worker 2\n"
      "NEWARR 2 0 0\n"
      "LOADI 3 0\n"
      "LOADI 4 2000\n"
      "LOADI 5 1\n"
      "FORPREP 3 @end\n"
      "@body:\n"
      "CALLB 7 6 1 str\n"
      "APPEND 2 7\n"
      "FORLOOP 3 @body\n"
      "@end:\n"
      "MOVE 8 0\n"
      "MOVE 9 2\n"
      "CALLB 8 8 2 send\n"
      "RET 1\n",
      "32000 120\n");
}

// One program run by 8 threads at once (what `hakmem run --threads 8` does):
// separate VMs, shared module, sites and externs.
typedef struct runner_s {
  hvm_program_t* p;
  int status;
} runner_t;

static void* run_once(void* arg) {
  runner_t* r = arg;
  r->status = hvm_program_run(r->p, NULL);
  return NULL;
}

static void test_concurrent_runs(void** state) {
  size_t ol;
  char* out = NULL;
  hvm_options_t opt;
  hvm_options_init(&opt);
  opt.out = open_memstream(&out, &ol);
  hvm_program_t* p = hvm_program_new(vm_asm("extern sqrt \"libm.so.6\" f64 -> f64\n"
                                            "fn <main> 0\n"
                                            "NEWMAP 1 0 0\n"
                                            "LOADI 2 0\n"
                                            "LOADI 3 3000\n"
                                            "LOADI 4 1\n"
                                            "FORPREP 2 @end\n"
                                            "@body:\n"
                                            "CALLB 6 5 1 str\n"
                                            "SETINDEX 1 6 5\n"
                                            "FORLOOP 2 @body\n"
                                            "@end:\n"
                                            "CALLB 7 1 1 len\n"
                                            "LOADK 8 2.25\n"
                                            "CALLX 8 8 1 sqrt\n"
                                            "CALLB 0 7 2 print\n"
                                            "RETNIL\n"),
                                     &opt);
  runner_t r[8];
  pthread_t t[8];
  for (int j = 0; j < 8; j++) {
    r[j].p = p;
    assert_int_equal(pthread_create(&t[j], NULL, run_once, &r[j]), 0);
  }
  for (int j = 0; j < 8; j++) {
    pthread_join(t[j], NULL);
    assert_int_equal(r[j].status, 0);
  }
  hvm_program_free(p);
  fclose(opt.out);
  assert_string_equal(out,
                      "3000 1.5\n3000 1.5\n3000 1.5\n3000 1.5\n3000 1.5\n3000 1.5\n3000 1.5\n3000 1.5\n");
  free(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_spawn_join),   cmocka_unit_test(test_deep_copy),
      cmocka_unit_test(test_channel_close), cmocka_unit_test(test_thread_errors),
      cmocka_unit_test(test_many_threads), cmocka_unit_test(test_concurrent_runs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
