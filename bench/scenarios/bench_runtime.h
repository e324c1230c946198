/* bench_runtime.h: the allocation context of the runtime scenarios (json,
   mir, vm).

   These scenarios run the runtime's own libraries, which allocate through a
   hak_alc_t. The hakmem build (`<name>_hak`, BENCH_HAK) passes
   hak_alc_default(): every node, instruction and object comes from hakmem's
   per-subsystem heaps. The malloc build (`<name>`) passes hak_alc_libc(), so
   every block comes from malloc, which is glibc, or the peer library that
   LD_PRELOAD puts there. The libraries still link hakmem (they are built on
   it), so the malloc build checks at the end that this linked copy served
   nothing: a block that escaped to it would be work the peer did not do. */
#ifndef BENCH_RUNTIME_H
#define BENCH_RUNTIME_H

#include <stdbool.h>
#include <stdio.h>

#include "bench_common.h"
#include "hakmem.h"

// The context the runtime allocates through in this build.
static inline const hak_alc_t* bench_runtime_alc(void) {
#ifdef BENCH_HAK
  return hak_alc_default();
#else
  return hak_alc_libc();
#endif
}

// "hakmem" or "malloc": where the runtime's memory goes in this build.
static inline const char* bench_runtime_alc_name(void) {
#ifdef BENCH_HAK
  return "hakmem";
#else
  return "malloc";
#endif
}

// Malloc build: false (with a message on stderr) when the linked hakmem
// served any block, which means some allocation bypassed the context.
// hakmem build: always true.
static inline bool bench_runtime_check(const char* prog) {
#ifdef BENCH_HAK
  (void)prog;
  return true;
#else
  hak_stats_t s;
  s.size = sizeof(s);
  hak_stats_get(&s);  // the linked copy (a preloaded libhakmem.so is a different one)
  if (s.alloc_count != 0) {
    fprintf(stderr, "%s: the runtime put %llu blocks on the linked hakmem instead of malloc\n", prog,
            (unsigned long long)s.alloc_count);
    return false;
  }
  return true;
#endif
}

#endif
