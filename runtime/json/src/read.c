/* read.c: the parser. One loop, no recursion (one of the two functions
   allowed to be long: docs/style.md, "Short functions, two long ones by design").

   Every value read is pushed on a value stack (first on the C stack, then in a
   json.parse.stack block). Opening a container pushes a frame marker that
   remembers the enclosing frame; the entries of the open container follow it
   (an object pushes key, value, key, value ...). Closing allocates the
   container node exactly full, moves the entries into it, and replaces the
   marker with the container value. So each container is one allocation made
   when its size is known, and depth costs one stack slot, not a C frame.
   Objects drop repeated keys as they close: the first position is kept with
   the last value.
   Errors jump to fail_* labels at the end of the loop; the fail path releases
   whatever the stack holds, so a failed parse leaks nothing.
   Invariant: st[0..sp) holds only values the parser owns and frame markers. */
#include "hjson_internal.h"

// ----- Errors -----
static void hjson_err_fill(hjson_error_t* err, const uint8_t* start, const uint8_t* at, hjson_err_t code,
                           const char* msg) {
  if (!err) return;
  size_t line = 1;
  const uint8_t *ls = start, *q = start;
  while (q < at) {
    const uint8_t* nl = (const uint8_t*)memchr(q, '\n', (size_t)(at - q));
    if (!nl) break;
    line++;
    q = ls = nl + 1;
  }
  err->code = code;
  err->pos = (size_t)(at - start);
  err->line = line;
  err->col = (size_t)(at - ls) + 1;
  err->msg = msg;
}

HJSON_INLINE const uint8_t* hjson_fail(hjson_parser_t* ps, const uint8_t* at, hjson_err_t code, const char* msg) {
  ps->err_at = at;
  ps->err_code = code;
  ps->err_msg = msg;
  return NULL;
}

// ----- Work memory -----
static HJSON_NOINLINE bool hjson_stack_grow(hjson_parser_t* ps, size_t need) {
  size_t ncap = ps->stack_cap * 2;
  if (ncap < need) ncap = need;
  if (ncap > SIZE_MAX / 2 / sizeof(hjson_val_t)) return false;
  size_t sz = sizeof(hjson_val_t);
  hjson_val_t* ns;
  if (ps->stack_heap) {
    ns = (hjson_val_t*)hjson_realloc(ps->alc, ps->stack, ps->stack_cap * sz, ncap * sz, HJSON_SITE_PSTACK);
  } else {
    ns = (hjson_val_t*)hjson_alloc(ps->alc, ncap * sz, HJSON_SITE_PSTACK);
    if (ns) memcpy(ns, ps->stack, ps->stack_cap * sz);
  }
  if (!ns) return false;
  ps->stack = ns;
  ps->stack_cap = ncap;
  ps->stack_heap = true;
  return true;
}

static bool hjson_scratch_reserve(hjson_parser_t* ps, size_t n) {
  if (n <= ps->scratch_cap) return true;
  size_t ncap = ps->scratch_cap ? ps->scratch_cap : 256;
  while (ncap < n) ncap *= 2;
  char* ns = ps->scratch ? (char*)hjson_realloc(ps->alc, ps->scratch, ps->scratch_cap, ncap, HJSON_SITE_PSCRATCH)
                         : (char*)hjson_alloc(ps->alc, ncap, HJSON_SITE_PSCRATCH);
  if (!ns) return false;
  ps->scratch = ns;
  ps->scratch_cap = ncap;
  return true;
}

static void hjson_parser_done(hjson_parser_t* ps) {
  if (ps->stack_heap) hjson_free(ps->alc, ps->stack, ps->stack_cap * sizeof(hjson_val_t), HJSON_SITE_PSTACK);
  hjson_free(ps->alc, ps->scratch, ps->scratch_cap, HJSON_SITE_PSCRATCH);
  hjson_free(ps->alc, ps->hash, ps->hash_cap * sizeof(uint32_t), HJSON_SITE_PSCRATCH);
}

// ----- Strings -----
// 1 for bytes that end the fast scan of a string: '"', '\\', controls, non-ASCII.
const uint8_t _hjson_str_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  // 0x00
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // 0x20 '"'
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,  // 0x40 '\\'
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // 0x60
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

// Makes *out a string of s[0..len) from site; NULL (error set) on OOM.
HJSON_INLINE bool hjson_str_make(hjson_parser_t* ps, const void* s, size_t len, hjson_val_t* out, hak_site_t site,
                                 const uint8_t* at) {
  char* p = _hjson_str_dup(ps->alc, (const char*)s, len, site);
  if hjson_unlikely(!p) {
    hjson_fail(ps, at, HJSON_ERR_NOMEM, "out of memory");
    return false;
  }
  out->tag = hjson_tag_str(len);
  out->u.s = p;
  return true;
}

HJSON_INLINE int hjson_hex4(const uint8_t* p) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    int c = p[i], d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') d = (c | 0x20) - 'a' + 10;
    else return -1;
    v = v * 16 + d;
  }
  return v;
}

HJSON_INLINE size_t hjson_utf8_put(char* o, uint32_t cp) {
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xc0 | (cp >> 6));
    o[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xe0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  o[0] = (char)(0xf0 | (cp >> 18));
  o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
  o[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

// Decodes the escapes of s[0..q) (q: the closing quote; p: the first
// backslash) into scratch and makes the string. Returns q + 1 or NULL.
static const uint8_t* hjson_str_unescape(hjson_parser_t* ps, const uint8_t* s, const uint8_t* p, const uint8_t* q,
                                         hjson_val_t* out, hak_site_t site) {
  if (!hjson_scratch_reserve(ps, (size_t)(q - s))) return hjson_fail(ps, s - 1, HJSON_ERR_NOMEM, "out of memory");
  char* o = ps->scratch;
  memcpy(o, s, (size_t)(p - s));
  o += p - s;
  while (p < q) {
    uint32_t c = *p;
    if (c == '\\') {  // p + 1 < q: the scan paired every backslash with a byte
      switch (p[1]) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
          int cp = q - p >= 6 ? hjson_hex4(p + 2) : -1;
          if (cp < 0) return hjson_fail(ps, p, HJSON_ERR_STRING, "\\u must be followed by 4 hex digits");
          if (cp >= 0xdc00 && cp <= 0xdfff)
            return hjson_fail(ps, p, HJSON_ERR_STRING, "lone low surrogate in \\u escape");
          if (cp >= 0xd800 && cp <= 0xdbff) {
            int lo = q - p >= 12 && p[6] == '\\' && p[7] == 'u' ? hjson_hex4(p + 8) : -1;
            if (lo < 0xdc00 || lo > 0xdfff)
              return hjson_fail(ps, p, HJSON_ERR_STRING, "lone high surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            p += 6;
          }
          o += hjson_utf8_put(o, (uint32_t)cp);
          p += 6;
          continue;
        }
        default: return hjson_fail(ps, p, HJSON_ERR_STRING, "invalid escape");
      }
      p += 2;
    } else if (c < 0x20) {
      return hjson_fail(ps, p, HJSON_ERR_STRING, "control character in string (must be escaped)");
    } else if (c < 0x80) {
      *o++ = (char)c;
      p++;
    } else {
      size_t n = hjson_utf8_seq(p, q);
      if (!n) return hjson_fail(ps, p, HJSON_ERR_UTF8, "invalid UTF-8 in string");
      memcpy(o, p, n);
      o += n;
      p += n;
    }
  }
  if (!hjson_str_make(ps, ps->scratch, (size_t)(o - ps->scratch), out, site, s - 1)) return NULL;
  return q + 1;
}

// The string at s (after its quote) from p on, where the fast scan stopped:
// validates UTF-8 and finds the end; escapes go to hjson_str_unescape.
static HJSON_NOINLINE const uint8_t* hjson_str_slow(hjson_parser_t* ps, const uint8_t* s, const uint8_t* p,
                                                    hjson_val_t* out, hak_site_t site) {
  const uint8_t* end = ps->end;
  while (p < end) {
    uint32_t c = *p;
    if (c == '"') {
      if (!hjson_str_make(ps, s, (size_t)(p - s), out, site, s - 1)) return NULL;
      return p + 1;
    }
    if (c == '\\') {
      const uint8_t* q = p;
      while (q < end && *q != '"') q += *q == '\\' ? 2 : 1;
      if (q >= end) return hjson_fail(ps, end, HJSON_ERR_EOF, "unterminated string");
      return hjson_str_unescape(ps, s, p, q, out, site);
    }
    if (c < 0x20) return hjson_fail(ps, p, HJSON_ERR_STRING, "control character in string (must be escaped)");
    if (c >= 0x80) {
      size_t n = hjson_utf8_seq(p, end);
      if (!n) return hjson_fail(ps, p, HJSON_ERR_UTF8, "invalid UTF-8 in string");
      p += n;
      continue;
    }
    p++;
    while (end - p >= 8) {
      uint64_t m = hjson_swar_special(hjson_load64(p));
      if (m) {
        p += __builtin_ctzll(m) >> 3;
        break;
      }
      p += 8;
    }
  }
  return hjson_fail(ps, end, HJSON_ERR_EOF, "unterminated string");
}

// Reads the string whose content starts at p into *out. Fast path: plain
// ASCII up to the closing quote, scanned 8 bytes at a time.
HJSON_INLINE const uint8_t* hjson_read_str(hjson_parser_t* ps, const uint8_t* p, hjson_val_t* out, hak_site_t site) {
  const uint8_t *s = p, *end = ps->end;
  for (;;) {
    if hjson_likely(end - p >= 8) {
      uint64_t m = hjson_swar_special(hjson_load64(p));
      if (!m) {
        p += 8;
        continue;
      }
      p += __builtin_ctzll(m) >> 3;
    } else {
      while (p < end && !_hjson_str_stop[*p]) p++;
      if (p == end) break;
    }
    if hjson_likely(*p == '"') {
      if (!hjson_str_make(ps, s, (size_t)(p - s), out, site, s - 1)) return NULL;
      return p + 1;
    }
    break;
  }
  return hjson_str_slow(ps, s, p, out, site);
}

// ----- Repeated keys -----
HJSON_INLINE bool hjson_key_eq(const hjson_val_t* a, const hjson_val_t* b) {
  return a->tag == b->tag && memcmp(a->u.s, b->u.s, hjson_tag_len(a->tag)) == 0;
}

static uint64_t hjson_key_hash(const hjson_val_t* k) {
  const uint8_t* s = (const uint8_t*)k->u.s;
  size_t n = hjson_tag_len(k->tag);
  uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
  for (; n >= 8; n -= 8, s += 8) h = (h ^ hjson_load64(s)) * 0xff51afd7ed558ccdull, h ^= h >> 32;
  uint64_t t = 0;
  memcpy(&t, s, n);
  h = (h ^ t) * 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 29);
}

// Index of a kept member (among c's first `kept`) with key k, or -1. mask:
// the hash table's size - 1, or 0 to compare pairwise.
static long hjson_dedup_find(const hjson_parser_t* ps, const hjson_ctn_t* c, size_t kept, const hjson_val_t* k,
                             uint64_t hash, size_t mask) {
  if (!mask) {
    for (size_t j = 0; j < kept; j++)
      if (hjson_key_eq(&c->items[2 * j], k)) return (long)j;
    return -1;
  }
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    uint32_t e = ps->hash[i];
    if (!e) return -1;
    if (hjson_key_eq(&c->items[2 * (size_t)(e - 1)], k)) return (long)(e - 1);
  }
}

// Drops repeated keys of object c: the first position stays, with the last
// value. Pairwise for small objects, through a hash table for larger ones
// (json.parse.scratch, kept for the rest of the parse).
static bool hjson_obj_dedup(hjson_parser_t* ps, hjson_ctn_t* c) {
  size_t n = c->len, kept = 0, mask = 0;
  if (n > HJSON_DEDUP_LINEAR) {
    size_t cap = 64;
    while (cap < 2 * n) cap *= 2;
    if (cap > ps->hash_cap) {
      hjson_free(ps->alc, ps->hash, ps->hash_cap * sizeof(uint32_t), HJSON_SITE_PSCRATCH);
      ps->hash_cap = 0;
      ps->hash = (uint32_t*)hjson_alloc(ps->alc, cap * sizeof(uint32_t), HJSON_SITE_PSCRATCH);
      if (!ps->hash) return false;
      ps->hash_cap = cap;
    }
    memset(ps->hash, 0, cap * sizeof(uint32_t));
    mask = cap - 1;
  }
  hjson_val_t* it = c->items;
  for (size_t i = 0; i < n; i++) {
    uint64_t h = mask ? hjson_key_hash(&it[2 * i]) : 0;
    long j = kept ? hjson_dedup_find(ps, c, kept, &it[2 * i], h, mask) : -1;
    if hjson_unlikely(j >= 0) {  // repeated: keep j's place, take i's value
      _hjson_val_release(ps->alc, &it[2 * j + 1]);
      it[2 * j + 1] = it[2 * i + 1];
      hjson_free(ps->alc, (void*)it[2 * i].u.s, hjson_tag_len(it[2 * i].tag) + 1, HJSON_SITE_KEY);
      continue;
    }
    if (kept != i) {
      it[2 * kept] = it[2 * i];
      it[2 * kept + 1] = it[2 * i + 1];
    }
    if (mask) {
      size_t s = h & mask;
      while (ps->hash[s]) s = (s + 1) & mask;
      ps->hash[s] = (uint32_t)(kept + 1);
    }
    kept++;
  }
  c->len = (uint32_t)kept;
  return true;
}

// ----- The parse loop -----
HJSON_INLINE bool hjson_is_ws(uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

HJSON_INLINE const uint8_t* hjson_skip_ws(const uint8_t* p, const uint8_t* end) {
  if hjson_likely(p < end && *p > ' ') return p;
  for (;;) {
    while (end - p >= 8 && hjson_load64(p) == 0x2020202020202020ull) p += 8;
    if (p < end && hjson_is_ws(*p)) {
      p++;
      continue;
    }
    return p;
  }
}

// Why a value cannot start at p (p < end).
static const char* hjson_value_msg(const uint8_t* start, const uint8_t* p, const uint8_t* end) {
  switch (*p) {
    case ']':
    case '}': return "expected a value before the closing bracket";
    case ',': return "expected a value before ','";
    case 'N':
    case 'I': return "NaN and Infinity are not JSON";
    case '+': return "a number cannot start with '+'";
    case '.': return "a number must start with a digit";
    case '\'': return "strings must use double quotes";
    case 't':
    case 'f':
    case 'n': return "invalid literal (true, false or null expected)";
    default: break;
  }
  if (p == start && end - p >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
    return "byte order mark (BOM) is not allowed";
  return "expected a value";
}

// Parse loop (long by design, docs/style.md): labels value, key, after_value,
// close; failures jump to fail_* at the end.
hjson_doc_t* hjson_parse_opts(const char* data, size_t len, const hjson_read_opts_t* opts, const hak_alc_t* alc,
                              hjson_error_t* err) {
  if (err) *err = (hjson_error_t){0};
  alc = hjson_alc_or_default(alc);
  if hjson_unlikely(!data && len) {
    if (err) *err = (hjson_error_t){HJSON_ERR_ARG, 0, 1, 1, "data is NULL"};
    return NULL;
  }
  static const char empty[1] = "";
  if (!data) data = empty;
  const uint8_t *start = (const uint8_t*)data, *p = start, *end = start + len;
  size_t max_depth = opts && opts->max_depth ? opts->max_depth : HJSON_DEPTH_DEFAULT;
  hjson_doc_t* doc = hjson_doc_new(alc);
  if hjson_unlikely(!doc) {
    hjson_err_fill(err, start, start, HJSON_ERR_NOMEM, "out of memory");
    return NULL;
  }
  hjson_val_t inline_stack[HJSON_STACK_INLINE];
  hjson_parser_t ps = {.alc = alc, .start = start, .end = end, .stack = inline_stack, .stack_cap = HJSON_STACK_INLINE};
  hjson_val_t* st = ps.stack;
  size_t sp = 0, frame = 0, depth = 0;  // frame: index of the open container's first entry
  uint32_t kind = 0;                    // the open container's kind; 0 at top level
  hak_site_t site_str = HJSON_SITE_STR, site_key = HJSON_SITE_KEY;
  const uint8_t* at = p;

#define HJSON_RESERVE(n)                                                                             \
  do {                                                                                               \
    if hjson_unlikely(sp + (n) > ps.stack_cap) {                                                     \
      if (!hjson_stack_grow(&ps, sp + (n))) goto fail_nomem;                                         \
      st = ps.stack;                                                                                 \
    }                                                                                                \
  } while (0)

  p = hjson_skip_ws(p, end);
  if hjson_unlikely(p == end) goto fail_empty;

value:  // p < end, at the first byte of a value
  switch (*p) {
    case '"':
      HJSON_RESERVE(1);
      p = hjson_read_str(&ps, p + 1, &st[sp], site_str);
      if hjson_unlikely(!p) goto fail;
      sp++;
      goto after_value;
    case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
      HJSON_RESERVE(1);
      at = p;
      p = _hjson_num_read(p, end, &st[sp], &ps.err_at, &ps.err_msg);
      if hjson_unlikely(!p) goto fail_number;
      sp++;
      goto after_value;
    case '{':
    case '[':
      if hjson_unlikely(++depth > max_depth) goto fail_depth;
      HJSON_RESERVE(1);
      st[sp].tag = HJSON_T_FRAME | ((uint64_t)frame << HJSON_TAG_LEN_SHIFT);
      st[sp].u.i = kind;
      frame = ++sp;
      kind = *p == '{' ? HJSON_OBJECT : HJSON_ARRAY;
      p = hjson_skip_ws(p + 1, end);
      if hjson_unlikely(p == end) goto fail_eof;
      if (kind == HJSON_OBJECT) {
        if (*p == '"') goto key;
        if (*p == '}') goto close;
        goto fail_key;
      }
      if (*p == ']') goto close;
      goto value;
    case 't':
      if hjson_unlikely(end - p < 4 || memcmp(p, "true", 4) != 0) goto fail_value;
      HJSON_RESERVE(1);
      st[sp].tag = HJSON_BOOL;
      st[sp++].u.i = 1;
      p += 4;
      goto after_value;
    case 'f':
      if hjson_unlikely(end - p < 5 || memcmp(p, "false", 5) != 0) goto fail_value;
      HJSON_RESERVE(1);
      st[sp].tag = HJSON_BOOL;
      st[sp++].u.i = 0;
      p += 5;
      goto after_value;
    case 'n':
      if hjson_unlikely(end - p < 4 || memcmp(p, "null", 4) != 0) goto fail_value;
      HJSON_RESERVE(1);
      st[sp].tag = HJSON_NULL;
      st[sp++].u.i = 0;
      p += 4;
      goto after_value;
    default: goto fail_value;
  }

key:  // p < end, at the opening quote of a key
  HJSON_RESERVE(2);
  p = hjson_read_str(&ps, p + 1, &st[sp], site_key);
  if hjson_unlikely(!p) goto fail;
  sp++;
  p = hjson_skip_ws(p, end);
  if hjson_unlikely(p == end) goto fail_eof;
  if hjson_unlikely(*p != ':') goto fail_colon;
  p = hjson_skip_ws(p + 1, end);
  if hjson_unlikely(p == end) goto fail_eof;
  goto value;

after_value:
  if hjson_unlikely(kind == 0) goto done;
  p = hjson_skip_ws(p, end);
  if hjson_unlikely(p == end) goto fail_eof;
  if (*p == ',') {
    at = p;
    p = hjson_skip_ws(p + 1, end);
    if hjson_unlikely(p == end) goto fail_eof;
    if (kind == HJSON_OBJECT) {
      if hjson_likely(*p == '"') goto key;
      if (*p == '}') goto fail_trailing_comma;
      goto fail_key;
    }
    if hjson_unlikely(*p == ']') goto fail_trailing_comma;
    goto value;
  }
  if hjson_likely(*p == (kind == HJSON_OBJECT ? '}' : ']')) goto close;
  goto fail_separator;

close: {  // p at the closing bracket of the open container
  size_t slots = sp - frame, n = kind == HJSON_OBJECT ? slots / 2 : slots;
  if hjson_unlikely(n > HJSON_UINT32_MAX) goto fail_limit;
  hjson_ctn_t* c = _hjson_ctn_new(alc, kind, n);
  if hjson_unlikely(!c) goto fail_nomem;
  memcpy(c->inline_items, &st[frame], slots * sizeof(hjson_val_t));
  c->len = (uint32_t)n;
  hjson_val_t marker = st[frame - 1];
  sp = frame - 1;
  st[sp].tag = kind;
  st[sp++].u.c = c;
  if (kind == HJSON_OBJECT && n > 1 && !hjson_obj_dedup(&ps, c)) goto fail_nomem;
  frame = (size_t)(marker.tag >> HJSON_TAG_LEN_SHIFT);
  kind = (uint32_t)marker.u.i;
  depth--;
  p++;
  goto after_value;
}

done:
  p = hjson_skip_ws(p, end);
  if hjson_unlikely(p != end) goto fail_trailing;
  doc->root = st[0];
  hjson_parser_done(&ps);
  return doc;

fail_empty:
  hjson_fail(&ps, p, HJSON_ERR_EOF, "empty input (expected a JSON value)");
  goto fail;
fail_eof:
  hjson_fail(&ps, end, HJSON_ERR_EOF, "unexpected end of input");
  goto fail;
fail_number:
  ps.err_code = ps.err_msg[0] == 'o' ? HJSON_ERR_NOMEM : HJSON_ERR_NUMBER;
  goto fail;
fail_depth:
  hjson_fail(&ps, p, HJSON_ERR_DEPTH, "nesting too deep");
  goto fail;
fail_key:
  hjson_fail(&ps, p, HJSON_ERR_SYNTAX, "expected a string key");
  goto fail;
fail_colon:
  hjson_fail(&ps, p, HJSON_ERR_SYNTAX, "expected ':' after object key");
  goto fail;
fail_trailing_comma:
  hjson_fail(&ps, at, HJSON_ERR_SYNTAX, "trailing comma");
  goto fail;
fail_separator:
  hjson_fail(&ps, p, HJSON_ERR_SYNTAX, kind == HJSON_OBJECT ? "expected ',' or '}'" : "expected ',' or ']'");
  goto fail;
fail_value:
  hjson_fail(&ps, p, HJSON_ERR_SYNTAX, hjson_value_msg(start, p, end));
  goto fail;
fail_trailing:
  hjson_fail(&ps, p, HJSON_ERR_TRAILING, "unexpected data after the JSON value");
  goto fail;
fail_limit:
  hjson_fail(&ps, p, HJSON_ERR_LIMIT, "container has too many entries");
  goto fail;
fail_nomem:
  hjson_fail(&ps, p, HJSON_ERR_NOMEM, "out of memory");
  goto fail;
fail:
  for (size_t i = 0; i < sp; i++)
    if (hjson_tag_type(st[i].tag) != HJSON_T_FRAME) _hjson_val_release(alc, &st[i]);
  hjson_err_fill(err, start, ps.err_at, ps.err_code, ps.err_msg);
  hjson_parser_done(&ps);
  hjson_doc_free(doc);
  return NULL;
#undef HJSON_RESERVE
}

hjson_doc_t* hjson_parse(const char* data, size_t len, const hak_alc_t* alc, hjson_error_t* err) {
  return hjson_parse_opts(data, len, NULL, alc, err);
}
