/* lang_types.h: the private types of runtime/lang.

   hlang_arena_t    the memory of one program: 16 KiB chunks (site lang.ast),
                    bump-allocated, freed together with the program
   hlang_token_t    one token, produced on demand by the lexer (no token array)
   hlang_lexer_t    the cursor over the source, with one token of lookahead
   hlang_parser_t   recursive descent state: current token, nesting depth,
                    panic flag for error recovery
   hlang_program_s  what hlang_parse returns: functions, externs, diagnostics

   Invariant: every block the program owns is either inside an arena chunk or
   on the arena's list of big blocks, so hlang_program_free walks two lists. */
#ifndef HLANG_TYPES_H
#define HLANG_TYPES_H

#include <setjmp.h>
#include <stdint.h>

#include "hlang.h"

// ----- Arena -----
#define HLANG_CHUNK_SIZE (16 * 1024)  // bytes per arena chunk (site lang.ast)
#define HLANG_BIG_BLOCK (HLANG_CHUNK_SIZE / 4)  // requests above this get their own block

typedef struct hlang_chunk_s {
  struct hlang_chunk_s* next;  // older chunk
  size_t size;                 // bytes of this block, header included; bit 0 set for a big block
} hlang_chunk_t;

typedef struct hlang_arena_s {
  const hak_alc_t* alc;   // where chunks come from
  hlang_chunk_t* chunks;  // newest first; chunks and big blocks both
  char* cur;              // bump pointer in the newest chunk
  char* end;              // end of the newest chunk
  jmp_buf* oom;           // where to jump when memory runs out (set by hlang_parse)
} hlang_arena_t;

// ----- Tokens -----
// HLANG_TOKENS(X): X(NAME, "as shown in messages")
#define HLANG_TOKENS(X)                                                              \
  X(EOF, "end of file") X(ERROR, "invalid token") X(NAME, "name")                    \
  X(INT, "integer") X(FLOAT, "float") X(STRING, "string")                            \
  X(LET, "'let'") X(FN, "'fn'") X(RETURN, "'return'") X(IF, "'if'")                 \
  X(ELSE, "'else'") X(WHILE, "'while'") X(FOR, "'for'") X(IN, "'in'")              \
  X(BREAK, "'break'") X(CONTINUE, "'continue'") X(TRUE, "'true'")                   \
  X(FALSE, "'false'") X(NIL, "'nil'") X(AND, "'and'") X(OR, "'or'")                 \
  X(NOT, "'not'") X(EXTERN, "'extern'")                                             \
  X(LPAREN, "'('") X(RPAREN, "')'") X(LBRACKET, "'['") X(RBRACKET, "']'")           \
  X(LBRACE, "'{'") X(RBRACE, "'}'") X(COMMA, "','") X(SEMI, "';'") X(COLON, "':'")  \
  X(DOT, "'.'") X(ASSIGN, "'='") X(EQ, "'=='") X(NE, "'!='") X(LT, "'<'")           \
  X(LE, "'<='") X(GT, "'>'") X(GE, "'>='") X(PLUS, "'+'") X(MINUS, "'-'")           \
  X(STAR, "'*'") X(SLASH, "'/'") X(PERCENT, "'%'") X(ARROW, "'->'")

typedef enum hlang_tok_e {
#define HLANG_TOK_ENUM_(n, s) HLANG_T_##n,
  HLANG_TOKENS(HLANG_TOK_ENUM_)
#undef HLANG_TOK_ENUM_
  HLANG_T_COUNT
} hlang_tok_t;

#define HLANG_T_FIRST_KEYWORD HLANG_T_LET
#define HLANG_T_LAST_KEYWORD HLANG_T_EXTERN

typedef struct hlang_token_s {
  uint8_t kind;       // hlang_tok_t
  bool int_min;       // INT: the literal 9223372036854775808, valid only after unary '-'
  bool nl_before;     // a newline separates this token from the previous one
  uint32_t line, col; // 1-based position of the first byte
  const char* start;  // first byte in the source
  uint32_t len;       // bytes of source text
  union {
    int64_t i;        // INT
    double f;         // FLOAT
    struct {          // STRING (decoded, in the arena) and NAME (copied, in the arena)
      const char* s;
      uint32_t len;
    } str;
  } v;
} hlang_token_t;

// ----- Lexer -----
typedef struct hlang_lexer_s {
  const char* src;      // the whole source
  const char* pos;      // next byte to read
  const char* end;      // one past the last byte
  uint32_t line;        // line of pos (1-based)
  const char* line_start;  // first byte of the current line (for columns)
  hlang_program_t* prog;   // for diagnostics and the arena
  hlang_token_t ahead;  // the peeked token when has_ahead
  bool has_ahead;
} hlang_lexer_t;

// ----- Parser -----
typedef struct hlang_parser_s {
  hlang_lexer_t lx;      // token source
  hlang_token_t tok;     // the current token
  uint32_t prev_line;    // line of the previous token (0 before the first)
  uint32_t prev_end;     // column just after the previous token
  hlang_program_t* prog;
  uint32_t nest;         // current nesting (blocks, parens, brackets, calls) <= HLANG_MAX_NEST
  bool panic;            // an error was reported and tokens are being skipped
  bool in_fn;            // parsing the body of a `fn` (not the script body)
  uint32_t loops;        // enclosing loops (for break/continue)
  uint32_t open;         // ( [ { of expressions consumed and not closed yet (see hlang_sync)
} hlang_parser_t;

// ----- Program -----
struct hlang_program_s {
  hlang_arena_t arena;    // every block of the program
  void** scratch;         // stack of list items under construction (site lang.parse), freed after the parse
  uint32_t scratch_len;   // items in use
  uint32_t scratch_cap;   // capacity in items
  const char* file;       // the file name (copied)
  hlang_fn_t** fns;       // nfns functions; fns[0] is <main>
  uint32_t nfns, fns_cap;
  hlang_extern_t** externs;  // nexterns externs
  uint32_t nexterns, externs_cap;
  hlang_diag_t diags[HLANG_MAX_ERRORS];  // the first errors found
  uint32_t ndiags;        // <= HLANG_MAX_ERRORS
  bool too_many;          // more errors were found than kept (parse stopped)
};

#endif  // HLANG_TYPES_H
