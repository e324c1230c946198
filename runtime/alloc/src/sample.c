/* sample.c: the sampled heap profile of the malloc family (libhakmem.so).

   Which blocks. Each thread counts the usable bytes its mallocs hand out down
   from an exponentially distributed interval of mean I (HAKMEM_PROFILE_SAMPLE
   KiB); the block that takes the count below zero is sampled and a fresh
   interval is drawn. The exponential law has no memory, so a block of s bytes
   is sampled with probability p(s) = 1 - exp(-s/I) whatever came before it.
   Weighting a sample by 1/p blocks and s/p bytes makes every count and byte
   total, allocated or in use, of every stack and of any sum of stacks an
   unbiased estimate.

   What a sample keeps. Its call stack: return addresses from a DWARF
   unwinder, which reads the call-frame tables (no frame pointers needed), at
   most HAK_STACK_MAX frames, the allocator's own frames cut off at the
   caller's return address. The unwinder is libunwind's unw_backtrace, which
   caches what it learns per return address (about 1,000 instructions a walk
   where libgcc's _Unwind_Backtrace takes 10,000: callgrind, 4 frames). It is
   loaded with dlopen(RTLD_LOCAL), so that its _Unwind_* functions never
   stand in for libgcc's in the program, and only from a context where
   dlopen is safe (the library's constructor, hak_profile_enable), never from
   inside malloc; samples taken before that, or without libunwind (a warning
   says so), use libgcc's unwinder: the same stacks, slower. Stacks are interned in a hash table, each with
   its estimates. A table of sampled blocks maps every live sampled block to
   its stack and weights, so that its free, by whichever thread, takes back
   exactly what its allocation added. All of it is under one mutex: samples
   are rare (one per I bytes allocated).

   Peak: the moment the estimated live total was highest, and each stack's
   in-use estimate at that moment (kept by epoch: a stack copies its in-use
   figures before its first change after a new peak, O(1) per sample).
   Timeline: the estimated live total over time, at most HAK_TIMELINE_MAX
   points, thinned by halves (every other point dropped, the step doubled)
   when full. Memory comes from the OS layer and is never given back. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <unwind.h>

#include "hak_internal.h"

#define HAK_STACK_MAX 64        // frames kept per sample
#define HAK_STACK_SKIP_MAX 32   // allocator frames searched for the caller's return address
#define HAK_TIMELINE_MAX 4096   // points kept

typedef struct hak_stack_s {
  struct hak_stack_s* chain;  // next in its hash bucket
  struct hak_stack_s* next;   // next in order of creation (ids 1, 2, ...)
  uint64_t hash;
  uint32_t id;
  uint32_t depth;
  double alloc_objects, alloc_bytes;  // estimates since profiling began
  double inuse_objects, inuse_bytes;  // estimates now
  double peak_objects, peak_bytes;    // in use at the peak of epoch peak_epoch
  uint64_t peak_epoch;
  uintptr_t frames[];                 // leaf first
} hak_stack_t;

typedef struct hak_sampled_s {
  uintptr_t block;  // 0: empty slot, 1: deleted
  hak_stack_t* stack;
  double objects, bytes;  // the sample's weights
} hak_sampled_t;

typedef struct hak_point_s {
  int64_t ms;
  double bytes;
} hak_point_t;

static pthread_mutex_t sample_lock = PTHREAD_MUTEX_INITIALIZER;
_Atomic(size_t) _hak_samples_live;

static struct {
  hak_stack_t** buckets;  // power of two
  size_t nbuckets;
  uint32_t count;
  hak_stack_t* first;
  hak_stack_t* last;
  uint8_t* arena;  // bump allocation of stacks
  size_t arena_left;
  hak_sampled_t* blocks;  // open addressing, linear probing
  size_t cap, used, live;  // used counts deleted slots too
  double live_bytes;       // estimated live total
  double peak_bytes;
  int64_t peak_ms;
  uint64_t peak_epoch;
  int64_t start_ms;
  hak_point_t timeline[HAK_TIMELINE_MAX];
  size_t points;
  int64_t step_ms;
} S = {.step_ms = 1};

static _Atomic(uint64_t) sample_threads;  // seeds distinct streams per thread


// ----- Intervals -----
// splitmix64: a counter through a strong mix (every output bit depends on
// every state bit, which the uniform draws below need in their top bits).
static uint64_t hak_sample_rand(hak_prof_tld_t* prof) {
  uint64_t z = (prof->rng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double _hak_sample_interval(void) {
  long kib = _hak_option_fast(HAK_OPT_PROFILE_SAMPLE);
  return (double)(kib > 0 ? kib : 1) * 1024.0;
}

// Bytes until the next sample: exponential with mean `interval`. A count
// that starts at floor(v) goes below zero within a block of s bytes exactly
// when v < s, for every whole s.
static int64_t hak_sample_next(hak_prof_tld_t* prof, double interval) {
  double u = ((double)(hak_sample_rand(prof) >> 11) + 0.5) / 9007199254740992.0;  // (0, 1)
  double v = -log(u) * interval;
  return v < 1 ? 1 : v > 9e18 ? INT64_MAX : (int64_t)v;
}

// A thread's sampling state: its random stream (HAKMEM_PROFILE_SEED makes
// the streams reproducible: thread k of the process gets seed k) and its
// first interval.
void _hak_sample_tld_init(hak_tld_t* tld) {
  hak_prof_tld_t* prof = tld->profile;
  uint64_t k = atomic_fetch_add(&sample_threads, 1) + 1;
  uint64_t seed = (uint64_t)_hak_option_fast(HAK_OPT_PROFILE_SEED);
  if (seed == 0) seed = (uint64_t)(uintptr_t)prof ^ ((uint64_t)_hak_prim_clock_ms() << 20);
  prof->rng = (seed + k * 0x9E3779B97F4A7C15ull) * 0xBF58476D1CE4E5B9ull;
  if (prof->rng == 0) prof->rng = 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < 4; i++) hak_sample_rand(prof);
  tld->sample_left = hak_sample_next(prof, _hak_sample_interval());
}

void _hak_sample_tld_next(hak_tld_t* tld, double interval) {
  tld->sample_left = hak_sample_next(tld->profile, interval);
}

// ----- Stacks -----
typedef struct hak_walk_s {
  uintptr_t* frames;
  uintptr_t caller;
  uint32_t depth;
  uint32_t skipped;
  bool found;
} hak_walk_t;

static _Unwind_Reason_Code hak_walk_frame(struct _Unwind_Context* ctx, void* arg) {
  hak_walk_t* w = (hak_walk_t*)arg;
  uintptr_t ip = (uintptr_t)_Unwind_GetIP(ctx);
  if (ip == 0) return _URC_END_OF_STACK;
  if (!w->found) {  // the allocator's own frames, up to the caller's
    if (ip != w->caller) return ++w->skipped < HAK_STACK_SKIP_MAX ? _URC_NO_REASON : _URC_END_OF_STACK;
    w->found = true;
  }
  w->frames[w->depth++] = ip;
  return w->depth < HAK_STACK_MAX ? _URC_NO_REASON : _URC_END_OF_STACK;
}

typedef int (*hak_unw_backtrace_t)(void** buffer, int size);
static _Atomic(hak_unw_backtrace_t) unw_backtrace_fn;

void _hak_sample_unwinder_load(void) {
  static _Atomic int tried;
  if (atomic_exchange(&tried, 1) != 0) return;
  void* lib = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
  void* fn = lib != NULL ? dlsym(lib, "unw_backtrace") : NULL;
  if (fn == NULL) {
    _hak_warning("profile: libunwind.so.8 cannot be used (%s): call stacks come from libgcc's unwinder, about ten times "
                 "slower per sample (install libunwind8)", lib == NULL ? dlerror() : "no unw_backtrace");
    return;
  }
  atomic_store(&unw_backtrace_fn, (hak_unw_backtrace_t)fn);
}

// The caller's stack, leaf first; just the caller when the walk does not
// reach it (code without unwind tables).
static uint32_t hak_stack_walk(uintptr_t* frames, uintptr_t caller) {
  hak_unw_backtrace_t unw = atomic_load_explicit(&unw_backtrace_fn, memory_order_acquire);
  if (unw != NULL) {
    void* all[HAK_STACK_SKIP_MAX + HAK_STACK_MAX];
    int n = unw(all, HAK_STACK_SKIP_MAX + HAK_STACK_MAX);
    for (int i = 0; i < n && i < HAK_STACK_SKIP_MAX; i++) {
      if ((uintptr_t)all[i] != caller) continue;
      uint32_t depth = (uint32_t)(n - i < HAK_STACK_MAX ? n - i : HAK_STACK_MAX);
      memcpy(frames, all + i, depth * sizeof(uintptr_t));
      return depth;
    }
  } else {
    hak_walk_t w = {frames, caller, 0, 0, false};
    _Unwind_Backtrace(hak_walk_frame, &w);
    if (w.found) return w.depth;
  }
  frames[0] = caller;
  return 1;
}

static uint64_t hak_stack_hash(const uintptr_t* frames, uint32_t depth) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ depth;
  for (uint32_t i = 0; i < depth; i++) {
    h = (h ^ frames[i]) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
  }
  return h;
}

static bool hak_stack_buckets_grow(void) {
  size_t n = S.nbuckets ? S.nbuckets * 2 : 1024;
  hak_stack_t** b = (hak_stack_t**)_hak_prim_pages(n * sizeof(*b));
  if (b == NULL) return false;
  for (hak_stack_t* s = S.first; s != NULL; s = s->next) {
    size_t j = s->hash & (n - 1);
    s->chain = b[j];
    b[j] = s;
  }
  _hak_prim_pages_free(S.buckets, S.nbuckets * sizeof(*b));
  S.buckets = b;
  S.nbuckets = n;
  return true;
}

// The interned stack for these frames; NULL when out of memory.
static hak_stack_t* hak_stack_intern(const uintptr_t* frames, uint32_t depth) {
  uint64_t h = hak_stack_hash(frames, depth);
  if (S.nbuckets != 0) {
    for (hak_stack_t* s = S.buckets[h & (S.nbuckets - 1)]; s != NULL; s = s->chain) {
      if (s->hash == h && s->depth == depth && memcmp(s->frames, frames, depth * sizeof(uintptr_t)) == 0) return s;
    }
  }
  if (S.count >= S.nbuckets && !hak_stack_buckets_grow()) return NULL;
  size_t size = (sizeof(hak_stack_t) + depth * sizeof(uintptr_t) + 15) & ~(size_t)15;
  if (size > S.arena_left) {
    S.arena = (uint8_t*)_hak_prim_pages(1 << 16);
    if (S.arena == NULL) return S.arena_left = 0, NULL;
    S.arena_left = 1 << 16;
  }
  hak_stack_t* s = (hak_stack_t*)S.arena;
  S.arena += size, S.arena_left -= size;
  memset(s, 0, sizeof(*s));
  s->hash = h;
  s->depth = depth;
  s->id = ++S.count;
  s->peak_epoch = S.peak_epoch;
  memcpy(s->frames, frames, depth * sizeof(uintptr_t));
  size_t j = h & (S.nbuckets - 1);
  s->chain = S.buckets[j];
  S.buckets[j] = s;
  if (S.last != NULL) S.last->next = s;
  else S.first = s;
  S.last = s;
  return s;
}

// Before a stack's in-use figures change: keep what they were at the peak.
static void hak_stack_sync(hak_stack_t* s) {
  if (s->peak_epoch != S.peak_epoch) {
    s->peak_objects = s->inuse_objects;
    s->peak_bytes = s->inuse_bytes;
    s->peak_epoch = S.peak_epoch;
  }
}

// ----- Sampled blocks -----
static size_t hak_block_hash(uintptr_t p) {
  return (size_t)((p >> 4) * 0x9E3779B97F4A7C15ull >> 16);
}

// Rehashes into a table twice as large, or as large when deleted slots are
// what filled it.
static bool hak_blocks_rehash(void) {
  size_t cap = S.cap == 0 ? 4096 : S.live * 4 > S.cap ? S.cap * 2 : S.cap;
  hak_sampled_t* t = (hak_sampled_t*)_hak_prim_pages(cap * sizeof(*t));
  if (t == NULL) return false;
  for (size_t i = 0; i < S.cap; i++) {
    if (S.blocks[i].block <= 1) continue;
    size_t j = hak_block_hash(S.blocks[i].block) & (cap - 1);
    while (t[j].block != 0) j = (j + 1) & (cap - 1);
    t[j] = S.blocks[i];
  }
  _hak_prim_pages_free(S.blocks, S.cap * sizeof(*t));
  S.blocks = t;
  S.cap = cap;
  S.used = S.live;
  return true;
}

static hak_sampled_t* hak_block_find(uintptr_t p) {
  if (S.cap == 0) return NULL;
  for (size_t j = hak_block_hash(p) & (S.cap - 1); S.blocks[j].block != 0; j = (j + 1) & (S.cap - 1)) {
    if (S.blocks[j].block == p) return &S.blocks[j];
  }
  return NULL;
}

static bool hak_block_put(uintptr_t p, hak_stack_t* s, double objects, double bytes) {
  if ((S.used + 1) * 2 > S.cap && !hak_blocks_rehash()) return false;
  size_t j = hak_block_hash(p) & (S.cap - 1);
  while (S.blocks[j].block > 1) j = (j + 1) & (S.cap - 1);
  if (S.blocks[j].block == 0) S.used++;
  S.blocks[j] = (hak_sampled_t){p, s, objects, bytes};
  S.live++;
  atomic_fetch_add_explicit(&_hak_samples_live, 1, memory_order_relaxed);
  return true;
}

// ----- The live total: peak and timeline -----
static void hak_timeline_note(int64_t now) {
  int64_t t = now - S.start_ms;
  if (S.points > 0 && t - S.timeline[S.points - 1].ms < S.step_ms) {
    if (S.live_bytes > S.timeline[S.points - 1].bytes) S.timeline[S.points - 1].bytes = S.live_bytes;  // keep the highs
    return;
  }
  if (S.points == HAK_TIMELINE_MAX) {
    for (size_t i = 0; i < HAK_TIMELINE_MAX / 2; i++) S.timeline[i] = S.timeline[2 * i + 1];
    S.points = HAK_TIMELINE_MAX / 2;
    S.step_ms *= 2;
  }
  S.timeline[S.points++] = (hak_point_t){t, S.live_bytes};
}

static void hak_live_changed(void) {
  int64_t now = _hak_prim_clock_ms();
  if (S.live_bytes > S.peak_bytes) {
    S.peak_bytes = S.live_bytes;
    S.peak_ms = now - S.start_ms;
    S.peak_epoch++;
  }
  hak_timeline_note(now);
}

// ----- Taking and dropping samples -----
bool _hak_sample_take(void* p, size_t usable, void* caller, double interval) {
  uintptr_t frames[HAK_STACK_MAX];
  uint32_t depth = hak_stack_walk(frames, (uintptr_t)caller);
  double prob = -expm1(-(double)usable / interval);
  double objects = 1.0 / prob, bytes = (double)usable / prob;
  pthread_mutex_lock(&sample_lock);
  if hak_unlikely(S.start_ms == 0) S.start_ms = _hak_prim_clock_ms();
  hak_stack_t* s = hak_stack_intern(frames, depth);
  bool put = s != NULL && hak_block_put((uintptr_t)p, s, objects, bytes);
  if (put) {
    hak_stack_sync(s);
    s->alloc_objects += objects;
    s->alloc_bytes += bytes;
    s->inuse_objects += objects;
    s->inuse_bytes += bytes;
    S.live_bytes += bytes;
    hak_live_changed();
  }
  pthread_mutex_unlock(&sample_lock);
  return put;
}

bool _hak_sample_forget(const void* p) {
  bool found = false;
  pthread_mutex_lock(&sample_lock);
  hak_sampled_t* b = hak_block_find((uintptr_t)p);
  if (b != NULL) {
    hak_stack_t* s = b->stack;
    hak_stack_sync(s);
    s->inuse_objects -= b->objects;
    s->inuse_bytes -= b->bytes;
    S.live_bytes -= b->bytes;
    b->block = 1;
    S.live--;
    atomic_fetch_sub_explicit(&_hak_samples_live, 1, memory_order_relaxed);
    hak_live_changed();
    found = true;
  }
  pthread_mutex_unlock(&sample_lock);
  return found;
}

void _hak_sample_start(void) {
  pthread_mutex_lock(&sample_lock);
  if (S.start_ms == 0) S.start_ms = _hak_prim_clock_ms();
  pthread_mutex_unlock(&sample_lock);
}

// ----- The data file's sample lines (docs/profile-format.md) -----
bool _hak_sample_write(hak_out_t* o, bool try_lock) {
  if (try_lock ? pthread_mutex_trylock(&sample_lock) != 0 : pthread_mutex_lock(&sample_lock) != 0) return false;
  for (hak_stack_t* s = S.first; s != NULL; s = s->next) {
    _hak_out_str(o, "stack "), _hak_out_u64(o, s->id), _hak_out_str(o, " "), _hak_out_u64(o, s->depth);
    for (uint32_t i = 0; i < s->depth; i++) _hak_out_str(o, " "), _hak_out_hex(o, s->frames[i]);
    bool at_peak = s->peak_epoch == S.peak_epoch;
    _hak_out_str(o, "\nsample "), _hak_out_u64(o, s->id);
    double v[6] = {s->alloc_objects, s->alloc_bytes, s->inuse_objects, s->inuse_bytes, at_peak ? s->peak_objects : s->inuse_objects,
                   at_peak ? s->peak_bytes : s->inuse_bytes};
    for (int i = 0; i < 6; i++) _hak_out_str(o, " "), _hak_out_est(o, v[i]);
    _hak_out_str(o, "\n");
  }
  int64_t now = _hak_prim_clock_ms() - S.start_ms;
  for (size_t i = 0; i < S.points; i++) {
    _hak_out_str(o, "timeline "), _hak_out_i64(o, S.timeline[i].ms), _hak_out_str(o, " "), _hak_out_est(o, S.timeline[i].bytes);
    _hak_out_str(o, "\n");
  }
  if (S.start_ms != 0) {
    _hak_out_str(o, "timeline "), _hak_out_i64(o, now), _hak_out_str(o, " "), _hak_out_est(o, S.live_bytes), _hak_out_str(o, "\n");
  }
  _hak_out_str(o, "peak "), _hak_out_i64(o, S.peak_ms), _hak_out_str(o, " "), _hak_out_est(o, S.peak_bytes), _hak_out_str(o, "\n");
  pthread_mutex_unlock(&sample_lock);
  return true;
}

void _hak_sample_lock(bool lock) {
  if (lock) pthread_mutex_lock(&sample_lock);
  else pthread_mutex_unlock(&sample_lock);
}
