/* prof_svg.c: one self-contained SVG picture (no script): on top, a chart of
   estimated live bytes over time with the peak marked; below it, a flame
   graph of the chosen sample type (--type, inuse_space by default), root at
   the bottom, each frame as wide as its value, children in name order, with
   a <title> tooltip giving function, value and percentage of the total.
   Frames under 0.1% of the total are left out (with what they call). Code
   frames are warm colours, site frames (a site's `[SUBSYS]` and name parts)
   blue. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "prof.h"

#define SVG_W 1200
#define SVG_PAD 10
#define SVG_FRAME_H 17
#define SVG_CHART_H 150
#define SVG_CHAR_W 7.0

typedef struct svg_node_s {
  const prof_frame_t* frame;  // NULL for the root
  int64_t value;
  struct svg_node_s* kids;
  size_t nkids, cap;
} svg_node_t;

static svg_node_t* svg_child(svg_node_t* n, const prof_frame_t* f) {
  for (size_t i = 0; i < n->nkids; i++) {
    if (!strcmp(n->kids[i].frame->func, f->func)) return &n->kids[i];
  }
  prof_grow(&n->kids, &n->cap, n->nkids, sizeof(*n->kids));
  svg_node_t* k = &n->kids[n->nkids++];
  memset(k, 0, sizeof(*k));
  k->frame = f;
  return k;
}

static int svg_kid_cmp(const void* a, const void* b) {
  return strcmp(((const svg_node_t*)a)->frame->func, ((const svg_node_t*)b)->frame->func);
}

static void svg_tree_sort(svg_node_t* n) {
  if (n->nkids > 1) qsort(n->kids, n->nkids, sizeof(*n->kids), svg_kid_cmp);
  for (size_t i = 0; i < n->nkids; i++) svg_tree_sort(&n->kids[i]);
}

static void svg_tree_free(svg_node_t* n) {
  for (size_t i = 0; i < n->nkids; i++) svg_tree_free(&n->kids[i]);
  free(n->kids);
}

// Depth (in frames) of the part of the tree at least min wide.
static int svg_depth(const svg_node_t* n, int64_t min) {
  int d = 0;
  for (size_t i = 0; i < n->nkids; i++) {
    if (n->kids[i].value < min) continue;
    int k = svg_depth(&n->kids[i], min);
    d = k > d ? k : d;
  }
  return d + 1;
}

// Text for XML: markup characters escaped, control characters and bytes that are not UTF-8 as '?'.
static void svg_text(FILE* out, const char* s, size_t max) {
  size_t n = 0;
  for (const unsigned char* c = (const unsigned char*)s; *c && n < max; c++, n++) {
    if (*c == '&')
      fputs("&amp;", out);
    else if (*c == '<')
      fputs("&lt;", out);
    else if (*c == '>')
      fputs("&gt;", out);
    else if (*c == '"')
      fputs("&quot;", out);
    else if (*c < 0x20 || *c == 0x7f)
      fputc('?', out);
    else if (*c < 0x80)
      fputc(*c, out);
    else {
      int len = *c >= 0xF0 && *c <= 0xF4 ? 4 : *c >= 0xE0 ? 3 : *c >= 0xC2 && *c < 0xE0 ? 2 : 0;
      for (int i = 1; i < len; i++) {
        if ((c[i] & 0xC0) != 0x80) len = 0;
      }
      if (len) {
        fwrite(c, 1, (size_t)len, out);
        c += len - 1;
      } else {
        fputc('?', out);
      }
    }
  }
}

static const char* svg_value(char* buf, size_t size, int type, int64_t v) {
  if (type == PROF_ALLOC_SPACE || type == PROF_INUSE_SPACE || type == PROF_PEAK_SPACE)
    return prof_fmt_bytes(buf, size, (double)v);
  snprintf(buf, size, "%" PRId64 " blocks", v);
  return buf;
}

static void svg_color(char* buf, size_t size, const prof_frame_t* f) {
  uint32_t h = 2166136261u;
  for (const char* c = f ? f->func : "all"; *c; c++) h = (h ^ (uint8_t)*c) * 16777619u;
  if (!f)
    snprintf(buf, size, "rgb(200,200,200)");
  else if (f->site)
    snprintf(buf, size, "rgb(%u,%u,%u)", 80 + h % 60, 140 + (h >> 8) % 60, 220 + (h >> 16) % 35);
  else
    snprintf(buf, size, "rgb(%u,%u,%u)", 225 + h % 30, 80 + (h >> 8) % 130, 40 + (h >> 16) % 40);
}

typedef struct svg_ctx_s {
  FILE* out;
  int type;
  int64_t total, min;
  double scale;  // pixels per unit of value
  int base_y;    // y of the root row
} svg_ctx_t;

static void svg_frame(const svg_ctx_t* c, const svg_node_t* n, double x, int depth) {
  double w = (double)n->value * c->scale;
  int y = c->base_y - depth * SVG_FRAME_H;
  char val[48], color[32];
  const char* name = n->frame ? n->frame->func : "all";
  svg_color(color, sizeof(color), n->frame);
  fprintf(c->out, "<g><title>");
  svg_text(c->out, name, 4096);
  fprintf(c->out, " (%s, %.2f%%)</title><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" rx=\"2\"/>",
          svg_value(val, sizeof(val), c->type, n->value), c->total ? 100.0 * (double)n->value / (double)c->total : 0, x, y, w,
          SVG_FRAME_H - 1, color);
  size_t fit = w > 3 * SVG_CHAR_W ? (size_t)((w - 6) / SVG_CHAR_W) : 0;
  if (fit) {
    fprintf(c->out, "<text x=\"%.1f\" y=\"%d\">", x + 3, y + 12);
    svg_text(c->out, name, strlen(name) > fit ? fit - 2 : fit);
    fputs(strlen(name) > fit ? "..</text>" : "</text>", c->out);
  }
  fputs("</g>\n", c->out);
  for (size_t i = 0; i < n->nkids; i++) {
    if (n->kids[i].value < c->min) continue;
    svg_frame(c, &n->kids[i], x, depth + 1);
    x += (double)n->kids[i].value * c->scale;
  }
}

// The live-bytes chart between y0 and y0 + SVG_CHART_H.
static void svg_chart(FILE* out, const prof_t* p, int y0) {
  int x0 = SVG_PAD + 80, x1 = SVG_W - SVG_PAD, y1 = y0 + SVG_CHART_H;
  char b[32];
  fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"h\">live bytes over time (estimated)</text>\n", SVG_PAD, y0 - 6);
  fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#f8f8f8\" stroke=\"#999\"/>\n", x0, y0, x1 - x0,
          SVG_CHART_H);
  if (!p->ntimeline) {
    fprintf(out, "<text x=\"%d\" y=\"%d\">no timeline in the file</text>\n", x0 + 10, y0 + SVG_CHART_H / 2);
    return;
  }
  int64_t span = prof_duration_ms(p);
  if (span <= 0) span = 1;
  int64_t top = p->has_peak ? p->peak_bytes : 0;
  for (size_t i = 0; i < p->ntimeline; i++) top = p->timeline[i].bytes > top ? p->timeline[i].bytes : top;
  if (top <= 0) top = 1;
  double sx = (double)(x1 - x0) / (double)span, sy = (double)SVG_CHART_H / (double)top;
  fprintf(out, "<polygon fill=\"rgb(120,160,230)\" stroke=\"rgb(40,80,170)\" points=\"%d,%d", x0, y1);
  double last = 0;
  for (size_t i = 0; i < p->ntimeline; i++) {  // steps: the value holds until the next point
    double x = x0 + (double)p->timeline[i].ms * sx;
    fprintf(out, " %.1f,%.1f %.1f,%.1f", x, y1 - last * sy, x, y1 - (double)p->timeline[i].bytes * sy);
    last = (double)p->timeline[i].bytes;
  }
  fprintf(out, " %d,%.1f %d,%d\"/>\n", x1, y1 - last * sy, x1, y1);
  fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", x0 - 4, y0 + 10,
          prof_fmt_bytes(b, sizeof(b), (double)top));
  fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", x0 - 4, y1);
  fprintf(out, "<text x=\"%d\" y=\"%d\">0 s</text>\n", x0, y1 + 14);
  fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.3f s</text>\n", x1, y1 + 14, (double)span / 1000.0);
  if (p->has_peak) {
    double px = x0 + (double)p->peak_ms * sx, py = y1 - (double)p->peak_bytes * sy;
    fprintf(out, "<g><title>peak: %s at %.3f s</title><circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"rgb(200,30,30)\"/></g>\n",
            prof_fmt_bytes(b, sizeof(b), (double)p->peak_bytes), p->peak_ms / 1000.0, px, py);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">peak %s</text>\n", px + (px > x1 - 120 ? -8 : 8), py + 12,
            px > x1 - 120 ? "end" : "start", b);
  }
}

bool prof_render_svg(FILE* out, const prof_view_t* v, const prof_opts_t* o) {
  const prof_t* p = v->p;
  svg_node_t root;
  memset(&root, 0, sizeof(root));
  for (size_t i = 0; i < v->nentries; i++) {
    const prof_entry_t* e = &v->entries[i];
    int64_t val = e->v[o->type];
    if (val <= 0) continue;
    root.value += val;
    svg_node_t* n = &root;
    for (size_t k = 0; k < e->nframes; k++) {
      n = svg_child(n, e->frames[k]);
      n->value += val;
    }
    if (!e->nframes) svg_child(n, v->none)->value += val;
  }
  svg_tree_sort(&root);
  svg_ctx_t c = {out, o->type, root.value, root.value / 1000 > 0 ? root.value / 1000 : 1, 0, 0};
  c.scale = root.value ? (double)(SVG_W - 2 * SVG_PAD) / (double)root.value : 0;
  int depth = root.value ? svg_depth(&root, c.min) : 0;
  int chart_y = 50, flame_y = chart_y + SVG_CHART_H + 50;
  int height = flame_y + depth * SVG_FRAME_H + 30;
  c.base_y = flame_y + (depth - 1) * SVG_FRAME_H;
  char val[48];
  fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  fprintf(out,
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"monospace\" "
          "font-size=\"11\">\n",
          SVG_W, height, SVG_W, height);
  fprintf(out, "<style>text{fill:#000}.h{font-size:14px;font-weight:bold}rect:hover{stroke:#000}</style>\n");
  fprintf(out, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n<text x=\"%d\" y=\"22\" class=\"h\">hakmem profile ",
          SVG_PAD);
  svg_text(out, p->exe ? p->exe : p->path, 200);
  fprintf(out, "%s</text>\n", p->truncated ? " (TRUNCATED: no end line)" : "");
  svg_chart(out, p, chart_y);
  fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"h\">%s by call stack (total %s; frames under 0.1%% left out)</text>\n", SVG_PAD,
          flame_y - 10, prof_value_names[o->type], svg_value(val, sizeof(val), o->type, root.value));
  if (root.value)
    svg_frame(&c, &root, SVG_PAD, 0);
  else
    fprintf(out, "<text x=\"%d\" y=\"%d\">nothing to draw: every %s is 0</text>\n", SVG_PAD, flame_y + 12,
            prof_value_names[o->type]);
  fprintf(out, "</svg>\n");
  svg_tree_free(&root);
  return !ferror(out);
}
