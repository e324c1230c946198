/* test_secure.c: the attacks the hardened build stops (docs/security.md).

   Each attack runs in a child process (this program re-executed with the
   attack's name) and performs one heap bug the way an exploit would use it:
   a use-after-free write of an address into a freed block's link, a double
   free, a free of an interior or foreign pointer, an overflow or underflow
   into the memory around a block. The parent checks how the child ended
   against the expectation of the library the program is linked with:

     test_secure (libhakmem-secure.so)  every attack stops the process with
                                        the named message (abort, or SIGSEGV
                                        for the guard pages)
     test_secure_plain (libhakmem.so)   the control: the same attacks on the
                                        default build, where the link attack
                                        steers malloc and a double free
                                        passes, so the attacks are real

   Two properties are checked in process: a fresh page's first block is at a
   random position, and memory a subsystem freed is never handed to another
   one. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hakmem.h"

#ifndef HARDENED
#error "build with -DHARDENED=0 or 1"
#endif

#define STEERED 3  // exit status of a child whose attack worked

static char target[256] __attribute__((aligned(64)));

// Hides where a pointer comes from, so the compiler does not refuse the bug.
static char* launder(void* p) {
  __asm__ volatile("" : "+r"(p));
  return (char*)p;
}

// Frees p in another thread (a cross-thread free).
static void* free_thread(void* p) {
  free(p);
  return NULL;
}
static void free_elsewhere(void* p) {
  pthread_t t;
  if (pthread_create(&t, NULL, free_thread, p) != 0 || pthread_join(t, NULL) != 0) abort();
}

// ----- The attacks (each runs in a child) -----
// The classic tcache-poisoning move: free a block, write an address into its
// first word, and allocate until malloc returns that address.
static int attack_link(size_t size) {
  char* a = malloc(size);
  char* b = malloc(size);
  free(b);
  free(a);
  *(void**)a = target;  // use after free: a's link now points at target
  for (int i = 0; i < 150; i++) {
    if (launder(malloc(size)) == target) return STEERED;
  }
  return 0;
}

// The same on a block another thread freed (the page's remote list).
static int attack_link_remote(void) {
  char* a = malloc(48);
  free_elsewhere(a);
  *(void**)a = target;
  for (int i = 0; i < 200000; i++) {
    if (launder(malloc(48)) == target) return STEERED;
  }
  return 0;
}

static int attack_double_free(size_t size) {
  char* p = malloc(size);
  free(p);
  free(p);
  return 0;
}

// A double free with another free between (a check of the list head alone misses it).
static int attack_double_free_between(void) {
  char* a = malloc(40);
  char* b = malloc(40);
  free(a);
  free(b);
  free(a);
  return 0;
}

static int attack_double_free_remote(void) {
  char* p = malloc(40);
  free_elsewhere(p);
  free_elsewhere(p);
  return 0;
}

static int attack_interior_free(void) {
  char* p = malloc(64);
  free(launder(p) + 16);
  return 0;
}

static int attack_foreign_free(void) {
  free(launder(target) + 64);
  return 0;
}

// Writes forward (or backward) from a block, a page at a time, as a runaway
// copy would: the segment's guard pages stop it before it leaves the segment
// or reaches its header.
static int attack_overflow_segment(int step) {
  volatile char* p = malloc(1000);
  uintptr_t seg = (uintptr_t)p & ~(uintptr_t)(4 * 1024 * 1024 - 1);
  for (volatile char* q = p; (uintptr_t)q >= seg && (uintptr_t)q < seg + 4 * 1024 * 1024; q += step) *q = 1;
  return 0;  // left the segment without a fault
}

static int attack_whale(int after) {
  char* p = malloc(3 * 1024 * 1024);
  size_t n = malloc_usable_size(p);
  volatile char* q = after ? launder(p) + n : launder(p) - 1;
  *q = 1;
  return 0;
}

// Not an attack: a SIGSEGV the program sends itself must still end it (the
// guard handler hands it over to the default action and sends it again).
static int raise_segv(void) {
  raise(SIGSEGV);
  return 0;
}

static int run_attack(const char* name) {
  if (strcmp(name, "link") == 0) return attack_link(48);
  if (strcmp(name, "link_mid") == 0) return attack_link(5000);
  if (strcmp(name, "link_remote") == 0) return attack_link_remote();
  if (strcmp(name, "double_free") == 0) return attack_double_free(40);
  if (strcmp(name, "double_free_mid") == 0) return attack_double_free(6000);
  if (strcmp(name, "double_free_whale") == 0) return attack_double_free(2 * 1024 * 1024);
  if (strcmp(name, "double_free_between") == 0) return attack_double_free_between();
  if (strcmp(name, "double_free_remote") == 0) return attack_double_free_remote();
  if (strcmp(name, "interior_free") == 0) return attack_interior_free();
  if (strcmp(name, "foreign_free") == 0) return attack_foreign_free();
  if (strcmp(name, "overflow_segment") == 0) return attack_overflow_segment(4096);
  if (strcmp(name, "underflow_segment") == 0) return attack_overflow_segment(-4096);
  if (strcmp(name, "whale_overflow") == 0) return attack_whale(1);
  if (strcmp(name, "whale_underflow") == 0) return attack_whale(0);
  if (strcmp(name, "raise_segv") == 0) return raise_segv();
  fprintf(stderr, "unknown attack %s\n", name);
  return 2;
}

// ----- The parent -----
typedef enum { STOPPED_ABORT, STOPPED_SEGV, STEERED_EXIT, PASSED, ANY } outcome_t;

typedef struct {
  const char* name;
  outcome_t hardened;   // the hardened build's outcome
  const char* message;  // in its stderr
  outcome_t plain;      // the default build's (the control)
} attack_t;

static const attack_t attacks[] = {
    {"link", STOPPED_ABORT, "free list corrupted", STEERED_EXIT},
    {"link_mid", STOPPED_ABORT, "free list corrupted", STEERED_EXIT},
    {"link_remote", STOPPED_ABORT, "free list corrupted", STEERED_EXIT},
    {"double_free", STOPPED_ABORT, "double free", PASSED},
    {"double_free_mid", STOPPED_ABORT, "double free", PASSED},
    {"double_free_between", STOPPED_ABORT, "double free", PASSED},
    {"double_free_remote", STOPPED_ABORT, "double free", PASSED},
    {"double_free_whale", STOPPED_ABORT, "double free", PASSED},
    {"interior_free", STOPPED_ABORT, "not the start of a block", PASSED},
    {"foreign_free", STOPPED_ABORT, "not allocated by hakmem", PASSED},
    // Without guards these write into whatever lies there: no expectation.
    {"overflow_segment", STOPPED_SEGV, "hit a guard page", ANY},
    {"underflow_segment", STOPPED_SEGV, "hit a guard page", ANY},
    {"whale_overflow", STOPPED_SEGV, "hit a guard page", ANY},
    {"whale_underflow", STOPPED_SEGV, "hit a guard page", ANY},
    {"raise_segv", STOPPED_SEGV, "", STOPPED_SEGV},
};

static const char* outcome_name(outcome_t o) {
  static const char* const names[] = {"stopped (SIGABRT)", "stopped (SIGSEGV)", "steered malloc", "passed unnoticed", "any"};
  return names[o];
}

// Runs attack `name` in a child; its stderr in err (NUL-terminated).
static outcome_t run_child(const char* self, const char* name, char* err, size_t cap, int* status_out) {
  int fds[2];
  if (pipe(fds) != 0) abort();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    execl(self, self, name, (char*)NULL);
    _exit(127);
  }
  close(fds[1]);
  size_t n = 0;
  ssize_t got;
  while (n + 1 < cap && (got = read(fds[0], err + n, cap - 1 - n)) > 0) n += (size_t)got;
  err[n] = 0;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  *status_out = status;
  if (WIFSIGNALED(status)) return WTERMSIG(status) == SIGSEGV ? STOPPED_SEGV : STOPPED_ABORT;
  return WEXITSTATUS(status) == STEERED ? STEERED_EXIT : PASSED;
}

// Fresh blocks of a new page: in the hardened build the first one handed out
// is at a random position among the first carved blocks (the order then goes
// up from it and wraps around); in the default build it is the first one.
// Eight fresh heaps (eight subsystems) each give a page's first 128 blocks of
// 32 bytes (4 KiB, the first carve): the index of the first among them.
static int check_fresh_order(void) {
  enum { HEAPS = 8, N = 128 };
  static void* p[N];
  int zero = 0, distinct = 0;
  size_t firsts[HEAPS];
  for (int h = 0; h < HEAPS; h++) {
    char name[32];
    snprintf(name, sizeof name, "secure.order%d", h);
    hak_site_t site = HAK_SITE_ANON(hak_subsys_register(name));
    uintptr_t low = UINTPTR_MAX;
    for (int i = 0; i < N; i++) {
      p[i] = hak_alloc_at(32, site);
      if ((uintptr_t)p[i] < low) low = (uintptr_t)p[i];
    }
    firsts[h] = ((uintptr_t)p[0] - low) / 32;
    zero += firsts[h] == 0;
    int seen = 0;
    for (int k = 0; k < h; k++) seen |= firsts[k] == firsts[h];
    distinct += !seen;
    for (int i = 0; i < N; i++) hak_free_at(p[i], site);
  }
  printf("fresh order: the first block of %d fresh pages is block", HEAPS);
  for (int h = 0; h < HEAPS; h++) printf(" %zu", firsts[h]);
  printf(" of %d (%d distinct)\n", N, distinct);
  return HARDENED ? distinct >= 4 && zero <= 1 : zero == HEAPS;
}

// Memory one subsystem freed, and released, is never handed to another in
// the hardened build; the default build reuses it (its segment and whale
// caches serve any heap).
static int check_partition(void) {
  hak_subsys_t a = hak_subsys_register("secure.a"), b = hak_subsys_register("secure.b");
  static const size_t sizes[] = {48, 5000, 200000, 3 << 20};
  enum { N = 64, CHUNKS = 4096 };
  static void* blocks[4][N];
  static uintptr_t chunks[CHUNKS];  // 4 MiB chunks that held a's blocks
  size_t nchunks = 0;
  for (size_t s = 0; s < 4; s++) {
    for (size_t i = 0; i < N; i++) {
      blocks[s][i] = hak_alloc_at(sizes[s], HAK_SITE_ANON(a));
      uintptr_t c = (uintptr_t)blocks[s][i] >> 22;
      int seen = 0;
      for (size_t k = 0; k < nchunks; k++) seen |= chunks[k] == c;
      if (!seen && nchunks < CHUNKS) chunks[nchunks++] = c;
    }
  }
  for (size_t s = 0; s < 4; s++) {
    for (size_t i = 0; i < N; i++) hak_free_at(blocks[s][i], HAK_SITE_ANON(a));
  }
  hak_heap_release(a);
  size_t reused = 0;
  for (size_t s = 0; s < 4; s++) {
    for (size_t i = 0; i < N; i++) {
      void* q = hak_alloc_at(sizes[s], HAK_SITE_ANON(b));
      for (size_t k = 0; k < nchunks; k++) reused += chunks[k] == (uintptr_t)q >> 22;
      blocks[s][i] = q;
    }
  }
  for (size_t s = 0; s < 4; s++) {
    for (size_t i = 0; i < N; i++) hak_free_at(blocks[s][i], HAK_SITE_ANON(b));
  }
  printf("partition: %zu of %d blocks of subsystem b are in memory subsystem a freed\n", reused, 4 * N);
  return HARDENED ? reused == 0 : reused > 0;
}

int main(int argc, char** argv) {
  if (argc == 2) return run_attack(argv[1]);
  // The allocator under test serves this process (linked, not preloaded).
  if (dlsym(RTLD_DEFAULT, "hak_alloc_at") == NULL || hak_owns(malloc(16)) == 0) {
    fprintf(stderr, "test_secure: malloc is not hakmem's\n");
    return 1;
  }
  int failures = 0;
  char err[4096];
  for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
    const attack_t* t = &attacks[i];
    int status;
    outcome_t got = run_child("/proc/self/exe", t->name, err, sizeof err, &status);
    outcome_t want = HARDENED ? t->hardened : t->plain;
    int ok = want == ANY || (got == want && (!HARDENED || strstr(err, t->message) != NULL));
    printf("%-20s %-18s %s\n", t->name, outcome_name(got), ok ? "ok" : "FAILED");
    if (!ok) {
      printf("  expected %s%s%s; stderr:\n%s\n", outcome_name(want), HARDENED ? " with \"" : "",
             HARDENED ? t->message : "", err);
      if (HARDENED) printf("\"\n");
      failures++;
    }
  }
  if (!check_fresh_order()) {
    printf("fresh order: FAILED\n");
    failures++;
  }
  if (!check_partition()) {
    printf("partition: FAILED\n");
    failures++;
  }
  printf("%s: %d failure(s)\n", HARDENED ? "hardened" : "default build (control)", failures);
  return failures != 0;
}
