/* hakmem.h: the public interface of the hakmem allocator.

   hakmem serves memory per allocation *site*. A site (hak_site_t) is a 32-bit
   id: the top 5 bits name a subsystem (0 "default", or one a program
   registered by name at run time: hak_subsys_register), the low 27 bits a
   site registered by name. Each subsystem of each thread has its own heap, so
   a subsystem's blocks can be released in one call and the allocator can say
   which site holds how much memory.

   Conventions that hold for every function below unless it says otherwise:
   - A function that returns a block returns NULL and sets errno to ENOMEM when
     the OS refuses memory or the request cannot be represented (a size near
     SIZE_MAX, a calloc product that overflows). It never aborts for that.
   - A request of size 0 returns a unique, non-NULL minimal block that must be
     freed like any other.
   - Blocks are aligned to 16 bytes when their size is a multiple of 16 or
     more than 56, to 8 bytes otherwise (17..24, 33..40 and 49..56 bytes get
     8-aligned classes: enough for any object that fits);
     hak_aligned_alloc_at gives stronger alignment.
   - Freeing NULL is a no-op. Freeing a pointer that is not in hakmem's
     memory (a foreign pointer, a corrupt value, memory already given back) is
     detected by the ownership lookup, reported on stderr with the pointer,
     and ignored; with HAKMEM_CHECK=1 it aborts instead. It is never treated
     as a block. A pointer into the middle of a block, or a block freed twice,
     is detected when the block is above 1 MiB; for smaller blocks only in
     checked mode (HAKMEM_CHECK=1), which verifies every free.
   - Any thread may free any block; the site passed to a free should be the
     one the block was allocated with (it only feeds the per-site profile).
   - Every function is thread-safe. */
#ifndef HAKMEM_H
#define HAKMEM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

// The version of this header (CMake's project version is read from here).
// The library's soname carries the major version: a program built against
// one major version runs with any later library of the same major version.
#define HAKMEM_VERSION_MAJOR 2
#define HAKMEM_VERSION_MINOR 0
#define HAKMEM_VERSION_PATCH 0
#define HAKMEM_VERSION (HAKMEM_VERSION_MAJOR * 100 + HAKMEM_VERSION_MINOR)  // in hak_stats_t.version

#ifdef __cplusplus
extern "C" {
#endif

// ----- Attributes -----
#if defined(__GNUC__) || defined(__clang__)
#define HAK_API __attribute__((visibility("default")))
#define hak_attr_malloc __attribute__((malloc))
#define hak_attr_alloc_size(n) __attribute__((alloc_size(n)))
#define hak_attr_alloc_size2(n, m) __attribute__((alloc_size(n, m)))
#define hak_attr_alloc_align(n) __attribute__((alloc_align(n)))
#define hak_decl_nodiscard __attribute__((warn_unused_result))
#else
#define HAK_API
#define hak_attr_malloc
#define hak_attr_alloc_size(n)
#define hak_attr_alloc_size2(n, m)
#define hak_attr_alloc_align(n)
#define hak_decl_nodiscard
#endif

// The version of the library running, "MAJOR.MINOR.PATCH" (the header's
// HAKMEM_VERSION_* macros give the one the program was built against).
HAK_API const char* hak_version(void);

// ----- Sites -----
typedef uint32_t hak_site_t;

// A subsystem is a part of a program with heaps of its own: each thread has
// one heap per subsystem it allocates in, released in one call
// (hak_heap_release), with its own stats and profile rows. Subsystem 0,
// "default", serves malloc (libhakmem.so) and anything unnamed; programs
// register the others by name at run time (a runtime registers "json", "vm",
// "lua", ... like any other user).
typedef uint32_t hak_subsys_t;
#define HAK_SUBSYS_DEFAULT ((hak_subsys_t)0)
#define HAK_SUBSYS_MAX 32  // ids 0..31: "default" and 31 that a process may register
#define HAK_SUBSYS_INVALID ((hak_subsys_t)UINT32_MAX)
#define HAK_SUBSYS_NAME_MAX 31  // bytes of a subsystem name

// Registers the subsystem `name` and returns its id; the same name always
// gives the same id ("default" gives HAK_SUBSYS_DEFAULT). A name is 1 to
// HAK_SUBSYS_NAME_MAX bytes of letters, digits, '_', '-' and '.'. Returns
// HAK_SUBSYS_INVALID with errno EINVAL for a bad name, and with errno ENOSPC
// (and a message on stderr) when all HAK_SUBSYS_MAX - 1 are taken.
// Thread-safe.
HAK_API hak_subsys_t hak_subsys_register(const char* name);
// The name of a registered subsystem; NULL for any other id.
HAK_API const char* hak_subsys_name(hak_subsys_t sub);
// How many subsystems are registered, "default" included.
HAK_API uint32_t hak_subsys_count(void);

// HAK_SUBSYS("name"): the subsystem, registered at the expression's first
// use; after that one load and one predicted branch. HAK_SUBSYS_INVALID if
// the registration failed.
#define HAK_SUBSYS(name)                                                             \
  (__extension__({                                                                   \
    static uint32_t hak_subsys_static_;  /* id + 1; 0: not registered yet */        \
    uint32_t hak_subsys_v_ = __atomic_load_n(&hak_subsys_static_, __ATOMIC_RELAXED); \
    if (__builtin_expect(hak_subsys_v_ == 0, 0)) {                                   \
      hak_subsys_v_ = hak_subsys_register(name) + 1;                                 \
      __atomic_store_n(&hak_subsys_static_, hak_subsys_v_, __ATOMIC_RELAXED);        \
    }                                                                                \
    (hak_subsys_t)(hak_subsys_v_ - 1);                                               \
  }))

#define HAK_SITE_SUBSYS_SHIFT 27
#define HAK_SITE_INDEX_MASK ((1u << HAK_SITE_SUBSYS_SHIFT) - 1)
#define hak_site_subsys(s) ((hak_subsys_t)((uint32_t)(s) >> HAK_SITE_SUBSYS_SHIFT))
#define hak_site_index(s) ((uint32_t)(s) & HAK_SITE_INDEX_MASK)
// The anonymous site of a subsystem: site index == subsystem id, named after
// the subsystem. Always valid for a registered subsystem, never registered.
#define HAK_SITE_ANON(sub) ((hak_site_t)(((uint32_t)(sub) << HAK_SITE_SUBSYS_SHIFT) | (uint32_t)(sub)))
#define HAK_SITE_DEFAULT ((hak_site_t)0)

// Registers a site named `name` (copied) in subsystem `sub` and returns its id.
// The same (sub, name) always gives the same id; ids are never reused. Returns
// HAK_SITE_ANON(sub) when `name` is NULL or the registry is full, and
// HAK_SITE_DEFAULT with errno EINVAL when `sub` is not a registered
// subsystem. Thread-safe.
HAK_API hak_site_t hak_site_register(hak_subsys_t sub, const char* name);
// The name a site was registered with (a subsystem's name for its anonymous
// site); NULL for an id that was never returned.
HAK_API const char* hak_site_name(hak_site_t site);
// The number of site indices in use (the anonymous sites' HAK_SUBSYS_MAX included).
HAK_API uint32_t hak_site_count(void);

// HAK_SITE(sub, "name"): a static site, registered at its first use; after that
// it costs one load and one predicted branch. Usable as an expression.
#define HAK_SITE(sub, name)                                                        \
  (__extension__({                                                                 \
    static hak_site_t hak_site_static_;                                            \
    hak_site_t hak_site_v_ = __atomic_load_n(&hak_site_static_, __ATOMIC_RELAXED); \
    if (__builtin_expect(hak_site_v_ == 0, 0)) {                                   \
      hak_site_v_ = hak_site_register((sub), (name));                              \
      __atomic_store_n(&hak_site_static_, hak_site_v_, __ATOMIC_RELAXED);          \
    }                                                                              \
    hak_site_v_;                                                                   \
  }))

// ----- Allocation -----
// A block of at least `size` bytes from the calling thread's heap for the
// site's subsystem. A site whose subsystem is not registered gets NULL with
// errno EINVAL.
HAK_API hak_decl_nodiscard void* hak_alloc_at(size_t size, hak_site_t site) hak_attr_malloc hak_attr_alloc_size(1);
// Zeroed n*size bytes; NULL + ENOMEM when n*size overflows.
HAK_API hak_decl_nodiscard void* hak_calloc_at(size_t n, size_t size, hak_site_t site) hak_attr_malloc hak_attr_alloc_size2(1, 2);
// Resizes p, keeping its first min(old, new) bytes. p == NULL: like
// hak_alloc_at. size == 0: frees p and returns NULL. Stays in place when the
// new size fits the block (and is at least half of it), except that a whale
// shrunk to 1 MiB or less moves to a page; otherwise moves the block (whales
// grow with mremap). On failure returns NULL and p is untouched.
// A foreign p is reported and NULL returned (errno EINVAL), p untouched.
HAK_API hak_decl_nodiscard void* hak_realloc_at(void* p, size_t size, hak_site_t site) hak_attr_alloc_size(2);
// A block aligned to `alignment`, which must be a power of two no larger than
// HAK_ALIGN_MAX; otherwise NULL with errno EINVAL. `size` need not be a
// multiple of `alignment`.
#define HAK_ALIGN_MAX ((size_t)1 << 30)  // 1 GiB
HAK_API hak_decl_nodiscard void* hak_aligned_alloc_at(size_t alignment, size_t size, hak_site_t site) hak_attr_malloc hak_attr_alloc_size(2) hak_attr_alloc_align(1);
// Frees a block from any hak_*alloc_at function, from any thread.
HAK_API void hak_free_at(void* p, hak_site_t site);
// The bytes usable in block p (>= the size requested); 0 for NULL and for a
// pointer that is not a live hakmem block.
HAK_API size_t hak_usable_size(const void* p);
// True when p is inside memory that hakmem manages (live block or not). Never
// faults, whatever p is.
HAK_API bool hak_owns(const void* p);

// ----- Heaps -----
// Releases every block the calling thread allocated from its heap for `sub`,
// in time proportional to the heap's pages, and gives the pages back. Blocks
// of that heap still held anywhere become invalid: freeing one afterwards is a
// use-after-release (reported when its memory is no longer hakmem's, detected
// by HAKMEM_CHECK=1, undefined otherwise). Frees of such blocks that other
// threads made before the call are discarded. Returns the number of bytes of
// pages released (0 for a subsystem the thread never allocated in).
HAK_API size_t hak_heap_release(hak_subsys_t sub);
// Drains pending cross-thread frees of the calling thread and purges empty
// pages; with force, purges now instead of after HAKMEM_PURGE_DELAY_MS and
// returns cached segments and whales to the OS.
HAK_API void hak_collect(bool force);

// ----- Per-site profile -----
// Two kinds of data, both written to one data file (docs/profile-format.md)
// that the `hakmem` command renders (text, JSON, SVG, folded stacks, pprof):
// - Sites: calls through hak_*_at are counted exactly, per site and per
//   thread with no lock or atomic; reading merges the threads. Peak live
//   bytes are exact when a site's blocks are freed by the thread that
//   allocated them, otherwise the sum of the per-thread peaks (an upper bound).
// - Call stacks: in libhakmem.so, malloc & co are sampled, one allocation per
//   HAKMEM_PROFILE_SAMPLE KiB on average with exponential intervals; each
//   sample records its call stack (up to 64 frames) and is weighted so that
//   blocks, bytes, live and peak bytes per stack are unbiased estimates.
// Bytes are usable block sizes.
typedef struct hak_site_stats_s {
  hak_site_t site;       // its id
  const char* name;      // its registered name
  uint64_t allocs;
  uint64_t bytes;
  uint64_t frees;
  uint64_t freed_bytes;
  int64_t live;
  int64_t peak;
} hak_site_stats_t;

// Turns profiling on or off for the process (HAKMEM_PROFILE=1 at start). The
// calling thread switches at once, others at their next allocation slow path.
// What was collected is kept when profiling is turned off.
HAK_API void hak_profile_enable(bool on);
HAK_API bool hak_profile_enabled(void);
// Fills out[0..cap) with the sites that allocated, merged over all threads,
// by bytes allocated, largest first; returns how many sites there are (which
// may be more than cap). Names stay valid for the life of the process.
HAK_API size_t hak_profile_snapshot(hak_site_stats_t* out, size_t cap);
// Writes the profile data (sites and sampled stacks) to `out`. Returns 0 or
// an errno value.
HAK_API int hak_profile_dump(FILE* out);
// Writes the profile data to `path` (written whole to a temporary name, then
// renamed; "%p" in path becomes the process id). Returns 0 or an errno value.
// HAKMEM_PROFILE_OUT=path does this at exit.
HAK_API int hak_profile_write(const char* path);

// ----- Statistics -----
// HAK_STATS_FIELDS(X): X(name, description) for every counter of hak_stats_t.
#define HAK_STATS_FIELDS(X)                                                   \
  X(alloc_count, "blocks allocated (all tiers)")                              \
  X(free_count, "blocks freed (all tiers)")                                   \
  X(tiny_alloc, "tiny blocks allocated (<= 1 KiB)")                           \
  X(mid_alloc, "mid blocks allocated (<= 32 KiB)")                            \
  X(large_alloc, "large blocks allocated (<= 1 MiB)")                         \
  X(whale_alloc, "whale blocks allocated (> 1 MiB, mmap)")                    \
  X(remote_free, "frees from a thread other than the owner")                  \
  X(invalid_free, "frees of pointers that are not live blocks (ignored)")     \
  X(pages_current, "pages holding blocks now")                                \
  X(pages_peak, "most pages at once")                                         \
  X(segments_current, "segments mapped now")                                  \
  X(segments_peak, "most segments at once")                                   \
  X(segments_cached, "empty segments kept for reuse")                         \
  X(whale_bytes_current, "bytes in live whales")                              \
  X(whale_cached, "freed whale mappings kept for reuse")                      \
  X(mapped_bytes_current, "bytes mapped from the OS now")                     \
  X(mapped_bytes_peak, "most bytes mapped at once")                           \
  X(purged_bytes, "bytes given back with madvise (total)")                    \
  X(mmap_calls, "mmap/mremap calls")                                          \
  X(munmap_calls, "munmap calls")                                             \
  X(threads_current, "thread heaps in use")                                   \
  X(threads_abandoned, "thread heaps of exited threads awaiting a new thread") \
  X(heap_releases, "hak_heap_release calls")                                  \
  X(rss_current, "resident set size now (bytes, from the OS)")                \
  X(rss_peak, "peak resident set size (bytes, from the OS)")

typedef struct hak_stats_s {
  size_t size;        // sizeof(hak_stats_t) of the caller: set before hak_stats_get
  uint32_t version;   // HAKMEM_VERSION of the library that filled it
#define HAK_STATS_FIELD_(name, doc) uint64_t name;
  HAK_STATS_FIELDS(HAK_STATS_FIELD_)
#undef HAK_STATS_FIELD_
} hak_stats_t;

// Fills a snapshot merged over all threads. Set out->size = sizeof(*out) first
// (a smaller, older struct is filled up to its size). NULL: no-op.
HAK_API void hak_stats_get(hak_stats_t* out);
// Prints the snapshot as text (out NULL: stderr).
HAK_API void hak_stats_print(FILE* out);
// Prints the snapshot as one JSON object (out NULL: stderr).
HAK_API void hak_stats_print_json(FILE* out);

// ----- Options -----
// Read once from the environment variable HAKMEM_<NAME> at the first call into
// hakmem (1/0/on/off/true/false/yes/no; sizes accept K, M, G); a bad value
// warns on stderr and keeps the default. See docs/options.md.
typedef enum hak_option_e {
  HAK_OPT_PURGE_DELAY_MS,     // ms an empty page stays committed before madvise (default 100; 0 = at once; -1 = never)
  HAK_OPT_STATS,              // print statistics at exit: 1 text, 2 JSON (default 0)
  HAK_OPT_VERBOSE,            // print options and build levels at init and warnings (default 0)
  HAK_OPT_CHECK,              // checked mode: detect misuse and abort (default 0)
  HAK_OPT_PROFILE,            // per-site profiling on (default 0)
  HAK_OPT_PROFILE_SAMPLE,     // drop-in profiling: one sample per this many KiB allocated (default 512)
  HAK_OPT_SEGMENT_CACHE,      // empty segments kept mapped for reuse (default 8)
  HAK_OPT_WHALE_CACHE,        // freed whale mappings kept for reuse (default 8)
  HAK_OPT_WHALE_CACHE_MAX_MB, // most MiB kept in the whale cache (default 256)
  HAK_OPT_ABORT_ON_INVALID,   // abort on an invalid free even without checked mode (default 0)
  HAK_OPT_PURGE_DIRTY_MAX_KB, // a thread's freed-but-unpurged memory is purged at once beyond this many KiB (default 1024; -1: no bound)
  HAK_OPT_PROFILE_INTERVAL_MS, // profiling: also write the data file every this many ms (default 0: at exit only)
  HAK_OPT_PROFILE_SIGNAL,     // profiling: also write the data file when this signal arrives (default 0: none)
  HAK_OPT_PROFILE_SEED,       // profiling: seed of the sampling intervals (default 0: a different stream each run)
  HAK_OPT_PROFILE_CRASH,      // profiling from the environment: write the data file on a fatal signal (default 1)
  HAK_OPTION_COUNT
} hak_option_t;

HAK_API long hak_option_get(hak_option_t option);
// Sets an option for the rest of the process (thread-safe; takes effect at the
// next slow path of each thread). Out-of-range options are ignored.
HAK_API void hak_option_set(hak_option_t option, long value);
// The name without the prefix ("purge_delay_ms"); NULL out of range.
HAK_API const char* hak_option_name(hak_option_t option);

// ----- Configuration for programs -----
#define HAK_CONFIG_UNSET LONG_MIN
typedef struct hak_config_s {
  size_t size;                      // sizeof(hak_config_t): set by hak_config_init
  long option[HAK_OPTION_COUNT];    // HAK_CONFIG_UNSET keeps the environment's value or the default
} hak_config_t;

// Fills *cfg with HAK_CONFIG_UNSET everywhere.
HAK_API void hak_config_init(hak_config_t* cfg);
// Reads the environment (once) and then applies every set option of cfg
// (cfg may be NULL). May be called at any time, more than once. Returns 0, or
// EINVAL for a cfg whose size does not match.
HAK_API int hak_init_ex(const hak_config_t* cfg);

// ----- Allocation context (for json, mir, vm and programs) -----
// A component that allocates takes one of these instead of calling hakmem
// directly, so a program (or a benchmark) can put another allocator under it.
// `old_size`/`size` are the sizes the component asked for. `release` may be
// NULL: the context cannot release a subsystem in bulk, so the component frees
// its blocks one by one.
typedef struct hak_alc_s {
  void* ctx;
  void* (*alloc)(void* ctx, size_t size, hak_site_t site);
  void* (*realloc)(void* ctx, void* p, size_t old_size, size_t size, hak_site_t site);
  void (*free)(void* ctx, void* p, size_t size, hak_site_t site);
  size_t (*release)(void* ctx, hak_subsys_t sub);
} hak_alc_t;

// hakmem itself (hak_alloc_at & co; release = hak_heap_release).
HAK_API const hak_alc_t* hak_alc_default(void);
// The C library's malloc/realloc/free, whatever LD_PRELOAD puts there; no
// release. For comparing allocators on the same work.
HAK_API const hak_alc_t* hak_alc_libc(void);

#ifdef __cplusplus
}
#endif

#endif  // HAKMEM_H
