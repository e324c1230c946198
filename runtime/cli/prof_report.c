/* prof_report.c: one report from one data file: read it (prof_read.c), name
   its addresses (prof_sym.c), build the entries (prof_core.c), draw them
   with the renderer of the format asked for, into a file written under a
   temporary name and renamed into place. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prof.h"

// ----- One report -----
typedef bool (*prof_renderer_t)(FILE* out, const prof_view_t* v, const prof_opts_t* o);

static prof_renderer_t prof_renderer(prof_format_t f) {
  switch (f) {
    case PROF_FMT_TEXT: return prof_render_text;
    case PROF_FMT_JSON: return prof_render_json;
    case PROF_FMT_SVG: return prof_render_svg;
    case PROF_FMT_FOLDED: return prof_render_folded;
    case PROF_FMT_PPROF: return prof_render_pprof;
    default: return NULL;
  }
}

static mode_t prof_umask(void) {
  mode_t m = umask(0);
  umask(m);
  return m;
}

// Opens a temporary file next to out_path (renamed into place once written), or
// out_path itself when it exists and is not a regular file (/dev/stdout, a fifo).
static FILE* prof_out_open(const char* out_path, char** tmp, const char* who) {
  struct stat st;
  *tmp = NULL;
  if (stat(out_path, &st) == 0 && !S_ISREG(st.st_mode)) {
    FILE* f = fopen(out_path, "w");
    if (!f) fprintf(stderr, "%s: cannot write %s: %s\n", who, out_path, strerror(errno));
    return f;
  }
  size_t len = strlen(out_path) + 16;
  *tmp = prof_xmalloc(len);
  snprintf(*tmp, len, "%s.tmp.XXXXXX", out_path);
  int fd = mkstemp(*tmp);
  FILE* f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!f) {
    fprintf(stderr, "%s: cannot write %s: %s\n", who, out_path, strerror(errno));
    if (fd >= 0) {
      close(fd);
      unlink(*tmp);
    }
    free(*tmp);
    *tmp = NULL;
    return NULL;
  }
  fchmod(fd, 0666 & ~prof_umask());
  return f;
}

int prof_report_file(const char* in_path, const char* out_path, prof_format_t fmt, const prof_opts_t* o) {
  prof_renderer_t render = prof_renderer(fmt);
  if (!render) {
    fprintf(stderr, "%s: format %s cannot be rendered here\n", o->who, prof_format_name(fmt));
    return 2;
  }
  FILE* stream = o->stream ? o->stream : stdout;
  if (!out_path && fmt == PROF_FMT_PPROF && isatty(fileno(stream))) {
    fprintf(stderr, "%s: pprof output is gzipped protobuf: give -o FILE.pb.gz (or redirect standard output)\n", o->who);
    return 2;
  }
  char* tmp = NULL;
  FILE* out = out_path ? prof_out_open(out_path, &tmp, o->who) : stream;
  if (!out) return 1;
  prof_t* p = prof_read(in_path, o->who);
  prof_view_t v;
  bool ok = p != NULL;
  if (ok) prof_symbolize(p, o->who);
  ok = ok && prof_view_build(&v, p, o);
  if (ok) {
    bool written = render(out, &v, o);
    written = fflush(out) == 0 && written;
    if (!written) fprintf(stderr, "%s: cannot write %s: %s\n", o->who, out_path ? out_path : "standard output", strerror(errno));
    ok = written;
    prof_view_free(&v);
  }
  prof_free(p);
  if (out != stream && fclose(out) != 0 && ok) {
    fprintf(stderr, "%s: cannot write %s: %s\n", o->who, out_path, strerror(errno));
    ok = false;
  }
  if (tmp) {
    if (ok && rename(tmp, out_path) != 0) {
      fprintf(stderr, "%s: cannot write %s: %s\n", o->who, out_path, strerror(errno));
      ok = false;
    }
    if (!ok) unlink(tmp);
    free(tmp);
  }
  return ok ? 0 : 1;
}
