/* bench_common.c: allocator identification, corruption reports and timing
   for the scenarios.

   The `allocator:` line is the proof the driver (runtime/cli/cmd_bench.c)
   checks after every run. Three cases:
   - hakmem is in the process and served blocks: its own counters (linked:
     hak_stats_get; preloaded libhakmem.so: found with dlsym);
   - the driver asked for a library by path (HAKMEM_BENCH_PRELOAD=PATH,
     HAKMEM_BENCH_PRELOAD_NAME=NAME, set with LD_PRELOAD=PATH): NAME, but only
     when that very file (realpath) is mapped in /proc/self/maps and the
     process's malloc is defined in it. The loader only warns about a preload
     it cannot load and runs on glibc, and a library without malloc loads
     fine and serves nothing: both end up as the third case, with the reason;
   - otherwise the first known peer library mapped, or glibc. */
#define _GNU_SOURCE
#include "bench_common.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#ifndef BENCH_HAK
#include "hakmem.h"  // only for the hak_stats_t layout; the functions are looked up with dlsym
#endif

// ----- Time and memory -----
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

void bench_corrupt(const char* prog, const void* p, size_t size, const char* what) {
  fprintf(stderr, "%s: corrupt block %p (size %zu): %s\n", prog, p, size, what);
  fflush(stderr);
  exit(1);
}

void bench_tag_corrupt(const char* prog, const void* p, size_t max) {
  uint64_t size = *(const uint64_t*)p ^ bench_addr_key(p);
  if (size < 8 || size > max) {
    fprintf(stderr, "%s: corrupt block %p: size tag overwritten (0x%016llx)\n", prog, p, (unsigned long long)*(const uint64_t*)p);
    fflush(stderr);
    exit(1);
  }
  bench_corrupt(prog, p, (size_t)size, "pattern overwritten");
}

// ----- Libraries in the process -----
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

// True when /proc/self/maps maps the file at `path` (absolute, resolved):
// the pathname field of a line, which the kernel prints resolved, equals it.
static bool bench_maps_file(const char* path) {
  FILE* f = fopen("/proc/self/maps", "r");
  if (f == NULL) return false;
  char line[PATH_MAX + 128];
  bool found = false;
  while (!found && fgets(line, sizeof(line), f) != NULL) {
    int at = 0;
    if (sscanf(line, "%*s %*s %*s %*s %*s %n", &at) < 0 || at == 0) continue;
    line[strcspn(line, "\n")] = 0;
    found = strcmp(line + at, path) == 0;
  }
  fclose(f);
  return found;
}

// The resolved path of the object that defines the process's malloc (the
// first definition in the global lookup order, where a preloaded library
// comes before libc), or "?" when the loader cannot tell.
static void bench_malloc_origin(char* out, size_t cap) {
  Dl_info info;
  void* sym = dlsym(RTLD_DEFAULT, "malloc");
  char resolved[PATH_MAX];
  if (sym == NULL || dladdr(sym, &info) == 0 || info.dli_fname == NULL) snprintf(out, cap, "?");
  else snprintf(out, cap, "%s", realpath(info.dli_fname, resolved) != NULL ? resolved : info.dli_fname);
}

// Whether the driver's HAKMEM_BENCH_PRELOAD library `path` serves malloc:
// true, or false with `status` set to not-mapped or no-malloc. `from`
// receives the origin of malloc either way.
static bool bench_preload_serves(const char* path, char* status, size_t scap, char* from, size_t fcap) {
  char want[PATH_MAX];
  bench_malloc_origin(from, fcap);
  if (realpath(path, want) == NULL || !bench_maps_file(want)) {
    snprintf(status, scap, "not-mapped");
    return false;
  }
  if (strcmp(from, want) != 0) {
    snprintf(status, scap, "no-malloc");
    return false;
  }
  return true;
}

// ----- The allocator line -----
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
  s.alloc_count = 0;
  if (get != NULL) get(&s);
  // A library the driver named by path: NAME only when it is the one serving.
  char note[PATH_MAX + 64] = "";
  const char* preload = getenv("HAKMEM_BENCH_PRELOAD");
  if (preload != NULL && preload[0] != 0) {
    const char* name = getenv("HAKMEM_BENCH_PRELOAD_NAME");
    char status[32], from[PATH_MAX];
    if (bench_preload_serves(preload, status, sizeof(status), from, sizeof(from))) {
      printf("allocator: %s (malloc from %s) hak_allocs=%llu\n", name != NULL && name[0] != 0 ? name : "preload", from,
             (unsigned long long)s.alloc_count);
      return;
    }
    snprintf(note, sizeof(note), " preload_status=%s malloc_from=%s", status, from);
  }
  // hakmem may be linked in yet serve nothing (a runtime scenario whose
  // allocations were sent to malloc): then the allocator is whoever malloc is.
  if (get != NULL && s.alloc_count > 0) {
    printf("allocator: %s hak_allocs=%llu hak_frees=%llu remote_frees=%llu%s\n", how, (unsigned long long)s.alloc_count,
           (unsigned long long)s.free_count, (unsigned long long)s.remote_free, note);
    return;
  }
  const char* peer = bench_mapped_peer();
  printf("allocator: %s hak_allocs=0%s\n", peer != NULL ? peer : "glibc", note);
}
