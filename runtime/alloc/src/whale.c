/* whale.c: blocks above 1 MiB ("whales"), each in its own mapping.

   A whale's mapping is 4 MiB-aligned and starts with a 64-byte header
   (hak_whale_t); the block follows at map_base + user_offset. The segment map
   marks the header's 4 MiB as HAK_SEGMAP_SLOW (frees go to the slow path,
   which reads the header's kind) and the rest as HAK_SEGMAP_INTERIOR. For an
   alignment of 4 MiB or more the block itself starts on a 4 MiB boundary, so
   the header sits in the 4 MiB before it and the block's chunk is marked
   HAK_SEGMAP_WHALE_PREV.

   Freed whales go to a bounded cache (count and bytes) and are unmapped after
   HAKMEM_PURGE_DELAY_MS; realloc grows a whale with mremap, in place when the
   address space after it is free, else by moving its pages to a new aligned
   range (no copy). All whale bookkeeping is under one mutex: every path here
   makes a system call anyway. */
#include <pthread.h>

#include "hak_internal.h"

#define HAK_WHALE_HEADER ((sizeof(hak_whale_t) + 63) & ~(size_t)63)  // the block follows the header, 64-aligned

static pthread_mutex_t whale_lock = PTHREAD_MUTEX_INITIALIZER;
static hak_whale_t* whale_cache;  // linked by next, newest first
static size_t whale_cache_count;
static size_t whale_cache_bytes;


static uint8_t* hak_whale_block(const hak_whale_t* w) {
  return w->map_base + w->user_offset;
}

// Hardened builds end a whale's mapping with a guard page, and put one right
// before the block (user_offset is then at least two pages, so the header
// has a page of its own): an overflow or underflow of the block faults
// instead of reaching the header or the next mapping.
static size_t hak_whale_guard_size(void) {
  return HAK_SECURE ? _hak_prim_page_size() : 0;
}

static uint8_t* hak_whale_end(const hak_whale_t* w) {
  return w->map_base + w->map_size - hak_whale_guard_size();
}

size_t _hak_whale_usable(const hak_whale_t* w, const void* p) {
  return (size_t)(hak_whale_end(w) - (const uint8_t*)p);
}

// Sets (on) or lifts the guard pages of w; 0 or the OS's error, with nothing
// changed. Lifted around a remap: mremap moves one mapping of one protection.
static int hak_whale_guard(hak_whale_t* w, bool on) {
  if (!HAK_SECURE) return 0;
  size_t page = _hak_prim_page_size();
  int (*op)(void*, size_t) = on ? _hak_prim_guard : _hak_prim_unguard;
  int (*undo)(void*, size_t) = on ? _hak_prim_unguard : _hak_prim_guard;
  int err = op(hak_whale_block(w) - page, page);
  if (err == 0 && (err = op(hak_whale_end(w), page)) != 0) undo(hak_whale_block(w) - page, page);
  return err;
}

// Marks the map for a whale: its header chunk, the block's chunk, the rest.
static void hak_whale_map_mark(hak_whale_t* w, bool live) {
  uintptr_t base = (uintptr_t)w->map_base, end = base + w->map_size;
  uintptr_t hdr = (uintptr_t)w;
  uintptr_t block = (uintptr_t)hak_whale_block(w);
  if (!live) {
    _hak_segmap_set(base, w->map_size, HAK_SEGMAP_NONE);
    return;
  }
  _hak_segmap_set(base, end - base, HAK_SEGMAP_INTERIOR);
  _hak_segmap_set(hdr, 1, HAK_SEGMAP_SLOW);
  if ((block >> HAK_SEGMENT_SHIFT) != (hdr >> HAK_SEGMENT_SHIFT)) _hak_segmap_set(block, 1, HAK_SEGMAP_WHALE_PREV);
}

static void hak_whale_link(hak_heap_t* heap, hak_whale_t* w) {
  w->heap = heap;
  w->prev = NULL;
  w->next = heap->whales;
  if (heap->whales != NULL) heap->whales->prev = w;
  heap->whales = w;
}

static void hak_whale_unlink(hak_whale_t* w) {
  if (w->prev != NULL) w->prev->next = w->next;
  else w->heap->whales = w->next;
  if (w->next != NULL) w->next->prev = w->prev;
  w->next = w->prev = NULL;
}

static void hak_whale_unmap(hak_whale_t* w) {
  uint8_t* base = w->map_base;
  size_t size = w->map_size;
  _hak_segmap_set((uintptr_t)base, size, HAK_SEGMAP_NONE);
  if (!_hak_kept_put(w->subsys, base, size)) _hak_prim_unmap(base, size);
  atomic_fetch_add(&_hak_gstats.munmap_calls, 1);
  _hak_stat_add(&_hak_gstats.mapped_current, &_hak_gstats.mapped_peak, -(int64_t)size);
}

// Is addr in a guard page of a whale? (Hardened builds; called from the
// SIGSEGV handler, init.c: reads only memory the segment map says is ours.)
bool _hak_whale_guard_at(uintptr_t addr) {
  if (!HAK_SECURE) return false;
  size_t i = addr >> HAK_SEGMENT_SHIFT, page = _hak_prim_page_size();
  uint8_t v = hak_segmap_get(addr);
  if (v == HAK_SEGMAP_WHALE_PREV) {
    i--;
  } else if (v == HAK_SEGMAP_INTERIOR) {  // the header is in the nearest chunk below marked SLOW
    while (i > 0 && hak_segmap_get((uintptr_t)i << HAK_SEGMENT_SHIFT) == HAK_SEGMAP_INTERIOR) i--;
  } else if (v != HAK_SEGMAP_SLOW && v != HAK_SEGMAP_CACHED) {
    return false;
  }
  uint8_t hv = hak_segmap_get((uintptr_t)i << HAK_SEGMENT_SHIFT);
  if (hv != HAK_SEGMAP_SLOW && hv != HAK_SEGMAP_CACHED && hv != HAK_SEGMAP_WHALE_PREV) return false;
  const hak_whale_t* w = (const hak_whale_t*)((uintptr_t)i << HAK_SEGMENT_SHIFT);
  if (w->kind != HAK_SEG_WHALE) return false;
  uintptr_t block = (uintptr_t)hak_whale_block(w), end = (uintptr_t)hak_whale_end(w);
  return (addr >= block - page && addr < block) || (addr >= end && addr < end + page);
}

// A cached whale whose mapping holds `need` bytes without wasting more than
// half of it (in hardened builds, one that last served subsystem `sub`);
// under whale_lock.
static hak_whale_t* hak_whale_cache_take(size_t need, uint8_t sub) {
  hak_whale_t** best = NULL;
  for (hak_whale_t** link = &whale_cache; *link != NULL; link = &(*link)->next) {
    size_t have = (*link)->map_size;
    if (HAK_SECURE && (*link)->subsys != sub) continue;
    if (have >= need && have / 2 <= need && (best == NULL || have < (*best)->map_size)) best = link;
  }
  if (best == NULL) return NULL;
  hak_whale_t* w = *best;
  *best = w->next;
  whale_cache_count--;
  whale_cache_bytes -= w->map_size;
  atomic_fetch_sub(&_hak_gstats.whale_cached, 1);
  w->cached = 0;
  w->next = NULL;
  return w;
}

// A cached whale to serve a block at user_offset: in hardened builds its
// front guard moves with the offset. NULL (the whale unmapped) if the OS
// refuses that.
static hak_whale_t* hak_whale_reuse(hak_whale_t* w, size_t user_offset) {
  if (!HAK_SECURE || w->user_offset == user_offset) return w;
  if (hak_whale_guard(w, false) == 0) {
    w->user_offset = user_offset;
    if (hak_whale_guard(w, true) == 0) return w;
  }
  hak_whale_unmap(w);
  return NULL;
}

// A new mapping of `need` bytes for a whale of subsystem sub (a range kept for
// it first, in hardened builds), with its header and guards; NULL when the
// OS refuses.
static hak_whale_t* hak_whale_map_new(uint8_t sub, size_t need, size_t align, size_t user_offset) {
  bool huge_align = align >= HAK_SEGMENT_SIZE;
  void* base = huge_align ? NULL : _hak_kept_take(sub, need, &need);  // the whole kept chunk
  size_t map_align = huge_align ? align : HAK_SEGMENT_SIZE;
  if (base == NULL && _hak_prim_map(need, map_align, NULL, &base) != 0 &&
      (!_hak_kept_flush() || _hak_prim_map(need, map_align, NULL, &base) != 0)) {
    return NULL;
  }
  atomic_fetch_add(&_hak_gstats.mmap_calls, 1);
  _hak_stat_add(&_hak_gstats.mapped_current, &_hak_gstats.mapped_peak, (int64_t)need);
  hak_whale_t* w = (hak_whale_t*)((uint8_t*)base + (huge_align ? align - HAK_SEGMENT_SIZE : 0));
  w->map_base = (uint8_t*)base;
  w->map_size = need;
  w->user_offset = user_offset;
  w->subsys = sub;
  if (hak_whale_guard(w, true) != 0) {
    hak_whale_unmap(w);
    return NULL;
  }
  return w;
}

void* _hak_whale_alloc(hak_heap_t* heap, size_t size, size_t align, bool zero, hak_site_t site) {
  bool huge_align = align >= HAK_SEGMENT_SIZE;
  size_t header = HAK_SECURE ? 2 * _hak_prim_page_size() : HAK_WHALE_HEADER;  // hardened: header page, guard page
  size_t user_offset = huge_align ? align : align > header ? align : header;
  if (size > ((size_t)1 << 46) || user_offset > ((size_t)1 << 46)) {
    errno = ENOMEM;
    return NULL;
  }
  // The block's first byte is mapped; then the guard page, if any.
  size_t need = _hak_prim_page_round(user_offset + (size == 0 ? 1 : size)) + hak_whale_guard_size();
  hak_whale_t* w = NULL;
  pthread_mutex_lock(&whale_lock);
  if (!huge_align) w = hak_whale_cache_take(need, heap->subsys);
  pthread_mutex_unlock(&whale_lock);
  bool fresh = w == NULL;
  w = fresh ? hak_whale_map_new(heap->subsys, need, align, user_offset) : hak_whale_reuse(w, user_offset);
  if (w == NULL) {
    errno = ENOMEM;
    return NULL;
  }
  w->kind = HAK_SEG_WHALE;
  w->user_offset = user_offset;
  w->subsys = heap->subsys;
  w->size = size;
  hak_whale_map_mark(w, true);
  pthread_mutex_lock(&whale_lock);
  hak_whale_link(heap, w);
  pthread_mutex_unlock(&whale_lock);
  heap->tier_alloc[HAK_TIER_WHALE]++;
  atomic_fetch_add(&_hak_gstats.whale_bytes_current, (int64_t)_hak_whale_usable(w, hak_whale_block(w)));
  uint8_t* block = hak_whale_block(w);
  hak_track_malloc(block, _hak_whale_usable(w, block), zero || fresh);
  if (zero && !fresh) memset(block, 0, size);  // fresh mappings are zero already
  return block;
}

// Checks that p is the live block of w; reports and returns false otherwise.
static bool hak_whale_check(hak_whale_t* w, const void* p, const char* op, hak_site_t site) {
  if hak_unlikely(w->cached) {
    _hak_invalid_pointer(op, p, "the block was already freed (double free)", site);
    return false;
  }
  if hak_unlikely((const uint8_t*)p != hak_whale_block(w)) {
    _hak_invalid_pointer(op, p, "pointer into the middle of a block", site);
    return false;
  }
  return true;
}

bool _hak_whale_free(hak_whale_t* w, const void* p, hak_site_t site) {
  pthread_mutex_lock(&whale_lock);
  if (!hak_whale_check(w, p, "free", site)) {
    pthread_mutex_unlock(&whale_lock);
    return false;
  }
  hak_track_free((void*)p);
  hak_whale_unlink(w);
  atomic_fetch_sub(&_hak_gstats.whale_bytes_current, (int64_t)_hak_whale_usable(w, p));
  size_t max_count = (size_t)(_hak_option_fast(HAK_OPT_WHALE_CACHE) > 0 ? _hak_option_fast(HAK_OPT_WHALE_CACHE) : 0);
  size_t max_bytes = (size_t)(_hak_option_fast(HAK_OPT_WHALE_CACHE_MAX_MB) > 0 ? _hak_option_fast(HAK_OPT_WHALE_CACHE_MAX_MB) : 0) << 20;
  bool cache = (uint8_t*)w == w->map_base && whale_cache_count < max_count && whale_cache_bytes + w->map_size <= max_bytes &&
               _hak_option_fast(HAK_OPT_PURGE_DELAY_MS) != 0;
  if (cache) {
    w->cached = 1;
    w->cached_at = _hak_prim_clock_ms();
    w->heap = NULL;
    w->next = whale_cache;
    whale_cache = w;
    whale_cache_count++;
    whale_cache_bytes += w->map_size;
    atomic_fetch_add(&_hak_gstats.whale_cached, 1);
    _hak_segmap_set((uintptr_t)w, 1, HAK_SEGMAP_CACHED);
  }
  pthread_mutex_unlock(&whale_lock);
  if (!cache) hak_whale_unmap(w);
  return true;
}

// Unmaps cached whales older than the purge delay (all with force). Returns
// whether whales remain cached.
bool _hak_whale_cache_flush(bool force) {
  int64_t now = _hak_prim_clock_ms();
  long delay = _hak_option_fast(HAK_OPT_PURGE_DELAY_MS);
  hak_whale_t* drop = NULL;
  pthread_mutex_lock(&whale_lock);
  for (hak_whale_t** link = &whale_cache; *link != NULL;) {
    hak_whale_t* w = *link;
    if (force || (delay >= 0 && now - w->cached_at >= delay)) {
      *link = w->next;
      whale_cache_count--;
      whale_cache_bytes -= w->map_size;
      atomic_fetch_sub(&_hak_gstats.whale_cached, 1);
      w->next = drop;
      drop = w;
    } else {
      link = &w->next;
    }
  }
  bool pending = whale_cache != NULL;
  pthread_mutex_unlock(&whale_lock);
  while (drop != NULL) {
    hak_whale_t* next = drop->next;
    hak_whale_unmap(drop);
    drop = next;
  }
  return pending;
}

// Grows or shrinks whale w (block p) to `size` bytes (size > HAK_LARGE_MAX),
// in place or by moving its pages; NULL (p untouched) when the OS refuses.
void* _hak_whale_realloc(hak_whale_t* w, void* p, size_t size, hak_site_t site) {
  pthread_mutex_lock(&whale_lock);
  if (!hak_whale_check(w, p, "realloc", site)) {
    pthread_mutex_unlock(&whale_lock);
    errno = EINVAL;
    return NULL;
  }
  size_t old_usable = _hak_whale_usable(w, p);
  size_t need = size > ((size_t)1 << 46) ? 0 : _hak_prim_page_round(w->user_offset + size) + hak_whale_guard_size();
  void* result = NULL;
  if (need == 0) {
    errno = ENOMEM;
  } else if (hak_whale_guard(w, false) != 0) {  // hardened builds: lifted for the remap, set again below
    errno = ENOMEM;
    need = 0;
  } else if (need <= w->map_size) {
    if (need < w->map_size) {
      // The 4 MiB chunks the mapping will no longer reach are unmarked before
      // the OS gets them back: once it has them, another thread may map a
      // whale there and mark them as its own.
      uintptr_t keep = ((uintptr_t)w->map_base + need + HAK_SEGMENT_MASK) & ~(uintptr_t)HAK_SEGMENT_MASK;
      uintptr_t old_end = (uintptr_t)w->map_base + w->map_size;
      if (old_end > keep) _hak_segmap_set(keep, old_end - keep, HAK_SEGMAP_NONE);
      if (_hak_prim_remap_inplace(w->map_base, w->map_size, need) == 0) {
        _hak_stat_add(&_hak_gstats.mapped_current, &_hak_gstats.mapped_peak, (int64_t)need - (int64_t)w->map_size);
        w->map_size = need;
      } else if (old_end > keep) {
        _hak_segmap_set(keep, old_end - keep, HAK_SEGMAP_INTERIOR);  // still ours
      }
    }
    w->size = size;
    result = p;
  } else if (_hak_prim_remap_inplace(w->map_base, w->map_size, need) == 0) {
    atomic_fetch_add(&_hak_gstats.mmap_calls, 1);
    _hak_stat_add(&_hak_gstats.mapped_current, &_hak_gstats.mapped_peak, (int64_t)(need - w->map_size));
    w->map_size = need;
    w->size = size;
    hak_whale_map_mark(w, true);
    result = p;
  } else if ((uint8_t*)w == w->map_base) {
    void* dest = NULL;
    if (_hak_prim_map(need, HAK_SEGMENT_SIZE, NULL, &dest) == 0) {
      size_t old_size = w->map_size;
      hak_whale_map_mark(w, false);
      if (_hak_prim_remap_to(w->map_base, old_size, need, dest) == 0) {
        hak_whale_t* nw = (hak_whale_t*)dest;  // the header moved with the pages
        nw->map_base = (uint8_t*)dest;
        nw->map_size = need;
        nw->size = size;
        if (nw->prev != NULL) nw->prev->next = nw;
        else nw->heap->whales = nw;
        if (nw->next != NULL) nw->next->prev = nw;
        hak_whale_map_mark(nw, true);
        atomic_fetch_add(&_hak_gstats.mmap_calls, 2);
        _hak_stat_add(&_hak_gstats.mapped_current, &_hak_gstats.mapped_peak, (int64_t)(need - old_size));
        result = hak_whale_block(nw);
        w = nw;
      } else {
        _hak_prim_unmap(dest, need);
        hak_whale_map_mark(w, true);
        errno = ENOMEM;
      }
    } else {
      errno = ENOMEM;
    }
  }
  if (need != 0 && hak_whale_guard(w, true) != 0) {
    // The block is intact and its size right; only its guards are missing.
    _hak_message("hardened build: the guard pages of the block at %p could not be set again (the OS refused mprotect)",
                 (void*)hak_whale_block(w));
  }
  pthread_mutex_unlock(&whale_lock);
  if (result != NULL) {
    size_t new_usable = _hak_whale_usable(w, result);
    atomic_fetch_add(&_hak_gstats.whale_bytes_current, (int64_t)new_usable - (int64_t)old_usable);
    hak_track_resize(p, result, old_usable, new_usable);
  }
  return result;
}

// Unmaps every live whale of `heap` (hak_heap_release); returns the bytes.
size_t _hak_whale_release_heap(hak_heap_t* heap) {
  size_t bytes = 0;
  pthread_mutex_lock(&whale_lock);
  hak_whale_t* list = heap->whales;
  heap->whales = NULL;
  pthread_mutex_unlock(&whale_lock);
  while (list != NULL) {
    hak_whale_t* next = list->next;
    atomic_fetch_sub(&_hak_gstats.whale_bytes_current, (int64_t)_hak_whale_usable(list, hak_whale_block(list)));
    hak_track_free(hak_whale_block(list));
    bytes += list->map_size;
    hak_whale_unmap(list);
    list = next;
  }
  return bytes;
}

// ----- Fork -----
void _hak_whale_lock(bool lock) {
  if (lock) pthread_mutex_lock(&whale_lock);
  else pthread_mutex_unlock(&whale_lock);
}

void _hak_whale_fork_child(void) {
  pthread_mutex_init(&whale_lock, NULL);
}
