/* verify.c: the MIR verifier.

   Runs after the builder and after every pass in debug builds and tests
   (hmir_options_t.verify). It checks, in this order, and stops at the first
   violation with a message naming function, block and value (by id):
   - layout: the entry is first and has no predecessors; links are consistent;
     f->nblocks counts the list;
   - blocks: not empty, one terminator and only at the end, phis only first,
     successor count fits the terminator, and the succ/pred lists mirror each
     other edge for edge;
   - instructions: operand counts fit the op, every operand is a live value of
     this function, phis have one operand per predecessor, loop ops name the
     right state (forvar/forloop a forprep, itervar/iternext an iterprep);
   - SSA: in reachable blocks, every definition dominates its uses (a phi's
     operand k: the end of predecessor k). Unreachable blocks are allowed
     (the cfg pass removes them) but must be well-formed. */
#include "mir_internal.h"

typedef struct hmir_verifier_s {
  const hmir_func_t* f;
  char* err;
  size_t errlen;
  int failed;
} hmir_verifier_t;

static bool hmir_vfail(hmir_verifier_t* v, const hmir_block_t* b, const hmir_instr_t* i, const char* what) {
  if (v->failed) return false;
  v->failed = 1;
  if (v->err && v->errlen) {
    if (i) {
      snprintf(v->err, v->errlen, "mir verify: fn %s: block %u: value %u (%s): %s", v->f->name, b ? b->id : 0, i->id,
               _hmir_opinfo[i->op < HMIR_OP_COUNT ? i->op : 0].name, what);
    } else {
      snprintf(v->err, v->errlen, "mir verify: fn %s: block %u: %s", v->f->name, b ? b->id : 0, what);
    }
  }
  return false;
}

static unsigned hmir_succ_count(hmir_op_t op) {
  switch (op) {
    case HMIR_JMP: case HMIR_ITERPREP: return 1;
    case HMIR_BR: case HMIR_FORPREP: case HMIR_FORLOOP: case HMIR_ITERNEXT: return 2;
    default: return 0;
  }
}

static uint32_t hmir_count_edges(const hmir_block_t* from, const hmir_block_t* to) {
  uint32_t n = 0;
  for (uint32_t k = 0; k < from->nsucc; k++) n += from->succ[k] == to;
  return n;
}

static uint32_t hmir_count_preds(const hmir_block_t* b, const hmir_block_t* pred) {
  uint32_t n = 0;
  for (uint32_t k = 0; k < b->npreds; k++) n += b->preds[k] == pred;
  return n;
}

// Marks the blocks of the layout (mark = 1) and checks the list itself.
static bool hmir_verify_layout(hmir_verifier_t* v, hmir_func_t* f) {
  if (f->first == NULL || f->entry != f->first) return hmir_vfail(v, NULL, NULL, "entry block is not the first block");
  if (f->entry->npreds) return hmir_vfail(v, f->entry, NULL, "entry block has predecessors");
  uint32_t n = 0;
  hmir_block_t* prev = NULL;
  hmir_foreach_block(f, b) {
    if (b->prev != prev) return hmir_vfail(v, b, NULL, "broken block list");
    if (b->id >= f->next_block) return hmir_vfail(v, b, NULL, "block id out of range");
    b->mark = 1;
    prev = b;
    n++;
  }
  if (prev != f->last || n != f->nblocks) return hmir_vfail(v, NULL, NULL, "block count or last block wrong");
  return true;
}

static bool hmir_verify_edges(hmir_verifier_t* v, hmir_block_t* b) {
  if (b->nsucc != hmir_succ_count((hmir_op_t)b->last->op)) return hmir_vfail(v, b, b->last, "successor count does not fit the terminator");
  for (uint32_t k = 0; k < b->nsucc; k++) {
    const hmir_block_t* s = b->succ[k];
    if (s == NULL || s->mark != 1) return hmir_vfail(v, b, NULL, "successor is not a block of the function");
    if (hmir_count_preds(s, b) != hmir_count_edges(b, s)) return hmir_vfail(v, b, NULL, "successor does not list it as predecessor");
  }
  for (uint32_t k = 0; k < b->npreds; k++) {
    const hmir_block_t* p = b->preds[k];
    if (p == NULL || p->mark != 1) return hmir_vfail(v, b, NULL, "predecessor is not a block of the function");
    if (hmir_count_edges(p, b) != hmir_count_preds(b, p)) return hmir_vfail(v, b, NULL, "predecessor does not list it as successor");
  }
  return true;
}

static bool hmir_verify_operand(hmir_verifier_t* v, const hmir_block_t* b, const hmir_instr_t* i, const hmir_instr_t* o) {
  if (o == NULL) return hmir_vfail(v, b, i, "missing operand");
  if (o->block == NULL || o->block->mark != 1) return hmir_vfail(v, b, i, "operand is not a live instruction of the function");
  if (!hmir_has_value(o)) return hmir_vfail(v, b, i, "operand defines no value");
  if (o->id >= v->f->next_id) return hmir_vfail(v, b, i, "operand id out of range");
  return true;
}

static bool hmir_verify_loop_op(hmir_verifier_t* v, const hmir_block_t* b, const hmir_instr_t* i) {
  hmir_op_t want = i->op == HMIR_FORVAR || i->op == HMIR_FORLOOP ? HMIR_FORPREP : HMIR_ITERPREP;
  if (i->ops[0]->op != want) return hmir_vfail(v, b, i, "loop operation on something that is not its loop state");
  return true;
}

static bool hmir_verify_instr(hmir_verifier_t* v, const hmir_block_t* b, const hmir_instr_t* i) {
  const hmir_opinfo_t* info = hmir_info(i);
  if (i->block != b) return hmir_vfail(v, b, i, "instruction does not point at its block");
  if (info->nops >= 0 && i->nops != (uint32_t)info->nops) return hmir_vfail(v, b, i, "wrong operand count");
  if (i->op == HMIR_PHI && i->nops != b->npreds) return hmir_vfail(v, b, i, "phi operand count differs from predecessor count");
  if (i->op == HMIR_CALL && i->nops < 1) return hmir_vfail(v, b, i, "call without callee");
  if (i->op == HMIR_MAP && i->nops % 2) return hmir_vfail(v, b, i, "map with an odd operand count");
  if ((i->op == HMIR_CALLBI || i->op == HMIR_BUILTIN) && i->imm.index >= HBC_BI_COUNT) return hmir_vfail(v, b, i, "bad builtin id");
  if (i->op == HMIR_CONST && i->ckind > HMIR_C_STR) return hmir_vfail(v, b, i, "bad constant kind");
  if (i->nops > i->cops) return hmir_vfail(v, b, i, "more operands than capacity");
  for (uint32_t k = 0; k < i->nops; k++) {
    if (!hmir_verify_operand(v, b, i, i->ops[k])) return false;
  }
  if (i->op == HMIR_FORVAR || i->op == HMIR_FORLOOP || i->op == HMIR_ITERVAR || i->op == HMIR_ITERNEXT) {
    return hmir_verify_loop_op(v, b, i);
  }
  return true;
}

static bool hmir_verify_block(hmir_verifier_t* v, hmir_block_t* b) {
  if (b->first == NULL || b->last == NULL) return hmir_vfail(v, b, NULL, "empty block");
  if (!hmir_is_term(b->last)) return hmir_vfail(v, b, b->last, "block does not end in a terminator");
  bool phis = true;
  const hmir_instr_t* prev = NULL;
  hmir_foreach_instr(b, i) {
    if (i->prev != prev) return hmir_vfail(v, b, i, "broken instruction list");
    if (i->op >= HMIR_OP_COUNT) return hmir_vfail(v, b, i, "bad opcode");
    if (hmir_is_term(i) && i != b->last) return hmir_vfail(v, b, i, "terminator in the middle of a block");
    if (hmir_is_phi(i) && !phis) return hmir_vfail(v, b, i, "phi after a non-phi instruction");
    phis = phis && hmir_is_phi(i);
    if (!hmir_verify_instr(v, b, i)) return false;
    prev = i;
  }
  return hmir_verify_edges(v, b);
}

// Does the definition d come before the use point (instruction u of block b,
// or the end of b when u is NULL)?
static bool hmir_def_reaches(const hmir_instr_t* d, const hmir_block_t* b, const hmir_instr_t* u) {
  if (d->block != b) return _hmir_dominates(d->block, b);
  if (u == NULL) return true;  // the end of b: anything in b reaches it, a terminator's own value included
  for (const hmir_instr_t* x = d->next; x; x = x->next) {
    if (x == u) return true;
  }
  return false;
}

static bool hmir_verify_ssa(hmir_verifier_t* v, hmir_block_t** order, uint32_t n) {
  for (uint32_t k = 0; k < n; k++) {
    hmir_block_t* b = order[k];
    hmir_foreach_instr(b, i) {
      for (uint32_t o = 0; o < i->nops; o++) {
        const hmir_instr_t* d = i->ops[o];
        if (hmir_is_phi(i) && b->preds[o]->rpo == UINT32_MAX) continue;  // a dead edge: anything goes
        if (d->block->rpo == UINT32_MAX) return hmir_vfail(v, b, i, "operand defined in an unreachable block");
        bool ok = hmir_is_phi(i) ? hmir_def_reaches(d, b->preds[o], NULL) : hmir_def_reaches(d, b, i);
        if (!ok) return hmir_vfail(v, b, i, "operand does not dominate its use");
      }
    }
  }
  return true;
}

int hmir_verify(const hmir_func_t* cf, char* err, size_t errlen) {
  if (cf == NULL) return -1;
  hmir_func_t* f = (hmir_func_t*)cf;  // the analyses write rpo/idom/mark scratch
  hmir_verifier_t v = {cf, err, errlen, 0};
  if (err && errlen) err[0] = 0;
  jmp_buf oom;
  jmp_buf* saved = f->mem.oom;
  f->mem.oom = &oom;
  if (setjmp(oom)) {
    f->mem.oom = saved;
    if (err && errlen) snprintf(err, errlen, "mir verify: out of memory");
    return -2;
  }
  hmir_foreach_block(f, b) b->mark = 0;
  bool ok = hmir_verify_layout(&v, f);
  if (ok) {
    hmir_foreach_block(f, b) {
      if (!(ok = hmir_verify_block(&v, b))) break;
    }
  }
  if (ok) {
    uint32_t n;
    hmir_block_t** order = _hmir_rpo(f, &n);  // resets mark: the checks that need it are done
    _hmir_dominators(order, n);
    hmir_foreach_block(f, b) b->mark = 1;
    ok = hmir_verify_ssa(&v, order, n);
  }
  f->mem.oom = saved;
  return ok ? 0 : -1;
}
