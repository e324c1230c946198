/* resolve.c: name resolution, run after a clean parse.

   Binds every NAME node to what it means, in this order:
     1. a local of the current function in an enclosing block (the innermost
        declaration before the use; `let x = x + 1` reads the outer x),
     2. a top-level `fn` or `extern` of the script (any order of definition),
     3. a builtin of the language.
   Anything else is an undefined name, reported before the script runs.
   Assignments need a local. Locals get numbers 0..nlocals-1 per function in
   order of declaration (parameters first); a nested block reuses nothing, so
   every declaration has its own number (runtime/mir turns them into SSA
   values). Top-level lets are locals of <main>, invisible to functions.

   Top-level names live in a hash table. The scope stack holds (name, local) pairs; a block remembers the stack
   height at its start and cuts it back at its end. Lookup scans the stack
   from the top: scopes are short, and the scan is cache-friendly. */
#include <string.h>

#include "lang_internal.h"

typedef struct hlang_binding_s {
  const char* name;
  uint32_t local;
} hlang_binding_t;

typedef struct hlang_global_s {
  const char* name;  // NULL: empty slot
  hlang_ref_t ref;   // HLANG_REF_FN or HLANG_REF_EXTERN
  uint32_t line;     // of the definition
} hlang_global_t;

typedef struct hlang_resolver_s {
  hlang_program_t* prog;
  hlang_global_t* globals;    // top-level names, open addressing (arena)
  uint32_t nglobals_cap;      // power of two, at least twice the names
  hlang_fn_t* fn;             // the function being resolved
  hlang_binding_t* scope;     // visible locals, innermost last
  uint32_t nscope, scope_cap;
  const char** local_names;   // fn's locals by number (arena)
  uint32_t names_cap;
} hlang_resolver_t;

// ----- Globals -----
// Top-level fns and externs, in an open-addressing table keyed by name
// (FNV-1a), built once per program: a script may define thousands.
static uint32_t hlang_hash(const char* s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

static hlang_global_t* hlang_global_slot(const hlang_resolver_t* r, const char* name) {
  uint32_t mask = r->nglobals_cap - 1;
  for (uint32_t i = hlang_hash(name) & mask;; i = (i + 1) & mask) {
    hlang_global_t* g = &r->globals[i];
    if (g->name == NULL || strcmp(g->name, name) == 0) return g;
  }
}

// The top-level fn or extern called `name` (kind NONE when there is none).
static hlang_ref_t hlang_global(const hlang_resolver_t* r, const char* name) {
  hlang_ref_t none = {HLANG_REF_NONE, 0};
  hlang_global_t* g = hlang_global_slot(r, name);
  return g->name ? g->ref : none;
}

static void hlang_global_add(hlang_resolver_t* r, const char* name, hlang_ref_kind_t kind, uint32_t index, uint32_t line,
                             uint32_t col) {
  hlang_global_t* g = hlang_global_slot(r, name);
  if (g->name) {
    const char* what = g->ref.kind == HLANG_REF_FN ? "a function" : "an extern";
    _hlang_error(r->prog, line, col, "'%s' is already defined as %s at line %u", name, what, g->line);
    return;
  }
  g->name = name;
  g->ref.kind = (uint8_t)kind;
  g->ref.index = index;
  g->line = line;
}

static void hlang_globals_build(hlang_resolver_t* r) {
  hlang_program_t* prog = r->prog;
  uint32_t n = prog->nfns + prog->nexterns;
  r->nglobals_cap = 16;
  while (r->nglobals_cap < 2 * n) r->nglobals_cap *= 2;
  r->globals = _hlang_alloc(prog, r->nglobals_cap * sizeof *r->globals);
  memset(r->globals, 0, r->nglobals_cap * sizeof *r->globals);
  // in source order (a merge of the two lists), so a second definition is
  // the one reported
  uint32_t f = 1, x = 0;
  while (f < prog->nfns || x < prog->nexterns) {
    const hlang_fn_t* fn = f < prog->nfns ? prog->fns[f] : NULL;
    const hlang_extern_t* e = x < prog->nexterns ? prog->externs[x] : NULL;
    if (fn && (!e || fn->line < e->line || (fn->line == e->line && fn->col < e->col))) {
      hlang_global_add(r, fn->name, HLANG_REF_FN, f++, fn->line, fn->col);
    } else {
      hlang_global_add(r, e->name, HLANG_REF_EXTERN, x++, e->line, e->col);
    }
  }
}

// ----- Scopes -----
static uint32_t hlang_declare(hlang_resolver_t* r, const char* name) {
  hlang_fn_t* fn = r->fn;
  uint32_t local = fn->nlocals++;
  r->local_names = _hlang_grow(r->prog, r->local_names, &r->names_cap, fn->nlocals, sizeof(const char*));
  r->local_names[local] = name;
  r->scope = _hlang_grow(r->prog, r->scope, &r->scope_cap, r->nscope + 1, sizeof *r->scope);
  r->scope[r->nscope].name = name;
  r->scope[r->nscope].local = local;
  r->nscope++;
  return local;
}

static bool hlang_lookup_local(const hlang_resolver_t* r, const char* name, uint32_t* local) {
  for (uint32_t i = r->nscope; i-- > 0;) {
    if (strcmp(r->scope[i].name, name) == 0) {
      *local = r->scope[i].local;
      return true;
    }
  }
  return false;
}

static void hlang_bind(hlang_resolver_t* r, hlang_node_t* n) {
  const char* name = n->u.name.name;
  uint32_t local;
  if (hlang_lookup_local(r, name, &local)) {
    n->u.name.ref.kind = HLANG_REF_LOCAL;
    n->u.name.ref.index = local;
    return;
  }
  n->u.name.ref = hlang_global(r, name);
  if (n->u.name.ref.kind != HLANG_REF_NONE) return;
  int b = hlang_builtin_lookup(name);
  if (b >= 0) {
    n->u.name.ref.kind = HLANG_REF_BUILTIN;
    n->u.name.ref.index = (uint32_t)b;
    return;
  }
  _hlang_error(r->prog, n->line, n->col, "undefined name '%s'", name);
}

// ----- Walk -----
static void hlang_resolve_expr(hlang_resolver_t* r, hlang_node_t* n);
static void hlang_resolve_stmt(hlang_resolver_t* r, hlang_node_t* n);

static void hlang_resolve_exprs(hlang_resolver_t* r, hlang_node_t** items, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) hlang_resolve_expr(r, items[i]);
}

static void hlang_resolve_expr(hlang_resolver_t* r, hlang_node_t* n) {
  switch (n->kind) {
    case HLANG_NAME: hlang_bind(r, n); break;
    case HLANG_ARRAY: hlang_resolve_exprs(r, n->u.list.items, n->u.list.n); break;
    case HLANG_MAP:
      hlang_resolve_exprs(r, n->u.list.items, n->u.list.n);
      hlang_resolve_exprs(r, n->u.list.vals, n->u.list.n);
      break;
    case HLANG_CALL:
      hlang_resolve_expr(r, n->u.call.callee);
      hlang_resolve_exprs(r, n->u.call.args, n->u.call.nargs);
      break;
    case HLANG_UNARY: hlang_resolve_expr(r, n->u.op.a); break;
    case HLANG_BINARY:
    case HLANG_AND:
    case HLANG_OR:
    case HLANG_INDEX:
      hlang_resolve_expr(r, n->u.op.a);
      hlang_resolve_expr(r, n->u.op.b);
      break;
    default: break;  // literals
  }
}

static void hlang_resolve_block(hlang_resolver_t* r, hlang_node_t* block) {
  uint32_t mark = r->nscope;
  for (uint32_t i = 0; i < block->u.list.n; i++) hlang_resolve_stmt(r, block->u.list.items[i]);
  r->nscope = mark;
}

static void hlang_resolve_assign(hlang_resolver_t* r, hlang_node_t* n) {
  hlang_node_t* t = n->u.op.a;
  hlang_resolve_expr(r, n->u.op.b);
  if (t->kind == HLANG_INDEX) {
    hlang_resolve_expr(r, t);
    return;
  }
  uint32_t local;
  if (hlang_lookup_local(r, t->u.name.name, &local)) {
    t->u.name.ref.kind = HLANG_REF_LOCAL;
    t->u.name.ref.index = local;
    return;
  }
  hlang_ref_t g = hlang_global(r, t->u.name.name);
  if (g.kind == HLANG_REF_FN || g.kind == HLANG_REF_EXTERN) {
    _hlang_error(r->prog, t->line, t->col, "cannot assign to function '%s' (declare a local with let)", t->u.name.name);
  } else if (hlang_builtin_lookup(t->u.name.name) >= 0) {
    _hlang_error(r->prog, t->line, t->col, "cannot assign to builtin '%s' (declare a local with let)", t->u.name.name);
  } else {
    _hlang_error(r->prog, t->line, t->col, "assignment to undeclared name '%s' (declare it with let)", t->u.name.name);
  }
}

static void hlang_resolve_stmt(hlang_resolver_t* r, hlang_node_t* n) {
  switch (n->kind) {
    case HLANG_LET:
      if (n->u.let.value) hlang_resolve_expr(r, n->u.let.value);
      n->u.let.local = hlang_declare(r, n->u.let.name);
      break;
    case HLANG_ASSIGN: hlang_resolve_assign(r, n); break;
    case HLANG_EXPR: hlang_resolve_expr(r, n->u.op.a); break;
    case HLANG_RETURN:
      if (n->u.op.a) hlang_resolve_expr(r, n->u.op.a);
      break;
    case HLANG_IF:
      hlang_resolve_expr(r, n->u.op.a);
      hlang_resolve_block(r, n->u.op.b);
      if (n->u.op.c) hlang_resolve_stmt(r, n->u.op.c);  // BLOCK or IF
      break;
    case HLANG_WHILE:
      hlang_resolve_expr(r, n->u.op.a);
      hlang_resolve_block(r, n->u.op.b);
      break;
    case HLANG_FOR: {
      hlang_resolve_expr(r, n->u.loop.iter);
      uint32_t mark = r->nscope;
      n->u.loop.local = hlang_declare(r, n->u.loop.name);
      hlang_resolve_block(r, n->u.loop.body);
      r->nscope = mark;
      break;
    }
    case HLANG_BLOCK: hlang_resolve_block(r, n); break;
    default: break;  // break, continue
  }
}

static void hlang_resolve_fn(hlang_resolver_t* r, hlang_fn_t* fn) {
  r->fn = fn;
  r->nscope = 0;
  r->local_names = NULL;
  r->names_cap = 0;
  fn->nlocals = 0;
  for (uint32_t i = 0; i < fn->nparams; i++) {
    uint32_t dup;
    if (hlang_lookup_local(r, fn->params[i], &dup)) {
      _hlang_error(r->prog, fn->line, fn->col, "function '%s' has two parameters named '%s'", fn->name, fn->params[i]);
    }
    hlang_declare(r, fn->params[i]);
  }
  hlang_resolve_block(r, fn->body);
  fn->local_names = r->local_names;
}

// Resolution finds errors function by function, statement by statement;
// users read them in source order (insertion sort: at most 20).
static void hlang_sort_diags(hlang_program_t* prog) {
  uint32_t n = prog->ndiags - (prog->too_many ? 1 : 0);  // "too many errors" stays last
  for (uint32_t i = 1; i < n; i++) {
    hlang_diag_t d = prog->diags[i];
    uint32_t j = i;
    while (j > 0 && (prog->diags[j - 1].line > d.line || (prog->diags[j - 1].line == d.line && prog->diags[j - 1].col > d.col))) {
      prog->diags[j] = prog->diags[j - 1];
      j--;
    }
    prog->diags[j] = d;
  }
}

void _hlang_resolve(hlang_program_t* prog) {
  hlang_resolver_t r;
  memset(&r, 0, sizeof r);
  r.prog = prog;
  hlang_globals_build(&r);
  for (uint32_t i = 0; i < prog->nfns && !prog->too_many; i++) hlang_resolve_fn(&r, prog->fns[i]);
  hlang_sort_diags(prog);
}
