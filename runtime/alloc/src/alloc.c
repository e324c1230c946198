/* alloc.c: the allocation fast paths and the public allocation API (free.c
   is included here so both hot paths live in one translation unit).

   hak_alloc_at: the calling thread's heap for the site's subsystem is
   tld + (site >> 27) * 4 KiB; for sizes up to 1 KiB, heap->direct[(size+7)/8]
   is the page to pop from. No lock, no atomic, no init check: a new thread's
   tld is _hak_tld_empty, whose heaps have fast_limit 0 and no tld, so its
   first allocation lands in the slow path, which acquires a tld (and a heap
   the thread has not used yet is set up there the same way). */
#define HAK_ALLOC_C
#include "hak_internal.h"

// The calling thread's heap for a site, set up (the process first, then the
// thread's tld) if needed; NULL with errno as _hak_heap_setup_for says.
static inline hak_heap_t* hak_heap_get(hak_site_t site) {
  hak_heap_t* heap = hak_heap_for_site(_hak_tld, site);
  if hak_likely(heap->tld != NULL) return heap;
  _hak_init();
  return _hak_heap_setup_for(site);
}

// ----- Fast path -----
// Pops a block of `page` (a page of the direct table; NULL when it has none):
// about 12 instructions with one predicted branch.
static inline void* hak_page_pop(hak_heap_t* heap, hak_page_t* page) {
  hak_block_t* b = page->free;
  if hak_unlikely(b == NULL) return NULL;
  hak_track_defined(b, sizeof(*b));
  page->free = HAK_SECURE ? hak_secure_pop_next(page, b) : b->next;
  page->used_flags++;
  heap->tier_alloc[HAK_TIER_TINY]++;
  hak_track_malloc(b, page->block_size, false);  // memcheck sees the usable size (see hak_internal.h)
  return b;
}

// The same with zeroing (calloc): the OS's zeroes are not written again.
static inline void* hak_page_pop_zero(hak_heap_t* heap, hak_page_t* page, size_t size) {
  bool zero = page->free_is_zero;
  void* p = hak_page_pop(heap, page);
  if (p != NULL) {
    if (zero) {
      ((hak_block_t*)p)->next = NULL;
      hak_track_defined(p, size);
    } else {
      memset(p, 0, size);
    }
  }
  return p;
}

// ----- Sampling (malloc & co of libhakmem.so, profiling on) -----
// The subsystem whose heaps hold sampled blocks, registered at the first
// sample; HAK_SUBSYS_DEFAULT when none is left (samples then stay put).
static hak_subsys_t hak_sampled_subsys(void) {
  static _Atomic int sub = -1;
  int s = atomic_load_explicit(&sub, memory_order_relaxed);
  if hak_unlikely(s < 0) {
    s = (int)hak_subsys_register("hakmem.sampled");  // idempotent: racing threads get the same id
    atomic_store_explicit(&sub, s, memory_order_relaxed);
  }
  return (hak_subsys_t)s;
}

// The count of a thread's malloc bytes ran out at p: p is sampled. A block
// of a page moves first to the thread's heap of "hakmem.sampled", whose
// pages hold sampled blocks only, so that the frees of the blocks around it
// keep their fast path (a page that holds a sample sends every free to the
// slow path, which looks the table up). Whales stay (their frees look up in
// any case), and so do aligned blocks (movable false) and checked ones.
static HAK_NOINLINE void* hak_sample_block(hak_tld_t* tld, void* p, size_t usable, bool zero, bool movable, void* caller) {
  if (!_hak_profile_sample_due(tld)) return p;
  void* q = p;
  if (movable && usable <= HAK_LARGE_MAX && !tld->checked) {
    hak_subsys_t sub = hak_sampled_subsys();
    hak_heap_t* heap = sub != HAK_SUBSYS_DEFAULT ? hak_heap_get(HAK_SITE_ANON(sub)) : NULL;
    void* m = heap != NULL ? _hak_alloc_generic(heap, usable, HAK_SITE_ANON(sub), zero) : NULL;
    if (m != NULL) {
      _hak_free_generic(p, HAK_SITE_DEFAULT, true);
      q = m;
    }
  }
  _hak_profile_sample(tld, q, usable, caller);
  return q;
}

// Counts a malloc's usable bytes down to the next sample; returns the block
// the caller gets (p, or where the sample moved it).
static inline void* hak_prof_malloc_tick(hak_tld_t* tld, void* p, size_t usable, bool zero, bool movable, void* caller) {
  if hak_likely((tld->sample_left -= (int64_t)usable) >= 0) return p;
  return hak_sample_block(tld, p, usable, zero, movable, caller);
}

// A block just allocated while the thread profiles: malloc & co (caller set)
// count down to the next sample, hak_*_at count it for its site. Returns the
// block the caller gets.
static inline void* hak_prof_alloc(hak_tld_t* tld, void* p, size_t usable, hak_site_t site, bool zero, bool movable,
                                   void* caller) {
  if (caller != NULL) return hak_prof_malloc_tick(tld, p, usable, zero, movable, caller);
  hak_prof_count_alloc(tld, site, usable);
  return p;
}

// Mid and large sizes (1 KiB .. 1 MiB) have no direct table: the first page
// of the class queue, most recently freed block first (LIFO: for blocks of
// kilobytes, reusing the one still in cache matters more than carving order).
// NULL: the generic path must find or make a page.
static inline void* hak_alloc_mid(hak_heap_t* heap, size_t size, bool zero) {
  size_t cls = hak_size_class(size);
  hak_page_t* page = heap->queues[cls].first;
  if (page == NULL) return NULL;
  hak_block_t* b = page->local_free;
  if (b != NULL) {
    hak_track_defined(b, sizeof(*b));
    page->local_free = HAK_SECURE ? hak_secure_pop_next(page, b) : b->next;
  } else if ((b = page->free) != NULL) {
    hak_track_defined(b, sizeof(*b));
    page->free = HAK_SECURE ? hak_secure_pop_next(page, b) : b->next;
    if (zero && page->free_is_zero) zero = false, b->next = NULL;
  } else {
    return NULL;
  }
  page->used_flags++;
  heap->tier_alloc[hak_class_tier(cls)]++;
  hak_track_malloc(b, page->block_size, zero);
  if (zero) memset(b, 0, size);
  return b;
}

// The fast paths' pop for malloc's sizes (tiny: the direct page; mid and
// large: the class queue's first page), with the block's size in *usable;
// NULL: the slow path. Not checked mode (its limits are 0).
static inline void* hak_alloc_pop(hak_heap_t* heap, size_t size, bool zero, size_t* usable) {
  if (size < heap->malloc_limit) {
    hak_page_t* page = heap->direct[(size + 7) >> 3];
    *usable = page->block_size;
    return zero ? hak_page_pop_zero(heap, page, size) : hak_page_pop(heap, page);
  }
  if (size <= HAK_LARGE_MAX && heap->malloc_mid) {
    *usable = _hak_class_size[hak_size_class(size)];
    return hak_alloc_mid(heap, size, zero);
  }
  return NULL;
}

// The slow branch of the public entry points, past the refill below: the
// first allocation of a thread, sizes above 1 KiB, empty pages. With
// profiling on, counts what it allocated (`caller` non-NULL: a malloc call of
// libhakmem.so, sampled and attributed to that return address instead of
// counted for `site`).
static HAK_NOINLINE void* hak_alloc_slower(size_t size, hak_site_t site, bool zero, void* caller) {
  hak_heap_t* heap = hak_heap_get(site);
  if hak_unlikely(heap == NULL) return NULL;
  hak_tld_t* tld = heap->tld;
  void* p = _hak_alloc_generic(heap, size, site, zero);
  if hak_unlikely(tld->profiling && p != NULL) p = hak_prof_alloc(tld, p, hak_usable_size(p), site, zero, true, caller);
  return p;
}

// The slow branch. First the refill (for malloc also while sampling): the direct page's free list ran dry
// but the owner has freed blocks into it; they become the free list here,
// as the generic path would do first, without its set-up (in a ring of tiny
// blocks about one pair in 18 comes here; the generic path costs some 160
// instructions, this about 20). The generic path still runs every 64 slow
// calls (its periodic work) and whenever notices wait. Not while profiling
// (fast_limit is 0), checked (the direct table is empty) or for a heap not
// set up yet (fast_limit 0 too).
static HAK_NOINLINE void* hak_alloc_slow(size_t size, hak_site_t site, bool zero, void* caller) {
  hak_tld_t* tld = _hak_tld;
  hak_heap_t* heap = hak_heap_for_site(tld, site);
  if hak_unlikely(heap->profiling && caller == NULL) {
    // Exact profiling routes hak_*_at here (fast_limit is 0): the fast
    // paths' pops, then the site's counters.
    size_t usable;
    void* p = hak_alloc_pop(heap, size, zero, &usable);
    if (p != NULL) {
      hak_prof_count_alloc(tld, site, usable);
      return p;
    }
  }
  if (size < heap->malloc_limit) {  // fast_limit when not profiling
    hak_page_t* page = heap->direct[(size + 7) >> 3];
    hak_block_t* b = page->local_free;
    if (b != NULL && ++tld->generic_count < 64 &&
        atomic_load_explicit(&heap->xthread_notice, memory_order_relaxed) == NULL) {
      hak_track_defined(b, sizeof(*b));
      page->free = HAK_SECURE ? hak_secure_pop_next(page, b) : b->next;
      page->local_free = NULL;
      page->free_is_zero = false;
      page->used_flags++;
      heap->tier_alloc[HAK_TIER_TINY]++;
      hak_track_malloc(b, page->block_size, zero);
      if (zero) memset(b, 0, size);
      if hak_unlikely(heap->profiling) return hak_prof_alloc(tld, b, page->block_size, site, zero, true, caller);
      return b;
    }
  }
  return hak_alloc_slower(size, site, zero, caller);
}

// No profiling test here: profiling sets fast_limit to 0 (see hak_alloc_slow),
// and so does a heap not set up yet.
HAK_API void* hak_alloc_at(size_t size, hak_site_t site) {
  hak_heap_t* heap = hak_heap_for_site(_hak_tld, site);
  if hak_likely(size < heap->fast_limit) {
    void* p = hak_page_pop(heap, heap->direct[(size + 7) >> 3]);
    if hak_likely(p != NULL) return p;
  } else if (size <= HAK_LARGE_MAX && heap->mid_fast) {
    void* p = hak_alloc_mid(heap, size, false);
    if (p != NULL) return p;
  }
  return hak_alloc_slow(size, site, false, NULL);
}

HAK_API void* hak_calloc_at(size_t n, size_t size, hak_site_t site) {
  size_t total;
  if hak_unlikely(__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  hak_heap_t* heap = hak_heap_for_site(_hak_tld, site);
  if hak_likely(total < heap->fast_limit) {
    void* p = hak_page_pop_zero(heap, heap->direct[(total + 7) >> 3], total);
    if hak_likely(p != NULL) return p;
  } else if (total <= HAK_LARGE_MAX && heap->mid_fast) {
    void* p = hak_alloc_mid(heap, total, true);
    if (p != NULL) return p;
  }
  return hak_alloc_slow(total, site, true, NULL);
}

// An allocation of the malloc family (caller: the return address the sampled
// profile attributes it to) or of hak_*_at (caller NULL): the same fast paths
// either way. realloc(NULL, n), a realloc that moves and an aligned_alloc of
// 16 or less come here; they took the slow path every time before (a
// program that allocates through realloc, like Lua's default allocator,
// paid it on every allocation).
static inline void* hak_alloc_for(size_t size, hak_site_t site, void* caller) {
  if (caller == NULL) return hak_alloc_at(size, site);
  hak_heap_t* heap = hak_heap_for_site(_hak_tld, site);
  size_t usable;
  void* p = hak_alloc_pop(heap, size, false, &usable);
  if (p == NULL) return hak_alloc_slow(size, site, false, caller);
  if hak_unlikely(heap->profiling) return hak_prof_malloc_tick(heap->tld, p, usable, false, true, caller);
  return p;
}

#include "free.c"

// ----- Aligned -----
// `caller`: non-NULL for the malloc family of libhakmem.so (sampled profile).
static void* hak_aligned_impl(size_t alignment, size_t size, hak_site_t site, void* caller);

HAK_API void* hak_aligned_alloc_at(size_t alignment, size_t size, hak_site_t site) {
  return hak_aligned_impl(alignment, size, site, NULL);
}

static void* hak_aligned_impl(size_t alignment, size_t size, hak_site_t site, void* caller) {
  if hak_unlikely(alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > HAK_ALIGN_MAX) {
    errno = EINVAL;
    return NULL;
  }
  if (alignment <= 16) {
    // Every class whose size is a multiple of 16 has 16-aligned blocks.
    size_t s = alignment <= 8 ? size : (size + 15) & ~(size_t)15;
    if (s < size) s = SIZE_MAX;
    if (s == 0 && alignment > 8) s = 16;  // size 0 would get the 8-byte class
    return hak_alloc_for(s, site, caller);
  }
  hak_heap_t* heap = hak_heap_get(site);
  if (heap == NULL) return NULL;
  size_t over;
  // A whale also when a checked block would have no room for its trailer in a page.
  size_t page_max = heap->tld->checked ? HAK_LARGE_MAX - HAK_CHECK_PAD : HAK_LARGE_MAX;
  // At least one byte after p: a block of size 0 must not end where the next one starts.
  if (__builtin_add_overflow(size == 0 ? 1 : size, alignment - 16, &over) || over > page_max) {
    if (size > SIZE_MAX - alignment) {
      errno = ENOMEM;
      return NULL;
    }
    void* w = _hak_whale_alloc(heap, size, alignment, false, site);
    if (w != NULL && heap->tld->profiling) return hak_prof_alloc(heap->tld, w, hak_usable_size(w), site, false, false, caller);
    return w;
  }
  if (alignment <= 64 && size % alignment == 0 && _hak_class_size[hak_size_class(size)] % alignment == 0) {
    // Page starts are 64-aligned: the block is aligned already.
    return hak_alloc_for(size, site, caller);
  }
  // `over` leaves room for alignment - 16 bytes before p: blocks must be
  // 16-aligned, which the classes of 24, 40 and 56 bytes are not (they are
  // 8-aligned): below 64 bytes, a multiple of 16 picks a 16-aligned class.
  if (over < 64) over = (over + 15) & ~(size_t)15;
  uint8_t* block = _hak_alloc_generic(heap, over, site, false);
  if (block == NULL) return NULL;
  uint8_t* p = (uint8_t*)(((uintptr_t)block + alignment - 1) & ~(uintptr_t)(alignment - 1));
  if (heap->tld->checked) {
    hak_page_t* page = hak_page_of(hak_segment_of(block), block);
    _hak_check_arm(page, block, (size_t)(p - block) + size, site);
  }
  hak_page_t* page = hak_page_of(hak_segment_of(block), block);
  if (p != block) {
    hak_page_flag_set(page, HAK_PAGE_HAS_ALIGNED);
    __atomic_store_n(&page->has_aligned, true, __ATOMIC_RELAXED);  // other threads read it for other blocks
    hak_track_free(block);
    hak_track_malloc(p, page->block_size - (size_t)(p - block), false);
  }
  if (heap->tld->profiling) {  // an aligned block stays where it is (movable false)
    return hak_prof_alloc(heap->tld, p, page->block_size - (size_t)(p - block), site, false, false, caller);
  }
  return p;
}

// ----- Size and ownership -----
HAK_API size_t hak_usable_size(const void* p) {
  if (p == NULL) return 0;
  hak_lookup_t lk;
  if (!hak_lookup(p, &lk)) return 0;
  if (lk.kind == HAK_LOOKUP_WHALE) return _hak_whale_usable(lk.whale, p);
  if (lk.page->has_checked) return hak_check_pad(lk.page, lk.block)->size - (size_t)((const uint8_t*)p - lk.block);
  return lk.page->block_size - (size_t)((const uint8_t*)p - lk.block);
}

HAK_API bool hak_owns(const void* p) {
  uint8_t v = hak_segmap_get((uintptr_t)p);
  return v != HAK_SEGMAP_NONE && v != HAK_SEGMAP_CACHED;
}

// ----- Realloc -----
static void* hak_realloc_move(void* p, size_t old_usable, size_t size, hak_site_t site, void* caller) {
  void* q = hak_alloc_for(size, site, caller);
  if (q == NULL) return NULL;
  memcpy(q, p, old_usable < size ? old_usable : size);
  hak_free_inline(p, site, caller != NULL);
  return q;
}

// `caller`: non-NULL for realloc in libhakmem.so (sampled profile).
static void* hak_realloc_impl(void* p, size_t size, hak_site_t site, void* caller) {
  if (p == NULL) return hak_alloc_for(size, site, caller);
  if (size == 0) {
    hak_free_inline(p, site, caller != NULL);
    return NULL;
  }
  {
    // The caller's own block in a page with no flag (so p is the block's
    // start): the free fast path's test, then in place or a move on the
    // fast paths, without the full lookup.
    hak_tld_t* tld = _hak_tld;
    size_t i = (uintptr_t)p >> HAK_SEGMENT_SHIFT;
    uint8_t id = caller != NULL ? tld->fast_id : tld->fast_id_at;
    if (i < HAK_SEGMAP_COUNT && __atomic_load_n(&_hak_segmap[i], __ATOMIC_RELAXED) == id) {
      hak_page_t* page = hak_page_of(hak_segment_of(p), p);
      if hak_likely(hak_page_flags_byte(page) == 0) {
        size_t usable = page->block_size;
        if (size <= usable && size >= usable / 2) return p;
        return hak_realloc_move(p, usable, size, site, caller);
      }
    }
  }
  hak_lookup_t lk;
  if hak_unlikely(!hak_lookup(p, &lk)) {
    _hak_invalid_pointer("realloc", p, lk.why, site);
    errno = EINVAL;
    return NULL;
  }
  if (lk.kind == HAK_LOOKUP_WHALE) {
    hak_whale_t* w = lk.whale;
    if (size > HAK_LARGE_MAX && (uint8_t*)w == w->map_base) {
      size_t old_usable = _hak_whale_usable(w, p);
      void* q = _hak_whale_realloc(w, p, size, site);
      hak_tld_t* tld = _hak_tld;
      if (q != NULL) {  // the block changed size: a free and an allocation for the profile
        bool sampled = caller != NULL && atomic_load_explicit(&_hak_samples_live, memory_order_relaxed) != 0;
        if (sampled || (caller == NULL && tld->profiling)) _hak_profile_count_free(tld, p, old_usable, site, caller != NULL, NULL);
        if (tld->profiling) q = hak_prof_alloc(tld, q, hak_usable_size(q), site, false, false, caller);
      }
      return q;
    }
    size_t usable = _hak_whale_usable(w, p);
    if (size <= usable && size > HAK_LARGE_MAX) return p;
    return hak_realloc_move(p, usable, size, site, caller);
  }
  size_t usable = lk.page->block_size - (size_t)((uint8_t*)p - lk.block);
  if (lk.page->has_checked) {  // checked blocks are moved every time, so the trailer is rewritten
    hak_check_pad_t* pad = hak_check_pad(lk.page, lk.block);
    if (pad->canary != hak_check_canary(lk.block)) _hak_check_free(lk.page, lk.block, p, site);  // aborts
    return hak_realloc_move(p, pad->size - (size_t)((uint8_t*)p - lk.block), size, site, caller);
  }
  if (size <= usable && size >= usable / 2) return p;  // fits, and does not waste more than half the block
  return hak_realloc_move(p, usable, size, site, caller);
}

// ----- Heaps -----
HAK_API size_t hak_heap_release(hak_subsys_t sub) {
  hak_tld_t* tld = _hak_tld;
  if (sub >= HAK_SUBSYS_MAX || tld == &_hak_tld_empty || !(tld->heaps_used & (1u << sub))) return 0;
  return _hak_heap_release(hak_heap_of(tld, sub));
}

HAK_API void hak_collect(bool force) {
  hak_tld_t* tld = _hak_tld;
  if (tld != &_hak_tld_empty) {
    hak_heap_t* heap;
    for (HAK_HEAPS_EACH(tld, heap, it)) _hak_heap_collect(heap, force ? HAK_COLLECT_FORCE : HAK_COLLECT_NORMAL);
  }
  if (force) _hak_tld_collect_abandoned();
  _hak_segment_cache_flush(force);
  _hak_whale_cache_flush(force);
}

HAK_API void* hak_realloc_at(void* p, size_t size, hak_site_t site) {
  return hak_realloc_impl(p, size, site, NULL);
}

