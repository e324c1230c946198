/* regalloc.c: register allocation on SSA form.

   1. Classify values (vkind): constants and function references are
      rematerialized where needed (never live); a comparison used only by
      the branch right after it is fused into a compare-and-jump; the rest
      (REG) need a register. Loop states need consecutive groups: forprep 4
      (start, limit, step, counter), iterprep 3 (collection, cursor, item);
      forvar/itervar read the group's last register in place (width 0),
      except a forvar whose value is still needed on an edge leaving its
      forloop (the forloop overwrites that register): it gets a copy.
   2. Liveness by path exploration (Boissinot et al.): from every use, walk
      up the predecessors to the definition, adding the value to live_in and
      live_out sets; a phi operand is a use at the end of its predecessor.
      Sets are arrays of ids, as large as the liveness itself. Then one
      backward walk per block marks the operand slots where a value dies.
   3. Coloring in dominator-tree preorder: at each block the registers of
      live_in are taken; phis, then each definition, get the lowest free
      register (preferring a hint: the register of the phi a value feeds, or
      of a phi's operand, so most phi copies disappear). The interference
      graph of SSA is chordal and this order colors it with as many registers
      as values are live at once, the minimum. Call arguments go to a window
      of consecutive free registers chosen at the call. No spilling: more
      than 256 live values is a limit error. */
#include "mir_internal.h"

#define HMIR_NREGS HBC_MAXREGS

// ----- Sets of ids -----
void _hmir_ids_add(hmir_func_t* f, hmir_ids_t* s, uint32_t id) {
  if (s->n == s->cap) {
    uint32_t ncap = s->cap ? s->cap * 2 : 8;
    s->v = _hmir_grow(f, s->v, s->n * sizeof *s->v, ncap * sizeof *s->v, HMIR_SITE("mir.live"));
    s->cap = ncap;
  }
  s->v[s->n++] = id;
}

// ----- 1. Classification -----
static hmir_vkind_t hmir_classify(const hmir_lower_t* lw, const hmir_instr_t* i) {
  if (!hmir_has_value(i)) return HMIR_V_NONE;
  switch (i->op) {
    case HMIR_CONST: case HMIR_FNREF: case HMIR_BUILTIN: case HMIR_EXTREF: return HMIR_V_REMAT;
    default: break;
  }
  if (hmir_is_cmp(i) && lw->nuses[i->id] == 1 && i->next && i->next->op == HMIR_BR && i->next->ops[0] == i) return HMIR_V_FUSED;
  return HMIR_V_REG;
}

static void hmir_count_uses(hmir_lower_t* lw) {
  for (uint32_t b = 0; b < lw->norder; b++) {
    hmir_block_t* blk = lw->order[b];
    hmir_foreach_instr(blk, i) {
      for (uint32_t k = 0; k < i->nops; k++) {
        if (hmir_is_phi(i) && blk->preds[k]->rpo == UINT32_MAX) continue;  // an edge never taken
        lw->nuses[i->ops[k]->id]++;
      }
    }
  }
}

// Gives every instruction its first operand slot; returns the slot count.
static uint32_t hmir_number_slots(hmir_lower_t* lw) {
  uint32_t n = 0;
  for (uint32_t b = 0; b < lw->norder; b++) {
    hmir_foreach_instr(lw->order[b], i) {
      lw->slot[i->id] = n;
      n += i->nops;
    }
  }
  return n;
}

static void hmir_classify_all(hmir_lower_t* lw) {
  for (uint32_t b = 0; b < lw->norder; b++) {
    hmir_foreach_instr(lw->order[b], i) {
      lw->vkind[i->id] = (uint8_t)hmir_classify(lw, i);
      lw->val[i->id] = i;
      lw->width[i->id] = i->op == HMIR_FORPREP ? 4 : i->op == HMIR_ITERPREP ? 3 : i->op == HMIR_ITERVAR ? 0 : 1;
      if (hmir_is_phi(i)) {
        for (uint32_t k = 0; k < i->nops; k++) {
          if (lw->phi_of[i->ops[k]->id] == NULL) lw->phi_of[i->ops[k]->id] = i;
        }
      }
    }
  }
}

// A forvar reads the counter register of its group in place (width 0)
// unless its value must survive its forloop, which overwrites that register:
// it is then a phi operand on an edge leaving a forloop of the same state (a
// forvar cannot be live out of the loop otherwise: the exit is not dominated
// by the body). Then it gets a register of its own and a copy.
static bool hmir_forvar_escapes(const hmir_lower_t* lw, const hmir_instr_t* fv) {
  for (uint32_t b = 0; b < lw->norder; b++) {
    const hmir_block_t* latch = lw->order[b];
    if (latch->last->op != HMIR_FORLOOP || latch->last->ops[0] != fv->ops[0]) continue;
    for (uint32_t s = 0; s < latch->nsucc; s++) {
      const hmir_block_t* succ = latch->succ[s];
      for (uint32_t k = 0; k < succ->npreds; k++) {
        if (succ->preds[k] != latch) continue;
        for (const hmir_instr_t* p = succ->first; p && hmir_is_phi(p); p = p->next) {
          if (p->ops[k] == fv) return true;
        }
      }
    }
  }
  return false;
}

static void hmir_loopvar_widths(hmir_lower_t* lw) {
  for (uint32_t b = 0; b < lw->norder; b++) {
    hmir_foreach_instr(lw->order[b], i) {
      if (i->op == HMIR_ITERVAR) lw->width[i->id] = 0;
      if (i->op == HMIR_FORVAR) lw->width[i->id] = hmir_forvar_escapes(lw, i) ? 1 : 0;
    }
  }
}

// The value whose register v lives in: its loop state for an in-place
// forvar/itervar, else v itself. Liveness is computed for owners, so a loop
// state stays live (and its group reserved) while its counter or item is.
static const hmir_instr_t* hmir_owner(const hmir_lower_t* lw, const hmir_instr_t* v) {
  return lw->width[v->id] == 0 && (v->op == HMIR_FORVAR || v->op == HMIR_ITERVAR) ? v->ops[0] : v;
}

// ----- 2. Liveness -----
typedef struct hmir_use_s {
  hmir_instr_t* user;
  uint32_t k;  // operand index
} hmir_use_t;

// Walks up from block b, where v is live at entry, to v's definition.
static void hmir_live_up(hmir_lower_t* lw, hmir_block_t* b, const hmir_instr_t* v, hmir_block_t** stack, uint32_t* marks) {
  uint32_t sp = 0, tag = v->id + 1;
  stack[sp++] = b;
  while (sp) {
    hmir_block_t* x = stack[--sp];
    if (x == v->block || marks[2 * x->id] == tag) continue;  // defined here (phis too), or done
    marks[2 * x->id] = tag;
    _hmir_ids_add(lw->f, &lw->live_in[x->id], v->id);
    for (uint32_t p = 0; p < x->npreds; p++) {
      hmir_block_t* pb = x->preds[p];
      if (pb->rpo == UINT32_MAX) continue;
      if (marks[2 * pb->id + 1] != tag) {
        marks[2 * pb->id + 1] = tag;
        _hmir_ids_add(lw->f, &lw->live_out[pb->id], v->id);
      }
      stack[sp++] = pb;
    }
  }
}

static void hmir_liveness(hmir_lower_t* lw, hmir_use_t* uses, uint32_t* first) {
  hmir_func_t* f = lw->f;
  uint32_t* marks = _hmir_alloc(f, (2 * f->next_block + 2) * sizeof *marks, HMIR_SITE("mir.live"));
  memset(marks, 0, (2 * f->next_block + 2) * sizeof *marks);
  // every block is expanded once and pushes its predecessors: edges + 1 entries
  hmir_block_t** stack = _hmir_alloc(f, (f->nblocks * 2 + 8) * sizeof *stack, HMIR_SITE("mir.live"));
  for (uint32_t b = 0; b < lw->norder; b++) {
    hmir_foreach_instr(lw->order[b], v) {
      if (lw->vkind[v->id] != HMIR_V_REG || hmir_owner(lw, v) != v) continue;
      uint32_t tag = v->id + 1;
      for (uint32_t u = first[v->id]; u < first[v->id + 1]; u++) {
        hmir_instr_t* user = uses[u].user;
        hmir_block_t* ub = user->block;
        if (hmir_is_phi(user)) {  // live at the end of the predecessor
          hmir_block_t* pb = ub->preds[uses[u].k];
          if (marks[2 * pb->id + 1] != tag) {
            marks[2 * pb->id + 1] = tag;
            _hmir_ids_add(f, &lw->live_out[pb->id], v->id);
          }
          if (pb != v->block) hmir_live_up(lw, pb, v, stack, marks);
        } else if (ub != v->block) {
          hmir_live_up(lw, ub, v, stack, marks);
        }
      }
    }
  }
}

// The use lists of REG values (reachable code only), grouped by value; a use
// of an in-place loop variable counts as a use of its loop state.
static hmir_use_t* hmir_collect_uses(hmir_lower_t* lw, uint32_t** first_out) {
  hmir_func_t* f = lw->f;
  uint32_t* first = _hmir_alloc(f, (f->next_id + 2) * sizeof *first, HMIR_SITE("mir.live"));
  memset(first, 0, (f->next_id + 2) * sizeof *first);
  for (uint32_t b = 0; b < lw->norder; b++) {  // count
    hmir_block_t* blk = lw->order[b];
    hmir_foreach_instr(blk, i) {
      for (uint32_t k = 0; k < i->nops; k++) {
        if (hmir_is_phi(i) && blk->preds[k]->rpo == UINT32_MAX) continue;
        first[hmir_owner(lw, i->ops[k])->id + 1]++;
      }
    }
  }
  for (uint32_t v = 0; v <= f->next_id; v++) first[v + 1] += first[v];
  hmir_use_t* uses = _hmir_alloc(f, (first[f->next_id] + 1) * sizeof *uses, HMIR_SITE("mir.live"));
  uint32_t* fill = _hmir_alloc(f, (f->next_id + 1) * sizeof *fill, HMIR_SITE("mir.live"));
  memcpy(fill, first, (f->next_id + 1) * sizeof *fill);
  for (uint32_t b = 0; b < lw->norder; b++) {  // fill
    hmir_block_t* blk = lw->order[b];
    hmir_foreach_instr(blk, i) {
      for (uint32_t k = 0; k < i->nops; k++) {
        if (hmir_is_phi(i) && blk->preds[k]->rpo == UINT32_MAX) continue;
        uses[fill[hmir_owner(lw, i->ops[k])->id]++] = (hmir_use_t){i, k};
      }
    }
  }
  *first_out = first;
  return uses;
}

// Marks, per block, the operand slots where a REG value is used for the last time.
static void hmir_mark_deaths(hmir_lower_t* lw) {
  hmir_func_t* f = lw->f;
  uint32_t* live = _hmir_alloc(f, (f->next_id + 1) * sizeof *live, HMIR_SITE("mir.live"));
  memset(live, 0, (f->next_id + 1) * sizeof *live);
  for (uint32_t b = 0; b < lw->norder; b++) {
    hmir_block_t* blk = lw->order[b];
    uint32_t stamp = b + 1;
    hmir_ids_t* out = &lw->live_out[blk->id];
    for (uint32_t k = 0; k < out->n; k++) live[out->v[k]] = stamp;
    for (hmir_instr_t* i = blk->last; i && !hmir_is_phi(i); i = i->prev) {
      for (uint32_t k = i->nops; k-- > 0;) {
        uint32_t id = hmir_owner(lw, i->ops[k])->id;
        if (lw->vkind[id] != HMIR_V_REG || live[id] == stamp) continue;
        live[id] = stamp;
        lw->dies[lw->slot[i->id] + k] = 1;
      }
    }
  }
}

// ----- 3. Coloring -----
typedef struct hmir_colors_s {
  const hmir_instr_t* owner[HMIR_NREGS];  // value holding each register now, NULL: free
} hmir_colors_t;

static void hmir_take(hmir_lower_t* lw, hmir_colors_t* c, const hmir_instr_t* v, int reg, int width) {
  for (int k = 0; k < width; k++) c->owner[reg + k] = v;
  if (reg + width - 1 > lw->maxreg) lw->maxreg = reg + width - 1;
}

static void hmir_release(hmir_lower_t* lw, hmir_colors_t* c, const hmir_instr_t* v) {
  int w = lw->width[v->id];
  for (int k = 0; k < w; k++) {
    if (v->reg + k < HMIR_NREGS && c->owner[v->reg + k] == v) c->owner[v->reg + k] = NULL;
  }
}

// The lowest register starting `width` free ones (hint first), or a limit error.
static int hmir_find_free(hmir_lower_t* lw, const hmir_colors_t* c, int width, int hint, uint32_t line) {
  if (hint >= 0 && hint + width <= HMIR_NREGS) {
    bool ok = true;
    for (int k = 0; k < width && ok; k++) ok = c->owner[hint + k] == NULL;
    if (ok) return hint;
  }
  for (int r = 0, run = 0; r < HMIR_NREGS; r++) {
    run = c->owner[r] ? 0 : run + 1;
    if (run == width) return r - width + 1;
  }
  _hmir_lower_fail(lw, HMIR_ERR_LIMIT, line, "function '%s' needs more than %d registers (too many values live at once)",
                   lw->f->name, HMIR_NREGS);
  return -1;
}

static int hmir_hint(const hmir_lower_t* lw, const hmir_instr_t* v) {
  if (lw->hint[v->id] >= 0) return lw->hint[v->id];
  const hmir_instr_t* p = lw->phi_of[v->id];
  if (p && p->reg >= 0) return p->reg;
  if (v->op == HMIR_COPY && v->ops[0]->reg >= 0) return v->ops[0]->reg;
  return -1;
}

static void hmir_define(hmir_lower_t* lw, hmir_colors_t* c, hmir_instr_t* v) {
  int w = lw->width[v->id];
  v->reg = (int32_t)hmir_find_free(lw, c, w, hmir_hint(lw, v), v->line);
  hmir_take(lw, c, v, v->reg, w);
  if (lw->nuses[v->id] == 0) hmir_release(lw, c, v);  // written, never read
}

static void hmir_color_phis(hmir_lower_t* lw, hmir_colors_t* c, hmir_block_t* b) {
  for (hmir_instr_t* p = b->first; p && hmir_is_phi(p); p = p->next) {
    if (lw->nuses[p->id] == 0) continue;  // a dead phi: no register, no copies
    for (uint32_t k = 0; k < p->nops && lw->hint[p->id] < 0; k++) {
      if (p->ops[k]->reg >= 0 && lw->vkind[p->ops[k]->id] == HMIR_V_REG) lw->hint[p->id] = (int16_t)p->ops[k]->reg;
    }
    hmir_define(lw, c, p);
    for (uint32_t k = 0; k < p->nops; k++) {
      if (p->ops[k]->reg < 0 && lw->hint[p->ops[k]->id] < 0) lw->hint[p->ops[k]->id] = (int16_t)p->reg;
    }
  }
}

static void hmir_free_dying(hmir_lower_t* lw, hmir_colors_t* c, const hmir_instr_t* i) {
  for (uint32_t k = 0; k < i->nops; k++) {
    if (lw->dies[lw->slot[i->id] + k]) hmir_release(lw, c, hmir_owner(lw, i->ops[k]));
  }
}

// A free register that is not an operand of i and not in [lo, hi): for
// breaking cycles of the parallel copy into a window or group.
static int16_t hmir_scratch(const hmir_colors_t* c, const hmir_instr_t* i, int lo, int hi) {
  for (int r = 0; r < HMIR_NREGS; r++) {
    if (c->owner[r] || (r >= lo && r < hi)) continue;
    bool operand = false;
    for (uint32_t k = 0; k < i->nops && !operand; k++) operand = i->ops[k]->reg == r;
    if (!operand) return (int16_t)r;
  }
  return -1;
}

// Calls, array and map literals: arguments go to consecutive registers.
static void hmir_color_window(hmir_lower_t* lw, hmir_colors_t* c, hmir_instr_t* i) {
  uint32_t n = i->nops;
  if (n > HBC_MAXARGS + (i->op == HMIR_CALL)) {
    _hmir_lower_fail(lw, HMIR_ERR_LIMIT, i->line, "a call takes at most %d arguments", HBC_MAXARGS);
  }
  hmir_free_dying(lw, c, i);
  int base = n ? hmir_find_free(lw, c, (int)n, -1, i->line) : 0;
  if (n && base + (int)n - 1 > lw->maxreg) lw->maxreg = base + (int)n - 1;
  lw->aux[i->id] = (int16_t)base;
  lw->scratch[i->id] = hmir_scratch(c, i, base, base + (int)n);
  hmir_define(lw, c, i);
}

// forprep/iterprep: the group is taken while the operands still hold their
// registers, so moving them in never overwrites a source.
static void hmir_color_group(hmir_lower_t* lw, hmir_colors_t* c, hmir_instr_t* i) {
  hmir_define(lw, c, i);
  lw->aux[i->id] = (int16_t)i->reg;
  hmir_free_dying(lw, c, i);
}

static void hmir_color_instr(hmir_lower_t* lw, hmir_colors_t* c, hmir_instr_t* i) {
  uint8_t kind = lw->vkind[i->id];
  if (hmir_is_window(i)) {
    hmir_color_window(lw, c, i);
    return;
  }
  if (i->op == HMIR_FORPREP || i->op == HMIR_ITERPREP) {
    hmir_color_group(lw, c, i);
    return;
  }
  for (uint32_t k = 0; k < i->nops; k++) {  // temporaries for constants in register positions
    uint32_t s = lw->slot[i->id] + k;
    lw->tmp[s] = -1;
    if (!_hmir_needs_temp(lw, i, k)) continue;
    lw->tmp[s] = (int16_t)hmir_find_free(lw, c, 1, -1, i->line);
    hmir_take(lw, c, i, lw->tmp[s], 1);
  }
  for (uint32_t k = 0; k < i->nops; k++) {
    int16_t t = lw->tmp[lw->slot[i->id] + k];
    if (t >= 0) c->owner[t] = NULL;
  }
  hmir_free_dying(lw, c, i);
  if (kind != HMIR_V_REG) return;
  if (i->op == HMIR_PARAM) {
    if (lw->nuses[i->id] == 0) return;
    if (c->owner[i->imm.index]) _hmir_lower_fail(lw, HMIR_ERR_INTERNAL, i->line, "parameter register taken");
    i->reg = (int32_t)i->imm.index;
    hmir_take(lw, c, i, i->reg, 1);
  } else if ((i->op == HMIR_FORVAR || i->op == HMIR_ITERVAR) && lw->width[i->id] == 0) {
    i->reg = i->ops[0]->reg + (i->op == HMIR_FORVAR ? 3 : 2);  // in place, in the loop state's group
  } else {
    hmir_define(lw, c, i);
  }
}

static void hmir_color_block(hmir_lower_t* lw, hmir_block_t* b) {
  hmir_colors_t c;
  memset(&c, 0, sizeof c);
  hmir_ids_t* in = &lw->live_in[b->id];
  for (uint32_t k = 0; k < in->n; k++) {
    const hmir_instr_t* v = lw->val[in->v[k]];
    if (v->reg < 0) _hmir_lower_fail(lw, HMIR_ERR_INTERNAL, v->line, "value live before it has a register");
    hmir_take(lw, &c, v, v->reg, lw->width[v->id]);
  }
  hmir_color_phis(lw, &c, b);
  for (hmir_instr_t* i = b->first; i; i = i->next) {
    if (!hmir_is_phi(i)) hmir_color_instr(lw, &c, i);
  }
}

// Dominator-tree preorder, iteratively: definitions come before uses.
static void hmir_color_all(hmir_lower_t* lw) {
  hmir_func_t* f = lw->f;
  uint32_t n = lw->norder;
  uint32_t* nchild = _hmir_alloc(f, (f->next_block + 1) * sizeof *nchild, HMIR_SITE("mir.regalloc"));
  memset(nchild, 0, (f->next_block + 1) * sizeof *nchild);
  for (uint32_t k = 1; k < n; k++) nchild[lw->order[k]->idom->id]++;
  uint32_t* start = _hmir_alloc(f, (f->next_block + 2) * sizeof *start, HMIR_SITE("mir.regalloc"));
  for (uint32_t b = 0, acc = 0; b <= f->next_block; b++) {
    start[b] = acc;
    acc += b < f->next_block ? nchild[b] : 0;
  }
  hmir_block_t** kids = _hmir_alloc(f, (n + 1) * sizeof *kids, HMIR_SITE("mir.regalloc"));
  memset(nchild, 0, (f->next_block + 1) * sizeof *nchild);
  for (uint32_t k = 1; k < n; k++) {
    hmir_block_t* b = lw->order[k];
    kids[start[b->idom->id] + nchild[b->idom->id]++] = b;
  }
  hmir_block_t** stack = _hmir_alloc(f, (n + 1) * sizeof *stack, HMIR_SITE("mir.regalloc"));
  uint32_t sp = 0;
  stack[sp++] = lw->order[0];
  while (sp) {
    hmir_block_t* b = stack[--sp];
    hmir_color_block(lw, b);
    for (uint32_t k = nchild[b->id]; k-- > 0;) stack[sp++] = kids[start[b->id] + k];
  }
}

void _hmir_ra_run(hmir_lower_t* lw) {
  hmir_func_t* f = lw->f;
  hmir_count_uses(lw);
  hmir_classify_all(lw);
  hmir_loopvar_widths(lw);
  uint32_t nslots = hmir_number_slots(lw);
  lw->dies = _hmir_alloc(f, nslots + 1, HMIR_SITE("mir.regalloc"));
  memset(lw->dies, 0, nslots + 1);
  lw->tmp = _hmir_alloc(f, (nslots + 1) * sizeof *lw->tmp, HMIR_SITE("mir.regalloc"));
  memset(lw->tmp, 0xFF, (nslots + 1) * sizeof *lw->tmp);
  uint32_t* first;
  hmir_use_t* uses = hmir_collect_uses(lw, &first);
  hmir_liveness(lw, uses, first);
  hmir_mark_deaths(lw);
  hmir_color_all(lw);
}
