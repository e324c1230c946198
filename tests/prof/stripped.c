/* stripped.c: a program for tests/prof/stripped.sh, profiled after `strip --strip-all`
   (only .dynsym is left, where -rdynamic puts the global functions).
   prof_stripped_exported (global: in .dynsym) allocates 64 blocks of 64 KiB (4 MiB)
   that stay live; prof_stripped_hidden (static: in no symbol table once stripped,
   and placed right after it by -fno-toplevel-reorder) allocates 192 (12 MiB), so
   addr2line names its addresses after prof_stripped_exported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void* keep[256];

__attribute__((noinline)) void* prof_stripped_exported(size_t n) {
  void* p = malloc(n);
  if (p) memset(p, 1, n);
  return p;
}

static __attribute__((noinline)) void* prof_stripped_hidden(size_t n) {
  void* p = malloc(n);
  if (p) memset(p, 2, n);
  return p;
}

int main(void) {
  for (int i = 0; i < 64; i++) keep[i] = prof_stripped_exported(65536);
  for (int i = 64; i < 256; i++) keep[i] = prof_stripped_hidden(65536);
  printf("stripped: %p\n", keep[255]);
  return 0;
}
