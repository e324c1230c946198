/* cmd_mir.c: `hakmem mir FILE.hk [--no-opt] [--bytecode] [--no-verify]`.

   Compiles the script and prints the MIR of every function (runtime/mir,
   docs/mir.md) to stdout: after the passes, or as built with --no-opt.
   --bytecode adds the bytecode of the module after it. The verifier runs
   after building and after every pass unless --no-verify. Exit status: 0;
   2 for syntax errors (FILE:LINE:COL: syntax error: MESSAGE on stderr), bad
   usage and bytecode limits; 1 when the file cannot be read, memory runs out
   (hakmem: out of memory reading|compiling FILE; the MIR of the functions
   before stays printed) or a verifier fails. hak_mir_opts is the one table of its options (the
   parser's and --help's, cli.h). */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "hmir.h"

enum { MIR_OPT_NO_OPT = 256, MIR_OPT_BYTECODE, MIR_OPT_NO_VERIFY };

static const cli_opt_t hak_mir_opts[] = {
    {"no-opt", no_argument, MIR_OPT_NO_OPT, NULL, "print the MIR as built, before the passes"},
    {"bytecode", no_argument, MIR_OPT_BYTECODE, NULL, "also print the bytecode of the module"},
    {"no-verify", no_argument, MIR_OPT_NO_VERIFY, NULL, "do not run the verifier (it runs after building and after every pass)"},
    {"help", no_argument, 'h', NULL, "this help"},
    {NULL, 0, 0, NULL, NULL},
};

static const cli_spec_t hak_mir_spec = {
    .who = "hakmem mir",
    .operands = "FILE.hk",
    .summary = "Compiles the script and prints the MIR of every function (docs/mir.md).",
    .opts = hak_mir_opts,
    .epilogue = "Exit status: 0; 1 when FILE cannot be read, memory runs out or a verifier fails;\n"
                "2 for syntax errors, bytecode limits and bad usage.\n"};

int hak_cmd_mir(int argc, char** argv) {
  hmir_options_t opt;
  hmir_options_init(&opt);
  opt.verify = true;
  opt.dump_mir = stdout;
  cli_parser_t p;
  cli_parser_init(&p, &hak_mir_spec, CLI_PERMUTE);
  int c;
  while ((c = cli_parser_next(&p, argc, argv)) != -1) {
    switch (c) {
      case MIR_OPT_NO_OPT: opt.optimize = false; break;
      case MIR_OPT_BYTECODE: opt.dump_hbc = stdout; break;
      case MIR_OPT_NO_VERIFY: opt.verify = false; break;
      case 'h': cli_help(stdout, &hak_mir_spec); return 0;
      default: return cli_bad_option(&hak_mir_spec, c, argv);
    }
  }
  if (optind >= argc) return cli_usage_error(&hak_mir_spec, "no script given");
  if (optind + 1 < argc) return cli_usage_error(&hak_mir_spec, "one script only, not '%s' too", argv[optind + 1]);
  const char* path = argv[optind];
  hbc_module_t* m = NULL;
  hmir_status_t st = hmir_compile_file(path, &opt, &m);
  hbc_module_free(m);
  fflush(stdout);
  return hmir_status_exit_code(st);
}
