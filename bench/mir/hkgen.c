/* hkgen.c: synthetic hk programs (hkgen.h).

   A tiny type-directed generator: it keeps the variables in scope with their
   type (int, string, array of ints, map of string to int, float) and writes
   statements and expressions that are well typed by construction:
   - divisors are `(e % 7 + 8)`, never zero whatever % does with signs;
   - array indices are `((e % n + n) % n)` with n = len(arr) > 0 (arrays
     start with three items and are never popped);
   - map reads sit under `if has(m, k)`;
   - while loops count a read-only counter up to a small bound and never
     `continue` (that would skip the increment); for-in loops never change
     the collection they walk;
   - calls go to later functions only, under `if d > 0` with d - 1, so the
     call tree is bounded by call_depth.
   Ints may wrap (defined in hk), floats only print. splitmix64 drives every
   choice, so a seed gives the same program on every machine. */
#include "hkgen.h"

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

enum { T_INT, T_STR, T_ARR, T_MAP, T_FLOAT, T_COUNT };

#define GEN_MAX_VARS 512

typedef struct gen_var_s {
  char name[16];
  uint8_t type;
  bool ro;      // a loop counter or loop variable: never assigned
  bool busy;    // a collection being iterated: never changed
} gen_var_t;

typedef struct gen_s {
  FILE* out;
  long bytes;
  bool err;
  uint64_t rng;
  const hkgen_options_t* opt;
  uint32_t fn;                 // the function being written
  gen_var_t vars[GEN_MAX_VARS];
  uint32_t nvars;
  uint32_t next;               // unique suffix for new names
  uint32_t loops;              // enclosing loops
  uint32_t whiles;             // enclosing while loops (no continue there)
  uint32_t indent;
} gen_t;

// ----- Randomness and output -----
static uint64_t gen_rand(gen_t* g) {  // splitmix64
  uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static uint32_t gen_below(gen_t* g, uint32_t n) { return n ? (uint32_t)(gen_rand(g) % n) : 0; }
static bool gen_chance(gen_t* g, uint32_t percent) { return gen_below(g, 100) < percent; }

static void gen_printf(gen_t* g, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(g->out, fmt, ap);
  va_end(ap);
  if (n < 0) g->err = true;
  else g->bytes += n;
}

static void gen_line(gen_t* g) {
  for (uint32_t k = 0; k < g->indent; k++) gen_printf(g, "  ");
}

// ----- Scope -----
static const gen_var_t* gen_pick(gen_t* g, uint8_t type, bool writable) {
  uint32_t n = 0;
  for (uint32_t k = 0; k < g->nvars; k++) n += g->vars[k].type == type && !(writable && (g->vars[k].ro || g->vars[k].busy));
  if (n == 0) return NULL;
  uint32_t want = gen_below(g, n);
  for (uint32_t k = 0; k < g->nvars; k++) {
    if (g->vars[k].type == type && !(writable && (g->vars[k].ro || g->vars[k].busy)) && want-- == 0) return &g->vars[k];
  }
  return NULL;
}

static gen_var_t* gen_declare(gen_t* g, const char* prefix, uint8_t type, bool ro) {
  if (g->nvars == GEN_MAX_VARS) g->nvars--;  // reuse the last slot: its name stays valid in hk scoping
  gen_var_t* v = &g->vars[g->nvars++];
  snprintf(v->name, sizeof v->name, "%s%u", prefix, g->next++);
  v->type = type;
  v->ro = ro;
  v->busy = false;
  return v;
}

// ----- Expressions -----
static void gen_int(gen_t* g, int depth);
static void gen_cond(gen_t* g, int depth);

static void gen_small(gen_t* g) {
  static const int64_t edge[] = {0, 1, 2, 7, 100, 255, 256, -1, -128, 1000003, 9007199254740993, -9223372036854775807};
  if (gen_chance(g, 85)) gen_printf(g, "%u", gen_below(g, 50));
  else gen_printf(g, "%lld", (long long)edge[gen_below(g, sizeof edge / sizeof edge[0])]);
}

static void gen_int_leaf(gen_t* g) {
  const gen_var_t* v;
  switch (gen_below(g, 6)) {
    case 0: case 1:
      if ((v = gen_pick(g, T_INT, false))) {
        gen_printf(g, "%s", v->name);
        return;
      }
      break;
    case 2:
      if ((v = gen_pick(g, T_ARR, false))) {
        gen_printf(g, "len(%s)", v->name);
        return;
      }
      break;
    case 3:
      if ((v = gen_pick(g, T_STR, false))) {
        gen_printf(g, "len(%s)", v->name);
        return;
      }
      break;
    default: break;
  }
  gen_small(g);
}

static void gen_array_read(gen_t* g, const gen_var_t* a, int depth) {
  gen_printf(g, "%s[((", a->name);
  gen_int(g, depth - 1);
  gen_printf(g, ") %% len(%s) + len(%s)) %% len(%s)]", a->name, a->name, a->name);
}

static void gen_int(gen_t* g, int depth) {
  if (depth <= 0 || gen_chance(g, 30)) {
    gen_int_leaf(g);
    return;
  }
  const gen_var_t* v;
  switch (gen_below(g, 10)) {
    case 0: case 1: case 2: {
      static const char* const ops[] = {"+", "-", "*", "+"};
      gen_printf(g, "(");
      gen_int(g, depth - 1);
      gen_printf(g, " %s ", ops[gen_below(g, 4)]);
      gen_int(g, depth - 1);
      gen_printf(g, ")");
      return;
    }
    case 3:
      gen_printf(g, "(");
      gen_int(g, depth - 1);
      gen_printf(g, gen_chance(g, 50) ? " / (" : " %% (");
      gen_int(g, depth - 1);
      gen_printf(g, " %% 7 + 8))");
      return;
    case 4:  // constant subexpression, for the folder
      gen_printf(g, "(%u * %u + %u - %u)", gen_below(g, 9), gen_below(g, 9), gen_below(g, 20), gen_below(g, 5));
      return;
    case 5:
      if ((v = gen_pick(g, T_ARR, false))) {
        gen_array_read(g, v, depth);
        return;
      }
      break;
    case 6:
      if ((v = gen_pick(g, T_STR, false))) {
        gen_printf(g, "find(%s, \"%c\")", v->name, "ab1-x"[gen_below(g, 5)]);
        return;
      }
      break;
    case 7:
      gen_printf(g, "-");
      gen_int(g, depth - 1);
      return;
    case 8:  // a conditional value: ints are always true, so this is c ? e1 : e2
      gen_printf(g, "((");
      gen_cond(g, 1);
      gen_printf(g, ") and ");
      gen_int(g, depth - 1);
      gen_printf(g, " or ");
      gen_int(g, depth - 1);
      gen_printf(g, ")");
      return;
    default: break;
  }
  gen_int_leaf(g);
}

static void gen_cond(gen_t* g, int depth) {
  const gen_var_t* v;
  switch (depth <= 0 ? gen_below(g, 3) : gen_below(g, 10)) {
    case 0: {
      static const char* const cmp[] = {"<", "<=", ">", ">=", "==", "!="};
      gen_int(g, 1);
      gen_printf(g, " %s ", cmp[gen_below(g, 6)]);
      gen_int(g, 1);
      return;
    }
    case 1:
      gen_int(g, 1);
      gen_printf(g, " %% 2 == %u", gen_below(g, 2));
      return;
    case 2:
      if ((v = gen_pick(g, T_MAP, false))) {
        gen_printf(g, "has(%s, \"k%u\")", v->name, gen_below(g, 5));
        return;
      }
      gen_printf(g, gen_chance(g, 50) ? "true" : "false");  // constant branches, for the cfg pass
      return;
    case 3: case 4:
      gen_printf(g, "(");
      gen_cond(g, depth - 1);
      gen_printf(g, gen_chance(g, 50) ? " and " : " or ");
      gen_cond(g, depth - 1);
      gen_printf(g, ")");
      return;
    case 5:
      gen_printf(g, "not (");
      gen_cond(g, depth - 1);
      gen_printf(g, ")");
      return;
    case 6:
      if ((v = gen_pick(g, T_STR, false))) {
        gen_printf(g, "len(%s) > %u", v->name, gen_below(g, 12));
        return;
      }
      break;
    case 7:
      if ((v = gen_pick(g, T_FLOAT, false))) {
        gen_printf(g, "%s < %u.5", v->name, gen_below(g, 40));
        return;
      }
      break;
    default: break;
  }
  gen_int(g, 1);
  gen_printf(g, " < ");
  gen_int(g, 1);
}

// ----- Statements -----
static void gen_block(gen_t* g, uint32_t n, uint32_t depth);

// " {" and a deeper indent; gen_close ends the block and its scope.
static void gen_open(gen_t* g) {
  gen_printf(g, " {\n");
  g->indent++;
}

static void gen_close(gen_t* g, uint32_t mark) {
  g->indent--;
  gen_line(g);
  gen_printf(g, "}");
  g->nvars = mark;
}

static void gen_if(gen_t* g, uint32_t depth) {
  gen_line(g);
  gen_printf(g, "if ");
  gen_cond(g, 2);
  uint32_t mark = g->nvars;
  gen_open(g);
  gen_block(g, 1 + gen_below(g, 3), depth - 1);
  gen_close(g, mark);
  uint32_t elifs = gen_chance(g, 30) ? 1 + gen_below(g, 3) : 0;
  for (uint32_t k = 0; k < elifs; k++) {
    gen_printf(g, " else if ");
    gen_cond(g, 1);
    gen_open(g);
    gen_block(g, 1 + gen_below(g, 2), depth - 1);
    gen_close(g, mark);
  }
  if (gen_chance(g, 50)) {
    gen_printf(g, " else");
    gen_open(g);
    gen_block(g, 1 + gen_below(g, 2), depth - 1);
    gen_close(g, mark);
  }
  gen_printf(g, "\n");
}

static void gen_range(gen_t* g, uint32_t depth) {
  uint32_t mark = g->nvars;
  gen_var_t* i = gen_declare(g, "i", T_INT, true);
  i->type = T_COUNT;  // not visible in the range's own arguments
  gen_line(g);
  switch (gen_below(g, 4)) {
    case 0: gen_printf(g, "for %s in range(%u)", i->name, 1 + gen_below(g, 6)); break;
    case 1: gen_printf(g, "for %s in range(%u, 0, -%u)", i->name, 2 + gen_below(g, 8), 1 + gen_below(g, 3)); break;
    case 2:
      gen_printf(g, "for %s in range(0, ", i->name);
      gen_int(g, 1);
      gen_printf(g, " %% 4 + 4)");
      break;
    default: gen_printf(g, "for %s in range(%u, %u)", i->name, gen_below(g, 3), 3 + gen_below(g, 5)); break;
  }
  i->type = T_INT;
  g->loops++;
  gen_open(g);
  gen_block(g, 1 + gen_below(g, 4), depth - 1);
  gen_close(g, mark);
  g->loops--;
  gen_printf(g, "\n");
}

static void gen_while(gen_t* g, uint32_t depth) {
  uint32_t mark = g->nvars;
  gen_var_t* w = gen_declare(g, "w", T_INT, true);
  char name[16];
  memcpy(name, w->name, sizeof name);
  gen_line(g);
  gen_printf(g, "let %s = 0;\n", name);
  gen_line(g);
  gen_printf(g, "while %s < %u", name, 1 + gen_below(g, 5));
  g->loops++;
  g->whiles++;
  uint32_t inner = g->nvars;
  gen_open(g);
  gen_block(g, 1 + gen_below(g, 3), depth - 1);
  g->nvars = inner;
  gen_line(g);
  gen_printf(g, "%s = %s + 1;\n", name, name);
  gen_close(g, inner);
  g->loops--;
  g->whiles--;
  gen_printf(g, "\n");
  g->nvars = mark;  // the counter is not used after the loop
}

static void gen_for_in(gen_t* g, uint32_t depth) {
  gen_var_t* coll = (gen_var_t*)gen_pick(g, gen_chance(g, 50) ? T_ARR : T_MAP, false);
  if (coll == NULL) return;
  bool was_busy = coll->busy;
  coll->busy = true;
  uint32_t mark = g->nvars;
  bool map = coll->type == T_MAP;
  gen_var_t* v = gen_declare(g, map ? "k" : "v", map ? T_STR : T_INT, true);
  char vn[16], cn[16];
  memcpy(vn, v->name, sizeof vn);
  memcpy(cn, coll->name, sizeof cn);
  gen_line(g);
  gen_printf(g, "for %s in %s", vn, cn);
  g->loops++;
  gen_open(g);
  const gen_var_t* acc = gen_pick(g, T_INT, true);
  if (acc && map) {
    gen_line(g);
    gen_printf(g, "if has(%s, %s) { %s = %s + %s[%s]; }\n", cn, vn, acc->name, acc->name, cn, vn);
  } else if (acc) {
    gen_line(g);
    gen_printf(g, "%s = %s + %s;\n", acc->name, acc->name, vn);
  }
  gen_block(g, gen_below(g, 3), depth - 1);
  gen_close(g, mark);
  g->loops--;
  gen_printf(g, "\n");
  coll->busy = was_busy;
}

static void gen_let(gen_t* g) {
  uint32_t t = gen_below(g, 10);
  gen_line(g);
  if (t < 5) {
    gen_var_t* v = gen_declare(g, "x", T_INT, false);
    gen_printf(g, "let %s = ", v->name);
    v->type = T_COUNT;  // not visible in its own initializer
    gen_int(g, 3);
    v->type = T_INT;
  } else if (t < 7) {
    gen_var_t* v = gen_declare(g, "s", T_STR, false);
    gen_printf(g, "let %s = \"%c%u\" + str(", v->name, "abxyz"[gen_below(g, 5)], gen_below(g, 100));
    v->type = T_COUNT;
    gen_int(g, 2);
    v->type = T_STR;
    gen_printf(g, ")");
  } else if (t < 8) {
    gen_var_t* v = gen_declare(g, "fl", T_FLOAT, false);
    gen_printf(g, "let %s = float(", v->name);
    v->type = T_COUNT;
    gen_int(g, 2);
    v->type = T_FLOAT;
    gen_printf(g, " %% 1000) * 0.5 + 1.25");
  } else if (t < 9) {
    gen_var_t* v = gen_declare(g, "a", T_ARR, false);
    gen_printf(g, "let %s = [%u, %u, %u]", v->name, gen_below(g, 9), gen_below(g, 9), gen_below(g, 9));
  } else {
    gen_var_t* v = gen_declare(g, "m", T_MAP, false);
    gen_printf(g, "let %s = {k0: %u, \"k1\": %u}", v->name, gen_below(g, 9), gen_below(g, 9));
  }
  gen_printf(g, ";\n");
}

static void gen_assign(gen_t* g) {
  const gen_var_t* v;
  uint32_t t = gen_below(g, 8);
  gen_line(g);
  if (t < 4 && (v = gen_pick(g, T_INT, true))) {
    gen_printf(g, "%s = ", v->name);
    gen_int(g, 3);
  } else if (t < 5 && (v = gen_pick(g, T_STR, true))) {
    gen_printf(g, "%s = %s + str(", v->name, v->name);
    gen_int(g, 1);
    gen_printf(g, " %% 100);\n");
    gen_line(g);
    gen_printf(g, "if len(%s) > 40 { %s = substr(%s, 0, len(%s) / 2); }\n", v->name, v->name, v->name, v->name);
    return;
  } else if (t < 6 && (v = gen_pick(g, T_ARR, true))) {
    if (gen_chance(g, 50)) {
      gen_printf(g, "push(%s, ", v->name);
      gen_int(g, 2);
      gen_printf(g, ")");
    } else {
      gen_printf(g, "%s[((", v->name);
      gen_int(g, 1);
      gen_printf(g, ") %% len(%s) + len(%s)) %% len(%s)] = ", v->name, v->name, v->name);
      gen_int(g, 2);
    }
  } else if (t < 7 && (v = gen_pick(g, T_MAP, true))) {
    gen_printf(g, "%s[\"k\" + str((", v->name);
    gen_int(g, 1);
    gen_printf(g, ") %% 5)] = ");
    gen_int(g, 2);
  } else if ((v = gen_pick(g, T_STR, true))) {
    static const char* const fns[] = {"upper(%s)", "join(split(%s, \"1\"), \"-\")", "lower(%s) + \"!\""};
    gen_printf(g, "%s = ", v->name);
    gen_printf(g, fns[gen_below(g, 3)], v->name);
  } else {
    gen_printf(g, "let %s = %u * %u", gen_declare(g, "dead", T_INT, false)->name, gen_below(g, 9), gen_below(g, 9));
  }
  gen_printf(g, ";\n");
}

// Calls only outside loops: with d = 2 a top-level call runs a handful of
// function bodies, whatever the program's size.
static void gen_call(gen_t* g) {
  const gen_var_t* v = gen_pick(g, T_INT, true);
  if (v == NULL || g->loops || g->fn + 1 >= g->opt->functions) return;
  uint32_t callee = g->fn + 1 + gen_below(g, g->opt->functions - g->fn - 1);
  gen_line(g);
  gen_printf(g, "if d > 0 { %s = %s + f%u(d - 1, ", v->name, v->name, callee);
  gen_int(g, 1);
  gen_printf(g, ", ");
  gen_int(g, 1);
  gen_printf(g, "); }\n");
}

static void gen_jump(gen_t* g) {
  bool cont = g->whiles == 0 && gen_chance(g, 50);
  gen_line(g);
  gen_printf(g, "if ");
  gen_cond(g, 1);
  gen_printf(g, " { %s; }\n", cont ? "continue" : "break");
}

static void gen_stmt(gen_t* g, uint32_t depth) {
  uint32_t t = gen_below(g, 20);
  if (depth > 0 && t < 3) gen_if(g, depth);
  else if (depth > 0 && t < 5) gen_range(g, depth);
  else if (depth > 0 && t < 6) gen_while(g, depth);
  else if (depth > 0 && t < 7) gen_for_in(g, depth);
  else if (t < 11) gen_let(g);
  else if (t < 16) gen_assign(g);
  else if (t < 18) gen_call(g);
  else if (g->loops && t < 19) gen_jump(g);
  else gen_assign(g);
}

static void gen_block(gen_t* g, uint32_t n, uint32_t depth) {
  for (uint32_t k = 0; k < n && !g->err; k++) gen_stmt(g, depth);
}

// ----- Program -----
static void gen_function(gen_t* g, uint32_t index) {
  g->fn = index;
  g->nvars = 0;
  g->next = 0;
  g->indent = 1;
  gen_declare(g, "a", T_INT, false);
  memcpy(g->vars[0].name, "a", 2);
  gen_declare(g, "b", T_INT, false);
  memcpy(g->vars[1].name, "b", 2);
  gen_printf(g, "fn f%u(d, a, b) {\n", index);
  gen_printf(g, "  let acc = a;\n  let s = \"f%u\" + str(b %% 10);\n  let arr = [a %% 7, b %% 5, %u];\n", index, index);
  gen_printf(g, "  let m = {k0: a %% 11, k1: 2};\n");
  static const struct { const char* n; uint8_t t; } fixed[] = {{"acc", T_INT}, {"s", T_STR}, {"arr", T_ARR}, {"m", T_MAP}};
  for (uint32_t k = 0; k < 4; k++) {
    gen_var_t* v = gen_declare(g, "_", fixed[k].t, false);
    snprintf(v->name, sizeof v->name, "%s", fixed[k].n);
  }
  uint32_t n = g->opt->stmts / 2 + gen_below(g, g->opt->stmts + 1);
  gen_block(g, n, g->opt->depth);
  gen_printf(g, "  if d == %u { print(\"f%u\", acc %% 1000, s, len(arr)); }\n", g->opt->call_depth, index);
  gen_printf(g, "  return acc + len(s) * 3 + len(arr) + len(keys(m));\n}\n\n");
}

void hkgen_options_init(hkgen_options_t* opt, uint64_t seed, uint32_t functions) {
  opt->seed = seed;
  opt->functions = functions ? functions : 1;
  opt->stmts = 12;
  opt->depth = 3;
  opt->call_depth = 2;
}

long hkgen_write(FILE* out, const hkgen_options_t* opt) {
  gen_t g;
  memset(&g, 0, sizeof g);
  g.out = out;
  g.opt = opt;
  g.rng = opt->seed ^ 0x5eed5eed5eedull;
  gen_printf(&g, "// generated by hkgen: seed %llu, %u functions\n\n", (unsigned long long)opt->seed, opt->functions);
  for (uint32_t i = 0; i < opt->functions && !g.err; i++) gen_function(&g, i);
  gen_printf(&g, "let total = 0;\n");
  for (uint32_t i = 0; i < opt->functions && !g.err; i++) {
    gen_printf(&g, "total = total + f%u(%u, %u, %u);\n", i, opt->call_depth, gen_below(&g, 1000), gen_below(&g, 1000));
  }
  gen_printf(&g, "print(\"total\", total);\n");
  return g.err ? -1 : g.bytes;
}
