/* func.c: functions, blocks, instructions and edges of the MIR.

   The primitive edits every pass is made of. They keep the structural
   invariants of mir_types.h: a block's successors are set together with its
   terminator and mirrored in the successors' predecessor arrays, and a
   predecessor removed at index k takes operand k of every phi with it.
   Operands are not use-listed: passes that replace values rewrite operands in
   one sweep over the function (see copyprop.c), which is cheaper than
   maintaining use lists for IR this short-lived. */
#include "mir_internal.h"

const hmir_opinfo_t _hmir_opinfo[HMIR_OP_COUNT] = {
#define HMIR_OPINFO_(n, s, f, k) {s, (uint8_t)(f), (int8_t)(k)},
    HMIR_OPS(HMIR_OPINFO_)
#undef HMIR_OPINFO_
};

// ----- Functions and blocks -----
hmir_func_t* _hmir_func_new(const hak_alc_t* alc, jmp_buf* oom) {
  hmir_mem_t mem;
  _hmir_mem_init(&mem, alc);
  mem.oom = oom;
  // The header is the function's first block: bootstrap through a stack copy
  // of the bookkeeping, then move it in.
  hmir_func_t tmp;
  memset(&tmp, 0, sizeof tmp);
  tmp.mem = mem;
  hmir_func_t* f = _hmir_alloc(&tmp, sizeof *f, HMIR_SITE("mir.func"));
  *f = tmp;
  return f;
}

hmir_block_t* _hmir_block_new(hmir_func_t* f, uint32_t line) {
  hmir_block_t* b = _hmir_alloc(f, sizeof *b, HMIR_SITE("mir.block"));
  memset(b, 0, sizeof *b);
  b->id = f->next_block++;
  b->line = line;
  b->prev = f->last;
  if (f->last) f->last->next = b;
  else f->first = f->entry = b;
  f->last = b;
  f->nblocks++;
  return b;
}

// Removes b from the layout (its edges must be gone already).
void _hmir_block_unlink(hmir_func_t* f, hmir_block_t* b) {
  if (b->prev) b->prev->next = b->next;
  else f->first = b->next;
  if (b->next) b->next->prev = b->prev;
  else f->last = b->prev;
  if (f->entry == b) f->entry = f->first;
  b->next = b->prev = NULL;
  f->nblocks--;
}

// ----- Instructions -----
hmir_instr_t* _hmir_instr_new(hmir_func_t* f, hmir_op_t op, uint32_t nops, uint32_t line) {
  hmir_instr_t* i = _hmir_alloc(f, sizeof *i, HMIR_SITE("mir.instr"));
  memset(i, 0, sizeof *i);
  i->op = (uint16_t)op;
  i->id = f->next_id++;
  i->line = line;
  i->reg = -1;
  i->nops = nops;
  if (nops <= HMIR_INLINE_OPS) {
    i->ops = i->inl;
    i->cops = HMIR_INLINE_OPS;
  } else {
    i->ops = _hmir_alloc(f, nops * sizeof *i->ops, HMIR_SITE("mir.operands"));
    memset(i->ops, 0, nops * sizeof *i->ops);
    i->cops = nops;
  }
  return i;
}

void _hmir_ops_resize(hmir_func_t* f, hmir_instr_t* i, uint32_t nops) {
  if (nops > i->cops) {
    uint32_t ncap = i->cops * 2;
    while (ncap < nops) ncap *= 2;
    i->ops = _hmir_grow(f, i->ops, i->nops * sizeof *i->ops, ncap * sizeof *i->ops, HMIR_SITE("mir.operands"));
    i->cops = ncap;
  }
  for (uint32_t k = i->nops; k < nops; k++) i->ops[k] = NULL;
  i->nops = nops;
}

void _hmir_phi_add(hmir_func_t* f, hmir_instr_t* phi, hmir_instr_t* v) {
  _hmir_ops_resize(f, phi, phi->nops + 1);
  phi->ops[phi->nops - 1] = v;
}

void _hmir_append(hmir_block_t* b, hmir_instr_t* i) {
  i->block = b;
  i->next = NULL;
  i->prev = b->last;
  if (b->last) b->last->next = i;
  else b->first = i;
  b->last = i;
}

void _hmir_insert_before(hmir_instr_t* pos, hmir_instr_t* i) {
  hmir_block_t* b = pos->block;
  i->block = b;
  i->next = pos;
  i->prev = pos->prev;
  if (pos->prev) pos->prev->next = i;
  else b->first = i;
  pos->prev = i;
}

// After the last phi of b (b must have a terminator or other non-phi).
void _hmir_insert_after_phis(hmir_block_t* b, hmir_instr_t* i) {
  hmir_instr_t* pos = b->first;
  while (pos && hmir_is_phi(pos)) pos = pos->next;
  if (pos) _hmir_insert_before(pos, i);
  else _hmir_append(b, i);
}

void _hmir_unlink(hmir_instr_t* i) {
  hmir_block_t* b = i->block;
  if (i->prev) i->prev->next = i->next;
  else b->first = i->next;
  if (i->next) i->next->prev = i->prev;
  else b->last = i->prev;
  i->prev = i->next = NULL;
  i->block = NULL;
}

// Turns i into a CONST of value c in place (every use now sees the constant).
// A phi becomes an ordinary instruction, so it moves after the phis.
void _hmir_make_const(hmir_instr_t* i, const hmir_lattice_t* c) {
  bool was_phi = hmir_is_phi(i);
  i->op = HMIR_CONST;
  i->nops = 0;
  i->ckind = c->ckind;
  memset(&i->imm, 0, sizeof i->imm);
  if (c->ckind == HMIR_C_INT) i->imm.i = c->v.i;
  else if (c->ckind == HMIR_C_FLOAT) i->imm.f = c->v.f;
  else if (c->ckind == HMIR_C_STR) {
    i->imm.str.s = c->v.s;
    i->imm.str.len = c->len;
  }
  if (was_phi) {
    hmir_block_t* b = i->block;
    _hmir_unlink(i);
    _hmir_insert_after_phis(b, i);
  }
}

// Turns i into `copy v` (a phi moves after the phis).
void _hmir_make_copy(hmir_func_t* f, hmir_instr_t* i, hmir_instr_t* v) {
  bool was_phi = hmir_is_phi(i);
  i->op = HMIR_COPY;
  _hmir_ops_resize(f, i, 1);
  i->nops = 1;
  i->ops[0] = v;
  if (was_phi) {
    hmir_block_t* b = i->block;
    _hmir_unlink(i);
    _hmir_insert_after_phis(b, i);
  }
}

// ----- Edges -----
void _hmir_add_pred(hmir_func_t* f, hmir_block_t* b, hmir_block_t* pred) {
  if (b->npreds == b->cpreds) {
    uint32_t ncap = b->cpreds ? b->cpreds * 2 : 2;
    b->preds = _hmir_grow(f, b->preds, b->npreds * sizeof *b->preds, ncap * sizeof *b->preds, HMIR_SITE("mir.preds"));
    b->cpreds = ncap;
  }
  b->preds[b->npreds++] = pred;
}

int _hmir_pred_index(const hmir_block_t* b, const hmir_block_t* pred) {
  for (uint32_t k = 0; k < b->npreds; k++) {
    if (b->preds[k] == pred) return (int)k;
  }
  return -1;
}

void _hmir_remove_pred_at(hmir_block_t* b, uint32_t k) {
  for (uint32_t j = k + 1; j < b->npreds; j++) b->preds[j - 1] = b->preds[j];
  b->npreds--;
  for (hmir_instr_t* i = b->first; i && hmir_is_phi(i); i = i->next) {
    for (uint32_t j = k + 1; j < i->nops; j++) i->ops[j - 1] = i->ops[j];
    i->nops--;
  }
}

void _hmir_terminate(hmir_func_t* f, hmir_block_t* b, hmir_instr_t* t, hmir_block_t* s0, hmir_block_t* s1) {
  _hmir_append(b, t);
  b->nsucc = 0;
  if (s0) {
    b->succ[b->nsucc++] = s0;
    _hmir_add_pred(f, s0, b);
  }
  if (s1) {
    b->succ[b->nsucc++] = s1;
    _hmir_add_pred(f, s1, b);
  }
}
