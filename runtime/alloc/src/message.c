/* message.c: the library's messages on stderr ("hakmem: ...", one write
   each, no allocation) and its fatal stop. A leaf: every other file may call
   it, it calls only the OS layer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "hak_internal.h"

static void hak_vmessage(const char* prefix, const char* fmt, va_list ap) {
  char buf[512];
  int n = snprintf(buf, sizeof(buf), "hakmem: %s", prefix);
  if (n < 0) return;
  int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
  if (m < 0) return;
  size_t len = (size_t)n + (size_t)m;
  if (len > sizeof(buf) - 2) len = sizeof(buf) - 2;
  buf[len++] = '\n';
  _hak_prim_write_err(buf, len);
}

void _hak_message(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  hak_vmessage("", fmt, ap);
  va_end(ap);
}

void _hak_warning(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  hak_vmessage("warning: ", fmt, ap);
  va_end(ap);
}

void _hak_fatal(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  hak_vmessage("fatal: ", fmt, ap);
  va_end(ap);
  abort();
}

void _hak_assert_fail(const char* expr, const char* file, int line, const char* func) {
  _hak_fatal("assertion '%s' failed in %s (%s:%d)", expr, func, file, line);
}
