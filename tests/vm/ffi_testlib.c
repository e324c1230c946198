/* ffi_testlib.c: a shared library for test_vm_ffi (8 parameters, mixed
   types, strings and pointers both ways). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int64_t hvmt_sum8(int64_t a, int64_t b, int64_t c, int64_t d, int64_t e, int64_t f, int64_t g, int64_t h) {
  return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h;
}

double hvmt_mix8(int64_t a, double b, int64_t c, double d, int64_t e, double f, int64_t g, double h) {
  return (double)a * b + (double)c * d + (double)e * f + (double)g * h;
}

static char hvmt_buf[256];
const char* hvmt_concat(const char* a, const char* b) {
  if (!a || !b) return NULL;
  snprintf(hvmt_buf, sizeof hvmt_buf, "%s+%s", a, b);
  return hvmt_buf;
}

static int64_t hvmt_cell = 41;
void* hvmt_cell_ptr(void) { return &hvmt_cell; }
int64_t hvmt_cell_read(void* p) { return *(int64_t*)p; }
void hvmt_cell_inc(void* p) { (*(int64_t*)p)++; }
