/* dtoa.c: doubles and ints to text; Python repr(float) format.

   Shortest digits: Schubfach (R. Giulietti, "The Schubfach way to render
   doubles", 2020), written from the paper. With v = c * 2^q and its rounding
   interval R = [c - 1/2, c + 1/2] * 2^q (c - 1/4 below a power of two; closed
   when c is even), choose k = floor(log10(width of R)) so that R scaled by
   10^-k is 1 to 10 units wide. Then at most one multiple of 10 lies in the
   scaled R (that one is the shortest answer); otherwise the answer is s or
   s + 1 (s = floor of scaled v) whichever lies in R, the closer one if both
   (ties to even). The scaled bounds are computed as (4 * value * g) >> 127
   with g a 126-bit upper approximation of 10^-k (tables.c) and a sticky bit
   ("round to odd"), which the paper proves exact for these comparisons.
   Integers below 2^53 take a shortcut: their own digits are the shortest.
   Invariant: the output reads back (strtod) as exactly v, has no fewer digits
   than any other that does, and is the closest to v among those. */
#include <math.h>

#include "hjson_internal.h"

#define HJSON_C_MIN ((uint64_t)1 << 52)
#define HJSON_Q_MIN (-1074)
#define HJSON_K_MIN (-324)
#define HJSON_MASK63 (((uint64_t)1 << 63) - 1)

// floor(q * log10(2)), floor(log10(3/4 * 2^q)), floor(e * log2(10)): exact on
// the ranges used (gen_tables.py checks them).
HJSON_INLINE int hjson_flog10pow2(int q) { return (int)(((int64_t)q * 661971961083) >> 41); }
HJSON_INLINE int hjson_flog10threequarterspow2(int q) {
  return (int)(((int64_t)q * 661971961083 - 274743187321) >> 41);
}
HJSON_INLINE int hjson_flog2pow10(int e) { return (int)(((int64_t)e * 913124641741) >> 38); }

HJSON_INLINE uint64_t hjson_umulhi(uint64_t a, uint64_t b) { return (uint64_t)(((unsigned __int128)a * b) >> 64); }

// (g * cp) >> 127 with g = g1 * 2^63 + g0, the lowest bit or-ed with "inexact".
HJSON_INLINE uint64_t hjson_rop(uint64_t g1, uint64_t g0, uint64_t cp) {
  uint64_t x1 = hjson_umulhi(g0, cp);
  uint64_t y0 = g1 * cp;
  uint64_t y1 = hjson_umulhi(g1, cp);
  uint64_t z = (y0 >> 1) + x1;
  uint64_t vbp = y1 + (z >> 63);
  return vbp | (((z & HJSON_MASK63) + HJSON_MASK63) >> 63);
}

// Shortest decimal of c * 2^q (c > 0): digits in *f, returns the exponent k
// with value f * 10^k.
static int hjson_schubfach(uint64_t c, int q, uint64_t* f) {
  uint64_t out = c & 1;  // 1: the bounds of R are excluded
  uint64_t cb = c << 2, cbr = cb + 2, cbl;
  int k;
  if (c != HJSON_C_MIN || q == HJSON_Q_MIN) {
    cbl = cb - 2;
    k = hjson_flog10pow2(q);
  } else {  // a power of two: the predecessor is half as far
    cbl = cb - 1;
    k = hjson_flog10threequarterspow2(q);
  }
  int h = q + hjson_flog2pow10(-k) + 2;  // 2..5
  const uint64_t* g = _hjson_pow10_g[k - HJSON_K_MIN];
  uint64_t vb = hjson_rop(g[0], g[1], cb << h);
  uint64_t vbl = hjson_rop(g[0], g[1], cbl << h);
  uint64_t vbr = hjson_rop(g[0], g[1], cbr << h);
  uint64_t s = vb >> 2;
  uint64_t sp10 = s / 10 * 10, tp10 = sp10 + 10;
  bool upin = vbl + out <= sp10 << 2, wpin = (tp10 << 2) + out <= vbr;
  if (upin != wpin) {  // one multiple of 10 in R: one digit shorter (or more)
    *f = upin ? sp10 : tp10;
    return k;
  }
  uint64_t t = s + 1;
  bool uin = vbl + out <= s << 2, win = (t << 2) + out <= vbr;
  if (uin != win) {
    *f = uin ? s : t;
    return k;
  }
  int64_t cmp = (int64_t)(vb - ((s + t) << 1));  // sign of v - (s + 1/2)
  *f = (cmp < 0 || (cmp == 0 && (s & 1) == 0)) ? s : t;
  return k;
}

// ----- Digits -----
static const char hjson_digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

HJSON_INLINE int hjson_u64_len(uint64_t v) {
  int n = 1;
  for (;;) {
    if (v < 10) return n;
    if (v < 100) return n + 1;
    if (v < 1000) return n + 2;
    if (v < 10000) return n + 3;
    v /= 10000;
    n += 4;
  }
}

size_t _hjson_u64_digits(uint64_t v, char* out) {
  int n = hjson_u64_len(v);
  char* p = out + n;
  while (v >= 100) {
    uint64_t r = v % 100;
    v /= 100;
    p -= 2;
    memcpy(p, &hjson_digits2[r * 2], 2);
  }
  if (v >= 10) {
    p -= 2;
    memcpy(p, &hjson_digits2[v * 2], 2);
  } else {
    *--p = (char)('0' + v);
  }
  return (size_t)n;
}

size_t hjson_itoa(int64_t i, char out[24]) {
  size_t n = 0;
  uint64_t u = (uint64_t)i;
  if (i < 0) {
    out[n++] = '-';
    u = 0 - u;
  }
  n += _hjson_u64_digits(u, out + n);
  out[n] = 0;
  return n;
}

// ----- Python repr layout -----
// digits d[0..n) (no trailing zeros) times 10^(x - n + 1): x is the exponent
// of the first digit.
static size_t hjson_repr_layout(char* out, const char* d, int n, int x) {
  char* o = out;
  if (x >= -4 && x < 16) {
    if (x < 0) {  // 0.000ddd
      memcpy(o, "0.0000", (size_t)(1 - x));
      o += 1 - x;
      memcpy(o, d, (size_t)n);
      o += n;
    } else if (n <= x + 1) {  // ddd000.0
      memcpy(o, d, (size_t)n);
      o += n;
      memset(o, '0', (size_t)(x + 1 - n));
      o += x + 1 - n;
      memcpy(o, ".0", 2);
      o += 2;
    } else {  // dd.ddd
      memcpy(o, d, (size_t)(x + 1));
      o += x + 1;
      *o++ = '.';
      memcpy(o, d + x + 1, (size_t)(n - x - 1));
      o += n - x - 1;
    }
  } else {  // d.ddde+XX
    *o++ = d[0];
    if (n > 1) {
      *o++ = '.';
      memcpy(o, d + 1, (size_t)(n - 1));
      o += n - 1;
    }
    *o++ = 'e';
    *o++ = x < 0 ? '-' : '+';
    unsigned ax = (unsigned)(x < 0 ? -x : x);
    if (ax >= 100) {
      *o++ = (char)('0' + ax / 100);
      ax %= 100;
    }
    memcpy(o, &hjson_digits2[ax * 2], 2);
    o += 2;
  }
  *o = 0;
  return (size_t)(o - out);
}

size_t hjson_dtoa(double v, char out[32]) {
  uint64_t bits;
  memcpy(&bits, &v, 8);
  char* o = out;
  if (bits >> 63) *o++ = '-';
  uint64_t frac = bits & (HJSON_C_MIN - 1);
  int be = (int)((bits >> 52) & 0x7ff);
  if hjson_unlikely(be == 0x7ff) {
    if (frac) {
      memcpy(out, "nan", 4);
      return 3;
    }
    memcpy(o, "inf", 4);
    return (size_t)(o - out) + 3;
  }
  if (be == 0 && frac == 0) {
    memcpy(o, "0.0", 4);
    return (size_t)(o - out) + 3;
  }
  uint64_t c = be ? frac | HJSON_C_MIN : frac, f;
  int q = be ? be - 1075 : HJSON_Q_MIN, k;
  if (q <= 0 && q >= -52 && (c & (((uint64_t)1 << -q) - 1)) == 0) {  // an integer below 2^53
    f = c >> -q;
    k = 0;
  } else {
    k = hjson_schubfach(c, q, &f);
  }
  while (f % 10 == 0) {  // at most 16 rounds; f != 0
    f /= 10;
    k++;
  }
  char d[24];
  int n = (int)_hjson_u64_digits(f, d);
  return (size_t)(o - out) + hjson_repr_layout(o, d, n, k + n - 1);
}
