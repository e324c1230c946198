/* heap.c: thread states (tld) and their heaps: acquisition, abandonment at
   thread exit, adoption by new threads, periodic work, bulk release.

   A tld is mapped once and never freed. A thread gets one at its first
   allocation: an abandoned one if any (adopting its pages, live blocks and
   pending cross-thread frees as they are), else a new one. When the thread
   exits, its tld gives back every empty page and segment, purges, and joins
   the abandoned list; frees that other threads make meanwhile still land on
   its pages' xthread_free lists, and are applied by the next owner or by
   hak_collect. So under thread churn the number of tlds stays at the peak
   number of live threads and nothing leaks.

   Each tld has a small id (1..HAK_TLD_ID_MAX) written in the segment map for
   its segments; the free fast path compares it with the caller's. Beyond
   HAK_TLD_ID_MAX live tlds, or in checked mode, a tld's segments are marked
   HAK_SEGMAP_SLOW and its frees all take the slow path. */
#define _GNU_SOURCE  // pthread_timedjoin_np
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "hak_internal.h"

// Every thread starts here (no check for initialization on any fast path):
// every heap of the empty tld has fast_limit 0 and no tld, and its fast ids
// match no segment, so the first allocation and the first free of a thread
// take the slow paths, which acquire a real tld.
hak_tld_t _hak_tld_empty = {
    .fast_id = HAK_TLD_ID_NEVER,
    .fast_id_at = HAK_TLD_ID_NEVER,
    .map_id = HAK_SEGMAP_SLOW,
};

__thread hak_tld_t* _hak_tld HAK_TLS_IE = &_hak_tld_empty;

static pthread_mutex_t tld_lock = PTHREAD_MUTEX_INITIALIZER;  // tld_abandoned, tld_next_id
static hak_tld_t* tld_abandoned;
static unsigned tld_next_id = 1;

// ----- Heaps -----
// The fast paths' fields of a heap, from its tld's modes: checked mode sends
// every allocation to the slow path (and the direct table stays empty),
// profiling sends hak_alloc_at's (exact counts) and keeps malloc's fast path
// with its sample countdown.
static void hak_heap_modes(hak_heap_t* heap) {
  const hak_tld_t* tld = heap->tld;
  heap->malloc_limit = tld->checked ? 0 : HAK_TINY_MAX + 1;
  heap->fast_limit = tld->profiling ? 0 : heap->malloc_limit;
  heap->profiling = tld->profiling;
  heap->mid_fast = heap->fast_limit != 0;
  heap->malloc_mid = heap->malloc_limit != 0;
}

// The fast paths' fields of a tld and its heaps, from its checked mode and
// the process's profiling: free's fast ids (hak_free_at's matches nothing
// while profiling counts its calls) and each heap's limits.
void _hak_tld_modes(hak_tld_t* tld) {
  tld->profiling = _hak_profile_tld(tld);
  tld->fast_id = !tld->checked && tld->map_id <= HAK_TLD_ID_MAX ? tld->map_id : HAK_TLD_ID_NEVER;
  tld->fast_id_at = tld->profiling ? HAK_TLD_ID_NEVER : tld->fast_id;
  hak_heap_t* heap;
  for (HAK_HEAPS_EACH(tld, heap, it)) hak_heap_modes(heap);
}

static hak_heap_t* hak_heap_setup(hak_tld_t* tld, hak_subsys_t sub) {
  hak_heap_t* heap = hak_heap_of(tld, sub);
  heap->tld = tld;
  heap->subsys = (uint8_t)sub;
  _hak_heap_queues_reset(heap);
  hak_heap_modes(heap);
  tld->heaps_used |= 1u << sub;
  return heap;
}

hak_heap_t* _hak_heap_setup_for(hak_site_t site) {
  hak_tld_t* tld = _hak_tld;
  if hak_unlikely(tld == &_hak_tld_empty) {
    tld = _hak_tld_acquire();
    if (tld == NULL) {
      errno = ENOMEM;
      return NULL;
    }
  }
  hak_heap_t* heap = hak_heap_for_site(tld, site);
  if hak_unlikely(heap->tld == NULL) {
    hak_subsys_t sub = hak_site_subsys(site);
    if (!_hak_subsys_registered(sub)) {
      errno = EINVAL;
      return NULL;
    }
    hak_heap_setup(tld, sub);
  }
  return heap;
}

// ----- Acquire -----
static hak_tld_t* hak_tld_new(void) {
  void* mem = NULL;
  size_t size = _hak_prim_page_round(sizeof(hak_tld_t));
  if (_hak_prim_map(size, HAK_HEAP_ALIGN, NULL, &mem) != 0) return NULL;
  atomic_fetch_add(&_hak_gstats.mmap_calls, 1);
  hak_tld_t* tld = (hak_tld_t*)mem;  // zero-filled by the OS
  tld->checked = _hak_option_fast(HAK_OPT_CHECK) != 0;
  hak_heap_setup(tld, HAK_SUBSYS_DEFAULT);  // the others when the thread first allocates in them
  pthread_mutex_lock(&tld_lock);
  unsigned id = tld_next_id <= HAK_TLD_ID_MAX ? tld_next_id++ : 0;
  pthread_mutex_unlock(&tld_lock);
  if (id == 0 || tld->checked) {
    tld->map_id = HAK_SEGMAP_SLOW;
    tld->fast_id = HAK_TLD_ID_NEVER;
  } else {
    tld->map_id = tld->fast_id = (uint8_t)id;
  }
  _hak_tld_list_add(tld);
  return tld;
}

hak_tld_t* _hak_tld_acquire(void) {
  return _hak_tld_acquire_for(HAK_SEGMAP_NONE);
}

// owner: the segment map id of a block the thread is about to free (its
// first call is a free), or HAK_SEGMAP_NONE. If that block's tld is
// abandoned, the thread adopts it: a thread that takes over an exited one's
// blocks (larson's successor threads, a worker that replaces another) then
// frees them as its own, on the fast path, instead of into pages another
// thread adopted. Otherwise the most recently abandoned tld (warmest), or a
// new one.
hak_tld_t* _hak_tld_acquire_for(uint8_t owner) {
  pthread_mutex_lock(&tld_lock);
  hak_tld_t** link = &tld_abandoned;
  if (owner != HAK_SEGMAP_NONE) {
    while (*link != NULL && (*link)->map_id != owner) link = &(*link)->next_abandoned;
    if (*link == NULL) link = &tld_abandoned;
  }
  hak_tld_t* tld = *link;
  if (tld != NULL) {
    *link = tld->next_abandoned;
    tld->next_abandoned = NULL;
  }
  pthread_mutex_unlock(&tld_lock);
  if (tld != NULL) {
    atomic_fetch_sub(&_hak_gstats.threads_abandoned, 1);
  } else {
    tld = hak_tld_new();
    if (tld == NULL) return NULL;
  }
  tld->abandoned = false;
  _hak_tld_modes(tld);  // the fast paths' fields
  atomic_fetch_add(&_hak_gstats.threads_current, 1);
  _hak_tld = tld;               // before the key: pthread_setspecific may itself allocate
  _hak_prim_thread_key_set(tld);
  return tld;
}

// ----- The allocation slow path -----
// Past the fast paths and their refill: the periodic work every 64 calls, the
// heap's notices, then a whale for large requests or a block of a page.
// heap: set up (alloc.c's callers get it through hak_heap_get).
void* _hak_alloc_generic(hak_heap_t* heap, size_t size, hak_site_t site, bool zero) {
  hak_tld_t* tld = heap->tld;
  if hak_unlikely(++tld->generic_count >= 64) _hak_tld_periodic(tld);
  if (atomic_load_explicit(&heap->xthread_notice, memory_order_relaxed) != NULL) _hak_heap_drain_notices(heap);
  size_t request = size;
  // Checked blocks end with a trailer; one that has no room for it in a page is a whale.
  if (tld->checked) size = size <= HAK_LARGE_MAX - HAK_CHECK_PAD ? (size < 8 ? 8 : size) + HAK_CHECK_PAD : SIZE_MAX;
  if hak_unlikely(size > HAK_LARGE_MAX) return _hak_whale_alloc(heap, request, 0, zero, site);
  return _hak_page_alloc(heap, size, request, site, zero);
}

// ----- The purger -----
// Memory that exited threads left dirty, and the caches of empty segments and
// whales, must go back to the OS after the purge delay even when no thread
// allocates any more. A detached thread, started at the first thread exit,
// sleeps until kicked, then wakes every purge delay until nothing is pending.
static pthread_mutex_t purger_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t purger_cond;  // CLOCK_MONOTONIC, made when the purger starts
static pthread_t purger_thread;
static bool purger_started;
static bool purger_pending;
static bool purger_stop;  // the library is being unloaded: the purger returns

// How to collect an abandoned tld: keep each class's last empty page while
// it is young (a new thread may adopt it within the purge delay), free every
// empty page once it has waited the delay.
static hak_collect_t hak_abandoned_mode(const hak_tld_t* tld, int64_t now) {
  long delay = _hak_option_fast(HAK_OPT_PURGE_DELAY_MS);
  return delay >= 0 && now - tld->abandoned_at < delay ? HAK_COLLECT_NORMAL : HAK_COLLECT_ABANDON;
}

// One pass: apply frees that reached abandoned tlds, purge what is due.
// Returns whether anything is left for a later pass.
static bool hak_purge_pass(void) {
  bool pending = false;
  pthread_mutex_lock(&tld_lock);
  int64_t now = _hak_prim_clock_ms();
  for (hak_tld_t* tld = tld_abandoned; tld != NULL; tld = tld->next_abandoned) {
    hak_collect_t mode = hak_abandoned_mode(tld, now);
    pending |= mode == HAK_COLLECT_NORMAL;  // its turn to give empty pages back comes later
    hak_heap_t* heap;
    for (HAK_HEAPS_EACH(tld, heap, it)) {
      if (heap->segments != NULL) pending |= _hak_heap_collect(heap, mode);
    }
  }
  pthread_mutex_unlock(&tld_lock);
  pending |= _hak_segment_cache_flush(false);
  pending |= _hak_whale_cache_flush(false);
  return pending;
}

// Waits on purger_cond (purger_lock held) until kicked, stopped, or `ms`
// milliseconds have passed (ms < 0: no time limit).
static void hak_purger_wait(long ms) {
  if (ms < 0) {
    pthread_cond_wait(&purger_cond, &purger_lock);
    return;
  }
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += (time_t)(ms / 1000);
  ts.tv_nsec += (ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
  pthread_cond_timedwait(&purger_cond, &purger_lock, &ts);
}

static void* hak_purger_main(void* arg) {
  (void)arg;
  pthread_mutex_lock(&purger_lock);
  while (!purger_stop) {
    if (!purger_pending) {
      hak_purger_wait(-1);
      continue;
    }
    purger_pending = false;
    bool more = true;
    while (more && !purger_stop) {
      long delay = _hak_option_fast(HAK_OPT_PURGE_DELAY_MS);
      if (delay < 0) break;
      // One delay (and a millisecond, so that what was due is due), then a pass.
      int64_t until = _hak_prim_clock_ms() + delay + 1;
      for (int64_t now = _hak_prim_clock_ms(); now < until && !purger_stop; now = _hak_prim_clock_ms()) {
        hak_purger_wait((long)(until - now));
      }
      if (purger_stop) break;
      pthread_mutex_unlock(&purger_lock);
      more = hak_purge_pass();
      pthread_mutex_lock(&purger_lock);
    }
  }
  pthread_mutex_unlock(&purger_lock);
  return NULL;
}

static void hak_purger_kick(void) {
  if (_hak_option_fast(HAK_OPT_PURGE_DELAY_MS) < 0) return;
  pthread_mutex_lock(&purger_lock);
  purger_pending = true;
  if (!purger_started && !purger_stop) {
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&purger_cond, &ca);
    pthread_condattr_destroy(&ca);
    // The purger must not take the program's signals.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    purger_started = pthread_create(&purger_thread, NULL, hak_purger_main, NULL) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
  }
  if (purger_started) pthread_cond_signal(&purger_cond);
  pthread_mutex_unlock(&purger_lock);
}

// The library is being unloaded (dlclose of a shared object it is linked
// into) or the process ends: no code of it may run afterwards. Exiting
// threads no longer call it (the thread key is deleted) and the purger
// thread returns and is joined (it wakes at once; a second at most if it is
// in a pass). What the library mapped stays mapped: blocks it handed out may
// still be in use.
void _hak_tld_unload(void) {
  _hak_prim_thread_key_delete();
  pthread_mutex_lock(&purger_lock);
  bool started = purger_started;
  purger_stop = true;
  if (started) pthread_cond_signal(&purger_cond);
  pthread_mutex_unlock(&purger_lock);
  if (started) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 1;
    if (pthread_timedjoin_np(purger_thread, NULL, &ts) == 0) {
      // Under the lock: a thread still exiting may be reading it (purger_kick).
      pthread_mutex_lock(&purger_lock);
      purger_started = false;
      pthread_mutex_unlock(&purger_lock);
    }
  }
}

// ----- Thread exit -----
// Called by the thread-key destructor of an exiting thread.
static void hak_tld_abandon(hak_tld_t* tld) {
  // Empty pages go back to their segments now, but for each class's last
  // one, and purging waits for the usual delay: a thread started right
  // after (thread churn) adopts the memory warm and its pages set up. The
  // purger (or a periodic visit) frees the rest and purges after the delay
  // if no thread comes.
  tld->abandoned = true;  // from here the dirty bound does not purge at once (segment.c): the delay decides
  tld->abandoned_at = _hak_prim_clock_ms();
  hak_heap_t* heap;
  for (HAK_HEAPS_EACH(tld, heap, it)) {
    if (heap->segments != NULL) _hak_heap_collect(heap, HAK_COLLECT_NORMAL);
  }
  _hak_tld = &_hak_tld_empty;
  tld->generic_count = 0;
  atomic_fetch_sub(&_hak_gstats.threads_current, 1);
  atomic_fetch_add(&_hak_gstats.threads_abandoned, 1);
  pthread_mutex_lock(&tld_lock);
  tld->next_abandoned = tld_abandoned;
  tld_abandoned = tld;
  pthread_mutex_unlock(&tld_lock);
  hak_purger_kick();
}

void _hak_tld_on_thread_exit(void* value) {
  hak_tld_t* tld = (hak_tld_t*)value;
  if (tld == NULL || tld == &_hak_tld_empty || tld->abandoned) return;
  hak_tld_abandon(tld);
}

// ----- Periodic work (only on the slow path, on a counter) -----
// Every 64 slow-path calls: purge what is due, and visit one abandoned tld
// (apply the frees that reached it, purge what is due) so that the memory of
// exited threads comes back even when no new thread starts.
static void hak_tld_visit_abandoned(void) {
  if (pthread_mutex_trylock(&tld_lock) != 0) return;
  hak_tld_t* tld = tld_abandoned;
  if (tld != NULL) {
    hak_collect_t mode = hak_abandoned_mode(tld, _hak_prim_clock_ms());
    hak_heap_t* heap;
    for (HAK_HEAPS_EACH(tld, heap, it)) {
      if (heap->segments != NULL) _hak_heap_collect(heap, mode);  // frees that arrived, purges that are due
    }
    // Move it to the end so the next visit sees another one.
    if (tld->next_abandoned != NULL) {
      tld_abandoned = tld->next_abandoned;
      hak_tld_t* last = tld_abandoned;
      while (last->next_abandoned != NULL) last = last->next_abandoned;
      last->next_abandoned = tld;
      tld->next_abandoned = NULL;
    }
  }
  pthread_mutex_unlock(&tld_lock);
}

void _hak_tld_periodic(hak_tld_t* tld) {
  tld->generic_count = 0;
  if (tld->profile_gen != atomic_load_explicit(&_hak_profile_gen, memory_order_relaxed)) _hak_tld_modes(tld);
  int64_t now = _hak_prim_clock_ms();
  if (tld->next_purge != 0 && now >= tld->next_purge) {
    tld->next_purge = 0;
    hak_heap_t* heap;
    for (HAK_HEAPS_EACH(tld, heap, it)) {
      for (hak_segment_t* seg = heap->segments; seg != NULL; seg = seg->next) {
        _hak_segment_purge(seg, now, false);
        if (seg->purge_at != 0 && (tld->next_purge == 0 || seg->purge_at < tld->next_purge)) tld->next_purge = seg->purge_at;
      }
    }
    _hak_segment_cache_flush(false);
    _hak_whale_cache_flush(false);
  }
  if (atomic_load_explicit(&_hak_gstats.threads_abandoned, memory_order_relaxed) > 0) hak_tld_visit_abandoned();
}

// ----- Bulk release -----
#if HAK_VALGRIND
// Under memcheck, tells it that the live blocks of a page are gone (it would
// report them as leaks otherwise): the blocks not on a free list. Costs a walk
// of the page's blocks, only when running on valgrind.
static void hak_page_untrack_live(hak_page_t* page) {
  size_t n = page->capacity, bytes = (n + 7) / 8;
  size_t map_size = _hak_prim_page_round(bytes);
  uint8_t* is_free = NULL;
  if (n == 0 || page->has_aligned || _hak_prim_map(map_size, _hak_prim_page_size(), NULL, (void**)&is_free) != 0) return;
  hak_block_t* lists[2] = {page->free, page->local_free};
  for (size_t l = 0; l < 2; l++) {
    for (hak_block_t* b = lists[l]; b != NULL;) {
      size_t i = (size_t)((uint8_t*)b - page->start) / page->block_size;
      is_free[i / 8] |= (uint8_t)(1u << (i % 8));
      hak_track_defined(b, sizeof(*b));
      hak_block_t* next = hak_link_get(page, b);
      hak_track_noaccess(b, sizeof(*b));
      b = next;
    }
  }
  for (size_t i = 0; i < n; i++) {
    if (!(is_free[i / 8] & (1u << (i % 8)))) hak_track_free(page->start + i * page->block_size);
  }
  _hak_prim_unmap(is_free, map_size);
}
#endif

size_t _hak_heap_release(hak_heap_t* heap) {
  size_t bytes = 0;
#if HAK_VALGRIND
  if (RUNNING_ON_VALGRIND) _hak_heap_take_remote(heap);  // so the walk below knows every free block
#endif
  // Frees other threads made of this heap's blocks: the blocks go with their
  // pages (each page's own list goes with the page).
  (void)atomic_exchange_explicit(&heap->xthread_notice, NULL, memory_order_acquire);
  while (heap->segments != NULL) {
    hak_segment_t* seg = heap->segments;
    for (size_t i = 0; i < HAK_SLICES;) {
      hak_page_t* page = seg->slice_page[i];
      if (page == &_hak_page_empty) {
        i++;
        continue;
      }
      i += page->slice_count;
      bytes += (size_t)page->slice_count * HAK_SLICE_SIZE;
#if HAK_VALGRIND
      if (RUNNING_ON_VALGRIND) hak_page_untrack_live(page);
#endif
      hak_track_noaccess(page->start, hak_page_bytes(page));
      page->used_flags = 0;
      // _hak_segment_page_free releases the segment with its last page.
      _hak_segment_page_free(page);
      if (heap->segments != seg) break;
    }
  }
  _hak_heap_queues_reset(heap);
  bytes += _hak_whale_release_heap(heap);
  _hak_profile_heap_released(heap->tld, (hak_subsys_t)heap->subsys);
  atomic_fetch_add(&_hak_gstats.heap_releases, 1);
  return bytes;
}

// Applies the pending frees of every abandoned tld and gives back its empty
// pages (hak_collect with force).
void _hak_tld_collect_abandoned(void) {
  pthread_mutex_lock(&tld_lock);
  for (hak_tld_t* tld = tld_abandoned; tld != NULL; tld = tld->next_abandoned) {
    hak_heap_t* heap;
    for (HAK_HEAPS_EACH(tld, heap, it)) _hak_heap_collect(heap, HAK_COLLECT_FORCE);
  }
  pthread_mutex_unlock(&tld_lock);
}

// ----- Fork -----
void _hak_tld_lock(bool lock) {
  if (lock) pthread_mutex_lock(&tld_lock);
  else pthread_mutex_unlock(&tld_lock);
}

void _hak_tld_fork_child(void) {
  pthread_mutex_init(&tld_lock, NULL);
  pthread_mutex_init(&purger_lock, NULL);
  purger_started = false;  // the child has no purger thread (its condition variable is made anew when it starts)
  purger_pending = false;
}
