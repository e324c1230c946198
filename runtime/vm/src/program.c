/* program.c: programs and runs (the public API of hvm.h).

   A program owns the finished module and what all its VMs share: the script
   arguments, the per-instruction site cache (atomics: any thread may
   register a line's site first; registering is idempotent), and the externs
   (ffi.c). It is reference counted: the owner holds one reference and every
   running spawned thread another, so hvm_program_free never pulls the module
   from under a thread that is still running. */
#include "hvm_internal.h"

static __thread hvm_gc_stats_t hvm_last_stats;

void hvm_options_init(hvm_options_t* opt) {
  memset(opt, 0, sizeof *opt);
  opt->gc_stress = HVM_GC_STRESS;
}

static void hvm_program_destroy(hvm_program_t* p) {
  const hak_alc_t* alc = p->alc;
  hak_site_t site = _hvm_site_static(HVM_SITE_PROGRAM);
  _hvm_ffi_fini(p);
  if (p->sites) {
    for (uint32_t i = 0; i < p->m->nfuncs; i++) {
      if (p->sites[i]) alc->free(alc->ctx, (void*)p->sites[i], p->m->funcs[i]->ncode * sizeof(hak_site_t), site);
    }
    alc->free(alc->ctx, p->sites, p->m->nfuncs * sizeof(*p->sites), site);
  }
  if (p->argv) {
    for (int j = 0; j < p->argc; j++) {
      if (p->argv[j]) alc->free(alc->ctx, p->argv[j], p->argl[j] + 1, site);
    }
    alc->free(alc->ctx, p->argv, (size_t)p->argc * sizeof(char*), site);
  }
  if (p->argl) alc->free(alc->ctx, p->argl, (size_t)p->argc * sizeof(size_t), site);
  pthread_mutex_destroy(&p->mu);
  pthread_mutex_destroy(&p->wmu);
  pthread_cond_destroy(&p->wcv);
  hbc_module_free(p->m);
  alc->free(alc->ctx, p, sizeof *p, site);
}

void _hvm_program_retain(hvm_program_t* p) { atomic_fetch_add(&p->refs, 1); }

void _hvm_program_release(hvm_program_t* p) {
  if (atomic_fetch_sub(&p->refs, 1) == 1) hvm_program_destroy(p);
}

static int hvm_program_args(hvm_program_t* p, int argc, const char* const* argv) {
  const hak_alc_t* alc = p->alc;
  hak_site_t site = _hvm_site_static(HVM_SITE_PROGRAM);
  if (argc <= 0 || !argv) return 0;
  p->argv = alc->alloc(alc->ctx, (size_t)argc * sizeof(char*), site);
  p->argl = alc->alloc(alc->ctx, (size_t)argc * sizeof(size_t), site);
  if (!p->argv || !p->argl) return -1;
  memset(p->argv, 0, (size_t)argc * sizeof(char*));
  p->argc = argc;
  for (int j = 0; j < argc; j++) {
    size_t n = strlen(argv[j]);
    p->argl[j] = n;
    p->argv[j] = alc->alloc(alc->ctx, n + 1, site);
    if (!p->argv[j]) return -1;
    memcpy(p->argv[j], argv[j], n + 1);
  }
  return 0;
}

static int hvm_program_sites(hvm_program_t* p) {
  const hak_alc_t* alc = p->alc;
  hak_site_t site = _hvm_site_static(HVM_SITE_PROGRAM);
  uint32_t n = p->m->nfuncs;
  p->sites = alc->alloc(alc->ctx, n * sizeof(*p->sites), site);
  if (!p->sites) return -1;
  memset(p->sites, 0, n * sizeof(*p->sites));
  for (uint32_t i = 0; i < n; i++) {
    size_t bytes = p->m->funcs[i]->ncode * sizeof(hak_site_t);
    p->sites[i] = alc->alloc(alc->ctx, bytes, site);
    if (!p->sites[i]) return -1;
    memset((void*)p->sites[i], 0, bytes);
  }
  return 0;
}

hvm_program_t* hvm_program_new(hbc_module_t* m, const hvm_options_t* opt) {
  if (!m) return NULL;
  if (!m->finished) {
    hbc_module_free(m);
    return NULL;
  }
  hvm_options_t o;
  if (opt) o = *opt;
  else hvm_options_init(&o);
  const hak_alc_t* alc = o.alc ? o.alc : hak_alc_default();
  hvm_program_t* p = alc->alloc(alc->ctx, sizeof *p, _hvm_site_static(HVM_SITE_PROGRAM));
  if (!p) {
    hbc_module_free(m);
    return NULL;
  }
  memset(p, 0, sizeof *p);
  p->m = m;
  p->alc = alc;
  p->opt = o;
  p->opt.alc = alc;
  p->opt.argv = NULL;
  pthread_mutex_init(&p->mu, NULL);
  pthread_mutex_init(&p->wmu, NULL);
  pthread_cond_init(&p->wcv, NULL);
  atomic_init(&p->refs, 1);
  atomic_init(&p->threads, 0);
  if (hvm_program_args(p, o.argc, o.argv) || hvm_program_sites(p) || _hvm_ffi_init(p)) {
    hvm_program_destroy(p);
    return NULL;
  }
  return p;
}

void hvm_program_free(hvm_program_t* p) {
  if (p) _hvm_program_release(p);
}

const hbc_module_t* hvm_program_module(const hvm_program_t* p) { return p ? p->m : NULL; }

static void hvm_report(hvm_program_t* p, const hvm_t* vm, const hvm_result_t* res) {
  FILE* out = p->opt.out ? p->opt.out : stdout;
  FILE* err = p->opt.err ? p->opt.err : stderr;
  fflush(out);  // what was printed stays printed, before the report
  flockfile(err);
  fputs(res->message, err);
  fputc('\n', err);
  if (vm && vm->tracelen) fwrite(vm->trace, 1, vm->tracelen, err);
  funlockfile(err);
  fflush(err);
}

int hvm_program_run(hvm_program_t* p, hvm_result_t* res) {
  hvm_result_t local;
  if (!res) res = &local;
  memset(res, 0, sizeof *res);
  hvm_t* vm = _hvm_vm_new(p);
  if (!vm) {
    snprintf(res->message, sizeof res->message, "%s:0: runtime error: out of memory", p->m->file);
    res->status = 1;
    hvm_report(p, NULL, res);
    return 1;
  }
  hvm_value_t out;
  _hvm_run_enter(p);
  int r = _hvm_run_protected(vm, p->m->main, NULL, 0, &out, res);
  _hvm_run_leave(p);
  if (r == 1) hvm_report(p, vm, res);
  hvm_last_stats.collections = vm->collections;
  hvm_last_stats.freed = vm->freed;
  hvm_last_stats.live_bytes = vm->bytes;
  hvm_last_stats.peak_bytes = vm->peak;
  _hvm_vm_free(vm);
  fflush(p->opt.out ? p->opt.out : stdout);
  return res->status;
}

void hvm_last_gc_stats(hvm_gc_stats_t* out) {
  if (out) *out = hvm_last_stats;
}
