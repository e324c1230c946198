/* forker.c: fork while other threads allocate. Four threads allocate and
   free without pause while the main thread forks 100 times; every child
   allocates and frees (on its own and in a new thread) and exits 0. */
#include <pthread.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_bool stop;

static void* hammer(void* arg) {
  unsigned seed = (unsigned)(uintptr_t)arg;
  void* keep[64] = {0};
  while (!atomic_load(&stop)) {
    unsigned i = (seed = seed * 1103515245u + 12345u) % 64;
    free(keep[i]);
    keep[i] = malloc(16 + (seed >> 8) % 4000);
    memset(keep[i], 1, 16);
  }
  for (int i = 0; i < 64; i++) free(keep[i]);
  return NULL;
}

static void* child_thread(void* arg) {
  (void)arg;
  for (int i = 0; i < 1000; i++) free(malloc((size_t)i * 13 + 1));
  return NULL;
}

static int child_work(void) {
  for (int i = 0; i < 2000; i++) {
    char* p = malloc((size_t)(i % 3000) + 1);
    if (p == NULL) return 3;
    p[0] = 1;
    free(p);
  }
  char* big = malloc(3 << 20);
  if (big == NULL) return 4;
  memset(big, 2, 3 << 20);
  free(big);
  pthread_t t;
  if (pthread_create(&t, NULL, child_thread, NULL) != 0) return 5;
  pthread_join(t, NULL);
  return 0;
}

int main(void) {
  pthread_t t[4];
  for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, hammer, (void*)(uintptr_t)(i + 1));
  int failures = 0;
  for (int f = 0; f < 100; f++) {
    pid_t pid = fork();
    if (pid < 0) {
      perror("fork");
      failures++;
      continue;
    }
    if (pid == 0) _exit(child_work());
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "forker: child %d ended with status %d\n", f, status);
      failures++;
    }
  }
  atomic_store(&stop, 1);
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  printf("forker: 100 forks, %d failed\n", failures);
  return failures ? 1 : 0;
}
