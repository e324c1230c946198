/* hkgen.h: a generator of synthetic hk programs (docs/language.md).

   The same (seed, functions) always gives the same program, byte for byte.
   A program has `functions` functions fN(d, a, b) with loops (range, while,
   for-in over arrays and maps), branches (if/else-if chains, and/or/not),
   array, map and string work (push, index, has, keys, str, substr, find,
   split, join, upper, concatenation), constant subexpressions and dead
   values for the optimizer, and calls to later functions guarded by the
   depth budget d, so every program terminates quickly; the script body calls
   every function and prints what they return. Programs are meant to run
   without runtime errors (divisors are never zero, indices are reduced
   modulo the length of non-empty arrays, map reads are guarded by has), so
   their whole output can be compared between compilers.

   Used by bench/mir (the mir benchmark scenario) and tests/mir (the
   differential test of the passes). */
#ifndef HKGEN_H
#define HKGEN_H

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hkgen_options_s {
  uint64_t seed;        // any value
  uint32_t functions;   // functions besides the script body (>= 1)
  uint32_t stmts;       // statements per function body, about (default 12)
  uint32_t depth;       // nesting of blocks inside a function (default 3)
  uint32_t call_depth;  // the d the script body passes (default 2): bounds run time
} hkgen_options_t;

// Fills *opt with the defaults for `seed` and `functions`.
void hkgen_options_init(hkgen_options_t* opt, uint64_t seed, uint32_t functions);
// Writes one program to out. Returns the number of bytes written, or -1 on
// an output error.
long hkgen_write(FILE* out, const hkgen_options_t* opt);

#ifdef __cplusplus
}
#endif

#endif  // HKGEN_H
