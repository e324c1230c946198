/* mir.c: the mir scenario: the hk compiler (runtime/lang + runtime/mir,
   hmir.h) compiling generated programs.

   Set-up (not timed): `programs` synthetic hk programs are generated with
   bench/mir's hkgen (hkgen.h: loops, branches, array/map/string work, calls)
   from consecutive seeds, with 8..64 functions each. Timed: each of
   `threads` threads compiles `iters` of them (thread t starts at program
   t * 5, so threads work on different programs at the same time), each from
   source: parse into an AST (lang heap), then per function build SSA MIR,
   run every pass (sccp, copyprop, cfg, dce, until nothing changes), lower
   to bytecode and release that function's MIR, then finish the module and
   free it and the AST. The MIR release is the point: with hakmem
   (hak_alc_default) it is one hak_heap_release of the thread's MIR heap per
   function, in time proportional to its pages; with malloc (hak_alc_libc,
   which has no release) the compiler frees every MIR block one by one. The
   result is programs compiled per second over all threads; the checksum
   (bytecode words of every module) must not depend on the allocator.

   Build: mir_hak (hakmem) and mir (malloc: glibc or the LD_PRELOAD peer).

   Usage: mir [iters=200] [threads=1] [programs=24] [seed=1] */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "bench_runtime.h"
#include "hkgen.h"
#include "hmir.h"

typedef struct mb_prog_s {
  char name[32];  // "gen-SEED.hk", as in diagnostics
  char* src;      // malloc'd by open_memstream (set-up only)
  size_t len;
} mb_prog_t;

typedef struct mb_thread_s {
  const mb_prog_t* progs;
  unsigned nprogs;
  unsigned tid;
  size_t iters;
  uint64_t src_bytes;   // source compiled
  uint64_t funcs;       // functions compiled
  uint64_t code_words;  // bytecode produced
  int failed;           // hmir_status_t of the first failure, or 0
} mb_thread_t;

static void* mb_worker(void* arg) {
  mb_thread_t* t = arg;
  hmir_options_t opt;
  hmir_options_init(&opt);
  opt.alc = bench_runtime_alc();
  opt.vm_alc = opt.alc;
  opt.optimize = true;
  for (size_t i = 0; i < t->iters && t->failed == 0; i++) {
    const mb_prog_t* p = &t->progs[(i + (size_t)t->tid * 5) % t->nprogs];
    hbc_module_t* m = NULL;
    hmir_status_t st = hmir_compile_source(p->name, p->src, p->len, &opt, &m);
    if (st != HMIR_OK) {
      t->failed = (int)st;
      break;
    }
    t->src_bytes += p->len;
    t->funcs += m->nfuncs;
    for (uint32_t f = 0; f < m->nfuncs; f++) t->code_words += m->funcs[f]->ncode;
    hbc_module_free(m);
  }
  return NULL;
}

// Generates program `i` into p; false on failure.
static bool mb_generate(mb_prog_t* p, uint64_t seed, unsigned i) {
  hkgen_options_t go;
  uint64_t s = seed * 1000 + i;
  hkgen_options_init(&go, s, 8 + (uint32_t)((s * 0x9E3779B97F4A7C15ull) >> 58));  // 8..71 functions
  snprintf(p->name, sizeof(p->name), "gen-%llu.hk", (unsigned long long)s);
  FILE* f = open_memstream(&p->src, &p->len);
  if (f == NULL) return false;
  long n = hkgen_write(f, &go);
  return fclose(f) == 0 && n > 0;
}

int main(int argc, char** argv) {
  size_t iters = argc > 1 ? strtoul(argv[1], NULL, 10) : 200;
  unsigned threads = argc > 2 ? (unsigned)atoi(argv[2]) : 1;
  unsigned nprogs = argc > 3 ? (unsigned)atoi(argv[3]) : 24;
  uint64_t seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
  if (iters < 1 || threads < 1 || threads > 64 || nprogs < 1 || nprogs > 10000) {
    fprintf(stderr, "usage: mir [iters>=1] [threads 1..64] [programs 1..10000] [seed]\n");
    return 2;
  }
  mb_prog_t* progs = calloc(nprogs, sizeof(*progs));
  if (progs == NULL) return 1;
  size_t src_total = 0;
  for (unsigned i = 0; i < nprogs; i++) {
    if (!mb_generate(&progs[i], seed, i)) {
      fprintf(stderr, "mir: cannot generate program %u\n", i);
      return 1;
    }
    src_total += progs[i].len;
  }
  mb_thread_t* ts = calloc(threads, sizeof(*ts));
  pthread_t* th = calloc(threads, sizeof(*th));
  if (ts == NULL || th == NULL) return 1;
  double t0 = bench_now();
  for (unsigned i = 0; i < threads; i++) {
    ts[i] = (mb_thread_t){progs, nprogs, i, iters, 0, 0, 0, 0};
    if (pthread_create(&th[i], NULL, mb_worker, &ts[i]) != 0) {
      fprintf(stderr, "mir: cannot create a thread\n");
      return 1;
    }
  }
  for (unsigned i = 0; i < threads; i++) pthread_join(th[i], NULL);
  double elapsed = bench_now() - t0;
  uint64_t bytes = 0, funcs = 0, words = 0;
  int rc = 0;
  for (unsigned i = 0; i < threads; i++) {
    if (ts[i].failed != 0) {
      fprintf(stderr, "mir: thread %u: a compile failed with status %d\n", i, ts[i].failed);
      rc = 1;
    }
    bytes += ts[i].src_bytes, funcs += ts[i].funcs, words += ts[i].code_words;
  }
  for (unsigned i = 0; i < nprogs; i++) free(progs[i].src);
  free(progs);
  free(ts);
  free(th);
  size_t total = iters * threads;
  printf("mir: runtime_alloc=%s threads=%u programs=%u source_kb=%zu compiles=%zu functions=%llu code_words=%llu "
         "seconds=%.3f mb_per_s=%.2f throughput=%.1f programs/s peak_rss_kb=%ld\n",
         bench_runtime_alc_name(), threads, nprogs, src_total / 1024, total, (unsigned long long)funcs,
         (unsigned long long)words, elapsed, (double)bytes / 1e6 / elapsed, (double)total / elapsed, bench_peak_rss_kb());
  if (!bench_runtime_check("mir")) rc = 1;
  if (rc != 0) return rc;
  bench_report_allocator();
  return 0;
}
