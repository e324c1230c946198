/* test_mir_fuzz.c: bad scripts never crash the compiler. Generated programs
   (bench/mir/hkgen.h) are mutated at random (seeded): lines deleted,
   duplicated, swapped, tokens replaced. Each result goes through the whole
   compiler with the verifier after every step, optimized and not: the only
   acceptable outcomes are a module (which hbc_module_finish verified),
   syntax errors, or a bytecode limit; never a verifier failure, a crash, a
   leak or a misuse of the allocation context. argv[1]: iterations
   (default 300). */
#include "hkgen.h"
#include "mir_test.h"
#include "test_rng.h"

static long iterations = 300;
static uint64_t rng = 77;
static size_t below(size_t n) { return test_rng_below(&rng, n); }

typedef struct lines_s {
  char** v;
  size_t n;
} lines_t;

static lines_t split_lines(char* text) {
  lines_t l = {NULL, 0};
  size_t cap = 64;
  l.v = malloc(cap * sizeof *l.v);
  for (char* s = strtok(text, "\n"); s; s = strtok(NULL, "\n")) {
    if (l.n == cap) l.v = realloc(l.v, (cap *= 2) * sizeof *l.v);
    l.v[l.n++] = s;
  }
  return l;
}

static const char* const replacements[] = {"nil", "x", "0", "-1", "\"s\"", "[]", "{}", "f0(1, 2, 3)", "range(3)", "len",
                                           "a", "break;", "continue;", "return;", "}", "{", ")", "let", "for i in", "not"};

// A mutated copy of the program's lines, as one text.
static char* mutate(const lines_t* l, size_t* len) {
  char* out = NULL;
  FILE* f = open_memstream(&out, len);
  size_t kind = below(4), at = below(l->n), other = below(l->n);  // one edit per mutant
  for (size_t k = 0; k < l->n; k++) {
    size_t from = kind == 2 && k == at ? other : kind == 2 && k == other ? at : k;  // 2: swap two lines
    const char* line = l->v[from];
    if (kind == 0 && k == at) continue;                        // 0: delete a line
    if (kind == 1 && k == at) fprintf(f, "%s\n", line);        // 1: duplicate a line
    if (kind == 3 && k == at) {                                // 3: replace one word of the line
      size_t n = strlen(line), cut = below(n + 1), end = cut;
      while (end < n && line[end] != ' ') end++;
      fprintf(f, "%.*s%s%s\n", (int)cut, line, replacements[below(sizeof replacements / sizeof replacements[0])], line + end);
      continue;
    }
    fprintf(f, "%s\n", line);
  }
  fclose(f);
  return out;
}

static void compile_checked(const char* src, size_t len, bool optimize, int* outcome) {
  failing_alc_t t, v;
  failing_alc_init(&t, MIR_ALC_MASK, FAILING_ALC_BULK);
  failing_alc_init(&v, FAILING_ALC_MASK("vm"), 0);
  hmir_options_t opt;
  hmir_options_init(&opt);
  opt.verify = true;
  opt.optimize = optimize;
  opt.alc = &t.alc;
  opt.vm_alc = &v.alc;
  char* buf = NULL;
  size_t n = 0;
  opt.diag = open_memstream(&buf, &n);
  hbc_module_t* m = NULL;
  hmir_status_t st = hmir_compile_source("fz.hk", src, len, &opt, &m);
  fclose(opt.diag);
  if (st != HMIR_OK && st != HMIR_ERR_SYNTAX && st != HMIR_ERR_LIMIT) {
    fprintf(stderr, "status %d on:\n%s\n--- diagnostics:\n%s", st, src, buf);
    fail();
  }
  if (st == HMIR_OK) assert_true(m->finished);
  else assert_true(strstr(buf, "fz.hk:") == buf);
  outcome[st]++;
  hbc_module_free(m);
  free(buf);
  assert_int_equal(t.live, 0);
  assert_int_equal(v.live, 0);
  assert_int_equal(t.bad + v.bad, 0);
}

static void test_mutated_programs(void** state) {
  (void)state;
  int outcome[8] = {0};
  for (long it = 0; it < iterations; it++) {
    hkgen_options_t g;
    hkgen_options_init(&g, 5000 + (uint64_t)it, 2 + (uint32_t)(it % 4));
    char* text = NULL;
    size_t len = 0;
    FILE* f = open_memstream(&text, &len);
    hkgen_write(f, &g);
    fclose(f);
    lines_t l = split_lines(text);
    for (int k = 0; k < 4; k++) {
      size_t mlen;
      char* src = mutate(&l, &mlen);
      compile_checked(src, mlen, k % 2 == 0, outcome);
      free(src);
    }
    free(l.v);
    free(text);
  }
  fprintf(stderr, "outcomes: ok %d, syntax %d, limit %d\n", outcome[HMIR_OK], outcome[HMIR_ERR_SYNTAX], outcome[HMIR_ERR_LIMIT]);
  // both outcomes happen: many mutants still compile, many do not
  assert_true(outcome[HMIR_OK] > iterations / 2);
  assert_true(outcome[HMIR_ERR_SYNTAX] > iterations / 2);
}

int main(int argc, char** argv) {
  if (argc > 1) iterations = strtol(argv[1], NULL, 10);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mutated_programs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
