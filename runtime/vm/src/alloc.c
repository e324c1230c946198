/* alloc.c: the VM's allocation wrapper. Every byte the VM's objects take goes
   through _hvm_mem_alloc/_realloc/_free, which call the program's hak_alc_t
   and keep the collector's accounting: vm->bytes (object memory now) and
   vm->debt (bytes allocated beyond the allowance set by the last collection;
   the interpreter collects at its next safe point once debt > 0). This is
   behaviour, not statistics (accounting that drives behaviour is never a
   stat: docs/design.md, section 5): it is always on and never read from
   the allocator's stats.

   Invariant: vm->bytes == sum of _hvm_obj_bytes over vm->objs. */
#include "hvm_internal.h"

hak_site_t _hvm_site_static(int which) {
  switch (which) {
    case HVM_SITE_FRAME: return HAK_SITE(HAK_SUBSYS("vm"), "vm.frame");
    case HVM_SITE_STACK: return HAK_SITE(HAK_SUBSYS("vm"), "vm.stack");
    case HVM_SITE_GC: return HAK_SITE(HAK_SUBSYS("vm"), "vm.gc");
    case HVM_SITE_SCRATCH: return HAK_SITE(HAK_SUBSYS("vm"), "vm.scratch");
    case HVM_SITE_CONST: return HAK_SITE(HAK_SUBSYS("vm"), "vm.const");
    case HVM_SITE_PROGRAM: return HAK_SITE(HAK_SUBSYS("vm"), "vm.program");
    case HVM_SITE_CHAN: return HAK_SITE(HAK_SUBSYS("vm"), "vm.chan");
    case HVM_SITE_THREAD: return HAK_SITE(HAK_SUBSYS("vm"), "vm.thread");
    case HVM_SITE_COPY: return HAK_SITE(HAK_SUBSYS("vm"), "vm.copy");
    case HVM_SITE_PROF: return HAK_SITE(HAK_SUBSYS("vm"), "vm.prof");
    default: return HAK_SITE_ANON(HAK_SUBSYS("vm"));
  }
}

static void hvm_mem_account(hvm_t* vm, size_t size) {
  vm->debt += (int64_t)size;
  vm->bytes += size;
  if (vm->bytes > vm->peak) vm->peak = vm->bytes;
}

void* _hvm_mem_alloc(hvm_t* vm, size_t size) {
  void* p = vm->alc->alloc(vm->alc->ctx, size, vm->site);
  if hvm_unlikely(!p) _hvm_raise_oom(vm);
  hvm_mem_account(vm, size);
  return p;
}

void* _hvm_mem_realloc(hvm_t* vm, void* p, size_t old, size_t size, hak_site_t site) {
  void* q = vm->alc->realloc(vm->alc->ctx, p, old, size, site);
  if hvm_unlikely(!q) _hvm_raise_oom(vm);
  vm->bytes -= old;
  hvm_mem_account(vm, size);
  return q;
}

void _hvm_mem_free(hvm_t* vm, void* p, size_t size, hak_site_t site) {
  vm->alc->free(vm->alc->ctx, p, size, site);
  vm->bytes -= size;
}

hvm_obj_t* _hvm_obj_new(hvm_t* vm, hvm_type_t type, size_t size) {
  hvm_obj_t* o = _hvm_mem_alloc(vm, size);
  o->next = vm->objs;
  o->type = (uint8_t)type;
  o->mark = 0;
  o->extra = 0;
  o->site = vm->site;
  vm->objs = o;
  return o;
}

size_t _hvm_obj_size(const hvm_obj_t* o) {
  switch (o->type) {
    case HVM_STR: return sizeof(hvm_str_t) + ((const hvm_str_t*)o)->len + 1;
    case HVM_ARR: return sizeof(hvm_arr_t) + (size_t)o->extra * sizeof(hvm_value_t);
    case HVM_MAP: return sizeof(hvm_map_t);
    case HVM_CHAN: return sizeof(hvm_chanref_t);
    case HVM_THREAD: return sizeof(hvm_threadref_t);
    default: return 0;
  }
}

size_t _hvm_obj_bytes(const hvm_obj_t* o) {
  size_t n = _hvm_obj_size(o);
  if (o->type == HVM_ARR) {
    const hvm_arr_t* a = (const hvm_arr_t*)o;
    if (a->items && a->items != a->inl) n += (size_t)a->cap * sizeof(hvm_value_t);
  } else if (o->type == HVM_MAP) {
    const hvm_map_t* m = (const hvm_map_t*)o;
    n += (size_t)m->cent * sizeof(hvm_entry_t);
    if (m->idx) n += ((size_t)m->mask + 1) * sizeof(uint32_t);
  }
  return n;
}

void _hvm_obj_free(const hak_alc_t* alc, hvm_obj_t* o) {
  switch (o->type) {
    case HVM_ARR: {
      hvm_arr_t* a = (hvm_arr_t*)o;
      if (a->items && a->items != a->inl) alc->free(alc->ctx, a->items, (size_t)a->cap * sizeof(hvm_value_t), o->site);
      break;
    }
    case HVM_MAP: {
      hvm_map_t* m = (hvm_map_t*)o;
      if (m->ent) alc->free(alc->ctx, m->ent, (size_t)m->cent * sizeof(hvm_entry_t), o->site);
      if (m->idx) alc->free(alc->ctx, m->idx, ((size_t)m->mask + 1) * sizeof(uint32_t), o->site);
      break;
    }
    case HVM_CHAN: _hvm_chan_release(((hvm_chanref_t*)o)->ch); break;
    case HVM_THREAD: _hvm_thread_release(((hvm_threadref_t*)o)->th); break;
    default: break;
  }
  alc->free(alc->ctx, o, _hvm_obj_size(o), o->site);
}
