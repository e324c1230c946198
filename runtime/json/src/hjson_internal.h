/* hjson_internal.h: cross-file functions of runtime/json and the static
   inline helpers they share (allocation through the context with json.*
   sites, container sizes, byte-class tests, UTF-8 decoding). */
#ifndef HJSON_INTERNAL_H
#define HJSON_INTERNAL_H

#include <string.h>

#include "hjson_types.h"

#define hjson_likely(x) (__builtin_expect(!!(x), 1))
#define hjson_unlikely(x) (__builtin_expect(!!(x), 0))
#define HJSON_NOINLINE __attribute__((noinline))
#define HJSON_INLINE static inline __attribute__((always_inline))

// ----- Sites -----
#define HJSON_SITE_DOC HAK_SITE(HAK_SUBSYS("json"), "json.document")
#define HJSON_SITE_STR HAK_SITE(HAK_SUBSYS("json"), "json.string")
#define HJSON_SITE_KEY HAK_SITE(HAK_SUBSYS("json"), "json.key")
#define HJSON_SITE_ARR HAK_SITE(HAK_SUBSYS("json"), "json.array")
#define HJSON_SITE_OBJ HAK_SITE(HAK_SUBSYS("json"), "json.object")
#define HJSON_SITE_ITEMS HAK_SITE(HAK_SUBSYS("json"), "json.items")
#define HJSON_SITE_PSTACK HAK_SITE(HAK_SUBSYS("json"), "json.parse.stack")
#define HJSON_SITE_PSCRATCH HAK_SITE(HAK_SUBSYS("json"), "json.parse.scratch")
#define HJSON_SITE_WBUF HAK_SITE(HAK_SUBSYS("json"), "json.write.buffer")
#define HJSON_SITE_WSTACK HAK_SITE(HAK_SUBSYS("json"), "json.write.stack")

// ----- "tables.c" -----
extern const uint64_t _hjson_pow5_128[651][2];  // 5^q for q in [-342, 308]
extern const uint64_t _hjson_pow10_g[617][2];   // Schubfach g(k) for k in [-324, 292]

// ----- "doc.c" -----
// Frees what v holds (string or whole subtree); v itself is left as is.
void _hjson_val_release(const hak_alc_t* alc, hjson_val_t* v);
// A container node with room for n entries inline; len 0. NULL on OOM.
hjson_ctn_t* _hjson_ctn_new(const hak_alc_t* alc, uint32_t kind, size_t n);
// A copy of s[0..len) with a NUL, from site; NULL on OOM.
char* _hjson_str_dup(const hak_alc_t* alc, const char* s, size_t len, hak_site_t site);

// ----- "read.c" -----
// 1 for the bytes a string scan stops at: '"', '\\', below 0x20, above 0x7f.
extern const uint8_t _hjson_str_stop[256];

// ----- "number.c" -----
// Reads a JSON number at p (p < end, *p is '-' or a digit) into *out.
// Returns the end of the number, or NULL with *err_at and *msg set.
const uint8_t* _hjson_num_read(const uint8_t* p, const uint8_t* end, hjson_val_t* out, const uint8_t** err_at,
                               const char** msg);

// ----- "dtoa.c" -----
// Writes the decimal digits of 0 < v < 10^20 at out; returns the count.
size_t _hjson_u64_digits(uint64_t v, char* out);

// ----- "write.c" -----
// Makes room for n more bytes in w->buf; false (and w->err set) on failure.
bool _hjson_writer_grow(hjson_writer_t* w, size_t n);

// ----- Allocation through the context -----
HJSON_INLINE const hak_alc_t* hjson_alc_or_default(const hak_alc_t* alc) { return alc ? alc : hak_alc_default(); }
HJSON_INLINE void* hjson_alloc(const hak_alc_t* a, size_t n, hak_site_t site) { return a->alloc(a->ctx, n, site); }
HJSON_INLINE void* hjson_realloc(const hak_alc_t* a, void* p, size_t old_n, size_t n, hak_site_t site) {
  return a->realloc(a->ctx, p, old_n, n, site);
}
HJSON_INLINE void hjson_free(const hak_alc_t* a, void* p, size_t n, hak_site_t site) {
  if (p) a->free(a->ctx, p, n, site);
}

// ----- Values and containers -----
HJSON_INLINE uint32_t hjson_tag_type(uint64_t tag) { return (uint32_t)(tag & HJSON_TAG_TYPE_MASK); }
HJSON_INLINE size_t hjson_tag_len(uint64_t tag) { return (size_t)(tag >> HJSON_TAG_LEN_SHIFT); }
HJSON_INLINE uint64_t hjson_tag_str(size_t len) { return HJSON_STRING | ((uint64_t)len << HJSON_TAG_LEN_SHIFT); }
// Value slots per entry: 2 for an object (key, value), 1 for an array.
HJSON_INLINE size_t hjson_ctn_stride(uint32_t kind) { return kind == HJSON_OBJECT ? 2 : 1; }
// Size of the container's node block (header + inline entries).
HJSON_INLINE size_t hjson_ctn_size(const hjson_ctn_t* c) {
  return sizeof(hjson_ctn_t) + (size_t)c->inl * hjson_ctn_stride(c->kind) * sizeof(hjson_val_t);
}
HJSON_INLINE hak_site_t hjson_ctn_site(uint32_t kind) { return kind == HJSON_OBJECT ? HJSON_SITE_OBJ : HJSON_SITE_ARR; }

// ----- Bytes -----
HJSON_INLINE uint64_t hjson_load64(const void* p) {
  uint64_t x;
  memcpy(&x, p, 8);
  return x;
}
// Bit 7 of each byte of x set where the byte is '"', '\\', below 0x20 or above
// 0x7f; a byte after a flagged one may be flagged falsely, the first never is.
HJSON_INLINE uint64_t hjson_swar_special(uint64_t x) {
  const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
  uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
  uint64_t zq = (q - ones) & ~q, zb = (b - ones) & ~b, lt = (x - ones * 0x20) & ~x;
  return (zq | zb | lt | x) & high;
}
// The length (2..4) of the valid UTF-8 sequence at p (p < end, *p >= 0x80), or 0.
HJSON_INLINE size_t hjson_utf8_seq(const uint8_t* p, const uint8_t* end) {
  uint32_t c = p[0];
  size_t avail = (size_t)(end - p);
  if (c < 0xc2) return 0;
  if (c < 0xe0) return (avail >= 2 && (p[1] & 0xc0) == 0x80) ? 2 : 0;
  if (c < 0xf0) {
    if (avail < 3 || (p[2] & 0xc0) != 0x80) return 0;
    uint32_t lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    return (p[1] >= lo && p[1] <= hi) ? 3 : 0;
  }
  if (c < 0xf5) {
    if (avail < 4 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80) return 0;
    uint32_t lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    return (p[1] >= lo && p[1] <= hi) ? 4 : 0;
  }
  return 0;
}

#endif  // HJSON_INTERNAL_H
