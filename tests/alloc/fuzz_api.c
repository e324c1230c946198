/* fuzz_api.c: the hak_* API (hakmem.h) driven by a byte string and checked
   against a shadow model of every live block. Built two ways from this file:
   - fuzz_alloc_api, a libFuzzer target (clang, -DHAK_FUZZ=ON) with its own
     copy of the allocator, compiled with coverage and HAK_DEBUG=2; ctest
     alloc_api_fuzz runs it for about 60 s from corpus_api/;
   - test_alloc_api_random (every build, -DFUZZ_API_MAIN): the same body
     over the files and directories it is given, then -n inputs of seeded
     random bytes (ctest alloc_api_random); also the way to replay a crash
     input without libFuzzer: `test_alloc_api_random [-v] crash-FILE` (-v
     prints every step and every block in and out of the model; -d FILE
     writes a failing random input to FILE).

   An input is a configuration byte, then operations, each an opcode byte
   (low 4 bits: the operation, high 4 bits: a variant) and the bytes it reads;
   bytes read past the end are 0. Configuration: bits 0-1 the purge delay
   (default, 0, never, default), bit 2 no segment cache, bit 3 no whale
   cache, bits 4-5 the dirty bound (default, 0, none, default), bit 6
   profiling on.
     0-2  allocate (site, size)               8  realloc to a chosen edge (block, mode)
     3    calloc (site, size; n = variant)     9  hand a block to the worker, which frees it
     4    aligned allocation (site, 2^k, size) 10 hand a block to the worker, which reallocates it
     5-6  free (block)                        11 the worker allocates (site, size) and hands back
     7    realloc (block, site, size)         12 wait for the worker, take back its blocks
     13   hak_heap_release of a subsystem by this thread or the worker (subsystem)
     14   check every live block              15 other calls (collect, profiling on/off, the
                                                 error returns, a new worker thread)
   Sizes cover every tier: tiny (<= 1 KiB), mid (<= 32 KiB), large (<= 1 MiB),
   whales (> 1 MiB, at most FZ_WHALE_OPS per input and FZ_WHALE_LIVE live),
   and the edges between them. The sites are in the default subsystem and
   three registered ones. The worker is one persistent thread fed through a
   ring of jobs; it frees, reallocates and allocates blocks, so frees cross
   threads both ways. Its results come back only at a wait (opcode 12, a
   release, a full ring, the end of the input), so the model, and which
   block every later operation picks, depend on the input alone.

   The model checks, aborting with the step, the operation and the block on
   stderr at the first violation (libFuzzer keeps the input):
   - every block is filled with a pattern of its id over its whole usable
     size (above 4 KiB: its first and last KiB and 16 bytes of every 4 KiB,
     of every 64 KiB above 64 KiB), checked before it is freed or
     reallocated, at every wait and release, and all of them every 128
     steps (after the other steps: the usable size and both ends of 4);
   - the usable size covers the request and stays the same while the block
     lives; the address is aligned (as docs/allocator.md says, or as asked);
     hak_owns says yes; calloc's bytes read zero;
   - no two live blocks overlap (checked on every insertion into the model);
   - realloc keeps min(old, new) requested bytes, stays in place where
     hakmem.h says it does, returns NULL for size 0, and on failure leaves
     the block as it was;
   - hak_heap_release gives back at least the usable bytes the model holds
     in that heap, and every block of other heaps keeps its contents;
   - the documented errors: NULL with EINVAL for a bad alignment or a site of
     an unregistered subsystem, NULL with ENOMEM for sizes that cannot be
     represented and calloc products that overflow.
   A heap release needs to know which heap holds each block: the allocating
   thread's heap of the site's subsystem, kept by a realloc in place, the
   calling thread's after a move. A whale that realloc moved, and the blocks of
   a worker thread that exited, are marked unknown and freed before the next
   release. At the end of each input every block is freed; the allocator's
   state (caches, pages, abandoned thread states) carries over to the next. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "hakmem.h"

#define FZ_KIB ((size_t)1 << 10)
#define FZ_MIB ((size_t)1 << 20)
#define FZ_LIVE_MAX 256                  // blocks in the model, and on their way back from the worker
#define FZ_LIVE_BYTES_MAX (32 * FZ_MIB)  // usable bytes in the model
#define FZ_WHALE_LIVE 4                  // whales in the model at once
#define FZ_WHALE_OPS 16                  // whale allocations and reallocations per input
#define FZ_RING 32                       // worker jobs posted and not yet taken back
#define FZ_FULL_CHECK_EVERY 128          // steps between checks of every block

static bool fz_trace;  // -v: every step and every block in and out of the model on stderr

// ----- Failing -----
typedef struct fz_where_s {
  long step;       // the operation's index in the input
  const char* op;  // its name
} fz_where_t;
static _Thread_local fz_where_t fz_where;
static char fz_input_name[4200];  // the input being run, for the message (without libFuzzer)
static const char* fz_dump_path;  // -d: where a failing input is written (without libFuzzer)
static const uint8_t* fz_input;   // the input being run
static size_t fz_input_len;

typedef enum fz_owner_e { FZ_MAIN, FZ_WORKER, FZ_UNKNOWN } fz_owner_t;
static const char* const fz_owner_name[] = {"main", "worker", "unknown"};

typedef struct fz_blk_s {
  uint8_t* p;
  size_t req;       // bytes asked for
  size_t usable;    // hak_usable_size when it was made: must not change while it lives
  size_t align;     // alignment asked for; 0: the default
  uint64_t id;      // seeds its fill pattern
  hak_site_t site;  // of its last allocation or realloc
  uint8_t owner;    // fz_owner_t: the thread whose heap holds it ...
  uint8_t sub;      // ... and the subsystem of that heap
} fz_blk_t;

__attribute__((format(printf, 2, 3))) static _Noreturn void fz_fail(const fz_blk_t* b, const char* fmt, ...) {
  fprintf(stderr, "fuzz_api: step %ld (%s): ", fz_where.step, fz_where.op ? fz_where.op : "-");
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  if (b != NULL)
    fprintf(stderr, " [block %llu at %p: %zu bytes asked, usable %zu, alignment %zu, site %#x, heap %s/%u]",
            (unsigned long long)b->id, (void*)b->p, b->req, b->usable, b->align, b->site, fz_owner_name[b->owner], b->sub);
  fputc('\n', stderr);
  if (fz_input_name[0]) fprintf(stderr, "fuzz_api: input: %s\n", fz_input_name);
  if (fz_dump_path != NULL) {
    FILE* f = fopen(fz_dump_path, "wb");
    if (f != NULL && fwrite(fz_input, 1, fz_input_len, f) == fz_input_len && fclose(f) == 0)
      fprintf(stderr, "fuzz_api: input written to %s\n", fz_dump_path);
  }
  abort();
}

// ----- Fill patterns -----
typedef enum fz_walk_e { FZ_FILL, FZ_CHECK, FZ_ZERO } fz_walk_t;

// The loops over block contents are most of the harness's time: without
// coverage instrumentation (whose comparison hooks would double the cost of
// a run and tell libFuzzer nothing about the allocator).
#if defined(__clang__)
#define FZ_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define FZ_NO_COVERAGE
#endif

// Byte i of block `id` is byte i % 8 of fz_word(id, i / 8), so a fill can
// write words.
FZ_NO_COVERAGE static inline uint64_t fz_word(uint64_t id, size_t k) {
  uint64_t x = (id + 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t)k * 0xd6e8feb86659fd93ull;
  return x ^ (x >> 29);
}

FZ_NO_COVERAGE static inline uint8_t fz_byte(uint64_t id, size_t i) {
  uint64_t w = fz_word(id, i / 8);
  uint8_t b[8];
  memcpy(b, &w, 8);
  return b[i % 8];
}

// Applies `walk` to bytes [a, b) of p; returns the first that does not
// match (FZ_CHECK: the pattern, FZ_ZERO: 0), or SIZE_MAX.
FZ_NO_COVERAGE static size_t fz_range(fz_walk_t walk, uint8_t* p, uint64_t id, size_t a, size_t b) {
  if (walk == FZ_ZERO) {
    for (; a < b; a++)
      if (p[a] != 0) return a;
    return SIZE_MAX;
  }
  for (; a < b && a % 8 != 0; a++) {
    if (walk == FZ_FILL) p[a] = fz_byte(id, a);
    else if (p[a] != fz_byte(id, a)) return a;
  }
  for (; a + 8 <= b; a += 8) {
    uint64_t w = fz_word(id, a / 8), have;
    if (walk == FZ_FILL) {
      memcpy(p + a, &w, 8);
    } else {
      memcpy(&have, p + a, 8);
      if (have != w) {
        while (p[a] == fz_byte(id, a)) a++;
        return a;
      }
    }
  }
  for (; a < b; a++) {
    if (walk == FZ_FILL) p[a] = fz_byte(id, a);
    else if (p[a] != fz_byte(id, a)) return a;
  }
  return SIZE_MAX;
}

// Applies `walk` to the bytes the model keeps of a block of n bytes, within
// [from, to): all of them up to 4 KiB; above, the first and last KiB and 16
// bytes every 4 KiB between, every 64 KiB (the allocator's slice) above 64
// KiB, wider above 16 MiB so that there are at most 256: big blocks cost few
// page faults, and every page (above 64 KiB every slice) is seen.
FZ_NO_COVERAGE static size_t fz_walk(fz_walk_t walk, uint8_t* p, uint64_t id, size_t n, size_t from, size_t to) {
  size_t span[256 + 2][2], k = 0;  // [start, end) of each span
  if (n <= 4 * FZ_KIB) {
    span[k][0] = 0, span[k++][1] = n;
  } else {
    size_t stride = n <= 64 * FZ_KIB ? 4 * FZ_KIB : 64 * FZ_KIB;
    while (n / stride > 256) stride *= 2;
    span[k][0] = 0, span[k++][1] = FZ_KIB;
    for (size_t o = stride; o + 16 <= n - FZ_KIB; o += stride) span[k][0] = o, span[k++][1] = o + 16;
    span[k][0] = n - FZ_KIB, span[k++][1] = n;
  }
  if (to > n) to = n;
  for (size_t i = 0; i < k; i++) {
    size_t a = span[i][0] > from ? span[i][0] : from, b = span[i][1] < to ? span[i][1] : to;
    size_t r = a < b ? fz_range(walk, p, id, a, b) : SIZE_MAX;
    if (r != SIZE_MAX) return r;
  }
  return SIZE_MAX;
}

// ----- Blocks -----
// Checks that the block still has its pattern over its first `upto` bytes,
// its usable size, and that hakmem owns it.
static void fz_verify(const fz_blk_t* b, size_t upto) {
  size_t u = hak_usable_size(b->p);
  if (u != b->usable) fz_fail(b, "usable size changed to %zu", u);
  if (!hak_owns(b->p)) fz_fail(b, "hak_owns says no");
  size_t bad = fz_walk(FZ_CHECK, b->p, b->id, b->usable, 0, upto);
  if (bad != SIZE_MAX) fz_fail(b, "byte %zu is %#x, not %#x", bad, b->p[bad], fz_byte(b->id, bad));
}

// The alignment of a block of `size` bytes: docs/allocator.md, "Classes":
// 16 when the size class (a multiple of 8 up to 64) is a multiple of 16, else 8.
// (hakmem.h's opening comment promises 16 from 16 bytes on, which blocks of
// 17..24, 33..40 and 49..56 bytes do not get.)
static size_t fz_default_align(size_t size) {
  size_t cls = size <= 8 ? 8 : (size + 7) & ~(size_t)7;
  return cls > 64 || cls % 16 == 0 ? 16 : 8;
}

// Checks what a new (or moved, or resized) block must be, and fills it; b->id
// and b->req are set. The alignment is checked when the block is new (a block
// resized in place keeps its class's). After a realloc the kept bytes were
// checked already and are written again: the bytes the model keeps of the new
// size are not those of the old one.
static void fz_settle(fz_blk_t* b, bool zero, bool fresh) {
  b->usable = hak_usable_size(b->p);
  if (b->usable < b->req) fz_fail(b, "usable size below the request");
  size_t want = fz_default_align(b->req);
  if (b->align > want) want = b->align;
  if (fresh && (uintptr_t)b->p % want != 0) fz_fail(b, "not aligned to %zu", want);
  if (!hak_owns(b->p)) fz_fail(b, "hak_owns says no");
  if (zero) {
    size_t bad = fz_walk(FZ_ZERO, b->p, 0, b->usable, 0, b->req);
    if (bad != SIZE_MAX) fz_fail(b, "calloc's byte %zu is %#x", bad, b->p[bad]);
  }
  fz_walk(FZ_FILL, b->p, b->id, b->usable, 0, b->usable);
}

typedef enum fz_make_e { FZ_ALLOC, FZ_CALLOC, FZ_ALIGNED, FZ_REALLOC_NULL } fz_make_t;
static const char* const fz_make_name[] = {"hak_alloc_at", "hak_calloc_at", "hak_aligned_alloc_at", "hak_realloc_at(NULL)"};

// A new block of `size` bytes (calloc: n * (size / n)) by the calling thread
// `self` into *b, whose id is set.
static void fz_make(fz_blk_t* b, fz_make_t how, size_t size, unsigned n, size_t align, hak_site_t site, fz_owner_t self) {
  size_t elem = n ? size / n : size;
  void* p = NULL;
  errno = 0;
  switch (how) {
    case FZ_ALLOC: p = hak_alloc_at(size, site); break;
    case FZ_CALLOC: p = hak_calloc_at(n, elem, site), size = n * elem; break;
    case FZ_ALIGNED:
      p = hak_aligned_alloc_at(align, size, site);
      break;
    case FZ_REALLOC_NULL: p = hak_realloc_at(NULL, size, site); break;
  }
  if (p == NULL)
    fz_fail(NULL, "%s of %zu bytes (alignment %zu, site %#x) gave NULL, errno %d", fz_make_name[how], size, align, site, errno);
  b->p = p;
  b->req = size;
  b->align = how == FZ_ALIGNED ? align : 0;
  b->site = site;
  b->owner = (uint8_t)self;
  b->sub = (uint8_t)hak_site_subsys(site);
  fz_settle(b, how == FZ_CALLOC, true);
}

// Reallocates block b to `size` by the calling thread `self`. Returns false
// when the block is gone (size 0).
static bool fz_realloc(fz_blk_t* b, size_t size, hak_site_t site, fz_owner_t self) {
  fz_verify(b, b->usable);
  // hakmem.h: in place when the new size fits the block and is at least half
  // of it. Not promised for aligned blocks here, nor for a whale shrunk to a
  // page tier's size (it moves to a page).
  bool in_place = b->align == 0 && size <= b->usable && size >= b->usable / 2 && size > 0 &&
                  (b->req <= FZ_MIB || size > FZ_MIB);
  errno = 0;
  uint8_t* q = hak_realloc_at(b->p, size, site);
  if (size == 0) {
    if (q != NULL) fz_fail(b, "realloc to 0 returned %p, not NULL", (void*)q);
    return false;
  }
  if (q == NULL) fz_fail(b, "realloc to %zu gave NULL, errno %d", size, errno);
  if (in_place && q != b->p) fz_fail(b, "realloc to %zu moved the block to %p, though it fits and uses half", size, (void*)q);
  size_t keep = b->req < size ? b->req : size;
  size_t bad = fz_walk(FZ_CHECK, q, b->id, b->usable, 0, keep);
  if (bad != SIZE_MAX)
    fz_fail(b, "realloc to %zu (now %p) lost byte %zu of the %zu kept: %#x, not %#x", size, (void*)q, bad, keep, q[bad],
            fz_byte(b->id, bad));
  bool moved = q != b->p;
  if (moved) {
    // A moved block is a new block of the caller's heap, except a whale
    // that stays a whale: hakmem may move its pages and keep its heap.
    b->owner = (uint8_t)(size > FZ_MIB ? FZ_UNKNOWN : self);
    b->sub = (uint8_t)hak_site_subsys(site);
    b->align = 0;
  }
  b->p = q;
  b->req = size;
  b->site = site;
  fz_settle(b, false, moved);
  return true;
}

// ----- Sites -----
#define FZ_SUBS 4
#define FZ_SITES 8
static hak_subsys_t fz_subs[FZ_SUBS];
static hak_site_t fz_sites[FZ_SITES];
static long fz_default_opt[HAK_OPTION_COUNT];

static void fz_init(void) {
  for (int o = 0; o < HAK_OPTION_COUNT; o++) fz_default_opt[o] = hak_option_get((hak_option_t)o);
  static const char* const names[FZ_SUBS] = {"default", "fuzz.a", "fuzz.b", "fuzz.c"};
  for (int i = 0; i < FZ_SUBS; i++) {
    fz_subs[i] = hak_subsys_register(names[i]);
    if (fz_subs[i] == HAK_SUBSYS_INVALID) fz_fail(NULL, "cannot register subsystem %s", names[i]);
  }
  hak_site_t sites[FZ_SITES] = {
      HAK_SITE_DEFAULT,
      hak_site_register(fz_subs[0], "fuzz.default"),
      HAK_SITE_ANON(fz_subs[1]),
      hak_site_register(fz_subs[1], "fuzz.a.one"),
      hak_site_register(fz_subs[1], "fuzz.a.two"),
      hak_site_register(fz_subs[2], "fuzz.b.one"),
      HAK_SITE_ANON(fz_subs[3]),
      hak_site_register(fz_subs[3], "fuzz.c.one"),
  };
  memcpy(fz_sites, sites, sizeof sites);
}

// ----- The worker thread -----
typedef enum fz_job_kind_e {
  FZ_JOB_FREE,
  FZ_JOB_REALLOC,
  FZ_JOB_MAKE,
  FZ_JOB_RELEASE,
  FZ_JOB_COLLECT,
  FZ_JOB_EXIT
} fz_job_kind_t;

typedef struct fz_job_s {
  fz_job_kind_t kind;
  fz_where_t where;   // the step that posted it
  fz_blk_t b;         // FREE, REALLOC: the block; REALLOC, MAKE: the result
  bool back;          // b is a live block to take back
  fz_make_t how;      // MAKE
  size_t size;        // REALLOC, MAKE
  size_t align;       // MAKE
  unsigned n;         // MAKE (calloc)
  hak_site_t site;    // REALLOC, MAKE
  hak_subsys_t sub;   // RELEASE
  size_t released;    // RELEASE: what hak_heap_release returned
} fz_job_t;

static struct {
  pthread_mutex_t lock;
  pthread_cond_t cond;  // a job posted or done
  pthread_t thread;
  bool running;
  fz_job_t ring[FZ_RING];      // job i in ring[i % FZ_RING]
  unsigned long posted, done;  // under lock
  unsigned long taken;         // main thread only: jobs whose results the model took back
} fz_w = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void fz_run_job(fz_job_t* j) {
  fz_where = j->where;
  switch (j->kind) {
    case FZ_JOB_FREE:
      fz_verify(&j->b, j->b.usable);
      hak_free_at(j->b.p, j->b.site);
      break;
    case FZ_JOB_REALLOC: j->back = fz_realloc(&j->b, j->size, j->site, FZ_WORKER); break;
    case FZ_JOB_MAKE:
      fz_make(&j->b, j->how, j->size, j->n, j->align, j->site, FZ_WORKER);
      j->back = true;
      break;
    case FZ_JOB_RELEASE: j->released = hak_heap_release(j->sub); break;
    case FZ_JOB_COLLECT: hak_collect(false); break;
    case FZ_JOB_EXIT: break;
  }
}

static void* fz_worker(void* arg) {
  (void)arg;
  pthread_mutex_lock(&fz_w.lock);
  for (;;) {
    while (fz_w.done == fz_w.posted) pthread_cond_wait(&fz_w.cond, &fz_w.lock);
    fz_job_t* j = &fz_w.ring[fz_w.done % FZ_RING];
    pthread_mutex_unlock(&fz_w.lock);
    fz_run_job(j);
    bool stop = j->kind == FZ_JOB_EXIT;
    pthread_mutex_lock(&fz_w.lock);
    fz_w.done++;
    pthread_cond_broadcast(&fz_w.cond);
    if (stop) break;
  }
  pthread_mutex_unlock(&fz_w.lock);
  return NULL;
}

// ----- The model (main thread) -----
static struct {
  fz_blk_t live[FZ_LIVE_MAX];
  size_t n;
  size_t coming;      // blocks the worker will hand back
  size_t live_bytes;  // usable bytes of live[]
  int whales;         // blocks of live[] above 1 MiB
  int whale_ops;      // whale allocations and reallocations of this input
  uint64_t next_id;
  size_t rr;          // the next block the per-step check looks at
  uint8_t op;         // the opcode byte of the step
  const uint8_t* in;  // the input
  size_t len, pos;
} fz;

static uint8_t fz_u8(void) { return fz.pos < fz.len ? fz.in[fz.pos++] : 0; }
static size_t fz_u16(void) {
  size_t lo = fz_u8();
  return lo | (size_t)fz_u8() << 8;
}

static bool fz_is_whale(const fz_blk_t* b) { return b->usable > FZ_MIB; }

static void fz_insert(const fz_blk_t* b) {
  uintptr_t a = (uintptr_t)b->p, e = a + (b->usable ? b->usable : 1);
  for (size_t i = 0; i < fz.n; i++) {
    const fz_blk_t* o = &fz.live[i];
    uintptr_t oa = (uintptr_t)o->p, oe = oa + (o->usable ? o->usable : 1);
    if (a < oe && oa < e)
      fz_fail(b, "overlaps block %llu at %p (usable %zu, heap %s/%u)", (unsigned long long)o->id, (void*)o->p, o->usable,
              fz_owner_name[o->owner], o->sub);
  }
  if (fz.n == FZ_LIVE_MAX) fz_fail(b, "the model is full");
  if (fz_trace)
    fprintf(stderr, "  + block %llu at %p, usable %zu, heap %s/%u\n", (unsigned long long)b->id, (void*)b->p, b->usable,
            fz_owner_name[b->owner], b->sub);
  fz.live[fz.n++] = *b;
  fz.live_bytes += b->usable;
  fz.whales += fz_is_whale(b);
}

// Takes block i out of the model (the last one takes its place).
static fz_blk_t fz_take(size_t i) {
  fz_blk_t b = fz.live[i];
  if (fz_trace) fprintf(stderr, "  - block %llu at %p\n", (unsigned long long)b.id, (void*)b.p);
  fz.live[i] = fz.live[--fz.n];
  fz.live_bytes -= b.usable;
  fz.whales -= fz_is_whale(&b);
  return b;
}

// The block an operation names, or SIZE_MAX when there is none.
static size_t fz_pick(void) {
  uint8_t i = fz_u8();
  return fz.n ? i % fz.n : SIZE_MAX;
}

static hak_site_t fz_site(void) { return fz_sites[fz_u8() % FZ_SITES]; }

// Sizes at and around the tier edges.
static const size_t fz_edges[] = {0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 127, 128, 129, 255, 256, 257,
                                  511, 512, 1023, 1024, 1025, 2048, 4095, 4096, 4097, 8192, 16384, 32767, 32768, 32769,
                                  65535, 65536, 65537, 131072, 262144, 524288, FZ_MIB / 2 + 1, FZ_MIB - 1, FZ_MIB,
                                  FZ_MIB + 1, FZ_MIB + 4096, 2 * FZ_MIB, 4 * FZ_MIB - 64, 4 * FZ_MIB + 1};
#define FZ_NEDGES (sizeof fz_edges / sizeof fz_edges[0])

// A size: 7 in 16 tiny, 4 mid, 2 large, 2 an edge, 1 a whale.
static size_t fz_size(void) {
  uint8_t t = fz_u8();
  unsigned k = t & 15, hi = t >> 4;
  if (k < 7) return ((size_t)hi << 8 | fz_u8()) % (FZ_KIB + 1);
  if (k < 11) return FZ_KIB + 1 + fz_u16() % (31 * FZ_KIB);
  if (k < 13) return 32 * FZ_KIB + 1 + (fz_u16() << 4 | hi) % (FZ_MIB - 32 * FZ_KIB);
  if (k < 15) return fz_edges[fz_u8() % FZ_NEDGES];
  return FZ_MIB + 1 + (fz_u16() << 6);  // up to 5 MiB
}

// Whether a new block of `size` bytes (alignment `align`) fits the limits,
// `old` usable bytes leaving the model for it; a whale beyond the whale
// limits becomes a smaller size.
static bool fz_room(size_t* size, size_t* align, size_t old) {
  if (*size + *align > FZ_MIB) {
    if (fz.whales >= FZ_WHALE_LIVE || fz.whale_ops >= FZ_WHALE_OPS) {
      *size %= 64 * FZ_KIB;
      if (*align > 64 * FZ_KIB) *align = 64 * FZ_KIB;
    } else {
      fz.whale_ops++;
    }
  }
  return fz.live_bytes - old + *size + *align <= FZ_LIVE_BYTES_MAX;
}

static bool fz_room_new(size_t* size, size_t* align) { return fz.n + fz.coming < FZ_LIVE_MAX && fz_room(size, align, 0); }

static fz_job_t* fz_job_new(fz_job_kind_t kind);
static void fz_post(void);

// Waits for the worker's jobs and takes back the blocks they hand back.
static void fz_sync(void) {
  pthread_mutex_lock(&fz_w.lock);
  while (fz_w.done != fz_w.posted) pthread_cond_wait(&fz_w.cond, &fz_w.lock);
  pthread_mutex_unlock(&fz_w.lock);
  for (; fz_w.taken != fz_w.posted; fz_w.taken++) {
    fz_job_t* j = &fz_w.ring[fz_w.taken % FZ_RING];
    if (j->kind == FZ_JOB_REALLOC || j->kind == FZ_JOB_MAKE) fz.coming--;
    if (!j->back) continue;
    fz_verify(&j->b, j->b.usable);
    fz_insert(&j->b);
  }
}

static fz_job_t* fz_job_new(fz_job_kind_t kind) {
  if (!fz_w.running) {
    if (pthread_create(&fz_w.thread, NULL, fz_worker, NULL) != 0) fz_fail(NULL, "cannot start the worker thread");
    fz_w.running = true;
  }
  if (fz_w.posted - fz_w.taken == FZ_RING) fz_sync();
  fz_job_t* j = &fz_w.ring[fz_w.posted % FZ_RING];
  memset(j, 0, sizeof *j);
  j->kind = kind;
  j->where = fz_where;
  return j;
}

static void fz_post(void) {
  pthread_mutex_lock(&fz_w.lock);
  fz_w.posted++;
  pthread_cond_broadcast(&fz_w.cond);
  pthread_mutex_unlock(&fz_w.lock);
}

// The worker exits (its heaps are abandoned, to be adopted by a later
// thread); the next job starts a new one. Which heap holds the old worker's
// blocks is then unknown.
static void fz_worker_restart(void) {
  if (!fz_w.running) return;
  fz_job_new(FZ_JOB_EXIT);
  fz_post();
  fz_sync();
  pthread_join(fz_w.thread, NULL);
  fz_w.running = false;
  for (size_t i = 0; i < fz.n; i++)
    if (fz.live[i].owner == FZ_WORKER) fz.live[i].owner = FZ_UNKNOWN;
}

static void fz_free(size_t i, hak_site_t site) {
  fz_blk_t b = fz_take(i);
  fz_verify(&b, b.usable);
  hak_free_at(b.p, site);
}

static void fz_check_all(void) {
  for (size_t i = 0; i < fz.n; i++) fz_verify(&fz.live[i], fz.live[i].usable);
}

static void fz_new(fz_make_t how, size_t size, unsigned n, size_t align, hak_site_t site) {
  if (!fz_room_new(&size, &align)) return;
  fz_blk_t b = {.id = fz.next_id++};
  fz_make(&b, how, size, n, align, site, FZ_MAIN);
  fz_insert(&b);
}

static void fz_realloc_main(size_t i, size_t size, hak_site_t site) {
  size_t align = 0;
  if (!fz_room(&size, &align, fz.live[i].usable)) return;
  fz_blk_t b = fz_take(i);
  if (fz_realloc(&b, size, site, FZ_MAIN)) fz_insert(&b);
}

// hak_heap_release(sub) by `who`: the model's blocks of that heap die, the
// others must keep their contents.
static void fz_release(hak_subsys_t sub, fz_owner_t who) {
  fz_sync();
  for (size_t i = fz.n; i-- > 0;)
    if (fz.live[i].owner == FZ_UNKNOWN) fz_free(i, fz.live[i].site);
  size_t held = 0;
  for (size_t i = 0; i < fz.n; i++)
    if (fz.live[i].owner == who && fz.live[i].sub == sub) held += fz.live[i].usable;
  size_t got;
  if (who == FZ_MAIN) {
    got = hak_heap_release(sub);
  } else {
    fz_job_t* j = fz_job_new(FZ_JOB_RELEASE);
    j->sub = sub;
    fz_post();
    fz_sync();
    got = j->released;
  }
  if (got < held) fz_fail(NULL, "hak_heap_release(%u) by %s gave back %zu bytes; its live blocks alone had %zu", sub,
                          fz_owner_name[who], got, held);
  for (size_t i = fz.n; i-- > 0;)
    if (fz.live[i].owner == who && fz.live[i].sub == sub) fz_take(i);
  fz_check_all();
}

// realloc to the edges: mode picks the new size from the block's own sizes.
static void fz_realloc_edge(unsigned mode) {
  size_t i = fz_pick();
  if (i == SIZE_MAX) return;
  fz_blk_t* b = &fz.live[i];
  size_t size;
  switch (mode) {
    case 0: size = 0; break;
    case 1:
      size = fz_size();
      fz_new(FZ_REALLOC_NULL, size, 0, 0, fz_site());
      return;
    case 2: size = b->req; break;
    case 3: size = b->usable; break;
    case 4: size = (b->usable + 1) / 2; break;
    case 5: size = b->usable / 2 ? b->usable / 2 - 1 : 0; break;
    case 6: size = b->usable + 1; break;
    case 7: size = b->req + 1; break;
    case 8: size = b->req ? b->req - 1 : 0; break;
    case 9: size = FZ_MIB + 1 + (size_t)fz_u8() * 4096; break;
    case 10: size = fz_u8() % 64 + 1; break;
    case 11: {  // cannot be done: NULL, ENOMEM, the block untouched
      volatile size_t huge = SIZE_MAX - 4096 * (size_t)fz_u8();
      errno = 0;
      void* q = hak_realloc_at(b->p, huge, b->site);
      if (q != NULL || errno != ENOMEM) fz_fail(b, "realloc to %zu gave %p, errno %d", (size_t)huge, q, errno);
      fz_verify(b, b->usable);
      return;
    }
    case 12: size = 2 * b->req + 1; break;
    default: size = fz_size(); break;
  }
  fz_realloc_main(i, size, b->site);
}

static void fz_expect_null(void* p, int err, const char* what) {
  if (p != NULL || errno != err) fz_fail(NULL, "%s gave %p, errno %d, not NULL and %d", what, p, errno, err);
}

static void fz_misc(unsigned mode) {
  switch (mode) {
    case 0: hak_collect(false); break;
    case 1: hak_collect(true); break;
    case 2: {
      bool on = !hak_profile_enabled();
      hak_profile_enable(on);
      if (hak_profile_enabled() != on) fz_fail(NULL, "hak_profile_enable(%d) did not take", on);
      break;
    }
    case 3: {
      static const size_t bad[] = {0, 3, 24, 48, 3 * 64, HAK_ALIGN_MAX << 1, SIZE_MAX};
      for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        errno = 0;
        fz_expect_null(hak_aligned_alloc_at(bad[k], 64, fz_sites[k % FZ_SITES]), EINVAL, "a bad alignment");
      }
      break;
    }
    case 4: {
      volatile size_t huge = SIZE_MAX - (size_t)fz_u8() * 64;
      errno = 0;
      fz_expect_null(hak_alloc_at(huge, fz_site()), ENOMEM, "hak_alloc_at(SIZE_MAX - k)");
      errno = 0;
      fz_expect_null(hak_aligned_alloc_at(64, huge, fz_site()), ENOMEM, "hak_aligned_alloc_at(64, SIZE_MAX - k)");
      errno = 0;
      fz_expect_null(hak_realloc_at(NULL, huge, fz_site()), ENOMEM, "hak_realloc_at(NULL, SIZE_MAX - k)");
      break;
    }
    case 5: {
      volatile size_t half = SIZE_MAX / 2 + 1, big = (size_t)1 << 32;
      errno = 0;
      fz_expect_null(hak_calloc_at(half, 2, fz_site()), ENOMEM, "calloc(SIZE_MAX / 2 + 1, 2)");
      errno = 0;
      fz_expect_null(hak_calloc_at(3, half, fz_site()), ENOMEM, "calloc(3, SIZE_MAX / 2 + 1)");
      errno = 0;
      fz_expect_null(hak_calloc_at(big, big, fz_site()), ENOMEM, "calloc(2^32, 2^32)");
      break;
    }
    case 6: {
      hak_subsys_t sub = HAK_SUBSYS_MAX - 1 - fz_u8() % 8;
      if (hak_subsys_name(sub) != NULL) break;  // registered by someone after all
      hak_site_t site = HAK_SITE_ANON(sub);
      errno = 0;
      fz_expect_null(hak_alloc_at(16, site), EINVAL, "hak_alloc_at at an unregistered subsystem");
      errno = 0;
      fz_expect_null(hak_calloc_at(2, 8, site), EINVAL, "hak_calloc_at at an unregistered subsystem");
      errno = 0;
      fz_expect_null(hak_aligned_alloc_at(256, 16, site), EINVAL, "hak_aligned_alloc_at at an unregistered subsystem");
      errno = 0;
      fz_expect_null(hak_realloc_at(NULL, 16, site), EINVAL, "hak_realloc_at(NULL) at an unregistered subsystem");
      break;
    }
    case 7: {
      int local = 0;
      hak_free_at(NULL, fz_site());
      if (hak_usable_size(NULL) != 0) fz_fail(NULL, "hak_usable_size(NULL) is not 0");
      if (hak_owns(NULL) || hak_owns(&local)) fz_fail(NULL, "hak_owns says yes to NULL or a stack address");
      break;
    }
    case 8: fz_worker_restart(); break;
    case 9:
      fz_job_new(FZ_JOB_COLLECT);
      fz_post();
      break;
    default: break;
  }
}

static void fz_step(void) {
  uint8_t op = fz.op = fz_u8();
  unsigned x = op >> 4;
  size_t size, align, i;
  hak_site_t site;
  fz_job_t* j;
  switch (op & 15) {
    case 0: case 1: case 2:
      fz_where.op = "alloc";
      site = fz_site();
      fz_new(FZ_ALLOC, fz_size(), 0, 0, site);
      break;
    case 3:
      fz_where.op = "calloc";
      site = fz_site();
      fz_new(FZ_CALLOC, fz_size(), x, 0, site);
      break;
    case 4:
      fz_where.op = "aligned";
      site = fz_site();
      align = (size_t)1 << fz_u8() % 24;
      fz_new(FZ_ALIGNED, fz_size(), 0, align, site);
      break;
    case 5: case 6:
      fz_where.op = "free";
      if ((i = fz_pick()) != SIZE_MAX) fz_free(i, x == 15 ? fz_sites[0] : fz.live[i].site);
      break;
    case 7:
      fz_where.op = "realloc";
      if ((i = fz_pick()) == SIZE_MAX) break;
      site = x & 1 ? fz_site() : fz.live[i].site;
      fz_realloc_main(i, fz_size(), site);
      break;
    case 8:
      fz_where.op = "realloc-edge";
      fz_realloc_edge(x);
      break;
    case 9:
      fz_where.op = "worker-free";
      if ((i = fz_pick()) == SIZE_MAX) break;
      j = fz_job_new(FZ_JOB_FREE);
      j->b = fz_take(i);
      fz_post();
      break;
    case 10:
      fz_where.op = "worker-realloc";
      if ((i = fz_pick()) == SIZE_MAX) break;
      site = x & 1 ? fz_site() : fz.live[i].site;
      size = fz_size();
      align = 0;
      if (!fz_room(&size, &align, fz.live[i].usable)) break;
      j = fz_job_new(FZ_JOB_REALLOC);
      // fz_job_new may take back blocks, which moves no block of the model
      // before i (they are appended), so i still names the same block.
      j->b = fz_take(i);
      j->size = size;
      j->site = site;
      fz.coming++;
      fz_post();
      break;
    case 11:
      fz_where.op = "worker-alloc";
      site = fz_site();
      size = fz_size();
      align = x % 3 == 2 ? (size_t)1 << (x + fz_u8()) % 24 : 0;
      if (!fz_room_new(&size, &align)) break;
      j = fz_job_new(FZ_JOB_MAKE);
      j->how = x % 3 == 0 ? FZ_ALLOC : x % 3 == 1 ? FZ_CALLOC : FZ_ALIGNED;
      j->size = size;
      j->n = x;
      j->align = align;
      j->site = site;
      j->b.id = fz.next_id++;
      fz.coming++;
      fz_post();
      break;
    case 12:
      fz_where.op = "sync";
      fz_sync();
      break;
    case 13:
      fz_where.op = "release";
      fz_release(fz_subs[fz_u8() % FZ_SUBS], x & 1 ? FZ_WORKER : FZ_MAIN);
      break;
    case 14:
      fz_where.op = "check";
      fz_check_all();
      break;
    default:
      fz_where.op = "misc";
      fz_misc(x);
      break;
  }
}

// After every step the usable size and both ends of 4 blocks, all of every
// block now and then.
static void fz_step_check(void) {
  fz_where.op = "after the step";
  if (fz_where.step % FZ_FULL_CHECK_EVERY == 0) {
    fz_check_all();
    return;
  }
  for (int k = 0; k < 4 && fz.n > 0; k++) {
    const fz_blk_t* b = &fz.live[fz.rr++ % fz.n];
    size_t u = hak_usable_size(b->p);
    if (u != b->usable) fz_fail(b, "usable size changed to %zu", u);
    size_t edge = b->usable < 32 ? b->usable : 16;  // the first and last 16 bytes are always kept (fz_walk)
    size_t bad = fz_walk(FZ_CHECK, b->p, b->id, b->usable, 0, edge);
    if (bad == SIZE_MAX) bad = fz_walk(FZ_CHECK, b->p, b->id, b->usable, b->usable - edge, b->usable);
    if (bad != SIZE_MAX) fz_fail(b, "byte %zu is %#x, not %#x", bad, b->p[bad], fz_byte(b->id, bad));
  }
}

static long fz_total_steps;

static void fz_configure(uint8_t c) {
  static const long delay[4] = {-2, 0, -1, -2}, dirty[4] = {-2, 0, -1, -2};  // -2: the default
  long d = delay[c & 3], m = dirty[(c >> 4) & 3];
  hak_option_set(HAK_OPT_PURGE_DELAY_MS, d == -2 ? fz_default_opt[HAK_OPT_PURGE_DELAY_MS] : d);
  hak_option_set(HAK_OPT_PURGE_DIRTY_MAX_KB, m == -2 ? fz_default_opt[HAK_OPT_PURGE_DIRTY_MAX_KB] : m);
  hak_option_set(HAK_OPT_SEGMENT_CACHE, c & 4 ? 0 : fz_default_opt[HAK_OPT_SEGMENT_CACHE]);
  hak_option_set(HAK_OPT_WHALE_CACHE, c & 8 ? 0 : fz_default_opt[HAK_OPT_WHALE_CACHE]);
  hak_profile_enable(c & 64);
}


int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, fz_init);
  memset(&fz, 0, sizeof fz);
  fz_input = data;
  fz_input_len = size;
  fz.in = data;
  fz.len = size;
  fz_where = (fz_where_t){0, "configure"};
  fz_configure(fz_u8());
  while (fz.pos < fz.len) {
    fz_where.step++;
    fz_step();
    if (fz_trace)
      fprintf(stderr, "step %ld: %s (%#x), %zu live, %zu coming\n", fz_where.step, fz_where.op, fz.op, fz.n, fz.coming);
    fz_step_check();
  }
  fz_where.op = "end";
  fz_sync();
  while (fz.n > 0) fz_free(fz.n - 1, fz.live[fz.n - 1].site);
  fz_total_steps += fz_where.step;
  return 0;
}

// ----- Without libFuzzer -----
#ifdef FUZZ_API_MAIN
#include "test_rng.h"

static long fz_inputs;

static void fz_run_file(const char* path) {
  static uint8_t buf[1 << 16];
  FILE* f = fopen(path, "rb");
  if (f == NULL) {
    perror(path);
    exit(2);
  }
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  snprintf(fz_input_name, sizeof fz_input_name, "%s", path);
  LLVMFuzzerTestOneInput(buf, n);
  fz_inputs++;
}

static int fz_name_cmp(const struct dirent** a, const struct dirent** b) { return strcmp((*a)->d_name, (*b)->d_name); }

static void fz_run_path(const char* path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    perror(path);
    exit(2);
  }
  if (!S_ISDIR(st.st_mode)) {
    fz_run_file(path);
    return;
  }
  struct dirent** names;
  int n = scandir(path, &names, NULL, fz_name_cmp);
  if (n < 0) {
    perror(path);
    exit(2);
  }
  for (int i = 0; i < n; i++) {
    if (names[i]->d_name[0] != '.') {
      char file[4096];
      snprintf(file, sizeof file, "%s/%s", path, names[i]->d_name);
      fz_run_file(file);
    }
    free(names[i]);
  }
  free(names);
}

int main(int argc, char** argv) {
  long count = 0;
  uint64_t seed = 1;
  int i = 1;
  for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
    if (strcmp(argv[i], "-n") == 0) count = atol(argv[i + 1]);
    else if (strcmp(argv[i], "-s") == 0) seed = strtoull(argv[i + 1], NULL, 0);
    else if (strcmp(argv[i], "-d") == 0) fz_dump_path = argv[i + 1];
    else break;
  }
  if (i < argc && strcmp(argv[i], "-v") == 0) fz_trace = true, i++;
  if (i < argc && argv[i][0] == '-') {
    fprintf(stderr, "usage: %s [-n RANDOM_INPUTS] [-s SEED] [-d CRASH_FILE] [-v] [FILE|DIR]...\n", argv[0]);
    return 2;
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (; i < argc; i++) fz_run_path(argv[i]);
  long files = fz_inputs;
  static uint8_t buf[4096];
  uint64_t rng = seed;
  for (long k = 0; k < count; k++) {
    size_t n = 1 + test_rng_below(&rng, sizeof buf);
    for (size_t b = 0; b < n; b++) buf[b] = (uint8_t)test_rng_next(&rng);
    snprintf(fz_input_name, sizeof fz_input_name, "random input %ld of seed %llu (-d FILE writes it)", k,
             (unsigned long long)seed);
    LLVMFuzzerTestOneInput(buf, n);
    fz_inputs++;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("fuzz_api: %ld inputs (%ld files, %ld random from seed %llu), %ld steps, %.2f s\n", fz_inputs, files,
         fz_inputs - files, (unsigned long long)seed, fz_total_steps,
         (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
  return 0;
}
#endif
