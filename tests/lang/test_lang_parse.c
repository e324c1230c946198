/* test_lang_parse.c: the parser on every construct of the language
   (docs/language.md), checked through the AST dump, and name
   resolution (what each name is bound to). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "failing_alc.h"
#include "hlang.h"

// The dump of a clean program, or its diagnostics. Checked allocator: no leak.
static char* parse_dump(const char* src) {
  failing_alc_t t;
  failing_alc_init(&t, FAILING_ALC_MASK("lang"), 0);
  hlang_program_t* p = hlang_parse(&t.alc, "t.hk", src, strlen(src));
  assert_non_null(p);
  char* buf = NULL;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  if (hlang_error_count(p)) hlang_errors_print(p, f);
  else hlang_program_dump(p, f);
  fclose(f);
  hlang_program_free(p);
  assert_int_equal(t.live, 0);
  assert_int_equal(t.bad, 0);
  return buf;
}

static void expect_dump(const char* src, const char* want) {
  char* got = parse_dump(src);
  if (strcmp(got, want) != 0) fprintf(stderr, "source:\n%s\nwant:\n%s\ngot:\n%s\n", src, want, got);
  assert_string_equal(got, want);
  free(got);
}

// The <main> line of the dump for a script of statements only.
static void expect_main(const char* src, const char* body) {
  char want[4096];
  snprintf(want, sizeof want, "(fn <main> () (block%s%s))\n", *body ? " " : "", body);
  expect_dump(src, want);
}

// ----- Literals -----
static void test_literals(void** state) {
  (void)state;
  expect_main("nil; true; false; 42; 0x2A; 0xff; 0XFF;", "(expr nil) (expr true) (expr false) (expr 42) (expr 42) (expr 255) (expr 255)");
  expect_main("9223372036854775807; -9223372036854775808; 0xFFFFFFFFFFFFFFFF;",
              "(expr 9223372036854775807) (expr -9223372036854775808) (expr -1)");
  expect_main("1.5; 1e9; 2.5e-3; 1E+2; 0.1; 007;", "(expr 1.5) (expr 1e+09) (expr 0.0025) (expr 1e+02) (expr 0.1) (expr 7)");
  expect_main("\"\"; \"a b\"; \"\\n\\t\\r\\\\\\\"\\0\";", "(expr \"\") (expr \"a b\") (expr \"\\n\\x09\\x0D\\\\\\\"\\x00\")");
  // \u escapes: BMP, two-byte, and a surrogate pair (U+1F680) as UTF-8
  expect_main("\"\\u0041\\u00e9\\ud83d\\ude80\";", "(expr \"A\\xC3\\xA9\\xF0\\x9F\\x9A\\x80\")");
  expect_main("\"caf\xc3\xa9\";", "(expr \"caf\\xC3\\xA9\")");
}

static void test_collections(void** state) {
  (void)state;
  expect_main("[]; [1]; [1, \"a\", nil]; [1, 2,];", "(expr (array)) (expr (array 1)) (expr (array 1 \"a\" nil)) (expr (array 1 2))");
  // (a { at the start of a statement opens a block, so these sit in an array)
  expect_main("[{}, {\"k\": 1, name: 2}, {1: 2, (\"a\" + \"b\"): 3,}];",
              "(expr (array (map) (map (\"k\" 1) (\"name\" 2)) (map (1 2) ((+ \"a\" \"b\") 3))))");
  expect_main("let x = 1; let m = {x: x};", "(let x@0 1) (let m@1 (map (\"x\" x@0)))");
  expect_main("[[1, [2]], {a: {b: []}}];", "(expr (array (array 1 (array 2)) (map (\"a\" (map (\"b\" (array)))))))");
}

// ----- Expressions -----
static void test_precedence(void** state) {
  (void)state;
  expect_main("1 + 2 * 3;", "(expr (+ 1 (* 2 3)))");
  expect_main("1 * 2 + 3;", "(expr (+ (* 1 2) 3))");
  expect_main("1 - 2 - 3;", "(expr (- (- 1 2) 3))");
  expect_main("8 / 4 / 2 % 3;", "(expr (% (/ (/ 8 4) 2) 3))");
  expect_main("-2 * 3;", "(expr (* (neg 2) 3))");
  expect_main("- -2;", "(expr (neg (neg 2)))");
  expect_main("1 < 2 == true;", "(expr (== (< 1 2) true))");
  expect_main("1 + 2 < 3 * 4;", "(expr (< (+ 1 2) (* 3 4)))");
  expect_main("not 1 == 2;", "(expr (not (== 1 2)))");
  expect_main("not not true;", "(expr (not (not true)))");
  expect_main("true or false and nil;", "(expr (or true (and false nil)))");
  expect_main("true and false or nil;", "(expr (or (and true false) nil))");
  expect_main("not true and false;", "(expr (and (not true) false))");
  expect_main("(1 + 2) * 3;", "(expr (* (+ 1 2) 3))");
  expect_main("1 <= 2; 1 > 2; 1 >= 2; 1 != 2;", "(expr (<= 1 2)) (expr (> 1 2)) (expr (>= 1 2)) (expr (!= 1 2))");
}

static void test_postfix(void** state) {
  (void)state;
  expect_main("let a = [1]; a[0];", "(let a@0 (array 1)) (expr (index a@0 0))");
  expect_main("let m = {}; m.k; m.k.j; m[\"k\"][0];",
              "(let m@0 (map)) (expr (index m@0 \"k\")) (expr (index (index m@0 \"k\") \"j\")) (expr (index (index m@0 \"k\") 0))");
  expect_main("let m = {}; m.in; m.for; m.nil;", "(let m@0 (map)) (expr (index m@0 \"in\")) (expr (index m@0 \"for\")) (expr (index m@0 \"nil\"))");
  expect_main("print(); print(1, 2,); len([1])[0];", "(expr (call print@b)) (expr (call print@b 1 2)) (expr (index (call len@b (array 1)) 0))");
  expect_main("let f = print; f(1)(2);", "(let f@0 print@b) (expr (call (call f@0 1) 2))");
  expect_main("-len(\"ab\");", "(expr (neg (call len@b \"ab\")))");
  expect_main("let m = {}; -m.k[1];", "(let m@0 (map)) (expr (neg (index (index m@0 \"k\") 1)))");
}

// ----- Statements -----
static void test_let_assign(void** state) {
  (void)state;
  expect_main("let x = 1; x = x + 1;", "(let x@0 1) (assign x@0 (+ x@0 1))");
  expect_main("let x; x = 2;", "(let x@0) (assign x@0 2)");
  expect_main("let a = []; a[0] = 1; a[0][1] = 2;", "(let a@0 (array)) (assign (index a@0 0) 1) (assign (index (index a@0 0) 1) 2)");
  expect_main("let m = {}; m.k = 1; m[\"j\"] = m.k;", "(let m@0 (map)) (assign (index m@0 \"k\") 1) (assign (index m@0 \"j\") (index m@0 \"k\"))");
  expect_main("let x = 1; let x = x + 1; x;", "(let x@0 1) (let x@1 (+ x@0 1)) (expr x@1)");
  expect_main("; ;let x = 1;;", "(let x@0 1)");
}

static void test_if(void** state) {
  (void)state;
  expect_main("if true { 1; }", "(if true (block (expr 1)))");
  expect_main("if 1 { } else { 2; }", "(if 1 (block) (block (expr 2)))");
  expect_main("if 1 { 1; } else if 2 { 2; } else if 3 { 3; } else { 4; }",
              "(if 1 (block (expr 1)) (if 2 (block (expr 2)) (if 3 (block (expr 3)) (block (expr 4)))))");
  expect_main("if 1 < 2 and not false { }", "(if (and (< 1 2) (not false)) (block))");
  expect_main("if ({\"a\": 1}).a { }", "(if (index (map (\"a\" 1)) \"a\") (block))");  // a bare { would open the body
}

static void test_loops(void** state) {
  (void)state;
  expect_main("let i = 0; while i < 3 { i = i + 1; if i == 2 { continue; } break; }",
              "(let i@0 0) (while (< i@0 3) (block (assign i@0 (+ i@0 1)) (if (== i@0 2) (block (continue))) (break)))");
  expect_main("for i in range(0, 10) { print(i); }", "(for i@0 (call range@b 0 10) (block (expr (call print@b i@0))))");
  expect_main("for v in [1, 2] { for k in {a: 1} { break; } continue; }",
              "(for v@0 (array 1 2) (block (for k@1 (map (\"a\" 1)) (block (break))) (continue)))");
  expect_main("for i in range(10, 0, -2) { }", "(for i@0 (call range@b 10 0 (neg 2)) (block))");
  expect_main("{ let a = 1; { let a = 2; a; } a; }", "(block (let a@0 1) (block (let a@1 2) (expr a@1)) (expr a@0))");
}

static void test_functions(void** state) {
  (void)state;
  expect_dump("fn add(a, b) { return a + b; }\nprint(add(1, 2));",
              "(fn <main> () (block (expr (call print@b (call add@f1 1 2)))))\n"
              "(fn add (a b) (block (return (+ a@0 b@1))))\n");
  expect_dump("fn f() { return; }", "(fn <main> () (block))\n(fn f () (block (return)))\n");
  expect_dump("fn f(x,) { g(x); }\nfn g(y) { return f; }",
              "(fn <main> () (block))\n(fn f (x) (block (expr (call g@f2 x@0))))\n(fn g (y) (block (return f@f1)))\n");
  expect_dump("return 1;", "(fn <main> () (block (return 1)))\n");
  expect_dump("fn fib(n) { if n < 2 { return n; } return fib(n - 1) + fib(n - 2); }",
              "(fn <main> () (block))\n"
              "(fn fib (n) (block (if (< n@0 2) (block (return n@0))) (return (+ (call fib@f1 (- n@0 1)) (call fib@f1 (- n@0 2))))))\n");
}

static void test_extern(void** state) {
  (void)state;
  expect_dump("extern \"libm.so.6\" fn cos(f64) -> f64;\nprint(cos(0.5));",
              "(extern \"libm.so.6\" cos (f64) f64)\n(fn <main> () (block (expr (call print@b (call cos@e0 0.5)))))\n");
  expect_dump("extern \"libc.so.6\" fn puts(str) -> i64; extern \"x\" fn f(i64, f64, str, ptr); extern \"y\" fn g() -> void;",
              "(extern \"libc.so.6\" puts (str) i64)\n(extern \"x\" f (i64 f64 str ptr) void)\n(extern \"y\" g () void)\n"
              "(fn <main> () (block))\n");
  expect_dump("extern \"l\" fn h(i64, i64, i64, i64, i64, i64, i64, i64) -> ptr;",
              "(extern \"l\" h (i64 i64 i64 i64 i64 i64 i64 i64) ptr)\n(fn <main> () (block))\n");
}

static void test_comments_layout(void** state) {
  (void)state;
  expect_main("// a comment\nlet x = 1; // another\n\t\r\nx // before ;\n;", "(let x@0 1) (expr x@0)");
  expect_main("let s = \"// not a comment\";", "(let s@0 \"// not a comment\")");
  expect_main("", "");
  expect_main("// only a comment", "");
}

// ----- Names -----
static void test_resolution(void** state) {
  (void)state;
  // top-level lets are invisible to functions; functions see each other in any order
  expect_dump("let x = 1; fn f() { return g(); } fn g() { return 2; } print(f());",
              "(fn <main> () (block (let x@0 1) (expr (call print@b (call f@f1)))))\n"
              "(fn f () (block (return (call g@f2))))\n(fn g () (block (return 2)))\n");
  // a local or parameter shadows a builtin; a function replaces it in the whole script
  expect_dump("fn f(print) { return print; } let len = 3; len;",
              "(fn <main> () (block (let len@0 3) (expr len@0)))\n(fn f (print) (block (return print@0)))\n");
  expect_dump("fn len(x) { return 0; } len(1);",
              "(fn <main> () (block (expr (call len@f1 1))))\n(fn len (x) (block (return 0)))\n");
  // let x = x reads the outer x; a block's locals end with it
  expect_main("let x = 1; { let x = x + 1; } x;", "(let x@0 1) (block (let x@1 (+ x@0 1))) (expr x@0)");
  // loop variables are locals of the loop body
  expect_main("let i = 5; for i in [1] { i; } i;", "(let i@0 5) (for i@1 (array 1) (block (expr i@1))) (expr i@0)");
  // every builtin of the language is a name
  expect_main("print; len; push; pop; keys; has; del; str; int; float; substr; find; split; join; upper; lower;",
              "(expr print@b) (expr len@b) (expr push@b) (expr pop@b) (expr keys@b) (expr has@b) (expr del@b) (expr str@b) "
              "(expr int@b) (expr float@b) (expr substr@b) (expr find@b) (expr split@b) (expr join@b) (expr upper@b) (expr lower@b)");
  expect_main("json_parse; json_stringify; clock; args; exit; spawn; chan; send; recv; close; type; range;",
              "(expr json_parse@b) (expr json_stringify@b) (expr clock@b) (expr args@b) (expr exit@b) (expr spawn@b) (expr chan@b) "
              "(expr send@b) (expr recv@b) (expr close@b) (expr type@b) (expr range@b)");
}

static void test_program_api(void** state) {
  (void)state;
  const char* src = "extern \"libm.so.6\" fn sqrt(f64) -> f64;\nfn f(a, b) { let c = a; for i in range(3) { } return c; }\n";
  hlang_program_t* p = hlang_parse(NULL, "api.hk", src, strlen(src));
  assert_non_null(p);
  assert_int_equal(hlang_error_count(p), 0);
  assert_null(hlang_error(p, 0));
  assert_string_equal(hlang_program_file(p), "api.hk");
  assert_int_equal(hlang_fn_count(p), 2);
  const hlang_fn_t* f = hlang_fn(p, 1);
  assert_string_equal(f->name, "f");
  assert_int_equal(f->nparams, 2);
  assert_int_equal(f->nlocals, 4);  // a, b, c, i
  assert_string_equal(f->local_names[3], "i");
  assert_int_equal(f->line, 2);
  assert_string_equal(hlang_fn(p, 0)->name, "<main>");
  assert_null(hlang_fn(p, 2));
  assert_int_equal(hlang_extern_count(p), 1);
  assert_string_equal(hlang_extern(p, 0)->lib, "libm.so.6");
  assert_int_equal(hlang_extern(p, 0)->ret, HLANG_CTYPE_F64);
  assert_null(hlang_extern(p, 1));
  hlang_program_free(p);
  // names of enum values
  assert_string_equal(hlang_builtin_name(HLANG_BUILTIN_JSON_STRINGIFY), "json_stringify");
  assert_int_equal(hlang_builtin_lookup("range"), HLANG_BUILTIN_RANGE);
  assert_int_equal(hlang_builtin_lookup("nope"), -1);
  assert_string_equal(hlang_op_name(HLANG_OP_GE), ">=");
  assert_string_equal(hlang_ctype_name(HLANG_CTYPE_PTR), "ptr");
  assert_string_equal(hlang_kind_name(HLANG_FOR), "for");
  assert_null(hlang_op_name(HLANG_OP_COUNT));
  assert_null(hlang_builtin_name(HLANG_BUILTIN_COUNT));
  // NULL and empty inputs
  assert_int_equal(hlang_error_count(NULL), 0);
  hlang_program_free(NULL);
  p = hlang_parse(NULL, NULL, NULL, 5);
  assert_non_null(p);
  assert_string_equal(hlang_program_file(p), "<input>");
  assert_int_equal(hlang_fn_count(p), 1);
  hlang_program_free(p);
  // the source need not be NUL-terminated: only len bytes are read
  char buf[8] = {'l', 'e', 't', ' ', 'x', ';', '@', '@'};
  p = hlang_parse(NULL, "n.hk", buf, 6);
  assert_int_equal(hlang_error_count(p), 0);
  hlang_program_free(p);
}

// Out of memory at every allocation: NULL, nothing leaked; then success.
static void test_oom(void** state) {
  (void)state;
  const char* src =
      "extern \"libm.so.6\" fn sqrt(f64) -> f64;\n"
      "fn make(d) { if d == 0 { return [nil, nil]; } return [make(d - 1), make(d - 1)]; }\n"
      "let long = \"" /* a string literal bigger than a quarter chunk: its own block */
      "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
      "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
      "\";\nlet t = make(3); for i in range(10) { print(i, {a: [1, 2, 3]}, sqrt(2.0)); }\n";
  char big[8192];
  size_t n = 0;
  for (int k = 0; k < 30; k++) n += (size_t)snprintf(big + n, sizeof big - n, "let v%d = [%d, \"%0200d\"];\n", k, k, k);
  const char* srcs[] = {src, big};
  for (int s = 0; s < 2; s++) {
    bool done = false;
    for (long fail = 1; !done; fail++) {
      failing_alc_t t;
      failing_alc_init(&t, FAILING_ALC_MASK("lang"), 0);
      t.fail_at = fail;
      hlang_program_t* p = hlang_parse(&t.alc, "oom.hk", srcs[s], strlen(srcs[s]));
      if (p) {
        assert_int_equal(hlang_error_count(p), 0);
        hlang_program_free(p);
        done = t.attempts < fail;  // no allocation failed: every path was tried
      }
      assert_int_equal(t.live, 0);
      assert_int_equal(t.bad, 0);
      assert_true(fail < 10000);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_literals),    cmocka_unit_test(test_collections), cmocka_unit_test(test_precedence),
      cmocka_unit_test(test_postfix),     cmocka_unit_test(test_let_assign),  cmocka_unit_test(test_if),
      cmocka_unit_test(test_loops),       cmocka_unit_test(test_functions),   cmocka_unit_test(test_extern),
      cmocka_unit_test(test_comments_layout), cmocka_unit_test(test_resolution), cmocka_unit_test(test_program_api),
      cmocka_unit_test(test_oom),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
