/* prof_read.c: the reader of libhakmem's profile data file (`.hprof`, format 1,
   docs/profile-format.md).

   Tolerant where the format asks for it: unknown keywords are skipped (later
   versions add some), a file without its final `end` line is read as far as it
   goes and flagged truncated (with one warning; a last line cut in the middle
   is dropped), a version above 1 is read as format 1 with a warning. Anything
   else that does not parse is an error naming PATH:LINE. Return addresses are
   collected once each (prof_loc_t) and given their map; site names become
   frames: `[SUBSYS]` at the root, then the `;`-separated parts of the name. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "prof.h"

typedef struct rd_sample_s {
  uint64_t stack;
  int64_t v[PROF_NVALUES];
  size_t line;
} rd_sample_t;

// Open addressing from a 64-bit key to an index.
typedef struct rd_index_s {
  uint64_t* keys;
  size_t* vals;  // index + 1, 0: empty slot
  size_t cap, n;
} rd_index_t;

typedef struct rd_s {
  prof_t* p;
  const char* who;
  size_t line;       // current line number
  char* cur;         // unread rest of the current line
  rd_index_t addrs;  // return address -> location
  rd_index_t ids;    // stack id -> stack
  rd_sample_t* samples;
  size_t nsamples, samples_cap;
  size_t maps_cap, locs_cap, stacks_cap, sites_cap, timeline_cap;
  bool seen_end;
} rd_t;

static void rd_error(rd_t* r, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: %s:%zu: error: ", r->who, r->p->path, r->line);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

// Next space-separated field of the line, or NULL at its end.
static char* rd_field(rd_t* r) {
  if (!r->cur || !*r->cur) return NULL;
  char* f = r->cur;
  char* sp = strchr(f, ' ');
  if (sp) {
    *sp = 0;
    r->cur = sp + 1;
  } else {
    r->cur = f + strlen(f);
  }
  return f;
}

// The rest of the line (a `...` field), or NULL when empty.
static char* rd_rest(rd_t* r) {
  char* f = r->cur;
  r->cur = NULL;
  return f && *f ? f : NULL;
}

static bool rd_u64(rd_t* r, const char* what, bool hex, uint64_t* out) {
  char* f = rd_field(r);
  if (!f) {
    rd_error(r, "missing %s", what);
    return false;
  }
  const char* digits = f;
  if (hex) {
    if (f[0] != '0' || (f[1] != 'x' && f[1] != 'X')) {
      rd_error(r, "%s '%s' is not a 0x hexadecimal address", what, f);
      return false;
    }
    digits = f + 2;
  }
  char* end;
  errno = 0;
  unsigned long long v = strtoull(digits, &end, hex ? 16 : 10);
  if (!*digits || *end || errno || digits[0] == '-' || digits[0] == '+' || digits[0] == ' ') {
    rd_error(r, "%s '%s' is not a %s number", what, f, hex ? "hexadecimal" : "decimal");
    return false;
  }
  *out = v;
  return true;
}

static bool rd_i64(rd_t* r, const char* what, int64_t* out) {
  uint64_t v;
  if (!rd_u64(r, what, false, &v)) return false;
  if (v > INT64_MAX) {
    rd_error(r, "%s %" PRIu64 " is too large", what, v);
    return false;
  }
  *out = (int64_t)v;
  return true;
}

// A signed decimal: a site's LIVE, negative when other sites' frees named it.
static bool rd_signed(rd_t* r, const char* what, int64_t* out) {
  char* f = rd_field(r);
  if (!f) {
    rd_error(r, "missing %s", what);
    return false;
  }
  const char* digits = f[0] == '-' ? f + 1 : f;
  char* end;
  errno = 0;
  long long v = strtoll(f, &end, 10);
  if (!*digits || *end || errno || digits[0] < '0' || digits[0] > '9') {
    rd_error(r, "%s '%s' is not a decimal number", what, f);
    return false;
  }
  *out = v;
  return true;
}

static bool rd_double(rd_t* r, const char* what, double* out) {
  char* f = rd_field(r);
  char* end;
  if (!f || !*f) {
    rd_error(r, "missing %s", what);
    return false;
  }
  errno = 0;
  *out = strtod(f, &end);
  if (*end || errno || *f == '-') {
    rd_error(r, "%s '%s' is not a time in seconds", what, f);
    return false;
  }
  return true;
}

static bool rd_done(rd_t* r, const char* kw) {
  if (r->cur && *r->cur) {
    rd_error(r, "%s: unexpected '%s' at the end of the line", kw, r->cur);
    return false;
  }
  return true;
}

// ----- Indexes -----
static size_t rd_hash(uint64_t a) { return (size_t)((a * 0x9E3779B97F4A7C15ull) >> 17); }

static void rd_index_grow(rd_index_t* x) {
  size_t ncap = x->cap ? x->cap * 2 : 1024;
  uint64_t* keys = prof_xmalloc(ncap * sizeof(*keys));
  size_t* vals = prof_xmalloc(ncap * sizeof(*vals));
  memset(vals, 0, ncap * sizeof(*vals));
  for (size_t i = 0; i < x->cap; i++) {
    if (!x->vals[i]) continue;
    size_t h = rd_hash(x->keys[i]) & (ncap - 1);
    while (vals[h]) h = (h + 1) & (ncap - 1);
    keys[h] = x->keys[i];
    vals[h] = x->vals[i];
  }
  free(x->keys);
  free(x->vals);
  x->keys = keys;
  x->vals = vals;
  x->cap = ncap;
}

// The slot of key: its value (index + 1) or 0 when absent.
static size_t* rd_index_slot(rd_index_t* x, uint64_t key) {
  if ((x->n + 1) * 2 > x->cap) rd_index_grow(x);
  size_t h = rd_hash(key) & (x->cap - 1);
  while (x->vals[h] && x->keys[h] != key) h = (h + 1) & (x->cap - 1);
  x->keys[h] = key;
  return &x->vals[h];
}

static void rd_index_free(rd_index_t* x) {
  free(x->keys);
  free(x->vals);
}

// Index of the location of address a, made on first sight.
static size_t rd_loc(rd_t* r, uint64_t a) {
  size_t* slot = rd_index_slot(&r->addrs, a);
  if (*slot) return *slot - 1;
  prof_t* p = r->p;
  prof_grow(&p->locs, &r->locs_cap, p->nlocs, sizeof(*p->locs));
  prof_loc_t* l = &p->locs[p->nlocs];
  memset(l, 0, sizeof(*l));
  l->addr = a;
  l->map = -1;
  *slot = ++p->nlocs;
  r->addrs.n++;
  return p->nlocs - 1;
}

// ----- Lines -----
static bool rd_header(rd_t* r, const char* kw) {
  uint64_t v;
  if (!rd_u64(r, "version", false, &v) || !rd_done(r, kw)) return false;
  r->p->version = (int)(v > 1000 ? 1000 : v);
  if (v != 1) fprintf(stderr, "%s: warning: %s: format version %" PRIu64 ", read as version 1\n", r->who, r->p->path, v);
  return true;
}

static bool rd_pid(rd_t* r, const char* kw) {
  uint64_t v;
  if (!rd_u64(r, "pid", false, &v) || !rd_done(r, kw)) return false;
  r->p->pid = (long)v;
  return true;
}

static bool rd_exe(rd_t* r, const char* kw) {
  char* s = rd_rest(r);
  if (!s) {
    rd_error(r, "exe: missing path");
    return false;
  }
  free(r->p->exe);
  r->p->exe = prof_xstrdup(s);
  return true;
}

static bool rd_start(rd_t* r, const char* kw) { return rd_double(r, "start time", &r->p->start) && rd_done(r, kw); }
static bool rd_time(rd_t* r, const char* kw) { return rd_double(r, "dump time", &r->p->time) && rd_done(r, kw); }

static bool rd_reason(rd_t* r, const char* kw) {
  char* s = rd_field(r);
  if (!s) {
    rd_error(r, "reason: missing word");
    return false;
  }
  free(r->p->reason);
  r->p->reason = prof_xstrdup(s);
  return rd_done(r, kw);
}

static bool rd_interval(rd_t* r, const char* kw) { return rd_i64(r, "interval", &r->p->interval) && rd_done(r, kw); }

static bool rd_map(rd_t* r, const char* kw) {
  prof_map_t m;
  memset(&m, 0, sizeof(m));
  if (!rd_u64(r, "map start", true, &m.start) || !rd_u64(r, "map limit", true, &m.limit)) return false;
  if (!rd_u64(r, "map offset", true, &m.offset) || !rd_u64(r, "map bias", true, &m.bias)) return false;
  char* id = rd_field(r);
  char* path = rd_rest(r);
  if (!id || !path) {
    rd_error(r, "map: missing %s", id ? "path" : "build id");
    return false;
  }
  if (m.limit < m.start) {
    rd_error(r, "map: limit 0x%" PRIx64 " is below start 0x%" PRIx64, m.limit, m.start);
    return false;
  }
  m.build_id = strcmp(id, "-") ? prof_xstrdup(id) : NULL;
  m.path = prof_xstrdup(path);
  prof_t* p = r->p;
  prof_grow(&p->maps, &r->maps_cap, p->nmaps, sizeof(*p->maps));
  p->maps[p->nmaps++] = m;
  return true;
}

static bool rd_stack(rd_t* r, const char* kw) {
  prof_stack_t s;
  memset(&s, 0, sizeof(s));
  uint64_t n;
  if (!rd_u64(r, "stack id", false, &s.id) || !rd_u64(r, "frame count", false, &n)) return false;
  if (n > 100000) {
    rd_error(r, "stack: %" PRIu64 " frames is more than a stack can have", n);
    return false;
  }
  s.locs = prof_xmalloc((n ? n : 1) * sizeof(size_t));
  for (uint64_t i = 0; i < n; i++) {
    uint64_t a;
    if (!rd_u64(r, "return address", true, &a)) {
      free(s.locs);
      return false;
    }
    s.locs[s.nlocs++] = rd_loc(r, a);
  }
  if (!rd_done(r, kw)) {
    free(s.locs);
    return false;
  }
  prof_t* p = r->p;
  size_t* slot = rd_index_slot(&r->ids, s.id);
  if (*slot) {
    rd_error(r, "stack %" PRIu64 " is defined twice", s.id);
    free(s.locs);
    return false;
  }
  *slot = p->nstacks + 1;
  r->ids.n++;
  prof_grow(&p->stacks, &r->stacks_cap, p->nstacks, sizeof(*p->stacks));
  p->stacks[p->nstacks++] = s;
  return true;
}

static bool rd_sample(rd_t* r, const char* kw) {
  rd_sample_t s;
  memset(&s, 0, sizeof(s));
  s.line = r->line;
  if (!rd_u64(r, "stack id", false, &s.stack)) return false;
  for (int i = 0; i < PROF_NVALUES; i++) {
    if (!rd_i64(r, prof_value_names[i], &s.v[i])) return false;
  }
  if (!rd_done(r, kw)) return false;
  prof_grow(&r->samples, &r->samples_cap, r->nsamples, sizeof(*r->samples));
  r->samples[r->nsamples++] = s;
  return true;
}

// [SUBSYS] then the non-empty `;`-separated parts of the name.
static void rd_site_frames(prof_site_t* s) {
  size_t n = 2;
  for (const char* c = s->name; *c; c++) n += *c == ';';
  s->frames = prof_xmalloc(n * sizeof(*s->frames));
  memset(s->frames, 0, n * sizeof(*s->frames));
  size_t len = strlen(s->subsys) + 3;
  s->frames[0].func = prof_xmalloc(len);
  snprintf(s->frames[0].func, len, "[%s]", s->subsys);
  s->frames[0].site = true;
  s->nframes = 1;
  for (const char* c = s->name; *c;) {
    const char* e = strchr(c, ';');
    size_t l = e ? (size_t)(e - c) : strlen(c);
    if (l) {
      prof_frame_t* f = &s->frames[s->nframes++];
      f->func = prof_xmalloc(l + 1);
      memcpy(f->func, c, l);
      f->func[l] = 0;
      f->site = true;
    }
    c += l + (e != NULL);
  }
}

static bool rd_site(rd_t* r, const char* kw) {
  prof_site_t s;
  memset(&s, 0, sizeof(s));
  uint64_t exact;
  if (!rd_u64(r, "site index", false, &s.index)) return false;
  char* subsys = rd_field(r);
  if (!subsys || !*subsys) {
    rd_error(r, "site: missing subsystem");
    return false;
  }
  if (!rd_u64(r, "exact flag", false, &exact) || !rd_i64(r, "allocs", &s.allocs) || !rd_i64(r, "bytes", &s.bytes)) return false;
  if (!rd_i64(r, "frees", &s.frees) || !rd_i64(r, "freed", &s.freed) || !rd_signed(r, "live", &s.live)) return false;
  if (!rd_i64(r, "peak", &s.peak)) return false;
  char* name = rd_rest(r);
  if (!name) {
    rd_error(r, "site: missing name");
    return false;
  }
  s.exact = exact != 0;
  s.subsys = prof_xstrdup(subsys);
  s.name = prof_xstrdup(name);
  rd_site_frames(&s);
  prof_t* p = r->p;
  prof_grow(&p->sites, &r->sites_cap, p->nsites, sizeof(*p->sites));
  p->sites[p->nsites++] = s;
  return true;
}

static bool rd_timeline(rd_t* r, const char* kw) {
  prof_point_t pt;
  if (!rd_i64(r, "milliseconds", &pt.ms) || !rd_i64(r, "bytes", &pt.bytes) || !rd_done(r, kw)) return false;
  prof_t* p = r->p;
  prof_grow(&p->timeline, &r->timeline_cap, p->ntimeline, sizeof(*p->timeline));
  p->timeline[p->ntimeline++] = pt;
  return true;
}

static bool rd_peak(rd_t* r, const char* kw) {
  if (!rd_i64(r, "milliseconds", &r->p->peak_ms) || !rd_i64(r, "bytes", &r->p->peak_bytes) || !rd_done(r, kw)) return false;
  r->p->has_peak = true;
  return true;
}

static bool rd_end(rd_t* r, const char* kw) {
  r->seen_end = true;
  return true;
}

typedef struct rd_kw_s {
  const char* kw;
  bool (*parse)(rd_t* r, const char* kw);
} rd_kw_t;

static const rd_kw_t rd_kws[] = {
    {"hakmem-profile", rd_header},
    {"pid", rd_pid},
    {"exe", rd_exe},
    {"start", rd_start},
    {"time", rd_time},
    {"reason", rd_reason},
    {"interval", rd_interval},
    {"map", rd_map},
    {"stack", rd_stack},
    {"sample", rd_sample},
    {"site", rd_site},
    {"timeline", rd_timeline},
    {"peak", rd_peak},
    {"end", rd_end},
    {NULL, NULL},
};

// One line (without its newline); false on a malformed line.
static bool rd_line(rd_t* r, char* line) {
  r->cur = line;
  char* kw = rd_field(r);
  if (!kw || !*kw) return true;  // empty line: nothing to read
  if (r->line == 1 && strcmp(kw, "hakmem-profile")) {
    rd_error(r, "not a hakmem profile data file (the first line is not 'hakmem-profile 1')");
    return false;
  }
  for (const rd_kw_t* k = rd_kws; k->kw; k++) {
    if (!strcmp(kw, k->kw)) return k->parse(r, kw);
  }
  return true;  // a keyword of a later version
}

// ----- After the last line -----
static bool rd_resolve_samples(rd_t* r) {
  prof_t* p = r->p;
  for (size_t i = 0; i < r->nsamples; i++) {
    rd_sample_t* s = &r->samples[i];
    size_t k = *rd_index_slot(&r->ids, s->stack);
    prof_stack_t* st = k ? &p->stacks[k - 1] : NULL;
    if (!st) {
      r->line = s->line;
      rd_error(r, "sample: no stack line defines stack %" PRIu64, s->stack);
      return false;
    }
    for (int v = 0; v < PROF_NVALUES; v++) st->v[v] += s->v[v];  // several samples of one stack add up
    st->sampled = true;
  }
  p->nsamples = r->nsamples;
  return true;
}

static void rd_assign_maps(prof_t* p) {
  for (size_t i = 0; i < p->nlocs; i++) {
    prof_loc_t* l = &p->locs[i];
    for (size_t m = 0; m < p->nmaps; m++) {
      if (l->addr >= p->maps[m].start && l->addr < p->maps[m].limit) {
        l->map = (long)m;
        p->maps[m].used = true;
        break;
      }
    }
  }
}

static bool rd_file(rd_t* r, FILE* f) {
  char* line = NULL;
  size_t cap = 0;
  ssize_t n;
  bool ok = true;
  while (ok && !r->seen_end && (n = getline(&line, &cap, f)) >= 0) {
    r->line++;
    bool complete = n > 0 && line[n - 1] == '\n';
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    if (!complete && r->line > 1 && strcmp(line, "end")) {
      // The last line, without its newline and not `end`: the writer stopped in the middle of it.
      fprintf(stderr, "%s: warning: %s:%zu: the last line is cut short ('%s'); ignored\n", r->who, r->p->path, r->line, line);
      break;
    }
    ok = rd_line(r, line);
  }
  if (ok && ferror(f)) {
    fprintf(stderr, "%s: %s: error: cannot read: %s\n", r->who, r->p->path, strerror(errno));
    ok = false;
  }
  if (ok && r->line == 0) {
    fprintf(stderr, "%s: %s: error: empty file (not a hakmem profile data file)\n", r->who, r->p->path);
    ok = false;
  }
  free(line);
  return ok;
}

prof_t* prof_read(const char* path, const char* who) {
  FILE* f = strcmp(path, "-") ? fopen(path, "r") : stdin;
  if (!f) {
    fprintf(stderr, "%s: %s: error: cannot open: %s\n", who, path, strerror(errno));
    return NULL;
  }
  prof_t* p = prof_xmalloc(sizeof(*p));
  memset(p, 0, sizeof(*p));
  p->path = prof_xstrdup(strcmp(path, "-") ? path : "<stdin>");
  p->pid = -1;
  p->interval = -1;
  rd_t r;
  memset(&r, 0, sizeof(r));
  r.p = p;
  r.who = who;
  bool ok = rd_file(&r, f);
  if (f != stdin) fclose(f);
  ok = ok && rd_resolve_samples(&r);
  rd_index_free(&r.addrs);
  rd_index_free(&r.ids);
  free(r.samples);
  if (!ok) {
    prof_free(p);
    return NULL;
  }
  if (!r.seen_end) {
    p->truncated = true;
    fprintf(stderr, "%s: warning: %s: no 'end' line: the file is truncated (the writer stopped early); read as far as it goes\n",
            who, p->path);
  }
  rd_assign_maps(p);
  return p;
}

static void prof_frames_free(prof_frame_t* fr, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(fr[i].func);
    free(fr[i].file);
  }
  free(fr);
}

void prof_free(prof_t* p) {
  if (!p) return;
  for (size_t i = 0; i < p->nmaps; i++) {
    free(p->maps[i].build_id);
    free(p->maps[i].path);
  }
  for (size_t i = 0; i < p->nlocs; i++) prof_frames_free(p->locs[i].frames, p->locs[i].nframes);
  for (size_t i = 0; i < p->nstacks; i++) free(p->stacks[i].locs);
  for (size_t i = 0; i < p->nsites; i++) {
    free(p->sites[i].subsys);
    free(p->sites[i].name);
    prof_frames_free(p->sites[i].frames, p->sites[i].nframes);
  }
  free(p->maps);
  free(p->locs);
  free(p->stacks);
  free(p->sites);
  free(p->timeline);
  free(p->path);
  free(p->exe);
  free(p->reason);
  free(p);
}
