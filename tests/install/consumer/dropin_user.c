/* dropin_user.c: a program linked with the drop-in library: its malloc,
   calloc, realloc and free are hakmem's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hakmem.h"

int main(void) {
  hak_stats_t s0 = {.size = sizeof(s0)};
  hak_stats_get(&s0);
  char* p = malloc(100);
  char* q = calloc(10, 10);
  p = realloc(p, 5000);
  int ok = p != NULL && q != NULL && hak_owns(p) && hak_owns(q) && hak_usable_size(p) >= 5000;
  memset(p, 1, 5000);
  free(p);
  free(q);
  hak_stats_t s1 = {.size = sizeof(s1)};
  hak_stats_get(&s1);
  ok = ok && s1.alloc_count - s0.alloc_count >= 3 && s1.free_count - s0.free_count >= 3;
  printf("dropin_user: malloc, calloc, realloc and free served by hakmem %s (%llu allocations)\n", hak_version(),
         (unsigned long long)(s1.alloc_count - s0.alloc_count));
  return ok ? 0 : 1;
}
