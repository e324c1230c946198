/* json.c: the json scenario: the runtime's JSON library (runtime/json,
   hjson.h) at work on a generated corpus.

   Set-up (not timed): a corpus of `docs` documents is generated from a seed,
   the same bytes every time: three kinds (shop orders with nested customers
   and line items, log events with attribute maps and escaped text, metric
   series with arrays of [time, value] doubles), each an object
   {"kind", "source", "meta": {...}, "records": [...]}, 2..64 KiB of compact
   text, so the trees mix many small nodes with some large containers.
   Timed: each of `threads` threads runs `iters` iterations; one iteration
   takes a document of the corpus and
     parses it (a tree of nodes from the allocation context),
     walks the whole tree (counts values, sums numbers and string bytes),
     modifies it: every record gets a "seen" flag and a "digest" string,
       loses its "note", gains a tag; every tenth record is removed, a new
       record is appended, "meta" is updated,
     writes it as compact text, and every 8th iteration parses that text
       again and checks it equals the modified tree,
   and frees the document and the text `window` iterations later (each
   thread keeps the last `window` documents alive, as a server keeps the
   requests it is still answering). The result is documents per second
   over all threads; the checksum of the walks must be the same whatever the
   allocator.

   Build: json_hak gives hjson hak_alc_default() (hakmem's json heaps); json
   gives it hak_alc_libc() (malloc: glibc, or the LD_PRELOAD peer).

   Usage: json [iters=2000] [threads=1] [docs=64] [seed=1] [window=4] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "bench_runtime.h"
#include "hjson.h"

// ----- Corpus generator -----
static uint64_t gen_rng;
static uint64_t gen_rnd(void) {  // splitmix64
  uint64_t z = (gen_rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static uint64_t gen_n(uint64_t n) { return gen_rnd() % n; }

static const char* const gen_words[] = {
    "order", "shipped", "pending", "request", "timeout", "retry", "cache", "miss", "hit", "user", "session",
    "token", "gateway", "upstream", "latency", "error", "warning", "ok", "m\xc3\xbcnchen", "z\xc3\xbcrich",
    "\xe5\xa4\xa7\xe9\x98\xaa", "\xf0\x9f\x93\xa6", "\"quoted\"", "back\\slash", "new\nline", "tab\tbed",
    "https://shop.example.com/item/42", "alpha", "beta", "gamma", "delta", "epsilon"};
#define GEN_NWORDS (sizeof(gen_words) / sizeof(gen_words[0]))

static void gen_key(hjson_writer_t* w, const char* k) { hjson_writer_key(w, k, strlen(k)); }
static void gen_str(hjson_writer_t* w, const char* s) { hjson_writer_string(w, s, strlen(s)); }
static void gen_text(hjson_writer_t* w, unsigned lo, unsigned hi) {
  char buf[768];
  size_t n = 0;
  unsigned k = lo + (unsigned)gen_n(hi - lo + 1);
  for (unsigned i = 0; i < k && n < 700; i++) {
    const char* s = gen_words[gen_n(GEN_NWORDS)];
    size_t l = strlen(s);
    if (i) buf[n++] = ' ';
    memcpy(buf + n, s, l);
    n += l;
  }
  hjson_writer_string(w, buf, n);
}
static void gen_fmt(hjson_writer_t* w, const char* fmt, unsigned long long v) {
  char b[96];
  int n = snprintf(b, sizeof(b), fmt, v);
  hjson_writer_string(w, b, (size_t)n);
}
static void gen_tags(hjson_writer_t* w) {
  gen_key(w, "tags"), hjson_writer_begin_array(w);
  for (unsigned i = (unsigned)gen_n(4); i > 0; i--) gen_text(w, 1, 1);
  hjson_writer_end_array(w);
}

static void gen_order(hjson_writer_t* w, uint64_t id) {
  hjson_writer_begin_object(w);
  gen_key(w, "id"), hjson_writer_int(w, (int64_t)id);
  gen_key(w, "status"), gen_text(w, 1, 1);
  gen_key(w, "customer"), hjson_writer_begin_object(w);
  gen_key(w, "name"), gen_text(w, 2, 3);
  gen_key(w, "email"), gen_fmt(w, "user%llu@example.com", gen_n(100000));
  gen_key(w, "address"), hjson_writer_begin_object(w);
  gen_key(w, "street"), gen_text(w, 2, 4);
  gen_key(w, "city"), gen_text(w, 1, 1);
  gen_key(w, "zip"), gen_fmt(w, "%05llu", gen_n(100000));
  hjson_writer_end_object(w);
  hjson_writer_end_object(w);
  gen_key(w, "items"), hjson_writer_begin_array(w);
  for (unsigned i = 1 + (unsigned)gen_n(6); i > 0; i--) {
    hjson_writer_begin_object(w);
    gen_key(w, "sku"), gen_fmt(w, "SKU-%06llu", gen_n(1000000));
    gen_key(w, "qty"), hjson_writer_int(w, 1 + (int64_t)gen_n(9));
    gen_key(w, "price"), hjson_writer_double(w, (double)(99 + gen_n(50000)) / 100.0);
    hjson_writer_end_object(w);
  }
  hjson_writer_end_array(w);
  gen_tags(w);
  if (gen_n(3) == 0) gen_key(w, "note"), gen_text(w, 3, 12);
  gen_key(w, "paid"), hjson_writer_bool(w, gen_n(5) != 0);
  hjson_writer_end_object(w);
}

static void gen_event(hjson_writer_t* w, uint64_t id) {
  hjson_writer_begin_object(w);
  gen_key(w, "id"), hjson_writer_int(w, (int64_t)id);
  gen_key(w, "ts"), hjson_writer_int(w, 1700000000000 + (int64_t)gen_n(86400000));
  gen_key(w, "level"), gen_str(w, gen_n(10) ? "info" : "error");
  gen_key(w, "msg"), gen_text(w, 4, 20);
  gen_key(w, "attrs"), hjson_writer_begin_object(w);
  for (unsigned i = (unsigned)gen_n(7); i > 0; i--) {
    char k[16];
    int n = snprintf(k, sizeof(k), "a%u", i);
    hjson_writer_key(w, k, (size_t)n);
    if (i & 1) gen_text(w, 1, 2);
    else hjson_writer_int(w, (int64_t)gen_n(1000000));
  }
  hjson_writer_end_object(w);
  gen_tags(w);
  if (gen_n(2) == 0) gen_key(w, "note"), gen_text(w, 2, 6);
  gen_key(w, "trace");
  if (gen_n(3) == 0) hjson_writer_null(w);
  else gen_fmt(w, "%016llx", gen_rnd());
  hjson_writer_end_object(w);
}

static void gen_series(hjson_writer_t* w, uint64_t id) {
  hjson_writer_begin_object(w);
  gen_key(w, "id"), hjson_writer_int(w, (int64_t)id);
  gen_key(w, "name"), gen_fmt(w, "cpu.load.%llu", gen_n(64));
  gen_key(w, "labels"), hjson_writer_begin_object(w);
  gen_key(w, "host"), gen_fmt(w, "node-%03llu", gen_n(512));
  gen_key(w, "region"), gen_text(w, 1, 1);
  hjson_writer_end_object(w);
  gen_key(w, "points"), hjson_writer_begin_array(w);
  double v = (double)gen_n(1000) / 7.0;
  for (unsigned i = 8 + (unsigned)gen_n(40); i > 0; i--) {
    hjson_writer_begin_array(w);
    hjson_writer_int(w, 1700000000 + (int64_t)i * 15);
    v += ((double)gen_n(2001) - 1000.0) / 3333.0;
    hjson_writer_double(w, v);
    hjson_writer_end_array(w);
  }
  hjson_writer_end_array(w);
  gen_tags(w);
  if (gen_n(4) == 0) gen_key(w, "note"), gen_text(w, 1, 4);
  hjson_writer_end_object(w);
}

// A kind of document: its name and its record writer.
typedef struct gen_kind_s {
  const char* name;
  void (*record)(hjson_writer_t* w, uint64_t id);
} gen_kind_t;
static const gen_kind_t gen_kinds[] = {{"orders", gen_order}, {"events", gen_event}, {"metrics", gen_series}};

// Writes document d of the corpus (about `target` bytes) into *out.
static bool gen_doc(const hak_alc_t* alc, unsigned d, size_t target, hjson_buf_t* out) {
  const gen_kind_t* k = &gen_kinds[d % 3];
  hjson_writer_t w;
  hjson_writer_init(&w, alc, HJSON_COMPACT);
  hjson_writer_begin_object(&w);
  gen_key(&w, "kind"), gen_str(&w, k->name);
  gen_key(&w, "source"), gen_fmt(&w, "collector-%llu", d);
  gen_key(&w, "meta"), hjson_writer_begin_object(&w);
  gen_key(&w, "version"), hjson_writer_int(&w, 3);
  gen_key(&w, "generated"), hjson_writer_int(&w, 1700000000 + (int64_t)d);
  hjson_writer_end_object(&w);
  gen_key(&w, "records"), hjson_writer_begin_array(&w);
  for (uint64_t id = (uint64_t)d * 100000; w.len < target; id++) k->record(&w, id);
  hjson_writer_end_array(&w);
  hjson_writer_end_object(&w);
  bool ok = hjson_writer_finish(&w, out);
  hjson_writer_destroy(&w);
  return ok;
}

// ----- One iteration -----
typedef struct jb_walk_s {
  uint64_t values;     // every value visited
  uint64_t str_bytes;  // bytes of strings and keys
  double sum;          // every number
} jb_walk_t;

static void jb_walk(const hjson_val_t* v, jb_walk_t* acc) {
  acc->values++;
  switch (hjson_type(v)) {
    case HJSON_INT:
    case HJSON_DOUBLE: acc->sum += hjson_get_num(v); break;
    case HJSON_STRING: acc->str_bytes += hjson_get_len(v); break;
    case HJSON_ARRAY:
      for (size_t i = 0, n = hjson_arr_len(v); i < n; i++) jb_walk(hjson_arr_get(v, i), acc);
      break;
    case HJSON_OBJECT:
      for (size_t i = 0, n = hjson_obj_len(v); i < n; i++) {
        acc->str_bytes += hjson_get_len(hjson_obj_key(v, i));
        jb_walk(hjson_obj_val(v, i), acc);
      }
      break;
    default: break;
  }
}

#define JB_PUT(doc, obj, key) hjson_obj_put((doc), (obj), (key), sizeof(key) - 1)

// Modifies every record and the document's meta; false when out of memory.
static bool jb_modify(hjson_doc_t* doc, unsigned tid, uint64_t iter) {
  hjson_val_t* root = hjson_doc_root(doc);
  hjson_val_t* recs = hjson_obj_getz(root, "records");
  size_t n = hjson_arr_len(recs);
  char buf[64];
  for (size_t i = 0; i < n; i++) {
    hjson_val_t* rec = hjson_arr_get(recs, i);
    int64_t id = hjson_get_int(hjson_obj_getz(rec, "id"));
    hjson_obj_remove(doc, rec, "note", 4);
    hjson_val_t* seen = JB_PUT(doc, rec, "seen");
    if (seen == NULL) return false;
    hjson_set_bool(doc, seen, true);
    int len = snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)((uint64_t)id * 0x9E3779B97F4A7C15ull ^ iter));
    hjson_val_t* digest = JB_PUT(doc, rec, "digest");
    if (digest == NULL || !hjson_set_str(doc, digest, buf, (size_t)len)) return false;
    hjson_val_t* tags = hjson_obj_getz(rec, "tags");
    hjson_val_t* tag = hjson_arr_push(doc, tags);
    len = snprintf(buf, sizeof(buf), "t%u.%llu", tid, (unsigned long long)iter);
    if (tag == NULL || !hjson_set_str(doc, tag, buf, (size_t)len)) return false;
  }
  for (size_t i = n; i-- > 0;)
    if (i % 10 == 3) hjson_arr_remove(doc, recs, i);
  hjson_val_t* add = hjson_arr_push(doc, recs);
  if (add == NULL || !hjson_set_obj(doc, add)) return false;
  hjson_val_t* v = JB_PUT(doc, add, "id");
  if (v == NULL) return false;
  hjson_set_int(doc, v, (int64_t)iter);
  v = JB_PUT(doc, add, "origin");
  int len = snprintf(buf, sizeof(buf), "worker-%u", tid);
  if (v == NULL || !hjson_set_str(doc, v, buf, (size_t)len)) return false;
  hjson_val_t* meta = hjson_obj_getz(root, "meta");
  v = JB_PUT(doc, meta, "processed_by");
  if (v == NULL || !hjson_set_str(doc, v, buf, (size_t)len)) return false;
  v = JB_PUT(doc, meta, "iteration");
  if (v == NULL) return false;
  hjson_set_int(doc, v, (int64_t)iter);
  hjson_obj_remove(doc, meta, "generated", 9);
  return true;
}

// ----- Threads -----
typedef struct jb_corpus_s {
  hjson_buf_t* docs;  // the texts
  unsigned n;
  size_t bytes;       // all texts
} jb_corpus_t;

typedef struct jb_thread_s {
  const jb_corpus_t* corpus;
  unsigned tid;
  size_t iters;
  unsigned window;
  uint64_t bytes_in;   // bytes parsed from the corpus
  uint64_t bytes_out;  // bytes written
  jb_walk_t walk;      // summed over every iteration
  const char* failed;  // what went wrong, or NULL
} jb_thread_t;

#define JB_WINDOW_MAX 64

// One iteration on corpus document d; the document and its text stay in the
// window slot. Returns NULL or what failed.
static const char* jb_iteration(jb_thread_t* t, const hak_alc_t* alc, uint64_t it, hjson_doc_t** slot_doc,
                                hjson_buf_t* slot_buf) {
  const hjson_buf_t* src = &t->corpus->docs[(it * 7 + t->tid * 13) % t->corpus->n];
  hjson_error_t err;
  hjson_doc_t* doc = hjson_parse(src->data, src->len, alc, &err);
  if (doc == NULL) return err.msg;
  *slot_doc = doc;
  t->bytes_in += src->len;
  jb_walk(hjson_doc_root(doc), &t->walk);
  if (!jb_modify(doc, t->tid, it)) return "out of memory while modifying";
  if (!hjson_write(hjson_doc_root(doc), HJSON_COMPACT, alc, slot_buf, &err)) return err.msg;
  t->bytes_out += slot_buf->len;
  if (it % 8 == 0) {
    hjson_doc_t* back = hjson_parse(slot_buf->data, slot_buf->len, alc, &err);
    if (back == NULL) return "the written text does not parse";
    bool same = hjson_equal(hjson_doc_root(doc), hjson_doc_root(back));
    hjson_doc_free(back);
    if (!same) return "the written text does not read back equal";
  }
  return NULL;
}

static void* jb_worker(void* arg) {
  jb_thread_t* t = arg;
  const hak_alc_t* alc = bench_runtime_alc();
  hjson_doc_t* docs[JB_WINDOW_MAX] = {0};
  hjson_buf_t bufs[JB_WINDOW_MAX] = {{0}};
  for (uint64_t it = 0; it < t->iters && t->failed == NULL; it++) {
    unsigned s = (unsigned)(it % t->window);
    hjson_doc_free(docs[s]);
    hjson_buf_free(&bufs[s], alc);
    docs[s] = NULL;
    t->failed = jb_iteration(t, alc, it, &docs[s], &bufs[s]);
  }
  for (unsigned s = 0; s < t->window; s++) {
    hjson_doc_free(docs[s]);
    hjson_buf_free(&bufs[s], alc);
  }
  return NULL;
}

int main(int argc, char** argv) {
  size_t iters = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000;
  unsigned threads = argc > 2 ? (unsigned)atoi(argv[2]) : 1;
  unsigned ndocs = argc > 3 ? (unsigned)atoi(argv[3]) : 64;
  uint64_t seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
  unsigned window = argc > 5 ? (unsigned)atoi(argv[5]) : 4;
  if (iters < 1 || threads < 1 || threads > 64 || ndocs < 1 || ndocs > 100000 || window < 1 || window > JB_WINDOW_MAX) {
    fprintf(stderr, "usage: json [iters>=1] [threads 1..64] [docs 1..100000] [seed] [window 1..%d]\n", JB_WINDOW_MAX);
    return 2;
  }
  const hak_alc_t* alc = bench_runtime_alc();
  jb_corpus_t corpus = {calloc(ndocs, sizeof(hjson_buf_t)), ndocs, 0};
  if (corpus.docs == NULL) return 1;
  gen_rng = seed;
  for (unsigned d = 0; d < ndocs; d++) {
    size_t target = (size_t)2048 << gen_n(6);  // 2, 4, ... 64 KiB
    target += gen_n(target);
    if (!gen_doc(alc, d, target, &corpus.docs[d])) {
      fprintf(stderr, "json: cannot generate the corpus\n");
      return 1;
    }
    corpus.bytes += corpus.docs[d].len;
  }
  jb_thread_t* ts = calloc(threads, sizeof(*ts));
  pthread_t* th = calloc(threads, sizeof(*th));
  if (ts == NULL || th == NULL) return 1;
  double t0 = bench_now();
  for (unsigned i = 0; i < threads; i++) {
    ts[i] = (jb_thread_t){&corpus, i, iters, window, 0, 0, {0, 0, 0}, NULL};
    if (pthread_create(&th[i], NULL, jb_worker, &ts[i]) != 0) {
      fprintf(stderr, "json: cannot create a thread\n");
      return 1;
    }
  }
  for (unsigned i = 0; i < threads; i++) pthread_join(th[i], NULL);
  double elapsed = bench_now() - t0;
  uint64_t in = 0, out = 0, values = 0, str_bytes = 0;
  double sum = 0;
  int rc = 0;
  for (unsigned i = 0; i < threads; i++) {
    if (ts[i].failed != NULL) {
      fprintf(stderr, "json: thread %u failed: %s\n", i, ts[i].failed);
      rc = 1;
    }
    in += ts[i].bytes_in, out += ts[i].bytes_out;
    values += ts[i].walk.values, str_bytes += ts[i].walk.str_bytes, sum += ts[i].walk.sum;
  }
  for (unsigned d = 0; d < ndocs; d++) hjson_buf_free(&corpus.docs[d], alc);
  free(corpus.docs);
  free(ts);
  free(th);
  size_t total = iters * threads;
  printf("json: runtime_alloc=%s threads=%u docs=%u corpus_kb=%zu iterations=%zu seconds=%.3f mb_in=%.1f mb_out=%.1f "
         "values=%llu str_bytes=%llu sum=%.6g mb_per_s=%.1f throughput=%.0f docs/s peak_rss_kb=%ld\n",
         bench_runtime_alc_name(), threads, ndocs, corpus.bytes / 1024, total, elapsed, (double)in / 1e6, (double)out / 1e6,
         (unsigned long long)values, (unsigned long long)str_bytes, sum, (double)in / 1e6 / elapsed, (double)total / elapsed,
         bench_peak_rss_kb());
  if (!bench_runtime_check("json")) rc = 1;
  if (rc != 0) return rc;
  bench_report_allocator();
  return 0;
}
