/* prof.h: the profile side of the `hakmem` command (`hakmem report`, `hakmem prof`).

   libhakmem writes its profile as a `.hprof` data file (docs/profile-format.md);
   this side reads it (prof_read.c), names the return addresses through
   addr2line (prof_sym.c), turns stacks and sites into one list of entries with
   their frames (prof_core.c) and draws it: text, JSON, SVG flame graph, folded
   stacks, pprof (prof_text.c, prof_json.c, prof_svg.c, prof_folded.c,
   prof_pprof.c). Every renderer draws from the same prof_view_t. */
#ifndef HAK_PROF_H
#define HAK_PROF_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"

// ----- The data file, as read -----
typedef struct prof_map_s {
  uint64_t start, limit;  // runtime addresses [start, limit)
  uint64_t offset;        // the segment's offset in its file
  uint64_t bias;          // load bias: runtime address - link-time address
  char* build_id;         // hex, NULL for '-'
  char* path;
  bool all_funcs;  // after symbolization: every location has a function name from debug info
  bool all_files;  // ... a file name
  bool all_lines;  // ... a line number
  bool used;       // some stack address falls in it
} prof_map_t;

// One frame: a function (or a fallback name), maybe with file and line.
typedef struct prof_frame_s {
  char* func;  // never NULL
  char* file;  // NULL when unknown
  long line;   // 0 when unknown
  bool site;   // frame of a site name (or its subsystem), not of an address
} prof_frame_t;

// One unique return address of the stacks and the frames it stands for.
typedef struct prof_loc_s {
  uint64_t addr;         // the return address, as in the file
  long map;              // index in prof_t.maps, -1: in no map
  prof_frame_t* frames;  // innermost (inlined) first; at least one after symbolization
  size_t nframes;
  bool symbolized;  // names come from debug info (not a fallback)
} prof_loc_t;

enum {
  PROF_ALLOC_OBJECTS,
  PROF_ALLOC_SPACE,
  PROF_INUSE_OBJECTS,
  PROF_INUSE_SPACE,
  PROF_PEAK_OBJECTS,
  PROF_PEAK_SPACE,
  PROF_NVALUES
};
extern const char* const prof_value_names[PROF_NVALUES];  // "alloc_objects", ...

typedef struct prof_stack_s {
  uint64_t id;
  size_t* locs;  // indices into prof_t.locs, leaf first
  size_t nlocs;
  int64_t v[PROF_NVALUES];  // from its sample line (0 without one)
  bool sampled;             // a sample line named it
} prof_stack_t;

typedef struct prof_site_s {
  uint64_t index;
  char* subsys;
  bool exact;
  int64_t allocs, bytes, frees, freed, live, peak;
  char* name;
  prof_frame_t* frames;  // [SUBSYS] then the parts of the name, root first
  size_t nframes;
} prof_site_t;

typedef struct prof_point_s {
  int64_t ms, bytes;
} prof_point_t;

typedef struct prof_s {
  char* path;
  int version;
  long pid;            // -1 when absent
  char* exe;           // NULL when absent
  double start, time;  // unix seconds, 0 when absent
  char* reason;        // NULL when absent
  int64_t interval;    // -1 when absent
  prof_map_t* maps;
  size_t nmaps;
  prof_loc_t* locs;
  size_t nlocs;
  prof_stack_t* stacks;
  size_t nstacks;
  size_t nsamples;  // sample lines
  prof_site_t* sites;
  size_t nsites;
  prof_point_t* timeline;
  size_t ntimeline;
  bool has_peak;
  int64_t peak_ms, peak_bytes;
  bool truncated;  // no `end` line
} prof_t;

// Reads path; on failure prints `WHO: PATH:LINE: error: ...` and returns NULL.
// A missing `end` sets truncated and prints a warning.
prof_t* prof_read(const char* path, const char* who);
void prof_free(prof_t* p);
// Names every location's address (addr2line, once per object); fallbacks and warnings as documented.
void prof_symbolize(prof_t* p, const char* who);

// ----- What the renderers draw -----
typedef struct prof_entry_s {
  const prof_frame_t** frames;  // root first, after --skip
  size_t nframes;
  int64_t v[PROF_NVALUES];
  const prof_stack_t* stack;  // the stack it comes from, or NULL
  const prof_site_t* site;    // the site it comes from, or NULL
} prof_entry_t;

typedef struct prof_opts_s {
  const char* who;    // "hakmem report" / "hakmem prof": prefix of messages
  int type;           // value drawn by folded/svg (PROF_INUSE_SPACE by default)
  int top;            // rows of the text tables
  const char** skip;  // --skip regexes as given
  size_t nskip;
  bool summary;  // text: header and top tables only (hakmem prof's stderr summary)
  FILE* stream;  // where prof_report_file writes without an output path (NULL: stdout)
} prof_opts_t;

typedef struct prof_view_s {
  const prof_t* p;
  prof_entry_t* entries;  // every sampled stack, then every site
  size_t nentries;
  const prof_frame_t* none;  // the frame of an entry left without frames
} prof_view_t;

// Builds the entries; false (with a message) when a --skip regex does not compile.
bool prof_view_build(prof_view_t* v, const prof_t* p, const prof_opts_t* o);
void prof_view_free(prof_view_t* v);
// The entry's leaf frame (v->none when it has no frame).
const prof_frame_t* prof_entry_leaf(const prof_view_t* v, const prof_entry_t* e);

// Totals by leaf function name (after --skip), in no particular order.
typedef struct prof_agg_s {
  const prof_frame_t* leaf;  // one leaf frame of that name (for its file)
  int64_t v[PROF_NVALUES];
  size_t entries;  // stacks and sites added up
} prof_agg_t;
size_t prof_aggregate_leaves(const prof_view_t* v, prof_agg_t** out);

// Totals of the sites by subsystem, in order of first appearance.
typedef struct prof_subsys_s {
  const char* name;
  size_t nsites;
  int64_t allocs, bytes, frees, freed, live, peak;  // peak: sum of the sites' peaks (an upper bound)
} prof_subsys_t;
size_t prof_subsys_totals(const prof_t* p, prof_subsys_t** out);
// Total of one value over every entry.
int64_t prof_view_total(const prof_view_t* v, int type);
// Milliseconds the timeline covers (last point, peak, or the dump's time after start).
int64_t prof_duration_ms(const prof_t* p);

// ----- Formats -----
typedef enum prof_format_e {
  PROF_FMT_NONE = -1,
  PROF_FMT_TEXT,
  PROF_FMT_JSON,
  PROF_FMT_SVG,
  PROF_FMT_FOLDED,
  PROF_FMT_PPROF,
  PROF_FMT_HPROF
} prof_format_t;
prof_format_t prof_format_from_name(const char* name);  // "text", "json", ...; PROF_FMT_NONE otherwise
prof_format_t prof_format_from_path(const char* path);  // by extension; PROF_FMT_NONE when unknown
const char* prof_format_name(prof_format_t f);
int prof_type_from_name(const char* name);  // one of the four pprof sample types, -1 otherwise

// Each writes the whole report to out and returns false on a write error.
bool prof_render_text(FILE* out, const prof_view_t* v, const prof_opts_t* o);
bool prof_render_json(FILE* out, const prof_view_t* v, const prof_opts_t* o);
bool prof_render_svg(FILE* out, const prof_view_t* v, const prof_opts_t* o);
bool prof_render_folded(FILE* out, const prof_view_t* v, const prof_opts_t* o);
bool prof_render_pprof(FILE* out, const prof_view_t* v, const prof_opts_t* o);

// Reads in_path, symbolizes, renders fmt to out_path (NULL: o->stream or stdout). Exit status 0 or 1; messages printed.
int prof_report_file(const char* in_path, const char* out_path, prof_format_t fmt, const prof_opts_t* o);

// ----- Helpers -----
typedef struct prof_buf_s {
  uint8_t* data;
  size_t len, cap;
} prof_buf_t;
void prof_buf_put(prof_buf_t* b, const void* data, size_t n);
void prof_buf_byte(prof_buf_t* b, uint8_t c);
void prof_buf_free(prof_buf_t* b);

void* prof_xmalloc(size_t n);  // exits with a message when out of memory
void* prof_xrealloc(void* p, size_t n);
char* prof_xstrdup(const char* s);
// Grows *arr (of elem-size items, *cap of them) so that one more fits after n.
void prof_grow(void* arr, size_t* cap, size_t n, size_t elem);

// "1.5 MiB", "512 B" into buf.
const char* prof_fmt_bytes(char* buf, size_t size, double bytes);
// Frame as "func (file:line)" or "func".
const char* prof_fmt_frame(char* buf, size_t size, const prof_frame_t* f);
// The base name of a path (pointer into it).
const char* prof_basename(const char* path);

// Command-line options: one table (cli.h's cli_opt_t) gives getopt_long its options and --help its text.
// Option codes shared by `hakmem report` and `hakmem prof` (beyond the short letters).
enum { PROF_OPT_FORMAT = 256, PROF_OPT_TYPE, PROF_OPT_TOP, PROF_OPT_SKIP, PROF_OPT_HELP, PROF_OPT_CMD };
// --type, --top, --skip into o; false after a message.
bool prof_opt_common(int code, const char* arg, prof_opts_t* o);

#endif
