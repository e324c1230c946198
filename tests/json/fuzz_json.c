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
   - every block is freed, with the size it was allocated with, and every
     allocation is json's (tests/common/fuzz_body.h runs each piece). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_body.h"
#include "hjson.h"

#define CHECK(c) FUZZ_CHECK(c)
#define JSON_MASK FAILING_ALC_MASK("json")

static void check_doc(failing_alc_t* t, hjson_doc_t* d, int indent) {
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

typedef struct fuzz_input_s {
  const uint8_t* data;
  size_t size;
  uint8_t sel;
  bool failing;  // an allocation fails: only a clean failure or success is expected
} fuzz_input_t;

static void parse_once(void* arg, failing_alc_t* t) {
  fuzz_input_t* a = arg;
  hjson_error_t err;
  hjson_read_opts_t o = {a->sel & 1 ? 1 + a->sel % 40 : 0};
  hjson_doc_t* d = hjson_parse_opts((const char*)a->data, a->size, &o, &t->alc, &err);
  if (a->failing) {
    CHECK(d || err.code != HJSON_OK);
  } else if (d) {
    CHECK(err.code == HJSON_OK);
    check_doc(t, d, HJSON_COMPACT);
    check_doc(t, d, a->sel % 5);
  } else {
    CHECK(err.code != HJSON_OK && err.msg && err.pos <= a->size && err.line >= 1 && err.col >= 1 && err.col <= err.pos + 1);
  }
  hjson_doc_free(d);
}

static void fuzz_parse(const uint8_t* data, size_t size, uint8_t sel) {
  fuzz_input_t a = {data, size, sel, false};
  long allocs = fuzz_run_alc(parse_once, &a, JSON_MASK, 0, 0);
  // the same with the n-th allocation failing
  if (allocs > 0) {
    a.failing = true;
    fuzz_run_alc(parse_once, &a, JSON_MASK, 0, 1 + (long)sel % allocs);
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
static void writer_once(void* arg, failing_alc_t* t) {
  const fuzz_input_t* a = arg;
  const uint8_t* data = a->data;
  size_t size = a->size;
  uint8_t sel = a->sel;
  hjson_writer_t w;
  hjson_writer_init(&w, &t->alc, sel % 3 == 0 ? HJSON_COMPACT : sel % 4);
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
    hjson_doc_t* d = hjson_parse(out.data, out.len, &t->alc, &err);
    if (!d) fprintf(stderr, "writer made invalid JSON: %s: %.200s\n", err.msg, out.data);
    CHECK(d != NULL);
    hjson_doc_free(d);
    hjson_buf_free(&out, &t->alc);
  }
  hjson_writer_destroy(&w);
}

static void fuzz_writer(const uint8_t* data, size_t size, uint8_t sel) {
  fuzz_input_t a = {data, size, sel, false};
  fuzz_run_alc(writer_once, &a, JSON_MASK, 0, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint8_t sel = size ? data[size - 1] : 0;
  fuzz_parse(data, size, sel);
  fuzz_numbers(data, size);
  fuzz_writer(data, size, sel);
  return 0;
}
