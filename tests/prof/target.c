/* target.c: a small program for `hakmem prof` (tests/prof/prof.sh).
   usage: target STATUS [fork|crash]
   prof_target_allocate allocates 256 blocks of 64 KiB (16 MiB) that stay
   live to the end and 256 more that are freed; then, with `fork`, a child
   allocates too and exits, with `crash` the program kills itself with
   SIGSEGV; it exits with STATUS. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void* keep[256];

__attribute__((noinline)) void* prof_target_allocate(size_t n) {
  void* p = malloc(n);
  if (p) memset(p, 1, n);
  return p;
}

int main(int argc, char** argv) {
  int status = argc > 1 ? atoi(argv[1]) : 0;
  for (int i = 0; i < 256; i++) {
    keep[i] = prof_target_allocate(65536);
    free(prof_target_allocate(65536));
  }
  if (argc > 2 && !strcmp(argv[2], "fork")) {
    pid_t pid = fork();
    if (pid == 0) {
      for (int i = 0; i < 64; i++) keep[i] = prof_target_allocate(65536);
      exit(0);
    }
    waitpid(pid, NULL, 0);
  }
  if (argc > 2 && !strcmp(argv[2], "crash")) raise(SIGSEGV);
  printf("target: %p\n", keep[255]);
  return status;
}
