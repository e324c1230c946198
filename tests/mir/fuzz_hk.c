/* fuzz_hk.c: libFuzzer target for the hk compiler (runtime/lang and
   runtime/mir; built with -DHAK_FUZZ=ON by clang, with ASan+UBSan). For each
   input, taken as the text of a script, it checks, aborting on a violation:
   - the front-end never crashes; diagnostics are at most HLANG_MAX_ERRORS,
     each at a line of the input;
   - a clean program compiles, optimized and not, with the verifier after
     every step, to a module hbc_module_finish accepts, or stops at a
     bytecode limit; never a verifier failure;
   - with an allocation failure injected at a point chosen from the input,
     the compile fails cleanly or succeeds;
   - every block is freed, with the size it was allocated with, and the MIR
     is released in bulk or block by block as the context allows (each
     compile is one run of tests/common/fuzz_body.h). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_body.h"
#include "hmir.h"

#define CHECK(c) FUZZ_CHECK(c)

typedef struct compile_arg_s {
  const char* src;
  size_t len;
  bool optimize;
  bool failing;      // an allocation fails: HMIR_ERR_NOMEM is allowed
  hmir_status_t st;  // out: the outcome
} compile_arg_t;

static void compile_once(void* arg, failing_alc_t* t) {
  compile_arg_t* a = arg;
  hmir_options_t opt;
  hmir_options_init(&opt);
  opt.verify = true;
  opt.optimize = a->optimize;
  opt.alc = &t->alc;
  opt.diag = fopen("/dev/null", "w");
  hbc_module_t* m = NULL;
  hmir_status_t st = hmir_compile_source("fz.hk", a->src, a->len, &opt, &m);
  fclose(opt.diag);
  CHECK(st != HMIR_ERR_INTERNAL && st != HMIR_ERR_IO);
  CHECK(a->failing || st != HMIR_ERR_NOMEM);
  CHECK((st == HMIR_OK) == (m != NULL));
  if (m) CHECK(m->finished);
  hbc_module_free(m);
  a->st = st;
}

// The compile on a failing context (bulk: with a release hook) whose
// fail_at-th allocation fails (0: none); every block must come back.
static hmir_status_t compile(const char* src, size_t len, bool optimize, bool bulk, long fail_at) {
  compile_arg_t a = {src, len, optimize, fail_at != 0, HMIR_OK};
  uint32_t mask = FAILING_ALC_MASK("lang") | FAILING_ALC_MASK("mir") | FAILING_ALC_MASK("vm");
  fuzz_run_alc(compile_once, &a, mask, bulk ? FAILING_ALC_BULK : 0, fail_at);
  return a.st;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  const char* src = (const char*)data;
  hlang_program_t* p = hlang_parse(NULL, "fz.hk", src, size);
  CHECK(p != NULL);
  uint32_t lines = 1;
  for (size_t k = 0; k < size; k++) lines += src[k] == '\n';
  CHECK(hlang_error_count(p) <= HLANG_MAX_ERRORS);
  for (size_t k = 0; k < hlang_error_count(p); k++) CHECK(hlang_error(p, k)->line >= 1 && hlang_error(p, k)->line <= lines);
  bool clean = hlang_error_count(p) == 0;
  hlang_program_free(p);
  if (!clean) return 0;
  hmir_status_t a = compile(src, size, true, true, 0);
  hmir_status_t b = compile(src, size, false, false, 0);
  // the passes never decide whether a program compiles, except near the
  // register limit (copy propagation may lengthen a live range)
  CHECK(a == b || a == HMIR_ERR_LIMIT || b == HMIR_ERR_LIMIT);
  if (size > 0) compile(src, size, data[0] & 1, data[size - 1] & 1, 1 + (long)(data[size / 2] * 7));
  return 0;
}
