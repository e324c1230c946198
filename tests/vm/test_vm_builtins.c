/* test_vm_builtins.c: every builtin, its results and its errors, on
   assembled bytecode (each program also runs under GC stress). */
#include "vm_test.h"

// Calls builtin NAME on the constants given (up to 4) and prints the result.
static void call1(const char* name, const char* args, const char* want) {
  char text[2048];
  char loads[1024] = "";
  int n = 0;
  char copy[512];
  snprintf(copy, sizeof copy, "%s", args);
  // args are separated by " | "
  for (char* a = copy; a && *a; n++) {
    char* sep = strstr(a, " | ");
    if (sep) *sep = 0;
    size_t len = strlen(loads);
    snprintf(loads + len, sizeof loads - len, "LOADK %d %s\n", 10 + n, a);
    a = sep ? sep + 3 : NULL;
  }
  snprintf(text, sizeof text, "fn <main> 0\n%sCALLB 0 10 %d %s\nCALLB 0 0 1 print\nRETNIL\n", loads, n, name);
  vm_expect_out(text, want);
}

static void error1(const char* name, const char* args, const char* want) {
  char text[2048];
  char loads[1024] = "";
  int n = 0;
  char copy[512];
  snprintf(copy, sizeof copy, "%s", args);
  for (char* a = copy; a && *a; n++) {
    char* sep = strstr(a, " | ");
    if (sep) *sep = 0;
    size_t len = strlen(loads);
    snprintf(loads + len, sizeof loads - len, "LOADK %d %s\n", 10 + n, a);
    a = sep ? sep + 3 : NULL;
  }
  snprintf(text, sizeof text, "fn <main> 0\n%sCALLB 0 10 %d %s\nRETNIL\n", loads, n, name);
  char first[400];
  snprintf(first, sizeof first, "t.hk:%d: runtime error: %s", n + 2, want);
  vm_expect_error(text, first);
}

static void test_str_int_float_type(void** state) {
  call1("str", "12", "12\n");
  call1("str", "1.5", "1.5\n");
  call1("str", "1e22", "1e+22\n");
  call1("str", "0.0001", "0.0001\n");
  call1("str", "nil", "nil\n");
  call1("str", "\"x\"", "x\n");
  call1("int", "3.99", "3\n");
  call1("int", "-3.99", "-3\n");
  call1("int", "\"-42\"", "-42\n");
  call1("int", "\"+7\"", "7\n");
  call1("int", "\"9223372036854775807\"", "9223372036854775807\n");
  call1("int", "\"-9223372036854775808\"", "-9223372036854775808\n");
  error1("int", "\"9223372036854775808\"", "int() cannot convert \"9223372036854775808\" to an int");
  error1("int", "\"4.5\"", "int() cannot convert \"4.5\" to an int");
  error1("int", "\" 4\"", "int() cannot convert \" 4\" to an int");
  error1("int", "\"\"", "int() cannot convert \"\" to an int");
  error1("int", "1e300", "int() cannot convert 1e+300 to an int");
  error1("int", "nil", "int() argument 1 must be an int, float or string, not nil");
  call1("float", "3", "3.0\n");
  call1("float", "\"2.5e-3\"", "0.0025\n");
  call1("float", "\"-10\"", "-10.0\n");
  error1("float", "\"abc\"", "float() cannot convert \"abc\" to a float");
  error1("float", "\"1.5x\"", "float() cannot convert \"1.5x\" to a float");
  call1("type", "nil", "nil\n");
  call1("type", "true", "bool\n");
  call1("type", "1", "int\n");
  call1("type", "1.0", "float\n");
  call1("type", "\"s\"", "string\n");
  vm_expect_out(
      "fn <main> 0\n"
      "NEWARR 1 0 0\n"
      "CALLB 1 1 1 type\n"
      "NEWMAP 2 0 0\n"
      "CALLB 2 2 1 type\n"
      "LOADFN 3 <main>\n"
      "CALLB 3 3 1 type\n"
      "CALLB 4 0 0 chan\n"
      "CALLB 4 4 1 type\n"
      "CALLB 0 1 4 print\n"
      "RETNIL\n",
      "array map function channel\n");
}

static void test_strings(void** state) {
  call1("len", "\"h\\0llo\"", "5\n");
  call1("substr", "\"hello\" | 1 | 3", "ell\n");
  call1("substr", "\"hello\" | 1 | 1", "e\n");
  call1("substr", "\"hello\" | 3 | 99", "lo\n");
  call1("substr", "\"hello\" | 5 | 1", "\n");
  error1("substr", "\"hello\" | 6 | 1", "substr() start 6 out of range (length 5)");
  error1("substr", "\"hello\" | -1 | 1", "substr() start -1 out of range (length 5)");
  error1("substr", "\"hello\" | 0 | -1", "substr() count must not be negative (-1)");
  error1("substr", "1 | 0 | 1", "substr() argument 1 must be a string, not int");
  call1("find", "\"hello\" | \"ll\"", "2\n");
  call1("find", "\"hello\" | \"lo\"", "3\n");
  call1("find", "\"hello\" | \"x\"", "-1\n");
  call1("find", "\"hello\" | \"\"", "0\n");
  call1("find", "\"aaab\" | \"aab\"", "1\n");
  call1("find", "\"ab\" | \"abc\"", "-1\n");
  call1("split", "\"a,b,,c\" | \",\"", "[\"a\",\"b\",\"\",\"c\"]\n");
  call1("split", "\"abc\" | \"\"", "[\"a\",\"b\",\"c\"]\n");
  call1("split", "\"\" | \",\"", "[\"\"]\n");
  call1("split", "\"a::b::\" | \"::\"", "[\"a\",\"b\",\"\"]\n");
  call1("upper", "\"aBc-z9\"", "ABC-Z9\n");
  call1("lower", "\"AbC\"", "abc\n");
  vm_expect_out(
      "fn <main> 0\n"
      "LOADK 1 \"x\"\n"
      "LOADK 2 \"yy\"\n"
      "LOADK 3 \"\"\n"
      "NEWARR 4 1 3\n"
      "MOVE 5 4\n"
      "LOADK 6 \", \"\n"
      "CALLB 5 5 2 join\n"
      "NEWARR 7 0 0\n"
      "LOADK 8 \"-\"\n"
      "CALLB 7 7 2 join\n"
      "CALLB 0 5 1 print\n"
      "CALLB 0 7 1 print\n"
      "RETNIL\n",
      "x, yy, \n\n");
  vm_expect_error(
      "fn <main> 0\n"
      "LOADI 1 1\n"
      "NEWARR 2 1 1\n"
      "LOADK 3 \",\"\n"
      "CALLB 0 2 2 join\n"
      "RETNIL\n",
      "t.hk:5: runtime error: join() expects an array of strings (item 0 is int)");
  error1("join", "1 | 2", "join() argument 1 must be an array of strings or a thread, not int");
  error1("upper", "nil", "upper() argument 1 must be a string, not nil");
}

static void test_print_format(void** state) {
  // nested values print as compact JSON with escapes; top-level strings raw
  vm_expect_out(
      "fn <main> 0\n"
      "LOADK 1 \"q\\\"\\n\\t\"\n"
      "LOADK 2 2.5\n"
      "LOADNIL 3\n"
      "LOADK 4 \"k\"\n"
      "MOVE 5 2\n"
      "NEWMAP 5 4 1\n"      // {"k": 2.5}, into one of its own operands
      "NEWARR 6 1 5\n"      // ["q\"\n\t", 2.5, null, "k", {...}]
      "LOADI 7 3\n"
      "SETINDEX 5 7 3\n"    // {"k":2.5,"3":null}
      "CALLB 0 6 1 print\n"
      "CALLB 0 1 1 print\n"
      "RETNIL\n",
      "[\"q\\\"\\n\\t\",2.5,null,\"k\",{\"k\":2.5,\"3\":null}]\nq\"\n\t\n");
}

static void test_collections(void** state) {
  error1("len", "3", "len() argument 1 must be a string, array or map, not int");
  error1("push", "3 | 4", "push() argument 1 must be an array, not int");
  error1("keys", "\"s\"", "keys() argument 1 must be a map, not string");
  error1("has", "1 | 1", "has() argument 1 must be a map, not int");
  call1("range", "3", "[0,1,2]\n");
  call1("range", "2 | 5", "[2,3,4]\n");
  call1("range", "5 | 0 | -2", "[5,3,1]\n");
  call1("range", "5 | 0", "[]\n");
  error1("range", "0 | 5 | 0", "range() step must not be 0");
  error1("range", "0 | 1.5", "range() argument 2 must be an int, not float");
  error1("range", "0 | 9223372036854775807", "range() too long for an array (9223372036854775807 items)");
  vm_expect_out(
      "fn <main> 0\n"
      "NEWMAP 1 0 0\n"
      "LOADI 2 5\n"
      "SETINDEX 1 2 2\n"
      "MOVE 3 1\n"
      "LOADK 4 5.0\n"
      "CALLB 3 3 2 has\n"   // true: 5.0 is key 5
      "MOVE 5 1\n"
      "LOADK 6 \"5\"\n"
      "CALLB 5 5 2 has\n"   // false: "5" is another key
      "CALLB 0 3 1 print\n"
      "CALLB 0 5 1 print\n"
      "RETNIL\n",
      "true\nfalse\n");
}

static void test_json(void** state) {
  call1("json_parse", "\"{\\\"a\\\": [1, 2.5, \\\"x\\\", true, null], \\\"b\\\": {}}\"",
        "{\"a\":[1,2.5,\"x\",true,null],\"b\":{}}\n");
  call1("json_parse", "\"[1e2, 12345678901234567890, -0, -0.0]\"", "[100.0,1.2345678901234567e+19,0,-0.0]\n");
  call1("json_parse", "\"{\\\"k\\\": 1, \\\"j\\\": 2, \\\"k\\\": 3}\"", "{\"k\":3,\"j\":2}\n");
  call1("json_parse", "\"\\\"\\\\u00e9\\\\ud83d\\\\ude00\\\"\"", "\xc3\xa9\xf0\x9f\x98\x80\n");
  call1("json_stringify", "\"a\\\"b\"", "\"a\\\"b\"\n");
  call1("json_stringify", "nil", "null\n");
  call1("json_stringify", "1.0", "1.0\n");
  error1("json_stringify", "1 | -1", "json_stringify() indent must be 0..64, not -1");
  vm_expect_out(
      "fn <main> 0\n"
      "LOADK 1 \"{\\\"a\\\": [1, {\\\"b\\\": []}], \\\"c\\\": {}}\"\n"
      "CALLB 1 1 1 json_parse\n"
      "LOADI 2 2\n"
      "CALLB 3 1 2 json_stringify\n"
      "LOADI 2 0\n"
      "CALLB 4 1 2 json_stringify\n"
      "CALLB 0 3 2 print\n"
      "RETNIL\n",
      "{\n  \"a\": [\n    1,\n    {\n      \"b\": []\n    }\n  ],\n  \"c\": {}\n} {\n\"a\": [\n1,\n{\n\"b\": []\n}\n],\n\"c\": {}\n}\n");
  vm_expect_error(
      "fn <main> 0\n"
      "LOADK 1 0.0\n"
      "LOADK 2 1.0\n"
      "DIV 1 2 1\n"
      "NEWARR 3 1 1\n"
      "CALLB 0 3 1 json_stringify\n"
      "RETNIL\n",
      "t.hk:6: runtime error: json_stringify: cannot write inf");
  vm_expect_error(
      "fn <main> 0\n"
      "LOADFN 1 <main>\n"
      "CALLB 0 1 1 json_stringify\n"
      "RETNIL\n",
      "t.hk:3: runtime error: json_stringify: cannot write a function");
  vm_run_t r;
  vm_run_asm("fn <main> 0\nLOADK 1 \"[1,\\n 2,\\n x]\"\nCALLB 0 1 1 json_parse\nRETNIL\n", &r);
  assert_int_equal(r.status, 1);
  assert_non_null(strstr(r.err, "t.hk:3: runtime error: json_parse: "));
  assert_non_null(strstr(r.err, " at line 3, column 2\n"));
  vm_run_free(&r);
}

static void test_args_clock_exit(void** state) {
  hvm_options_t opt;
  hvm_options_init(&opt);
  const char* argv[] = {"one", "t w o"};
  opt.argc = 2;
  opt.argv = argv;
  vm_run_t r;
  vm_run_asm_opts(
      "fn <main> 0\n"
      "CALLB 1 0 0 args\n"
      "CALLB 2 0 0 clock\n"
      "CALLB 3 0 0 clock\n"
      "LE 2 2 3\n"
      "CALLB 3 3 1 type\n"
      "CALLB 0 1 3 print\n"
      "CALLB 0 0 0 exit\n"
      "RETNIL\n",
      &opt, &r);
  assert_int_equal(r.status, 0);
  assert_int_equal(r.res.exited, 1);
  assert_string_equal(r.out, "[\"one\",\"t w o\"] true float\n");
  vm_run_free(&r);
  error1("exit", "\"x\"", "exit() argument 1 must be an int, not string");
}

static void test_builtin_values(void** state) {
  // builtins as values keep their arity checks; print of builtin/function values
  vm_expect_out(
      "fn <main> 0\n"
      "LOADBI 1 upper\n"
      "LOADK 2 \"abc\"\n"
      "CALL 3 1 1\n"
      "CALLB 0 3 1 print\n"
      "CALLB 0 1 1 print\n"
      "RETNIL\n",
      "ABC\n<builtin upper>\n");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_str_int_float_type), cmocka_unit_test(test_strings),
      cmocka_unit_test(test_print_format),       cmocka_unit_test(test_collections),
      cmocka_unit_test(test_json),               cmocka_unit_test(test_args_clock_exit),
      cmocka_unit_test(test_builtin_values),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
