/* doc.c: documents, container nodes, the setters and the tree walkers
   (release, equality, copy).

   A container is one block: a header and `inl` inline entries. A parsed
   container is born exactly full (inl == cap == len); when it must grow, its
   entries move to a separate json.items block and the inline room stays
   unused until the node is freed. So a container's address never changes
   and a slot pointing at it stays right, whatever is added.
   Invariant: no walker recurses. Release threads doomed containers through
   their `link` field; equality and copy keep an explicit stack. */
#include "hjson_internal.h"

// ----- Nodes -----
hjson_ctn_t* _hjson_ctn_new(const hak_alc_t* alc, uint32_t kind, size_t n) {
  size_t size = sizeof(hjson_ctn_t) + n * hjson_ctn_stride(kind) * sizeof(hjson_val_t);
  hjson_ctn_t* c = (hjson_ctn_t*)hjson_alloc(alc, size, hjson_ctn_site(kind));
  if hjson_unlikely(!c) return NULL;
  c->len = 0;
  c->cap = (uint32_t)n;
  c->inl = (uint32_t)n;
  c->kind = kind;
  c->items = c->inline_items;
  c->link = NULL;
  return c;
}

char* _hjson_str_dup(const hak_alc_t* alc, const char* s, size_t len, hak_site_t site) {
  if hjson_unlikely(len >= ((size_t)1 << 55)) return NULL;  // must fit the tag
  char* p = (char*)hjson_alloc(alc, len + 1, site);
  if hjson_unlikely(!p) return NULL;
  if (len) memcpy(p, s, len);
  p[len] = 0;
  return p;
}

static void hjson_ctn_free_node(const hak_alc_t* alc, hjson_ctn_t* c) {
  if (c->items != c->inline_items)
    hjson_free(alc, c->items, (size_t)c->cap * hjson_ctn_stride(c->kind) * sizeof(hjson_val_t), HJSON_SITE_ITEMS);
  hjson_free(alc, c, hjson_ctn_size(c), hjson_ctn_site(c->kind));
}

// Frees every string and container under v; no recursion: containers still to
// free form a list through their link field.
void _hjson_val_release(const hak_alc_t* alc, hjson_val_t* v) {
  uint32_t t = hjson_tag_type(v->tag);
  if (t == HJSON_STRING) {
    hjson_free(alc, (void*)v->u.s, hjson_tag_len(v->tag) + 1, HJSON_SITE_STR);
    return;
  }
  if (t != HJSON_ARRAY && t != HJSON_OBJECT) return;
  hjson_ctn_t* todo = v->u.c;
  todo->link = NULL;
  while (todo) {
    hjson_ctn_t* c = todo;
    todo = c->link;
    size_t stride = hjson_ctn_stride(c->kind), n = (size_t)c->len * stride;
    for (size_t i = 0; i < n; i++) {
      hjson_val_t* e = &c->items[i];
      uint32_t et = hjson_tag_type(e->tag);
      if (et == HJSON_STRING) {
        bool key = stride == 2 && (i & 1) == 0;
        hjson_free(alc, (void*)e->u.s, hjson_tag_len(e->tag) + 1, key ? HJSON_SITE_KEY : HJSON_SITE_STR);
      } else if (et == HJSON_ARRAY || et == HJSON_OBJECT) {
        e->u.c->link = todo;
        todo = e->u.c;
      }
    }
    hjson_ctn_free_node(alc, c);
  }
}

// ----- Documents -----
hjson_doc_t* hjson_doc_new(const hak_alc_t* alc) {
  alc = hjson_alc_or_default(alc);
  hjson_doc_t* doc = (hjson_doc_t*)hjson_alloc(alc, sizeof(hjson_doc_t), HJSON_SITE_DOC);
  if hjson_unlikely(!doc) return NULL;
  doc->alc = alc;
  doc->root.tag = HJSON_NULL;
  doc->root.u.i = 0;
  return doc;
}

void hjson_doc_free(hjson_doc_t* doc) {
  if (!doc) return;
  _hjson_val_release(doc->alc, &doc->root);
  hjson_free(doc->alc, doc, sizeof(hjson_doc_t), HJSON_SITE_DOC);
}

hjson_val_t* hjson_doc_root(hjson_doc_t* doc) { return doc ? &doc->root : NULL; }
const hak_alc_t* hjson_doc_alc(const hjson_doc_t* doc) { return doc ? doc->alc : NULL; }

const char* hjson_type_name(hjson_type_t t) {
  static const char* const names[] = {"none", "null", "bool", "int", "double", "string", "array", "object"};
  return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "none";
}

// ----- Lookup -----
hjson_val_t* hjson_obj_get(const hjson_val_t* obj, const char* key, size_t klen) {
  if (!hjson_is_obj(obj) || (!key && klen)) return NULL;
  const hjson_ctn_t* c = obj->u.c;
  uint64_t want = hjson_tag_str(klen);
  for (size_t i = 0; i < c->len; i++) {
    const hjson_val_t* k = &c->items[2 * i];
    if (k->tag == want && (klen == 0 || memcmp(k->u.s, key, klen) == 0)) return &c->items[2 * i + 1];
  }
  return NULL;
}

// ----- Setters -----
static inline void hjson_val_replace(hjson_doc_t* doc, hjson_val_t* v, uint64_t tag, uint64_t bits) {
  _hjson_val_release(doc->alc, v);
  v->tag = tag;
  v->u.i = (int64_t)bits;
}

void hjson_set_null(hjson_doc_t* doc, hjson_val_t* v) {
  if (doc && v) hjson_val_replace(doc, v, HJSON_NULL, 0);
}
void hjson_set_bool(hjson_doc_t* doc, hjson_val_t* v, bool b) {
  if (!doc || !v) return;
  hjson_val_replace(doc, v, HJSON_BOOL, 0);
  v->u.b = b;
}
void hjson_set_int(hjson_doc_t* doc, hjson_val_t* v, int64_t i) {
  if (doc && v) hjson_val_replace(doc, v, HJSON_INT, (uint64_t)i);
}
void hjson_set_double(hjson_doc_t* doc, hjson_val_t* v, double d) {
  if (!doc || !v) return;
  hjson_val_replace(doc, v, HJSON_DOUBLE, 0);
  v->u.d = d;
}
bool hjson_set_str(hjson_doc_t* doc, hjson_val_t* v, const char* s, size_t len) {
  if (!doc || !v || (!s && len)) return false;
  char* p = _hjson_str_dup(doc->alc, s, len, HJSON_SITE_STR);
  if hjson_unlikely(!p) return false;
  _hjson_val_release(doc->alc, v);
  v->tag = hjson_tag_str(len);
  v->u.s = p;
  return true;
}
static bool hjson_set_ctn(hjson_doc_t* doc, hjson_val_t* v, uint32_t kind) {
  if (!doc || !v) return false;
  hjson_ctn_t* c = _hjson_ctn_new(doc->alc, kind, 0);
  if hjson_unlikely(!c) return false;
  _hjson_val_release(doc->alc, v);
  v->tag = kind;
  v->u.c = c;
  return true;
}
bool hjson_set_arr(hjson_doc_t* doc, hjson_val_t* v) { return hjson_set_ctn(doc, v, HJSON_ARRAY); }
bool hjson_set_obj(hjson_doc_t* doc, hjson_val_t* v) { return hjson_set_ctn(doc, v, HJSON_OBJECT); }

// ----- Growing and shrinking containers -----
// Room for one more entry; entries move out of the inline area on first growth.
static bool hjson_ctn_reserve1(const hak_alc_t* alc, hjson_ctn_t* c) {
  if (c->len < c->cap) return true;
  if (c->cap == HJSON_UINT32_MAX) return false;
  size_t stride = hjson_ctn_stride(c->kind) * sizeof(hjson_val_t);
  size_t ncap = c->cap < 4 ? 4 : (size_t)c->cap * 2;
  if (ncap > HJSON_UINT32_MAX) ncap = HJSON_UINT32_MAX;
  hjson_val_t* items;
  if (c->items == c->inline_items) {
    items = (hjson_val_t*)hjson_alloc(alc, ncap * stride, HJSON_SITE_ITEMS);
    if hjson_unlikely(!items) return false;
    if (c->len) memcpy(items, c->items, (size_t)c->len * stride);
  } else {
    items = (hjson_val_t*)hjson_realloc(alc, c->items, (size_t)c->cap * stride, ncap * stride, HJSON_SITE_ITEMS);
    if hjson_unlikely(!items) return false;
  }
  c->items = items;
  c->cap = (uint32_t)ncap;
  return true;
}

hjson_val_t* hjson_arr_insert(hjson_doc_t* doc, hjson_val_t* arr, size_t i) {
  if (!doc || !hjson_is_arr(arr)) return NULL;
  hjson_ctn_t* c = arr->u.c;
  if (i > c->len || !hjson_ctn_reserve1(doc->alc, c)) return NULL;
  memmove(&c->items[i + 1], &c->items[i], (c->len - i) * sizeof(hjson_val_t));
  c->len++;
  c->items[i].tag = HJSON_NULL;
  c->items[i].u.i = 0;
  return &c->items[i];
}

hjson_val_t* hjson_arr_push(hjson_doc_t* doc, hjson_val_t* arr) {
  return hjson_is_arr(arr) ? hjson_arr_insert(doc, arr, arr->u.c->len) : NULL;
}

bool hjson_arr_remove(hjson_doc_t* doc, hjson_val_t* arr, size_t i) {
  if (!doc || !hjson_is_arr(arr) || i >= arr->u.c->len) return false;
  hjson_ctn_t* c = arr->u.c;
  _hjson_val_release(doc->alc, &c->items[i]);
  memmove(&c->items[i], &c->items[i + 1], (c->len - i - 1) * sizeof(hjson_val_t));
  c->len--;
  return true;
}

hjson_val_t* hjson_obj_put(hjson_doc_t* doc, hjson_val_t* obj, const char* key, size_t klen) {
  if (!doc || !hjson_is_obj(obj) || (!key && klen)) return NULL;
  hjson_val_t* v = hjson_obj_get(obj, key, klen);
  if (v) return v;
  hjson_ctn_t* c = obj->u.c;
  if (!hjson_ctn_reserve1(doc->alc, c)) return NULL;
  char* k = _hjson_str_dup(doc->alc, key, klen, HJSON_SITE_KEY);
  if hjson_unlikely(!k) return NULL;
  hjson_val_t* e = &c->items[2 * (size_t)c->len];
  e[0].tag = hjson_tag_str(klen);
  e[0].u.s = k;
  e[1].tag = HJSON_NULL;
  e[1].u.i = 0;
  c->len++;
  return &e[1];
}

bool hjson_obj_remove(hjson_doc_t* doc, hjson_val_t* obj, const char* key, size_t klen) {
  hjson_val_t* v = doc ? hjson_obj_get(obj, key, klen) : NULL;
  if (!v) return false;
  hjson_ctn_t* c = obj->u.c;
  hjson_val_t* k = v - 1;
  hjson_free(doc->alc, (void*)k->u.s, hjson_tag_len(k->tag) + 1, HJSON_SITE_KEY);
  _hjson_val_release(doc->alc, v);
  size_t i = (size_t)(k - c->items) / 2;
  memmove(k, k + 2, (c->len - i - 1) * 2 * sizeof(hjson_val_t));
  c->len--;
  return true;
}

// ----- Equality and copy (explicit stacks) -----
typedef struct hjson_pair_s {
  const hjson_val_t* a;  // entries of a still to compare / copy from
  hjson_val_t* b;        // matching entries of b / destination slots
  size_t n;              // value slots left
} hjson_pair_t;

// A growable stack of pairs through alc (site json.write.stack: walker work memory).
typedef struct hjson_pstack_s {
  const hak_alc_t* alc;
  hjson_pair_t* v;
  size_t len, cap;
  hjson_pair_t inl[32];
} hjson_pstack_t;

static bool hjson_pstack_push(hjson_pstack_t* s, const hjson_val_t* a, hjson_val_t* b, size_t n) {
  if (s->len == s->cap) {
    size_t ncap = s->cap * 2, sz = sizeof(hjson_pair_t);
    hjson_pair_t* nv;
    if (s->v == s->inl) {
      nv = (hjson_pair_t*)hjson_alloc(s->alc, ncap * sz, HJSON_SITE_WSTACK);
      if (nv) memcpy(nv, s->v, s->len * sz);
    } else {
      nv = (hjson_pair_t*)hjson_realloc(s->alc, s->v, s->cap * sz, ncap * sz, HJSON_SITE_WSTACK);
    }
    if (!nv) return false;
    s->v = nv;
    s->cap = ncap;
  }
  s->v[s->len++] = (hjson_pair_t){a, b, n};
  return true;
}
static void hjson_pstack_init(hjson_pstack_t* s, const hak_alc_t* alc) {
  s->alc = alc;
  s->v = s->inl;
  s->len = 0;
  s->cap = sizeof(s->inl) / sizeof(s->inl[0]);
}
static void hjson_pstack_done(hjson_pstack_t* s) {
  if (s->v != s->inl) hjson_free(s->alc, s->v, s->cap * sizeof(hjson_pair_t), HJSON_SITE_WSTACK);
}

// Compares scalars and strings; containers only by kind and length.
static bool hjson_val_shallow_eq(const hjson_val_t* a, const hjson_val_t* b) {
  uint32_t t = hjson_tag_type(a->tag);
  if (a->tag != b->tag && !(t != HJSON_STRING && t == hjson_tag_type(b->tag))) return false;
  switch (t) {
    case HJSON_NULL: return true;
    case HJSON_BOOL: return a->u.b == b->u.b;
    case HJSON_INT: return a->u.i == b->u.i;
    case HJSON_DOUBLE: return a->u.d == b->u.d;
    case HJSON_STRING: return memcmp(a->u.s, b->u.s, hjson_tag_len(a->tag)) == 0;
    case HJSON_ARRAY:
    case HJSON_OBJECT: return a->u.c->len == b->u.c->len;
    default: return false;
  }
}

bool hjson_equal(const hjson_val_t* a, const hjson_val_t* b) {
  if (!a || !b) return a == b;
  if (!hjson_val_shallow_eq(a, b)) return false;
  hjson_pstack_t st;
  hjson_pstack_init(&st, hak_alc_default());
  bool eq = true;
  const hjson_val_t* x = a;
  hjson_val_t* y = (hjson_val_t*)b;
  size_t n = 1;
  for (;;) {
    while (n > 0 && eq) {  // x, y: n slots known equal shallowly; descend into containers
      uint32_t t = hjson_tag_type(x->tag);
      if ((t == HJSON_ARRAY || t == HJSON_OBJECT) && x->u.c->len) {
        size_t m = (size_t)x->u.c->len * hjson_ctn_stride(t);
        const hjson_val_t* xs = x->u.c->items;
        hjson_val_t* ys = y->u.c->items;
        for (size_t i = 0; i < m && eq; i++) eq = hjson_val_shallow_eq(&xs[i], &ys[i]);
        if (eq && n > 1 && !hjson_pstack_push(&st, x + 1, y + 1, n - 1)) eq = false;
        x = xs, y = ys, n = m;
        continue;
      }
      x++, y++, n--;
    }
    if (!eq || st.len == 0) break;
    hjson_pair_t p = st.v[--st.len];
    x = p.a, y = p.b, n = p.n;
  }
  hjson_pstack_done(&st);
  return eq;
}

// Copies the entries of every container pushed on st (src slot a, dst slot b,
// both containers, dst empty with room for all). dst stays a valid tree at
// every step (len counts finished entries), so a failure can release it.
static bool hjson_copy_drain(const hak_alc_t* alc, hjson_pstack_t* st) {
  while (st->len) {
    hjson_pair_t p = st->v[--st->len];
    const hjson_ctn_t* sc = p.a->u.c;
    hjson_ctn_t* dc = p.b->u.c;
    size_t stride = hjson_ctn_stride(sc->kind);
    for (size_t i = 0; i < sc->len; i++) {
      for (size_t j = 0; j < stride; j++) {
        const hjson_val_t* s = &sc->items[i * stride + j];
        hjson_val_t* d = &dc->items[i * stride + j];
        uint32_t t = hjson_tag_type(s->tag);
        *d = *s;
        bool ok = true;
        if (t == HJSON_STRING) {
          hak_site_t site = stride == 2 && j == 0 ? HJSON_SITE_KEY : HJSON_SITE_STR;
          ok = (d->u.s = _hjson_str_dup(alc, s->u.s, hjson_tag_len(s->tag), site)) != NULL;
        } else if (t == HJSON_ARRAY || t == HJSON_OBJECT) {
          ok = (d->u.c = _hjson_ctn_new(alc, t, s->u.c->len)) != NULL && hjson_pstack_push(st, s, d, 0);
          if (!ok && d->u.c) hjson_ctn_free_node(alc, d->u.c);
        }
        if (!ok) {
          if (j == 1) hjson_free(alc, (void*)d[-1].u.s, hjson_tag_len(d[-1].tag) + 1, HJSON_SITE_KEY);
          return false;
        }
      }
      dc->len++;
    }
  }
  return true;
}

bool hjson_set_copy(hjson_doc_t* doc, hjson_val_t* v, const hjson_val_t* src) {
  if (!doc || !v || !src || hjson_type(src) == HJSON_NONE) return false;
  const hak_alc_t* alc = doc->alc;
  hjson_val_t tmp = *src;
  uint32_t t = hjson_tag_type(src->tag);
  if (t == HJSON_STRING) {
    if (!(tmp.u.s = _hjson_str_dup(alc, src->u.s, hjson_tag_len(src->tag), HJSON_SITE_STR))) return false;
  } else if (t == HJSON_ARRAY || t == HJSON_OBJECT) {
    if (!(tmp.u.c = _hjson_ctn_new(alc, t, src->u.c->len))) return false;
    hjson_pstack_t st;
    hjson_pstack_init(&st, alc);
    bool ok = hjson_pstack_push(&st, src, &tmp, 0) && hjson_copy_drain(alc, &st);
    hjson_pstack_done(&st);
    if (!ok) {
      _hjson_val_release(alc, &tmp);
      return false;
    }
  }
  _hjson_val_release(alc, v);
  *v = tmp;
  return true;
}
