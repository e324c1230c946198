/* test_json_cli.c: `hakmem json validate` and `hakmem json fmt` end to end:
   exit status, FILE:LINE:COL: error: MESSAGE lines, stdin as '-', layouts,
   a document of several MB.
   argv[1] is the hakmem binary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

static const char* hakmem;
static char dir[64];

static void put(const char* name, const char* text) {
  char path[128];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE* f = fopen(path, "wb");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

// Runs `hakmem ARGS` in dir (stdout and stderr together); returns the exit status.
static int run(const char* args, char* out, size_t cap) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "cd %s && '%s' %s 2>&1", dir, hakmem, args);
  FILE* p = popen(cmd, "r");
  assert_non_null(p);
  size_t n = fread(out, 1, cap - 1, p);
  out[n] = 0;
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_validate(void** state) {
  char out[4096];
  put("good.json", "{\"a\": [1, 2.5, \"x\"], \"b\": null}\n");
  put("good2.json", "[]");
  put("bad.json", "{\n  \"a\": [1, 2,]\n}\n");
  put("bad2.json", "\"\\ud800\"");
  assert_int_equal(run("json validate good.json good2.json", out, sizeof out), 0);
  assert_string_equal(out, "");
  assert_int_equal(run("json validate good.json bad.json good2.json bad2.json", out, sizeof out), 1);
  assert_string_equal(out, "bad.json:2:13: error: trailing comma\nbad2.json:1:2: error: lone high surrogate in \\u escape\n");
  assert_int_equal(run("json validate missing.json", out, sizeof out), 1);
  assert_non_null(strstr(out, "missing.json: error: cannot read"));
  assert_int_equal(run("json validate - < bad.json", out, sizeof out), 1);
  assert_string_equal(out, "<stdin>:2:13: error: trailing comma\n");
  assert_int_equal(run("json validate - < good.json", out, sizeof out), 0);
  assert_int_equal(run("json validate", out, sizeof out), 2);
  assert_int_equal(run("json", out, sizeof out), 2);
  assert_int_equal(run("json frobnicate x", out, sizeof out), 2);
}

static void test_fmt(void** state) {
  char out[4096];
  put("doc.json", " {\"a\" : [1, 2.50, \"x\", [], {}], \"b\": {\"c\": 1e16}} ");
  assert_int_equal(run("json fmt doc.json", out, sizeof out), 0);
  assert_string_equal(out, "{\"a\":[1,2.5,\"x\",[],{}],\"b\":{\"c\":1e+16}}\n");
  assert_int_equal(run("json fmt --indent 2 doc.json", out, sizeof out), 0);
  assert_string_equal(out, "{\n  \"a\": [\n    1,\n    2.5,\n    \"x\",\n    [],\n    {}\n  ],\n  \"b\": {\n    \"c\": 1e+16\n  }\n}\n");
  assert_int_equal(run("json fmt --indent 0 - < doc.json", out, sizeof out), 0);
  assert_string_equal(out, "{\n\"a\": [\n1,\n2.5,\n\"x\",\n[],\n{}\n],\n\"b\": {\n\"c\": 1e+16\n}\n}\n");
  put("bad.json", "[1 2]");
  assert_int_equal(run("json fmt bad.json", out, sizeof out), 1);
  assert_string_equal(out, "bad.json:1:4: error: expected ',' or ']'\n");
  assert_int_equal(run("json fmt --indent -1 doc.json", out, sizeof out), 2);
  assert_int_equal(run("json fmt --indent 99 doc.json", out, sizeof out), 2);
  assert_int_equal(run("json fmt", out, sizeof out), 2);
  assert_int_equal(run("json fmt a.json b.json", out, sizeof out), 2);
}

// A document of 6 MB: reading it grows the input block past 4 MiB (a
// whale that grows in place or moves); validate accepts it and fmt writes it
// back byte for byte (it is written compact).
static void test_big(void** state) {
  char out[4096], path[128];
  snprintf(path, sizeof path, "%s/big.json", dir);
  FILE* f = fopen(path, "wb");
  assert_non_null(f);
  fputc('[', f);
  for (int i = 0; i < 400000; i++) fprintf(f, "%s\"v%d\",%d", i ? "," : "", i, i * 7);
  fputs("]\n", f);
  fclose(f);
  assert_int_equal(run("json validate big.json", out, sizeof out), 0);
  assert_string_equal(out, "");
  assert_int_equal(run("json fmt big.json > big.out", out, sizeof out), 0);
  assert_int_equal(run("json validate - < big.json", out, sizeof out), 0);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "cmp -s '%s/big.json' '%s/big.out'", dir, dir);
  assert_int_equal(system(cmd), 0);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: test_json_cli PATH/TO/hakmem\n");
    return 2;
  }
  hakmem = argv[1];
  snprintf(dir, sizeof dir, "/tmp/hjson_cli_XXXXXX");
  if (!mkdtemp(dir)) return 1;
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_validate), cmocka_unit_test(test_fmt), cmocka_unit_test(test_big)};
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) rc = rc ? rc : 1;
  return rc;
}
