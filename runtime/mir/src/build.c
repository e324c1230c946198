/* build.c: MIR in SSA form, built directly from the AST.

   SSA construction is structured, on the fly, in one walk: the builder keeps
   `defs`, the current SSA value of every local, while it emits code into the
   current block. Control flow meets at *joins*: a join collects its incoming
   edges, each with a snapshot of `defs` at its end; sealing the join makes
   its block current and gives each local the value all edges agree on, or a
   phi of the edges' values (in predecessor order). Locals out of scope on any
   edge (NULL in a snapshot) stay out of scope. Loop headers are sealed
   before their back edges exist: a pre-scan of the loop finds the locals it
   assigns, those get a phi with the entry value, and the back edges' values
   are added to the phis once the body is built. Expressions never assign
   locals, so the blocks that `and`/`or` create need no phis for locals.

   Loops:  while  H: phis; cond -> B | X    B: body; jmp H
           for i in range(a, b[, s])  (when range is the builtin)
                  pre: %st = forprep a, b, s -> B | X
                  B: phis; %i = forvar %st; body; jmp L
                  L: forloop %st -> B | X
           for v in e
                  pre: %it = iterprep e -> H
                  H: phis; iternext %it -> B | X
                  B: %v = itervar %it; body; jmp H
   Code after return/break/continue in the same block is never built (cur is
   NULL). The recursion follows the AST, which the parser bounds. */
#include "mir_internal.h"

// ----- Builder state -----
typedef struct hmir_edge_s {
  hmir_block_t* from;
  hmir_instr_t** defs;     // nlocals values at the end of `from` (site mir.ssa)
} hmir_edge_t;

typedef struct hmir_join_s {
  hmir_block_t* block;     // created with the join; linked into the layout when sealed
  hmir_edge_t* edges;      // incoming edges in predecessor order
  uint32_t nedges, cedges;
  uint32_t line;
} hmir_join_t;

typedef struct hmir_loop_s {
  struct hmir_loop_s* outer;
  hmir_join_t* brk;        // where break goes
  hmir_join_t* cont;       // where continue goes
} hmir_loop_t;

typedef struct hmir_header_s {  // phis of a loop header, waiting for back edges
  uint32_t* locals;        // the locals that got a phi
  hmir_instr_t** phis;
  uint32_t n;
} hmir_header_t;

typedef struct hmir_builder_s {
  hmir_func_t* f;
  const hlang_program_t* prog;
  const hlang_fn_t* fn;
  uint32_t nlocals;
  hmir_block_t* cur;       // where code goes; NULL: unreachable
  hmir_instr_t** defs;     // current value of each local (NULL: not in scope)
  hmir_loop_t* loop;       // innermost loop
} hmir_builder_t;

static hmir_instr_t* hmir_expr(hmir_builder_t* b, const hlang_node_t* n);
static void hmir_stmt(hmir_builder_t* b, const hlang_node_t* n);

// ----- Emission -----
static hmir_instr_t* hmir_emit(hmir_builder_t* b, hmir_op_t op, uint32_t nops, uint32_t line) {
  hmir_instr_t* i = _hmir_instr_new(b->f, op, nops, line);
  _hmir_append(b->cur, i);
  return i;
}

static hmir_instr_t* hmir_emit1(hmir_builder_t* b, hmir_op_t op, hmir_instr_t* a, uint32_t line) {
  hmir_instr_t* i = hmir_emit(b, op, 1, line);
  i->ops[0] = a;
  return i;
}

static hmir_instr_t* hmir_emit2(hmir_builder_t* b, hmir_op_t op, hmir_instr_t* x, hmir_instr_t* y, uint32_t line) {
  hmir_instr_t* i = hmir_emit(b, op, 2, line);
  i->ops[0] = x;
  i->ops[1] = y;
  return i;
}

static hmir_instr_t* hmir_const(hmir_builder_t* b, hmir_ckind_t kind, uint32_t line) {
  hmir_instr_t* i = hmir_emit(b, HMIR_CONST, 0, line);
  i->ckind = (uint8_t)kind;
  return i;
}

static hmir_instr_t* hmir_const_int(hmir_builder_t* b, int64_t v, uint32_t line) {
  hmir_instr_t* i = hmir_const(b, HMIR_C_INT, line);
  i->imm.i = v;
  return i;
}

static hmir_instr_t* hmir_ref(hmir_builder_t* b, hmir_op_t op, uint32_t index, uint32_t line) {
  hmir_instr_t* i = hmir_emit(b, op, 0, line);
  i->imm.index = index;
  return i;
}

// ----- Joins -----
static hmir_join_t* hmir_join_new(hmir_builder_t* b, uint32_t line) {
  hmir_join_t* j = _hmir_alloc(b->f, sizeof *j, HMIR_SITE("mir.ssa"));
  memset(j, 0, sizeof *j);
  j->line = line;
  return j;
}

// The join's block, created at its first edge (a join nobody reaches has none).
static hmir_block_t* hmir_join_block(hmir_builder_t* b, hmir_join_t* j) {
  if (j->block == NULL) j->block = _hmir_block_new(b->f, j->line);
  return j->block;
}

static hmir_instr_t** hmir_snapshot(hmir_builder_t* b) {
  size_t bytes = (b->nlocals ? b->nlocals : 1) * sizeof(hmir_instr_t*);
  hmir_instr_t** s = _hmir_alloc(b->f, bytes, HMIR_SITE("mir.ssa"));
  if (b->nlocals) memcpy(s, b->defs, b->nlocals * sizeof *s);
  return s;
}

// Records that the current block (just terminated toward j) is an edge of j.
static void hmir_edge_add(hmir_builder_t* b, hmir_join_t* j, hmir_block_t* from) {
  if (j->nedges == j->cedges) {
    uint32_t ncap = j->cedges ? j->cedges * 2 : 4;
    j->edges = _hmir_grow(b->f, j->edges, j->nedges * sizeof *j->edges, ncap * sizeof *j->edges, HMIR_SITE("mir.ssa"));
    j->cedges = ncap;
  }
  j->edges[j->nedges].from = from;
  j->edges[j->nedges].defs = hmir_snapshot(b);
  j->nedges++;
}

// Ends the current block with `jmp j`.
static void hmir_jump(hmir_builder_t* b, hmir_join_t* j, uint32_t line) {
  if (b->cur == NULL) return;
  hmir_block_t* from = b->cur;
  _hmir_terminate(b->f, from, _hmir_instr_new(b->f, HMIR_JMP, 0, line), hmir_join_block(b, j), NULL);
  hmir_edge_add(b, j, from);
  b->cur = NULL;
}

// Ends the current block with a two-way terminator t toward joins j0, j1.
static void hmir_branch(hmir_builder_t* b, hmir_instr_t* t, hmir_join_t* j0, hmir_join_t* j1) {
  hmir_block_t* from = b->cur;
  _hmir_terminate(b->f, from, t, hmir_join_block(b, j0), hmir_join_block(b, j1));
  hmir_edge_add(b, j0, from);
  hmir_edge_add(b, j1, from);
  b->cur = NULL;
}

// The value of local v after join j: agreed by all edges, or a phi.
static hmir_instr_t* hmir_merge_local(hmir_builder_t* b, hmir_join_t* j, uint32_t v) {
  hmir_instr_t* first = j->edges[0].defs[v];
  bool same = true;
  for (uint32_t e = 0; e < j->nedges; e++) {
    hmir_instr_t* d = j->edges[e].defs[v];
    if (d == NULL) return NULL;  // out of scope on some path
    same = same && d == first;
  }
  if (same) return first;
  hmir_instr_t* phi = _hmir_instr_new(b->f, HMIR_PHI, j->nedges, j->line);
  for (uint32_t e = 0; e < j->nedges; e++) phi->ops[e] = j->edges[e].defs[v];
  _hmir_insert_after_phis(j->block, phi);
  return phi;
}

// Makes blk current and moves it to the end of the layout, so blocks are laid
// out in the order their code is built (the order the source reads).
static void hmir_enter(hmir_builder_t* b, hmir_block_t* blk) {
  if (b->f->last != blk) {
    _hmir_block_unlink(b->f, blk);
    blk->prev = b->f->last;
    b->f->last->next = blk;
    b->f->last = blk;
    b->f->nblocks++;
  }
  b->cur = blk;
}

// Makes j's block current with merged locals; cur = NULL when no edge reaches j.
static void hmir_seal(hmir_builder_t* b, hmir_join_t* j) {
  b->cur = NULL;
  if (j->nedges == 0) return;
  hmir_enter(b, j->block);
  if (j->nedges == 1) {
    memcpy(b->defs, j->edges[0].defs, b->nlocals * sizeof *b->defs);
    return;
  }
  for (uint32_t v = 0; v < b->nlocals; v++) b->defs[v] = hmir_merge_local(b, j, v);
}

// ----- Loop headers -----
static void hmir_scan_assigned(const hlang_node_t* n, uint8_t* assigned);

static void hmir_scan_list(hlang_node_t* const* items, uint32_t n, uint8_t* assigned) {
  for (uint32_t k = 0; k < n; k++) hmir_scan_assigned(items[k], assigned);
}

// Marks the locals a statement (and everything nested in it) assigns.
static void hmir_scan_assigned(const hlang_node_t* n, uint8_t* assigned) {
  switch (n->kind) {
    case HLANG_ASSIGN:
      if (n->u.op.a->kind == HLANG_NAME) assigned[n->u.op.a->u.name.ref.index] = 1;
      break;
    case HLANG_BLOCK: hmir_scan_list(n->u.list.items, n->u.list.n, assigned); break;
    case HLANG_IF:
      hmir_scan_assigned(n->u.op.b, assigned);
      if (n->u.op.c) hmir_scan_assigned(n->u.op.c, assigned);
      break;
    case HLANG_WHILE: hmir_scan_assigned(n->u.op.b, assigned); break;
    case HLANG_FOR: hmir_scan_assigned(n->u.loop.body, assigned); break;
    default: break;
  }
}

// Seals a loop header join (only the entry edge so far): every local the loop
// assigns and that is in scope gets a phi, completed by hmir_header_finish.
static hmir_header_t hmir_header_seal(hmir_builder_t* b, hmir_join_t* j, const hlang_node_t* body) {
  hmir_header_t h = {NULL, NULL, 0};
  hmir_seal(b, j);
  if (b->cur == NULL || b->nlocals == 0) return h;
  uint8_t* assigned = _hmir_alloc(b->f, b->nlocals, HMIR_SITE("mir.ssa"));
  memset(assigned, 0, b->nlocals);
  hmir_scan_assigned(body, assigned);
  for (uint32_t v = 0; v < b->nlocals; v++) h.n += assigned[v] && b->defs[v];
  if (h.n == 0) return h;
  h.locals = _hmir_alloc(b->f, h.n * sizeof *h.locals, HMIR_SITE("mir.ssa"));
  h.phis = _hmir_alloc(b->f, h.n * sizeof *h.phis, HMIR_SITE("mir.ssa"));
  uint32_t k = 0;
  for (uint32_t v = 0; v < b->nlocals; v++) {
    if (!assigned[v] || !b->defs[v]) continue;
    hmir_instr_t* phi = _hmir_instr_new(b->f, HMIR_PHI, 1, j->line);
    phi->ops[0] = b->defs[v];
    _hmir_insert_after_phis(b->cur, phi);
    b->defs[v] = phi;
    h.locals[k] = v;
    h.phis[k++] = phi;
  }
  return h;
}

// Adds the back edges (j's edges after the entry) to the header phis.
static void hmir_header_finish(hmir_builder_t* b, hmir_join_t* j, const hmir_header_t* h) {
  for (uint32_t e = 1; e < j->nedges; e++) {
    for (uint32_t k = 0; k < h->n; k++) {
      hmir_instr_t* v = j->edges[e].defs[h->locals[k]];
      _hmir_phi_add(b->f, h->phis[k], v ? v : h->phis[k]);
    }
  }
}

// ----- Expressions -----
static hmir_instr_t* hmir_name(hmir_builder_t* b, const hlang_node_t* n) {
  hlang_ref_t r = n->u.name.ref;
  switch (r.kind) {
    case HLANG_REF_LOCAL:
      if (b->defs[r.index]) return b->defs[r.index];
      return hmir_const(b, HMIR_C_NIL, n->line);  // unreachable after resolution; stay safe
    case HLANG_REF_FN: return hmir_ref(b, HMIR_FNREF, r.index, n->line);
    case HLANG_REF_EXTERN: return hmir_ref(b, HMIR_EXTREF, r.index, n->line);
    default: {
      int id = hbc_builtin_lookup(hlang_builtin_name((hlang_builtin_t)r.index));
      return id >= 0 ? hmir_ref(b, HMIR_BUILTIN, (uint32_t)id, n->line) : hmir_const(b, HMIR_C_NIL, n->line);
    }
  }
}

static hmir_instr_t* hmir_array(hmir_builder_t* b, const hlang_node_t* n) {
  uint32_t first = n->u.list.n < HMIR_LITERAL_CHUNK ? n->u.list.n : HMIR_LITERAL_CHUNK;
  hmir_instr_t* items[HMIR_LITERAL_CHUNK];
  for (uint32_t k = 0; k < first; k++) items[k] = hmir_expr(b, n->u.list.items[k]);
  hmir_instr_t* a = hmir_emit(b, HMIR_ARRAY, first, n->line);
  memcpy(a->ops, items, first * sizeof *items);
  for (uint32_t k = first; k < n->u.list.n; k++) {  // long literals: append the rest
    hmir_instr_t* v = hmir_expr(b, n->u.list.items[k]);
    hmir_emit2(b, HMIR_APPEND, a, v, n->line);
  }
  return a;
}

static hmir_instr_t* hmir_map(hmir_builder_t* b, const hlang_node_t* n) {
  uint32_t first = n->u.list.n < HMIR_LITERAL_CHUNK / 2 ? n->u.list.n : HMIR_LITERAL_CHUNK / 2;
  hmir_instr_t* kv[HMIR_LITERAL_CHUNK];
  for (uint32_t k = 0; k < first; k++) {
    kv[2 * k] = hmir_expr(b, n->u.list.items[k]);
    kv[2 * k + 1] = hmir_expr(b, n->u.list.vals[k]);
  }
  hmir_instr_t* m = hmir_emit(b, HMIR_MAP, 2 * first, n->line);
  memcpy(m->ops, kv, 2 * first * sizeof *kv);
  for (uint32_t k = first; k < n->u.list.n; k++) {  // long literals: set the rest
    hmir_instr_t* key = hmir_expr(b, n->u.list.items[k]);
    hmir_instr_t* val = hmir_expr(b, n->u.list.vals[k]);
    hmir_instr_t* s = hmir_emit(b, HMIR_SETINDEX, 3, n->line);
    s->ops[0] = m;
    s->ops[1] = key;
    s->ops[2] = val;
  }
  return m;
}

// The direct call op for a callee known at compile time, or HMIR_CALL when
// the call must go through a function value (unknown callee, or an arity the
// callee does not take: the VM then reports it at run time).
static hmir_op_t hmir_call_kind(const hmir_builder_t* b, const hlang_node_t* callee, uint32_t nargs, uint32_t* index) {
  if (callee->kind != HLANG_NAME) return HMIR_CALL;
  hlang_ref_t r = callee->u.name.ref;
  *index = r.index;
  if (r.kind == HLANG_REF_FN) return hlang_fn(b->prog, r.index)->nparams == nargs ? HMIR_CALLFN : HMIR_CALL;
  if (r.kind == HLANG_REF_EXTERN) return hlang_extern(b->prog, r.index)->nparams == nargs ? HMIR_CALLX : HMIR_CALL;
  if (r.kind != HLANG_REF_BUILTIN) return HMIR_CALL;
  int id = hbc_builtin_lookup(hlang_builtin_name((hlang_builtin_t)r.index));
  const hbc_builtin_info_t* bi = id >= 0 ? hbc_builtin_info((unsigned)id) : NULL;
  if (bi == NULL || nargs < bi->min_arity || (bi->max_arity != HBC_VARIADIC && nargs > bi->max_arity)) return HMIR_CALL;
  *index = (uint32_t)id;
  return HMIR_CALLBI;
}

static hmir_instr_t* hmir_call(hmir_builder_t* b, const hlang_node_t* n) {
  uint32_t nargs = n->u.call.nargs, index = 0;
  hmir_op_t op = hmir_call_kind(b, n->u.call.callee, nargs, &index);
  uint32_t base = op == HMIR_CALL;  // CALL: operand 0 is the callee
  hmir_instr_t* callee = base ? hmir_expr(b, n->u.call.callee) : NULL;
  hmir_instr_t* c = _hmir_instr_new(b->f, op, nargs + base, n->line);
  if (base) c->ops[0] = callee;
  c->imm.index = index;
  for (uint32_t k = 0; k < nargs; k++) c->ops[base + k] = hmir_expr(b, n->u.call.args[k]);
  _hmir_append(b->cur, c);  // after its arguments: they may have created blocks
  return c;
}

// a and b / a or b as a value: the deciding operand (a phi of the two).
static hmir_instr_t* hmir_logic(hmir_builder_t* b, const hlang_node_t* n) {
  hmir_instr_t* va = hmir_expr(b, n->u.op.a);
  hmir_block_t* a_end = b->cur;
  hmir_block_t* rhs = _hmir_block_new(b->f, n->line);
  hmir_block_t* join = _hmir_block_new(b->f, n->line);
  hmir_instr_t* br = _hmir_instr_new(b->f, HMIR_BR, 1, n->line);
  br->ops[0] = va;
  if (n->kind == HLANG_AND) _hmir_terminate(b->f, a_end, br, rhs, join);
  else _hmir_terminate(b->f, a_end, br, join, rhs);
  hmir_enter(b, rhs);
  hmir_instr_t* vb = hmir_expr(b, n->u.op.b);
  hmir_block_t* b_end = b->cur;
  _hmir_terminate(b->f, b_end, _hmir_instr_new(b->f, HMIR_JMP, 0, n->line), join, NULL);
  hmir_enter(b, join);
  hmir_instr_t* phi = hmir_emit(b, HMIR_PHI, 2, n->line);  // preds: a_end, b_end
  phi->ops[0] = va;
  phi->ops[1] = vb;
  return phi;
}

static hmir_op_t hmir_binop(hlang_op_t op) {
  switch (op) {
    case HLANG_OP_ADD: return HMIR_ADD;
    case HLANG_OP_SUB: return HMIR_SUB;
    case HLANG_OP_MUL: return HMIR_MUL;
    case HLANG_OP_DIV: return HMIR_DIV;
    case HLANG_OP_MOD: return HMIR_MOD;
    case HLANG_OP_EQ: return HMIR_EQ;
    case HLANG_OP_NE: return HMIR_NE;
    case HLANG_OP_LT: return HMIR_LT;
    case HLANG_OP_LE: return HMIR_LE;
    case HLANG_OP_GT: return HMIR_GT;
    default: return HMIR_GE;
  }
}

static hmir_instr_t* hmir_literal(hmir_builder_t* b, const hlang_node_t* n) {
  hmir_instr_t* i;
  switch (n->kind) {
    case HLANG_NIL: return hmir_const(b, HMIR_C_NIL, n->line);
    case HLANG_TRUE: return hmir_const(b, HMIR_C_TRUE, n->line);
    case HLANG_FALSE: return hmir_const(b, HMIR_C_FALSE, n->line);
    case HLANG_INT: return hmir_const_int(b, n->u.i, n->line);
    case HLANG_FLOAT:
      i = hmir_const(b, HMIR_C_FLOAT, n->line);
      i->imm.f = n->u.f;
      return i;
    default:  // STRING: the bytes stay in the program, which outlives the MIR
      i = hmir_const(b, HMIR_C_STR, n->line);
      i->imm.str.s = n->u.str.s;
      i->imm.str.len = n->u.str.len;
      return i;
  }
}

static hmir_instr_t* hmir_expr(hmir_builder_t* b, const hlang_node_t* n) {
  switch (n->kind) {
    case HLANG_NAME: return hmir_name(b, n);
    case HLANG_ARRAY: return hmir_array(b, n);
    case HLANG_MAP: return hmir_map(b, n);
    case HLANG_CALL: return hmir_call(b, n);
    case HLANG_AND:
    case HLANG_OR: return hmir_logic(b, n);
    case HLANG_UNARY: {
      hmir_instr_t* a = hmir_expr(b, n->u.op.a);
      return hmir_emit1(b, n->op == HLANG_OP_NEG ? HMIR_NEG : HMIR_NOT, a, n->line);
    }
    case HLANG_BINARY:
    case HLANG_INDEX: {
      hmir_instr_t* x = hmir_expr(b, n->u.op.a);
      hmir_instr_t* y = hmir_expr(b, n->u.op.b);
      return hmir_emit2(b, n->kind == HLANG_INDEX ? HMIR_INDEX : hmir_binop((hlang_op_t)n->op), x, y, n->line);
    }
    default: return hmir_literal(b, n);
  }
}

// Branches on n: truthy to t, else to f. and/or/not become control flow.
static void hmir_cond(hmir_builder_t* b, const hlang_node_t* n, hmir_join_t* t, hmir_join_t* f) {
  if (n->kind == HLANG_AND || n->kind == HLANG_OR) {
    hmir_join_t* mid = hmir_join_new(b, n->line);
    if (n->kind == HLANG_AND) hmir_cond(b, n->u.op.a, mid, f);
    else hmir_cond(b, n->u.op.a, t, mid);
    hmir_seal(b, mid);
    hmir_cond(b, n->u.op.b, t, f);
    return;
  }
  if (n->kind == HLANG_UNARY && n->op == HLANG_OP_NOT) {
    hmir_cond(b, n->u.op.a, f, t);
    return;
  }
  hmir_instr_t* v = hmir_expr(b, n);
  hmir_instr_t* br = _hmir_instr_new(b->f, HMIR_BR, 1, n->line);
  br->ops[0] = v;
  hmir_branch(b, br, t, f);
}

// ----- Statements -----
static void hmir_block_stmts(hmir_builder_t* b, const hlang_node_t* block) {
  for (uint32_t k = 0; k < block->u.list.n && b->cur; k++) hmir_stmt(b, block->u.list.items[k]);
  if (b->cur == NULL) return;
  for (uint32_t k = 0; k < block->u.list.n; k++) {  // the block's own locals go out of scope
    const hlang_node_t* s = block->u.list.items[k];
    if (s->kind == HLANG_LET) b->defs[s->u.let.local] = NULL;
  }
}

static void hmir_if(hmir_builder_t* b, const hlang_node_t* n) {
  hmir_join_t* t = hmir_join_new(b, n->u.op.b->line);
  hmir_join_t* e = n->u.op.c ? hmir_join_new(b, n->u.op.c->line) : NULL;
  hmir_join_t* j = hmir_join_new(b, n->line);
  hmir_cond(b, n->u.op.a, t, e ? e : j);
  hmir_seal(b, t);
  hmir_block_stmts(b, n->u.op.b);
  hmir_jump(b, j, n->line);
  if (e) {
    hmir_seal(b, e);
    if (b->cur) hmir_stmt(b, n->u.op.c);  // a BLOCK or an IF
    hmir_jump(b, j, n->line);
  }
  hmir_seal(b, j);
}

static void hmir_loop_body(hmir_builder_t* b, const hlang_node_t* body, hmir_join_t* brk, hmir_join_t* cont) {
  hmir_loop_t loop = {b->loop, brk, cont};
  b->loop = &loop;
  hmir_block_stmts(b, body);
  b->loop = loop.outer;
}

static void hmir_while(hmir_builder_t* b, const hlang_node_t* n) {
  hmir_join_t* h = hmir_join_new(b, n->line);
  hmir_join_t* body = hmir_join_new(b, n->u.op.b->line);
  hmir_join_t* x = hmir_join_new(b, n->line);
  hmir_jump(b, h, n->line);
  hmir_header_t hp = hmir_header_seal(b, h, n->u.op.b);
  hmir_cond(b, n->u.op.a, body, x);
  hmir_seal(b, body);
  hmir_loop_body(b, n->u.op.b, x, h);
  hmir_jump(b, h, n->line);
  hmir_header_finish(b, h, &hp);
  hmir_seal(b, x);
}

// for i in range(...) with the builtin range: a counted loop.
static void hmir_for_range(hmir_builder_t* b, const hlang_node_t* n, const hlang_node_t* call) {
  uint32_t nargs = call->u.call.nargs, line = n->line;
  hmir_instr_t *start, *limit, *step;
  if (nargs == 1) {
    limit = hmir_expr(b, call->u.call.args[0]);
    start = hmir_const_int(b, 0, line);
  } else {
    start = hmir_expr(b, call->u.call.args[0]);
    limit = hmir_expr(b, call->u.call.args[1]);
  }
  step = nargs == 3 ? hmir_expr(b, call->u.call.args[2]) : hmir_const_int(b, 1, line);
  hmir_join_t* body = hmir_join_new(b, n->u.loop.body->line);
  hmir_join_t* latch = hmir_join_new(b, line);
  hmir_join_t* x = hmir_join_new(b, line);
  hmir_instr_t* st = _hmir_instr_new(b->f, HMIR_FORPREP, 3, line);
  st->ops[0] = start;
  st->ops[1] = limit;
  st->ops[2] = step;
  hmir_branch(b, st, body, x);
  hmir_header_t hp = hmir_header_seal(b, body, n->u.loop.body);
  b->defs[n->u.loop.local] = hmir_emit1(b, HMIR_FORVAR, st, line);
  hmir_loop_body(b, n->u.loop.body, x, latch);
  hmir_jump(b, latch, line);
  hmir_seal(b, latch);
  if (b->cur) {
    hmir_instr_t* again = _hmir_instr_new(b->f, HMIR_FORLOOP, 1, line);
    again->ops[0] = st;
    hmir_branch(b, again, body, x);
  }
  hmir_header_finish(b, body, &hp);
  hmir_seal(b, x);
}

// for v in e: arrays (values) and maps (keys) through the VM's iterator.
static void hmir_for_in(hmir_builder_t* b, const hlang_node_t* n) {
  uint32_t line = n->line;
  hmir_instr_t* coll = hmir_expr(b, n->u.loop.iter);
  hmir_join_t* h = hmir_join_new(b, line);
  hmir_join_t* body = hmir_join_new(b, n->u.loop.body->line);
  hmir_join_t* x = hmir_join_new(b, line);
  hmir_instr_t* it = _hmir_instr_new(b->f, HMIR_ITERPREP, 1, line);
  it->ops[0] = coll;
  hmir_block_t* pre = b->cur;
  _hmir_terminate(b->f, pre, it, hmir_join_block(b, h), NULL);
  hmir_edge_add(b, h, pre);
  b->cur = NULL;
  hmir_header_t hp = hmir_header_seal(b, h, n->u.loop.body);
  hmir_instr_t* next = _hmir_instr_new(b->f, HMIR_ITERNEXT, 1, line);
  next->ops[0] = it;
  hmir_branch(b, next, body, x);
  hmir_seal(b, body);
  b->defs[n->u.loop.local] = hmir_emit1(b, HMIR_ITERVAR, it, line);
  hmir_loop_body(b, n->u.loop.body, x, h);
  hmir_jump(b, h, line);
  hmir_header_finish(b, h, &hp);
  hmir_seal(b, x);
}

static bool hmir_is_range_call(const hlang_node_t* e) {
  if (e->kind != HLANG_CALL || e->u.call.nargs < 1 || e->u.call.nargs > 3) return false;
  const hlang_node_t* c = e->u.call.callee;
  return c->kind == HLANG_NAME && c->u.name.ref.kind == HLANG_REF_BUILTIN && c->u.name.ref.index == HLANG_BUILTIN_RANGE;
}

static void hmir_assign(hmir_builder_t* b, const hlang_node_t* n) {
  const hlang_node_t* t = n->u.op.a;
  if (t->kind == HLANG_NAME) {
    b->defs[t->u.name.ref.index] = hmir_expr(b, n->u.op.b);
    return;
  }
  hmir_instr_t* obj = hmir_expr(b, t->u.op.a);
  hmir_instr_t* key = hmir_expr(b, t->u.op.b);
  hmir_instr_t* val = hmir_expr(b, n->u.op.b);
  hmir_instr_t* s = hmir_emit(b, HMIR_SETINDEX, 3, n->line);
  s->ops[0] = obj;
  s->ops[1] = key;
  s->ops[2] = val;
}

static void hmir_return(hmir_builder_t* b, const hlang_node_t* n) {
  hmir_instr_t* v = n->u.op.a ? hmir_expr(b, n->u.op.a) : hmir_const(b, HMIR_C_NIL, n->line);
  hmir_instr_t* r = _hmir_instr_new(b->f, HMIR_RET, 1, n->line);
  r->ops[0] = v;
  _hmir_terminate(b->f, b->cur, r, NULL, NULL);
  b->cur = NULL;
}

static void hmir_stmt(hmir_builder_t* b, const hlang_node_t* n) {
  switch (n->kind) {
    case HLANG_LET:
      b->defs[n->u.let.local] = n->u.let.value ? hmir_expr(b, n->u.let.value) : hmir_const(b, HMIR_C_NIL, n->line);
      break;
    case HLANG_ASSIGN: hmir_assign(b, n); break;
    case HLANG_EXPR: hmir_expr(b, n->u.op.a); break;
    case HLANG_RETURN: hmir_return(b, n); break;
    case HLANG_BREAK: hmir_jump(b, b->loop->brk, n->line); break;
    case HLANG_CONTINUE: hmir_jump(b, b->loop->cont, n->line); break;
    case HLANG_BLOCK: hmir_block_stmts(b, n); break;
    case HLANG_IF: hmir_if(b, n); break;
    case HLANG_WHILE: hmir_while(b, n); break;
    case HLANG_FOR:
      if (hmir_is_range_call(n->u.loop.iter)) hmir_for_range(b, n, n->u.loop.iter);
      else hmir_for_in(b, n);
      b->defs[n->u.loop.local] = NULL;
      break;
    default: break;
  }
}

void _hmir_build_fn(hmir_func_t* f, const hlang_program_t* prog, uint32_t index) {
  const hlang_fn_t* fn = hlang_fn(prog, index);
  hmir_builder_t b;
  memset(&b, 0, sizeof b);
  b.f = f;
  b.prog = prog;
  b.fn = fn;
  b.nlocals = fn->nlocals;
  f->prog = prog;
  f->name = fn->name;
  f->index = index;
  f->nparams = fn->nparams;
  f->line = fn->line;
  b.defs = _hmir_alloc(f, (b.nlocals ? b.nlocals : 1) * sizeof *b.defs, HMIR_SITE("mir.ssa"));
  memset(b.defs, 0, b.nlocals * sizeof *b.defs);
  b.cur = _hmir_block_new(f, fn->line);
  for (uint32_t k = 0; k < fn->nparams; k++) b.defs[k] = hmir_ref(&b, HMIR_PARAM, k, fn->line);
  hmir_block_stmts(&b, fn->body);
  if (b.cur) {  // falling off the end returns nil
    uint32_t line = fn->body->u.list.n ? fn->body->u.list.items[fn->body->u.list.n - 1]->line : fn->line;
    hmir_instr_t* r = _hmir_instr_new(f, HMIR_RET, 1, line);
    r->ops[0] = hmir_const(&b, HMIR_C_NIL, line);
    _hmir_terminate(f, b.cur, r, NULL, NULL);
  }
}
