/* ast.c: AST nodes, functions and externs of a program, and the AST dump.

   Nodes are immutable once the parser has built them, except for the
   bindings that resolve.c writes (name refs, local numbers). The dump is an
   S-expression per top-level item, used by the parser tests; it recurses over
   the tree, which the parser bounds (HLANG_MAX_NEST, HLANG_MAX_DEPTH). */
#include <stdlib.h>
#include <string.h>

#include "lang_internal.h"

// ----- Construction -----
hlang_node_t* _hlang_node(hlang_program_t* prog, hlang_kind_t kind, uint32_t line, uint32_t col) {
  hlang_node_t* n = _hlang_alloc(prog, sizeof *n);
  memset(n, 0, sizeof *n);
  n->kind = (uint8_t)kind;
  n->height = 1;
  n->line = line;
  n->col = col;
  return n;
}

hlang_fn_t* _hlang_fn_add(hlang_program_t* prog, const char* name, uint32_t line, uint32_t col) {
  hlang_fn_t* f = _hlang_alloc(prog, sizeof *f);
  memset(f, 0, sizeof *f);
  f->name = name;
  f->line = line;
  f->col = col;
  prog->fns = _hlang_grow(prog, prog->fns, &prog->fns_cap, prog->nfns + 1, sizeof *prog->fns);
  prog->fns[prog->nfns++] = f;
  return f;
}

hlang_extern_t* _hlang_extern_add(hlang_program_t* prog) {
  hlang_extern_t* e = _hlang_alloc(prog, sizeof *e);
  memset(e, 0, sizeof *e);
  prog->externs = _hlang_grow(prog, prog->externs, &prog->externs_cap, prog->nexterns + 1, sizeof *prog->externs);
  prog->externs[prog->nexterns++] = e;
  return e;
}

// ----- Names of enums -----
static const char* const hlang_kind_names[] = {
#define HLANG_KIND_NAME_(n, s) s,
    HLANG_NODE_KINDS(HLANG_KIND_NAME_)
#undef HLANG_KIND_NAME_
};
static const char* const hlang_op_names[] = {
#define HLANG_OP_NAME_(n, s) s,
    HLANG_OPS(HLANG_OP_NAME_)
#undef HLANG_OP_NAME_
};
static const char* const hlang_builtin_names[] = {
#define HLANG_BUILTIN_NAME_(n, s) s,
    HLANG_BUILTINS(HLANG_BUILTIN_NAME_)
#undef HLANG_BUILTIN_NAME_
};
static const char* const hlang_ctype_names[] = {"void", "i64", "f64", "str", "ptr"};

const char* hlang_kind_name(hlang_kind_t k) { return (unsigned)k < HLANG_KIND_COUNT ? hlang_kind_names[k] : NULL; }
const char* hlang_op_name(hlang_op_t op) { return (unsigned)op < HLANG_OP_COUNT ? hlang_op_names[op] : NULL; }
const char* hlang_builtin_name(hlang_builtin_t b) { return (unsigned)b < HLANG_BUILTIN_COUNT ? hlang_builtin_names[b] : NULL; }
const char* hlang_ctype_name(hlang_ctype_t t) { return (unsigned)t <= HLANG_CTYPE_PTR ? hlang_ctype_names[t] : NULL; }

int hlang_builtin_lookup(const char* name) {
  for (int b = 0; b < HLANG_BUILTIN_COUNT; b++) {
    if (strcmp(hlang_builtin_names[b], name) == 0) return b;
  }
  return -1;
}

// ----- Dump -----
static void hlang_dump_node(const hlang_node_t* n, FILE* out);

static void hlang_dump_string(const char* s, uint32_t len, FILE* out) {
  fputc('"', out);
  for (uint32_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
    else if (c == '\n') fputs("\\n", out);
    else if (c < 0x20 || c >= 0x7f) fprintf(out, "\\x%02X", c);
    else fputc(c, out);
  }
  fputc('"', out);
}

// Shortest digits that read back as the same double, always with a '.' or
// an exponent so a float never looks like an int (also the MIR dump's).
void hlang_dump_float(double f, FILE* out) {
  char buf[40];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, f);
    if (strtod(buf, NULL) == f) break;
  }
  if (strspn(buf, "-0123456789") == strlen(buf)) strcat(buf, ".0");
  fputs(buf, out);
}

static void hlang_dump_list(hlang_node_t* const* items, uint32_t n, FILE* out) {
  for (uint32_t i = 0; i < n; i++) {
    fputc(' ', out);
    hlang_dump_node(items[i], out);
  }
}

static void hlang_dump_name(const hlang_node_t* n, FILE* out) {
  fputs(n->u.name.name, out);
  switch (n->u.name.ref.kind) {
    case HLANG_REF_LOCAL: fprintf(out, "@%u", n->u.name.ref.index); break;
    case HLANG_REF_FN: fprintf(out, "@f%u", n->u.name.ref.index); break;
    case HLANG_REF_EXTERN: fprintf(out, "@e%u", n->u.name.ref.index); break;
    case HLANG_REF_BUILTIN: fputs("@b", out); break;
    default: break;
  }
}

static void hlang_dump_map(const hlang_node_t* n, FILE* out) {
  fputs("(map", out);
  for (uint32_t i = 0; i < n->u.list.n; i++) {
    fputs(" (", out);
    hlang_dump_node(n->u.list.items[i], out);
    fputc(' ', out);
    hlang_dump_node(n->u.list.vals[i], out);
    fputc(')', out);
  }
  fputc(')', out);
}

// Statements and compound expressions: "(kind children...)".
static void hlang_dump_compound(const hlang_node_t* n, FILE* out) {
  const char* head = n->kind == HLANG_UNARY || n->kind == HLANG_BINARY ? hlang_op_name(n->op) : hlang_kind_name(n->kind);
  fprintf(out, "(%s", head);
  switch (n->kind) {
    case HLANG_ARRAY:
    case HLANG_BLOCK: hlang_dump_list(n->u.list.items, n->u.list.n, out); break;
    case HLANG_CALL:
      fputc(' ', out);
      hlang_dump_node(n->u.call.callee, out);
      hlang_dump_list(n->u.call.args, n->u.call.nargs, out);
      break;
    case HLANG_LET:
      fprintf(out, " %s@%u", n->u.let.name, n->u.let.local);
      if (n->u.let.value) hlang_dump_list(&n->u.let.value, 1, out);
      break;
    case HLANG_FOR:
      fprintf(out, " %s@%u ", n->u.loop.name, n->u.loop.local);
      hlang_dump_node(n->u.loop.iter, out);
      hlang_dump_list(&n->u.loop.body, 1, out);
      break;
    default:  // a, b, c in order, skipping NULLs
      for (int k = 0; k < 3; k++) {
        const hlang_node_t* c = k == 0 ? n->u.op.a : k == 1 ? n->u.op.b : n->u.op.c;
        if (c) hlang_dump_list((hlang_node_t* const*)&c, 1, out);
      }
      break;
  }
  fputc(')', out);
}

static void hlang_dump_node(const hlang_node_t* n, FILE* out) {
  switch (n->kind) {
    case HLANG_NIL:
    case HLANG_TRUE:
    case HLANG_FALSE: fputs(hlang_kind_name(n->kind), out); break;
    case HLANG_INT: fprintf(out, "%lld", (long long)n->u.i); break;
    case HLANG_FLOAT: hlang_dump_float(n->u.f, out); break;
    case HLANG_STRING: hlang_dump_string(n->u.str.s, n->u.str.len, out); break;
    case HLANG_NAME: hlang_dump_name(n, out); break;
    case HLANG_MAP: hlang_dump_map(n, out); break;
    default: hlang_dump_compound(n, out); break;
  }
}

static void hlang_dump_fn(const hlang_fn_t* f, FILE* out) {
  fprintf(out, "(fn %s (", f->name);
  for (uint32_t i = 0; i < f->nparams; i++) fprintf(out, "%s%s", i ? " " : "", f->params[i]);
  fputs(") ", out);
  hlang_dump_node(f->body, out);
  fputs(")\n", out);
}

static const char* hlang_ctype_text(uint8_t t) {
  const char* s = hlang_ctype_name((hlang_ctype_t)t);
  return s ? s : "?";
}

// A program with errors may hold half-built nodes: only clean ones are dumped.
void hlang_program_dump(const hlang_program_t* prog, FILE* out) {
  if (prog == NULL) return;
  if (prog->ndiags) {
    fprintf(out, "(errors %u)\n", prog->ndiags);
    return;
  }
  for (uint32_t i = 0; i < prog->nexterns; i++) {
    const hlang_extern_t* e = prog->externs[i];
    fputs("(extern ", out);
    hlang_dump_string(e->lib, (uint32_t)strlen(e->lib), out);
    fprintf(out, " %s (", e->name);
    for (uint32_t k = 0; k < e->nparams; k++) fprintf(out, "%s%s", k ? " " : "", hlang_ctype_text(e->params[k]));
    fprintf(out, ") %s)\n", hlang_ctype_text(e->ret));
  }
  for (uint32_t i = 0; i < prog->nfns; i++) hlang_dump_fn(prog->fns[i], out);
}
