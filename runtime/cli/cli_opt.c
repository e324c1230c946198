/* cli_opt.c: the option tables of the `hakmem` command (cli.h). One table
   per command gives getopt_long its long and short options and --help its
   lines; the usage line of a cli_spec_t is generated from the same table.
   It calls nothing else of the command. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CLI_HELP_COLUMN 22  // the option column of --help is at least this wide
#define CLI_USAGE_WIDTH 110 // usage lines wrap before this column

void cli_opt_build(const cli_opt_t* opts, struct option* longopts, char* shortopts, size_t size, cli_order_t order) {
  size_t n = 0, k = 0;
  if (order == CLI_STOP) shortopts[k++] = '+';
  if (order == CLI_IN_ORDER) shortopts[k++] = '-';
  shortopts[k++] = ':';  // a missing argument returns ':'
  for (; opts[n].name; n++) {
    longopts[n] = (struct option){opts[n].name, opts[n].has_arg, NULL, opts[n].val};
    if (opts[n].val < 256 && k + 3 < size) {
      shortopts[k++] = (char)opts[n].val;
      if (opts[n].has_arg == required_argument) shortopts[k++] = ':';
    }
  }
  longopts[n] = (struct option){NULL, 0, NULL, 0};
  shortopts[k] = 0;
}

// "-o, --output OUT" or "    --top N" into buf.
static void cli_opt_lhs(char* buf, size_t size, const cli_opt_t* o) {
  const char* sp = o->arg ? " " : "";
  const char* arg = o->arg ? o->arg : "";
  if (o->val < 256)
    snprintf(buf, size, "-%c, --%s%s%s", o->val, o->name, sp, arg);
  else
    snprintf(buf, size, "    --%s%s%s", o->name, sp, arg);
}

// One line per option (more for a help text with '\n'), the help texts in one column.
static void cli_opt_lines(FILE* out, const cli_opt_t* opts) {
  char lhs[96];
  int width = CLI_HELP_COLUMN;
  for (const cli_opt_t* o = opts; o->name; o++) {
    cli_opt_lhs(lhs, sizeof(lhs), o);
    if ((int)strlen(lhs) > width) width = (int)strlen(lhs);
  }
  for (const cli_opt_t* o = opts; o->name; o++) {
    cli_opt_lhs(lhs, sizeof(lhs), o);
    const char* h = o->help;
    const char* nl = strchr(h, '\n');
    fprintf(out, "  %-*s %.*s\n", width, lhs, nl ? (int)(nl - h) : (int)strlen(h), h);
    while (nl) {  // continuation lines, under the first
      h = nl + 1;
      nl = strchr(h, '\n');
      fprintf(out, "  %-*s %.*s\n", width, "", nl ? (int)(nl - h) : (int)strlen(h), h);
    }
  }
}

void cli_opt_help(FILE* out, const char* usage, const cli_opt_t* opts, const char* epilogue) {
  fprintf(out, "%s\noptions:\n", usage);
  cli_opt_lines(out, opts);
  if (epilogue) fputs(epilogue, out);
}

void cli_opt_error(const char* who, int c, char** argv) {
  const char* what = c == ':' ? "needs an argument" : "is unknown";
  if (optopt > 0 && optopt < 256)
    fprintf(stderr, "%s: option '-%c' %s\n", who, optopt, what);
  else
    fprintf(stderr, "%s: option '%s' %s\n", who, argv[optind - 1], what);
}

bool cli_parse_long(const char* s, long min, long max, long* out) {
  char* e;
  errno = 0;
  long v = strtol(s, &e, 10);
  if (!*s || *e || errno || v < min || v > max) return false;
  *out = v;
  return true;
}

// ----- Specs: usage lines and --help -----
// Writes word to out after a space, or on a new line indented by indent
// when it would pass the width (unless it would not fit there either).
static void cli_usage_word(FILE* out, const char* word, size_t* col, size_t indent) {
  size_t len = strlen(word);
  if (*col + 1 + len > CLI_USAGE_WIDTH && *col > indent) {
    fprintf(out, "\n%*s", (int)indent, "");
    *col = indent;
  } else {
    fputc(' ', out);
    (*col)++;
  }
  fputs(word, out);
  *col += len;
}

void cli_usage(FILE* out, const cli_spec_t* s, const char* prefix) {
  if (s->subs) {
    for (size_t i = 0; s->subs[i]; i++) cli_usage(out, s->subs[i], i ? "       " : prefix);
    return;
  }
  fprintf(out, "%s%s", prefix, s->who);
  size_t col = strlen(prefix) + strlen(s->who), indent = col + 1;  // continuation lines start under the first word
  if (s->operands) cli_usage_word(out, s->operands, &col, indent);
  for (const cli_opt_t* o = s->opts; o->name; o++) {
    if (!strcmp(o->name, "help")) continue;
    char word[96];
    const char* sp = o->arg ? " " : "";
    const char* arg = o->arg ? o->arg : "";
    if (o->val < 256)
      snprintf(word, sizeof(word), "[-%c%s%s]", o->val, sp, arg);
    else
      snprintf(word, sizeof(word), "[--%s%s%s]", o->name, sp, arg);
    cli_usage_word(out, word, &col, indent);
  }
  if (s->trailer) cli_usage_word(out, s->trailer, &col, indent);
  fputc('\n', out);
}

void cli_help(FILE* out, const cli_spec_t* s) {
  cli_usage(out, s, "usage: ");
  if (s->summary) fprintf(out, "%s\n", s->summary);
  fputs("options:\n", out);
  cli_opt_lines(out, s->opts);
  if (s->epilogue) fputs(s->epilogue, out);
}

int cli_usage_error(const cli_spec_t* s, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", s->who);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  cli_usage(stderr, s, "usage: ");
  return 2;
}

int cli_bad_option(const cli_spec_t* s, int c, char** argv) {
  cli_opt_error(s->who, c, argv);
  cli_usage(stderr, s, "usage: ");
  return 2;
}

void cli_parser_init(cli_parser_t* p, const cli_spec_t* s, cli_order_t order) {
  size_t n = 0;
  while (s->opts[n].name) n++;
  if (n > CLI_OPT_MAX) {
    fprintf(stderr, "%s: internal error: more than %d options\n", s->who, CLI_OPT_MAX);
    abort();
  }
  cli_opt_build(s->opts, p->longopts, p->shortopts, sizeof(p->shortopts), order);
  optind = 0;  // glibc: start afresh (also the ordering, which it reads only then)
  opterr = 0;
}

int cli_parser_next(cli_parser_t* p, int argc, char** argv) {
  return getopt_long(argc, argv, p->shortopts, p->longopts, NULL);
}
