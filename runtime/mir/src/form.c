/* form.c: the bytecode form of each instruction.

   hbc has immediate and constant operands (ADDI, ADDK, GETFIELD,
   GETINDEXI, JLTI, JEQK, ...). Whether an operand of the MIR can use one
   decides whether the value needs a register at that point, so the register
   allocator (regalloc.c) and the emitter (lower.c) both ask here and get the
   same answer. A constant's table index comes from hbc_const_*, which
   deduplicates: asking twice gives the same index.

   Only CONST values are immediates (not fn/builtin/extern references). An
   operand that is a constant but cannot be an immediate is loaded into a
   temporary register right before its use (_hmir_needs_temp): constants
   never occupy a register across code. */
#include "mir_internal.h"

void _hmir_lower_fail(hmir_lower_t* lw, hmir_status_t st, uint32_t line, const char* fmt, ...) {
  char msg[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (lw->err && lw->errlen) {
    if (line) snprintf(lw->err, lw->errlen, "%u: %s", line, msg);
    else snprintf(lw->err, lw->errlen, "%s", msg);
  }
  lw->status = st;
  longjmp(*lw->fail, 1);
}

bool _hmir_small_int(const hmir_instr_t* v, int lo, int hi, int* out) {
  if (v->op != HMIR_CONST || v->ckind != HMIR_C_INT || v->imm.i < lo || v->imm.i > hi) return false;
  *out = (int)v->imm.i;
  return true;
}

int _hmir_kindex(hmir_lower_t* lw, const hmir_instr_t* c) {
  hbc_func_t* hf = lw->hf;
  int k;
  switch (c->ckind) {
    case HMIR_C_NIL: k = hbc_const_nil(hf); break;
    case HMIR_C_TRUE: k = hbc_const_bool(hf, 1); break;
    case HMIR_C_FALSE: k = hbc_const_bool(hf, 0); break;
    case HMIR_C_INT: k = hbc_const_int(hf, c->imm.i); break;
    case HMIR_C_FLOAT: k = hbc_const_float(hf, c->imm.f); break;
    default: k = hbc_const_str(hf, c->imm.str.s, c->imm.str.len); break;
  }
  if (k < 0) {
    if (strstr(lw->m->err, "out of memory")) _hmir_lower_fail(lw, HMIR_ERR_NOMEM, 0, "out of memory");
    _hmir_lower_fail(lw, HMIR_ERR_LIMIT, c->line, "too many constants in function '%s'", lw->f->name);
  }
  return k;
}

// A K operand (index < 256) for a CONST, or -1.
static int hmir_kop(hmir_lower_t* lw, const hmir_instr_t* v) {
  if (v->op != HMIR_CONST) return -1;
  int k = _hmir_kindex(lw, v);
  return k < 256 ? k : -1;
}

bool _hmir_arith_form(hmir_lower_t* lw, const hmir_instr_t* i, hbc_op_t* op, int* imm) {
  static const hbc_op_t reg[] = {HBC_OP_ADD, HBC_OP_SUB, HBC_OP_MUL, HBC_OP_DIV, HBC_OP_MOD};
  static const hbc_op_t kop[] = {HBC_OP_ADDK, HBC_OP_SUBK, HBC_OP_MULK, HBC_OP_DIVK, HBC_OP_MODK};
  int n = i->op - HMIR_ADD;
  const hmir_instr_t* b = i->ops[1];
  *op = reg[n];
  if (i->op == HMIR_ADD && _hmir_small_int(b, HBC_SC_MIN, HBC_SC_MAX, imm)) {
    *op = HBC_OP_ADDI;
    return true;
  }
  int k = hmir_kop(lw, b);
  if (k < 0) return false;
  *op = kop[n];
  *imm = k;
  return true;
}

bool _hmir_key_form(hmir_lower_t* lw, const hmir_instr_t* key, bool set, hbc_op_t* op, int* imm) {
  *op = set ? HBC_OP_SETINDEX : HBC_OP_GETINDEX;
  if (_hmir_small_int(key, 0, 255, imm)) {
    *op = set ? HBC_OP_SETINDEXI : HBC_OP_GETINDEXI;
    return true;
  }
  if (key->op == HMIR_CONST && key->ckind == HMIR_C_STR) {
    int k = hmir_kop(lw, key);
    if (k >= 0) {
      *op = set ? HBC_OP_SETFIELD : HBC_OP_GETFIELD;
      *imm = k;
      return true;
    }
  }
  return false;
}

// Comparison with an int immediate: `x OP c` on operand index x, or `c OP x`
// turned around.
static bool hmir_cmp_imm(const hmir_instr_t* cmp, hmir_cmpform_t* out) {
  static const hbc_op_t right[] = {HBC_OP_JLTI, HBC_OP_JLEI, HBC_OP_JGTI, HBC_OP_JGEI};  // x < c, x <= c, x > c, x >= c
  static const hbc_op_t left[] = {HBC_OP_JGTI, HBC_OP_JGEI, HBC_OP_JLTI, HBC_OP_JLEI};   // c < x is x > c, ...
  int n = cmp->op - HMIR_LT, c;
  if (_hmir_small_int(cmp->ops[1], HBC_SC_MIN, HBC_SC_MAX, &c)) {
    *out = (hmir_cmpform_t){right[n], 0, -1, c, false};
    return true;
  }
  if (_hmir_small_int(cmp->ops[0], HBC_SC_MIN, HBC_SC_MAX, &c)) {
    *out = (hmir_cmpform_t){left[n], 1, -1, c, false};
    return true;
  }
  return false;
}

void _hmir_cmp_form(hmir_lower_t* lw, const hmir_instr_t* cmp, hmir_cmpform_t* out) {
  if (cmp->op == HMIR_EQ || cmp->op == HMIR_NE) {
    bool ne = cmp->op == HMIR_NE;
    for (int side = 1; side >= 0; side--) {  // a constant on the right, else on the left (== is symmetric)
      const hmir_instr_t* c = cmp->ops[side];
      int v;
      if (_hmir_small_int(c, HBC_SC_MIN, HBC_SC_MAX, &v)) {
        *out = (hmir_cmpform_t){HBC_OP_JEQI, 1 - side, -1, v, ne};
        return;
      }
      if ((v = hmir_kop(lw, c)) >= 0) {
        *out = (hmir_cmpform_t){HBC_OP_JEQK, 1 - side, -1, v, ne};
        return;
      }
    }
    *out = (hmir_cmpform_t){HBC_OP_JEQ, 0, 1, 0, ne};
    return;
  }
  if (hmir_cmp_imm(cmp, out)) return;
  switch (cmp->op) {
    case HMIR_LT: *out = (hmir_cmpform_t){HBC_OP_JLT, 0, 1, 0, false}; break;
    case HMIR_LE: *out = (hmir_cmpform_t){HBC_OP_JLE, 0, 1, 0, false}; break;
    case HMIR_GT: *out = (hmir_cmpform_t){HBC_OP_JLT, 1, 0, 0, false}; break;
    default: *out = (hmir_cmpform_t){HBC_OP_JLE, 1, 0, 0, false}; break;
  }
}

bool _hmir_needs_temp(hmir_lower_t* lw, const hmir_instr_t* i, uint32_t k) {
  const hmir_instr_t* v = i->ops[k];
  if (lw->vkind[v->id] != HMIR_V_REMAT) return false;
  hbc_op_t op;
  int imm;
  switch (i->op) {
    case HMIR_PHI: case HMIR_CALL: case HMIR_CALLFN: case HMIR_CALLBI: case HMIR_CALLX:
    case HMIR_ARRAY: case HMIR_MAP: case HMIR_FORPREP: case HMIR_ITERPREP: case HMIR_BR:
      return false;  // loaded straight into place, or a jump decided at compile time
    case HMIR_RET: return !(v->op == HMIR_CONST && v->ckind == HMIR_C_NIL);
    case HMIR_ADD: case HMIR_SUB: case HMIR_MUL: case HMIR_DIV: case HMIR_MOD:
      return !(k == 1 && _hmir_arith_form(lw, i, &op, &imm));
    case HMIR_INDEX: return !(k == 1 && _hmir_key_form(lw, v, false, &op, &imm));
    case HMIR_SETINDEX: return !(k == 1 && _hmir_key_form(lw, v, true, &op, &imm));
    case HMIR_EQ: case HMIR_NE: case HMIR_LT: case HMIR_LE: case HMIR_GT: case HMIR_GE:
      if (lw->vkind[i->id] == HMIR_V_FUSED) {
        hmir_cmpform_t cf;
        _hmir_cmp_form(lw, i, &cf);
        return !(cf.rb < 0 && (int)k == 1 - cf.ra);
      }
      return true;
    default: return true;
  }
}
