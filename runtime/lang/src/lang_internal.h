/* lang_internal.h: cross-file functions of runtime/lang, grouped by file.

   Allocation failure inside the parser and the resolver does not return
   NULL: _hlang_alloc longjmps to prog->oom, set by hlang_parse, which frees
   the whole program and returns NULL. So no parsing function checks for
   NULL, and none may hold memory outside the program's arena. */
#ifndef HLANG_INTERNAL_H
#define HLANG_INTERNAL_H

#include <stdarg.h>

#include "lang_types.h"

#if defined(__GNUC__)
#define hlang_attr_printf(f, a) __attribute__((format(printf, f, a)))
#define hlang_unlikely(x) (__builtin_expect(!!(x), 0))
#else
#define hlang_attr_printf(f, a)
#define hlang_unlikely(x) (x)
#endif

// "arena.c"
void* _hlang_alloc(hlang_program_t* prog, size_t size);  // 8-aligned, never NULL (longjmps)
char* _hlang_strdup(hlang_program_t* prog, const char* s, size_t len);  // NUL-terminated copy
void _hlang_arena_free(hlang_arena_t* arena);
// Grows an arena array of `*cap` items of `item` bytes to at least n items.
void* _hlang_grow(hlang_program_t* prog, void* items, uint32_t* cap, uint32_t n, size_t item);

// "diag.c"
// Records an error at line:col (ignored past HLANG_MAX_ERRORS, which sets too_many).
void _hlang_error(hlang_program_t* prog, uint32_t line, uint32_t col, const char* fmt, ...) hlang_attr_printf(4, 5);
bool _hlang_error_full(const hlang_program_t* prog);

// "lex.c"
void _hlang_lex_init(hlang_lexer_t* lx, hlang_program_t* prog, const char* src, size_t len);
void _hlang_lex_next(hlang_lexer_t* lx, hlang_token_t* tok);
const hlang_token_t* _hlang_lex_peek(hlang_lexer_t* lx);
const char* _hlang_tok_name(hlang_tok_t kind);

// "parse.c"
void _hlang_parse_program(hlang_program_t* prog, const char* src, size_t len);

// "resolve.c"
void _hlang_resolve(hlang_program_t* prog);

// "ast.c"
hlang_node_t* _hlang_node(hlang_program_t* prog, hlang_kind_t kind, uint32_t line, uint32_t col);
hlang_fn_t* _hlang_fn_add(hlang_program_t* prog, const char* name, uint32_t line, uint32_t col);
hlang_extern_t* _hlang_extern_add(hlang_program_t* prog);

#endif  // HLANG_INTERNAL_H
