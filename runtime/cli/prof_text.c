/* prof_text.c: the text report: a header (program, reason, samples, stacks,
   sites, interval, truncation, peak), the top N leaf functions (after
   --skip; sites count by the last part of their name) by live bytes and by
   allocated bytes, the sites' totals per subsystem, and a 60x12 chart of
   estimated live bytes over time with the peak marked. --summary (hakmem
   prof's report on stderr) stops after the top tables. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "prof.h"

#define TEXT_COLS 60
#define TEXT_ROWS 12

static int text_sort_type;

static int text_agg_cmp(const void* a, const void* b) {
  const prof_agg_t* x = a;
  const prof_agg_t* y = b;
  int64_t vx = x->v[text_sort_type], vy = y->v[text_sort_type];
  if (vx != vy) return vx < vy ? 1 : -1;
  return strcmp(x->leaf->func, y->leaf->func);
}

static void text_header(FILE* out, const prof_view_t* v, const prof_opts_t* o) {
  const prof_t* p = v->p;
  char b1[32];
  fprintf(out, "hakmem profile %s", p->path);
  if (p->exe) fprintf(out, ": %s", p->exe);
  if (p->pid >= 0) fprintf(out, " (pid %ld)", p->pid);
  if (p->reason) fprintf(out, ", written at %s", p->reason);
  if (p->time > 0 && p->start > 0) fprintf(out, " after %.3f s", p->time - p->start);
  fprintf(out, "%s\n", p->truncated ? "; TRUNCATED (no 'end' line): what the writer had written" : "");
  fprintf(out, "%zu samples, %zu stacks, %zu sites", p->nsamples, p->nstacks, p->nsites);
  if (p->interval > 0)
    fprintf(out, "; sampling interval %" PRId64 " bytes (%s) on average", p->interval,
            prof_fmt_bytes(b1, sizeof(b1), (double)p->interval));
  else if (p->interval == 0)
    fprintf(out, "; no sampling (every allocation counted)");
  fputc('\n', out);
  if (p->has_peak)
    fprintf(out, "peak: %s live at %.3f s\n", prof_fmt_bytes(b1, sizeof(b1), (double)p->peak_bytes), p->peak_ms / 1000.0);
  for (size_t i = 0; i < o->nskip; i++) fprintf(out, "skip: %s\n", o->skip[i]);
}

static void text_top(FILE* out, prof_agg_t* agg, size_t n, int type, int objects, const char* title, int top) {
  text_sort_type = type;
  qsort(agg, n, sizeof(*agg), text_agg_cmp);
  int64_t total = 0;
  for (size_t i = 0; i < n; i++) total += agg[i].v[type];
  char b1[32], b2[256 + 4096];
  fprintf(out, "\ntop %d by %s (total %s):\n", top, title, prof_fmt_bytes(b1, sizeof(b1), (double)total));
  fprintf(out, "%12s %7s %12s  %s\n", "bytes", "%", "blocks", "function (leaf)");
  int shown = 0;
  for (size_t i = 0; i < n && shown < top; i++) {
    if (agg[i].v[type] == 0) break;
    double pct = total ? 100.0 * (double)agg[i].v[type] / (double)total : 0;
    fprintf(out, "%12s %6.1f%% %12" PRId64 "  %s\n", prof_fmt_bytes(b1, sizeof(b1), (double)agg[i].v[type]), pct,
            agg[i].v[objects], prof_fmt_frame(b2, sizeof(b2), agg[i].leaf));
    shown++;
  }
  if (!shown) fprintf(out, "%12s\n", "(none)");
}

static void text_subsystems(FILE* out, const prof_t* p) {
  prof_subsys_t* t;
  size_t n = prof_subsys_totals(p, &t);
  if (n) {
    char b[5][32];
    fprintf(out, "\nsites by subsystem (%zu sites):\n", p->nsites);
    fprintf(out, "%-16s %6s %12s %12s %12s %12s %12s %12s\n", "subsystem", "sites", "allocs", "bytes", "frees", "freed", "live",
            "peak");
    for (size_t i = 0; i < n; i++) {
      fprintf(out, "%-16s %6zu %12" PRId64 " %12s %12" PRId64 " %12s %12s %12s\n", t[i].name, t[i].nsites, t[i].allocs,
              prof_fmt_bytes(b[0], 32, (double)t[i].bytes), t[i].frees, prof_fmt_bytes(b[1], 32, (double)t[i].freed),
              prof_fmt_bytes(b[2], 32, (double)t[i].live), prof_fmt_bytes(b[3], 32, (double)t[i].peak));
    }
  }
  free(t);
}

static int text_site_cmp(const void* a, const void* b) {
  const prof_site_t* x = *(const prof_site_t* const*)a;
  const prof_site_t* y = *(const prof_site_t* const*)b;
  return x->bytes != y->bytes ? (x->bytes < y->bytes ? 1 : -1) : (x->index > y->index) - (x->index < y->index);
}

// The `top` sites by bytes allocated, each by its whole name (a long one cut
// on its root side: the leaf end says most).
static void text_sites(FILE* out, const prof_t* p, int top) {
  if (!p->nsites) return;
  const prof_site_t** s = prof_xmalloc(p->nsites * sizeof(*s));
  for (size_t i = 0; i < p->nsites; i++) s[i] = &p->sites[i];
  qsort(s, p->nsites, sizeof(*s), text_site_cmp);
  size_t n = p->nsites < (size_t)top ? p->nsites : (size_t)top;
  fprintf(out, "\ntop %zu sites by allocated bytes:\n%-60s %-10s %10s %11s %10s %11s %11s\n", n, "site", "subsystem", "allocs",
          "bytes", "frees", "live", "peak");
  for (size_t i = 0; i < n; i++) {
    char b[3][32];
    size_t len = strlen(s[i]->name);
    const char* name = len > 60 ? s[i]->name + len - 57 : s[i]->name;
    fprintf(out, "%s%-*s %-10s %10" PRId64 " %11s %10" PRId64 " %11s %11s\n", len > 60 ? "..." : "", len > 60 ? 57 : 60, name,
            s[i]->subsys, s[i]->allocs, prof_fmt_bytes(b[0], 32, (double)s[i]->bytes), s[i]->frees,
            prof_fmt_bytes(b[1], 32, (double)s[i]->live), prof_fmt_bytes(b[2], 32, (double)s[i]->peak));
  }
  free(s);
}

// Live bytes in each of TEXT_COLS time columns: the highest point in the column, else the last value before it.
static void text_columns(const prof_t* p, int64_t span, double* col) {
  double last = 0;
  size_t k = 0;
  for (int c = 0; c < TEXT_COLS; c++) {
    double hi = -1;
    int64_t end = (int64_t)((double)span * (c + 1) / TEXT_COLS);
    for (; k < p->ntimeline && (p->timeline[k].ms <= end || c == TEXT_COLS - 1); k++) {
      if ((double)p->timeline[k].bytes > hi) hi = (double)p->timeline[k].bytes;
      last = (double)p->timeline[k].bytes;
    }
    col[c] = hi >= 0 ? hi : last;
  }
}

static void text_timeline(FILE* out, const prof_t* p) {
  if (!p->ntimeline) {
    fprintf(out, "\nlive bytes over time: no timeline in the file\n");
    return;
  }
  bool any = p->has_peak && p->peak_bytes > 0;
  for (size_t i = 0; i < p->ntimeline && !any; i++) any = p->timeline[i].bytes > 0;
  if (!any) {
    fprintf(out, "\nlive bytes over time: no sampled allocation (the timeline follows the sampled stacks of malloc & co)\n");
    return;
  }
  int64_t span = prof_duration_ms(p);
  if (span <= 0) span = 1;
  double col[TEXT_COLS];
  text_columns(p, span, col);
  double top = p->has_peak ? (double)p->peak_bytes : 0;
  for (int c = 0; c < TEXT_COLS; c++) top = col[c] > top ? col[c] : top;
  if (top <= 0) top = 1;
  int peak_col = 0;  // the column whose time range holds the peak (as text_columns counts them)
  while (peak_col < TEXT_COLS - 1 && (int64_t)((double)span * (peak_col + 1) / TEXT_COLS) < p->peak_ms) peak_col++;
  if (!p->has_peak) peak_col = -1;
  char b1[32];
  fprintf(out, "\nlive bytes over time (estimated; @ marks the peak):\n");
  for (int r = TEXT_ROWS; r >= 1; r--) {
    if (r == TEXT_ROWS)
      fprintf(out, "%10s ^", prof_fmt_bytes(b1, sizeof(b1), top));
    else
      fprintf(out, "%10s |", "");
    for (int c = 0; c < TEXT_COLS; c++) {
      int h = (int)ceil(col[c] / top * TEXT_ROWS - 1e-9);
      fputc(h >= r ? (c == peak_col ? '@' : '#') : ' ', out);
    }
    fputc('\n', out);
  }
  fprintf(out, "%10s +", "0");
  for (int c = 0; c < TEXT_COLS; c++) fputc('-', out);
  fprintf(out, "> s\n%11s0%*.*f\n", "", TEXT_COLS, 3, (double)span / 1000.0);
}

bool prof_render_text(FILE* out, const prof_view_t* v, const prof_opts_t* o) {
  text_header(out, v, o);
  prof_agg_t* agg;
  size_t n = prof_aggregate_leaves(v, &agg);
  text_top(out, agg, n, PROF_INUSE_SPACE, PROF_INUSE_OBJECTS, "live bytes (inuse_space)", o->top);
  text_top(out, agg, n, PROF_ALLOC_SPACE, PROF_ALLOC_OBJECTS, "allocated bytes (alloc_space)", o->top);
  free(agg);
  if (!o->summary) {
    text_subsystems(out, v->p);
    text_sites(out, v->p, o->top);
    text_timeline(out, v->p);
  }
  return !ferror(out);
}
