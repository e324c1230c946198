/* hak_internal.h: cross-file prototypes of the allocator, grouped by the file
   that defines them, then the static inline helpers every file shares (size
   classes, the segment map, the thread state, asserts, valgrind hooks). */
#ifndef HAK_INTERNAL_H
#define HAK_INTERNAL_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hak_types.h"
#include "prim/hak_prim.h"

#define hak_likely(x) (__builtin_expect(!!(x), 1))
#define hak_unlikely(x) (__builtin_expect(!!(x), 0))
#define HAK_NOINLINE __attribute__((noinline))
#define HAK_COLD __attribute__((cold, noinline))
#define HAK_NORETURN __attribute__((noreturn))
#define HAK_INTERN __attribute__((visibility("hidden")))
// The thread-state pointer's TLS model, per library:
// - libhakmem.so (the drop-in, loaded at start-up): initial-exec, no
//   __tls_get_addr call, a GOT load plus the access;
// - libhakmem-override.a (executables only): local-exec, one `mov %fs:OFFSET`;
// - libhakmem.a (embedding): the compiler's default for position-independent
//   code (global-dynamic), which the linker relaxes to local-exec in an
//   executable, and which works in a shared object loaded by dlopen, where
//   initial-exec may find no static TLS space left.
#if HAK_TLS_LOCAL_EXEC
#define HAK_TLS_IE __attribute__((tls_model("local-exec")))
#elif HAK_TLS_INITIAL_EXEC
#define HAK_TLS_IE __attribute__((tls_model("initial-exec")))
#else
#define HAK_TLS_IE
#endif

// ----- "message.c": messages on stderr and the fatal stop -----
HAK_INTERN void _hak_message(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
HAK_INTERN void _hak_warning(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
HAK_INTERN HAK_COLD HAK_NORETURN void _hak_fatal(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
HAK_INTERN HAK_COLD HAK_NORETURN void _hak_assert_fail(const char* expr, const char* file, int line, const char* func);

// ----- Asserts -----
#if HAK_DEBUG >= 1
#define hak_assert(x) ((x) ? (void)0 : _hak_assert_fail(#x, __FILE__, __LINE__, __func__))
#else
#define hak_assert(x) ((void)0)
#endif
#if HAK_DEBUG >= 2
#define hak_assert_internal(x) hak_assert(x)
#else
#define hak_assert_internal(x) ((void)0)
#endif

// ----- "init.c" -----
extern HAK_INTERN uintptr_t _hak_list_key;    // checked mode: the canaries' secret
extern HAK_INTERN uint64_t _hak_secret;       // random per process (init.c): seeds each tld's secure_rng
HAK_INTERN void _hak_init(void);              // once per process; cheap after the first call

// ----- "options.c" -----
HAK_INTERN void _hak_options_init(void);
HAK_INTERN void _hak_options_print(void);
HAK_INTERN void _hak_option_set(hak_option_t option, long value);
HAK_INTERN int _hak_options_config(const hak_config_t* cfg);  // hak_init_ex's options
extern HAK_INTERN long _hak_option_values[HAK_OPTION_COUNT];
static inline long _hak_option_fast(hak_option_t o) { return __atomic_load_n(&_hak_option_values[o], __ATOMIC_RELAXED); }

// ----- "segment.c" -----
extern HAK_INTERN hak_page_t _hak_page_empty; // free == NULL and all flags set: both fast paths fall through
extern HAK_INTERN uint8_t _hak_segmap[HAK_SEGMAP_COUNT];
HAK_INTERN hak_page_t* _hak_segment_page_alloc(hak_heap_t* heap, size_t slices);
HAK_INTERN void _hak_segment_page_free(hak_page_t* page);
HAK_INTERN void _hak_segment_release(hak_segment_t* seg);
HAK_INTERN void _hak_segment_purge(hak_segment_t* seg, int64_t now, bool force);
HAK_INTERN bool _hak_segment_cache_flush(bool force);
HAK_INTERN void _hak_segmap_set(uintptr_t addr, size_t size, uint8_t value);
HAK_INTERN void _hak_segment_fork_child(void);
HAK_INTERN void _hak_segment_lock(bool lock);

// ----- "page.c" -----
HAK_INTERN HAK_COLD HAK_NORETURN void _hak_check_fail(const char* what, const void* p, int size_class, hak_site_t site);
HAK_INTERN void* _hak_page_alloc(hak_heap_t* heap, size_t size, size_t request, hak_site_t site, bool zero);
HAK_INTERN void _hak_page_free_local(hak_page_t* page, hak_block_t* block);
HAK_INTERN void _hak_page_retire(hak_page_t* page, bool keep_last);
HAK_INTERN void _hak_heap_drain_notices(hak_heap_t* heap);
HAK_INTERN void _hak_heap_take_remote(hak_heap_t* heap);
typedef enum hak_collect_e {
  HAK_COLLECT_NORMAL,   // keep each class's last empty page; purge what is due
  HAK_COLLECT_ABANDON,  // free every empty page; purge what is due (thread exit)
  HAK_COLLECT_FORCE     // free every empty page; purge everything now
} hak_collect_t;
HAK_INTERN bool _hak_heap_collect(hak_heap_t* heap, hak_collect_t mode);
HAK_INTERN uint8_t* _hak_page_block_start(const hak_page_t* page, const void* p);
HAK_INTERN void _hak_heap_queues_reset(hak_heap_t* heap);
HAK_INTERN void _hak_check_arm(hak_page_t* page, uint8_t* block, size_t request, hak_site_t site);
HAK_INTERN void _hak_check_free(hak_page_t* page, uint8_t* block, const void* p, hak_site_t site);

// ----- "heap.c" -----
HAK_INTERN void* _hak_alloc_generic(hak_heap_t* heap, size_t size, hak_site_t site, bool zero);  // the allocation slow path
extern HAK_INTERN hak_tld_t _hak_tld_empty;   // every thread starts here: all allocations take the slow path
extern HAK_INTERN __thread hak_tld_t* _hak_tld HAK_TLS_IE;
HAK_INTERN hak_tld_t* _hak_tld_acquire(void);
// The calling thread's heap for a site, set up (and the thread's tld
// acquired) if needed. NULL with errno ENOMEM (no memory for a tld) or
// EINVAL (the site's subsystem is not registered).
HAK_INTERN hak_heap_t* _hak_heap_setup_for(hak_site_t site);
HAK_INTERN void _hak_tld_modes(hak_tld_t* tld);  // all of them, for the tld's and the process's modes
HAK_INTERN hak_tld_t* _hak_tld_acquire_for(uint8_t owner);  // prefers the abandoned tld with that map id
HAK_INTERN void _hak_tld_periodic(hak_tld_t* tld);
HAK_INTERN size_t _hak_heap_release(hak_heap_t* heap);
HAK_INTERN void _hak_tld_fork_child(void);
HAK_INTERN void _hak_tld_on_thread_exit(void* value);
HAK_INTERN void _hak_tld_collect_abandoned(void);
HAK_INTERN void _hak_tld_lock(bool lock);
HAK_INTERN void _hak_tld_unload(void);

// ----- "free.c" (included by alloc.c) -----
HAK_INTERN void _hak_free_generic(void* p, hak_site_t site, bool from_malloc);
HAK_INTERN void _hak_free_remote(hak_page_t* page, hak_block_t* block);

// ----- "whale.c" -----
HAK_INTERN void* _hak_whale_alloc(hak_heap_t* heap, size_t size, size_t align, bool zero, hak_site_t site);
HAK_INTERN bool _hak_whale_free(hak_whale_t* w, const void* p, hak_site_t site);
HAK_INTERN void* _hak_whale_realloc(hak_whale_t* w, void* p, size_t size, hak_site_t site);
HAK_INTERN bool _hak_whale_cache_flush(bool force);
HAK_INTERN size_t _hak_whale_release_heap(hak_heap_t* heap);
HAK_INTERN size_t _hak_whale_usable(const hak_whale_t* w, const void* p);
HAK_INTERN void _hak_whale_lock(bool lock);
HAK_INTERN void _hak_whale_fork_child(void);

// ----- "out.c": the buffered writer of the profile data file -----
typedef struct hak_out_s {
  int fd;        // written with write(2) when file is NULL
  FILE* file;
  int err;       // the first error (errno value); later output is dropped
  size_t n;
  char buf[4096];
} hak_out_t;
HAK_INTERN void _hak_out_flush(hak_out_t* o);
HAK_INTERN void _hak_out_mem(hak_out_t* o, const char* s, size_t len);
HAK_INTERN void _hak_out_str(hak_out_t* o, const char* s);
HAK_INTERN void _hak_out_name(hak_out_t* o, const char* s);
HAK_INTERN void _hak_out_u64(hak_out_t* o, uint64_t v);
HAK_INTERN void _hak_out_i64(hak_out_t* o, int64_t v);
HAK_INTERN void _hak_out_hex(hak_out_t* o, uint64_t v);
HAK_INTERN void _hak_out_est(hak_out_t* o, double v);

// ----- "sample.c": the sampled profile of the malloc family -----
HAK_INTERN void _hak_sample_tld_init(hak_tld_t* tld);   // its random stream and first interval
HAK_INTERN void _hak_sample_tld_next(hak_tld_t* tld, double interval);
HAK_INTERN double _hak_sample_interval(void);
HAK_INTERN bool _hak_sample_take(void* p, size_t usable, void* caller, double interval);
HAK_INTERN bool _hak_sample_forget(const void* p);  // true: p was a sampled block, now taken back
HAK_INTERN void _hak_sample_start(void);
HAK_INTERN void _hak_sample_unwinder_load(void);  // dlopen: only where that is safe (not inside malloc)
HAK_INTERN bool _hak_sample_write(hak_out_t* o, bool try_lock);
HAK_INTERN void _hak_sample_lock(bool lock);
extern HAK_INTERN _Atomic(size_t) _hak_samples_live;  // sampled blocks alive (whale frees look them up only then)

// ----- "profile.c" -----
HAK_INTERN void _hak_profile_init(void);
HAK_INTERN void _hak_profile_constructor(void);  // from the library's constructor: what init may not do
HAK_INTERN bool _hak_profile_tld(hak_tld_t* tld);
HAK_INTERN void _hak_profile_switch(bool on);  // hak_profile_enable's work (init.c)
HAK_INTERN int _hak_profile_dump(FILE* out);
HAK_INTERN int _hak_profile_write(const char* path);  // whether the tld profiles now (and its profile state)
// A malloc block whose count ran out (alloc.c's hak_prof_malloc_tick): draws
// the next interval; false when this block is not to be sampled (a malloc
// the sampling itself made). Then _hak_profile_sample records it.
HAK_INTERN bool _hak_profile_sample_due(hak_tld_t* tld);
HAK_INTERN void _hak_profile_sample(hak_tld_t* tld, void* p, size_t usable, void* caller);
// A free of a block that may carry a profile: counted for `site` (exact,
// hak_free_at) or, from free(), taken out of the sampled profile if it was
// sampled. page: the block's page (NULL for a whale); its sample count drops.
HAK_INTERN void _hak_profile_count_free(hak_tld_t* tld, void* p, size_t usable, hak_site_t site, bool from_malloc, hak_page_t* page);
HAK_INTERN void _hak_profile_at_exit(void);
HAK_INTERN void _hak_profile_before_exec(void);  // the exec family (override.c)
HAK_INTERN void _hak_profile_unload(void);
HAK_INTERN void _hak_profile_heap_released(hak_tld_t* tld, hak_subsys_t sub);
HAK_INTERN void _hak_profile_lock(bool lock);
HAK_INTERN void _hak_profile_fork_child(void);
extern HAK_INTERN _Atomic(uint32_t) _hak_profile_gen;  // bumped when profiling is switched
// The calling thread's counters for a site (tld->profiling is on).
static inline hak_site_counters_t* hak_prof_slot(hak_tld_t* tld, hak_site_t site) {
  uint32_t i = hak_site_index(site);
  if hak_unlikely(i >= HAK_PROF_SITES) i = hak_site_subsys(site);
  return &tld->prof_sites[i];
}
static inline void hak_prof_count_alloc(hak_tld_t* tld, hak_site_t site, size_t bytes) {
  hak_site_counters_t* c = hak_prof_slot(tld, site);
  c->allocs++;
  c->alloc_bytes += bytes;
  c->live += (int64_t)bytes;
  if (c->live > c->peak) c->peak = c->live;
}
static inline void hak_prof_count_free(hak_tld_t* tld, hak_site_t site, size_t bytes) {
  hak_site_counters_t* c = hak_prof_slot(tld, site);
  c->frees++;
  c->free_bytes += bytes;
  c->live -= (int64_t)bytes;
}

// ----- "stats.c" -----
HAK_INTERN void _hak_tld_list_add(hak_tld_t* tld);  // a new tld joins the list readers walk
HAK_INTERN void _hak_tld_foreach(void (*fn)(hak_tld_t* tld, void* arg), void* arg);
// Process-wide quantities, changed only on slow paths.
typedef struct hak_gstats_s {
  _Atomic(int64_t) pages_current, pages_peak;
  _Atomic(int64_t) segments_current, segments_peak, segments_cached;
  _Atomic(int64_t) whale_bytes_current, whale_cached;
  _Atomic(int64_t) mapped_current, mapped_peak;
  _Atomic(int64_t) purged_bytes, mmap_calls, munmap_calls;
  _Atomic(int64_t) threads_current, threads_abandoned, heap_releases;
  _Atomic(int64_t) free_count_notld, remote_free_notld, invalid_free_notld;  // frees by threads that never allocated (no tld)
} hak_gstats_t;
extern HAK_INTERN hak_gstats_t _hak_gstats;
HAK_INTERN void _hak_stat_add(_Atomic(int64_t)* cur, _Atomic(int64_t)* peak, int64_t delta);
HAK_INTERN void _hak_stats_at_exit(FILE* out);

// ----- "site.c" -----
HAK_INTERN const char* _hak_site_label(hak_site_t site);  // its name, or "?"
// An invalid free/realloc/usable_size argument: reports (and aborts in checked mode).
HAK_INTERN HAK_COLD void _hak_invalid_pointer(const char* op, const void* p, const char* why, hak_site_t site);
HAK_INTERN bool _hak_subsys_registered(hak_subsys_t sub);
HAK_INTERN void _hak_site_lock(bool lock);
// The subsystem and name of site index `index` (NULL: not registered).
HAK_INTERN const char* _hak_site_info(uint32_t index, hak_subsys_t* sub);

// ----- Size classes -----
extern HAK_INTERN const uint32_t _hak_class_size[HAK_CLASS_COUNT];

static inline size_t hak_size_class(size_t size) {
  if (size <= 64) return size == 0 ? 0 : (size - 1) >> 3;
  size_t b = 63 - (size_t)__builtin_clzll((unsigned long long)(size - 1));  // 2^b < size <= 2^(b+1)
  size_t m = (size - 1 - ((size_t)1 << b)) >> (b - 2);                        // 0..3
  return 8 + ((b - 6) << 2) + m;
}

// The tier of a class: the first row of HAK_TIERS whose last class is >= cls.
static inline hak_tier_t hak_class_tier(size_t cls) {
#define HAK_TIER_OF_(t, max, last, blocks, field) cls <= (last) ? HAK_TIER_##t:
  return HAK_TIERS(HAK_TIER_OF_) HAK_TIER_WHALE;
#undef HAK_TIER_OF_
}

// ----- Thread state and heaps -----
static inline hak_heap_t* hak_heap_of(hak_tld_t* tld, hak_subsys_t sub) {
  return &tld->heaps[sub].heap;
}

// Every heap of a tld that is set up: for (HAK_HEAPS_EACH(tld, heap, it)) {...}
#define HAK_HEAPS_EACH(tld, heap, it)                                                                           \
  uint32_t it = (tld)->heaps_used; it != 0 && ((heap) = hak_heap_of((tld), (hak_subsys_t)__builtin_ctz(it)), 1); \
  it &= it - 1

static inline hak_heap_t* hak_heap_for_site(hak_tld_t* tld, hak_site_t site) {
  return (hak_heap_t*)((uint8_t*)tld + ((size_t)(site >> HAK_SITE_SUBSYS_SHIFT) * HAK_HEAP_ALIGN));
}

// ----- Segment map -----
static inline uint8_t hak_segmap_get(uintptr_t addr) {
  size_t i = addr >> HAK_SEGMENT_SHIFT;
  if hak_unlikely(i >= HAK_SEGMAP_COUNT) return HAK_SEGMAP_NONE;
  return __atomic_load_n(&_hak_segmap[i], __ATOMIC_RELAXED);
}

static inline hak_segment_t* hak_segment_of(const void* p) {
  return (hak_segment_t*)((uintptr_t)p & ~(uintptr_t)HAK_SEGMENT_MASK);
}

static inline hak_page_t* hak_page_of(const hak_segment_t* seg, const void* p) {
  return seg->slice_page[((uintptr_t)p >> HAK_SLICE_SHIFT) & (HAK_SLICES - 1)];
}

// ----- Pages -----
static inline size_t hak_page_bytes(const hak_page_t* page) {
  return (size_t)page->reserved * page->block_size;
}

static inline bool hak_page_contains(const hak_page_t* page, const void* p) {
  return (const uint8_t*)p >= page->start && (const uint8_t*)p < page->start + hak_page_bytes(page);
}

// Is p the start of a block of the page? (Checked and hardened slow paths,
// owner or not: a division.)
static inline bool hak_page_is_block(const hak_page_t* page, const void* p) {
  const uint8_t* b = (const uint8_t*)p;
  return b >= page->start && b < page->start + hak_page_bytes(page) && (size_t)(b - page->start) % page->block_size == 0;
}

// ----- Free-list links -----
// A free block's first word links it to the next free block of its page's
// list (or of its heap's notice list). A link is stored encoded with its
// page's keys: (next ^ k0) + k1. The keys are random in hardened builds and
// in checked pages, so an address written into a freed block decodes to
// garbage, which the pops catch before following it; elsewhere they are 0
// and the encoding is the identity, which the fast paths of other builds rely
// on when they read and write links plain.
static inline hak_block_t* hak_link_decode(const uint64_t keys[2], const hak_block_t* stored) {
  return (hak_block_t*)(uintptr_t)(((uint64_t)(uintptr_t)stored - keys[1]) ^ keys[0]);
}
static inline hak_block_t* hak_link_encode(const uint64_t keys[2], const hak_block_t* next) {
  return (hak_block_t*)(uintptr_t)(((uint64_t)(uintptr_t)next ^ keys[0]) + keys[1]);
}
// Does the page encode its links? (Hardened builds: all; else checked pages.)
static inline bool hak_page_keyed(const hak_page_t* page) {
  return HAK_SECURE || (hak_page_flags(page) & HAK_PAGE_CHECKED) != 0;
}
// The owner's accessors (keys of line 0).
static inline hak_block_t* hak_link_get(const hak_page_t* page, const hak_block_t* b) {
  return hak_page_keyed(page) ? hak_link_decode(page->keys, b->next) : b->next;
}
static inline void hak_link_set(const hak_page_t* page, hak_block_t* b, const hak_block_t* next) {
  b->next = hak_page_keyed(page) ? hak_link_encode(page->keys, next) : (hak_block_t*)next;
}
// The same for a page the caller knows has no flag set (so is not checked):
// the fast paths' link write, plain unless hardened.
static inline void hak_link_set_unflagged(const hak_page_t* page, hak_block_t* b, const hak_block_t* next) {
  b->next = HAK_SECURE ? hak_link_encode(page->keys, next) : (hak_block_t*)next;
}
// Is a (decoded) link in the same segment as b? The hardened pops' test: a
// link a stray write made decodes to a random address, which lands in the
// segment with a chance of 2^-25 at most (and forging one needs the keys).
static inline bool hak_link_near(const void* b, const hak_block_t* next) {
  return (((uintptr_t)next ^ (uintptr_t)b) >> HAK_SEGMENT_SHIFT) == 0;
}

// Block index of an offset into the page's blocks, with no division: exact
// for block starts (offsets below 4 MiB), and index * block_size == offset
// only for them.
static inline uint32_t hak_page_block_index(const hak_page_t* page, size_t offset) {
  return (uint32_t)(((uint64_t)offset * page->div_magic) >> 32);
}

// A thread's random stream for page keys and the order of fresh blocks
// (splitmix64, seeded from the process secret and the tld's address).
static inline uint64_t hak_secure_random(hak_tld_t* tld) {
  if hak_unlikely(tld->secure_rng == 0) tld->secure_rng = _hak_secret ^ ((uint64_t)(uintptr_t)tld * 0xD6E8FEB86659FD93ull);
  uint64_t z = (tld->secure_rng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// ----- The hardened build's checks (HAK_SECURE) -----
// A corrupted free list or an invalid free found by the hardened build's
// checks (or by a checked page's list checks): always fatal.
#define hak_secure_fail(what, p) _hak_fatal("%s: %p; aborting", (what), (const void*)(p))
// Hardened builds: is addr in a guard page (segment.c, whale.c)?
HAK_INTERN bool _hak_segment_guard_at(uintptr_t addr);
HAK_INTERN bool _hak_whale_guard_at(uintptr_t addr);
// Hardened builds: address ranges kept for the subsystem that gave them back (segment.c).
HAK_INTERN bool _hak_kept_put(uint8_t sub, void* addr, size_t size);
HAK_INTERN void* _hak_kept_take(uint8_t sub, size_t need, size_t* size);
HAK_INTERN bool _hak_kept_flush(void);
// A block popped in a hardened build: its link must stay in its segment (a
// write into the freed block changed it otherwise); then the word is
// cleared, so that a live block never looks free to the test below.
static inline hak_block_t* hak_secure_pop_next(const hak_page_t* page, hak_block_t* b) {
  hak_block_t* next = hak_link_get(page, b);
  if hak_unlikely(next != NULL && !hak_link_near(b, next)) hak_secure_fail("free list corrupted (a freed block was written to)", b);
  b->next = NULL;
  return next;
}
// A block about to be freed (any thread; keys: its page's keys or xkeys),
// the cheap test: true unless p is the start of a carved block whose first
// word does not look like a link. A free block's first word decodes to NULL
// or into its segment; a live one's (cleared at allocation, then the
// program's data) does that by chance only. Suspects go to the exact test.
static inline bool hak_secure_suspect(const hak_page_t* page, const uint64_t keys[2], const void* p) {
  size_t off = (size_t)((const uint8_t*)p - page->start);
  uint32_t i = hak_page_block_index(page, off);
  hak_block_t* next = hak_link_decode(keys, ((const hak_block_t*)p)->next);
  return (off >> HAK_SEGMENT_SHIFT) != 0 || (size_t)i * page->block_size != off || i >= page->reserved || next == NULL ||
         hak_link_near(p, next);
}
// The exact test, in the slow paths: stops the process on an interior or
// stray pointer, or on a block that is free already (its link decodes to
// NULL or to a block of its page); returns when the program's data only
// looked like a link.
static HAK_COLD void hak_secure_free_exact(const hak_page_t* page, const void* p, const hak_block_t* next) {
  if (!hak_page_is_block(page, p)) hak_secure_fail("invalid free: not the start of a block (an interior or stray pointer)", p);
  if (next == NULL || hak_page_is_block(page, next)) hak_secure_fail("double free (the block is free already)", p);
}
static inline void hak_secure_free_check(const hak_page_t* page, const uint64_t keys[2], void* p) {
  if hak_unlikely(hak_secure_suspect(page, keys, p)) hak_secure_free_exact(page, p, hak_link_decode(keys, ((hak_block_t*)p)->next));
}

// A block being freed by another thread goes in front of `next` on a list
// of its page (the remote list, or the notice list): encoded with the keys
// other threads read (xkeys); plain where they are 0 (only checked pages have
// keys outside hardened builds).
static inline void hak_link_set_remote(const hak_page_t* page, hak_block_t* b, const hak_block_t* next) {
  if (HAK_SECURE || page->has_checked) b->next = hak_link_encode(page->xkeys, next);
  else b->next = (hak_block_t*)next;
}

// ----- Checked mode -----
// A checked block ends with this trailer; the bytes between the requested
// size and the trailer hold HAK_CHECK_FILL. Freeing verifies both, then marks
// the trailer freed, so a second free of the block is recognised.
typedef struct hak_check_pad_s {
  uint32_t size;    // bytes requested, counted from the block start
  hak_site_t site;  // allocation site
  uint64_t canary;  // hak_check_canary(block), or that ^ HAK_CHECK_FREED once freed
} hak_check_pad_t;
#define HAK_CHECK_PAD sizeof(hak_check_pad_t)
#define HAK_CHECK_FILL 0xDE
#define HAK_CHECK_FREED 0xDFDFDFDFDFDFDFDFull
static inline uint64_t hak_check_canary(const void* block) {
  return ((uint64_t)(uintptr_t)block * 0x9E3779B97F4A7C15ull) ^ _hak_list_key;
}
static inline hak_check_pad_t* hak_check_pad(const hak_page_t* page, const uint8_t* block) {
  return (hak_check_pad_t*)(block + page->block_size - HAK_CHECK_PAD);
}

// ----- Valgrind (HAK_VALGRIND=1): memcheck sees every block, helgrind the lock-free hand-offs -----
// Blocks are registered with their usable size (the block size), not the
// requested one: realloc and usable_size may use the whole block. Overruns
// into the slack are caught by checked mode's canary instead.
#if HAK_VALGRIND
#include <valgrind/helgrind.h>
#include <valgrind/memcheck.h>
#define hak_track_malloc(p, size, zero) VALGRIND_MALLOCLIKE_BLOCK((p), (size), 0, (zero))
#define hak_track_free(p) VALGRIND_FREELIKE_BLOCK((p), 0)
// A block that moved or changed size (whales): re-registered, the bytes it
// kept marked defined.
#define hak_track_resize(p, q, oldsize, newsize)                                    \
  do {                                                                              \
    VALGRIND_FREELIKE_BLOCK((p), 0);                                                \
    VALGRIND_MALLOCLIKE_BLOCK((q), (newsize), 0, 0);                                \
    VALGRIND_MAKE_MEM_DEFINED((q), (oldsize) < (newsize) ? (oldsize) : (newsize)); \
  } while (0)
#define hak_track_noaccess(p, n) VALGRIND_MAKE_MEM_NOACCESS((p), (n))
#define hak_track_defined(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
#define hak_track_undefined(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define hak_hb_before(a) ANNOTATE_HAPPENS_BEFORE(a)
#define hak_hb_after(a) ANNOTATE_HAPPENS_AFTER(a)
#define hak_running_on_valgrind() RUNNING_ON_VALGRIND
#else
#define hak_track_malloc(p, size, zero) ((void)0)
#define hak_track_free(p) ((void)0)
#define hak_track_resize(p, q, oldsize, newsize) ((void)0)
#define hak_track_noaccess(p, n) ((void)0)
#define hak_track_defined(p, n) ((void)0)
#define hak_track_undefined(p, n) ((void)0)
#define hak_hb_before(a) ((void)0)
#define hak_hb_after(a) ((void)0)
#define hak_running_on_valgrind() 0
#endif

#endif  // HAK_INTERNAL_H
