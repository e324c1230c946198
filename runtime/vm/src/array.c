/* array.c: arrays. An array literal of n items is one block: the header and
   its n values inline (h.extra = n); growing past that moves the values to a
   separate block that doubles. Invariant: len <= cap; items == inl exactly
   while cap == h.extra and h.extra > 0. */
#include "hvm_internal.h"

hvm_arr_t* _hvm_arr_new(hvm_t* vm, uint32_t inline_cap) {
  hvm_arr_t* a = (hvm_arr_t*)_hvm_obj_new(vm, HVM_ARR, sizeof(hvm_arr_t) + (size_t)inline_cap * sizeof(hvm_value_t));
  a->h.extra = (uint16_t)inline_cap;
  a->len = 0;
  a->cap = inline_cap;
  a->items = inline_cap ? a->inl : NULL;
  return a;
}

void _hvm_arr_reserve(hvm_t* vm, hvm_arr_t* a, uint32_t cap) {
  if (cap <= a->cap) return;
  size_t ncap = a->cap < 4 ? 4 : (size_t)a->cap * 2;
  if (ncap < cap) ncap = cap;
  if (ncap > UINT32_MAX) ncap = UINT32_MAX;
  if (ncap < cap) _hvm_raise(vm, "array too long");
  hvm_value_t* items;
  if (!a->items || a->items == a->inl) {
    items = _hvm_mem_realloc(vm, NULL, 0, ncap * sizeof(hvm_value_t), a->h.site);
    if (a->len) memcpy(items, a->items, (size_t)a->len * sizeof(hvm_value_t));
  } else {
    items = _hvm_mem_realloc(vm, a->items, (size_t)a->cap * sizeof(hvm_value_t), ncap * sizeof(hvm_value_t), a->h.site);
  }
  a->items = items;
  a->cap = (uint32_t)ncap;
}

void _hvm_arr_push(hvm_t* vm, hvm_arr_t* a, hvm_value_t v) {
  if hvm_unlikely(a->len == a->cap) {
    if (a->len == UINT32_MAX) _hvm_raise(vm, "array too long");
    _hvm_arr_reserve(vm, a, a->len + 1);
  }
  a->items[a->len++] = v;
}
