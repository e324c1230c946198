/* main.c: the `hakmem` command. Each subcommand lives in cmd_<name>.c and
   has a row in hak_cmds below. Exit status: 0 success, 1 failure of the work asked
   for, 2 bad usage (and syntax errors of scripts, as the language says).

   `hakmem --help` lists the commands of hak_cmds with their summaries;
   `hakmem CMD --help` (or `hakmem help CMD`) is each command's own help,
   generated from its option table (cli.h); `hakmem --version` prints the
   version of the allocator it is built on (hak_version()). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hakmem.h"

typedef struct hak_cmd_s {
  const char* name;
  int (*run)(int argc, char** argv);  // argv[0] is the subcommand name
  const char* summary;                // one line for `hakmem --help`
} hak_cmd_t;

static int hak_cmd_version(int argc, char** argv);

static const hak_cmd_t hak_cmds[] = {
    {"run", hak_cmd_run, "compile and run an hk script (docs/language.md)"},
    {"json", hak_cmd_json, "validate JSON files, or re-write one compact or indented (docs/json.md)"},
    {"mir", hak_cmd_mir, "print the MIR (and bytecode) the compiler makes of an hk script (docs/mir.md)"},
    {"bench", hak_cmd_bench, "benchmark hakmem against other allocators on the scenario programs (docs/benchmarks.md)"},
    {"prof", hak_cmd_prof, "run a program on libhakmem.so and render its heap profile (docs/profiling.md)"},
    {"report", hak_cmd_report, "render a heap profile data file (.hprof) as text, JSON, SVG, folded stacks or pprof"},
    {"version", hak_cmd_version, "print the version of hakmem (also: hakmem --version)"},
    {NULL, NULL, NULL},
};

static int hak_cmd_version(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--help") && strcmp(argv[1], "-h")) {
    fprintf(stderr, "hakmem version: unexpected argument '%s'\nusage: hakmem version\n", argv[1]);
    return 2;
  }
  if (argc > 1) {
    printf("usage: hakmem version\nPrints the version of hakmem (the allocator's, hak_version()), as `hakmem --version`.\n");
    return 0;
  }
  printf("hakmem %s\n", hak_version());
  return 0;
}

static int hak_usage(FILE* out) {
  fprintf(out, "usage: hakmem COMMAND [ARGS...]\n       hakmem --help | --version\ncommands:\n");
  int width = 0;
  for (const hak_cmd_t* c = hak_cmds; c->name; c++) width = (int)strlen(c->name) > width ? (int)strlen(c->name) : width;
  for (const hak_cmd_t* c = hak_cmds; c->name; c++) fprintf(out, "  %-*s  %s\n", width, c->name, c->summary);
  fprintf(out, "`hakmem COMMAND --help` (or `hakmem help COMMAND`) gives a command's options.\n");
  return out == stdout ? 0 : 2;
}

static const hak_cmd_t* hak_find(const char* name) {
  for (const hak_cmd_t* c = hak_cmds; c->name; c++) {
    if (!strcmp(name, c->name)) return c;
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 2) return hak_usage(stderr);
  const char* a = argv[1];
  if (!strcmp(a, "-h") || !strcmp(a, "--help") || (!strcmp(a, "help") && argc == 2)) return hak_usage(stdout);
  if (!strcmp(a, "--version") || !strcmp(a, "-V")) return hak_cmd_version(1, argv + 1);
  if (!strcmp(a, "help")) {  // hakmem help CMD: CMD --help
    const hak_cmd_t* c = hak_find(argv[2]);
    if (c == NULL || argc > 3) {
      fprintf(stderr, "hakmem help: %s '%s'\n", c ? "unexpected argument" : "unknown command", argv[c ? 3 : 2]);
      return hak_usage(stderr);
    }
    char* help_argv[] = {argv[2], "--help", NULL};
    return c->run(2, help_argv);
  }
  const hak_cmd_t* c = hak_find(a);
  if (c) return c->run(argc - 1, argv + 1);
  fprintf(stderr, "hakmem: unknown %s '%s'\n", a[0] == '-' ? "option" : "command", a);
  return hak_usage(stderr);
}
