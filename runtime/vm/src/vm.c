/* vm.c: the interpreter: VM creation, calls and the dispatch loop.

   Dispatch: one body for both builds. vmfetch/vmdispatch/vmcase/vmbreak
   expand to computed gotos through a table generated from HBC_OPS (GCC and
   Clang), or to a plain switch (HVM_DISPATCH_SWITCH, on under HAK_TESTS). A
   missing opcode label is a compile error in the goto build.

   Frames: all registers of all frames live in one value stack; a call's
   frame starts right after the caller's registers, its arguments are copied
   there and its other registers set to nil (the collector scans every slot
   below the running frame's top, so no stale pointer may sit there). The
   stack moves only when a call grows it; frames keep offsets, never pointers.

   Safe points: the collector runs only after instructions that allocate
   (checkgc), with every live value in a register. Before anything that can
   raise, the running frame's pc is saved (savepc), so errors know the line.

   Hot paths (int and float arithmetic, compare-and-branch, array indexing,
   script calls) are inline in the loop; everything else is a call to a
   slow-path function below or in another file.

   Sites: an allocating instruction's site is cached per instruction
   (hvm_site_at). While hakmem's profile is on, sites name the call stack
   (prof.c): the site caches stay 0, so every allocation takes the slow path,
   and vm->flimit is 0, so every push takes hvm_push_slow, which gives the
   new frame its context. With the profile off both paths are as before. */
#include <math.h>

#include "hvm_internal.h"

// ----- Sites of allocating instructions -----
const char* _hvm_op_what(const hvm_fn_t* fn, const hbc_ins_t* ins) {
  switch (HBC_GET_OP(*ins)) {
    case HBC_OP_NEWARR: case HBC_OP_APPEND: return "array";
    case HBC_OP_NEWMAP: return "map";
    case HBC_OP_ADD: case HBC_OP_ADDK: return "concat";
    case HBC_OP_SETINDEX: case HBC_OP_SETINDEXI: case HBC_OP_SETFIELD: return "set";
    case HBC_OP_CALLB: {
      uint32_t id = ins[1];
      return id < HBC_BI_COUNT ? _hvm_builtins[id].name : "builtin";
    }
    case HBC_OP_CALLX: return "extern";
    case HBC_OP_CALL: return "call";
    default: return "value";
  }
}

HVM_NOINLINE hak_site_t _hvm_site_slow(hvm_t* vm, const hvm_fn_t* fn, const hbc_ins_t* ins) {
  if (vm->prof) return _hvm_prof_site(vm, fn, ins);
  char name[300];
  uint32_t at = (uint32_t)(ins - fn->code);
  snprintf(name, sizeof name, "%s:%u %s", vm->prog->m->file, fn->f->lines[at], _hvm_op_what(fn, ins));
  hak_site_t s = hak_site_register(HAK_SUBSYS("vm"), name);
  if (s == 0) s = HAK_SITE_ANON(HAK_SUBSYS("vm"));
  atomic_store_explicit(&fn->sites[at], s, memory_order_relaxed);
  return s;
}

// ----- VM creation -----
typedef struct hvm_kdedup_s {
  hvm_str_t** slot;  // open addressing on content
  size_t cap;
} hvm_kdedup_t;

static hvm_str_t* hvm_const_str(hvm_t* vm, hvm_kdedup_t* dd, const hbc_const_t* k) {
  uint32_t h = _hvm_hash_bytes(k->u.s, k->len);
  size_t j = h & (dd->cap - 1);
  for (hvm_str_t* s; (s = dd->slot[j]); j = (j + 1) & (dd->cap - 1)) {
    if (s->hash == h && s->len == k->len && !memcmp(s->s, k->u.s, k->len)) return s;
  }
  hak_site_t site = _hvm_site_static(HVM_SITE_CONST);
  hvm_str_t* s = vm->alc->alloc(vm->alc->ctx, sizeof(hvm_str_t) + k->len + 1, site);
  if (!s) return NULL;
  s->h.next = vm->fixed;
  s->h.type = HVM_STR;
  s->h.mark = 1;
  s->h.extra = 0;
  s->h.site = site;
  s->hash = h;
  s->len = k->len;
  memcpy(s->s, k->u.s, k->len);
  s->s[k->len] = 0;
  vm->fixed = &s->h;
  dd->slot[j] = s;
  return s;
}

static int hvm_load_consts(hvm_t* vm, hvm_fn_t* fn, hvm_kdedup_t* dd) {
  const hbc_func_t* f = fn->f;
  if (!f->nconsts) return 0;
  fn->k = vm->alc->alloc(vm->alc->ctx, f->nconsts * sizeof(hvm_value_t), _hvm_site_static(HVM_SITE_CONST));
  if (!fn->k) return -1;
  for (uint32_t i = 0; i < f->nconsts; i++) {
    const hbc_const_t* k = &f->consts[i];
    hvm_value_t v = hvm_nil();
    switch (k->kind) {
      case HBC_K_NIL: break;
      case HBC_K_TRUE: v = hvm_bool(1); break;
      case HBC_K_FALSE: v = hvm_bool(0); break;
      case HBC_K_INT: v = hvm_int(k->u.i); break;
      case HBC_K_FLOAT: v = hvm_float(k->u.f); break;
      case HBC_K_STR: {
        hvm_str_t* s = hvm_const_str(vm, dd, k);
        if (!s) return -1;
        v = hvm_obj(s, HVM_STR);
        break;
      }
    }
    fn->k[i] = v;
  }
  return 0;
}

static int hvm_load_fns(hvm_t* vm) {
  const hbc_module_t* m = vm->prog->m;
  size_t nk = 0;
  for (uint32_t i = 0; i < m->nfuncs; i++) nk += m->funcs[i]->nconsts;
  hvm_kdedup_t dd = {NULL, 16};
  while (dd.cap < nk * 2) dd.cap *= 2;
  dd.slot = vm->alc->alloc(vm->alc->ctx, dd.cap * sizeof(hvm_str_t*), _hvm_site_static(HVM_SITE_SCRATCH));
  if (!dd.slot) return -1;
  memset(dd.slot, 0, dd.cap * sizeof(hvm_str_t*));
  int rc = 0;
  for (uint32_t i = 0; i < m->nfuncs && rc == 0; i++) {
    hvm_fn_t* fn = &vm->fns[i];
    fn->f = m->funcs[i];
    fn->code = fn->f->code;
    fn->sites = vm->prog->sites[i];
    fn->nregs = fn->f->nregs ? fn->f->nregs : 1;
    fn->arity = fn->f->arity;
    fn->ic = vm->alc->alloc(vm->alc->ctx, fn->f->ncode * sizeof(uint32_t), _hvm_site_static(HVM_SITE_PROGRAM));
    if (!fn->ic) rc = -1;
    else memset(fn->ic, 0, fn->f->ncode * sizeof(uint32_t));
    if (rc == 0) rc = hvm_load_consts(vm, fn, &dd);
  }
  vm->alc->free(vm->alc->ctx, dd.slot, dd.cap * sizeof(hvm_str_t*), _hvm_site_static(HVM_SITE_SCRATCH));
  return rc;
}

hvm_t* _hvm_vm_new(hvm_program_t* p) {
  const hak_alc_t* alc = p->alc;
  hvm_t* vm = alc->alloc(alc->ctx, sizeof *vm, _hvm_site_static(HVM_SITE_PROGRAM));
  if (!vm) return NULL;
  memset(vm, 0, sizeof *vm);
  vm->prog = p;
  vm->alc = alc;
  vm->max_depth = p->opt.max_depth ? p->opt.max_depth : HVM_MAX_DEPTH_DEFAULT;
  vm->max_stack = p->opt.max_stack ? p->opt.max_stack : HVM_MAX_STACK_DEFAULT;
  vm->stress = p->opt.gc_stress;
  vm->debt = vm->stress ? 0 : -(int64_t)HVM_GC_MIN;
  vm->site = HAK_SITE_ANON(HAK_SUBSYS("vm"));
  vm->nfns = p->m->nfuncs;
  vm->fns = alc->alloc(alc->ctx, vm->nfns * sizeof(hvm_fn_t), _hvm_site_static(HVM_SITE_PROGRAM));
  vm->nstack = 256;
  vm->stack = alc->alloc(alc->ctx, vm->nstack * sizeof(hvm_value_t), _hvm_site_static(HVM_SITE_STACK));
  vm->nframes = 32;
  vm->frames = alc->alloc(alc->ctx, vm->nframes * sizeof(hvm_frame_t), _hvm_site_static(HVM_SITE_FRAME));
  if (vm->fns) memset(vm->fns, 0, vm->nfns * sizeof(hvm_fn_t));
  if (!vm->fns || !vm->stack || !vm->frames || hvm_load_fns(vm) || (hak_profile_enabled() && _hvm_prof_init(vm))) {
    _hvm_vm_free(vm);
    return NULL;
  }
  vm->flimit = vm->prof ? 0 : vm->nframes;
  return vm;
}

void _hvm_vm_free(hvm_t* vm) {
  if (!vm) return;
  const hak_alc_t* alc = vm->alc;
  _hvm_gc_free_all(vm);
  if (vm->pending) _hvm_packet_free(alc, vm->pending);
  _hvm_json_cleanup(vm);
  _hvm_prof_free(vm);
  if (vm->fns) {
    for (uint32_t i = 0; i < vm->nfns; i++) {
      if (vm->fns[i].k)
        alc->free(alc->ctx, vm->fns[i].k, vm->fns[i].f->nconsts * sizeof(hvm_value_t), _hvm_site_static(HVM_SITE_CONST));
      if (vm->fns[i].ic)
        alc->free(alc->ctx, vm->fns[i].ic, vm->fns[i].f->ncode * sizeof(uint32_t), _hvm_site_static(HVM_SITE_PROGRAM));
    }
    alc->free(alc->ctx, vm->fns, vm->nfns * sizeof(hvm_fn_t), _hvm_site_static(HVM_SITE_PROGRAM));
  }
  if (vm->stack) alc->free(alc->ctx, vm->stack, vm->nstack * sizeof(hvm_value_t), _hvm_site_static(HVM_SITE_STACK));
  if (vm->frames) alc->free(alc->ctx, vm->frames, vm->nframes * sizeof(hvm_frame_t), _hvm_site_static(HVM_SITE_FRAME));
  hak_site_t scratch = _hvm_site_static(HVM_SITE_SCRATCH);
  if (vm->buf) alc->free(alc->ctx, vm->buf, vm->bcap, scratch);
  if (vm->trace) alc->free(alc->ctx, vm->trace, vm->tracecap, scratch);
  if (vm->vis) alc->free(alc->ctx, vm->vis, vm->cvis * 2 * sizeof(void*), _hvm_site_static(HVM_SITE_COPY));
  if (vm->work) alc->free(alc->ctx, vm->work, vm->cwork * sizeof(void*), _hvm_site_static(HVM_SITE_COPY));
  alc->free(alc->ctx, vm, sizeof *vm, _hvm_site_static(HVM_SITE_PROGRAM));
}

// ----- Stack and frames -----
HVM_NOINLINE static void hvm_stack_grow(hvm_t* vm, size_t need) {
  if (need > vm->max_stack) _hvm_raise(vm, "stack overflow (more than %u value slots in use)", vm->max_stack);
  size_t ncap = vm->nstack;
  while (ncap < need) ncap *= 2;
  if (ncap > vm->max_stack) ncap = vm->max_stack;
  hvm_value_t* s = vm->alc->realloc(vm->alc->ctx, vm->stack, vm->nstack * sizeof(hvm_value_t),
                                    ncap * sizeof(hvm_value_t), _hvm_site_static(HVM_SITE_STACK));
  if (!s) _hvm_raise_oom(vm);
  vm->stack = s;
  vm->nstack = (uint32_t)ncap;
}

HVM_NOINLINE static void hvm_frames_grow(hvm_t* vm) {
  if (vm->depth >= vm->max_depth)
    _hvm_raise(vm, "stack overflow (more than %u nested calls)", vm->max_depth);
  size_t ncap = (size_t)vm->nframes * 2;
  if (ncap > vm->max_depth) ncap = vm->max_depth;
  hvm_frame_t* f = vm->alc->realloc(vm->alc->ctx, vm->frames, vm->nframes * sizeof(hvm_frame_t),
                                    ncap * sizeof(hvm_frame_t), _hvm_site_static(HVM_SITE_FRAME));
  if (!f) _hvm_raise_oom(vm);
  vm->frames = f;
  vm->nframes = (uint32_t)ncap;
  vm->flimit = vm->prof ? 0 : vm->nframes;
}

// A push found the frames full, or profiling is on (flimit 0): every push
// then names the new frame's context.
HVM_NOINLINE static void hvm_push_slow(hvm_t* vm, const hvm_fn_t* fn) {
  if (vm->depth == vm->nframes) hvm_frames_grow(vm);
  if (vm->prof) _hvm_prof_push(vm, fn);
}

HVM_NOINLINE HVM_NORETURN static void hvm_raise_arity(hvm_t* vm, const hvm_fn_t* fn, uint32_t n) {
  _hvm_raise(vm, "%s expects %u argument%s, got %u", fn->f->name, fn->arity, fn->arity == 1 ? "" : "s", n);
}

// Pushes a frame for fn with args (nargs of them, anywhere in the stack);
// the result goes to stack slot ret. Returns the new frame.
static inline hvm_frame_t* hvm_push(hvm_t* vm, const hvm_fn_t* fn, uint32_t args, uint32_t nargs, uint32_t ret,
                                    uint32_t nbase) {
  if hvm_unlikely(nargs != fn->arity) hvm_raise_arity(vm, fn, nargs);
  if hvm_unlikely(vm->depth >= vm->flimit) hvm_push_slow(vm, fn);
  if hvm_unlikely((size_t)nbase + fn->nregs > vm->nstack) hvm_stack_grow(vm, (size_t)nbase + fn->nregs);
  hvm_value_t* s = vm->stack;
  for (uint32_t j = 0; j < nargs; j++) hvm_copy(&s[nbase + j], &s[args + j]);
  for (uint32_t j = nargs; j < fn->nregs; j++) s[nbase + j].t = HVM_NIL;
  hvm_frame_t* fr = &vm->frames[vm->depth++];
  fr->fn = fn;
  fr->pc = fn->code;
  fr->base = nbase;
  fr->ret = ret;
  return fr;
}

// ----- Slow paths of the loop -----
HVM_NOINLINE static void hvm_arith(hvm_t* vm, const hvm_fn_t* fn, const hbc_ins_t* ins, hbc_op_t op, hvm_value_t a,
                                   hvm_value_t b, hvm_value_t* out) {
  static const char* const sym[] = {"+", "-", "*", "/", "%"};
  int o = op == HBC_OP_ADD ? 0 : op == HBC_OP_SUB ? 1 : op == HBC_OP_MUL ? 2 : op == HBC_OP_DIV ? 3 : 4;
  if (a.t == HVM_INT && b.t == HVM_INT) {
    int64_t x = a.u.i, y = b.u.i;
    if (o == 3 || o == 4) {
      if (y == 0) _hvm_raise(vm, o == 3 ? "division by zero" : "modulo by zero");
      if (y == -1) *out = hvm_int(o == 3 ? (int64_t)(0 - (uint64_t)x) : 0);
      else *out = hvm_int(o == 3 ? x / y : x % y);
      return;
    }
    uint64_t r = o == 0 ? (uint64_t)x + (uint64_t)y : o == 1 ? (uint64_t)x - (uint64_t)y : (uint64_t)x * (uint64_t)y;
    *out = hvm_int((int64_t)r);
    return;
  }
  if ((a.t == HVM_INT || a.t == HVM_FLOAT) && (b.t == HVM_INT || b.t == HVM_FLOAT)) {
    double x = a.t == HVM_INT ? (double)a.u.i : a.u.f, y = b.t == HVM_INT ? (double)b.u.i : b.u.f;
    double r = o == 0 ? x + y : o == 1 ? x - y : o == 2 ? x * y : o == 3 ? x / y : fmod(x, y);
    *out = hvm_float(r);
    return;
  }
  if (o == 0 && a.t == HVM_STR && b.t == HVM_STR) {
    vm->site = hvm_site_at(vm, fn, ins);
    *out = hvm_obj(_hvm_str_concat(vm, HVM_STR(a), HVM_STR(b)), HVM_STR);
    return;
  }
  if (o == 0 && (a.t == HVM_STR || b.t == HVM_STR))
    _hvm_raise(vm, "cannot apply + to %s and %s (use str() to convert)", _hvm_type_name(a), _hvm_type_name(b));
  _hvm_raise_type(vm, sym[o], a, b);
}

HVM_NOINLINE static void hvm_unm(hvm_t* vm, hvm_value_t a, hvm_value_t* out) {
  if (a.t == HVM_INT) *out = hvm_int((int64_t)(0 - (uint64_t)a.u.i));
  else if (a.t == HVM_FLOAT) *out = hvm_float(-a.u.f);
  else _hvm_raise(vm, "cannot negate %s", _hvm_type_name(a));
}

HVM_NOINLINE HVM_NORETURN static void hvm_raise_index(hvm_t* vm, const char* what, int64_t i, uint32_t len) {
  _hvm_raise(vm, "%s index %lld out of range (length %u)", what, (long long)i, len);
}

// R[out] = obj[key] for every case the loop does not handle inline.
HVM_NOINLINE static void hvm_index_get(hvm_t* vm, hvm_value_t obj, hvm_value_t key, hvm_value_t* out) {
  switch (obj.t) {
    case HVM_ARR: {
      hvm_arr_t* a = HVM_ARR(obj);
      if (key.t != HVM_INT) _hvm_raise(vm, "array index must be an int, not %s", _hvm_type_name(key));
      if ((uint64_t)key.u.i >= a->len) hvm_raise_index(vm, "array", key.u.i, a->len);
      *out = a->items[key.u.i];
      return;
    }
    case HVM_MAP: *out = _hvm_map_get(vm, HVM_MAP(obj), key); return;
    case HVM_STR: {
      hvm_str_t* s = HVM_STR(obj);
      if (key.t != HVM_INT) _hvm_raise(vm, "string index must be an int, not %s", _hvm_type_name(key));
      if ((uint64_t)key.u.i >= s->len) hvm_raise_index(vm, "string", key.u.i, s->len);
      *out = hvm_obj(_hvm_str_char(vm, (unsigned char)s->s[key.u.i]), HVM_STR);
      return;
    }
    default: _hvm_raise(vm, "cannot index %s", _hvm_type_name(obj));
  }
}

HVM_NOINLINE static void hvm_index_set(hvm_t* vm, hvm_value_t obj, hvm_value_t key, hvm_value_t val) {
  switch (obj.t) {
    case HVM_ARR: {
      hvm_arr_t* a = HVM_ARR(obj);
      if (key.t != HVM_INT) _hvm_raise(vm, "array index must be an int, not %s", _hvm_type_name(key));
      if ((uint64_t)key.u.i >= a->len) hvm_raise_index(vm, "array", key.u.i, a->len);
      a->items[key.u.i] = val;
      return;
    }
    case HVM_MAP: _hvm_map_set(vm, HVM_MAP(obj), key, val); return;
    case HVM_STR: _hvm_raise(vm, "cannot assign to an index of a string (strings are immutable)");
    default: _hvm_raise(vm, "cannot index %s", _hvm_type_name(obj));
  }
}

// m.k = v when the inline cache missed; refreshes the cache.
HVM_NOINLINE static void hvm_setfield(hvm_t* vm, hvm_value_t obj, hvm_value_t key, hvm_value_t val, uint32_t* ic) {
  hvm_index_set(vm, obj, key, val);
  if (obj.t == HVM_MAP && key.t == HVM_STR) {
    hvm_map_t* m = HVM_MAP(obj);
    const hvm_entry_t* e = hvm_map_find(m, key, HVM_STR(key)->hash);
    if (e) *ic = (uint32_t)(e - m->ent);
  }
}

// A map's entry for the int or string key k, or NULL.
static inline hvm_entry_t* hvm_map_lookup(const hvm_map_t* m, hvm_value_t k, uint32_t* hash) {
  *hash = k.t == HVM_INT ? hvm_hash_int(k.u.i) : hvm_str_hash(HVM_STR(k));
  return hvm_map_find(m, k, *hash);
}

HVM_NOINLINE static int hvm_range_prep(hvm_t* vm, hvm_value_t* ra) {
  if (ra[0].t != HVM_INT || ra[1].t != HVM_INT || ra[2].t != HVM_INT) {
    const hvm_value_t* bad = ra[0].t != HVM_INT ? &ra[0] : ra[1].t != HVM_INT ? &ra[1] : &ra[2];
    _hvm_raise(vm, "range() arguments must be ints, not %s", _hvm_type_name(*bad));
  }
  int64_t start = ra[0].u.i, limit = ra[1].u.i, step = ra[2].u.i;
  uint64_t count;
  if (step == 0) _hvm_raise(vm, "range() step must not be 0");
  if (step > 0) {
    if (start >= limit) return 0;
    count = ((uint64_t)limit - (uint64_t)start - 1) / (uint64_t)step;
  } else {
    if (start <= limit) return 0;
    count = ((uint64_t)start - (uint64_t)limit - 1) / (0 - (uint64_t)step);
  }
  ra[1].u.i = (int64_t)count;  // iterations left after this one
  ra[3] = hvm_int(start);
  return 1;
}

HVM_NOINLINE static void hvm_iter_prep(hvm_t* vm, hvm_value_t* ra) {
  if (ra[0].t != HVM_ARR && ra[0].t != HVM_MAP) _hvm_raise(vm, "cannot iterate over %s", _hvm_type_name(ra[0]));
  ra[1] = hvm_int(0);
}

HVM_NOINLINE static void hvm_new_map(hvm_t* vm, hvm_value_t* ra, const hvm_value_t* rb, uint32_t n) {
  hvm_map_t* m = _hvm_map_new(vm, n);
  for (uint32_t j = 0; j < n; j++) _hvm_map_set(vm, m, rb[2 * j], rb[2 * j + 1]);
  *ra = hvm_obj(m, HVM_MAP);  // last: ra may be one of the operands
}

HVM_NOINLINE static void hvm_append(hvm_t* vm, hvm_value_t a, hvm_value_t v) {
  if (a.t != HVM_ARR) _hvm_raise(vm, "cannot append to %s", _hvm_type_name(a));
  _hvm_arr_push(vm, HVM_ARR(a), v);
}

HVM_NOINLINE HVM_NORETURN static void hvm_raise_call(hvm_t* vm, hvm_value_t f) {
  _hvm_raise(vm, "cannot call a value of type %s", _hvm_type_name(f));
}

static inline int hvm_eqk(hvm_value_t a, hvm_value_t b) {
  if (a.t == b.t && a.t != HVM_FLOAT && a.t != HVM_STR && a.t != HVM_CHAN && a.t != HVM_THREAD) return a.u.i == b.u.i;
  return _hvm_equal(a, b);
}

HVM_NOINLINE static int hvm_cmpi(hvm_t* vm, hvm_value_t a, int imm, int op) {  // op: 0 <, 1 <=, 2 >, 3 >=
  if (a.t == HVM_FLOAT) {
    double x = a.u.f;
    return op == 0 ? x < imm : op == 1 ? x <= imm : op == 2 ? x > imm : x >= imm;
  }
  _hvm_raise(vm, "cannot compare %s and int", _hvm_type_name(a));
}

// ----- The loop -----
#if HVM_DISPATCH_SWITCH
#define vmdispatch(o) switch (o)
#define vmcase(name) case HBC_OP_##name:
#define vmbreak break
#define vmdefault default:
#else
#define vmdispatch(o) goto* hvm_jumptable[o];
#define vmcase(name) L_##name:
#define vmbreak \
  vmfetch();    \
  goto* hvm_jumptable[HBC_GET_OP(i)]
#define vmdefault
#endif

#define vmfetch() (i = *pc++)
#define RA (base + HBC_GET_A(i))
#define RB (base + HBC_GET_B(i))
#define RC (base + HBC_GET_C(i))
#define KB (k + HBC_GET_B(i))
#define KC (k + HBC_GET_C(i))
#define savepc() (fr->pc = pc)
#define SITE() (vm->site = hvm_site_at(vm, fn, pc - 1))
#define checkgc()                                 \
  do {                                            \
    if hvm_unlikely(vm->debt > 0) {               \
      savepc();                                   \
      _hvm_gc_collect(vm);                        \
    }                                             \
  } while (0)
#define JUMPW() (pc += (int32_t)*pc)
#define SKIPW() (pc++)
#define CONDJUMP(c)                                    \
  do {                                                 \
    if ((c) == (int)HBC_GET_C(i)) JUMPW(); else SKIPW(); \
  } while (0)
// Loads the state of frame fr into the loop's locals.
#define LOADFRAME()                   \
  do {                                \
    fn = fr->fn;                      \
    pc = fr->pc;                      \
    k = fn->k;                        \
    base = vm->stack + fr->base;      \
  } while (0)

#define ARITH_BODY(opname, iop, fop, vb, vc)                                       \
  do {                                                                             \
    hvm_value_t* ra_ = RA;                                                         \
    const hvm_value_t* b_ = (vb);                                                  \
    const hvm_value_t* c_ = (vc);                                                  \
    if hvm_likely(b_->t == HVM_INT && c_->t == HVM_INT) {                          \
      ra_->u.i = (int64_t)((uint64_t)b_->u.i iop (uint64_t)c_->u.i);               \
      ra_->t = HVM_INT;                                                            \
    } else if (b_->t == HVM_FLOAT && c_->t == HVM_FLOAT) {                         \
      ra_->u.f = b_->u.f fop c_->u.f;                                              \
      ra_->t = HVM_FLOAT;                                                          \
    } else {                                                                       \
      savepc();                                                                    \
      hvm_arith(vm, fn, pc - 1, HBC_OP_##opname, *b_, *c_, ra_);                   \
      checkgc();                                                                   \
    }                                                                              \
  } while (0)

#define DIVMOD_BODY(opname, vb, vc)                                                          \
  do {                                                                                       \
    hvm_value_t* ra_ = RA;                                                                   \
    const hvm_value_t* b_ = (vb);                                                            \
    const hvm_value_t* c_ = (vc);                                                            \
    if (b_->t == HVM_INT && c_->t == HVM_INT && (uint64_t)c_->u.i + 1 > 1) { /* not 0, -1 */ \
      ra_->u.i = HBC_OP_##opname == HBC_OP_DIV ? b_->u.i / c_->u.i : b_->u.i % c_->u.i;    \
      ra_->t = HVM_INT;                                                                      \
    } else if (HBC_OP_##opname == HBC_OP_DIV && b_->t == HVM_FLOAT && c_->t == HVM_FLOAT) { \
      ra_->u.f = b_->u.f / c_->u.f;                                                          \
      ra_->t = HVM_FLOAT;                                                                    \
    } else {                                                                                 \
      savepc();                                                                              \
      hvm_arith(vm, fn, pc - 1, HBC_OP_##opname, *b_, *c_, ra_);                             \
    }                                                                                        \
  } while (0)

// Compare R[A] with the immediate sB and branch on k.
#define CMPI_BODY(cop, opno)                                 \
  do {                                                       \
    const hvm_value_t* ra_ = RA;                             \
    int imm_ = HBC_GET_SB(i), c_;                            \
    if hvm_likely(ra_->t == HVM_INT) c_ = ra_->u.i cop imm_; \
    else {                                                   \
      savepc();                                              \
      c_ = hvm_cmpi(vm, *ra_, imm_, opno);                   \
    }                                                        \
    CONDJUMP(c_);                                            \
  } while (0)

// Runs until the frame at depth stop returns (its result is in its ret slot).
static void hvm_execute(hvm_t* vm, uint32_t stop) {
#if !HVM_DISPATCH_SWITCH
  static const void* const hvm_jumptable[HBC_OP_COUNT] = {
#define HVM_JT_(name, fmt, doc) &&L_##name,
      HBC_OPS(HVM_JT_)
#undef HVM_JT_
  };
#endif
  hvm_frame_t* fr = &vm->frames[vm->depth - 1];
  const hvm_fn_t* fn;
  const hbc_ins_t* pc;
  const hvm_value_t* k;
  hvm_value_t* base;
  hbc_ins_t i;
  LOADFRAME();
  for (;;) {
    vmfetch();
    vmdispatch(HBC_GET_OP(i)) {
      vmcase(NOP) { vmbreak; }
      vmcase(MOVE) {
        hvm_copy(RA, RB);
        vmbreak;
      }
      vmcase(LOADNIL) {
        RA->t = HVM_NIL;
        RA->u.i = 0;
        vmbreak;
      }
      vmcase(LOADTRUE) {
        *RA = hvm_bool(1);
        vmbreak;
      }
      vmcase(LOADFALSE) {
        *RA = hvm_bool(0);
        vmbreak;
      }
      vmcase(LOADI) {
        *RA = hvm_int(HBC_GET_SBX(i));
        vmbreak;
      }
      vmcase(LOADF) {
        *RA = hvm_float((double)HBC_GET_SBX(i));
        vmbreak;
      }
      vmcase(LOADK) {
        *RA = k[HBC_GET_BX(i)];
        vmbreak;
      }
      vmcase(LOADFN) {
        *RA = hvm_fnval(HVM_FN_SCRIPT, HBC_GET_BX(i));
        vmbreak;
      }
      vmcase(LOADBI) {
        *RA = hvm_fnval(HVM_FN_BUILTIN, HBC_GET_BX(i));
        vmbreak;
      }
      vmcase(LOADEXT) {
        *RA = hvm_fnval(HVM_FN_EXTERN, HBC_GET_BX(i));
        vmbreak;
      }
      vmcase(ADD) {
        ARITH_BODY(ADD, +, +, RB, RC);
        vmbreak;
      }
      vmcase(SUB) {
        ARITH_BODY(SUB, -, -, RB, RC);
        vmbreak;
      }
      vmcase(MUL) {
        ARITH_BODY(MUL, *, *, RB, RC);
        vmbreak;
      }
      vmcase(DIV) {
        DIVMOD_BODY(DIV, RB, RC);
        vmbreak;
      }
      vmcase(MOD) {
        DIVMOD_BODY(MOD, RB, RC);
        vmbreak;
      }
      vmcase(ADDK) {
        ARITH_BODY(ADD, +, +, RB, KC);
        vmbreak;
      }
      vmcase(SUBK) {
        ARITH_BODY(SUB, -, -, RB, KC);
        vmbreak;
      }
      vmcase(MULK) {
        ARITH_BODY(MUL, *, *, RB, KC);
        vmbreak;
      }
      vmcase(DIVK) {
        DIVMOD_BODY(DIV, RB, KC);
        vmbreak;
      }
      vmcase(MODK) {
        DIVMOD_BODY(MOD, RB, KC);
        vmbreak;
      }
      vmcase(ADDI) {
        hvm_value_t* ra = RA;
        const hvm_value_t* rb = RB;
        int imm = HBC_GET_SC(i);
        if hvm_likely(rb->t == HVM_INT) {
          ra->u.i = (int64_t)((uint64_t)rb->u.i + (uint64_t)(int64_t)imm);
          ra->t = HVM_INT;
        } else if (rb->t == HVM_FLOAT) {
          ra->u.f = rb->u.f + imm;
          ra->t = HVM_FLOAT;
        } else {
          savepc();
          hvm_arith(vm, fn, pc - 1, HBC_OP_ADD, *rb, hvm_int(imm), ra);
        }
        vmbreak;
      }
      vmcase(UNM) {
        const hvm_value_t* rb = RB;
        if (rb->t == HVM_FLOAT) *RA = hvm_float(-rb->u.f);
        else {
          savepc();
          hvm_unm(vm, *rb, RA);
        }
        vmbreak;
      }
      vmcase(NOT) {
        *RA = hvm_bool(!hvm_truthy(*RB));
        vmbreak;
      }
      vmcase(EQ) {
        *RA = hvm_bool(hvm_eqk(*RB, *RC));
        vmbreak;
      }
      vmcase(NE) {
        *RA = hvm_bool(!hvm_eqk(*RB, *RC));
        vmbreak;
      }
      vmcase(LT) {
        const hvm_value_t *rb = RB, *rc = RC;
        int c;
        if hvm_likely(rb->t == HVM_INT && rc->t == HVM_INT) c = rb->u.i < rc->u.i;
        else {
          savepc();
          c = _hvm_less(vm, *rb, *rc, 0);
        }
        *RA = hvm_bool(c);
        vmbreak;
      }
      vmcase(LE) {
        const hvm_value_t *rb = RB, *rc = RC;
        int c;
        if hvm_likely(rb->t == HVM_INT && rc->t == HVM_INT) c = rb->u.i <= rc->u.i;
        else {
          savepc();
          c = _hvm_less(vm, *rb, *rc, 1);
        }
        *RA = hvm_bool(c);
        vmbreak;
      }
      vmcase(JMP) {
        pc += HBC_GET_SJ(i);
        vmbreak;
      }
      vmcase(JT) {
        if (hvm_truthy(*RA)) JUMPW();
        else SKIPW();
        vmbreak;
      }
      vmcase(JF) {
        if (!hvm_truthy(*RA)) JUMPW();
        else SKIPW();
        vmbreak;
      }
      vmcase(JEQ) {
        CONDJUMP(hvm_eqk(*RA, *RB));
        vmbreak;
      }
      vmcase(JLT) {
        const hvm_value_t *ra = RA, *rb = RB;
        int c;
        if hvm_likely(ra->t == HVM_INT && rb->t == HVM_INT) c = ra->u.i < rb->u.i;
        else if (ra->t == HVM_FLOAT && rb->t == HVM_FLOAT) c = ra->u.f < rb->u.f;
        else {
          savepc();
          c = _hvm_less(vm, *ra, *rb, 0);
        }
        CONDJUMP(c);
        vmbreak;
      }
      vmcase(JLE) {
        const hvm_value_t *ra = RA, *rb = RB;
        int c;
        if hvm_likely(ra->t == HVM_INT && rb->t == HVM_INT) c = ra->u.i <= rb->u.i;
        else if (ra->t == HVM_FLOAT && rb->t == HVM_FLOAT) c = ra->u.f <= rb->u.f;
        else {
          savepc();
          c = _hvm_less(vm, *ra, *rb, 1);
        }
        CONDJUMP(c);
        vmbreak;
      }
      vmcase(JEQK) {
        CONDJUMP(hvm_eqk(*RA, *KB));
        vmbreak;
      }
      vmcase(JEQI) {
        const hvm_value_t* ra = RA;
        int imm = HBC_GET_SB(i), c;
        if hvm_likely(ra->t == HVM_INT) c = ra->u.i == imm;
        else c = ra->t == HVM_FLOAT && ra->u.f == imm;
        CONDJUMP(c);
        vmbreak;
      }
      vmcase(JLTI) {
        CMPI_BODY(<, 0);
        vmbreak;
      }
      vmcase(JLEI) {
        CMPI_BODY(<=, 1);
        vmbreak;
      }
      vmcase(JGTI) {
        CMPI_BODY(>, 2);
        vmbreak;
      }
      vmcase(JGEI) {
        CMPI_BODY(>=, 3);
        vmbreak;
      }
      vmcase(NEWARR) {
        uint32_t n = HBC_GET_C(i);
        savepc();
        SITE();
        hvm_arr_t* a = _hvm_arr_new(vm, n);
        const hvm_value_t* rb = RB;
        for (uint32_t j = 0; j < n; j++) hvm_copy(&a->items[j], &rb[j]);
        a->len = n;
        *RA = hvm_obj(a, HVM_ARR);
        checkgc();
        vmbreak;
      }
      vmcase(NEWMAP) {
        savepc();
        SITE();
        hvm_new_map(vm, RA, RB, HBC_GET_C(i));
        checkgc();
        vmbreak;
      }
      vmcase(APPEND) {
        savepc();
        SITE();
        hvm_append(vm, *RA, *RB);
        checkgc();
        vmbreak;
      }
      vmcase(GETINDEX) {
        const hvm_value_t *rb = RB, *rc = RC;
        if hvm_likely(rb->t == HVM_ARR && rc->t == HVM_INT && (uint64_t)rc->u.i < HVM_ARR(*rb)->len) {
          hvm_copy(RA, &HVM_ARR(*rb)->items[rc->u.i]);
        } else if (rb->t == HVM_MAP && (rc->t == HVM_INT || rc->t == HVM_STR)) {
          uint32_t h;
          const hvm_entry_t* e = hvm_map_lookup(HVM_MAP(*rb), *rc, &h);
          *RA = e ? (hvm_value_t){.u.bits = e->vb, .t = e->vt} : hvm_nil();
        } else {
          savepc();
          hvm_index_get(vm, *rb, *rc, RA);
        }
        vmbreak;
      }
      vmcase(SETINDEX) {
        const hvm_value_t *ra = RA, *rb = RB;
        if hvm_likely(ra->t == HVM_ARR && rb->t == HVM_INT && (uint64_t)rb->u.i < HVM_ARR(*ra)->len) {
          hvm_copy(&HVM_ARR(*ra)->items[rb->u.i], RC);
        } else if (ra->t == HVM_MAP && (rb->t == HVM_INT || rb->t == HVM_STR)) {
          uint32_t h;
          hvm_map_t* m = HVM_MAP(*ra);
          hvm_entry_t* e = hvm_map_lookup(m, *rb, &h);
          const hvm_value_t* rc = RC;
          if (e) {
            e->vb = rc->u.bits;
            e->vt = (uint8_t)rc->t;
          } else {
            savepc();
            SITE();
            _hvm_map_insert(vm, m, *rb, h, *rc);
            checkgc();
          }
        } else {
          savepc();
          SITE();
          hvm_index_set(vm, *ra, *rb, *RC);
          checkgc();
        }
        vmbreak;
      }
      vmcase(GETINDEXI) {
        const hvm_value_t* rb = RB;
        uint32_t c = HBC_GET_C(i);
        if hvm_likely(rb->t == HVM_ARR && c < HVM_ARR(*rb)->len) {
          hvm_copy(RA, &HVM_ARR(*rb)->items[c]);
        } else {
          savepc();
          hvm_index_get(vm, *rb, hvm_int(c), RA);
        }
        vmbreak;
      }
      vmcase(SETINDEXI) {
        const hvm_value_t* ra = RA;
        uint32_t b = HBC_GET_B(i);
        if hvm_likely(ra->t == HVM_ARR && b < HVM_ARR(*ra)->len) {
          hvm_copy(&HVM_ARR(*ra)->items[b], RC);
        } else {
          savepc();
          SITE();
          hvm_index_set(vm, *ra, hvm_int(b), *RC);
          checkgc();
        }
        vmbreak;
      }
      vmcase(GETFIELD) {
        const hvm_value_t *rb = RB, *kc = KC;
        if hvm_likely(rb->t == HVM_MAP && kc->t == HVM_STR) {
          // inline cache: the entry number this instruction found last; the
          // key is a constant, interned per VM, so a hit is a pointer compare
          const hvm_map_t* m = HVM_MAP(*rb);
          uint32_t* ic = &fn->ic[pc - 1 - fn->code];
          const hvm_entry_t* e = &m->ent[*ic];
          if hvm_unlikely(*ic >= m->nent || e->kb != kc->u.bits || e->kt != HVM_STR) {
            e = hvm_map_find(m, *kc, HVM_STR(*kc)->hash);
            if (e) *ic = (uint32_t)(e - m->ent);
          }
          *RA = e ? (hvm_value_t){.u.bits = e->vb, .t = e->vt} : hvm_nil();
        } else {
          savepc();
          hvm_index_get(vm, *rb, *kc, RA);
        }
        vmbreak;
      }
      vmcase(SETFIELD) {
        const hvm_value_t *ra = RA, *kb = KB;
        uint32_t* ic = &fn->ic[pc - 1 - fn->code];
        hvm_entry_t* e;
        if hvm_likely(ra->t == HVM_MAP && *ic < HVM_MAP(*ra)->nent && (e = &HVM_MAP(*ra)->ent[*ic])->kb == kb->u.bits &&
                      e->kt == HVM_STR) {
          const hvm_value_t* rc = RC;
          e->vb = rc->u.bits;
          e->vt = (uint8_t)rc->t;
        } else {
          savepc();
          SITE();
          hvm_setfield(vm, *ra, *kb, *RC, ic);
          checkgc();
        }
        vmbreak;
      }
      vmcase(FORPREP) {
        savepc();
        if (hvm_range_prep(vm, RA)) SKIPW();
        else JUMPW();
        vmbreak;
      }
      vmcase(FORLOOP) {
        hvm_value_t* ra = RA;
        uint64_t n = (uint64_t)ra[1].u.i;
        if hvm_likely(n > 0) {
          ra[1].u.i = (int64_t)(n - 1);
          ra[0].u.i = (int64_t)((uint64_t)ra[0].u.i + (uint64_t)ra[2].u.i);
          ra[3].u.i = ra[0].u.i;
          ra[3].t = HVM_INT;
          JUMPW();
        } else {
          SKIPW();
        }
        vmbreak;
      }
      vmcase(ITERPREP) {
        savepc();
        hvm_iter_prep(vm, RA);
        JUMPW();
        vmbreak;
      }
      vmcase(ITERNEXT) {
        hvm_value_t* ra = RA;
        uint64_t cur = (uint64_t)ra[1].u.i;
        int more = 0;
        if (ra[0].t == HVM_ARR) {
          hvm_arr_t* a = HVM_ARR(ra[0]);
          if (cur < a->len) {
            hvm_copy(&ra[2], &a->items[cur]);
            more = 1;
          }
        } else {
          hvm_map_t* m = HVM_MAP(ra[0]);
          while (cur < m->nent && m->ent[cur].kt == HVM_DEAD) cur++;
          if (cur < m->nent) {
            ra[2] = (hvm_value_t){.u.bits = m->ent[cur].kb, .t = m->ent[cur].kt};
            more = 1;
          }
        }
        if (more) {
          ra[1].u.i = (int64_t)(cur + 1);
          JUMPW();
        } else {
          SKIPW();
        }
        vmbreak;
      }
      vmcase(CALL) {
        hvm_value_t* rb = RB;
        uint32_t nargs = HBC_GET_C(i);
        if hvm_unlikely(rb->t != HVM_FUNC) {
          savepc();
          hvm_raise_call(vm, *rb);
        }
        uint32_t kind = (uint32_t)((uint64_t)rb->u.i >> 32), idx = (uint32_t)rb->u.i;
        savepc();
        if (kind == HVM_FN_SCRIPT) {
          uint32_t bs = fr->base;
          fr = hvm_push(vm, &vm->fns[idx], bs + HBC_GET_B(i) + 1, nargs, bs + HBC_GET_A(i), bs + fn->nregs);
          LOADFRAME();
        } else {
          SITE();
          if (kind == HVM_FN_BUILTIN) _hvm_call_builtin(vm, idx, rb + 1, nargs, RA);
          else _hvm_ffi_call(vm, idx, rb + 1, nargs, RA);
          checkgc();
        }
        vmbreak;
      }
      vmcase(CALLF) {
        uint32_t bs = fr->base;
        const hvm_fn_t* nf = &vm->fns[*pc++];
        savepc();
        fr = hvm_push(vm, nf, bs + HBC_GET_B(i), HBC_GET_C(i), bs + HBC_GET_A(i), bs + fn->nregs);
        LOADFRAME();
        vmbreak;
      }
      vmcase(CALLB) {
        uint32_t id = *pc++;
        savepc();
        vm->site = hvm_site_at(vm, fn, pc - 2);
        _hvm_call_builtin(vm, id, RB, HBC_GET_C(i), RA);
        checkgc();
        vmbreak;
      }
      vmcase(CALLX) {
        uint32_t x = *pc++;
        savepc();
        vm->site = hvm_site_at(vm, fn, pc - 2);
        _hvm_ffi_call(vm, x, RB, HBC_GET_C(i), RA);
        checkgc();
        vmbreak;
      }
      vmcase(RET) {
        const hvm_value_t* ra = RA;
        uint32_t ret = fr->ret;
        vm->depth--;
        hvm_copy(&vm->stack[ret], ra);
        if hvm_unlikely(vm->depth == stop) return;
        fr--;
        LOADFRAME();
        vmbreak;
      }
      vmcase(RETNIL) {
        uint32_t ret = fr->ret;
        vm->depth--;
        vm->stack[ret] = hvm_nil();
        if hvm_unlikely(vm->depth == stop) return;
        fr--;
        LOADFRAME();
        vmbreak;
      }
      vmdefault {
        savepc();
        _hvm_raise(vm, "bad opcode %u", (unsigned)HBC_GET_OP(i));
      }
    }
  }
}

// ----- Entry -----
void _hvm_call_main(hvm_t* vm, uint32_t fi, const hvm_value_t* args, uint32_t nargs, hvm_value_t* out) {
  const hvm_fn_t* fn = &vm->fns[fi];
  vm->depth = 0;
  if (nargs != fn->arity) hvm_raise_arity(vm, fn, nargs);
  if ((size_t)1 + nargs + fn->nregs > vm->nstack) hvm_stack_grow(vm, (size_t)1 + nargs + fn->nregs);
  // slot 0 receives the result; the arguments wait in the slots the frame will occupy
  vm->stack[0] = hvm_nil();
  for (uint32_t j = 0; j < nargs; j++) vm->stack[1 + j] = args[j];
  hvm_push(vm, fn, 1, nargs, 0, 1);
  hvm_execute(vm, 0);
  *out = vm->stack[0];
}

int _hvm_run_protected(hvm_t* vm, uint32_t fi, const hvm_value_t* args, uint32_t nargs, hvm_value_t* out,
                       hvm_result_t* res) {
  jmp_buf jb;
  vm->jb = &jb;
  vm->res = res;
  res->status = 0;
  res->exited = 0;
  res->message[0] = 0;
  int r = setjmp(jb);
  if (r == 0) {
    _hvm_call_main(vm, fi, args, nargs, out);
  } else {
    vm->depth = 0;
    *out = hvm_nil();
  }
  vm->jb = NULL;
  return r;
}
