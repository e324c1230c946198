/* test_json_parse.c: the parser accepts exactly RFC 8259: every rejection
   rule with its error code and position, numbers as int or double, strings
   (escapes, surrogates, UTF-8), repeated keys, depth limits, no read past the
   buffer (inputs are copied into exact-size blocks for ASan), no leaks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hjson.h"
#include "failing_alc.h"

// Parses text (copied into an exact-size block) with a checking context.
static hjson_doc_t* parse_n(const char* text, size_t len, failing_alc_t* t, hjson_error_t* err, size_t max_depth) {
  char* buf = (char*)malloc(len ? len : 1);
  memcpy(buf, text, len);
  hjson_read_opts_t o = {max_depth};
  hjson_doc_t* d = hjson_parse_opts(buf, len, &o, &t->alc, err);
  free(buf);
  return d;
}

static void check_ok(const char* text) {
  failing_alc_t t;
  failing_alc_init(&t, FAILING_ALC_MASK("json"), 0);
  hjson_error_t err;
  hjson_doc_t* d = parse_n(text, strlen(text), &t, &err, 0);
  if (!d) fail_msg("rejected %s: %s at %zu:%zu", text, err.msg, err.line, err.col);
  assert_int_equal(err.code, HJSON_OK);
  hjson_doc_free(d);
  assert_int_equal(t.live, 0);
  assert_int_equal(t.bad, 0);
}

static void check_err_n(const char* text, size_t len, hjson_err_t code, size_t line, size_t col) {
  failing_alc_t t;
  failing_alc_init(&t, FAILING_ALC_MASK("json"), 0);
  hjson_error_t err;
  hjson_doc_t* d = parse_n(text, len, &t, &err, 0);
  if (d) fail_msg("accepted %s", text);
  if (err.code != code || err.line != line || err.col != col)
    fail_msg("%s: got code %d at %zu:%zu (%s), want %d at %zu:%zu", text, err.code, err.line, err.col, err.msg, code,
             line, col);
  assert_non_null(err.msg);
  assert_int_equal(t.live, 0);
  assert_int_equal(t.bad, 0);
}
static void check_err(const char* text, hjson_err_t code, size_t col) { check_err_n(text, strlen(text), code, 1, col); }

static void test_valid_texts(void** state) {
  const char* ok[] = {
      "0", "-0", "1", "-1", "1.5", "-1.5e-3", "1E+2", "1e2", "0.0", "0e0", "123456789012345678901234567890",
      "true", "false", "null", "\"\"", "\"a\"", " \t\r\n1 \t\r\n", "[]", "{}", "[ ]", "{ }", "[1,2,3]",
      "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}", "[[[[[]]]]]", "[{}, [], \"\", 0]",
      "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0041 \\u00e9 \\u20ac \\ud83d\\ude00\"", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
      "\"\\u0000\"", "\"\x7f\"", "{\"\":0}", "1e-400", "-1e-400", "1.7976931348623157e308", "4.9e-324",
      "\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\"", "[1\n,\n2]",
  };
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) check_ok(ok[i]);
}

static void test_rejects(void** state) {
  // structure
  check_err("", HJSON_ERR_EOF, 1);
  check_err("   ", HJSON_ERR_EOF, 4);
  check_err("[1,]", HJSON_ERR_SYNTAX, 3);
  check_err("[1 , ]", HJSON_ERR_SYNTAX, 4);
  check_err("{\"a\":1,}", HJSON_ERR_SYNTAX, 7);
  check_err("[,1]", HJSON_ERR_SYNTAX, 2);
  check_err("[1 2]", HJSON_ERR_SYNTAX, 4);
  check_err("{\"a\" 1}", HJSON_ERR_SYNTAX, 6);
  check_err("{1:2}", HJSON_ERR_SYNTAX, 2);
  check_err("{'a':1}", HJSON_ERR_SYNTAX, 2);
  check_err("['a']", HJSON_ERR_SYNTAX, 2);
  check_err("{\"a\":1 \"b\":2}", HJSON_ERR_SYNTAX, 8);
  check_err("[1}", HJSON_ERR_SYNTAX, 3);
  check_err("{\"a\":1]", HJSON_ERR_SYNTAX, 7);
  check_err("]", HJSON_ERR_SYNTAX, 1);
  check_err("[1", HJSON_ERR_EOF, 3);
  check_err("[", HJSON_ERR_EOF, 2);
  check_err("{\"a\"", HJSON_ERR_EOF, 5);
  check_err("{\"a\":", HJSON_ERR_EOF, 6);
  check_err("{", HJSON_ERR_EOF, 2);
  check_err("1 2", HJSON_ERR_TRAILING, 3);
  check_err("{} x", HJSON_ERR_TRAILING, 4);
  check_err("[1]]", HJSON_ERR_TRAILING, 4);
  check_err("null null", HJSON_ERR_TRAILING, 6);
  check_err("/* c */ 1", HJSON_ERR_SYNTAX, 1);
  check_err("1 // c", HJSON_ERR_TRAILING, 3);
  check_err("\xef\xbb\xbf{}", HJSON_ERR_SYNTAX, 1);
  check_err("\f1", HJSON_ERR_SYNTAX, 1);
  check_err("\xa0" "1", HJSON_ERR_SYNTAX, 1);
  // literals
  check_err("tru", HJSON_ERR_SYNTAX, 1);
  check_err("nul", HJSON_ERR_SYNTAX, 1);
  check_err("True", HJSON_ERR_SYNTAX, 1);
  check_err("nulls", HJSON_ERR_TRAILING, 5);
  check_err("NaN", HJSON_ERR_SYNTAX, 1);
  check_err("Infinity", HJSON_ERR_SYNTAX, 1);
  check_err("[-Infinity]", HJSON_ERR_NUMBER, 3);
  check_err("undefined", HJSON_ERR_SYNTAX, 1);
  // numbers
  check_err("01", HJSON_ERR_NUMBER, 1);
  check_err("-01", HJSON_ERR_NUMBER, 2);
  check_err("00", HJSON_ERR_NUMBER, 1);
  check_err("[00.5]", HJSON_ERR_NUMBER, 2);
  check_err("+1", HJSON_ERR_SYNTAX, 1);
  check_err(".5", HJSON_ERR_SYNTAX, 1);
  check_err("1.", HJSON_ERR_NUMBER, 3);
  check_err("1.e5", HJSON_ERR_NUMBER, 3);
  check_err("1e", HJSON_ERR_NUMBER, 3);
  check_err("1e+", HJSON_ERR_NUMBER, 4);
  check_err("1E-x", HJSON_ERR_NUMBER, 4);
  check_err("-", HJSON_ERR_NUMBER, 2);
  check_err("- 1", HJSON_ERR_NUMBER, 2);
  check_err("0x10", HJSON_ERR_TRAILING, 2);
  check_err("1.5.2", HJSON_ERR_TRAILING, 4);
  check_err("1e400", HJSON_ERR_NUMBER, 1);
  check_err("[-1e400]", HJSON_ERR_NUMBER, 2);
  check_err("1" "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000",
            HJSON_ERR_NUMBER, 1);
  // strings
  check_err("\"abc", HJSON_ERR_EOF, 5);
  check_err("\"abc\\\"", HJSON_ERR_EOF, 7);
  check_err("\"a\tb\"", HJSON_ERR_STRING, 3);
  check_err("\"a\nb\"", HJSON_ERR_STRING, 3);
  check_err("\"\x01\"", HJSON_ERR_STRING, 2);
  check_err("\"\x1f\"", HJSON_ERR_STRING, 2);
  check_err("\"\\x\"", HJSON_ERR_STRING, 2);
  check_err("\"ab\\'\"", HJSON_ERR_STRING, 4);
  check_err("\"\\a\"", HJSON_ERR_STRING, 2);
  check_err("\"\\u12\"", HJSON_ERR_STRING, 2);
  check_err("\"\\uZZZZ\"", HJSON_ERR_STRING, 2);
  check_err("\"\\U0041\"", HJSON_ERR_STRING, 2);
  check_err("\"\\ud800\"", HJSON_ERR_STRING, 2);
  check_err("\"x\\udbff\"", HJSON_ERR_STRING, 3);
  check_err("\"\\udc00\"", HJSON_ERR_STRING, 2);
  check_err("\"\\ud800\\u0041\"", HJSON_ERR_STRING, 2);
  check_err("\"\\ud800\\ud800\"", HJSON_ERR_STRING, 2);
  check_err("\"\\ud800x\"", HJSON_ERR_STRING, 2);
  check_err("\"\\ude00\\ud83d\"", HJSON_ERR_STRING, 2);
  // UTF-8
  check_err("\"\xff\"", HJSON_ERR_UTF8, 2);
  check_err("\"\x80\"", HJSON_ERR_UTF8, 2);
  check_err("\"a\xc0\xaf\"", HJSON_ERR_UTF8, 3);       // overlong '/'
  check_err("\"\xc1\xbf\"", HJSON_ERR_UTF8, 2);        // overlong
  check_err("\"\xe0\x80\xaf\"", HJSON_ERR_UTF8, 2);    // overlong 3-byte
  check_err("\"\xf0\x80\x80\xaf\"", HJSON_ERR_UTF8, 2);  // overlong 4-byte
  check_err("\"\xed\xa0\x80\"", HJSON_ERR_UTF8, 2);    // surrogate U+D800 in UTF-8
  check_err("\"\xf4\x90\x80\x80\"", HJSON_ERR_UTF8, 2);  // above U+10FFFF
  check_err("\"\xf5\x80\x80\x80\"", HJSON_ERR_UTF8, 2);
  check_err("\"\xe2\x82\"", HJSON_ERR_UTF8, 2);        // truncated
  check_err("\"\xc3\"", HJSON_ERR_UTF8, 2);
  check_err("\"\xc3", HJSON_ERR_UTF8, 2);
  check_err("\"\\n\xff\"", HJSON_ERR_UTF8, 4);  // after an escape
  check_err("[\"ok\",\"\xc3\x28\"]", HJSON_ERR_UTF8, 8);
  check_err("\xc3\xa9", HJSON_ERR_SYNTAX, 1);  // UTF-8 outside a string
  // embedded NUL outside strings, raw NUL inside
  check_err_n("[1]\0", 4, HJSON_ERR_TRAILING, 1, 4);
  check_err_n("\"a\0b\"", 5, HJSON_ERR_STRING, 1, 3);
  // a NULL buffer with a length
  hjson_error_t err;
  assert_null(hjson_parse(NULL, 3, NULL, &err));
  assert_int_equal(err.code, HJSON_ERR_ARG);
}

static void test_positions(void** state) {
  check_err_n("{\n  \"a\": tru\n}", 14, HJSON_ERR_SYNTAX, 2, 8);
  check_err_n("[\n1,\n2,\n]", 9, HJSON_ERR_SYNTAX, 3, 2);
  check_err_n("[1,\r\n 2\r\n", 9, HJSON_ERR_EOF, 3, 1);
  check_err_n("\n\n\n   x", 7, HJSON_ERR_SYNTAX, 4, 4);
  check_err_n("{\"k\":\n\"\xc3\xa9\xff\"}", 11, HJSON_ERR_UTF8, 2, 4);  // columns count bytes
}

static void test_numbers(void** state) {
  struct {
    const char* text;
    hjson_type_t type;
    int64_t i;
    double d;
  } cases[] = {
      {"0", HJSON_INT, 0, 0},
      {"-0", HJSON_INT, 0, 0},
      {"42", HJSON_INT, 42, 0},
      {"-42", HJSON_INT, -42, 0},
      {"9223372036854775807", HJSON_INT, INT64_MAX, 0},
      {"-9223372036854775808", HJSON_INT, INT64_MIN, 0},
      {"9223372036854775808", HJSON_DOUBLE, 0, 9223372036854775808.0},
      {"-9223372036854775809", HJSON_DOUBLE, 0, -9223372036854775809.0},
      {"18446744073709551616", HJSON_DOUBLE, 0, 18446744073709551616.0},
      {"100000000000000000000", HJSON_DOUBLE, 0, 1e20},
      {"1.0", HJSON_DOUBLE, 0, 1.0},
      {"-0.0", HJSON_DOUBLE, 0, -0.0},
      {"1e2", HJSON_DOUBLE, 0, 100.0},
      {"1E2", HJSON_DOUBLE, 0, 100.0},
      {"0.1", HJSON_DOUBLE, 0, 0.1},
      {"2.5e-3", HJSON_DOUBLE, 0, 2.5e-3},
      {"1e-400", HJSON_DOUBLE, 0, 0.0},
      {"4.9406564584124654e-324", HJSON_DOUBLE, 0, 4.9406564584124654e-324},
      {"2.2250738585072011e-308", HJSON_DOUBLE, 0, 2.2250738585072011e-308},
      {"1.7976931348623157e308", HJSON_DOUBLE, 0, 1.7976931348623157e308},
      {"0.30000000000000004", HJSON_DOUBLE, 0, 0.30000000000000004},
      {"9007199254740993", HJSON_INT, 9007199254740993, 0},
      {"9007199254740993.0", HJSON_DOUBLE, 0, 9007199254740992.0},
      {"9007199254740995.0", HJSON_DOUBLE, 0, 9007199254740996.0},
      {"123456789012345678901234567890e-10", HJSON_DOUBLE, 0, 12345678901234567890.1234567890},
      {"0.000000000000000000000000000000000000000000001e45", HJSON_DOUBLE, 0, 1.0},
      {"-122.41941550000001", HJSON_DOUBLE, 0, -122.41941550000001},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    hjson_error_t err;
    hjson_doc_t* d = hjson_parse(cases[i].text, strlen(cases[i].text), NULL, &err);
    if (!d) fail_msg("%s: %s", cases[i].text, err.msg);
    hjson_val_t* r = hjson_doc_root(d);
    if (hjson_type(r) != cases[i].type) fail_msg("%s: type %s", cases[i].text, hjson_type_name(hjson_type(r)));
    if (cases[i].type == HJSON_INT) assert_true(hjson_get_int(r) == cases[i].i);
    else {
      double got = hjson_get_double(r);
      if (memcmp(&got, &cases[i].d, 8)) fail_msg("%s: got %.17g", cases[i].text, got);
    }
    hjson_doc_free(d);
  }
  // hjson_read_number: prefix parse, no leading zeros
  hjson_val_t v;
  assert_int_equal(hjson_read_number("12,", 3, &v), 2);
  assert_int_equal(hjson_get_int(&v), 12);
  assert_int_equal(hjson_read_number("-1.5e3]", 7, &v), 6);
  assert_true(hjson_get_double(&v) == -1500.0);
  assert_int_equal(hjson_read_number("01", 2, &v), 0);
  assert_int_equal(hjson_read_number("x", 1, &v), 0);
  assert_int_equal(hjson_read_number("1e999", 5, &v), 0);
  assert_int_equal(hjson_read_number(NULL, 0, &v), 0);
}

static void test_strings(void** state) {
  const char* text = "[\"\\u0000\", \"\\ud83d\\ude00\", \"\\u00e9t\\u00E9\", \"a\\/b\", \"\\\"\\\\\\b\\f\\n\\r\\t\"]";
  hjson_doc_t* d = hjson_parse(text, strlen(text), NULL, NULL);
  assert_non_null(d);
  hjson_val_t* a = hjson_doc_root(d);
  assert_int_equal(hjson_arr_len(a), 5);
  assert_int_equal(hjson_get_len(hjson_arr_get(a, 0)), 1);
  assert_int_equal(hjson_get_str(hjson_arr_get(a, 0))[0], 0);
  assert_string_equal(hjson_get_str(hjson_arr_get(a, 1)), "\xf0\x9f\x98\x80");
  assert_string_equal(hjson_get_str(hjson_arr_get(a, 2)), "\xc3\xa9t\xc3\xa9");
  assert_string_equal(hjson_get_str(hjson_arr_get(a, 3)), "a/b");
  assert_string_equal(hjson_get_str(hjson_arr_get(a, 4)), "\"\\\b\f\n\r\t");
  hjson_doc_free(d);
  // long strings cross the 8-byte scan in every alignment
  char buf[200];
  for (int n = 0; n < 40; n++) {
    for (int esc = 0; esc < 2; esc++) {
      size_t k = 0;
      buf[k++] = '"';
      for (int i = 0; i < n; i++) buf[k++] = (char)('a' + i % 26);
      if (esc) memcpy(buf + k, "\\n\xc3\xa9", 4), k += 4;
      buf[k++] = '"';
      failing_alc_t t;
      failing_alc_init(&t, FAILING_ALC_MASK("json"), 0);
      d = parse_n(buf, k, &t, NULL, 0);
      assert_non_null(d);
      assert_int_equal(hjson_get_len(hjson_doc_root(d)), (size_t)n + (esc ? 3 : 0));
      hjson_doc_free(d);
      assert_int_equal(t.live, 0);
      // and the same without the closing quote
      assert_null(parse_n(buf, k - 1, &t, NULL, 0));
      assert_int_equal(t.live, 0);
    }
  }
}

static void test_repeated_keys(void** state) {
  failing_alc_t t;
  failing_alc_init(&t, FAILING_ALC_MASK("json"), 0);
  const char* text = "{\"a\":1,\"b\":[1,{\"x\":\"y\"}],\"a\":\"s\",\"c\":0,\"b\":{\"z\":[]},\"a\":3}";
  hjson_doc_t* d = parse_n(text, strlen(text), &t, NULL, 0);
  assert_non_null(d);
  hjson_val_t* o = hjson_doc_root(d);
  assert_int_equal(hjson_obj_len(o), 3);
  assert_string_equal(hjson_get_str(hjson_obj_key(o, 0)), "a");
  assert_string_equal(hjson_get_str(hjson_obj_key(o, 1)), "b");
  assert_string_equal(hjson_get_str(hjson_obj_key(o, 2)), "c");
  assert_int_equal(hjson_get_int(hjson_obj_getz(o, "a")), 3);
  assert_true(hjson_is_obj(hjson_obj_getz(o, "b")));
  hjson_doc_free(d);
  assert_int_equal(t.live, 0);
  assert_int_equal(t.bad, 0);
  // a large object (hash path): 300 members, keys k0..k99 three times
  char* big = (char*)malloc(20000);
  size_t n = 0;
  big[n++] = '{';
  for (int r = 0; r < 3; r++)
    for (int i = 0; i < 100; i++) n += (size_t)sprintf(big + n, "%s\"key_number_%d\":[%d]", n > 1 ? "," : "", i, r * 1000 + i);
  big[n++] = '}';
  d = parse_n(big, n, &t, NULL, 0);
  assert_non_null(d);
  o = hjson_doc_root(d);
  assert_int_equal(hjson_obj_len(o), 100);
  for (int i = 0; i < 100; i++) {
    char k[32];
    sprintf(k, "key_number_%d", i);
    assert_string_equal(hjson_get_str(hjson_obj_key(o, (size_t)i)), k);
    assert_int_equal(hjson_get_int(hjson_arr_get(hjson_obj_val(o, (size_t)i), 0)), 2000 + i);
  }
  hjson_doc_free(d);
  free(big);
  assert_int_equal(t.live, 0);
  assert_int_equal(t.bad, 0);
  // empty key and keys differing only after a NUL
  const char* t2 = "{\"\":1,\"a\\u0000b\":2,\"a\\u0000c\":3,\"\":4}";
  d = hjson_parse(t2, strlen(t2), NULL, NULL);
  assert_int_equal(hjson_obj_len(hjson_doc_root(d)), 3);
  assert_int_equal(hjson_get_int(hjson_obj_get(hjson_doc_root(d), "", 0)), 4);
  assert_int_equal(hjson_get_int(hjson_obj_get(hjson_doc_root(d), "a\0c", 3)), 3);
  hjson_doc_free(d);
}

static void test_depth(void** state) {
  size_t n = 100000;
  char* s = (char*)malloc(2 * n);
  memset(s, '[', n);
  memset(s + n, ']', n);
  failing_alc_t t;
  failing_alc_init(&t, FAILING_ALC_MASK("json"), 0);
  hjson_error_t err;
  // 100,000 opening brackets: rejected cleanly at depth 1001
  assert_null(parse_n(s, n, &t, &err, 0));
  assert_int_equal(err.code, HJSON_ERR_DEPTH);
  assert_int_equal(err.col, 1001);
  assert_int_equal(t.live, 0);
  // exactly the default limit is fine, one more is not
  char* d1000 = (char*)malloc(2000);
  memset(d1000, '[', 1000);
  memset(d1000 + 1000, ']', 1000);
  hjson_doc_t* d = parse_n(d1000, 2000, &t, &err, 0);
  assert_non_null(d);
  hjson_doc_free(d);
  memcpy(s, d1000, 1000);
  assert_null(parse_n(s + n - 1001, 2002, &t, &err, 0));
  assert_int_equal(err.code, HJSON_ERR_DEPTH);
  // a settable limit: 100,000 deep is accepted with max_depth 100000 (no recursion anywhere)
  memset(s, '[', n);
  d = parse_n(s, 2 * n, &t, &err, n);
  assert_non_null(d);
  hjson_buf_t out;
  assert_true(hjson_write(hjson_doc_root(d), HJSON_COMPACT, &t.alc, &out, NULL));
  assert_int_equal(out.len, 2 * n);
  hjson_buf_free(&out, &t.alc);
  hjson_doc_t* copy = hjson_doc_new(&t.alc);
  assert_true(hjson_set_copy(copy, hjson_doc_root(copy), hjson_doc_root(d)));
  assert_true(hjson_equal(hjson_doc_root(copy), hjson_doc_root(d)));
  hjson_doc_free(copy);
  hjson_doc_free(d);
  // objects count too
  d = parse_n("{\"a\":{\"a\":{}}}", 14, &t, &err, 2);
  assert_null(d);
  assert_int_equal(err.code, HJSON_ERR_DEPTH);
  assert_int_equal(err.col, 11);
  d = parse_n("{\"a\":{\"a\":1}}", 13, &t, &err, 2);
  assert_non_null(d);
  hjson_doc_free(d);
  assert_int_equal(t.live, 0);
  assert_int_equal(t.bad, 0);
  free(s);
  free(d1000);
}

static void test_order_and_access(void** state) {
  const char* text = "{\"z\":1,\"y\":2.5,\"x\":\"s\",\"w\":[null,true,false],\"v\":{}}";
  hjson_doc_t* d = hjson_parse(text, strlen(text), NULL, NULL);
  hjson_val_t* o = hjson_doc_root(d);
  const char* keys = "zyxwv";
  for (size_t i = 0; i < 5; i++) assert_int_equal(hjson_get_str(hjson_obj_key(o, i))[0], keys[i]);
  assert_null(hjson_obj_key(o, 5));
  assert_true(hjson_get_num(hjson_obj_getz(o, "z")) == 1.0);
  assert_true(hjson_get_num(hjson_obj_getz(o, "y")) == 2.5);
  assert_true(hjson_is_num(hjson_obj_getz(o, "y")));
  assert_null(hjson_obj_getz(o, "nope"));
  assert_null(hjson_obj_getz(o, NULL));
  hjson_val_t* w = hjson_obj_getz(o, "w");
  assert_true(hjson_is_null(hjson_arr_get(w, 0)));
  assert_true(hjson_get_bool(hjson_arr_get(w, 1)));
  assert_false(hjson_get_bool(hjson_arr_get(w, 2)));
  assert_true(hjson_is_bool(hjson_arr_get(w, 2)));
  assert_null(hjson_arr_get(w, 3));
  assert_int_equal(hjson_get_len(w), 3);
  assert_int_equal(hjson_obj_len(hjson_obj_getz(o, "v")), 0);
  // wrong types and NULL give zero values
  assert_int_equal(hjson_type(NULL), HJSON_NONE);
  assert_int_equal(hjson_arr_len(o), 0);
  assert_null(hjson_arr_get(o, 0));
  assert_int_equal(hjson_get_int(hjson_obj_getz(o, "y")), 0);
  assert_null(hjson_get_str(NULL));
  assert_int_equal(hjson_get_len(NULL), 0);
  assert_string_equal(hjson_type_name(HJSON_OBJECT), "object");
  assert_string_equal(hjson_type_name((hjson_type_t)99), "none");
  hjson_doc_free(d);
  hjson_doc_free(NULL);
  assert_null(hjson_doc_root(NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid_texts), cmocka_unit_test(test_rejects),       cmocka_unit_test(test_positions),
      cmocka_unit_test(test_numbers),     cmocka_unit_test(test_strings),       cmocka_unit_test(test_repeated_keys),
      cmocka_unit_test(test_depth),       cmocka_unit_test(test_order_and_access),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
