/* cmd_json.c: `hakmem json validate FILE...` and `hakmem json fmt [--indent N] FILE`
   (docs/json.md); one option table per subcommand gives the parser and --help.

   validate: parses every file (`-` is stdin); prints FILE:LINE:COL: error: MESSAGE
   on stderr for each invalid one; exit 0 when all are valid, 1 otherwise.
   fmt: parses FILE and writes it to stdout, compact or with --indent N (the
   layout of Python's json.dumps(indent=N)), followed by a newline; an invalid
   file is reported as by validate and gives exit 1. Bad usage: exit 2.
   Files are read whole into one block from hakmem (site json.cli.input). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hjson.h"

typedef struct hak_json_input_s {
  char* data;  // file bytes (json.cli.input block of cap bytes)
  size_t len;  // bytes read
  size_t cap;  // block size
} hak_json_input_t;

static const char* hak_json_name(const char* path) { return strcmp(path, "-") ? path : "<stdin>"; }

// Reads path (or stdin for "-") whole; false with errno on failure. Out of
// memory is its own flag: a call that succeeds may leave errno at ENOMEM
// (the allocator's growing a block in place before moving it does).
static bool hak_json_read(const char* path, hak_json_input_t* in) {
  const hak_alc_t* alc = hak_alc_default();
  hak_site_t site = HAK_SITE(HAK_SUBSYS("json"), "json.cli.input");
  FILE* f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
  if (!f) return false;
  in->data = NULL;
  in->len = in->cap = 0;
  bool nomem = false;
  for (;;) {
    if (in->cap - in->len < 65536) {
      size_t ncap = in->cap ? in->cap * 2 : 65536;
      char* nd = in->data ? alc->realloc(alc->ctx, in->data, in->cap, ncap, site) : alc->alloc(alc->ctx, ncap, site);
      if (!nd) {
        nomem = true;
        break;
      }
      in->data = nd;
      in->cap = ncap;
    }
    errno = 0;
    size_t n = fread(in->data + in->len, 1, in->cap - in->len, f);
    in->len += n;
    if (n == 0) break;
  }
  int err = nomem ? ENOMEM : ferror(f) ? (errno ? errno : EIO) : 0;
  if (f != stdin) fclose(f);
  if (err) {
    if (in->data) alc->free(alc->ctx, in->data, in->cap, site);
    in->data = NULL;
    errno = err;
    return false;
  }
  return true;
}

static void hak_json_input_free(hak_json_input_t* in) {
  const hak_alc_t* alc = hak_alc_default();
  if (in->data) alc->free(alc->ctx, in->data, in->cap, HAK_SITE(HAK_SUBSYS("json"), "json.cli.input"));
  in->data = NULL;
}

// Parses path; prints the error and returns NULL when it cannot.
static hjson_doc_t* hak_json_load(const char* path) {
  hak_json_input_t in;
  errno = 0;
  if (!hak_json_read(path, &in)) {
    fprintf(stderr, "%s: error: cannot read: %s\n", hak_json_name(path), strerror(errno));
    return NULL;
  }
  hjson_error_t err;
  hjson_doc_t* doc = hjson_parse(in.data, in.len, NULL, &err);
  if (!doc) fprintf(stderr, "%s:%zu:%zu: error: %s\n", hak_json_name(path), err.line, err.col, err.msg);
  hak_json_input_free(&in);
  return doc;
}

// ----- Options: one table per subcommand (cli.h) -----
static const cli_opt_t hak_json_validate_opts[] = {
    {"help", no_argument, 'h', NULL, "this help"},
    {NULL, 0, 0, NULL, NULL},
};
static const cli_opt_t hak_json_fmt_opts[] = {
    {"indent", required_argument, 256, "N", "indent by N spaces (0..64), as Python's json.dumps(indent=N); default compact"},
    {"help", no_argument, 'h', NULL, "this help"},
    {NULL, 0, 0, NULL, NULL},
};
static const cli_opt_t hak_json_opts[] = {
    {"help", no_argument, 'h', NULL, "this help"},
    {NULL, 0, 0, NULL, NULL},
};

#define HAK_JSON_STDIN "FILE may be '-' for standard input.\n"
static const cli_spec_t hak_json_validate_spec = {
    .who = "hakmem json validate",
    .trailer = "FILE...",
    .summary = "Parses every FILE; each invalid one gets FILE:LINE:COL: error: MESSAGE on stderr.",
    .opts = hak_json_validate_opts,
    .epilogue = HAK_JSON_STDIN "Exit status: 0 when every FILE is valid JSON, 1 otherwise, 2 for bad usage.\n"};
static const cli_spec_t hak_json_fmt_spec = {
    .who = "hakmem json fmt",
    .trailer = "FILE",
    .summary = "Parses FILE and writes it to standard output, compact or indented, then a newline.",
    .opts = hak_json_fmt_opts,
    .epilogue = HAK_JSON_STDIN "Exit status: 0, 1 when FILE is not valid JSON (reported as by validate), 2 for bad usage.\n"};
static const cli_spec_t* const hak_json_subs[] = {&hak_json_validate_spec, &hak_json_fmt_spec, NULL};
static const cli_spec_t hak_json_spec = {
    .who = "hakmem json",
    .summary = "Validates or re-writes JSON files (runtime/json, docs/json.md).",
    .opts = hak_json_opts,
    .epilogue = "`hakmem json validate --help` and `hakmem json fmt --help` give each one's options.\n",
    .subs = hak_json_subs};

// Options of a subcommand; 1 after --help (exit status 0), 2 for bad usage, 0 to go on (operands from optind).
static int hak_json_options(const cli_spec_t* spec, int argc, char** argv, int* indent) {
  cli_parser_t p;
  cli_parser_init(&p, spec, CLI_PERMUTE);
  int c;
  long n;
  while ((c = cli_parser_next(&p, argc, argv)) != -1) {
    if (c == 'h') {
      cli_help(stdout, spec);
      return 1;
    } else if (c == 256 && indent) {
      if (!cli_parse_long(optarg, 0, HJSON_INDENT_MAX, &n))
        return cli_usage_error(spec, "--indent takes 0..%d, not '%s'", HJSON_INDENT_MAX, optarg);
      *indent = (int)n;
    } else {
      return cli_bad_option(spec, c, argv);
    }
  }
  return 0;
}

static int hak_json_validate(int argc, char** argv) {
  int rc = hak_json_options(&hak_json_validate_spec, argc, argv, NULL);
  if (rc) return rc == 1 ? 0 : rc;
  if (optind >= argc) return cli_usage_error(&hak_json_validate_spec, "no file given");
  int status = 0;
  for (int i = optind; i < argc; i++) {
    hjson_doc_t* doc = hak_json_load(argv[i]);
    if (!doc) status = 1;
    hjson_doc_free(doc);
  }
  return status;
}

static int hak_json_fmt(int argc, char** argv) {
  int indent = HJSON_COMPACT;
  int rc = hak_json_options(&hak_json_fmt_spec, argc, argv, &indent);
  if (rc) return rc == 1 ? 0 : rc;
  if (optind >= argc) return cli_usage_error(&hak_json_fmt_spec, "no file given");
  if (optind + 1 < argc) return cli_usage_error(&hak_json_fmt_spec, "one file only, not '%s' too", argv[optind + 1]);
  const char* path = argv[optind];
  hjson_doc_t* doc = hak_json_load(path);
  if (!doc) return 1;
  hjson_buf_t out;
  hjson_error_t err;
  int status = 0;
  if (hjson_write(hjson_doc_root(doc), indent, NULL, &out, &err)) {
    if (fwrite(out.data, 1, out.len, stdout) != out.len || fputc('\n', stdout) == EOF || fflush(stdout)) status = 1;
    hjson_buf_free(&out, NULL);
  } else {
    fprintf(stderr, "%s: error: %s\n", hak_json_name(path), err.msg);
    status = 1;
  }
  hjson_doc_free(doc);
  return status;
}

int hak_cmd_json(int argc, char** argv) {
  cli_parser_t p;
  cli_parser_init(&p, &hak_json_spec, CLI_STOP);  // options of json itself, before the subcommand
  int c = cli_parser_next(&p, argc, argv);
  if (c == 'h') {
    cli_help(stdout, &hak_json_spec);
    return 0;
  }
  if (c != -1) return cli_bad_option(&hak_json_spec, c, argv);
  if (optind >= argc) return cli_usage_error(&hak_json_spec, "no subcommand given (validate or fmt)");
  // The subcommand parses from its own name on (its argv[0]).
  if (!strcmp(argv[optind], "validate")) return hak_json_validate(argc - optind, argv + optind);
  if (!strcmp(argv[optind], "fmt")) return hak_json_fmt(argc - optind, argv + optind);
  return cli_usage_error(&hak_json_spec, "unknown subcommand '%s' (validate or fmt)", argv[optind]);
}
