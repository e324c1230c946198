/* prof_util.c: the small helpers of the profile side of the `hakmem`
   command: memory that fails loudly, a growable byte buffer, numbers and
   frames as text, format names and extensions, and the options `hakmem
   report` and `hakmem prof` share (their tables: cli.h, cli_opt.c). It
   calls nothing else of the command but cli_opt.c. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "prof.h"

// ----- Memory -----
static void prof_oom(void) {
  fprintf(stderr, "hakmem: out of memory\n");
  exit(1);
}

void* prof_xmalloc(size_t n) {
  void* p = malloc(n ? n : 1);
  if (!p) prof_oom();
  return p;
}

void* prof_xrealloc(void* p, size_t n) {
  void* q = realloc(p, n ? n : 1);
  if (!q) prof_oom();
  return q;
}

char* prof_xstrdup(const char* s) {
  char* d = strdup(s);
  if (!d) prof_oom();
  return d;
}

void prof_grow(void* arr, size_t* cap, size_t n, size_t elem) {
  if (n < *cap) return;
  size_t ncap = *cap ? *cap * 2 : 16;
  *(void**)arr = prof_xrealloc(*(void**)arr, ncap * elem);
  *cap = ncap;
}

void prof_buf_put(prof_buf_t* b, const void* data, size_t n) {
  if (b->len + n > b->cap) {
    size_t ncap = b->cap ? b->cap : 4096;
    while (ncap < b->len + n) ncap *= 2;
    b->data = prof_xrealloc(b->data, ncap);
    b->cap = ncap;
  }
  if (n) memcpy(b->data + b->len, data, n);
  b->len += n;
}

void prof_buf_byte(prof_buf_t* b, uint8_t c) { prof_buf_put(b, &c, 1); }

void prof_buf_free(prof_buf_t* b) {
  free(b->data);
  memset(b, 0, sizeof(*b));
}

// ----- Text helpers -----
const char* prof_fmt_bytes(char* buf, size_t size, double bytes) {
  static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  double v = bytes < 0 ? -bytes : bytes;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    u++;
  }
  if (u == 0)
    snprintf(buf, size, "%.0f B", bytes);
  else
    snprintf(buf, size, "%.1f %s", bytes < 0 ? -v : v, units[u]);
  return buf;
}

const char* prof_fmt_frame(char* buf, size_t size, const prof_frame_t* f) {
  if (f->file && f->line > 0)
    snprintf(buf, size, "%s (%s:%ld)", f->func, f->file, f->line);
  else if (f->file)
    snprintf(buf, size, "%s (%s)", f->func, f->file);
  else
    snprintf(buf, size, "%s", f->func);
  return buf;
}

const char* prof_basename(const char* path) {
  const char* s = strrchr(path, '/');
  return s ? s + 1 : path;
}

// ----- Formats -----
static const char* const prof_format_names[] = {"text", "json", "svg", "folded", "pprof", "hprof"};

prof_format_t prof_format_from_name(const char* name) {
  for (int i = 0; i <= PROF_FMT_HPROF; i++) {
    if (!strcmp(name, prof_format_names[i])) return (prof_format_t)i;
  }
  return PROF_FMT_NONE;
}

const char* prof_format_name(prof_format_t f) { return f >= 0 && f <= PROF_FMT_HPROF ? prof_format_names[f] : "?"; }

static bool prof_ends_with(const char* s, const char* suffix) {
  size_t ls = strlen(s), lx = strlen(suffix);
  return ls >= lx && !strcmp(s + ls - lx, suffix);
}

prof_format_t prof_format_from_path(const char* path) {
  static const struct {
    const char* ext;
    prof_format_t fmt;
  } exts[] = {{".json", PROF_FMT_JSON},   {".svg", PROF_FMT_SVG},  {".folded", PROF_FMT_FOLDED}, {".pb.gz", PROF_FMT_PPROF},
              {".pprof", PROF_FMT_PPROF}, {".pb", PROF_FMT_PPROF}, {".txt", PROF_FMT_TEXT},      {".hprof", PROF_FMT_HPROF}};
  for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
    if (prof_ends_with(path, exts[i].ext)) return exts[i].fmt;
  }
  return PROF_FMT_NONE;
}

int prof_type_from_name(const char* name) {
  for (int i = 0; i <= PROF_INUSE_SPACE; i++) {
    if (!strcmp(name, prof_value_names[i])) return i;
  }
  return -1;
}

// ----- Options -----
bool prof_opt_common(int code, const char* arg, prof_opts_t* o) {
  long n;
  switch (code) {
    case PROF_OPT_TYPE:
      o->type = prof_type_from_name(arg);
      if (o->type < 0)
        fprintf(stderr, "%s: unknown --type '%s' (known: alloc_space, alloc_objects, inuse_space, inuse_objects)\n", o->who, arg);
      return o->type >= 0;
    case PROF_OPT_TOP:
      if (!cli_parse_long(arg, 1, 1000000, &n)) {
        fprintf(stderr, "%s: --top takes a number from 1 to 1000000, not '%s'\n", o->who, arg);
        return false;
      }
      o->top = (int)n;
      return true;
    default: {
      regex_t re;
      int rc = regcomp(&re, arg, REG_EXTENDED | REG_NOSUB);
      if (rc) {
        char msg[256];
        regerror(rc, &re, msg, sizeof(msg));
        fprintf(stderr, "%s: --skip '%s': %s\n", o->who, arg, msg);
        return false;
      }
      regfree(&re);
      o->skip = prof_xrealloc(o->skip, (o->nskip + 1) * sizeof(*o->skip));
      o->skip[o->nskip++] = arg;
      return true;
    }
  }
}
