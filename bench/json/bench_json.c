/* bench_json.c: parse and write throughput of hjson (allocating every node
   through hakmem) beside cJSON, on a corpus generated here from a seed.

   Corpus (deterministic for a seed; about --size MB each):
     social.json   a search result of social-media posts: ids, many strings
                   (some non-ASCII, some escapes), nested user/entity objects
     catalog.json  a catalog of many small product objects, pretty-printed
                   with indent 2
     coords.json   GeoJSON-like features with long arrays of [lon, lat]
                   doubles at full precision
   For each file and library: parse (parse + free of the tree) and write
   (compact text from the parsed tree) are run in rounds of enough iterations
   to last ~0.2 s; the median round is reported in MB/s (parse: input bytes;
   write: output bytes). hjson's allocations per parse come from hakmem's own
   counters (hak_stats_get), which proves hakmem served them.
   usage: bench_json [--seed N] [--size MB] [--rounds N] [--out DIR] [--smoke] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hakmem.h"
#include "hjson.h"
#if HJSON_BENCH_CJSON
#include <cjson/cJSON.h>
#endif

// ----- Deterministic generator -----
static uint64_t bench_rng = 1;
static uint64_t rnd(void) {  // splitmix64
  uint64_t z = (bench_rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static uint64_t rndn(uint64_t n) { return rnd() % n; }
static double rndf(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

static const char* const words[] = {
    "the", "allocator", "runtime", "json", "memory", "fast", "thread", "heap", "page", "segment", "today",
    "great", "release", "build", "test", "bench", "free", "alloc", "cache", "latency", "throughput", "hello",
    "world", "caf\xc3\xa9", "na\xc3\xafve", "\xe6\x9d\xb1\xe4\xba\xac", "\xf0\x9f\x9a\x80", "r\xc3\xa9sum\xc3\xa9",
    "#hakmem", "@dev", "https://example.com/p/123", "\"quoted\"", "line\nbreak", "tab\there", "C:\\path"};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static void w_words(hjson_writer_t* w, int lo, int hi) {
  char buf[1024];
  size_t n = 0;
  int k = lo + (int)rndn((uint64_t)(hi - lo + 1));
  for (int i = 0; i < k && n < 900; i++) {
    const char* s = words[rndn(NWORDS)];
    if (i) buf[n++] = ' ';
    size_t l = strlen(s);
    memcpy(buf + n, s, l);
    n += l;
  }
  hjson_writer_string(w, buf, n);
}
static void w_key(hjson_writer_t* w, const char* k) { hjson_writer_key(w, k, strlen(k)); }
static void w_strz(hjson_writer_t* w, const char* s) { hjson_writer_string(w, s, strlen(s)); }
static void w_fmt(hjson_writer_t* w, const char* fmt, uint64_t v) {
  char b[64];
  int n = snprintf(b, sizeof b, fmt, (unsigned long long)v);
  hjson_writer_string(w, b, (size_t)n);
}

static void gen_user(hjson_writer_t* w) {
  uint64_t id = 10000000 + rndn(4000000000ull);
  hjson_writer_begin_object(w);
  w_key(w, "id"), hjson_writer_int(w, (int64_t)id);
  w_key(w, "id_str"), w_fmt(w, "%llu", id);
  w_key(w, "name"), w_words(w, 1, 3);
  w_key(w, "screen_name"), w_fmt(w, "user_%llu", rndn(1000000));
  w_key(w, "location"), w_words(w, 0, 2);
  w_key(w, "description"), w_words(w, 3, 20);
  w_key(w, "url"), rndn(3) ? hjson_writer_null(w) : w_fmt(w, "https://t.example/%llx", rnd() >> 24);
  w_key(w, "protected"), hjson_writer_bool(w, rndn(20) == 0);
  w_key(w, "followers_count"), hjson_writer_int(w, (int64_t)rndn(100000));
  w_key(w, "friends_count"), hjson_writer_int(w, (int64_t)rndn(5000));
  w_key(w, "listed_count"), hjson_writer_int(w, (int64_t)rndn(300));
  w_key(w, "created_at"), w_strz(w, "Sat Aug 30 15:07:01 +0000 2014");
  w_key(w, "favourites_count"), hjson_writer_int(w, (int64_t)rndn(20000));
  w_key(w, "verified"), hjson_writer_bool(w, rndn(10) == 0);
  w_key(w, "statuses_count"), hjson_writer_int(w, (int64_t)rndn(100000));
  w_key(w, "lang"), w_strz(w, rndn(3) ? "en" : "ja");
  w_key(w, "profile_background_color"), w_fmt(w, "%06llX", rndn(0xffffff));
  w_key(w, "profile_image_url_https"), w_fmt(w, "https://pbs.example.com/profile_images/%llu/normal.png", rnd() >> 20);
  w_key(w, "default_profile"), hjson_writer_bool(w, rndn(2));
  w_key(w, "following"), hjson_writer_bool(w, false);
  hjson_writer_end_object(w);
}

static void gen_status(hjson_writer_t* w) {
  uint64_t id = 500000000000000000ull + rndn(100000000000000000ull);
  hjson_writer_begin_object(w);
  w_key(w, "metadata"), hjson_writer_begin_object(w);
  w_key(w, "result_type"), w_strz(w, "recent");
  w_key(w, "iso_language_code"), w_strz(w, "en");
  hjson_writer_end_object(w);
  w_key(w, "created_at"), w_strz(w, "Sun Aug 31 00:29:15 +0000 2014");
  w_key(w, "id"), hjson_writer_int(w, (int64_t)id);
  w_key(w, "id_str"), w_fmt(w, "%llu", id);
  w_key(w, "text"), w_words(w, 4, 24);
  w_key(w, "source"), w_strz(w, "<a href=\"https://example.com/app\" rel=\"nofollow\">App</a>");
  w_key(w, "truncated"), hjson_writer_bool(w, false);
  w_key(w, "in_reply_to_status_id"), rndn(4) ? hjson_writer_null(w) : hjson_writer_int(w, (int64_t)(id - rndn(1000000)));
  w_key(w, "user"), gen_user(w);
  w_key(w, "geo"), hjson_writer_null(w);
  w_key(w, "coordinates"), hjson_writer_null(w);
  w_key(w, "retweet_count"), hjson_writer_int(w, (int64_t)rndn(1000));
  w_key(w, "favorite_count"), hjson_writer_int(w, (int64_t)rndn(1000));
  w_key(w, "entities"), hjson_writer_begin_object(w);
  w_key(w, "hashtags"), hjson_writer_begin_array(w);
  for (int i = (int)rndn(3); i > 0; i--) {
    hjson_writer_begin_object(w);
    w_key(w, "text"), w_words(w, 1, 1);
    w_key(w, "indices"), hjson_writer_begin_array(w);
    int a = (int)rndn(100);
    hjson_writer_int(w, a), hjson_writer_int(w, a + 1 + (int)rndn(10));
    hjson_writer_end_array(w);
    hjson_writer_end_object(w);
  }
  hjson_writer_end_array(w);
  w_key(w, "urls"), hjson_writer_begin_array(w);
  hjson_writer_end_array(w);
  w_key(w, "user_mentions"), hjson_writer_begin_array(w);
  for (int i = (int)rndn(3); i > 0; i--) {
    uint64_t uid = rndn(4000000000ull);
    hjson_writer_begin_object(w);
    w_key(w, "screen_name"), w_fmt(w, "user_%llu", rndn(1000000));
    w_key(w, "name"), w_words(w, 1, 2);
    w_key(w, "id"), hjson_writer_int(w, (int64_t)uid);
    w_key(w, "id_str"), w_fmt(w, "%llu", uid);
    hjson_writer_end_object(w);
  }
  hjson_writer_end_array(w);
  hjson_writer_end_object(w);
  w_key(w, "favorited"), hjson_writer_bool(w, false);
  w_key(w, "retweeted"), hjson_writer_bool(w, false);
  w_key(w, "lang"), w_strz(w, "en");
  hjson_writer_end_object(w);
}

static void gen_social(hjson_writer_t* w, size_t target) {
  hjson_writer_begin_object(w);
  w_key(w, "statuses"), hjson_writer_begin_array(w);
  while (w->len < target) gen_status(w);
  hjson_writer_end_array(w);
  w_key(w, "search_metadata"), hjson_writer_begin_object(w);
  w_key(w, "max_id"), hjson_writer_int(w, 505874924095815681);
  w_key(w, "query"), w_strz(w, "%E4%B8%80");
  w_key(w, "count"), hjson_writer_int(w, 100);
  hjson_writer_end_object(w);
  hjson_writer_end_object(w);
}

static void gen_catalog(hjson_writer_t* w, size_t target) {
  hjson_writer_begin_array(w);
  for (uint64_t id = 1; w->len < target; id++) {
    hjson_writer_begin_object(w);
    w_key(w, "id"), hjson_writer_int(w, (int64_t)id);
    w_key(w, "sku"), w_fmt(w, "SKU-%08llu", rndn(100000000));
    w_key(w, "name"), w_words(w, 2, 5);
    w_key(w, "price"), hjson_writer_double(w, (double)(99 + rndn(100000)) / 100.0);
    w_key(w, "currency"), w_strz(w, rndn(2) ? "EUR" : "USD");
    w_key(w, "in_stock"), hjson_writer_bool(w, rndn(4) != 0);
    w_key(w, "quantity"), hjson_writer_int(w, (int64_t)rndn(500));
    w_key(w, "rating"), hjson_writer_double(w, (double)rndn(51) / 10.0);
    w_key(w, "tags"), hjson_writer_begin_array(w);
    for (int i = (int)rndn(4); i > 0; i--) w_words(w, 1, 1);
    hjson_writer_end_array(w);
    w_key(w, "dimensions"), hjson_writer_begin_object(w);
    w_key(w, "w"), hjson_writer_double(w, (double)rndn(1000) / 8.0);
    w_key(w, "h"), hjson_writer_double(w, (double)rndn(1000) / 4.0);
    w_key(w, "d"), hjson_writer_int(w, (int64_t)rndn(100));
    hjson_writer_end_object(w);
    w_key(w, "discontinued"), rndn(10) ? hjson_writer_null(w) : hjson_writer_bool(w, true);
    hjson_writer_end_object(w);
  }
  hjson_writer_end_array(w);
}

static void gen_coords(hjson_writer_t* w, size_t target) {
  hjson_writer_begin_object(w);
  w_key(w, "type"), w_strz(w, "FeatureCollection");
  w_key(w, "features"), hjson_writer_begin_array(w);
  for (int f = 0; w->len < target; f++) {
    hjson_writer_begin_object(w);
    w_key(w, "type"), w_strz(w, "Feature");
    w_key(w, "properties"), hjson_writer_begin_object(w);
    w_key(w, "name"), w_fmt(w, "region %llu", (uint64_t)f);
    hjson_writer_end_object(w);
    w_key(w, "geometry"), hjson_writer_begin_object(w);
    w_key(w, "type"), w_strz(w, "Polygon");
    w_key(w, "coordinates"), hjson_writer_begin_array(w);
    hjson_writer_begin_array(w);
    double lon = -180 + 360 * rndf(), lat = -80 + 160 * rndf();
    for (int i = 200 + (int)rndn(800); i > 0; i--) {
      lon += (rndf() - 0.5) * 0.01, lat += (rndf() - 0.5) * 0.01;
      hjson_writer_begin_array(w);
      hjson_writer_double(w, lon), hjson_writer_double(w, lat);
      hjson_writer_end_array(w);
    }
    hjson_writer_end_array(w);
    hjson_writer_end_array(w);
    hjson_writer_end_object(w);
    hjson_writer_end_object(w);
  }
  hjson_writer_end_array(w);
  hjson_writer_end_object(w);
}

typedef struct bench_file_s {
  const char* name;
  void (*gen)(hjson_writer_t* w, size_t target);
  int indent;
  hjson_buf_t text;
} bench_file_t;

// ----- Timing -----
static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

typedef struct bench_ctx_s {
  const char* text;          // input
  size_t len;                // input bytes
  const hak_alc_t* alc;      // hjson context
  hjson_doc_t* doc;          // parsed once, for write runs
  size_t out_len;            // bytes of the last write
#if HJSON_BENCH_CJSON
  cJSON* cj;                 // parsed once, for write runs
#endif
} bench_ctx_t;

static int bench_failed;

static void op_hjson_parse(bench_ctx_t* c) {
  hjson_doc_t* d = hjson_parse(c->text, c->len, c->alc, NULL);
  if (!d) bench_failed = 1;
  hjson_doc_free(d);
}
static void op_hjson_write(bench_ctx_t* c) {
  hjson_buf_t out;
  if (!hjson_write(hjson_doc_root(c->doc), HJSON_COMPACT, c->alc, &out, NULL)) bench_failed = 1;
  c->out_len = out.len;
  hjson_buf_free(&out, c->alc);
}
#if HJSON_BENCH_CJSON
static void op_cjson_parse(bench_ctx_t* c) {
  cJSON* j = cJSON_ParseWithLength(c->text, c->len);
  if (!j) bench_failed = 1;
  cJSON_Delete(j);
}
static void op_cjson_write(bench_ctx_t* c) {
  char* s = cJSON_PrintUnformatted(c->cj);
  if (!s) bench_failed = 1;
  c->out_len = s ? strlen(s) : 0;
  cJSON_free(s);
}
#endif

// Median seconds per call of op over `rounds` rounds of ~0.2 s each.
static double bench_run(void (*op)(bench_ctx_t*), bench_ctx_t* c, int rounds, long* iters_out) {
  double t0 = now();
  op(c);  // warm-up and calibration
  double one = now() - t0;
  long iters = one > 0 ? (long)(0.2 / one) : 1000;
  if (iters < 1) iters = 1;
  double per[64];
  if (rounds > 64) rounds = 64;
  for (int r = 0; r < rounds; r++) {
    t0 = now();
    for (long i = 0; i < iters; i++) op(c);
    per[r] = (now() - t0) / (double)iters;
  }
  qsort(per, (size_t)rounds, sizeof(double), cmp_double);
  if (iters_out) *iters_out = iters;
  return per[rounds / 2];
}

static uint64_t hak_allocs(void) {
  hak_stats_t s;
  memset(&s, 0, sizeof s);
  s.size = sizeof s;
  hak_stats_get(&s);
  return s.alloc_count;
}

int main(int argc, char** argv) {
  uint64_t seed = 42;
  double size_mb = 2.0;
  int rounds = 5, smoke = 0;
  const char* outdir = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--size") && i + 1 < argc) size_mb = atof(argv[++i]);
    else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--out") && i + 1 < argc) outdir = argv[++i];
    else if (!strcmp(argv[i], "--smoke")) smoke = 1;
    else {
      fprintf(stderr, "usage: bench_json [--seed N] [--size MB] [--rounds N] [--out DIR] [--smoke]\n");
      return 2;
    }
  }
  if (smoke) size_mb = 0.05, rounds = 1;
  if (rounds < 1) rounds = 1;
  bench_file_t files[] = {
      {"social.json", gen_social, HJSON_COMPACT, {0}},
      {"catalog.json", gen_catalog, 2, {0}},
      {"coords.json", gen_coords, HJSON_COMPACT, {0}},
  };
  const hak_alc_t* hak = hak_alc_default();
  bench_rng = seed;
  for (size_t f = 0; f < 3; f++) {
    hjson_writer_t w;
    hjson_writer_init(&w, hak, files[f].indent);
    files[f].gen(&w, (size_t)(size_mb * 1e6));
    if (!hjson_writer_finish(&w, &files[f].text)) {
      fprintf(stderr, "bench_json: generating %s failed: %s\n", files[f].name, hjson_writer_error(&w)->msg);
      return 1;
    }
    hjson_writer_destroy(&w);
    if (outdir) {
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", outdir, files[f].name);
      FILE* fp = fopen(path, "wb");
      if (!fp || fwrite(files[f].text.data, 1, files[f].text.len, fp) != files[f].text.len) {
        fprintf(stderr, "bench_json: cannot write %s\n", path);
        return 1;
      }
      fclose(fp);
    }
  }
  printf("bench_json: seed %llu, rounds %d (median), parse = parse + free, write = compact text\n",
         (unsigned long long)seed, rounds);
  printf("%-13s %8s  %-22s %9s %9s %12s\n", "file", "MB", "library", "parse", "write", "allocs/parse");
  int status = 0;
  for (size_t f = 0; f < 3; f++) {
    bench_ctx_t c = {.text = files[f].text.data, .len = files[f].text.len};
    double mb = (double)c.len / 1e6;
    const hak_alc_t* alcs[2] = {hak, hak_alc_libc()};
    const char* names[2] = {"hjson (hakmem)", "hjson (libc malloc)"};
    double hj_parse = 0, hj_write = 0;
    for (int a = 0; a < 2; a++) {
      c.alc = alcs[a];
      uint64_t a0 = hak_allocs();
      op_hjson_parse(&c);
      uint64_t per_parse = hak_allocs() - a0;
      if (a == 0 && per_parse == 0) {
        fprintf(stderr, "bench_json: hakmem counted no allocations: not the allocator under test\n");
        status = 1;
      }
      double tp = bench_run(op_hjson_parse, &c, rounds, NULL);
      c.doc = hjson_parse(c.text, c.len, c.alc, NULL);
      if (!c.doc) return 1;
      double tw = bench_run(op_hjson_write, &c, rounds, NULL);
      double out_mb = (double)c.out_len / 1e6;
      if (smoke) {  // the written text parses back to an equal tree
        hjson_buf_t out;
        hjson_doc_t* back = NULL;
        if (!hjson_write(hjson_doc_root(c.doc), files[f].indent, c.alc, &out, NULL) ||
            !(back = hjson_parse(out.data, out.len, c.alc, NULL)) ||
            !hjson_equal(hjson_doc_root(back), hjson_doc_root(c.doc)))
          status = 1;
        if (files[f].indent >= 0 && (out.len != c.len || memcmp(out.data, c.text, c.len))) status = 1;
        hjson_doc_free(back);
        hjson_buf_free(&out, c.alc);
      }
      hjson_doc_free(c.doc);
      if (a == 0) hj_parse = mb / tp, hj_write = out_mb / tw;
      char allocs[32] = "-";
      if (a == 0) snprintf(allocs, sizeof allocs, "%llu", (unsigned long long)per_parse);
      printf("%-13s %8.2f  %-22s %9.1f %9.1f %12s\n", files[f].name, mb, names[a], mb / tp, out_mb / tw, allocs);
    }
#if HJSON_BENCH_CJSON
    double tp = bench_run(op_cjson_parse, &c, rounds, NULL);
    c.cj = cJSON_ParseWithLength(c.text, c.len);
    if (!c.cj) return 1;
    double tw = bench_run(op_cjson_write, &c, rounds, NULL);
    double out_mb = (double)c.out_len / 1e6;
    cJSON_Delete(c.cj);
    printf("%-13s %8.2f  %-22s %9.1f %9.1f %12s\n", files[f].name, mb, "cJSON 1.7 (libc)", mb / tp, out_mb / tw, "-");
    printf("%-13s %8s  %-22s %8.2fx %8.2fx\n", "", "", "hjson/cJSON", hj_parse / (mb / tp), hj_write / (out_mb / tw));
#else
    (void)hj_parse, (void)hj_write;
#endif
  }
  for (size_t f = 0; f < 3; f++) hjson_buf_free(&files[f].text, hak);
  if (bench_failed) status = 1;
  if (status) fprintf(stderr, "bench_json: FAILED\n");
  return status;
}
