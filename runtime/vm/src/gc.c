/* gc.c: the collector. Stop-the-world mark and sweep, one heap per VM.

   Roots are the value stack below the top of the running frame (every frame
   lies below it) and nothing else: constants and one-byte strings are fixed
   objects outside the swept list, and values in transit between threads live
   in packets that no VM owns. Collections run only at the interpreter's safe
   points (after an allocating instruction, when vm->debt > 0), so C code in
   builtins never holds an unrooted object across a collection.

   Marking uses an explicit gray stack (no recursion: any depth is safe); if
   the stack cannot grow, containers are re-scanned from the object list until
   nothing new is marked. Pacing: after a collection the VM may allocate
   max(live * HVM_GC_PAUSE / 100, HVM_GC_MIN) bytes before the next one; in
   stress mode every allocating instruction triggers one. */
#include "hvm_internal.h"

typedef struct hvm_marker_s {
  hvm_t* vm;
  int overflow;  // a gray push failed: rescan needed
} hvm_marker_t;

static void hvm_gray_push(hvm_marker_t* mk, hvm_obj_t* o) {
  hvm_t* vm = mk->vm;
  if hvm_unlikely(vm->ngray == vm->cgray) {
    size_t ncap = vm->cgray ? vm->cgray * 2 : 256;
    void* p = vm->alc->realloc(vm->alc->ctx, vm->gray, vm->cgray * sizeof(hvm_obj_t*), ncap * sizeof(hvm_obj_t*),
                               _hvm_site_static(HVM_SITE_GC));
    if (!p) {
      mk->overflow = 1;
      return;
    }
    vm->gray = p;
    vm->cgray = ncap;
  }
  vm->gray[vm->ngray++] = o;
}

static inline void hvm_mark_obj(hvm_marker_t* mk, hvm_obj_t* o) {
  if (o->mark) return;
  o->mark = 1;
  if (o->type == HVM_ARR || o->type == HVM_MAP) hvm_gray_push(mk, o);
}

static inline void hvm_mark_value(hvm_marker_t* mk, hvm_value_t v) {
  if (hvm_is_obj(v.t)) hvm_mark_obj(mk, v.u.o);
}

static void hvm_mark_children(hvm_marker_t* mk, hvm_obj_t* o) {
  if (o->type == HVM_ARR) {
    hvm_arr_t* a = (hvm_arr_t*)o;
    for (uint32_t i = 0; i < a->len; i++) hvm_mark_value(mk, a->items[i]);
  } else if (o->type == HVM_MAP) {
    hvm_map_t* m = (hvm_map_t*)o;
    for (uint32_t i = 0; i < m->nent; i++) {
      hvm_entry_t* e = &m->ent[i];
      if (e->kt == HVM_DEAD) continue;
      if (e->kt == HVM_STR) hvm_mark_obj(mk, (hvm_obj_t*)(uintptr_t)e->kb);
      if (hvm_is_obj(e->vt)) hvm_mark_obj(mk, (hvm_obj_t*)(uintptr_t)e->vb);
    }
  }
}

static void hvm_mark_drain(hvm_marker_t* mk) {
  hvm_t* vm = mk->vm;
  while (vm->ngray) hvm_mark_children(mk, vm->gray[--vm->ngray]);
}

static void hvm_mark(hvm_t* vm) {
  hvm_marker_t mk = {vm, 0};
  uint32_t top = 0;
  if (vm->depth) {
    const hvm_frame_t* fr = &vm->frames[vm->depth - 1];
    top = fr->base + fr->fn->nregs;
  }
  for (uint32_t i = 0; i < top; i++) hvm_mark_value(&mk, vm->stack[i]);
  hvm_mark_drain(&mk);
  while (mk.overflow) {  // out of memory for the gray stack: rescan
    mk.overflow = 0;
    for (hvm_obj_t* o = vm->objs; o; o = o->next) {
      if (o->mark) hvm_mark_children(&mk, o);
      hvm_mark_drain(&mk);
    }
  }
}

static void hvm_sweep(hvm_t* vm) {
  hvm_obj_t** link = &vm->objs;
  hvm_obj_t* o;
  size_t freed = 0, bytes = 0;
  while ((o = *link)) {
    if (o->mark) {
      o->mark = 0;
      link = &o->next;
      continue;
    }
    *link = o->next;
    bytes += _hvm_obj_bytes(o);
    _hvm_obj_free(vm->alc, o);
    freed++;
  }
  vm->bytes -= bytes;
  vm->freed += freed;
}

void _hvm_gc_collect(hvm_t* vm) {
  hvm_mark(vm);
  hvm_sweep(vm);
  vm->collections++;
  if (vm->stress) {
    vm->debt = 0;
    return;
  }
  size_t allow = vm->bytes / 100 * HVM_GC_PAUSE;
  if (allow < HVM_GC_MIN) allow = HVM_GC_MIN;
  vm->debt = -(int64_t)allow;
}

void _hvm_gc_free_all(hvm_t* vm) {
  hvm_obj_t* o;
  while ((o = vm->objs)) {
    vm->objs = o->next;
    vm->bytes -= _hvm_obj_bytes(o);
    _hvm_obj_free(vm->alc, o);
  }
  while ((o = vm->fixed)) {
    vm->fixed = o->next;
    vm->alc->free(vm->alc->ctx, o, _hvm_obj_size(o), o->site);
  }
  if (vm->gray) vm->alc->free(vm->alc->ctx, vm->gray, vm->cgray * sizeof(hvm_obj_t*), _hvm_site_static(HVM_SITE_GC));
  vm->gray = NULL;
  vm->ngray = vm->cgray = 0;
}
