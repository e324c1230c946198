/* ffi.c: extern functions through libffi (the only file that includes
   <ffi.h>). An extern is resolved at its first call, once per program and
   under the program's mutex: its library is dlopen'ed once (the handle, or
   the failure, is kept for every extern of that library), the symbol looked
   up and the call interface prepared. A failure is remembered and raised at
   every call as a runtime error naming the library and the symbol.

   Arguments are checked against the declaration (i64: int; f64: int or
   float; str: string, passed as its NUL-terminated bytes; ptr: int or nil)
   and results converted back (str: copied into a new string, NULL -> nil;
   ptr: an int; void: nil).

   A native function that faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL) because
   the declaration or the arguments are wrong is turned into a runtime error
   instead of a crash: the call runs under sigsetjmp with a per-thread jump
   target, and the handler (installed when a program with externs is
   created) jumps back
   when that target is set; otherwise it restores the previous action so the
   fault takes its usual course. This is best effort: state the native code
   left behind (a lock it held) is not repaired. */
#include <dlfcn.h>
#include <ffi.h>
#include <pthread.h>
#include <signal.h>

#include "hvm_internal.h"

struct hvm_lib_s {
  hvm_lib_t* next;
  char* name;        // as declared (alc, nlen + 1 bytes)
  size_t nlen;
  void* handle;      // NULL when it could not be loaded
  char err[240];     // dlerror() text then
};

struct hvm_ext_s {
  atomic_int state;                       // 0 unresolved, 1 ready, 2 failed
  int direct;                             // hvm_direct_t: a C call without libffi, or 0
  void* fn;
  ffi_cif cif;
  ffi_type* at[HBC_EXTERN_MAXPARAMS];
  char err[480];                          // state 2: the message
};

enum { HVM_EXT_NEW, HVM_EXT_READY, HVM_EXT_FAILED };

// Direct calls: signatures whose parameters are all integer-class (i64, str,
// ptr) or all f64, at most 3 of them, are called through a C function pointer
// of that exact type instead of libffi (the same ABI, a few ns instead of tens).
// Code = 1 + ((nparams * 2 + float_params) * 3 + ret) with ret 0 int, 1 f64, 2 void.
static int hvm_direct_kind(const hbc_extern_t* x) {
  if (x->nparams > 3) return 0;
  int fl = x->nparams ? x->params[0] == HBC_FFI_F64 : 0;
  for (unsigned j = 0; j < x->nparams; j++) {
    if ((x->params[j] == HBC_FFI_F64) != fl) return 0;
  }
  int ret = x->ret == HBC_FFI_F64 ? 1 : x->ret == HBC_FFI_VOID ? 2 : 0;
  return 1 + ((int)x->nparams * 2 + fl) * 3 + ret;
}

static ffi_type* hvm_ffi_type(uint8_t t) {
  switch (t) {
    case HBC_FFI_I64: return &ffi_type_sint64;
    case HBC_FFI_F64: return &ffi_type_double;
    case HBC_FFI_STR: case HBC_FFI_PTR: return &ffi_type_pointer;
    default: return &ffi_type_void;
  }
}

// ----- Fault guard -----
static __thread sigjmp_buf* hvm_ffi_jb;  // set while this thread runs a native call
static struct sigaction hvm_ffi_old[4];
static const int hvm_ffi_sigs[4] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};
static pthread_mutex_t hvm_ffi_mu = PTHREAD_MUTEX_INITIALIZER;

static void hvm_ffi_fault(int sig, siginfo_t* si, void* uc) {
  sigjmp_buf* jb = hvm_ffi_jb;
  if (jb) {
    hvm_ffi_jb = NULL;
    siglongjmp(*jb, sig);
  }
  for (int j = 0; j < 4; j++) {  // not a native call of ours: let the fault take its course
    if (hvm_ffi_sigs[j] == sig) sigaction(sig, &hvm_ffi_old[j], NULL);
  }
}

// Installs the guard unless it is in place (another handler may have
// replaced it since: it becomes the previous action we fall back to).
static void hvm_ffi_install(void) {
  struct sigaction sa, cur;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = hvm_ffi_fault;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;  // not blocked in the handler: the jump out needs no mask restore
  sigemptyset(&sa.sa_mask);
  pthread_mutex_lock(&hvm_ffi_mu);
  for (int j = 0; j < 4; j++) {
    if (sigaction(hvm_ffi_sigs[j], NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == hvm_ffi_fault)
      continue;
    sigaction(hvm_ffi_sigs[j], &sa, &hvm_ffi_old[j]);
  }
  pthread_mutex_unlock(&hvm_ffi_mu);
}

static const char* hvm_sig_name(int sig) {
  return sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" : sig == SIGFPE ? "SIGFPE" : "SIGILL";
}

int _hvm_ffi_init(hvm_program_t* p) {
  uint32_t n = p->m->nexterns;
  p->ext = NULL;
  if (!n) return 0;
  p->ext = p->alc->alloc(p->alc->ctx, n * sizeof(hvm_ext_t), _hvm_site_static(HVM_SITE_PROGRAM));
  if (!p->ext) return -1;
  memset(p->ext, 0, n * sizeof(hvm_ext_t));
  hvm_ffi_install();  // programs with externs get the fault guard
  return 0;
}

void _hvm_ffi_fini(hvm_program_t* p) {
  const hak_alc_t* alc = p->alc;
  hvm_lib_t* l;
  while ((l = p->libs)) {
    p->libs = l->next;
    if (l->handle) dlclose(l->handle);
    alc->free(alc->ctx, l->name, l->nlen + 1, _hvm_site_static(HVM_SITE_PROGRAM));
    alc->free(alc->ctx, l, sizeof *l, _hvm_site_static(HVM_SITE_PROGRAM));
  }
  if (p->ext) alc->free(alc->ctx, p->ext, p->m->nexterns * sizeof(hvm_ext_t), _hvm_site_static(HVM_SITE_PROGRAM));
  p->ext = NULL;
}

// The library, opened at most once per program (caller holds p->mu); NULL when out of memory.
static hvm_lib_t* hvm_lib_open(hvm_program_t* p, const char* name) {
  size_t len = strlen(name);
  for (hvm_lib_t* l = p->libs; l; l = l->next) {
    if (l->nlen == len && !memcmp(l->name, name, len)) return l;
  }
  const hak_alc_t* alc = p->alc;
  hvm_lib_t* l = alc->alloc(alc->ctx, sizeof *l, _hvm_site_static(HVM_SITE_PROGRAM));
  char* copy = l ? alc->alloc(alc->ctx, len + 1, _hvm_site_static(HVM_SITE_PROGRAM)) : NULL;
  if (!copy) {
    if (l) alc->free(alc->ctx, l, sizeof *l, _hvm_site_static(HVM_SITE_PROGRAM));
    return NULL;
  }
  memset(l, 0, sizeof *l);
  memcpy(copy, name, len + 1);
  l->name = copy;
  l->nlen = len;
  l->handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (!l->handle) {
    const char* e = dlerror();
    snprintf(l->err, sizeof l->err, "%s", e ? e : "unknown error");
  }
  l->next = p->libs;
  p->libs = l;
  return l;
}

static void hvm_ext_resolve(hvm_program_t* p, uint32_t xi) {
  hvm_ext_t* e = &p->ext[xi];
  const hbc_extern_t* x = &p->m->externs[xi];
  pthread_mutex_lock(&p->mu);
  if (atomic_load_explicit(&e->state, memory_order_relaxed) != HVM_EXT_NEW) {
    pthread_mutex_unlock(&p->mu);
    return;
  }
  int state = HVM_EXT_FAILED;
  hvm_lib_t* l = hvm_lib_open(p, x->lib);
  if (!l) {
    snprintf(e->err, sizeof e->err, "extern %s: out of memory loading library \"%s\"", x->sym, x->lib);
  } else if (!l->handle) {
    snprintf(e->err, sizeof e->err, "extern %s: cannot load library \"%s\": %s", x->sym, x->lib, l->err);
  } else {
    dlerror();
    e->fn = dlsym(l->handle, x->sym);
    if (!e->fn) {
      snprintf(e->err, sizeof e->err, "extern %s: symbol \"%s\" not found in library \"%s\"", x->sym, x->sym, x->lib);
    } else {
      for (unsigned j = 0; j < x->nparams; j++) e->at[j] = hvm_ffi_type(x->params[j]);
      e->direct = hvm_direct_kind(x);
      if (ffi_prep_cif(&e->cif, FFI_DEFAULT_ABI, x->nparams, hvm_ffi_type(x->ret), e->at) == FFI_OK) state = HVM_EXT_READY;
      else snprintf(e->err, sizeof e->err, "extern %s: libffi cannot prepare the call", x->sym);
    }
  }
  atomic_store_explicit(&e->state, state, memory_order_release);
  pthread_mutex_unlock(&p->mu);
}

// ----- Calls -----
typedef union hvm_ffi_val_u {
  int64_t i;
  double f;
  void* p;
  ffi_arg a;
} hvm_ffi_val_t;

// Calls fn directly for the signatures hvm_direct_kind accepts.
static void hvm_ffi_direct(int kind, void* fn, const hvm_ffi_val_t* a, hvm_ffi_val_t* r) {
  int k = kind - 1, ret = k % 3, shape = k / 3;  // shape = nparams * 2 + float_params
#define HVM_DCALL(PT, ...)                                            \
  do {                                                                \
    if (ret == 1) r->f = ((double(*) PT)fn)(__VA_ARGS__);             \
    else if (ret == 2) ((void(*) PT)fn)(__VA_ARGS__);                 \
    else r->i = ((int64_t(*) PT)fn)(__VA_ARGS__);                     \
  } while (0)
  switch (shape) {
    case 0: HVM_DCALL((void)); break;
    case 2: HVM_DCALL((int64_t), a[0].i); break;
    case 3: HVM_DCALL((double), a[0].f); break;
    case 4: HVM_DCALL((int64_t, int64_t), a[0].i, a[1].i); break;
    case 5: HVM_DCALL((double, double), a[0].f, a[1].f); break;
    case 6: HVM_DCALL((int64_t, int64_t, int64_t), a[0].i, a[1].i, a[2].i); break;
    default: HVM_DCALL((double, double, double), a[0].f, a[1].f, a[2].f); break;
  }
#undef HVM_DCALL
}

static void hvm_ffi_arg(hvm_t* vm, const hbc_extern_t* x, unsigned j, hvm_value_t v, hvm_ffi_val_t* out) {
  switch (x->params[j]) {
    case HBC_FFI_I64:
      if (v.t == HVM_INT) {
        out->i = v.u.i;
        return;
      }
      break;
    case HBC_FFI_F64:
      if (v.t == HVM_FLOAT || v.t == HVM_INT) {
        out->f = v.t == HVM_FLOAT ? v.u.f : (double)v.u.i;
        return;
      }
      break;
    case HBC_FFI_STR:
      if (v.t == HVM_STR || v.t == HVM_NIL) {
        out->p = v.t == HVM_STR ? HVM_STR(v)->s : NULL;
        return;
      }
      break;
    default:  // PTR
      if (v.t == HVM_INT || v.t == HVM_NIL) {
        out->p = v.t == HVM_INT ? (void*)(intptr_t)v.u.i : NULL;
        return;
      }
      break;
  }
  _hvm_raise(vm, "extern %s: argument %u must be %s (%s), not %s", x->sym, j + 1,
             x->params[j] == HBC_FFI_STR ? "a string" : x->params[j] == HBC_FFI_F64 ? "a number" : "an int",
             hbc_ffi_type_name(x->params[j]), _hvm_type_name(v));
}

void _hvm_ffi_call(hvm_t* vm, uint32_t xi, hvm_value_t* args, uint32_t nargs, hvm_value_t* out) {
  hvm_program_t* p = vm->prog;
  const hbc_extern_t* x = &p->m->externs[xi];
  hvm_ext_t* e = &p->ext[xi];
  if (nargs != x->nparams)
    _hvm_raise(vm, "%s expects %u argument%s, got %u", x->sym, x->nparams, x->nparams == 1 ? "" : "s", nargs);
  int state = atomic_load_explicit(&e->state, memory_order_acquire);
  if hvm_unlikely(state == HVM_EXT_NEW) {
    hvm_ext_resolve(p, xi);
    state = atomic_load_explicit(&e->state, memory_order_acquire);
  }
  if (state != HVM_EXT_READY) _hvm_raise(vm, "%s", e->err);
  hvm_ffi_val_t vals[HBC_EXTERN_MAXPARAMS];
  void* ptrs[HBC_EXTERN_MAXPARAMS];
  for (unsigned j = 0; j < x->nparams; j++) {
    hvm_ffi_arg(vm, x, j, args[j], &vals[j]);
    ptrs[j] = &vals[j];
  }
  hvm_ffi_val_t ret;
  ret.i = 0;
  sigjmp_buf jb;
  int sig = sigsetjmp(jb, 0);  // no mask to save: the handler runs with SA_NODEFER
  if (sig) _hvm_raise(vm, "extern %s: the native call crashed (%s); check its declaration and arguments", x->sym, hvm_sig_name(sig));
  hvm_ffi_jb = &jb;
  if (e->direct) hvm_ffi_direct(e->direct, e->fn, vals, &ret);
  else ffi_call(&e->cif, FFI_FN(e->fn), &ret, ptrs);
  hvm_ffi_jb = NULL;
  switch (x->ret) {
    case HBC_FFI_I64: *out = hvm_int(ret.i); break;
    case HBC_FFI_F64: *out = hvm_float(ret.f); break;
    case HBC_FFI_PTR: *out = hvm_int((int64_t)(intptr_t)ret.p); break;
    case HBC_FFI_STR: {
      const char* s = ret.p;
      *out = s ? hvm_obj(_hvm_str_new(vm, s, strlen(s)), HVM_STR) : hvm_nil();
      break;
    }
    default: *out = hvm_nil(); break;
  }
}
