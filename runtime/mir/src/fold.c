/* fold.c: evaluating MIR operations on constants, with the VM's semantics.

   The folder must never change what a program does, so it folds only what
   the language defines exactly and leaves everything that could fail, or
   whose result the VM could compute differently, to run time:
   - ints wrap on overflow (done in uint64_t); int / int truncates; division
     or % by an int zero fails at run time: not folded; INT64_MIN / -1 and
     % with a negative operand are not folded (the sign convention of % is
     the VM's business);
   - an int with a float is a float; float + - * / are IEEE (C doubles);
     float % is not folded;
   - + on two strings concatenates (up to HMIR_FOLD_STR_MAX bytes);
   - == / != compare numbers by value (an int and a float only when the int
     is exact as a double), strings by content, nil and bools by kind; values
     of different kinds are never equal; < <= > >= take two numbers or two
     strings (bytewise), anything else fails at run time: not folded;
   - not: only nil and false are false. */
#include "mir_internal.h"

#define HMIR_FOLD_STR_MAX 4096
#define HMIR_EXACT_INT (INT64_C(1) << 53)  // ints up to this magnitude are exact doubles

void _hmir_lat_of_const(const hmir_instr_t* i, hmir_lattice_t* out) {
  memset(out, 0, sizeof *out);
  out->state = HMIR_LAT_CONST;
  out->ckind = i->ckind;
  if (i->ckind == HMIR_C_INT) out->v.i = i->imm.i;
  else if (i->ckind == HMIR_C_FLOAT) out->v.f = i->imm.f;
  else if (i->ckind == HMIR_C_STR) {
    out->v.s = i->imm.str.s;
    out->len = i->imm.str.len;
  }
}

bool _hmir_lat_truthy(const hmir_lattice_t* c) { return c->ckind != HMIR_C_NIL && c->ckind != HMIR_C_FALSE; }

bool _hmir_lat_same(const hmir_lattice_t* a, const hmir_lattice_t* b) {
  if (a->state != b->state) return false;
  if (a->state != HMIR_LAT_CONST) return true;
  if (a->ckind != b->ckind) return false;
  switch (a->ckind) {
    case HMIR_C_INT: return a->v.i == b->v.i;
    case HMIR_C_FLOAT: return memcmp(&a->v.f, &b->v.f, sizeof(double)) == 0;  // -0.0 and NaNs by bits
    case HMIR_C_STR: return a->len == b->len && memcmp(a->v.s, b->v.s, a->len) == 0;
    default: return true;
  }
}

static void hmir_set_bool(hmir_lattice_t* out, bool v) {
  memset(out, 0, sizeof *out);
  out->state = HMIR_LAT_CONST;
  out->ckind = v ? HMIR_C_TRUE : HMIR_C_FALSE;
}

static void hmir_set_int(hmir_lattice_t* out, int64_t v) {
  memset(out, 0, sizeof *out);
  out->state = HMIR_LAT_CONST;
  out->ckind = HMIR_C_INT;
  out->v.i = v;
}

static void hmir_set_float(hmir_lattice_t* out, double v) {
  memset(out, 0, sizeof *out);
  out->state = HMIR_LAT_CONST;
  out->ckind = HMIR_C_FLOAT;
  out->v.f = v;
}

static bool hmir_is_num(const hmir_lattice_t* c) { return c->ckind == HMIR_C_INT || c->ckind == HMIR_C_FLOAT; }
static double hmir_as_float(const hmir_lattice_t* c) { return c->ckind == HMIR_C_INT ? (double)c->v.i : c->v.f; }
static bool hmir_exact(const hmir_lattice_t* c) {
  return c->ckind != HMIR_C_INT || (c->v.i >= -HMIR_EXACT_INT && c->v.i <= HMIR_EXACT_INT);
}

static bool hmir_fold_int(hmir_op_t op, int64_t x, int64_t y, hmir_lattice_t* out) {
  uint64_t ux = (uint64_t)x, uy = (uint64_t)y;
  switch (op) {
    case HMIR_ADD: hmir_set_int(out, (int64_t)(ux + uy)); return true;
    case HMIR_SUB: hmir_set_int(out, (int64_t)(ux - uy)); return true;
    case HMIR_MUL: hmir_set_int(out, (int64_t)(ux * uy)); return true;
    case HMIR_DIV:
      if (y == 0 || (x == INT64_MIN && y == -1)) return false;
      hmir_set_int(out, x / y);
      return true;
    case HMIR_MOD:
      if (y <= 0 || x < 0) return false;
      hmir_set_int(out, x % y);
      return true;
    default: return false;
  }
}

static bool hmir_fold_float(hmir_op_t op, double x, double y, hmir_lattice_t* out) {
  switch (op) {
    case HMIR_ADD: hmir_set_float(out, x + y); return true;
    case HMIR_SUB: hmir_set_float(out, x - y); return true;
    case HMIR_MUL: hmir_set_float(out, x * y); return true;
    case HMIR_DIV: hmir_set_float(out, x / y); return true;
    default: return false;
  }
}

static bool hmir_fold_concat(hmir_func_t* f, const hmir_lattice_t* a, const hmir_lattice_t* b, hmir_lattice_t* out) {
  size_t n = (size_t)a->len + b->len;
  if (n > HMIR_FOLD_STR_MAX) return false;
  char* s = _hmir_alloc(f, n + 1, HMIR_SITE("mir.string"));
  memcpy(s, a->v.s, a->len);
  memcpy(s + a->len, b->v.s, b->len);
  s[n] = 0;
  memset(out, 0, sizeof *out);
  out->state = HMIR_LAT_CONST;
  out->ckind = HMIR_C_STR;
  out->v.s = s;
  out->len = (uint32_t)n;
  return true;
}

// -1, 0, 1 for a < b, ==, >; 2 when unordered (NaN); 3 when not comparable.
static int hmir_compare(const hmir_lattice_t* a, const hmir_lattice_t* b) {
  if (a->ckind == HMIR_C_INT && b->ckind == HMIR_C_INT) return (a->v.i > b->v.i) - (a->v.i < b->v.i);
  if (hmir_is_num(a) && hmir_is_num(b)) {
    if (!hmir_exact(a) || !hmir_exact(b)) return 3;
    double x = hmir_as_float(a), y = hmir_as_float(b);
    if (x != x || y != y) return 2;
    return (x > y) - (x < y);
  }
  if (a->ckind == HMIR_C_STR && b->ckind == HMIR_C_STR) {
    uint32_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->v.s, b->v.s, n);
    if (c == 0) c = (a->len > b->len) - (a->len < b->len);
    return (c > 0) - (c < 0);
  }
  return 3;
}

// == on constants: 1 equal, 0 not, -1 unknown.
static int hmir_equal(const hmir_lattice_t* a, const hmir_lattice_t* b) {
  if (hmir_is_num(a) && hmir_is_num(b)) {
    int c = hmir_compare(a, b);
    return c == 3 ? -1 : c == 0;
  }
  if (a->ckind == HMIR_C_STR && b->ckind == HMIR_C_STR) return hmir_compare(a, b) == 0;
  return a->ckind == b->ckind;  // nil, true, false by kind; different kinds differ
}

static bool hmir_fold_cmp(hmir_op_t op, const hmir_lattice_t* a, const hmir_lattice_t* b, hmir_lattice_t* out) {
  if (op == HMIR_EQ || op == HMIR_NE) {
    int e = hmir_equal(a, b);
    if (e < 0) return false;
    hmir_set_bool(out, (e == 1) == (op == HMIR_EQ));
    return true;
  }
  int c = hmir_compare(a, b);
  if (c == 3) return false;
  bool r = c == 2 ? false : op == HMIR_LT ? c < 0 : op == HMIR_LE ? c <= 0 : op == HMIR_GT ? c > 0 : c >= 0;
  hmir_set_bool(out, r);
  return true;
}

bool _hmir_fold(hmir_func_t* f, hmir_op_t op, const hmir_lattice_t* a, const hmir_lattice_t* b, hmir_lattice_t* out) {
  switch (op) {
    case HMIR_NOT: hmir_set_bool(out, !_hmir_lat_truthy(a)); return true;
    case HMIR_NEG:
      if (a->ckind == HMIR_C_INT) hmir_set_int(out, (int64_t)(0 - (uint64_t)a->v.i));
      else if (a->ckind == HMIR_C_FLOAT) hmir_set_float(out, -a->v.f);
      else return false;
      return true;
    case HMIR_ADD:
      if (a->ckind == HMIR_C_STR && b->ckind == HMIR_C_STR) return hmir_fold_concat(f, a, b, out);
      // fall through
    case HMIR_SUB:
    case HMIR_MUL:
    case HMIR_DIV:
    case HMIR_MOD:
      if (a->ckind == HMIR_C_INT && b->ckind == HMIR_C_INT) return hmir_fold_int(op, a->v.i, b->v.i, out);
      if (hmir_is_num(a) && hmir_is_num(b)) return hmir_fold_float(op, hmir_as_float(a), hmir_as_float(b), out);
      return false;
    case HMIR_EQ:
    case HMIR_NE:
    case HMIR_LT:
    case HMIR_LE:
    case HMIR_GT:
    case HMIR_GE: return hmir_fold_cmp(op, a, b, out);
    default: return false;
  }
}
