/* hbc.c: the hk bytecode builder, verifier and disassembler (hbc.h).

   Design: a module is a growable array of functions and externs; each
   function has growable code, line and constant arrays, all from the module's
   hak_alc_t with the static sites vm.module, vm.code and vm.const. The format
   string of every op (HBC_OPS) drives operand checks at emit time, the
   register-count computation, the verifier and the dump, so adding an op is one
   line in hbc.h plus its case in the VM.

   Invariant: after hbc_module_finish returned 0 the module is immutable, every
   jump lands on an instruction start inside its function, every register is
   below nregs and every index is valid, so the VM need not check operands. */
#include "hbc.h"

#include <string.h>

// ----- Tables -----
typedef struct hbc_opinfo_s {
  const char* name;
  const char* fmt;
  const char* doc;
} hbc_opinfo_t;

static const hbc_opinfo_t hbc_ops[HBC_OP_COUNT] = {
#define HBC_OPINFO_(name, fmt, doc) {#name, fmt, doc},
    HBC_OPS(HBC_OPINFO_)
#undef HBC_OPINFO_
};

static const hbc_builtin_info_t hbc_builtins[HBC_BI_COUNT] = {
#define HBC_BIINFO_(id, name, mina, maxa, doc) {name, mina, maxa, doc},
    HBC_BUILTINS(HBC_BIINFO_)
#undef HBC_BIINFO_
};

struct hbc_fixup_s {
  uint32_t pc;     // instruction that jumps
  hbc_label_t to;  // its label
};

const char* hbc_op_name(unsigned op) { return op < HBC_OP_COUNT ? hbc_ops[op].name : NULL; }
const char* hbc_op_format(unsigned op) { return op < HBC_OP_COUNT ? hbc_ops[op].fmt : NULL; }
const char* hbc_op_doc(unsigned op) { return op < HBC_OP_COUNT ? hbc_ops[op].doc : NULL; }
unsigned hbc_op_size(unsigned op) { return op < HBC_OP_COUNT && strlen(hbc_ops[op].fmt) == 4 ? 2 : 1; }

int hbc_builtin_lookup(const char* name) {
  if (!name) return -1;
  for (int i = 0; i < HBC_BI_COUNT; i++) {
    if (!strcmp(hbc_builtins[i].name, name)) return i;
  }
  return -1;
}

const hbc_builtin_info_t* hbc_builtin_info(unsigned id) { return id < HBC_BI_COUNT ? &hbc_builtins[id] : NULL; }

const char* hbc_ffi_type_name(hbc_ffi_type_t t) {
  static const char* names[] = {"void", "i64", "f64", "str", "ptr"};
  return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

// ----- Memory -----
static hak_site_t hbc_site_module(void) { return HAK_SITE(HAK_SUBSYS("vm"), "vm.module"); }
static hak_site_t hbc_site_code(void) { return HAK_SITE(HAK_SUBSYS("vm"), "vm.code"); }
static hak_site_t hbc_site_const(void) { return HAK_SITE(HAK_SUBSYS("vm"), "vm.const"); }

static void hbc_fail(hbc_module_t* m, const char* msg, const char* detail) {
  if (m->err[0]) return;
  snprintf(m->err, sizeof m->err, "%s%s%s", msg, detail ? ": " : "", detail ? detail : "");
}

// Grows *p (n used, *cap slots of elem bytes) to hold one more; 0 or -1.
static int hbc_grow(hbc_module_t* m, void** p, uint32_t* cap, size_t elem, hak_site_t site) {
  uint32_t ncap = *cap ? *cap * 2 : 8;
  if (ncap < *cap || (size_t)ncap > SIZE_MAX / elem) return -1;
  void* q = m->alc->realloc(m->alc->ctx, *p, (size_t)*cap * elem, (size_t)ncap * elem, site);
  if (!q) {
    hbc_fail(m, "out of memory", NULL);
    return -1;
  }
  *p = q;
  *cap = ncap;
  return 0;
}

static char* hbc_strdup(hbc_module_t* m, const char* s, size_t len) {
  char* d = m->alc->alloc(m->alc->ctx, len + 1, hbc_site_const());
  if (!d) {
    hbc_fail(m, "out of memory", NULL);
    return NULL;
  }
  memcpy(d, s, len);
  d[len] = 0;
  return d;
}

static void hbc_strfree(hbc_module_t* m, const char* s, size_t len) {
  if (s) m->alc->free(m->alc->ctx, (void*)s, len + 1, hbc_site_const());
}

static void hbc_free_arr(hbc_module_t* m, void* p, uint32_t cap, size_t elem, hak_site_t site) {
  if (p) m->alc->free(m->alc->ctx, p, (size_t)cap * elem, site);
}

// ----- Modules -----
hbc_module_t* hbc_module_new(const hak_alc_t* alc, const char* file) {
  if (!alc) alc = hak_alc_default();
  hbc_module_t* m = alc->alloc(alc->ctx, sizeof *m, hbc_site_module());
  if (!m) return NULL;
  memset(m, 0, sizeof *m);
  m->alc = alc;
  if (!file) file = "<script>";
  m->file = hbc_strdup(m, file, strlen(file));
  if (!m->file) {
    alc->free(alc->ctx, m, sizeof *m, hbc_site_module());
    return NULL;
  }
  return m;
}

static void hbc_func_free_builder(hbc_module_t* m, hbc_func_t* f) {
  hbc_free_arr(m, f->labels, f->clabels, sizeof *f->labels, hbc_site_code());
  hbc_free_arr(m, f->fixups, f->cfixups, sizeof *f->fixups, hbc_site_code());
  hbc_free_arr(m, f->khash, f->ckhash, sizeof *f->khash, hbc_site_const());
  f->labels = NULL, f->fixups = NULL, f->khash = NULL;
  f->nlabels = f->clabels = f->nfixups = f->cfixups = f->ckhash = 0;
}

static void hbc_func_free(hbc_module_t* m, hbc_func_t* f) {
  hbc_func_free_builder(m, f);
  for (uint32_t i = 0; i < f->nconsts; i++) {
    if (f->consts[i].kind == HBC_K_STR) hbc_strfree(m, f->consts[i].u.s, f->consts[i].len);
  }
  hbc_free_arr(m, f->consts, f->cconsts, sizeof *f->consts, hbc_site_const());
  hbc_free_arr(m, f->code, f->ccode, sizeof *f->code, hbc_site_code());
  hbc_free_arr(m, f->lines, f->clines, sizeof *f->lines, hbc_site_code());
  hbc_strfree(m, f->name, strlen(f->name));
  m->alc->free(m->alc->ctx, f, sizeof *f, hbc_site_module());
}

void hbc_module_free(hbc_module_t* m) {
  if (!m) return;
  for (uint32_t i = 0; i < m->nfuncs; i++) hbc_func_free(m, m->funcs[i]);
  hbc_free_arr(m, m->funcs, m->cfuncs, sizeof *m->funcs, hbc_site_module());
  for (uint32_t i = 0; i < m->nexterns; i++) {
    hbc_strfree(m, m->externs[i].lib, strlen(m->externs[i].lib));
    hbc_strfree(m, m->externs[i].sym, strlen(m->externs[i].sym));
  }
  hbc_free_arr(m, m->externs, m->cexterns, sizeof *m->externs, hbc_site_module());
  hbc_strfree(m, m->file, strlen(m->file));
  m->alc->free(m->alc->ctx, m, sizeof *m, hbc_site_module());
}

int hbc_func_new(hbc_module_t* m, const char* name, unsigned arity, uint32_t line) {
  if (!m) return -1;
  if (arity > HBC_MAXARGS || m->nfuncs >= HBC_BX_MAX) {
    hbc_fail(m, "too many parameters or functions", name);
    return -1;
  }
  if (m->nfuncs == m->cfuncs && hbc_grow(m, (void**)&m->funcs, &m->cfuncs, sizeof *m->funcs, hbc_site_module()))
    return -1;
  hbc_func_t* f = m->alc->alloc(m->alc->ctx, sizeof *f, hbc_site_module());
  if (!f) {
    hbc_fail(m, "out of memory", NULL);
    return -1;
  }
  memset(f, 0, sizeof *f);
  if (!name) name = "?";
  f->name = hbc_strdup(m, name, strlen(name));
  if (!f->name) {
    m->alc->free(m->alc->ctx, f, sizeof *f, hbc_site_module());
    return -1;
  }
  f->module = m;
  f->index = m->nfuncs;
  f->arity = (uint16_t)arity;
  f->nregs = (uint16_t)arity;
  f->line = line;
  m->funcs[m->nfuncs++] = f;
  return (int)f->index;
}

hbc_func_t* hbc_module_func(const hbc_module_t* m, uint32_t index) {
  return m && index < m->nfuncs ? m->funcs[index] : NULL;
}

int hbc_module_find_func(const hbc_module_t* m, const char* name) {
  if (!m || !name) return -1;
  for (uint32_t i = 0; i < m->nfuncs; i++) {
    if (!strcmp(m->funcs[i]->name, name)) return (int)i;
  }
  return -1;
}

void hbc_module_set_main(hbc_module_t* m, uint32_t index) {
  if (m) m->main = index;
}

void hbc_func_set_nregs(hbc_func_t* f, unsigned nregs) {
  if (nregs > HBC_MAXREGS) nregs = HBC_MAXREGS;
  if (nregs > f->nregs) f->nregs = (uint16_t)nregs;
}

// ----- Operand checks -----
// Checks the fields of one instruction against its format, widens f->nregs
// to cover the registers it names and, when full is set (at finish), checks
// indices against the module. Returns NULL or a message.
static const char* hbc_check_fields(hbc_func_t* f, hbc_ins_t ins, int has_w, hbc_ins_t w, int full) {
  unsigned op = HBC_GET_OP(ins);
  if (op >= HBC_OP_COUNT) return "unknown opcode";
  const char* fmt = hbc_ops[op].fmt;
  size_t n = strlen(fmt);
  hbc_module_t* m = f->module;
  int hi = -1;  // highest register named
  if (n == 1) return NULL;  // sJ: checked as a jump at finish
  unsigned a = HBC_GET_A(ins);
  if (n == 2) {
    unsigned bx = HBC_GET_BX(ins);
    hi = (int)a;
    switch (fmt[1]) {
      case 'K': if (full && bx >= f->nconsts) return "constant index out of range"; break;
      case 'F': if (full && bx >= m->nfuncs) return "function index out of range"; break;
      case 'B': if (bx >= HBC_BI_COUNT) return "builtin id out of range"; break;
      case 'X': if (full && bx >= m->nexterns) return "extern index out of range"; break;
      default: break;
    }
  } else {
    unsigned v[3] = {a, HBC_GET_B(ins), HBC_GET_C(ins)};
    for (int i = 0; i < 3; i++) {
      unsigned x = v[i];
      int top = -1;
      switch (fmt[i]) {
        case '-': if (x) return "unused operand is not 0"; break;
        case 'r': top = (int)x; break;
        case 'k': if (full && x >= f->nconsts) return "constant index out of range"; break;
        case 'f': if (x > 1) return "flag is not 0 or 1"; break;
        case 'c': top = (int)(x + v[2]); break;
        case 'v': top = v[2] ? (int)(x + v[2] - 1) : -1; break;
        case 'p': top = v[2] ? (int)(x + 2 * v[2] - 1) : -1; break;
        case '3': top = (int)x + 2; break;
        case '4': top = (int)x + 3; break;
        default: break;  // 'i', 'u': any 8-bit value
      }
      if (top >= HBC_MAXREGS) return "register out of range";
      if (top > hi) hi = top;
    }
    if (n == 4 && has_w) {
      switch (fmt[3]) {
        case 'F': if (full && w >= m->nfuncs) return "function index out of range"; break;
        case 'B': if (w >= HBC_BI_COUNT) return "builtin id out of range"; break;
        case 'X': if (full && w >= m->nexterns) return "extern index out of range"; break;
        default: break;
      }
    }
  }
  if (hi >= 0) hbc_func_set_nregs(f, (unsigned)hi + 1);
  return NULL;
}

// ----- Emitting -----
static int32_t hbc_put(hbc_func_t* f, hbc_ins_t word, uint32_t line) {
  hbc_module_t* m = f->module;
  if (m->err[0]) return -1;
  if (m->finished) {
    hbc_fail(m, "module already finished", NULL);
    return -1;
  }
  if (f->ncode == f->ccode && hbc_grow(m, (void**)&f->code, &f->ccode, sizeof *f->code, hbc_site_code())) return -1;
  if (f->ncode == f->clines && hbc_grow(m, (void**)&f->lines, &f->clines, sizeof *f->lines, hbc_site_code())) return -1;
  f->code[f->ncode] = word;
  f->lines[f->ncode] = line;
  return (int32_t)f->ncode++;
}

int32_t hbc_emit(hbc_func_t* f, hbc_ins_t word, uint32_t line) {
  if (!f) return -1;
  return hbc_put(f, word, line);
}

static int hbc_in(int v, int lo, int hi) { return v >= lo && v <= hi; }

// Range of an A/B/C field by role (signed roles accept negatives).
static int hbc_field_ok(char role, int v) {
  if (role == 'i') return hbc_in(v, HBC_SC_MIN, HBC_SC_MAX);
  if (role == '-') return v == 0;
  if (role == 'f') return hbc_in(v, 0, 1);
  return hbc_in(v, 0, 255);
}

static int32_t hbc_emit_checked(hbc_func_t* f, hbc_op_t op, int a, int b, int c, int has_w, uint32_t w,
                                uint32_t line) {
  hbc_module_t* m = f->module;
  const char* fmt = hbc_ops[op].fmt;
  if (!hbc_field_ok(fmt[0], a) || !hbc_field_ok(fmt[1], b) || !hbc_field_ok(fmt[2], c)) {
    hbc_fail(m, "operand out of range", hbc_ops[op].name);
    return -1;
  }
  hbc_ins_t ins = HBC_ABC(op, a, b, c);
  const char* msg = hbc_check_fields(f, ins, has_w, w, 0);
  if (msg) {
    hbc_fail(m, msg, hbc_ops[op].name);
    return -1;
  }
  int32_t pc = hbc_put(f, ins, line);
  if (pc >= 0 && has_w && hbc_put(f, w, line) < 0) return -1;
  return pc;
}

int32_t hbc_emit_abc(hbc_func_t* f, hbc_op_t op, int a, int b, int c, uint32_t line) {
  if (!f) return -1;
  if ((unsigned)op >= HBC_OP_COUNT || strlen(hbc_ops[op].fmt) != 3) {
    hbc_fail(f->module, "hbc_emit_abc: op is not of format A B C", hbc_op_name(op));
    return -1;
  }
  return hbc_emit_checked(f, op, a, b, c, 0, 0, line);
}

int32_t hbc_emit_abx(hbc_func_t* f, hbc_op_t op, int a, int32_t bx, uint32_t line) {
  if (!f) return -1;
  hbc_module_t* m = f->module;
  if ((unsigned)op >= HBC_OP_COUNT || strlen(hbc_ops[op].fmt) != 2) {
    hbc_fail(m, "hbc_emit_abx: op is not of format A Bx", hbc_op_name(op));
    return -1;
  }
  int ok = hbc_in(a, 0, 255) &&
           (hbc_ops[op].fmt[1] == 'I' ? hbc_in(bx, HBC_SBX_MIN, HBC_SBX_MAX) : hbc_in(bx, 0, HBC_BX_MAX));
  if (!ok) {
    hbc_fail(m, "operand out of range", hbc_ops[op].name);
    return -1;
  }
  hbc_ins_t ins = HBC_ABX(op, a, bx);
  const char* msg = hbc_check_fields(f, ins, 0, 0, 0);
  if (msg) {
    hbc_fail(m, msg, hbc_ops[op].name);
    return -1;
  }
  return hbc_put(f, ins, line);
}

int32_t hbc_emit_call(hbc_func_t* f, hbc_op_t op, int a, int b, int c, uint32_t index, uint32_t line) {
  if (!f) return -1;
  if (op != HBC_OP_CALLF && op != HBC_OP_CALLB && op != HBC_OP_CALLX) {
    hbc_fail(f->module, "hbc_emit_call: not CALLF, CALLB or CALLX", hbc_op_name(op));
    return -1;
  }
  return hbc_emit_checked(f, op, a, b, c, 1, index, line);
}

// ----- Labels and jumps -----
static int hbc_is_jump(unsigned op) {
  const char* fmt = hbc_ops[op].fmt;
  return op == HBC_OP_JMP || (strlen(fmt) == 4 && fmt[3] == 'j');
}

hbc_label_t hbc_label_new(hbc_func_t* f) {
  if (!f) return HBC_LABEL_NONE;
  hbc_module_t* m = f->module;
  if (m->err[0]) return HBC_LABEL_NONE;
  if (f->nlabels == f->clabels && hbc_grow(m, (void**)&f->labels, &f->clabels, sizeof *f->labels, hbc_site_code()))
    return HBC_LABEL_NONE;
  f->labels[f->nlabels] = UINT32_MAX;
  return f->nlabels++;
}

int hbc_label_bind(hbc_func_t* f, hbc_label_t l) {
  if (!f) return -1;
  if (l >= f->nlabels || f->labels[l] != UINT32_MAX) {
    hbc_fail(f->module, "label unknown or bound twice", f->name);
    return -1;
  }
  f->labels[l] = f->ncode;
  return 0;
}

uint32_t hbc_label_pc(const hbc_func_t* f, hbc_label_t l) {
  return f && l < f->nlabels ? f->labels[l] : UINT32_MAX;
}

int32_t hbc_emit_jump(hbc_func_t* f, hbc_op_t op, int a, int b, int c, hbc_label_t target, uint32_t line) {
  if (!f) return -1;
  hbc_module_t* m = f->module;
  if ((unsigned)op >= HBC_OP_COUNT || !hbc_is_jump(op)) {
    hbc_fail(m, "hbc_emit_jump: op does not jump", hbc_op_name(op));
    return -1;
  }
  if (target >= f->nlabels) {
    hbc_fail(m, "hbc_emit_jump: unknown label", f->name);
    return -1;
  }
  int32_t pc = op == HBC_OP_JMP ? hbc_put(f, HBC_SJ(op, 0), line) : hbc_emit_checked(f, op, a, b, c, 1, 0, line);
  if (pc < 0) return -1;
  if (f->nfixups == f->cfixups && hbc_grow(m, (void**)&f->fixups, &f->cfixups, sizeof *f->fixups, hbc_site_code()))
    return -1;
  f->fixups[f->nfixups++] = (hbc_fixup_t){(uint32_t)pc, target};
  return pc;
}

int hbc_patch_jump(hbc_func_t* f, uint32_t pc, uint32_t target_pc) {
  if (!f || pc >= f->ncode) return -1;
  unsigned op = HBC_GET_OP(f->code[pc]);
  if (op >= HBC_OP_COUNT || !hbc_is_jump(op)) return -1;
  int64_t off = (int64_t)target_pc - (int64_t)(pc + 1);
  if (op == HBC_OP_JMP) {
    if (off < HBC_SJ_MIN || off > HBC_SJ_MAX) return -1;
    f->code[pc] = HBC_SJ(op, (uint32_t)(int32_t)off);
    return 0;
  }
  if (pc + 1 >= f->ncode) return -1;
  f->code[pc + 1] = (hbc_ins_t)(int32_t)off;
  return 0;
}

// ----- Constants -----
static uint32_t hbc_const_hash(const hbc_const_t* k) {
  uint64_t h = 1469598103934665603ull ^ (uint64_t)k->kind;
  if (k->kind == HBC_K_STR) {
    for (uint32_t i = 0; i < k->len; i++) h = (h ^ (uint8_t)k->u.s[i]) * 1099511628211ull;
  } else if (k->kind == HBC_K_INT || k->kind == HBC_K_FLOAT) {
    uint64_t bits;
    memcpy(&bits, &k->u, sizeof bits);
    h = (h ^ bits) * 1099511628211ull;
    h ^= h >> 29;
  }
  return (uint32_t)(h ^ (h >> 32));
}

static int hbc_const_same(const hbc_const_t* x, const hbc_const_t* y) {
  if (x->kind != y->kind) return 0;
  if (x->kind == HBC_K_STR) return x->len == y->len && !memcmp(x->u.s, y->u.s, x->len);
  if (x->kind == HBC_K_INT || x->kind == HBC_K_FLOAT) return !memcmp(&x->u, &y->u, sizeof x->u.i);
  return 1;
}

static int hbc_khash_rebuild(hbc_func_t* f) {
  hbc_module_t* m = f->module;
  uint32_t cap = f->ckhash ? f->ckhash * 2 : 16;
  uint32_t* t = m->alc->alloc(m->alc->ctx, cap * sizeof *t, hbc_site_const());
  if (!t) {
    hbc_fail(m, "out of memory", NULL);
    return -1;
  }
  memset(t, 0, cap * sizeof *t);
  for (uint32_t i = 0; i < f->nconsts; i++) {
    uint32_t j = hbc_const_hash(&f->consts[i]) & (cap - 1);
    while (t[j]) j = (j + 1) & (cap - 1);
    t[j] = i + 1;
  }
  hbc_free_arr(m, f->khash, f->ckhash, sizeof *f->khash, hbc_site_const());
  f->khash = t;
  f->ckhash = cap;
  return 0;
}

// Finds or adds k (a string is copied when added). Returns its index or -1.
static int hbc_const_add(hbc_func_t* f, hbc_const_t k) {
  if (!f) return -1;
  hbc_module_t* m = f->module;
  if (m->err[0]) return -1;
  if ((f->nconsts + 1) * 2 > f->ckhash && hbc_khash_rebuild(f)) return -1;
  uint32_t j = hbc_const_hash(&k) & (f->ckhash - 1);
  for (; f->khash[j]; j = (j + 1) & (f->ckhash - 1)) {
    if (hbc_const_same(&f->consts[f->khash[j] - 1], &k)) return (int)(f->khash[j] - 1);
  }
  if (f->nconsts > HBC_BX_MAX) {
    hbc_fail(m, "too many constants", f->name);
    return -1;
  }
  if (f->nconsts == f->cconsts && hbc_grow(m, (void**)&f->consts, &f->cconsts, sizeof *f->consts, hbc_site_const()))
    return -1;
  if (k.kind == HBC_K_STR && !(k.u.s = hbc_strdup(m, k.u.s, k.len))) return -1;
  f->consts[f->nconsts] = k;
  f->khash[j] = f->nconsts + 1;
  return (int)f->nconsts++;
}

int hbc_const_nil(hbc_func_t* f) { return hbc_const_add(f, (hbc_const_t){.kind = HBC_K_NIL}); }
int hbc_const_bool(hbc_func_t* f, int v) { return hbc_const_add(f, (hbc_const_t){.kind = v ? HBC_K_TRUE : HBC_K_FALSE}); }
int hbc_const_int(hbc_func_t* f, int64_t v) { return hbc_const_add(f, (hbc_const_t){.kind = HBC_K_INT, .u.i = v}); }
int hbc_const_float(hbc_func_t* f, double v) { return hbc_const_add(f, (hbc_const_t){.kind = HBC_K_FLOAT, .u.f = v}); }

int hbc_const_str(hbc_func_t* f, const char* s, size_t len) {
  if (!f) return -1;
  if (len > UINT32_MAX - 1) {
    hbc_fail(f->module, "string constant too long", NULL);
    return -1;
  }
  return hbc_const_add(f, (hbc_const_t){.kind = HBC_K_STR, .len = (uint32_t)len, .u.s = s ? s : ""});
}

// ----- Externs -----
int hbc_extern_new(hbc_module_t* m, const char* lib, const char* sym, hbc_ffi_type_t ret, unsigned nparams,
                   const hbc_ffi_type_t* params, uint32_t line) {
  if (!m || m->err[0]) return -1;
  if (!lib || !sym || nparams > HBC_EXTERN_MAXPARAMS || (unsigned)ret > HBC_FFI_PTR || m->nexterns >= HBC_BX_MAX) {
    hbc_fail(m, "bad extern declaration", sym);
    return -1;
  }
  for (unsigned i = 0; i < nparams; i++) {
    if (params[i] == HBC_FFI_VOID || (unsigned)params[i] > HBC_FFI_PTR) {
      hbc_fail(m, "bad extern parameter type", sym);
      return -1;
    }
  }
  if (m->nexterns == m->cexterns &&
      hbc_grow(m, (void**)&m->externs, &m->cexterns, sizeof *m->externs, hbc_site_module()))
    return -1;
  hbc_extern_t* x = &m->externs[m->nexterns];
  memset(x, 0, sizeof *x);
  x->lib = hbc_strdup(m, lib, strlen(lib));
  x->sym = x->lib ? hbc_strdup(m, sym, strlen(sym)) : NULL;
  if (!x->sym) {
    hbc_strfree(m, x->lib, strlen(lib));
    return -1;
  }
  x->nparams = (uint8_t)nparams;
  x->ret = (uint8_t)ret;
  for (unsigned i = 0; i < nparams; i++) x->params[i] = (uint8_t)params[i];
  x->line = line;
  return (int)m->nexterns++;
}

// ----- Finish and verify -----
static int hbc_verify_func(hbc_module_t* m, hbc_func_t* f) {
  char where[120];
  if (f->ncode == 0) {
    hbc_fail(m, "function has no code", f->name);
    return -1;
  }
  // instruction starts, so jumps can be checked to land on one
  uint32_t nwords = (f->ncode + 31) / 32;
  uint32_t* start = m->alc->alloc(m->alc->ctx, nwords * sizeof *start, hbc_site_code());
  if (!start) {
    hbc_fail(m, "out of memory", NULL);
    return -1;
  }
  memset(start, 0, nwords * sizeof *start);
  const char* msg = NULL;
  uint32_t pc = 0, last = 0;
  while (pc < f->ncode && !msg) {
    unsigned op = HBC_GET_OP(f->code[pc]);
    unsigned sz = op < HBC_OP_COUNT ? hbc_op_size(op) : 1;
    start[pc / 32] |= 1u << (pc % 32);
    if (pc + sz > f->ncode) msg = "instruction cut off at the end";
    else msg = hbc_check_fields(f, f->code[pc], sz == 2, sz == 2 ? f->code[pc + 1] : 0, 1);
    last = pc;
    pc += sz;
  }
  if (!msg) {
    unsigned op = HBC_GET_OP(f->code[last]);
    if (op != HBC_OP_RET && op != HBC_OP_RETNIL && op != HBC_OP_JMP) msg = "code does not end in RET, RETNIL or JMP";
  }
  for (pc = 0; pc < f->ncode && !msg; pc += hbc_op_size(HBC_GET_OP(f->code[pc]))) {
    unsigned op = HBC_GET_OP(f->code[pc]);
    if (!hbc_is_jump(op)) continue;
    int64_t t = op == HBC_OP_JMP ? (int64_t)pc + 1 + HBC_GET_SJ(f->code[pc])
                                 : (int64_t)pc + 1 + (int32_t)f->code[pc + 1];
    if (t < 0 || t >= (int64_t)f->ncode || !(start[t / 32] & (1u << (t % 32)))) msg = "jump target outside the code";
  }
  m->alc->free(m->alc->ctx, start, nwords * sizeof *start, hbc_site_code());
  if (msg) {
    snprintf(where, sizeof where, "%s at pc %u", f->name, pc < f->ncode ? pc : last);
    hbc_fail(m, msg, where);
    return -1;
  }
  return 0;
}

static int hbc_resolve_labels(hbc_module_t* m, hbc_func_t* f) {
  for (uint32_t i = 0; i < f->nfixups; i++) {
    hbc_fixup_t x = f->fixups[i];
    uint32_t to = f->labels[x.to];
    if (to == UINT32_MAX) {
      hbc_fail(m, "jump to an unbound label", f->name);
      return -1;
    }
    if (hbc_patch_jump(f, x.pc, to)) {
      hbc_fail(m, "jump too far", f->name);
      return -1;
    }
  }
  hbc_func_free_builder(m, f);
  return 0;
}

int hbc_module_finish(hbc_module_t* m, char* err, size_t errlen) {
  if (!m) return -1;
  if (!m->err[0] && !m->finished) {
    if (m->nfuncs == 0) hbc_fail(m, "module has no function", NULL);
    else if (m->main >= m->nfuncs || m->funcs[m->main]->arity != 0) hbc_fail(m, "main function missing or takes parameters", NULL);
    for (uint32_t i = 0; i < m->nfuncs && !m->err[0]; i++) {
      if (hbc_resolve_labels(m, m->funcs[i]) == 0) hbc_verify_func(m, m->funcs[i]);
    }
  }
  if (err && errlen) snprintf(err, errlen, "%s", m->err);
  if (m->err[0]) return -1;
  m->finished = 1;
  return 0;
}

// ----- Dump -----
static void hbc_const_dump(const hbc_const_t* k, FILE* out) {
  switch (k->kind) {
    case HBC_K_NIL: fputs("nil", out); break;
    case HBC_K_TRUE: fputs("true", out); break;
    case HBC_K_FALSE: fputs("false", out); break;
    case HBC_K_INT: fprintf(out, "%lld", (long long)k->u.i); break;
    case HBC_K_FLOAT: fprintf(out, "%.17g", k->u.f); break;
    case HBC_K_STR:
      fputc('"', out);
      for (uint32_t i = 0; i < k->len; i++) {
        unsigned char ch = (unsigned char)k->u.s[i];
        if (ch == '"' || ch == '\\') fprintf(out, "\\%c", ch);
        else if (ch == '\n') fputs("\\n", out);
        else if (ch < 0x20 || ch == 0x7f) fprintf(out, "\\x%02x", ch);
        else fputc(ch, out);
      }
      fputc('"', out);
      break;
  }
}

static void hbc_index_dump(const hbc_module_t* m, char role, uint32_t v, FILE* out) {
  const char* name = NULL;
  if (role == 'F' && m && v < m->nfuncs) name = m->funcs[v]->name;
  if (role == 'B' && v < HBC_BI_COUNT) name = hbc_builtins[v].name;
  if (role == 'X' && m && v < m->nexterns) name = m->externs[v].sym;
  fprintf(out, " %c%u", role == 'F' ? 'F' : role == 'B' ? 'B' : 'X', v);
  if (name) fprintf(out, "(%s)", name);
}

static void hbc_field_dump(const hbc_func_t* f, char role, unsigned v, int sv, FILE* out) {
  switch (role) {
    case '-': break;
    case 'r': case 'c': case 'v': case 'p': case '3': case '4': fprintf(out, " R%u", v); break;
    case 'k':
      fprintf(out, " K%u", v);
      if (v < f->nconsts) {
        fputc('(', out);
        hbc_const_dump(&f->consts[v], out);
        fputc(')', out);
      }
      break;
    case 'i': fprintf(out, " %d", sv); break;
    case 'f': fprintf(out, " k%u", v); break;
    default: fprintf(out, " %u", v); break;
  }
}

unsigned hbc_ins_dump(const hbc_module_t* m, const hbc_func_t* f, uint32_t pc, FILE* out) {
  hbc_ins_t ins = f->code[pc];
  unsigned op = HBC_GET_OP(ins);
  if (op >= HBC_OP_COUNT) {
    fprintf(out, "%04u [%4u] ?%08x", pc, f->lines[pc], ins);
    return 1;
  }
  const char* fmt = hbc_ops[op].fmt;
  size_t n = strlen(fmt);
  fprintf(out, "%04u [%4u] %-10s", pc, f->lines[pc], hbc_ops[op].name);
  if (n == 1) {
    fprintf(out, " -> %04d", (int)pc + 1 + HBC_GET_SJ(ins));
    return 1;
  }
  if (n == 2) {
    unsigned bx = HBC_GET_BX(ins);
    fprintf(out, " R%u", HBC_GET_A(ins));
    if (fmt[1] == 'K') hbc_field_dump(f, 'k', bx, 0, out);
    else if (fmt[1] == 'I') fprintf(out, " %d", HBC_GET_SBX(ins));
    else hbc_index_dump(m, fmt[1], bx, out);
    return 1;
  }
  hbc_field_dump(f, fmt[0], HBC_GET_A(ins), 0, out);
  hbc_field_dump(f, fmt[1], HBC_GET_B(ins), HBC_GET_SB(ins), out);
  hbc_field_dump(f, fmt[2], HBC_GET_C(ins), HBC_GET_SC(ins), out);
  if (n == 4) {
    uint32_t w = pc + 1 < f->ncode ? f->code[pc + 1] : 0;
    if (fmt[3] == 'j') fprintf(out, " -> %04d", (int)((int64_t)pc + 1 + (int32_t)w));
    else hbc_index_dump(m, fmt[3], w, out);
    return 2;
  }
  return 1;
}

void hbc_func_dump(const hbc_module_t* m, const hbc_func_t* f, FILE* out) {
  fprintf(out, "function %s (index %u, arity %u, nregs %u, line %u)%s\n", f->name, f->index, f->arity, f->nregs,
          f->line, m && m->main == f->index ? " main" : "");
  for (uint32_t i = 0; i < f->nconsts; i++) {
    fprintf(out, "  K%u = ", i);
    hbc_const_dump(&f->consts[i], out);
    fputc('\n', out);
  }
  for (uint32_t pc = 0; pc < f->ncode;) {
    fputs("  ", out);
    pc += hbc_ins_dump(m, f, pc, out);
    fputc('\n', out);
  }
}

void hbc_module_dump(const hbc_module_t* m, FILE* out) {
  if (!m || !out) return;
  fprintf(out, "module %s: %u functions, %u externs\n", m->file, m->nfuncs, m->nexterns);
  for (uint32_t i = 0; i < m->nexterns; i++) {
    const hbc_extern_t* x = &m->externs[i];
    fprintf(out, "extern X%u \"%s\" %s(", i, x->lib, x->sym);
    for (unsigned j = 0; j < x->nparams; j++) fprintf(out, "%s%s", j ? ", " : "", hbc_ffi_type_name(x->params[j]));
    fprintf(out, ") -> %s (line %u)\n", hbc_ffi_type_name(x->ret), x->line);
  }
  for (uint32_t i = 0; i < m->nfuncs; i++) hbc_func_dump(m, m->funcs[i], out);
}
