/* hbc_asm.h: a tiny text assembler for hk bytecode, for the VM tests (header
   only, included by tests/vm/test_*.c). One instruction per line; the line's
   number in the text is the instruction's source line.

     extern sqrt "libm.so.6" f64 -> f64     (name lib params... -> ret)
     fn NAME ARITY                          starts a function (the first is main)
     @label:                                binds a label
     OP operands...                         operands by the op's format (hbc.h):
        registers and ints as numbers; K/k roles take a constant literal
        (42, 2.5, "text" with \n \t \" \\ \0 escapes, nil, true, false);
        F/B/X roles a function, builtin or extern name; j a @label.
     ; comment

   hbc_asm() returns a finished module, or NULL with a message in err. */
#ifndef HBC_ASM_H
#define HBC_ASM_H

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hbc.h"

typedef struct asm_label_s {
  char name[32];
  int fn;
  hbc_label_t l;
} asm_label_t;

typedef struct asm_state_s {
  hbc_module_t* m;
  asm_label_t labels[256];
  int nlabels;
  char* err;
  size_t errlen;
} asm_state_t;

static __attribute__((unused)) int asm_fail(asm_state_t* st, unsigned line, const char* msg, const char* tok) {
  snprintf(st->err, st->errlen, "asm line %u: %s '%s'", line, msg, tok ? tok : "");
  return -1;
}

// Splits a line into tokens (quoted strings kept whole, with their quotes).
static __attribute__((unused)) int asm_tokens(char* s, char** tok, int max) {
  int n = 0;
  while (*s && n < max) {
    while (isspace((unsigned char)*s)) s++;
    if (!*s || *s == ';') break;
    tok[n++] = s;
    if (*s == '"') {
      s++;
      while (*s && *s != '"') s += (*s == '\\' && s[1]) ? 2 : 1;
      if (*s) s++;
    } else {
      while (*s && !isspace((unsigned char)*s)) s++;
    }
    if (*s) *s++ = 0;
  }
  return n;
}

static __attribute__((unused)) hbc_label_t asm_label(asm_state_t* st, hbc_func_t* f, int fi, const char* name) {
  for (int j = 0; j < st->nlabels; j++) {
    if (st->labels[j].fn == fi && !strcmp(st->labels[j].name, name)) return st->labels[j].l;
  }
  asm_label_t* l = &st->labels[st->nlabels++];
  snprintf(l->name, sizeof l->name, "%s", name);
  l->fn = fi;
  l->l = hbc_label_new(f);
  return l->l;
}

static __attribute__((unused)) int asm_const(hbc_func_t* f, const char* t) {
  if (t[0] == '"') {
    char buf[4096];
    size_t n = 0;
    for (const char* p = t + 1; *p && *p != '"' && n < sizeof buf; p++) {
      if (*p == '\\' && p[1]) {
        p++;
        buf[n++] = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p == '0' ? '\0' : *p;
      } else {
        buf[n++] = *p;
      }
    }
    return hbc_const_str(f, buf, n);
  }
  if (!strcmp(t, "nil")) return hbc_const_nil(f);
  if (!strcmp(t, "true")) return hbc_const_bool(f, 1);
  if (!strcmp(t, "false")) return hbc_const_bool(f, 0);
  if (strpbrk(t, ".en") && strncmp(t, "0x", 2)) return hbc_const_float(f, strtod(t, NULL));
  return hbc_const_int(f, strtoll(t, NULL, 0));
}

static __attribute__((unused)) hbc_ffi_type_t asm_ctype(const char* t) {
  if (!strcmp(t, "i64")) return HBC_FFI_I64;
  if (!strcmp(t, "f64")) return HBC_FFI_F64;
  if (!strcmp(t, "str")) return HBC_FFI_STR;
  if (!strcmp(t, "ptr")) return HBC_FFI_PTR;
  return HBC_FFI_VOID;
}

static __attribute__((unused)) int asm_find_extern(const hbc_module_t* m, const char* name) {
  for (uint32_t j = 0; j < m->nexterns; j++) {
    if (!strcmp(m->externs[j].sym, name)) return (int)j;
  }
  return -1;
}

static __attribute__((unused)) int asm_operand(asm_state_t* st, hbc_func_t* f, char role, const char* t, unsigned line, long* out) {
  if (role == 'k' || role == 'K') *out = asm_const(f, t);
  else if (role == 'F') *out = hbc_module_find_func(st->m, t);
  else if (role == 'B') *out = hbc_builtin_lookup(t);
  else if (role == 'X') *out = asm_find_extern(st->m, t);
  else *out = strtol(t, NULL, 0);
  if (*out < 0 && strchr("kKFBX", role)) return asm_fail(st, line, "unknown name or constant", t);
  return 0;
}

static __attribute__((unused)) int asm_ins(asm_state_t* st, hbc_func_t* f, int fi, char** tok, int n, unsigned line) {
  int op = -1;
  for (unsigned j = 0; j < HBC_OP_COUNT; j++) {
    if (!strcmp(hbc_op_name(j), tok[0])) op = (int)j;
  }
  if (op < 0) return asm_fail(st, line, "unknown op", tok[0]);
  const char* fmt = hbc_op_format((unsigned)op);
  size_t nf = strlen(fmt);
  long v[4] = {0, 0, 0, 0};
  int k = 1;
  for (size_t j = 0; j < nf; j++) {
    if (fmt[j] == '-') continue;
    if (fmt[j] == 'j' || fmt[j] == 'J') continue;  // label, last
    if (k >= n) return asm_fail(st, line, "missing operand for", tok[0]);
    if (asm_operand(st, f, fmt[j], tok[k++], line, &v[j])) return -1;
  }
  int32_t pc;
  if (nf == 1 || (nf == 4 && fmt[3] == 'j')) {
    if (k >= n || tok[k][0] != '@') return asm_fail(st, line, "missing @label for", tok[0]);
    pc = hbc_emit_jump(f, (hbc_op_t)op, (int)v[0], (int)v[1], (int)v[2], asm_label(st, f, fi, tok[k]), line);
  } else if (nf == 4) {
    pc = hbc_emit_call(f, (hbc_op_t)op, (int)v[0], (int)v[1], (int)v[2], (uint32_t)v[3], line);
  } else if (nf == 2) {
    pc = hbc_emit_abx(f, (hbc_op_t)op, (int)v[0], (int32_t)v[1], line);
  } else {
    pc = hbc_emit_abc(f, (hbc_op_t)op, (int)v[0], (int)v[1], (int)v[2], line);
  }
  if (pc < 0) return asm_fail(st, line, st->m->err, tok[0]);
  return 0;
}

static __attribute__((unused)) int asm_extern(asm_state_t* st, char** tok, int n, unsigned line) {
  // extern NAME "LIB" T... -> R
  if (n < 5) return asm_fail(st, line, "bad extern", NULL);
  char lib[256];
  snprintf(lib, sizeof lib, "%.*s", (int)strlen(tok[2]) - 2, tok[2] + 1);
  hbc_ffi_type_t ps[8];
  int np = 0, j = 3;
  for (; j < n && strcmp(tok[j], "->") && np < 8; j++) ps[np++] = asm_ctype(tok[j]);
  if (j + 1 >= n) return asm_fail(st, line, "extern without -> RET", tok[1]);
  if (hbc_extern_new(st->m, lib, tok[1], asm_ctype(tok[j + 1]), (unsigned)np, ps, line) < 0)
    return asm_fail(st, line, st->m->err, tok[1]);
  return 0;
}

static __attribute__((unused)) hbc_module_t* hbc_asm(const char* file, const char* text, char* err, size_t errlen) {
  asm_state_t st;
  memset(&st, 0, sizeof st);
  st.err = err;
  st.errlen = errlen;
  st.m = hbc_module_new(NULL, file);
  size_t len = strlen(text);
  char* copy = malloc(len + 1);
  // pass 1: functions and externs, so calls may refer forward
  for (int pass = 0; pass < 2; pass++) {
    memcpy(copy, text, len + 1);
    unsigned line = 0;
    int fi = -1;
    hbc_func_t* f = NULL;
    for (char* s = copy; s; line++) {
      char* nl = strchr(s, '\n');
      if (nl) *nl = 0;
      char* tok[16];
      int n = asm_tokens(s, tok, 16);
      s = nl ? nl + 1 : NULL;
      if (n == 0) continue;
      int rc = 0;
      if (!strcmp(tok[0], "fn")) {
        if (pass == 0) rc = hbc_func_new(st.m, tok[1], (unsigned)atoi(tok[2]), line + 1) < 0 ? -1 : 0;
        fi = hbc_module_find_func(st.m, tok[1]);
        f = hbc_module_func(st.m, (uint32_t)fi);
      } else if (!strcmp(tok[0], "extern")) {
        if (pass == 0) rc = asm_extern(&st, tok, n, line + 1);
      } else if (pass == 1 && tok[0][0] == '@') {
        tok[0][strlen(tok[0]) - 1] = 0;  // drop ':'
        rc = hbc_label_bind(f, asm_label(&st, f, fi, tok[0]));
      } else if (pass == 1) {
        if (!f) rc = asm_fail(&st, line + 1, "instruction outside a function", tok[0]);
        else rc = asm_ins(&st, f, fi, tok, n, line + 1);
      }
      if (rc) {
        if (!err[0]) snprintf(err, errlen, "asm line %u: %s", line + 1, st.m->err);
        free(copy);
        hbc_module_free(st.m);
        return NULL;
      }
    }
  }
  free(copy);
  if (hbc_module_finish(st.m, err, errlen)) {
    hbc_module_free(st.m);
    return NULL;
  }
  return st.m;
}

#endif  // HBC_ASM_H
