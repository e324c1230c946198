/* hlang.h: the hk front-end: lexer, parser, AST, name resolution, diagnostics.

   hlang_parse() turns the text of one script into an hlang_program_t: the
   AST of every function (the script body is function 0, "<main>"), the extern
   declarations, and the diagnostics. Parsing recovers after an error and goes
   on, so one run reports several errors (at most HLANG_MAX_ERRORS). When the
   parse is clean, names are resolved: every name expression is bound to a
   local, a function, an extern or a builtin, and every name that is never
   defined is reported, so nothing runs when a script has an undefined name.

   Every diagnostic reads `FILE:LINE:COL: syntax error: MESSAGE` (LINE and COL
   from 1; COL counts bytes). The AST is plain data, read by runtime/mir; it
   lives until hlang_program_free(). All memory comes from the allocation
   context given to hlang_parse(), under lang.* sites of the "lang" subsystem; the
   program frees its own blocks (it never releases the LANG heap in bulk, so
   several programs can live at once in one thread).

   The language as implemented, and every choice the spec leaves open, is
   written down in docs/language.md. */
#ifndef HLANG_H
#define HLANG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hakmem.h"

#ifdef __cplusplus
extern "C" {
#endif

// ----- Limits -----
#define HLANG_MAX_ERRORS 20     // diagnostics kept per program; the parse stops after that many
#define HLANG_MAX_NEST 200      // nesting of blocks, parentheses, brackets, calls (parser recursion)
#define HLANG_MAX_DEPTH 1000    // height of any expression tree (long operator chains)
#define HLANG_MAX_EXTERN_PARAMS 8

// ----- AST -----
// HLANG_NODE_KINDS(X): X(NAME, "dump name") for every node kind.
#define HLANG_NODE_KINDS(X) \
  /* expressions */         \
  X(NIL, "nil")             \
  X(TRUE, "true")           \
  X(FALSE, "false")         \
  X(INT, "int")             \
  X(FLOAT, "float")         \
  X(STRING, "string")       \
  X(NAME, "name")           \
  X(ARRAY, "array")         \
  X(MAP, "map")             \
  X(UNARY, "unary")         \
  X(BINARY, "binary")       \
  X(AND, "and")             \
  X(OR, "or")               \
  X(CALL, "call")           \
  X(INDEX, "index")         \
  /* statements */          \
  X(LET, "let")             \
  X(ASSIGN, "assign")       \
  X(EXPR, "expr")           \
  X(IF, "if")               \
  X(WHILE, "while")         \
  X(FOR, "for")             \
  X(BREAK, "break")         \
  X(CONTINUE, "continue")   \
  X(RETURN, "return")       \
  X(BLOCK, "block")

typedef enum hlang_kind_e {
#define HLANG_KIND_ENUM_(n, s) HLANG_##n,
  HLANG_NODE_KINDS(HLANG_KIND_ENUM_)
#undef HLANG_KIND_ENUM_
  HLANG_KIND_COUNT
} hlang_kind_t;

// Operators of UNARY and BINARY nodes.
#define HLANG_OPS(X) \
  X(NEG, "neg")      \
  X(NOT, "not")      \
  X(ADD, "+")        \
  X(SUB, "-")        \
  X(MUL, "*")        \
  X(DIV, "/")        \
  X(MOD, "%")        \
  X(EQ, "==")        \
  X(NE, "!=")        \
  X(LT, "<")         \
  X(LE, "<=")        \
  X(GT, ">")         \
  X(GE, ">=")

typedef enum hlang_op_e {
#define HLANG_OP_ENUM_(n, s) HLANG_OP_##n,
  HLANG_OPS(HLANG_OP_ENUM_)
#undef HLANG_OP_ENUM_
  HLANG_OP_COUNT
} hlang_op_t;

// What a name expression is bound to (set by resolution).
typedef enum hlang_ref_kind_e {
  HLANG_REF_NONE = 0,  // unresolved (only in programs with errors)
  HLANG_REF_LOCAL,     // index: the local's number in its function (hlang_fn_t.nlocals)
  HLANG_REF_FN,        // index: into hlang_program_t.fns
  HLANG_REF_EXTERN,    // index: into hlang_program_t.externs
  HLANG_REF_BUILTIN,   // index: hlang_builtin_t
} hlang_ref_kind_t;

// The builtins of the language, by name. A script-level function or extern of
// the same name replaces the builtin in the whole script; a local or
// parameter shadows it in its scope.
#define HLANG_BUILTINS(X)                                                            \
  X(PRINT, "print") X(LEN, "len") X(PUSH, "push") X(POP, "pop") X(KEYS, "keys")     \
  X(HAS, "has") X(DEL, "del") X(STR, "str") X(INT, "int") X(FLOAT, "float")         \
  X(SUBSTR, "substr") X(FIND, "find") X(SPLIT, "split") X(JOIN, "join")             \
  X(UPPER, "upper") X(LOWER, "lower") X(JSON_PARSE, "json_parse")                   \
  X(JSON_STRINGIFY, "json_stringify") X(CLOCK, "clock") X(ARGS, "args")             \
  X(EXIT, "exit") X(SPAWN, "spawn") X(CHAN, "chan") X(SEND, "send") X(RECV, "recv") \
  X(CLOSE, "close") X(TYPE, "type") X(RANGE, "range")

typedef enum hlang_builtin_e {
#define HLANG_BUILTIN_ENUM_(n, s) HLANG_BUILTIN_##n,
  HLANG_BUILTINS(HLANG_BUILTIN_ENUM_)
#undef HLANG_BUILTIN_ENUM_
  HLANG_BUILTIN_COUNT
} hlang_builtin_t;

// Types of extern parameters and results.
typedef enum hlang_ctype_e {
  HLANG_CTYPE_VOID = 0,  // results only
  HLANG_CTYPE_I64,
  HLANG_CTYPE_F64,
  HLANG_CTYPE_STR,       // a NUL-terminated const char*
  HLANG_CTYPE_PTR,       // an opaque pointer, seen as an int
} hlang_ctype_t;

typedef struct hlang_node_s hlang_node_t;

typedef struct hlang_ref_s {
  uint8_t kind;    // hlang_ref_kind_t
  uint32_t index;  // meaning depends on kind (see hlang_ref_kind_t)
} hlang_ref_t;

struct hlang_node_s {
  uint8_t kind;   // hlang_kind_t
  uint8_t op;     // hlang_op_t for UNARY and BINARY
  uint16_t height;  // height of the expression tree below (1 for a leaf), < HLANG_MAX_DEPTH
  uint32_t line;  // 1-based line of the node's first token
  uint32_t col;   // 1-based byte column
  union {
    int64_t i;     // INT
    double f;      // FLOAT
    struct {       // STRING (bytes, may hold NUL; NUL-terminated for convenience)
      const char* s;
      uint32_t len;
    } str;
    struct {       // NAME
      const char* name;  // NUL-terminated identifier
      hlang_ref_t ref;   // binding (after resolution)
    } name;
    struct {       // ARRAY (items), MAP (items = keys, vals), BLOCK (items = statements)
      hlang_node_t** items;
      hlang_node_t** vals;  // MAP only
      uint32_t n;
    } list;
    struct {       // UNARY (a), BINARY/AND/OR (a, b), INDEX (a = object, b = key),
      hlang_node_t* a;  // ASSIGN (a = target: NAME or INDEX, b = value),
      hlang_node_t* b;  // EXPR (a), RETURN (a, may be NULL), WHILE (a = cond, b = body),
      hlang_node_t* c;  // IF (a = cond, b = then block, c = else: BLOCK, IF or NULL)
    } op;
    struct {       // CALL
      hlang_node_t* callee;
      hlang_node_t** args;
      uint32_t nargs;
    } call;
    struct {       // LET (value may be NULL: `let x;` binds nil)
      const char* name;
      uint32_t local;       // the local's number in its function
      hlang_node_t* value;
    } let;
    struct {       // FOR (`for var in iter body`)
      const char* name;
      uint32_t local;       // the loop variable's local number
      hlang_node_t* iter;
      hlang_node_t* body;   // BLOCK
    } loop;
  } u;
};

// A function: the script body (fns[0], named "<main>", no parameters) or a
// top-level `fn`. Locals are numbered 0..nlocals-1 in order of declaration;
// parameters are locals 0..nparams-1.
typedef struct hlang_fn_s {
  const char* name;
  uint32_t line, col;    // of the `fn` keyword (1:1 for <main>)
  const char** params;   // nparams names
  uint32_t nparams;
  uint32_t nlocals;      // params + lets + loop variables (after resolution)
  const char** local_names;  // nlocals names, for dumps (after resolution)
  hlang_node_t* body;    // BLOCK
} hlang_fn_t;

// `extern "LIB" fn NAME(T, ...) -> R;`
typedef struct hlang_extern_s {
  const char* lib;       // library file name as written (NUL-terminated)
  const char* name;      // symbol name
  uint32_t line, col;
  uint8_t nparams;       // <= HLANG_MAX_EXTERN_PARAMS
  uint8_t params[HLANG_MAX_EXTERN_PARAMS];  // hlang_ctype_t, never VOID
  uint8_t ret;           // hlang_ctype_t (VOID when `-> T` is left out)
} hlang_extern_t;

typedef struct hlang_diag_s {
  uint32_t line, col;    // 1-based position
  const char* message;   // without the "FILE:LINE:COL: syntax error: " prefix
} hlang_diag_t;

typedef struct hlang_program_s hlang_program_t;

// Parses `len` bytes of `src` (need not be NUL-terminated) read from `file`
// (used in diagnostics only; copied). alc NULL: hak_alc_default(). Returns
// NULL only when memory runs out; otherwise a program to free with
// hlang_program_free(), whose hlang_error_count() is 0 when it can be
// compiled.
hlang_program_t* hlang_parse(const hak_alc_t* alc, const char* file, const char* src, size_t len);
// Frees every block of the program. NULL: no-op.
void hlang_program_free(hlang_program_t* prog);

// Diagnostics, in source order of discovery (parse errors, then names).
size_t hlang_error_count(const hlang_program_t* prog);
const hlang_diag_t* hlang_error(const hlang_program_t* prog, size_t i);  // NULL past the end
// Writes every diagnostic as `FILE:LINE:COL: syntax error: MESSAGE\n`.
void hlang_errors_print(const hlang_program_t* prog, FILE* out);

// The parsed program (valid when hlang_error_count() == 0; partial otherwise).
const char* hlang_program_file(const hlang_program_t* prog);
uint32_t hlang_fn_count(const hlang_program_t* prog);
const hlang_fn_t* hlang_fn(const hlang_program_t* prog, uint32_t i);  // 0 = "<main>"; NULL past the end
uint32_t hlang_extern_count(const hlang_program_t* prog);
const hlang_extern_t* hlang_extern(const hlang_program_t* prog, uint32_t i);

// Names of enum values: "print", "+", "i64", "index"... NULL out of range.
const char* hlang_builtin_name(hlang_builtin_t b);
const char* hlang_op_name(hlang_op_t op);
const char* hlang_ctype_name(hlang_ctype_t t);
const char* hlang_kind_name(hlang_kind_t k);
// The builtin called `name`, or -1.
int hlang_builtin_lookup(const char* name);

// Writes the AST as S-expressions, one top-level item per line (a program
// with errors writes only "(errors N)"):
//   (fn add (a b) (block (return (+ a@0 b@1))))
// Names print with their binding: x@N (local N), f@fN, e@eN, print@b.
void hlang_program_dump(const hlang_program_t* prog, FILE* out);
// Writes a float constant as the dumps do: the shortest %g digits that read
// back as the same double, with ".0" added when it would look like an int.
void hlang_dump_float(double f, FILE* out);

#ifdef __cplusplus
}
#endif

#endif  // HLANG_H
