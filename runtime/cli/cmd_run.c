/* cmd_run.c: `hakmem run FILE.hk [--threads N] [--profile] [--profile-out F]
   [--alloc hakmem|libc] [-- ARGS...]` (docs/language.md); run_opts is the
   one table of its options (the parser's and --help's, cli.h). Everything
   after `--` is the script's, options or not.

   Compiles the script with the MIR driver (a syntax error prints
   FILE:LINE:COL: syntax error: MESSAGE and exits 2, running nothing), then
   runs it in a VM; a runtime error exits 1 after its report, exit(code)
   exits with code. --threads N runs the whole script N times at once, each
   in its own thread and VM, then prints one summary line on stderr:
     threads: N, wall: S s, runs/s: R
   The runtime's memory (AST, MIR, bytecode, VM objects) comes from hakmem,
   or from the C library's malloc with --alloc libc or the environment
   variable HAKMEM_RUNTIME_ALLOC=libc (how the benchmarks put a peer allocator
   under the same work).
   --profile turns hakmem's per-site profile on before compiling and prints
   its report at the end on stderr: the script's allocations by script call
   stack (the VM names a site per stack, docs/vm.md) next to the runtime's
   sites (lang.*, mir.*, vm.*, json.*), with allocations, bytes, frees, live
   and peak live bytes. --profile-out F writes the profile to F in the format
   its extension names, as `hakmem report -o F` would (.hprof: the data file
   itself; .json, .svg, .folded, .pb.gz, .txt). */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "hakmem.h"
#include "prof.h"
#include "hmir.h"
#include "hvm.h"

typedef struct run_args_s {
  const char* file;
  long threads;          // 0: one run on this thread
  int profile;           // --profile: the text report on stderr at the end
  const char* profile_out;  // --profile-out F: the profile, in the format F's extension names
  const char* alloc;     // "hakmem" or "libc"
  int argc;              // script arguments after --
  const char* const* argv;
} run_args_t;

enum { RUN_OPT_THREADS = 256, RUN_OPT_PROFILE, RUN_OPT_PROFILE_OUT, RUN_OPT_ALLOC };

static const cli_opt_t run_opts[] = {
    {"threads", required_argument, RUN_OPT_THREADS, "N",
     "run the script N times at once (1..4096), each in its own thread and VM;\n"
     "then print `threads: N, wall: S s, runs/s: R` on stderr"},
    {"profile", no_argument, RUN_OPT_PROFILE, NULL, "print the per-site allocation profile on stderr at the end"},
    {"profile-out", required_argument, RUN_OPT_PROFILE_OUT, "F",
     "write the profile to F in the format its extension names:\n.hprof, .json, .svg, .folded, .pb.gz, .txt"},
    {"alloc", required_argument, RUN_OPT_ALLOC, "hakmem|libc",
     "where the runtime's memory comes from (default: $HAKMEM_RUNTIME_ALLOC, else hakmem)"},
    {"help", no_argument, 'h', NULL, "this help"},
    {NULL, 0, 0, NULL, NULL},
};

static const cli_spec_t run_spec = {
    .who = "hakmem run",
    .operands = "FILE.hk",
    .trailer = "[-- ARGS...]",
    .summary = "Compiles and runs an hk script (docs/language.md, docs/vm.md).",
    .opts = run_opts,
    .epilogue =
        "ARGS, everything after --, are the script's (args()), even those that look like options.\n"
        "Exit status: the script's exit(code); 1 after a runtime error; 2 for a syntax error or bad usage.\n"};

// 0 to go on, -1 after --help (exit status 0), or the exit status of a usage error.
static int run_parse(int argc, char** argv, run_args_t* a) {
  memset(a, 0, sizeof *a);
  a->alloc = getenv("HAKMEM_RUNTIME_ALLOC");
  const char* alloc_from = "HAKMEM_RUNTIME_ALLOC";
  cli_parser_t p;
  cli_parser_init(&p, &run_spec, CLI_IN_ORDER);  // operands in order: the script's arguments start after `--`
  int c;
  long n;
  while ((c = cli_parser_next(&p, argc, argv)) != -1) {
    switch (c) {
      case 1:
        if (a->file) return cli_usage_error(&run_spec, "unexpected argument '%s' (script arguments go after --)", optarg);
        a->file = optarg;
        break;
      case RUN_OPT_THREADS:
        if (!cli_parse_long(optarg, 1, 4096, &n))
          return cli_usage_error(&run_spec, "--threads takes a number from 1 to 4096, not '%s'", optarg);
        a->threads = n;
        break;
      case RUN_OPT_PROFILE: a->profile = 1; break;
      case RUN_OPT_PROFILE_OUT: a->profile_out = optarg; break;
      case RUN_OPT_ALLOC:
        a->alloc = optarg;
        alloc_from = "--alloc";
        break;
      case 'h': cli_help(stdout, &run_spec); return -1;
      default: return cli_bad_option(&run_spec, c, argv);
    }
  }
  if (optind < argc) {  // after `--`
    a->argc = argc - optind;
    a->argv = (const char* const*)argv + optind;
  }
  if (!a->file) return cli_usage_error(&run_spec, "no script given");
  if (a->alloc && strcmp(a->alloc, "hakmem") && strcmp(a->alloc, "libc"))
    return cli_usage_error(&run_spec, "%s must be hakmem or libc, not '%s'", alloc_from, a->alloc);
  return 0;
}

typedef struct run_job_s {
  hvm_program_t* prog;
  int status;
} run_job_t;

static void* run_thread(void* arg) {
  run_job_t* j = arg;
  j->status = hvm_program_run(j->prog, NULL);
  return NULL;
}

static double run_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

// Runs the program n times at once and prints the summary line.
static int run_threads(hvm_program_t* p, long n) {
  run_job_t* jobs = calloc((size_t)n, sizeof *jobs);
  pthread_t* tids = calloc((size_t)n, sizeof *tids);
  if (!jobs || !tids) {
    free(jobs);
    free(tids);
    fprintf(stderr, "hakmem run: out of memory\n");
    return 1;
  }
  double t0 = run_now();
  long started = 0;
  for (; started < n; started++) {
    jobs[started].prog = p;
    if (pthread_create(&tids[started], NULL, run_thread, &jobs[started])) {
      fprintf(stderr, "hakmem run: cannot start thread %ld of %ld\n", started + 1, n);
      break;
    }
  }
  int status = started == n ? 0 : 1;
  for (long i = 0; i < started; i++) {
    pthread_join(tids[i], NULL);
    if (jobs[i].status && !status) status = jobs[i].status;
  }
  double wall = run_now() - t0;
  fflush(stdout);
  fprintf(stderr, "threads: %ld, wall: %.3f s, runs/s: %.2f\n", n, wall, wall > 0 ? (double)started / wall : 0.0);
  free(jobs);
  free(tids);
  return status;
}

// Writes the profile asked for: the data file under a temporary name, then
// each report rendered from it (prof.h). Returns status, or 1 if one failed.
static int run_profile_report(const run_args_t* a, int status) {
  prof_opts_t o = {.who = "hakmem run", .type = PROF_INUSE_SPACE, .top = 20, .stream = stderr};
  prof_format_t fmt = a->profile_out ? prof_format_from_path(a->profile_out) : PROF_FMT_TEXT;
  if (fmt == PROF_FMT_HPROF) {
    int e = hak_profile_write(a->profile_out);
    if (e) fprintf(stderr, "hakmem run: cannot write the profile to %s: %s\n", a->profile_out, strerror(e));
    if (e && !status) status = 1;
    if (!a->profile) return status;
  }
  char tmp[] = "/tmp/hakmem-run-XXXXXX.hprof";
  int fd = mkstemps(tmp, 6);
  FILE* f = fd >= 0 ? fdopen(fd, "w") : NULL;
  int e = f ? hak_profile_dump(f) : errno;
  if (f && fclose(f) != 0 && !e) e = errno;
  if (e) {
    fprintf(stderr, "hakmem run: cannot write the profile data to %s: %s\n", tmp, strerror(e));
    if (fd >= 0) unlink(tmp);
    return status ? status : 1;
  }
  fflush(stdout);
  int rc = 0;
  if (a->profile) rc = prof_report_file(tmp, NULL, PROF_FMT_TEXT, &o);
  if (a->profile_out && fmt != PROF_FMT_HPROF) {
    if (fmt == PROF_FMT_NONE) fmt = PROF_FMT_TEXT;
    int r = prof_report_file(tmp, a->profile_out, fmt, &o);
    if (r) rc = r;
  }
  unlink(tmp);
  return status ? status : rc ? 1 : 0;
}

int hak_cmd_run(int argc, char** argv) {
  run_args_t a;
  int rc = run_parse(argc, argv, &a);
  if (rc) return rc < 0 ? 0 : rc;
  const hak_alc_t* alc = a.alloc && !strcmp(a.alloc, "libc") ? hak_alc_libc() : hak_alc_default();
  if (a.profile || a.profile_out) {
    if (alc != hak_alc_default())
      fprintf(stderr, "hakmem run: with --alloc libc the runtime's memory is not hakmem's: the profile will not show it\n");
    hak_profile_enable(true);
  }
  hmir_options_t mo;
  hmir_options_init(&mo);
  mo.alc = alc;
  mo.vm_alc = alc;
  hbc_module_t* m = NULL;
  hmir_status_t st = hmir_compile_file(a.file, &mo, &m);
  if (st != HMIR_OK) return hmir_status_exit_code(st);
  hvm_options_t vo;
  hvm_options_init(&vo);
  vo.alc = alc;
  vo.argc = a.argc;
  vo.argv = a.argv;
  vo.exit_process = 1;
  hvm_program_t* p = hvm_program_new(m, &vo);
  if (!p) {
    fprintf(stderr, "hakmem run: out of memory\n");
    return 1;
  }
  int status = a.threads >= 1 ? run_threads(p, a.threads) : hvm_program_run(p, NULL);
  hvm_program_free(p);
  return run_profile_report(&a, status);
}
