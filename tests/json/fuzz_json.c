/* fuzz_json.c: libFuzzer target for runtime/json (built with -DHAK_FUZZ=ON
   by clang, with ASan+UBSan). For each input it checks, aborting on any
   violation:
   - parse never crashes; an error has a sane position and message;
   - a parsed document writes (compact and pretty) to text that parses back
     to an equal tree and rewrites byte-identically; a deep copy is equal;
   - with an allocation failure injected, parse fails cleanly or succeeds;
   - hjson_read_double/read_number: finite results survive dtoa -> parse;
   - the input as a program of streaming-writer calls: either an error, or
     text that parses;
   - every block is freed, with the size it was allocated with. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hjson.h"
#include "json_test_alc.h"

#define CHECK(c)                                          \
  do {                                                    \
    if (!(c)) {                                           \
      fprintf(stderr, "fuzz_json: check failed: %s\n", #c); \
      abort();                                            \
    }                                                     \
  } while (0)

static void check_doc(test_alc_t* t, hjson_doc_t* d, int indent) {
  hjson_buf_t a, b;
  hjson_error_t err;
  CHECK(hjson_write(hjson_doc_root(d), indent, &t->alc, &a, &err));
  hjson_doc_t* back = hjson_parse(a.data, a.len, &t->alc, &err);
  CHECK(back != NULL);
  CHECK(hjson_equal(hjson_doc_root(back), hjson_doc_root(d)));
  CHECK(hjson_write(hjson_doc_root(back), indent, &t->alc, &b, &err));
  CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
  hjson_doc_t* c = hjson_doc_new(&t->alc);
  CHECK(c && hjson_set_copy(c, hjson_doc_root(c), hjson_doc_root(d)));
  CHECK(hjson_equal(hjson_doc_root(c), hjson_doc_root(d)));
  hjson_doc_free(c);
  hjson_doc_free(back);
  hjson_buf_free(&a, &t->alc);
  hjson_buf_free(&b, &t->alc);
}

static void fuzz_parse(const uint8_t* data, size_t size, uint8_t sel) {
  test_alc_t t;
  test_alc_init(&t);
  hjson_error_t err;
  hjson_read_opts_t o = {sel & 1 ? 1 + sel % 40 : 0};
  hjson_doc_t* d = hjson_parse_opts((const char*)data, size, &o, &t.alc, &err);
  if (d) {
    CHECK(err.code == HJSON_OK);
    check_doc(&t, d, HJSON_COMPACT);
    check_doc(&t, d, sel % 5);
    hjson_doc_free(d);
  } else {
    CHECK(err.code != HJSON_OK && err.msg && err.pos <= size && err.line >= 1 && err.col >= 1 && err.col <= err.pos + 1);
  }
  CHECK(t.live == 0 && t.bad == 0);
  // the same with the n-th allocation failing
  long allocs = t.allocs;
  if (allocs > 0) {
    test_alc_init(&t);
    t.fail_at = 1 + (long)sel % allocs;
    d = hjson_parse_opts((const char*)data, size, &o, &t.alc, &err);
    CHECK(d || err.code != HJSON_OK);
    hjson_doc_free(d);
    CHECK(t.live == 0 && t.bad == 0);
  }
}

static void fuzz_numbers(const uint8_t* data, size_t size) {
  double v;
  char buf[32];
  size_t n = hjson_read_double((const char*)data, size, &v);
  CHECK(n <= size);
  if (n && isfinite(v)) {
    size_t k = hjson_dtoa(v, buf);
    double back;
    CHECK(hjson_read_double(buf, k, &back) == k);
    CHECK(memcmp(&back, &v, 8) == 0);
  }
  hjson_val_t nv;
  n = hjson_read_number((const char*)data, size, &nv);
  CHECK(n <= size);
  if (size >= 8) {  // the first 8 bytes as a double
    memcpy(&v, data, 8);
    size_t k = hjson_dtoa(v, buf);
    CHECK(k < 32 && buf[k] == 0);
    if (isfinite(v)) {
      double back;
      CHECK(hjson_read_double(buf, k, &back) == k && memcmp(&back, &v, 8) == 0);
    }
  }
}

// The bytes as a program of writer calls.
static void fuzz_writer(const uint8_t* data, size_t size, uint8_t sel) {
  test_alc_t t;
  test_alc_init(&t);
  hjson_writer_t w;
  hjson_writer_init(&w, &t.alc, sel % 3 == 0 ? HJSON_COMPACT : sel % 4);
  for (size_t i = 0; i < size; i++) {
    uint8_t op = data[i];
    const char* s = (const char*)data + i + 1;
    size_t len = (op >> 4) < size - i - 1 ? (op >> 4) : size - i - 1;
    switch (op & 15) {
      case 0: hjson_writer_begin_array(&w); break;
      case 1: hjson_writer_end_array(&w); break;
      case 2: hjson_writer_begin_object(&w); break;
      case 3: hjson_writer_end_object(&w); break;
      case 4: hjson_writer_key(&w, s, len), i += len; break;
      case 5: hjson_writer_string(&w, s, len), i += len; break;
      case 6: hjson_writer_int(&w, (int64_t)op * 1000003 - 77); break;
      case 7:
        if (size - i > 8) {
          double v;
          memcpy(&v, s, 8);
          hjson_writer_double(&w, v);
          i += 8;
        }
        break;
      case 8: hjson_writer_bool(&w, op & 16); break;
      case 9: hjson_writer_null(&w); break;
      default: break;
    }
  }
  hjson_buf_t out;
  if (hjson_writer_finish(&w, &out)) {
    hjson_error_t err;
    hjson_doc_t* d = hjson_parse(out.data, out.len, &t.alc, &err);
    if (!d) fprintf(stderr, "writer made invalid JSON: %s: %.200s\n", err.msg, out.data);
    CHECK(d != NULL);
    hjson_doc_free(d);
    hjson_buf_free(&out, &t.alc);
  }
  hjson_writer_destroy(&w);
  CHECK(t.live == 0 && t.bad == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint8_t sel = size ? data[size - 1] : 0;
  fuzz_parse(data, size, sel);
  fuzz_numbers(data, size);
  fuzz_writer(data, size, sel);
  return 0;
}
