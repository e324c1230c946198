/* program.c: hlang_parse and the accessors of a parsed program.

   hlang_parse is the only entry that allocates: the program header itself
   (site lang.program), then the arena. Running out of memory anywhere below
   longjmps back here (arena.oom), and everything is freed. */
#include <string.h>

#include "lang_internal.h"

static void hlang_free_scratch(hlang_program_t* prog) {
  if (prog->scratch == NULL) return;
  const hak_alc_t* alc = prog->arena.alc;
  alc->free(alc->ctx, prog->scratch, prog->scratch_cap * sizeof(void*), HAK_SITE(HAK_SUBSYS("lang"), "lang.parse"));
  prog->scratch = NULL;
  prog->scratch_len = prog->scratch_cap = 0;
}

// Parses into a fresh program; false when memory ran out (prog is then freed).
static bool hlang_parse_into(hlang_program_t* prog, const char* file, const char* src, size_t len) {
  jmp_buf oom;
  prog->arena.oom = &oom;
  if (setjmp(oom)) {
    hlang_program_free(prog);
    return false;
  }
  prog->file = _hlang_strdup(prog, file, strlen(file));
  _hlang_parse_program(prog, src, len);
  hlang_free_scratch(prog);
  if (prog->ndiags == 0) _hlang_resolve(prog);
  prog->arena.oom = NULL;
  return true;
}

hlang_program_t* hlang_parse(const hak_alc_t* alc, const char* file, const char* src, size_t len) {
  if (alc == NULL) alc = hak_alc_default();
  hlang_program_t* prog = alc->alloc(alc->ctx, sizeof *prog, HAK_SITE(HAK_SUBSYS("lang"), "lang.program"));
  if (prog == NULL) return NULL;
  memset(prog, 0, sizeof *prog);
  prog->arena.alc = alc;
  return hlang_parse_into(prog, file ? file : "<input>", src ? src : "", src ? len : 0) ? prog : NULL;
}

void hlang_program_free(hlang_program_t* prog) {
  if (prog == NULL) return;
  hlang_free_scratch(prog);
  const hak_alc_t* alc = prog->arena.alc;
  _hlang_arena_free(&prog->arena);
  alc->free(alc->ctx, prog, sizeof *prog, HAK_SITE(HAK_SUBSYS("lang"), "lang.program"));
}

const char* hlang_program_file(const hlang_program_t* prog) { return prog ? prog->file : NULL; }
uint32_t hlang_fn_count(const hlang_program_t* prog) { return prog ? prog->nfns : 0; }
const hlang_fn_t* hlang_fn(const hlang_program_t* prog, uint32_t i) { return prog && i < prog->nfns ? prog->fns[i] : NULL; }
uint32_t hlang_extern_count(const hlang_program_t* prog) { return prog ? prog->nexterns : 0; }
const hlang_extern_t* hlang_extern(const hlang_program_t* prog, uint32_t i) {
  return prog && i < prog->nexterns ? prog->externs[i] : NULL;
}
