/* prof_core.c: what every profile renderer shares: the entries they draw
   (sampled stacks and sites with their frames, root first, after --skip), the
   format names and extensions, the option tables behind getopt_long and
   --help, small helpers, and prof_report_file (read, symbolize, render to a
   file written under a temporary name and renamed into place).

   --skip works as pprof's drop_frames: the regexes are joined with `|` and
   must match a whole function name; the frame nearest the root that matches
   is dropped together with every frame on its leaf side. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prof.h"

const char* const prof_value_names[PROF_NVALUES] = {"alloc_objects", "alloc_space",  "inuse_objects",
                                                    "inuse_space",   "peak_objects", "peak_space"};

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

bool prof_parse_int(const char* s, long min, long max, long* out) {
  char* e;
  errno = 0;
  long v = strtol(s, &e, 10);
  if (!*s || *e || errno || v < min || v > max) return false;
  *out = v;
  return true;
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
void prof_opt_build(const prof_opt_t* opts, struct option* longopts, char* shortopts, size_t size, bool stop_at_arg) {
  size_t n = 0, k = 0;
  if (stop_at_arg) shortopts[k++] = '+';
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

void prof_opt_help(FILE* out, const char* usage, const prof_opt_t* opts, const char* epilogue) {
  fprintf(out, "%s\noptions:\n", usage);
  for (const prof_opt_t* o = opts; o->name; o++) {
    char lhs[64];
    if (o->val < 256)
      snprintf(lhs, sizeof(lhs), "-%c, --%s%s%s", o->val, o->name, o->arg ? " " : "", o->arg ? o->arg : "");
    else
      snprintf(lhs, sizeof(lhs), "    --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
    fprintf(out, "  %-22s %s\n", lhs, o->help);
  }
  if (epilogue) fputs(epilogue, out);
}

bool prof_opt_common(int code, const char* arg, prof_opts_t* o) {
  long n;
  switch (code) {
    case PROF_OPT_TYPE:
      o->type = prof_type_from_name(arg);
      if (o->type < 0)
        fprintf(stderr, "%s: unknown --type '%s' (known: alloc_space, alloc_objects, inuse_space, inuse_objects)\n", o->who, arg);
      return o->type >= 0;
    case PROF_OPT_TOP:
      if (!prof_parse_int(arg, 1, 1000000, &n)) {
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

void prof_opt_error(const char* who, int c, char** argv) {
  const char* what = c == ':' ? "needs an argument" : "is unknown";
  if (optopt > 0 && optopt < 256)
    fprintf(stderr, "%s: option '-%c' %s\n", who, optopt, what);
  else
    fprintf(stderr, "%s: option '%s' %s\n", who, argv[optind - 1], what);
}

// ----- Entries -----
static const prof_frame_t prof_none_frame = {(char*)"[no frames]", NULL, 0, false};

const prof_frame_t* prof_entry_leaf(const prof_view_t* v, const prof_entry_t* e) {
  return e->nframes ? e->frames[e->nframes - 1] : v->none;
}

static bool prof_skip_compile(regex_t* re, const prof_opts_t* o) {
  size_t len = 8;
  for (size_t i = 0; i < o->nskip; i++) {
    regex_t one;
    int rc = regcomp(&one, o->skip[i], REG_EXTENDED | REG_NOSUB);
    if (rc) {
      char msg[256];
      regerror(rc, &one, msg, sizeof(msg));
      fprintf(stderr, "%s: --skip '%s': %s\n", o->who, o->skip[i], msg);
      return false;
    }
    regfree(&one);
    len += strlen(o->skip[i]) + 1;
  }
  char* all = prof_xmalloc(len);
  strcpy(all, "^(");
  for (size_t i = 0; i < o->nskip; i++) {
    if (i) strcat(all, "|");
    strcat(all, o->skip[i]);
  }
  strcat(all, ")$");
  int rc = regcomp(re, all, REG_EXTENDED | REG_NOSUB);
  if (rc) fprintf(stderr, "%s: --skip: the regexes do not combine into one: %s\n", o->who, all);
  free(all);
  return rc == 0;
}

// Drops the root-most matching frame and everything on its leaf side.
static void prof_entry_skip(prof_entry_t* e, const regex_t* re) {
  for (size_t i = 0; i < e->nframes; i++) {
    if (!regexec(re, e->frames[i]->func, 0, NULL, 0)) {
      e->nframes = i;
      return;
    }
  }
}

static void prof_entry_of_stack(prof_entry_t* e, const prof_t* p, const prof_stack_t* s) {
  size_t n = 0;
  for (size_t i = 0; i < s->nlocs; i++) n += p->locs[s->locs[i]].nframes;
  e->frames = prof_xmalloc((n ? n : 1) * sizeof(*e->frames));
  for (size_t i = s->nlocs; i-- > 0;) {  // root first: outermost location, outermost inlined frame
    const prof_loc_t* l = &p->locs[s->locs[i]];
    for (size_t k = l->nframes; k-- > 0;) e->frames[e->nframes++] = &l->frames[k];
  }
  memcpy(e->v, s->v, sizeof(e->v));
  e->stack = s;
}

static void prof_entry_of_site(prof_entry_t* e, const prof_site_t* s) {
  e->frames = prof_xmalloc((s->nframes ? s->nframes : 1) * sizeof(*e->frames));
  for (size_t i = 0; i < s->nframes; i++) e->frames[e->nframes++] = &s->frames[i];
  e->v[PROF_ALLOC_OBJECTS] = s->allocs;
  e->v[PROF_ALLOC_SPACE] = s->bytes;
  e->v[PROF_INUSE_OBJECTS] = s->allocs > s->frees ? s->allocs - s->frees : 0;
  e->v[PROF_INUSE_SPACE] = s->live;
  e->v[PROF_PEAK_OBJECTS] = 0;  // a site line has no count of blocks at its peak
  e->v[PROF_PEAK_SPACE] = s->peak;
  e->site = s;
}

bool prof_view_build(prof_view_t* v, const prof_t* p, const prof_opts_t* o) {
  memset(v, 0, sizeof(*v));
  v->p = p;
  v->none = &prof_none_frame;
  regex_t re;
  if (o->nskip && !prof_skip_compile(&re, o)) return false;
  v->entries = prof_xmalloc((p->nstacks + p->nsites + 1) * sizeof(*v->entries));
  memset(v->entries, 0, (p->nstacks + p->nsites + 1) * sizeof(*v->entries));
  for (size_t i = 0; i < p->nstacks; i++) prof_entry_of_stack(&v->entries[v->nentries++], p, &p->stacks[i]);
  for (size_t i = 0; i < p->nsites; i++) prof_entry_of_site(&v->entries[v->nentries++], &p->sites[i]);
  if (o->nskip) {
    for (size_t i = 0; i < v->nentries; i++) prof_entry_skip(&v->entries[i], &re);
    regfree(&re);
  }
  return true;
}

void prof_view_free(prof_view_t* v) {
  for (size_t i = 0; i < v->nentries; i++) free(v->entries[i].frames);
  free(v->entries);
  memset(v, 0, sizeof(*v));
}

// ----- Totals -----
static int prof_agg_cmp(const void* a, const void* b) {
  const prof_entry_t* const* x = a;
  const prof_entry_t* const* y = b;
  const char* nx = (*x)->nframes ? (*x)->frames[(*x)->nframes - 1]->func : "";
  const char* ny = (*y)->nframes ? (*y)->frames[(*y)->nframes - 1]->func : "";
  return strcmp(nx, ny);
}

size_t prof_aggregate_leaves(const prof_view_t* v, prof_agg_t** out) {
  const prof_entry_t** sorted = prof_xmalloc((v->nentries + 1) * sizeof(*sorted));
  for (size_t i = 0; i < v->nentries; i++) sorted[i] = &v->entries[i];
  qsort(sorted, v->nentries, sizeof(*sorted), prof_agg_cmp);
  prof_agg_t* agg = prof_xmalloc((v->nentries + 1) * sizeof(*agg));
  size_t n = 0;
  for (size_t i = 0; i < v->nentries; i++) {
    const prof_frame_t* leaf = prof_entry_leaf(v, sorted[i]);
    if (!n || strcmp(agg[n - 1].leaf->func, leaf->func)) {
      memset(&agg[n], 0, sizeof(agg[n]));
      agg[n++].leaf = leaf;
    }
    for (int k = 0; k < PROF_NVALUES; k++) agg[n - 1].v[k] += sorted[i]->v[k];
    agg[n - 1].entries++;
  }
  free(sorted);
  *out = agg;
  return n;
}

size_t prof_subsys_totals(const prof_t* p, prof_subsys_t** out) {
  prof_subsys_t* t = prof_xmalloc((p->nsites + 1) * sizeof(*t));
  size_t n = 0;
  for (size_t i = 0; i < p->nsites; i++) {
    const prof_site_t* s = &p->sites[i];
    size_t k = 0;
    while (k < n && strcmp(t[k].name, s->subsys)) k++;
    if (k == n) {
      memset(&t[n], 0, sizeof(t[n]));
      t[n++].name = s->subsys;
    }
    t[k].nsites++;
    t[k].allocs += s->allocs;
    t[k].bytes += s->bytes;
    t[k].frees += s->frees;
    t[k].freed += s->freed;
    t[k].live += s->live;
    t[k].peak += s->peak;
  }
  *out = t;
  return n;
}

int64_t prof_view_total(const prof_view_t* v, int type) {
  int64_t total = 0;
  for (size_t i = 0; i < v->nentries; i++) total += v->entries[i].v[type];
  return total;
}

int64_t prof_duration_ms(const prof_t* p) {
  int64_t d = 0;
  if (p->ntimeline) d = p->timeline[p->ntimeline - 1].ms;
  if (p->has_peak && p->peak_ms > d) d = p->peak_ms;
  if (p->time > 0 && p->start > 0 && (p->time - p->start) * 1000 > (double)d) d = (int64_t)((p->time - p->start) * 1000 + 0.5);
  return d;
}

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
