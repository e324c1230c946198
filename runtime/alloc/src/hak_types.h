/* hak_types.h: every structure, constant and build variant of the allocator.

   The main types and the concepts they stand for:
     hak_segment_t  a 4 MiB region aligned to 4 MiB, cut into 64 slices of 64 KiB.
                    Its header (at the segment's start) describes its pages. A
                    segment belongs to one heap. Found from any pointer into it
                    by masking, after the segment map says the address is ours.
     hak_page_t     1..63 contiguous slices holding blocks of one size class,
                    with three free lists: `free` (allocation pops), `local_free`
                    (the owner's frees) and the atomic `xthread_free` (other
                    threads' frees, pushed with a CAS, taken with one exchange).
     hak_heap_t     one thread's pages for one subsystem: a direct table from
                    small sizes to pages (the fast path), a queue of pages per
                    size class, the list of its segments.
     hak_tld_t      one thread's state: a heap per subsystem and counters. Thread
                    states are never freed: an exiting thread abandons its tld,
                    a new thread adopts one, pages with live blocks and all.
     hak_whale_t    a block above 1 MiB, mmap'd on its own (header at the start
                    of the 4 MiB-aligned mapping).
     _hak_segmap    one byte per 4 MiB of the 47-bit address space: which tld
                    owns the segment there (the free fast path compares it with
                    the caller's tld id), or that the memory is ours but must
                    take the slow path, or that it is not ours at all.

   Invariant: a block's page never changes heap while the block is live, and a
   heap (inside its tld) is never freed, so a thread that frees a block of
   another thread can always push it onto the page's list (or, for a full
   page, the owner heap's notice list), even after the owner exited. */
#ifndef HAK_TYPES_H
#define HAK_TYPES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hakmem.h"

// ----- Variants -----
// HAK_DEBUG: 0 none, 1 API-misuse asserts, 2 + internal asserts.
#ifndef HAK_DEBUG
#define HAK_DEBUG 0
#endif
// HAK_VALGRIND: 0 off, 1 memcheck client requests for every block and helgrind
// happens-before annotations on the lock-free paths.
#ifndef HAK_VALGRIND
#define HAK_VALGRIND 0
#endif
// HAK_OVERRIDE: 0 hak_* only, 1 also define malloc & co (override.c).
#ifndef HAK_OVERRIDE
#define HAK_OVERRIDE 0
#endif
// HAK_CHECK_DEFAULT: checked mode on by default (the runtime option can turn it off).
#ifndef HAK_CHECK_DEFAULT
#define HAK_CHECK_DEFAULT 0
#endif
// HAK_SECURE: 0 off, 1 the hardened build (docs/security.md): free-list links
// encoded with per-page secrets and checked when followed, double and invalid
// frees stopped on every path, guard pages around segments and whales, fresh
// blocks handed out from a random first one, empty memory reused by its subsystem only.
#ifndef HAK_SECURE
#define HAK_SECURE 0
#endif
#if HAK_DEBUG < 0 || HAK_DEBUG > 2
#error "HAK_DEBUG must be 0..2"
#endif

// ----- Geometry -----
#define HAK_SEGMENT_SHIFT 22                          // 4 MiB segments
#define HAK_SEGMENT_SIZE ((size_t)1 << HAK_SEGMENT_SHIFT)
#define HAK_SEGMENT_MASK (HAK_SEGMENT_SIZE - 1)
#define HAK_SLICE_SHIFT 16                            // 64 KiB slices
#define HAK_SLICE_SIZE ((size_t)1 << HAK_SLICE_SHIFT)
#define HAK_SLICES (HAK_SEGMENT_SIZE / HAK_SLICE_SIZE)  // 64: one bit each in a uint64_t
#define HAK_ADDR_BITS 47                              // user space on x86-64 / aarch64 (4-level)
#define HAK_SEGMAP_COUNT ((size_t)1 << (HAK_ADDR_BITS - HAK_SEGMENT_SHIFT))

// Segment map values (one byte per 4 MiB).
#define HAK_SEGMAP_NONE 0         // not hakmem's memory
#define HAK_TLD_ID_MAX 249        // tld ids are 1..249
#define HAK_SEGMAP_CACHED 250     // an empty segment in the cache: no live block here
#define HAK_SEGMAP_INTERIOR 251   // inside a whale, past its first 4 MiB
#define HAK_SEGMAP_WHALE_PREV 252 // a whale whose header is in the previous 4 MiB
#define HAK_SEGMAP_SLOW 254       // ours; frees take the slow path (whales, checked mode, tlds without an id)
#define HAK_TLD_ID_NEVER 255      // the fast id of a tld whose frees must all go slow: never in the map

// ----- Size classes and tiers -----
// Class c's block size: classes 0..7 are 8..64 bytes in steps of 8; above,
// four classes per doubling (2^b + m*2^(b-2), m = 1..4): at most 25% waste
// above 64 bytes. hak_size_class (hak_internal.h) is its inverse.
#define HAK_CLASS_SIZE(c) \
  ((c) < 8 ? 8u * ((c) + 1) : (1u << (6 + ((c)-8) / 4)) + (((c)-8) % 4 + 1) * (1u << (4 + ((c)-8) / 4)))

// The tiers, one row each: everything else about them is derived from here.
//   X(NAME, largest size, last class, blocks a page is sized for, hak_stats_t field)
// (page.c: a page gets the slices for that many blocks, at most a segment's
// HAK_SLICES - 1, so the largest classes get fewer: 3 blocks of 1 MiB.)
// A size belongs to the first tier whose largest size holds it; above the
// last row are whales (whale.c: a mapping each, no class).
#define HAK_TIERS(X)                              \
  X(TINY, 1024, 23, 16, tiny_alloc)               \
  X(MID, 32 * 1024, 43, 16, mid_alloc)            \
  X(LARGE, 1024 * 1024, 63, 8, large_alloc)

#define HAK_TIER_ENUM_(t, max, last, blocks, field) HAK_TIER_##t,
typedef enum hak_tier_e { HAK_TIERS(HAK_TIER_ENUM_) HAK_TIER_WHALE, HAK_TIER_COUNT } hak_tier_t;
#define HAK_TIER_LIMITS_(t, max, last, blocks, field) HAK_##t##_MAX = (max), HAK_CLASS_##t##_LAST = (last),
enum { HAK_TIERS(HAK_TIER_LIMITS_) };
#define HAK_TIER_CHECK_(t, max, last, blocks, field)                                               \
  _Static_assert(HAK_CLASS_SIZE(last) == (max), "tier " #t ": its last class is its largest size"); \
  _Static_assert((max) <= (HAK_SLICES - 1) * HAK_SLICE_SIZE, "tier " #t ": its largest block fits a page");
HAK_TIERS(HAK_TIER_CHECK_)

#define HAK_CLASS_COUNT (HAK_CLASS_LARGE_LAST + 1)      // whales have no class
#define HAK_DIRECT_COUNT (HAK_TINY_MAX / 8 + 1)         // direct[(size+7)/8] for tiny sizes
_Static_assert(HAK_CLASS_COUNT <= 256, "a class fits hak_page_t.size_class");
_Static_assert(HAK_CLASS_SIZE(HAK_CLASS_TINY_LAST + 1) > HAK_TINY_MAX && HAK_CLASS_SIZE(HAK_CLASS_MID_LAST + 1) > HAK_MID_MAX,
               "tiers are contiguous: a tier's first class is larger than the previous tier's largest size");
_Static_assert(HAK_TINY_MAX % 8 == 0 && HAK_CLASS_SIZE(HAK_CLASS_TINY_LAST) == HAK_TINY_MAX,
               "the direct table covers every tiny size");
_Static_assert(HAK_SLICE_SIZE / 8 <= (1u << 24) / (HAK_SLICES - 1), "the blocks of a page fit the 24-bit used count");

// ----- Blocks and pages -----
typedef struct hak_block_s {
  struct hak_block_s* next;  // free-list link, in the first word of a free block
} hak_block_t;

typedef struct hak_heap_s hak_heap_t;
typedef struct hak_tld_s hak_tld_t;
typedef struct hak_segment_s hak_segment_t;

// Page flags: any set bit sends a local free to the slow path, so a rare
// condition about a page is a flag, never a new test on the fast path.
#define HAK_PAGE_IN_FULL 0x01     // not in its class queue (no free block was left)
#define HAK_PAGE_HAS_ALIGNED 0x02 // holds blocks handed out at an inner aligned address
#define HAK_PAGE_CHECKED 0x04     // checked mode: every free is verified
#define HAK_PAGE_SAMPLED 0x08     // holds a block sampled by the drop-in profiler (frees look it up)

// used_flags: the low 24 bits count the blocks in use, the high 8 bits hold
// HAK_PAGE_* flags, so the free fast path tests "no flag and more than one
// block in use" with one unsigned compare.
#define HAK_PAGE_FLAG_SHIFT 24
#define HAK_PAGE_USED_MASK ((1u << HAK_PAGE_FLAG_SHIFT) - 1)
#define hak_page_used(pg) ((pg)->used_flags & HAK_PAGE_USED_MASK)
#define hak_page_flags(pg) ((pg)->used_flags >> HAK_PAGE_FLAG_SHIFT)
#define hak_page_flag_set(pg, f) ((pg)->used_flags |= (uint32_t)(f) << HAK_PAGE_FLAG_SHIFT)
#define hak_page_flag_clear(pg, f) ((pg)->used_flags &= ~((uint32_t)(f) << HAK_PAGE_FLAG_SHIFT))
// The flags' byte of used_flags alone (little-endian: its high byte), so the
// free fast path tests it with a compare of memory and then decrements the
// count in memory, without loading and storing the word through a register.
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "hak_page_flags_byte assumes a little-endian used_flags"
#endif
#define hak_page_flags_byte(pg) (((const uint8_t*)&(pg)->used_flags)[3])

// A page descriptor is two cache lines: the first holds what the owner
// writes on every allocation and free, the second what other threads read
// (fixed while the page holds blocks) and the list they push onto, so a
// remote free does not steal the line the owner's fast paths work on.
typedef struct hak_page_s {
  // ----- line 0: owner only -----
  hak_block_t* free;          // blocks to allocate from (the fast path pops here)
  uint32_t used_flags;        // blocks in use (low 24 bits) | HAK_PAGE_* flags << 24
  uint8_t size_class;         // 0..HAK_CLASS_COUNT-1
  uint8_t slice_index;        // first slice of the page in its segment
  uint8_t slice_count;        // slices spanned (0: the page descriptor is not in use)
  bool free_is_zero;          // every block on `free` is zero but for its link word
  hak_block_t* local_free;    // blocks freed by the owner, moved to `free` in the slow path
  uint32_t capacity;          // blocks carved from the page's memory so far
  bool is_zero_init;          // the page's memory was fresh (all zero) when it was set up
  struct hak_page_s* next;    // in the heap's class queue or full list
  struct hak_page_s* prev;
  uint64_t keys[2];           // free-list link encoding (hak_link_*): random in hardened builds and checked pages, else 0
  // ----- line 1: read by any thread, and the remote-free list -----
  _Alignas(64) _Atomic(uintptr_t) xthread_free;  // blocks other threads freed (a list; low bits: HAK_XF_* state)
  uint8_t* start;             // address of block 0
  hak_heap_t* heap;           // owner; fixed while any block is live
  uint32_t block_size;        // bytes per block
  uint32_t reserved;          // blocks that fit in the page
  bool has_aligned;           // copy of HAK_PAGE_HAS_ALIGNED that other threads read (relaxed atomic accesses; set once, never cleared)
  bool has_checked;           // copy of HAK_PAGE_CHECKED that other threads may read (fixed for the page's life)
  _Atomic(uint16_t) samples;  // blocks here carrying a drop-in profile sample (any thread decrements it)
  uint32_t div_magic;         // hardened builds: ceil(2^32 / block_size), for hak_page_block_index
  uint64_t xkeys[2];          // == keys, for other threads' frees (they do not read line 0)
} hak_page_t;

// The state bit of a page's xthread_free word (blocks are 8-aligned, so the
// low bits of the list head are free). HAK_XF_FULL: the page is in its heap's
// full list and the list is empty; the next thread to free a block of it
// clears the bit and sends that block through the heap's xthread_notice list
// instead, so the owner learns that the page has room again.
#define HAK_XF_FULL ((uintptr_t)1)
#define HAK_XF_MASK ((uintptr_t)7)

typedef struct hak_page_queue_s {
  hak_page_t* first;  // the page the direct table / generic path allocates from
  hak_page_t* last;
} hak_page_queue_t;

// ----- Segments -----
typedef enum hak_segment_kind_e { HAK_SEG_SLICED = 1, HAK_SEG_WHALE = 2 } hak_segment_kind_t;

struct hak_segment_s {
  uint8_t kind;                        // HAK_SEG_SLICED (first byte of every segment and whale header)
  uint8_t map_id;                      // the byte written in the segment map for it
  hak_heap_t* heap;                    // owner; NULL while cached
  hak_page_t* slice_page[HAK_SLICES];  // slice -> page covering it; NULL when the slice is free
  uint64_t free_slices;                // bit i: slice i belongs to no page
  uint64_t zero_slices;                // bit i: slice i is all zero (fresh or purged)
  uint64_t dirty_slices;               // bit i: free slice not purged yet
  uint64_t dirty_old;                  // of those, the ones already dirty at the previous purge tick
  int64_t purge_at;                    // ms (prim clock) of the next purge tick; 0: none due
  size_t first_offset;                 // bytes of slice 0 taken by this header
  struct hak_segment_s* next;          // in the owner heap's segment list, or the cache
  struct hak_segment_s* prev;
  uint8_t subsys;                      // hardened builds: the subsystem it last served (the cache gives it to that one only)
  hak_page_t pages[HAK_SLICES];        // page descriptor of the page starting at slice i
};
_Static_assert(HAK_SLICES == 64, "free_slices, zero_slices and dirty_slices hold one bit per slice");
_Static_assert(sizeof(hak_page_t) == 128, "a page descriptor is two cache lines (owner's, then other threads')");
_Static_assert(sizeof(hak_segment_t) < HAK_SLICE_SIZE, "a segment's header leaves room for blocks in slice 0");
_Static_assert(HAK_SLICES - 1 <= UINT8_MAX, "slice indices and counts fit hak_page_t's bytes");

// ----- Whales -----
typedef struct hak_whale_s {
  uint8_t kind;                      // HAK_SEG_WHALE (first byte, as in hak_segment_t)
  uint8_t cached;                    // 1 while in the whale cache
  uint8_t* map_base;                 // start of the mapping (the header itself, unless the alignment is >= 4 MiB)
  size_t map_size;                   // bytes mapped from map_base
  size_t user_offset;                // the block starts at map_base + user_offset
  size_t size;                       // bytes requested (usable: map_size - user_offset)
  hak_heap_t* heap;                  // the heap that allocated it (for hak_heap_release)
  struct hak_whale_s* prev;          // in the heap's whale list
  int64_t cached_at;                 // ms, while cached
  struct hak_whale_s* next;          // in the heap's whale list, or in the cache
  uint8_t subsys;                    // the subsystem it serves or, cached, last served (hardened builds reuse it for that one only)
} hak_whale_t;

// ----- Per-site profile -----
// Counters of one site in one thread (plain integers, owner-written; merged on
// read). Bytes are usable block sizes: what the site costs in memory.
typedef struct hak_site_counters_s {
  uint64_t allocs;       // blocks allocated here
  uint64_t alloc_bytes;  // their bytes
  uint64_t frees;        // blocks of this site freed by this thread
  uint64_t free_bytes;
  int64_t live;          // alloc_bytes - free_bytes, as this thread saw them
  int64_t peak;          // the largest `live` this thread saw
} hak_site_counters_t;

#define HAK_PROF_SITES 65536  // counters per thread (3 MiB reserved, touched as used); higher indices count under their subsystem's anonymous site

typedef struct hak_prof_tld_s {
  hak_site_counters_t* sites;  // HAK_PROF_SITES counters, mapped (zero) at the first profiling use, never freed
  uint64_t rng;                // for the sampling intervals
  bool in_sample;              // taking a sample: mallocs the unwinder makes are not sampled
} hak_prof_tld_t;

// ----- Heaps and thread state -----
struct hak_heap_s {
  size_t fast_limit;                      // hak_alloc_at's fast path serves sizes below it: HAK_TINY_MAX + 1; 0 when checked, profiling or not set up
  size_t malloc_limit;                    // the same for malloc (libhakmem.so): 0 only when checked (or not set up)
  bool profiling;                         // == tld->profiling: malloc's fast path counts down to the next sample
  bool mid_fast;                          // hak_alloc_at may pop mid/large blocks inline (not checked, not profiling)
  bool malloc_mid;                        // malloc may (not checked; with profiling on it counts down to the next sample)
  hak_page_t* direct[HAK_DIRECT_COUNT];   // (size+7)/8 -> page to allocate from; &_hak_page_empty if none
  hak_tld_t* tld;                         // the thread state this heap is part of; NULL: not set up (heap.c: _hak_heap_setup_for)
  uint8_t subsys;                         // hak_subsys_t of this heap
  _Atomic(hak_block_t*) xthread_notice;   // first remote frees into full pages (pushed with CAS, taken with one exchange)
  hak_page_queue_t queues[HAK_CLASS_COUNT]; // pages with (possibly) free blocks, per class
  hak_page_t* full;                       // pages with no free block left (HAK_PAGE_IN_FULL)
  hak_segment_t* segments;                // segments this heap owns
  struct hak_whale_s* whales;             // live whales allocated from this heap (under the whale lock)
  uint64_t tier_alloc[HAK_TIER_COUNT];    // blocks allocated per tier (tiny: on the fast path)
};

#define HAK_HEAP_ALIGN 4096  // heaps are 4 KiB-aligned slots inside the tld: heap = tld + (subsys << 12)
_Static_assert(sizeof(hak_heap_t) <= HAK_HEAP_ALIGN, "a heap fits its slot in the thread state");
_Static_assert(HAK_SUBSYS_MAX == 1u << (32 - HAK_SITE_SUBSYS_SHIFT), "every subsystem bits of a site have a heap slot");

// A tld has a slot for every subsystem id, so hak_alloc_at can index it with
// any site; a slot is set up (its page touched) only when the thread first
// allocates in that subsystem, so an unused slot costs address space only.
struct hak_tld_s {
  union {
    hak_heap_t heap;
    uint8_t pad_[HAK_HEAP_ALIGN];
  } heaps[HAK_SUBSYS_MAX];
  uint32_t heaps_used;          // bit s: heap s is set up
  uint8_t fast_id;              // free()'s fast path compares it with the segment map; HAK_TLD_ID_NEVER: always slow
  uint8_t fast_id_at;           // the same for hak_free_at: HAK_TLD_ID_NEVER also when profiling
  uint8_t map_id;               // written in the segment map for this tld's segments
  bool abandoned;               // owner thread exited; waiting for adoption
  int64_t abandoned_at;         // ms (prim clock) when it was abandoned
  bool checked;                 // this tld was set up in checked mode
  uint32_t generic_count;       // slow-path calls since the last periodic work (every 64)
  int64_t next_purge;           // ms: earliest dirty-slice purge due
  int64_t dirty_bytes;          // free slices of this tld's segments not purged yet (bounded, see segment.c)
  int64_t page_bytes;           // slices of this tld's pages in use
  uint64_t free_count;          // blocks freed by this thread, any owner (owner-only counter, merged on read)
  uint64_t remote_free;         // of which another thread's
  uint64_t invalid_free;        // frees of pointers that were not live blocks
  bool profiling;               // per-site counting on for this thread (profile.c)
  uint32_t profile_gen;         // the profiling generation this tld was set up for
  struct hak_prof_tld_s* profile; // sampling state and per-site counters, made at the first profiling use, never freed
  hak_site_counters_t* prof_sites; // == profile->sites (one load less on the profiled paths)
  int64_t sample_left;          // drop-in sampling: bytes of malloc until the next sample
  uint64_t secure_rng;          // hardened builds and checked pages: page keys and the order of fresh blocks (hak_secure_random)
  struct hak_tld_s* next_all;   // list of every tld ever made
  struct hak_tld_s* next_abandoned;
};

#endif  // HAK_TYPES_H
