/* exhaust.c: out of memory under RLIMIT_AS. With the address space limited
   to what the process uses plus 256 MiB, allocating blocks of every tier
   until the OS refuses must give NULL with errno ENOMEM (no crash), calloc
   and reallocarray overflow give ENOMEM, and after freeing everything the
   same allocations succeed again. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static size_t vm_size(void) {
  FILE* f = fopen("/proc/self/statm", "r");
  unsigned long pages = 0;
  if (f != NULL) {
    if (fscanf(f, "%lu", &pages) != 1) pages = 0;
    fclose(f);
  }
  return pages * 4096;
}

// Allocates blocks of `size` until NULL; returns how many, or -1 on a wrong errno.
static long fill(void*** blocks, size_t* cap, size_t* count, size_t size) {
  long n = 0;
  for (;;) {
    if (*count == *cap) {
      *cap = *cap ? *cap * 2 : 1024;
      void** grown = realloc(*blocks, *cap * sizeof(void*));
      if (grown == NULL) return errno == ENOMEM ? n : -1;
      *blocks = grown;
    }
    errno = 0;
    char* p = malloc(size);
    if (p == NULL) return errno == ENOMEM ? n : -1;
    p[0] = 1;
    p[size - 1] = 2;
    (*blocks)[(*count)++] = p;
    n++;
  }
}

int main(void) {
  struct rlimit rl = {vm_size() + (256u << 20), vm_size() + (256u << 20)};
  if (setrlimit(RLIMIT_AS, &rl) != 0) {
    perror("setrlimit");
    return 2;
  }
  size_t sizes[] = {24, 700, 20000, 300000, 5u << 20};
  void** blocks = NULL;
  size_t cap = 0, count = 0;
  long first[5];
  for (int round = 0; round < 2; round++) {
    for (int i = 0; i < 5; i++) {
      long n = fill(&blocks, &cap, &count, sizes[i]);
      if (n < 0) {
        fprintf(stderr, "exhaust: malloc(%zu) failed with errno %d, not ENOMEM\n", sizes[i], errno);
        return 1;
      }
      if (round == 0) first[i] = n;
      // Free this size's blocks so the next size has room too.
      while (count > 0) free(blocks[--count]);
    }
    errno = 0;
    if (calloc(SIZE_MAX / 4, 8) != NULL || errno != ENOMEM) return 1;
    errno = 0;
    if (reallocarray(NULL, SIZE_MAX / 2, 3) != NULL || errno != ENOMEM) return 1;
  }
  // After everything was freed, memory is available again.
  void* again = malloc(64u << 20);
  if (again == NULL) {
    fprintf(stderr, "exhaust: cannot allocate after freeing\n");
    return 1;
  }
  free(again);
  free(blocks);
  printf("exhaust: blocks before ENOMEM: 24B %ld, 700B %ld, 20KB %ld, 300KB %ld, 5MB %ld\n", first[0], first[1], first[2],
         first[3], first[4]);
  return 0;
}
