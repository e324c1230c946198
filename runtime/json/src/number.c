/* number.c: decimal text to int64 and double, correctly rounded and
   independent of the locale.

   A number is first reduced to w * 10^q with w holding the first 19
   significant digits (a flag says whether non-zero digits were dropped).
   Then, fastest first:
   1. Clinger's exact path: w <= 2^53 and |q| <= 22, one IEEE multiply or
      divide of two exact doubles (correctly rounded by the FPU).
   2. Eisel-Lemire: w times a 128-bit approximation of 10^q (tables.c), with
      the rounding conditions under which the result is known exact. With
      dropped digits it runs for w and w + 1; equal results are the answer.
   3. Otherwise (rare: more than 19 digits straddling a rounding boundary, or
      an ambiguous product) strtod_l with the "C" locale on a canonical copy
      of at most 800 significant digits plus a sticky digit.
   Invariant: the result is the double nearest to the exact decimal value,
   ties to even (IEEE round-to-nearest). */
#define _GNU_SOURCE 1  // strtod_l, newlocale
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "hjson_internal.h"

// ----- Decimal scan -----
typedef struct hjson_dec_s {
  uint64_t w;        // first (up to) 19 significant digits
  int64_t q;         // value = w * 10^q (+ dropped digits)
  bool trunc;        // non-zero digits were dropped
  bool neg;          // sign
  bool is_int;       // no fraction and no exponent part
  int digits;        // significant digits in w
  const uint8_t* s;  // the text (sign included) ...
  const uint8_t* e;  // ... up to here
} hjson_dec_t;

#define HJSON_EXP_CLAMP 100000000  // |exponent| beyond this gives 0 or inf anyway

HJSON_INLINE bool hjson_is_digit(const uint8_t* p, const uint8_t* end) { return p < end && (unsigned)(*p - '0') < 10; }

// Scans the digits starting at p into d; returns past them. frac: digits after '.'.
HJSON_INLINE const uint8_t* hjson_dec_digits(hjson_dec_t* d, const uint8_t* p, const uint8_t* end, bool frac) {
  for (; p < end; p++) {
    unsigned x = (unsigned)(*p - '0');
    if (x >= 10) break;
    if (d->digits < 19) {
      if (d->w == 0 && x == 0) {  // a leading zero: not significant
        if (frac) d->q--;
        continue;
      }
      d->w = d->w * 10 + x;
      d->digits++;
      if (frac) d->q--;
    } else {
      d->trunc |= x != 0;
      if (!frac) d->q++;
    }
  }
  return p;
}

// Scans an exponent part at p (p at 'e'/'E'); NULL when no digit follows.
static const uint8_t* hjson_dec_exp(hjson_dec_t* d, const uint8_t* p, const uint8_t* end) {
  p++;
  bool eneg = false;
  if (p < end && (*p == '+' || *p == '-')) eneg = *p++ == '-';
  if (!hjson_is_digit(p, end)) return NULL;
  int64_t e = 0;
  for (; hjson_is_digit(p, end); p++)
    if (e < HJSON_EXP_CLAMP) e = e * 10 + (*p - '0');
  d->q += eneg ? -e : e;
  return p;
}

// ----- Conversion -----
static const double hjson_pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

HJSON_INLINE uint64_t hjson_mulhi64(uint64_t a, uint64_t b, uint64_t* lo) {
  unsigned __int128 r = (unsigned __int128)a * b;
  *lo = (uint64_t)r;
  return (uint64_t)(r >> 64);
}

// Eisel-Lemire for w * 10^q, w != 0, q in [-342, 308]: the bits of the
// positive double, or UINT64_MAX when the answer is not certain.
static uint64_t hjson_eisel_lemire(uint64_t w, int64_t q) {
  int lz = __builtin_clzll(w);
  w <<= lz;
  const uint64_t* t = _hjson_pow5_128[q + 342];
  uint64_t lo, hi = hjson_mulhi64(w, t[0], &lo);
  if ((hi & 0x1ff) == 0x1ff) {  // the low bits may carry: refine with the next 64 bits
    uint64_t lo2, hi2 = hjson_mulhi64(w, t[1], &lo2);
    (void)lo2;
    lo += hi2;
    if (hi2 > lo) hi++;
    if (lo == UINT64_MAX && (q < -27 || q > 55)) return UINT64_MAX;  // still ambiguous
  }
  int upper = (int)(hi >> 63);
  int shift = upper + 9;
  uint64_t m = hi >> shift;  // 54 bits: 53 + a rounding bit
  int64_t p2 = ((217706 * q) >> 16) + 63 + upper - lz + 1023;
  if (p2 <= 0) {  // subnormal (or zero)
    if (-p2 + 1 >= 64) return 0;
    m >>= -p2 + 1;
    m += m & 1;
    m >>= 1;
    p2 = m < ((uint64_t)1 << 52) ? 0 : 1;
    return ((uint64_t)p2 << 52) | (m & (((uint64_t)1 << 52) - 1));
  }
  // Exactly half-way (possible only for small |q|): round to even, not up.
  if (lo <= 1 && q >= -4 && q <= 23 && (m & 3) == 1 && (m << shift) == hi) m &= ~(uint64_t)1;
  m += m & 1;
  m >>= 1;
  if (m >= ((uint64_t)2 << 52)) {
    m = (uint64_t)1 << 52;
    p2++;
  }
  if (p2 >= 0x7ff) return (uint64_t)0x7ff << 52;  // infinity
  return ((uint64_t)p2 << 52) | (m & (((uint64_t)1 << 52) - 1));
}

static locale_t hjson_c_locale;
static pthread_once_t hjson_c_locale_once = PTHREAD_ONCE_INIT;
static void hjson_c_locale_init(void) { hjson_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

// The exact fallback: strtod_l("C") on a canonical copy of d's text.
static HJSON_NOINLINE double hjson_dec_slow(const hjson_dec_t* d) {
  char buf[840];
  size_t n = 0;
  bool sticky = false, seen = false;
  int64_t exp10 = 0;  // value = 0.DIGITS * 10^exp10 before the explicit exponent
  const uint8_t* p = d->s;
  if (p < d->e && (*p == '-' || *p == '+')) p++;
  bool frac = false;
  for (; p < d->e; p++) {
    if (*p == '.') {
      frac = true;
      continue;
    }
    if (*p == 'e' || *p == 'E') break;
    int x = *p - '0';
    if (!seen && x == 0) {
      if (frac) exp10--;
      continue;
    }
    seen = true;
    if (!frac) exp10++;
    if (n < 800) buf[n++] = (char)('0' + x);
    else sticky |= x != 0;
  }
  if (!seen) return d->neg ? -0.0 : 0.0;
  if (sticky) buf[n++] = '1';
  // Explicit exponent part, clamped the same way as the scan.
  int64_t e = 0;
  if (p < d->e) {
    hjson_dec_t tmp = {0};
    hjson_dec_exp(&tmp, p, d->e);
    e = tmp.q;
  }
  e += exp10;
  if (e > 400) return d->neg ? -HUGE_VAL : HUGE_VAL;
  if (e < -400) return d->neg ? -0.0 : 0.0;
  // buf reads DIGITS e X with value DIGITS * 10^X = 0.DIGITS * 10^e.
  snprintf(buf + n, sizeof(buf) - n, "e%d", (int)(e - (int64_t)n));
  pthread_once(&hjson_c_locale_once, hjson_c_locale_init);
  if (!hjson_c_locale) return NAN;
  double v = strtod_l(buf, NULL, hjson_c_locale);
  return d->neg ? -v : v;
}

// The double nearest to d (±inf when out of range).
static double hjson_dec_to_double(const hjson_dec_t* d) {
  double v;
  if (d->w == 0) return d->neg ? -0.0 : 0.0;  // (dropped digits imply w != 0)
  if (!d->trunc && d->w <= ((uint64_t)1 << 53) && d->q >= -22 && d->q <= 22) {
    v = (double)d->w;
    v = d->q < 0 ? v / hjson_pow10_exact[-d->q] : v * hjson_pow10_exact[d->q];
    return d->neg ? -v : v;
  }
  if (d->q < -342) return d->neg ? -0.0 : 0.0;  // below 10^-324 even with dropped digits
  if (d->q > 308) return d->neg ? -HUGE_VAL : HUGE_VAL;
  uint64_t bits = hjson_eisel_lemire(d->w, d->q);
  if (d->trunc && bits != UINT64_MAX && hjson_eisel_lemire(d->w + 1, d->q) != bits) bits = UINT64_MAX;
  if hjson_unlikely(bits == UINT64_MAX) return hjson_dec_slow(d);
  bits |= (uint64_t)d->neg << 63;
  memcpy(&v, &bits, 8);
  return v;
}

// ----- JSON numbers -----
const uint8_t* _hjson_num_read(const uint8_t* p, const uint8_t* end, hjson_val_t* out, const uint8_t** err_at,
                               const char** msg) {
  hjson_dec_t d = {.s = p, .is_int = true};
  if (*p == '-') {
    d.neg = true;
    p++;
  }
  if hjson_unlikely(!hjson_is_digit(p, end)) {
    *err_at = p;
    *msg = "expected a digit after '-'";
    return NULL;
  }
  if (*p == '0') {
    p++;
    if hjson_unlikely(hjson_is_digit(p, end)) {
      *err_at = p - 1;
      *msg = "leading zeros are not allowed";
      return NULL;
    }
  } else {
    p = hjson_dec_digits(&d, p, end, false);
  }
  if (p < end && *p == '.') {
    d.is_int = false;
    p++;
    if hjson_unlikely(!hjson_is_digit(p, end)) {
      *err_at = p;
      *msg = "expected a digit after '.'";
      return NULL;
    }
    p = hjson_dec_digits(&d, p, end, true);
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    d.is_int = false;
    const uint8_t* q = hjson_dec_exp(&d, p, end);
    if hjson_unlikely(!q) {
      *err_at = p + 1 < end && (p[1] == '+' || p[1] == '-') ? p + 2 : p + 1;
      *msg = "expected a digit in the exponent";
      return NULL;
    }
    p = q;
  }
  d.e = p;
  if (d.is_int && d.q == 0 && !d.trunc) {  // at most 19 digits: an int if it fits
    uint64_t lim = (uint64_t)INT64_MAX + d.neg;
    if (d.w <= lim) {
      out->tag = HJSON_INT;
      out->u.i = d.neg ? (int64_t)(0 - d.w) : (int64_t)d.w;
      return p;
    }
  }
  double v = hjson_dec_to_double(&d);
  if hjson_unlikely(!isfinite(v)) {
    *err_at = d.s;
    *msg = isnan(v) ? "out of memory reading a number" : "number out of range";
    return NULL;
  }
  out->tag = HJSON_DOUBLE;
  out->u.d = v;
  return p;
}

size_t hjson_read_number(const char* s, size_t len, hjson_val_t* out) {
  if (!s || !len || !out) return 0;
  const uint8_t* p = (const uint8_t*)s;
  if (*p != '-' && (unsigned)(*p - '0') >= 10) return 0;
  const uint8_t* err_at;
  const char* msg;
  hjson_val_t v;
  const uint8_t* e = _hjson_num_read(p, p + len, &v, &err_at, &msg);
  if (!e) return 0;
  *out = v;
  return (size_t)(e - p);
}

size_t hjson_read_double(const char* s, size_t len, double* out) {
  if (!s || !out) return 0;
  const uint8_t *p = (const uint8_t*)s, *end = p + len;
  hjson_dec_t d = {.s = p};
  if (p < end && (*p == '-' || *p == '+')) d.neg = *p++ == '-';
  if (!hjson_is_digit(p, end)) return 0;
  p = hjson_dec_digits(&d, p, end, false);
  if (p + 1 < end && *p == '.' && hjson_is_digit(p + 1, end)) p = hjson_dec_digits(&d, p + 1, end, true);
  if (p < end && (*p == 'e' || *p == 'E')) {
    const uint8_t* q = hjson_dec_exp(&d, p, end);
    if (q) p = q;
  }
  d.e = p;
  double v = hjson_dec_to_double(&d);
  if (isnan(v)) return 0;
  *out = v;
  return (size_t)(p - (const uint8_t*)s);
}
