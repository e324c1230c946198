/* test_json_oom.c: every allocation of the parser, the writers and the
   builder fails in turn (docs/style.md, Tests): each failure is reported as
   HJSON_ERR_NOMEM (or NULL/false), leaves inputs unchanged, and leaks
   nothing; retried without the failure, the same work succeeds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hjson.h"
#include "failing_alc.h"

// A text that reaches every allocation kind: escapes (scratch), > 24 keys with
// repeats (hash table), nesting past the inline stacks, long strings.
static char* make_text(size_t* len) {
  char* s = (char*)malloc(20000);
  size_t n = 0;
  n += (size_t)sprintf(s + n, "{\"esc\":\"a\\nb\\u00e9\\ud83d\\ude00\",\"deep\":");
  for (int i = 0; i < 40; i++) s[n++] = i % 2 ? '[' : '[';
  n += (size_t)sprintf(s + n, "\"x\"");
  for (int i = 0; i < 40; i++) s[n++] = ']';
  n += (size_t)sprintf(s + n, ",\"big\":{");
  for (int i = 0; i < 60; i++) n += (size_t)sprintf(s + n, "%s\"k%d\":[%d,\"%s\"]", i ? "," : "", i % 40, i, i % 7 ? "v" : "a much longer string value to copy");
  n += (size_t)sprintf(s + n, "},\"nums\":[1,2.5,-3e-7,12345678901234567890],\"lit\":[true,false,null]}");
  *len = n;
  return s;
}

static void test_parse_oom(void** state) {
  size_t len;
  char* text = make_text(&len);
  failing_alc_t t;
  long fail_at;
  for (fail_at = 1;; fail_at++) {
    failing_alc_init(&t, FAILING_ALC_MASK("json"), 0);
    t.fail_at = fail_at;
    hjson_error_t err;
    hjson_doc_t* d = hjson_parse(text, len, &t.alc, &err);
    assert_int_equal(t.bad, 0);
    if (d) {
      hjson_doc_free(d);
      assert_int_equal(t.live, 0);
      break;
    }
    if (err.code != HJSON_ERR_NOMEM) fail_msg("fail_at %ld: %s", fail_at, err.msg);
    assert_int_equal(t.live, 0);
  }
  assert_true(fail_at > 50);  // the text needs many blocks; every failure point was tried
  free(text);
}

static void test_write_oom(void** state) {
  size_t len;
  char* text = make_text(&len);
  hjson_doc_t* d = hjson_parse(text, len, NULL, NULL);
  assert_non_null(d);
  for (int indent = -1; indent <= 2; indent += 3) {
    long fail_at;
    for (fail_at = 1;; fail_at++) {
      failing_alc_t t;
      failing_alc_init(&t, FAILING_ALC_MASK("json"), 0);
      t.fail_at = fail_at;
      hjson_buf_t out;
      hjson_error_t err;
      bool ok = hjson_write(hjson_doc_root(d), indent, &t.alc, &out, &err);
      assert_int_equal(t.bad, 0);
      if (ok) {
        hjson_buf_free(&out, &t.alc);
        assert_int_equal(t.live, 0);
        break;
      }
      assert_int_equal(err.code, HJSON_ERR_NOMEM);
      assert_null(out.data);
      assert_int_equal(t.live, 0);
    }
    assert_true(fail_at > 2);
  }
  hjson_doc_free(d);
  free(text);
}

static void test_build_oom(void** state) {
  size_t len;
  char* text = make_text(&len);
  hjson_doc_t* src = hjson_parse(text, len, NULL, NULL);
  long fail_at;
  for (fail_at = 1;; fail_at++) {
    failing_alc_t t;
    failing_alc_init(&t, FAILING_ALC_MASK("json"), 0);
    t.fail_at = fail_at;
    hjson_doc_t* d = hjson_doc_new(&t.alc);
    bool ok = d != NULL;
    if (ok) {
      hjson_val_t* r = hjson_doc_root(d);
      ok = hjson_set_arr(d, r);
      for (int i = 0; ok && i < 20; i++) {
        hjson_val_t* e = hjson_arr_push(d, r);
        ok = e && hjson_set_obj(d, e);
        hjson_val_t* k = ok ? hjson_obj_put(d, e, "key", 3) : NULL;
        ok = ok && k && hjson_set_str(d, k, "value", 5);
      }
      hjson_val_t* c = ok ? hjson_arr_insert(d, r, 3) : NULL;
      ok = ok && c && hjson_set_copy(d, c, hjson_doc_root(src));
      if (ok) assert_true(hjson_equal(c, hjson_doc_root(src)));
      if (!ok) assert_int_equal(hjson_arr_len(r) <= 21, 1);  // still a valid tree
      hjson_doc_free(d);
    }
    assert_int_equal(t.live, 0);
    assert_int_equal(t.bad, 0);
    if (ok) break;
  }
  assert_true(fail_at > 40);
  hjson_doc_free(src);
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_oom),
      cmocka_unit_test(test_write_oom),
      cmocka_unit_test(test_build_oom),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
