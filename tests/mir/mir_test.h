/* mir_test.h: helpers of the mir tests: MIR text of a function of a source
   after chosen passes (verified after each), and comparison with an
   expected text that prints both on mismatch. */
#ifndef MIR_TEST_H
#define MIR_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "failing_alc.h"
#include "hmir.h"

// The subsystems the compiler allocates under: the front-end's, its own, and
// the module's when the module shares the compiler's context.
#define MIR_ALC_MASK (FAILING_ALC_MASK("lang") | FAILING_ALC_MASK("mir") | FAILING_ALC_MASK("vm"))

// Passes to run, in order, ending with -1. MIR_OPT runs hmir_optimize.
#define MIR_OPT 100
#define MIR_END (-1)

static inline uint32_t mir_find_fn(const hlang_program_t* p, const char* name) {
  for (uint32_t i = 0; i < hlang_fn_count(p); i++) {
    if (strcmp(hlang_fn(p, i)->name, name) == 0) return i;
  }
  fail_msg("no function %s", name);
  return 0;
}

// The MIR of function `fn` of src after the passes (a list ending in
// MIR_END), verified after building and after every pass. Every block comes
// from a checking context with bulk release, and none is left.
static inline char* mir_text_v(const char* src, const char* fn, va_list ap) {
  failing_alc_t t;
  failing_alc_init(&t, MIR_ALC_MASK, FAILING_ALC_BULK);
  hlang_program_t* p = hlang_parse(&t.alc, "t.hk", src, strlen(src));
  assert_non_null(p);
  if (hlang_error_count(p)) {
    hlang_errors_print(p, stderr);
    fail_msg("syntax errors");
  }
  hmir_func_t* f = hmir_build(p, mir_find_fn(p, fn), &t.alc);
  assert_non_null(f);
  char err[256];
  if (hmir_verify(f, err, sizeof err)) fail_msg("%s", err);
  for (int pass = va_arg(ap, int); pass != MIR_END; pass = va_arg(ap, int)) {
    if (pass == MIR_OPT) {
      if (hmir_optimize(f, true, err, sizeof err)) fail_msg("%s", err);
    } else {
      assert_true(hmir_run_pass(f, (hmir_pass_t)pass) >= 0);
      if (hmir_verify(f, err, sizeof err)) fail_msg("after %s: %s", hmir_pass_name((hmir_pass_t)pass), err);
    }
  }
  char* buf = NULL;
  size_t len = 0;
  FILE* out = open_memstream(&buf, &len);
  hmir_dump(f, out);
  fclose(out);
  hmir_func_free(f);
  assert_int_equal(failing_alc_live_in(&t, HAK_SUBSYS("mir")), 0);
  hlang_program_free(p);
  assert_int_equal(t.live, 0);
  assert_int_equal(t.bad, 0);
  return buf;
}

static inline char* mir_text(const char* src, const char* fn, ...) {
  va_list ap;
  va_start(ap, fn);
  char* s = mir_text_v(src, fn, ap);
  va_end(ap);
  return s;
}

static inline void mir_expect_text(const char* what, const char* got, const char* want) {
  if (strcmp(got, want) != 0) fprintf(stderr, "%s\n--- want:\n%s--- got:\n%s---\n", what, want, got);
  assert_string_equal(got, want);
}

// Expects the MIR of fn in src after the passes (variadic, ending with MIR_END).
#define MIR_EXPECT(src, fn, want, ...)               \
  do {                                               \
    char* got_ = mir_text((src), (fn), __VA_ARGS__); \
    mir_expect_text((src), got_, (want));            \
    free(got_);                                      \
  } while (0)

#endif  // MIR_TEST_H
