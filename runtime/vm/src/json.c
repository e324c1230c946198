/* json.c: json_parse. runtime/json parses the text into its DOM (json.*
   sites; errors with line and column), which is then converted into VM
   values: objects to maps (member order kept; hjson keeps the first position
   and the last value of a repeated key), arrays to arrays, null to nil, ints
   to ints and other numbers to floats. The document is freed right after, or
   by the next json_parse / the VM's end if a conversion raised. The DOM's
   nesting is limited by hjson (HJSON_DEPTH_DEFAULT), which bounds the
   recursion here. json_stringify is in value.c (the writer shared with print). */
#include "hjson.h"
#include "hvm_internal.h"

#define HVM_JSON_INLINE_MAX 64  // arrays up to this long keep their items inline

static hvm_value_t hvm_from_json(hvm_t* vm, const hjson_val_t* v) {
  switch (hjson_type(v)) {
    case HJSON_BOOL: return hvm_bool(hjson_get_bool(v));
    case HJSON_INT: return hvm_int(hjson_get_int(v));
    case HJSON_DOUBLE: return hvm_float(hjson_get_double(v));
    case HJSON_STRING: return hvm_obj(_hvm_str_new(vm, hjson_get_str(v), hjson_get_len(v)), HVM_STR);
    case HJSON_ARRAY: {
      size_t n = hjson_arr_len(v);
      if (n > UINT32_MAX) _hvm_raise(vm, "json_parse: array too long");
      hvm_arr_t* a = _hvm_arr_new(vm, n <= HVM_JSON_INLINE_MAX ? (uint32_t)n : 0);
      _hvm_arr_reserve(vm, a, (uint32_t)n);
      for (size_t j = 0; j < n; j++) {
        a->items[j] = hvm_from_json(vm, hjson_arr_get(v, j));
        a->len = (uint32_t)j + 1;
      }
      return hvm_obj(a, HVM_ARR);
    }
    case HJSON_OBJECT: {
      size_t n = hjson_obj_len(v);
      if (n >= (1u << 31)) _hvm_raise(vm, "json_parse: object too large");
      hvm_map_t* m = _hvm_map_new(vm, (uint32_t)n);
      for (size_t j = 0; j < n; j++) {
        const hjson_val_t* k = hjson_obj_key(v, j);
        hvm_value_t key = hvm_obj(_hvm_str_new(vm, hjson_get_str(k), hjson_get_len(k)), HVM_STR);
        _hvm_map_set(vm, m, key, hvm_from_json(vm, hjson_obj_val(v, j)));
      }
      return hvm_obj(m, HVM_MAP);
    }
    default: return hvm_nil();
  }
}

void _hvm_json_parse(hvm_t* vm, const hvm_str_t* s, hvm_value_t* out) {
  if (vm->json_doc) {
    hjson_doc_free(vm->json_doc);
    vm->json_doc = NULL;
  }
  hjson_error_t err;
  hjson_doc_t* doc = hjson_parse(s->s, s->len, vm->alc, &err);
  if (!doc) {
    if (err.code == HJSON_ERR_NOMEM) _hvm_raise_oom(vm);
    _hvm_raise(vm, "json_parse: %s at line %zu, column %zu", err.msg ? err.msg : "invalid JSON", err.line, err.col);
  }
  vm->json_doc = doc;
  hvm_value_t v = hvm_from_json(vm, hjson_doc_root(doc));
  vm->json_doc = NULL;
  hjson_doc_free(doc);
  *out = v;
}

void _hvm_json_cleanup(hvm_t* vm) {
  if (vm->json_doc) hjson_doc_free(vm->json_doc);
  vm->json_doc = NULL;
}
