/* map.c: insertion-ordered hash maps with string and int keys.

   Layout (in the manner of CPython's compact dict, written from scratch):
   entries in insertion order (24 bytes: key and value payloads, their tags,
   the key's hash) and, once there are more than HVM_MAP_LINEAR entry slots,
   an open-addressing index of uint32 entry numbers (linear probing, at most
   half full). While a map has fewer than 2^24 entry slots, an index slot
   keeps the top 8 bits of the key's hash next to the entry number, so a
   probe passes other keys' slots without loading their entries (one cache
   miss less per collision). Small maps have no index: a lookup scans at most
   8 hashes.
   Deleting marks the entry dead (its index slot stays, as a tombstone);
   dead entries are squeezed out when the entry array is full.

   Keys: ints, and strings by content; a float with an integral value is the
   int key of that value (m[1.0] is m[1]); anything else is a runtime error.
   Invariant: count <= nent <= cent; every live entry is reachable from its
   hash's probe sequence; idx is NULL iff cent <= HVM_MAP_LINEAR. */
#include <math.h>

#include "hvm_internal.h"

hvm_map_t* _hvm_map_new(hvm_t* vm, uint32_t cap) {
  hvm_map_t* m = (hvm_map_t*)_hvm_obj_new(vm, HVM_MAP, sizeof(hvm_map_t));
  m->count = m->nent = m->cent = m->mask = 0;
  m->ent = NULL;
  m->idx = NULL;
  if (cap) {
    uint32_t c = 4;
    while (c < cap && c < (1u << 31)) c *= 2;
    m->ent = _hvm_mem_realloc(vm, NULL, 0, (size_t)c * sizeof(hvm_entry_t), m->h.site);
    m->cent = c;
    if (c > HVM_MAP_LINEAR) _hvm_map_index(vm, m);
  }
  return m;
}

hvm_value_t _hvm_map_key(hvm_t* vm, hvm_value_t key, uint32_t* hash) {
  if hvm_likely(key.t == HVM_STR) {
    *hash = hvm_str_hash(HVM_STR(key));
    return key;
  }
  if hvm_likely(key.t == HVM_INT) {
    *hash = hvm_hash_int(key.u.i);
    return key;
  }
  if (key.t == HVM_FLOAT) {
    double f = key.u.f;
    if (f >= -9223372036854775808.0 && f < 9223372036854775808.0 && f == trunc(f)) {
      hvm_value_t k = hvm_int((int64_t)f);
      *hash = hvm_hash_int(k.u.i);
      return k;
    }
  }
  _hvm_raise(vm, "map key must be a string or an int, not %s", _hvm_type_name(key));
}

hvm_entry_t* _hvm_map_find(const hvm_map_t* m, hvm_value_t key, uint32_t hash) { return hvm_map_find(m, key, hash); }

static void hvm_index_put(hvm_map_t* m, uint32_t hash, uint32_t n) {
  uint32_t j = hash & m->mask;
  while (m->idx[j]) j = (j + 1) & m->mask;
  m->idx[j] = HVM_MAP_TAGGED(m) ? (n + 1) | (hash & HVM_MAP_TAG_MASK) : n + 1;
}

void _hvm_map_index(hvm_t* vm, hvm_map_t* m) {
  size_t slots = 16;
  while (slots < (size_t)m->cent * 2) slots *= 2;
  size_t old = m->idx ? ((size_t)m->mask + 1) * sizeof(uint32_t) : 0;
  if (old != slots * sizeof(uint32_t)) {
    // realloc, not free + alloc: a large index grows in place (mremap) instead
    // of leaving the old block behind in the allocator's caches
    uint32_t* idx = _hvm_mem_realloc(vm, m->idx, old, slots * sizeof(uint32_t), m->h.site);
    m->idx = idx;
    m->mask = (uint32_t)(slots - 1);
  }
  memset(m->idx, 0, slots * sizeof(uint32_t));
  for (uint32_t i = 0; i < m->nent; i++) {
    if (m->ent[i].kt != HVM_DEAD) hvm_index_put(m, m->ent[i].hash, i);
  }
}

// Squeezes dead entries out, keeping the order.
static void hvm_map_compact(hvm_map_t* m) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < m->nent; i++) {
    if (m->ent[i].kt != HVM_DEAD) m->ent[n++] = m->ent[i];
  }
  m->nent = n;
}

// Makes room for one more entry.
static void hvm_map_grow(hvm_t* vm, hvm_map_t* m) {
  if (m->cent && m->nent - m->count >= m->cent / 4) {
    hvm_map_compact(m);
    if (m->idx) _hvm_map_index(vm, m);
    return;
  }
  if (m->cent >= (1u << 31)) _hvm_raise(vm, "map too large");
  uint32_t ncap = m->cent ? m->cent * 2 : 4;
  hvm_map_compact(m);
  m->ent = _hvm_mem_realloc(vm, m->ent, (size_t)m->cent * sizeof(hvm_entry_t), (size_t)ncap * sizeof(hvm_entry_t),
                            m->h.site);
  m->cent = ncap;
  if (ncap > HVM_MAP_LINEAR) _hvm_map_index(vm, m);
}

void _hvm_map_insert(hvm_t* vm, hvm_map_t* m, hvm_value_t key, uint32_t hash, hvm_value_t val) {
  if hvm_unlikely(m->nent == m->cent) hvm_map_grow(vm, m);
  hvm_entry_t* e = &m->ent[m->nent];
  e->kb = key.u.bits;
  e->kt = (uint8_t)key.t;
  e->vb = val.u.bits;
  e->vt = (uint8_t)val.t;
  e->pad = 0;
  e->hash = hash;
  if (m->idx) hvm_index_put(m, hash, m->nent);
  m->nent++;
  m->count++;
}

// Sets key (already normalized, with its hash) to val.
static void hvm_map_put(hvm_t* vm, hvm_map_t* m, hvm_value_t key, uint32_t hash, hvm_value_t val) {
  hvm_entry_t* e = hvm_map_find(m, key, hash);
  if (e) {
    e->vb = val.u.bits;
    e->vt = (uint8_t)val.t;
    return;
  }
  _hvm_map_insert(vm, m, key, hash, val);
}

void _hvm_map_set(hvm_t* vm, hvm_map_t* m, hvm_value_t key, hvm_value_t val) {
  uint32_t hash;
  key = _hvm_map_key(vm, key, &hash);
  hvm_map_put(vm, m, key, hash, val);
}

hvm_value_t _hvm_map_get(hvm_t* vm, const hvm_map_t* m, hvm_value_t key) {
  uint32_t hash;
  key = _hvm_map_key(vm, key, &hash);
  const hvm_entry_t* e = _hvm_map_find(m, key, hash);
  if (!e) return hvm_nil();
  return (hvm_value_t){.u.bits = e->vb, .t = e->vt};
}

int _hvm_map_del(hvm_t* vm, hvm_map_t* m, hvm_value_t key) {
  uint32_t hash;
  key = _hvm_map_key(vm, key, &hash);
  hvm_entry_t* e = _hvm_map_find(m, key, hash);
  if (!e) return 0;
  e->kt = HVM_DEAD;
  e->kb = 0;
  e->vt = HVM_NIL;
  e->vb = 0;
  m->count--;
  if (m->count == 0) {  // empty again: forget the tombstones
    m->nent = 0;
    if (m->idx) memset(m->idx, 0, ((size_t)m->mask + 1) * sizeof(uint32_t));
  }
  return 1;
}
