/* prof_folded.c: folded stacks, the input of flamegraph.pl, inferno and
   speedscope: one line per stack, `root;...;leaf VALUE`, VALUE the chosen
   sample type (--type, inuse_space by default). Stacks that come out the
   same after --skip are added together, lines with value 0 are left out,
   lines are sorted. In frame names `;` and control characters (newlines)
   become `_`; a stack left without frames is `[no frames]`. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "prof.h"

typedef struct fold_line_s {
  char* stack;
  int64_t value;
} fold_line_t;

static void fold_append_name(prof_buf_t* b, const char* name) {
  for (const char* c = name; *c; c++) prof_buf_byte(b, (*c == ';' || (unsigned char)*c < 0x20 || *c == 0x7f) ? '_' : (uint8_t)*c);
}

static int fold_cmp(const void* a, const void* b) {
  return strcmp(((const fold_line_t*)a)->stack, ((const fold_line_t*)b)->stack);
}

bool prof_render_folded(FILE* out, const prof_view_t* v, const prof_opts_t* o) {
  fold_line_t* lines = prof_xmalloc((v->nentries + 1) * sizeof(*lines));
  size_t n = 0;
  for (size_t i = 0; i < v->nentries; i++) {
    const prof_entry_t* e = &v->entries[i];
    if (e->v[o->type] == 0) continue;
    prof_buf_t b = {0};
    for (size_t k = 0; k < e->nframes; k++) {
      if (k) prof_buf_byte(&b, ';');
      fold_append_name(&b, e->frames[k]->func);
    }
    if (e->nframes == 0) fold_append_name(&b, v->none->func);
    prof_buf_byte(&b, 0);
    lines[n].stack = (char*)b.data;
    lines[n++].value = e->v[o->type];
  }
  qsort(lines, n, sizeof(*lines), fold_cmp);
  bool ok = true;
  for (size_t i = 0; i < n; i++) {
    int64_t value = lines[i].value;
    while (i + 1 < n && !strcmp(lines[i].stack, lines[i + 1].stack)) value += lines[++i].value;
    if (value != 0 && fprintf(out, "%s %" PRId64 "\n", lines[i].stack, value) < 0) ok = false;
  }
  for (size_t i = 0; i < n; i++) free(lines[i].stack);
  free(lines);
  return ok;
}
