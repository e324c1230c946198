/* mem.c: the memory of one function's MIR.

   Every node is a separate block from the allocation context, under a mir.*
   site that names what it is (mir.instr, mir.block, mir.operands, ...): the
   MIR is the allocator's "many small, short-lived nodes" workload. Nothing is
   freed while the function is compiled; afterwards:
   - bulk (alc->release != NULL, hakmem): one alc->release(ctx, HAK_SUBSYS("mir"))
     drops the thread's whole MIR heap, in time proportional to its pages;
   - otherwise (the libc context of benchmark comparisons): every block was
     recorded in mem->track and is freed one by one.
   Arrays never use realloc: they grow by copying into a block twice as big,
   the same calls in both modes, so allocators are compared on equal work.
   Invariant (!bulk): every block of the function except the track array
   itself is in track[0..ntrack). */
#include "mir_internal.h"

void _hmir_mem_init(hmir_mem_t* mem, const hak_alc_t* alc) {
  memset(mem, 0, sizeof *mem);
  mem->alc = alc;
  mem->bulk = alc->release != NULL;
}

// Slow path: a bigger track array (alloc + copy + free; the array itself is
// not tracked).
static void hmir_track_grow(hmir_mem_t* mem) {
  const hak_alc_t* alc = mem->alc;
  uint32_t ncap = mem->ctrack ? mem->ctrack * 2 : 256;
  hmir_track_t* t = alc->alloc(alc->ctx, (size_t)ncap * sizeof *t, HMIR_SITE("mir.track"));
  if (t == NULL) return;
  if (mem->ntrack) memcpy(t, mem->track, (size_t)mem->ntrack * sizeof *t);
  if (mem->track) alc->free(alc->ctx, mem->track, (size_t)mem->ctrack * sizeof *t, HMIR_SITE("mir.track"));
  mem->track = t;
  mem->ctrack = ncap;
}

void* _hmir_alloc(hmir_func_t* f, size_t size, hak_site_t site) {
  hmir_mem_t* mem = &f->mem;
  const hak_alc_t* alc = mem->alc;
  void* p = alc->alloc(alc->ctx, size, site);
  if hmir_unlikely(p == NULL) longjmp(*mem->oom, 1);
  mem->allocs++;
  mem->bytes += size;
  if (!mem->bulk) {
    if hmir_unlikely(mem->ntrack == mem->ctrack) {
      hmir_track_grow(mem);
      if (mem->ntrack == mem->ctrack) {
        alc->free(alc->ctx, p, size, site);
        longjmp(*mem->oom, 1);
      }
    }
    hmir_track_t* t = &mem->track[mem->ntrack++];
    t->p = p;
    t->size = (uint32_t)size;
    t->site = site;
  }
  return p;
}

void* _hmir_grow(hmir_func_t* f, const void* p, size_t old, size_t size, hak_site_t site) {
  void* q = _hmir_alloc(f, size, site);
  if (old) memcpy(q, p, old < size ? old : size);
  return q;
}

void _hmir_mem_release(hmir_mem_t* mem) {
  const hak_alc_t* alc = mem->alc;
  if (mem->bulk) {
    alc->release(alc->ctx, HAK_SUBSYS("mir"));
    return;
  }
  hmir_track_t* t = mem->track;
  uint32_t n = mem->ntrack, cap = mem->ctrack;
  for (uint32_t k = n; k-- > 0;) alc->free(alc->ctx, t[k].p, t[k].size, t[k].site);
  if (t) alc->free(alc->ctx, t, (size_t)cap * sizeof *t, HMIR_SITE("mir.track"));
}
