/* diag.c: diagnostics of a program.

   The first HLANG_MAX_ERRORS errors are kept, with their message formatted
   into the program's arena; the last slot says "too many errors" and the
   parser stops at the next statement once it is used (too_many), so a broken file costs bounded time and output.
   Every error of hk is a "syntax error" in the spec's sense: found before
   anything runs, printed as FILE:LINE:COL: syntax error: MESSAGE. */
#include <stdio.h>

#include "lang_internal.h"

void _hlang_error(hlang_program_t* prog, uint32_t line, uint32_t col, const char* fmt, ...) {
  if (prog->too_many) return;
  char buf[256];
  int n;
  if (prog->ndiags == HLANG_MAX_ERRORS - 1) {  // the last slot says why the rest is missing
    prog->too_many = true;
    n = snprintf(buf, sizeof buf, "too many errors, stopping here");
  } else {
    va_list ap;
    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
  }
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof buf) n = sizeof buf - 1;
  hlang_diag_t* d = &prog->diags[prog->ndiags++];
  d->line = line;
  d->col = col;
  d->message = _hlang_strdup(prog, buf, (size_t)n);
}

bool _hlang_error_full(const hlang_program_t* prog) { return prog->too_many; }

size_t hlang_error_count(const hlang_program_t* prog) { return prog ? prog->ndiags : 0; }

const hlang_diag_t* hlang_error(const hlang_program_t* prog, size_t i) {
  return prog && i < prog->ndiags ? &prog->diags[i] : NULL;
}

void hlang_errors_print(const hlang_program_t* prog, FILE* out) {
  if (prog == NULL) return;
  for (uint32_t i = 0; i < prog->ndiags; i++) {
    const hlang_diag_t* d = &prog->diags[i];
    fprintf(out, "%s:%u:%u: syntax error: %s\n", prog->file, d->line, d->col, d->message);
  }
}
