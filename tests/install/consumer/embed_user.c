/* embed_user.c: a program that uses hakmem through its own API (the
   embedding library): its own subsystem and sites, per-thread heaps, bulk
   release; the process's malloc stays the C library's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hakmem.h"

#ifndef WANT_VERSION
#define WANT_VERSION ""
#endif

int main(void) {
  if (strcmp(hak_version(), WANT_VERSION) != 0 && WANT_VERSION[0] != 0) {
    fprintf(stderr, "embed_user: library %s, want %s\n", hak_version(), WANT_VERSION);
    return 1;
  }
  hak_subsys_t sub = hak_subsys_register("consumer.nodes");
  hak_site_t site = hak_site_register(sub, "consumer.node");
  if (sub == HAK_SUBSYS_INVALID || hak_site_subsys(site) != sub) {
    fprintf(stderr, "embed_user: registration failed\n");
    return 1;
  }
  hak_stats_t s0 = {.size = sizeof(s0)};
  hak_stats_get(&s0);
  void* blocks[1000];
  for (int i = 0; i < 1000; i++) {
    blocks[i] = hak_alloc_at(16 + (size_t)i, site);
    if (blocks[i] == NULL || !hak_owns(blocks[i])) return 1;
    memset(blocks[i], i, 16);
  }
  hak_stats_t s1 = {.size = sizeof(s1)};
  hak_stats_get(&s1);
  size_t released = hak_heap_release(sub);  // all 1000 at once
  void* libc = malloc(100);  // the C library's, not hakmem's
  int ok = s1.alloc_count - s0.alloc_count == 1000 && released > 0 && !hak_owns(libc);
  free(libc);
  printf("embed_user: hakmem %s served %llu blocks, released %zu bytes in one call; malloc stays the C library's\n",
         hak_version(), (unsigned long long)(s1.alloc_count - s0.alloc_count), released);
  return ok ? 0 : 1;
}
