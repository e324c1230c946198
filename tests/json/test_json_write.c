/* test_json_write.c: the DOM writer and the streaming writer: compact and
   Python json.dumps(indent=N) layouts (expected texts made with Python 3.11),
   escaping as docs/language.md says, refusal of NaN/infinity and invalid UTF-8,
   misuse of the streaming writer, and no leak on any path. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hjson.h"
#include "failing_alc.h"

// {"a":[1,2.5,"x",[],{}],"b":null,"c":{"d":true,"e":[{"f":false}]},"s":"q\"\\\n\r\t\b\f\u0001\u001f\x7f/é"}
static const char doc_compact[] =
    "{\"a\":[1,2.5,\"x\",[],{}],\"b\":null,\"c\":{\"d\":true,\"e\":[{\"f\":false}]},"
    "\"s\":\"q\\\"\\\\\\n\\r\\t\\b\\f\\u0001\\u001f\x7f/\xc3\xa9\"}";
static const char doc_indent2[] =
    "{\n  \"a\": [\n    1,\n    2.5,\n    \"x\",\n    [],\n    {}\n  ],\n  \"b\": null,\n  \"c\": {\n    \"d\": true,\n"
    "    \"e\": [\n      {\n        \"f\": false\n      }\n    ]\n  },\n"
    "  \"s\": \"q\\\"\\\\\\n\\r\\t\\b\\f\\u0001\\u001f\x7f/\xc3\xa9\"\n}";
static const char doc_indent0[] =
    "{\n\"a\": [\n1,\n2.5,\n\"x\",\n[],\n{}\n],\n\"b\": null,\n\"c\": {\n\"d\": true,\n\"e\": [\n{\n\"f\": false\n}\n]\n},\n"
    "\"s\": \"q\\\"\\\\\\n\\r\\t\\b\\f\\u0001\\u001f\x7f/\xc3\xa9\"\n}";

static void expect_write(const hjson_val_t* v, int indent, const char* want) {
  failing_alc_t t;
  failing_alc_init(&t, FAILING_ALC_MASK("json"), 0);
  hjson_buf_t out;
  hjson_error_t err;
  assert_true(hjson_write(v, indent, &t.alc, &out, &err));
  assert_int_equal(err.code, HJSON_OK);
  if (strcmp(out.data, want)) fail_msg("indent %d:\n%s\nwant:\n%s", indent, out.data, want);
  assert_int_equal(out.len, strlen(want));
  hjson_buf_free(&out, &t.alc);
  assert_null(out.data);
  assert_int_equal(t.live, 0);
  assert_int_equal(t.bad, 0);
}

static void test_layouts(void** state) {
  hjson_doc_t* d = hjson_parse(doc_compact, strlen(doc_compact), NULL, NULL);
  assert_non_null(d);
  expect_write(hjson_doc_root(d), HJSON_COMPACT, doc_compact);
  expect_write(hjson_doc_root(d), 2, doc_indent2);
  expect_write(hjson_doc_root(d), 0, doc_indent0);
  hjson_doc_free(d);
  struct {
    const char* in;
    int indent;
    const char* out;
  } c[] = {
      {"[]", 4, "[]"},
      {"[[]]", 4, "[\n    []\n]"},
      {"{\"k\":{}}", 1, "{\n \"k\": {}\n}"},
      {" 1 ", 3, "1"},
      {"\"x\"", 2, "\"x\""},
      {"[1,[2,[3]]]", 1, "[\n 1,\n [\n  2,\n  [\n   3\n  ]\n ]\n]"},
      {"[1e16,1e15,0.0001,1e-05,-0.0,1.5,2e-07]", HJSON_COMPACT, "[1e+16,1000000000000000.0,0.0001,1e-05,-0.0,1.5,2e-07]"},
      {"[-9223372036854775808,9223372036854775807,0,-0]", HJSON_COMPACT, "[-9223372036854775808,9223372036854775807,0,0]"},
      {"\"\\u0000\\u007f\\u0080\\u2028\\ud83d\\ude00\\/\"", HJSON_COMPACT, "\"\\u0000\x7f\xc2\x80\xe2\x80\xa8\xf0\x9f\x98\x80/\""},
  };
  for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
    d = hjson_parse(c[i].in, strlen(c[i].in), NULL, NULL);
    assert_non_null(d);
    expect_write(hjson_doc_root(d), c[i].indent, c[i].out);
    hjson_doc_free(d);
  }
}

// The same document through the streaming writer gives the same text.
static bool stream_doc(hjson_writer_t* w) {
  hjson_writer_begin_object(w);
  hjson_writer_key(w, "a", 1);
  hjson_writer_begin_array(w);
  hjson_writer_int(w, 1);
  hjson_writer_double(w, 2.5);
  hjson_writer_string(w, "x", 1);
  hjson_writer_begin_array(w);
  hjson_writer_end_array(w);
  hjson_writer_begin_object(w);
  hjson_writer_end_object(w);
  hjson_writer_end_array(w);
  hjson_writer_key(w, "b", 1);
  hjson_writer_null(w);
  hjson_writer_key(w, "c", 1);
  hjson_writer_begin_object(w);
  hjson_writer_key(w, "d", 1);
  hjson_writer_bool(w, true);
  hjson_writer_key(w, "e", 1);
  const char* sub = "[{\"f\":false}]";
  hjson_doc_t* d = hjson_parse(sub, strlen(sub), NULL, NULL);
  hjson_writer_value(w, hjson_doc_root(d));  // a DOM subtree in the middle of a stream
  hjson_doc_free(d);
  hjson_writer_end_object(w);
  hjson_writer_key(w, "s", 1);
  hjson_writer_string(w, "q\"\\\n\r\t\b\f\x01\x1f\x7f/\xc3\xa9", 14);
  return hjson_writer_end_object(w);
}

static void test_streaming(void** state) {
  int indents[] = {HJSON_COMPACT, 2, 0};
  const char* want[] = {doc_compact, doc_indent2, doc_indent0};
  for (int i = 0; i < 3; i++) {
    failing_alc_t t;
    failing_alc_init(&t, FAILING_ALC_MASK("json"), 0);
    hjson_writer_t w;
    hjson_writer_init(&w, &t.alc, indents[i]);
    assert_true(stream_doc(&w));
    hjson_buf_t out;
    assert_true(hjson_writer_finish(&w, &out));
    assert_string_equal(out.data, want[i]);
    hjson_writer_destroy(&w);
    hjson_buf_free(&out, &t.alc);
    assert_int_equal(t.live, 0);
    assert_int_equal(t.bad, 0);
  }
  // deep nesting through the writer (levels grow past the inline ones)
  failing_alc_t t;
  failing_alc_init(&t, FAILING_ALC_MASK("json"), 0);
  hjson_writer_t w;
  hjson_writer_init(&w, &t.alc, 1);
  for (int i = 0; i < 500; i++) assert_true(i % 2 ? hjson_writer_begin_array(&w) : (hjson_writer_begin_object(&w) && hjson_writer_key(&w, "k", 1)));
  for (int i = 499; i >= 0; i--) assert_true(i % 2 ? hjson_writer_end_array(&w) : hjson_writer_end_object(&w));
  hjson_buf_t out;
  assert_true(hjson_writer_finish(&w, &out));
  hjson_doc_t* d = hjson_parse(out.data, out.len, &t.alc, NULL);
  assert_non_null(d);
  hjson_doc_free(d);
  hjson_buf_free(&out, &t.alc);
  hjson_writer_destroy(&w);
  assert_int_equal(t.live, 0);
}

typedef bool (*misuse_fn)(hjson_writer_t* w);
static bool m_key_top(hjson_writer_t* w) { return hjson_writer_key(w, "k", 1); }
static bool m_key_in_array(hjson_writer_t* w) { return hjson_writer_begin_array(w) && hjson_writer_key(w, "k", 1); }
static bool m_value_no_key(hjson_writer_t* w) { return hjson_writer_begin_object(w) && hjson_writer_int(w, 1); }
static bool m_two_keys(hjson_writer_t* w) {
  return hjson_writer_begin_object(w) && hjson_writer_key(w, "a", 1) && hjson_writer_key(w, "b", 1);
}
static bool m_end_after_key(hjson_writer_t* w) {
  return hjson_writer_begin_object(w) && hjson_writer_key(w, "a", 1) && hjson_writer_end_object(w);
}
static bool m_wrong_end(hjson_writer_t* w) { return hjson_writer_begin_array(w) && hjson_writer_end_object(w); }
static bool m_end_top(hjson_writer_t* w) { return hjson_writer_end_array(w); }
static bool m_two_roots(hjson_writer_t* w) { return hjson_writer_int(w, 1) && hjson_writer_int(w, 2); }
static bool m_nan(hjson_writer_t* w) { return hjson_writer_begin_array(w) && hjson_writer_double(w, NAN); }
static bool m_inf(hjson_writer_t* w) { return hjson_writer_double(w, -INFINITY); }
static bool m_bad_utf8(hjson_writer_t* w) { return hjson_writer_string(w, "a\xff", 2); }
static bool m_bad_key_utf8(hjson_writer_t* w) { return hjson_writer_begin_object(w) && hjson_writer_key(w, "\xed\xa0\x80", 3); }
static bool m_null_str(hjson_writer_t* w) { return hjson_writer_string(w, NULL, 3); }
static bool m_incomplete(hjson_writer_t* w) { return hjson_writer_begin_array(w) && hjson_writer_int(w, 1); }
static bool m_empty(hjson_writer_t* w) { return true; }

static void test_misuse(void** state) {
  struct {
    misuse_fn f;
    hjson_err_t code;
  } c[] = {
      {m_key_top, HJSON_ERR_STATE},   {m_key_in_array, HJSON_ERR_STATE}, {m_value_no_key, HJSON_ERR_STATE},
      {m_two_keys, HJSON_ERR_STATE},  {m_end_after_key, HJSON_ERR_STATE}, {m_wrong_end, HJSON_ERR_STATE},
      {m_end_top, HJSON_ERR_STATE},   {m_two_roots, HJSON_ERR_STATE},    {m_nan, HJSON_ERR_NONFINITE},
      {m_inf, HJSON_ERR_NONFINITE},   {m_bad_utf8, HJSON_ERR_UTF8},      {m_bad_key_utf8, HJSON_ERR_UTF8},
      {m_null_str, HJSON_ERR_ARG},    {m_incomplete, HJSON_ERR_STATE},   {m_empty, HJSON_ERR_STATE},
  };
  for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
    failing_alc_t t;
    failing_alc_init(&t, FAILING_ALC_MASK("json"), 0);
    hjson_writer_t w;
    hjson_writer_init(&w, &t.alc, 2);
    c[i].f(&w);
    hjson_buf_t out;
    assert_false(hjson_writer_finish(&w, &out));
    assert_null(out.data);
    if (hjson_writer_error(&w)->code != c[i].code) fail_msg("case %zu: code %d (%s)", i, hjson_writer_error(&w)->code, hjson_writer_error(&w)->msg);
    assert_false(hjson_writer_null(&w));  // errors are sticky
    hjson_writer_destroy(&w);
    assert_int_equal(t.live, 0);
  }
  hjson_writer_t w;
  hjson_writer_init(&w, NULL, HJSON_INDENT_MAX + 1);
  assert_int_equal(hjson_writer_error(&w)->code, HJSON_ERR_ARG);
  hjson_writer_destroy(&w);
  hjson_writer_init(&w, NULL, -2);
  assert_false(hjson_writer_null(&w));
  hjson_writer_destroy(&w);
}

static void test_dom_refusals(void** state) {
  failing_alc_t t;
  failing_alc_init(&t, FAILING_ALC_MASK("json"), 0);
  hjson_doc_t* d = hjson_doc_new(&t.alc);
  hjson_val_t* r = hjson_doc_root(d);
  assert_true(hjson_set_arr(d, r));
  hjson_set_int(d, hjson_arr_push(d, r), 1);
  hjson_set_double(d, hjson_arr_push(d, r), INFINITY);
  hjson_buf_t out;
  hjson_error_t err;
  assert_false(hjson_write(r, HJSON_COMPACT, &t.alc, &out, &err));
  assert_int_equal(err.code, HJSON_ERR_NONFINITE);
  assert_null(out.data);
  hjson_set_double(d, hjson_arr_get(r, 1), NAN);
  assert_false(hjson_write(r, 2, &t.alc, &out, &err));
  assert_int_equal(err.code, HJSON_ERR_NONFINITE);
  hjson_set_str(d, hjson_arr_get(r, 1), "\xc0\x80", 2);  // overlong NUL
  assert_false(hjson_write(r, HJSON_COMPACT, &t.alc, &out, &err));
  assert_int_equal(err.code, HJSON_ERR_UTF8);
  hjson_set_str(d, hjson_arr_get(r, 1), "ok\0ok", 5);  // NUL is fine: escaped
  assert_true(hjson_write(r, HJSON_COMPACT, &t.alc, &out, &err));
  assert_string_equal(out.data, "[1,\"ok\\u0000ok\"]");
  hjson_buf_free(&out, &t.alc);
  assert_false(hjson_write(NULL, HJSON_COMPACT, &t.alc, &out, &err));
  assert_int_equal(err.code, HJSON_ERR_ARG);
  hjson_doc_free(d);
  assert_int_equal(t.live, 0);
  assert_int_equal(t.bad, 0);
}

static void test_escape_and_utf8(void** state) {
  char out[64];
  size_t n = hjson_escape("a\"b\\c\x01\x7f\xff", 8, out);
  out[n] = 0;
  assert_string_equal(out, "\"a\\\"b\\\\c\\u0001\x7f\xff\"");  // hjson_escape does not check UTF-8
  // every control character
  for (int c = 0; c < 0x20; c++) {
    char in = (char)c;
    n = hjson_escape(&in, 1, out);
    out[n] = 0;
    const char* named = c == '\b' ? "\"\\b\"" : c == '\f' ? "\"\\f\"" : c == '\n' ? "\"\\n\"" : c == '\r' ? "\"\\r\"" : c == '\t' ? "\"\\t\"" : NULL;
    if (named) assert_string_equal(out, named);
    else {
      char want[16];
      snprintf(want, sizeof want, "\"\\u%04x\"", c);
      assert_string_equal(out, want);
    }
  }
  assert_true(hjson_utf8_valid("", 0));
  assert_true(hjson_utf8_valid(NULL, 0));
  assert_true(hjson_utf8_valid("plain ascii text here", 21));
  assert_true(hjson_utf8_valid("\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 22));
  const char* bad[] = {"\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf", "\xf0\x8f\xbf\xbf",
                       "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xc2", "\xe2\x82", "\xf0\x9f\x98", "\xc2\x41"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    char buf[32];
    size_t l = strlen(bad[i]);
    memcpy(buf, "12345678", 8);  // after an ASCII run that the 8-byte scan skips
    memcpy(buf + 8, bad[i], l);
    assert_false(hjson_utf8_valid(bad[i], l));
    assert_false(hjson_utf8_valid(buf, 8 + l));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_layouts),   cmocka_unit_test(test_streaming),      cmocka_unit_test(test_misuse),
      cmocka_unit_test(test_dom_refusals), cmocka_unit_test(test_escape_and_utf8),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
