/* test_mir_lower.c: the lowering to bytecode: the text of small functions
   (compare-and-jump fusion, immediates, windows, coalesced phis, loop
   groups, copy cycles), the bytecode limits reported as errors, and
   registers used as few as values live at once. */
#include "mir_test.h"

static hbc_module_t* compile(const char* src, bool optimize, hmir_status_t want, char** diag) {
  hmir_options_t opt;
  hmir_options_init(&opt);
  opt.verify = true;
  opt.optimize = optimize;
  char* buf = NULL;
  size_t len = 0;
  opt.diag = open_memstream(&buf, &len);
  hbc_module_t* m = NULL;
  hmir_status_t st = hmir_compile_source("t.hk", src, strlen(src), &opt, &m);
  fclose(opt.diag);
  if (st != want) fprintf(stderr, "status %d, diagnostics:\n%s", st, buf);
  assert_int_equal(st, want);
  if (diag) *diag = buf;
  else free(buf);
  return m;
}

static void expect_bytecode(const char* src, const char* fn, bool optimize, const char* want) {
  hbc_module_t* m = compile(src, optimize, HMIR_OK, NULL);
  int fi = hbc_module_find_func(m, fn);
  assert_true(fi >= 0);
  char* got = NULL;
  size_t len = 0;
  FILE* out = open_memstream(&got, &len);
  hbc_func_dump(m, hbc_module_func(m, (uint32_t)fi), out);
  fclose(out);
  mir_expect_text(src, got, want);
  free(got);
  hbc_module_free(m);
}

// n < 2 fuses into JLTI; n - 1 is SUBK; call arguments land in their window without moves.
static void test_fib(void** state) {
  (void)state;
  expect_bytecode("fn fib(n) { if n < 2 { return n; } return fib(n - 1) + fib(n - 2); }", "fib", true,
              "function fib (index 1, arity 1, nregs 3, line 1)\n"
              "  K0 = 1\n"
              "  K1 = 2\n"
              "  0000 [   1] JLTI       R0 2 k0 -> 0003\n"
              "  0002 [   1] RET        R0\n"
              "  0003 [   1] SUBK       R1 R0 K0(1)\n"
              "  0004 [   1] CALLF      R1 R1 1 F1(fib)\n"
              "  0006 [   1] SUBK       R0 R0 K1(2)\n"
              "  0007 [   1] CALLF      R0 R0 1 F1(fib)\n"
              "  0009 [   1] ADD        R0 R1 R0\n"
              "  0010 [   1] RET        R0\n");
}

// The counter is read in place (R4 = R1 + 3): the sum phi is coalesced, the loop is FORLOOP alone.
static void test_range_in_place(void** state) {
  (void)state;
  expect_bytecode("fn f(n) { let s = 0; for i in range(0, n) { s = s + i; } return s; }", "f", true,
              "function f (index 1, arity 1, nregs 5, line 1)\n"
              "  0000 [   1] MOVE       R2 R0\n"
              "  0001 [   1] LOADI      R1 0\n"
              "  0002 [   1] LOADI      R3 1\n"
              "  0003 [   1] FORPREP    R1 -> 0010\n"
              "  0005 [   1] LOADI      R0 0\n"
              "  0006 [   1] ADD        R0 R0 R4\n"
              "  0007 [   1] FORLOOP    R1 -> 0006\n"
              "  0009 [   1] RET        R0\n"
              "  0010 [   1] LOADI      R0 0\n"
              "  0011 [   1] JMP        -> 0009\n");
}

// The counter survives its FORLOOP (it is the result on the exit edge): copied out at the body start.
static void test_range_escaping_counter(void** state) {
  (void)state;
  expect_bytecode("fn f(n) { let last = -1; for i in range(n) { last = i; } return last; }", "f", true,
              "function f (index 1, arity 1, nregs 5, line 1)\n"
              "  0000 [   1] MOVE       R2 R0\n"
              "  0001 [   1] LOADI      R1 0\n"
              "  0002 [   1] LOADI      R3 1\n"
              "  0003 [   1] FORPREP    R1 -> 0009\n"
              "  0005 [   1] MOVE       R0 R4\n"
              "  0006 [   1] FORLOOP    R1 -> 0005\n"
              "  0008 [   1] RET        R0\n"
              "  0009 [   1] LOADI      R0 -1\n"
              "  0010 [   1] JMP        -> 0008\n");
}

// ITERPREP/ITERNEXT on a group of three; the item is read in place (register R3).
static void test_for_in(void** state) {
  (void)state;
  expect_bytecode("fn f(arr) { let s = 0; for v in arr { s = s + v; } return s; }", "f", true,
              "function f (index 1, arity 1, nregs 4, line 1)\n"
              "  0000 [   1] MOVE       R1 R0\n"
              "  0001 [   1] LOADI      R0 0\n"
              "  0002 [   1] ITERPREP   R1 -> 0004\n"
              "  0004 [   1] ITERNEXT   R1 -> 0007\n"
              "  0006 [   1] JMP        -> 0009\n"
              "  0007 [   1] ADD        R0 R0 R3\n"
              "  0008 [   1] JMP        -> 0004\n"
              "  0009 [   1] RET        R0\n");
}

// GETFIELD, GETINDEXI, SUBK, SETFIELD, MULK, SETINDEXI, JGTI (5 < x turned around), JEQK, JEQI, ADDI, RETNIL.
static void test_immediates(void** state) {
  (void)state;
  expect_bytecode("fn g(m, a) { let x = m.k + a[3]; m.j = x - 1; a[2] = x * 2; if 5 < x { return 1; } if x == \"s\" { return 2; } if x != 7 { return nil; } return x + 1; }", "g", true,
              "function g (index 1, arity 2, nregs 4, line 1)\n"
              "  K0 = \"k\"\n"
              "  K1 = 1\n"
              "  K2 = \"j\"\n"
              "  K3 = 2\n"
              "  K4 = \"s\"\n"
              "  0000 [   1] GETFIELD   R2 R0 K0(\"k\")\n"
              "  0001 [   1] GETINDEXI  R3 R1 3\n"
              "  0002 [   1] ADD        R2 R2 R3\n"
              "  0003 [   1] SUBK       R3 R2 K1(1)\n"
              "  0004 [   1] SETFIELD   R0 K2(\"j\") R3\n"
              "  0005 [   1] MULK       R0 R2 K3(2)\n"
              "  0006 [   1] SETINDEXI  R1 2 R0\n"
              "  0007 [   1] JGTI       R2 5 k0 -> 0011\n"
              "  0009 [   1] LOADI      R0 1\n"
              "  0010 [   1] RET        R0\n"
              "  0011 [   1] JEQK       R2 K4(\"s\") k0 -> 0015\n"
              "  0013 [   1] LOADI      R0 2\n"
              "  0014 [   1] RET        R0\n"
              "  0015 [   1] JEQI       R2 7 k1 -> 0018\n"
              "  0017 [   1] RETNIL    \n"
              "  0018 [   1] ADDI       R0 R2 1\n"
              "  0019 [   1] RET        R0\n");
}

// Swapping two loop variables: a cycle of copies, broken through a scratch register.
static void test_swap_cycle(void** state) {
  (void)state;
  expect_bytecode("fn h(n) { let a = 1; let b = 2; let i = 0; while i < n { let t = a; a = b; b = t; i = i + 1; } return [a, b]; }", "h", true,
              "function h (index 1, arity 1, nregs 5, line 1)\n"
              "  0000 [   1] LOADI      R1 1\n"
              "  0001 [   1] LOADI      R2 2\n"
              "  0002 [   1] LOADI      R3 0\n"
              "  0003 [   1] JLT        R3 R0 k0 -> 0010\n"
              "  0005 [   1] ADDI       R3 R3 1\n"
              "  0006 [   1] MOVE       R4 R2\n"
              "  0007 [   1] MOVE       R2 R1\n"
              "  0008 [   1] MOVE       R1 R4\n"
              "  0009 [   1] JMP        -> 0003\n"
              "  0010 [   1] MOVE       R0 R1\n"
              "  0011 [   1] MOVE       R1 R2\n"
              "  0012 [   1] NEWARR     R0 R0 2\n"
              "  0013 [   1] RET        R0\n");
}

// Windows of consecutive registers for calls and literals; constants and functions are loaded straight into them.
static void test_windows(void** state) {
  (void)state;
  expect_bytecode("fn f(a, b, c) { print(c, b, a); let x = [a, 1, \"s\", f]; return {k: x, \"b\": b}; }", "f", true,
              "function f (index 1, arity 3, nregs 7, line 1)\n"
              "  K0 = \"s\"\n"
              "  K1 = \"b\"\n"
              "  K2 = \"k\"\n"
              "  0000 [   1] MOVE       R3 R1\n"
              "  0001 [   1] MOVE       R4 R0\n"
              "  0002 [   1] CALLB      R2 R2 3 B0(print)\n"
              "  0004 [   1] MOVE       R2 R0\n"
              "  0005 [   1] LOADI      R3 1\n"
              "  0006 [   1] LOADK      R4 K0(\"s\")\n"
              "  0007 [   1] LOADFN     R5 F1(f)\n"
              "  0008 [   1] NEWARR     R0 R2 4\n"
              "  0009 [   1] MOVE       R3 R1\n"
              "  0010 [   1] MOVE       R1 R0\n"
              "  0011 [   1] LOADK      R2 K1(\"b\")\n"
              "  0012 [   1] LOADK      R0 K2(\"k\")\n"
              "  0013 [   1] NEWMAP     R0 R0 2\n"
              "  0014 [   1] RET        R0\n");
}

// A call through a value: CALL with the callee at the window's base.
static void test_call_value(void** state) {
  (void)state;
  expect_bytecode("fn f(x) { let g = x; return g(1, x) + len(x); }", "f", true,
              "function f (index 1, arity 1, nregs 5, line 1)\n"
              "  0000 [   1] MOVE       R1 R0\n"
              "  0001 [   1] MOVE       R3 R0\n"
              "  0002 [   1] LOADI      R2 1\n"
              "  0003 [   1] CALL       R1 R1 2\n"
              "  0004 [   1] CALLB      R0 R0 1 B1(len)\n"
              "  0006 [   1] ADD        R0 R1 R0\n"
              "  0007 [   1] RET        R0\n");
}

// Without the passes, a branch on a constant is decided at compile time.
static void test_constant_branch_unoptimized(void** state) {
  (void)state;
  expect_bytecode("fn f(a) { if true { return 1; } return 2; }", "f", false,
              "function f (index 1, arity 1, nregs 1, line 1)\n"
              "  0000 [   1] LOADI      R0 1\n"
              "  0001 [   1] RET        R0\n"
              "  0002 [   1] LOADI      R0 2\n"
              "  0003 [   1] RET        R0\n");
}

static void expect_limit(const char* src, const char* msg) {
  char* diag;
  assert_null(compile(src, true, HMIR_ERR_LIMIT, &diag));
  if (!strstr(diag, msg)) fprintf(stderr, "want '%s' in:\n%s", msg, diag);
  assert_non_null(strstr(diag, msg));
  assert_int_equal(strncmp(diag, "t.hk:", 5), 0);
  free(diag);
}

static char* many(const char* head, const char* fmt, int n, const char* sep, const char* tail) {
  size_t cap = strlen(head) + strlen(tail) + (size_t)n * (strlen(fmt) + strlen(sep) + 12) + 1;
  char* s = malloc(cap);
  size_t len = (size_t)snprintf(s, cap, "%s", head);
  for (int k = 0; k < n; k++) {
    len += (size_t)snprintf(s + len, cap - len, "%s", k ? sep : "");
    len += (size_t)snprintf(s + len, cap - len, fmt, k);  // fmt uses %1$d, once or more
  }
  snprintf(s + len, cap - len, "%s", tail);
  return s;
}

// More values live at once than registers; more arguments than a call takes.
static void test_limits(void** state) {
  (void)state;
  char* body = many("fn f(g) {\n", "let v%1$d = g(%1$d);\n", 300, "", "return [");
  char* arr = many(body, "v%1$d", 300, ", ", "]; }\n");
  expect_limit(arr, "syntax error: function 'f' needs more than 256 registers");
  free(body);
  free(arr);
  char* call = many("fn f(g) { return g(", "%1$d", 300, ", ", "); }\n");
  expect_limit(call, "syntax error: a call takes at most 255 arguments");
  free(call);
  // 250 arguments fit
  char* ok = many("fn f(g) { return g(", "%1$d", 250, ", ", "); }\n");
  hbc_module_free(compile(ok, true, HMIR_OK, NULL));
  free(ok);
}

// Registers: as many as values live at once (here: a long chain needs 2).
static void test_register_count(void** state) {
  (void)state;
  char* src = many("fn f(a) { let x = a", " + %1$d", 500, "", "; return x; }\n");
  hbc_module_t* m = compile(src, false, HMIR_OK, NULL);
  const hbc_func_t* f = hbc_module_func(m, 1);
  assert_true(f->nregs <= 2);
  hbc_module_free(m);
  free(src);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fib),
      cmocka_unit_test(test_range_in_place),
      cmocka_unit_test(test_range_escaping_counter),
      cmocka_unit_test(test_for_in),
      cmocka_unit_test(test_immediates),
      cmocka_unit_test(test_swap_cycle),
      cmocka_unit_test(test_windows),
      cmocka_unit_test(test_call_value),
      cmocka_unit_test(test_constant_branch_unoptimized),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_register_count),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
