/* test_json_threads.c: documents on hakmem across threads (run under TSan
   and ASan too): many threads read one shared document at once, each parses
   and writes its own documents on its thread's json heap, and documents made
   by one thread are freed by another (hakmem's remote frees). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "hjson.h"

#define NTHREADS 4
#define ROUNDS 40

static const char text[] =
    "{\"users\":[{\"id\":1,\"name\":\"ann\",\"tags\":[\"a\",\"b\"],\"score\":0.5},"
    "{\"id\":2,\"name\":\"b\\u00f6b\",\"tags\":[],\"score\":-1e-7},{\"id\":3,\"name\":\"\xe6\x9d\xb1\",\"tags\":[\"x\"],"
    "\"score\":12345.678}],\"meta\":{\"count\":3,\"ok\":true,\"next\":null}}";

static hjson_doc_t* shared;        // read by every thread at once
static hjson_doc_t* made[NTHREADS][ROUNDS];  // made by thread i, freed by main

static double sum_scores(const hjson_val_t* root) {
  double s = 0;
  const hjson_val_t* users = hjson_obj_getz(root, "users");
  for (size_t i = 0; i < hjson_arr_len(users); i++) s += hjson_get_num(hjson_obj_getz(hjson_arr_get(users, i), "score"));
  return s;
}

static void* worker(void* arg) {
  long id = (long)arg;
  long bad = 0;
  for (int r = 0; r < ROUNDS; r++) {
    if (sum_scores(hjson_doc_root(shared)) != 0.5 - 1e-7 + 12345.678) bad++;
    hjson_buf_t out;
    if (!hjson_write(hjson_doc_root(shared), r % 3, NULL, &out, NULL)) bad++;
    hjson_doc_t* d = hjson_parse(out.data, out.len, NULL, NULL);
    if (!d || !hjson_equal(hjson_doc_root(d), hjson_doc_root(shared))) bad++;
    hjson_buf_free(&out, NULL);
    hjson_set_int(d, hjson_obj_put(d, hjson_doc_root(d), "thread", 6), id);
    made[id][r] = d;
  }
  return (void*)bad;
}

static void test_threads(void** state) {
  shared = hjson_parse(text, sizeof(text) - 1, NULL, NULL);
  assert_non_null(shared);
  pthread_t t[NTHREADS];
  for (long i = 0; i < NTHREADS; i++) assert_int_equal(pthread_create(&t[i], NULL, worker, (void*)i), 0);
  for (int i = 0; i < NTHREADS; i++) {
    void* bad;
    pthread_join(t[i], &bad);
    assert_int_equal((long)bad, 0);
  }
  for (int i = 0; i < NTHREADS; i++)
    for (int r = 0; r < ROUNDS; r++) {
      assert_int_equal(hjson_get_int(hjson_obj_getz(hjson_doc_root(made[i][r]), "thread")), i);
      hjson_doc_free(made[i][r]);  // freed by another thread than the one that allocated
    }
  hjson_doc_free(shared);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_threads)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
