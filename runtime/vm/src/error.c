/* error.c: runtime errors. A raise formats the message and the traceback
   (innermost frame first; one `  at FUNCTION (FILE:LINE)` line per frame,
   the middle of a very deep stack elided), stores them in the run's result
   and the VM, and longjmps to the run's handler (vm.c). Everything a builtin
   had in flight is either a heap object (collected later) or VM scratch
   (freed with the VM), so unwinding leaks nothing.

   Invariant: before anything that can raise, the interpreter has saved the
   running frame's pc, so every frame's line is known. */
#include <stdarg.h>

#include "hvm_internal.h"

#define HVM_TRACE_HEAD 20  // frames written from the innermost
#define HVM_TRACE_TAIL 10  // and from the outermost, when the stack is deeper

uint32_t _hvm_frame_line(const hvm_t* vm, const hvm_frame_t* fr) {
  const hbc_func_t* f = fr->fn->f;
  ptrdiff_t at = fr->pc - fr->fn->code - 1;
  if (at < 0 || (size_t)at >= f->ncode) return f->line;
  return f->lines[at];
}

static void hvm_trace_put(hvm_t* vm, const char* s, size_t len) {
  if (vm->tracelen + len + 1 > vm->tracecap) {
    size_t ncap = vm->tracecap ? vm->tracecap * 2 : 1024;
    while (ncap < vm->tracelen + len + 1) ncap *= 2;
    char* p = vm->alc->realloc(vm->alc->ctx, vm->trace, vm->tracecap, ncap, _hvm_site_static(HVM_SITE_SCRATCH));
    if (!p) return;  // out of memory: the traceback is cut short
    vm->trace = p;
    vm->tracecap = ncap;
  }
  memcpy(vm->trace + vm->tracelen, s, len);
  vm->tracelen += len;
  vm->trace[vm->tracelen] = 0;
}

static void hvm_trace_frame(hvm_t* vm, const hvm_frame_t* fr) {
  char line[400];
  int n = snprintf(line, sizeof line, "  at %s (%s:%u)\n", fr->fn->f->name, vm->prog->m->file, _hvm_frame_line(vm, fr));
  hvm_trace_put(vm, line, n < (int)sizeof line ? (size_t)n : sizeof line - 1);
}

void _hvm_error_format(hvm_t* vm, const char* msg) {
  const char* file = vm->prog->m->file;
  uint32_t line = vm->depth ? _hvm_frame_line(vm, &vm->frames[vm->depth - 1]) : 0;
  vm->tracelen = 0;
  if (vm->res) {
    snprintf(vm->res->message, sizeof vm->res->message, "%s:%u: runtime error: %s", file, line, msg);
    vm->res->status = 1;
    vm->res->exited = 0;
  }
  uint32_t d = vm->depth;
  for (uint32_t i = 0; i < d; i++) {
    if (d > HVM_TRACE_HEAD + HVM_TRACE_TAIL && i == HVM_TRACE_HEAD) {
      char skip[80];
      int n = snprintf(skip, sizeof skip, "  ... %u more frames ...\n", d - HVM_TRACE_HEAD - HVM_TRACE_TAIL);
      hvm_trace_put(vm, skip, (size_t)n);
      i = d - HVM_TRACE_TAIL;
    }
    hvm_trace_frame(vm, &vm->frames[d - 1 - i]);
  }
}

HVM_NORETURN void _hvm_raise(hvm_t* vm, const char* fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  _hvm_error_format(vm, msg);
  longjmp(*vm->jb, 1);
}

HVM_NORETURN void _hvm_raise_oom(hvm_t* vm) { _hvm_raise(vm, "out of memory"); }

HVM_NORETURN void _hvm_raise_type(hvm_t* vm, const char* what, hvm_value_t a, hvm_value_t b) {
  if (b.t == HVM_NIL && a.t == HVM_NIL && !strcmp(what, "-")) _hvm_raise(vm, "cannot negate nil");
  _hvm_raise(vm, "cannot apply %s to %s and %s", what, _hvm_type_name(a), _hvm_type_name(b));
}

HVM_NORETURN void _hvm_exit(hvm_t* vm, int code) {
  if (vm->res) {
    vm->res->status = code;
    vm->res->exited = 1;
    vm->res->message[0] = 0;
  }
  longjmp(*vm->jb, 2);
}

HVM_NORETURN void _hvm_raise_thread(hvm_t* vm, const char* text) {
  char msg[400];
  const char* nl = text ? strchr(text, '\n') : NULL;
  if (!text) snprintf(msg, sizeof msg, "thread failed");
  else snprintf(msg, sizeof msg, "thread failed at %.*s", nl ? (int)(nl - text) : (int)strlen(text), text);
  _hvm_error_format(vm, msg);
  if (nl && nl[1]) {
    static const char hdr[] = "  in the thread:\n";
    hvm_trace_put(vm, hdr, sizeof hdr - 1);
    hvm_trace_put(vm, nl + 1, strlen(nl + 1));
  }
  longjmp(*vm->jb, 1);
}
