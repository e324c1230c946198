/* vm.c: the vm scenario: hk scripts on the runtime's VM (hvm.h), each
   thread running the whole suite.

   The scripts live in bench/scenarios/vm/ (each also runs alone with
   `hakmem run FILE.hk [-- ARG]`): trees.hk (binary trees), strings.hk
   (string building), maps.hk (map churn), json.hk (JSON round trips),
   chan.hk (a producer/consumer pipeline over channels across three spawned
   threads). Set-up (not timed): every script is compiled (lang + mir) into
   a program. Timed: `threads` threads start together; each runs every
   script once, in order, in its own VM (as `hakmem run --threads N` runs
   one script N times), so the work per thread is fixed. The result is
   script runs per second over all threads; each script's last output line
   is shown once so runs can be compared.

   This is a program of its own rather than `hakmem run` because a run must
   prove its allocator: it ends with the `allocator:` line (bench_common.h),
   and `hakmem run`'s output is the script's. The VM, compiler and their
   memory are exactly those of `hakmem run`: vm_hak gives them
   hak_alc_default() (what `hakmem run` does), vm gives them hak_alc_libc()
   (what `hakmem run --alloc libc` / HAKMEM_RUNTIME_ALLOC=libc does).

   Usage: vm [threads=1] SCRIPT[=ARG]...   (ARG becomes the script's args()[0]) */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "bench_runtime.h"
#include "hmir.h"
#include "hvm.h"

#define VB_MAX_SCRIPTS 16

typedef struct vb_script_s {
  char path[512];
  const char* arg;       // args()[0], or NULL
  hvm_program_t* prog;
  FILE* out;             // print() output of every run (memory stream)
  char* out_text;        // what out collected
  size_t out_len;
} vb_script_t;

typedef struct vb_thread_s {
  vb_script_t* scripts;
  unsigned nscripts;
  double seconds[VB_MAX_SCRIPTS];  // per script, this thread
  int status;                      // first non-zero run status
  unsigned failed_script;
} vb_thread_t;

static void* vb_worker(void* arg) {
  vb_thread_t* t = arg;
  for (unsigned i = 0; i < t->nscripts; i++) {
    hvm_result_t res;
    double t0 = bench_now();
    int st = hvm_program_run(t->scripts[i].prog, &res);
    t->seconds[i] = bench_now() - t0;
    if (st != 0 && t->status == 0) t->status = st, t->failed_script = i;
  }
  return NULL;
}

// Compiles s->path into a program whose output goes to s->out; false on error.
static bool vb_load(vb_script_t* s, const hak_alc_t* alc) {
  hmir_options_t mo;
  hmir_options_init(&mo);
  mo.alc = alc;
  mo.vm_alc = alc;
  hbc_module_t* m = NULL;
  if (hmir_compile_file(s->path, &mo, &m) != HMIR_OK) return false;
  s->out = open_memstream(&s->out_text, &s->out_len);
  if (s->out == NULL) {
    hbc_module_free(m);
    return false;
  }
  hvm_options_t vo;
  hvm_options_init(&vo);
  vo.alc = alc;
  vo.argc = s->arg != NULL ? 1 : 0;
  vo.argv = &s->arg;
  vo.out = s->out;
  vo.exit_process = 0;
  s->prog = hvm_program_new(m, &vo);
  return s->prog != NULL;
}

// The last line of text[0..len), without its newline, into out.
static void vb_last_line(const char* text, size_t len, char* out, size_t cap) {
  while (len > 0 && text[len - 1] == '\n') len--;
  size_t start = len;
  while (start > 0 && text[start - 1] != '\n') start--;
  snprintf(out, cap, "%.*s", (int)(len - start), text + start);
}

int main(int argc, char** argv) {
  unsigned threads = argc > 1 ? (unsigned)atoi(argv[1]) : 0;
  unsigned nscripts = argc > 2 ? (unsigned)(argc - 2) : 0;
  if (threads < 1 || threads > 64 || nscripts < 1 || nscripts > VB_MAX_SCRIPTS) {
    fprintf(stderr, "usage: vm THREADS(1..64) SCRIPT[=ARG]... (1..%d scripts)\n", VB_MAX_SCRIPTS);
    return 2;
  }
  const hak_alc_t* alc = bench_runtime_alc();
  static vb_script_t scripts[VB_MAX_SCRIPTS];
  for (unsigned i = 0; i < nscripts; i++) {
    vb_script_t* s = &scripts[i];
    snprintf(s->path, sizeof(s->path), "%s", argv[i + 2]);
    char* eq = strchr(s->path, '=');
    if (eq != NULL) *eq = 0, s->arg = eq + 1;
    if (!vb_load(s, alc)) {
      fprintf(stderr, "vm: cannot load %s\n", s->path);
      return 1;
    }
  }
  vb_thread_t* ts = calloc(threads, sizeof(*ts));
  pthread_t* th = calloc(threads, sizeof(*th));
  if (ts == NULL || th == NULL) return 1;
  double t0 = bench_now();
  for (unsigned i = 0; i < threads; i++) {
    ts[i].scripts = scripts, ts[i].nscripts = nscripts;
    if (pthread_create(&th[i], NULL, vb_worker, &ts[i]) != 0) {
      fprintf(stderr, "vm: cannot create a thread\n");
      return 1;
    }
  }
  for (unsigned i = 0; i < threads; i++) pthread_join(th[i], NULL);
  double elapsed = bench_now() - t0;
  int rc = 0;
  for (unsigned i = 0; i < threads; i++) {
    if (ts[i].status != 0) {
      fprintf(stderr, "vm: thread %u: %s exited with status %d\n", i, scripts[ts[i].failed_script].path, ts[i].status);
      rc = 1;
    }
  }
  for (unsigned i = 0; i < nscripts; i++) {
    vb_script_t* s = &scripts[i];
    hvm_program_free(s->prog);
    fclose(s->out);
    double sum = 0;
    for (unsigned t = 0; t < threads; t++) sum += ts[t].seconds[i];
    const char* base = strrchr(s->path, '/');
    char last[160];
    vb_last_line(s->out_text, s->out_len, last, sizeof(last));
    printf("vm: script=%s arg=%s mean_seconds=%.3f last_line=\"%s\"\n", base != NULL ? base + 1 : s->path,
           s->arg != NULL ? s->arg : "-", sum / threads, last);
    free(s->out_text);
  }
  free(ts);
  free(th);
  printf("vm: runtime_alloc=%s threads=%u scripts=%u runs=%u seconds=%.3f throughput=%.2f runs/s peak_rss_kb=%ld\n",
         bench_runtime_alc_name(), threads, nscripts, threads * nscripts, elapsed, (double)(threads * nscripts) / elapsed,
         bench_peak_rss_kb());
  if (!bench_runtime_check("vm")) rc = 1;
  if (rc != 0) return rc;
  bench_report_allocator();
  return 0;
}
