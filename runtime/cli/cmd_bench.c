/* cmd_bench.c: `hakmem bench`, the scenario benchmark driver.

   For every scenario and thread count it runs the scenario once per
   allocator, in a child process, interleaved (A B C ... A B C ...) `runs`
   times, and quotes medians. hakmem runs the scenario's hakmem build
   (hak_alloc_at, or the runtime on hakmem); the peers run its malloc build
   (or the runtime on malloc) with the peer library in LD_PRELOAD; glibc runs
   the malloc build alone. Every run must prove who served it: the program's
   last `allocator:` line names hakmem with its allocation count, or the peer
   library it found mapped; a run that proves the wrong allocator fails the
   benchmark. Peak RSS comes from wait4(). Progress goes to stderr, the table
   to stdout, and optionally JSON and an SVG chart to files. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#ifndef HAK_BENCH_BIN_DIR
#define HAK_BENCH_BIN_DIR "."
#endif
#ifndef HAK_BENCH_SRC_DIR
#define HAK_BENCH_SRC_DIR "."
#endif
#ifndef HAK_LIBHAKMEM_PATH
#define HAK_LIBHAKMEM_PATH "libhakmem.so"
#endif

// ----- Scenarios -----
typedef enum bench_metric_e { BENCH_THROUGHPUT, BENCH_TIME } bench_metric_t;

// Argument templates: "{T}" is replaced by the thread count, "{BIN}" by the
// scenario binary directory, "{SRC}" by the bench source directory, "{CLI}"
// by this program's path. The first word is the program.
typedef struct bench_scenario_s {
  const char* name;
  const char* what;
  bench_metric_t metric;
  const char* hak_cmd;     // hakmem build
  const char* malloc_cmd;  // malloc build (peers under LD_PRELOAD, glibc alone)
  const char* smoke_args;  // replaces the arguments after the program for --smoke; NULL: same
  const char* malloc_env;  // extra environment for the malloc build, "K=V" or NULL
} bench_scenario_t;

static const bench_scenario_t bench_scenarios[] = {
    {"larson", "server churn: threads replace random blocks (8..1000 B) and hand their arrays to new threads",
     BENCH_THROUGHPUT, "{BIN}/larson_hak 1 8 1000 1000 100000 1 {T}", "{BIN}/larson 1 8 1000 1000 100000 1 {T}",
     "0.2 8 1000 100 1000 1 {T}", NULL},
    {"micro", "malloc/free pairs per tier and rings of live blocks", BENCH_THROUGHPUT, "{BIN}/micro_hak all 1000000 {T}",
     "{BIN}/micro all 1000000 {T}", "all 2000 {T}", NULL},
    {"prodcons", "T producer/consumer thread pairs pass mixed-size blocks through rings: every free is remote",
     BENCH_THROUGHPUT, "{BIN}/prodcons_hak 6000000 {T}", "{BIN}/prodcons 6000000 {T}", "20000 {T}", NULL},
    {"json", "hjson parses, walks, modifies, writes and frees generated documents (runtime on hakmem vs on malloc)",
     BENCH_THROUGHPUT, "{BIN}/json_hak 2500 {T}", "{BIN}/json 2500 {T}", "20 {T} 8", NULL},
    {"mir", "the hk compiler: parse, SSA, every pass, lowering of generated programs; MIR released per function",
     BENCH_THROUGHPUT, "{BIN}/mir_hak 40 {T}", "{BIN}/mir 40 {T}", "2 {T} 2", NULL},
    {"vm", "hk scripts on the VM, each thread runs the suite: binary trees, strings, maps, JSON round trips, channels",
     BENCH_THROUGHPUT,
     "{BIN}/vm_hak {T} {SRC}/scenarios/vm/trees.hk {SRC}/scenarios/vm/strings.hk {SRC}/scenarios/vm/maps.hk {SRC}/scenarios/vm/json.hk {SRC}/scenarios/vm/chan.hk",
     "{BIN}/vm {T} {SRC}/scenarios/vm/trees.hk {SRC}/scenarios/vm/strings.hk {SRC}/scenarios/vm/maps.hk {SRC}/scenarios/vm/json.hk {SRC}/scenarios/vm/chan.hk",
     "{T} {SRC}/scenarios/vm/trees.hk=6 {SRC}/scenarios/vm/strings.hk=3 {SRC}/scenarios/vm/maps.hk=2 {SRC}/scenarios/vm/json.hk=3 {SRC}/scenarios/vm/chan.hk=20", NULL},
};
#define BENCH_SCENARIO_COUNT (sizeof(bench_scenarios) / sizeof(bench_scenarios[0]))

// ----- Allocators -----
typedef struct bench_alloc_s {
  const char* name;
  const char* lib_names[3];  // candidates for LD_PRELOAD, searched in the library dirs; none: no preload
  bool hak_build;            // runs the hakmem build
  bool hakmem_so;            // preloads libhakmem.so
  char path[512];            // resolved library path
  bool available;
} bench_alloc_t;

static bench_alloc_t bench_allocs[] = {
    {"hakmem", {NULL}, true, false, "", false},
    {"hakmem.so", {NULL}, false, true, "", false},
    {"glibc", {NULL}, false, false, "", false},
    {"mimalloc", {"libmimalloc.so.2", "libmimalloc.so", NULL}, false, false, "", false},
    {"jemalloc", {"libjemalloc.so.2", "libjemalloc.so", NULL}, false, false, "", false},
    {"tcmalloc", {"libtcmalloc_minimal.so.4", "libtcmalloc.so.4", NULL}, false, false, "", false},
};
#define BENCH_ALLOC_COUNT (sizeof(bench_allocs) / sizeof(bench_allocs[0]))

static const char* const bench_lib_dirs[] = {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
                                             "/usr/lib", "/usr/local/lib", NULL};

static void bench_find_allocators(void) {
  for (size_t a = 0; a < BENCH_ALLOC_COUNT; a++) {
    bench_alloc_t* al = &bench_allocs[a];
    if (al->hak_build || (al->lib_names[0] == NULL && !al->hakmem_so)) {
      al->available = true;
      continue;
    }
    if (al->hakmem_so) {
      const char* env = getenv("HAKMEM_LIB");
      snprintf(al->path, sizeof(al->path), "%s", env != NULL ? env : HAK_LIBHAKMEM_PATH);
      al->available = access(al->path, R_OK) == 0;
      continue;
    }
    for (size_t d = 0; bench_lib_dirs[d] != NULL && !al->available; d++) {
      for (size_t n = 0; al->lib_names[n] != NULL && !al->available; n++) {
        snprintf(al->path, sizeof(al->path), "%s/%s", bench_lib_dirs[d], al->lib_names[n]);
        al->available = access(al->path, R_OK) == 0;
      }
    }
  }
}

// ----- Options -----
typedef struct bench_opts_s {
  bool scenario_on[BENCH_SCENARIO_COUNT];
  bool alloc_on[BENCH_ALLOC_COUNT];
  unsigned threads[16];
  size_t nthreads;
  unsigned runs;
  bool smoke;
  const char* json_path;
  const char* svg_path;
  char bin_dir[1024];
  char src_dir[1024];
  char cli_path[1024];
} bench_opts_t;

static int bench_usage(void) {
  fprintf(stderr,
          "usage: hakmem bench [--scenario LIST] [--threads LIST] [--allocator LIST] [--runs N]\n"
          "                    [--json FILE] [--svg FILE] [--smoke] [--list]\n"
          "  LIST is comma-separated; defaults: every scenario, threads 1,2,4, every installed allocator, 3 runs.\n");
  return 2;
}

// Marks the names of a comma-separated list on; false on an unknown name.
static bool bench_parse_names(const char* list, const char* const* names, size_t count, bool* on, const char* what) {
  memset(on, 0, count * sizeof(bool));
  char buf[512];
  snprintf(buf, sizeof(buf), "%s", list);
  for (char* tok = strtok(buf, ","); tok != NULL; tok = strtok(NULL, ",")) {
    size_t i = 0;
    while (i < count && strcmp(names[i], tok) != 0) i++;
    if (i == count) {
      fprintf(stderr, "hakmem bench: unknown %s '%s'\n", what, tok);
      return false;
    }
    on[i] = true;
  }
  return true;
}

static bool bench_parse_threads(const char* list, bench_opts_t* o) {
  char buf[256];
  snprintf(buf, sizeof(buf), "%s", list);
  o->nthreads = 0;
  for (char* tok = strtok(buf, ","); tok != NULL; tok = strtok(NULL, ",")) {
    char* end;
    long t = strtol(tok, &end, 10);
    if (*end != 0 || t < 1 || t > 64 || o->nthreads == 16) {
      fprintf(stderr, "hakmem bench: bad thread count '%s' (1..64)\n", tok);
      return false;
    }
    o->threads[o->nthreads++] = (unsigned)t;
  }
  return o->nthreads > 0;
}

static int bench_parse_opts(int argc, char** argv, bench_opts_t* o) {
  const char* snames[BENCH_SCENARIO_COUNT];
  const char* anames[BENCH_ALLOC_COUNT];
  for (size_t i = 0; i < BENCH_SCENARIO_COUNT; i++) snames[i] = bench_scenarios[i].name, o->scenario_on[i] = true;
  for (size_t i = 0; i < BENCH_ALLOC_COUNT; i++) anames[i] = bench_allocs[i].name, o->alloc_on[i] = true;
  o->threads[0] = 1, o->threads[1] = 2, o->threads[2] = 4, o->nthreads = 3;
  o->runs = 3;
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--smoke") == 0) {
      o->smoke = true;
    } else if (strcmp(a, "--list") == 0) {
      for (size_t s = 0; s < BENCH_SCENARIO_COUNT; s++) printf("%-10s %s\n", bench_scenarios[s].name, bench_scenarios[s].what);
      return 0;
    } else if (v == NULL) {
      return bench_usage();
    } else if (strcmp(a, "--scenario") == 0) {
      if (!bench_parse_names(v, snames, BENCH_SCENARIO_COUNT, o->scenario_on, "scenario")) return 2;
      i++;
    } else if (strcmp(a, "--allocator") == 0) {
      if (!bench_parse_names(v, anames, BENCH_ALLOC_COUNT, o->alloc_on, "allocator")) return 2;
      i++;
    } else if (strcmp(a, "--threads") == 0) {
      if (!bench_parse_threads(v, o)) return 2;
      i++;
    } else if (strcmp(a, "--runs") == 0) {
      o->runs = (unsigned)atoi(v);
      if (o->runs < 1 || o->runs > 99) return bench_usage();
      i++;
    } else if (strcmp(a, "--json") == 0) {
      o->json_path = v, i++;
    } else if (strcmp(a, "--svg") == 0) {
      o->svg_path = v, i++;
    } else {
      return bench_usage();
    }
  }
  return -1;  // go on
}

// ----- One run -----
typedef struct bench_run_s {
  bool ok;
  double value;     // throughput (ops/s) or seconds
  double rss_kb;    // peak RSS of the child
  char proof[160];  // the allocator line
} bench_run_t;

// Expands a command template into argv (static storage in buf).
static size_t bench_expand(const char* tmpl, const bench_opts_t* o, unsigned threads, char* buf, size_t cap, char** argv,
                           size_t max_args) {
  size_t n = 0, len = 0;
  for (const char* c = tmpl; *c && len + 1 < cap;) {
    const char* sub = NULL;
    char tbuf[16];
    if (strncmp(c, "{T}", 3) == 0) snprintf(tbuf, sizeof(tbuf), "%u", threads), sub = tbuf, c += 3;
    else if (strncmp(c, "{BIN}", 5) == 0) sub = o->bin_dir, c += 5;
    else if (strncmp(c, "{SRC}", 5) == 0) sub = o->src_dir, c += 5;
    else if (strncmp(c, "{CLI}", 5) == 0) sub = o->cli_path, c += 5;
    if (sub != NULL) {
      size_t l = strlen(sub);
      if (len + l + 1 >= cap) break;
      memcpy(buf + len, sub, l);
      len += l;
    } else {
      buf[len++] = *c++;
    }
  }
  buf[len] = 0;
  for (char* tok = strtok(buf, " "); tok != NULL && n + 1 < max_args; tok = strtok(NULL, " ")) argv[n++] = tok;
  argv[n] = NULL;
  return n;
}

// The command for a scenario and allocator (with --smoke, the smoke arguments).
static void bench_command(const bench_scenario_t* s, const bench_alloc_t* al, const bench_opts_t* o, char* out, size_t cap) {
  const char* cmd = al->hak_build ? s->hak_cmd : s->malloc_cmd;
  if (!o->smoke || s->smoke_args == NULL) {
    snprintf(out, cap, "%s", cmd);
    return;
  }
  const char* space = strchr(cmd, ' ');
  int prog = space != NULL ? (int)(space - cmd) : (int)strlen(cmd);
  snprintf(out, cap, "%.*s %s", prog, cmd, s->smoke_args);
}

// Finds the last "key=NUMBER" in text (a program's summary line comes last);
// returns false if absent.
static bool bench_find_number(const char* text, const char* key, double* out) {
  size_t klen = strlen(key);
  bool found = false;
  for (const char* p = strstr(text, key); p != NULL; p = strstr(p + 1, key)) {
    if ((p == text || p[-1] == ' ' || p[-1] == '\n') && p[klen] == '=') {
      *out = strtod(p + klen + 1, NULL);
      found = true;
    }
  }
  return found;
}

// Checks the run's `allocator:` line against the allocator it was meant for.
static bool bench_check_proof(const bench_alloc_t* al, const char* out, char* proof, size_t cap) {
  const char* line = NULL;
  for (const char* p = strstr(out, "allocator: "); p != NULL; p = strstr(p + 1, "allocator: ")) line = p;
  if (line == NULL) {
    snprintf(proof, cap, "(no allocator line)");
    return false;
  }
  size_t n = strcspn(line, "\n");
  snprintf(proof, cap, "%.*s", (int)(n < cap - 1 ? n : cap - 1), line);
  double allocs = 0;
  bench_find_number(proof, "hak_allocs", &allocs);
  if (al->hak_build || al->hakmem_so) return strstr(proof, "allocator: hakmem") != NULL && allocs > 0;
  char want[64];
  snprintf(want, sizeof(want), "allocator: %s", al->name);
  return strncmp(proof, want, strlen(want)) == 0 && allocs == 0;
}

static bench_run_t bench_run_once(const bench_scenario_t* s, const bench_alloc_t* al, const bench_opts_t* o, unsigned threads) {
  bench_run_t r = {0};
  char tmpl[1024], buf[2048];
  char* argv[64];
  bench_command(s, al, o, tmpl, sizeof(tmpl));
  bench_expand(tmpl, o, threads, buf, sizeof(buf), argv, 64);
  int out_pipe[2];
  char err_path[] = "/tmp/hakmem-bench-XXXXXX";
  int err_fd = mkstemp(err_path);
  if (err_fd < 0 || pipe(out_pipe) != 0) {
    snprintf(r.proof, sizeof(r.proof), "cannot create a pipe: %s", strerror(errno));
    return r;
  }
  unlink(err_path);
  double t0 = 0;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  t0 = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_fd, 2);
    close(out_pipe[0]);
    if (al->path[0] != 0 && !al->hak_build) setenv("LD_PRELOAD", al->path, 1);
    else unsetenv("LD_PRELOAD");
    if (!al->hak_build && s->malloc_env != NULL) putenv((char*)s->malloc_env);
    execv(argv[0], argv);
    fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(out_pipe[1]);
  char out[16384];
  size_t len = 0;
  ssize_t n;
  while ((n = read(out_pipe[0], out + len, sizeof(out) - 1 - len)) > 0) len += (size_t)n;
  out[len] = 0;
  close(out_pipe[0]);
  int status = 0;
  struct rusage ru;
  wait4(pid, &status, 0, &ru);
  clock_gettime(CLOCK_MONOTONIC, &ts);
  double wall = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9 - t0;
  r.rss_kb = (double)ru.ru_maxrss;
  bool proved = bench_check_proof(al, out, r.proof, sizeof(r.proof));
  bool have = s->metric == BENCH_THROUGHPUT ? bench_find_number(out, "throughput", &r.value)
                                            : (bench_find_number(out, "seconds", &r.value) || ((r.value = wall), true));
  r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && proved && have;
  if (!r.ok) {
    char err[2048];
    ssize_t e = pread(err_fd, err, sizeof(err) - 1, 0);
    err[e > 0 ? e : 0] = 0;
    fprintf(stderr, "hakmem bench: %s/%s/%ut failed (status %d, %s)\n  command: %s\n  stdout: %.400s\n  stderr: %.400s\n",
            s->name, al->name, threads, status, proved ? "allocator proved" : "allocator NOT proved", tmpl, out, err);
  }
  close(err_fd);
  return r;
}

// ----- Results -----
typedef struct bench_cell_s {
  double values[99];
  double rss[99];
  unsigned n;
  double median, rss_median;
  bool failed;
  char proof[160];
} bench_cell_t;

static int bench_cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static double bench_median(const double* v, unsigned n) {
  double tmp[99];
  memcpy(tmp, v, n * sizeof(double));
  qsort(tmp, n, sizeof(double), bench_cmp);
  return n == 0 ? 0 : n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

// Speed relative to hakmem: > 1 means faster than hakmem.
static double bench_speed(const bench_scenario_t* s, const bench_cell_t* c, const bench_cell_t* hak) {
  if (c->median <= 0 || hak->median <= 0) return 0;
  return s->metric == BENCH_THROUGHPUT ? c->median / hak->median : hak->median / c->median;
}

static void bench_fmt_value(const bench_scenario_t* s, double v, char* out, size_t cap) {
  if (s->metric == BENCH_TIME) snprintf(out, cap, "%.3f s", v);
  else if (v >= 1e6) snprintf(out, cap, "%.2fM/s", v / 1e6);
  else if (v >= 100) snprintf(out, cap, "%.0f/s", v);
  else snprintf(out, cap, "%.2f/s", v);
}

typedef struct bench_table_s {
  bench_cell_t cells[BENCH_SCENARIO_COUNT][16][BENCH_ALLOC_COUNT];
} bench_table_t;

static void bench_print_table(const bench_opts_t* o, bench_table_t* t) {
  printf("%-8s %3s  %-10s %14s %9s %11s %9s\n", "scenario", "thr", "allocator", "median", "speed", "peak RSS", "RSS");
  printf("%-8s %3s  %-10s %14s %9s %11s %9s\n", "", "", "", "", "vs hak", "MiB", "vs hak");
  for (size_t s = 0; s < BENCH_SCENARIO_COUNT; s++) {
    if (!o->scenario_on[s]) continue;
    for (size_t ti = 0; ti < o->nthreads; ti++) {
      bench_cell_t* hak = &t->cells[s][ti][0];
      for (size_t a = 0; a < BENCH_ALLOC_COUNT; a++) {
        bench_cell_t* c = &t->cells[s][ti][a];
        if (!o->alloc_on[a] || !bench_allocs[a].available) continue;
        char v[32];
        bench_fmt_value(&bench_scenarios[s], c->median, v, sizeof(v));
        if (c->failed) snprintf(v, sizeof(v), "FAILED");
        double rss_ratio = hak->rss_median > 0 ? c->rss_median / hak->rss_median : 0;
        printf("%-8s %3u  %-10s %14s %8.2fx %11.1f %8.2fx\n", bench_scenarios[s].name, o->threads[ti], bench_allocs[a].name, v,
               bench_speed(&bench_scenarios[s], c, hak), c->rss_median / 1024.0, rss_ratio);
      }
    }
  }
}

static void bench_write_json(const bench_opts_t* o, bench_table_t* t, const char* when) {
  FILE* f = fopen(o->json_path, "w");
  if (f == NULL) {
    fprintf(stderr, "hakmem bench: cannot write %s: %s\n", o->json_path, strerror(errno));
    return;
  }
  struct utsname u;
  uname(&u);
  fprintf(f, "{\"date\":\"%s\",\"machine\":\"%s %s %s, %ld cpus\",\"runs\":%u,\"smoke\":%s,\"results\":[", when, u.sysname,
          u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN), o->runs, o->smoke ? "true" : "false");
  bool first = true;
  for (size_t s = 0; s < BENCH_SCENARIO_COUNT; s++) {
    if (!o->scenario_on[s]) continue;
    for (size_t ti = 0; ti < o->nthreads; ti++) {
      for (size_t a = 0; a < BENCH_ALLOC_COUNT; a++) {
        bench_cell_t* c = &t->cells[s][ti][a];
        if (!o->alloc_on[a] || !bench_allocs[a].available) continue;
        fprintf(f, "%s\n{\"scenario\":\"%s\",\"threads\":%u,\"allocator\":\"%s\",\"metric\":\"%s\",\"ok\":%s,\"values\":[",
                first ? "" : ",", bench_scenarios[s].name, o->threads[ti], bench_allocs[a].name,
                bench_scenarios[s].metric == BENCH_THROUGHPUT ? "ops_per_s" : "seconds", c->failed ? "false" : "true");
        first = false;
        for (unsigned i = 0; i < c->n; i++) fprintf(f, "%s%.6g", i ? "," : "", c->values[i]);
        fprintf(f, "],\"median\":%.6g,\"peak_rss_kb\":[", c->median);
        for (unsigned i = 0; i < c->n; i++) fprintf(f, "%s%.0f", i ? "," : "", c->rss[i]);
        fprintf(f, "],\"peak_rss_kb_median\":%.0f,\"speed_vs_hakmem\":%.4f,\"rss_vs_hakmem\":%.4f}", c->rss_median,
                bench_speed(&bench_scenarios[s], c, &t->cells[s][ti][0]),
                t->cells[s][ti][0].rss_median > 0 ? c->rss_median / t->cells[s][ti][0].rss_median : 0);
      }
    }
  }
  fprintf(f, "\n]}\n");
  fclose(f);
}

// ----- SVG: two bar charts (speed and peak RSS relative to hakmem) -----
static const char* const bench_colors[] = {"#d62728", "#ff9896", "#7f7f7f", "#1f77b4", "#2ca02c", "#9467bd"};

static void bench_svg_chart(FILE* f, const bench_opts_t* o, bench_table_t* t, bool rss, double y0, double width) {
  size_t groups = 0, bars = 0;
  for (size_t s = 0; s < BENCH_SCENARIO_COUNT; s++) groups += o->scenario_on[s] ? o->nthreads : 0;
  for (size_t a = 0; a < BENCH_ALLOC_COUNT; a++) bars += o->alloc_on[a] && bench_allocs[a].available;
  double max = 1.0;
  for (size_t s = 0; s < BENCH_SCENARIO_COUNT; s++) {
    for (size_t ti = 0; o->scenario_on[s] && ti < o->nthreads; ti++) {
      for (size_t a = 0; a < BENCH_ALLOC_COUNT; a++) {
        bench_cell_t* c = &t->cells[s][ti][a], *h = &t->cells[s][ti][0];
        double v = rss ? (h->rss_median > 0 ? c->rss_median / h->rss_median : 0) : bench_speed(&bench_scenarios[s], c, h);
        if (o->alloc_on[a] && bench_allocs[a].available && v > max) max = v;
      }
    }
  }
  max = ceil(max * 4) / 4;
  double left = 60, plot_h = 220, gw = groups ? (width - left - 20) / (double)groups : 1, bw = (gw - 10) / (double)(bars ? bars : 1);
  fprintf(f, "<text x=\"%g\" y=\"%g\" font-size=\"15\" font-weight=\"bold\">%s relative to hakmem (%s)</text>\n", left, y0 + 18,
          rss ? "Peak RSS" : "Speed", rss ? "lower is better; hakmem = 1" : "higher is better; hakmem = 1");
  double top = y0 + 30, base = top + plot_h;
  for (double g = 0; g <= max + 1e-9; g += max > 2 ? 0.5 : 0.25) {
    double y = base - g / max * plot_h;
    fprintf(f, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"%s\"/>\n", left, y, width - 20, y, g == 1.0 ? "#000" : "#ddd");
    fprintf(f, "<text x=\"%g\" y=\"%g\" font-size=\"11\" text-anchor=\"end\">%.2f</text>\n", left - 4, y + 4, g);
  }
  size_t gi = 0;
  for (size_t s = 0; s < BENCH_SCENARIO_COUNT; s++) {
    for (size_t ti = 0; o->scenario_on[s] && ti < o->nthreads; ti++, gi++) {
      double gx = left + (double)gi * gw + 5;
      size_t bi = 0;
      for (size_t a = 0; a < BENCH_ALLOC_COUNT; a++) {
        if (!o->alloc_on[a] || !bench_allocs[a].available) continue;
        bench_cell_t* c = &t->cells[s][ti][a], *h = &t->cells[s][ti][0];
        double v = rss ? (h->rss_median > 0 ? c->rss_median / h->rss_median : 0) : bench_speed(&bench_scenarios[s], c, h);
        double bh = v / max * plot_h;
        fprintf(f, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"%s\"><title>%s %ut %s: %.2f</title></rect>\n",
                gx + (double)bi * bw, base - bh, bw - 1, bh, bench_colors[a % 6], bench_scenarios[s].name, o->threads[ti],
                bench_allocs[a].name, v);
        bi++;
      }
      fprintf(f, "<text x=\"%g\" y=\"%g\" font-size=\"11\" text-anchor=\"middle\">%s %ut</text>\n", gx + (gw - 10) / 2,
              base + 14, bench_scenarios[s].name, o->threads[ti]);
    }
  }
}

static void bench_write_svg(const bench_opts_t* o, bench_table_t* t, const char* when) {
  FILE* f = fopen(o->svg_path, "w");
  if (f == NULL) {
    fprintf(stderr, "hakmem bench: cannot write %s: %s\n", o->svg_path, strerror(errno));
    return;
  }
  size_t groups = 0;  // one group of bars per scenario and thread count, at least 64 px wide
  for (size_t s = 0; s < BENCH_SCENARIO_COUNT; s++) groups += o->scenario_on[s] ? o->nthreads : 0;
  double width = fmax(980, 80 + 64 * (double)groups), height = 640;
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" font-family=\"sans-serif\">\n", width, height);
  fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n");
  fprintf(f, "<text x=\"10\" y=\"20\" font-size=\"13\">hakmem bench, %s, medians of %u interleaved runs</text>\n", when, o->runs);
  bench_svg_chart(f, o, t, false, 30, width);
  bench_svg_chart(f, o, t, true, 320, width);
  double lx = 60;
  for (size_t a = 0; a < BENCH_ALLOC_COUNT; a++) {
    if (!o->alloc_on[a] || !bench_allocs[a].available) continue;
    fprintf(f, "<rect x=\"%g\" y=\"%g\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%g\" y=\"%g\" font-size=\"12\">%s</text>\n",
            lx, height - 22, bench_colors[a % 6], lx + 16, height - 12, bench_allocs[a].name);
    lx += 110;
  }
  fprintf(f, "</svg>\n");
  fclose(f);
}

// ----- Driver -----
int hak_cmd_bench(int argc, char** argv) {
  static bench_opts_t o;
  static bench_table_t t;
  memset(&o, 0, sizeof(o));
  memset(&t, 0, sizeof(t));
  int rc = bench_parse_opts(argc, argv, &o);
  if (rc >= 0) return rc;
  const char* bin = getenv("HAKMEM_BENCH_DIR");
  snprintf(o.bin_dir, sizeof(o.bin_dir), "%s", bin != NULL ? bin : HAK_BENCH_BIN_DIR);
  snprintf(o.src_dir, sizeof(o.src_dir), "%s", HAK_BENCH_SRC_DIR);
  ssize_t n = readlink("/proc/self/exe", o.cli_path, sizeof(o.cli_path) - 1);
  o.cli_path[n > 0 ? n : 0] = 0;
  bench_find_allocators();
  for (size_t a = 0; a < BENCH_ALLOC_COUNT; a++) {
    if (o.alloc_on[a] && !bench_allocs[a].available) fprintf(stderr, "hakmem bench: %s is not installed; skipped\n", bench_allocs[a].name);
  }
  if (!o.alloc_on[0]) {
    fprintf(stderr, "hakmem bench: hakmem is always measured (ratios are relative to it)\n");
    o.alloc_on[0] = true;
  }
  time_t now = time(NULL);
  char when[64];
  strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime(&now));
  bool all_ok = true;
  for (size_t s = 0; s < BENCH_SCENARIO_COUNT; s++) {
    if (!o.scenario_on[s]) continue;
    for (size_t ti = 0; ti < o.nthreads; ti++) {
      for (unsigned r = 0; r < o.runs; r++) {
        for (size_t a = 0; a < BENCH_ALLOC_COUNT; a++) {
          if (!o.alloc_on[a] || !bench_allocs[a].available) continue;
          fprintf(stderr, "[bench] %-8s threads=%u run %u/%u %-10s\r", bench_scenarios[s].name, o.threads[ti], r + 1, o.runs,
                  bench_allocs[a].name);
          bench_run_t run = bench_run_once(&bench_scenarios[s], &bench_allocs[a], &o, o.threads[ti]);
          bench_cell_t* c = &t.cells[s][ti][a];
          if (!run.ok) {
            c->failed = true;
            all_ok = false;
            continue;
          }
          c->values[c->n] = run.value;
          c->rss[c->n] = run.rss_kb;
          c->n++;
          snprintf(c->proof, sizeof(c->proof), "%s", run.proof);
        }
      }
      for (size_t a = 0; a < BENCH_ALLOC_COUNT; a++) {
        bench_cell_t* c = &t.cells[s][ti][a];
        c->median = bench_median(c->values, c->n);
        c->rss_median = bench_median(c->rss, c->n);
      }
    }
  }
  fprintf(stderr, "%70s\r", "");
  printf("hakmem bench: %s, medians of %u interleaved runs%s\n", when, o.runs, o.smoke ? " (smoke sizes)" : "");
  bench_print_table(&o, &t);
  if (o.json_path != NULL) bench_write_json(&o, &t, when);
  if (o.svg_path != NULL) bench_write_svg(&o, &t, when);
  if (!all_ok) fprintf(stderr, "hakmem bench: some runs failed or did not prove their allocator (see above)\n");
  return all_ok ? 0 : 1;
}
