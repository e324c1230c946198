/* page.c: the allocation slow path, pages and their queues.

   A heap keeps, per size class, a queue of pages that may have free blocks;
   its first page is the one the fast path allocates from, reached for tiny
   sizes through heap->direct[(size+7)/8]. When that page's `free` list runs
   dry, _hak_alloc_generic: applies the heap's notices (remote frees into
   pages parked as full), moves the page's local_free list to free, or else
   takes the blocks other threads freed into it (one atomic exchange), or
   carves more blocks from the page's untouched tail; pages with nothing to
   give are parked in the heap's full list; finally it takes a fresh page
   from a segment.

   Invariant: for a tiny class c, every direct[] entry whose size maps to c
   points at queues[c].first, or at _hak_page_empty when the queue is empty or
   the thread is in checked mode (then every allocation comes here; with
   profiling on, heap->fast_limit is 0 instead and the table stays valid for
   alloc.c's profiled path). A page in the full list has HAK_PAGE_IN_FULL set, so a local free to
   it takes the slow path and puts it back in its queue. */
#include "hak_internal.h"

#define HAK_CS4(c) HAK_CLASS_SIZE(c), HAK_CLASS_SIZE(c + 1), HAK_CLASS_SIZE(c + 2), HAK_CLASS_SIZE(c + 3)
_Static_assert(HAK_CLASS_COUNT == 64, "the table below lists 64 classes");
const uint32_t _hak_class_size[HAK_CLASS_COUNT] = {
    HAK_CS4(0),  HAK_CS4(4),  HAK_CS4(8),  HAK_CS4(12), HAK_CS4(16), HAK_CS4(20), HAK_CS4(24), HAK_CS4(28),
    HAK_CS4(32), HAK_CS4(36), HAK_CS4(40), HAK_CS4(44), HAK_CS4(48), HAK_CS4(52), HAK_CS4(56), HAK_CS4(60),
};

#define HAK_EXTEND_BYTES 4096  // carve about this much of a page's fresh memory at a time

// Slices per page for a class: room for its tier's blocks per page (HAK_TIERS), within a segment.
static size_t hak_class_slices(size_t cls) {
#define HAK_TIER_BLOCKS_(t, max, last, blocks, field) (blocks),
  static const uint8_t tier_blocks[] = {HAK_TIERS(HAK_TIER_BLOCKS_)};
  size_t bsize = _hak_class_size[cls];
  size_t min_blocks = tier_blocks[hak_class_tier(cls)];
  size_t n = (min_blocks * bsize + HAK_SLICE_SIZE - 1) / HAK_SLICE_SIZE;
  return n < 1 ? 1 : n > HAK_SLICES - 1 ? HAK_SLICES - 1 : n;
}

// ----- Page queues and the direct table -----
static void hak_direct_update(hak_heap_t* heap, size_t cls) {
  if (cls > HAK_CLASS_TINY_LAST) return;
  hak_page_t* page = heap->queues[cls].first;
  hak_tld_t* tld = heap->tld;
  if (page == NULL || tld->checked) page = &_hak_page_empty;
  size_t lo = cls == 0 ? 0 : _hak_class_size[cls - 1] / 8 + 1;
  size_t hi = _hak_class_size[cls] / 8;
  for (size_t w = lo; w <= hi; w++) heap->direct[w] = page;
}

static void hak_queue_remove(hak_heap_t* heap, hak_page_queue_t* q, hak_page_t* page) {
  bool was_first = q->first == page;
  if (page->prev != NULL) page->prev->next = page->next;
  else q->first = page->next;
  if (page->next != NULL) page->next->prev = page->prev;
  else q->last = page->prev;
  page->next = page->prev = NULL;
  if (was_first) hak_direct_update(heap, page->size_class);
}

static void hak_queue_push_front(hak_heap_t* heap, hak_page_queue_t* q, hak_page_t* page) {
  page->prev = NULL;
  page->next = q->first;
  if (q->first != NULL) q->first->prev = page;
  else q->last = page;
  q->first = page;
  hak_direct_update(heap, page->size_class);
}

static void hak_queue_push_back(hak_heap_t* heap, hak_page_queue_t* q, hak_page_t* page) {
  page->next = NULL;
  page->prev = q->last;
  if (q->last != NULL) q->last->next = page;
  else q->first = page;
  q->last = page;
  if (q->first == page) hak_direct_update(heap, page->size_class);
}

static void hak_page_to_full(hak_heap_t* heap, hak_page_t* page) {
  hak_queue_remove(heap, &heap->queues[page->size_class], page);
  hak_page_flag_set(page, HAK_PAGE_IN_FULL);
  page->next = heap->full;
  if (heap->full != NULL) heap->full->prev = page;
  heap->full = page;
}

// Parks a page with nothing to give in the full list, unless another thread
// freed a block into it meanwhile (then false: collect that instead). From
// here on, the first remote free into it goes through the heap's notices.
static bool hak_page_try_full(hak_heap_t* heap, hak_page_t* page) {
  uintptr_t empty = 0;
  if (!atomic_compare_exchange_strong_explicit(&page->xthread_free, &empty, HAK_XF_FULL, memory_order_acq_rel,
                                               memory_order_relaxed)) {
    return false;
  }
  hak_page_to_full(heap, page);
  return true;
}

static void hak_page_unfull(hak_heap_t* heap, hak_page_t* page) {
  if (page->prev != NULL) page->prev->next = page->next;
  else heap->full = page->next;
  if (page->next != NULL) page->next->prev = page->prev;
  hak_page_flag_clear(page, HAK_PAGE_IN_FULL);
  // Back in its queue: remote frees go onto the page's list again. The CAS
  // fails when a remote free already claimed the bit (its notice is on the way).
  uintptr_t full = HAK_XF_FULL;
  atomic_compare_exchange_strong_explicit(&page->xthread_free, &full, 0, memory_order_acq_rel, memory_order_relaxed);
  hak_queue_push_back(heap, &heap->queues[page->size_class], page);
}

void _hak_heap_queues_reset(hak_heap_t* heap) {
  memset(heap->queues, 0, sizeof(heap->queues));
  heap->full = NULL;
  for (size_t w = 0; w < HAK_DIRECT_COUNT; w++) heap->direct[w] = &_hak_page_empty;
}

// ----- Pages -----
static void hak_page_init(hak_tld_t* tld, hak_page_t* page, size_t cls, bool checked) {
  hak_segment_t* seg = hak_segment_of(page);
  uint8_t* end = (uint8_t*)seg + (size_t)(page->slice_index + page->slice_count) * HAK_SLICE_SIZE;
  page->size_class = (uint8_t)cls;
  page->block_size = _hak_class_size[cls];
  if (HAK_SECURE) page->div_magic = (uint32_t)((((uint64_t)1 << 32) + page->block_size - 1) / page->block_size);
  if (HAK_SECURE || checked) {  // keys stay 0 otherwise (the segment zeroed the descriptor): plain links
    page->keys[0] = page->xkeys[0] = hak_secure_random(tld);
    page->keys[1] = page->xkeys[1] = hak_secure_random(tld);
  }
  page->reserved = (uint32_t)((size_t)(end - page->start) / page->block_size);
  page->capacity = 0;
  page->used_flags = checked ? (uint32_t)HAK_PAGE_CHECKED << HAK_PAGE_FLAG_SHIFT : 0;
  page->has_checked = checked;
  hak_track_noaccess(page->start, (size_t)(end - page->start));
}

// A checked page's fresh blocks, carved in order with plain links: encoded.
static HAK_NOINLINE void hak_page_encode_fresh(const hak_page_t* page, uint8_t* first, size_t n) {
  for (size_t i = 0; i < n; i++) {
    hak_block_t* b = (hak_block_t*)(first + i * page->block_size);
    hak_track_defined(b, sizeof(*b));
    b->next = hak_link_encode(page->keys, b->next);
    hak_track_noaccess(b, sizeof(*b));
  }
}

// Hardened builds: the n fresh blocks from `first` go on the free list from
// a random one of them on, in address order, wrapping around to the first:
// which block of a fresh page an allocation gets cannot be predicted.
static void hak_page_extend_rotated(hak_tld_t* tld, hak_page_t* page, uint8_t* first, size_t n) {
  size_t bsize = page->block_size, start = (size_t)(hak_secure_random(tld) % n);
  hak_block_t* prev = NULL;
  for (size_t k = n; k-- > 0;) {  // from the last block of the order to the first
    size_t i = start + k < n ? start + k : start + k - n;
    hak_block_t* b = (hak_block_t*)(first + i * bsize);
    hak_track_undefined(b, sizeof(*b));
    hak_link_set(page, b, prev);
    hak_track_noaccess(b, sizeof(*b));
    prev = b;
  }
  page->free = prev;
}

// Carves blocks from the page's untouched tail onto its (empty) free list:
// HAK_EXTEND_BYTES at first, then as much as is carved already, up to four
// times that (so a page that is used a lot comes to the slow path a quarter
// as often, and one that is not touches no more memory than before).
static void hak_page_extend(hak_tld_t* tld, hak_page_t* page) {
  size_t bsize = page->block_size;
  size_t n = page->reserved - page->capacity;
  size_t carved = (size_t)page->capacity * bsize;
  size_t bytes = carved < HAK_EXTEND_BYTES ? HAK_EXTEND_BYTES : carved < 4 * HAK_EXTEND_BYTES ? carved : 4 * HAK_EXTEND_BYTES;
  size_t max = bytes / bsize;
  if (max < 1) max = 1;
  if (n > max) n = max;
  uint8_t* first = page->start + (size_t)page->capacity * bsize;
  if (HAK_SECURE && n >= 16) {  // fewer: carved in order
    hak_page_extend_rotated(tld, page, first, n);
  } else {
    for (size_t i = 0; i < n; i++) {
      hak_block_t* b = (hak_block_t*)(first + i * bsize);
      hak_track_undefined(b, sizeof(*b));
      b->next = i + 1 < n ? (hak_block_t*)(first + (i + 1) * bsize) : NULL;
      hak_track_noaccess(b, sizeof(*b));
    }
    page->free = (hak_block_t*)first;
    if hak_unlikely(hak_page_keyed(page)) hak_page_encode_fresh(page, first, n);  // a checked page
  }
  page->capacity += (uint32_t)n;
  page->free_is_zero = page->is_zero_init;
}

// Moves the blocks other threads freed into the page onto its local_free
// list: one exchange, then a walk that counts them (their links are encoded
// with the page's keys already, by the threads that pushed them); the walk
// reads blocks the owner is about to reuse.
// Returns whether there were any. Owner only, page not parked as full with
// an empty list (the exchange would clear HAK_XF_FULL).
static bool hak_page_take_remote(hak_page_t* page) {
  if ((atomic_load_explicit(&page->xthread_free, memory_order_relaxed) & ~HAK_XF_MASK) == 0) return false;
  // Non-empty, so HAK_XF_FULL is clear, and only the owner sets it.
  hak_block_t* list = (hak_block_t*)atomic_exchange_explicit(&page->xthread_free, 0, memory_order_acquire);
  hak_hb_after(&page->xthread_free);
  uint32_t n = 1;
  hak_block_t* tail = list;
  for (;;) {
    hak_track_defined(tail, sizeof(*tail));
    hak_block_t* next = hak_link_get(page, tail);
    if (next == NULL) break;
    if hak_unlikely((HAK_SECURE || page->has_checked) && (!hak_link_near(tail, next) || n >= page->reserved)) {
      hak_secure_fail("free list corrupted (a block freed by another thread was written to)", tail);
    }
    hak_track_noaccess(tail, sizeof(*tail));
    tail = next;
    n++;
  }
  hak_link_set(page, tail, page->local_free);
  hak_track_noaccess(tail, sizeof(*tail));
  page->local_free = list;
  hak_assert_internal(hak_page_used(page) >= n);
  page->used_flags -= n;
  return true;
}

// Makes page->free non-empty if the page has any block to give; returns
// whether it has.
static bool hak_page_collect(hak_page_t* page) {
  if (page->free != NULL) return true;
  if (page->local_free != NULL || hak_page_take_remote(page)) {
    page->free = page->local_free;
    page->local_free = NULL;
    page->free_is_zero = false;
    return true;
  }
  if (page->capacity < page->reserved) {
    hak_page_extend(page->heap->tld, page);
    return true;
  }
  return false;
}

// The page to allocate a block of class cls from, or NULL when out of memory.
static hak_page_t* hak_heap_page_for(hak_heap_t* heap, size_t cls) {
  hak_page_queue_t* q = &heap->queues[cls];
  for (hak_page_t* page = q->first; page != NULL;) {
    hak_page_t* next = page->next;
    if (hak_page_collect(page) || (!hak_page_try_full(heap, page) && hak_page_collect(page))) {
      if (page != q->first) {
        hak_queue_remove(heap, q, page);
        hak_queue_push_front(heap, q, page);
      }
      return page;
    }
    page = next;
  }
  hak_page_t* page = _hak_segment_page_alloc(heap, hak_class_slices(cls));
  if (page == NULL) return NULL;
  hak_page_init(heap->tld, page, cls, heap->tld->checked);
  hak_page_extend(heap->tld, page);
  hak_queue_push_front(heap, q, page);
  return page;
}

// The start of the block containing p (p inside the page's carved blocks).
uint8_t* _hak_page_block_start(const hak_page_t* page, const void* p) {
  size_t off = (size_t)((const uint8_t*)p - page->start);
  return page->start + off - off % page->block_size;
}

// ----- Freeing into a page (owner thread, slow path) -----
void _hak_page_free_local(hak_page_t* page, hak_block_t* block) {
  hak_heap_t* heap = page->heap;
  hak_link_set(page, block, page->local_free);
  hak_track_noaccess(block, sizeof(*block));
  page->local_free = block;
  page->used_flags--;
  if (hak_page_flags(page) & HAK_PAGE_IN_FULL) hak_page_unfull(heap, page);
  if (hak_page_used(page) == 0) _hak_page_retire(page, true);
}

// An empty page leaves its queue and gives its slices back, unless it is the
// only page of its class and keep_last is set (so a heap that allocates and
// frees one block in a loop does not map and purge a page each time).
void _hak_page_retire(hak_page_t* page, bool keep_last) {
  hak_heap_t* heap = page->heap;
  hak_page_queue_t* q = &heap->queues[page->size_class];
  hak_assert_internal(hak_page_used(page) == 0);
  if (keep_last && q->first == page && page->next == NULL) return;
  if (hak_page_flags(page) & HAK_PAGE_IN_FULL) {
    hak_page_unfull(heap, page);
  }
  hak_queue_remove(heap, q, page);
  _hak_segment_page_free(page);
}

// ----- Cross-thread frees -----
// Applies the notices: the first remote frees into pages parked as full
// (each puts its page back in its queue).
void _hak_heap_drain_notices(hak_heap_t* heap) {
  hak_block_t* b = atomic_exchange_explicit(&heap->xthread_notice, NULL, memory_order_acquire);
  hak_hb_after(&heap->xthread_notice);
  while (b != NULL) {
    hak_track_defined(b, sizeof(*b));
    hak_page_t* page = hak_page_of(hak_segment_of(b), b);
    hak_block_t* next = hak_link_get(page, b);  // encoded with b's page's keys, whatever page comes next
    _hak_page_free_local(page, b);
    b = next;
  }
}

// Every remote free the heap has received, applied: the notices, then each
// queued page's list (a parked page's list stays empty until its notice).
void _hak_heap_take_remote(hak_heap_t* heap) {
  _hak_heap_drain_notices(heap);
  for (size_t cls = 0; cls < HAK_CLASS_COUNT; cls++) {
    for (hak_page_t* page = heap->queues[cls].first; page != NULL; page = page->next) hak_page_take_remote(page);
  }
}

// Applies remote frees and frees empty pages: HAK_COLLECT_NORMAL keeps
// each class's last page, the others free them all. Then purges what is due
// (HAK_COLLECT_FORCE: everything now). Returns whether dirty memory is left
// waiting for its purge delay.
bool _hak_heap_collect(hak_heap_t* heap, hak_collect_t mode) {
  _hak_heap_drain_notices(heap);
  for (size_t cls = 0; cls < HAK_CLASS_COUNT; cls++) {
    for (hak_page_t* page = heap->queues[cls].first; page != NULL;) {
      hak_page_t* next = page->next;
      hak_page_take_remote(page);
      if (hak_page_used(page) == 0) _hak_page_retire(page, mode == HAK_COLLECT_NORMAL);
      page = next;
    }
  }
  int64_t now = _hak_prim_clock_ms();
  bool pending = false;
  for (hak_segment_t* seg = heap->segments; seg != NULL; seg = seg->next) {
    _hak_segment_purge(seg, now, mode == HAK_COLLECT_FORCE);
    pending |= seg->dirty_slices != 0;
  }
  return pending;
}

// ----- The allocation slow path: a block of a page -----
// A block of `size` bytes (the checked trailer included) for a request of
// `request` from the heap's pages (heap.c's _hak_alloc_generic decides that
// pages serve it); NULL with ENOMEM.
void* _hak_page_alloc(hak_heap_t* heap, size_t size, size_t request, hak_site_t site, bool zero) {
  hak_tld_t* tld = heap->tld;
  size_t cls = hak_size_class(size);
  hak_page_t* page = hak_heap_page_for(heap, cls);
  if hak_unlikely(page == NULL) {
    errno = ENOMEM;
    return NULL;
  }
  hak_block_t* block = page->free;
  hak_track_defined(block, sizeof(*block));
  hak_block_t* next;
  if (!hak_page_keyed(page)) {
    next = block->next;
  } else if (HAK_SECURE) {
    next = hak_secure_pop_next(page, block);
  } else {  // a checked page
    next = hak_link_decode(page->keys, block->next);
    if hak_unlikely(next != NULL && !hak_page_is_block(page, next)) {
      _hak_check_fail("free list corrupted (a freed block was written to)", block, (int)cls, site);
    }
  }
  page->free = next;
  page->used_flags++;
  heap->tier_alloc[hak_class_tier(cls)]++;
  hak_track_malloc(block, page->block_size, zero);
  if (zero) {
    if (page->free_is_zero) block->next = NULL;
    else memset(block, 0, request);
  }
  if (tld->checked) _hak_check_arm(page, (uint8_t*)block, request, site);
  return block;
}

// ----- Checked mode -----
// Writes the trailer and the fill after the `request` bytes of a new block.
void _hak_check_arm(hak_page_t* page, uint8_t* block, size_t request, hak_site_t site) {
  hak_check_pad_t* pad = hak_check_pad(page, block);
  memset(block + request, HAK_CHECK_FILL, (size_t)((uint8_t*)pad - (block + request)));
  pad->size = (uint32_t)request;
  pad->site = site;
  pad->canary = hak_check_canary(block);
}

// Verifies a checked block being freed (p: the pointer given, block: its
// start) and marks it freed; aborts with a distinct message on misuse.
void _hak_check_free(hak_page_t* page, uint8_t* block, const void* p, hak_site_t site) {
  hak_check_pad_t* pad = hak_check_pad(page, block);
  uint64_t canary = hak_check_canary(block);
  int cls = page->size_class;
  if (pad->canary == (canary ^ HAK_CHECK_FREED)) _hak_check_fail("double free", p, cls, pad->site);
  if (pad->canary != canary || pad->size > page->block_size - HAK_CHECK_PAD) {
    _hak_check_fail("heap overflow: the block's trailer was overwritten (write past the requested size)", p, cls, site);
  }
  for (const uint8_t* c = block + pad->size; c < (uint8_t*)pad; c++) {
    if (*c != HAK_CHECK_FILL) _hak_check_fail("heap overflow: write past the requested size", p, cls, pad->site);
  }
  pad->canary = canary ^ HAK_CHECK_FREED;
}

// ----- Misuse reports (checked mode's findings) -----
void _hak_check_fail(const char* what, const void* p, int size_class, hak_site_t site) {
  if (size_class >= 0) {
    _hak_fatal("checked mode: %s: %p (size class %d, %u bytes, site %s); aborting", what, p, size_class,
               _hak_class_size[size_class], _hak_site_label(site));
  }
  _hak_fatal("checked mode: %s: %p (site %s); aborting", what, p, _hak_site_label(site));
}
