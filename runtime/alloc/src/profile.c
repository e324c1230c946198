/* profile.c: per-site profiling and its reports.

   Counting: each thread keeps a hak_site_counters_t per site index in chunks
   of its tld (made on first use, never freed), written only by that thread;
   readers merge every tld's chunks (reads race benignly, as for stats). A
   thread with profiling on has heap->fast_limit == 0 and a fast id that matches
   no segment, so its allocations and frees take the profiled paths of
   alloc.c/free.c, which do the fast path's work plus the counting here. With
   profiling off nothing here runs: the fast paths are unchanged.

   Sampling (malloc in libhakmem.so): instead of counting every call for the
   default site, one allocation per HAKMEM_PROFILE_SAMPLE KiB on average
   (exponential intervals, as heap profilers do) is attributed to its caller's
   return address, registered as a site "@0x..." and named by dladdr() when a
   report is written. A sampled block of s bytes stands for 1/p blocks of s
   bytes, p = 1 - exp(-s / interval): an unbiased estimate. The block is
   remembered in a small table (under a mutex: samples are rare) so that its
   free subtracts the same estimate; its page is flagged (and counts its
   samples) so that only frees in pages holding a live sample look the table
   up; the owner clears the flag once the page's samples are gone. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "hak_internal.h"

_Atomic(uint32_t) _hak_profile_gen;
static const char* profile_out;  // HAKMEM_PROFILE_OUT
static bool profile_env;         // HAKMEM_PROFILE or HAKMEM_PROFILE_OUT set: report at exit

// ----- Switching -----
void _hak_profile_init(void) {
  profile_out = _hak_prim_getenv("HAKMEM_PROFILE_OUT");
  if (profile_out != NULL && *profile_out == 0) profile_out = NULL;
  if (profile_out != NULL && _hak_option_fast(HAK_OPT_PROFILE) == 0) {
    __atomic_store_n(&_hak_option_values[HAK_OPT_PROFILE], 1, __ATOMIC_RELAXED);
  }
  profile_env = _hak_option_fast(HAK_OPT_PROFILE) != 0;
  atomic_store(&_hak_profile_gen, 1);
}

static hak_prof_tld_t* hak_prof_tld_new(void) {
  void* mem = NULL;
  size_t page = _hak_prim_page_size();
  size_t size = (HAK_PROF_SITES * sizeof(hak_site_counters_t) + sizeof(hak_prof_tld_t) + page - 1) & ~(page - 1);
  if (_hak_prim_map(size, page, NULL, &mem) != 0) return NULL;
  hak_prof_tld_t* prof = (hak_prof_tld_t*)mem;
  prof->sites = (hak_site_counters_t*)((uint8_t*)mem + ((sizeof(hak_prof_tld_t) + 63) & ~(size_t)63));
  prof->rng = (uint64_t)(uintptr_t)prof * 0x9E3779B97F4A7C15ull + (uint64_t)_hak_prim_clock_ms();
  return prof;
}

// Sets a tld up for the current profiling state (its own thread, or a new tld).
void _hak_profile_apply(hak_tld_t* tld) {
  tld->profile_gen = atomic_load_explicit(&_hak_profile_gen, memory_order_relaxed);
  bool on = _hak_option_fast(HAK_OPT_PROFILE) != 0;
  if (on && tld->profile == NULL) {
    tld->profile = hak_prof_tld_new();
    if (tld->profile != NULL) tld->prof_sites = tld->profile->sites;
  }
  on = on && tld->profile != NULL;
  tld->profiling = on;
  tld->fast_id = !tld->checked && tld->map_id <= HAK_TLD_ID_MAX ? tld->map_id : HAK_TLD_ID_NEVER;
  tld->fast_id_at = on ? HAK_TLD_ID_NEVER : tld->fast_id;
  hak_heap_t* heap;
  for (HAK_HEAPS_EACH(tld, heap, it)) _hak_heap_modes(heap);
}

HAK_API void hak_profile_enable(bool on) {
  _hak_init();
  hak_option_set(HAK_OPT_PROFILE, on ? 1 : 0);
  atomic_fetch_add(&_hak_profile_gen, 1);
  if (_hak_tld != &_hak_tld_empty) _hak_profile_apply(_hak_tld);
}

HAK_API bool hak_profile_enabled(void) {
  return hak_option_get(HAK_OPT_PROFILE) != 0;
}

// ----- Counting -----
static hak_site_counters_t* hak_prof_counters(hak_tld_t* tld, uint32_t index) {
  if (tld->profile == NULL) return NULL;
  return &tld->prof_sites[index < HAK_PROF_SITES ? index : HAK_SUBSYS_DEFAULT];
}

static void hak_prof_add(hak_site_counters_t* c, uint64_t count, uint64_t bytes) {
  c->allocs += count;
  c->alloc_bytes += bytes;
  c->live += (int64_t)bytes;
  if (c->live > c->peak) c->peak = c->live;
}

static void hak_prof_sub(hak_site_counters_t* c, uint64_t count, uint64_t bytes) {
  c->frees += count;
  c->free_bytes += bytes;
  c->live -= (int64_t)bytes;
}

// ----- Samples (drop-in malloc) -----
typedef struct hak_sample_s {
  uintptr_t block;   // 0: empty slot, 1: deleted
  uint32_t index;    // site index
  uint32_t count;    // estimated blocks
  uint64_t bytes;    // estimated bytes
} hak_sample_t;

static pthread_mutex_t sample_lock = PTHREAD_MUTEX_INITIALIZER;
static hak_sample_t* samples;  // open addressing, linear probing
static size_t samples_cap, samples_used;

static size_t hak_sample_hash(uintptr_t p) {
  return (size_t)((p >> 4) * 0x9E3779B97F4A7C15ull);
}

static bool hak_samples_grow(void) {
  size_t cap = samples_cap ? samples_cap * 2 : 4096;
  size_t size = (cap * sizeof(hak_sample_t) + _hak_prim_page_size() - 1) & ~(_hak_prim_page_size() - 1);
  void* mem = NULL;
  if (_hak_prim_map(size, _hak_prim_page_size(), NULL, &mem) != 0) return false;
  hak_sample_t* t = (hak_sample_t*)mem;
  size_t used = 0;
  for (size_t i = 0; i < samples_cap; i++) {
    if (samples[i].block <= 1) continue;
    size_t j = hak_sample_hash(samples[i].block) & (cap - 1);
    while (t[j].block != 0) j = (j + 1) & (cap - 1);
    t[j] = samples[i];
    used++;
  }
  if (samples != NULL) {
    _hak_prim_unmap(samples, (samples_cap * sizeof(hak_sample_t) + _hak_prim_page_size() - 1) & ~(_hak_prim_page_size() - 1));
  }
  samples = t;
  samples_cap = cap;
  samples_used = used;
  return true;
}

static void hak_sample_put(uintptr_t block, uint32_t index, uint32_t count, uint64_t bytes) {
  pthread_mutex_lock(&sample_lock);
  if ((samples_used + 1) * 2 > samples_cap && !hak_samples_grow()) {
    pthread_mutex_unlock(&sample_lock);
    return;
  }
  size_t j = hak_sample_hash(block) & (samples_cap - 1);
  while (samples[j].block > 1 && samples[j].block != block) j = (j + 1) & (samples_cap - 1);
  if (samples[j].block != block) samples_used++;
  samples[j] = (hak_sample_t){block, index, count, bytes};
  pthread_mutex_unlock(&sample_lock);
}

static bool hak_sample_take(uintptr_t block, hak_sample_t* out) {
  bool found = false;
  pthread_mutex_lock(&sample_lock);
  if (samples_cap != 0) {
    for (size_t j = hak_sample_hash(block) & (samples_cap - 1); samples[j].block != 0; j = (j + 1) & (samples_cap - 1)) {
      if (samples[j].block == block) {
        *out = samples[j];
        samples[j].block = 1;  // deleted
        found = true;
        break;
      }
    }
  }
  pthread_mutex_unlock(&sample_lock);
  return found;
}

static uint64_t hak_prof_rand(hak_prof_tld_t* prof) {
  uint64_t x = prof->rng;
  x ^= x << 13, x ^= x >> 7, x ^= x << 17;
  return prof->rng = x;
}

// Bytes until the next sample: exponential with mean `interval`.
static int64_t hak_prof_next_interval(hak_prof_tld_t* prof, double interval) {
  double u = ((double)(hak_prof_rand(prof) >> 11) + 0.5) / 9007199254740992.0;  // (0, 1)
  double v = -log(u) * interval;
  return v < 1 ? 1 : (int64_t)v;
}

// The countdown of a thread's malloc calls ran out (hak_prof_malloc_tick):
// attribute this block to its caller, draw the next interval.
void _hak_profile_sample(hak_tld_t* tld, void* p, size_t usable, void* caller) {
  hak_prof_tld_t* prof = tld->profile;
  if (prof == NULL) return;
  usable = hak_usable_size(p);  // the tick may have counted the requested size
  double interval = (double)(_hak_option_fast(HAK_OPT_PROFILE_SAMPLE) > 0 ? _hak_option_fast(HAK_OPT_PROFILE_SAMPLE) : 1) * 1024.0;
  tld->sample_left = hak_prof_next_interval(prof, interval);
  if (!prof->sampling_started) {  // the first call only starts the countdown
    prof->sampling_started = true;
    return;
  }
  char name[32];
  snprintf(name, sizeof(name), "@%p", caller);
  hak_site_t site = hak_site_register(HAK_SUBSYS_DEFAULT, name);
  double prob = 1.0 - exp(-(double)usable / interval);
  uint32_t count = (uint32_t)(1.0 / prob + 0.5);
  uint64_t bytes = (uint64_t)((double)usable / prob + 0.5);
  if (count == 0) count = 1;
  hak_prof_add(hak_prof_counters(tld, hak_site_index(site)), count, bytes);
  hak_sample_put((uintptr_t)p, hak_site_index(site), count, bytes);
  // Flag a page block's page so its frees take the slow path, which looks
  // the table up (whale frees always do). The allocating thread owns it.
  uint8_t v = hak_segmap_get((uintptr_t)p);
  if ((v >= 1 && v <= HAK_TLD_ID_MAX) || (v == HAK_SEGMAP_SLOW && *(uint8_t*)hak_segment_of(p) == HAK_SEG_SLICED)) {
    hak_page_t* page = hak_page_of(hak_segment_of(p), p);
    hak_page_flag_set(page, HAK_PAGE_SAMPLED);
    atomic_fetch_add_explicit(&page->samples, 1, memory_order_relaxed);
    page->sample_block = p;
  }
}

void _hak_profile_count_alloc(hak_tld_t* tld, void* p, size_t usable, hak_site_t site, void* caller) {
  if (tld->profile == NULL) return;
  if (caller != NULL) hak_prof_malloc_tick(tld, p, usable, caller);
  else hak_prof_count_alloc(tld, site, usable);
}

void _hak_profile_count_free(hak_tld_t* tld, void* p, size_t usable, hak_site_t site, bool from_malloc, hak_page_t* page) {
  if (tld->profile == NULL) return;
  if (!from_malloc) {
    hak_prof_count_free(tld, site, usable);
    return;
  }
  if (page != NULL && atomic_load_explicit(&page->samples, memory_order_relaxed) == 0) return;
  hak_sample_t s;
  if (hak_sample_take((uintptr_t)p, &s)) {
    hak_prof_sub(hak_prof_counters(tld, s.index), s.count, s.bytes);
    if (page != NULL) atomic_fetch_sub_explicit(&page->samples, 1, memory_order_relaxed);
  }
}

// A bulk release (hak_heap_release) frees every block the thread still held
// in one subsystem's heap: the thread's counters of that subsystem's sites
// count them as freed (exact when the site's blocks are freed by the thread
// that allocated them, as for the MIR of a compiled function).
void _hak_profile_heap_released(hak_tld_t* tld, hak_subsys_t sub) {
  if (tld->profile == NULL) return;
  uint32_t n = hak_site_count();
  if (n > HAK_PROF_SITES) n = HAK_PROF_SITES;
  for (uint32_t i = 0; i < n; i++) {
    hak_subsys_t s = HAK_SUBSYS_DEFAULT;
    if (_hak_site_info(i, &s) == NULL || s != sub) continue;
    hak_site_counters_t* c = &tld->prof_sites[i];
    if (c->allocs > c->frees) c->frees = c->allocs;
    if (c->alloc_bytes > c->free_bytes) c->free_bytes = c->alloc_bytes;
    if (c->live > 0) c->live = 0;
  }
}

// ----- Snapshot -----
#if defined(__SANITIZE_THREAD__)
#define HAK_PROF_NO_TSAN __attribute__((no_sanitize_thread))
#else
#define HAK_PROF_NO_TSAN
#endif

typedef struct hak_prof_merge_s {
  hak_site_stats_t* sites;  // indexed by site index, [0, count)
  uint32_t count;
} hak_prof_merge_t;

HAK_PROF_NO_TSAN static void hak_prof_merge_tld(hak_tld_t* tld, void* arg) {
  hak_prof_merge_t* m = (hak_prof_merge_t*)arg;
  hak_prof_tld_t* prof = tld->profile;
  if (prof == NULL) return;
  for (uint32_t i = 0; i < m->count && i < HAK_PROF_SITES; i++) {
    const volatile hak_site_counters_t* k = &prof->sites[i];
    if (k->allocs == 0 && k->frees == 0) continue;
    hak_site_stats_t* s = &m->sites[i];
    s->allocs += k->allocs;
    s->bytes += k->alloc_bytes;
    s->frees += k->frees;
    s->freed_bytes += k->free_bytes;
    s->live += k->live;
    s->peak += k->peak > 0 ? k->peak : 0;
  }
}

static int hak_site_stats_cmp(const void* a, const void* b) {
  const hak_site_stats_t* x = (const hak_site_stats_t*)a;
  const hak_site_stats_t* y = (const hak_site_stats_t*)b;
  if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
  return x->site < y->site ? -1 : x->site > y->site;
}

// Names call sites ("@0x...") by symbol; the names live in a mapped arena
// for the rest of the process.
static const char* hak_prof_name(const char* name) {
  if (name == NULL || name[0] != '@') return name;
  void* addr = (void*)(uintptr_t)strtoull(name + 1, NULL, 16);
  Dl_info info;
  static char* arena;
  static size_t left;
  char buf[512];
  if (dladdr((char*)addr - 1, &info) != 0 && info.dli_fname != NULL) {
    const char* obj = strrchr(info.dli_fname, '/');
    obj = obj != NULL ? obj + 1 : info.dli_fname;
    if (info.dli_sname != NULL) {
      snprintf(buf, sizeof(buf), "%s+0x%lx (%s)", info.dli_sname, (unsigned long)((uintptr_t)addr - (uintptr_t)info.dli_saddr), obj);
    } else {
      snprintf(buf, sizeof(buf), "%s+0x%lx", obj, (unsigned long)((uintptr_t)addr - (uintptr_t)info.dli_fbase));
    }
  } else {
    return name + 1;
  }
  size_t len = strlen(buf) + 1;
  if (len > left) {
    void* mem = NULL;
    if (_hak_prim_map(1 << 16, _hak_prim_page_size(), NULL, &mem) != 0) return name + 1;
    arena = mem, left = 1 << 16;
  }
  char* out = arena;
  memcpy(out, buf, len);
  arena += len, left -= len;
  return out;
}

// Merged counters of every site that allocated, sorted by bytes; *count set.
// The array is mapped; free it with hak_prof_snapshot_free.
static hak_site_stats_t* hak_prof_snapshot_all(size_t* count, size_t* map_size) {
  uint32_t n = hak_site_count();
  size_t size = ((size_t)n * sizeof(hak_site_stats_t) + _hak_prim_page_size() - 1) & ~(_hak_prim_page_size() - 1);
  void* mem = NULL;
  *count = 0;
  if (n == 0 || _hak_prim_map(size, _hak_prim_page_size(), NULL, &mem) != 0) return NULL;
  hak_prof_merge_t m = {(hak_site_stats_t*)mem, n};
  _hak_tld_foreach(hak_prof_merge_tld, &m);
  size_t k = 0;
  for (uint32_t i = 0; i < n; i++) {
    hak_site_stats_t s = m.sites[i];
    if (s.allocs == 0 && s.frees == 0) continue;
    hak_subsys_t sub = HAK_SUBSYS_DEFAULT;
    const char* name = _hak_site_info(i, &sub);
    s.site = ((hak_site_t)sub << HAK_SITE_SUBSYS_SHIFT) | i;
    s.name = hak_prof_name(name != NULL ? name : "?");
    if (s.peak < s.live) s.peak = s.live;
    m.sites[k++] = s;
  }
  qsort(m.sites, k, sizeof(hak_site_stats_t), hak_site_stats_cmp);
  *count = k;
  *map_size = size;
  return m.sites;
}

HAK_API size_t hak_profile_snapshot(hak_site_stats_t* out, size_t cap) {
  size_t count = 0, size = 0;
  hak_site_stats_t* all = hak_prof_snapshot_all(&count, &size);
  if (all == NULL) return 0;
  if (out != NULL) memcpy(out, all, (count < cap ? count : cap) * sizeof(hak_site_stats_t));
  _hak_prim_unmap(all, size);
  return count;
}

// ----- Reports -----
static void hak_json_string(FILE* out, const char* s) {
  fputc('"', out);
  for (const unsigned char* c = (const unsigned char*)s; *c; c++) {
    if (*c == '"' || *c == '\\') fprintf(out, "\\%c", *c);
    else if (*c < 0x20) fprintf(out, "\\u%04x", *c);
    else fputc(*c, out);
  }
  fputc('"', out);
}

static void hak_xml_string(FILE* out, const char* s) {
  for (const char* c = s; *c; c++) {
    switch (*c) {
      case '<': fputs("&lt;", out); break;
      case '>': fputs("&gt;", out); break;
      case '&': fputs("&amp;", out); break;
      case '"': fputs("&quot;", out); break;
      default: fputc(*c, out);
    }
  }
}

static void hak_fmt_bytes(double b, char* out, size_t cap) {
  const char* unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  double v = b < 0 ? -b : b;
  while (v >= 1024 && u < 4) v /= 1024, u++;
  snprintf(out, cap, u == 0 ? "%s%.0f %s" : "%s%.1f %s", b < 0 ? "-" : "", v, unit[u]);
}

static void hak_report_text(FILE* out, const hak_site_stats_t* s, size_t n, const hak_site_stats_t* tot, size_t top) {
  fprintf(out, "hakmem profile: %zu sites (bytes are block sizes; call sites of malloc are sampled estimates)\n", n);
  fprintf(out, "%-10s %12s %12s %12s %12s %12s %12s\n", "subsystem", "allocs", "bytes", "frees", "freed", "live", "peak");
  for (unsigned i = 0; i < HAK_SUBSYS_MAX; i++) {
    if (tot[i].allocs == 0 && tot[i].frees == 0) continue;
    char b[32], f[32], l[32], p[32];
    hak_fmt_bytes((double)tot[i].bytes, b, sizeof(b)), hak_fmt_bytes((double)tot[i].freed_bytes, f, sizeof(f));
    hak_fmt_bytes((double)tot[i].live, l, sizeof(l)), hak_fmt_bytes((double)tot[i].peak, p, sizeof(p));
    fprintf(out, "%-10s %12llu %12s %12llu %12s %12s %12s\n", hak_subsys_name((hak_subsys_t)i), (unsigned long long)tot[i].allocs,
            b, (unsigned long long)tot[i].frees, f, l, p);
  }
  fprintf(out, "top %zu sites by bytes:\n%-40s %-8s %10s %11s %10s %11s %11s\n", top < n ? top : n, "site", "subsys", "allocs",
          "bytes", "frees", "live", "peak");
  for (size_t i = 0; i < n && i < top; i++) {
    char b[32], l[32], p[32];
    hak_fmt_bytes((double)s[i].bytes, b, sizeof(b)), hak_fmt_bytes((double)s[i].live, l, sizeof(l));
    hak_fmt_bytes((double)s[i].peak, p, sizeof(p));
    fprintf(out, "%-40.40s %-8s %10llu %11s %10llu %11s %11s\n", s[i].name, hak_subsys_name(hak_site_subsys(s[i].site)),
            (unsigned long long)s[i].allocs, b, (unsigned long long)s[i].frees, l, p);
  }
}

static void hak_report_json(FILE* out, const hak_site_stats_t* s, size_t n, const hak_site_stats_t* tot, size_t top) {
  fprintf(out, "{\"unit\":\"bytes (block sizes)\",\"subsystems\":[");
  bool first = true;
  for (unsigned i = 0; i < HAK_SUBSYS_MAX; i++) {
    if (tot[i].allocs == 0 && tot[i].frees == 0) continue;
    fprintf(out, "%s{\"subsystem\":\"%s\",\"allocs\":%llu,\"bytes\":%llu,\"frees\":%llu,\"freed_bytes\":%llu,\"live\":%lld,\"peak\":%lld}",
            first ? "" : ",", hak_subsys_name((hak_subsys_t)i), (unsigned long long)tot[i].allocs, (unsigned long long)tot[i].bytes,
            (unsigned long long)tot[i].frees, (unsigned long long)tot[i].freed_bytes, (long long)tot[i].live, (long long)tot[i].peak);
    first = false;
  }
  fprintf(out, "],\"site_count\":%zu,\"sites\":[", n);
  for (size_t i = 0; i < n && i < top; i++) {
    fprintf(out, "%s\n{\"site\":%u,\"name\":", i ? "," : "", s[i].site);
    hak_json_string(out, s[i].name);
    fprintf(out, ",\"subsystem\":\"%s\",\"allocs\":%llu,\"bytes\":%llu,\"frees\":%llu,\"freed_bytes\":%llu,\"live\":%lld,\"peak\":%lld}",
            hak_subsys_name(hak_site_subsys(s[i].site)), (unsigned long long)s[i].allocs, (unsigned long long)s[i].bytes,
            (unsigned long long)s[i].frees, (unsigned long long)s[i].freed_bytes, (long long)s[i].live, (long long)s[i].peak);
  }
  fprintf(out, "\n]}\n");
}

static int hak_cmp_peak(const void* a, const void* b) {
  const hak_site_stats_t* x = (const hak_site_stats_t*)a;
  const hak_site_stats_t* y = (const hak_site_stats_t*)b;
  return x->peak < y->peak ? 1 : x->peak > y->peak ? -1 : 0;
}

// One horizontal bar chart of up to 20 sites: by bytes (peak = false) or by
// peak live bytes.
static void hak_svg_bars(FILE* out, hak_site_stats_t* s, size_t n, bool peak, double y0) {
  if (peak) qsort(s, n, sizeof(*s), hak_cmp_peak);
  size_t k = n < 20 ? n : 20;
  double max = 1;
  for (size_t i = 0; i < k; i++) max = fmax(max, peak ? (double)s[i].peak : (double)s[i].bytes);
  fprintf(out, "<text x=\"10\" y=\"%g\" font-size=\"15\" font-weight=\"bold\">Top %zu sites by %s</text>\n", y0 + 16, k,
          peak ? "peak live bytes" : "bytes allocated");
  for (size_t i = 0; i < k; i++) {
    double v = peak ? (double)s[i].peak : (double)s[i].bytes, y = y0 + 26 + (double)i * 20, w = v / max * 430;
    char label[32];
    hak_fmt_bytes(v, label, sizeof(label));
    fprintf(out, "<text x=\"330\" y=\"%g\" font-size=\"11\" text-anchor=\"end\">", y + 12);
    hak_xml_string(out, s[i].name);
    fprintf(out, " [%s]</text>\n", hak_subsys_name(hak_site_subsys(s[i].site)));
    fprintf(out, "<rect x=\"336\" y=\"%g\" width=\"%g\" height=\"15\" fill=\"%s\"/>\n", y + 1, w < 1 ? 1 : w, peak ? "#d62728" : "#1f77b4");
    fprintf(out, "<text x=\"%g\" y=\"%g\" font-size=\"11\">%s (%llu allocs)</text>\n", 340 + (w < 1 ? 1 : w), y + 12, label,
            (unsigned long long)s[i].allocs);
  }
}

static void hak_report_svg(FILE* out, hak_site_stats_t* s, size_t n) {
  size_t k = n < 20 ? n : 20;
  double half = 40 + (double)k * 20, h = 2 * half + 40;
  fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1000\" height=\"%g\" font-family=\"sans-serif\">\n", h);
  fprintf(out, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n");
  fprintf(out, "<text x=\"10\" y=\"18\" font-size=\"12\">hakmem profile: %zu sites; bytes are block sizes</text>\n", n);
  hak_svg_bars(out, s, n, false, 24);
  hak_svg_bars(out, s, n, true, 24 + half);
  fprintf(out, "</svg>\n");
}

HAK_API int hak_profile_report(FILE* out, hak_report_format_t format, size_t top) {
  if (out == NULL) out = stderr;
  if (top == 0) top = 20;
  size_t n = 0, size = 0;
  hak_site_stats_t* s = hak_prof_snapshot_all(&n, &size);
  hak_site_stats_t tot[HAK_SUBSYS_MAX];
  memset(tot, 0, sizeof(tot));
  for (size_t i = 0; i < n; i++) {
    hak_site_stats_t* t = &tot[hak_site_subsys(s[i].site)];
    t->allocs += s[i].allocs, t->bytes += s[i].bytes, t->frees += s[i].frees, t->freed_bytes += s[i].freed_bytes;
    t->live += s[i].live, t->peak += s[i].peak;
  }
  if (format == HAK_REPORT_JSON) hak_report_json(out, s, n, tot, top);
  else if (format == HAK_REPORT_SVG) hak_report_svg(out, s, n);
  else hak_report_text(out, s, n, tot, top);
  fflush(out);
  if (s != NULL) _hak_prim_unmap(s, size);
  return ferror(out) ? EIO : 0;
}

HAK_API int hak_profile_write(const char* path) {
  if (path == NULL) return EINVAL;
  size_t len = strlen(path);
  hak_report_format_t fmt = len > 5 && strcmp(path + len - 5, ".json") == 0 ? HAK_REPORT_JSON
                          : len > 4 && strcmp(path + len - 4, ".svg") == 0  ? HAK_REPORT_SVG
                                                                             : HAK_REPORT_TEXT;
  FILE* f = fopen(path, "w");
  if (f == NULL) return errno;
  int rc = hak_profile_report(f, fmt, fmt == HAK_REPORT_JSON ? SIZE_MAX : 20);
  if (fclose(f) != 0 && rc == 0) rc = errno;
  return rc;
}

// At exit, when profiling was asked for in the environment (a program that
// turns it on itself writes its own report).
void _hak_profile_at_exit(FILE* out) {
  if (!profile_env) return;
  if (profile_out != NULL) {
    int rc = hak_profile_write(profile_out);
    if (rc != 0) fprintf(out, "hakmem: cannot write the profile to %s: %s\n", profile_out, strerror(rc));
  } else {
    hak_profile_report(out, HAK_REPORT_TEXT, 20);
  }
}

void _hak_profile_fork_child(void) {
  pthread_mutex_init(&sample_lock, NULL);
}
