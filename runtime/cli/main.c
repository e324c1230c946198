/* main.c: the `hakmem` command. Each subcommand lives in cmd_<name>.c and is
   compiled in when that file exists (runtime/cli/CMakeLists.txt defines
   HAK_HAVE_CMD_<NAME>). Exit status: 0 success, 1 failure of the work asked
   for, 2 bad usage (and syntax errors of scripts, as the language says). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct hak_cmd_s {
  const char* name;
  int (*run)(int argc, char** argv);  // argv[0] is the subcommand name
  const char* help;
} hak_cmd_t;

static const hak_cmd_t hak_cmds[] = {
#ifdef HAK_HAVE_CMD_RUN
    {"run", hak_cmd_run, "run FILE.hk [--threads N] [--profile] [--profile-out F] [-- ARGS]"},
#endif
#ifdef HAK_HAVE_CMD_JSON
    {"json", hak_cmd_json, "json validate FILE... | json fmt [--indent N] FILE"},
#endif
#ifdef HAK_HAVE_CMD_MIR
    {"mir", hak_cmd_mir, "mir FILE.hk [--no-opt]"},
#endif
#ifdef HAK_HAVE_CMD_BENCH
    {"bench", hak_cmd_bench,
     "bench [--scenario L] [--threads L] [--allocator L|NAME=PATH,...] [--runs N] [--json F] [--svg F] [--smoke] [--list] [--help]"},
#endif
#ifdef HAK_HAVE_CMD_PROF
    {"prof", hak_cmd_prof, "prof [-o OUT] [--format F] [--sample KIB] [--interval SEC] [--signal SIG] [--top N] [--skip RE] [--lib PATH] -- CMD ARGS..."},
#endif
#ifdef HAK_HAVE_CMD_REPORT
    {"report", hak_cmd_report, "report FILE.hprof [--format text|json|svg|folded|pprof] [-o OUT] [--type T] [--top N] [--skip RE]..."},
#endif
    {NULL, NULL, NULL},
};

static int hak_usage(FILE* out) {
  fprintf(out, "usage: hakmem COMMAND [ARGS...]\ncommands:\n");
  for (const hak_cmd_t* c = hak_cmds; c->name; c++) fprintf(out, "  hakmem %s\n", c->help);
  return out == stdout ? 0 : 2;
}

int main(int argc, char** argv) {
  if (argc < 2) return hak_usage(stderr);
  if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) return hak_usage(stdout);
  for (const hak_cmd_t* c = hak_cmds; c->name; c++) {
    if (!strcmp(argv[1], c->name)) return c->run(argc - 1, argv + 1);
  }
  fprintf(stderr, "hakmem: unknown command '%s'\n", argv[1]);
  return hak_usage(stderr);
}
