/* three_sites.c: three call sites of malloc allocating bytes in the
   proportions 4 : 2 : 1 (site_c : site_b : site_a), half of it freed again.
   Built with -rdynamic so the profiler can name the functions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) void* site_a(size_t n) { return malloc(n); }
__attribute__((noinline)) void* site_b(size_t n) { return malloc(n); }
__attribute__((noinline)) void* site_c(size_t n) { return malloc(n); }

static void* keep[600000];

int main(void) {
  int k = 0;
  for (int i = 0; i < 200000; i++) {
    keep[k++] = site_a(112);  // block sizes 112, 224, 448: exactly 1 : 2 : 4
    keep[k++] = site_b(224);
    keep[k++] = site_c(448);
    memset(keep[k - 1], 1, 16);
  }
  for (int i = 0; i < k; i += 2) free(keep[i]);
  printf("three_sites: %d blocks\n", k);
  return 0;
}
