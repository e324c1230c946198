/* value.c: what every value can do: type names, equality, ordering, and the
   text form that print, str and json_stringify write.

   Text form: print writes strings raw at the top level and everything inside
   arrays and maps as compact JSON ([1,"a",null], {"k":2}); numbers as
   hjson_itoa / hjson_dtoa write them (floats as Python's repr). Values JSON
   cannot hold print as <function NAME>, <builtin NAME>, <extern NAME>,
   <channel>, <thread>; json_stringify refuses them and non-finite floats.
   Map int keys are written as JSON strings ({"1":...}), as Python does.
   Writing recurses at most HVM_DUMP_DEPTH levels: deeper (or cyclic) values
   are a runtime error, never a C stack overflow. */
#include <math.h>

#include "hjson.h"
#include "hvm_internal.h"

static const char* const hvm_type_names[HVM_TYPE_COUNT] = {"nil", "bool", "int", "float", "string",
                                                           "array", "map", "function", "channel", "thread"};

const char* _hvm_type_name(hvm_value_t v) { return v.t < HVM_TYPE_COUNT ? hvm_type_names[v.t] : "?"; }

const char* _hvm_fn_name(const hvm_t* vm, hvm_value_t f) {
  uint32_t kind = (uint32_t)((uint64_t)f.u.i >> 32), idx = (uint32_t)f.u.i;
  const hbc_module_t* m = vm->prog->m;
  if (kind == HVM_FN_SCRIPT) return idx < m->nfuncs ? m->funcs[idx]->name : "?";
  if (kind == HVM_FN_BUILTIN) return idx < HBC_BI_COUNT ? _hvm_builtins[idx].name : "?";
  return idx < m->nexterns ? m->externs[idx].sym : "?";
}

// ----- Comparison -----
// Orders an int and a float exactly (no rounding of large ints); f not NaN.
static int hvm_cmp_int_float(int64_t i, double f) {
  if (f >= 9223372036854775808.0) return -1;
  if (f < -9223372036854775808.0) return 1;
  int64_t fi = (int64_t)f;  // truncated; exact in double
  if (i != fi) return i < fi ? -1 : 1;
  double frac = f - (double)fi;
  return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

int _hvm_equal(hvm_value_t a, hvm_value_t b) {
  if (a.t == b.t) {
    switch (a.t) {
      case HVM_NIL: return 1;
      case HVM_FLOAT: return a.u.f == b.u.f;
      case HVM_STR: return hvm_str_eq(HVM_STR(a), HVM_STR(b));
      case HVM_CHAN: return ((hvm_chanref_t*)a.u.o)->ch == ((hvm_chanref_t*)b.u.o)->ch;
      case HVM_THREAD: return ((hvm_threadref_t*)a.u.o)->th == ((hvm_threadref_t*)b.u.o)->th;
      default: return a.u.i == b.u.i;  // bool, int, function, array, map
    }
  }
  if (a.t == HVM_INT && b.t == HVM_FLOAT) return b.u.f == b.u.f && hvm_cmp_int_float(a.u.i, b.u.f) == 0;
  if (a.t == HVM_FLOAT && b.t == HVM_INT) return a.u.f == a.u.f && hvm_cmp_int_float(b.u.i, a.u.f) == 0;
  return 0;
}

int _hvm_less(hvm_t* vm, hvm_value_t a, hvm_value_t b, int or_equal) {
  int c;
  if (a.t == HVM_INT && b.t == HVM_INT) c = a.u.i < b.u.i ? -1 : a.u.i > b.u.i;
  else if (a.t == HVM_FLOAT && b.t == HVM_FLOAT) return or_equal ? a.u.f <= b.u.f : a.u.f < b.u.f;
  else if (a.t == HVM_INT && b.t == HVM_FLOAT) {
    if (b.u.f != b.u.f) return 0;
    c = hvm_cmp_int_float(a.u.i, b.u.f);
  } else if (a.t == HVM_FLOAT && b.t == HVM_INT) {
    if (a.u.f != a.u.f) return 0;
    c = -hvm_cmp_int_float(b.u.i, a.u.f);
  } else if (a.t == HVM_STR && b.t == HVM_STR) {
    c = _hvm_str_cmp(HVM_STR(a), HVM_STR(b));
  } else {
    _hvm_raise(vm, "cannot compare %s and %s", _hvm_type_name(a), _hvm_type_name(b));
  }
  return or_equal ? c <= 0 : c < 0;
}

// ----- Text buffer -----
HVM_NOINLINE void _hvm_buf_reserve(hvm_t* vm, size_t more) {
  if (more <= vm->bcap - vm->blen) return;
  size_t need = vm->blen + more;
  if (need < vm->blen) _hvm_raise_oom(vm);
  size_t ncap = vm->bcap ? vm->bcap : 256;
  while (ncap < need) {
    if (ncap > SIZE_MAX / 2) _hvm_raise_oom(vm);
    ncap *= 2;
  }
  char* p = vm->alc->realloc(vm->alc->ctx, vm->buf, vm->bcap, ncap, _hvm_site_static(HVM_SITE_SCRATCH));
  if (!p) _hvm_raise_oom(vm);
  vm->buf = p;
  vm->bcap = ncap;
}

void _hvm_buf_put(hvm_t* vm, const char* s, size_t len) {
  if (!len) return;
  _hvm_buf_reserve(vm, len);
  memcpy(vm->buf + vm->blen, s, len);
  vm->blen += len;
}

void _hvm_buf_putc(hvm_t* vm, char c) {
  if hvm_unlikely(vm->blen == vm->bcap) _hvm_buf_reserve(vm, 1);
  vm->buf[vm->blen++] = c;
}

// ----- Writing values -----
typedef struct hvm_writer_s {
  hvm_t* vm;
  int json;    // json_stringify: refuse what JSON cannot hold
  int indent;  // < 0 compact, else Python's indent layout
} hvm_writer_t;

static void hvm_write_escaped(hvm_t* vm, const char* s, size_t len) {
  if (len > (SIZE_MAX - 2) / 6) _hvm_raise_oom(vm);
  _hvm_buf_reserve(vm, 6 * len + 2);
  vm->blen += hjson_escape(s, len, vm->buf + vm->blen);
}

static void hvm_write_newline(hvm_writer_t* w, uint32_t depth) {
  _hvm_buf_putc(w->vm, '\n');
  size_t n = (size_t)w->indent * depth;
  _hvm_buf_reserve(w->vm, n);
  memset(w->vm->buf + w->vm->blen, ' ', n);
  w->vm->blen += n;
}

static void hvm_write_float(hvm_writer_t* w, double f) {
  if (w->json && !isfinite(f)) _hvm_raise(w->vm, "json_stringify: cannot write %s", f != f ? "nan" : f > 0 ? "inf" : "-inf");
  char tmp[32];
  _hvm_buf_put(w->vm, tmp, hjson_dtoa(f, tmp));
}

static void hvm_write_opaque(hvm_writer_t* w, hvm_value_t v) {
  hvm_t* vm = w->vm;
  if (w->json) _hvm_raise(vm, "json_stringify: cannot write a %s", _hvm_type_name(v));
  char tmp[300];
  int n;
  if (v.t == HVM_FUNC) {
    uint32_t kind = (uint32_t)((uint64_t)v.u.i >> 32);
    n = snprintf(tmp, sizeof tmp, "<%s %s>", kind == HVM_FN_SCRIPT ? "function" : kind == HVM_FN_BUILTIN ? "builtin" : "extern",
                 _hvm_fn_name(vm, v));
  } else {
    n = snprintf(tmp, sizeof tmp, "<%s>", _hvm_type_name(v));
  }
  _hvm_buf_put(vm, tmp, n < (int)sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void hvm_write(hvm_writer_t* w, hvm_value_t v, int top, uint32_t depth);

static void hvm_write_array(hvm_writer_t* w, const hvm_arr_t* a, uint32_t depth) {
  hvm_t* vm = w->vm;
  _hvm_buf_putc(vm, '[');
  for (uint32_t i = 0; i < a->len; i++) {  // a->len re-read: nothing here runs script code
    if (i) _hvm_buf_putc(vm, ',');
    if (w->indent >= 0) hvm_write_newline(w, depth + 1);
    hvm_write(w, a->items[i], 0, depth + 1);
  }
  if (w->indent >= 0 && a->len) hvm_write_newline(w, depth);
  _hvm_buf_putc(vm, ']');
}

static void hvm_write_map(hvm_writer_t* w, const hvm_map_t* m, uint32_t depth) {
  hvm_t* vm = w->vm;
  _hvm_buf_putc(vm, '{');
  int first = 1;
  for (uint32_t i = 0; i < m->nent; i++) {
    const hvm_entry_t* e = &m->ent[i];
    if (e->kt == HVM_DEAD) continue;
    if (!first) _hvm_buf_putc(vm, ',');
    first = 0;
    if (w->indent >= 0) hvm_write_newline(w, depth + 1);
    if (e->kt == HVM_STR) {
      const hvm_str_t* k = (const hvm_str_t*)(uintptr_t)e->kb;
      hvm_write_escaped(vm, k->s, k->len);
    } else {
      char tmp[24];
      _hvm_buf_putc(vm, '"');
      _hvm_buf_put(vm, tmp, hjson_itoa((int64_t)e->kb, tmp));
      _hvm_buf_putc(vm, '"');
    }
    if (w->indent >= 0) _hvm_buf_put(vm, ": ", 2);
    else _hvm_buf_putc(vm, ':');
    hvm_write(w, (hvm_value_t){.u.bits = e->vb, .t = e->vt}, 0, depth + 1);
  }
  if (w->indent >= 0 && !first) hvm_write_newline(w, depth);
  _hvm_buf_putc(vm, '}');
}

static void hvm_write(hvm_writer_t* w, hvm_value_t v, int top, uint32_t depth) {
  hvm_t* vm = w->vm;
  char tmp[32];
  switch (v.t) {
    case HVM_NIL:
      if (top && !w->json) _hvm_buf_put(vm, "nil", 3);
      else _hvm_buf_put(vm, "null", 4);
      break;
    case HVM_BOOL: v.u.i ? _hvm_buf_put(vm, "true", 4) : _hvm_buf_put(vm, "false", 5); break;
    case HVM_INT: _hvm_buf_put(vm, tmp, hjson_itoa(v.u.i, tmp)); break;
    case HVM_FLOAT: hvm_write_float(w, v.u.f); break;
    case HVM_STR:
      if (top && !w->json) _hvm_buf_put(vm, HVM_STR(v)->s, HVM_STR(v)->len);
      else hvm_write_escaped(vm, HVM_STR(v)->s, HVM_STR(v)->len);
      break;
    case HVM_ARR:
    case HVM_MAP:
      if (depth >= HVM_DUMP_DEPTH)
        _hvm_raise(vm, "%s: value nested deeper than %d levels (or cyclic)", w->json ? "json_stringify" : "print",
                   HVM_DUMP_DEPTH);
      if (v.t == HVM_ARR) hvm_write_array(w, HVM_ARR(v), depth);
      else hvm_write_map(w, HVM_MAP(v), depth);
      break;
    default: hvm_write_opaque(w, v); break;
  }
}

void _hvm_write_value(hvm_t* vm, hvm_value_t v, int top, int json, int indent) {
  hvm_writer_t w = {vm, json, indent};
  hvm_write(&w, v, top, 0);
}

hvm_str_t* _hvm_tostr(hvm_t* vm, hvm_value_t v) {
  if (v.t == HVM_STR) return HVM_STR(v);
  vm->blen = 0;
  _hvm_write_value(vm, v, 1, 0, -1);
  return _hvm_str_new(vm, vm->buf, vm->blen);
}
