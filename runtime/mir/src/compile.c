/* compile.c: the compile driver (hmir_compile_*), what the VM and the CLI call.

   A program becomes one bytecode module: function i of the program is
   function i of the module (0 = <main>, the module's main), extern i is
   extern i. Each function then goes through build, verify, the passes
   (verified after each), lowering, and the bulk release of its MIR, before
   the next one starts: at most one function's MIR is alive at a time.

   Diagnostics go to opt->diag:
     FILE:LINE:COL: syntax error: MESSAGE    syntax errors, undefined names,
                                             and bytecode limits (status 2)
     FILE: internal error: MESSAGE           a verifier failed (a bug)
     hakmem: out of memory compiling FILE */
#include <errno.h>
#include <stdlib.h>

#include "mir_internal.h"

void hmir_options_init(hmir_options_t* opt) {
  memset(opt, 0, sizeof *opt);
  opt->optimize = true;
  opt->verify = HMIR_VERIFY_DEFAULT;
}

int hmir_status_exit_code(hmir_status_t st) {
  switch (st) {
    case HMIR_OK: return 0;
    case HMIR_ERR_SYNTAX:
    case HMIR_ERR_LIMIT: return 2;
    default: return 1;
  }
}

typedef struct hmir_driver_s {
  const hlang_program_t* prog;
  const hmir_options_t* opt;
  const hak_alc_t* alc;
  FILE* diag;
  hbc_module_t* m;
} hmir_driver_t;

static hmir_status_t hmir_report(const hmir_driver_t* d, hmir_status_t st, const char* msg) {
  const char* file = hlang_program_file(d->prog);
  if (st == HMIR_ERR_NOMEM) {
    fprintf(d->diag, "hakmem: out of memory compiling %s\n", file);
  } else if (st == HMIR_ERR_LIMIT) {
    unsigned line = 0;
    int used = 0;
    if (sscanf(msg, "%u: %n", &line, &used) >= 1 && used > 0) fprintf(d->diag, "%s:%u:1: syntax error: %s\n", file, line, msg + used);
    else fprintf(d->diag, "%s:1:1: syntax error: %s\n", file, msg);
  } else {
    fprintf(d->diag, "%s: internal error: %s\n", file, msg);
  }
  return st;
}

static hmir_status_t hmir_compile_fn(hmir_driver_t* d, uint32_t index) {
  char err[256];
  hmir_func_t* f = hmir_build(d->prog, index, d->alc);
  if (f == NULL) return hmir_report(d, HMIR_ERR_NOMEM, "");
  hmir_status_t st = HMIR_OK;
  int v = d->opt->verify ? hmir_verify(f, err, sizeof err) : 0;
  if (v) {
    st = v == -2 ? HMIR_ERR_NOMEM : HMIR_ERR_INTERNAL;
  } else if (d->opt->optimize) {
    int r = hmir_optimize(f, d->opt->verify, err, sizeof err);
    st = r == -1 ? HMIR_ERR_NOMEM : r == -2 ? HMIR_ERR_INTERNAL : HMIR_OK;
  }
  if (st == HMIR_OK && d->opt->dump_mir && hmir_dump(f, d->opt->dump_mir) != 0) st = HMIR_ERR_NOMEM;
  if (st == HMIR_OK) st = _hmir_lower(f, d->m, index, err, sizeof err);
  hmir_func_free(f);
  return st == HMIR_OK ? st : hmir_report(d, st, err);
}

static hmir_status_t hmir_declare(hmir_driver_t* d) {
  const hlang_program_t* prog = d->prog;
  for (uint32_t i = 0; i < hlang_fn_count(prog); i++) {
    const hlang_fn_t* fn = hlang_fn(prog, i);
    if (hbc_func_new(d->m, fn->name, fn->nparams, fn->line) != (int)i) {
      if (strstr(d->m->err, "out of memory")) return hmir_report(d, HMIR_ERR_NOMEM, "");
      char msg[200];
      snprintf(msg, sizeof msg, "%u: function '%s': %s", fn->line, fn->name, d->m->err);
      return hmir_report(d, HMIR_ERR_LIMIT, msg);
    }
  }
  for (uint32_t i = 0; i < hlang_extern_count(prog); i++) {
    const hlang_extern_t* e = hlang_extern(prog, i);
    hbc_ffi_type_t params[HLANG_MAX_EXTERN_PARAMS];
    for (uint32_t k = 0; k < e->nparams; k++) params[k] = (hbc_ffi_type_t)e->params[k];  // same order of types
    if (hbc_extern_new(d->m, e->lib, e->name, (hbc_ffi_type_t)e->ret, e->nparams, params, e->line) != (int)i) {
      return hmir_report(d, HMIR_ERR_NOMEM, "");
    }
  }
  hbc_module_set_main(d->m, 0);
  return HMIR_OK;
}

hmir_status_t hmir_compile_program(const hlang_program_t* prog, const hmir_options_t* opt, hbc_module_t** out) {
  hmir_options_t defaults;
  if (opt == NULL) {
    hmir_options_init(&defaults);
    opt = &defaults;
  }
  if (out) *out = NULL;
  hmir_driver_t d = {prog, opt, opt->alc ? opt->alc : hak_alc_default(), opt->diag ? opt->diag : stderr, NULL};
  if (prog == NULL) return HMIR_ERR_NOMEM;
  if (hlang_error_count(prog)) {
    hlang_errors_print(prog, d.diag);
    return HMIR_ERR_SYNTAX;
  }
  d.m = hbc_module_new(opt->vm_alc ? opt->vm_alc : d.alc, hlang_program_file(prog));
  if (d.m == NULL) return hmir_report(&d, HMIR_ERR_NOMEM, "");
  hmir_status_t st = hmir_declare(&d);
  for (uint32_t i = 0; st == HMIR_OK && i < hlang_fn_count(prog); i++) st = hmir_compile_fn(&d, i);
  char err[200];
  if (st == HMIR_OK && hbc_module_finish(d.m, err, sizeof err) != 0) {
    st = hmir_report(&d, strstr(err, "out of memory") ? HMIR_ERR_NOMEM : HMIR_ERR_INTERNAL, err);
  }
  if (st != HMIR_OK) {
    hbc_module_free(d.m);
    return st;
  }
  if (opt->dump_hbc) hbc_module_dump(d.m, opt->dump_hbc);
  if (out) *out = d.m;
  else hbc_module_free(d.m);
  return HMIR_OK;
}

hmir_status_t hmir_compile_source(const char* file, const char* src, size_t len, const hmir_options_t* opt, hbc_module_t** out) {
  if (out) *out = NULL;
  const hak_alc_t* alc = opt && opt->alc ? opt->alc : hak_alc_default();
  hlang_program_t* prog = hlang_parse(alc, file, src, len);
  if (prog == NULL) {
    fprintf(opt && opt->diag ? opt->diag : stderr, "hakmem: out of memory compiling %s\n", file ? file : "<input>");
    return HMIR_ERR_NOMEM;
  }
  hmir_status_t st = hmir_compile_program(prog, opt, out);
  hlang_program_free(prog);
  return st;
}

// Reads a whole file into a block of the context (site lang.source).
static char* hmir_read_file(const hak_alc_t* alc, FILE* fp, size_t* len, size_t* cap) {
  hak_site_t site = HAK_SITE(HAK_SUBSYS("lang"), "lang.source");
  size_t n = 0, c = 64 * 1024;
  char* buf = alc->alloc(alc->ctx, c, site);
  while (buf) {
    n += fread(buf + n, 1, c - n, fp);
    if (n < c) break;
    char* nb = alc->realloc(alc->ctx, buf, c, c * 2, site);
    if (nb == NULL) alc->free(alc->ctx, buf, c, site);
    buf = nb;
    c *= 2;
  }
  *len = n;
  *cap = c;
  return buf;
}

hmir_status_t hmir_compile_file(const char* path, const hmir_options_t* opt, hbc_module_t** out) {
  if (out) *out = NULL;
  FILE* diag = opt && opt->diag ? opt->diag : stderr;
  const hak_alc_t* alc = opt && opt->alc ? opt->alc : hak_alc_default();
  FILE* fp = fopen(path, "rb");
  if (fp == NULL) {
    fprintf(diag, "hakmem: cannot read %s: %s\n", path, strerror(errno));
    return HMIR_ERR_IO;
  }
  size_t len, cap;
  char* src = hmir_read_file(alc, fp, &len, &cap);
  bool bad = ferror(fp);
  fclose(fp);
  if (src == NULL) {
    fprintf(diag, "hakmem: out of memory reading %s\n", path);
    return HMIR_ERR_NOMEM;
  }
  hmir_status_t st = HMIR_ERR_IO;
  if (bad) fprintf(diag, "hakmem: cannot read %s\n", path);
  else st = hmir_compile_source(path, src, len, opt, out);
  alc->free(alc->ctx, src, cap, HAK_SITE(HAK_SUBSYS("lang"), "lang.source"));
  return st;
}
