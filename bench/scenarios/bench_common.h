/* bench_common.h: what every scenario program shares.

   A scenario is built twice: `<name>_hak` calls hak_alloc_at/hak_free_at
   (hakmem linked in), `<name>` calls malloc/free, so that LD_PRELOAD can put
   any allocator under it (libhakmem.so, mimalloc, jemalloc, tcmalloc) or none
   (glibc). Each run ends with one `allocator:` line that proves who served
   it: hakmem's own counters when hakmem is in the process, else the peer
   library found mapped in /proc/self/maps, else glibc. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

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

// Prints "allocator: NAME ..." with hakmem's allocation counters when hakmem
// served the run (linked or preloaded), to stdout.
void bench_report_allocator(void);
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

#endif
