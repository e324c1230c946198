/* cli.h: the subcommands of the `hakmem` command, one per cmd_<name>.c, and
   the option tables they share (cli_opt.c).

   Each subcommand gets argv with argv[0] = the subcommand name and returns
   the exit status: 0 success, 1 failure of the work asked for, 2 bad usage.
   Each parses its options with getopt_long from one table (cli_opt_t) that
   also gives `hakmem CMD --help` its text, so the help cannot list an option
   the parser does not take, nor miss one it takes. */
#ifndef HAK_CLI_H
#define HAK_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

int hak_cmd_run(int argc, char** argv);    // cmd_run.c   (runtime/vm)
int hak_cmd_json(int argc, char** argv);   // cmd_json.c  (runtime/json)
int hak_cmd_mir(int argc, char** argv);    // cmd_mir.c   (runtime/mir)
int hak_cmd_bench(int argc, char** argv);  // cmd_bench.c (bench driver)
int hak_cmd_report(int argc, char** argv); // cmd_report.c (profile data files: prof_*.c)
int hak_cmd_prof(int argc, char** argv);   // cmd_prof.c   (a program under libhakmem.so, profiled)

// ----- Options (cli_opt.c) -----
// One option of a table; a table ends with an entry whose name is NULL.
typedef struct cli_opt_s {
  const char* name;  // long name
  int has_arg;       // no_argument / required_argument
  int val;           // short letter or a code >= 256
  const char* arg;   // argument name in --help and the usage line
  const char* help;  // may hold '\n': the next line is indented under the first
} cli_opt_t;
#define CLI_OPT_MAX 32  // entries of one table at most

// How getopt_long meets an operand (an argument that is not an option).
typedef enum cli_order_e {
  CLI_PERMUTE,   // options and operands in any order; `--` ends the options
  CLI_STOP,      // the options end at the first operand (`hakmem prof [options] CMD ARGS...`)
  CLI_IN_ORDER,  // each operand comes back as code 1 with optarg, in order; `--` ends the options
} cli_order_t;

// Fills longopts (n + 1 entries) and the short option string (a missing
// argument returns ':'; ordering as order says).
void cli_opt_build(const cli_opt_t* opts, struct option* longopts, char* shortopts, size_t size, cli_order_t order);
// `usage`, "options:" and one line per option, then epilogue (may be NULL).
void cli_opt_help(FILE* out, const char* usage, const cli_opt_t* opts, const char* epilogue);
// Says on stderr what was wrong with the option getopt_long returned c (':' or '?') for.
void cli_opt_error(const char* who, int c, char** argv);
// A decimal number in [min, max], nothing else; false otherwise.
bool cli_parse_long(const char* s, long min, long max, long* out);

// A command whose usage line is generated from its table too:
//   usage: WHO OPERANDS [-o OUT] [--name ARG] [--flag]... TRAILER
// (every option but --help, wrapped at 110 columns); a command with
// subcommands (hakmem json) has theirs instead, one under the other.
typedef struct cli_spec_s {
  const char* who;       // "hakmem run": the command as typed, the prefix of its messages
  const char* operands;  // before the options in the usage line ("FILE.hk"), or NULL
  const char* trailer;   // after them ("[-- ARGS...]"), or NULL
  const char* summary;   // --help's line after the usage, or NULL
  const cli_opt_t* opts;
  const char* epilogue;  // --help's text after the options, or NULL
  const struct cli_spec_s* const* subs;  // the subcommands' specs, NULL-terminated, or NULL
} cli_spec_t;

// The usage line(s), the first starting with prefix ("usage: ", or 7 spaces under another usage).
void cli_usage(FILE* out, const cli_spec_t* s, const char* prefix);
// The whole --help: usage, summary, options, epilogue.
void cli_help(FILE* out, const cli_spec_t* s);
// `WHO: MESSAGE` and the usage line on stderr; returns 2 (the exit status of bad usage).
int cli_usage_error(const cli_spec_t* s, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
// An option getopt_long refused (c is ':' or '?'): its message and the usage line; returns 2.
int cli_bad_option(const cli_spec_t* s, int c, char** argv);

// getopt_long over a spec's table.
typedef struct cli_parser_s {
  struct option longopts[CLI_OPT_MAX + 1];
  char shortopts[2 * CLI_OPT_MAX + 3];
} cli_parser_t;
// Builds the tables and starts getopt_long afresh on a new argv (argv[0] is skipped).
void cli_parser_init(cli_parser_t* p, const cli_spec_t* s, cli_order_t order);
// getopt_long's next code: an option's val, 1 for an operand (CLI_IN_ORDER), ':' or '?', -1 at the end.
int cli_parser_next(cli_parser_t* p, int argc, char** argv);

#endif
