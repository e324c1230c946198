/* probe.c: the malloc API under LD_PRELOAD=libhakmem.so (or linked with
   libhakmem-override.a): glibc's documented edge cases, dlopen/dlsym, and a
   proof that hakmem served the calls. Exits 0 when everything holds; prints
   what failed otherwise. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hakmem.h"

static int failures;
#define CHECK(cond)                                                    \
  do {                                                                 \
    if (!(cond)) {                                                     \
      fprintf(stderr, "probe: %s:%d: %s failed\n", __FILE__, __LINE__, #cond); \
      failures++;                                                      \
    }                                                                  \
  } while (0)

// Opaque to the compiler, so it does not fold the impossible sizes below.
static volatile size_t huge = SIZE_MAX;

int main(void) {
  void (*get)(hak_stats_t*) = (void (*)(hak_stats_t*))dlsym(RTLD_DEFAULT, "hak_stats_get");
  CHECK(get != NULL);
  if (get == NULL) return 1;
  hak_stats_t s0 = {.size = sizeof(s0)};
  get(&s0);

  void* z = malloc(0);
  CHECK(z != NULL);
  free(z);
  free(NULL);
  errno = 0;
  CHECK(malloc(huge) == NULL && errno == ENOMEM);
  errno = 0;
  CHECK(calloc(huge / 2, 3) == NULL && errno == ENOMEM);
  char* c = calloc(100, 10);
  for (int i = 0; i < 1000; i++) CHECK(c[i] == 0);
  c = realloc(c, 5000);
  CHECK(c != NULL && c[999] == 0);
  CHECK(realloc(c, 0) == NULL);  // glibc: frees and returns NULL
  void* r = realloc(NULL, 10);
  CHECK(r != NULL && malloc_usable_size(r) >= 10);
  errno = 0;
  void* same = r;
  CHECK(reallocarray(same, huge / 2, 4) == NULL && errno == ENOMEM);  // r untouched
  r = reallocarray(r, 10, 10);
  CHECK(r != NULL && malloc_usable_size(r) >= 100);
  free(r);

  void* a = NULL;
  CHECK(posix_memalign(&a, 3, 10) == EINVAL);
  CHECK(posix_memalign(&a, 4, 10) == EINVAL);  // not a multiple of sizeof(void*)
  CHECK(posix_memalign(&a, 4096, 10) == 0 && ((uintptr_t)a & 4095) == 0);
  free(a);
  CHECK(posix_memalign(&a, 64, huge) == ENOMEM);
  errno = 0;
  CHECK(aligned_alloc(3, 16) == NULL && errno == EINVAL);
  a = aligned_alloc(1 << 20, 100);
  CHECK(a != NULL && ((uintptr_t)a & ((1 << 20) - 1)) == 0);
  free(a);
  a = memalign(48, 100);  // not a power of two: rounded up to 64
  CHECK(a != NULL && ((uintptr_t)a & 63) == 0);
  free(a);
  a = valloc(100);
  CHECK(a != NULL && ((uintptr_t)a & (sysconf(_SC_PAGESIZE) - 1)) == 0);
  free(a);
  a = pvalloc(100);
  CHECK(a != NULL && malloc_usable_size(a) >= (size_t)sysconf(_SC_PAGESIZE));
  free(a);
  void (*fs)(void*, size_t) = (void (*)(void*, size_t))dlsym(RTLD_DEFAULT, "free_sized");
  CHECK(fs != NULL);
  if (fs) fs(malloc(40), 40);

  // dlopen allocates inside the loader; the library works afterwards.
  void* lib = dlopen("libm.so.6", RTLD_NOW);
  CHECK(lib != NULL);
  double (*cosine)(double) = lib ? (double (*)(double))dlsym(lib, "cos") : NULL;
  CHECK(cosine != NULL && cosine(0.0) == 1.0);
  if (lib) dlclose(lib);

  // A pointer that is not the allocator's: reported, ignored, not fatal.
#ifndef HAK_TEST_HARDENED  // hardened builds stop the process instead (tests/alloc/test_secure.c)
  int local;
  free(&local);
#endif

  hak_stats_t s1 = {.size = sizeof(s1)};
  get(&s1);
  CHECK(s1.alloc_count > s0.alloc_count + 10);
#ifndef HAK_TEST_HARDENED
  CHECK(s1.invalid_free >= s0.invalid_free + 1);
#endif
  printf("probe: %s, hakmem served %llu allocations\n", failures ? "FAILED" : "ok",
         (unsigned long long)(s1.alloc_count - s0.alloc_count));
  return failures ? 1 : 0;
}
