/* parse.c: the hk parser, recursive descent with one token of lookahead.

   Precedence, lowest first (one function per level):
     or < and < not < comparison < + - < * / % < unary - < postfix ( [ .
   Binary operators are left-associative, comparisons included (Lua, JS).

   Errors: the first error of a statement is reported and sets p->panic;
   while panic is set nothing more is reported and every function returns a
   harmless node without consuming more input; the statement loop then skips
   to a point where a statement can start (hlang_sync) and clears panic. So
   one run reports several errors, one per broken statement.

   Bounds: every recursive descent (nested blocks, parentheses, brackets,
   calls, prefix operators) passes hlang_enter, which stops at
   HLANG_MAX_NEST; every node's height is kept and an operator chain that
   would pass HLANG_MAX_DEPTH stops growing. So no input can overflow the C
   stack here or in the recursive walkers after the parser. */
#include <string.h>

#include "lang_internal.h"

// ----- Tokens -----
static void hlang_advance(hlang_parser_t* p) {
  p->prev_line = p->tok.line;
  p->prev_end = p->tok.col + p->tok.len;
  _hlang_lex_next(&p->lx, &p->tok);
}

static bool hlang_at(const hlang_parser_t* p, hlang_tok_t k) { return p->tok.kind == k; }

static bool hlang_accept(hlang_parser_t* p, hlang_tok_t k) {
  if (!hlang_at(p, k)) return false;
  hlang_advance(p);
  return true;
}

// Reports an error at the current token unless one was already reported for
// this statement (or the token is an ERROR the lexer already reported).
static void hlang_fail_at(hlang_parser_t* p, uint32_t line, uint32_t col, const char* fmt, const char* a, const char* b) {
  if (!p->panic && p->tok.kind != HLANG_T_ERROR) _hlang_error(p->prog, line, col, fmt, a, b);
  p->panic = true;
}

static void hlang_fail(hlang_parser_t* p, const char* fmt, const char* a) {
  hlang_fail_at(p, p->tok.line, p->tok.col, fmt, a, "");
}

// The current token as shown in "found ..." messages.
static const char* hlang_found(hlang_parser_t* p) {
  if (p->tok.kind == HLANG_T_NAME) {
    char* s = _hlang_alloc(p->prog, p->tok.v.str.len + 8);
    strcpy(s, "name '");
    strcat(s, p->tok.v.str.s);
    strcat(s, "'");
    return s;
  }
  return _hlang_tok_name((hlang_tok_t)p->tok.kind);
}

// A missing token at the start of a new line is reported where it was
// missing: just after the previous token (a forgotten ';').
static bool hlang_expect(hlang_parser_t* p, hlang_tok_t k, const char* context) {
  if (p->panic) return false;  // hlang_sync decides what to skip
  if (hlang_accept(p, k)) return true;
  if (!p->panic && p->tok.kind != HLANG_T_ERROR) {
    bool eol = p->tok.nl_before && p->prev_line > 0;
    _hlang_error(p->prog, eol ? p->prev_line : p->tok.line, eol ? p->prev_end : p->tok.col, "expected %s%s, found %s",
                 _hlang_tok_name(k), context, hlang_found(p));
  }
  p->panic = true;
  return false;
}

// An error that leaves the parse on track (a misplaced but well-formed
// construct): reported, no panic, so the statement goes on being checked.
static void hlang_note(hlang_parser_t* p, const char* msg, const char* arg) {
  if (!p->panic) _hlang_error(p->prog, p->tok.line, p->tok.col, msg, arg);
}

// Expression brackets: `open` counts the ( [ { of expressions not closed
// yet, so that hlang_sync can skip to their closers after an error.
static void hlang_opened(hlang_parser_t* p) { p->open++; }

static bool hlang_close(hlang_parser_t* p, hlang_tok_t k, const char* context) {
  if (!hlang_expect(p, k, context)) return false;
  p->open--;
  return true;
}

static bool hlang_enter(hlang_parser_t* p) {
  if (p->nest >= HLANG_MAX_NEST) {  // hopeless to recover inside: stop the parse here
    hlang_fail(p, "nesting too deep (more than %s levels of blocks, brackets or operators)", "200");
    p->prog->too_many = true;
    return false;
  }
  p->nest++;
  return true;
}

static void hlang_leave(hlang_parser_t* p) { p->nest--; }

// ----- Lists under construction -----
// The scratch stack lives in the program (not in the parser) so that
// hlang_parse can free it after a longjmp for lack of memory.
static void hlang_push_ptr(hlang_parser_t* p, void* item) {
  hlang_program_t* prog = p->prog;
  if (prog->scratch_len == prog->scratch_cap) {
    const hak_alc_t* alc = prog->arena.alc;
    uint32_t ncap = prog->scratch_cap ? prog->scratch_cap * 2 : 64;
    hak_site_t site = HAK_SITE(HAK_SUBSYS("lang"), "lang.parse");
    void* s = prog->scratch ? alc->realloc(alc->ctx, prog->scratch, prog->scratch_cap * sizeof(void*), ncap * sizeof(void*), site)
                            : alc->alloc(alc->ctx, ncap * sizeof(void*), site);
    if (s == NULL) longjmp(*prog->arena.oom, 1);
    prog->scratch = s;
    prog->scratch_cap = ncap;
  }
  prog->scratch[prog->scratch_len++] = item;
}

static void hlang_push(hlang_parser_t* p, hlang_node_t* n) { hlang_push_ptr(p, n); }

static uint32_t hlang_mark(const hlang_parser_t* p) { return p->prog->scratch_len; }

// Moves the items pushed since `mark` into an arena array.
static void* hlang_pop_items(hlang_parser_t* p, uint32_t mark, uint32_t* n) {
  hlang_program_t* prog = p->prog;
  *n = prog->scratch_len - mark;
  void** items = NULL;
  if (*n) {
    items = _hlang_alloc(prog, *n * sizeof *items);
    memcpy(items, prog->scratch + mark, *n * sizeof *items);
  }
  prog->scratch_len = mark;
  return items;
}

static hlang_node_t** hlang_pop_list(hlang_parser_t* p, uint32_t mark, uint32_t* n) { return hlang_pop_items(p, mark, n); }

static uint32_t hlang_list_height(hlang_node_t* const* items, uint32_t n) {
  uint32_t h = 0;
  for (uint32_t i = 0; i < n; i++) h = items[i]->height > h ? items[i]->height : h;
  return h;
}

// Sets n's height from its children's; false (and an error) past the limit.
static bool hlang_set_height(hlang_parser_t* p, hlang_node_t* n, uint32_t child_height) {
  if (child_height + 1 >= HLANG_MAX_DEPTH) {
    hlang_fail_at(p, n->line, n->col, "expression too deeply nested (its tree is more than %s levels high)%s", "1000", "");
    return false;
  }
  n->height = (uint16_t)(child_height + 1);
  return true;
}

// ----- Expressions -----
static hlang_node_t* hlang_expr(hlang_parser_t* p);

static hlang_node_t* hlang_dummy(hlang_parser_t* p) { return _hlang_node(p->prog, HLANG_NIL, p->tok.line, p->tok.col); }

// Comma-separated expressions up to `close`; returns the count, items pushed.
static uint32_t hlang_expr_list(hlang_parser_t* p, hlang_tok_t close, const char* what) {
  uint32_t n = 0;
  while (!hlang_at(p, close) && !p->panic) {
    hlang_push(p, hlang_expr(p));
    n++;
    if (!hlang_accept(p, HLANG_T_COMMA)) break;
  }
  hlang_close(p, close, what);
  return n;
}

static hlang_node_t* hlang_array_lit(hlang_parser_t* p, uint32_t line, uint32_t col) {
  hlang_node_t* n = _hlang_node(p->prog, HLANG_ARRAY, line, col);
  uint32_t mark = hlang_mark(p);
  hlang_expr_list(p, HLANG_T_RBRACKET, " to close the array");
  n->u.list.items = hlang_pop_list(p, mark, &n->u.list.n);
  hlang_set_height(p, n, hlang_list_height(n->u.list.items, n->u.list.n));
  return n;
}

// One `key: value` of a map literal; a bare name as key is a string.
static void hlang_map_entry(hlang_parser_t* p) {
  hlang_node_t* key;
  if (hlang_at(p, HLANG_T_NAME) && _hlang_lex_peek(&p->lx)->kind == HLANG_T_COLON) {
    key = _hlang_node(p->prog, HLANG_STRING, p->tok.line, p->tok.col);
    key->u.str.s = p->tok.v.str.s;
    key->u.str.len = p->tok.v.str.len;
    hlang_advance(p);
  } else {
    key = hlang_expr(p);
  }
  hlang_expect(p, HLANG_T_COLON, " after a map key");
  hlang_push(p, key);
  hlang_push(p, p->panic ? hlang_dummy(p) : hlang_expr(p));
}

static hlang_node_t* hlang_map_lit(hlang_parser_t* p, uint32_t line, uint32_t col) {
  hlang_node_t* n = _hlang_node(p->prog, HLANG_MAP, line, col);
  uint32_t mark = hlang_mark(p);
  while (!hlang_at(p, HLANG_T_RBRACE) && !p->panic) {
    hlang_map_entry(p);
    if (!hlang_accept(p, HLANG_T_COMMA)) break;
  }
  hlang_close(p, HLANG_T_RBRACE, " to close the map");
  uint32_t n2;
  hlang_node_t** kv = hlang_pop_list(p, mark, &n2);
  n->u.list.n = n2 / 2;
  n->u.list.items = _hlang_alloc(p->prog, (n2 / 2 + 1) * sizeof(hlang_node_t*));
  n->u.list.vals = _hlang_alloc(p->prog, (n2 / 2 + 1) * sizeof(hlang_node_t*));
  for (uint32_t i = 0; i < n2 / 2; i++) {
    n->u.list.items[i] = kv[2 * i];
    n->u.list.vals[i] = kv[2 * i + 1];
  }
  uint32_t h = hlang_list_height(n->u.list.items, n->u.list.n), hv = hlang_list_height(n->u.list.vals, n->u.list.n);
  hlang_set_height(p, n, h > hv ? h : hv);
  return n;
}

static hlang_node_t* hlang_literal(hlang_parser_t* p, hlang_kind_t kind) {
  hlang_node_t* n = _hlang_node(p->prog, kind, p->tok.line, p->tok.col);
  if (kind == HLANG_INT) {
    n->u.i = p->tok.v.i;
    if (p->tok.int_min) hlang_fail(p, "integer literal does not fit in 64 bits%s", "");
  } else if (kind == HLANG_FLOAT) {
    n->u.f = p->tok.v.f;
  } else if (kind == HLANG_STRING) {
    n->u.str.s = p->tok.v.str.s;
    n->u.str.len = p->tok.v.str.len;
  } else if (kind == HLANG_NAME) {
    n->u.name.name = p->tok.v.str.s;
  }
  hlang_advance(p);
  return n;
}

static hlang_node_t* hlang_primary(hlang_parser_t* p) {
  uint32_t line = p->tok.line, col = p->tok.col;
  switch (p->tok.kind) {
    case HLANG_T_NIL: return hlang_literal(p, HLANG_NIL);
    case HLANG_T_TRUE: return hlang_literal(p, HLANG_TRUE);
    case HLANG_T_FALSE: return hlang_literal(p, HLANG_FALSE);
    case HLANG_T_INT: return hlang_literal(p, HLANG_INT);
    case HLANG_T_FLOAT: return hlang_literal(p, HLANG_FLOAT);
    case HLANG_T_STRING: return hlang_literal(p, HLANG_STRING);
    case HLANG_T_NAME: return hlang_literal(p, HLANG_NAME);
    case HLANG_T_LPAREN: {
      hlang_advance(p);
      hlang_opened(p);
      hlang_node_t* e = hlang_expr(p);
      hlang_close(p, HLANG_T_RPAREN, " to close the parenthesis");
      return e;
    }
    case HLANG_T_LBRACKET: hlang_advance(p); hlang_opened(p); return hlang_array_lit(p, line, col);
    case HLANG_T_LBRACE: hlang_advance(p); hlang_opened(p); return hlang_map_lit(p, line, col);
    case HLANG_T_DOT: hlang_fail(p, "expected an expression, found '.' (a float needs a digit before the point: 0.5)%s", ""); break;
    default: hlang_fail(p, "expected an expression, found %s", hlang_found(p)); break;
  }
  return hlang_dummy(p);
}

static hlang_node_t* hlang_call(hlang_parser_t* p, hlang_node_t* callee) {
  hlang_node_t* n = _hlang_node(p->prog, HLANG_CALL, p->tok.line, p->tok.col);
  hlang_advance(p);  // (
  hlang_opened(p);
  n->u.call.callee = callee;
  uint32_t mark = hlang_mark(p);
  hlang_expr_list(p, HLANG_T_RPAREN, " to close the argument list");
  n->u.call.args = hlang_pop_list(p, mark, &n->u.call.nargs);
  uint32_t h = hlang_list_height(n->u.call.args, n->u.call.nargs);
  hlang_set_height(p, n, h > callee->height ? h : callee->height);
  return n;
}

static hlang_node_t* hlang_index(hlang_parser_t* p, hlang_node_t* obj) {
  hlang_node_t* n = _hlang_node(p->prog, HLANG_INDEX, p->tok.line, p->tok.col);
  bool dot = p->tok.kind == HLANG_T_DOT;
  hlang_advance(p);
  n->u.op.a = obj;
  if (dot) {  // m.k is m["k"]; keywords are fine as field names
    bool word = p->tok.kind == HLANG_T_NAME || (p->tok.kind >= HLANG_T_FIRST_KEYWORD && p->tok.kind <= HLANG_T_LAST_KEYWORD);
    if (!word) {
      hlang_fail(p, "expected a field name after '.', found %s", hlang_found(p));
      return obj;
    }
    n->u.op.b = hlang_literal(p, HLANG_STRING);
  } else {
    hlang_opened(p);
    n->u.op.b = hlang_expr(p);
    hlang_close(p, HLANG_T_RBRACKET, " to close the index");
  }
  uint32_t h = n->u.op.b->height > obj->height ? n->u.op.b->height : obj->height;
  return hlang_set_height(p, n, h) ? n : obj;
}

static hlang_node_t* hlang_postfix(hlang_parser_t* p) {
  hlang_node_t* e = hlang_primary(p);
  while (!p->panic) {
    if (hlang_at(p, HLANG_T_LPAREN)) {
      if (!hlang_enter(p)) break;
      e = hlang_call(p, e);
      hlang_leave(p);
    } else if (hlang_at(p, HLANG_T_LBRACKET) || hlang_at(p, HLANG_T_DOT)) {
      if (!hlang_enter(p)) break;
      e = hlang_index(p, e);
      hlang_leave(p);
    } else {
      break;
    }
  }
  return e;
}

static hlang_node_t* hlang_unary_node(hlang_parser_t* p, hlang_op_t op, uint32_t line, uint32_t col, hlang_node_t* a) {
  hlang_node_t* n = _hlang_node(p->prog, HLANG_UNARY, line, col);
  n->op = (uint8_t)op;
  n->u.op.a = a;
  return hlang_set_height(p, n, a->height) ? n : a;
}

static hlang_node_t* hlang_unary(hlang_parser_t* p) {
  if (!hlang_at(p, HLANG_T_MINUS)) return hlang_postfix(p);
  uint32_t line = p->tok.line, col = p->tok.col;
  hlang_advance(p);
  if (hlang_at(p, HLANG_T_INT) && p->tok.int_min) {  // -9223372036854775808
    hlang_node_t* n = _hlang_node(p->prog, HLANG_INT, line, col);
    n->u.i = INT64_MIN;
    hlang_advance(p);
    return n;
  }
  if (!hlang_enter(p)) return hlang_dummy(p);
  hlang_node_t* a = hlang_unary(p);
  hlang_leave(p);
  return hlang_unary_node(p, HLANG_OP_NEG, line, col, a);
}

static hlang_node_t* hlang_binary_node(hlang_parser_t* p, hlang_kind_t kind, hlang_op_t op, const hlang_token_t* at,
                                       hlang_node_t* a, hlang_node_t* b) {
  hlang_node_t* n = _hlang_node(p->prog, kind, at->line, at->col);
  n->op = (uint8_t)op;
  n->u.op.a = a;
  n->u.op.b = b;
  return hlang_set_height(p, n, a->height > b->height ? a->height : b->height) ? n : a;
}

// Maps a token to a binary operator of precedence level `level` (0: * / %,
// 1: + -, 2: comparison); -1 when it is not one.
static int hlang_binop(hlang_tok_t t, int level) {
  switch (t) {
    case HLANG_T_STAR: return level == 0 ? HLANG_OP_MUL : -1;
    case HLANG_T_SLASH: return level == 0 ? HLANG_OP_DIV : -1;
    case HLANG_T_PERCENT: return level == 0 ? HLANG_OP_MOD : -1;
    case HLANG_T_PLUS: return level == 1 ? HLANG_OP_ADD : -1;
    case HLANG_T_MINUS: return level == 1 ? HLANG_OP_SUB : -1;
    case HLANG_T_EQ: return level == 2 ? HLANG_OP_EQ : -1;
    case HLANG_T_NE: return level == 2 ? HLANG_OP_NE : -1;
    case HLANG_T_LT: return level == 2 ? HLANG_OP_LT : -1;
    case HLANG_T_LE: return level == 2 ? HLANG_OP_LE : -1;
    case HLANG_T_GT: return level == 2 ? HLANG_OP_GT : -1;
    case HLANG_T_GE: return level == 2 ? HLANG_OP_GE : -1;
    default: return -1;
  }
}

// Levels 0..2 (see hlang_binop), left-associative.
static hlang_node_t* hlang_arith(hlang_parser_t* p, int level) {
  hlang_node_t* e = level == 0 ? hlang_unary(p) : hlang_arith(p, level - 1);
  int op;
  while (!p->panic && (op = hlang_binop((hlang_tok_t)p->tok.kind, level)) >= 0) {
    hlang_token_t at = p->tok;
    hlang_advance(p);
    hlang_node_t* b = level == 0 ? hlang_unary(p) : hlang_arith(p, level - 1);
    e = hlang_binary_node(p, HLANG_BINARY, (hlang_op_t)op, &at, e, b);
  }
  return e;
}

static hlang_node_t* hlang_not(hlang_parser_t* p) {
  if (!hlang_at(p, HLANG_T_NOT)) return hlang_arith(p, 2);
  uint32_t line = p->tok.line, col = p->tok.col;
  hlang_advance(p);
  if (!hlang_enter(p)) return hlang_dummy(p);
  hlang_node_t* a = hlang_not(p);
  hlang_leave(p);
  return hlang_unary_node(p, HLANG_OP_NOT, line, col, a);
}

static hlang_node_t* hlang_and(hlang_parser_t* p) {
  hlang_node_t* e = hlang_not(p);
  while (!p->panic && hlang_at(p, HLANG_T_AND)) {
    hlang_token_t at = p->tok;
    hlang_advance(p);
    e = hlang_binary_node(p, HLANG_AND, HLANG_OP_ADD, &at, e, hlang_not(p));
  }
  return e;
}

static hlang_node_t* hlang_expr(hlang_parser_t* p) {
  if (!hlang_enter(p)) return hlang_dummy(p);
  hlang_node_t* e = hlang_and(p);
  while (!p->panic && hlang_at(p, HLANG_T_OR)) {
    hlang_token_t at = p->tok;
    hlang_advance(p);
    e = hlang_binary_node(p, HLANG_OR, HLANG_OP_ADD, &at, e, hlang_and(p));
  }
  hlang_leave(p);
  return e;
}

// ----- Statements -----
static hlang_node_t* hlang_stmt(hlang_parser_t* p);

static bool hlang_stmt_start(hlang_tok_t t) {
  switch (t) {
    case HLANG_T_LET: case HLANG_T_FN: case HLANG_T_IF: case HLANG_T_WHILE: case HLANG_T_FOR:
    case HLANG_T_RETURN: case HLANG_T_BREAK: case HLANG_T_CONTINUE: case HLANG_T_EXTERN:
      return true;
    default:
      return false;
  }
}

// After an error: skips to just after a ';', or to a keyword that starts a
// statement, or to a '}' that closes the current block. Closers of the
// brackets the broken expression left open (p->open) are skipped on the way
// (so `[{a 1}];` ends at its ';'), and brackets or braces opened while
// skipping are skipped whole (so `if x y { ... }` ends after its block).
static void hlang_sync(hlang_parser_t* p) {
  uint32_t expr = p->open, skipped = 0;
  p->open = 0;
  while (!hlang_at(p, HLANG_T_EOF)) {
    hlang_tok_t k = (hlang_tok_t)p->tok.kind;
    bool closer = k == HLANG_T_RPAREN || k == HLANG_T_RBRACKET || k == HLANG_T_RBRACE;
    if (skipped == 0) {
      if (k == HLANG_T_SEMI) {
        hlang_advance(p);
        break;
      }
      if (hlang_stmt_start(k)) break;
      if (closer && expr > 0) {
        expr--;
        hlang_advance(p);
        continue;
      }
      if (k == HLANG_T_RBRACE) break;
    }
    if (k == HLANG_T_LPAREN || k == HLANG_T_LBRACKET || k == HLANG_T_LBRACE) skipped++;
    else if (closer && skipped > 0) skipped--;
    hlang_advance(p);
  }
  p->panic = false;
}

// '{' statements '}'
static hlang_node_t* hlang_block(hlang_parser_t* p, const char* what) {
  hlang_node_t* n = _hlang_node(p->prog, HLANG_BLOCK, p->tok.line, p->tok.col);
  if (!hlang_expect(p, HLANG_T_LBRACE, what)) return n;
  if (!hlang_enter(p)) return n;
  uint32_t mark = hlang_mark(p);
  while (!hlang_at(p, HLANG_T_RBRACE) && !hlang_at(p, HLANG_T_EOF) && !p->prog->too_many) {
    hlang_node_t* s = hlang_stmt(p);
    if (s) hlang_push(p, s);
    if (p->panic) hlang_sync(p);
  }
  n->u.list.items = hlang_pop_list(p, mark, &n->u.list.n);
  hlang_leave(p);
  if (!hlang_at(p, HLANG_T_RBRACE) && !p->prog->too_many) {
    char where[64];
    snprintf(where, sizeof where, " to close the block opened at line %u", n->line);
    hlang_expect(p, HLANG_T_RBRACE, where);
    return n;
  }
  hlang_advance(p);
  return n;
}

static hlang_node_t* hlang_let(hlang_parser_t* p) {
  hlang_node_t* n = _hlang_node(p->prog, HLANG_LET, p->tok.line, p->tok.col);
  hlang_advance(p);
  if (!hlang_at(p, HLANG_T_NAME)) {
    hlang_fail(p, "expected a name after 'let', found %s", hlang_found(p));
    return n;
  }
  n->u.let.name = p->tok.v.str.s;
  hlang_advance(p);
  if (hlang_accept(p, HLANG_T_ASSIGN)) n->u.let.value = hlang_expr(p);
  hlang_expect(p, HLANG_T_SEMI, " after the let statement");
  return n;
}

// The condition of if/while. A '{' right away is the body, not a map literal
// (a map would always be true): the condition is missing.
static hlang_node_t* hlang_cond(hlang_parser_t* p, const char* what) {
  if (hlang_at(p, HLANG_T_LBRACE)) {
    hlang_fail(p, "expected a condition after %s, found '{'", what);
    return hlang_dummy(p);
  }
  return hlang_expr(p);
}

// if c {} else if d {} ... else {}: the else-if chain is parsed in a loop
// (no recursion), and its length counts as tree height (HLANG_MAX_DEPTH).
static hlang_node_t* hlang_if(hlang_parser_t* p) {
  hlang_node_t* first = NULL;
  hlang_node_t* last = NULL;
  uint32_t links = 0;
  do {
    hlang_node_t* n = _hlang_node(p->prog, HLANG_IF, p->tok.line, p->tok.col);
    if (++links >= HLANG_MAX_DEPTH) {
      hlang_fail(p, "else-if chain too long (more than %s branches)", "1000");
      p->prog->too_many = true;  // the rest of the chain would only repeat this
      return first;
    }
    hlang_advance(p);  // if
    n->u.op.a = hlang_cond(p, "'if'");
    n->u.op.b = hlang_block(p, " to open the body of 'if'");
    if (last) last->u.op.c = n;
    else first = n;
    last = n;
    if (p->panic || !hlang_accept(p, HLANG_T_ELSE)) break;
    if (!hlang_at(p, HLANG_T_IF)) {
      last->u.op.c = hlang_block(p, " or 'if' after 'else'");
      break;
    }
  } while (true);
  first->height = (uint16_t)links;
  return first;
}

static hlang_node_t* hlang_while(hlang_parser_t* p) {
  hlang_node_t* n = _hlang_node(p->prog, HLANG_WHILE, p->tok.line, p->tok.col);
  hlang_advance(p);
  n->u.op.a = hlang_cond(p, "'while'");
  p->loops++;
  n->u.op.b = hlang_block(p, " to open the body of 'while'");
  p->loops--;
  return n;
}

static hlang_node_t* hlang_for(hlang_parser_t* p) {
  hlang_node_t* n = _hlang_node(p->prog, HLANG_FOR, p->tok.line, p->tok.col);
  hlang_advance(p);
  if (!hlang_at(p, HLANG_T_NAME)) {
    hlang_fail(p, "expected a loop variable after 'for', found %s", hlang_found(p));
    return n;
  }
  n->u.loop.name = p->tok.v.str.s;
  hlang_advance(p);
  if (!hlang_expect(p, HLANG_T_IN, " after the loop variable")) return n;
  n->u.loop.iter = hlang_expr(p);
  p->loops++;
  n->u.loop.body = hlang_block(p, " to open the body of 'for'");
  p->loops--;
  return n;
}

static hlang_node_t* hlang_jump(hlang_parser_t* p, hlang_kind_t kind) {
  hlang_node_t* n = _hlang_node(p->prog, kind, p->tok.line, p->tok.col);
  const char* word = kind == HLANG_BREAK ? "'break'" : "'continue'";
  if (p->loops == 0) hlang_note(p, "%s outside a loop", word);
  hlang_advance(p);
  hlang_expect(p, HLANG_T_SEMI, kind == HLANG_BREAK ? " after 'break'" : " after 'continue'");
  return n;
}

static hlang_node_t* hlang_return(hlang_parser_t* p) {
  hlang_node_t* n = _hlang_node(p->prog, HLANG_RETURN, p->tok.line, p->tok.col);
  hlang_advance(p);
  if (!hlang_at(p, HLANG_T_SEMI)) n->u.op.a = hlang_expr(p);
  hlang_expect(p, HLANG_T_SEMI, " after the return statement");
  return n;
}

// An expression statement or an assignment.
static hlang_node_t* hlang_simple(hlang_parser_t* p) {
  hlang_node_t* e = hlang_expr(p);
  if (!p->panic && hlang_at(p, HLANG_T_ASSIGN)) {
    if (e->kind != HLANG_NAME && e->kind != HLANG_INDEX) {
      hlang_fail(p, "cannot assign to this expression (only to a name, a[i] or m.k)%s", "");
      return NULL;
    }
    hlang_node_t* n = _hlang_node(p->prog, HLANG_ASSIGN, e->line, e->col);
    hlang_advance(p);
    n->u.op.a = e;
    n->u.op.b = hlang_expr(p);
    hlang_expect(p, HLANG_T_SEMI, " after the assignment");
    return n;
  }
  hlang_node_t* n = _hlang_node(p->prog, HLANG_EXPR, e->line, e->col);
  n->u.op.a = e;
  hlang_expect(p, HLANG_T_SEMI, " after the expression");
  return n;
}

// ----- Declarations -----
static void hlang_fn_decl(hlang_parser_t* p) {
  uint32_t line = p->tok.line, col = p->tok.col;
  if (p->in_fn || p->nest > 0) hlang_note(p, "functions can only be defined at the top level%s", "");
  hlang_advance(p);
  if (!hlang_at(p, HLANG_T_NAME)) {
    hlang_fail(p, "expected a function name after 'fn', found %s", hlang_found(p));
    return;
  }
  hlang_fn_t* f = _hlang_fn_add(p->prog, p->tok.v.str.s, line, col);
  hlang_advance(p);
  if (!hlang_expect(p, HLANG_T_LPAREN, " after the function name")) return;
  uint32_t mark = hlang_mark(p);
  while (!hlang_at(p, HLANG_T_RPAREN)) {
    if (!hlang_at(p, HLANG_T_NAME)) {
      hlang_fail(p, "expected a parameter name, found %s", hlang_found(p));
      break;
    }
    hlang_push_ptr(p, (void*)p->tok.v.str.s);
    hlang_advance(p);
    if (!hlang_accept(p, HLANG_T_COMMA)) break;
  }
  f->params = hlang_pop_items(p, mark, &f->nparams);
  if (!hlang_expect(p, HLANG_T_RPAREN, " to close the parameter list")) return;
  bool saved_in_fn = p->in_fn;
  uint32_t saved_loops = p->loops;
  p->in_fn = true;
  p->loops = 0;
  f->body = hlang_block(p, " to open the function body");
  p->in_fn = saved_in_fn;
  p->loops = saved_loops;
}

static bool hlang_ctype(hlang_parser_t* p, bool result, uint8_t* out) {
  static const char* const names[] = {"void", "i64", "f64", "str", "ptr"};
  if (hlang_at(p, HLANG_T_NAME)) {
    for (int t = result ? 0 : 1; t < 5; t++) {
      if (strcmp(p->tok.v.str.s, names[t]) == 0) {
        *out = (uint8_t)t;
        hlang_advance(p);
        return true;
      }
    }
  }
  hlang_fail(p, result ? "expected a result type (i64, f64, str, ptr or void), found %s"
                       : "expected a parameter type (i64, f64, str or ptr), found %s",
             hlang_found(p));
  return false;
}

static void hlang_extern_params(hlang_parser_t* p, hlang_extern_t* e) {
  while (!hlang_at(p, HLANG_T_RPAREN)) {
    uint8_t t;
    if (e->nparams == HLANG_MAX_EXTERN_PARAMS) {
      hlang_fail(p, "an extern function takes at most %s parameters", "8");
      return;
    }
    if (!hlang_ctype(p, false, &t)) return;
    e->params[e->nparams++] = t;
    if (!hlang_accept(p, HLANG_T_COMMA)) break;
  }
  hlang_expect(p, HLANG_T_RPAREN, " to close the parameter types");
}

static void hlang_extern_decl(hlang_parser_t* p) {
  if (p->in_fn || p->nest > 0) hlang_note(p, "extern functions can only be declared at the top level%s", "");
  hlang_extern_t* e = _hlang_extern_add(p->prog);
  e->line = p->tok.line;
  e->col = p->tok.col;
  hlang_advance(p);
  if (hlang_at(p, HLANG_T_STRING)) {
    e->lib = p->tok.v.str.s;
    hlang_advance(p);
  } else {  // the rest may still be a well-formed declaration: check it too
    hlang_note(p, "expected the library name as a string after 'extern', found %s", hlang_found(p));
    e->lib = "";
    if (!hlang_at(p, HLANG_T_FN)) {
      p->panic = true;
      return;
    }
  }
  if (!hlang_expect(p, HLANG_T_FN, " after the library name")) return;
  if (!hlang_at(p, HLANG_T_NAME)) {
    hlang_fail(p, "expected the function name, found %s", hlang_found(p));
    return;
  }
  e->name = p->tok.v.str.s;
  hlang_advance(p);
  if (!hlang_expect(p, HLANG_T_LPAREN, " after the function name")) return;
  hlang_extern_params(p, e);
  if (!p->panic && hlang_accept(p, HLANG_T_ARROW)) hlang_ctype(p, true, &e->ret);
  hlang_expect(p, HLANG_T_SEMI, " after the extern declaration");
}

static hlang_node_t* hlang_stmt(hlang_parser_t* p) {
  switch (p->tok.kind) {
    case HLANG_T_LET: return hlang_let(p);
    case HLANG_T_IF: return hlang_if(p);
    case HLANG_T_WHILE: return hlang_while(p);
    case HLANG_T_FOR: return hlang_for(p);
    case HLANG_T_BREAK: return hlang_jump(p, HLANG_BREAK);
    case HLANG_T_CONTINUE: return hlang_jump(p, HLANG_CONTINUE);
    case HLANG_T_RETURN: return hlang_return(p);
    case HLANG_T_LBRACE: return hlang_block(p, "");
    case HLANG_T_FN: hlang_fn_decl(p); return NULL;
    case HLANG_T_EXTERN: hlang_extern_decl(p); return NULL;
    case HLANG_T_SEMI: hlang_advance(p); return NULL;  // an empty statement
    default: return hlang_simple(p);
  }
}

// The script: top-level statements form the body of fns[0], "<main>".
void _hlang_parse_program(hlang_program_t* prog, const char* src, size_t len) {
  hlang_parser_t p;
  memset(&p, 0, sizeof p);
  p.prog = prog;
  _hlang_lex_init(&p.lx, prog, src, len);
  hlang_fn_t* main_fn = _hlang_fn_add(prog, "<main>", 1, 1);
  main_fn->body = _hlang_node(prog, HLANG_BLOCK, 1, 1);
  hlang_advance(&p);
  uint32_t mark = hlang_mark(&p);
  while (!hlang_at(&p, HLANG_T_EOF) && !prog->too_many) {
    if (hlang_at(&p, HLANG_T_RBRACE)) {
      hlang_fail(&p, "unexpected '}' (no block is open here)%s", "");
      hlang_advance(&p);
    } else {
      hlang_node_t* s = hlang_stmt(&p);
      if (s) hlang_push(&p, s);
    }
    if (p.panic) hlang_sync(&p);
  }
  main_fn->body->u.list.items = hlang_pop_list(&p, mark, &main_fn->body->u.list.n);
}
