/* test_hbc.c: the bytecode builder, verifier and disassembler (hbc.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hbc.h"

static char* dump(const hbc_module_t* m) {
  char* buf = NULL;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  hbc_module_dump(m, f);
  fclose(f);
  return buf;
}

static void test_tables(void** state) {
  assert_string_equal(hbc_op_name(HBC_OP_MOVE), "MOVE");
  assert_string_equal(hbc_op_format(HBC_OP_JLT), "rrfj");
  assert_null(hbc_op_name(HBC_OP_COUNT));
  assert_int_equal(hbc_op_size(HBC_OP_CALLF), 2);
  assert_int_equal(hbc_op_size(HBC_OP_ADD), 1);
  for (unsigned op = 0; op < HBC_OP_COUNT; op++) {
    size_t n = strlen(hbc_op_format(op));
    assert_true(n == 1 || n == 2 || n == 3 || n == 4);
    assert_non_null(hbc_op_doc(op));
  }
  // every builtin of the language, by name, with its arity
  static const char* names[] = {"print", "len", "push", "pop", "keys", "has", "del", "str", "int", "float",
                                "type", "substr", "find", "split", "join", "upper", "lower", "json_parse",
                                "json_stringify", "clock", "args", "exit", "range", "spawn", "chan", "send",
                                "recv", "close"};
  assert_int_equal(sizeof names / sizeof names[0], HBC_BI_COUNT);
  for (unsigned j = 0; j < HBC_BI_COUNT; j++) {
    int id = hbc_builtin_lookup(names[j]);
    assert_true(id >= 0);
    assert_string_equal(hbc_builtin_info((unsigned)id)->name, names[j]);
  }
  assert_int_equal(hbc_builtin_lookup("nope"), -1);
  assert_int_equal(hbc_builtin_lookup(NULL), -1);
  assert_null(hbc_builtin_info(HBC_BI_COUNT));
  assert_int_equal(hbc_builtin_info(HBC_BI_SUBSTR)->min_arity, 3);
  assert_int_equal(hbc_builtin_info(HBC_BI_PRINT)->max_arity, HBC_VARIADIC);
  assert_string_equal(hbc_ffi_type_name(HBC_FFI_F64), "f64");
}

static void test_encoding(void** state) {
  hbc_ins_t i = HBC_ABC(HBC_OP_ADDI, 3, 4, -5);
  assert_int_equal(HBC_GET_OP(i), HBC_OP_ADDI);
  assert_int_equal(HBC_GET_A(i), 3);
  assert_int_equal(HBC_GET_B(i), 4);
  assert_int_equal(HBC_GET_SC(i), -5);
  i = HBC_ABX(HBC_OP_LOADI, 255, -32768);
  assert_int_equal(HBC_GET_A(i), 255);
  assert_int_equal(HBC_GET_SBX(i), -32768);
  i = HBC_ABX(HBC_OP_LOADK, 1, 65535);
  assert_int_equal(HBC_GET_BX(i), 65535);
  i = HBC_SJ(HBC_OP_JMP, (uint32_t)-70000);
  assert_int_equal(HBC_GET_SJ(i), -70000);
}

static void test_build_and_dump(void** state) {
  hbc_module_t* m = hbc_module_new(NULL, "x.hk");
  assert_non_null(m);
  int mi = hbc_func_new(m, "<main>", 0, 1);
  int fi = hbc_func_new(m, "f", 2, 5);
  assert_int_equal(mi, 0);
  assert_int_equal(fi, 1);
  assert_int_equal(hbc_module_find_func(m, "f"), 1);
  assert_int_equal(hbc_module_find_func(m, "g"), -1);
  hbc_func_t* f = hbc_module_func(m, 1);
  assert_int_equal(f->nregs, 2);  // the parameters
  // constants are deduplicated, by bits for floats
  int k1 = hbc_const_str(f, "a\0b", 3);
  assert_int_equal(hbc_const_str(f, "a\0b", 3), k1);
  assert_int_not_equal(hbc_const_str(f, "a", 1), k1);
  assert_int_not_equal(hbc_const_float(f, 0.0), hbc_const_float(f, -0.0));
  assert_int_equal(hbc_const_int(f, 7), hbc_const_int(f, 7));
  assert_int_not_equal(hbc_const_int(f, 7), hbc_const_float(f, 7.0));
  assert_int_equal(hbc_const_nil(f), hbc_const_nil(f));
  for (int j = 0; j < 1000; j++) assert_int_equal(hbc_const_int(f, j), hbc_const_int(f, j));
  hbc_label_t top = hbc_label_new(f), out = hbc_label_new(f);
  assert_int_equal(hbc_label_bind(f, top), 0);
  assert_true(hbc_emit_jump(f, HBC_OP_JLT, 0, 1, 0, out, 6) >= 0);    // forward
  assert_true(hbc_emit_abc(f, HBC_OP_ADDI, 0, 0, 1, 7) >= 0);
  assert_true(hbc_emit_jump(f, HBC_OP_JMP, 0, 0, 0, top, 7) >= 0);   // backward
  assert_int_equal(hbc_label_bind(f, out), 0);
  assert_true(hbc_emit_call(f, HBC_OP_CALLB, 9, 0, 2, HBC_BI_PRINT, 8) >= 0);
  assert_true(hbc_emit_abc(f, HBC_OP_RET, 9, 0, 0, 8) >= 0);
  assert_int_equal(f->nregs, 10);  // widened to the highest register named
  hbc_func_t* mf = hbc_module_func(m, 0);
  hbc_emit_abc(mf, HBC_OP_RETNIL, 0, 0, 0, 1);
  hbc_ffi_type_t ps[2] = {HBC_FFI_STR, HBC_FFI_I64};
  assert_int_equal(hbc_extern_new(m, "libc.so.6", "strtol", HBC_FFI_I64, 2, ps, 3), 0);
  assert_int_equal(hbc_label_pc(f, out), 4);
  char err[200];
  assert_int_equal(hbc_module_finish(m, err, sizeof err), 0);
  assert_int_equal(hbc_label_pc(f, out), UINT32_MAX);  // labels are builder state, gone after finish
  char* text = dump(m);
  assert_non_null(strstr(text, "module x.hk: 2 functions, 1 externs"));
  assert_non_null(strstr(text, "extern X0 \"libc.so.6\" strtol(str, i64) -> i64 (line 3)"));
  assert_non_null(strstr(text, "function f (index 1, arity 2, nregs 10, line 5)"));
  assert_non_null(strstr(text, "0000 [   6] JLT        R0 R1 k0 -> 0004"));
  assert_non_null(strstr(text, "0003 [   7] JMP        -> 0000"));
  assert_non_null(strstr(text, "CALLB      R9 R0 2 B0(print)"));
  assert_non_null(strstr(text, "K0 = \"a\\x00b\""));
  free(text);
  // finished modules take nothing more
  assert_int_equal(hbc_emit_abc(mf, HBC_OP_RETNIL, 0, 0, 0, 1), -1);
  hbc_module_free(m);
  hbc_module_free(NULL);
}

// A module with one bad step must fail finish with a message naming it.
static void expect_finish_error(hbc_module_t* m, const char* want) {
  char err[200];
  assert_int_equal(hbc_module_finish(m, err, sizeof err), -1);
  if (!strstr(err, want)) fail_msg("error '%s' does not contain '%s'", err, want);
  hbc_module_free(m);
}

static void test_errors(void** state) {
  hbc_module_t* m = hbc_module_new(NULL, "e.hk");
  expect_finish_error(m, "module has no function");

  m = hbc_module_new(NULL, "e.hk");
  hbc_func_new(m, "<main>", 0, 1);
  hbc_emit_abc(hbc_module_func(m, 0), HBC_OP_LOADNIL, 0, 0, 0, 1);
  expect_finish_error(m, "code does not end in RET");

  m = hbc_module_new(NULL, "e.hk");
  hbc_func_t* f = hbc_module_func(m, (uint32_t)hbc_func_new(m, "<main>", 0, 1));
  hbc_emit_jump(f, HBC_OP_JMP, 0, 0, 0, hbc_label_new(f), 1);
  expect_finish_error(m, "jump to an unbound label");

  m = hbc_module_new(NULL, "e.hk");
  f = hbc_module_func(m, (uint32_t)hbc_func_new(m, "<main>", 0, 1));
  assert_int_equal(hbc_emit_abc(f, HBC_OP_ADDI, 0, 0, 200, 1), -1);  // immediate out of range
  expect_finish_error(m, "operand out of range: ADDI");

  m = hbc_module_new(NULL, "e.hk");
  f = hbc_module_func(m, (uint32_t)hbc_func_new(m, "<main>", 0, 1));
  assert_int_equal(hbc_emit_abc(f, HBC_OP_JT, 0, 0, 0, 1), -1);  // needs hbc_emit_jump
  expect_finish_error(m, "not of format A B C");

  m = hbc_module_new(NULL, "e.hk");
  f = hbc_module_func(m, (uint32_t)hbc_func_new(m, "<main>", 0, 1));
  assert_int_equal(hbc_emit_abc(f, HBC_OP_NEWARR, 0, 250, 10, 1), -1);  // R250..R259
  expect_finish_error(m, "register out of range");

  m = hbc_module_new(NULL, "e.hk");
  f = hbc_module_func(m, (uint32_t)hbc_func_new(m, "<main>", 0, 1));
  hbc_emit_abx(f, HBC_OP_LOADK, 0, 3, 1);  // no constant 3
  hbc_emit_abc(f, HBC_OP_RETNIL, 0, 0, 0, 1);
  expect_finish_error(m, "constant index out of range");

  m = hbc_module_new(NULL, "e.hk");
  f = hbc_module_func(m, (uint32_t)hbc_func_new(m, "<main>", 0, 1));
  hbc_emit_call(f, HBC_OP_CALLF, 0, 0, 0, 5, 1);  // no function 5
  hbc_emit_abc(f, HBC_OP_RETNIL, 0, 0, 0, 1);
  expect_finish_error(m, "function index out of range");

  m = hbc_module_new(NULL, "e.hk");
  f = hbc_module_func(m, (uint32_t)hbc_func_new(m, "<main>", 0, 1));
  assert_int_equal(hbc_emit_call(f, HBC_OP_CALLB, 0, 0, 0, HBC_BI_COUNT, 1), -1);
  expect_finish_error(m, "builtin id out of range");

  m = hbc_module_new(NULL, "e.hk");
  f = hbc_module_func(m, (uint32_t)hbc_func_new(m, "<main>", 0, 1));
  hbc_emit(f, HBC_SJ(HBC_OP_JMP, 5), 1);  // raw jump past the end
  expect_finish_error(m, "jump target outside the code");

  m = hbc_module_new(NULL, "e.hk");
  f = hbc_module_func(m, (uint32_t)hbc_func_new(m, "<main>", 0, 1));
  hbc_emit_call(f, HBC_OP_CALLB, 0, 0, 0, HBC_BI_CLOCK, 1);
  hbc_emit(f, HBC_SJ(HBC_OP_JMP, -2), 1);  // into the W word of CALLB
  expect_finish_error(m, "jump target outside the code");

  m = hbc_module_new(NULL, "e.hk");
  hbc_func_new(m, "f", 1, 1);
  expect_finish_error(m, "main function missing or takes parameters");

  m = hbc_module_new(NULL, "e.hk");
  hbc_ffi_type_t ps[9] = {HBC_FFI_I64};
  assert_int_equal(hbc_extern_new(m, "l", "s", HBC_FFI_I64, 9, ps, 1), -1);
  expect_finish_error(m, "bad extern declaration");

  m = hbc_module_new(NULL, "e.hk");
  ps[0] = HBC_FFI_VOID;
  assert_int_equal(hbc_extern_new(m, "l", "s", HBC_FFI_I64, 1, ps, 1), -1);
  expect_finish_error(m, "bad extern parameter type");

  m = hbc_module_new(NULL, "e.hk");
  f = hbc_module_func(m, (uint32_t)hbc_func_new(m, "<main>", 0, 1));
  hbc_label_t l = hbc_label_new(f);
  hbc_label_bind(f, l);
  assert_int_equal(hbc_label_bind(f, l), -1);
  expect_finish_error(m, "label unknown or bound twice");

  assert_int_equal(hbc_func_new(NULL, "x", 0, 1), -1);
  assert_null(hbc_module_func(NULL, 0));
}

static void test_far_jumps(void** state) {
  // a conditional jump over 100000 words, and JMP's 24-bit range
  hbc_module_t* m = hbc_module_new(NULL, "far.hk");
  hbc_func_t* f = hbc_module_func(m, (uint32_t)hbc_func_new(m, "<main>", 0, 1));
  hbc_label_t end = hbc_label_new(f);
  hbc_emit_jump(f, HBC_OP_JF, 0, 0, 0, end, 1);
  for (int j = 0; j < 100000; j++) hbc_emit_abc(f, HBC_OP_NOP, 0, 0, 0, 2);
  hbc_label_bind(f, end);
  hbc_emit_abc(f, HBC_OP_RETNIL, 0, 0, 0, 3);
  char err[200];
  assert_int_equal(hbc_module_finish(m, err, sizeof err), 0);
  assert_int_equal((int32_t)f->code[1], 100001);
  assert_int_equal(hbc_patch_jump(f, 0, 5), 0);
  assert_int_equal((int32_t)f->code[1], 4);
  assert_int_equal(hbc_patch_jump(f, 2, 5), -1);  // a NOP is not a jump
  hbc_module_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tables),
      cmocka_unit_test(test_encoding),
      cmocka_unit_test(test_build_and_dump),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_far_jumps),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
