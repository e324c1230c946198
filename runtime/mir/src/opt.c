/* opt.c: the public face of the MIR: building, the passes and the pipeline.

   Every entry that can allocate sets f->mem.oom to a jmp_buf of its own and
   restores the previous one on the way out, so allocation failure anywhere
   below unwinds to it; the function is then left for hmir_func_free.

   Pipeline (hmir_optimize): rounds of sccp, copyprop, cfg, copyprop, dce
   until a round changes nothing (at most HMIR_MAX_ROUNDS). sccp turns
   constant branches into constant conditions, cfg folds them and merges
   blocks (leaving copies), copyprop removes the copies and the phis that
   became trivial, dce drops what lost its last use. */
#include "mir_internal.h"

#define HMIR_MAX_ROUNDS 4

static hmir_func_t* hmir_build_with(const hlang_program_t* prog, uint32_t index, const hak_alc_t* alc) {
  jmp_buf oom;
  hmir_func_t* volatile f = NULL;
  if (setjmp(oom)) {
    if (f) hmir_func_free(f);
    return NULL;
  }
  f = _hmir_func_new(alc, &oom);
  _hmir_build_fn(f, prog, index);
  f->mem.oom = NULL;
  return f;
}

hmir_func_t* hmir_build(const hlang_program_t* prog, uint32_t index, const hak_alc_t* alc) {
  if (prog == NULL || hlang_error_count(prog) || index >= hlang_fn_count(prog)) return NULL;
  return hmir_build_with(prog, index, alc ? alc : hak_alc_default());
}

void hmir_func_free(hmir_func_t* f) {
  if (f == NULL) return;
  hmir_mem_t mem = f->mem;  // f itself is one of the blocks released
  _hmir_mem_release(&mem);
}

static int (*const hmir_passes[HMIR_PASS_COUNT])(hmir_func_t*) = {_hmir_sccp, _hmir_copyprop, _hmir_cfg, _hmir_dce};
static const char* const hmir_pass_names[HMIR_PASS_COUNT] = {"sccp", "copyprop", "cfg", "dce"};

const char* hmir_pass_name(hmir_pass_t pass) { return (unsigned)pass < HMIR_PASS_COUNT ? hmir_pass_names[pass] : NULL; }

int hmir_run_pass(hmir_func_t* f, hmir_pass_t pass) {
  if (f == NULL || (unsigned)pass >= HMIR_PASS_COUNT) return 0;
  jmp_buf oom;
  jmp_buf* saved = f->mem.oom;
  f->mem.oom = &oom;
  if (setjmp(oom)) {
    f->mem.oom = saved;
    return -1;
  }
  int r = hmir_passes[pass](f);
  f->mem.oom = saved;
  return r;
}

// The verifier's -1 (broken IR) is -2 here, its -2 (out of memory) is -1.
static int hmir_check(hmir_func_t* f, char* err, size_t errlen) {
  int r = hmir_verify(f, err, errlen);
  return r == -1 ? -2 : r == -2 ? -1 : 0;
}

int hmir_optimize(hmir_func_t* f, bool verify, char* err, size_t errlen) {
  static const hmir_pass_t order[] = {HMIR_PASS_SCCP, HMIR_PASS_COPYPROP, HMIR_PASS_CFG, HMIR_PASS_COPYPROP, HMIR_PASS_DCE};
  if (err && errlen) err[0] = 0;
  int v;
  if (verify && (v = hmir_check(f, err, errlen))) return v;
  for (int round = 0; round < HMIR_MAX_ROUNDS; round++) {
    int changed = 0;
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
      int r = hmir_run_pass(f, order[k]);
      if (r < 0) return -1;
      changed |= r;
      if (verify && r && (v = hmir_check(f, err, errlen))) {
        size_t n = err ? strlen(err) : 0;
        if (v == -2 && err && n + 1 < errlen) snprintf(err + n, errlen - n, " (after %s)", hmir_pass_name(order[k]));
        return v;
      }
    }
    if (!changed) break;
  }
  return 0;
}

void hmir_func_stats(const hmir_func_t* f, hmir_func_stats_t* out) {
  if (out == NULL) return;
  memset(out, 0, sizeof *out);
  if (f == NULL) return;
  hmir_foreach_block(f, b) {
    out->blocks++;
    hmir_foreach_instr(b, i) {
      out->instrs++;
      out->phis += hmir_is_phi(i);
    }
  }
  out->allocs = f->mem.allocs;
  out->bytes = f->mem.bytes;
}
