/* hmir.h: the hk middle end: an SSA IR (MIR), its passes, and the compile
   driver that turns a parsed program (hlang.h) into bytecode (hbc.h).

   Pipeline, one function at a time:
     AST ─► build (SSA directly from the AST) ─► verify
         ─► passes: sccp (constant folding and propagation), copyprop,
            cfg (fold constant branches, drop unreachable blocks, merge
            and remove empty blocks), dce ─► verify after each
         ─► lower (out of SSA, register allocation) ─► hbc function
         ─► release the function's MIR in bulk
   The MIR of a function lives in the compiling thread's MIR heap: every
   node comes from the allocation context with a mir.* site, and after the
   function is lowered the whole heap is dropped with one
   alc->release(alc->ctx, HAK_SUBSYS("mir")) call (the "mir" subsystem). A context without release
   (the libc one) gets every block freed one by one instead. So: one compile
   at a time per thread, and nothing else may keep blocks in that thread's
   MIR heap across a compile.

   The bytecode module is allocated from opt->vm_alc with vm.* sites, so it
   outlives the MIR. docs/mir.md describes the IR, each pass and the
   lowering. */
#ifndef HMIR_H
#define HMIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hakmem.h"
#include "hbc.h"
#include "hlang.h"

#ifdef __cplusplus
extern "C" {
#endif

// ----- Compile driver (what the VM and the CLI call) -----
typedef enum hmir_status_e {
  HMIR_OK = 0,
  HMIR_ERR_SYNTAX,    // syntax errors or undefined names (written to opt->diag); the CLI exits 2
  HMIR_ERR_LIMIT,     // a function is too large for the bytecode (e.g. > 256 live registers); written to opt->diag
  HMIR_ERR_NOMEM,     // out of memory
  HMIR_ERR_INTERNAL,  // a verifier failed: a compiler bug (written to opt->diag)
  HMIR_ERR_IO,        // hmir_compile_file could not read the file (written to opt->diag)
} hmir_status_t;

typedef struct hmir_options_s {
  const hak_alc_t* alc;     // AST and MIR memory (NULL: hak_alc_default())
  const hak_alc_t* vm_alc;  // the bytecode module's memory (NULL: alc)
  bool optimize;            // run the passes (default true)
  bool verify;              // verify the MIR after building and after every pass,
                            // and the bytecode (default true in debug builds (!NDEBUG), else false)
  FILE* diag;               // diagnostics: FILE:LINE:COL: syntax error: MESSAGE (NULL: stderr)
  FILE* dump_mir;           // when set, the MIR of every function is written here after the passes
  FILE* dump_hbc;           // when set, the bytecode of the finished module is written here
} hmir_options_t;

// Fills *opt with the defaults.
void hmir_options_init(hmir_options_t* opt);

// Compiles an error-free program into a finished module (*out, owned by the
// caller: hbc_module_free or hand it to hvm_program_new). On failure *out is
// NULL and the reason is written to opt->diag. opt NULL: defaults. A program
// with errors (hlang_error_count() > 0) gives HMIR_ERR_SYNTAX and writes them.
hmir_status_t hmir_compile_program(const hlang_program_t* prog, const hmir_options_t* opt, hbc_module_t** out);
// Parses `len` bytes of `src` from `file` and compiles them (the AST is freed
// before returning).
hmir_status_t hmir_compile_source(const char* file, const char* src, size_t len, const hmir_options_t* opt,
                                  hbc_module_t** out);
// Reads and compiles a file; one that cannot be read gives HMIR_ERR_IO and
// "hakmem: cannot read FILE: REASON" on opt->diag.
hmir_status_t hmir_compile_file(const char* path, const hmir_options_t* opt, hbc_module_t** out);
// The exit status a command should use: 0 (OK), 2 (syntax, limit), 1 (others).
int hmir_status_exit_code(hmir_status_t st);

// ----- One function at a time (tests, `hakmem mir`, benchmarks) -----
typedef struct hmir_func_s hmir_func_t;

// The MIR of function `index` of an error-free program (0 = <main>), built
// in SSA form; allocated from alc (NULL: hak_alc_default()) with mir.*
// sites. NULL when memory runs out or index is out of range.
hmir_func_t* hmir_build(const hlang_program_t* prog, uint32_t index, const hak_alc_t* alc);
// Releases every block of f: with alc->release, the calling thread's whole
// MIR heap in one call (so at most one function may be alive per thread);
// otherwise block by block. NULL: no-op.
void hmir_func_free(hmir_func_t* f);

// Checks every invariant of the IR (see docs/mir.md). Returns 0, or -1 with a
// message naming the function, block and value in err (errlen bytes), or -2
// when memory ran out (f is unchanged).
int hmir_verify(const hmir_func_t* f, char* err, size_t errlen);

// The passes. Each returns 1 when it changed the function, 0 when not, -1
// when memory ran out (f is then only fit for hmir_func_free).
typedef enum hmir_pass_e {
  HMIR_PASS_SCCP,      // sparse conditional constant propagation and folding
  HMIR_PASS_COPYPROP,  // copies and trivial phis replaced by their value
  HMIR_PASS_CFG,       // constant branches, unreachable, mergeable and empty blocks
  HMIR_PASS_DCE,       // unused values without effects (that provably cannot fail)
  HMIR_PASS_COUNT
} hmir_pass_t;
int hmir_run_pass(hmir_func_t* f, hmir_pass_t pass);
const char* hmir_pass_name(hmir_pass_t pass);  // "sccp", "copyprop", "cfg", "dce"; NULL out of range
// The pass pipeline until nothing changes (at most a few rounds); with verify,
// the verifier runs after every pass and a failure is written to err.
// Returns 0, -1 out of memory, -2 verifier failure.
int hmir_optimize(hmir_func_t* f, bool verify, char* err, size_t errlen);

// Writes f as text:
//   fn fib(n)
//   b0:
//     %0 = param 0
//     %1 = const 2
//     %2 = lt %0, %1
//     br %2, b1, b2
//   ...
// Values and blocks are numbered in layout order, so the text of equal IR is
// equal whatever was built and deleted before. Returns 0, or -1 out of
// memory (the numbering needs two blocks), with nothing written.
int hmir_dump(const hmir_func_t* f, FILE* out);

// Statistics of a function (for benchmarks and tests).
typedef struct hmir_func_stats_s {
  uint32_t blocks;         // blocks in the function now
  uint32_t instrs;         // instructions now (phis included)
  uint32_t phis;
  uint64_t allocs;         // blocks requested from the context so far
  uint64_t bytes;          // bytes requested from the context so far
} hmir_func_stats_t;
void hmir_func_stats(const hmir_func_t* f, hmir_func_stats_t* out);

// Lowers f into function `hbc_index` of module m (already created with
// hbc_func_new). Returns HMIR_OK, HMIR_ERR_LIMIT (message in err) or
// HMIR_ERR_NOMEM.
hmir_status_t hmir_lower(hmir_func_t* f, hbc_module_t* m, uint32_t hbc_index, char* err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif  // HMIR_H
