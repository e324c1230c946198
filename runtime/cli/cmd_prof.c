/* cmd_prof.c: `hakmem prof [options] -- CMD ARGS...`: runs CMD on libhakmem.so
   with profiling on and renders the profile it writes, as `heaptrack CMD`.

   The library is --lib PATH, else $HAKMEM_LIB, else found from this program's
   own path (/proc/self/exe): the build tree (../alloc/libhakmem.so next to
   runtime/cli/hakmem), the install prefix (../lib/libhakmem.so.*,
   ../lib/<multiarch>/libhakmem.so.*), then the build's own path compiled in
   (HAK_LIBHAKMEM_PATH). CMD runs with LD_PRELOAD=<lib> (before any
   LD_PRELOAD already set), HAKMEM_PROFILE=1 and
   HAKMEM_PROFILE_OUT=DIR/hakmem.<prog>.%p.hprof (the library puts the pid of
   the writing process for %p, so forked children write their own files),
   plus HAKMEM_PROFILE_SAMPLE (--sample), HAKMEM_PROFILE_INTERVAL_MS
   (--interval) and HAKMEM_PROFILE_SIGNAL (--signal) when given.

   Without -o, DIR is the current directory: the data file is kept and a
   summary (top N by live and by allocated bytes) goes to stderr, or the
   --format report to stdout. With -o OUT, DIR is a new temporary directory,
   OUT is rendered (format from --format or OUT's extension, .hprof copies the
   data file), and the data file is removed once OUT is written; when OUT
   cannot be written it is kept and its path given. Files written by other
   processes (forked children) are listed (`also written: ...`).

   While CMD runs, Ctrl-C and Ctrl-\ go to CMD only; SIGTERM, SIGHUP and the
   --signal signal sent to this command are passed on to CMD. Exit status:
   CMD's, 128+N when signal N killed it; 127 when CMD cannot be found, 126
   when it cannot be executed (as a shell); 2 for bad usage; 1 when CMD
   succeeded but no profile could be read or rendered. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "prof.h"

#ifndef HAK_LIBHAKMEM_PATH
#define HAK_LIBHAKMEM_PATH "libhakmem.so"
#endif

extern char** environ;

enum { PRF_OPT_SAMPLE = PROF_OPT_CMD, PRF_OPT_INTERVAL, PRF_OPT_SIGNAL, PRF_OPT_LIB };

static const cli_opt_t prf_opts[] = {
    {"output", required_argument, 'o', "OUT", "render to OUT (default: keep hakmem.<prog>.<pid>.hprof here, summary on stderr)"},
    {"format", required_argument, PROF_OPT_FORMAT, "F", "text, json, svg, folded, pprof or hprof (default: OUT's extension)"},
    {"sample", required_argument, PRF_OPT_SAMPLE, "KIB", "mean sampling interval in KiB (library default 512)"},
    {"interval", required_argument, PRF_OPT_INTERVAL, "SEC", "also write the profile every SEC seconds while CMD runs"},
    {"signal", required_argument, PRF_OPT_SIGNAL, "SIG", "CMD writes its profile when it gets SIG (USR2, SIGUSR2 or a number)"},
    {"type", required_argument, PROF_OPT_TYPE, "T",
     "value of folded and svg: alloc_space, alloc_objects, inuse_space (default), inuse_objects"},
    {"top", required_argument, PROF_OPT_TOP, "N", "rows of the summary and text tables (default 20)"},
    {"skip", required_argument, PROF_OPT_SKIP, "RE",
     "drop frames matching RE (whole name, POSIX ERE) and their callees; repeatable"},
    {"lib", required_argument, PRF_OPT_LIB, "PATH", "libhakmem.so to preload (default: $HAKMEM_LIB, else found next to hakmem)"},
    {"help", no_argument, PROF_OPT_HELP, NULL, "this help"},
    {NULL, 0, 0, NULL, NULL},
};

#define PRF_USAGE "usage: hakmem prof [options] -- CMD ARGS..."
#define PRF_WHO "hakmem prof"

typedef struct prf_s {
  prof_opts_t o;
  const char* out;
  const char* format;
  const char* lib;
  long sample_kib;   // 0: not given
  long interval_ms;  // 0: not given
  int signal;        // 0: not given
  char lib_path[PATH_MAX];
  char dir[PATH_MAX];  // where the data files go
  bool tmp_dir;        // dir was made for this run
  char prog[80];       // CMD's base name, safe for a file name
  char raw[PATH_MAX + 128];
  struct timespec started;
} prf_t;

// ----- Options -----
static int prf_signal_number(const char* s) {
  long n;
  if (cli_parse_long(s, 1, NSIG - 1, &n)) return (int)n;
  if (!strncasecmp(s, "SIG", 3)) s += 3;
  for (int i = 1; i < NSIG; i++) {
    const char* name = sigabbrev_np(i);
    if (name && !strcasecmp(name, s)) return i;
  }
  return 0;
}

static const char* prf_signal_name(int sig, char* buf, size_t size) {
  const char* n = sigabbrev_np(sig);
  if (n)
    snprintf(buf, size, "SIG%s", n);
  else
    snprintf(buf, size, "signal %d", sig);
  return buf;
}

static int prf_usage(void) {
  fprintf(stderr, "%s\n(hakmem prof --help lists the options)\n", PRF_USAGE);
  return 2;
}

// One option; 0 to go on, else the exit status.
static int prf_option(prf_t* r, int c, const char* arg, char** argv) {
  long n;
  double sec;
  char* end;
  switch (c) {
    case 'o': r->out = arg; return 0;
    case PROF_OPT_FORMAT: r->format = arg; return 0;
    case PRF_OPT_LIB: r->lib = arg; return 0;
    case PRF_OPT_SAMPLE:
      if (cli_parse_long(arg, 1, 1L << 30, &n)) {
        r->sample_kib = n;
        return 0;
      }
      fprintf(stderr, "%s: --sample takes a number of KiB from 1 up, not '%s'\n", PRF_WHO, arg);
      return 2;
    case PRF_OPT_INTERVAL:
      sec = strtod(arg, &end);
      if (*arg && !*end && sec >= 0.001 && sec <= 86400.0 * 365) {
        r->interval_ms = (long)(sec * 1000 + 0.5);
        return 0;
      }
      fprintf(stderr, "%s: --interval takes seconds (0.001 up), not '%s'\n", PRF_WHO, arg);
      return 2;
    case PRF_OPT_SIGNAL:
      r->signal = prf_signal_number(arg);
      if (r->signal == SIGKILL || r->signal == SIGSTOP) r->signal = 0;
      if (r->signal) return 0;
      fprintf(stderr, "%s: --signal takes a signal that can be caught (USR2, SIGUSR2, 12), not '%s'\n", PRF_WHO, arg);
      return 2;
    case PROF_OPT_TYPE:
    case PROF_OPT_TOP:
    case PROF_OPT_SKIP: return prof_opt_common(c, arg, &r->o) ? 0 : 2;
    case PROF_OPT_HELP:
      cli_opt_help(stdout, PRF_USAGE, prf_opts,
                   "CMD runs on libhakmem.so with HAKMEM_PROFILE=1; its profile data file is rendered when it exits.\n"
                   "Exit status: CMD's (128+N when signal N killed it, 127 when it cannot be run). docs/profiling.md.\n");
      return -1;
    default: cli_opt_error(PRF_WHO, c, argv); return prf_usage();
  }
}

// ----- The library -----
static bool prf_try(prf_t* r, const char* path, char* looked, size_t size) {
  size_t used = strlen(looked);
  snprintf(looked + used, size - used, "\n  %s", path);
  if (access(path, R_OK) != 0) return false;
  if (realpath(path, r->lib_path)) return true;
  size_t len = strlen(path);
  if (len >= sizeof(r->lib_path)) {
    errno = ENAMETOOLONG;
    return false;
  }
  memcpy(r->lib_path, path, len + 1);
  return true;
}

// The first match of a glob pattern, tried as the library.
static bool prf_try_glob(prf_t* r, const char* pattern, char* looked, size_t size) {
  glob_t g;
  bool found = false;
  if (glob(pattern, 0, NULL, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc && !found; i++) found = prf_try(r, g.gl_pathv[i], looked, size);
    globfree(&g);
  }
  if (!found) {
    size_t used = strlen(looked);
    snprintf(looked + used, size - used, "\n  %s", pattern);
  }
  return found;
}

static bool prf_find_lib(prf_t* r) {
  char looked[8192] = "";
  if (r->lib) {
    if (prf_try(r, r->lib, looked, sizeof(looked))) return true;
    fprintf(stderr, "%s: --lib %s: %s\n", PRF_WHO, r->lib, strerror(errno));
    return false;
  }
  const char* env = getenv("HAKMEM_LIB");
  if (env && *env) {
    if (prf_try(r, env, looked, sizeof(looked))) return true;
    fprintf(stderr, "%s: HAKMEM_LIB=%s: %s\n", PRF_WHO, env, strerror(errno));
    return false;
  }
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) {
    exe[n] = 0;
    char* slash = strrchr(exe, '/');
    if (slash) *slash = 0;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/../alloc/libhakmem.so", exe);
    if (prf_try(r, path, looked, sizeof(looked))) return true;
    snprintf(path, sizeof(path), "%s/../lib/libhakmem.so.[0-9]*", exe);
    if (prf_try_glob(r, path, looked, sizeof(looked))) return true;
    snprintf(path, sizeof(path), "%s/../lib/*/libhakmem.so.[0-9]*", exe);
    if (prf_try_glob(r, path, looked, sizeof(looked))) return true;
  }
  if (prf_try(r, HAK_LIBHAKMEM_PATH, looked, sizeof(looked))) return true;
  fprintf(stderr, "%s: cannot find libhakmem.so; looked at:%s\ngive its path with --lib PATH or HAKMEM_LIB=PATH\n", PRF_WHO,
          looked);
  return false;
}

// ----- The run -----
static void prf_prog_name(prf_t* r, const char* cmd) {
  const char* b = prof_basename(cmd);
  size_t n = 0;
  for (; *b && n + 1 < sizeof(r->prog) && n < 64; b++) {
    char c = *b;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
              c == '+';
    r->prog[n++] = ok ? c : '_';
  }
  r->prog[n] = 0;
  if (!n) snprintf(r->prog, sizeof(r->prog), "prog");
}

static bool prf_make_dir(prf_t* r) {
  if (!r->out) {
    if (getcwd(r->dir, sizeof(r->dir))) return true;
    fprintf(stderr, "%s: cannot get the current directory: %s\n", PRF_WHO, strerror(errno));
    return false;
  }
  const char* tmp = getenv("TMPDIR");
  snprintf(r->dir, sizeof(r->dir), "%s/hakmem-prof.XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (mkdtemp(r->dir)) {
    r->tmp_dir = true;
    return true;
  }
  fprintf(stderr, "%s: cannot make a directory for the profile data (%s): %s\n", PRF_WHO, r->dir, strerror(errno));
  return false;
}

static void prf_env_push(char*** env, size_t* n, char* kv) {
  *env = prof_xrealloc(*env, (*n + 2) * sizeof(char*));
  (*env)[(*n)++] = kv;
  (*env)[*n] = NULL;
}

static void prf_env_add(char*** env, size_t* n, const char* name, const char* value) {
  size_t len = strlen(name) + strlen(value) + 2;
  char* kv = prof_xmalloc(len);
  snprintf(kv, len, "%s=%s", name, value);
  prf_env_push(env, n, kv);
}

// The environment of CMD: ours without the variables set here, then those.
static char** prf_env(const prf_t* r) {
  static const char* const ours[] = {"LD_PRELOAD", "HAKMEM_PROFILE", "HAKMEM_PROFILE_OUT", NULL};
  char** env = prof_xmalloc(sizeof(char*));
  size_t n = 0;
  env[0] = NULL;
  for (char** e = environ; *e; e++) {
    bool skip = false;
    for (int i = 0; ours[i]; i++) {
      size_t l = strlen(ours[i]);
      skip = skip || (!strncmp(*e, ours[i], l) && (*e)[l] == '=');
    }
    if (r->sample_kib) skip = skip || !strncmp(*e, "HAKMEM_PROFILE_SAMPLE=", 22);
    if (r->interval_ms) skip = skip || !strncmp(*e, "HAKMEM_PROFILE_INTERVAL_MS=", 27);
    if (r->signal) skip = skip || !strncmp(*e, "HAKMEM_PROFILE_SIGNAL=", 22);
    if (!skip) prf_env_push(&env, &n, prof_xstrdup(*e));
  }
  const char* pre = getenv("LD_PRELOAD");
  char buf[PATH_MAX * 2 + 4096];
  snprintf(buf, sizeof(buf), "%s%s%s", r->lib_path, pre && *pre ? ":" : "", pre && *pre ? pre : "");
  prf_env_add(&env, &n, "LD_PRELOAD", buf);
  prf_env_add(&env, &n, "HAKMEM_PROFILE", "1");
  snprintf(buf, sizeof(buf), "%s/hakmem.%s.%%p.hprof", r->dir, r->prog);
  prf_env_add(&env, &n, "HAKMEM_PROFILE_OUT", buf);
  struct {
    const char* name;
    long value;
  } nums[] = {{"HAKMEM_PROFILE_SAMPLE", r->sample_kib},
              {"HAKMEM_PROFILE_INTERVAL_MS", r->interval_ms},
              {"HAKMEM_PROFILE_SIGNAL", r->signal}};
  for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
    if (!nums[i].value) continue;
    snprintf(buf, sizeof(buf), "%ld", nums[i].value);
    prf_env_add(&env, &n, nums[i].name, buf);
  }
  return env;
}

static volatile sig_atomic_t prf_child;

static void prf_forward(int sig) {
  if (prf_child > 0) kill((pid_t)prf_child, sig);
}

// Runs CMD; returns its wait status, or -1 with *exec_errno set when it could not be started.
static int prf_run(prf_t* r, char** cmd, int* exec_errno) {
  char** env = prf_env(r);
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    *exec_errno = errno;
    return -1;
  }
  fflush(NULL);
  clock_gettime(CLOCK_REALTIME, &r->started);
  pid_t pid = fork();
  if (pid == 0) {
    close(pipefd[0]);
    execvpe(cmd[0], cmd, env);
    int e = errno;
    if (write(pipefd[1], &e, sizeof(e)) < 0) _exit(127);
    _exit(127);
  }
  int e = errno;
  close(pipefd[1]);
  for (char** p = env; *p; p++) free(*p);
  free(env);
  if (pid < 0) {
    close(pipefd[0]);
    *exec_errno = e;
    return -1;
  }
  prf_child = pid;
  struct sigaction ign = {0}, fwd = {0}, old[5];
  ign.sa_handler = SIG_IGN;
  fwd.sa_handler = prf_forward;
  sigaction(SIGINT, &ign, &old[0]);
  sigaction(SIGQUIT, &ign, &old[1]);
  sigaction(SIGTERM, &fwd, &old[2]);
  sigaction(SIGHUP, &fwd, &old[3]);
  if (r->signal) sigaction(r->signal, &fwd, &old[4]);
  ssize_t got;
  while ((got = read(pipefd[0], &e, sizeof(e))) < 0 && errno == EINTR) {
  }
  close(pipefd[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  sigaction(SIGINT, &old[0], NULL);
  sigaction(SIGQUIT, &old[1], NULL);
  sigaction(SIGTERM, &old[2], NULL);
  sigaction(SIGHUP, &old[3], NULL);
  if (r->signal) sigaction(r->signal, &old[4], NULL);
  if (got == (ssize_t)sizeof(e)) {
    *exec_errno = e;
    return -1;
  }
  return status;
}

// ----- After the run -----
// The `reason` of a data file, into buf ("" when it has none).
static void prf_peek_reason(const char* path, char* buf, size_t size) {
  buf[0] = 0;
  FILE* f = fopen(path, "r");
  char line[256];
  while (f && fgets(line, sizeof(line), f)) {
    if (!strncmp(line, "reason ", 7)) {
      line[strcspn(line, "\r\n")] = 0;
      snprintf(buf, size, "%s", line + 7);
      break;
    }
  }
  if (f) fclose(f);
}

static void prf_report_crash(const prf_t* r, int sig) {
  char name[32], reason[256];
  fprintf(stderr, "%s: %s was killed by %s (%s)\n", PRF_WHO, r->prog, prf_signal_name(sig, name, sizeof(name)), strsignal(sig));
  if (access(r->raw, F_OK) != 0) {
    fprintf(stderr, "%s: nothing could be written: no profile data file (%s)\n", PRF_WHO, r->raw);
    return;
  }
  prf_peek_reason(r->raw, reason, sizeof(reason));
  if (!strcmp(reason, "crash"))
    fprintf(stderr, "%s: the profile was written at the crash (reason crash): complete up to it\n", PRF_WHO);
  else if (*reason)
    fprintf(stderr, "%s: the profile is the last one written before (reason %s): allocations after it are missing\n", PRF_WHO,
            reason);
  else
    fprintf(stderr, "%s: the profile data file has no reason line: it was cut short\n", PRF_WHO);
}

// Lists the data files other processes of the run wrote (forked children),
// and those written before an exec (PID.N: the image the process replaced).
static void prf_others(const prf_t* r, pid_t main_pid) {
  DIR* d = opendir(r->dir);
  if (!d) return;
  char prefix[128];
  int plen = snprintf(prefix, sizeof(prefix), "hakmem.%s.", r->prog);
  bool any = false;
  struct dirent* de;
  while ((de = readdir(d))) {
    const char* name = de->d_name;
    char* end;
    if (strncmp(name, prefix, (size_t)plen)) continue;
    long pid = strtol(name + plen, &end, 10);
    if (end == name + plen) continue;
    bool before_exec = false;
    if (*end == '.' && end[1] >= '0' && end[1] <= '9') {  // PID.N.hprof: written before an exec
      strtol(end + 1, &end, 10);
      before_exec = true;
    }
    if (strcmp(end, ".hprof") || (pid == main_pid && !before_exec)) continue;
    char path[PATH_MAX + 300];
    snprintf(path, sizeof(path), "%s/%s", r->dir, name);
    struct stat st;
    if (stat(path, &st) != 0 || st.st_mtim.tv_sec < r->started.tv_sec) continue;  // from an earlier run
    fprintf(stderr, "%s %s%s", any ? "," : "hakmem prof: also written (other processes of the run, e.g. forked children, and images replaced by exec):",
            path, before_exec ? " (before exec)" : "");
    any = true;
  }
  closedir(d);
  if (any) fputc('\n', stderr);
}

// Copies a file (for -o X.hprof across file systems).
static bool prf_copy(const char* from, const char* to) {
  FILE* in = fopen(from, "rb");
  FILE* out = in ? fopen(to, "wb") : NULL;
  bool ok = in && out;
  char buf[65536];
  size_t n;
  while (ok && (n = fread(buf, 1, sizeof(buf), in)) > 0) ok = fwrite(buf, 1, n, out) == n;
  ok = ok && !ferror(in);
  if (in) fclose(in);
  if (out && fclose(out) != 0) ok = false;
  return ok;
}

// Renders the data file; exit status 0 or 1.
static int prf_render(prf_t* r) {
  prof_format_t fmt = PROF_FMT_TEXT;
  if (r->format)
    fmt = prof_format_from_name(r->format);
  else if (r->out)
    fmt = prof_format_from_path(r->out);
  if (fmt == PROF_FMT_NONE) fmt = PROF_FMT_TEXT;
  if (fmt == PROF_FMT_HPROF) {
    if (!r->out) return 0;  // the data file stays where it is
    if (rename(r->raw, r->out) == 0 || prf_copy(r->raw, r->out)) return 0;
    fprintf(stderr, "%s: cannot write %s: %s\n", PRF_WHO, r->out, strerror(errno));
    return 1;
  }
  r->o.summary = !r->out && !r->format;
  r->o.stream = r->o.summary ? stderr : stdout;
  return prof_report_file(r->raw, r->out, fmt, &r->o);
}

static int prf_after(prf_t* r, int status, pid_t pid) {
  int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (WIFSIGNALED(status)) prf_report_crash(r, WTERMSIG(status));
  if (access(r->raw, F_OK) != 0) {
    prf_others(r, pid);
    if (!WIFSIGNALED(status)) {
      fprintf(stderr,
              "%s: no profile data file was written (expected %s): does %s write profile data files (HAKMEM_PROFILE_OUT)?\n",
              PRF_WHO, r->raw, r->lib_path);
    }
    if (r->tmp_dir) rmdir(r->dir);
    return rc ? rc : 1;
  }
  int rendered = prf_render(r);
  if (rendered != 0) {
    fprintf(stderr, "%s: the profile data file is kept: %s (hakmem report %s renders it)\n", PRF_WHO, r->raw, r->raw);
  } else if (!r->out) {
    fprintf(stderr, "%s: profile data in %s (hakmem report FILE [-o OUT] renders it again)\n", PRF_WHO, r->raw);
  } else {
    unlink(r->raw);
  }
  prf_others(r, pid);
  if (rendered == 0 && r->out && r->tmp_dir) rmdir(r->dir);  // fails, keeping them, when other processes wrote files there
  return rc ? rc : rendered;
}

int hak_cmd_prof(int argc, char** argv) {
  prf_t r;
  memset(&r, 0, sizeof(r));
  r.o = (prof_opts_t){PRF_WHO, PROF_INUSE_SPACE, 20, NULL, 0, false, NULL};
  struct option longopts[sizeof(prf_opts) / sizeof(prf_opts[0])];
  char shortopts[64];
  cli_opt_build(prf_opts, longopts, shortopts, sizeof(shortopts), CLI_STOP);
  optind = 1;
  opterr = 0;
  int c, status = 0;
  while (!status && (c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) status = prf_option(&r, c, optarg, argv);
  if (!status && optind >= argc) {
    fprintf(stderr, "%s: no command to run\n", PRF_WHO);
    status = prf_usage();
  }
  if (!status && r.format) {
    prof_format_t f = prof_format_from_name(r.format);
    if (f == PROF_FMT_NONE) {
      fprintf(stderr, "%s: unknown format '%s' (known: text, json, svg, folded, pprof, hprof)\n", PRF_WHO, r.format);
      status = 2;
    }
  }
  if (!status && !prf_find_lib(&r)) status = 1;
  if (!status) prf_prog_name(&r, argv[optind]);
  if (!status && !prf_make_dir(&r)) status = 1;
  if (status) {
    free(r.o.skip);
    return status < 0 ? 0 : status;
  }
  int exec_errno = 0;
  int ws = prf_run(&r, argv + optind, &exec_errno);
  if (ws < 0) {
    fprintf(stderr, "%s: cannot run %s: %s\n", PRF_WHO, argv[optind], strerror(exec_errno));
    if (r.tmp_dir) rmdir(r.dir);
    free(r.o.skip);
    return exec_errno == ENOENT ? 127 : 126;
  }
  snprintf(r.raw, sizeof(r.raw), "%s/hakmem.%s.%ld.hprof", r.dir, r.prog, (long)prf_child);
  status = prf_after(&r, ws, (pid_t)prf_child);
  free(r.o.skip);
  return status;
}
