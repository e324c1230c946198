/* arena.c: the memory of a program.

   A program allocates many small, immutable pieces (nodes, names, strings)
   that all die together, so they are bump-allocated from 16 KiB chunks taken
   from the allocation context under the site lang.ast; a request larger than
   a quarter chunk gets a block of its own (site lang.big) on the same list.
   Freeing the program walks that list once. Invariant: every chunk and big
   block of the program is on arena->chunks, with its size in its header. */
#include <string.h>

#include "lang_internal.h"

#define HLANG_ALIGN 8

static void* hlang_block_new(hlang_arena_t* arena, size_t size, bool big) {
  hak_site_t site = big ? HAK_SITE(HAK_SUBSYS("lang"), "lang.big") : HAK_SITE(HAK_SUBSYS("lang"), "lang.ast");
  hlang_chunk_t* c = arena->alc->alloc(arena->alc->ctx, size, site);
  if hlang_unlikely(c == NULL) {
    if (arena->oom) longjmp(*arena->oom, 1);
    return NULL;
  }
  c->size = size | (size_t)big;  // sizes are even: bit 0 marks a big block
  c->next = arena->chunks;
  arena->chunks = c;
  return c;
}

// Slow path: a new chunk, or an own block for a big request.
static void* hlang_alloc_generic(hlang_arena_t* arena, size_t size) {
  if (size > HLANG_BIG_BLOCK) {
    hlang_chunk_t* c = hlang_block_new(arena, sizeof(hlang_chunk_t) + size, true);
    return c ? (void*)(c + 1) : NULL;
  }
  hlang_chunk_t* c = hlang_block_new(arena, HLANG_CHUNK_SIZE, false);
  if (c == NULL) return NULL;
  arena->cur = (char*)(c + 1) + size;
  arena->end = (char*)c + HLANG_CHUNK_SIZE;
  return c + 1;
}

// Fast path: a bump of the current chunk (one compare).
void* _hlang_alloc(hlang_program_t* prog, size_t size) {
  hlang_arena_t* arena = &prog->arena;
  size = (size + HLANG_ALIGN - 1) & ~(size_t)(HLANG_ALIGN - 1);
  if hlang_unlikely((size_t)(arena->end - arena->cur) < size) return hlang_alloc_generic(arena, size);
  void* p = arena->cur;
  arena->cur += size;
  return p;
}

char* _hlang_strdup(hlang_program_t* prog, const char* s, size_t len) {
  char* p = _hlang_alloc(prog, len + 1);
  if (len) memcpy(p, s, len);
  p[len] = 0;
  return p;
}

void* _hlang_grow(hlang_program_t* prog, void* items, uint32_t* cap, uint32_t n, size_t item) {
  if (n <= *cap) return items;
  uint32_t ncap = *cap ? *cap * 2 : 8;
  while (ncap < n) ncap *= 2;
  void* p = _hlang_alloc(prog, (size_t)ncap * item);
  if (*cap) memcpy(p, items, (size_t)*cap * item);
  *cap = ncap;
  return p;  // the old array stays in the arena until the program is freed
}

void _hlang_arena_free(hlang_arena_t* arena) {
  hlang_chunk_t* c = arena->chunks;
  while (c) {
    hlang_chunk_t* next = c->next;
    hak_site_t site = (c->size & 1) ? HAK_SITE(HAK_SUBSYS("lang"), "lang.big") : HAK_SITE(HAK_SUBSYS("lang"), "lang.ast");
    arena->alc->free(arena->alc->ctx, c, c->size & ~(size_t)1, site);
    c = next;
  }
  arena->chunks = NULL;
  arena->cur = arena->end = NULL;
}
