/* cmd_bench.c: `hakmem bench`, the scenario benchmark driver.

   For every scenario and thread count it runs the scenario once per
   allocator, in a child process, interleaved (A B C ... A B C ...) `runs`
   times, and quotes medians with their spread. hakmem runs the scenario's
   hakmem build (hak_alloc_at, or the runtime on hakmem); the peers run its
   malloc build (or the runtime on malloc) with the peer library in
   LD_PRELOAD; glibc runs the malloc build alone. Any other allocator library
   can be measured the same way with `--allocator NAME=PATH` (snmalloc,
   rpmalloc, Debian's libtbbmalloc_proxy ...): it is preloaded like a peer.

   Every run must prove who served it: the program's last `allocator:` line
   names hakmem with its allocation count, or the peer library it found
   mapped; a run that proves the wrong allocator fails the benchmark. For a
   NAME=PATH library the driver also sets HAKMEM_BENCH_PRELOAD=PATH and
   HAKMEM_BENCH_PRELOAD_NAME=NAME, and the program names NAME only when that
   very file is mapped and defines the malloc it calls
   (bench/scenarios/bench_common.c). The dynamic loader only warns about a
   preload it cannot load and goes on with glibc, and a library without
   malloc loads fine and serves nothing, so before any benchmark each
   NAME=PATH library gets a preflight run (the `micro` malloc build with tiny
   arguments); a library that fails it stops the driver with
   `hakmem bench: allocator NAME (PATH): REASON` and exit status 2.

   Wall time, CPU time (user + system) and peak RSS of each run come from
   wait4(). Progress goes to stderr, the table to stdout, and optionally
   JSON (written with runtime/json's writer) and an SVG chart to files.
   bench_opt_table is the one table of its options (the parser's and
   --help's, cli.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
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
#include "hjson.h"

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
  bench_metric_t metric;   // throughput= (higher is better) or seconds= (lower is better) of the summary line
  const char* hak_cmd;     // hakmem build
  const char* malloc_cmd;  // malloc build (peers under LD_PRELOAD, glibc alone)
  const char* smoke_args;  // replaces the arguments after the program for --smoke; NULL: same
  const char* malloc_env;  // extra environment for the malloc build, "K=V" or NULL
} bench_scenario_t;

static const bench_scenario_t bench_scenarios[] = {
    {"larson", "server churn: threads replace random blocks (8..1000 B) of 5000 slots, main-thread blocks at start, "
               "and hand their arrays to new threads every 500000 replacements",
     BENCH_THROUGHPUT, "{BIN}/larson_hak 1 8 1000 5000 100 4141 {T}", "{BIN}/larson 1 8 1000 5000 100 4141 {T}",
     "0.05 8 1000 200 10 1 {T}", NULL},
    {"larson-sized", "larson freeing with the block's size: C++ ::operator delete(p, size) in the malloc build "
                     "(hakmem build: hak_free_at, no sized free)",
     BENCH_THROUGHPUT, "{BIN}/larson_sized_hak 1 8 1000 5000 100 4141 {T}", "{BIN}/larson_sized 1 8 1000 5000 100 4141 {T}",
     "0.05 8 1000 200 10 1 {T}", NULL},
    {"micro", "malloc/free pairs per tier and rings of live blocks", BENCH_THROUGHPUT, "{BIN}/micro_hak all 1000000 {T}",
     "{BIN}/micro all 1000000 {T}", "all 2000 {T}", NULL},
    {"prodcons", "T producer/consumer thread pairs pass mixed-size blocks through rings: every free is remote",
     BENCH_THROUGHPUT, "{BIN}/prodcons_hak 6000000 {T}", "{BIN}/prodcons 6000000 {T}", "20000 {T}", NULL},
    {"xbatch", "T producers push batches of 4096 64-B blocks on one stack of at most 100, T consumers free them: "
               "every free remote, in bursts",
     BENCH_THROUGHPUT, "{BIN}/xbatch_hak 8000 {T}", "{BIN}/xbatch 8000 {T}", "20 {T}", NULL},
    {"threadchurn", "rounds of T short-lived threads with random lifetimes: 8..512 B blocks, 2% up to MBs, "
                    "swapped through a global array to other threads and rounds",
     BENCH_TIME, "{BIN}/threadchurn_hak 100 2000 {T}", "{BIN}/threadchurn 100 2000 {T}", "4 200 {T}", NULL},
    {"randxfree", "random sizes 8..16000 B (log-uniform) with random lifetimes; batches of 30..100 blocks are freed "
                  "by the next thread",
     BENCH_THROUGHPUT, "{BIN}/randxfree_hak 25000 {T}", "{BIN}/randxfree 25000 {T}", "300 {T} 200", NULL},
    {"falseshare", "passive false sharing: threads free an 8-B object of the main thread's, then allocate, "
                   "write 1000 times and free 8-B objects",
     BENCH_TIME, "{BIN}/falseshare_hak passive 1000000 1000 {T}", "{BIN}/falseshare passive 1000000 1000 {T}",
     "passive 5000 100 {T}", NULL},
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
// The built-in allocators come first; `--allocator NAME=PATH` appends one
// entry per library.
typedef struct bench_alloc_s {
  char name[24];             // the table's name: built-in, or NAME of NAME=PATH
  const char* lib_names[3];  // candidates for LD_PRELOAD, searched in the library dirs; none: no preload
  bool hak_build;            // runs the hakmem build
  bool hakmem_so;            // preloads libhakmem.so
  bool by_path;              // NAME=PATH: preloaded, proved through HAKMEM_BENCH_PRELOAD
  const char* given;         // NAME=PATH: PATH as given on the command line
  char path[PATH_MAX];       // resolved library path (LD_PRELOAD)
  bool available;
} bench_alloc_t;

#define BENCH_ALLOC_BUILTIN 6  // hakmem .. tcmalloc
#define BENCH_ALLOC_MAX 16     // with the NAME=PATH ones

static bench_alloc_t bench_allocs[BENCH_ALLOC_MAX] = {
    {"hakmem", {NULL}, true, false, false, NULL, "", false},
    {"hakmem.so", {NULL}, false, true, false, NULL, "", false},
    {"glibc", {NULL}, false, false, false, NULL, "", false},
    {"mimalloc", {"libmimalloc.so.2", "libmimalloc.so", NULL}, false, false, false, NULL, "", false},
    {"jemalloc", {"libjemalloc.so.2", "libjemalloc.so", NULL}, false, false, false, NULL, "", false},
    {"tcmalloc", {"libtcmalloc_minimal.so.4", "libtcmalloc.so.4", NULL}, false, false, false, NULL, "", false},
};
static size_t bench_nallocs = BENCH_ALLOC_BUILTIN;  // entries in use

static const char* const bench_lib_dirs[] = {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
                                             "/usr/lib", "/usr/local/lib", NULL};

static void bench_find_allocators(void) {
  for (size_t a = 0; a < BENCH_ALLOC_BUILTIN; a++) {
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

// Reports why a NAME=PATH allocator cannot be used; returns 2 (the exit status).
static int bench_alloc_error(const char* name, const char* path, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bench_alloc_error(const char* name, const char* path, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "hakmem bench: allocator %s (%s): ", name, path);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return 2;
}

// Appends NAME=PATH; false (message printed) on a bad or duplicate name.
static bool bench_add_by_path(const char* name, const char* path) {
  size_t len = strlen(name);
  if (len == 0 || len >= sizeof(bench_allocs[0].name) || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-") != len) {
    bench_alloc_error(name, path, "NAME must be 1..%zu letters, digits or ._+-", sizeof(bench_allocs[0].name) - 1);
    return false;
  }
  if (path[0] == 0) {
    bench_alloc_error(name, path, "no library path after '='");
    return false;
  }
  for (size_t a = 0; a < bench_nallocs; a++) {
    if (strcmp(bench_allocs[a].name, name) == 0) {
      bench_alloc_error(name, path, "the name is taken by %s allocator", a < BENCH_ALLOC_BUILTIN ? "a built-in" : "another");
      return false;
    }
  }
  if (bench_nallocs == BENCH_ALLOC_MAX) {
    bench_alloc_error(name, path, "at most %d NAME=PATH allocators", BENCH_ALLOC_MAX - BENCH_ALLOC_BUILTIN);
    return false;
  }
  bench_alloc_t* al = &bench_allocs[bench_nallocs++];
  memset(al, 0, sizeof(*al));
  snprintf(al->name, sizeof(al->name), "%s", name);
  al->by_path = true;
  al->given = path;
  return true;
}

// Resolves a NAME=PATH library to an absolute path: a PATH with a '/' must
// be a regular file; a bare file name is looked up in the library dirs (as
// the loader would). 0, or 2 with the reason printed.
static int bench_resolve_by_path(bench_alloc_t* al) {
  char found[PATH_MAX] = "";
  if (strchr(al->given, '/') == NULL) {
    for (size_t d = 0; bench_lib_dirs[d] != NULL && found[0] == 0; d++) {
      snprintf(found, sizeof(found), "%s/%s", bench_lib_dirs[d], al->given);
      if (access(found, F_OK) != 0) found[0] = 0;
    }
    if (found[0] == 0) return bench_alloc_error(al->name, al->given, "no such library in the system library directories (give a path)");
  } else {
    snprintf(found, sizeof(found), "%s", al->given);
  }
  struct stat st;
  if (stat(found, &st) != 0) return bench_alloc_error(al->name, al->given, "%s", errno == ENOENT ? "no such file" : strerror(errno));
  if (!S_ISREG(st.st_mode)) return bench_alloc_error(al->name, al->given, "not a regular file");
  if (access(found, R_OK) != 0) return bench_alloc_error(al->name, al->given, "not readable: %s", strerror(errno));
  if (realpath(found, al->path) == NULL) return bench_alloc_error(al->name, al->given, "%s", strerror(errno));
  al->available = true;
  return 0;
}

// ----- Options -----
typedef struct bench_opts_s {
  bool scenario_on[BENCH_SCENARIO_COUNT];
  bool alloc_on[BENCH_ALLOC_MAX];
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

enum { BENCH_OPT_SCENARIO = 256, BENCH_OPT_THREADS, BENCH_OPT_ALLOCATOR, BENCH_OPT_RUNS, BENCH_OPT_JSON, BENCH_OPT_SVG,
       BENCH_OPT_SMOKE, BENCH_OPT_LIST };

static const cli_opt_t bench_opt_table[] = {
    {"scenario", required_argument, BENCH_OPT_SCENARIO, "LIST", "scenarios to run (default: all; --list names them)"},
    {"threads", required_argument, BENCH_OPT_THREADS, "LIST", "thread counts, 1..64 (default: 1,2,4)"},
    {"allocator", required_argument, BENCH_OPT_ALLOCATOR, "LIST",
     "allocators (default: every installed built-in one); each entry is\n"
     "one of hakmem (the hakmem build, hak_alloc_at), hakmem.so, glibc,\n"
     "mimalloc, jemalloc, tcmalloc (the malloc build, preloaded), or\n"
     "NAME=PATH: preload any other allocator library under the name NAME,\n"
     "e.g. snmalloc=/opt/snmalloc/libsnmallocshim.so or\n"
     "tbb=libtbbmalloc_proxy.so.2 (a file name without '/' is looked up\n"
     "in the system library directories). Each NAME=PATH library gets a\n"
     "preflight run first; one the loader cannot preload, or that does\n"
     "not define malloc, stops the benchmark (exit status 2).\n"
     "hakmem is always measured: ratios are relative to it."},
    {"runs", required_argument, BENCH_OPT_RUNS, "N", "interleaved runs per cell, 1..99 (default: 3)"},
    {"json", required_argument, BENCH_OPT_JSON, "FILE", "write every run and the medians as JSON"},
    {"svg", required_argument, BENCH_OPT_SVG, "FILE", "write bar charts of speed and peak RSS relative to hakmem"},
    {"smoke", no_argument, BENCH_OPT_SMOKE, NULL, "tiny sizes: checks that each scenario runs and proves its allocator"},
    {"list", no_argument, BENCH_OPT_LIST, NULL, "list the scenarios with what each stresses"},
    {"help", no_argument, 'h', NULL, "this help"},
    {NULL, 0, 0, NULL, NULL},
};

static const cli_spec_t bench_spec = {
    .who = "hakmem bench",
    .summary = "Runs scenario programs under several allocators, interleaved, and prints medians.",
    .opts = bench_opt_table,
    .epilogue =
        "LIST is comma-separated. Each cell shows the median of the scenario's figure with its\n"
        "min and max, speed and peak RSS relative to hakmem, and the median wall and CPU\n"
        "(user + system) seconds of the runs. Every run must prove the allocator that served\n"
        "it, or the benchmark fails (exit status 1).\n"};

static void bench_list(void) {
  size_t w = 0;
  for (size_t s = 0; s < BENCH_SCENARIO_COUNT; s++) w = strlen(bench_scenarios[s].name) > w ? strlen(bench_scenarios[s].name) : w;
  for (size_t s = 0; s < BENCH_SCENARIO_COUNT; s++) printf("%-*s  %s\n", (int)w, bench_scenarios[s].name, bench_scenarios[s].what);
}

// Marks the scenarios of a comma-separated list on; false on an unknown name.
static bool bench_parse_scenarios(const char* list, bool* on) {
  memset(on, 0, BENCH_SCENARIO_COUNT * sizeof(bool));
  char buf[512];
  snprintf(buf, sizeof(buf), "%s", list);
  for (char* tok = strtok(buf, ","); tok != NULL; tok = strtok(NULL, ",")) {
    size_t i = 0;
    while (i < BENCH_SCENARIO_COUNT && strcmp(bench_scenarios[i].name, tok) != 0) i++;
    if (i == BENCH_SCENARIO_COUNT) {
      fprintf(stderr, "hakmem bench: unknown scenario '%s' (hakmem bench --list names them)\n", tok);
      return false;
    }
    on[i] = true;
  }
  return true;
}

// Marks the allocators of a comma-separated list on, appending the NAME=PATH
// entries; false (message printed) on an unknown or bad entry. `list` is
// argv storage: the PATHs point into it.
static bool bench_parse_allocators(char* list, bool* on) {
  memset(on, 0, BENCH_ALLOC_MAX * sizeof(bool));
  char* save = NULL;
  for (char* tok = strtok_r(list, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
    char* eq = strchr(tok, '=');
    if (eq != NULL) {
      *eq = 0;
      if (!bench_add_by_path(tok, eq + 1)) return false;
      on[bench_nallocs - 1] = true;
      continue;
    }
    size_t i = 0;
    while (i < BENCH_ALLOC_BUILTIN && strcmp(bench_allocs[i].name, tok) != 0) i++;
    if (i == BENCH_ALLOC_BUILTIN) {
      fprintf(stderr, "hakmem bench: unknown allocator '%s' (built-in: hakmem, hakmem.so, glibc, mimalloc, jemalloc, "
              "tcmalloc; NAME=PATH preloads any other library)\n", tok);
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
  if (o->nthreads == 0) fprintf(stderr, "hakmem bench: --threads needs at least one thread count (1..64)\n");
  return o->nthreads > 0;
}

// -1 to go on; else the exit status (0 after --help or --list).
static int bench_parse_opts(int argc, char** argv, bench_opts_t* o) {
  for (size_t i = 0; i < BENCH_SCENARIO_COUNT; i++) o->scenario_on[i] = true;
  for (size_t i = 0; i < BENCH_ALLOC_BUILTIN; i++) o->alloc_on[i] = true;
  o->threads[0] = 1, o->threads[1] = 2, o->threads[2] = 4, o->nthreads = 3;
  o->runs = 3;
  cli_parser_t p;
  cli_parser_init(&p, &bench_spec, CLI_PERMUTE);
  int c;
  long n;
  while ((c = cli_parser_next(&p, argc, argv)) != -1) {
    switch (c) {
      case BENCH_OPT_SMOKE: o->smoke = true; break;
      case BENCH_OPT_LIST: bench_list(); return 0;
      case 'h': cli_help(stdout, &bench_spec); return 0;
      case BENCH_OPT_SCENARIO:
        if (!bench_parse_scenarios(optarg, o->scenario_on)) return 2;
        break;
      case BENCH_OPT_ALLOCATOR:
        if (!bench_parse_allocators(optarg, o->alloc_on)) return 2;
        break;
      case BENCH_OPT_THREADS:
        if (!bench_parse_threads(optarg, o)) return 2;
        break;
      case BENCH_OPT_RUNS:
        if (!cli_parse_long(optarg, 1, 99, &n))
          return cli_usage_error(&bench_spec, "--runs takes a number from 1 to 99, not '%s'", optarg);
        o->runs = (unsigned)n;
        break;
      case BENCH_OPT_JSON: o->json_path = optarg; break;
      case BENCH_OPT_SVG: o->svg_path = optarg; break;
      default: return cli_bad_option(&bench_spec, c, argv);
    }
  }
  if (optind < argc) return cli_usage_error(&bench_spec, "unexpected argument '%s'", argv[optind]);
  return -1;  // go on
}

// ----- Child processes -----
// What a finished child left: its status, times, memory and output.
typedef struct bench_child_s {
  int status;       // from wait4
  double wall;      // seconds from fork to exit
  double cpu;       // user + system seconds (wait4's rusage)
  double rss_kb;    // peak RSS (ru_maxrss)
  char out[16384];  // stdout (its last 16 KiB when longer: the summary and proof lines come last)
  char err[2048];   // the start of stderr
} bench_child_t;

static double bench_clock(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

// Runs argv under allocator al (its LD_PRELOAD and, for NAME=PATH, the
// HAKMEM_BENCH_PRELOAD variables; `env` "K=V" or NULL in addition) and waits
// for it. False, with the reason in c->err, when it could not be started.
static bool bench_spawn(char** argv, const bench_alloc_t* al, const char* env, bench_child_t* c) {
  memset(c, 0, sizeof(*c));
  int out_pipe[2];
  char err_path[] = "/tmp/hakmem-bench-XXXXXX";
  int err_fd = mkstemp(err_path);
  if (err_fd < 0 || pipe(out_pipe) != 0) {
    snprintf(c->err, sizeof(c->err), "cannot create a pipe: %s", strerror(errno));
    if (err_fd >= 0) close(err_fd), unlink(err_path);
    return false;
  }
  unlink(err_path);
  double t0 = bench_clock();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_fd, 2);
    close(out_pipe[0]);
    if (al->path[0] != 0 && !al->hak_build) setenv("LD_PRELOAD", al->path, 1);
    else unsetenv("LD_PRELOAD");
    if (al->by_path) {
      setenv("HAKMEM_BENCH_PRELOAD", al->path, 1);
      setenv("HAKMEM_BENCH_PRELOAD_NAME", al->name, 1);
    } else {
      unsetenv("HAKMEM_BENCH_PRELOAD");
      unsetenv("HAKMEM_BENCH_PRELOAD_NAME");
    }
    if (env != NULL) putenv((char*)env);
    execv(argv[0], argv);
    fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(out_pipe[1]);
  if (pid < 0) {
    snprintf(c->err, sizeof(c->err), "cannot fork: %s", strerror(errno));
    close(out_pipe[0]), close(err_fd);
    return false;
  }
  size_t len = 0, cap = sizeof(c->out) - 1;
  ssize_t n;
  while ((n = read(out_pipe[0], c->out + len, cap - len)) > 0) {
    len += (size_t)n;
    if (len == cap) {  // keep the newer half
      memmove(c->out, c->out + cap / 2, cap - cap / 2);
      len = cap - cap / 2;
    }
  }
  c->out[len] = 0;
  close(out_pipe[0]);
  struct rusage ru;
  wait4(pid, &c->status, 0, &ru);
  c->wall = bench_clock() - t0;
  c->cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec * 1e-6;
  c->rss_kb = (double)ru.ru_maxrss;
  ssize_t e = pread(err_fd, c->err, sizeof(c->err) - 1, 0);
  c->err[e > 0 ? e : 0] = 0;
  close(err_fd);
  return true;
}

// ----- One run -----
typedef struct bench_run_s {
  bool ok;
  double value;     // throughput (ops/s) or seconds
  double rss_kb;    // peak RSS of the child
  double wall;      // wall seconds of the child
  double cpu;       // user + system seconds of the child
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

// Copies the run's last `allocator:` line into proof; false if there is none.
static bool bench_proof_line(const char* out, char* proof, size_t cap) {
  const char* line = NULL;
  for (const char* p = strstr(out, "allocator: "); p != NULL; p = strstr(p + 1, "allocator: ")) line = p;
  if (line == NULL) {
    snprintf(proof, cap, "(no allocator line)");
    return false;
  }
  size_t n = strcspn(line, "\n");
  snprintf(proof, cap, "%.*s", (int)(n < cap - 1 ? n : cap - 1), line);
  return true;
}

// Checks the run's `allocator:` line against the allocator it was meant for.
static bool bench_check_proof(const bench_alloc_t* al, const char* out, char* proof, size_t cap) {
  if (!bench_proof_line(out, proof, cap)) return false;
  char want[64];
  snprintf(want, sizeof(want), "allocator: %s ", al->name);
  if (al->by_path) return strncmp(proof, want, strlen(want)) == 0 && strstr(proof, "preload_status=") == NULL;
  double allocs = 0;
  bench_find_number(proof, "hak_allocs", &allocs);
  if (al->hak_build || al->hakmem_so) return strstr(proof, "allocator: hakmem") != NULL && allocs > 0;
  return strncmp(proof, want, strlen(want)) == 0 && allocs == 0;
}

static bench_run_t bench_run_once(const bench_scenario_t* s, const bench_alloc_t* al, const bench_opts_t* o, unsigned threads) {
  bench_run_t r = {0};
  static bench_child_t c;
  char tmpl[1024], buf[2048];
  char* argv[64];
  bench_command(s, al, o, tmpl, sizeof(tmpl));
  bench_expand(tmpl, o, threads, buf, sizeof(buf), argv, 64);
  bool started = bench_spawn(argv, al, al->hak_build ? NULL : s->malloc_env, &c);
  r.rss_kb = c.rss_kb, r.wall = c.wall, r.cpu = c.cpu;
  bool proved = started && bench_check_proof(al, c.out, r.proof, sizeof(r.proof));
  bool have = false;
  if (started) {
    have = s->metric == BENCH_THROUGHPUT ? bench_find_number(c.out, "throughput", &r.value)
                                         : (bench_find_number(c.out, "seconds", &r.value) || ((r.value = c.wall), true));
  }
  r.ok = started && WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0 && proved && have;
  if (!r.ok) {
    fprintf(stderr, "hakmem bench: %s/%s/%ut failed (status %d, %s)\n  command: %s\n  stdout: %.400s\n  stderr: %.400s\n",
            s->name, al->name, threads, c.status, proved ? "allocator proved" : "allocator NOT proved", tmpl, c.out, c.err);
  }
  return r;
}

// ----- Preflight of NAME=PATH allocators -----
// The preflight program: the micro malloc build, a few thousand pairs.
#define BENCH_PREFLIGHT_CMD "{BIN}/micro pairs-64 2000 1"

// Resolves a NAME=PATH library and runs the preflight program under it.
// 0 when it served the run; 2 with `hakmem bench: allocator NAME (PATH):
// REASON` on stderr otherwise.
static int bench_preflight(bench_alloc_t* al, const bench_opts_t* o) {
  int rc = bench_resolve_by_path(al);
  if (rc != 0) return rc;
  char buf[2048];
  char* argv[8];
  bench_expand(BENCH_PREFLIGHT_CMD, o, 1, buf, sizeof(buf), argv, 8);
  if (access(argv[0], X_OK) != 0)
    return bench_alloc_error(al->name, al->given, "cannot run the preflight program %s: %s", argv[0], strerror(errno));
  static bench_child_t c;
  if (!bench_spawn(argv, al, NULL, &c)) return bench_alloc_error(al->name, al->given, "preflight: %s", c.err);
  // The loader's only sign: "ERROR: ld.so: object 'P' from LD_PRELOAD cannot be preloaded (WHY): ignored."
  const char* ld = strstr(c.err, "cannot be preloaded");
  if (ld != NULL) {
    const char* why = strchr(ld, '(');
    const char* end = why != NULL ? strchr(why, ')') : NULL;
    if (why != NULL && end != NULL)
      return bench_alloc_error(al->name, al->given, "the dynamic loader cannot preload it: %.*s; it would run on glibc",
                               (int)(end - why - 1), why + 1);
    return bench_alloc_error(al->name, al->given, "the dynamic loader cannot preload it; it would run on glibc");
  }
  if (!WIFEXITED(c.status) || WEXITSTATUS(c.status) != 0) {
    c.err[strcspn(c.err, "\n")] = 0;
    if (WIFSIGNALED(c.status))
      return bench_alloc_error(al->name, al->given, "the preflight run (micro) died of signal %d (%s)%s%s", WTERMSIG(c.status),
                               strsignal(WTERMSIG(c.status)), c.err[0] ? ": " : "", c.err);
    return bench_alloc_error(al->name, al->given, "the preflight run (micro) exited with status %d%s%s", WEXITSTATUS(c.status),
                             c.err[0] ? ": " : "", c.err);
  }
  char proof[160];
  if (bench_check_proof(al, c.out, proof, sizeof(proof))) return 0;
  const char* from = strstr(proof, "malloc_from=");
  if (strstr(proof, "preload_status=no-malloc") != NULL)
    return bench_alloc_error(al->name, al->given, "it does not define malloc (the process's malloc came from %s)",
                             from != NULL ? from + strlen("malloc_from=") : "elsewhere");
  if (strstr(proof, "preload_status=not-mapped") != NULL)
    return bench_alloc_error(al->name, al->given, "it was not loaded into the process (the run used %s)",
                             from != NULL ? from + strlen("malloc_from=") : "another malloc");
  return bench_alloc_error(al->name, al->given, "the preflight run did not prove it served malloc: %s", proof);
}

// ----- Results -----
typedef struct bench_cell_s {
  double values[99];   // the figure of each successful run
  double rss[99];      // peak RSS (KiB) of each successful run
  double wall[99];     // wall seconds of each successful run
  double cpu[99];      // user + system seconds of each successful run
  unsigned n;          // successful runs
  double median, min, max;             // of values
  double rss_median, wall_median, cpu_median;
  bool failed;         // some run failed or did not prove its allocator
  char proof[160];     // the last run's allocator line
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

static void bench_cell_finish(bench_cell_t* c) {
  c->median = bench_median(c->values, c->n);
  c->rss_median = bench_median(c->rss, c->n);
  c->wall_median = bench_median(c->wall, c->n);
  c->cpu_median = bench_median(c->cpu, c->n);
  c->min = c->max = c->n > 0 ? c->values[0] : 0;
  for (unsigned i = 1; i < c->n; i++) {
    c->min = fmin(c->min, c->values[i]);
    c->max = fmax(c->max, c->values[i]);
  }
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
  bench_cell_t cells[BENCH_SCENARIO_COUNT][16][BENCH_ALLOC_MAX];
} bench_table_t;

// Whether allocator a is measured in this run.
static bool bench_alloc_used(const bench_opts_t* o, size_t a) { return o->alloc_on[a] && bench_allocs[a].available; }

static void bench_print_table(const bench_opts_t* o, bench_table_t* t) {
  printf("%-12s %3s  %-10s %10s %10s %10s %7s %7s %7s %9s %7s\n", "scenario", "thr", "allocator", "median", "min", "max",
         "speed", "wall", "cpu", "peak RSS", "RSS");
  printf("%-12s %3s  %-10s %10s %10s %10s %7s %7s %7s %9s %7s\n", "", "", "", "", "", "", "vs hak", "s", "s", "MiB",
         "vs hak");
  for (size_t s = 0; s < BENCH_SCENARIO_COUNT; s++) {
    if (!o->scenario_on[s]) continue;
    const bench_scenario_t* sc = &bench_scenarios[s];
    for (size_t ti = 0; ti < o->nthreads; ti++) {
      bench_cell_t* hak = &t->cells[s][ti][0];
      for (size_t a = 0; a < bench_nallocs; a++) {
        bench_cell_t* c = &t->cells[s][ti][a];
        if (!bench_alloc_used(o, a)) continue;
        char v[32], lo[32], hi[32];
        bench_fmt_value(sc, c->median, v, sizeof(v));
        bench_fmt_value(sc, c->min, lo, sizeof(lo));
        bench_fmt_value(sc, c->max, hi, sizeof(hi));
        if (c->failed) snprintf(v, sizeof(v), "FAILED");
        if (c->n == 0) snprintf(lo, sizeof(lo), "-"), snprintf(hi, sizeof(hi), "-");
        double rss_ratio = hak->rss_median > 0 ? c->rss_median / hak->rss_median : 0;
        printf("%-12s %3u  %-10s %10s %10s %10s %6.2fx %7.2f %7.2f %9.1f %6.2fx\n", sc->name, o->threads[ti],
               bench_allocs[a].name, v, lo, hi, bench_speed(sc, c, hak), c->wall_median, c->cpu_median,
               c->rss_median / 1024.0, rss_ratio);
      }
    }
  }
}

// ----- JSON, through runtime/json's streaming writer: always valid JSON -----
// Writes `"key":"s"`.
static void bench_json_str(hjson_writer_t* w, const char* key, const char* s) {
  hjson_writer_key(w, key, strlen(key));
  hjson_writer_string(w, s, strlen(s));
}

// Writes `"key":v` with v rounded as fmt prints it ("%.6g": 6 significant digits, "%.4f": 4 decimals); null when not finite.
static void bench_json_num(hjson_writer_t* w, const char* key, double v, const char* fmt) {
  char buf[64];
  if (key) hjson_writer_key(w, key, strlen(key));
  if (!isfinite(v)) {
    hjson_writer_null(w);
    return;
  }
  snprintf(buf, sizeof(buf), fmt, v);
  hjson_writer_double(w, strtod(buf, NULL));
}

// Writes `"key":n`, v rounded to a whole number (kilobytes).
static void bench_json_whole(hjson_writer_t* w, const char* key, double v) {
  if (key) hjson_writer_key(w, key, strlen(key));
  if (isfinite(v) && fabs(v) < 9e18)
    hjson_writer_int(w, (int64_t)llround(v));
  else
    hjson_writer_null(w);
}

// Writes `"key":[v,...]` of n values, each as bench_json_num (fmt) or bench_json_whole (fmt NULL) writes it.
static void bench_json_array(hjson_writer_t* w, const char* key, const double* v, unsigned n, const char* fmt) {
  hjson_writer_key(w, key, strlen(key));
  hjson_writer_begin_array(w);
  for (unsigned i = 0; i < n; i++) {
    if (fmt)
      bench_json_num(w, NULL, v[i], fmt);
    else
      bench_json_whole(w, NULL, v[i]);
  }
  hjson_writer_end_array(w);
}

// One result: a scenario at a thread count on an allocator.
static void bench_json_result(hjson_writer_t* w, const bench_opts_t* o, bench_table_t* t, size_t s, size_t ti, size_t a) {
  const bench_cell_t* c = &t->cells[s][ti][a];
  const bench_cell_t* hak = &t->cells[s][ti][0];
  hjson_writer_begin_object(w);
  bench_json_str(w, "scenario", bench_scenarios[s].name);
  hjson_writer_key(w, "threads", strlen("threads"));
  hjson_writer_int(w, o->threads[ti]);
  bench_json_str(w, "allocator", bench_allocs[a].name);
  if (bench_allocs[a].path[0] != 0 && !bench_allocs[a].hak_build) bench_json_str(w, "library", bench_allocs[a].path);
  bench_json_str(w, "metric", bench_scenarios[s].metric == BENCH_THROUGHPUT ? "ops_per_s" : "seconds");
  hjson_writer_key(w, "ok", strlen("ok"));
  hjson_writer_bool(w, !c->failed);
  bench_json_array(w, "values", c->values, c->n, "%.6g");
  bench_json_num(w, "median", c->median, "%.6g");
  bench_json_num(w, "min", c->min, "%.6g");
  bench_json_num(w, "max", c->max, "%.6g");
  bench_json_array(w, "peak_rss_kb", c->rss, c->n, NULL);
  bench_json_whole(w, "peak_rss_kb_median", c->rss_median);
  bench_json_array(w, "wall_s_runs", c->wall, c->n, "%.4f");
  bench_json_array(w, "cpu_s_runs", c->cpu, c->n, "%.4f");
  bench_json_num(w, "wall_s", c->wall_median, "%.4f");
  bench_json_num(w, "cpu_s", c->cpu_median, "%.4f");
  bench_json_num(w, "speed_vs_hakmem", bench_speed(&bench_scenarios[s], c, hak), "%.4f");
  bench_json_num(w, "rss_vs_hakmem", hak->rss_median > 0 ? c->rss_median / hak->rss_median : 0, "%.4f");
  hjson_writer_end_object(w);
}

// The whole file: {"date", "machine", "runs", "smoke", "results": [one object per result]}, on one line.
static void bench_write_json(const bench_opts_t* o, bench_table_t* t, const char* when) {
  struct utsname u;
  char machine[4 * 65 + 32];
  uname(&u);
  snprintf(machine, sizeof(machine), "%s %s %s, %ld cpus", u.sysname, u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN));
  hjson_writer_t w;
  hjson_writer_init(&w, NULL, HJSON_COMPACT);
  hjson_writer_begin_object(&w);
  bench_json_str(&w, "date", when);
  bench_json_str(&w, "machine", machine);
  hjson_writer_key(&w, "runs", strlen("runs"));
  hjson_writer_int(&w, o->runs);
  hjson_writer_key(&w, "smoke", strlen("smoke"));
  hjson_writer_bool(&w, o->smoke);
  hjson_writer_key(&w, "results", strlen("results"));
  hjson_writer_begin_array(&w);
  for (size_t s = 0; s < BENCH_SCENARIO_COUNT; s++) {
    for (size_t ti = 0; o->scenario_on[s] && ti < o->nthreads; ti++) {
      for (size_t a = 0; a < bench_nallocs; a++) {
        if (bench_alloc_used(o, a)) bench_json_result(&w, o, t, s, ti, a);
      }
    }
  }
  hjson_writer_end_array(&w);
  hjson_writer_end_object(&w);
  hjson_buf_t out = {NULL, 0, 0};
  if (!hjson_writer_finish(&w, &out)) {  // the first failure of any call above (invalid UTF-8, out of memory)
    fprintf(stderr, "hakmem bench: cannot write %s: %s\n", o->json_path, hjson_writer_error(&w)->msg);
    hjson_writer_destroy(&w);
    return;
  }
  hjson_writer_destroy(&w);
  FILE* f = fopen(o->json_path, "w");
  bool ok = f != NULL && fwrite(out.data, 1, out.len, f) == out.len && fputc('\n', f) != EOF;
  int e = errno;
  if (f != NULL && fclose(f) != 0 && ok) ok = false, e = errno;
  if (!ok) fprintf(stderr, "hakmem bench: cannot write %s: %s\n", o->json_path, strerror(e));
  hjson_buf_free(&out, NULL);
}

// ----- SVG: two bar charts (speed and peak RSS relative to hakmem) -----
static const char* const bench_colors[] = {"#d62728", "#ff9896", "#7f7f7f", "#1f77b4", "#2ca02c", "#9467bd",
                                           "#8c564b", "#e377c2", "#bcbd22", "#17becf", "#ff7f0e", "#aec7e8"};
#define BENCH_COLOR_COUNT (sizeof(bench_colors) / sizeof(bench_colors[0]))

static void bench_svg_chart(FILE* f, const bench_opts_t* o, bench_table_t* t, bool rss, double y0, double width) {
  size_t groups = 0, bars = 0;
  for (size_t s = 0; s < BENCH_SCENARIO_COUNT; s++) groups += o->scenario_on[s] ? o->nthreads : 0;
  for (size_t a = 0; a < bench_nallocs; a++) bars += bench_alloc_used(o, a);
  double max = 1.0;
  for (size_t s = 0; s < BENCH_SCENARIO_COUNT; s++) {
    for (size_t ti = 0; o->scenario_on[s] && ti < o->nthreads; ti++) {
      for (size_t a = 0; a < bench_nallocs; a++) {
        bench_cell_t* c = &t->cells[s][ti][a], *h = &t->cells[s][ti][0];
        double v = rss ? (h->rss_median > 0 ? c->rss_median / h->rss_median : 0) : bench_speed(&bench_scenarios[s], c, h);
        if (bench_alloc_used(o, a) && v > max) max = v;
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
      for (size_t a = 0; a < bench_nallocs; a++) {
        if (!bench_alloc_used(o, a)) continue;
        bench_cell_t* c = &t->cells[s][ti][a], *h = &t->cells[s][ti][0];
        double v = rss ? (h->rss_median > 0 ? c->rss_median / h->rss_median : 0) : bench_speed(&bench_scenarios[s], c, h);
        double bh = v / max * plot_h;
        fprintf(f, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"%s\"><title>%s %ut %s: %.2f</title></rect>\n",
                gx + (double)bi * bw, base - bh, bw - 1, bh, bench_colors[a % BENCH_COLOR_COUNT], bench_scenarios[s].name,
                o->threads[ti], bench_allocs[a].name, v);
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
  for (size_t a = 0; a < bench_nallocs; a++) {
    if (!bench_alloc_used(o, a)) continue;
    fprintf(f, "<rect x=\"%g\" y=\"%g\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%g\" y=\"%g\" font-size=\"12\">%s</text>\n",
            lx, height - 22, bench_colors[a % BENCH_COLOR_COUNT], lx + 16, height - 12, bench_allocs[a].name);
    lx += 110;
  }
  fprintf(f, "</svg>\n");
  fclose(f);
}

// ----- Driver -----
// Preflight of the NAME=PATH libraries, the interleaved runs, the report.
static int bench_main(bench_opts_t* o, bench_table_t* t) {
  const char* bin = getenv("HAKMEM_BENCH_DIR");
  snprintf(o->bin_dir, sizeof(o->bin_dir), "%s", bin != NULL ? bin : HAK_BENCH_BIN_DIR);
  snprintf(o->src_dir, sizeof(o->src_dir), "%s", HAK_BENCH_SRC_DIR);
  ssize_t n = readlink("/proc/self/exe", o->cli_path, sizeof(o->cli_path) - 1);
  o->cli_path[n > 0 ? n : 0] = 0;
  bench_find_allocators();
  for (size_t a = 0; a < BENCH_ALLOC_BUILTIN; a++) {
    if (o->alloc_on[a] && !bench_allocs[a].available) fprintf(stderr, "hakmem bench: %s is not installed; skipped\n", bench_allocs[a].name);
  }
  for (size_t a = BENCH_ALLOC_BUILTIN; a < bench_nallocs; a++) {
    int rc = o->alloc_on[a] ? bench_preflight(&bench_allocs[a], o) : 0;
    if (rc != 0) return rc;
  }
  if (!o->alloc_on[0]) {
    fprintf(stderr, "hakmem bench: hakmem is always measured (ratios are relative to it)\n");
    o->alloc_on[0] = true;
  }
  time_t now = time(NULL);
  char when[64];
  strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime(&now));
  bool all_ok = true;
  for (size_t s = 0; s < BENCH_SCENARIO_COUNT; s++) {
    if (!o->scenario_on[s]) continue;
    for (size_t ti = 0; ti < o->nthreads; ti++) {
      for (unsigned r = 0; r < o->runs; r++) {
        for (size_t a = 0; a < bench_nallocs; a++) {
          if (!bench_alloc_used(o, a)) continue;
          fprintf(stderr, "[bench] %-12s threads=%u run %u/%u %-10s\r", bench_scenarios[s].name, o->threads[ti], r + 1,
                  o->runs, bench_allocs[a].name);
          bench_run_t run = bench_run_once(&bench_scenarios[s], &bench_allocs[a], o, o->threads[ti]);
          bench_cell_t* c = &t->cells[s][ti][a];
          if (!run.ok) {
            c->failed = true;
            all_ok = false;
            continue;
          }
          c->values[c->n] = run.value;
          c->rss[c->n] = run.rss_kb;
          c->wall[c->n] = run.wall;
          c->cpu[c->n] = run.cpu;
          c->n++;
          snprintf(c->proof, sizeof(c->proof), "%s", run.proof);
        }
      }
      for (size_t a = 0; a < bench_nallocs; a++) bench_cell_finish(&t->cells[s][ti][a]);
    }
  }
  fprintf(stderr, "%78s\r", "");
  printf("hakmem bench: %s, medians of %u interleaved runs%s\n", when, o->runs, o->smoke ? " (smoke sizes)" : "");
  bench_print_table(o, t);
  if (o->json_path != NULL) bench_write_json(o, t, when);
  if (o->svg_path != NULL) bench_write_svg(o, t, when);
  if (!all_ok) fprintf(stderr, "hakmem bench: some runs failed or did not prove their allocator (see above)\n");
  return all_ok ? 0 : 1;
}

// The driver's own memory must stay small: Linux counts the memory a child
// had before exec (the forked driver's) in the peak RSS that wait4 reports,
// so a driver with megabytes resident would raise every run's peak RSS. The
// results table is calloc'ed: its pages stay untouched, and out of the RSS,
// until a cell is used.
int hak_cmd_bench(int argc, char** argv) {
  static bench_opts_t o;
  memset(&o, 0, sizeof(o));
  bench_nallocs = BENCH_ALLOC_BUILTIN;
  int rc = bench_parse_opts(argc, argv, &o);
  if (rc >= 0) return rc;
  bench_table_t* t = calloc(1, sizeof(bench_table_t));
  if (t == NULL) {
    fprintf(stderr, "hakmem bench: out of memory\n");
    return 1;
  }
  rc = bench_main(&o, t);
  free(t);
  return rc;
}
