/* segment.c: segments (4 MiB, 4 MiB-aligned, 64 slices of 64 KiB), the
   segment map, the cache of empty segments, and purging.

   A segment belongs to one heap; a page is a run of free slices found with a
   bit trick on the segment's free_slices word. When a page is freed its slices
   become dirty; after HAKMEM_PURGE_DELAY_MS they are purged (madvise) and
   read as zero again. A segment whose slices are all free goes to a bounded
   cache of empty segments (its map byte says CACHED, so a stale free into it
   is recognised), or back to the OS.

   Invariant: the segment map byte of a segment is its owner tld's map id
   while the segment is in a heap, HAK_SEGMAP_CACHED while cached, and
   HAK_SEGMAP_NONE once unmapped. It is written before the memory is handed
   out and before it is unmapped. */
#include <pthread.h>

#include "hak_internal.h"

// The page every empty slot points at: no free block and every flag set, so
// both fast paths fall through to the slow ones.
hak_page_t _hak_page_empty = {
    .free = NULL,
    .used_flags = 0xFFu << HAK_PAGE_FLAG_SHIFT,
};

uint8_t _hak_segmap[HAK_SEGMAP_COUNT];  // 32 MiB of bss: only the touched pages become resident

static pthread_mutex_t seg_lock = PTHREAD_MUTEX_INITIALIZER;  // the cache
static hak_segment_t* seg_cache;  // empty segments, linked by next
static size_t seg_cache_count;

#define HAK_SLICES_ALL (~(uint64_t)0)
// The slices pages may use: all of them, or in hardened builds all but the
// last, which is a guard: an overflow off the end of the segment faults
// there instead of reaching the next segment's header.
#define HAK_SLICES_USABLE (HAK_SECURE ? HAK_SLICES_ALL >> 1 : HAK_SLICES_ALL)

// ----- Hardened builds: address ranges kept for their subsystem -----
// Memory a subsystem gave back does not go back to the OS's address space,
// where the next mmap of any subsystem could get it (and a dangling pointer
// of the json heap would reach the vm's objects): its pages are released
// (mapped again inaccessible: they cost no memory) and the range is kept for
// the next segment or whale of the same subsystem. Up to HAK_KEPT_MAX bytes
// of address space; past that, ranges go back to the OS (docs/security.md).
#define HAK_KEPT_MAX ((size_t)1 << 40)
typedef struct hak_kept_s {
  uintptr_t addr;  // 4 MiB-aligned
  size_t size;
  uint8_t sub;
} hak_kept_t;
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static hak_kept_t* kept;  // kept_count ranges of kept_cap (prim pages)
static size_t kept_count, kept_cap, kept_bytes;

// Keeps [addr, addr+size) for subsystem sub; false: the caller unmaps it.
bool _hak_kept_put(uint8_t sub, void* addr, size_t size) {
  if (!HAK_SECURE) return false;
  bool ok = false;
  pthread_mutex_lock(&kept_lock);
  if (kept_count == kept_cap && kept_bytes + size <= HAK_KEPT_MAX) {
    size_t cap = kept_cap ? 2 * kept_cap : 256;
    hak_kept_t* grown = _hak_prim_pages(cap * sizeof(hak_kept_t));
    if (grown != NULL) {
      if (kept_count) memcpy(grown, kept, kept_count * sizeof(hak_kept_t));
      _hak_prim_pages_free(kept, kept_cap * sizeof(hak_kept_t));
      kept = grown;
      kept_cap = cap;
    }
  }
  if (kept_count < kept_cap && kept_bytes + size <= HAK_KEPT_MAX && _hak_prim_reserve(addr, size) == 0) {
    kept[kept_count++] = (hak_kept_t){(uintptr_t)addr, size, sub};
    kept_bytes += size;
    ok = true;
  }
  pthread_mutex_unlock(&kept_lock);
  return ok;
}

// The OS refused a mapping: with the address space full (RLIMIT_AS, or a
// small machine) the kept ranges, sized for what each subsystem freed, may
// be all that is left. They go back to the OS, which may give them to any
// subsystem: running out of address space ends the partitioning rather than
// fail the allocation (docs/security.md). Returns whether there were any.
bool _hak_kept_flush(void) {
  if (!HAK_SECURE) return false;
  pthread_mutex_lock(&kept_lock);
  bool any = kept_count != 0;
  for (size_t i = 0; i < kept_count; i++) _hak_prim_unmap((void*)kept[i].addr, kept[i].size);
  kept_count = 0;
  kept_bytes = 0;
  pthread_mutex_unlock(&kept_lock);
  return any;
}

// Fresh zeroed memory of at least `need` bytes at a 4 MiB boundary from a
// range kept for subsystem sub, its size in *size: need rounded up to the
// next 4 MiB boundary or the range's end, so that the rest stays a kept
// range of whole 4 MiB chunks and no byte of the range is lost between them.
// NULL when none fits (or the OS refuses).
void* _hak_kept_take(uint8_t sub, size_t need, size_t* size) {
  if (!HAK_SECURE) return NULL;
  void* got = NULL;
  pthread_mutex_lock(&kept_lock);
  for (size_t i = 0; i < kept_count; i++) {
    hak_kept_t* k = &kept[i];
    if (k->sub != sub || k->size < need) continue;
    uintptr_t end = k->addr + k->size, rest = (k->addr + need + HAK_SEGMENT_MASK) & ~(uintptr_t)HAK_SEGMENT_MASK;
    if (rest > end) rest = end;
    if (_hak_prim_commit((void*)k->addr, rest - k->addr) != 0) continue;
    got = (void*)k->addr;
    *size = rest - k->addr;
    kept_bytes -= rest - k->addr;
    if (rest < end) {
      k->addr = rest;
      k->size = end - rest;
    } else {
      *k = kept[--kept_count];
    }
    break;
  }
  pthread_mutex_unlock(&kept_lock);
  return got;
}

// ----- Segment map -----
void _hak_segmap_set(uintptr_t addr, size_t size, uint8_t value) {
  size_t first = addr >> HAK_SEGMENT_SHIFT;
  size_t last = (addr + size - 1) >> HAK_SEGMENT_SHIFT;
  for (size_t i = first; i <= last && i < HAK_SEGMAP_COUNT; i++) {
    __atomic_store_n(&_hak_segmap[i], value, __ATOMIC_RELEASE);
  }
}

// ----- The cache of empty segments -----
// The header takes whole OS pages, so the first page's blocks start on a page
// boundary and a purge of slice 0 covers every byte of them (a purge is by
// OS page: with a header ending mid-page, the bytes after it up to the page
// boundary were never purged, yet counted as zero).
static size_t hak_segment_header_size(void) {
  return _hak_prim_page_round(sizeof(hak_segment_t));
}

// Hardened builds: a guard page between the header and the first blocks (so
// an underflow of the first block cannot rewrite the page descriptors), and
// the last slice (HAK_SLICES_USABLE).
static int hak_segment_guard(hak_segment_t* seg) {
  if (!HAK_SECURE) return 0;
  int err = _hak_prim_guard((uint8_t*)seg + hak_segment_header_size(), _hak_prim_page_size());
  if (err == 0) err = _hak_prim_guard((uint8_t*)seg + (HAK_SLICES - 1) * HAK_SLICE_SIZE, HAK_SLICE_SIZE);
  return err;
}

static void hak_segment_unmap(hak_segment_t* seg) {
  _hak_segmap_set((uintptr_t)seg, HAK_SEGMENT_SIZE, HAK_SEGMAP_NONE);
  if (!_hak_kept_put(seg->subsys, seg, HAK_SEGMENT_SIZE)) _hak_prim_unmap(seg, HAK_SEGMENT_SIZE);
  atomic_fetch_add(&_hak_gstats.munmap_calls, 1);
  _hak_stat_add(&_hak_gstats.mapped_current, &_hak_gstats.mapped_peak, -(int64_t)HAK_SEGMENT_SIZE);
  _hak_stat_add(&_hak_gstats.segments_current, &_hak_gstats.segments_peak, -1);
}

// A cached segment for a heap of subsystem `sub`: any, or in hardened builds
// one that last served that subsystem (memory one subsystem freed is never
// handed to another: a dangling pointer of the json heap cannot reach the
// vm's objects).
static hak_segment_t* hak_segment_cache_pop(uint8_t sub) {
  pthread_mutex_lock(&seg_lock);
  hak_segment_t** link = &seg_cache;
  while (HAK_SECURE && *link != NULL && (*link)->subsys != sub) link = &(*link)->next;
  hak_segment_t* seg = *link;
  if (seg != NULL) {
    *link = seg->next;
    seg_cache_count--;
    atomic_fetch_sub(&_hak_gstats.segments_cached, 1);
  }
  pthread_mutex_unlock(&seg_lock);
  return seg;
}

// Purges cached segments whose delay has passed and unmaps those beyond the
// cache bound (all of them with force). Returns whether a cached segment still
// waits for its purge.
bool _hak_segment_cache_flush(bool force) {
  bool pending = false;
  int64_t now = _hak_prim_clock_ms();
  size_t keep = force ? 0 : (size_t)(_hak_option_fast(HAK_OPT_SEGMENT_CACHE) > 0 ? _hak_option_fast(HAK_OPT_SEGMENT_CACHE) : 0);
  hak_segment_t* drop = NULL;
  pthread_mutex_lock(&seg_lock);
  hak_segment_t** link = &seg_cache;
  size_t n = 0;
  while (*link != NULL) {
    hak_segment_t* seg = *link;
    if (n >= keep) {
      *link = seg->next;
      seg->next = drop;
      drop = seg;
      seg_cache_count--;
      atomic_fetch_sub(&_hak_gstats.segments_cached, 1);
      continue;
    }
    _hak_segment_purge(seg, now, force);
    pending |= seg->dirty_slices != 0;
    n++;
    link = &seg->next;
  }
  pthread_mutex_unlock(&seg_lock);
  while (drop != NULL) {
    hak_segment_t* next = drop->next;
    hak_segment_unmap(drop);
    drop = next;
  }
  return pending;
}

// ----- Segments -----
// Is addr in a guard page of a segment? (Hardened builds; called from the
// SIGSEGV handler, init.c: reads only memory the segment map says is ours.)
bool _hak_segment_guard_at(uintptr_t addr) {
  uint8_t v = hak_segmap_get(addr);
  if (!HAK_SECURE || v == HAK_SEGMAP_NONE || v == HAK_SEGMAP_INTERIOR || v == HAK_SEGMAP_WHALE_PREV) return false;
  uintptr_t seg = addr & ~(uintptr_t)HAK_SEGMENT_MASK, off = addr - seg, header = hak_segment_header_size();
  if (*(const uint8_t*)seg != HAK_SEG_SLICED) return false;
  return (off >= header && off < header + _hak_prim_page_size()) || off >= (HAK_SLICES - 1) * HAK_SLICE_SIZE;
}

static hak_segment_t* hak_segment_map_new(uint8_t sub, void* hint) {
  size_t size;  // a kept range gives exactly HAK_SEGMENT_SIZE: it is cut at 4 MiB boundaries
  void* mem = _hak_kept_take(sub, HAK_SEGMENT_SIZE, &size);
  if (mem == NULL && _hak_prim_map(HAK_SEGMENT_SIZE, HAK_SEGMENT_SIZE, hint, &mem) != 0 &&
      (!_hak_kept_flush() || _hak_prim_map(HAK_SEGMENT_SIZE, HAK_SEGMENT_SIZE, hint, &mem) != 0)) {
    return NULL;
  }
  atomic_fetch_add(&_hak_gstats.mmap_calls, 1);
  _hak_stat_add(&_hak_gstats.mapped_current, &_hak_gstats.mapped_peak, (int64_t)HAK_SEGMENT_SIZE);
  _hak_stat_add(&_hak_gstats.segments_current, &_hak_gstats.segments_peak, 1);
  hak_segment_t* seg = (hak_segment_t*)mem;  // fresh memory is zero: no memset (lesson of the original hakmem)
  seg->subsys = sub;
  if (hak_segment_guard(seg) != 0) {
    hak_segment_unmap(seg);
    return NULL;
  }
  seg->kind = HAK_SEG_SLICED;
  seg->first_offset = hak_segment_header_size() + (HAK_SECURE ? _hak_prim_page_size() : 0);
  seg->zero_slices = HAK_SLICES_ALL;
  seg->dirty_slices = 0;
  return seg;
}

static hak_segment_t* hak_segment_new(hak_heap_t* heap) {
  hak_segment_t* seg = hak_segment_cache_pop(heap->subsys);
  if (seg == NULL) seg = hak_segment_map_new(heap->subsys, heap->segments != NULL ? (uint8_t*)heap->segments + HAK_SEGMENT_SIZE : NULL);  // near the first: contiguous mappings
  if (seg == NULL) return NULL;
  seg->heap = heap;
  seg->map_id = heap->tld->map_id;
  seg->subsys = heap->subsys;
  seg->free_slices = HAK_SLICES_USABLE;
  for (size_t i = 0; i < HAK_SLICES; i++) seg->slice_page[i] = &_hak_page_empty;
  // Appended: page allocation searches the oldest segments first, so the
  // free (often still committed) slices they have are reused before the
  // new segment's fresh memory is touched.
  seg->next = NULL;
  seg->prev = NULL;
  if (heap->segments == NULL) {
    heap->segments = seg;
  } else {
    hak_segment_t* last = heap->segments;
    while (last->next != NULL) last = last->next;
    last->next = seg;
    seg->prev = last;
  }
  _hak_segmap_set((uintptr_t)seg, HAK_SEGMENT_SIZE, seg->map_id);
  return seg;
}

// Gives an empty segment back: to the cache, or to the OS when it is full.
void _hak_segment_release(hak_segment_t* seg) {
  hak_heap_t* heap = seg->heap;
  hak_assert_internal(seg->free_slices == HAK_SLICES_USABLE);
  heap->tld->dirty_bytes -= (int64_t)__builtin_popcountll(seg->dirty_slices) * (int64_t)HAK_SLICE_SIZE;  // the cache's now
  if (seg->prev != NULL) seg->prev->next = seg->next;
  else heap->segments = seg->next;
  if (seg->next != NULL) seg->next->prev = seg->prev;
  seg->heap = NULL;
  seg->prev = NULL;
  long bound = _hak_option_fast(HAK_OPT_SEGMENT_CACHE);
  _hak_segmap_set((uintptr_t)seg, HAK_SEGMENT_SIZE, HAK_SEGMAP_CACHED);
  // With no purge delay it is purged now, while no other thread can see it:
  // once in the cache, another thread may take it and carve pages in it.
  if (_hak_option_fast(HAK_OPT_PURGE_DELAY_MS) == 0 && bound > 0) _hak_segment_purge(seg, 0, true);
  pthread_mutex_lock(&seg_lock);
  bool cached = bound > 0 && seg_cache_count < (size_t)bound;
  if (cached) {
    seg->next = seg_cache;
    seg_cache = seg;
    seg_cache_count++;
    atomic_fetch_add(&_hak_gstats.segments_cached, 1);
  }
  pthread_mutex_unlock(&seg_lock);
  if (!cached) hak_segment_unmap(seg);
}

// Index of the lowest run of n set bits in `free` (n in 1..64), or -1.
static int hak_find_run(uint64_t free, size_t n) {
  uint64_t x = free;
  for (size_t have = 1; have < n && x != 0;) {
    size_t step = have < n - have ? have : n - have;
    x &= x >> step;
    have += step;
  }
  return x == 0 ? -1 : __builtin_ctzll(x);
}

static uint64_t hak_slice_mask(size_t index, size_t count) {
  uint64_t bits = count >= 64 ? HAK_SLICES_ALL : (((uint64_t)1 << count) - 1);
  return bits << index;
}

// A page of `slices` slices for `heap`: from one of its segments, or a new one.
hak_page_t* _hak_segment_page_alloc(hak_heap_t* heap, size_t slices) {
  hak_assert_internal(slices >= 1 && slices < HAK_SLICES);
  // Free slices that are still dirty (written, not purged) first: reusing
  // them costs no page fault, keeps the resident set from growing, and keeps
  // the thread's dirty memory under its bound. Then any free run, oldest
  // segments first.
  hak_segment_t* seg = NULL;
  int index = -1;
  if (heap->tld->dirty_bytes > 0) {
    for (seg = heap->segments; seg != NULL; seg = seg->next) {
      index = hak_find_run(seg->free_slices & seg->dirty_slices, slices);
      if (index >= 0) break;
    }
  }
  if (seg == NULL) {
    for (seg = heap->segments; seg != NULL; seg = seg->next) {
      index = hak_find_run(seg->free_slices, slices);
      if (index >= 0) break;
    }
  }
  if (seg == NULL) {
    seg = hak_segment_new(heap);
    if (seg == NULL) return NULL;
    index = hak_find_run(seg->free_slices, slices);
  }
  uint64_t mask = hak_slice_mask((size_t)index, slices);
  hak_page_t* page = &seg->pages[index];
  memset(page, 0, sizeof(*page));
  page->slice_index = (uint8_t)index;
  page->slice_count = (uint8_t)slices;
  page->is_zero_init = (seg->zero_slices & mask) == mask;
  page->heap = heap;
  size_t offset = (size_t)index * HAK_SLICE_SIZE;
  page->start = (uint8_t*)seg + (index == 0 ? seg->first_offset : offset);
  heap->tld->dirty_bytes -= (int64_t)__builtin_popcountll(seg->dirty_slices & mask) * (int64_t)HAK_SLICE_SIZE;
  heap->tld->page_bytes += (int64_t)(slices * HAK_SLICE_SIZE);
  seg->free_slices &= ~mask;
  seg->zero_slices &= ~mask;
  seg->dirty_slices &= ~mask;
  seg->dirty_old &= ~mask;
  for (size_t i = (size_t)index; i < (size_t)index + slices; i++) seg->slice_page[i] = page;
  _hak_stat_add(&_hak_gstats.pages_current, &_hak_gstats.pages_peak, 1);
  return page;
}

static void hak_segment_purge_slices(hak_segment_t* seg, uint64_t target);

// How much freed, unpurged memory a thread may hold before it purges at
// once: HAKMEM_PURGE_DIRTY_MAX_KB, or a quarter of what its pages hold, if
// that is more (a thread whose live memory swings by tens of MiB reuses what
// it freed; purging it would only fault it in again).
static int64_t hak_tld_dirty_bound(const hak_tld_t* tld, long max_kb) {
  int64_t bound = (int64_t)max_kb * 1024, quarter = tld->page_bytes / 4;
  return bound > quarter ? bound : quarter;
}

// Brings a thread's dirty memory under the bound, the memory least likely
// to be reused first: every other segment of the thread (oldest first, all
// heaps), then the rest of `seg`, and the slices `keep` (the page just
// freed, the likeliest to be reused) only if that was not enough. A thread
// that frees and reallocates blocks of hundreds of KiB so keeps the last
// one's memory instead of faulting it in again every time.
static void hak_tld_purge_to_bound(hak_tld_t* tld, hak_segment_t* seg, uint64_t keep, int64_t bound) {
  hak_heap_t* heap;
  for (HAK_HEAPS_EACH(tld, heap, it)) {
    for (hak_segment_t* o = heap->segments; o != NULL && tld->dirty_bytes > bound; o = o->next) {
      if (o != seg && o->dirty_slices != 0) hak_segment_purge_slices(o, o->dirty_slices);
    }
  }
  if (tld->dirty_bytes > bound) hak_segment_purge_slices(seg, seg->dirty_slices & ~keep);
  if (tld->dirty_bytes > 2 * bound) hak_segment_purge_slices(seg, seg->dirty_slices);
}

// Frees a page's slices; an empty segment is released.
void _hak_segment_page_free(hak_page_t* page) {
  hak_segment_t* seg = hak_segment_of(page);
  hak_heap_t* heap = page->heap;
  size_t index = page->slice_index, count = page->slice_count;
  uint64_t mask = hak_slice_mask(index, count);
  for (size_t i = index; i < index + count; i++) seg->slice_page[i] = &_hak_page_empty;
  // Only the slices the page's carved blocks reach were written: on a page
  // that started zero, the rest are still zero and cost nothing to keep (a
  // large-tier page of 63 slices often carves one block of a few hundred KiB).
  uint64_t touched = mask;
  if (page->is_zero_init) {
    size_t carved_end = (size_t)(page->start - (uint8_t*)seg) + (size_t)page->capacity * page->block_size;
    size_t reach = page->capacity == 0 ? 0 : ((carved_end - 1) >> HAK_SLICE_SHIFT) + 1 - index;  // slices written
    touched = hak_slice_mask(index, reach < count ? reach : count);
  }
  page->slice_count = 0;
  page->heap = NULL;
  seg->free_slices |= mask;
  hak_tld_t* tld = heap->tld;
  tld->dirty_bytes += (int64_t)__builtin_popcountll(touched & ~seg->dirty_slices) * (int64_t)HAK_SLICE_SIZE;
  tld->page_bytes -= (int64_t)(count * HAK_SLICE_SIZE);
  seg->dirty_slices |= touched;
  seg->zero_slices |= mask & ~touched;
  _hak_stat_add(&_hak_gstats.pages_current, &_hak_gstats.pages_peak, -1);
  long delay = _hak_option_fast(HAK_OPT_PURGE_DELAY_MS);
  long max_kb = _hak_option_fast(HAK_OPT_PURGE_DIRTY_MAX_KB);
  if (seg->dirty_slices != 0) {
    if (delay == 0) {
      _hak_segment_purge(seg, 0, true);
    } else if (delay > 0 && max_kb >= 0 && !tld->abandoned && tld->dirty_bytes > hak_tld_dirty_bound(tld, max_kb)) {
      // Past the bound, freed memory goes back now: the delay only saves
      // page faults for memory that is about to be reused, and a thread
      // holding more than the bound is not about to reuse it all. Not for
      // the memory of an exited thread: under thread churn the next thread
      // adopts it within the delay, warm (else the purger purges it).
      hak_tld_purge_to_bound(tld, seg, touched, hak_tld_dirty_bound(tld, max_kb));
    }
    if (delay > 0 && seg->dirty_slices != 0 && seg->purge_at == 0) {  // what is left waits for its tick
      seg->purge_at = _hak_prim_clock_ms() + delay;
      if (tld->next_purge == 0 || seg->purge_at < tld->next_purge) tld->next_purge = seg->purge_at;
    }
  }
  if (seg->free_slices == HAK_SLICES_USABLE) _hak_segment_release(seg);
}

// Purges the slices of a segment that have been free and dirty for at
// least the purge delay (with force: every dirty slice, now). Ticks come one
// delay apart: a tick purges the slices that were already dirty at the
// previous tick and were not reused since (dirty_old), and remembers the
// rest for the next one. So a slice is purged between one and two delays
// after it was freed, and memory that is freed and reused within the delay
// (a thread churning big blocks, threads started and ended in rounds) is
// never purged and faulted in again. The header's own page in slice 0 is
// never purged.
// madvises the slices of `target` (dirty ones of seg) and marks them zero.
// A run the OS refused to purge stays dirty: its memory still holds what was
// written there, so it must not be handed out as zero (calloc skips the
// memset of zero slices); it is tried again at a later tick.
static void hak_segment_purge_slices(hak_segment_t* seg, uint64_t target) {
  size_t os_page = _hak_prim_page_size();
  for (uint64_t dirty = target; dirty != 0;) {
    size_t i = (size_t)__builtin_ctzll(dirty);
    uint64_t rest = ~(dirty >> i);  // ones where the run of dirty slices from i ends
    size_t n = rest != 0 ? (size_t)__builtin_ctzll(rest) : 64;
    uint8_t* from = (uint8_t*)seg + i * HAK_SLICE_SIZE;
    uint8_t* to = (uint8_t*)seg + (i + n) * HAK_SLICE_SIZE;
    if (i == 0) from = (uint8_t*)seg + ((seg->first_offset + os_page - 1) & ~(os_page - 1));
    if (to > from) {
      if (_hak_prim_purge(from, (size_t)(to - from)) == 0) {
        atomic_fetch_add(&_hak_gstats.purged_bytes, (int64_t)(to - from));
      } else {
        target &= ~hak_slice_mask(i, n);
      }
    }
    dirty &= ~hak_slice_mask(i, n);
  }
  if (seg->heap != NULL) {  // a heap's segment (not a cached one): its tld's account shrinks
    seg->heap->tld->dirty_bytes -= (int64_t)__builtin_popcountll(target) * (int64_t)HAK_SLICE_SIZE;
  }
  seg->zero_slices |= target;
  seg->dirty_slices &= ~target;
  seg->dirty_old &= ~target;
}

void _hak_segment_purge(hak_segment_t* seg, int64_t now, bool force) {
  if (seg->dirty_slices == 0) return;
  long delay = _hak_option_fast(HAK_OPT_PURGE_DELAY_MS);
  if (!force && (delay < 0 || now < seg->purge_at)) return;
  hak_segment_purge_slices(seg, force ? seg->dirty_slices : seg->dirty_slices & seg->dirty_old);
  seg->dirty_old = seg->dirty_slices;
  seg->purge_at = seg->dirty_slices == 0 ? 0 : (now > 0 ? now : _hak_prim_clock_ms()) + (delay > 0 ? delay : 0);
}

// ----- Fork -----
void _hak_segment_lock(bool lock) {
  if (lock) {
    pthread_mutex_lock(&seg_lock);
    pthread_mutex_lock(&kept_lock);
  } else {
    pthread_mutex_unlock(&kept_lock);
    pthread_mutex_unlock(&seg_lock);
  }
}

void _hak_segment_fork_child(void) {
  pthread_mutex_init(&seg_lock, NULL);
  pthread_mutex_init(&kept_lock, NULL);
}
