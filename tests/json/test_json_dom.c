/* test_json_dom.c: building and modifying documents: setters free what they
   replace, arrays and objects grow (out of their inline room), insert/remove
   keep order, obj_put finds existing keys, copies are deep and independent,
   equality is deep; every block is freed with its size and a json.* site. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hjson.h"
#include "failing_alc.h"

static char* write_c(const hjson_val_t* v) {
  static char buf[4096];
  hjson_buf_t out;
  if (!hjson_write(v, HJSON_COMPACT, NULL, &out, NULL)) return NULL;
  snprintf(buf, sizeof buf, "%s", out.data);
  hjson_buf_free(&out, NULL);
  return buf;
}

static void test_build(void** state) {
  failing_alc_t t;
  failing_alc_init(&t, FAILING_ALC_MASK("json"), 0);
  hjson_doc_t* d = hjson_doc_new(&t.alc);
  assert_non_null(d);
  assert_ptr_equal(hjson_doc_alc(d), &t.alc);
  hjson_val_t* r = hjson_doc_root(d);
  assert_true(hjson_is_null(r));
  assert_true(hjson_set_obj(d, r));
  hjson_set_int(d, hjson_obj_put(d, r, "n", 1), -5);
  hjson_set_double(d, hjson_obj_put(d, r, "f", 1), 0.5);
  hjson_set_bool(d, hjson_obj_put(d, r, "b", 1), true);
  hjson_set_null(d, hjson_obj_put(d, r, "z", 1));
  assert_true(hjson_set_str(d, hjson_obj_put(d, r, "s", 1), "h\xc3\xa9", 3));
  hjson_val_t* a = hjson_obj_put(d, r, "a", 1);
  assert_true(hjson_set_arr(d, a));
  for (int i = 0; i < 100; i++) hjson_set_int(d, hjson_arr_push(d, a), i);
  assert_int_equal(hjson_arr_len(a), 100);
  // obj_put on an existing key returns its slot, len unchanged
  assert_ptr_equal(hjson_obj_put(d, r, "n", 1), hjson_obj_getz(r, "n"));
  assert_int_equal(hjson_obj_len(r), 6);
  assert_string_equal(write_c(hjson_obj_getz(r, "s")), "\"h\xc3\xa9\"");
  // replace a big subtree by a scalar: the subtree is freed
  long live = t.live;
  hjson_set_int(d, a, 7);
  assert_true(t.live < live);
  assert_string_equal(write_c(r), "{\"n\":-5,\"f\":0.5,\"b\":true,\"z\":null,\"s\":\"h\xc3\xa9\",\"a\":7}");
  // set_str aliasing its own old content
  hjson_val_t* s = hjson_obj_getz(r, "s");
  assert_true(hjson_set_str(d, s, hjson_get_str(s) + 1, 2));
  assert_string_equal(hjson_get_str(s), "\xc3\xa9");
  // removal keeps order
  assert_true(hjson_obj_remove(d, r, "b", 1));
  assert_false(hjson_obj_remove(d, r, "b", 1));
  assert_string_equal(write_c(r), "{\"n\":-5,\"f\":0.5,\"z\":null,\"s\":\"\xc3\xa9\",\"a\":7}");
  // wrong types and NULLs are refused
  assert_null(hjson_arr_push(d, r));
  assert_null(hjson_obj_put(d, hjson_obj_getz(r, "n"), "k", 1));
  assert_null(hjson_obj_put(NULL, r, "k", 1));
  assert_false(hjson_set_str(d, NULL, "x", 1));
  assert_false(hjson_set_str(d, s, NULL, 1));
  assert_true(hjson_set_str(d, s, NULL, 0));
  assert_int_equal(hjson_get_len(s), 0);
  assert_false(hjson_arr_remove(d, r, 0));
  hjson_doc_free(d);
  assert_int_equal(t.live, 0);
  assert_int_equal(t.bad, 0);
}

static void test_arrays(void** state) {
  failing_alc_t t;
  failing_alc_init(&t, FAILING_ALC_MASK("json"), 0);
  const char* text = "[1,2,3]";
  hjson_doc_t* d = hjson_parse(text, strlen(text), &t.alc, NULL);  // born full: the first insert moves items out
  hjson_val_t* a = hjson_doc_root(d);
  hjson_set_int(d, hjson_arr_insert(d, a, 0), 0);
  hjson_set_int(d, hjson_arr_insert(d, a, 4), 4);
  hjson_set_int(d, hjson_arr_insert(d, a, 2), 9);
  assert_string_equal(write_c(a), "[0,1,9,2,3,4]");
  assert_null(hjson_arr_insert(d, a, 7));
  assert_true(hjson_arr_remove(d, a, 2));
  assert_true(hjson_arr_remove(d, a, 0));
  assert_true(hjson_arr_remove(d, a, 3));
  assert_false(hjson_arr_remove(d, a, 3));
  assert_string_equal(write_c(a), "[1,2,3]");
  // containers held in slots stay valid while their parent grows
  hjson_val_t* inner = hjson_arr_push(d, a);
  assert_true(hjson_set_obj(d, inner));
  hjson_ctn_t* node = inner->u.c;
  for (int i = 0; i < 50; i++) hjson_set_str(d, hjson_arr_push(d, a), "s", 1);
  assert_ptr_equal(hjson_arr_get(a, 3)->u.c, node);
  hjson_set_int(d, hjson_obj_put(d, hjson_arr_get(a, 3), "k", 1), 1);
  while (hjson_arr_len(a) > 1) assert_true(hjson_arr_remove(d, a, hjson_arr_len(a) - 1));
  assert_string_equal(write_c(a), "[1]");
  hjson_doc_free(d);
  assert_int_equal(t.live, 0);
  assert_int_equal(t.bad, 0);
}

static void test_copy_equal(void** state) {
  failing_alc_t t;
  failing_alc_init(&t, FAILING_ALC_MASK("json"), 0);
  const char* text = "{\"a\":[1,2.5,\"x\",{\"b\":[[],{}]}],\"c\":null,\"d\":\"\\u0000\"}";
  hjson_doc_t* d = hjson_parse(text, strlen(text), &t.alc, NULL);
  hjson_doc_t* e = hjson_doc_new(&t.alc);
  assert_true(hjson_set_copy(e, hjson_doc_root(e), hjson_doc_root(d)));
  assert_true(hjson_equal(hjson_doc_root(d), hjson_doc_root(e)));
  // independent: changing the copy leaves the original
  hjson_set_int(e, hjson_arr_get(hjson_obj_getz(hjson_doc_root(e), "a"), 0), 2);
  assert_false(hjson_equal(hjson_doc_root(d), hjson_doc_root(e)));
  assert_string_equal(write_c(hjson_doc_root(d)), "{\"a\":[1,2.5,\"x\",{\"b\":[[],{}]}],\"c\":null,\"d\":\"\\u0000\"}");
  // int 1 and double 1.0 differ; key order matters; string content and length matter
  const char* pairs[][2] = {{"1", "1.0"}, {"{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}"}, {"\"ab\"", "\"abc\""}, {"[1]", "[1,2]"},
                            {"[]", "{}"}, {"\"a\\u0000b\"", "\"a\\u0000c\""}, {"true", "false"}, {"null", "false"}};
  for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
    hjson_doc_t* x = hjson_parse(pairs[i][0], strlen(pairs[i][0]), NULL, NULL);
    hjson_doc_t* y = hjson_parse(pairs[i][1], strlen(pairs[i][1]), NULL, NULL);
    assert_false(hjson_equal(hjson_doc_root(x), hjson_doc_root(y)));
    assert_true(hjson_equal(hjson_doc_root(x), hjson_doc_root(x)));
    hjson_doc_free(x);
    hjson_doc_free(y);
  }
  assert_true(hjson_equal(NULL, NULL));
  assert_false(hjson_equal(hjson_doc_root(d), NULL));
  // copy a subtree into a slot of its own tree (src inside v)
  hjson_val_t* root = hjson_doc_root(d);
  assert_true(hjson_set_copy(d, root, hjson_arr_get(hjson_obj_getz(root, "a"), 3)));
  assert_string_equal(write_c(root), "{\"b\":[[],{}]}");
  assert_false(hjson_set_copy(d, root, NULL));
  hjson_doc_free(d);
  hjson_doc_free(e);
  assert_int_equal(t.live, 0);
  assert_int_equal(t.bad, 0);
}

static void test_default_context(void** state) {
  // NULL context: hakmem; the document works the same
  hjson_doc_t* d = hjson_doc_new(NULL);
  assert_ptr_equal(hjson_doc_alc(d), hak_alc_default());
  hjson_val_t* r = hjson_doc_root(d);
  assert_true(hjson_set_arr(d, r));
  for (int i = 0; i < 1000; i++) assert_true(hjson_set_str(d, hjson_arr_push(d, r), "abcdefghijklmnopqrstuvwxyz", (size_t)(i % 27)));
  assert_int_equal(hjson_arr_len(r), 1000);
  hjson_doc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_build),
      cmocka_unit_test(test_arrays),
      cmocka_unit_test(test_copy_equal),
      cmocka_unit_test(test_default_context),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
