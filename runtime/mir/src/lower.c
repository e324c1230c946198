/* lower.c: out of SSA, into bytecode (hbc.h).

   After regalloc.c gave every value a register, the reachable blocks are
   emitted in layout order (the order the source reads), each behind a
   label. Phis become parallel copies on their incoming edges:
   - before a jmp (and before an iterprep's jump), inline;
   - after a two-way terminator, inline on the side that falls through, and
     in an out-of-line edge block (label, copies, jmp) on the side that jumps,
     so the copies run only on their edge. Coalescing in regalloc.c makes
     most edges copy-free, and those jump straight to their block.
   A parallel copy is sequenced so no source is overwritten before it is
   read; a cycle goes through a free scratch register; constants are loaded
   last. Comparisons that only feed their branch become compare-and-jump
   (JLT, JLTI, JEQK, ...); constants become immediates (ADDI, ADDK,
   GETFIELD, GETINDEXI, ...) where hbc has them, else they are loaded into a
   temporary right before their use; a branch on a constant is a plain jump.
   Counted loops use FORPREP/FORLOOP, for-in loops ITERPREP/ITERNEXT. */
#include "mir_internal.h"

typedef struct hmir_pending_s {  // an out-of-line edge block to emit at the end
  hbc_label_t label;
  hmir_block_t* from;
  uint32_t slot;  // successor slot of `from`
} hmir_pending_t;

typedef struct hmir_emitter_s {
  hmir_lower_t* lw;
  hbc_func_t* hf;
  hmir_block_t* next;        // the block emitted after the current one (fallthrough)
  hmir_pending_t* pending;   // out-of-line edge blocks
  uint32_t npending, cpending;
} hmir_emitter_t;

// ----- Checked emission -----
static void hmir_check(hmir_lower_t* lw, int32_t r, uint32_t line) {
  if (r >= 0) return;
  if (strstr(lw->m->err, "out of memory")) _hmir_lower_fail(lw, HMIR_ERR_NOMEM, 0, "out of memory");
  _hmir_lower_fail(lw, HMIR_ERR_LIMIT, line, "bytecode limit in function '%s': %s", lw->f->name, lw->m->err);
}

static void hmir_abc(hmir_emitter_t* e, hbc_op_t op, int a, int b, int c, uint32_t line) {
  hmir_check(e->lw, hbc_emit_abc(e->hf, op, a, b, c, line), line);
}

static void hmir_jump(hmir_emitter_t* e, hbc_op_t op, int a, int b, int c, hbc_label_t l, uint32_t line) {
  hmir_check(e->lw, hbc_emit_jump(e->hf, op, a, b, c, l, line), line);
}

static void hmir_use_reg(hmir_lower_t* lw, int r) {
  if (r > lw->maxreg) lw->maxreg = r;
}

// Loads a rematerialized value (const, fn, builtin, extern) into dst.
static void hmir_load(hmir_emitter_t* e, int dst, const hmir_instr_t* v, uint32_t line) {
  hmir_lower_t* lw = e->lw;
  int32_t r;
  hmir_use_reg(lw, dst);
  switch (v->op) {
    case HMIR_FNREF: r = hbc_emit_abx(e->hf, HBC_OP_LOADFN, dst, (int32_t)v->imm.index, line); break;
    case HMIR_BUILTIN: r = hbc_emit_abx(e->hf, HBC_OP_LOADBI, dst, (int32_t)v->imm.index, line); break;
    case HMIR_EXTREF: r = hbc_emit_abx(e->hf, HBC_OP_LOADEXT, dst, (int32_t)v->imm.index, line); break;
    default:
      if (v->ckind == HMIR_C_NIL) r = hbc_emit_abc(e->hf, HBC_OP_LOADNIL, dst, 0, 0, line);
      else if (v->ckind == HMIR_C_TRUE) r = hbc_emit_abc(e->hf, HBC_OP_LOADTRUE, dst, 0, 0, line);
      else if (v->ckind == HMIR_C_FALSE) r = hbc_emit_abc(e->hf, HBC_OP_LOADFALSE, dst, 0, 0, line);
      else if (v->ckind == HMIR_C_INT && v->imm.i >= HBC_SBX_MIN && v->imm.i <= HBC_SBX_MAX)
        r = hbc_emit_abx(e->hf, HBC_OP_LOADI, dst, (int32_t)v->imm.i, line);
      else if (v->ckind == HMIR_C_FLOAT && v->imm.f >= HBC_SBX_MIN && v->imm.f <= HBC_SBX_MAX &&
               v->imm.f == (double)(int32_t)v->imm.f && !(v->imm.f == 0 && 1 / v->imm.f < 0))  // range first: no UB
        r = hbc_emit_abx(e->hf, HBC_OP_LOADF, dst, (int32_t)v->imm.f, line);
      else
        r = hbc_emit_abx(e->hf, HBC_OP_LOADK, dst, _hmir_kindex(lw, v), line);
      break;
  }
  hmir_check(lw, r, line);
}

static void hmir_move(hmir_emitter_t* e, int dst, int src, uint32_t line) {
  if (dst == src) return;
  hmir_use_reg(e->lw, dst);
  hmir_abc(e, HBC_OP_MOVE, dst, src, 0, line);
}

// ----- Parallel copies -----
static bool hmir_is_source(const hmir_move_t* mv, uint32_t n, uint32_t except, int reg) {
  for (uint32_t k = 0; k < n; k++) {
    if (k != except && mv[k].src == reg) return true;
  }
  return false;
}

// Performs the moves as if all at once. mv is consumed.
static void hmir_pmove(hmir_emitter_t* e, hmir_move_t* mv, uint32_t n, int scratch, uint32_t line) {
  uint32_t left = 0;
  for (uint32_t k = 0; k < n; k++) {  // drop moves onto themselves
    if (!(mv[k].src >= 0 && mv[k].src == mv[k].dst)) mv[left++] = mv[k];
  }
  n = left;
  uint32_t nreg = 0;
  for (uint32_t k = 0; k < n; k++) {  // register moves first, loads last
    if (mv[k].src >= 0) {
      hmir_move_t t = mv[nreg];
      mv[nreg++] = mv[k];
      mv[k] = t;
    }
  }
  while (nreg) {
    bool progress = false;
    for (uint32_t k = 0; k < nreg; k++) {
      if (hmir_is_source(mv, nreg, k, mv[k].dst)) continue;
      hmir_move(e, mv[k].dst, mv[k].src, line);
      mv[k] = mv[--nreg];  // the slot left behind keeps src >= 0: never taken for a load
      progress = true;
      break;
    }
    if (progress) continue;
    if (scratch < 0) _hmir_lower_fail(e->lw, HMIR_ERR_LIMIT, line, "no free register to break a copy cycle");
    int src = mv[0].src;  // a cycle: park one source in the scratch register
    hmir_move(e, scratch, src, line);
    for (uint32_t k = 0; k < nreg; k++) {
      if (mv[k].src == src) mv[k].src = scratch;
    }
  }
  for (uint32_t k = 0; k < n; k++) {
    if (mv[k].src < 0 && mv[k].remat) hmir_load(e, mv[k].dst, mv[k].remat, line);
  }
}

// ----- Edges -----
// The index, in s's predecessors, of the edge through successor slot `slot` of b.
static uint32_t hmir_edge_pred(const hmir_block_t* b, uint32_t slot) {
  const hmir_block_t* s = b->succ[slot];
  uint32_t nth = 0;
  for (uint32_t k = 0; k < slot; k++) nth += b->succ[k] == s;
  for (uint32_t k = 0; k < s->npreds; k++) {
    if (s->preds[k] == b && nth-- == 0) return k;
  }
  return 0;
}

// The copies an edge needs for its successor's phis; returns their count.
static uint32_t hmir_edge_moves(hmir_emitter_t* e, const hmir_block_t* b, uint32_t slot, hmir_move_t** out) {
  const hmir_block_t* s = b->succ[slot];
  uint32_t k = hmir_edge_pred(b, slot), n = 0;
  for (const hmir_instr_t* p = s->first; p && hmir_is_phi(p); p = p->next) n += p->reg >= 0;
  hmir_move_t* mv = n ? _hmir_alloc(e->lw->f, n * sizeof *mv, HMIR_SITE("mir.lower")) : NULL;
  n = 0;
  for (const hmir_instr_t* p = s->first; p && hmir_is_phi(p); p = p->next) {
    if (p->reg < 0) continue;
    const hmir_instr_t* v = p->ops[k];
    bool remat = e->lw->vkind[v->id] == HMIR_V_REMAT;
    if (!remat && v->reg == p->reg) continue;
    mv[n++] = (hmir_move_t){p->reg, remat ? -1 : v->reg, remat ? v : NULL};
  }
  *out = mv;
  return n;
}

// A register free on the edge into s: not live into s, not any phi's of s
// (a phi whose copy was elided holds its value already), not moved.
static int hmir_edge_scratch(hmir_emitter_t* e, const hmir_block_t* s, const hmir_move_t* mv, uint32_t n) {
  hmir_lower_t* lw = e->lw;
  bool used[HBC_MAXREGS];
  memset(used, 0, sizeof used);
  for (const hmir_instr_t* p = s->first; p && hmir_is_phi(p); p = p->next) {
    if (p->reg >= 0) used[p->reg] = true;
  }
  const hmir_ids_t* in = &lw->live_in[s->id];
  for (uint32_t k = 0; k < in->n; k++) {
    const hmir_instr_t* v = lw->val[in->v[k]];
    for (int w = 0; w < lw->width[v->id] && v->reg + w < HBC_MAXREGS; w++) used[v->reg + w] = true;
  }
  for (uint32_t k = 0; k < n; k++) {
    used[mv[k].dst] = true;
    if (mv[k].src >= 0) used[mv[k].src] = true;
  }
  for (int r = 0; r < HBC_MAXREGS; r++) {
    if (!used[r]) return r;
  }
  return -1;
}

static void hmir_edge_copies(hmir_emitter_t* e, const hmir_block_t* b, uint32_t slot, uint32_t line) {
  hmir_move_t* mv;
  uint32_t n = hmir_edge_moves(e, b, slot, &mv);
  if (n) hmir_pmove(e, mv, n, hmir_edge_scratch(e, b->succ[slot], mv, n), line);
}

static bool hmir_edge_has_copies(hmir_emitter_t* e, const hmir_block_t* b, uint32_t slot) {
  hmir_move_t* mv;
  return hmir_edge_moves(e, b, slot, &mv) > 0;
}

// The label a jump along this edge goes to: the block, or an out-of-line
// edge block with the copies.
static hbc_label_t hmir_edge_label(hmir_emitter_t* e, hmir_block_t* b, uint32_t slot) {
  if (!hmir_edge_has_copies(e, b, slot)) return e->lw->label[b->succ[slot]->id];
  if (e->npending == e->cpending) {
    uint32_t ncap = e->cpending ? e->cpending * 2 : 8;
    e->pending = _hmir_grow(e->lw->f, e->pending, e->npending * sizeof *e->pending, ncap * sizeof *e->pending,
                            HMIR_SITE("mir.lower"));
    e->cpending = ncap;
  }
  hbc_label_t l = hbc_label_new(e->hf);
  if (l == HBC_LABEL_NONE) _hmir_lower_fail(e->lw, HMIR_ERR_NOMEM, 0, "out of memory");
  e->pending[e->npending++] = (hmir_pending_t){l, b, slot};
  return l;
}

// Falls through (or jumps) to successor `slot`, with its copies inline.
static void hmir_goto(hmir_emitter_t* e, hmir_block_t* b, uint32_t slot, uint32_t line) {
  hmir_edge_copies(e, b, slot, line);
  if (b->succ[slot] != e->next) hmir_jump(e, HBC_OP_JMP, 0, 0, 0, e->lw->label[b->succ[slot]->id], line);
}

// ----- Instructions -----
static int hmir_reg(hmir_lower_t* lw, const hmir_instr_t* i, uint32_t k) {
  int16_t t = lw->tmp[lw->slot[i->id] + k];
  if (t >= 0) return t;
  int r = i->ops[k]->reg;
  if (r < 0) _hmir_lower_fail(lw, HMIR_ERR_INTERNAL, i->line, "operand without a register (%s)", _hmir_opinfo[i->op].name);
  return r;
}

static void hmir_load_temps(hmir_emitter_t* e, const hmir_instr_t* i) {
  for (uint32_t k = 0; k < i->nops; k++) {
    int16_t t = e->lw->tmp[e->lw->slot[i->id] + k];
    if (t >= 0) hmir_load(e, t, i->ops[k], i->line);
  }
}

static void hmir_emit_arith(hmir_emitter_t* e, const hmir_instr_t* i) {
  hbc_op_t op;
  int imm;
  bool k = _hmir_arith_form(e->lw, i, &op, &imm);
  hmir_abc(e, op, i->reg, hmir_reg(e->lw, i, 0), k ? imm : hmir_reg(e->lw, i, 1), i->line);
}

static void hmir_emit_cmp_value(hmir_emitter_t* e, const hmir_instr_t* i) {
  static const hbc_op_t ops[] = {HBC_OP_EQ, HBC_OP_NE, HBC_OP_LT, HBC_OP_LE, HBC_OP_LT, HBC_OP_LE};
  int a = hmir_reg(e->lw, i, 0), b = hmir_reg(e->lw, i, 1);
  bool swap = i->op == HMIR_GT || i->op == HMIR_GE;
  hmir_abc(e, ops[i->op - HMIR_EQ], i->reg, swap ? b : a, swap ? a : b, i->line);
}

static void hmir_emit_index(hmir_emitter_t* e, const hmir_instr_t* i) {
  hbc_op_t op;
  int imm;
  bool set = i->op == HMIR_SETINDEX;
  bool k = _hmir_key_form(e->lw, i->ops[1], set, &op, &imm);
  int key = k ? imm : hmir_reg(e->lw, i, 1);
  if (set) hmir_abc(e, op, hmir_reg(e->lw, i, 0), key, hmir_reg(e->lw, i, 2), i->line);
  else hmir_abc(e, op, i->reg, hmir_reg(e->lw, i, 0), key, i->line);
}

// Calls and literals: arguments into the window, then the op.
static void hmir_emit_window(hmir_emitter_t* e, const hmir_instr_t* i) {
  hmir_lower_t* lw = e->lw;
  int base = lw->aux[i->id];
  uint32_t n = i->nops;
  hmir_move_t* mv = _hmir_alloc(lw->f, (n + 1) * sizeof *mv, HMIR_SITE("mir.lower"));
  for (uint32_t k = 0; k < n; k++) {
    const hmir_instr_t* v = i->ops[k];
    bool remat = lw->vkind[v->id] == HMIR_V_REMAT;
    mv[k] = (hmir_move_t){base + (int)k, remat ? -1 : v->reg, remat ? v : NULL};
  }
  int scratch = lw->scratch[i->id];
  if (scratch >= 0) hmir_use_reg(lw, scratch);
  hmir_pmove(e, mv, n, scratch, i->line);
  int32_t r;
  switch (i->op) {
    case HMIR_CALL: r = hbc_emit_abc(e->hf, HBC_OP_CALL, i->reg, base, (int)n - 1, i->line); break;
    case HMIR_CALLFN: r = hbc_emit_call(e->hf, HBC_OP_CALLF, i->reg, base, (int)n, i->imm.index, i->line); break;
    case HMIR_CALLBI: r = hbc_emit_call(e->hf, HBC_OP_CALLB, i->reg, base, (int)n, i->imm.index, i->line); break;
    case HMIR_CALLX: r = hbc_emit_call(e->hf, HBC_OP_CALLX, i->reg, base, (int)n, i->imm.index, i->line); break;
    case HMIR_ARRAY: r = hbc_emit_abc(e->hf, HBC_OP_NEWARR, i->reg, base, (int)n, i->line); break;
    default: r = hbc_emit_abc(e->hf, HBC_OP_NEWMAP, i->reg, base, (int)n / 2, i->line); break;
  }
  hmir_check(lw, r, i->line);
}

// Moves a loop state's operands into its group (start, limit, step / collection).
static void hmir_fill_group(hmir_emitter_t* e, const hmir_instr_t* i) {
  hmir_lower_t* lw = e->lw;
  hmir_move_t mv[3];
  for (uint32_t k = 0; k < i->nops; k++) {
    const hmir_instr_t* v = i->ops[k];
    bool remat = lw->vkind[v->id] == HMIR_V_REMAT;
    mv[k] = (hmir_move_t){i->reg + (int)k, remat ? -1 : v->reg, remat ? v : NULL};
  }
  hmir_pmove(e, mv, i->nops, -1, i->line);  // the group overlaps no source
}

static void hmir_emit_plain(hmir_emitter_t* e, const hmir_instr_t* i) {
  hmir_lower_t* lw = e->lw;
  switch (i->op) {
    case HMIR_COPY: hmir_move(e, i->reg, hmir_reg(lw, i, 0), i->line); break;
    case HMIR_FORVAR:
      if (lw->width[i->id]) hmir_move(e, i->reg, i->ops[0]->reg + 3, i->line);
      break;
    case HMIR_ADD: case HMIR_SUB: case HMIR_MUL: case HMIR_DIV: case HMIR_MOD: hmir_emit_arith(e, i); break;
    case HMIR_NEG: hmir_abc(e, HBC_OP_UNM, i->reg, hmir_reg(lw, i, 0), 0, i->line); break;
    case HMIR_NOT: hmir_abc(e, HBC_OP_NOT, i->reg, hmir_reg(lw, i, 0), 0, i->line); break;
    case HMIR_EQ: case HMIR_NE: case HMIR_LT: case HMIR_LE: case HMIR_GT: case HMIR_GE:
      if (lw->vkind[i->id] == HMIR_V_REG) hmir_emit_cmp_value(e, i);
      break;  // a fused comparison is emitted with its branch
    case HMIR_INDEX: case HMIR_SETINDEX: hmir_emit_index(e, i); break;
    case HMIR_APPEND: hmir_abc(e, HBC_OP_APPEND, hmir_reg(lw, i, 0), hmir_reg(lw, i, 1), 0, i->line); break;
    default: break;  // param, itervar, phi, constants and references: nothing to run
  }
}

// ----- Terminators -----
// Two-way terminator: jumps to slot `jt` (edge label), falls to the other.
static void hmir_pick_sides(hmir_emitter_t* e, hmir_block_t* b, uint32_t* jt) {
  *jt = 1;
  if (b->succ[0] == e->next && !hmir_edge_has_copies(e, b, 0)) return;
  if (b->succ[1] == e->next && !hmir_edge_has_copies(e, b, 1)) *jt = 0;
}

static void hmir_emit_br(hmir_emitter_t* e, hmir_block_t* b, const hmir_instr_t* t) {
  hmir_lower_t* lw = e->lw;
  const hmir_instr_t* c = t->ops[0];
  if (lw->vkind[c->id] == HMIR_V_REMAT) {  // a constant condition (unoptimized code)
    hmir_lattice_t lat;
    if (c->op == HMIR_CONST) _hmir_lat_of_const(c, &lat);
    else lat.ckind = HMIR_C_TRUE;  // functions are true
    hmir_goto(e, b, _hmir_lat_truthy(&lat) ? 0 : 1, t->line);
    return;
  }
  uint32_t jt;
  hmir_pick_sides(e, b, &jt);
  hbc_label_t l = hmir_edge_label(e, b, jt);
  if (lw->vkind[c->id] == HMIR_V_FUSED) {
    hmir_cmpform_t cf;
    _hmir_cmp_form(lw, c, &cf);
    hmir_load_temps(e, c);
    int k = (jt == 0) != cf.negate;  // jump when the comparison says `jt`
    int a = hmir_reg(lw, c, (uint32_t)cf.ra), bb = cf.rb >= 0 ? hmir_reg(lw, c, (uint32_t)cf.rb) : cf.imm;
    hmir_jump(e, cf.op, a, bb, k, l, t->line);
  } else {
    hmir_jump(e, jt == 0 ? HBC_OP_JT : HBC_OP_JF, hmir_reg(lw, t, 0), 0, 0, l, t->line);
  }
  hmir_goto(e, b, 1 - jt, t->line);
}

static void hmir_emit_term(hmir_emitter_t* e, hmir_block_t* b) {
  hmir_lower_t* lw = e->lw;
  const hmir_instr_t* t = b->last;
  switch (t->op) {
    case HMIR_JMP: hmir_goto(e, b, 0, t->line); break;
    case HMIR_BR: hmir_emit_br(e, b, t); break;
    case HMIR_RET:
      if (lw->vkind[t->ops[0]->id] == HMIR_V_REMAT && t->ops[0]->op == HMIR_CONST && t->ops[0]->ckind == HMIR_C_NIL) {
        hmir_abc(e, HBC_OP_RETNIL, 0, 0, 0, t->line);
      } else {
        hmir_abc(e, HBC_OP_RET, hmir_reg(lw, t, 0), 0, 0, t->line);
      }
      break;
    case HMIR_FORPREP:  // empty: jump to the exit; else fall into the body
      hmir_fill_group(e, t);
      hmir_jump(e, HBC_OP_FORPREP, t->reg, 0, 0, hmir_edge_label(e, b, 1), t->line);
      hmir_goto(e, b, 0, t->line);
      break;
    case HMIR_FORLOOP:  // again: jump to the body; done: fall to the exit
    case HMIR_ITERNEXT:
      hmir_jump(e, t->op == HMIR_FORLOOP ? HBC_OP_FORLOOP : HBC_OP_ITERNEXT, t->ops[0]->reg, 0, 0, hmir_edge_label(e, b, 0),
                t->line);
      hmir_goto(e, b, 1, t->line);
      break;
    default:  // ITERPREP always jumps to its iternext block: copies first
      hmir_fill_group(e, t);
      hmir_edge_copies(e, b, 0, t->line);
      hmir_jump(e, HBC_OP_ITERPREP, t->reg, 0, 0, lw->label[b->succ[0]->id], t->line);
      break;
  }
}

// ----- Function -----
static void hmir_emit_block(hmir_emitter_t* e, hmir_block_t* b) {
  hmir_lower_t* lw = e->lw;
  if (hbc_label_bind(e->hf, lw->label[b->id]) < 0) _hmir_lower_fail(lw, HMIR_ERR_NOMEM, 0, "out of memory");
  for (hmir_instr_t* i = b->first; i; i = i->next) {
    if (hmir_is_term(i)) break;
    if (hmir_is_phi(i)) continue;
    if (lw->vkind[i->id] != HMIR_V_FUSED) hmir_load_temps(e, i);
    if (hmir_is_window(i)) hmir_emit_window(e, i);
    else hmir_emit_plain(e, i);
  }
  if (b->last->op == HMIR_RET || b->last->op == HMIR_BR) hmir_load_temps(e, b->last);
  hmir_emit_term(e, b);
}

static void hmir_emit_pending(hmir_emitter_t* e) {
  for (uint32_t k = 0; k < e->npending; k++) {
    hmir_pending_t p = e->pending[k];
    if (hbc_label_bind(e->hf, p.label) < 0) _hmir_lower_fail(e->lw, HMIR_ERR_NOMEM, 0, "out of memory");
    e->next = NULL;
    hmir_goto(e, p.from, p.slot, p.from->last->line);
  }
}

static void hmir_alloc_tables(hmir_lower_t* lw) {
  hmir_func_t* f = lw->f;
  size_t nv = f->next_id + 1, nb = f->next_block + 1;
#define HMIR_TABLE(field, count, fill)                                                   \
  do {                                                                                   \
    lw->field = _hmir_alloc(f, (count) * sizeof *lw->field, HMIR_SITE("mir.regalloc"));  \
    memset(lw->field, fill, (count) * sizeof *lw->field);                                \
  } while (0)
  HMIR_TABLE(val, nv, 0);
  HMIR_TABLE(vkind, nv, 0);
  HMIR_TABLE(nuses, nv, 0);
  HMIR_TABLE(width, nv, 0);
  HMIR_TABLE(hint, nv, 0xFF);
  HMIR_TABLE(phi_of, nv, 0);
  HMIR_TABLE(slot, nv, 0);
  HMIR_TABLE(aux, nv, 0xFF);
  HMIR_TABLE(scratch, nv, 0xFF);
  HMIR_TABLE(live_in, nb, 0);
  HMIR_TABLE(live_out, nb, 0);
  HMIR_TABLE(label, nb, 0xFF);
#undef HMIR_TABLE
  hmir_foreach_block(f, b) hmir_foreach_instr(b, i) i->reg = -1;
  lw->maxreg = (int)f->nparams - 1;
}

static void hmir_lower_body(hmir_lower_t* lw) {
  hmir_func_t* f = lw->f;
  lw->order = _hmir_rpo(f, &lw->norder);
  _hmir_dominators(lw->order, lw->norder);
  hmir_alloc_tables(lw);
  _hmir_ra_run(lw);
  hmir_emitter_t e;
  memset(&e, 0, sizeof e);
  e.lw = lw;
  e.hf = lw->hf;
  hmir_foreach_block(f, b) {
    if (b->rpo == UINT32_MAX) continue;
    lw->label[b->id] = hbc_label_new(lw->hf);
    if (lw->label[b->id] == HBC_LABEL_NONE) _hmir_lower_fail(lw, HMIR_ERR_NOMEM, 0, "out of memory");
  }
  for (hmir_block_t* b = f->first; b; b = b->next) {
    if (b->rpo == UINT32_MAX) continue;
    e.next = b->next;
    while (e.next && e.next->rpo == UINT32_MAX) e.next = e.next->next;
    hmir_emit_block(&e, b);
  }
  hmir_emit_pending(&e);
  hbc_func_set_nregs(lw->hf, (unsigned)(lw->maxreg + 1));
}

hmir_status_t _hmir_lower(hmir_func_t* f, hbc_module_t* m, uint32_t hbc_index, char* err, size_t errlen) {
  hmir_lower_t lw;
  memset(&lw, 0, sizeof lw);
  lw.f = f;
  lw.m = m;
  lw.hf = hbc_module_func(m, hbc_index);
  lw.err = err;
  lw.errlen = errlen;
  if (err && errlen) err[0] = 0;
  if (lw.hf == NULL) return HMIR_ERR_INTERNAL;
  jmp_buf fail;
  jmp_buf* saved = f->mem.oom;
  f->mem.oom = &fail;
  lw.fail = &fail;
  lw.status = HMIR_ERR_NOMEM;
  if (setjmp(fail)) {
    f->mem.oom = saved;
    if (lw.status == HMIR_ERR_NOMEM && err && errlen && !err[0]) snprintf(err, errlen, "out of memory");
    return lw.status;
  }
  hmir_lower_body(&lw);
  f->mem.oom = saved;
  return HMIR_OK;
}

hmir_status_t hmir_lower(hmir_func_t* f, hbc_module_t* m, uint32_t hbc_index, char* err, size_t errlen) {
  if (f == NULL || m == NULL) return HMIR_ERR_INTERNAL;
  return _hmir_lower(f, m, hbc_index, err, errlen);
}
