/* free.c: freeing, and the pointer lookup shared by free, realloc and
   usable_size. Included by alloc.c (one translation unit for the hot paths).

   The ownership lookup: the segment map byte for p's 4 MiB tells, with no
   lock, hash or search, whether p is hakmem's and which tld owns it. The free
   fast path takes only a pointer whose byte equals the calling thread's tld
   id, in a page with no flag set and more than one block in use; everything
   else (other threads' blocks, whales, aligned blocks, full or emptying pages,
   checked mode, foreign pointers) goes to _hak_free_generic, which looks the
   pointer up fully and never treats a pointer that is not a live block as
   one. */
#ifndef HAK_ALLOC_C
#error "free.c is included by alloc.c"
#endif

// ----- Lookup -----
typedef enum hak_lookup_kind_e { HAK_LOOKUP_INVALID, HAK_LOOKUP_BLOCK, HAK_LOOKUP_WHALE } hak_lookup_kind_t;

typedef struct hak_lookup_s {
  hak_lookup_kind_t kind;
  const char* why;     // HAK_LOOKUP_INVALID: the reason
  hak_page_t* page;    // HAK_LOOKUP_BLOCK
  uint8_t* block;      // HAK_LOOKUP_BLOCK: start of the block containing p
  hak_whale_t* whale;  // HAK_LOOKUP_WHALE
} hak_lookup_t;

static bool hak_lookup_invalid(hak_lookup_t* out, const char* why) {
  out->kind = HAK_LOOKUP_INVALID;
  out->why = why;
  return false;
}

// Finds what p is. Never faults for any p: memory is read only after the
// segment map says it is mapped and ours.
static bool hak_lookup(const void* p, hak_lookup_t* out) {
  uintptr_t u = (uintptr_t)p;
  uint8_t v = hak_segmap_get(u);
  switch (v) {
    case HAK_SEGMAP_NONE: return hak_lookup_invalid(out, "pointer not allocated by hakmem");
    case HAK_SEGMAP_CACHED: return hak_lookup_invalid(out, "pointer into freed memory (double free, or a released heap)");
    case HAK_SEGMAP_INTERIOR: return hak_lookup_invalid(out, "pointer into the middle of a large block");
    default: break;
  }
  uintptr_t hdr = u & ~(uintptr_t)HAK_SEGMENT_MASK;
  if (v == HAK_SEGMAP_WHALE_PREV) hdr -= HAK_SEGMENT_SIZE;
  if (*(const uint8_t*)hdr == HAK_SEG_WHALE) {
    hak_whale_t* w = (hak_whale_t*)hdr;
    if (w->cached) return hak_lookup_invalid(out, "the block was already freed (double free)");
    if ((const uint8_t*)p != w->map_base + w->user_offset) return hak_lookup_invalid(out, "pointer into the middle of a block");
    out->kind = HAK_LOOKUP_WHALE;
    out->whale = w;
    return true;
  }
  hak_segment_t* seg = (hak_segment_t*)hdr;
  hak_page_t* page = hak_page_of(seg, p);
  if (page == &_hak_page_empty) return hak_lookup_invalid(out, "pointer into a free page (double free or stale pointer)");
  // Only fields that are fixed while the page holds blocks are read here: any
  // thread may look up a pointer while the owner works on the page.
  if ((const uint8_t*)p < page->start || (const uint8_t*)p >= page->start + hak_page_bytes(page)) {
    return hak_lookup_invalid(out, "pointer outside the blocks of its page");
  }
  // The block start needs a division: only pages that hand out inner
  // aligned pointers, checked pages (which verify every free) and hardened
  // builds pay it. Elsewhere an interior pointer is not detected, as on the
  // fast path.
  uint8_t* block = (uint8_t*)p;
  bool aligned = __atomic_load_n(&page->has_aligned, __ATOMIC_RELAXED);
  if (HAK_SECURE || aligned || page->has_checked) {
    block = _hak_page_block_start(page, p);
    if (block != (const uint8_t*)p && !aligned) {
      return hak_lookup_invalid(out, "pointer into the middle of a block");
    }
  }
  out->kind = HAK_LOOKUP_BLOCK;
  out->page = page;
  out->block = block;
  return true;
}

// ----- Remote free -----
// A block of another thread's page goes onto the page's xthread_free list
// with one CAS: the owner takes the whole list with one exchange when the
// page runs out of blocks (page.c: hak_page_collect). Frees from different
// threads into different pages never touch the same line, and none of them
// touches the lines the owner's fast paths write. The exception is the first
// free into a page the owner parked in its full list (HAK_XF_FULL): that one
// clears the bit and goes onto the heap's notice list, which the owner
// drains in its slow path, putting the page back in its queue.
void _hak_free_remote(hak_page_t* page, hak_block_t* block) {
  uintptr_t tf = atomic_load_explicit(&page->xthread_free, memory_order_relaxed);
  uintptr_t nf;
  do {
    if (tf & HAK_XF_FULL) {
      nf = tf & ~HAK_XF_FULL;  // the list is empty while the bit is set
    } else {
      hak_link_set_remote(page, block, (hak_block_t*)tf);
      nf = (uintptr_t)block;
    }
    hak_hb_before(&page->xthread_free);  // after the link write: the owner reads it after the exchange
  } while (!atomic_compare_exchange_weak_explicit(&page->xthread_free, &tf, nf, memory_order_release,
                                                  memory_order_relaxed));
  if hak_unlikely(tf & HAK_XF_FULL) {
    hak_heap_t* heap = page->heap;
    hak_block_t* head = atomic_load_explicit(&heap->xthread_notice, memory_order_relaxed);
    do {
      hak_link_set_remote(page, block, head);
      hak_hb_before(&heap->xthread_notice);
    } while (!atomic_compare_exchange_weak_explicit(&heap->xthread_notice, &head, block, memory_order_release,
                                                    memory_order_relaxed));
  }
}

// ----- Free -----
// Frees p after a full lookup; a pointer that is not a live block is reported
// and ignored. from_malloc: free() of libhakmem.so (sampled profile) rather
// than hak_free_at (exact profile).
static HAK_NOINLINE void hak_free_block(void* p, hak_site_t site, hak_tld_t* tld, bool from_malloc) {
  hak_lookup_t lk;
  if hak_unlikely(!hak_lookup(p, &lk)) {
    _hak_invalid_pointer("free", p, lk.why, site);
    if (tld != &_hak_tld_empty) tld->invalid_free++;
    else atomic_fetch_add(&_hak_gstats.invalid_free_notld, 1);
    return;
  }
  size_t usable;
  if (lk.kind == HAK_LOOKUP_WHALE) {
    usable = _hak_whale_usable(lk.whale, p);
    if (from_malloc ? atomic_load_explicit(&_hak_samples_live, memory_order_relaxed) != 0 : tld->profiling) {
      _hak_profile_count_free(tld, p, usable, site, from_malloc, NULL);
    }
    if hak_unlikely(!_hak_whale_free(lk.whale, p, site)) {  // lost a race with another free of it
      if (tld != &_hak_tld_empty) tld->invalid_free++;
      return;
    }
  } else {
    hak_page_t* page = lk.page;
    hak_block_t* block = (hak_block_t*)lk.block;
    usable = page->block_size - (size_t)((uint8_t*)p - lk.block);
    if (page->has_checked) _hak_check_free(page, lk.block, p, site);
    if (HAK_SECURE) hak_secure_free_check(page, page->xkeys, block);
    if (from_malloc ? atomic_load_explicit(&page->samples, memory_order_relaxed) != 0 : tld->profiling) {
      _hak_profile_count_free(tld, p, usable, site, from_malloc, page);
    }
    hak_track_free(p);
    hak_track_undefined(block, sizeof(*block));
    if (page->heap->tld == tld) {
      // A page stops sending its frees here once its last sample is freed.
      if ((hak_page_flags(page) & HAK_PAGE_SAMPLED) && atomic_load_explicit(&page->samples, memory_order_relaxed) == 0) {
        hak_page_flag_clear(page, HAK_PAGE_SAMPLED);
      }
      _hak_page_free_local(page, block);
    } else {
      // The block is the owner's once pushed: it stays addressable here.
      _hak_free_remote(page, block);
      if (tld != &_hak_tld_empty) tld->remote_free++;
      else atomic_fetch_add(&_hak_gstats.remote_free_notld, 1);
    }
  }
  if (tld != &_hak_tld_empty) tld->free_count++;
  else atomic_fetch_add(&_hak_gstats.free_count_notld, 1);
}

// Pushes b on its page's local free list (owner thread, no flag set).
static inline void hak_free_local_push(hak_tld_t* tld, hak_page_t* page, hak_block_t* b, uint32_t uf) {
  hak_track_free(b);
  hak_track_undefined(b, sizeof(*b));
  if (HAK_SECURE) hak_secure_free_check(page, page->keys, b);
  hak_link_set_unflagged(page, b, page->local_free);
  hak_track_noaccess(b, sizeof(*b));
  page->local_free = b;
  page->used_flags = uf - 1;
  tld->free_count++;
}

// A free of another thread's block, in a page with nothing to check (no
// aligned or checked blocks, no profile sample): straight onto the page's
// remote list. False: the caller takes the general path. The bounds test
// keeps a pointer into a free page (the empty page has no blocks) or past
// the page's blocks off the list; the fields it reads are fixed while the
// page holds blocks.
static inline bool hak_free_remote_fast(hak_tld_t* tld, void* p, uint8_t v, bool from_malloc) {
  if (v - 1u >= HAK_TLD_ID_MAX || v == tld->fast_id || (tld->profiling && !from_malloc)) return false;
  hak_page_t* page = hak_page_of(hak_segment_of(p), p);
  if (__atomic_load_n(&page->has_aligned, __ATOMIC_RELAXED) || page->has_checked ||
      atomic_load_explicit(&page->samples, memory_order_relaxed) != 0) {
    return false;
  }
  if ((uint8_t*)p < page->start || (uint8_t*)p >= page->start + hak_page_bytes(page)) return false;
  if (HAK_SECURE) hak_secure_free_check(page, page->xkeys, p);
  if hak_unlikely(tld == &_hak_tld_empty) {  // a thread that frees before it allocates: its counters need a tld
    _hak_init();
    tld = _hak_tld_acquire_for(v);
    if (tld == NULL || (tld->profiling && !from_malloc)) return false;
    if (tld->fast_id == v) return false;  // it adopted the block's owner: a local free now
  }
  hak_track_free(p);
  hak_track_undefined(p, sizeof(hak_block_t));
  _hak_free_remote(page, (hak_block_t*)p);
  tld->remote_free++;
  tld->free_count++;
  return true;
}

HAK_NOINLINE void _hak_free_generic(void* p, hak_site_t site, bool from_malloc) {
  if (p == NULL) return;
  hak_tld_t* tld = _hak_tld;
  // A thread whose first call is a free needs a tld for its profile counters.
  if hak_unlikely(tld == &_hak_tld_empty && _hak_option_fast(HAK_OPT_PROFILE) != 0) {
    _hak_init();
    hak_tld_t* t = _hak_tld_acquire();
    if (t != NULL) tld = t;
  }
  hak_free_block(p, site, tld, from_malloc);
}

// The free fast path emptied a page that is not its class's only one: it
// goes back to its segment. This is also a heartbeat of the periodic work
// (purges that are due, visits of exited threads' heaps): frees go straight
// back on the free list, so a thread in a steady state may never take the
// allocation slow path that ticks it otherwise, but memory to purge comes
// only from retired pages.
static HAK_NOINLINE void hak_free_retire(hak_tld_t* tld, hak_page_t* page) {
  _hak_page_retire(page, true);
  if (++tld->generic_count >= 64) _hak_tld_periodic(tld);
}

// The caller's own block (the segment map names its tld) in a page whose
// flags leave nothing to look up: pushed as the fast path would, and counted
// for its site under exact profiling (which sends hak_free_at here: its fast
// id matches nothing). The flags that allow it: none (exact profiling), the
// page parked as full (it goes back to its queue), or a page flagged as
// holding samples when none is left (the flag goes). False: the full lookup
// decides (a page with samples: the table must see every free of it; sampled
// blocks of malloc live in pages of their own, alloc.c, so few pages are such).
static HAK_NOINLINE bool hak_free_own_flagged(hak_tld_t* tld, hak_page_t* page, void* p, hak_site_t site, bool from_malloc) {
  uint32_t uf = page->used_flags;
  uint32_t flags = uf >> HAK_PAGE_FLAG_SHIFT;
  if ((uf & HAK_PAGE_USED_MASK) == 0) return false;
  if (flags == HAK_PAGE_IN_FULL) {
    if (HAK_SECURE) hak_secure_free_check(page, page->keys, p);
    hak_track_free(p);
    hak_track_undefined(p, sizeof(hak_block_t));
    _hak_page_free_local(page, (hak_block_t*)p);
    tld->free_count++;
    if (!from_malloc && tld->profiling) hak_prof_count_free(tld, site, page->block_size);
    return true;
  }
  if (flags != HAK_PAGE_SAMPLED || !from_malloc) return false;
  if (atomic_load_explicit(&page->samples, memory_order_relaxed) != 0) return false;
  hak_page_flag_clear(page, HAK_PAGE_SAMPLED);  // its samples were freed: back to the fast path
  uf = page->used_flags;
  hak_free_local_push(tld, page, (hak_block_t*)p, uf);
  if ((uf & HAK_PAGE_USED_MASK) == 1 && (page->next != NULL || page->prev != NULL)) _hak_page_retire(page, true);
  return true;
}

static inline bool hak_free_own(hak_tld_t* tld, void* p, hak_site_t site, bool from_malloc) {
  hak_page_t* page = hak_page_of(hak_segment_of(p), p);
  uint32_t uf = page->used_flags;
  if hak_unlikely(uf - 1 >= HAK_PAGE_USED_MASK) return hak_free_own_flagged(tld, page, p, site, from_malloc);
  hak_free_local_push(tld, page, (hak_block_t*)p, uf);
  if (!from_malloc && tld->profiling) hak_prof_count_free(tld, site, page->block_size);
  if (uf == 1 && (page->next != NULL || page->prev != NULL)) _hak_page_retire(page, true);
  return true;
}

// The free fast path's miss: the caller's own block in a flagged page when
// the flags allow (hak_free_own), another thread's block straight onto its
// page's list (a leaf call of some 35 instructions with the CAS), anything
// else to the generic path.
static HAK_NOINLINE void hak_free_slow(void* p, hak_site_t site, bool from_malloc) {
  size_t i = (uintptr_t)p >> HAK_SEGMENT_SHIFT;
  if (i < HAK_SEGMAP_COUNT) {
    hak_tld_t* tld = _hak_tld;
    uint8_t v = __atomic_load_n(&_hak_segmap[i], __ATOMIC_RELAXED);
    if (v == tld->fast_id) {
      if (hak_free_own(tld, p, site, from_malloc)) return;
    } else if (hak_free_remote_fast(tld, p, v, from_malloc)) {
      return;
    }
  }
  _hak_free_generic(p, site, from_malloc);
}

// Fast path: 26 instructions with three predicted branches (objdump of
// hak_free_at, the `ret` included): the segment map says the block is the
// caller's, and its page has no flag set (a compare with memory; a page
// holding a sampled block of the drop-in profiler is flagged, so its frees
// come to the slow path). With exact profiling on, hak_free_at's id
// (fast_id_at) matches no segment, so the profile costs nothing here while
// it is off. The page's last block is freed here too (the decrement reaches
// zero), and the page retired unless it is its class's only page (so a loop
// that allocates and frees one block keeps its page).
static inline void hak_free_inline(void* p, hak_site_t site, bool from_malloc) {
  hak_tld_t* tld = _hak_tld;
  uintptr_t u = (uintptr_t)p;
  size_t i = u >> HAK_SEGMENT_SHIFT;
  uint8_t id = from_malloc ? tld->fast_id : tld->fast_id_at;
  if hak_likely(i < HAK_SEGMAP_COUNT && __atomic_load_n(&_hak_segmap[i], __ATOMIC_RELAXED) == id) {
    hak_page_t* page = hak_page_of(hak_segment_of(p), p);
    // No flag set: a compare of the flags byte with memory. Hardened builds
    // send a block that does not pass the cheap test to the exact one.
    if hak_likely(hak_page_flags_byte(page) == 0 && (!HAK_SECURE || !hak_secure_suspect(page, page->keys, p))) {
      hak_block_t* b = (hak_block_t*)p;
      hak_track_free(b);
      hak_track_undefined(b, sizeof(*b));
      hak_link_set_unflagged(page, b, page->free);  // LIFO: the next allocation of the class reuses the block while it is in cache
      hak_track_noaccess(b, sizeof(*b));
      page->free = b;
      page->free_is_zero = false;
      tld->free_count++;
      // A decrement and a branch on zero: the page's last block retires the
      // page, unless it is its class's only page.
      if hak_unlikely(--page->used_flags == 0 && (page->next != NULL || page->prev != NULL)) hak_free_retire(tld, page);
      return;
    }
  }
  hak_free_slow(p, site, from_malloc);
}

HAK_API void hak_free_at(void* p, hak_site_t site) {
  hak_free_inline(p, site, false);
}
