/* test_mir_build.c: the SSA builder on every construct: the MIR text of small
   functions exactly as built (no passes), verified. Phis appear where a
   local differs between incoming edges (if/else joins, loop headers, loop
   exits with break), range loops become forprep/forvar/forloop, for-in
   loops iterprep/iternext/itervar, and/or become branches and a phi, calls
   to known functions with the right arity are direct. */
#include "mir_test.h"

static void test_arith(void** state) {
  (void)state;
  MIR_EXPECT("fn f(a, b) { let c = a + b * 2; return -c; }", "f",
              "fn f(a, b)\n"
              "b0:\n"
              "  %0 = param 0\n"
              "  %1 = param 1\n"
              "  %2 = const 2\n"
              "  %3 = mul %1, %2\n"
              "  %4 = add %0, %3\n"
              "  %5 = neg %4\n"
              "  ret %5\n", MIR_END);
}

static void test_if_else(void** state) {
  (void)state;
  MIR_EXPECT("fn f(x) { if x { return 1; } else { return 2; } }", "f",
              "fn f(x)\n"
              "b0:\n"
              "  %0 = param 0\n"
              "  br %0, b1, b2\n"
              "b1:  ; preds b0\n"
              "  %1 = const 1\n"
              "  ret %1\n"
              "b2:  ; preds b0\n"
              "  %2 = const 2\n"
              "  ret %2\n", MIR_END);
}

static void test_else_if_phis(void** state) {
  (void)state;
  MIR_EXPECT("fn f(x) { let y = 0; if x > 1 { y = 1; } else if x > 0 { y = 2; } return y; }", "f",
              "fn f(x)\n"
              "b0:\n"
              "  %0 = param 0\n"
              "  %1 = const 0\n"
              "  %2 = const 1\n"
              "  %3 = gt %0, %2\n"
              "  br %3, b1, b2\n"
              "b1:  ; preds b0\n"
              "  %4 = const 1\n"
              "  jmp b5\n"
              "b2:  ; preds b0\n"
              "  %5 = const 0\n"
              "  %6 = gt %0, %5\n"
              "  br %6, b3, b4\n"
              "b3:  ; preds b2\n"
              "  %7 = const 2\n"
              "  jmp b4\n"
              "b4:  ; preds b2, b3\n"
              "  %8 = phi [%1, b2], [%7, b3]\n"
              "  jmp b5\n"
              "b5:  ; preds b1, b4\n"
              "  %9 = phi [%4, b1], [%8, b4]\n"
              "  ret %9\n", MIR_END);
}

static void test_while_phis(void** state) {
  (void)state;
  MIR_EXPECT("fn f(n) { let s = 0; let i = 0; while i < n { s = s + i; i = i + 1; } return s; }", "f",
              "fn f(n)\n"
              "b0:\n"
              "  %0 = param 0\n"
              "  %1 = const 0\n"
              "  %2 = const 0\n"
              "  jmp b1\n"
              "b1:  ; preds b0, b2\n"
              "  %3 = phi [%1, b0], [%6, b2]\n"
              "  %4 = phi [%2, b0], [%8, b2]\n"
              "  %5 = lt %4, %0\n"
              "  br %5, b2, b3\n"
              "b2:  ; preds b1\n"
              "  %6 = add %3, %4\n"
              "  %7 = const 1\n"
              "  %8 = add %4, %7\n"
              "  jmp b1\n"
              "b3:  ; preds b1\n"
              "  ret %3\n", MIR_END);
}

static void test_range_break_continue(void** state) {
  (void)state;
  MIR_EXPECT("fn f(n) { let s = 0; for i in range(n) { if i == 3 { continue; } if i == 5 { break; } s = s + i; } return s; }", "f",
              "fn f(n)\n"
              "b0:\n"
              "  %0 = param 0\n"
              "  %1 = const 0\n"
              "  %2 = const 0\n"
              "  %3 = const 1\n"
              "  %4 = forprep %2, %0, %3 -> b1, b7\n"
              "b1:  ; preds b0, b6\n"
              "  %5 = phi [%1, b0], [%12, b6]\n"
              "  %6 = forvar %4\n"
              "  %7 = const 3\n"
              "  %8 = eq %6, %7\n"
              "  br %8, b2, b3\n"
              "b2:  ; preds b1\n"
              "  jmp b6\n"
              "b3:  ; preds b1\n"
              "  %9 = const 5\n"
              "  %10 = eq %6, %9\n"
              "  br %10, b4, b5\n"
              "b4:  ; preds b3\n"
              "  jmp b7\n"
              "b5:  ; preds b3\n"
              "  %11 = add %5, %6\n"
              "  jmp b6\n"
              "b6:  ; preds b2, b5\n"
              "  %12 = phi [%5, b2], [%11, b5]\n"
              "  forloop %4 -> b1, b7\n"
              "b7:  ; preds b0, b4, b6\n"
              "  %13 = phi [%1, b0], [%5, b4], [%12, b6]\n"
              "  ret %13\n", MIR_END);
}

static void test_for_in(void** state) {
  (void)state;
  MIR_EXPECT("fn f(a) { let s = \"\"; for k in a { s = s + k; } return s; }", "f",
              "fn f(a)\n"
              "b0:\n"
              "  %0 = param 0\n"
              "  %1 = const \"\"\n"
              "  %2 = iterprep %0 -> b1\n"
              "b1:  ; preds b0, b2\n"
              "  %3 = phi [%1, b0], [%5, b2]\n"
              "  iternext %2 -> b2, b3\n"
              "b2:  ; preds b1\n"
              "  %4 = itervar %2\n"
              "  %5 = add %3, %4\n"
              "  jmp b1\n"
              "b3:  ; preds b1\n"
              "  ret %3\n", MIR_END);
}

static void test_and_value(void** state) {
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
              "  ret %2\n", MIR_END);
}

static void test_or_not_cond(void** state) {
  (void)state;
  MIR_EXPECT("fn f(a, b) { if a or not b { return 1; } return 2; }", "f",
              "fn f(a, b)\n"
              "b0:\n"
              "  %0 = param 0\n"
              "  %1 = param 1\n"
              "  br %0, b2, b1\n"
              "b1:  ; preds b0\n"
              "  br %1, b3, b2\n"
              "b2:  ; preds b0, b1\n"
              "  %2 = const 1\n"
              "  ret %2\n"
              "b3:  ; preds b1\n"
              "  %3 = const 2\n"
              "  ret %3\n", MIR_END);
}

static void test_calls(void** state) {
  (void)state;
  MIR_EXPECT("fn g(x) { return x; } extern \"libm.so.6\" fn sqrt(f64) -> f64; fn f(x) { g(x); g(x, x); sqrt(x); print(x, len(x)); let p = print; p(1); len(); return range; }", "f",
              "fn f(x)\n"
              "b0:\n"
              "  %0 = param 0\n"
              "  %1 = callfn g(%0)\n"
              "  %2 = fn g\n"
              "  %3 = call %2(%0, %0)\n"
              "  %4 = callx sqrt(%0)\n"
              "  %5 = callbi len(%0)\n"
              "  %6 = callbi print(%0, %5)\n"
              "  %7 = builtin print\n"
              "  %8 = const 1\n"
              "  %9 = call %7(%8)\n"
              "  %10 = builtin len\n"
              "  %11 = call %10()\n"
              "  %12 = builtin range\n"
              "  ret %12\n", MIR_END);
}

static void test_literals_index(void** state) {
  (void)state;
  MIR_EXPECT("fn f(m) { m.k = [1, nil, true, 2.5]; m[0] = {a: 1, \"b\": m.k[0]}; return m.k; }", "f",
              "fn f(m)\n"
              "b0:\n"
              "  %0 = param 0\n"
              "  %1 = const \"k\"\n"
              "  %2 = const 1\n"
              "  %3 = const nil\n"
              "  %4 = const true\n"
              "  %5 = const 2.5\n"
              "  %6 = array %2, %3, %4, %5\n"
              "  setindex %0, %1, %6\n"
              "  %7 = const 0\n"
              "  %8 = const \"a\"\n"
              "  %9 = const 1\n"
              "  %10 = const \"b\"\n"
              "  %11 = const \"k\"\n"
              "  %12 = index %0, %11\n"
              "  %13 = const 0\n"
              "  %14 = index %12, %13\n"
              "  %15 = map %8: %9, %10: %14\n"
              "  setindex %0, %7, %15\n"
              "  %16 = const \"k\"\n"
              "  %17 = index %0, %16\n"
              "  ret %17\n", MIR_END);
}

static void test_shadowed_range(void** state) {
  (void)state;
  MIR_EXPECT("fn f(x) { let range = x; for i in range(1, 2) { } }", "f",
              "fn f(x)\n"
              "b0:\n"
              "  %0 = param 0\n"
              "  %1 = const 1\n"
              "  %2 = const 2\n"
              "  %3 = call %0(%1, %2)\n"
              "  %4 = iterprep %3 -> b1\n"
              "b1:  ; preds b0, b2\n"
              "  iternext %4 -> b2, b3\n"
              "b2:  ; preds b1\n"
              "  %5 = itervar %4\n"
              "  jmp b1\n"
              "b3:  ; preds b1\n"
              "  %6 = const nil\n"
              "  ret %6\n", MIR_END);
}

static void test_endless_loop(void** state) {
  (void)state;
  MIR_EXPECT("fn f(x) { while true { if x { return 1; } } }", "f",
              "fn f(x)\n"
              "b0:\n"
              "  %0 = param 0\n"
              "  jmp b1\n"
              "b1:  ; preds b0, b4\n"
              "  %1 = const true\n"
              "  br %1, b2, b5\n"
              "b2:  ; preds b1\n"
              "  br %0, b3, b4\n"
              "b3:  ; preds b2\n"
              "  %2 = const 1\n"
              "  ret %2\n"
              "b4:  ; preds b2\n"
              "  jmp b1\n"
              "b5:  ; preds b1\n"
              "  %3 = const nil\n"
              "  ret %3\n", MIR_END);
}

static void test_block_scope(void** state) {
  (void)state;
  MIR_EXPECT("fn f(x) { let y; { let z = 1; y = z; } return y; }", "f",
              "fn f(x)\n"
              "b0:\n"
              "  %0 = param 0\n"
              "  %1 = const nil\n"
              "  %2 = const 1\n"
              "  ret %2\n", MIR_END);
}

static void test_range_step(void** state) {
  (void)state;
  MIR_EXPECT("fn f(n) { for i in range(10, 0, -2) { n = n + i; } return n; }", "f",
              "fn f(n)\n"
              "b0:\n"
              "  %0 = param 0\n"
              "  %1 = const 10\n"
              "  %2 = const 0\n"
              "  %3 = const 2\n"
              "  %4 = neg %3\n"
              "  %5 = forprep %1, %2, %4 -> b1, b3\n"
              "b1:  ; preds b0, b2\n"
              "  %6 = phi [%0, b0], [%8, b2]\n"
              "  %7 = forvar %5\n"
              "  %8 = add %6, %7\n"
              "  jmp b2\n"
              "b2:  ; preds b1\n"
              "  forloop %5 -> b1, b3\n"
              "b3:  ; preds b0, b2\n"
              "  %9 = phi [%0, b0], [%8, b2]\n"
              "  ret %9\n", MIR_END);
}

// Every builtin of hlang is one of hbc: builtin names resolve to VM ids.
static void test_builtins_map(void** state) {
  (void)state;
  for (int b = 0; b < HLANG_BUILTIN_COUNT; b++) {
    int id = hbc_builtin_lookup(hlang_builtin_name((hlang_builtin_t)b));
    assert_true(id >= 0);
  }
}

// Long literals: the first 64 items in one array op, the rest appended; maps
// 32 pairs, then stores.
static void test_long_literals(void** state) {
  (void)state;
  char src[4096];
  size_t n = (size_t)snprintf(src, sizeof src, "fn f() { return [");
  for (int k = 0; k < 70; k++) n += (size_t)snprintf(src + n, sizeof src - n, "%s%d", k ? ", " : "", k);
  n += (size_t)snprintf(src + n, sizeof src - n, "]; }\nfn g() { return {");
  for (int k = 0; k < 40; k++) n += (size_t)snprintf(src + n, sizeof src - n, "%sk%d: %d", k ? ", " : "", k, k);
  snprintf(src + n, sizeof src - n, "}; }");
  char* a = mir_text(src, "f", MIR_END);
  int appends = 0;
  for (const char* p = a; (p = strstr(p, "append")); p++) appends++;
  assert_int_equal(appends, 6);
  assert_non_null(strstr(a, "%64 = array %0, %1,"));
  free(a);
  char* m = mir_text(src, "g", MIR_END);
  int sets = 0;
  for (const char* p = m; (p = strstr(p, "setindex")); p++) sets++;
  assert_int_equal(sets, 8);
  free(m);
}

// The function API on bad input.
static void test_api_edges(void** state) {
  (void)state;
  hlang_program_t* p = hlang_parse(NULL, "e.hk", "let = 1;", 8);
  assert_null(hmir_build(p, 0, NULL));  // a program with errors
  hlang_program_free(p);
  p = hlang_parse(NULL, "e.hk", "let x = 1;", 10);
  assert_null(hmir_build(p, 1, NULL));  // no such function
  assert_null(hmir_build(NULL, 0, NULL));
  hmir_func_t* f = hmir_build(p, 0, NULL);  // hakmem's own context
  assert_non_null(f);
  hmir_func_stats_t st;
  hmir_func_stats(f, &st);
  assert_int_equal(st.blocks, 1);
  assert_int_equal(st.instrs, 3);  // const 1, const nil, ret
  assert_true(st.allocs >= 5);
  assert_true(st.bytes > 0);
  hmir_func_free(f);
  hmir_func_free(NULL);
  hmir_func_stats(NULL, &st);
  assert_int_equal(st.blocks, 0);
  assert_int_equal(hmir_run_pass(NULL, HMIR_PASS_DCE), 0);
  assert_int_equal(hmir_verify(NULL, NULL, 0), -1);
  assert_null(hmir_pass_name(HMIR_PASS_COUNT));
  hlang_program_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_arith),          cmocka_unit_test(test_if_else),
      cmocka_unit_test(test_else_if_phis),   cmocka_unit_test(test_while_phis),
      cmocka_unit_test(test_range_break_continue), cmocka_unit_test(test_for_in),
      cmocka_unit_test(test_and_value),      cmocka_unit_test(test_or_not_cond),
      cmocka_unit_test(test_calls),          cmocka_unit_test(test_literals_index),
      cmocka_unit_test(test_shadowed_range), cmocka_unit_test(test_endless_loop),
      cmocka_unit_test(test_block_scope),    cmocka_unit_test(test_range_step),
      cmocka_unit_test(test_builtins_map),   cmocka_unit_test(test_long_literals),
      cmocka_unit_test(test_api_edges),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
