/* hvm_internal.h: cross-file prototypes of the VM and its small inline helpers. */
#ifndef HVM_INTERNAL_H
#define HVM_INTERNAL_H

#include <string.h>

#include "hvm_types.h"

#define hvm_likely(x) (__builtin_expect(!!(x), 1))
#define hvm_unlikely(x) (__builtin_expect(!!(x), 0))
#define HVM_NORETURN __attribute__((noreturn))
#define HVM_NOINLINE __attribute__((noinline))
#define HVM_PRINTF(f, a) __attribute__((format(printf, f, a)))

// ----- "alloc.c": the VM's allocation wrapper (GC debt lives here) -----
void* _hvm_mem_alloc(hvm_t* vm, size_t size);                       // vm->site; raises on OOM
void* _hvm_mem_realloc(hvm_t* vm, void* p, size_t old, size_t size, hak_site_t site);
void _hvm_mem_free(hvm_t* vm, void* p, size_t size, hak_site_t site);
hvm_obj_t* _hvm_obj_new(hvm_t* vm, hvm_type_t type, size_t size);  // linked into vm->objs
size_t _hvm_obj_size(const hvm_obj_t* o);                           // block size of the object itself
void _hvm_obj_free(const hak_alc_t* alc, hvm_obj_t* o);            // object + buffers (+ handle release)
size_t _hvm_obj_bytes(const hvm_obj_t* o);                          // object + buffers
hak_site_t _hvm_site_static(int which);                             // vm.* static sites

enum { HVM_SITE_FRAME, HVM_SITE_STACK, HVM_SITE_GC, HVM_SITE_SCRATCH, HVM_SITE_CONST, HVM_SITE_PROGRAM,
       HVM_SITE_CHAN, HVM_SITE_THREAD, HVM_SITE_COPY, HVM_SITE_PROF, HVM_SITE_COUNT };

// ----- "gc.c" -----
void _hvm_gc_collect(hvm_t* vm);
void _hvm_gc_free_all(hvm_t* vm);

// ----- "string.c" -----
hvm_str_t* _hvm_str_new(hvm_t* vm, const char* s, size_t len);
hvm_str_t* _hvm_str_alloc(hvm_t* vm, size_t len);  // len bytes uninitialized + NUL
hvm_str_t* _hvm_str_concat(hvm_t* vm, const hvm_str_t* a, const hvm_str_t* b);
hvm_str_t* _hvm_str_char(hvm_t* vm, unsigned char c);  // fixed one-byte string
uint32_t _hvm_hash_bytes(const char* s, size_t len);
int _hvm_str_cmp(const hvm_str_t* a, const hvm_str_t* b);

// ----- "array.c" -----
hvm_arr_t* _hvm_arr_new(hvm_t* vm, uint32_t inline_cap);
void _hvm_arr_push(hvm_t* vm, hvm_arr_t* a, hvm_value_t v);
void _hvm_arr_reserve(hvm_t* vm, hvm_arr_t* a, uint32_t cap);

// ----- "map.c" -----
hvm_map_t* _hvm_map_new(hvm_t* vm, uint32_t cap);
hvm_entry_t* _hvm_map_find(const hvm_map_t* m, hvm_value_t key, uint32_t hash);
void _hvm_map_set(hvm_t* vm, hvm_map_t* m, hvm_value_t key, hvm_value_t val);  // normalizes key
// Appends key (normalized, with its hash, known to be absent) with val.
void _hvm_map_insert(hvm_t* vm, hvm_map_t* m, hvm_value_t key, uint32_t hash, hvm_value_t val);
int _hvm_map_del(hvm_t* vm, hvm_map_t* m, hvm_value_t key);  // 1 when it was there
hvm_value_t _hvm_map_key(hvm_t* vm, hvm_value_t key, uint32_t* hash);  // normalize + hash; raises on bad key
hvm_value_t _hvm_map_get(hvm_t* vm, const hvm_map_t* m, hvm_value_t key);  // nil when missing
void _hvm_map_index(hvm_t* vm, hvm_map_t* m);                          // (re)build idx

// ----- "value.c" -----
const char* _hvm_type_name(hvm_value_t v);
int _hvm_equal(hvm_value_t a, hvm_value_t b);
int _hvm_less(hvm_t* vm, hvm_value_t a, hvm_value_t b, int or_equal);  // raises on bad types
const char* _hvm_fn_name(const hvm_t* vm, hvm_value_t f);
// Text building in vm->buf.
void _hvm_buf_reserve(hvm_t* vm, size_t more);
void _hvm_buf_put(hvm_t* vm, const char* s, size_t len);
void _hvm_buf_putc(hvm_t* vm, char c);
// Writes v as print does (top = 1: strings raw) or as JSON (indent < 0:
// compact; json = 1: refuse what JSON cannot hold).
void _hvm_write_value(hvm_t* vm, hvm_value_t v, int top, int json, int indent);
hvm_str_t* _hvm_tostr(hvm_t* vm, hvm_value_t v);

// ----- "error.c" -----
HVM_NORETURN void _hvm_raise(hvm_t* vm, const char* fmt, ...) HVM_PRINTF(2, 3);
HVM_NORETURN void _hvm_raise_oom(hvm_t* vm);
HVM_NORETURN void _hvm_raise_type(hvm_t* vm, const char* what, hvm_value_t a, hvm_value_t b);
HVM_NORETURN void _hvm_exit(hvm_t* vm, int code);
// Re-raises a spawned thread's error text ("FILE:LINE: MSG\n" + traceback) in vm.
HVM_NORETURN void _hvm_raise_thread(hvm_t* vm, const char* text);
uint32_t _hvm_frame_line(const hvm_t* vm, const hvm_frame_t* fr);
// Writes "FILE:LINE: runtime error: MSG\n" + traceback into vm->trace and res.
void _hvm_error_format(hvm_t* vm, const char* msg);

// ----- "vm.c" -----
hvm_t* _hvm_vm_new(hvm_program_t* p);
void _hvm_vm_free(hvm_t* vm);
// Runs script function fi with args; the result is stored in *out. Raises.
void _hvm_call_main(hvm_t* vm, uint32_t fi, const hvm_value_t* args, uint32_t nargs, hvm_value_t* out);
// Runs the VM loop (program.c sets up errors around it).
int _hvm_run_protected(hvm_t* vm, uint32_t fi, const hvm_value_t* args, uint32_t nargs, hvm_value_t* out,
                       hvm_result_t* res);
hak_site_t _hvm_site_slow(hvm_t* vm, const hvm_fn_t* fn, const hbc_ins_t* ins);
const char* _hvm_op_what(const hvm_fn_t* fn, const hbc_ins_t* ins);  // "array", "map", "concat", ... of a site

// ----- "prof.c": stack sites while hakmem's profile is on (vm->prof) -----
int _hvm_prof_init(hvm_t* vm);   // at VM creation, after the functions; -1: out of memory
void _hvm_prof_free(hvm_t* vm);
void _hvm_prof_push(hvm_t* vm, const hvm_fn_t* fn);  // a frame of fn is pushed at vm->depth; raises on OOM
hak_site_t _hvm_prof_site(hvm_t* vm, const hvm_fn_t* fn, const hbc_ins_t* ins);  // of ins in the running frame

// ----- "builtins.c" -----
typedef void (*hvm_builtin_fn)(hvm_t* vm, hvm_value_t* args, uint32_t nargs, hvm_value_t* out);
typedef struct hvm_builtin_s {
  hvm_builtin_fn fn;
  uint8_t min, max;
  const char* name;
} hvm_builtin_t;
extern const hvm_builtin_t _hvm_builtins[HBC_BI_COUNT];
void _hvm_call_builtin(hvm_t* vm, unsigned id, hvm_value_t* args, uint32_t nargs, hvm_value_t* out);

// ----- "json.c" -----
void _hvm_json_parse(hvm_t* vm, const hvm_str_t* s, hvm_value_t* out);
void _hvm_json_cleanup(hvm_t* vm);  // frees a document left by a raise

// ----- "ffi.c" -----
int _hvm_ffi_init(hvm_program_t* p);
void _hvm_ffi_fini(hvm_program_t* p);
void _hvm_ffi_call(hvm_t* vm, uint32_t ext, hvm_value_t* args, uint32_t nargs, hvm_value_t* out);

// ----- "thread.c" -----
void _hvm_spawn(hvm_t* vm, hvm_value_t* args, uint32_t nargs, hvm_value_t* out);
void _hvm_join(hvm_t* vm, hvm_value_t t, hvm_value_t* out);
void _hvm_chan_new(hvm_t* vm, hvm_value_t* out);
void _hvm_chan_send(hvm_t* vm, hvm_value_t c, hvm_value_t v);
void _hvm_chan_recv(hvm_t* vm, hvm_value_t c, hvm_value_t* out);
void _hvm_chan_close(hvm_t* vm, hvm_value_t c);
void _hvm_chan_release(hvm_chan_t* ch);
void _hvm_thread_release(hvm_thread_t* th);
// A VM starts / stops running script code (deadlock detection).
void _hvm_run_enter(hvm_program_t* p);
void _hvm_run_leave(hvm_program_t* p);

// ----- "copy.c" -----
// Deep copy of v into fresh objects (sharing and cycles kept) listed in a new
// packet allocated by the calling thread. Raises (having freed the partial copy).
hvm_packet_t* _hvm_packet_new(hvm_t* vm, hvm_value_t v);
// The same for n values: the packet's value is an array of their copies.
hvm_packet_t* _hvm_packet_new_vec(hvm_t* vm, const hvm_value_t* vals, uint32_t n);
// Deep copy of a packet's value into vm's heap (the packet is unchanged).
hvm_value_t _hvm_packet_copy_in(hvm_t* vm, const hvm_packet_t* pk);
// Moves a packet's objects into vm's heap and frees the packet; returns its value.
hvm_value_t _hvm_packet_adopt(hvm_t* vm, hvm_packet_t* pk);
void _hvm_packet_free(const hak_alc_t* alc, hvm_packet_t* pk);

// ----- "program.c" -----
void _hvm_program_release(hvm_program_t* p);
void _hvm_program_retain(hvm_program_t* p);

// ----- Inline helpers -----
#define HVM_OBJ(v) ((v).u.o)
#define HVM_STR(v) ((hvm_str_t*)(v).u.o)
#define HVM_ARR(v) ((hvm_arr_t*)(v).u.o)
#define HVM_MAP(v) ((hvm_map_t*)(v).u.o)

static inline hvm_value_t hvm_nil(void) { return (hvm_value_t){.u.i = 0, .t = HVM_NIL}; }
static inline hvm_value_t hvm_int(int64_t i) { return (hvm_value_t){.u.i = i, .t = HVM_INT}; }
static inline hvm_value_t hvm_float(double f) { return (hvm_value_t){.u.f = f, .t = HVM_FLOAT}; }
static inline hvm_value_t hvm_bool(int b) { return (hvm_value_t){.u.i = b != 0, .t = HVM_BOOL}; }
static inline hvm_value_t hvm_obj(void* o, hvm_type_t t) { return (hvm_value_t){.u.o = (hvm_obj_t*)o, .t = t}; }
static inline hvm_value_t hvm_fnval(hvm_fnkind_t k, uint32_t index) {
  return (hvm_value_t){.u.i = (int64_t)(((uint64_t)k << 32) | index), .t = HVM_FUNC};
}
// Copies a value field by field (8 + 4 bytes). A register is usually
// written that way (payload, then tag), and a 16-byte load right after two
// smaller stores to it cannot be forwarded from the store buffer: a stall of
// ~10 cycles per MOVE/RET/argument copy (measured: a third of fib's time).
static inline void hvm_copy(hvm_value_t* d, const hvm_value_t* s) {
  uint64_t b = s->u.bits;
  uint32_t t = s->t;
  d->u.bits = b;
  d->t = t;
}

static inline int hvm_truthy(hvm_value_t v) { return !(v.t == HVM_NIL || (v.t == HVM_BOOL && !v.u.i)); }
static inline int hvm_is_obj(uint32_t t) { return t >= HVM_STR && t != HVM_FUNC; }

static inline uint32_t hvm_hash_int(int64_t i) {
  uint64_t x = (uint64_t)i;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return (uint32_t)x | 1u;  // never 0
}

static inline uint32_t hvm_str_hash(hvm_str_t* s) {
  if hvm_unlikely(s->hash == 0) s->hash = _hvm_hash_bytes(s->s, s->len);
  return s->hash;
}

static inline int hvm_str_eq(const hvm_str_t* a, const hvm_str_t* b) {
  return a == b || (a->len == b->len && (a->hash == b->hash || !a->hash || !b->hash) && !memcmp(a->s, b->s, a->len));
}

// ----- Map lookup (map.c documents the layout) -----
#define HVM_MAP_TAGGED(m) ((m)->cent < (1u << 24))  // index slots carry a hash tag
#define HVM_MAP_TAG_MASK 0xFF000000u
#define HVM_MAP_NUM_MASK 0x00FFFFFFu

static inline int hvm_entry_is(const hvm_entry_t* e, hvm_value_t key, uint32_t hash) {
  if (e->hash != hash || e->kt != key.t) return 0;
  if (key.t == HVM_INT) return (int64_t)e->kb == key.u.i;
  const hvm_str_t* a = (const hvm_str_t*)(uintptr_t)e->kb;
  const hvm_str_t* b = (const hvm_str_t*)key.u.o;
  return a == b || (a->len == b->len && !memcmp(a->s, b->s, a->len));
}

// The live entry of a normalized key with its hash, or NULL.
static inline hvm_entry_t* hvm_map_find(const hvm_map_t* m, hvm_value_t key, uint32_t hash) {
  if (!m->idx) {
    for (uint32_t i = 0; i < m->nent; i++) {
      if (hvm_entry_is(&m->ent[i], key, hash)) return &m->ent[i];
    }
    return NULL;
  }
  uint32_t j = hash & m->mask, x;
  if hvm_likely(HVM_MAP_TAGGED(m)) {
    uint32_t tag = hash & HVM_MAP_TAG_MASK;
    while ((x = m->idx[j])) {
      if (((x ^ tag) & HVM_MAP_TAG_MASK) == 0) {
        hvm_entry_t* e = &m->ent[(x & HVM_MAP_NUM_MASK) - 1];
        if (hvm_entry_is(e, key, hash)) return e;
      }
      j = (j + 1) & m->mask;
    }
    return NULL;
  }
  while ((x = m->idx[j])) {
    hvm_entry_t* e = &m->ent[x - 1];
    if (hvm_entry_is(e, key, hash)) return e;
    j = (j + 1) & m->mask;
  }
  return NULL;
}

// The dynamic site "FILE:LINE what" of the instruction at ins in fn
// (registered at its first use, then one load). While profiling, fn->sites
// stays 0 and the slow path returns the site of the call stack (prof.c).
static inline hak_site_t hvm_site_at(hvm_t* vm, const hvm_fn_t* fn, const hbc_ins_t* ins) {
  hak_site_t s = atomic_load_explicit(&fn->sites[ins - fn->code], memory_order_relaxed);
  if hvm_unlikely(s == 0) s = _hvm_site_slow(vm, fn, ins);
  return s;
}

#endif  // HVM_INTERNAL_H
