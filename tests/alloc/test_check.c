/* test_check.c: checked mode (HAKMEM_CHECK=1). Each misuse case runs in a
   child process (this program re-executed with HAKMEM_CHECK=1 and a case
   name) and must abort with its own message naming the pointer; a clean
   workload must run through checked mode without a report. */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "hakmem.h"

// ----- The cases, run in the child -----
static int case_double_free(void) {
  void* p = hak_alloc_at(32, HAK_SITE_DEFAULT);
  hak_free_at(p, HAK_SITE_DEFAULT);
  hak_free_at(p, HAK_SITE_DEFAULT);
  return 0;
}

static int case_foreign_free(void) {
  int local = 0;
  hak_free_at(&local, HAK_SITE_DEFAULT);
  return 0;
}

static int case_interior_free(void) {
  char* p = hak_alloc_at(64, HAK_SITE_DEFAULT);
  hak_free_at(p + 8, HAK_SITE_DEFAULT);
  return 0;
}

static int case_freelist_overwrite(void) {
  void** p = hak_alloc_at(32, HAK_SITE_DEFAULT);
  hak_free_at(p, HAK_SITE_DEFAULT);
  p[0] = (void*)(uintptr_t)0x1234;  // use after free: clobbers the free-list link
  for (int i = 0; i < 100000; i++) {
    void* q = hak_alloc_at(32, HAK_SITE_DEFAULT);  // reaches p, follows its link
    (void)q;
  }
  return 0;
}

static int case_overflow(void) {
  volatile size_t size = 20;  // hidden from the compiler, which would reject the overflow below
  char* p = hak_alloc_at(size, HAK_SITE_ANON(HAK_SUBSYS("json")));
  p[size] = 'x';  // one byte past the requested size, inside the block's slack
  hak_free_at(p, HAK_SITE_ANON(HAK_SUBSYS("json")));
  return 0;
}

static void* clean_worker(void* arg) {
  void** slots = arg;
  for (int i = 0; i < 2000; i++) {
    size_t n = (size_t)(i * 37 % 3000) + 1;
    char* p = hak_alloc_at(n, HAK_SITE_DEFAULT);
    memset(p, 1, n);
    void* old = __atomic_exchange_n(&slots[i % 64], p, __ATOMIC_ACQ_REL);
    hak_free_at(old, HAK_SITE_DEFAULT);  // often another thread's block
  }
  return NULL;
}

static int case_clean(void) {
  // Every function in checked mode, with cross-thread frees: no report.
  for (size_t n = 0; n < 70000; n = n * 2 + 1) {
    char* p = hak_alloc_at(n, HAK_SITE_DEFAULT);
    memset(p, 7, n);
    p = hak_realloc_at(p, n + 100, HAK_SITE_DEFAULT);
    memset(p, 8, n + 100);
    if (hak_usable_size(p) < n + 100) return 1;
    hak_free_at(p, HAK_SITE_DEFAULT);
    char* z = hak_calloc_at(n, 1, HAK_SITE_DEFAULT);
    for (size_t i = 0; i < n; i++) {
      if (z[i] != 0) return 1;
    }
    hak_free_at(z, HAK_SITE_DEFAULT);
    char* a = hak_aligned_alloc_at(256, n, HAK_SITE_DEFAULT);
    if ((uintptr_t)a % 256 != 0) return 1;
    memset(a, 9, n);
    hak_free_at(a, HAK_SITE_DEFAULT);
  }
  // The largest page sizes: a block within the trailer's size of 1 MiB has no
  // room for it in a page (a whale instead); plain and aligned.
  for (size_t n = ((size_t)1 << 20) - 40; n <= ((size_t)1 << 20) + 8; n += 8) {
    char* p = hak_alloc_at(n, HAK_SITE_DEFAULT);
    char* a = hak_aligned_alloc_at(64, n, HAK_SITE_DEFAULT);
    if (p == NULL || a == NULL || (uintptr_t)a % 64 != 0) return 1;
    memset(p, 3, n);
    memset(a, 4, n);
    hak_free_at(p, HAK_SITE_DEFAULT);
    hak_free_at(a, HAK_SITE_DEFAULT);
  }
  void* slots[64] = {0};
  pthread_t t[3];
  for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, clean_worker, slots);
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < 64; i++) hak_free_at(slots[i], HAK_SITE_DEFAULT);
  if (hak_option_get(HAK_OPT_CHECK) != 1) return 1;
  return 0;
}

typedef struct check_case_s {
  const char* name;
  int (*run)(void);
  const char* message;  // expected on stderr; NULL: must exit 0 with no report
} check_case_t;

static const check_case_t cases[] = {
    {"double_free", case_double_free, "checked mode: double free: 0x"},
    {"foreign_free", case_foreign_free, "checked mode: invalid free: pointer not allocated by hakmem: 0x"},
    {"interior_free", case_interior_free, "checked mode: invalid free: pointer into the middle of a block: 0x"},
    {"freelist_overwrite", case_freelist_overwrite, "checked mode: free list corrupted (a freed block was written to): 0x"},
    {"overflow", case_overflow, "checked mode: heap overflow: write past the requested size: 0x"},
    {"clean", case_clean, NULL},
};

// ----- The parent: runs a case in a child and checks how it ended -----
static char self_path[4096];

static void run_case(const check_case_t* c) {
  int pipefd[2];
  assert_int_equal(pipe(pipefd), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    dup2(pipefd[1], 2);
    close(pipefd[0]);
    setenv("HAKMEM_CHECK", "1", 1);
    execl(self_path, self_path, "--case", c->name, (char*)NULL);
    _exit(127);
  }
  close(pipefd[1]);
  char err[8192];
  size_t len = 0;
  ssize_t n;
  while ((n = read(pipefd[0], err + len, sizeof(err) - 1 - len)) > 0) len += (size_t)n;
  err[len] = 0;
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (c->message == NULL) {
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || strstr(err, "hakmem:") != NULL) {
      fail_msg("case %s: expected a clean exit, got status %d, stderr: %s", c->name, status, err);
    }
    return;
  }
  if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT) fail_msg("case %s: expected SIGABRT, status %d, stderr: %s", c->name, status, err);
  const char* message = c->message;
#ifdef HAK_TEST_HARDENED
  // A hardened build's own checks may find the misuse first, in their words.
  if (strncmp(message, "checked mode: ", 14) == 0) message += 14;
#endif
  if (strstr(err, message) == NULL) fail_msg("case %s: expected '%s' on stderr, got: %s", c->name, c->message, err);
}

static void test_case(void** state) {
  run_case((const check_case_t*)*state);
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "--case") == 0) {
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
      if (strcmp(argv[2], cases[i].name) == 0) return cases[i].run();
    }
    return 126;
  }
  ssize_t n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
  if (n <= 0) return 1;
  self_path[n] = 0;
  struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0])];
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    tests[i] = (struct CMUnitTest){cases[i].name, test_case, NULL, NULL, (void*)&cases[i]};
  }
  return cmocka_run_group_tests(tests, NULL, NULL);
}
