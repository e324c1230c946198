/* stats.c: statistics (docs/design.md, section 5). Per-thread counters are plain integers that
   only their owner writes (the tld's per-tier allocation counts, free counts);
   process-wide quantities that change only on slow paths (pages, segments,
   mapped bytes, whales) are atomics in _hak_gstats. A snapshot sums every
   tld ever made (live or abandoned) and adds the globals. The per-thread
   reads race benignly with their owners (a count may be a few operations
   old), so the merge is excluded from ThreadSanitizer. */
#include <stdio.h>

#include "hak_internal.h"

hak_gstats_t _hak_gstats;

// ----- Every tld ever made (readers merge their counters) -----
static _Atomic(hak_tld_t*) tld_all;

void _hak_tld_list_add(hak_tld_t* tld) {
  hak_tld_t* head = atomic_load_explicit(&tld_all, memory_order_relaxed);
  do {
    tld->next_all = head;
  } while (!atomic_compare_exchange_weak_explicit(&tld_all, &head, tld, memory_order_release, memory_order_relaxed));
}

void _hak_tld_foreach(void (*fn)(hak_tld_t* tld, void* arg), void* arg) {
  for (hak_tld_t* tld = atomic_load_explicit(&tld_all, memory_order_acquire); tld != NULL; tld = tld->next_all) fn(tld, arg);
}

void _hak_stat_add(_Atomic(int64_t)* cur, _Atomic(int64_t)* peak, int64_t delta) {
  int64_t v = atomic_fetch_add_explicit(cur, delta, memory_order_relaxed) + delta;
  if (peak == NULL) return;
  int64_t p = atomic_load_explicit(peak, memory_order_relaxed);
  while (v > p && !atomic_compare_exchange_weak_explicit(peak, &p, v, memory_order_relaxed, memory_order_relaxed)) {
  }
}

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HAK_NO_TSAN __attribute__((no_sanitize("thread")))
#endif
#endif
#if !defined(HAK_NO_TSAN) && defined(__SANITIZE_THREAD__)
#define HAK_NO_TSAN __attribute__((no_sanitize_thread))
#endif
#ifndef HAK_NO_TSAN
#define HAK_NO_TSAN
#endif

HAK_NO_TSAN static uint64_t hak_read_racy(const uint64_t* p) {
  return *(const volatile uint64_t*)p;
}

static void hak_stats_merge_tld(hak_tld_t* tld, void* arg) {
  hak_stats_t* s = (hak_stats_t*)arg;
  for (size_t i = 0; i < HAK_SUBSYS_MAX; i++) {  // a heap not set up reads as zero
    const hak_heap_t* heap = hak_heap_of(tld, (hak_subsys_t)i);
#define HAK_TIER_STAT_(t, max, last, blocks, field) s->field += hak_read_racy(&heap->tier_alloc[HAK_TIER_##t]);
    HAK_TIERS(HAK_TIER_STAT_)
    s->whale_alloc += hak_read_racy(&heap->tier_alloc[HAK_TIER_WHALE]);
  }
  s->free_count += hak_read_racy(&tld->free_count);
  s->remote_free += hak_read_racy(&tld->remote_free);
  s->invalid_free += hak_read_racy(&tld->invalid_free);
}

static uint64_t hak_g(_Atomic(int64_t)* v) {
  int64_t x = atomic_load_explicit(v, memory_order_relaxed);
  return x < 0 ? 0 : (uint64_t)x;
}

static void hak_stats_snapshot(hak_stats_t* s) {
  memset(s, 0, sizeof(*s));
  s->size = sizeof(*s);
  s->version = HAKMEM_VERSION;
  _hak_tld_foreach(hak_stats_merge_tld, s);
#define HAK_TIER_SUM_(t, max, last, blocks, field) +s->field
  s->alloc_count = s->whale_alloc HAK_TIERS(HAK_TIER_SUM_);
  s->free_count += hak_g(&_hak_gstats.free_count_notld);
  s->remote_free += hak_g(&_hak_gstats.remote_free_notld);
  s->invalid_free += hak_g(&_hak_gstats.invalid_free_notld);
  s->pages_current = hak_g(&_hak_gstats.pages_current);
  s->pages_peak = hak_g(&_hak_gstats.pages_peak);
  s->segments_current = hak_g(&_hak_gstats.segments_current);
  s->segments_peak = hak_g(&_hak_gstats.segments_peak);
  s->segments_cached = hak_g(&_hak_gstats.segments_cached);
  s->whale_bytes_current = hak_g(&_hak_gstats.whale_bytes_current);
  s->whale_cached = hak_g(&_hak_gstats.whale_cached);
  s->mapped_bytes_current = hak_g(&_hak_gstats.mapped_current);
  s->mapped_bytes_peak = hak_g(&_hak_gstats.mapped_peak);
  s->purged_bytes = hak_g(&_hak_gstats.purged_bytes);
  s->mmap_calls = hak_g(&_hak_gstats.mmap_calls);
  s->munmap_calls = hak_g(&_hak_gstats.munmap_calls);
  s->threads_current = hak_g(&_hak_gstats.threads_current);
  s->threads_abandoned = hak_g(&_hak_gstats.threads_abandoned);
  s->heap_releases = hak_g(&_hak_gstats.heap_releases);
  s->rss_current = _hak_prim_rss();
  s->rss_peak = _hak_prim_rss_peak();
}

HAK_API void hak_stats_get(hak_stats_t* out) {
  if (out == NULL) return;
  size_t size = out->size;
  if (size == 0 || size > sizeof(hak_stats_t)) size = sizeof(hak_stats_t);
  hak_stats_t s;
  hak_stats_snapshot(&s);
  memcpy(out, &s, size);
  out->size = size;
}

HAK_API void hak_stats_print(FILE* out) {
  if (out == NULL) out = stderr;
  hak_stats_t s;
  hak_stats_snapshot(&s);
  fprintf(out, "hakmem statistics (version %u)\n", s.version);
#define HAK_STATS_PRINT_(name, doc) fprintf(out, "  %-22s %16llu  %s\n", #name, (unsigned long long)s.name, doc);
  HAK_STATS_FIELDS(HAK_STATS_PRINT_)
#undef HAK_STATS_PRINT_
  fflush(out);
}

HAK_API void hak_stats_print_json(FILE* out) {
  if (out == NULL) out = stderr;
  hak_stats_t s;
  hak_stats_snapshot(&s);
  fprintf(out, "{\"version\":%u", s.version);
#define HAK_STATS_JSON_(name, doc) fprintf(out, ",\"%s\":%llu", #name, (unsigned long long)s.name);
  HAK_STATS_FIELDS(HAK_STATS_JSON_)
#undef HAK_STATS_JSON_
  fprintf(out, "}\n");
  fflush(out);
}

void _hak_stats_at_exit(FILE* out) {
  long mode = _hak_option_fast(HAK_OPT_STATS);
  if (mode == 1) hak_stats_print(out);
  else if (mode >= 2) hak_stats_print_json(out);
}
