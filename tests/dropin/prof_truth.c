/* prof_truth.c: a program whose allocations are known exactly, function by
   function, for the statistical test of the sampled profile (prof_truth.py).

   Run under libhakmem.so with HAKMEM_PROFILE=1. Phase 0 grows blocks by
   realloc; phase 1 only allocates (tiny, mid, large, whale, calloc, aligned,
   and one function in a second thread); phase 2 frees about half of every
   function's blocks here and a quarter in another thread. So the live total
   is highest at the end of phase 1, and each function's holding then is its
   value at the profile's peak.

   It writes to argv[1], for every function, its address (stacks are
   attributed by their leaf frame; `etext`, the end of the program's code,
   bounds the last one) and, for each of the six figures of a
   stack (allocated blocks and bytes, in use at exit, in use at the peak),
   the true value and the variance of the profile's estimate: a block of s
   bytes is sampled with probability p = 1 - exp(-s/I) and then counts 1/p
   blocks and s/p bytes, so each block adds (1-p)/p (blocks) or s*s*(1-p)/p
   (bytes) to the variance; blocks are sampled independently. I comes from
   HAKMEM_PROFILE_SAMPLE (KiB). Bytes are usable sizes (malloc_usable_size). */
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { F_TINY, F_MID, F_LARGE, F_WHALE, F_CALLOC, F_ALIGNED, F_REALLOC, F_THREAD, F_COUNT };
static const char* const fn_name[F_COUNT] = {"f_tiny", "f_mid", "f_large", "f_whale", "f_calloc", "f_aligned", "f_realloc", "f_thread"};

enum { ALLOC_OBJ, ALLOC_BYTES, INUSE_OBJ, INUSE_BYTES, PEAK_OBJ, PEAK_BYTES, FIG_COUNT };
static const char* const fig_name[FIG_COUNT] = {"alloc_objects", "alloc_space", "inuse_objects", "inuse_space", "peak_objects",
                                                "peak_space"};

typedef struct block_s {
  void* p;
  size_t usable;
} block_t;

typedef struct fn_s {
  double value[FIG_COUNT], var[FIG_COUNT];
  block_t* blocks;
  size_t n, cap;
} fn_t;

static fn_t fns[F_COUNT];
static double interval;
static __thread uint64_t rng = 0x2545F4914F6CDD1Dull;  // each thread draws the same sizes

static uint64_t next_rand(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return rng;
}

static size_t rand_size(size_t lo, size_t hi) {
  return lo + (size_t)(next_rand() % (hi - lo + 1));
}

static void add(double* value, double* var, size_t s) {
  double p = -expm1(-(double)s / interval);
  value[0] += 1, var[0] += (1 - p) / p;
  value[1] += (double)s, var[1] += (double)s * (double)s * (1 - p) / p;
}

// The allocation of p by function f (its usable size is what is counted).
// Not inlined: the array's own realloc must not count for f.
__attribute__((noinline)) static void note_alloc(int f, void* p) {
  if (p == NULL) {
    fprintf(stderr, "prof_truth: out of memory\n");
    exit(1);
  }
  fn_t* t = &fns[f];
  size_t s = malloc_usable_size(p);
  add(&t->value[ALLOC_OBJ], &t->var[ALLOC_OBJ], s);
  if (t->n == t->cap) {
    t->cap = t->cap ? t->cap * 2 : 1024;
    t->blocks = realloc(t->blocks, t->cap * sizeof(block_t));
  }
  t->blocks[t->n++] = (block_t){p, s};
}

// ----- Phase 0 -----
__attribute__((noinline)) static void f_realloc(int n) {
  fn_t* t = &fns[F_REALLOC];
  for (int i = 0; i < n; i++) {
    void* p = realloc(NULL, 16);
    note_alloc(F_REALLOC, p);
    size_t target = i % 4 == 0 ? rand_size(2 << 20, 5 << 20) : rand_size(100, 200000);
    for (size_t s = 16; s < target;) {
      s = s * 3 / 2 + 8 < target ? s * 3 / 2 + 8 : target;
      size_t old = t->blocks[t->n - 1].usable;
      void* q = realloc(p, s);
      if (q == NULL) exit(1);
      if ((uintptr_t)q != (uintptr_t)p || malloc_usable_size(q) != old) {  // a free and an allocation, as the profile counts it
        t->n--;
        note_alloc(F_REALLOC, q);
      }
      p = q;
    }
  }
}

// ----- Phase 1 -----
__attribute__((noinline)) static void f_tiny(int n) {
  for (int i = 0; i < n; i++) note_alloc(F_TINY, malloc(rand_size(1, 1024)));
}

__attribute__((noinline)) static void f_mid(int n) {
  for (int i = 0; i < n; i++) note_alloc(F_MID, malloc(rand_size(1025, 32768)));
}

__attribute__((noinline)) static void f_large(int n) {
  for (int i = 0; i < n; i++) note_alloc(F_LARGE, malloc(rand_size(32769, 1 << 20)));
}

__attribute__((noinline)) static void f_whale(int n) {
  for (int i = 0; i < n; i++) note_alloc(F_WHALE, malloc(rand_size(3 << 19, 6 << 20)));
}

__attribute__((noinline)) static void f_calloc(int n) {
  for (int i = 0; i < n; i++) note_alloc(F_CALLOC, calloc(rand_size(1, 64), rand_size(1, 512)));
}

__attribute__((noinline)) static void f_aligned(int n) {
  for (int i = 0; i < n; i++) {
    void* p = NULL;
    if (posix_memalign(&p, (size_t)64 << (i % 7), rand_size(1, 20000)) != 0) p = NULL;
    note_alloc(F_ALIGNED, p);
  }
}

__attribute__((noinline)) static void* f_thread(void* arg) {
  int n = *(int*)arg;
  for (int i = 0; i < n; i++) note_alloc(F_THREAD, malloc(i % 8 == 0 ? rand_size(1025, 65536) : rand_size(1, 1024)));
  return NULL;
}

// ----- Phase 2 -----
typedef struct frees_s {
  void** p;
  size_t n;
} frees_t;

static void* free_all(void* arg) {
  frees_t* f = (frees_t*)arg;
  for (size_t i = 0; i < f->n; i++) free(f->p[i]);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: prof_truth OUT\n");
    return 2;
  }
  const char* kib = getenv("HAKMEM_PROFILE_SAMPLE");
  interval = (kib != NULL ? atof(kib) : 512) * 1024;

  f_realloc(400);
  int nthread = 60000;
  pthread_t th;
  if (pthread_create(&th, NULL, f_thread, &nthread) != 0) return 1;
  f_tiny(150000);
  f_mid(3000);
  f_large(150);
  f_whale(12);
  f_calloc(20000);
  f_aligned(4000);
  pthread_join(th, NULL);

  // The peak: everything allocated so far is live.
  for (int f = 0; f < F_COUNT; f++) {
    fn_t* t = &fns[f];
    for (size_t i = 0; i < t->n; i++) add(&t->value[PEAK_OBJ], &t->var[PEAK_OBJ], t->blocks[i].usable);
  }

  // Phase 2: of every 4 blocks, 2 freed here, 1 by another thread, 1 kept.
  frees_t remote = {malloc(1000000 * sizeof(void*)), 0};
  for (int f = 0; f < F_COUNT; f++) {
    fn_t* t = &fns[f];
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++) {
      if (i % 4 < 2) free(t->blocks[i].p);
      else if (i % 4 == 2) remote.p[remote.n++] = t->blocks[i].p;
      else t->blocks[k++] = t->blocks[i];
    }
    t->n = k;
  }
  if (pthread_create(&th, NULL, free_all, &remote) != 0) return 1;
  pthread_join(th, NULL);
  for (int f = 0; f < F_COUNT; f++) {
    fn_t* t = &fns[f];
    for (size_t i = 0; i < t->n; i++) add(&t->value[INUSE_OBJ], &t->var[INUSE_OBJ], t->blocks[i].usable);
  }

  FILE* out = fopen(argv[1], "w");
  if (out == NULL) {
    perror(argv[1]);
    return 1;
  }
  void* const addr[F_COUNT] = {(void*)f_tiny, (void*)f_mid, (void*)f_large, (void*)f_whale, (void*)f_calloc, (void*)f_aligned,
                               (void*)f_realloc, (void*)f_thread};
  for (int f = 0; f < F_COUNT; f++) {
    fprintf(out, "func %s %p\n", fn_name[f], addr[f]);
    for (int g = 0; g < FIG_COUNT; g++) fprintf(out, "truth %s %s %.0f %.6g\n", fn_name[f], fig_name[g], fns[f].value[g], fns[f].var[g]);
  }
  extern char etext;  // the linker's: the end of the program's code
  fprintf(out, "func main %p\nfunc free_all %p\nfunc note_alloc %p\nfunc etext %p\n", (void*)main, (void*)free_all,
          (void*)note_alloc, (void*)&etext);
  return fclose(out) == 0 ? 0 : 1;
}
