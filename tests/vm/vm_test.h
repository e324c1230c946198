/* vm_test.h: helpers of the VM tests: assemble (hbc_asm.h), run with stdout
   and stderr captured, run again under GC stress and check both runs agree. */
#ifndef VM_TEST_H
#define VM_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hbc_asm.h"
#include "hvm.h"

typedef struct vm_run_s {
  int status;
  char* out;  // captured stdout (malloc'd by open_memstream)
  char* err;  // captured stderr
  hvm_result_t res;
  hvm_gc_stats_t gc;
} vm_run_t;

static __attribute__((unused)) void vm_run_free(vm_run_t* r) {
  free(r->out);
  free(r->err);
  r->out = r->err = NULL;
}

// Runs a finished module (consumed) with opt as a base (NULL: defaults).
static __attribute__((unused)) void vm_run_module(hbc_module_t* m, const hvm_options_t* base, vm_run_t* r) {
  size_t ol, el;
  memset(r, 0, sizeof *r);
  FILE* o = open_memstream(&r->out, &ol);
  FILE* e = open_memstream(&r->err, &el);
  hvm_options_t opt;
  if (base) opt = *base;
  else hvm_options_init(&opt);
  opt.out = o;
  opt.err = e;
  hvm_program_t* p = hvm_program_new(m, &opt);
  assert_non_null(p);
  r->status = hvm_program_run(p, &r->res);
  hvm_last_gc_stats(&r->gc);
  hvm_program_free(p);
  fclose(o);
  fclose(e);
}

static __attribute__((unused)) hbc_module_t* vm_asm(const char* text) {
  char err[300] = "";
  hbc_module_t* m = hbc_asm("t.hk", text, err, sizeof err);
  if (!m) fail_msg("assembler: %s", err);
  return m;
}

// Runs text normally and under GC stress; both must agree. The normal run is in *r.
static __attribute__((unused)) void vm_run_asm_opts(const char* text, const hvm_options_t* base, vm_run_t* r) {
  hvm_options_t opt;
  if (base) opt = *base;
  else hvm_options_init(&opt);
  opt.gc_stress = 0;
  vm_run_module(vm_asm(text), &opt, r);
  vm_run_t s;
  opt.gc_stress = 1;
  vm_run_module(vm_asm(text), &opt, &s);
  assert_int_equal(r->status, s.status);
  assert_string_equal(r->out, s.out);
  assert_string_equal(r->err, s.err);
  vm_run_free(&s);
}

static __attribute__((unused)) void vm_run_asm(const char* text, vm_run_t* r) { vm_run_asm_opts(text, NULL, r); }

// Expects status 0 and exactly this output.
static __attribute__((unused)) void vm_expect_out(const char* text, const char* out) {
  vm_run_t r;
  vm_run_asm(text, &r);
  if (r.status != 0) fail_msg("status %d, stderr: %s", r.status, r.err);
  assert_string_equal(r.out, out);
  assert_string_equal(r.err, "");
  vm_run_free(&r);
}

// Expects a runtime error whose first stderr line is exactly `first`.
static __attribute__((unused)) void vm_expect_error(const char* text, const char* first) {
  vm_run_t r;
  vm_run_asm(text, &r);
  assert_int_equal(r.status, 1);
  size_t n = strlen(first);
  if (strncmp(r.err, first, n) != 0 || r.err[n] != '\n') fail_msg("stderr was: %s\nwanted: %s", r.err, first);
  vm_run_free(&r);
}

#endif  // VM_TEST_H
