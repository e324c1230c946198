/* test_vm_ffi.c: externs through libffi: libm and libc, a test library with
   8 mixed parameters, strings and pointers; failures at the first call
   naming library and symbol; argument checks; a faulting native call
   reported as a runtime error. */
#include "vm_test.h"

#ifndef HVMT_LIB
#error HVMT_LIB must name the test library
#endif

static void test_libm_libc(void** state) {
  vm_expect_out(
      "extern sqrt \"libm.so.6\" f64 -> f64\n"
      "extern strlen \"libc.so.6\" str -> i64\n"
      "extern labs \"libc.so.6\" i64 -> i64\n"
      "extern getenv \"libc.so.6\" str -> str\n"
      "fn <main> 0\n"
      "LOADK 1 16.0\n"
      "CALLX 1 1 1 sqrt\n"
      "LOADI 2 2\n"
      "CALLX 2 2 1 sqrt\n"      // int converted to f64
      "LOADK 3 \"hello\"\n"
      "CALLX 3 3 1 strlen\n"
      "LOADI 4 -9\n"
      "CALLX 4 4 1 labs\n"
      "LOADK 5 \"HVMT_SURELY_NOT_SET\"\n"
      "CALLX 5 5 1 getenv\n"    // NULL -> nil
      "LOADEXT 6 sqrt\n"        // an extern as a value
      "LOADK 7 81\n"
      "CALL 7 6 1\n"
      "CALLB 0 1 7 print\n"
      "RETNIL\n",
      "4.0 1.4142135623730951 5 9 nil <extern sqrt> 9.0\n");
}

static void test_testlib(void** state) {
  char text[2048];
  snprintf(text, sizeof text,
           "extern hvmt_sum8 \"%s\" i64 i64 i64 i64 i64 i64 i64 i64 -> i64\n"
           "extern hvmt_mix8 \"%s\" i64 f64 i64 f64 i64 f64 i64 f64 -> f64\n"
           "extern hvmt_concat \"%s\" str str -> str\n"
           "extern hvmt_cell_ptr \"%s\" -> ptr\n"
           "extern hvmt_cell_read \"%s\" ptr -> i64\n"
           "extern hvmt_cell_inc \"%s\" ptr -> void\n"
           "fn <main> 0\n"
           "LOADI 10 1\nLOADI 11 1\nLOADI 12 1\nLOADI 13 1\nLOADI 14 1\nLOADI 15 1\nLOADI 16 1\nLOADI 17 1\n"
           "CALLX 1 10 8 hvmt_sum8\n"
           "LOADK 11 0.5\nLOADK 13 0.5\nLOADK 15 0.5\nLOADK 17 0.25\n"
           "CALLX 2 10 8 hvmt_mix8\n"
           "LOADK 10 \"ab\"\nLOADK 11 \"cd\"\n"
           "CALLX 3 10 2 hvmt_concat\n"
           "CALLX 4 0 0 hvmt_cell_ptr\n"
           "CALLX 5 4 1 hvmt_cell_inc\n"
           "CALLX 5 4 1 hvmt_cell_read\n"
           "CALLB 4 4 1 type\n"
           "CALLB 0 1 5 print\n"
           "RETNIL\n",
           HVMT_LIB, HVMT_LIB, HVMT_LIB, HVMT_LIB, HVMT_LIB, HVMT_LIB);
  vm_expect_out(text, "36 1.75 ab+cd int 42\n");
}

static void test_failures(void** state) {
  // nothing fails before the first call; then every call fails the same way
  vm_run_t r;
  vm_run_asm(
      "extern nothere \"libhvmt-missing.so.9\" -> void\n"
      "fn <main> 0\n"
      "LOADK 1 \"ok\"\n"
      "CALLB 0 1 1 print\n"
      "CALLX 0 0 0 nothere\n"
      "RETNIL\n",
      &r);
  assert_int_equal(r.status, 1);
  assert_string_equal(r.out, "ok\n");
  assert_non_null(strstr(r.err, "t.hk:5: runtime error: extern nothere: cannot load library \"libhvmt-missing.so.9\": "));
  vm_run_free(&r);
  vm_expect_error(
      "extern hvmt_nosuch \"libm.so.6\" f64 -> f64\n"
      "fn <main> 0\n"
      "LOADI 1 1\n"
      "CALLX 0 1 1 hvmt_nosuch\n"
      "RETNIL\n",
      "t.hk:4: runtime error: extern hvmt_nosuch: symbol \"hvmt_nosuch\" not found in library \"libm.so.6\"");
  vm_expect_error(
      "extern sqrt \"libm.so.6\" f64 -> f64\n"
      "fn <main> 0\n"
      "LOADK 1 \"x\"\n"
      "CALLX 0 1 1 sqrt\n"
      "RETNIL\n",
      "t.hk:4: runtime error: extern sqrt: argument 1 must be a number (f64), not string");
  vm_expect_error(
      "extern labs \"libc.so.6\" i64 -> i64\n"
      "fn <main> 0\n"
      "LOADK 1 1.5\n"
      "CALLX 0 1 1 labs\n"
      "RETNIL\n",
      "t.hk:4: runtime error: extern labs: argument 1 must be an int (i64), not float");
  vm_expect_error(
      "extern sqrt \"libm.so.6\" f64 -> f64\n"
      "fn <main> 0\n"
      "CALLX 0 1 0 sqrt\n"
      "RETNIL\n",
      "t.hk:3: runtime error: sqrt expects 1 argument, got 0");
}

static void test_fault_guard(void** state) {
  // strlen declared to take a ptr, given a bad address: a runtime error, not a crash
  vm_run_t r;
  vm_run_asm(
      "extern strlen \"libc.so.6\" ptr -> i64\n"
      "fn <main> 0\n"
      "LOADI 1 8\n"
      "CALLX 0 1 1 strlen\n"
      "RETNIL\n",
      &r);
  assert_int_equal(r.status, 1);
  assert_non_null(strstr(r.err, "t.hk:4: runtime error: extern strlen: the native call crashed (SIGSEGV)"));
  vm_run_free(&r);
  // and the process goes on working afterwards
  vm_expect_out(
      "extern strlen \"libc.so.6\" str -> i64\n"
      "fn <main> 0\n"
      "LOADK 1 \"four\"\n"
      "CALLX 0 1 1 strlen\n"
      "CALLB 0 0 1 print\n"
      "RETNIL\n",
      "4\n");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_libm_libc),
      cmocka_unit_test(test_testlib),
      cmocka_unit_test(test_failures),
      cmocka_unit_test(test_fault_guard),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
