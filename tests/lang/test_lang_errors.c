/* test_lang_errors.c: every kind of syntax error, with its exact message and
   position (FILE:LINE:COL: syntax error: MESSAGE), undefined names and the
   other resolution errors, recovery (several errors in one run), the cap on
   the number of errors, and the limits that keep hostile input from
   overflowing the C stack. */
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

static char* diagnostics(const char* src, size_t len) {
  failing_alc_t t;
  failing_alc_init(&t, FAILING_ALC_MASK("lang"), 0);
  hlang_program_t* p = hlang_parse(&t.alc, "t.hk", src, len);
  assert_non_null(p);
  char* buf = NULL;
  size_t n = 0;
  FILE* f = open_memstream(&buf, &n);
  hlang_errors_print(p, f);
  fclose(f);
  hlang_program_free(p);
  assert_int_equal(t.live, 0);
  assert_int_equal(t.bad, 0);
  return buf;
}

static void expect_errors(const char* src, const char* want) {
  char* got = diagnostics(src, strlen(src));
  if (strcmp(got, want) != 0) fprintf(stderr, "source:\n%s\nwant:\n%s\ngot:\n%s\n", src, want, got);
  assert_string_equal(got, want);
  free(got);
}

// One error: "t.hk:" + where + ": syntax error: " + msg.
static void expect_error(const char* src, const char* where, const char* msg) {
  char want[1024];
  snprintf(want, sizeof want, "t.hk:%s: syntax error: %s\n", where, msg);
  expect_errors(src, want);
}

// ----- Lexical -----
static void test_lexical(void** state) {
  (void)state;
  expect_error("let x = 1 @ 2;", "1:11", "unexpected character '@'");
  expect_error("let x = !true;", "1:9", "unexpected character '!' (negation is 'not')");
  expect_error("let x = \xc3\xa9;", "1:9", "unexpected character (byte 0xC3)");
  expect_error("let s = \"a\\qb\";", "1:11", "invalid escape '\\q' in string (use \\n \\t \\r \\\\ \\\" \\0 \\uXXXX)");
  expect_error("let s = \"abc;\nlet t = 1;", "1:9", "unterminated string (strings end on the line they start)");
  expect_error("let s = \"abc", "1:9", "unterminated string (strings end on the line they start)");
  expect_error("let s = \"\\u12\";", "1:10", "\\u needs four hex digits");
  expect_error("let s = \"\\ud800x\";", "1:10", "high surrogate \\u escape without a low surrogate after it");
  expect_error("let s = \"\\ud800\\u0041\";", "1:10", "high surrogate \\u escape without a low surrogate after it");
  expect_error("let s = \"\\udc00\";", "1:10", "low surrogate \\u escape without a high surrogate before it");
  expect_error("let n = 12abc;", "1:11", "invalid character in number literal 'a'");
  expect_error("let n = 1.5e3x;", "1:14", "invalid character in number literal 'x'");
  expect_error("let n = 0x;", "1:9", "hex literal needs digits after 0x");
  expect_error("let n = 0xfg;", "1:12", "invalid character in number literal 'g'");
  expect_error("let n = 99999999999999999999;", "1:9", "integer literal does not fit in 64 bits");
  expect_error("let n = 0x1FFFFFFFFFFFFFFFF;", "1:9", "integer literal does not fit in 64 bits");
  expect_error("let n = 9223372036854775808;", "1:9", "integer literal does not fit in 64 bits");
  expect_error("let n = 1 - 9223372036854775808;", "1:13", "integer literal does not fit in 64 bits");
  expect_error("let n = 1e999;", "1:9", "float literal out of range");
  expect_error("let n = .5;", "1:9", "expected an expression, found '.' (a float needs a digit before the point: 0.5)");
  // columns count bytes; tabs are one
  expect_error("\tlet x = @;", "1:10", "unexpected character '@'");
  expect_error("let s = \"\xc3\xa9\"; @", "1:15", "unexpected character '@'");
}

// ----- Syntax -----
static void test_syntax(void** state) {
  (void)state;
  expect_error("let x = 1\nlet y = 2;", "1:10", "expected ';' after the let statement, found 'let'");
  expect_error("print(1 2);", "1:9", "expected ')' to close the argument list, found integer");
  expect_error("print(1;", "1:8", "expected ')' to close the argument list, found ';'");
  expect_error("let a = [1, 2;", "1:14", "expected ']' to close the array, found ';'");
  expect_error("let m = [{a: 1];", "1:15", "expected '}' to close the map, found ']'");
  expect_error("let m = [{a 1}];", "1:13", "expected ':' after a map key, found integer");
  expect_error("let a = [1]; a[0;", "1:17", "expected ']' to close the index, found ';'");
  expect_error("let x = (1 + 2;", "1:15", "expected ')' to close the parenthesis, found ';'");
  expect_error("if true { print(1);", "1:20", "expected '}' to close the block opened at line 1, found end of file");
  expect_error("print(1); }", "1:11", "unexpected '}' (no block is open here)");
  expect_error("let x = ;", "1:9", "expected an expression, found ';'");
  expect_errors("let x = let;",  // recovery restarts at the keyword
                "t.hk:1:9: syntax error: expected an expression, found 'let'\n"
                "t.hk:1:12: syntax error: expected a name after 'let', found ';'\n");
  expect_error("let = 2;", "1:5", "expected a name after 'let', found '='");
  expect_error("let 5 = 2;", "1:5", "expected a name after 'let', found integer");
  expect_error("print(1) = 2;", "1:10", "cannot assign to this expression (only to a name, a[i] or m.k)");
  expect_error("1 = 2;", "1:3", "cannot assign to this expression (only to a name, a[i] or m.k)");
  expect_error("let m = {}; m.1 = 2;", "1:15", "expected a field name after '.', found integer");
  expect_error("if { }", "1:4", "expected a condition after 'if', found '{'");
  expect_error("while { }", "1:7", "expected a condition after 'while', found '{'");
  expect_error("if true print(1);", "1:9", "expected '{' to open the body of 'if', found name 'print'");
  expect_error("if true { } else print(1);", "1:18", "expected '{' or 'if' after 'else', found name 'print'");
  expect_error("else { }", "1:1", "expected an expression, found 'else'");
  expect_error("while true print(1);", "1:12", "expected '{' to open the body of 'while', found name 'print'");
  expect_error("for 1 in x { }", "1:5", "expected a loop variable after 'for', found integer");
  expect_error("for i of x { }", "1:7", "expected 'in' after the loop variable, found name 'of'");
  expect_error("for i in [1] print(i);", "1:14", "expected '{' to open the body of 'for', found name 'print'");
  expect_error("return 1 2;", "1:10", "expected ';' after the return statement, found integer");
  expect_error("{1: 2};", "1:3", "expected ';' after the expression, found ':'");  // { starts a block
}

static void test_placement(void** state) {
  (void)state;
  expect_error("break;", "1:1", "'break' outside a loop");
  expect_error("if true { continue; }", "1:11", "'continue' outside a loop");
  expect_error("while true { } break;", "1:16", "'break' outside a loop");
  expect_errors("while true { fn f() { break; } }",
                "t.hk:1:14: syntax error: functions can only be defined at the top level\n"
                "t.hk:1:23: syntax error: 'break' outside a loop\n");
  expect_error("fn f() { fn g() { } }", "1:10", "functions can only be defined at the top level");
  expect_error("{ fn g() { } }", "1:3", "functions can only be defined at the top level");
  expect_error("fn f() { extern \"l\" fn g(); }", "1:10", "extern functions can only be declared at the top level");
  expect_error("fn (a) { }", "1:4", "expected a function name after 'fn', found '('");
  expect_error("fn f(a, 1) { }", "1:9", "expected a parameter name, found integer");
  expect_error("fn f(a b) { }", "1:8", "expected ')' to close the parameter list, found name 'b'");
  expect_error("fn f() return 1;", "1:8", "expected '{' to open the function body, found 'return'");
}

static void test_extern(void** state) {
  (void)state;
  expect_error("extern fn f();", "1:8", "expected the library name as a string after 'extern', found 'fn'");
  expect_error("extern \"l\" f();", "1:12", "expected 'fn' after the library name, found name 'f'");
  expect_error("extern \"l\" fn 1();", "1:15", "expected the function name, found integer");
  expect_error("extern \"l\" fn f(int);", "1:17", "expected a parameter type (i64, f64, str or ptr), found name 'int'");
  expect_error("extern \"l\" fn f(void);", "1:17", "expected a parameter type (i64, f64, str or ptr), found name 'void'");
  expect_error("extern \"l\" fn f() -> int;", "1:22", "expected a result type (i64, f64, str, ptr or void), found name 'int'");
  expect_error("extern \"l\" fn f(i64, i64, i64, i64, i64, i64, i64, i64, i64);", "1:57", "an extern function takes at most 8 parameters");
  expect_error("extern \"l\" fn f() -> i64", "1:25", "expected ';' after the extern declaration, found end of file");
}

// ----- Names -----
static void test_names(void** state) {
  (void)state;
  expect_error("print(x);", "1:7", "undefined name 'x'");
  expect_error("print(x); let x = 1;", "1:7", "undefined name 'x'");
  expect_error("let x = x;", "1:9", "undefined name 'x'");
  expect_error("{ let y = 1; } print(y);", "1:22", "undefined name 'y'");
  expect_error("for i in [1] { } print(i);", "1:24", "undefined name 'i'");
  expect_error("let top = 1; fn f() { return top; }", "1:30", "undefined name 'top'");
  expect_error("fn f(a) { return b; }", "1:18", "undefined name 'b'");
  expect_error("x = 1;", "1:1", "assignment to undeclared name 'x' (declare it with let)");
  expect_error("fn f() { } f = 1;", "1:12", "cannot assign to function 'f' (declare a local with let)");
  expect_error("extern \"l\" fn g(); g = 1;", "1:20", "cannot assign to function 'g' (declare a local with let)");
  expect_error("print = 1;", "1:1", "cannot assign to builtin 'print' (declare a local with let)");
  expect_error("fn f() { }\nfn f(a) { }", "2:1", "'f' is already defined as a function at line 1");
  expect_error("extern \"l\" fn cos(f64) -> f64;\nfn cos(x) { }", "2:1", "'cos' is already defined as an extern at line 1");
  expect_error("fn cos(x) { }\nextern \"l\" fn cos(f64) -> f64;", "2:1", "'cos' is already defined as a function at line 1");
  expect_error("fn f(a, b, a) { }", "1:1", "function 'f' has two parameters named 'a'");
  // several undefined names, reported in source order
  expect_errors("fn f() { return zz + yy; }\nprint(xx);\n",
                "t.hk:1:17: syntax error: undefined name 'zz'\n"
                "t.hk:1:22: syntax error: undefined name 'yy'\n"
                "t.hk:2:7: syntax error: undefined name 'xx'\n");
  // names are only resolved in a program without syntax errors
  expect_error("print(nope); let = 1;", "1:18", "expected a name after 'let', found '='");
}

// ----- Recovery and limits -----
static void test_recovery(void** state) {
  (void)state;
  expect_errors("let a = ;\nlet b = 1 +;\nprint(1, 2;\nlet c = 3;\nif x { let = 2; }\nwhile true { ) }\nlet ok = 1;\n",
                "t.hk:1:9: syntax error: expected an expression, found ';'\n"
                "t.hk:2:12: syntax error: expected an expression, found ';'\n"
                "t.hk:3:11: syntax error: expected ')' to close the argument list, found ';'\n"
                "t.hk:5:12: syntax error: expected a name after 'let', found '='\n"
                "t.hk:6:14: syntax error: expected an expression, found ')'\n");
  // a broken string does not swallow the next lines
  expect_errors("let s = \"abc\nlet t = 1 2;\n",
                "t.hk:1:9: syntax error: unterminated string (strings end on the line they start)\n"
                "t.hk:2:11: syntax error: expected ';' after the let statement, found integer\n");
}

static char* repeat(const char* head, const char* unit, size_t n, const char* tail) {
  size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
  char* s = malloc(hl + ul * n + tl + 1);
  memcpy(s, head, hl);
  for (size_t k = 0; k < n; k++) memcpy(s + hl + k * ul, unit, ul);
  memcpy(s + hl + ul * n, tail, tl + 1);
  return s;
}

static void expect_limit(const char* head, const char* unit, size_t n, const char* tail, const char* msg) {
  char* src = repeat(head, unit, n, tail);
  char* got = diagnostics(src, strlen(src));
  if (strstr(got, msg) == NULL) fprintf(stderr, "want '%s' in:\n%s\n", msg, got);
  assert_non_null(strstr(got, msg));
  assert_true(strlen(got) < 4096);  // a few lines, not one per level
  free(got);
  free(src);
}

static void test_limits(void** state) {
  (void)state;
  const char* nest = "syntax error: nesting too deep (more than 200 levels of blocks, brackets or operators)";
  const char* tall = "syntax error: expression too deeply nested (its tree is more than 1000 levels high)";
  expect_limit("let x = ", "(", 100000, "1;", nest);
  expect_limit("let x = ", "[", 100000, "1;", nest);
  expect_limit("let x = ", "-", 100000, "1;", nest);
  expect_limit("let x = ", "not ", 100000, "1;", nest);
  expect_limit("", "if true { ", 100000, "", nest);
  expect_limit("", "{", 100000, "", nest);
  expect_limit("let x = 1", " + 1", 100000, ";", tall);
  expect_limit("let x = 1", " or 1", 100000, ";", tall);
  expect_limit("let x = 1", " * 2", 100000, ";", tall);
  expect_limit("let x = print", "(1)", 100000, ";", tall);
  expect_limit("let m = {}; let x = m", ".a", 100000, ";", tall);
  expect_limit("if true { } ", "else if true { } ", 100000, "", "syntax error: else-if chain too long (more than 1000 branches)");
  // just under the limits is fine
  char* ok = repeat("let x = ", "(", 150, "1");
  char* ok2 = repeat(ok, ")", 150, ";");
  char* got = diagnostics(ok2, strlen(ok2));
  assert_string_equal(got, "");
  free(got);
  free(ok);
  free(ok2);
  ok = repeat("let x = 1", " + 1", 900, ";");
  got = diagnostics(ok, strlen(ok));
  assert_string_equal(got, "");
  free(got);
  free(ok);
}

static void test_too_many(void** state) {
  (void)state;
  char* src = repeat("", "let = 1;\n", 100, "");
  char* got = diagnostics(src, strlen(src));
  int lines = 0;
  for (const char* p = got; *p; p++) lines += *p == '\n';
  assert_int_equal(lines, HLANG_MAX_ERRORS);
  assert_non_null(strstr(got, "t.hk:19:5: syntax error: expected a name after 'let', found '='\n"));
  assert_non_null(strstr(got, "t.hk:20:5: syntax error: too many errors, stopping here\n"));
  free(got);
  free(src);
  // the API: error entries
  hlang_program_t* p = hlang_parse(NULL, "e.hk", "let = 1;", 8);
  assert_int_equal(hlang_error_count(p), 1);
  const hlang_diag_t* d = hlang_error(p, 0);
  assert_int_equal(d->line, 1);
  assert_int_equal(d->col, 5);
  assert_string_equal(d->message, "expected a name after 'let', found '='");
  assert_null(hlang_error(p, 1));
  char* buf = NULL;
  size_t n = 0;
  FILE* f = open_memstream(&buf, &n);
  hlang_program_dump(p, f);  // a broken program only says so
  fclose(f);
  assert_string_equal(buf, "(errors 1)\n");
  free(buf);
  hlang_program_free(p);
}

// A NUL byte is an unexpected character, not the end of the source.
static void test_nul(void** state) {
  (void)state;
  const char src[] = "let x = 1;\0let y = 2;";
  char* got = diagnostics(src, sizeof src - 1);
  assert_string_equal(got, "t.hk:1:11: syntax error: unexpected character (byte 0x00)\n");
  free(got);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lexical), cmocka_unit_test(test_syntax),     cmocka_unit_test(test_placement),
      cmocka_unit_test(test_extern),  cmocka_unit_test(test_names),      cmocka_unit_test(test_recovery),
      cmocka_unit_test(test_limits),  cmocka_unit_test(test_too_many),   cmocka_unit_test(test_nul),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
