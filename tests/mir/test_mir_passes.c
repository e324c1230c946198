/* test_mir_passes.c: each pass on small functions, against the expected MIR
   text (the verifier runs after every pass), then the whole pipeline. */
#include "mir_test.h"

// Folding: ints (wrapping), floats, int/float mixes, strings, comparisons, not.
static void test_sccp_fold(void** state) {
  (void)state;
  MIR_EXPECT("fn f() { let x = 2 * 3 + 1; let s = \"a\" + \"b\"; let c = \"a\" < \"b\"; return [x, s, c, 1 == 1.0, nil == false, not nil, 9223372036854775807 + 1, 1 + 0.5, 7 / 2, -7 / 2, 7.0 / 2, 7 % 3, -(-9223372036854775808)]; }", "f",
             "fn f()\n"
             "b0:\n"
             "  %0 = const 2\n"
             "  %1 = const 3\n"
             "  %2 = const 6\n"
             "  %3 = const 1\n"
             "  %4 = const 7\n"
             "  %5 = const \"a\"\n"
             "  %6 = const \"b\"\n"
             "  %7 = const \"ab\"\n"
             "  %8 = const \"a\"\n"
             "  %9 = const \"b\"\n"
             "  %10 = const true\n"
             "  %11 = const 1\n"
             "  %12 = const 1.0\n"
             "  %13 = const true\n"
             "  %14 = const nil\n"
             "  %15 = const false\n"
             "  %16 = const false\n"
             "  %17 = const nil\n"
             "  %18 = const true\n"
             "  %19 = const 9223372036854775807\n"
             "  %20 = const 1\n"
             "  %21 = const -9223372036854775808\n"
             "  %22 = const 1\n"
             "  %23 = const 0.5\n"
             "  %24 = const 1.5\n"
             "  %25 = const 7\n"
             "  %26 = const 2\n"
             "  %27 = const 3\n"
             "  %28 = const 7\n"
             "  %29 = const -7\n"
             "  %30 = const 2\n"
             "  %31 = const -3\n"
             "  %32 = const 7.0\n"
             "  %33 = const 2\n"
             "  %34 = const 3.5\n"
             "  %35 = const 7\n"
             "  %36 = const 3\n"
             "  %37 = const 1\n"
             "  %38 = const -9223372036854775808\n"
             "  %39 = const -9223372036854775808\n"
             "  %40 = array %4, %7, %10, %13, %16, %18, %21, %24, %27, %31, %34, %37, %39\n"
             "  ret %40\n",
             HMIR_PASS_SCCP, MIR_END);
}

// What may fail at run time, or is the VM's to define, stays.
static void test_sccp_no_fold(void** state) {
  (void)state;
  MIR_EXPECT("fn f() { return [1 / 0, 1 % 0, \"a\" + 1, 5 % -2, -5 % 2, -9223372036854775808 / -1, 1 < \"a\", 1.5 % 2.0, nil < 1, -\"s\", [] == [], 9007199254740993 == 9007199254740992.0]; }", "f",
             "fn f()\n"
             "b0:\n"
             "  %0 = const 1\n"
             "  %1 = const 0\n"
             "  %2 = div %0, %1\n"
             "  %3 = const 1\n"
             "  %4 = const 0\n"
             "  %5 = mod %3, %4\n"
             "  %6 = const \"a\"\n"
             "  %7 = const 1\n"
             "  %8 = add %6, %7\n"
             "  %9 = const 5\n"
             "  %10 = const 2\n"
             "  %11 = const -2\n"
             "  %12 = mod %9, %11\n"
             "  %13 = const 5\n"
             "  %14 = const -5\n"
             "  %15 = const 2\n"
             "  %16 = mod %14, %15\n"
             "  %17 = const -9223372036854775808\n"
             "  %18 = const 1\n"
             "  %19 = const -1\n"
             "  %20 = div %17, %19\n"
             "  %21 = const 1\n"
             "  %22 = const \"a\"\n"
             "  %23 = lt %21, %22\n"
             "  %24 = const 1.5\n"
             "  %25 = const 2.0\n"
             "  %26 = mod %24, %25\n"
             "  %27 = const nil\n"
             "  %28 = const 1\n"
             "  %29 = lt %27, %28\n"
             "  %30 = const \"s\"\n"
             "  %31 = neg %30\n"
             "  %32 = array\n"
             "  %33 = array\n"
             "  %34 = eq %32, %33\n"
             "  %35 = const 9007199254740993\n"
             "  %36 = const 9007199254740992.0\n"
             "  %37 = eq %35, %36\n"
             "  %38 = array %2, %5, %8, %12, %16, %20, %23, %26, %29, %31, %34, %37\n"
             "  ret %38\n",
             HMIR_PASS_SCCP, MIR_END);
}

// Propagation through phis: only executable edges count; the phi of k is 5 on every edge, the phi of x becomes 2 (the else edge cannot run).
static void test_sccp_branches(void** state) {
  (void)state;
  MIR_EXPECT("fn f(a) { let x = 1; if x > 0 { x = 2; } else { x = 3; } let k = 5; let i = 0; while i < a { k = 5; i = i + 1; } return [x, k, i]; }", "f",
             "fn f(a)\n"
             "b0:\n"
             "  %0 = param 0\n"
             "  %1 = const 1\n"
             "  %2 = const 0\n"
             "  %3 = const true\n"
             "  br %3, b1, b2\n"
             "b1:  ; preds b0\n"
             "  %4 = const 2\n"
             "  jmp b3\n"
             "b2:  ; preds b0\n"
             "  %5 = const 3\n"
             "  jmp b3\n"
             "b3:  ; preds b1, b2\n"
             "  %6 = const 2\n"
             "  %7 = const 5\n"
             "  %8 = const 0\n"
             "  jmp b4\n"
             "b4:  ; preds b3, b5\n"
             "  %9 = phi [%8, b3], [%14, b5]\n"
             "  %10 = const 5\n"
             "  %11 = lt %9, %0\n"
             "  br %11, b5, b6\n"
             "b5:  ; preds b4\n"
             "  %12 = const 5\n"
             "  %13 = const 1\n"
             "  %14 = add %9, %13\n"
             "  jmp b4\n"
             "b6:  ; preds b4\n"
             "  %15 = array %6, %10, %9\n"
             "  ret %15\n",
             HMIR_PASS_SCCP, MIR_END);
}

// A value assigned only on a dead path does not spoil the constant.
static void test_sccp_dead_edge(void** state) {
  (void)state;
  MIR_EXPECT("fn f() { let x = 1; if false { x = 2; } return x; }", "f",
             "fn f()\n"
             "b0:\n"
             "  %0 = const 1\n"
             "  %1 = const false\n"
             "  br %1, b1, b2\n"
             "b1:  ; preds b0\n"
             "  %2 = const 2\n"
             "  jmp b2\n"
             "b2:  ; preds b0, b1\n"
             "  %3 = const 1\n"
             "  ret %3\n",
             HMIR_PASS_SCCP, MIR_END);
}

// x = x in a loop leaves a trivial phi [a, itself]: uses of it become a.
static void test_copyprop_trivial_phi(void** state) {
  (void)state;
  MIR_EXPECT("fn f(a, n) { let x = a; let i = 0; while i < n { x = x; i = i + 1; } return x; }", "f",
             "fn f(a, n)\n"
             "b0:\n"
             "  %0 = param 0\n"
             "  %1 = param 1\n"
             "  %2 = const 0\n"
             "  jmp b1\n"
             "b1:  ; preds b0, b2\n"
             "  %3 = phi [%2, b0], [%6, b2]\n"
             "  %4 = lt %3, %1\n"
             "  br %4, b2, b3\n"
             "b2:  ; preds b1\n"
             "  %5 = const 1\n"
             "  %6 = add %3, %5\n"
             "  jmp b1\n"
             "b3:  ; preds b1\n"
             "  ret %0\n",
             HMIR_PASS_COPYPROP, MIR_END);
}

// cfg folds the constant branch, drops the dead block, merges the rest (the join's phi becomes a copy) ...
static void test_cfg_constant_branch(void** state) {
  (void)state;
  MIR_EXPECT("fn f(a) { let x = a; if true { x = 2; } return x; }", "f",
             "fn f(a)\n"
             "b0:\n"
             "  %0 = param 0\n"
             "  %1 = const true\n"
             "  %2 = const 2\n"
             "  %3 = copy %2\n"
             "  ret %3\n",
             HMIR_PASS_CFG, MIR_END);
}

// ... and copyprop removes the copy.
static void test_cfg_then_copyprop(void** state) {
  (void)state;
  MIR_EXPECT("fn f(a) { let x = a; if true { x = 2; } return x; }", "f",
             "fn f(a)\n"
             "b0:\n"
             "  %0 = param 0\n"
             "  %1 = const true\n"
             "  %2 = const 2\n"
             "  ret %2\n",
             HMIR_PASS_CFG, HMIR_PASS_COPYPROP, MIR_END);
}

// An empty then-block is bypassed; br X, X becomes jmp; blocks merge.
static void test_cfg_empty_block(void** state) {
  (void)state;
  MIR_EXPECT("fn f(a) { if a { } return 1; }", "f",
             "fn f(a)\n"
             "b0:\n"
             "  %0 = param 0\n"
             "  %1 = const 1\n"
             "  ret %1\n",
             HMIR_PASS_CFG, MIR_END);
}

// The empty block of `and` stays: the phi tells the two edges apart.
static void test_cfg_keeps_needed_block(void** state) {
  (void)state;
  MIR_EXPECT("fn f(a, b) { return a and b; }", "f",
             "fn f(a, b)\n"
             "b0:\n"
             "  %0 = param 0\n"
             "  %1 = param 1\n"
             "  br %0, b1, b2\n"
             "b1:  ; preds b0\n"
             "  jmp b2\n"
             "b2:  ; preds b0, b1\n"
             "  %2 = phi [%0, b0], [%1, b1]\n"
             "  ret %2\n",
             HMIR_PASS_CFG, MIR_END);
}

// while true: the exit is unreachable, the loop body merges into the header.
static void test_cfg_endless_loop(void** state) {
  (void)state;
  MIR_EXPECT("fn f(a) { while true { if a { return 1; } } return 2; }", "f",
             "fn f(a)\n"
             "b0:\n"
             "  %0 = param 0\n"
             "  jmp b1\n"
             "b1:  ; preds b0, b1\n"
             "  %1 = const true\n"
             "  br %0, b2, b1\n"
             "b2:  ; preds b1\n"
             "  %2 = const 1\n"
             "  ret %2\n",
             HMIR_PASS_CFG, MIR_END);
}

// Unused values that cannot fail go: int arithmetic, literals, ==, float % 0 (a NaN, not an error).
static void test_dce_pure(void** state) {
  (void)state;
  MIR_EXPECT("fn f(a) { let x = 1 + 2; let y = [1, a]; let z = a == 1; let w = {\"k\": 1}; let v = 10 / 2; let u = 10.5 % 0; return a; }", "f",
             "fn f(a)\n"
             "b0:\n"
             "  %0 = param 0\n"
             "  ret %0\n",
             HMIR_PASS_DCE, MIR_END);
}

// Unused values that may fail stay (a + 1 on an unknown a, indexing, 1 / a, a map with an array key, 1 < "x"), and effects stay; "s" + "t" goes.
static void test_dce_keeps_traps(void** state) {
  (void)state;
  MIR_EXPECT("fn f(a, m) { let x = a + 1; let y = m[0]; let z = 1 / a; let w = {a: 1, [1]: 2}; let q = \"s\" + \"t\"; print(1); m.k = 2; let c = 1 < \"x\"; return 1; }", "f",
             "fn f(a, m)\n"
             "b0:\n"
             "  %0 = param 0\n"
             "  %1 = param 1\n"
             "  %2 = const 1\n"
             "  %3 = add %0, %2\n"
             "  %4 = const 0\n"
             "  %5 = index %1, %4\n"
             "  %6 = const 1\n"
             "  %7 = div %6, %0\n"
             "  %8 = const \"a\"\n"
             "  %9 = const 1\n"
             "  %10 = const 1\n"
             "  %11 = array %10\n"
             "  %12 = const 2\n"
             "  %13 = map %8: %9, %11: %12\n"
             "  %14 = const 1\n"
             "  %15 = callbi print(%14)\n"
             "  %16 = const \"k\"\n"
             "  %17 = const 2\n"
             "  setindex %1, %16, %17\n"
             "  %18 = const 1\n"
             "  %19 = const \"x\"\n"
             "  %20 = lt %18, %19\n"
             "  %21 = const 1\n"
             "  ret %21\n",
             HMIR_PASS_DCE, MIR_END);
}

// A loop-carried value nobody reads: the phi and its add are a dead cycle.
static void test_dce_dead_cycle(void** state) {
  (void)state;
  MIR_EXPECT("fn f(n) { let x = 0; let i = 0; while i < n { x = x + 1; i = i + 1; } return i; }", "f",
             "fn f(n)\n"
             "b0:\n"
             "  %0 = param 0\n"
             "  %1 = const 0\n"
             "  jmp b1\n"
             "b1:  ; preds b0, b2\n"
             "  %2 = phi [%1, b0], [%5, b2]\n"
             "  %3 = lt %2, %0\n"
             "  br %3, b2, b3\n"
             "b2:  ; preds b1\n"
             "  %4 = const 1\n"
             "  %5 = add %2, %4\n"
             "  jmp b1\n"
             "b3:  ; preds b1\n"
             "  ret %2\n",
             HMIR_PASS_DCE, MIR_END);
}

// The counter of a range loop is an int: x * i cannot fail, so the whole computation of x goes.
static void test_dce_range_counter(void** state) {
  (void)state;
  MIR_EXPECT("fn f(n) { let x = 0.5; for i in range(n) { x = x * i; } return n; }", "f",
             "fn f(n)\n"
             "b0:\n"
             "  %0 = param 0\n"
             "  %1 = const 0\n"
             "  %2 = const 1\n"
             "  %3 = forprep %1, %0, %2 -> b1, b3\n"
             "b1:  ; preds b0, b2\n"
             "  jmp b2\n"
             "b2:  ; preds b1\n"
             "  forloop %3 -> b1, b3\n"
             "b3:  ; preds b0, b2\n"
             "  ret %0\n",
             HMIR_PASS_DCE, MIR_END);
}

// All passes: the debug branch, the square, the unused array and the impossible return disappear.
static void test_pipeline_range(void** state) {
  (void)state;
  MIR_EXPECT("fn f(n) { let debug = false; let s = 0; for i in range(0, n) { let sq = i * i; if debug { print(sq); } s = s + i; } let unused = [s, 1]; if 2 > 3 { return -1; } return s; }", "f",
             "fn f(n)\n"
             "b0:\n"
             "  %0 = param 0\n"
             "  %1 = const 0\n"
             "  %2 = const 0\n"
             "  %3 = const 1\n"
             "  %4 = forprep %2, %0, %3 -> b1, b2\n"
             "b1:  ; preds b0, b1\n"
             "  %5 = phi [%1, b0], [%7, b1]\n"
             "  %6 = forvar %4\n"
             "  %7 = add %5, %6\n"
             "  forloop %4 -> b1, b2\n"
             "b2:  ; preds b0, b1\n"
             "  %8 = phi [%1, b0], [%7, b1]\n"
             "  ret %8\n",
             MIR_OPT, MIR_END);
}

// All passes: the loop runs once, its exit is known, k * 2 folds.
static void test_pipeline_loop_folds(void** state) {
  (void)state;
  MIR_EXPECT("fn f(x) { let k = 10; let y = 0; while true { if k > 5 { y = y + x; break; } y = 1; } return y + k * 2; }", "f",
             "fn f(x)\n"
             "b0:\n"
             "  %0 = param 0\n"
             "  %1 = const 0\n"
             "  %2 = add %1, %0\n"
             "  %3 = const 20\n"
             "  %4 = add %2, %3\n"
             "  ret %4\n",
             MIR_OPT, MIR_END);
}

// All passes: continue goes straight to the iternext block.
static void test_pipeline_for_in(void** state) {
  (void)state;
  MIR_EXPECT("fn f(a) { let t = a; let c = 0; for v in a { if v == nil { continue; } c = c + 1; } return c; }", "f",
             "fn f(a)\n"
             "b0:\n"
             "  %0 = param 0\n"
             "  %1 = const 0\n"
             "  %2 = iterprep %0 -> b1\n"
             "b1:  ; preds b0, b3, b2\n"
             "  %3 = phi [%1, b0], [%8, b3], [%3, b2]\n"
             "  iternext %2 -> b2, b4\n"
             "b2:  ; preds b1\n"
             "  %4 = itervar %2\n"
             "  %5 = const nil\n"
             "  %6 = eq %4, %5\n"
             "  br %6, b1, b3\n"
             "b3:  ; preds b2\n"
             "  %7 = const 1\n"
             "  %8 = add %3, %7\n"
             "  jmp b1\n"
             "b4:  ; preds b1\n"
             "  ret %3\n",
             MIR_OPT, MIR_END);
}

// A pass reports whether it changed anything; a second run changes nothing.
static void test_fixpoint(void** state) {
  (void)state;
  const char* src = "fn f(n) { let s = 0; for i in range(n) { if 1 > 2 { s = 5; } s = s + i * 2; } return s; }";
  hlang_program_t* p = hlang_parse(NULL, "t.hk", src, strlen(src));
  hmir_func_t* f = hmir_build(p, 1, NULL);
  char err[200];
  assert_int_equal(hmir_optimize(f, true, err, sizeof err), 0);
  for (int pass = 0; pass < HMIR_PASS_COUNT; pass++) assert_int_equal(hmir_run_pass(f, (hmir_pass_t)pass), 0);
  hmir_func_free(f);
  f = hmir_build(p, 1, NULL);
  assert_int_equal(hmir_run_pass(f, HMIR_PASS_SCCP), 1);
  assert_int_equal(hmir_run_pass(f, HMIR_PASS_SCCP), 0);
  assert_int_equal(hmir_run_pass(f, HMIR_PASS_CFG), 1);
  assert_int_equal(hmir_run_pass(f, HMIR_PASS_CFG), 0);
  hmir_func_free(f);
  hlang_program_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sccp_fold),
      cmocka_unit_test(test_sccp_no_fold),
      cmocka_unit_test(test_sccp_branches),
      cmocka_unit_test(test_sccp_dead_edge),
      cmocka_unit_test(test_copyprop_trivial_phi),
      cmocka_unit_test(test_cfg_constant_branch),
      cmocka_unit_test(test_cfg_then_copyprop),
      cmocka_unit_test(test_cfg_empty_block),
      cmocka_unit_test(test_cfg_keeps_needed_block),
      cmocka_unit_test(test_cfg_endless_loop),
      cmocka_unit_test(test_dce_pure),
      cmocka_unit_test(test_dce_keeps_traps),
      cmocka_unit_test(test_dce_dead_cycle),
      cmocka_unit_test(test_dce_range_counter),
      cmocka_unit_test(test_pipeline_range),
      cmocka_unit_test(test_pipeline_loop_folds),
      cmocka_unit_test(test_pipeline_for_in),
      cmocka_unit_test(test_fixpoint),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
