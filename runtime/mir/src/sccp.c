/* sccp.c: sparse conditional constant propagation (Wegman & Zadeck).

   Every value starts at TOP ("no value seen"), only the entry block is
   executable, and sweeps over the blocks in reverse post-order lower values
   (TOP -> constant -> BOTTOM) and mark edges executable until nothing moves:
   - a phi meets only the operands of executable edges, so a value that is
     constant on every path that can run stays constant;
   - foldable ops on constants are evaluated by fold.c (never when they would
     fail at run time);
   - a branch on a constant makes only one edge executable.
   The sweeps are a dense formulation of the worklist algorithm: same
   results, no use lists; a loop needs one more sweep per nesting level.
   Then every value found constant becomes a CONST in place (phis included),
   which is the propagation: its users now read a constant. Branches whose
   condition became constant are folded by the cfg pass. */
#include "mir_internal.h"

typedef struct hmir_sccp_s {
  hmir_func_t* f;
  hmir_lattice_t* lat;   // per value id
  uint8_t* exec;         // per block id: 1 when executable
  uint8_t* edges;        // per block id: bit k when succ[k] is executable
  bool changed;
} hmir_sccp_t;

static void hmir_lower_to(hmir_sccp_t* s, hmir_instr_t* i, const hmir_lattice_t* v) {
  hmir_lattice_t* old = &s->lat[i->id];
  if (v->state == HMIR_LAT_TOP || _hmir_lat_same(old, v)) return;
  if (old->state == HMIR_LAT_BOTTOM) return;  // cannot go lower
  if (old->state == HMIR_LAT_CONST && v->state != HMIR_LAT_BOTTOM) {
    old->state = HMIR_LAT_BOTTOM;  // a second, different constant
  } else {
    *old = *v;
  }
  s->changed = true;
}

static bool hmir_edge_exec(const hmir_sccp_t* s, const hmir_block_t* p, const hmir_block_t* b) {
  if (!s->exec[p->id]) return false;
  for (uint32_t k = 0; k < p->nsucc; k++) {
    if (p->succ[k] == b && (s->edges[p->id] & (1u << k))) return true;
  }
  return false;
}

static void hmir_meet(hmir_lattice_t* acc, const hmir_lattice_t* v) {
  if (v->state == HMIR_LAT_TOP || acc->state == HMIR_LAT_BOTTOM) return;
  if (acc->state == HMIR_LAT_TOP || v->state == HMIR_LAT_BOTTOM) {
    *acc = *v;
  } else if (!_hmir_lat_same(acc, v)) {
    acc->state = HMIR_LAT_BOTTOM;
  }
}

static void hmir_sccp_eval(hmir_sccp_t* s, hmir_instr_t* i, hmir_lattice_t* out) {
  memset(out, 0, sizeof *out);
  const hmir_opinfo_t* info = hmir_info(i);
  if (i->op == HMIR_CONST) {
    _hmir_lat_of_const(i, out);
  } else if (i->op == HMIR_PHI) {
    for (uint32_t k = 0; k < i->nops; k++) {
      if (hmir_edge_exec(s, i->block->preds[k], i->block)) hmir_meet(out, &s->lat[i->ops[k]->id]);
    }
  } else if (i->op == HMIR_COPY) {
    *out = s->lat[i->ops[0]->id];
  } else if (info->flags & HMIR_F_FOLD) {
    const hmir_lattice_t* a = &s->lat[i->ops[0]->id];
    const hmir_lattice_t* b = i->nops > 1 ? &s->lat[i->ops[1]->id] : a;
    if (a->state == HMIR_LAT_TOP || b->state == HMIR_LAT_TOP) return;  // TOP: wait
    if (a->state == HMIR_LAT_CONST && b->state == HMIR_LAT_CONST && _hmir_fold(s->f, (hmir_op_t)i->op, a, b, out)) return;
    out->state = HMIR_LAT_BOTTOM;
  } else {
    out->state = HMIR_LAT_BOTTOM;
  }
}

// Marks the successors the terminator of b can take.
static void hmir_sccp_term(hmir_sccp_t* s, hmir_block_t* b) {
  const hmir_instr_t* t = b->last;
  uint8_t bits = 0;
  if (t->op == HMIR_BR) {
    const hmir_lattice_t* c = &s->lat[t->ops[0]->id];
    if (c->state == HMIR_LAT_CONST) bits = _hmir_lat_truthy(c) ? 1 : 2;
    else if (c->state == HMIR_LAT_BOTTOM) bits = 3;
  } else {
    bits = (uint8_t)((1u << b->nsucc) - 1);
  }
  if ((s->edges[b->id] | bits) != s->edges[b->id]) {
    s->edges[b->id] |= bits;
    s->changed = true;
  }
  for (uint32_t k = 0; k < b->nsucc; k++) {
    if ((bits & (1u << k)) && !s->exec[b->succ[k]->id]) {
      s->exec[b->succ[k]->id] = 1;
      s->changed = true;
    }
  }
}

// Rewrites constant values as CONSTs; returns whether anything changed.
static bool hmir_sccp_rewrite(hmir_sccp_t* s) {
  bool changed = false;
  hmir_foreach_block(s->f, b) {
    if (!s->exec[b->id]) continue;
    hmir_foreach_instr_safe(b, i, nx) {
      if (i->op == HMIR_CONST || s->lat[i->id].state != HMIR_LAT_CONST) continue;
      if (i->op != HMIR_PHI && i->op != HMIR_COPY && !(hmir_info(i)->flags & HMIR_F_FOLD)) continue;
      _hmir_make_const(i, &s->lat[i->id]);
      changed = true;
    }
  }
  return changed;
}

int _hmir_sccp(hmir_func_t* f) {
  hmir_sccp_t s;
  s.f = f;
  s.lat = _hmir_alloc(f, (f->next_id + 1) * sizeof *s.lat, HMIR_SITE("mir.pass"));
  memset(s.lat, 0, (f->next_id + 1) * sizeof *s.lat);
  s.exec = _hmir_alloc(f, f->next_block + 1, HMIR_SITE("mir.pass"));
  s.edges = _hmir_alloc(f, f->next_block + 1, HMIR_SITE("mir.pass"));
  memset(s.exec, 0, f->next_block + 1);
  memset(s.edges, 0, f->next_block + 1);
  uint32_t n;
  hmir_block_t** order = _hmir_rpo(f, &n);
  s.exec[f->entry->id] = 1;
  do {
    s.changed = false;
    for (uint32_t k = 0; k < n; k++) {
      hmir_block_t* b = order[k];
      if (!s.exec[b->id]) continue;
      hmir_foreach_instr(b, i) {
        if (!hmir_has_value(i)) continue;
        hmir_lattice_t v;
        hmir_sccp_eval(&s, i, &v);
        hmir_lower_to(&s, i, &v);
      }
      hmir_sccp_term(&s, b);
    }
  } while (s.changed);
  return hmir_sccp_rewrite(&s);
}
