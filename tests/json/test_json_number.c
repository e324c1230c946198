/* test_json_number.c: hjson_dtoa (Python repr format, shortest round trip,
   closest among the shortest) and number parsing (correctly rounded) against
   glibc's correctly rounded printf/strtod, on fixed cases, edge classes
   (subnormals, powers of two, integers) and many seeded random doubles. */
#include <float.h>
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hjson.h"
#include "test_rng.h"

static uint64_t rng = 0x1234567;
static uint64_t rnd(void) { return test_rng_next(&rng); }
static double from_bits(uint64_t b) {
  double d;
  memcpy(&d, &b, 8);
  return d;
}
static uint64_t bits_of(double d) {
  uint64_t b;
  memcpy(&b, &d, 8);
  return b;
}

static void test_dtoa_examples(void** state) {
  struct {
    double v;
    const char* s;
  } c[] = {
      {1e16, "1e+16"}, {1e15, "1000000000000000.0"}, {0.0001, "0.0001"}, {1e-05, "1e-05"}, {2e-07, "2e-07"},
      {-0.0, "-0.0"}, {0.0, "0.0"}, {1.5, "1.5"}, {1.2345678901234568e+17, "1.2345678901234568e+17"}, {1.0, "1.0"},
      {0.1, "0.1"}, {-2.5, "-2.5"}, {100.0, "100.0"}, {123456789.0, "123456789.0"}, {0.30000000000000004, "0.30000000000000004"},
      {5e-324, "5e-324"}, {1.7976931348623157e308, "1.7976931348623157e+308"}, {2.2250738585072014e-308, "2.2250738585072014e-308"},
      {9007199254740992.0, "9007199254740992.0"}, {9007199254740994.0, "9007199254740994.0"}, {1e22, "1e+22"}, {1e23, "1e+23"},
      {123.456, "123.456"}, {0.001, "0.001"}, {0.00012345, "0.00012345"}, {1.5e-5, "1.5e-05"}, {1e100, "1e+100"},
      {1.5e300, "1.5e+300"}, {2.5e-300, "2.5e-300"}, {9999999999999998.0, "9999999999999998.0"}, {1e-7, "1e-07"},
      {-122.41941550000001, "-122.41941550000001"}, {4.35, "4.35"}, {2.0 / 3.0, "0.6666666666666666"},
      {1.0 / 3.0, "0.3333333333333333"}, {6.02214076e23, "6.02214076e+23"}, {12345678901234567890.0, "1.2345678901234567e+19"},
      {INFINITY, "inf"}, {-INFINITY, "-inf"}, {NAN, "nan"},
  };
  char out[32];
  for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
    size_t n = hjson_dtoa(c[i].v, out);
    if (strcmp(out, c[i].s) || n != strlen(c[i].s)) fail_msg("dtoa(%.17g) = %s, want %s", c[i].v, out, c[i].s);
  }
  char b[24];
  assert_int_equal(hjson_itoa(INT64_MIN, b), 20);
  assert_string_equal(b, "-9223372036854775808");
  assert_int_equal(hjson_itoa(INT64_MAX, b), 19);
  assert_string_equal(b, "9223372036854775807");
  hjson_itoa(0, b);
  assert_string_equal(b, "0");
  hjson_itoa(-7, b);
  assert_string_equal(b, "-7");
  hjson_itoa(10000, b);
  assert_string_equal(b, "10000");
}

// Significant digits of a decimal text (no leading or trailing zeros) and
// the exponent with value = digits * 10^exp10; returns the digit count.
static int repr_digits(const char* s, char* digits, int* exp10) {
  int n = 0, after = 0, in_frac = 0;
  const char* p = s;
  if (*p == '-') p++;
  for (; *p && *p != 'e'; p++) {
    if (*p == '.') {
      in_frac = 1;
      continue;
    }
    if (n == 0 && *p == '0') {  // leading zero
      after += in_frac;
      continue;
    }
    digits[n++] = *p;
    after += in_frac;
  }
  int e = *p == 'e' ? atoi(p + 1) : 0;
  e -= after;
  while (n > 1 && digits[n - 1] == '0') n--, e++;
  digits[n] = 0;
  *exp10 = e;
  return n;
}

// Checks hjson_dtoa(x) against printf/strtod: reads back as x, no shorter
// decimal does, and it is the closest of its length that does.
static void check_shortest(double x) {
  char out[32], buf[64], dig[32];
  hjson_dtoa(x, out);
  double back = strtod(out, NULL);
  if (bits_of(back) != bits_of(x)) fail_msg("dtoa(%a) = %s does not read back", x, out);
  int e, n = repr_digits(out, dig, &e);
  // the nearest decimals with n - 1 digits, and their neighbours, must not read back
  if (n > 1) {
    snprintf(buf, sizeof buf, "%.*e", n - 2, x);
    if (strtod(buf, NULL) == x) fail_msg("%s: shorter %s reads back", out, buf);
    char* ep = strchr(buf, 'e');
    long long m = 0;
    int cnt = 0;
    for (char* q = buf; q < ep; q++)
      if (*q >= '0' && *q <= '9') m = m * 10 + (*q - '0'), cnt++;
    int ex = atoi(ep + 1) - (cnt - 1);
    for (int d = -1; d <= 1; d += 2) {
      char alt[64];
      snprintf(alt, sizeof alt, "%s%llde%d", x < 0 ? "-" : "", m + d, ex);
      if (strtod(alt, NULL) == x) fail_msg("%s: shorter %s reads back", out, alt);
    }
  }
  // closest of length n: the correctly rounded n-digit decimal, when it reads back
  snprintf(buf, sizeof buf, "%.*e", n - 1, x);
  if (strtod(buf, NULL) == x && strtod(buf, NULL) != 0) {
    char d2[32];
    int e2, n2 = repr_digits(buf, d2, &e2);
    if (n2 != n || strcmp(d2, dig) || e2 != e) fail_msg("%s: the closest is %s", out, buf);
  }
}

static void test_dtoa_shortest(void** state) {
  for (int i = 0; i < 200000; i++) {  // random bit patterns
    double x = from_bits(rnd());
    if (isfinite(x) && x != 0) check_shortest(x);
  }
  for (uint64_t c = 1; c < 70000; c++) check_shortest(from_bits(c));                   // smallest subnormals
  for (uint64_t e = 1; e < 2047; e++) check_shortest(from_bits(e << 52));              // powers of two
  for (uint64_t e = 1; e < 2047; e++) check_shortest(from_bits((e << 52) - 1));        // just below them
  for (int i = 0; i < 50000; i++) check_shortest((double)(int64_t)(rnd() >> (rnd() % 64)));  // integers
  for (int i = 0; i < 50000; i++) check_shortest((double)(rnd() % 100000000) / 1000.0);      // short decimals
  for (int i = 0; i < 20000; i++) check_shortest(from_bits(rnd() % 0x0010000000000000ull));   // subnormals
}

static void check_parse(const char* s) {
  double want = strtod(s, NULL), got = 12345;
  size_t n = hjson_read_double(s, strlen(s), &got);
  if (n != strlen(s)) fail_msg("read_double(%.60s): consumed %zu of %zu", s, n, strlen(s));
  if (bits_of(got) != bits_of(want)) fail_msg("read_double(%.60s) = %a, want %a", s, got, want);
  hjson_val_t v;
  if (s[0] != '+' && hjson_read_number(s, strlen(s), &v) == strlen(s) && isfinite(want)) {
    if (hjson_is_double(&v) && bits_of(hjson_get_double(&v)) != bits_of(want)) fail_msg("read_number(%.60s)", s);
  }
}

static void test_parse_correct(void** state) {
  char buf[1200];
  for (int i = 0; i < 100000; i++) {  // every double in %.17g and shortest form
    double x = from_bits(rnd() & 0x7fefffffffffffffull);
    snprintf(buf, sizeof buf, "%.17g", x);
    check_parse(buf);
    hjson_dtoa(x, buf);
    check_parse(buf);
  }
  for (int i = 0; i < 100000; i++) {  // random digit strings and exponents
    int nd = 1 + (int)(rnd() % 30), k = 0;
    if (rnd() & 1) buf[k++] = '-';
    buf[k++] = (char)('1' + rnd() % 9);
    for (int j = 1; j < nd; j++) buf[k++] = (char)('0' + rnd() % 10);
    if (rnd() & 1) {
      buf[k++] = '.';
      for (int j = (int)(rnd() % 20); j >= 0; j--) buf[k++] = (char)('0' + rnd() % 10);
    }
    snprintf(buf + k, sizeof buf - (size_t)k, "e%d", (int)(rnd() % 700) - 350);
    check_parse(buf);
  }
  for (int i = 0; i < 20000; i++) {  // exact midpoints between neighbours, and just off them
    uint64_t b = rnd() % 0x7fe0000000000000ull;
    long double mid = ((long double)from_bits(b) + (long double)from_bits(b + 1)) / 2;
    int len = snprintf(buf, sizeof buf, "%.800Le", mid);
    char* e = strchr(buf, 'e');
    char* z = e;  // strip trailing zeros of the mantissa
    while (z[-1] == '0') z--;
    memmove(z, e, strlen(e) + 1);
    check_parse(buf);
    (void)len;
    e = strchr(buf, 'e');
    memmove(e + 1, e, strlen(e) + 1);
    *e = '1';  // a bit above the midpoint
    check_parse(buf);
  }
  const char* fixed[] = {
      "0", "-0", "0.0", "1", "9007199254740993", "9007199254740992.5", "2.2250738585072011e-308",
      "2.2250738585072012e-308", "4.9406564584124654e-324", "2.4703282292062327e-324", "2.4703282292062328e-324",
      "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", "1e-400", "1e400", "7e-10",
      "8.988465674311579539e307", "0.000000000000000000000000000000000000001", "123456789012345678901234567890",
      "3.14159265358979323846264338327950288419716939937510582097494459", "1e0000000000000000000000001",
      "1e-99999999999999999999", "1e99999999999999999999", "0e99999999999999", "00000000012.5e-1",
      "+1.5", "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587"
      "207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764"
      "475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904"
      "174497791.9999999999999999999999999999999999999999999999999999999999999999999999"};
  for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) check_parse(fixed[i]);
  // a 10,000-digit number
  char* big = (char*)malloc(10100);
  memset(big, '7', 10000);
  strcpy(big + 10000, "e-9990");
  check_parse(big);
  big[5000] = '.';
  check_parse(big);
  free(big);
}

static void test_read_double_prefix(void** state) {
  double d = 0;
  assert_int_equal(hjson_read_double("1.", 2, &d), 1);
  assert_true(d == 1.0);
  assert_int_equal(hjson_read_double("1.5.5", 5, &d), 3);
  assert_int_equal(hjson_read_double("2e", 2, &d), 1);
  assert_int_equal(hjson_read_double("2e+x", 4, &d), 1);
  assert_int_equal(hjson_read_double("007", 3, &d), 3);
  assert_true(d == 7.0);
  assert_int_equal(hjson_read_double(".5", 2, &d), 0);
  assert_int_equal(hjson_read_double("-", 1, &d), 0);
  assert_int_equal(hjson_read_double("inf", 3, &d), 0);
  assert_int_equal(hjson_read_double("", 0, &d), 0);
  assert_int_equal(hjson_read_double(NULL, 5, &d), 0);
  assert_int_equal(hjson_read_double("1e999", 5, &d), 5);
  assert_true(isinf(d) && d > 0);
  assert_int_equal(hjson_read_double("-1e999", 6, &d), 6);
  assert_true(isinf(d) && d < 0);
  assert_int_equal(hjson_read_double("12345", 3, &d), 3);  // the length bounds the read
  assert_true(d == 123.0);
}

// Parsing and writing do not depend on LC_NUMERIC: in a locale whose
// decimal separator is ',' the results are the same. Skipped when no such
// locale is installed (Debian: the `locales` package).
static void test_locale_independent(void** state) {
  const char* names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "ru_RU.UTF-8", "nl_NL.UTF-8"};
  const char* got = NULL;
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !got; i++) got = setlocale(LC_NUMERIC, names[i]);
  if (!got) {
    print_message("no locale with a decimal comma installed: skipped\n");
    skip();
  }
  assert_int_equal(localeconv()->decimal_point[0], ',');
  double d = 0;
  assert_int_equal(hjson_read_double("1.5", 3, &d), 3);
  assert_true(d == 1.5);
  char big[40] = "3.1415926535897932384626433832795028";  // more than 19 digits: the exact path
  assert_int_equal(hjson_read_double(big, strlen(big), &d), strlen(big));
  assert_true(d == 3.141592653589793);
  char out[32];
  hjson_dtoa(2.5e-7, out);
  assert_string_equal(out, "2.5e-07");
  hjson_dtoa(0.5, out);
  assert_string_equal(out, "0.5");
  const char* text = "[0.25,1e-3]";
  hjson_doc_t* doc = hjson_parse(text, strlen(text), NULL, NULL);
  hjson_buf_t o;
  assert_true(hjson_write(hjson_doc_root(doc), HJSON_COMPACT, NULL, &o, NULL));
  assert_string_equal(o.data, "[0.25,0.001]");
  hjson_buf_free(&o, NULL);
  hjson_doc_free(doc);
  setlocale(LC_NUMERIC, "C");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dtoa_examples),
      cmocka_unit_test(test_dtoa_shortest),
      cmocka_unit_test(test_parse_correct),
      cmocka_unit_test(test_read_double_prefix),
      cmocka_unit_test(test_locale_independent),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
