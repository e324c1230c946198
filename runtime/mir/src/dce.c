/* dce.c: dead code elimination (mark and sweep).

   Roots are the instructions that must run: terminators, effects (calls,
   stores, appends), and anything that may fail at run time unless the pass
   proves it cannot. Everything a root uses is live, transitively; the rest
   is removed, dead phi cycles included.

   The proof uses a small type analysis: each value gets a set of the kinds
   it can hold (nil, bool, int, float, string, array, map, function, other),
   from constants through arithmetic and phis, to a fixpoint over the blocks
   in reverse post-order. `a + b` cannot fail when both are numbers or both
   strings; `-`, `*`: numbers; `/` and `%`: numbers and a divisor that is a
   non-zero constant or a float on either side; comparisons: two numbers or
   two strings; a map literal: keys that are strings or ints. Indexing and
   calls are never removed. */
#include "mir_internal.h"

enum {
  HMIR_K_NIL = 1, HMIR_K_BOOL = 2, HMIR_K_INT = 4, HMIR_K_FLOAT = 8, HMIR_K_STR = 16,
  HMIR_K_ARR = 32, HMIR_K_MAP = 64, HMIR_K_FN = 128, HMIR_K_OTHER = 256,
  HMIR_K_NUM = HMIR_K_INT | HMIR_K_FLOAT,
  HMIR_K_ALL = 511,
};

static uint16_t hmir_const_kind(const hmir_instr_t* i) {
  switch (i->ckind) {
    case HMIR_C_NIL: return HMIR_K_NIL;
    case HMIR_C_TRUE:
    case HMIR_C_FALSE: return HMIR_K_BOOL;
    case HMIR_C_INT: return HMIR_K_INT;
    case HMIR_C_FLOAT: return HMIR_K_FLOAT;
    default: return HMIR_K_STR;
  }
}

static bool hmir_within(uint16_t k, uint16_t set) { return k != 0 && (k & ~set) == 0; }

static uint16_t hmir_arith_kind(hmir_op_t op, uint16_t a, uint16_t b) {
  if (hmir_within(a | b, HMIR_K_INT)) return HMIR_K_INT;
  if (hmir_within(a | b, HMIR_K_NUM)) return HMIR_K_NUM;
  if (op == HMIR_ADD && hmir_within(a | b, HMIR_K_STR)) return HMIR_K_STR;
  return HMIR_K_ALL;
}

static uint16_t hmir_kind_of(const uint16_t* kinds, const hmir_instr_t* i) {
  switch (i->op) {
    case HMIR_CONST: return hmir_const_kind(i);
    case HMIR_FNREF:
    case HMIR_BUILTIN:
    case HMIR_EXTREF: return HMIR_K_FN;
    case HMIR_COPY: return kinds[i->ops[0]->id];
    case HMIR_PHI: {
      uint16_t k = 0;
      for (uint32_t o = 0; o < i->nops; o++) k |= kinds[i->ops[o]->id];
      return k;
    }
    case HMIR_ADD: case HMIR_SUB: case HMIR_MUL: case HMIR_DIV: case HMIR_MOD:
      return hmir_arith_kind((hmir_op_t)i->op, kinds[i->ops[0]->id], kinds[i->ops[1]->id]);
    case HMIR_NEG: return hmir_arith_kind(HMIR_NEG, kinds[i->ops[0]->id], kinds[i->ops[0]->id]);
    case HMIR_NOT: case HMIR_EQ: case HMIR_NE: case HMIR_LT: case HMIR_LE: case HMIR_GT: case HMIR_GE:
      return HMIR_K_BOOL;
    case HMIR_ARRAY: return HMIR_K_ARR;
    case HMIR_MAP: return HMIR_K_MAP;
    case HMIR_FORVAR: return HMIR_K_NUM;
    default: return HMIR_K_ALL;
  }
}

static void hmir_infer_kinds(hmir_func_t* f, uint16_t* kinds) {
  uint32_t n;
  hmir_block_t** order = _hmir_rpo(f, &n);
  bool changed = true;
  while (changed) {  // kinds only grow: a fixpoint within a few sweeps
    changed = false;
    for (uint32_t k = 0; k < n; k++) {
      hmir_foreach_instr(order[k], i) {
        if (!hmir_has_value(i)) continue;
        uint16_t v = kinds[i->id] | hmir_kind_of(kinds, i);
        if (v != kinds[i->id]) {
          kinds[i->id] = v;
          changed = true;
        }
      }
    }
  }
}

static bool hmir_nonzero_const(const hmir_instr_t* i) {
  return i->op == HMIR_CONST && ((i->ckind == HMIR_C_INT && i->imm.i != 0) || i->ckind == HMIR_C_FLOAT);
}

// Can this instruction fail at run time, as far as the kinds tell?
static bool hmir_may_trap(const uint16_t* kinds, const hmir_instr_t* i) {
  if (!(hmir_info(i)->flags & HMIR_F_TRAPS)) return false;
  uint16_t a = i->nops > 0 ? kinds[i->ops[0]->id] : 0, b = i->nops > 1 ? kinds[i->ops[1]->id] : 0;
  switch (i->op) {
    case HMIR_ADD: return !(hmir_within(a | b, HMIR_K_NUM) || (hmir_within(a, HMIR_K_STR) && hmir_within(b, HMIR_K_STR)));
    case HMIR_SUB:
    case HMIR_MUL: return !hmir_within(a | b, HMIR_K_NUM);
    case HMIR_NEG: return !hmir_within(a, HMIR_K_NUM);
    case HMIR_DIV:
    case HMIR_MOD:
      if (!hmir_within(a | b, HMIR_K_NUM)) return true;
      return !(hmir_nonzero_const(i->ops[1]) || hmir_within(a, HMIR_K_FLOAT) || hmir_within(b, HMIR_K_FLOAT));
    case HMIR_LT: case HMIR_LE: case HMIR_GT: case HMIR_GE:
      return !(hmir_within(a | b, HMIR_K_NUM) || (hmir_within(a, HMIR_K_STR) && hmir_within(b, HMIR_K_STR)));
    case HMIR_MAP:
      for (uint32_t k = 0; k < i->nops; k += 2) {
        if (!hmir_within(kinds[i->ops[k]->id], HMIR_K_STR | HMIR_K_INT)) return true;
      }
      return false;
    default: return true;
  }
}

int _hmir_dce(hmir_func_t* f) {
  uint16_t* kinds = _hmir_alloc(f, (f->next_id + 1) * sizeof *kinds, HMIR_SITE("mir.pass"));
  memset(kinds, 0, (f->next_id + 1) * sizeof *kinds);
  hmir_infer_kinds(f, kinds);
  uint32_t ninstr = 0;
  hmir_foreach_block(f, b) hmir_foreach_instr(b, i) ninstr++;
  hmir_instr_t** work = _hmir_alloc(f, (ninstr + 1) * sizeof *work, HMIR_SITE("mir.pass"));
  uint32_t top = 0;
  hmir_foreach_block(f, b) {  // roots
    hmir_foreach_instr(b, i) {
      uint8_t fl = hmir_info(i)->flags;
      i->mark = (fl & (HMIR_F_TERM | HMIR_F_EFFECT)) || hmir_may_trap(kinds, i);
      if (i->mark) work[top++] = i;
    }
  }
  while (top) {  // everything a live instruction uses is live
    hmir_instr_t* i = work[--top];
    for (uint32_t k = 0; k < i->nops; k++) {
      hmir_instr_t* o = i->ops[k];
      if (!o->mark) {
        o->mark = 1;
        work[top++] = o;
      }
    }
  }
  int changed = 0;
  hmir_foreach_block(f, b) {
    hmir_foreach_instr_safe(b, i, nx) {
      if (!i->mark) {
        _hmir_unlink(i);
        changed = 1;
      }
    }
  }
  return changed;
}
