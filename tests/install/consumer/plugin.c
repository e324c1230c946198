/* plugin.c: a shared object (think of a Lua or Python extension module) that
   links the embedding library and allocates through it, while the process
   that loads it keeps its own malloc. plugin_run starts `threads` threads
   that allocate, hand blocks to each other, free them, and exit; it returns
   the number of blocks hakmem served (from hakmem's own counters), or -1. */
#include <pthread.h>
#include <string.h>

#include "hakmem.h"

#define PLUGIN_BLOCKS 20000

static hak_site_t plugin_site;
static void* handed[8][PLUGIN_BLOCKS / 4];

static void* plugin_thread(void* arg) {
  unsigned id = (unsigned)(unsigned long)arg;
  void* mine[256];
  for (int round = 0; round < PLUGIN_BLOCKS / 256; round++) {
    for (int i = 0; i < 256; i++) {
      mine[i] = hak_alloc_at(8 + (size_t)((i * 37 + round) % 2000), plugin_site);
      if (mine[i] == NULL) return (void*)1;
      memset(mine[i], (int)id, 8);
    }
    for (int i = 0; i < 256; i++) hak_free_at(mine[i], plugin_site);
  }
  for (int i = 0; i < PLUGIN_BLOCKS / 4; i++) handed[id][i] = hak_alloc_at(48, plugin_site);  // freed by the next thread
  return NULL;
}

__attribute__((visibility("default"))) long plugin_run(unsigned threads) {
  if (threads < 1 || threads > 8) return -1;
  plugin_site = hak_site_register(hak_subsys_register("plugin"), "plugin.block");
  hak_stats_t s0 = {.size = sizeof(s0)};
  hak_stats_get(&s0);
  pthread_t t[8];
  for (unsigned i = 0; i < threads; i++) {
    if (pthread_create(&t[i], NULL, plugin_thread, (void*)(unsigned long)i) != 0) return -1;
  }
  long bad = 0;
  for (unsigned i = 0; i < threads; i++) {
    void* r = NULL;
    pthread_join(t[i], &r);
    bad += r != NULL;
  }
  for (unsigned i = 0; i < threads; i++) {  // cross-thread frees of exited threads' blocks
    for (int k = 0; k < PLUGIN_BLOCKS / 4; k++) hak_free_at(handed[(i + 1) % threads][k], plugin_site);
  }
  hak_stats_t s1 = {.size = sizeof(s1)};
  hak_stats_get(&s1);
  if (bad != 0 || s1.free_count - s0.free_count != s1.alloc_count - s0.alloc_count) return -1;
  return (long)(s1.alloc_count - s0.alloc_count);
}

// Allocates in the calling thread (one of the host's), so that the thread
// has hakmem state when it exits after the plugin is unloaded.
__attribute__((visibility("default"))) int plugin_touch(void) {
  void* p = hak_alloc_at(100, plugin_site);
  hak_free_at(p, plugin_site);
  return p != NULL;
}
