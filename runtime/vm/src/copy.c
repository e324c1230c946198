/* copy.c: deep copies between VMs. Nothing mutable is shared between
   threads: spawn() arguments, send() values and join() results travel as
   packets, deep copies made by the sending thread into fresh objects that no
   VM owns yet. The receiver adopts a packet by splicing its object list into
   its own heap (recv), or copies it once more (join, which may be called by
   several VMs on one thread handle). So objects built on one thread are freed
   by another's collector: remote frees for the allocator.

   The copy keeps sharing and cycles (a visited table maps source objects to
   their copies) and uses an explicit work stack, so any depth is safe.
   Channels and threads are not copied: the copy is a new handle on the same
   shared channel or thread (a reference more).

   Invariant while copying: a copied container holds only values already
   copied (arrays fill len as they go, maps nent), so a copy cut short by an
   out-of-memory raise can be freed (packet) or collected (VM heap) safely. */
#include "hvm_internal.h"

typedef struct hvm_copier_s {
  hvm_t* vm;
  int into_vm;        // 1: objects join vm's heap (accounted); 0: a packet's list
  hvm_packet_t* pk;   // the packet being filled (into_vm == 0)
} hvm_copier_t;

static void* hvm_copy_alloc(hvm_copier_t* c, size_t size) {
  hvm_t* vm = c->vm;
  if (c->into_vm) return _hvm_mem_alloc(vm, size);
  void* p = vm->alc->alloc(vm->alc->ctx, size, vm->site);
  if (!p) _hvm_raise_oom(vm);  // vm->pending frees the partial packet
  c->pk->bytes += size;
  return p;
}

static hvm_obj_t* hvm_copy_obj(hvm_copier_t* c, hvm_type_t type, size_t size) {
  if (c->into_vm) return _hvm_obj_new(c->vm, type, size);
  hvm_obj_t* o = hvm_copy_alloc(c, size);
  o->next = c->pk->objs;
  o->type = (uint8_t)type;
  o->mark = 0;
  o->extra = 0;
  o->site = c->vm->site;
  if (!c->pk->objs) c->pk->last = o;
  c->pk->objs = o;
  return o;
}

// ----- Visited table (source object -> copy), open addressing in vm->vis -----
static size_t hvm_vis_slot(const void* p, size_t cap) {
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 29;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 32;
  return (size_t)x & (cap - 1);
}

static void hvm_vis_reset(hvm_t* vm) {
  if (vm->vis) memset(vm->vis, 0, vm->cvis * 2 * sizeof(void*));
  vm->nvis = 0;
}

static void hvm_vis_grow(hvm_t* vm) {
  size_t ncap = vm->cvis ? vm->cvis * 2 : 64;
  void** t = vm->alc->alloc(vm->alc->ctx, ncap * 2 * sizeof(void*), _hvm_site_static(HVM_SITE_COPY));
  if (!t) _hvm_raise_oom(vm);
  memset(t, 0, ncap * 2 * sizeof(void*));
  for (size_t j = 0; j < vm->cvis; j++) {
    void* k = vm->vis[2 * j];
    if (!k) continue;
    size_t s = hvm_vis_slot(k, ncap);
    while (t[2 * s]) s = (s + 1) & (ncap - 1);
    t[2 * s] = k;
    t[2 * s + 1] = vm->vis[2 * j + 1];
  }
  if (vm->vis) vm->alc->free(vm->alc->ctx, vm->vis, vm->cvis * 2 * sizeof(void*), _hvm_site_static(HVM_SITE_COPY));
  vm->vis = t;
  vm->cvis = ncap;
}

static hvm_obj_t* hvm_vis_get(hvm_t* vm, const hvm_obj_t* src) {
  if (!vm->cvis) return NULL;
  for (size_t s = hvm_vis_slot(src, vm->cvis); vm->vis[2 * s]; s = (s + 1) & (vm->cvis - 1)) {
    if (vm->vis[2 * s] == src) return vm->vis[2 * s + 1];
  }
  return NULL;
}

static void hvm_vis_put(hvm_t* vm, const hvm_obj_t* src, hvm_obj_t* dst) {
  if ((vm->nvis + 1) * 2 > vm->cvis) hvm_vis_grow(vm);
  size_t s = hvm_vis_slot(src, vm->cvis);
  while (vm->vis[2 * s]) s = (s + 1) & (vm->cvis - 1);
  vm->vis[2 * s] = (void*)src;
  vm->vis[2 * s + 1] = dst;
  vm->nvis++;
}

static void hvm_work_push(hvm_t* vm, const hvm_obj_t* src, hvm_obj_t* dst) {
  if (vm->nwork + 2 > vm->cwork) {
    size_t ncap = vm->cwork ? vm->cwork * 2 : 64;
    void** w = vm->alc->realloc(vm->alc->ctx, vm->work, vm->cwork * sizeof(void*), ncap * sizeof(void*),
                                _hvm_site_static(HVM_SITE_COPY));
    if (!w) _hvm_raise_oom(vm);
    vm->work = w;
    vm->cwork = ncap;
  }
  vm->work[vm->nwork++] = (void*)src;
  vm->work[vm->nwork++] = dst;
}

// ----- Copying -----
static hvm_obj_t* hvm_copy_str(hvm_copier_t* c, const hvm_str_t* s) {
  hvm_str_t* d = (hvm_str_t*)hvm_copy_obj(c, HVM_STR, sizeof(hvm_str_t) + s->len + 1);
  d->hash = s->hash;
  d->len = s->len;
  memcpy(d->s, s->s, (size_t)s->len + 1);
  return &d->h;
}

// An empty array with room for s's items (filled by hvm_copy_fill).
static hvm_obj_t* hvm_copy_arr(hvm_copier_t* c, const hvm_arr_t* s) {
  uint32_t inl = s->len <= 255 ? s->len : 0;
  hvm_arr_t* d = (hvm_arr_t*)hvm_copy_obj(c, HVM_ARR, sizeof(hvm_arr_t) + (size_t)inl * sizeof(hvm_value_t));
  d->h.extra = (uint16_t)inl;
  d->len = 0;
  d->cap = inl;
  d->items = inl ? d->inl : NULL;
  if (!inl && s->len) {
    d->items = hvm_copy_alloc(c, (size_t)s->len * sizeof(hvm_value_t));
    d->cap = s->len;
  }
  return &d->h;
}

// A map with s's entry array size and index (entries filled by hvm_copy_fill).
static hvm_obj_t* hvm_copy_map(hvm_copier_t* c, const hvm_map_t* s) {
  hvm_map_t* d = (hvm_map_t*)hvm_copy_obj(c, HVM_MAP, sizeof(hvm_map_t));
  d->count = s->count;
  d->nent = d->cent = d->mask = 0;
  d->ent = NULL;
  d->idx = NULL;
  if (s->cent) {
    d->ent = hvm_copy_alloc(c, (size_t)s->cent * sizeof(hvm_entry_t));
    d->cent = s->cent;
  }
  if (s->idx) {
    d->idx = hvm_copy_alloc(c, ((size_t)s->mask + 1) * sizeof(uint32_t));
    d->mask = s->mask;
    memcpy(d->idx, s->idx, ((size_t)s->mask + 1) * sizeof(uint32_t));
  }
  return &d->h;
}

// One more handle on the same shared channel or thread.
static hvm_obj_t* hvm_copy_handle(hvm_copier_t* c, const hvm_obj_t* src) {
  if (src->type == HVM_CHAN) {
    hvm_chanref_t* d = (hvm_chanref_t*)hvm_copy_obj(c, HVM_CHAN, sizeof(hvm_chanref_t));
    d->ch = ((const hvm_chanref_t*)src)->ch;
    atomic_fetch_add(&d->ch->refs, 1);
    return &d->h;
  }
  hvm_threadref_t* d = (hvm_threadref_t*)hvm_copy_obj(c, HVM_THREAD, sizeof(hvm_threadref_t));
  d->th = ((const hvm_threadref_t*)src)->th;
  atomic_fetch_add(&d->th->refs, 1);
  return &d->h;
}

static hvm_value_t hvm_copy_value(hvm_copier_t* c, hvm_value_t v) {
  if (!hvm_is_obj(v.t)) return v;
  hvm_t* vm = c->vm;
  hvm_obj_t* src = v.u.o;
  hvm_obj_t* dst = hvm_vis_get(vm, src);
  if (dst) return hvm_obj(dst, (hvm_type_t)v.t);
  switch (v.t) {
    case HVM_STR: dst = hvm_copy_str(c, (const hvm_str_t*)src); break;
    case HVM_ARR: dst = hvm_copy_arr(c, (const hvm_arr_t*)src); break;
    case HVM_MAP: dst = hvm_copy_map(c, (const hvm_map_t*)src); break;
    default: dst = hvm_copy_handle(c, src); break;
  }
  if (v.t == HVM_ARR || v.t == HVM_MAP) hvm_work_push(vm, src, dst);
  hvm_vis_put(vm, src, dst);
  return hvm_obj(dst, (hvm_type_t)v.t);
}

static void hvm_copy_fill(hvm_copier_t* c) {
  hvm_t* vm = c->vm;
  while (vm->nwork) {
    hvm_obj_t* dst = vm->work[--vm->nwork];
    const hvm_obj_t* src = vm->work[--vm->nwork];
    if (src->type == HVM_ARR) {
      const hvm_arr_t* s = (const hvm_arr_t*)src;
      hvm_arr_t* d = (hvm_arr_t*)dst;
      for (uint32_t j = 0; j < s->len; j++) {
        d->items[j] = hvm_copy_value(c, s->items[j]);
        d->len = j + 1;
      }
    } else {
      const hvm_map_t* s = (const hvm_map_t*)src;
      hvm_map_t* d = (hvm_map_t*)dst;
      for (uint32_t j = 0; j < s->nent; j++) {
        hvm_entry_t e = s->ent[j];
        if (e.kt == HVM_STR) e.kb = (uint64_t)(uintptr_t)hvm_copy_value(c, (hvm_value_t){.u.bits = e.kb, .t = HVM_STR}).u.o;
        if (e.kt != HVM_DEAD && hvm_is_obj(e.vt))
          e.vb = (uint64_t)(uintptr_t)hvm_copy_value(c, (hvm_value_t){.u.bits = e.vb, .t = e.vt}).u.o;
        d->ent[j] = e;
        d->nent = j + 1;
      }
    }
  }
}

static hvm_value_t hvm_copy_root(hvm_copier_t* c, hvm_value_t v) {
  hvm_vis_reset(c->vm);
  c->vm->nwork = 0;
  hvm_value_t r = hvm_copy_value(c, v);
  hvm_copy_fill(c);
  return r;
}

static hvm_packet_t* hvm_packet_begin(hvm_t* vm) {
  hvm_packet_t* pk = vm->alc->alloc(vm->alc->ctx, sizeof *pk, _hvm_site_static(HVM_SITE_CHAN));
  if (!pk) _hvm_raise_oom(vm);
  memset(pk, 0, sizeof *pk);
  vm->pending = pk;
  return pk;
}

hvm_packet_t* _hvm_packet_new(hvm_t* vm, hvm_value_t v) {
  hvm_packet_t* pk = hvm_packet_begin(vm);
  hvm_copier_t c = {vm, 0, pk};
  pk->v = hvm_copy_root(&c, v);
  vm->pending = NULL;
  return pk;
}

hvm_packet_t* _hvm_packet_new_vec(hvm_t* vm, const hvm_value_t* vals, uint32_t n) {
  hvm_packet_t* pk = hvm_packet_begin(vm);
  hvm_copier_t c = {vm, 0, pk};
  hvm_vis_reset(vm);
  vm->nwork = 0;
  hvm_arr_t* a = (hvm_arr_t*)hvm_copy_obj(&c, HVM_ARR, sizeof(hvm_arr_t) + (size_t)n * sizeof(hvm_value_t));
  a->h.extra = (uint16_t)n;  // n <= HBC_MAXARGS
  a->cap = n;
  a->len = 0;
  a->items = n ? a->inl : NULL;
  pk->v = hvm_obj(a, HVM_ARR);
  for (uint32_t j = 0; j < n; j++) {  // one visited table for all: sharing between arguments is kept
    a->items[j] = hvm_copy_value(&c, vals[j]);
    a->len = j + 1;
    hvm_copy_fill(&c);
  }
  vm->pending = NULL;
  return pk;
}

hvm_value_t _hvm_packet_copy_in(hvm_t* vm, const hvm_packet_t* pk) {
  hvm_copier_t c = {vm, 1, NULL};
  return hvm_copy_root(&c, pk->v);
}

hvm_value_t _hvm_packet_adopt(hvm_t* vm, hvm_packet_t* pk) {
  hvm_value_t v = pk->v;
  if (pk->objs) {
    pk->last->next = vm->objs;
    vm->objs = pk->objs;
    vm->bytes += pk->bytes;
    vm->debt += (int64_t)pk->bytes;
    if (vm->bytes > vm->peak) vm->peak = vm->bytes;
  }
  vm->alc->free(vm->alc->ctx, pk, sizeof *pk, _hvm_site_static(HVM_SITE_CHAN));
  return v;
}

void _hvm_packet_free(const hak_alc_t* alc, hvm_packet_t* pk) {
  hvm_obj_t* o;
  while ((o = pk->objs)) {
    pk->objs = o->next;
    _hvm_obj_free(alc, o);
  }
  alc->free(alc->ctx, pk, sizeof *pk, _hvm_site_static(HVM_SITE_CHAN));
}
