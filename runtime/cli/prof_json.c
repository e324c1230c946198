/* prof_json.c: the profile as one JSON object: the header fields, the maps,
   every stack with its symbolized frames (leaf first, as in the data file,
   after --skip) and its six values, every site with its counts and frames,
   the per-subsystem totals, the timeline and the peak. Strings are escaped
   (control characters as \u00XX; bytes that are not UTF-8 become U+FFFD). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "prof.h"

// Length of the valid UTF-8 sequence at s, 0 when it is not one.
static int json_utf8_len(const unsigned char* s) {
  int n = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 && s[0] < 0xE0 ? 2 : 0;
  for (int i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
  }
  return n;
}

static void json_str(FILE* out, const char* s) {
  if (!s) {
    fputs("null", out);
    return;
  }
  fputc('"', out);
  for (const unsigned char* c = (const unsigned char*)s; *c; c++) {
    if (*c == '"' || *c == '\\')
      fprintf(out, "\\%c", *c);
    else if (*c == '\n')
      fputs("\\n", out);
    else if (*c == '\t')
      fputs("\\t", out);
    else if (*c < 0x20 || *c == 0x7f)
      fprintf(out, "\\u%04x", *c);
    else if (*c < 0x80)
      fputc(*c, out);
    else {
      int n = json_utf8_len(c);
      if (n) {
        fwrite(c, 1, (size_t)n, out);
        c += n - 1;
      } else {
        fputs("\\ufffd", out);
      }
    }
  }
  fputc('"', out);
}

static void json_frame(FILE* out, const prof_frame_t* f, const prof_t* p, const prof_loc_t* l, bool inlined) {
  fputs("{\"function\": ", out);
  json_str(out, f->func);
  fputs(", \"file\": ", out);
  json_str(out, f->file);
  if (f->line > 0)
    fprintf(out, ", \"line\": %ld", f->line);
  else
    fputs(", \"line\": null", out);
  if (l) {
    fprintf(out, ", \"address\": \"0x%" PRIx64 "\", \"object\": ", l->addr);
    json_str(out, l->map >= 0 ? p->maps[l->map].path : NULL);
    fprintf(out, ", \"inlined\": %s, \"symbolized\": %s", inlined ? "true" : "false", l->symbolized ? "true" : "false");
  }
  fputc('}', out);
}

// The entry's frames, leaf first; for a stack each frame with its location.
static void json_frames(FILE* out, const prof_view_t* v, const prof_entry_t* e) {
  const prof_t* p = v->p;
  const prof_loc_t** locs = prof_xmalloc((e->nframes + 1) * sizeof(*locs));
  bool* inl = prof_xmalloc(e->nframes + 1);
  if (e->stack) {
    size_t n = 0;
    for (size_t i = e->stack->nlocs; i-- > 0 && n < e->nframes;) {
      const prof_loc_t* l = &p->locs[e->stack->locs[i]];
      for (size_t k = l->nframes; k-- > 0 && n < e->nframes; n++) {
        locs[n] = l;
        inl[n] = k + 1 < l->nframes;
      }
    }
  }
  fputc('[', out);
  for (size_t i = e->nframes; i-- > 0;) {
    json_frame(out, e->frames[i], p, e->stack ? locs[i] : NULL, e->stack && inl[i]);
    if (i) fputs(", ", out);
  }
  fputc(']', out);
  free(locs);
  free(inl);
}

static void json_values(FILE* out, const int64_t* v) {
  for (int i = 0; i < PROF_NVALUES; i++) fprintf(out, ", \"%s\": %" PRId64, prof_value_names[i], v[i]);
}

static void json_header(FILE* out, const prof_view_t* v, const prof_opts_t* o) {
  const prof_t* p = v->p;
  fprintf(out, "{\n  \"format\": %d,\n  \"file\": ", p->version);
  json_str(out, p->path);
  fputs(",\n  \"pid\": ", out);
  if (p->pid >= 0)
    fprintf(out, "%ld", p->pid);
  else
    fputs("null", out);
  fputs(",\n  \"exe\": ", out);
  json_str(out, p->exe);
  fputs(",\n  \"reason\": ", out);
  json_str(out, p->reason);
  fprintf(out, ",\n  \"start\": %.3f,\n  \"time\": %.3f,\n  \"interval\": ", p->start, p->time);
  if (p->interval >= 0)
    fprintf(out, "%" PRId64, p->interval);
  else
    fputs("null", out);
  fprintf(out, ",\n  \"truncated\": %s,\n  \"samples\": %zu,\n  \"type\": \"%s\",\n  \"skip\": [",
          p->truncated ? "true" : "false", p->nsamples, prof_value_names[o->type]);
  for (size_t i = 0; i < o->nskip; i++) {
    if (i) fputs(", ", out);
    json_str(out, o->skip[i]);
  }
  fputs("],\n  \"totals\": {", out);
  for (int i = 0; i < PROF_NVALUES; i++)
    fprintf(out, "%s\"%s\": %" PRId64, i ? ", " : "", prof_value_names[i], prof_view_total(v, i));
  fputs("},\n", out);
}

static void json_maps(FILE* out, const prof_t* p) {
  fputs("  \"maps\": [", out);
  for (size_t i = 0; i < p->nmaps; i++) {
    const prof_map_t* m = &p->maps[i];
    fprintf(out,
            "%s\n    {\"start\": \"0x%" PRIx64 "\", \"limit\": \"0x%" PRIx64 "\", \"offset\": \"0x%" PRIx64
            "\", \"bias\": \"0x%" PRIx64 "\", \"build_id\": ",
            i ? "," : "", m->start, m->limit, m->offset, m->bias);
    json_str(out, m->build_id);
    fputs(", \"path\": ", out);
    json_str(out, m->path);
    fputc('}', out);
  }
  fputs(p->nmaps ? "\n  ],\n" : "],\n", out);
}

// An entry's six values and frames, and the end of its object.
static void json_entry_end(FILE* out, const prof_view_t* v, const prof_entry_t* e) {
  json_values(out, e->v);
  fputs(", \"frames\": ", out);
  json_frames(out, v, e);
  fputc('}', out);
}

static void json_stacks(FILE* out, const prof_view_t* v) {
  fputs("  \"stacks\": [", out);
  bool first = true;
  for (size_t i = 0; i < v->nentries; i++) {
    const prof_entry_t* e = &v->entries[i];
    if (!e->stack) continue;
    fprintf(out, "%s\n    {\"id\": %" PRIu64 "", first ? "" : ",", e->stack->id);
    json_entry_end(out, v, e);
    first = false;
  }
  fputs(first ? "],\n" : "\n  ],\n", out);
}

static void json_sites(FILE* out, const prof_view_t* v) {
  fputs("  \"sites\": [", out);
  bool first = true;
  for (size_t i = 0; i < v->nentries; i++) {
    const prof_entry_t* e = &v->entries[i];
    const prof_site_t* s = e->site;
    if (!s) continue;
    fprintf(out, "%s\n    {\"index\": %" PRIu64 ", \"subsystem\": ", first ? "" : ",", s->index);
    json_str(out, s->subsys);
    fputs(", \"name\": ", out);
    json_str(out, s->name);
    fprintf(out,
            ", \"exact\": %s, \"allocs\": %" PRId64 ", \"bytes\": %" PRId64 ", \"frees\": %" PRId64 ", \"freed\": %" PRId64
            ", \"live\": %" PRId64 ", \"peak\": %" PRId64,
            s->exact ? "true" : "false", s->allocs, s->bytes, s->frees, s->freed, s->live, s->peak);
    json_entry_end(out, v, e);
    first = false;
  }
  fputs(first ? "],\n" : "\n  ],\n", out);
}

static void json_subsystems(FILE* out, const prof_t* p) {
  prof_subsys_t* t;
  size_t n = prof_subsys_totals(p, &t);
  fputs("  \"subsystems\": [", out);
  for (size_t i = 0; i < n; i++) {
    fprintf(out, "%s\n    {\"name\": ", i ? "," : "");
    json_str(out, t[i].name);
    fprintf(out,
            ", \"sites\": %zu, \"allocs\": %" PRId64 ", \"bytes\": %" PRId64 ", \"frees\": %" PRId64 ", \"freed\": %" PRId64
            ", \"live\": %" PRId64 ", \"peak\": %" PRId64 "}",
            t[i].nsites, t[i].allocs, t[i].bytes, t[i].frees, t[i].freed, t[i].live, t[i].peak);
  }
  fputs(n ? "\n  ],\n" : "],\n", out);
  free(t);
}

static void json_timeline(FILE* out, const prof_t* p) {
  fputs("  \"timeline\": [", out);
  for (size_t i = 0; i < p->ntimeline; i++) {
    fprintf(out, "%s{\"ms\": %" PRId64 ", \"bytes\": %" PRId64 "}", i ? ", " : "", p->timeline[i].ms, p->timeline[i].bytes);
  }
  fputs("],\n  \"peak\": ", out);
  if (p->has_peak)
    fprintf(out, "{\"ms\": %" PRId64 ", \"bytes\": %" PRId64 "}\n}\n", p->peak_ms, p->peak_bytes);
  else
    fputs("null\n}\n", out);
}

bool prof_render_json(FILE* out, const prof_view_t* v, const prof_opts_t* o) {
  json_header(out, v, o);
  json_maps(out, v->p);
  json_stacks(out, v);
  json_sites(out, v);
  json_subsystems(out, v->p);
  json_timeline(out, v->p);
  return !ferror(out);
}
