/* prof.c: stack sites. When hakmem's profile is on as a VM is created, the
   VM names each allocation after the script's call stack instead of the
   allocating line alone:

     <main> (t.hk:20);make (t.hk:4);make (t.hk:4);array

   root first, `;`-separated as in folded stacks, one `FUNCTION (FILE:LINE)`
   per frame (the line running in that frame: the call for callers, the
   allocating instruction for the leaf), then what the instruction makes.

   Contexts: every frame carries a context id, a node of a trie keyed by
   (parent context, function, line of the call in the parent frame); frames
   that differ only in which instruction of one line called them share a
   context, since their names are equal. A push looks the context up in a
   hash table (vm.c sends every push here while profiling: vm->flimit is 0).
   An allocation looks up (context, instruction) in a second table and
   builds and registers the name only on a miss (hak_site_register is
   idempotent, so equal names from other contexts or threads give one site).

   Bounds: a name holds at most HVM_PROF_FRAMES frames and HVM_PROF_NAME_MAX
   bytes, the leaf side; the dropped root side is written `...`. A recursion
   that branches on different lines has exponentially many stacks, and the
   profile counts at most 65536 sites per process, so a VM keeps at most
   HVM_PROF_MAX_CTX contexts and HVM_PROF_MAX_SITES stack sites: a frame
   beyond the first limit (or when memory runs out) gets the context LOST,
   and an allocation in a LOST frame or beyond the second limit is named by
   its own frame only, after `...` (one site per instruction).

   Everything here belongs to one VM and its thread: no lock. The memory has
   the static site vm.prof. With profiling off none of this exists and the
   VM runs exactly as without it (vm->prof is NULL). */
#include "hvm_internal.h"

#define HVM_PROF_FRAMES 64              // script frames named, leaf side
#define HVM_PROF_NAME_MAX 8192          // bytes of a name, NUL included
#define HVM_PROF_PART_MAX 256           // bytes kept of a function or file name
#define HVM_PROF_MAX_CTX (1u << 16)     // contexts per VM
#define HVM_PROF_MAX_SITES (1u << 14)   // stack sites per VM, besides the leaf-only ones
#define HVM_PROF_LOST UINT32_MAX        // context of a frame whose stack is not kept

typedef struct hvm_pent_s {
  uint64_t a, b;  // key
  uint32_t v;     // value; 0: empty slot
} hvm_pent_t;

typedef struct hvm_ptab_s {  // open addressing, at most half full
  hvm_pent_t* e;
  uint32_t cap, n;
} hvm_ptab_t;

typedef struct hvm_pnode_s {
  uint32_t parent;  // context of the calling frame; 0 for a run's first frame
  uint32_t fn;      // function index
  uint32_t line;    // line of the call in the parent frame
} hvm_pnode_t;

struct hvm_prof_s {
  hvm_pnode_t* nodes;          // context id c is nodes[c - 1]
  uint32_t nnodes, cnodes;
  hvm_ptab_t ctxs;             // (parent << 32 | fn, line) -> context
  hvm_ptab_t sites;            // (context, instruction address) -> site
  uint32_t nsites;             // entries of sites whose context is not LOST
  uint32_t* fctx;              // per frame depth: the frame's context
  uint32_t cfctx;
  _Atomic(hak_site_t)* zero;   // every function's site cache: stays 0, so each allocation asks prof
  size_t nzero;
  char file[HVM_PROF_PART_MAX + 1];  // the script's file name without `;` or control bytes
};

static hak_site_t hvm_prof_site_static(void) { return _hvm_site_static(HVM_SITE_PROF); }

static void* hvm_prof_alloc(hvm_t* vm, size_t size) {
  return vm->alc->alloc(vm->alc->ctx, size, hvm_prof_site_static());
}

static void hvm_prof_release(hvm_t* vm, void* p, size_t size) {
  if (p) vm->alc->free(vm->alc->ctx, p, size, hvm_prof_site_static());
}

// ----- Hash table of (a, b) -> v -----
static uint32_t hvm_ptab_hash(uint64_t a, uint64_t b) {
  return hvm_hash_int((int64_t)(a * 0x9e3779b97f4a7c15ull ^ b));
}

static uint32_t hvm_ptab_get(const hvm_ptab_t* t, uint64_t a, uint64_t b) {
  if (!t->cap) return 0;
  for (uint32_t j = hvm_ptab_hash(a, b) & (t->cap - 1);; j = (j + 1) & (t->cap - 1)) {
    const hvm_pent_t* e = &t->e[j];
    if (e->v == 0 || (e->a == a && e->b == b)) return e->v;
  }
}

static void hvm_ptab_place(hvm_pent_t* es, uint32_t cap, hvm_pent_t x) {
  uint32_t j = hvm_ptab_hash(x.a, x.b) & (cap - 1);
  while (es[j].v) j = (j + 1) & (cap - 1);
  es[j] = x;
}

// Adds a key known to be absent; -1 when out of memory.
static int hvm_ptab_put(hvm_t* vm, hvm_ptab_t* t, uint64_t a, uint64_t b, uint32_t v) {
  if ((t->n + 1) * 2 > t->cap) {
    uint32_t cap = t->cap ? t->cap * 2 : 256;
    hvm_pent_t* es = hvm_prof_alloc(vm, cap * sizeof(hvm_pent_t));
    if (!es) return -1;
    memset(es, 0, cap * sizeof(hvm_pent_t));
    for (uint32_t j = 0; j < t->cap; j++) {
      if (t->e[j].v) hvm_ptab_place(es, cap, t->e[j]);
    }
    hvm_prof_release(vm, t->e, t->cap * sizeof(hvm_pent_t));
    t->e = es;
    t->cap = cap;
  }
  hvm_ptab_place(t->e, t->cap, (hvm_pent_t){a, b, v});
  t->n++;
  return 0;
}

static void hvm_ptab_free(hvm_t* vm, hvm_ptab_t* t) {
  hvm_prof_release(vm, t->e, t->cap * sizeof(hvm_pent_t));
  t->e = NULL;
  t->cap = t->n = 0;
}

// ----- Setup -----
// The last HVM_PROF_PART_MAX bytes of the file name, `;` and control bytes
// replaced by `_` (a name is one line of `;`-separated frames).
static void hvm_prof_file(char* out, const char* file) {
  size_t n = strlen(file);
  if (n > HVM_PROF_PART_MAX) file += n - HVM_PROF_PART_MAX;
  size_t j = 0;
  for (; file[j]; j++) {
    unsigned char c = (unsigned char)file[j];
    out[j] = c == ';' || c < 0x20 || c == 0x7f ? '_' : (char)c;
  }
  out[j] = 0;
}

int _hvm_prof_init(hvm_t* vm) {
  hvm_prof_t* p = hvm_prof_alloc(vm, sizeof *p);
  if (!p) return -1;
  memset(p, 0, sizeof *p);
  vm->prof = p;
  hvm_prof_file(p->file, vm->prog->m->file);
  for (uint32_t i = 0; i < vm->nfns; i++) {
    if (vm->fns[i].f->ncode > p->nzero) p->nzero = vm->fns[i].f->ncode;
  }
  p->zero = hvm_prof_alloc(vm, p->nzero * sizeof(hak_site_t) + 1);
  if (!p->zero) return -1;
  memset((void*)p->zero, 0, p->nzero * sizeof(hak_site_t));
  for (uint32_t i = 0; i < vm->nfns; i++) vm->fns[i].sites = p->zero;
  return 0;
}

void _hvm_prof_free(hvm_t* vm) {
  hvm_prof_t* p = vm->prof;
  if (!p) return;
  hvm_prof_release(vm, (void*)p->zero, p->nzero * sizeof(hak_site_t) + 1);
  hvm_prof_release(vm, p->nodes, p->cnodes * sizeof(hvm_pnode_t));
  hvm_prof_release(vm, p->fctx, p->cfctx * sizeof(uint32_t));
  hvm_ptab_free(vm, &p->ctxs);
  hvm_ptab_free(vm, &p->sites);
  hvm_prof_release(vm, p, sizeof *p);
  vm->prof = NULL;
}

// ----- Contexts -----
// The context of a frame of function fi called at `line` of a frame whose
// context is parent (0: no caller). LOST when the table is full or out of memory.
static uint32_t hvm_prof_ctx(hvm_t* vm, uint32_t parent, uint32_t fi, uint32_t line) {
  hvm_prof_t* p = vm->prof;
  if (parent == HVM_PROF_LOST) return HVM_PROF_LOST;
  uint64_t a = (uint64_t)parent << 32 | fi;
  uint32_t c = hvm_ptab_get(&p->ctxs, a, line);
  if hvm_likely(c) return c;
  if (p->nnodes == HVM_PROF_MAX_CTX) return HVM_PROF_LOST;
  if (p->nnodes == p->cnodes) {
    uint32_t cap = p->cnodes ? p->cnodes * 2 : 64;
    hvm_pnode_t* nodes = vm->alc->realloc(vm->alc->ctx, p->nodes, p->cnodes * sizeof(hvm_pnode_t),
                                          cap * sizeof(hvm_pnode_t), hvm_prof_site_static());
    if (!nodes) return HVM_PROF_LOST;
    p->nodes = nodes;
    p->cnodes = cap;
  }
  c = p->nnodes + 1;
  if (hvm_ptab_put(vm, &p->ctxs, a, line, c)) return HVM_PROF_LOST;
  p->nodes[p->nnodes++] = (hvm_pnode_t){parent, fi, line};
  return c;
}

void _hvm_prof_push(hvm_t* vm, const hvm_fn_t* fn) {
  hvm_prof_t* p = vm->prof;
  uint32_t d = vm->depth;
  if hvm_unlikely(d >= p->cfctx) {
    uint32_t cap = p->cfctx ? p->cfctx : 32;
    while (cap <= d) cap *= 2;
    uint32_t* f = vm->alc->realloc(vm->alc->ctx, p->fctx, p->cfctx * sizeof(uint32_t), cap * sizeof(uint32_t),
                                   hvm_prof_site_static());
    if (!f) _hvm_raise_oom(vm);
    p->fctx = f;
    p->cfctx = cap;
  }
  uint32_t fi = (uint32_t)(fn - vm->fns);
  if (d == 0) p->fctx[0] = hvm_prof_ctx(vm, 0, fi, 0);
  else p->fctx[d] = hvm_prof_ctx(vm, p->fctx[d - 1], fi, _hvm_frame_line(vm, &vm->frames[d - 1]));
}

// ----- Names -----
// Text written backwards from the end of a buffer.
typedef struct hvm_pname_s {
  char buf[HVM_PROF_NAME_MAX];
  size_t pos;  // the name is buf[pos..], NUL-terminated
} hvm_pname_t;

static void hvm_pname_prepend(hvm_pname_t* n, const char* s, size_t len) {
  n->pos -= len;
  memcpy(n->buf + n->pos, s, len);
}

// Prepends "FUNCTION (FILE:LINE);" if it fits with room left for "...;"; 0 if not.
static int hvm_pname_frame(hvm_pname_t* n, const char* file, const char* fname, uint32_t line) {
  char part[2 * HVM_PROF_PART_MAX + 32];
  int len = snprintf(part, sizeof part, "%.*s (%s:%u);", HVM_PROF_PART_MAX, fname, file, line);
  if (len < 0 || (size_t)len >= sizeof part || (size_t)len + 4 > n->pos) return 0;
  hvm_pname_prepend(n, part, (size_t)len);
  return 1;
}

// Writes the stack name of an allocation by ins of fn in a frame of context ctx.
static const char* hvm_prof_name(hvm_t* vm, hvm_pname_t* n, uint32_t ctx, const hvm_fn_t* fn, const hbc_ins_t* ins) {
  const hvm_prof_t* p = vm->prof;
  const char* what = _hvm_op_what(fn, ins);
  size_t wl = strnlen(what, HVM_PROF_PART_MAX);
  n->pos = sizeof n->buf - 1;
  n->buf[n->pos] = 0;
  hvm_pname_prepend(n, what, wl);
  hvm_pname_frame(n, p->file, fn->f->name, fn->f->lines[ins - fn->code]);
  int cut = ctx == HVM_PROF_LOST, frames = 1;
  for (uint32_t c = ctx; !cut && c && p->nodes[c - 1].parent;) {
    const hvm_pnode_t* child = &p->nodes[c - 1];
    const hvm_pnode_t* node = &p->nodes[child->parent - 1];
    cut = frames == HVM_PROF_FRAMES || !hvm_pname_frame(n, p->file, vm->fns[node->fn].f->name, child->line);
    frames++;
    c = child->parent;
  }
  if (cut) hvm_pname_prepend(n, "...;", 4);
  return n->buf + n->pos;
}

hak_site_t _hvm_prof_site(hvm_t* vm, const hvm_fn_t* fn, const hbc_ins_t* ins) {
  hvm_prof_t* p = vm->prof;
  uint32_t ctx = vm->depth ? p->fctx[vm->depth - 1] : HVM_PROF_LOST;
  uint64_t at = (uint64_t)(uintptr_t)ins;
  hak_site_t s = hvm_ptab_get(&p->sites, ctx, at);
  if hvm_likely(s) return s;
  if (ctx != HVM_PROF_LOST && p->nsites == HVM_PROF_MAX_SITES) {
    ctx = HVM_PROF_LOST;
    s = hvm_ptab_get(&p->sites, ctx, at);
    if (s) return s;
  }
  hvm_pname_t name;
  s = hak_site_register(HAK_SUBSYS("vm"), hvm_prof_name(vm, &name, ctx, fn, ins));
  if (s == 0) s = HAK_SITE_ANON(HAK_SUBSYS("vm"));
  // out of memory: the name is built again next time
  if (hvm_ptab_put(vm, &p->sites, ctx, at, s) == 0 && ctx != HVM_PROF_LOST) p->nsites++;
  return s;
}
