/* plugin_host.c: a program on the C library's malloc that loads a plugin
   linked with hakmem's embedding library, runs it from several threads,
   unloads it, loads it again, and keeps running threads that had used the
   plugin until after it is gone (they must not call into unloaded code when
   they exit). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef long (*run_fn)(unsigned);
typedef int (*touch_fn)(void);

static touch_fn touch;
static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int phase;  // 0: touch the plugin; 1: it is unloaded, exit

static void* lingering(void* arg) {
  (void)arg;
  int ok = touch();
  pthread_mutex_lock(&gate);
  while (phase == 0) pthread_cond_wait(&cond, &gate);
  pthread_mutex_unlock(&gate);
  return (void*)(long)ok;  // exits after the plugin was unloaded
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: plugin_host PLUGIN.so\n");
    return 2;
  }
  for (int load = 0; load < 2; load++) {
    void* h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
      fprintf(stderr, "plugin_host: %s\n", dlerror());
      return 1;
    }
    run_fn run = (run_fn)dlsym(h, "plugin_run");
    touch = (touch_fn)dlsym(h, "plugin_touch");
    if (run == NULL || touch == NULL) return 1;
    long served = run(4);
    if (served < 4 * 20000) {
      fprintf(stderr, "plugin_host: plugin_run gave %ld\n", served);
      return 1;
    }
    pthread_t t[3];
    phase = 0;
    for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, lingering, NULL);
    // The host's own malloc is not hakmem's: it must not know the plugin's library.
    void* mine = malloc(64);
    if (dlsym(RTLD_DEFAULT, "hak_alloc_at") != NULL) {
      fprintf(stderr, "plugin_host: hakmem leaked into the global namespace\n");
      return 1;
    }
    free(mine);
    // Let the threads touch the plugin, unload it, then let them exit.
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    if (dlclose(h) != 0) return 1;
    pthread_mutex_lock(&gate);
    phase = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&gate);
    for (int i = 0; i < 3; i++) {
      void* r = NULL;
      pthread_join(t[i], &r);
      if (r == NULL) return 1;
    }
    printf("plugin_host: load %d: plugin served %ld blocks from 4 threads on hakmem; unloaded, its threads exited after it\n",
           load + 1, served);
  }
  return 0;
}
