/* test_lang_fuzz.c: bad scripts never crash the front-end. Deterministic
   random inputs (seeded): raw bytes, token soup, and mutations of a valid
   script (spans deleted, duplicated, swapped; bytes flipped). Every one must
   parse to a program (errors or not) without leaks or misuse of the
   allocation context, with at most HLANG_MAX_ERRORS diagnostics, each in
   the FILE:LINE:COL format with a position inside the input. Iterations:
   argv[1] (default 3000). */
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
#include "test_rng.h"

static long iterations = 3000;
static uint64_t rng = 0x1234567;
static size_t below(size_t n) { return test_rng_below(&rng, n); }

static const char* const seed_script =
    "fn make(d) { if d == 0 { return [nil, nil]; } return [make(d - 1), make(d - 1)]; }\n"
    "fn check(t) { if t[0] == nil { return 1; } return 1 + check(t[0]) + check(t[1]); }\n"
    "extern \"libm.so.6\" fn sqrt(f64) -> f64;\n"
    "let t = make(10);\n"
    "print(\"nodes\", check(t), sqrt(16.0));\n"
    "let doc = json_parse(\"{\\\"a\\\": [1, 2.5, \\\"x\\\"], \\\"b\\\": null}\");\n"
    "print(doc.a[1], json_stringify(doc));\n"
    "let c = chan();\n"
    "fn worker(c, n) { let s = 0; for i in range(0, n) { s = s + i; } send(c, s); return n; }\n"
    "let t1 = spawn(worker, c, 1000);\n"
    "let m = {\"k\": 1, name: 2, 3: -0x10};\n"
    "while m.k < 10 and not false { m.k = m.k + 1; if m.k % 2 == 0 { continue; } else if m.k > 8 { break; } }\n"
    "for k in m { print(k, m[k] / 2.5e-3, \"\\u00e9\\n\"); }\n"
    "print(recv(c), join(t1));\n";

static void check_program(const char* src, size_t len) {
  failing_alc_t t;
  failing_alc_init(&t, FAILING_ALC_MASK("lang"), 0);
  hlang_program_t* p = hlang_parse(&t.alc, "fz.hk", src, len);
  assert_non_null(p);
  size_t n = hlang_error_count(p);
  assert_true(n <= HLANG_MAX_ERRORS);
  uint32_t lines = 1;
  for (size_t k = 0; k < len; k++) lines += src[k] == '\n';
  for (size_t k = 0; k < n; k++) {
    const hlang_diag_t* d = hlang_error(p, k);
    assert_true(d->line >= 1 && d->line <= lines);
    assert_true(d->col >= 1);
    assert_true(strlen(d->message) > 0);
  }
  if (n == 0) {  // a clean program dumps (the walkers are bounded too)
    FILE* f = fopen("/dev/null", "w");
    hlang_program_dump(p, f);
    fclose(f);
  }
  hlang_program_free(p);
  assert_int_equal(t.live, 0);
  assert_int_equal(t.bad, 0);
}

static void test_random_bytes(void** state) {
  (void)state;
  char buf[512];
  for (long it = 0; it < iterations; it++) {
    size_t len = below(sizeof buf);
    bool printable = it % 2;
    for (size_t k = 0; k < len; k++) buf[k] = printable ? (char)(32 + below(95)) : (char)below(256);
    check_program(buf, len);
  }
}

static void test_token_soup(void** state) {
  (void)state;
  static const char* const toks[] = {
      "let", "fn", "return", "if", "else", "while", "for", "in", "break", "continue", "true", "false", "nil", "and", "or",
      "not", "extern", "x", "y", "print", "range", "(", ")", "[", "]", "{", "}", ",", ";", ":", ".", "=", "==", "!=",
      "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "->", "1", "0x1F", "2.5", "1e3", "\"s\"", "\"\\u00e9\"", "\n",
      "// c\n", "i64", "f64", "str", "ptr", "void", "\"libm.so.6\"", "99999999999999999999", "@", "!", "\"open"};
  char buf[4096];
  for (long it = 0; it < iterations; it++) {
    size_t len = 0, ntok = below(120);
    for (size_t k = 0; k < ntok; k++) {
      const char* tk = toks[below(sizeof toks / sizeof toks[0])];
      size_t l = strlen(tk);
      if (len + l + 1 >= sizeof buf) break;
      memcpy(buf + len, tk, l);
      len += l;
      buf[len++] = ' ';
    }
    check_program(buf, len);
  }
}

static void test_mutations(void** state) {
  (void)state;
  size_t base = strlen(seed_script);
  char* buf = malloc(base * 4 + 16);
  for (long it = 0; it < iterations; it++) {
    size_t len = base;
    memcpy(buf, seed_script, base);
    size_t edits = 1 + below(4);
    for (size_t e = 0; e < edits; e++) {
      size_t a = below(len), b = a + below(len - a + 1);
      switch (below(4)) {
        case 0:  // delete [a, b)
          memmove(buf + a, buf + b, len - b);
          len -= b - a;
          break;
        case 1:  // duplicate [a, b) at a (bounded)
          if (len + (b - a) <= base * 4) {
            memmove(buf + b + (b - a), buf + b, len - b);
            memcpy(buf + b, buf + a, b - a);
            len += b - a;
          }
          break;
        case 2:  // flip a byte
          if (len) buf[below(len)] = (char)below(256);
          break;
        default:  // swap two bytes
          if (len > 1) {
            size_t i = below(len), j = below(len);
            char c = buf[i];
            buf[i] = buf[j];
            buf[j] = c;
          }
          break;
      }
    }
    check_program(buf, len);
  }
  free(buf);
  check_program(seed_script, base);
}

int main(int argc, char** argv) {
  if (argc > 1) iterations = strtol(argv[1], NULL, 10);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_random_bytes),
      cmocka_unit_test(test_token_soup),
      cmocka_unit_test(test_mutations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
