/* bench_mir.c: the mir benchmark scenario. Compiles generated hk programs
   (hkgen.h) through every pass, from source to a finished bytecode module,
   again and again, and reports the time, what the compiler allocated, and
   hakmem's counters.

   The compiler allocates through an allocation context: --alc hakmem
   (hak_alc_default(): per-thread MIR heap, released in bulk after each
   function) or --alc libc (malloc/free, every MIR node freed one by one;
   LD_PRELOAD puts any allocator under it). The work is the same in both:
   the same programs, the same blocks requested.

   Output (one line each, key=value, for `hakmem bench`):
     mir: programs=P functions=F source_kb=K rounds=R threads=T
     mir: census allocs_per_function=A bytes_per_function=B mir_releases=N lang_allocs=L vm_allocs=V
     mir: round_seconds_median=S seconds=S throughput=X functions/s
     mir: hakmem alloc_count=.. free_count=.. heap_releases=.. mapped_peak_kb=.. rss_peak_kb=..
     allocator: ...            (who served the allocations; bench_common.c)
   usage: bench_mir [--seed N] [--programs P] [--functions F] [--rounds R]
                    [--threads T] [--alc hakmem|hakmem-free|libc] [--no-opt] [--smoke]
   (hakmem-free: hakmem without the release hook, every block freed one by
   one, to tell what the bulk release itself costs or saves) */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "hakmem.h"
#include "hkgen.h"
#include "hmir.h"

typedef struct bench_cfg_s {
  uint64_t seed;
  uint32_t programs, functions, rounds, threads;
  bool optimize, verify, libc, nobulk;
} bench_cfg_t;

typedef struct bench_src_s {
  char* text;
  size_t len;
} bench_src_t;

static bench_src_t* bench_srcs;
static bench_cfg_t cfg = {1, 8, 40, 7, 1, true, false, false, false};

// ----- Census: what one compile of every program allocates -----
typedef struct census_s {
  const hak_alc_t* base;
  hak_alc_t alc;
  uint64_t allocs[HAK_SUBSYS_MAX];
  uint64_t bytes[HAK_SUBSYS_MAX];
  uint64_t releases;
} census_t;

static void* census_alloc(void* ctx, size_t size, hak_site_t site) {
  census_t* c = ctx;
  c->allocs[hak_site_subsys(site)]++;
  c->bytes[hak_site_subsys(site)] += size;
  return c->base->alloc(c->base->ctx, size, site);
}
static void* census_realloc(void* ctx, void* p, size_t old, size_t size, hak_site_t site) {
  census_t* c = ctx;
  c->allocs[hak_site_subsys(site)]++;
  c->bytes[hak_site_subsys(site)] += size;
  return c->base->realloc(c->base->ctx, p, old, size, site);
}
static void census_free(void* ctx, void* p, size_t size, hak_site_t site) {
  census_t* c = ctx;
  c->base->free(c->base->ctx, p, size, site);
}
static size_t census_release(void* ctx, hak_subsys_t sub) {
  census_t* c = ctx;
  c->releases++;
  return c->base->release(c->base->ctx, sub);
}

// ----- Work -----
// hakmem without its release hook: every block freed one by one (--alc hakmem-free).
static hak_alc_t bench_hak_nobulk;

static const hak_alc_t* bench_alc(void) {
  if (cfg.libc) return hak_alc_libc();
  if (cfg.nobulk) {
    bench_hak_nobulk = *hak_alc_default();
    bench_hak_nobulk.release = NULL;
    return &bench_hak_nobulk;
  }
  return hak_alc_default();
}

static bool bench_compile(const bench_src_t* s, const hak_alc_t* alc) {
  hmir_options_t opt;
  hmir_options_init(&opt);
  opt.alc = alc;
  opt.optimize = cfg.optimize;
  opt.verify = cfg.verify;
  hbc_module_t* m = NULL;
  if (hmir_compile_source("gen.hk", s->text, s->len, &opt, &m) != HMIR_OK) return false;
  hbc_module_free(m);
  return true;
}

typedef struct bench_worker_s {
  uint32_t first, count;  // programs of this thread
  bool ok;
  pthread_t tid;
} bench_worker_t;

static void* bench_worker(void* arg) {
  bench_worker_t* w = arg;
  w->ok = true;
  for (uint32_t k = 0; k < w->count && w->ok; k++) w->ok = bench_compile(&bench_srcs[w->first + k], bench_alc());
  return NULL;
}

// One round: every program compiled once, split over the threads.
static double bench_round(bool* ok) {
  bench_worker_t w[64];
  uint32_t t = cfg.threads, per = (cfg.programs + t - 1) / t;
  double t0 = bench_now();
  for (uint32_t k = 0; k < t; k++) {
    w[k].first = k * per < cfg.programs ? k * per : cfg.programs;
    w[k].count = w[k].first + per <= cfg.programs ? per : cfg.programs - w[k].first;
    if (t == 1) bench_worker(&w[k]);
    else pthread_create(&w[k].tid, NULL, bench_worker, &w[k]);
  }
  for (uint32_t k = 0; k < t; k++) {
    if (t > 1) pthread_join(w[k].tid, NULL);
    *ok = *ok && w[k].ok;
  }
  return bench_now() - t0;
}

// The `allocator:` line. In libc mode under LD_PRELOAD=libhakmem.so the
// hakmem linked into this program served nothing: the counters that prove
// who served malloc are those of the preloaded library, found by name.
static void bench_report(void) {
  void* so = cfg.libc ? dlopen("libhakmem.so", RTLD_NOW | RTLD_NOLOAD) : NULL;
  void (*get)(hak_stats_t*) = so ? (void (*)(hak_stats_t*))dlsym(so, "hak_stats_get") : NULL;
  hak_stats_t s;
  s.size = sizeof s;
  if (get && get != hak_stats_get) {
    get(&s);
    printf("allocator: hakmem (malloc via libhakmem.so) hak_allocs=%llu hak_frees=%llu remote_frees=%llu\n",
           (unsigned long long)s.alloc_count, (unsigned long long)s.free_count, (unsigned long long)s.remote_free);
  } else {
    bench_report_allocator();
  }
  if (so) dlclose(so);
}

static int bench_cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static bool bench_census(void) {
  census_t c;
  memset(&c, 0, sizeof c);
  c.base = bench_alc();
  c.alc = (hak_alc_t){&c, census_alloc, census_realloc, census_free, c.base->release ? census_release : NULL};
  for (uint32_t k = 0; k < cfg.programs; k++) {
    if (!bench_compile(&bench_srcs[k], &c.alc)) return false;
  }
  double fns = (double)cfg.programs * (cfg.functions + 1);
  printf("mir: census allocs_per_function=%.0f bytes_per_function=%.0f mir_releases=%llu lang_allocs=%llu vm_allocs=%llu\n",
         (double)c.allocs[HAK_SUBSYS("mir")] / fns, (double)c.bytes[HAK_SUBSYS("mir")] / fns, (unsigned long long)c.releases,
         (unsigned long long)c.allocs[HAK_SUBSYS("lang")], (unsigned long long)c.allocs[HAK_SUBSYS("vm")]);
  return true;
}

static bool bench_args(int argc, char** argv) {
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--smoke")) {
      cfg.programs = 3, cfg.functions = 6, cfg.rounds = 1, cfg.verify = true;
    } else if (!strcmp(a, "--no-opt")) {
      cfg.optimize = false;
    } else if (v && !strcmp(a, "--seed")) {
      cfg.seed = strtoull(v, NULL, 0), i++;
    } else if (v && !strcmp(a, "--programs")) {
      cfg.programs = (uint32_t)strtoul(v, NULL, 0), i++;
    } else if (v && !strcmp(a, "--functions")) {
      cfg.functions = (uint32_t)strtoul(v, NULL, 0), i++;
    } else if (v && !strcmp(a, "--rounds")) {
      cfg.rounds = (uint32_t)strtoul(v, NULL, 0), i++;
    } else if (v && !strcmp(a, "--threads")) {
      cfg.threads = (uint32_t)strtoul(v, NULL, 0), i++;
    } else if (v && !strcmp(a, "--alc") && (!strcmp(v, "hakmem") || !strcmp(v, "libc") || !strcmp(v, "hakmem-free"))) {
      cfg.libc = !strcmp(v, "libc"), cfg.nobulk = !strcmp(v, "hakmem-free"), i++;
    } else {
      return false;
    }
  }
  return cfg.programs >= 1 && cfg.functions >= 1 && cfg.rounds >= 1 && cfg.rounds <= 99 && cfg.threads >= 1 && cfg.threads <= 64;
}

int main(int argc, char** argv) {
  if (!bench_args(argc, argv)) {
    fprintf(stderr, "usage: bench_mir [--seed N] [--programs P] [--functions F] [--rounds R] [--threads T] "
                    "[--alc hakmem|hakmem-free|libc] [--no-opt] [--smoke]\n");
    return 2;
  }
  bench_srcs = calloc(cfg.programs, sizeof *bench_srcs);
  size_t total = 0;
  for (uint32_t k = 0; k < cfg.programs; k++) {  // the programs, once, outside the measured work
    hkgen_options_t g;
    hkgen_options_init(&g, cfg.seed + k, cfg.functions);
    FILE* f = open_memstream(&bench_srcs[k].text, &bench_srcs[k].len);
    if (f == NULL || hkgen_write(f, &g) < 0) return 1;
    fclose(f);
    total += bench_srcs[k].len;
  }
  printf("mir: programs=%u functions=%u source_kb=%zu rounds=%u threads=%u alc=%s opt=%d\n", cfg.programs, cfg.functions,
         total / 1024, cfg.rounds, cfg.threads, cfg.libc ? "libc" : cfg.nobulk ? "hakmem-free" : "hakmem", cfg.optimize);
  if (!bench_census()) {
    fprintf(stderr, "bench_mir: a generated program did not compile\n");
    return 1;
  }
  double secs[99];
  bool ok = true;
  for (uint32_t r = 0; r < cfg.rounds; r++) secs[r] = bench_round(&ok);
  if (!ok) {
    fprintf(stderr, "bench_mir: compile failed\n");
    return 1;
  }
  qsort(secs, cfg.rounds, sizeof secs[0], bench_cmp);
  double med = secs[cfg.rounds / 2], fns = (double)cfg.programs * (cfg.functions + 1);
  printf("mir: round_seconds_median=%.4f seconds=%.4f throughput=%.0f functions/s\n", med, med, fns / med);
  hak_stats_t st;
  st.size = sizeof st;
  hak_stats_get(&st);
  printf("mir: hakmem alloc_count=%llu free_count=%llu heap_releases=%llu mmap_calls=%llu munmap_calls=%llu "
         "purged_kb=%llu mapped_peak_kb=%llu rss_peak_kb=%llu\n",
         (unsigned long long)st.alloc_count, (unsigned long long)st.free_count, (unsigned long long)st.heap_releases,
         (unsigned long long)st.mmap_calls, (unsigned long long)st.munmap_calls, (unsigned long long)(st.purged_bytes / 1024),
         (unsigned long long)(st.mapped_bytes_peak / 1024), (unsigned long long)(st.rss_peak / 1024));
  bench_report();
  for (uint32_t k = 0; k < cfg.programs; k++) free(bench_srcs[k].text);
  free(bench_srcs);
  return 0;
}
