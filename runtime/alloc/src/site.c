/* site.c: the subsystem and site registries. Subsystems get ids 1..31 in
   the order they are registered (0 is "default"). A site id is (subsystem <<
   27) | index; indices 0..HAK_SUBSYS_MAX-1 are the anonymous sites of the
   subsystems, registered names get the next index. Entries live in chunks that never move, so
   hak_site_name reads them without a lock; registration takes a mutex and a
   hash table keyed by (subsystem, name). Memory comes straight from prim, not
   from a hakmem heap, so registering a site never recurses into allocation. */
#include <pthread.h>

#include "hak_internal.h"

#define HAK_SITE_CHUNK_SHIFT 12
#define HAK_SITE_CHUNK (1u << HAK_SITE_CHUNK_SHIFT)  // entries per chunk
#define HAK_SITE_CHUNKS 1024                          // so at most 4M sites
#define HAK_SITE_ARENA (64 * 1024)                    // bytes per name arena

typedef struct hak_site_entry_s {
  const char* name;  // NUL-terminated copy
  uint32_t hash;     // of (subsystem, name)
  uint8_t subsys;
} hak_site_entry_t;

static pthread_mutex_t site_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(hak_site_entry_t*) site_chunks[HAK_SITE_CHUNKS];
static _Atomic uint32_t site_next = HAK_SUBSYS_MAX;  // next free index
static uint32_t* site_table;  // open addressing: index + 1, 0 = empty (under site_lock)
static size_t site_table_cap;
static char* site_arena;      // bump allocation of names (under site_lock)
static size_t site_arena_left;

// ----- Subsystems -----
// Names are written before the count that publishes them (release), so
// readers need no lock.
static char subsys_names[HAK_SUBSYS_MAX][HAK_SUBSYS_NAME_MAX + 1] = {"default"};
static _Atomic uint32_t subsys_count = 1;

static bool hak_subsys_name_ok(const char* name) {
  size_t n = 0;
  for (; name[n] != 0; n++) {
    char c = name[n];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok || n >= HAK_SUBSYS_NAME_MAX) return false;
  }
  return n > 0;
}

HAK_API hak_subsys_t hak_subsys_register(const char* name) {
  if (name == NULL || !hak_subsys_name_ok(name)) {
    errno = EINVAL;
    return HAK_SUBSYS_INVALID;
  }
  pthread_mutex_lock(&site_lock);
  uint32_t n = atomic_load_explicit(&subsys_count, memory_order_relaxed);
  hak_subsys_t sub = HAK_SUBSYS_INVALID;
  for (uint32_t i = 0; i < n && sub == HAK_SUBSYS_INVALID; i++) {
    if (strcmp(subsys_names[i], name) == 0) sub = i;
  }
  if (sub == HAK_SUBSYS_INVALID && n < HAK_SUBSYS_MAX) {
    strcpy(subsys_names[n], name);
    atomic_store_explicit(&subsys_count, n + 1, memory_order_release);
    sub = n;
  }
  pthread_mutex_unlock(&site_lock);
  if (sub == HAK_SUBSYS_INVALID) {
    _hak_warning("hak_subsys_register(\"%s\"): the %u subsystems a process may register are all taken", name,
                 HAK_SUBSYS_MAX - 1);
    errno = ENOSPC;
  }
  return sub;
}

HAK_API const char* hak_subsys_name(hak_subsys_t sub) {
  return sub < atomic_load_explicit(&subsys_count, memory_order_acquire) ? subsys_names[sub] : NULL;
}

HAK_API uint32_t hak_subsys_count(void) {
  return atomic_load_explicit(&subsys_count, memory_order_acquire);
}

bool _hak_subsys_registered(hak_subsys_t sub) {
  return sub < atomic_load_explicit(&subsys_count, memory_order_acquire);
}

static uint32_t hak_site_hash(unsigned sub, const char* name) {
  uint32_t h = 2166136261u ^ sub;  // FNV-1a
  for (const unsigned char* c = (const unsigned char*)name; *c; c++) h = (h ^ *c) * 16777619u;
  return h;
}

static hak_site_entry_t* hak_site_entry(uint32_t index) {
  hak_site_entry_t* chunk = atomic_load_explicit(&site_chunks[index >> HAK_SITE_CHUNK_SHIFT], memory_order_acquire);
  return chunk == NULL ? NULL : &chunk[index & (HAK_SITE_CHUNK - 1)];
}


static bool hak_site_table_grow(void) {
  size_t cap = site_table_cap == 0 ? 1024 : site_table_cap * 2;
  uint32_t* table = _hak_prim_pages(cap * sizeof(uint32_t));
  if (table == NULL) return false;
  for (size_t i = 0; i < site_table_cap; i++) {
    uint32_t v = site_table[i];
    if (v == 0) continue;
    size_t j = hak_site_entry(v - 1)->hash & (cap - 1);
    while (table[j] != 0) j = (j + 1) & (cap - 1);
    table[j] = v;
  }
  _hak_prim_pages_free(site_table, site_table_cap * sizeof(uint32_t));
  site_table = table;
  site_table_cap = cap;
  return true;
}

static const char* hak_site_copy_name(const char* name) {
  size_t len = strlen(name) + 1;
  if (len > HAK_SITE_ARENA) return NULL;
  if (len > site_arena_left) {
    site_arena = _hak_prim_pages(HAK_SITE_ARENA);
    if (site_arena == NULL) return NULL;
    site_arena_left = HAK_SITE_ARENA;
  }
  char* copy = site_arena;
  memcpy(copy, name, len);
  site_arena += len;
  site_arena_left -= len;
  return copy;
}

// Adds (sub, name) with `hash`; under site_lock. Returns the index or 0.
static uint32_t hak_site_add(unsigned sub, const char* name, uint32_t hash) {
  uint32_t index = atomic_load_explicit(&site_next, memory_order_relaxed);
  if (index >= HAK_SITE_CHUNKS * HAK_SITE_CHUNK) return 0;
  size_t c = index >> HAK_SITE_CHUNK_SHIFT;
  if (atomic_load_explicit(&site_chunks[c], memory_order_relaxed) == NULL) {
    hak_site_entry_t* chunk = _hak_prim_pages(HAK_SITE_CHUNK * sizeof(hak_site_entry_t));
    if (chunk == NULL) return 0;
    atomic_store_explicit(&site_chunks[c], chunk, memory_order_release);
  }
  const char* copy = hak_site_copy_name(name);
  if (copy == NULL) return 0;
  hak_site_entry_t* e = hak_site_entry(index);
  e->name = copy;
  e->hash = hash;
  e->subsys = (uint8_t)sub;
  atomic_store_explicit(&site_next, index + 1, memory_order_release);
  return index;
}

HAK_API hak_site_t hak_site_register(hak_subsys_t sub, const char* name) {
  if (!_hak_subsys_registered(sub)) {
    errno = EINVAL;
    return HAK_SITE_DEFAULT;
  }
  if (name == NULL) return HAK_SITE_ANON(sub);
  uint32_t hash = hak_site_hash((unsigned)sub, name);
  uint32_t index = 0;
  pthread_mutex_lock(&site_lock);
  if ((atomic_load_explicit(&site_next, memory_order_relaxed) + 1) * 2 > site_table_cap && !hak_site_table_grow()) {
    pthread_mutex_unlock(&site_lock);
    return HAK_SITE_ANON(sub);
  }
  size_t j = hash & (site_table_cap - 1);
  for (; site_table[j] != 0; j = (j + 1) & (site_table_cap - 1)) {
    hak_site_entry_t* e = hak_site_entry(site_table[j] - 1);
    if (e->hash == hash && e->subsys == (uint8_t)sub && strcmp(e->name, name) == 0) {
      index = site_table[j] - 1;
      break;
    }
  }
  if (index == 0) {
    index = hak_site_add((unsigned)sub, name, hash);
    if (index != 0) site_table[j] = index + 1;
  }
  pthread_mutex_unlock(&site_lock);
  if (index == 0) return HAK_SITE_ANON(sub);
  return ((hak_site_t)sub << HAK_SITE_SUBSYS_SHIFT) | index;
}

HAK_API const char* hak_site_name(hak_site_t site) {
  uint32_t index = hak_site_index(site);
  unsigned sub = hak_site_subsys(site);
  if (index < HAK_SUBSYS_MAX) return index == sub ? hak_subsys_name(sub) : NULL;
  if (index >= atomic_load_explicit(&site_next, memory_order_acquire)) return NULL;
  hak_site_entry_t* e = hak_site_entry(index);
  return e != NULL && e->subsys == sub ? e->name : NULL;
}

const char* _hak_site_info(uint32_t index, hak_subsys_t* sub) {
  if (index < HAK_SUBSYS_MAX) {
    *sub = (hak_subsys_t)index;
    return hak_subsys_name(index);
  }
  if (index >= atomic_load_explicit(&site_next, memory_order_acquire)) return NULL;
  hak_site_entry_t* e = hak_site_entry(index);
  if (e == NULL) return NULL;
  *sub = (hak_subsys_t)e->subsys;
  return e->name;
}

HAK_API uint32_t hak_site_count(void) {
  return atomic_load_explicit(&site_next, memory_order_acquire);
}

void _hak_site_lock(bool lock) {
  if (lock) pthread_mutex_lock(&site_lock);
  else pthread_mutex_unlock(&site_lock);
}

// ----- Reports that name a site -----
const char* _hak_site_label(hak_site_t site) {
  const char* name = hak_site_name(site);
  return name != NULL ? name : "?";
}

void _hak_invalid_pointer(const char* op, const void* p, const char* why, hak_site_t site) {
  if (HAK_SECURE) _hak_fatal("invalid %s: %s: %p (site %s); aborting", op, why, p, _hak_site_label(site));
  if (_hak_option_fast(HAK_OPT_CHECK) || _hak_option_fast(HAK_OPT_ABORT_ON_INVALID)) {
    _hak_fatal("checked mode: invalid %s: %s: %p (site %s); aborting", op, why, p, _hak_site_label(site));
  }
  _hak_message("invalid %s(%p): %s (site %s); ignored", op, p, why, _hak_site_label(site));
}
