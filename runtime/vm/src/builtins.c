/* builtins.c: every builtin of docs/language.md (table _hvm_builtins,
   indexed by hbc_builtin_t). A builtin gets its arguments in consecutive
   registers and writes its result to *out, which may alias an argument, so it
   writes *out last. Builtins never run script code and never collect; they
   raise through _hvm_raise. Allocations use vm->site, the site of the calling
   instruction ("FILE:LINE split").

   Choices the spec leaves open (docs/vm.md lists them): push and del return
   nil; substr needs 0 <= start <= len and count >= 0, and stops at the end;
   split with an empty separator splits into bytes; int() accepts
   [+-]digits only, float() a decimal literal ([+-]digits[.digits][e[+-]digits]);
   exit() without a code exits 0; range() also works as a value, returning an
   array. */
#include <math.h>
#include <time.h>

#include "hjson.h"
#include "hvm_internal.h"

// ----- Argument checks -----
HVM_NORETURN static void hvm_bad_arg(hvm_t* vm, const char* fn, unsigned n, const char* want, hvm_value_t got) {
  _hvm_raise(vm, "%s() argument %u must be %s, not %s", fn, n, want, _hvm_type_name(got));
}

static hvm_str_t* hvm_arg_str(hvm_t* vm, const char* fn, hvm_value_t* args, unsigned n) {
  if (args[n].t != HVM_STR) hvm_bad_arg(vm, fn, n + 1, "a string", args[n]);
  return HVM_STR(args[n]);
}

static int64_t hvm_arg_int(hvm_t* vm, const char* fn, hvm_value_t* args, unsigned n) {
  if (args[n].t != HVM_INT) hvm_bad_arg(vm, fn, n + 1, "an int", args[n]);
  return args[n].u.i;
}

static hvm_arr_t* hvm_arg_arr(hvm_t* vm, const char* fn, hvm_value_t* args, unsigned n) {
  if (args[n].t != HVM_ARR) hvm_bad_arg(vm, fn, n + 1, "an array", args[n]);
  return HVM_ARR(args[n]);
}

static hvm_map_t* hvm_arg_map(hvm_t* vm, const char* fn, hvm_value_t* args, unsigned n) {
  if (args[n].t != HVM_MAP) hvm_bad_arg(vm, fn, n + 1, "a map", args[n]);
  return HVM_MAP(args[n]);
}

// ----- Output and conversion -----
static void hvm_bi_print(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) {
  vm->blen = 0;
  for (uint32_t j = 0; j < n; j++) {
    if (j) _hvm_buf_putc(vm, ' ');
    _hvm_write_value(vm, args[j], 1, 0, -1);
  }
  _hvm_buf_putc(vm, '\n');
  FILE* f = vm->prog->opt.out ? vm->prog->opt.out : stdout;
  fwrite(vm->buf, 1, vm->blen, f);  // one call per line: lines of threads do not mix
  *out = hvm_nil();
}

static void hvm_bi_str(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) {
  *out = hvm_obj(_hvm_tostr(vm, args[0]), HVM_STR);
}

static void hvm_bi_type(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) {
  const char* name = _hvm_type_name(args[0]);
  *out = hvm_obj(_hvm_str_new(vm, name, strlen(name)), HVM_STR);
}

// Parses [+-]?[0-9]+ exactly; 0 on failure or overflow.
static int hvm_parse_int(const char* s, size_t len, int64_t* out) {
  size_t i = 0;
  int neg = 0;
  if (i < len && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  if (i == len) return 0;
  uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (lim - d) / 10) return 0;
    v = v * 10 + d;
  }
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return 1;
}

static void hvm_bi_int(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) {
  hvm_value_t v = args[0];
  if (v.t == HVM_INT) {
    *out = v;
  } else if (v.t == HVM_FLOAT) {
    double f = v.u.f;
    if (!(f > -9223372036854777856.0 && f < 9223372036854775808.0)) {
      char tmp[32];
      hjson_dtoa(f, tmp);
      _hvm_raise(vm, "int() cannot convert %s to an int", tmp);
    }
    *out = hvm_int((int64_t)f);
  } else if (v.t == HVM_STR) {
    int64_t r;
    hvm_str_t* s = HVM_STR(v);
    if (!hvm_parse_int(s->s, s->len, &r))
      _hvm_raise(vm, "int() cannot convert \"%.60s\"%s to an int", s->s, s->len > 60 ? "..." : "");
    *out = hvm_int(r);
  } else {
    hvm_bad_arg(vm, "int", 1, "an int, float or string", v);
  }
}

static void hvm_bi_float(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) {
  hvm_value_t v = args[0];
  if (v.t == HVM_FLOAT) {
    *out = v;
  } else if (v.t == HVM_INT) {
    *out = hvm_float((double)v.u.i);
  } else if (v.t == HVM_STR) {
    hvm_str_t* s = HVM_STR(v);
    double d;
    if (s->len == 0 || hjson_read_double(s->s, s->len, &d) != s->len)
      _hvm_raise(vm, "float() cannot convert \"%.60s\"%s to a float", s->s, s->len > 60 ? "..." : "");
    *out = hvm_float(d);
  } else {
    hvm_bad_arg(vm, "float", 1, "an int, float or string", v);
  }
}

// ----- Collections -----
static void hvm_bi_len(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) {
  hvm_value_t v = args[0];
  if (v.t == HVM_STR) *out = hvm_int(HVM_STR(v)->len);
  else if (v.t == HVM_ARR) *out = hvm_int(HVM_ARR(v)->len);
  else if (v.t == HVM_MAP) *out = hvm_int(HVM_MAP(v)->count);
  else hvm_bad_arg(vm, "len", 1, "a string, array or map", v);
}

static void hvm_bi_push(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) {
  _hvm_arr_push(vm, hvm_arg_arr(vm, "push", args, 0), args[1]);
  *out = hvm_nil();
}

static void hvm_bi_pop(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) {
  hvm_arr_t* a = hvm_arg_arr(vm, "pop", args, 0);
  if (a->len == 0) _hvm_raise(vm, "pop() from an empty array");
  *out = a->items[--a->len];
}

static void hvm_bi_keys(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) {
  hvm_map_t* m = hvm_arg_map(vm, "keys", args, 0);
  hvm_arr_t* a = _hvm_arr_new(vm, 0);
  _hvm_arr_reserve(vm, a, m->count);
  for (uint32_t j = 0; j < m->nent; j++) {
    if (m->ent[j].kt != HVM_DEAD) a->items[a->len++] = (hvm_value_t){.u.bits = m->ent[j].kb, .t = m->ent[j].kt};
  }
  *out = hvm_obj(a, HVM_ARR);
}

static void hvm_bi_has(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) {
  hvm_map_t* m = hvm_arg_map(vm, "has", args, 0);
  uint32_t hash;
  hvm_value_t key = _hvm_map_key(vm, args[1], &hash);
  *out = hvm_bool(_hvm_map_find(m, key, hash) != NULL);
}

static void hvm_bi_del(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) {
  _hvm_map_del(vm, hvm_arg_map(vm, "del", args, 0), args[1]);
  *out = hvm_nil();
}

static void hvm_bi_range(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) {
  int64_t start = 0, limit, step = 1;
  if (n == 1) {
    limit = hvm_arg_int(vm, "range", args, 0);
  } else {
    start = hvm_arg_int(vm, "range", args, 0);
    limit = hvm_arg_int(vm, "range", args, 1);
    if (n == 3) step = hvm_arg_int(vm, "range", args, 2);
  }
  if (step == 0) _hvm_raise(vm, "range() step must not be 0");
  uint64_t count = 0;
  if (step > 0 && start < limit) count = ((uint64_t)limit - (uint64_t)start - 1) / (uint64_t)step + 1;
  if (step < 0 && start > limit) count = ((uint64_t)start - (uint64_t)limit - 1) / (0 - (uint64_t)step) + 1;
  if (count > UINT32_MAX) _hvm_raise(vm, "range() too long for an array (%llu items)", (unsigned long long)count);
  hvm_arr_t* a = _hvm_arr_new(vm, 0);
  _hvm_arr_reserve(vm, a, (uint32_t)count);
  for (uint64_t j = 0; j < count; j++) a->items[j] = hvm_int((int64_t)((uint64_t)start + j * (uint64_t)step));
  a->len = (uint32_t)count;
  *out = hvm_obj(a, HVM_ARR);
}

// ----- Strings -----
static void hvm_bi_substr(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) {
  hvm_str_t* s = hvm_arg_str(vm, "substr", args, 0);
  int64_t start = hvm_arg_int(vm, "substr", args, 1), count = hvm_arg_int(vm, "substr", args, 2);
  if (start < 0 || start > (int64_t)s->len)
    _hvm_raise(vm, "substr() start %lld out of range (length %u)", (long long)start, s->len);
  if (count < 0) _hvm_raise(vm, "substr() count must not be negative (%lld)", (long long)count);
  if (count > (int64_t)s->len - start) count = (int64_t)s->len - start;
  *out = count == 1 ? hvm_obj(_hvm_str_char(vm, (unsigned char)s->s[start]), HVM_STR)
                    : hvm_obj(_hvm_str_new(vm, s->s + start, (size_t)count), HVM_STR);
}

static int64_t hvm_find(const hvm_str_t* s, const char* sub, size_t len, size_t from) {
  if (len == 0) return from <= s->len ? (int64_t)from : -1;
  if (len > s->len) return -1;
  for (size_t j = from; j + len <= s->len; j++) {
    const char* p = memchr(s->s + j, sub[0], s->len - len + 1 - j);
    if (!p) return -1;
    j = (size_t)(p - s->s);
    if (!memcmp(p, sub, len)) return (int64_t)j;
  }
  return -1;
}

static void hvm_bi_find(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) {
  hvm_str_t* s = hvm_arg_str(vm, "find", args, 0);
  hvm_str_t* sub = hvm_arg_str(vm, "find", args, 1);
  *out = hvm_int(hvm_find(s, sub->s, sub->len, 0));
}

static void hvm_bi_split(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) {
  hvm_str_t* s = hvm_arg_str(vm, "split", args, 0);
  hvm_str_t* sep = hvm_arg_str(vm, "split", args, 1);
  hvm_arr_t* a = _hvm_arr_new(vm, 0);
  hvm_value_t av = hvm_obj(a, HVM_ARR);  // the pieces stay reachable from a
  if (sep->len == 0) {
    _hvm_arr_reserve(vm, a, s->len);
    for (uint32_t j = 0; j < s->len; j++) a->items[a->len++] = hvm_obj(_hvm_str_char(vm, (unsigned char)s->s[j]), HVM_STR);
  } else {
    size_t from = 0;
    for (;;) {
      int64_t at = hvm_find(s, sep->s, sep->len, from);
      size_t end = at < 0 ? s->len : (size_t)at;
      _hvm_arr_push(vm, a, hvm_obj(_hvm_str_new(vm, s->s + from, end - from), HVM_STR));
      if (at < 0) break;
      from = end + sep->len;
    }
  }
  *out = av;
}

static void hvm_bi_join(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) {
  if (args[0].t == HVM_THREAD) {
    if (n != 1) _hvm_raise(vm, "join() of a thread takes 1 argument, got %u", n);
    _hvm_join(vm, args[0], out);
    return;
  }
  if (args[0].t != HVM_ARR) hvm_bad_arg(vm, "join", 1, "an array of strings or a thread", args[0]);
  if (n != 2) _hvm_raise(vm, "join() of an array takes 2 arguments (array, separator), got %u", n);
  hvm_arr_t* a = HVM_ARR(args[0]);
  hvm_str_t* sep = hvm_arg_str(vm, "join", args, 1);
  size_t total = 0;
  for (uint32_t j = 0; j < a->len; j++) {
    if (a->items[j].t != HVM_STR)
      _hvm_raise(vm, "join() expects an array of strings (item %u is %s)", j, _hvm_type_name(a->items[j]));
    total += HVM_STR(a->items[j])->len + (j ? sep->len : 0);
  }
  hvm_str_t* r = _hvm_str_alloc(vm, total);
  char* p = r->s;
  for (uint32_t j = 0; j < a->len; j++) {
    if (j) {
      memcpy(p, sep->s, sep->len);
      p += sep->len;
    }
    hvm_str_t* x = HVM_STR(a->items[j]);
    memcpy(p, x->s, x->len);
    p += x->len;
  }
  *out = hvm_obj(r, HVM_STR);
}

static void hvm_case(hvm_t* vm, hvm_value_t* args, hvm_value_t* out, int up) {
  hvm_str_t* s = hvm_arg_str(vm, up ? "upper" : "lower", args, 0);
  hvm_str_t* r = _hvm_str_alloc(vm, s->len);
  for (uint32_t j = 0; j < s->len; j++) {
    char c = s->s[j];
    if (up && c >= 'a' && c <= 'z') c = (char)(c - 32);
    if (!up && c >= 'A' && c <= 'Z') c = (char)(c + 32);
    r->s[j] = c;
  }
  *out = hvm_obj(r, HVM_STR);
}

static void hvm_bi_upper(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) { hvm_case(vm, args, out, 1); }
static void hvm_bi_lower(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) { hvm_case(vm, args, out, 0); }

// ----- JSON -----
static void hvm_bi_json_parse(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) {
  _hvm_json_parse(vm, hvm_arg_str(vm, "json_parse", args, 0), out);
}

static void hvm_bi_json_stringify(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) {
  int indent = -1;
  if (n == 2) {
    int64_t in = hvm_arg_int(vm, "json_stringify", args, 1);
    if (in < 0 || in > HJSON_INDENT_MAX) _hvm_raise(vm, "json_stringify() indent must be 0..%d, not %lld", HJSON_INDENT_MAX, (long long)in);
    indent = (int)in;
  }
  vm->blen = 0;
  _hvm_write_value(vm, args[0], 1, 1, indent);
  *out = hvm_obj(_hvm_str_new(vm, vm->buf, vm->blen), HVM_STR);
}

// ----- Process -----
static void hvm_bi_clock(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  *out = hvm_float((double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
}

static void hvm_bi_args(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) {
  hvm_program_t* p = vm->prog;
  hvm_arr_t* a = _hvm_arr_new(vm, 0);
  hvm_value_t av = hvm_obj(a, HVM_ARR);
  _hvm_arr_reserve(vm, a, (uint32_t)p->argc);
  for (int j = 0; j < p->argc; j++) a->items[a->len++] = hvm_obj(_hvm_str_new(vm, p->argv[j], p->argl[j]), HVM_STR);
  *out = av;
}

static void hvm_bi_exit(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) {
  int64_t code = n ? hvm_arg_int(vm, "exit", args, 0) : 0;
  _hvm_exit(vm, (int)(code & 0xff));
}

// ----- Concurrency -----
static void hvm_bi_spawn(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) { _hvm_spawn(vm, args, n, out); }
static void hvm_bi_chan(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) { _hvm_chan_new(vm, out); }
static void hvm_bi_send(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) {
  _hvm_chan_send(vm, args[0], args[1]);
  *out = hvm_nil();
}
static void hvm_bi_recv(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) { _hvm_chan_recv(vm, args[0], out); }
static void hvm_bi_close(hvm_t* vm, hvm_value_t* args, uint32_t n, hvm_value_t* out) {
  _hvm_chan_close(vm, args[0]);
  *out = hvm_nil();
}

// ----- Table (names and arities as hbc.h's HBC_BUILTINS; test_vm_builtins checks) -----
const hvm_builtin_t _hvm_builtins[HBC_BI_COUNT] = {
    [HBC_BI_PRINT] = {hvm_bi_print, 0, HBC_VARIADIC, "print"},
    [HBC_BI_LEN] = {hvm_bi_len, 1, 1, "len"},
    [HBC_BI_PUSH] = {hvm_bi_push, 2, 2, "push"},
    [HBC_BI_POP] = {hvm_bi_pop, 1, 1, "pop"},
    [HBC_BI_KEYS] = {hvm_bi_keys, 1, 1, "keys"},
    [HBC_BI_HAS] = {hvm_bi_has, 2, 2, "has"},
    [HBC_BI_DEL] = {hvm_bi_del, 2, 2, "del"},
    [HBC_BI_STR] = {hvm_bi_str, 1, 1, "str"},
    [HBC_BI_INT] = {hvm_bi_int, 1, 1, "int"},
    [HBC_BI_FLOAT] = {hvm_bi_float, 1, 1, "float"},
    [HBC_BI_TYPE] = {hvm_bi_type, 1, 1, "type"},
    [HBC_BI_SUBSTR] = {hvm_bi_substr, 3, 3, "substr"},
    [HBC_BI_FIND] = {hvm_bi_find, 2, 2, "find"},
    [HBC_BI_SPLIT] = {hvm_bi_split, 2, 2, "split"},
    [HBC_BI_JOIN] = {hvm_bi_join, 1, 2, "join"},
    [HBC_BI_UPPER] = {hvm_bi_upper, 1, 1, "upper"},
    [HBC_BI_LOWER] = {hvm_bi_lower, 1, 1, "lower"},
    [HBC_BI_JSON_PARSE] = {hvm_bi_json_parse, 1, 1, "json_parse"},
    [HBC_BI_JSON_STRINGIFY] = {hvm_bi_json_stringify, 1, 2, "json_stringify"},
    [HBC_BI_CLOCK] = {hvm_bi_clock, 0, 0, "clock"},
    [HBC_BI_ARGS] = {hvm_bi_args, 0, 0, "args"},
    [HBC_BI_EXIT] = {hvm_bi_exit, 0, 1, "exit"},
    [HBC_BI_RANGE] = {hvm_bi_range, 1, 3, "range"},
    [HBC_BI_SPAWN] = {hvm_bi_spawn, 1, HBC_VARIADIC, "spawn"},
    [HBC_BI_CHAN] = {hvm_bi_chan, 0, 0, "chan"},
    [HBC_BI_SEND] = {hvm_bi_send, 2, 2, "send"},
    [HBC_BI_RECV] = {hvm_bi_recv, 1, 1, "recv"},
    [HBC_BI_CLOSE] = {hvm_bi_close, 1, 1, "close"},
};

HVM_NORETURN static void hvm_raise_bi_arity(hvm_t* vm, const hvm_builtin_t* b, uint32_t n) {
  if (b->max == HBC_VARIADIC) _hvm_raise(vm, "%s expects at least %u argument%s, got %u", b->name, b->min, b->min == 1 ? "" : "s", n);
  if (b->min == b->max) _hvm_raise(vm, "%s expects %u argument%s, got %u", b->name, b->min, b->min == 1 ? "" : "s", n);
  _hvm_raise(vm, "%s expects %u to %u arguments, got %u", b->name, b->min, b->max, n);
}

void _hvm_call_builtin(hvm_t* vm, unsigned id, hvm_value_t* args, uint32_t nargs, hvm_value_t* out) {
  const hvm_builtin_t* b = &_hvm_builtins[id];
  if hvm_unlikely(nargs < b->min || nargs > b->max) hvm_raise_bi_arity(vm, b, nargs);
  b->fn(vm, args, nargs, out);
}
