/* bench_common.c: allocator identification and timing for the scenarios. */
#define _GNU_SOURCE
#include "bench_common.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#ifndef BENCH_HAK
#include "hakmem.h"  // only for the hak_stats_t layout; the functions are looked up with dlsym
#endif

double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

long bench_peak_rss_kb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

// The first peer allocator library mapped into the process, or NULL.
static const char* bench_mapped_peer(void) {
  static char found[64];
  static const char* const peers[] = {"libmimalloc", "libjemalloc", "libtcmalloc", "libhakmem"};
  FILE* f = fopen("/proc/self/maps", "r");
  if (f == NULL) return NULL;
  char line[512];
  const char* result = NULL;
  while (result == NULL && fgets(line, sizeof(line), f) != NULL) {
    for (size_t i = 0; i < sizeof(peers) / sizeof(peers[0]); i++) {
      if (strstr(line, peers[i]) != NULL) {
        snprintf(found, sizeof(found), "%s", peers[i] + 3);
        result = found;
        break;
      }
    }
  }
  fclose(f);
  return result;
}

void bench_report_allocator(void) {
  void (*get)(hak_stats_t*) = NULL;
#ifdef BENCH_HAK
  get = hak_stats_get;
  const char* how = "hakmem (linked, hak_alloc_at)";
#else
  get = (void (*)(hak_stats_t*))dlsym(RTLD_DEFAULT, "hak_stats_get");
  const char* how = "hakmem (malloc via libhakmem.so)";
#endif
  hak_stats_t s;
  s.size = sizeof(s);
  if (get != NULL) get(&s);
  // hakmem may be linked in yet serve nothing (a runtime scenario whose
  // allocations were sent to malloc): then the allocator is whoever malloc is.
  if (get != NULL && s.alloc_count > 0) {
    printf("allocator: %s hak_allocs=%llu hak_frees=%llu remote_frees=%llu\n", how, (unsigned long long)s.alloc_count,
           (unsigned long long)s.free_count, (unsigned long long)s.remote_free);
    return;
  }
  const char* peer = bench_mapped_peer();
  printf("allocator: %s hak_allocs=0\n", peer != NULL ? peer : "glibc");
}
