/* cfg.c: CFG simplification.

   Repeats, until none applies:
   1. fold branches: `br` on a CONST becomes `jmp` to the side it takes (the
      other successor loses this predecessor and its phi operands); `br c,
      X, X` becomes `jmp X` when X's phis agree on both edges;
   2. remove blocks not reachable from the entry (their successors lose
      them as predecessors);
   3. merge a block into its predecessor when that predecessor ends in `jmp`
      to it and is its only predecessor (its phis, one operand each, become
      copies for copyprop);
   4. remove empty blocks (nothing but `jmp S`): each predecessor P jumps to
      S directly, and S's phis take for P the value they took for the empty
      block, unless P already reaches S with a different value.
   Loop terminators (forprep, forloop, iterprep, iternext) are retargeted
   like any other; the lowering lays out blocks and adds jumps as needed. */
#include "mir_internal.h"

// Replaces the terminator of b by `jmp to` (b keeps only that successor).
static void hmir_to_jump(hmir_block_t* b, hmir_block_t* to) {
  hmir_instr_t* t = b->last;
  t->op = HMIR_JMP;
  t->nops = 0;
  b->succ[0] = to;
  b->nsucc = 1;
}

// Do all phis of s take the same value on its predecessor edges k1 and k2?
static bool hmir_phis_agree(const hmir_block_t* s, uint32_t k1, uint32_t k2) {
  for (const hmir_instr_t* i = s->first; i && hmir_is_phi(i); i = i->next) {
    if (i->ops[k1] != i->ops[k2]) return false;
  }
  return true;
}

static bool hmir_fold_branch(hmir_block_t* b) {
  hmir_instr_t* t = b->last;
  if (t->op != HMIR_BR) return false;
  hmir_block_t *s0 = b->succ[0], *s1 = b->succ[1];
  if (s0 == s1) {
    int k1 = _hmir_pred_index(s0, b), k2 = -1;
    for (uint32_t k = (uint32_t)k1 + 1; k < s0->npreds; k++) {
      if (s0->preds[k] == b) k2 = (int)k;
    }
    if (k2 < 0 || !hmir_phis_agree(s0, (uint32_t)k1, (uint32_t)k2)) return false;
    _hmir_remove_pred_at(s0, (uint32_t)k2);
    hmir_to_jump(b, s0);
    return true;
  }
  const hmir_instr_t* c = t->ops[0];
  if (c->op != HMIR_CONST) return false;
  hmir_lattice_t lat;
  _hmir_lat_of_const(c, &lat);
  hmir_block_t* taken = _hmir_lat_truthy(&lat) ? s0 : s1;
  hmir_block_t* dropped = taken == s0 ? s1 : s0;
  _hmir_remove_pred_at(dropped, (uint32_t)_hmir_pred_index(dropped, b));
  hmir_to_jump(b, taken);
  return true;
}

// Removes b's edges to its successors and b from the layout.
static void hmir_delete_block(hmir_func_t* f, hmir_block_t* b) {
  for (uint32_t k = 0; k < b->nsucc; k++) {
    hmir_block_t* s = b->succ[k];
    int at = _hmir_pred_index(s, b);
    if (at >= 0) _hmir_remove_pred_at(s, (uint32_t)at);
  }
  b->nsucc = 0;
  _hmir_block_unlink(f, b);
}

static bool hmir_remove_unreachable(hmir_func_t* f) {
  uint32_t n;
  _hmir_rpo(f, &n);
  if (n == f->nblocks) return false;
  for (hmir_block_t *b = f->first, *nx; b; b = nx) {
    nx = b->next;
    if (b->rpo == UINT32_MAX) hmir_delete_block(f, b);
  }
  return true;
}

// Appends s's instructions to b (b ends in jmp s; s has b as only predecessor).
static void hmir_merge_into(hmir_func_t* f, hmir_block_t* b, hmir_block_t* s) {
  _hmir_unlink(b->last);  // the jmp
  hmir_foreach_instr_safe(s, i, nx) {
    _hmir_unlink(i);
    if (hmir_is_phi(i)) i->op = HMIR_COPY;  // a single-operand phi is a copy
    _hmir_append(b, i);
  }
  b->nsucc = s->nsucc;
  for (uint32_t k = 0; k < s->nsucc; k++) {
    hmir_block_t* t = s->succ[k];
    b->succ[k] = t;
    for (uint32_t p = 0; p < t->npreds; p++) {
      if (t->preds[p] == s) t->preds[p] = b;
    }
  }
  s->nsucc = 0;
  s->npreds = 0;
  _hmir_block_unlink(f, s);
}

static bool hmir_merge_blocks(hmir_func_t* f) {
  bool changed = false;
  hmir_foreach_block(f, b) {
    while (b->last->op == HMIR_JMP) {
      hmir_block_t* s = b->succ[0];
      if (s == b || s == f->entry || s->npreds != 1) break;
      hmir_merge_into(f, b, s);
      changed = true;
    }
  }
  return changed;
}

// Can predecessor p of empty block e jump straight to s = e's successor?
static bool hmir_can_bypass(const hmir_block_t* e, const hmir_block_t* p, const hmir_block_t* s) {
  int ke = _hmir_pred_index(s, e), kp = _hmir_pred_index(s, p);
  if (kp < 0) return true;
  return hmir_phis_agree(s, (uint32_t)ke, (uint32_t)kp);
}

// p jumps to s instead of e; s's phis take for p what they took for e.
static void hmir_bypass(hmir_func_t* f, hmir_block_t* e, uint32_t pk, hmir_block_t* s) {
  hmir_block_t* p = e->preds[pk];
  uint32_t ke = (uint32_t)_hmir_pred_index(s, e);
  for (uint32_t k = 0; k < p->nsucc; k++) {
    if (p->succ[k] != e) continue;
    p->succ[k] = s;
    _hmir_add_pred(f, s, p);
    for (hmir_instr_t* i = s->first; i && hmir_is_phi(i); i = i->next) _hmir_phi_add(f, i, i->ops[ke]);
  }
  for (uint32_t k = e->npreds; k-- > 0;) {  // every edge p -> e is gone
    if (e->preds[k] == p) _hmir_remove_pred_at(e, k);
  }
}

static bool hmir_remove_empty(hmir_func_t* f) {
  bool changed = false;
  for (hmir_block_t *e = f->first, *nx; e; e = nx) {
    nx = e->next;
    if (e == f->entry || e->first != e->last || e->last->op != HMIR_JMP || e->succ[0] == e) continue;
    hmir_block_t* s = e->succ[0];
    for (uint32_t k = e->npreds; k-- > 0;) {
      if (k < e->npreds && hmir_can_bypass(e, e->preds[k], s)) {
        hmir_bypass(f, e, k, s);
        changed = true;
      }
    }
    if (e->npreds == 0) hmir_delete_block(f, e);
  }
  return changed;
}

int _hmir_cfg(hmir_func_t* f) {
  int changed = 0;
  bool again = true;
  while (again) {
    again = false;
    hmir_foreach_block(f, b) again |= hmir_fold_branch(b);
    again |= hmir_remove_unreachable(f);
    again |= hmir_merge_blocks(f);
    again |= hmir_remove_empty(f);
    changed |= again;
  }
  return changed;
}
