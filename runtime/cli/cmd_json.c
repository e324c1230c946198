/* cmd_json.c: `hakmem json validate FILE...` and `hakmem json fmt [--indent N] FILE`.

   validate: parses every file (`-` is stdin); prints FILE:LINE:COL: error: MESSAGE
   on stderr for each invalid one; exit 0 when all are valid, 1 otherwise.
   fmt: parses FILE and writes it to stdout, compact or with --indent N (the
   layout of Python's json.dumps(indent=N)), followed by a newline; an invalid
   file is reported as by validate and gives exit 1. Bad usage: exit 2.
   Files are read whole into one block from hakmem (site json.cli.input). */
#include <errno.h>
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

// Reads path (or stdin for "-") whole; false with errno on failure.
static bool hak_json_read(const char* path, hak_json_input_t* in) {
  const hak_alc_t* alc = hak_alc_default();
  hak_site_t site = HAK_SITE(HAK_SUBSYS("json"), "json.cli.input");
  FILE* f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
  if (!f) return false;
  in->data = NULL;
  in->len = in->cap = 0;
  for (;;) {
    if (in->cap - in->len < 65536) {
      size_t ncap = in->cap ? in->cap * 2 : 65536;
      char* nd = in->data ? alc->realloc(alc->ctx, in->data, in->cap, ncap, site) : alc->alloc(alc->ctx, ncap, site);
      if (!nd) {
        errno = ENOMEM;
        break;
      }
      in->data = nd;
      in->cap = ncap;
    }
    size_t n = fread(in->data + in->len, 1, in->cap - in->len, f);
    in->len += n;
    if (n == 0) break;
  }
  int bad = ferror(f) || errno == ENOMEM;
  int saved = errno;
  if (f != stdin) fclose(f);
  if (bad) {
    if (in->data) alc->free(alc->ctx, in->data, in->cap, site);
    in->data = NULL;
    errno = saved ? saved : EIO;
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

static int hak_json_usage(void) {
  fprintf(stderr, "usage: hakmem json validate FILE...\n       hakmem json fmt [--indent N] FILE\n"
                  "FILE may be '-' for standard input.\n");
  return 2;
}

static int hak_json_validate(int argc, char** argv) {
  if (argc < 1) return hak_json_usage();
  int status = 0;
  for (int i = 0; i < argc; i++) {
    hjson_doc_t* doc = hak_json_load(argv[i]);
    if (!doc) status = 1;
    hjson_doc_free(doc);
  }
  return status;
}

static int hak_json_fmt(int argc, char** argv) {
  int indent = HJSON_COMPACT;
  const char* path = NULL;
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--indent") && i + 1 < argc) {
      char* e;
      long n = strtol(argv[++i], &e, 10);
      if (*argv[i] == 0 || *e || n < 0 || n > HJSON_INDENT_MAX) {
        fprintf(stderr, "hakmem json fmt: --indent takes 0..%d\n", HJSON_INDENT_MAX);
        return 2;
      }
      indent = (int)n;
    } else if (!path && (strcmp(argv[i], "-") == 0 || argv[i][0] != '-')) {
      path = argv[i];
    } else {
      return hak_json_usage();
    }
  }
  if (!path) return hak_json_usage();
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
  if (argc < 2) return hak_json_usage();
  if (!strcmp(argv[1], "validate")) return hak_json_validate(argc - 2, argv + 2);
  if (!strcmp(argv[1], "fmt")) return hak_json_fmt(argc - 2, argv + 2);
  return hak_json_usage();
}
