/* prof_core.c: what every profile renderer shares: the entries they draw
   (sampled stacks and sites with their frames, root first, after --skip) and
   their totals.

   --skip works as pprof's drop_frames: the regexes are joined with `|` and
   must match a whole function name; the frame nearest the root that matches
   is dropped together with every frame on its leaf side. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "prof.h"

const char* const prof_value_names[PROF_NVALUES] = {"alloc_objects", "alloc_space",  "inuse_objects",
                                                    "inuse_space",   "peak_objects", "peak_space"};

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
