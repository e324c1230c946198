/* prof_pprof.c: the profile as pprof's profile.proto (perftools.profiles.Profile),
   gzipped, for `go tool pprof` (-top, -http=:8080, ...) and other pprof readers.

   The protobuf is encoded here by hand (varints, length-delimited fields,
   packed repeated numbers), and gzipped here too: RFC 1952 with deflate
   *stored* blocks (RFC 1951 BTYPE=00, at most 65535 bytes each) and a CRC-32
   computed here; no compression, every reader accepts it. pprof output is
   always gzipped, whatever the file's name.

   Contents: sample types alloc_objects/count, alloc_space/bytes,
   inuse_objects/count, inuse_space/bytes (default inuse_space); period type
   space/bytes with the sampling interval as period; time_nanos from `time`,
   duration_nanos from `start` to `time`; one Mapping per `map` line (memory
   range, file offset, file name, build id, and has_functions, has_filenames,
   has_line_numbers, has_inline_frames set only when every location of the
   mapping got them from addr2line); one Location per return address (address
   A - 1, the call) with one Line per frame, inlined frames innermost first;
   one Function per name and file. Sites are samples too: each frame of a
   site (its `[SUBSYS]` root and the parts of its name) is a Location without
   mapping. Stacks are written whole: --skip goes into drop_frames (the
   regexes joined with `|`), which pprof applies when it reads the file. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prof.h"

// ----- Protobuf -----
enum { PB_VARINT = 0, PB_LEN = 2 };

static void pb_varint(prof_buf_t* b, uint64_t v) {
  while (v >= 0x80) {
    prof_buf_byte(b, (uint8_t)(v | 0x80));
    v >>= 7;
  }
  prof_buf_byte(b, (uint8_t)v);
}

static void pb_key(prof_buf_t* b, int field, int wire) { pb_varint(b, ((uint64_t)field << 3) | (uint64_t)wire); }

// A varint field, left out when 0 (the default).
static void pb_uint(prof_buf_t* b, int field, uint64_t v) {
  if (!v) return;
  pb_key(b, field, PB_VARINT);
  pb_varint(b, v);
}

static void pb_bytes(prof_buf_t* b, int field, const void* data, size_t len) {
  pb_key(b, field, PB_LEN);
  pb_varint(b, len);
  prof_buf_put(b, data, len);
}

// Moves the finished message msg into b as field `field`, and empties msg.
static void pb_message(prof_buf_t* b, int field, prof_buf_t* msg) {
  pb_bytes(b, field, msg->data, msg->len);
  msg->len = 0;
}

static void pb_packed(prof_buf_t* b, int field, const uint64_t* v, size_t n) {
  if (!n) return;
  prof_buf_t tmp = {0};
  for (size_t i = 0; i < n; i++) pb_varint(&tmp, v[i]);
  pb_message(b, field, &tmp);
  prof_buf_free(&tmp);
}

// ----- The string table (and keys of functions) -----
typedef struct pp_strtab_s {
  char** strs;  // in table order
  size_t n, cap;
  size_t* slots;  // open addressing: index + 1
  size_t nslots;
} pp_strtab_t;

static uint64_t pp_hash(const char* s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return h;
}

static void pp_strtab_rehash(pp_strtab_t* t) {
  size_t ns = t->nslots ? t->nslots * 2 : 1024;
  size_t* slots = prof_xmalloc(ns * sizeof(size_t));
  memset(slots, 0, ns * sizeof(size_t));
  for (size_t i = 0; i < t->n; i++) {
    size_t h = pp_hash(t->strs[i]) & (ns - 1);
    while (slots[h]) h = (h + 1) & (ns - 1);
    slots[h] = i + 1;
  }
  free(t->slots);
  t->slots = slots;
  t->nslots = ns;
}

// Index of s, added on first use.
static int64_t pp_str(pp_strtab_t* t, const char* s) {
  if ((t->n + 1) * 2 > t->nslots) pp_strtab_rehash(t);
  size_t h = pp_hash(s) & (t->nslots - 1);
  while (t->slots[h]) {
    if (!strcmp(t->strs[t->slots[h] - 1], s)) return (int64_t)(t->slots[h] - 1);
    h = (h + 1) & (t->nslots - 1);
  }
  prof_grow(&t->strs, &t->cap, t->n, sizeof(char*));
  t->strs[t->n] = prof_xstrdup(s);
  t->slots[h] = ++t->n;
  return (int64_t)(t->n - 1);
}

static void pp_strtab_free(pp_strtab_t* t) {
  for (size_t i = 0; i < t->n; i++) free(t->strs[i]);
  free(t->strs);
  free(t->slots);
}

// ----- The profile -----
typedef struct pp_s {
  const prof_t* p;
  prof_buf_t out;       // the Profile message
  prof_buf_t msg, sub;  // scratch
  pp_strtab_t strs;
  pp_strtab_t fkeys;    // "name\1file" of each Function, in id order
  size_t site_loc0;     // location ids of site frames start after this
  pp_strtab_t sframes;  // names of site frames, in location id order
} pp_t;

// Function id (1-based) of a frame; written on first use.
static uint64_t pp_function(pp_t* pp, const prof_frame_t* f) {
  size_t len = strlen(f->func) + (f->file ? strlen(f->file) : 0) + 2;
  char* key = prof_xmalloc(len);
  snprintf(key, len, "%s\1%s", f->func, f->file ? f->file : "");
  size_t before = pp->fkeys.n;
  uint64_t id = (uint64_t)pp_str(&pp->fkeys, key) + 1;
  free(key);
  if (pp->fkeys.n != before) {
    prof_buf_t fn = {0};
    pb_uint(&fn, 1, id);
    pb_uint(&fn, 2, (uint64_t)pp_str(&pp->strs, f->func));
    pb_uint(&fn, 3, (uint64_t)pp_str(&pp->strs, f->func));  // addr2line -C gives the demangled name only
    if (f->file) pb_uint(&fn, 4, (uint64_t)pp_str(&pp->strs, f->file));
    pb_message(&pp->out, 5, &fn);
    prof_buf_free(&fn);
  }
  return id;
}

static void pp_line(pp_t* pp, prof_buf_t* loc, const prof_frame_t* f) {
  prof_buf_t line = {0};
  pb_uint(&line, 1, pp_function(pp, f));
  pb_uint(&line, 2, f->line > 0 ? (uint64_t)f->line : 0);
  pb_message(loc, 4, &line);
  prof_buf_free(&line);
}

static void pp_value_type(pp_t* pp, int field, const char* type, const char* unit) {
  prof_buf_t vt = {0};
  pb_uint(&vt, 1, (uint64_t)pp_str(&pp->strs, type));
  pb_uint(&vt, 2, (uint64_t)pp_str(&pp->strs, unit));
  pb_message(&pp->out, field, &vt);
  prof_buf_free(&vt);
}

static void pp_mappings(pp_t* pp) {
  for (size_t m = 0; m < pp->p->nmaps; m++) {
    const prof_map_t* map = &pp->p->maps[m];
    prof_buf_t* b = &pp->msg;
    pb_uint(b, 1, m + 1);
    pb_uint(b, 2, map->start);
    pb_uint(b, 3, map->limit);
    pb_uint(b, 4, map->offset);
    pb_uint(b, 5, (uint64_t)pp_str(&pp->strs, map->path));
    if (map->build_id) pb_uint(b, 6, (uint64_t)pp_str(&pp->strs, map->build_id));
    pb_uint(b, 7, map->used && map->all_funcs);
    pb_uint(b, 8, map->used && map->all_files);
    pb_uint(b, 9, map->used && map->all_lines);
    pb_uint(b, 10, map->used && map->all_funcs);  // addr2line -i: inlined frames are there when names are
    pb_message(&pp->out, 3, b);
  }
}

static void pp_locations(pp_t* pp) {
  const prof_t* p = pp->p;
  for (size_t i = 0; i < p->nlocs; i++) {
    const prof_loc_t* l = &p->locs[i];
    prof_buf_t* b = &pp->sub;
    pb_uint(b, 1, i + 1);
    pb_uint(b, 2, l->map >= 0 ? (uint64_t)l->map + 1 : 0);
    pb_uint(b, 3, l->map >= 0 ? l->addr - 1 : l->addr);
    for (size_t k = 0; k < l->nframes; k++) pp_line(pp, b, &l->frames[k]);
    pb_message(&pp->out, 4, b);
  }
  pp->site_loc0 = p->nlocs;
}

// Location id of a site frame (one per name); written on first use.
static uint64_t pp_site_location(pp_t* pp, const prof_frame_t* f) {
  size_t before = pp->sframes.n;
  uint64_t id = pp->site_loc0 + (uint64_t)pp_str(&pp->sframes, f->func) + 1;
  if (pp->sframes.n != before) {
    prof_buf_t loc = {0};
    pb_uint(&loc, 1, id);
    pp_line(pp, &loc, f);
    pb_message(&pp->out, 4, &loc);
    prof_buf_free(&loc);
  }
  return id;
}

static void pp_sample(pp_t* pp, const uint64_t* locs, size_t nlocs, const int64_t* v) {
  uint64_t values[4];
  for (int i = 0; i < 4; i++) values[i] = (uint64_t)v[i];
  if (!(values[0] | values[1] | values[2] | values[3])) return;
  prof_buf_t* b = &pp->msg;
  pb_packed(b, 1, locs, nlocs);
  pb_packed(b, 2, values, 4);
  pb_message(&pp->out, 2, b);
}

static void pp_samples(pp_t* pp, const prof_view_t* v) {
  const prof_t* p = pp->p;
  size_t cap = 64;
  uint64_t* locs = prof_xmalloc(cap * sizeof(uint64_t));
  for (size_t i = 0; i < v->nentries; i++) {
    const prof_entry_t* e = &v->entries[i];
    size_t n = 0;
    if (e->stack) {
      if (e->stack->nlocs > cap) locs = prof_xrealloc(locs, (cap = e->stack->nlocs) * sizeof(uint64_t));
      for (size_t k = 0; k < e->stack->nlocs; k++) locs[n++] = e->stack->locs[k] + 1;  // leaf first, whole (no --skip)
    } else {
      if (e->site->nframes > cap) locs = prof_xrealloc(locs, (cap = e->site->nframes) * sizeof(uint64_t));
      for (size_t k = e->site->nframes; k-- > 0;) locs[n++] = pp_site_location(pp, &e->site->frames[k]);
    }
    pp_sample(pp, locs, n, e->v);
  }
  free(locs);
  (void)p;
}

static void pp_header(pp_t* pp, const prof_opts_t* o) {
  const prof_t* p = pp->p;
  pp_str(&pp->strs, "");
  pp_value_type(pp, 1, "alloc_objects", "count");
  pp_value_type(pp, 1, "alloc_space", "bytes");
  pp_value_type(pp, 1, "inuse_objects", "count");
  pp_value_type(pp, 1, "inuse_space", "bytes");
  pp_value_type(pp, 11, "space", "bytes");
  pb_uint(&pp->out, 12, p->interval > 0 ? (uint64_t)p->interval : 0);
  if (p->time > 0) pb_uint(&pp->out, 9, (uint64_t)(p->time * 1e9));
  if (p->time > 0 && p->start > 0 && p->time >= p->start) pb_uint(&pp->out, 10, (uint64_t)((p->time - p->start) * 1e9));
  pb_uint(&pp->out, 14, (uint64_t)pp_str(&pp->strs, "inuse_space"));
  char comment[4400];
  snprintf(comment, sizeof(comment), "hakmem profile of %s (pid %ld, written at %s%s)", p->exe ? p->exe : "?", p->pid,
           p->reason ? p->reason : "?", p->truncated ? ", truncated" : "");
  pb_uint(&pp->out, 13, (uint64_t)pp_str(&pp->strs, comment));
  if (o->nskip) {
    prof_buf_t drop = {0};
    for (size_t i = 0; i < o->nskip; i++) {
      if (i) prof_buf_byte(&drop, '|');
      prof_buf_put(&drop, o->skip[i], strlen(o->skip[i]));
    }
    prof_buf_byte(&drop, 0);
    pb_uint(&pp->out, 7, (uint64_t)pp_str(&pp->strs, (char*)drop.data));
    prof_buf_free(&drop);
  }
}

// ----- gzip -----
static uint32_t pp_crc_table[256];

static void pp_crc_init(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    pp_crc_table[n] = c;
  }
}

static uint32_t pp_crc32(const uint8_t* d, size_t n) {
  if (!pp_crc_table[1]) pp_crc_init();
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) c = pp_crc_table[(c ^ d[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

static void pp_le32(uint8_t* b, uint32_t v) {
  for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i));
}

// Writes data as one gzip member of stored deflate blocks.
static bool pp_gzip(FILE* out, const uint8_t* data, size_t len, time_t mtime) {
  uint8_t hdr[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};  // deflate, no flags, mtime, no extra flags, Unix
  pp_le32(hdr + 4, (uint32_t)mtime);
  bool ok = fwrite(hdr, 1, sizeof(hdr), out) == sizeof(hdr);
  size_t off = 0;
  do {
    size_t n = len - off > 65535 ? 65535 : len - off;
    bool last = off + n == len;
    uint8_t bh[5] = {last ? 1 : 0, (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)~n,
                     (uint8_t)(~n >> 8)};  // BFINAL, BTYPE=00; LEN, NLEN
    ok = ok && fwrite(bh, 1, sizeof(bh), out) == sizeof(bh);
    ok = ok && (n == 0 || fwrite(data + off, 1, n, out) == n);
    off += n;
  } while (off < len);
  uint8_t trailer[8];
  pp_le32(trailer, pp_crc32(data, len));
  pp_le32(trailer + 4, (uint32_t)len);
  return ok && fwrite(trailer, 1, sizeof(trailer), out) == sizeof(trailer);
}

bool prof_render_pprof(FILE* out, const prof_view_t* v, const prof_opts_t* o) {
  pp_t pp;
  memset(&pp, 0, sizeof(pp));
  pp.p = v->p;
  pp_header(&pp, o);
  pp_mappings(&pp);
  pp_locations(&pp);
  pp_samples(&pp, v);
  for (size_t i = 0; i < pp.strs.n; i++) pb_bytes(&pp.out, 6, pp.strs.strs[i], strlen(pp.strs.strs[i]));
  bool ok = pp_gzip(out, pp.out.data, pp.out.len, v->p->time > 0 ? (time_t)v->p->time : time(NULL));
  pp_strtab_free(&pp.strs);
  pp_strtab_free(&pp.fkeys);
  pp_strtab_free(&pp.sframes);
  prof_buf_free(&pp.out);
  prof_buf_free(&pp.msg);
  prof_buf_free(&pp.sub);
  return ok;
}
