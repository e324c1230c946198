/* prof_events.c MODE FILE: a program for prof_events.sh, run under
   libhakmem.so with HAKMEM_PROFILE=1 and HAKMEM_PROFILE_OUT set. It
   allocates (and keeps) some memory, then:
     crash     dies of SIGSEGV (the data file must say `reason crash`);
     signal    sends itself SIGUSR2 (HAKMEM_PROFILE_SIGNAL=12) and waits for
               FILE to appear with `reason signal`;
     interval  waits for FILE to appear with `reason interval`
               (HAKMEM_PROFILE_INTERVAL_MS set);
     fork      forks a child that allocates more and exits; both write their
               own file (the path has %p);
     exec      replaces itself (execv) by `prof_events exit FILE`: the image
               before writes FILE's PID.1 name, the one after the plain name;
     _exit     leaves through _exit (no atexit handlers, as dash does);
     exit      just exits.
   The waiting modes leave with the exit_group system call itself (libhakmem
   writes the file at exit and at _exit too), so the file seen is the one the
   event wrote. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void* prof_events_keep[1000];  // external: the compiler must keep the mallocs

__attribute__((noinline)) static void allocate(int n) {
  for (int i = 0; i < n && i < 1000; i++) prof_events_keep[i] = malloc(1000 + (size_t)i);
}

// Waits up to 10 s for FILE to hold "reason WHAT".
static int wait_for(const char* file, const char* what) {
  char want[64];
  snprintf(want, sizeof(want), "reason %s\n", what);
  for (int i = 0; i < 1000; i++) {
    FILE* f = fopen(file, "r");
    if (f != NULL) {
      char line[512];
      while (fgets(line, sizeof(line), f) != NULL) {
        if (strcmp(line, want) == 0) {
          fclose(f);
          printf("prof_events: %s written\n", what);
          fflush(stdout);
          syscall(SYS_exit_group, 0);
        }
      }
      fclose(f);
    }
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  fprintf(stderr, "prof_events: no '%s' in %s after 10 s\n", want, file);
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: prof_events crash|signal|interval|fork|exec|_exit|exit FILE\n");
    return 2;
  }
  const char* mode = argv[1];
  allocate(500);
  if (strcmp(mode, "crash") == 0) {
    volatile int* volatile bad = NULL;
    return *bad;
  }
  if (strcmp(mode, "signal") == 0) {
    kill(getpid(), SIGUSR2);
    return wait_for(argv[2], "signal");
  }
  if (strcmp(mode, "interval") == 0) return wait_for(argv[2], "interval");
  if (strcmp(mode, "_exit") == 0) _exit(0);
  if (strcmp(mode, "exec") == 0) {
    char* again[] = {argv[0], "exit", argv[2], NULL};
    execv("/proc/self/exe", again);
    perror("prof_events: execv");
    return 1;
  }
  if (strcmp(mode, "fork") == 0) {
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
      allocate(1000);
      return 0;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  }
  return 0;
}
