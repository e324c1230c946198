/* test_json_roundtrip.c: seeded random documents (every type, extreme
   numbers, strings with escapes, controls, NUL and multi-byte UTF-8, deep
   and wide containers) survive write -> parse -> compare in every layout;
   writing is idempotent; the streaming writer matches the DOM writer. */
#include <float.h>
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

static uint64_t rng;
static uint64_t rnd(void) {
  uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static uint64_t rndn(uint64_t n) { return rnd() % n; }

static size_t rand_str(char* buf, size_t max) {
  static const char* const pieces[] = {"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f", "\x7f", "\0",
                                       "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xef\xbf\xbf", "\xe2\x80\xa8",
                                       "key", "value", "longer piece of plain text "};
  size_t n = 0, k = rndn(4) == 0 ? rndn(200) : rndn(12);
  for (size_t i = 0; i < k; i++) {
    const char* p = pieces[rndn(sizeof(pieces) / sizeof(pieces[0]))];
    size_t l = *p ? strlen(p) : 1;
    if (n + l > max) break;
    memcpy(buf + n, p, l);
    n += l;
  }
  return n;
}

static double rand_double(void) {
  switch (rndn(5)) {
    case 0: {
      double d;
      uint64_t b;
      do {
        b = rnd();
        memcpy(&d, &b, 8);
      } while (!isfinite(d));
      return d;
    }
    case 1: return (double)(int64_t)rnd() / 1000.0;
    case 2: return ldexp((double)(rnd() >> 11), (int)rndn(200) - 100);
    case 3: {
      const double special[] = {0.0, -0.0, DBL_MAX, -DBL_MAX, DBL_MIN, 5e-324, 1e16, 1e15, 0.1, 1e-5, 2e-7, 1.0};
      return special[rndn(sizeof(special) / sizeof(special[0]))];
    }
    default: return (double)rndn(1000000) / 100.0;
  }
}

static int64_t rand_int(void) {
  const int64_t special[] = {0, -1, 1, INT64_MAX, INT64_MIN, 9007199254740993, -9007199254740993};
  if (rndn(8) == 0) return special[rndn(sizeof(special) / sizeof(special[0]))];
  return (int64_t)(rnd() >> rndn(64)) * (rndn(2) ? 1 : -1);
}

static void rand_value(hjson_doc_t* d, hjson_val_t* v, int depth) {
  char buf[1024];
  unsigned k = (unsigned)rndn(depth > 0 ? 9 : 6);
  switch (k) {
    case 0: hjson_set_null(d, v); break;
    case 1: hjson_set_bool(d, v, rndn(2)); break;
    case 2: hjson_set_int(d, v, rand_int()); break;
    case 3: hjson_set_double(d, v, rand_double()); break;
    case 4:
    case 5: assert_true(hjson_set_str(d, v, buf, rand_str(buf, sizeof buf))); break;
    case 6:
    case 7: {
      assert_true(hjson_set_arr(d, v));
      for (int i = (int)rndn(rndn(10) == 0 ? 60 : 6); i > 0; i--) rand_value(d, hjson_arr_push(d, v), depth - 1);
      break;
    }
    default: {
      assert_true(hjson_set_obj(d, v));
      for (int i = (int)rndn(rndn(10) == 0 ? 60 : 6); i > 0; i--) {
        size_t n = rand_str(buf, 40);
        hjson_val_t* slot = hjson_obj_put(d, v, buf, n);
        assert_non_null(slot);
        rand_value(d, slot, depth - 1);
      }
    }
  }
}

// Writes v with the streaming writer by walking it (recursion is fine here: depth <= 12).
static void stream_val(hjson_writer_t* w, const hjson_val_t* v) {
  switch (hjson_type(v)) {
    case HJSON_NULL: hjson_writer_null(w); break;
    case HJSON_BOOL: hjson_writer_bool(w, hjson_get_bool(v)); break;
    case HJSON_INT: hjson_writer_int(w, hjson_get_int(v)); break;
    case HJSON_DOUBLE: hjson_writer_double(w, hjson_get_double(v)); break;
    case HJSON_STRING: hjson_writer_string(w, hjson_get_str(v), hjson_get_len(v)); break;
    case HJSON_ARRAY:
      hjson_writer_begin_array(w);
      for (size_t i = 0; i < hjson_arr_len(v); i++) stream_val(w, hjson_arr_get(v, i));
      hjson_writer_end_array(w);
      break;
    case HJSON_OBJECT:
      hjson_writer_begin_object(w);
      for (size_t i = 0; i < hjson_obj_len(v); i++) {
        hjson_writer_key(w, hjson_get_str(hjson_obj_key(v, i)), hjson_get_len(hjson_obj_key(v, i)));
        stream_val(w, hjson_obj_val(v, i));
      }
      hjson_writer_end_object(w);
      break;
    default: fail();
  }
}

static void test_random_roundtrips(void** state) {
  failing_alc_t t;
  failing_alc_init(&t, FAILING_ALC_MASK("json"), 0);
  rng = 20261125;
  const int indents[] = {HJSON_COMPACT, 0, 1, 2, 4};
  for (int it = 0; it < 1500; it++) {
    hjson_doc_t* d = hjson_doc_new(&t.alc);
    rand_value(d, hjson_doc_root(d), 1 + (int)rndn(12));
    for (size_t k = 0; k < sizeof(indents) / sizeof(indents[0]); k++) {
      hjson_buf_t out, out2, out3;
      hjson_error_t err;
      if (!hjson_write(hjson_doc_root(d), indents[k], &t.alc, &out, &err)) fail_msg("write: %s", err.msg);
      hjson_doc_t* back = hjson_parse(out.data, out.len, &t.alc, &err);
      if (!back) fail_msg("iteration %d indent %d: %s at %zu:%zu in\n%s", it, indents[k], err.msg, err.line, err.col, out.data);
      if (!hjson_equal(hjson_doc_root(back), hjson_doc_root(d))) fail_msg("iteration %d: not equal after\n%s", it, out.data);
      assert_true(hjson_write(hjson_doc_root(back), indents[k], &t.alc, &out2, NULL));
      assert_int_equal(out.len, out2.len);
      assert_memory_equal(out.data, out2.data, out.len);
      hjson_writer_t w;
      hjson_writer_init(&w, &t.alc, indents[k]);
      stream_val(&w, hjson_doc_root(d));
      assert_true(hjson_writer_finish(&w, &out3));
      hjson_writer_destroy(&w);
      assert_int_equal(out.len, out3.len);
      assert_memory_equal(out.data, out3.data, out.len);
      hjson_buf_free(&out, &t.alc);
      hjson_buf_free(&out2, &t.alc);
      hjson_buf_free(&out3, &t.alc);
      hjson_doc_free(back);
    }
    // a deep copy is equal and writes the same
    hjson_doc_t* c = hjson_doc_new(&t.alc);
    assert_true(hjson_set_copy(c, hjson_doc_root(c), hjson_doc_root(d)));
    assert_true(hjson_equal(hjson_doc_root(c), hjson_doc_root(d)));
    hjson_doc_free(c);
    hjson_doc_free(d);
    assert_int_equal(t.live, 0);
  }
  assert_int_equal(t.bad, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_random_roundtrips)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
