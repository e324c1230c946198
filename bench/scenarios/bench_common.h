/* bench_common.h: what every scenario program shares.

   A scenario is built twice: `<name>_hak` calls hak_alloc_at/hak_free_at
   (hakmem linked in), `<name>` calls malloc/free, so that LD_PRELOAD can put
   any allocator under it (libhakmem.so, mimalloc, jemalloc, tcmalloc) or none
   (glibc). Each run ends with one `allocator:` line that proves who served
   it: hakmem's own counters when hakmem is in the process, else the peer
   library found mapped in /proc/self/maps, else glibc. When the driver runs
   the program under a library given by path (`hakmem bench --allocator
   NAME=PATH`), it sets HAKMEM_BENCH_PRELOAD=PATH and
   HAKMEM_BENCH_PRELOAD_NAME=NAME, and the line names NAME only if that very
   file is mapped and malloc resolves into it.

   The multi-threaded scenarios check their data: every block they allocate
   is filled with a pattern derived from its address and size
   (bench_fill, bench_stamp, bench_tag_fill below) and checked before it is
   freed; a mismatch (a block given out twice, memory the allocator wrote
   over) ends the run with a message and exit status 1. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef BENCH_HAK
#include "hakmem.h"
#define bench_malloc(size) hak_alloc_at((size), HAK_SITE_DEFAULT)
#define bench_free(p) hak_free_at((p), HAK_SITE_DEFAULT)
#else
#include <stdlib.h>
#define bench_malloc(size) malloc(size)
#define bench_free(p) free(p)
#endif

// ----- Reports -----
// Prints "allocator: NAME ..." to stdout: hakmem with its allocation counters
// when hakmem served the run (linked or preloaded); NAME when the driver's
// HAKMEM_BENCH_PRELOAD library is mapped and serves malloc; else the peer
// library found mapped, or glibc, followed by `preload_status=` (not-mapped or
// no-malloc) when a HAKMEM_BENCH_PRELOAD library was asked for and did not
// serve the run.
void bench_report_allocator(void);
// Reports a block whose contents are not what was written (`prog: corrupt
// block ...` on stderr) and exits with status 1.
__attribute__((noreturn)) void bench_corrupt(const char* prog, const void* p, size_t size, const char* what);
// The same for a tagged block (bench_tag_fill) that failed bench_tag_check:
// says whether the size tag or the pattern was overwritten.
__attribute__((noreturn)) void bench_tag_corrupt(const char* prog, const void* p, size_t max);

// ----- Time, memory, random numbers -----
// Wall-clock seconds (monotonic).
double bench_now(void);
// Peak resident set size of the process in KiB.
long bench_peak_rss_kb(void);
// xorshift PRNG.
static inline uint64_t bench_rand(uint64_t* s) {
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *s = x;
}

// ----- Block contents -----
// Word k (8 bytes at offset 8k) of a block at p of `size` bytes holds
// bench_pattern(p, size, k): the same address with another size, or another
// address, gives other words. Blocks are at least 8 bytes and 8-aligned;
// bytes after the last whole word are not written.

// A key derived from the address alone (the tag word of bench_tag_fill).
static inline uint64_t bench_addr_key(const void* p) {
  return ((uint64_t)(uintptr_t)p >> 3) * 0x9E3779B97F4A7C15ull;
}
// Word k of the pattern.
static inline uint64_t bench_pattern(const void* p, size_t size, size_t k) {
  return (bench_addr_key(p) ^ ((uint64_t)size << 40)) + (uint64_t)k * 0xD1B54A32D192ED03ull;
}

// Fills every whole word of the block.
static inline void bench_fill(void* p, size_t size) {
  uint64_t* w = (uint64_t*)p;
  uint64_t v = bench_pattern(p, size, 0);
  for (size_t k = 0; k < size / 8; k++, v += 0xD1B54A32D192ED03ull) w[k] = v;
}
// True when every whole word still holds what bench_fill wrote.
static inline bool bench_fill_ok(const void* p, size_t size) {
  const uint64_t* w = (const uint64_t*)p;
  uint64_t v = bench_pattern(p, size, 0), diff = 0;
  for (size_t k = 0; k < size / 8; k++, v += 0xD1B54A32D192ED03ull) diff |= w[k] ^ v;
  return diff == 0;
}

// Writes only the first and the last whole word (the same word below 16
// bytes): for scenarios whose public model touches only a few bytes of each
// block, where filling it all would measure memory bandwidth instead.
static inline void bench_stamp(void* p, size_t size) {
  uint64_t* w = (uint64_t*)p;
  size_t last = size / 8 - 1;
  w[0] = bench_pattern(p, size, 0);
  w[last] = bench_pattern(p, size, last);
}
// True when both stamped words are intact.
static inline bool bench_stamp_ok(const void* p, size_t size) {
  const uint64_t* w = (const uint64_t*)p;
  size_t last = size / 8 - 1;
  return w[0] == bench_pattern(p, size, 0) && w[last] == bench_pattern(p, size, last);
}

// Self-describing blocks, for blocks that travel between threads without
// their size: word 0 holds size ^ bench_addr_key(p), every other whole word
// the pattern. (A pattern of address and size cannot tell two owners of the
// same block apart when they asked for the same size; a block handed out
// twice with different sizes, or overwritten, is caught.)
static inline void bench_tag_fill(void* p, size_t size) {
  bench_fill(p, size);
  *(uint64_t*)p = (uint64_t)size ^ bench_addr_key(p);
}
// The size of a tagged block, or 0 when its tag is not in [8, max] or a word
// does not hold the pattern.
static inline size_t bench_tag_check(const void* p, size_t max) {
  uint64_t size = *(const uint64_t*)p ^ bench_addr_key(p);
  if (size < 8 || size > max) return 0;
  const uint64_t* w = (const uint64_t*)p;
  uint64_t v = bench_pattern(p, (size_t)size, 1), diff = 0;
  for (size_t k = 1; k < size / 8; k++, v += 0xD1B54A32D192ED03ull) diff |= w[k] ^ v;
  return diff == 0 ? (size_t)size : 0;
}

#endif
