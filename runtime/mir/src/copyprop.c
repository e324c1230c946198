/* copyprop.c: copy propagation.

   A `copy v` and a trivial phi (every operand is v or the phi itself) are
   the value v: each gets a forwarding entry, operands of every instruction
   are rewritten through the forwarding table (with path compression), and
   the forwarded instructions are removed. Removing a phi can make another
   trivial (phi(x, phi_y) with phi_y == x), so it repeats until no new
   forwarding appears. v dominates the trivial phi (in SSA, the first entry
   into its block comes through an edge carrying v), so the result stays SSA. */
#include "mir_internal.h"

static hmir_instr_t* hmir_find(hmir_instr_t** repl, hmir_instr_t* v) {
  hmir_instr_t* r = v;
  while (repl[r->id]) r = repl[r->id];
  while (repl[v->id] && repl[v->id] != r) {  // path compression
    hmir_instr_t* next = repl[v->id];
    repl[v->id] = r;
    v = next;
  }
  return r;
}

// The single value a phi stands for, or NULL when it is not trivial.
static hmir_instr_t* hmir_trivial_phi(hmir_instr_t** repl, hmir_instr_t* phi) {
  hmir_instr_t* same = NULL;
  for (uint32_t k = 0; k < phi->nops; k++) {
    hmir_instr_t* o = hmir_find(repl, phi->ops[k]);
    if (o == phi || o == same) continue;
    if (same) return NULL;
    same = o;
  }
  return same;  // NULL too when the phi only refers to itself (dead code)
}

// One round: finds forwardings; returns how many were new.
static uint32_t hmir_copyprop_find(hmir_func_t* f, hmir_instr_t** repl) {
  uint32_t found = 0;
  hmir_foreach_block(f, b) {
    hmir_foreach_instr(b, i) {
      if (repl[i->id]) continue;
      hmir_instr_t* to = NULL;
      if (i->op == HMIR_COPY) to = hmir_find(repl, i->ops[0]);
      else if (i->op == HMIR_PHI) to = hmir_trivial_phi(repl, i);
      if (to && to != i) {
        repl[i->id] = to;
        found++;
      }
    }
  }
  return found;
}

int _hmir_copyprop(hmir_func_t* f) {
  hmir_instr_t** repl = _hmir_alloc(f, (f->next_id + 1) * sizeof *repl, HMIR_SITE("mir.pass"));
  memset(repl, 0, (f->next_id + 1) * sizeof *repl);
  uint32_t total = 0, found;
  while ((found = hmir_copyprop_find(f, repl)) > 0) total += found;
  if (total == 0) return 0;
  hmir_foreach_block(f, b) {
    hmir_foreach_instr_safe(b, i, nx) {
      if (repl[i->id]) {
        _hmir_unlink(i);
        continue;
      }
      for (uint32_t k = 0; k < i->nops; k++) i->ops[k] = hmir_find(repl, i->ops[k]);
    }
  }
  return 1;
}
