/* alloc.c: the allocation fast paths and the public allocation API (free.c
   is included here so both hot paths live in one translation unit).

   hak_alloc_at: the calling thread's heap for the site's subsystem is
   tld + (site >> 29) * 4 KiB; for sizes up to 1 KiB, heap->direct[(size+7)/8]
   is the page to pop from. No lock, no atomic, no init check: a new thread's
   tld is _hak_tld_empty, whose direct entries all point at _hak_page_empty
   (free == NULL), so its first allocation lands in _hak_alloc_generic. */
#define HAK_ALLOC_C
#include "hak_internal.h"

// ----- Fast path -----
// About 12 instructions with one predicted branch after the size test.
static inline void* hak_alloc_fast(hak_heap_t* heap, size_t size) {
  hak_page_t* page = heap->direct[(size + 7) >> 3];
  hak_block_t* b = page->free;
  if hak_unlikely(b == NULL) return NULL;
  hak_track_defined(b, sizeof(*b));
  page->free = b->next;
  page->used_flags++;
  heap->tier_alloc[HAK_TIER_TINY]++;
  hak_track_malloc(b, page->block_size, false);  // memcheck sees the usable size (see hak_internal.h)
  return b;
}

static HAK_NOINLINE void* hak_alloc_slow(size_t size, hak_site_t site) {
  return _hak_alloc_generic(hak_heap_for_site(_hak_tld, site), size, site, false);
}

HAK_API void* hak_alloc_at(size_t size, hak_site_t site) {
  if hak_likely(size <= HAK_TINY_MAX) {
    void* p = hak_alloc_fast(hak_heap_for_site(_hak_tld, site), size);
    if hak_likely(p != NULL) return p;
  }
  return hak_alloc_slow(size, site);  // size and site stay in their argument registers
}

HAK_API void* hak_calloc_at(size_t n, size_t size, hak_site_t site) {
  size_t total;
  if hak_unlikely(__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  hak_heap_t* heap = hak_heap_for_site(_hak_tld, site);
  if hak_likely(total <= HAK_TINY_MAX) {
    hak_page_t* page = heap->direct[(total + 7) >> 3];
    bool zero = page->free_is_zero;
    void* p = hak_alloc_fast(heap, total);
    if hak_likely(p != NULL) {
      if (zero) {
        ((hak_block_t*)p)->next = NULL;
        hak_track_defined(p, total);
      } else {
        memset(p, 0, total);
      }
      return p;
    }
  }
  return _hak_alloc_generic(heap, total, site, true);
}

#include "free.c"

// ----- Aligned -----
HAK_API void* hak_aligned_alloc_at(size_t alignment, size_t size, hak_site_t site) {
  if hak_unlikely(alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > HAK_ALIGN_MAX) {
    errno = EINVAL;
    return NULL;
  }
  if (alignment <= 16) {
    // Every class whose size is a multiple of 16 has 16-aligned blocks.
    size_t s = alignment <= 8 ? size : (size + 15) & ~(size_t)15;
    if (s < size) s = SIZE_MAX;
    return hak_alloc_at(s, site);
  }
  hak_heap_t* heap = hak_heap_for_site(_hak_tld, site);
  if (heap->tld == &_hak_tld_empty) {
    hak_tld_t* tld = _hak_tld_acquire();
    if (tld == NULL) {
      errno = ENOMEM;
      return NULL;
    }
    heap = hak_heap_for_site(tld, site);
  }
  size_t over;
  if (__builtin_add_overflow(size, alignment - 16, &over) || over > HAK_LARGE_MAX) {
    if (size > SIZE_MAX - alignment) {
      errno = ENOMEM;
      return NULL;
    }
    return _hak_whale_alloc(heap, size, alignment, false, site);
  }
  if (alignment <= 64 && size % alignment == 0 && _hak_class_size[hak_size_class(size)] % alignment == 0) {
    return hak_alloc_at(size, site);  // page starts are 64-aligned: the block is aligned already
  }
  uint8_t* block = _hak_alloc_generic(heap, over, site, false);
  if (block == NULL) return NULL;
  uint8_t* p = (uint8_t*)(((uintptr_t)block + alignment - 1) & ~(uintptr_t)(alignment - 1));
  if (heap->tld->checked && over <= HAK_LARGE_MAX - HAK_CHECK_PAD) {
    hak_page_t* page = hak_page_of(hak_segment_of(block), block);
    _hak_check_arm(page, block, (size_t)(p - block) + size, site);
  }
  if (p != block) {
    hak_page_t* page = hak_page_of(hak_segment_of(block), block);
    hak_page_flag_set(page, HAK_PAGE_HAS_ALIGNED);
    page->has_aligned = true;
    hak_track_free(block);
    hak_track_malloc(p, page->block_size - (size_t)(p - block), false);
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
static void* hak_realloc_move(void* p, size_t old_usable, size_t size, hak_site_t site) {
  void* q = hak_alloc_at(size, site);
  if (q == NULL) return NULL;
  memcpy(q, p, old_usable < size ? old_usable : size);
  hak_free_at(p, site);
  return q;
}

HAK_API void* hak_realloc_at(void* p, size_t size, hak_site_t site) {
  if (p == NULL) return hak_alloc_at(size, site);
  if (size == 0) {
    hak_free_at(p, site);
    return NULL;
  }
  hak_lookup_t lk;
  if hak_unlikely(!hak_lookup(p, &lk)) {
    _hak_invalid_pointer("realloc", p, lk.why, -1, site);
    errno = EINVAL;
    return NULL;
  }
  if (lk.kind == HAK_LOOKUP_WHALE) {
    hak_whale_t* w = lk.whale;
    if (size > HAK_LARGE_MAX && (uint8_t*)w == w->map_base) return _hak_whale_realloc(w, p, size, site);
    size_t usable = _hak_whale_usable(w, p);
    if (size <= usable && size > HAK_LARGE_MAX) return p;
    return hak_realloc_move(p, usable, size, site);
  }
  size_t usable = lk.page->block_size - (size_t)((uint8_t*)p - lk.block);
  if (lk.page->has_checked) {  // checked blocks are moved every time, so the trailer is rewritten
    hak_check_pad_t* pad = hak_check_pad(lk.page, lk.block);
    if (pad->canary != hak_check_canary(lk.block)) _hak_check_free(lk.page, lk.block, p, site);  // aborts
    return hak_realloc_move(p, pad->size - (size_t)((uint8_t*)p - lk.block), size, site);
  }
  if (size <= usable && size >= usable / 2) return p;  // fits, and does not waste more than half the block
  return hak_realloc_move(p, usable, size, site);
}

// ----- Heaps -----
HAK_API size_t hak_heap_release(hak_subsys_t sub) {
  hak_tld_t* tld = _hak_tld;
  if ((unsigned)sub >= HAK_SUBSYS_COUNT || tld == &_hak_tld_empty) return 0;
  return _hak_heap_release(hak_heap_of(tld, sub));
}

HAK_API void hak_collect(bool force) {
  hak_tld_t* tld = _hak_tld;
  if (tld != &_hak_tld_empty) {
    for (size_t s = 0; s < HAK_SUBSYS_COUNT; s++) {
      _hak_heap_collect(hak_heap_of(tld, (hak_subsys_t)s), force ? HAK_COLLECT_FORCE : HAK_COLLECT_NORMAL);
    }
  }
  if (force) _hak_tld_collect_abandoned();
  _hak_segment_cache_flush(force);
  _hak_whale_cache_flush(force);
}

#if HAK_OVERRIDE
#include "override.c"
#endif
