/* string.c: immutable byte strings. The bytes follow the header in the same
   block and end with a NUL (so externs get a C string for free); the hash is
   computed on first use as a map key. Strings are not interned, except that
   constants of the whole program are deduplicated per VM (program.c) and the
   256 one-byte strings are shared fixed objects, so the common keys compare
   by pointer. */
#include "hvm_internal.h"

// 8 bytes at a time multiply-xorshift hash (original; quality checked by the
// map tests on sequential and random keys).
uint32_t _hvm_hash_bytes(const char* s, size_t len) {
  const uint64_t k = 0x9e3779b97f4a7c15ull;
  uint64_t h = 0x243f6a8885a308d3ull ^ (len * k);
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    h = (h ^ w) * k;
    h ^= h >> 29;
  }
  if (i < len) {
    uint64_t w = 0;
    memcpy(&w, s + i, len - i);
    h = (h ^ w) * k;
    h ^= h >> 29;
  }
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 32;
  return (uint32_t)h | 1u;  // never 0 (0 means "not computed")
}

hvm_str_t* _hvm_str_alloc(hvm_t* vm, size_t len) {
  if hvm_unlikely(len >= UINT32_MAX) _hvm_raise(vm, "string too long (%zu bytes)", len);
  hvm_str_t* s = (hvm_str_t*)_hvm_obj_new(vm, HVM_STR, sizeof(hvm_str_t) + len + 1);
  s->hash = 0;
  s->len = (uint32_t)len;
  s->s[len] = 0;
  return s;
}

hvm_str_t* _hvm_str_new(hvm_t* vm, const char* p, size_t len) {
  hvm_str_t* s = _hvm_str_alloc(vm, len);
  if (len) memcpy(s->s, p, len);
  return s;
}

hvm_str_t* _hvm_str_concat(hvm_t* vm, const hvm_str_t* a, const hvm_str_t* b) {
  size_t n = (size_t)a->len + b->len;
  hvm_str_t* s = _hvm_str_alloc(vm, n);
  memcpy(s->s, a->s, a->len);
  memcpy(s->s + a->len, b->s, b->len);
  return s;
}

hvm_str_t* _hvm_str_char(hvm_t* vm, unsigned char c) {
  hvm_str_t* s = vm->chars[c];
  if hvm_likely(s) return s;
  s = vm->alc->alloc(vm->alc->ctx, sizeof(hvm_str_t) + 2, _hvm_site_static(HVM_SITE_CONST));
  if (!s) _hvm_raise_oom(vm);
  s->h.next = vm->fixed;
  s->h.type = HVM_STR;
  s->h.mark = 1;
  s->h.extra = 0;
  s->h.site = _hvm_site_static(HVM_SITE_CONST);
  s->len = 1;
  s->s[0] = (char)c;
  s->s[1] = 0;
  s->hash = _hvm_hash_bytes(s->s, 1);
  vm->fixed = &s->h;
  vm->chars[c] = s;
  return s;
}

int _hvm_str_cmp(const hvm_str_t* a, const hvm_str_t* b) {
  uint32_t n = a->len < b->len ? a->len : b->len;
  int c = memcmp(a->s, b->s, n);
  if (c) return c;
  return a->len < b->len ? -1 : a->len > b->len;
}
