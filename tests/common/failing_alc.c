/* failing_alc.c: the checking, failing allocation context (failing_alc.h).
   A block is a malloc'd header, rounded up to 16 bytes so the user part keeps
   malloc's alignment, followed by the user bytes; live blocks form a doubly
   linked list from the context's head, so a bulk release and a drain can
   find them. Every operation holds the context's spin lock. */
#include "failing_alc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAILING_ALC_MAGIC 0x66616c63u
#define FAILING_ALC_HDR ((sizeof(failing_alc_blk_t) + 15) & ~(size_t)15)

static void failing_alc_lock(failing_alc_t* t) {
  while (atomic_flag_test_and_set_explicit(&t->lock, memory_order_acquire)) {
  }
}

static void failing_alc_unlock(failing_alc_t* t) { atomic_flag_clear_explicit(&t->lock, memory_order_release); }

static failing_alc_blk_t* failing_alc_blk(void* p) { return (failing_alc_blk_t*)((char*)p - FAILING_ALC_HDR); }

// Counts an attempt; true when it must fail. Under the lock.
static bool failing_alc_fails(failing_alc_t* t, hak_site_t site) {
  if (t->subsys_mask && !(t->subsys_mask & (1u << hak_site_subsys(site)))) {
    fprintf(stderr, "failing_alc: allocation of site %u (%s) outside the allowed subsystems\n", site, hak_site_name(site));
    t->bad++;
  }
  long n = ++t->attempts;
  if ((t->fail_at && n == t->fail_at) || (t->fail_from && n >= t->fail_from)) {
    t->failures++;
    return true;
  }
  return false;
}

static void failing_alc_note_site(failing_alc_t* t, hak_site_t site) {
  if (!t->seen) return;
  size_t i = 0;
  while (i < t->nseen && t->seen[i] != site) i++;
  if (i == t->nseen && t->nseen < t->seen_cap) t->seen[t->nseen++] = site;
}

// A new live block. Under the lock.
static void* failing_alc_new(failing_alc_t* t, size_t size, hak_site_t site) {
  failing_alc_blk_t* b = malloc(FAILING_ALC_HDR + size);
  if (!b) return NULL;
  b->size = size;
  b->site = site;
  b->magic = FAILING_ALC_MAGIC;
  b->next = t->blocks.next;
  b->prev = &t->blocks;
  t->blocks.next->prev = b;
  t->blocks.next = b;
  t->live++;
  t->live_bytes += size;
  t->allocs++;
  failing_alc_note_site(t, site);
  memset((char*)b + FAILING_ALC_HDR, 0xd0, size);  // uninitialized fill (docs/style.md, debug fill bytes)
  return (char*)b + FAILING_ALC_HDR;
}

static void failing_alc_unlink(failing_alc_t* t, failing_alc_blk_t* b) {
  b->prev->next = b->next;
  b->next->prev = b->prev;
  b->magic = 0;
  t->live--;
  t->live_bytes -= b->size;
  memset((char*)b + FAILING_ALC_HDR, 0xdf, b->size);  // freed fill
  free(b);
}

// Whether p is a live block freed with its size (and site). Under the lock.
static bool failing_alc_matches(failing_alc_t* t, const char* what, void* p, size_t size, hak_site_t site) {
  failing_alc_blk_t* b = failing_alc_blk(p);
  if (b->magic != FAILING_ALC_MAGIC) {
    fprintf(stderr, "failing_alc: %s of %p, not a live block\n", what, p);
  } else if (b->size != size) {
    fprintf(stderr, "failing_alc: %s of %p with size %zu, allocated with %zu\n", what, p, size, b->size);
  } else if ((t->flags & FAILING_ALC_SITES) && b->site != site) {
    fprintf(stderr, "failing_alc: %s of %p with site %u (%s), allocated at %u (%s)\n", what, p, site, hak_site_name(site),
            b->site, hak_site_name(b->site));
  } else {
    return true;
  }
  t->bad++;
  return false;
}

static void* failing_alc_alloc(void* ctx, size_t size, hak_site_t site) {
  failing_alc_t* t = ctx;
  failing_alc_lock(t);
  void* p = failing_alc_fails(t, site) ? NULL : failing_alc_new(t, size, site);
  failing_alc_unlock(t);
  return p;
}

static void failing_alc_free(void* ctx, void* p, size_t size, hak_site_t site) {
  failing_alc_t* t = ctx;
  if (!p) return;
  failing_alc_lock(t);
  if (failing_alc_matches(t, "free", p, size, site)) failing_alc_unlink(t, failing_alc_blk(p));
  failing_alc_unlock(t);
}

// Always moves the block, so a caller that keeps the old pointer is caught.
static void* failing_alc_realloc(void* ctx, void* p, size_t old, size_t size, hak_site_t site) {
  failing_alc_t* t = ctx;
  if (!p) return failing_alc_alloc(ctx, size, site);
  void* q = NULL;
  failing_alc_lock(t);
  if (failing_alc_matches(t, "realloc", p, old, site) && !failing_alc_fails(t, site)) {
    q = failing_alc_new(t, size, site);
    if (q) {
      memcpy(q, p, old < size ? old : size);
      failing_alc_unlink(t, failing_alc_blk(p));
    }
  }
  failing_alc_unlock(t);
  return q;
}

static size_t failing_alc_release(void* ctx, hak_subsys_t sub) {
  failing_alc_t* t = ctx;
  size_t bytes = 0;
  failing_alc_lock(t);
  t->releases++;
  for (failing_alc_blk_t *b = t->blocks.next, *nx; b != &t->blocks; b = nx) {
    nx = b->next;
    if (hak_site_subsys(b->site) == sub) {
      bytes += b->size;
      failing_alc_unlink(t, b);
    }
  }
  failing_alc_unlock(t);
  return bytes;
}

void failing_alc_init(failing_alc_t* t, uint32_t subsys_mask, unsigned flags) {
  memset(t, 0, sizeof *t);
  atomic_flag_clear(&t->lock);
  t->blocks.next = t->blocks.prev = &t->blocks;
  t->subsys_mask = subsys_mask;
  t->flags = flags;
  t->alc.ctx = t;
  t->alc.alloc = failing_alc_alloc;
  t->alc.realloc = failing_alc_realloc;
  t->alc.free = failing_alc_free;
  t->alc.release = (flags & FAILING_ALC_BULK) ? failing_alc_release : NULL;
}

void failing_alc_record_sites(failing_alc_t* t, hak_site_t* buf, size_t cap) {
  failing_alc_lock(t);
  t->seen = buf;
  t->seen_cap = cap;
  t->nseen = 0;
  failing_alc_unlock(t);
}

long failing_alc_live_in(failing_alc_t* t, hak_subsys_t sub) {
  long n = 0;
  failing_alc_lock(t);
  for (const failing_alc_blk_t* b = t->blocks.next; b != &t->blocks; b = b->next) n += hak_site_subsys(b->site) == sub;
  failing_alc_unlock(t);
  return n;
}

void failing_alc_drain(failing_alc_t* t) {
  failing_alc_lock(t);
  while (t->blocks.next != &t->blocks) failing_alc_unlink(t, t->blocks.next);
  failing_alc_unlock(t);
}
