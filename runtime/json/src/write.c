/* write.c: JSON text out: string escaping, the streaming writer and the DOM
   writer built on it.

   Output goes to one growable block (json.write.buffer). Every write first
   reserves the worst case of what it appends (6 bytes per string byte, 32 per
   number, newline + indentation), then stores without bounds checks.
   The writer tracks one level byte per open container (HJSON_WL_* bits) and
   refuses calls that would make invalid JSON. The DOM writer walks a tree
   with an explicit frame stack (json.write.stack beyond the first frames),
   so depth costs no C stack.
   Invariant: after any successful call buf[0..len) is a prefix of valid JSON
   text in the layout asked for. */
#include <math.h>

#include "hjson_internal.h"

// ----- Errors and buffer -----
static bool hjson_w_fail(hjson_writer_t* w, hjson_err_t code, const char* msg) {
  if (w->err.code == HJSON_OK) w->err = (hjson_error_t){code, 0, 0, 0, msg};
  return false;
}

bool _hjson_writer_grow(hjson_writer_t* w, size_t n) {
  if (w->err.code) return false;
  if (n > SIZE_MAX / 2 - w->len) return hjson_w_fail(w, HJSON_ERR_LIMIT, "output too large");
  size_t need = w->len + n, ncap = w->cap ? w->cap * 2 : 256;
  if (ncap < need) ncap = need;
  char* nb = w->buf ? (char*)hjson_realloc(w->alc, w->buf, w->cap, ncap, HJSON_SITE_WBUF)
                    : (char*)hjson_alloc(w->alc, ncap, HJSON_SITE_WBUF);
  if (!nb) return hjson_w_fail(w, HJSON_ERR_NOMEM, "out of memory");
  w->buf = nb;
  w->cap = ncap;
  return true;
}

HJSON_INLINE bool hjson_w_reserve(hjson_writer_t* w, size_t n) {
  return hjson_likely(w->cap - w->len >= n) || _hjson_writer_grow(w, n);
}

void hjson_buf_free(hjson_buf_t* buf, const hak_alc_t* alc) {
  if (!buf) return;
  hjson_free(hjson_alc_or_default(alc), buf->data, buf->cap, HJSON_SITE_WBUF);
  *buf = (hjson_buf_t){0};
}

// ----- Strings -----
static const char hjson_hex[] = "0123456789abcdef";

// Writes the quoted, escaped s[0..len) at o (room: 6 * len + 2). check:
// refuse invalid UTF-8 (returns NULL). Returns the end of the output.
HJSON_INLINE char* hjson_esc(char* o, const uint8_t* p, size_t len, bool check) {
  const uint8_t* end = p + len;
  *o++ = '"';
  for (;;) {
    while (end - p >= 8) {  // copy 8 plain bytes at a time
      uint64_t x = hjson_load64(p), m = hjson_swar_special(x);
      memcpy(o, &x, 8);
      if (m) {
        size_t k = (size_t)__builtin_ctzll(m) >> 3;
        o += k;
        p += k;
        goto special;
      }
      o += 8;
      p += 8;
    }
    while (p < end && !_hjson_str_stop[*p]) *o++ = (char)*p++;
    if (p == end) break;
  special: {
    uint32_t c = *p;
    if (c >= 0x80) {
      size_t n = check ? hjson_utf8_seq(p, end) : 1;
      if hjson_unlikely(!n) return NULL;
      memcpy(o, p, n);
      o += n;
      p += n;
      continue;
    }
    o[0] = '\\';
    switch (c) {
      case '"': o[1] = '"'; break;
      case '\\': o[1] = '\\'; break;
      case '\b': o[1] = 'b'; break;
      case '\f': o[1] = 'f'; break;
      case '\n': o[1] = 'n'; break;
      case '\r': o[1] = 'r'; break;
      case '\t': o[1] = 't'; break;
      default:
        memcpy(o + 1, "u00", 3);
        o[4] = hjson_hex[c >> 4];
        o[5] = hjson_hex[c & 15];
        o += 4;
    }
    o += 2;
    p++;
  }
  }
  *o++ = '"';
  return o;
}

size_t hjson_escape(const char* s, size_t len, char* out) {
  if (!out) return 0;
  if (!s) s = "", len = 0;
  return (size_t)(hjson_esc(out, (const uint8_t*)s, len, false) - out);
}

bool hjson_utf8_valid(const char* s, size_t len) {
  if (!s) return len == 0;
  const uint8_t *p = (const uint8_t*)s, *end = p + len;
  while (p < end) {
    while (end - p >= 8 && (hjson_load64(p) & 0x8080808080808080ull) == 0) p += 8;
    if (p == end) break;
    if (*p < 0x80) {
      p++;
      continue;
    }
    size_t n = hjson_utf8_seq(p, end);
    if (!n) return false;
    p += n;
  }
  return true;
}

// Appends the string literal; refuses invalid UTF-8.
static bool hjson_w_str(hjson_writer_t* w, const char* s, size_t len) {
  if (!s && len) return hjson_w_fail(w, HJSON_ERR_ARG, "string is NULL");
  if (len > (SIZE_MAX - 8) / 6) return hjson_w_fail(w, HJSON_ERR_LIMIT, "string too large");
  if (!hjson_w_reserve(w, 6 * len + 2)) return false;
  char* o = hjson_esc(w->buf + w->len, (const uint8_t*)(s ? s : ""), len, true);
  if hjson_unlikely(!o) return hjson_w_fail(w, HJSON_ERR_UTF8, "string is not valid UTF-8");
  w->len = (size_t)(o - w->buf);
  return true;
}

// ----- Layout -----
// Newline and indentation for `depth` levels (pretty only); room reserved.
HJSON_INLINE void hjson_w_newline(hjson_writer_t* w, size_t depth) {
  char* o = w->buf + w->len;
  *o++ = '\n';
  size_t n = (size_t)w->indent * depth;
  memset(o, ' ', n);
  w->len += 1 + n;
}

HJSON_INLINE size_t hjson_w_nl_room(const hjson_writer_t* w, size_t depth) {
  return w->indent < 0 ? 0 : 1 + (size_t)w->indent * depth;
}

// Before a value: checks the state, writes the separator and indentation.
static bool hjson_w_before_value(hjson_writer_t* w) {
  if hjson_unlikely(w->err.code) return false;
  if (w->depth == 0) return !w->done || hjson_w_fail(w, HJSON_ERR_STATE, "more than one top-level value");
  uint8_t* lv = &w->levels[w->depth - 1];
  if (*lv & HJSON_WL_OBJECT) {
    if hjson_unlikely(!(*lv & HJSON_WL_KEY)) return hjson_w_fail(w, HJSON_ERR_STATE, "object value without a key");
    *lv &= (uint8_t)~HJSON_WL_KEY;
    return true;
  }
  if (!hjson_w_reserve(w, 1 + hjson_w_nl_room(w, w->depth))) return false;
  if (*lv & HJSON_WL_ITEMS) w->buf[w->len++] = ',';
  if (w->indent >= 0) hjson_w_newline(w, w->depth);
  *lv |= HJSON_WL_ITEMS;
  return true;
}

HJSON_INLINE void hjson_w_after_value(hjson_writer_t* w) {
  if (w->depth == 0) w->done = 1;
}

// ----- Streaming writer -----
void hjson_writer_init(hjson_writer_t* w, const hak_alc_t* alc, int indent) {
  memset(w, 0, sizeof(*w));
  w->alc = hjson_alc_or_default(alc);
  w->levels = w->inline_levels;
  w->levels_cap = sizeof(w->inline_levels);
  w->indent = indent;
  if (indent < HJSON_COMPACT || indent > HJSON_INDENT_MAX) {
    w->indent = HJSON_COMPACT;
    hjson_w_fail(w, HJSON_ERR_ARG, "indent out of range");
  }
}

void hjson_writer_destroy(hjson_writer_t* w) {
  if (!w) return;
  hjson_free(w->alc, w->buf, w->cap, HJSON_SITE_WBUF);
  if (w->levels != w->inline_levels) hjson_free(w->alc, w->levels, w->levels_cap, HJSON_SITE_WSTACK);
  w->buf = NULL;
  w->cap = w->len = 0;
  w->levels = w->inline_levels;
  w->levels_cap = sizeof(w->inline_levels);
}

static bool hjson_w_begin(hjson_writer_t* w, uint8_t kind, char open) {
  if (!hjson_w_before_value(w)) return false;
  if (w->depth == w->levels_cap) {
    size_t ncap = w->levels_cap * 2;
    uint8_t* nl = w->levels == w->inline_levels
                      ? (uint8_t*)hjson_alloc(w->alc, ncap, HJSON_SITE_WSTACK)
                      : (uint8_t*)hjson_realloc(w->alc, w->levels, w->levels_cap, ncap, HJSON_SITE_WSTACK);
    if (!nl) return hjson_w_fail(w, HJSON_ERR_NOMEM, "out of memory");
    if (w->levels == w->inline_levels) memcpy(nl, w->levels, w->depth);
    w->levels = nl;
    w->levels_cap = ncap;
  }
  if (!hjson_w_reserve(w, 1)) return false;
  w->buf[w->len++] = open;
  w->levels[w->depth++] = kind;
  return true;
}

static bool hjson_w_end(hjson_writer_t* w, uint8_t kind, char close) {
  if hjson_unlikely(w->err.code) return false;
  if (w->depth == 0 || (w->levels[w->depth - 1] & HJSON_WL_OBJECT) != kind)
    return hjson_w_fail(w, HJSON_ERR_STATE, "end does not match an open container");
  uint8_t lv = w->levels[w->depth - 1];
  if (lv & HJSON_WL_KEY) return hjson_w_fail(w, HJSON_ERR_STATE, "object ends after a key without value");
  if (!hjson_w_reserve(w, 1 + hjson_w_nl_room(w, w->depth - 1))) return false;
  w->depth--;
  if ((lv & HJSON_WL_ITEMS) && w->indent >= 0) hjson_w_newline(w, w->depth);
  w->buf[w->len++] = close;
  hjson_w_after_value(w);
  return true;
}

bool hjson_writer_begin_array(hjson_writer_t* w) { return hjson_w_begin(w, 0, '['); }
bool hjson_writer_end_array(hjson_writer_t* w) { return hjson_w_end(w, 0, ']'); }
bool hjson_writer_begin_object(hjson_writer_t* w) { return hjson_w_begin(w, HJSON_WL_OBJECT, '{'); }
bool hjson_writer_end_object(hjson_writer_t* w) { return hjson_w_end(w, HJSON_WL_OBJECT, '}'); }

bool hjson_writer_key(hjson_writer_t* w, const char* s, size_t len) {
  if hjson_unlikely(w->err.code) return false;
  uint8_t* lv = w->depth ? &w->levels[w->depth - 1] : NULL;
  if (!lv || !(*lv & HJSON_WL_OBJECT) || (*lv & HJSON_WL_KEY))
    return hjson_w_fail(w, HJSON_ERR_STATE, "key outside an object or where a value is due");
  if (!hjson_w_reserve(w, 1 + hjson_w_nl_room(w, w->depth))) return false;
  if (*lv & HJSON_WL_ITEMS) w->buf[w->len++] = ',';
  if (w->indent >= 0) hjson_w_newline(w, w->depth);
  if (!hjson_w_str(w, s, len) || !hjson_w_reserve(w, 2)) return false;
  w->buf[w->len++] = ':';
  if (w->indent >= 0) w->buf[w->len++] = ' ';
  *lv |= HJSON_WL_ITEMS | HJSON_WL_KEY;
  return true;
}

bool hjson_writer_string(hjson_writer_t* w, const char* s, size_t len) {
  if (!hjson_w_before_value(w) || !hjson_w_str(w, s, len)) return false;
  hjson_w_after_value(w);
  return true;
}

static bool hjson_w_lit(hjson_writer_t* w, const char* s, size_t n) {
  if (!hjson_w_before_value(w) || !hjson_w_reserve(w, n)) return false;
  memcpy(w->buf + w->len, s, n);
  w->len += n;
  hjson_w_after_value(w);
  return true;
}
bool hjson_writer_null(hjson_writer_t* w) { return hjson_w_lit(w, "null", 4); }
bool hjson_writer_bool(hjson_writer_t* w, bool b) { return b ? hjson_w_lit(w, "true", 4) : hjson_w_lit(w, "false", 5); }

bool hjson_writer_int(hjson_writer_t* w, int64_t i) {
  if (!hjson_w_before_value(w) || !hjson_w_reserve(w, 24)) return false;
  w->len += hjson_itoa(i, w->buf + w->len);
  hjson_w_after_value(w);
  return true;
}

bool hjson_writer_double(hjson_writer_t* w, double d) {
  if hjson_unlikely(!isfinite(d)) return hjson_w_fail(w, HJSON_ERR_NONFINITE, "NaN or infinity cannot be written");
  if (!hjson_w_before_value(w) || !hjson_w_reserve(w, 32)) return false;
  w->len += hjson_dtoa(d, w->buf + w->len);
  hjson_w_after_value(w);
  return true;
}

bool hjson_writer_finish(hjson_writer_t* w, hjson_buf_t* out) {
  if (out) *out = (hjson_buf_t){0};
  if (w->err.code) return false;
  if (w->depth || !w->done) return hjson_w_fail(w, HJSON_ERR_STATE, "incomplete JSON value");
  if (!out) return hjson_w_fail(w, HJSON_ERR_ARG, "out is NULL");
  if (!hjson_w_reserve(w, 1)) return false;
  w->buf[w->len] = 0;
  *out = (hjson_buf_t){w->buf, w->len, w->cap};
  w->buf = NULL;
  w->len = w->cap = 0;
  return true;
}

// ----- DOM writer -----
// Writes a scalar, string or empty container (room for scalars: 32 bytes).
static bool hjson_w_leaf(hjson_writer_t* w, const hjson_val_t* v) {
  uint32_t t = hjson_tag_type(v->tag);
  if (t == HJSON_STRING) return hjson_w_str(w, v->u.s, hjson_tag_len(v->tag));
  if (!hjson_w_reserve(w, 32)) return false;
  char* o = w->buf + w->len;
  switch (t) {
    case HJSON_NULL: memcpy(o, "null", 4), w->len += 4; break;
    case HJSON_BOOL:
      if (v->u.b) memcpy(o, "true", 4), w->len += 4;
      else memcpy(o, "false", 5), w->len += 5;
      break;
    case HJSON_INT: w->len += hjson_itoa(v->u.i, o); break;
    case HJSON_DOUBLE:
      if hjson_unlikely(!isfinite(v->u.d))
        return hjson_w_fail(w, HJSON_ERR_NONFINITE, "NaN or infinity cannot be written");
      w->len += hjson_dtoa(v->u.d, o);
      break;
    case HJSON_ARRAY: memcpy(o, "[]", 2), w->len += 2; break;
    case HJSON_OBJECT: memcpy(o, "{}", 2), w->len += 2; break;
    default: return hjson_w_fail(w, HJSON_ERR_ARG, "not a JSON value");
  }
  return true;
}

static bool hjson_wframes_grow(hjson_writer_t* w, hjson_wframe_t** fs, size_t* cap, hjson_wframe_t* inl) {
  size_t ncap = *cap * 2, sz = sizeof(hjson_wframe_t);
  hjson_wframe_t* nf = *fs == inl ? (hjson_wframe_t*)hjson_alloc(w->alc, ncap * sz, HJSON_SITE_WSTACK)
                                  : (hjson_wframe_t*)hjson_realloc(w->alc, *fs, *cap * sz, ncap * sz, HJSON_SITE_WSTACK);
  if (!nf) return hjson_w_fail(w, HJSON_ERR_NOMEM, "out of memory");
  if (*fs == inl) memcpy(nf, inl, *cap * sz);
  *fs = nf;
  *cap = ncap;
  return true;
}

// The tree walk: frames[0..n) are the open containers below the writer's own
// depth. Each turn writes one entry (with its separator) or closes a frame.
static bool hjson_w_tree(hjson_writer_t* w, const hjson_val_t* root) {
  hjson_wframe_t inl[HJSON_WSTACK_INLINE], *fs = inl;
  size_t cap = HJSON_WSTACK_INLINE, n = 0, base = w->depth;
  bool pretty = w->indent >= 0, ok = true;
  const hjson_val_t* v = root;
  for (;;) {
    uint32_t t = hjson_tag_type(v->tag);
    if ((t == HJSON_ARRAY || t == HJSON_OBJECT) && v->u.c->len) {  // open a container
      if (n == cap && !(ok = hjson_wframes_grow(w, &fs, &cap, inl))) break;
      if (!(ok = hjson_w_reserve(w, 1))) break;
      w->buf[w->len++] = t == HJSON_OBJECT ? '{' : '[';
      fs[n++] = (hjson_wframe_t){v->u.c, 0};
    } else if (!(ok = hjson_w_leaf(w, v))) {
      break;
    }
    for (;;) {  // next entry of the innermost open frame, closing finished ones
      if (n == 0) goto out;
      hjson_wframe_t* f = &fs[n - 1];
      size_t depth = base + n;
      if (f->i < f->c->len) {
        if (!(ok = hjson_w_reserve(w, 1 + hjson_w_nl_room(w, depth)))) goto out;
        if (f->i) w->buf[w->len++] = ',';
        if (pretty) hjson_w_newline(w, depth);
        if (f->c->kind == HJSON_OBJECT) {
          const hjson_val_t* k = &f->c->items[2 * f->i];
          if (!(ok = hjson_w_str(w, k->u.s, hjson_tag_len(k->tag)) && hjson_w_reserve(w, 2))) goto out;
          w->buf[w->len++] = ':';
          if (pretty) w->buf[w->len++] = ' ';
          v = k + 1;
        } else {
          v = &f->c->items[f->i];
        }
        f->i++;
        break;
      }
      if (!(ok = hjson_w_reserve(w, 1 + hjson_w_nl_room(w, depth - 1)))) goto out;
      if (pretty) hjson_w_newline(w, depth - 1);
      w->buf[w->len++] = f->c->kind == HJSON_OBJECT ? '}' : ']';
      n--;
    }
  }
out:
  if (fs != inl) hjson_free(w->alc, fs, cap * sizeof(hjson_wframe_t), HJSON_SITE_WSTACK);
  return ok;
}

bool hjson_writer_value(hjson_writer_t* w, const hjson_val_t* v) {
  if (!v) return hjson_w_fail(w, HJSON_ERR_ARG, "value is NULL");
  if (!hjson_w_before_value(w) || !hjson_w_tree(w, v)) return false;
  hjson_w_after_value(w);
  return true;
}

bool hjson_write(const hjson_val_t* v, int indent, const hak_alc_t* alc, hjson_buf_t* out, hjson_error_t* err) {
  hjson_writer_t w;
  hjson_writer_init(&w, alc, indent);
  bool ok = hjson_writer_value(&w, v) && hjson_writer_finish(&w, out);
  if (err) *err = w.err;
  if (!ok && out) *out = (hjson_buf_t){0};
  hjson_writer_destroy(&w);
  return ok;
}
