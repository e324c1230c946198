/* cmd_mir.c: `hakmem mir FILE.hk [--no-opt] [--bytecode] [--no-verify]`.

   Compiles the script and prints the MIR of every function (runtime/mir,
   docs/mir.md) to stdout: after the passes, or as built with --no-opt.
   --bytecode adds the bytecode of the module after it. The verifier runs
   after building and after every pass unless --no-verify. Exit status: 0;
   2 for syntax errors (FILE:LINE:COL: syntax error: MESSAGE on stderr), bad
   usage and bytecode limits; 1 when the file cannot be read, memory runs out
   or a verifier fails. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hmir.h"

static int hak_mir_usage(void) {
  fprintf(stderr, "usage: hakmem mir FILE.hk [--no-opt] [--bytecode] [--no-verify]\n");
  return 2;
}

int hak_cmd_mir(int argc, char** argv) {
  hmir_options_t opt;
  hmir_options_init(&opt);
  opt.verify = true;
  opt.dump_mir = stdout;
  const char* path = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--no-opt")) opt.optimize = false;
    else if (!strcmp(argv[i], "--bytecode")) opt.dump_hbc = stdout;
    else if (!strcmp(argv[i], "--no-verify")) opt.verify = false;
    else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return hak_mir_usage() - 2;
    else if (argv[i][0] == '-' && argv[i][1]) return hak_mir_usage();
    else if (path) return hak_mir_usage();
    else path = argv[i];
  }
  if (path == NULL) return hak_mir_usage();
  hbc_module_t* m = NULL;
  hmir_status_t st = hmir_compile_file(path, &opt, &m);
  hbc_module_free(m);
  fflush(stdout);
  return hmir_status_exit_code(st);
}
