/* init.c: process start-up, the thread-exit and fork hooks, the version.

   Nothing on a fast path checks for initialization (docs/design.md, section 3): _hak_tld starts at
   _hak_tld_empty, whose heaps have fast_limit 0 and whose fast ids match no
   segment, so the first allocation and the first free of every thread take
   the slow paths, which call _hak_init and get a real tld. */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "hak_internal.h"

uintptr_t _hak_list_key;

// ----- Process init -----
static _Atomic int hak_init_state;  // 0 not started, 1 running, 2 done
static __thread bool hak_in_init HAK_TLS_IE;

static void hak_atfork_prepare(void) {
  _hak_profile_lock(true);
  _hak_site_lock(true);
  _hak_tld_lock(true);
  _hak_whale_lock(true);
  _hak_segment_lock(true);
}

static void hak_atfork_parent(void) {
  _hak_segment_lock(false);
  _hak_whale_lock(false);
  _hak_tld_lock(false);
  _hak_site_lock(false);
  _hak_profile_lock(false);
}

// The child has one thread: the locks are reset; the other threads' tlds stay
// as they were (their memory is not reused in the child).
static void hak_atfork_child(void) {
  _hak_segment_fork_child();
  _hak_whale_fork_child();
  _hak_tld_fork_child();
  _hak_profile_fork_child();
  _hak_site_lock(false);
}

// Reports at exit go to a private copy of stderr taken at init: programs
// (coreutils among them) close stderr in their own exit handlers, which run
// before this one.
static int hak_report_fd = -1;

static void hak_at_exit(void) {
  _hak_profile_at_exit();
  if (hak_report_fd < 0) return;
  FILE* out = fdopen(hak_report_fd, "w");
  if (out == NULL) return;
  _hak_stats_at_exit(out);
  fclose(out);
  hak_report_fd = -1;
}

void _hak_init(void) {
  if hak_likely(atomic_load_explicit(&hak_init_state, memory_order_acquire) == 2) return;
  if (hak_in_init) return;  // re-entered from a call below (e.g. through malloc): go on with what is set
  int expected = 0;
  if (!atomic_compare_exchange_strong(&hak_init_state, &expected, 1)) {
    while (atomic_load_explicit(&hak_init_state, memory_order_acquire) != 2) sched_yield();
    return;
  }
  hak_in_init = true;
  // Segment headers take whole OS pages inside slice 0 (segment.c): pages of
  // more than 16 KiB would leave it too little room.
  if (_hak_prim_page_size() > 16384 || HAK_SLICE_SIZE % _hak_prim_page_size() != 0) {
    _hak_fatal("unsupported OS page size %zu (4 KiB to 16 KiB)", _hak_prim_page_size());
  }
  _hak_options_init();
  _hak_profile_init();
  _hak_list_key = ((uintptr_t)&hak_init_state * 0x9E3779B97F4A7C15u) ^ (uintptr_t)_hak_prim_clock_ms() ^ 0x5bd1e995u;
  _hak_prim_thread_key_init(_hak_tld_on_thread_exit);
  atomic_store_explicit(&hak_init_state, 2, memory_order_release);
  _hak_prim_atfork(hak_atfork_prepare, hak_atfork_parent, hak_atfork_child);
  if (_hak_option_fast(HAK_OPT_STATS)) hak_report_fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
  atexit(hak_at_exit);
  if (_hak_option_fast(HAK_OPT_VERBOSE)) _hak_options_print();
  hak_in_init = false;
}

__attribute__((constructor)) static void hak_constructor(void) {
  _hak_init();
  _hak_profile_constructor();
}

// Unloaded (dlclose of a shared object that links libhakmem.a), or the
// process ends: see _hak_tld_unload.
__attribute__((destructor)) static void hak_destructor(void) {
  if (atomic_load_explicit(&hak_init_state, memory_order_acquire) == 2) {
    _hak_profile_unload();
    _hak_tld_unload();
  }
}

// ----- Public calls that set the process up first -----
HAK_API long hak_option_get(hak_option_t option) {
  if ((unsigned)option >= HAK_OPTION_COUNT) return 0;
  _hak_init();
  return _hak_option_fast(option);
}

HAK_API void hak_option_set(hak_option_t option, long value) {
  if ((unsigned)option >= HAK_OPTION_COUNT) return;
  _hak_init();
  _hak_option_set(option, value);
}

HAK_API int hak_init_ex(const hak_config_t* cfg) {
  _hak_init();
  return _hak_options_config(cfg);
}

HAK_API void hak_profile_enable(bool on) {
  _hak_init();
  _hak_profile_switch(on);
  if (_hak_tld != &_hak_tld_empty) _hak_tld_modes(_hak_tld);  // this thread at once
}

HAK_API bool hak_profile_enabled(void) {
  return hak_option_get(HAK_OPT_PROFILE) != 0;
}

HAK_API int hak_profile_dump(FILE* out) {
  if (out == NULL) return EINVAL;
  _hak_init();
  return _hak_profile_dump(out);
}

HAK_API int hak_profile_write(const char* path) {
  if (path == NULL || *path == 0) return EINVAL;
  _hak_init();
  return _hak_profile_write(path);
}

// ----- Version -----
#define HAK_STR_(x) #x
#define HAK_STR(x) HAK_STR_(x)
HAK_API const char* hak_version(void) {
  return HAK_STR(HAKMEM_VERSION_MAJOR) "." HAK_STR(HAKMEM_VERSION_MINOR) "." HAK_STR(HAKMEM_VERSION_PATCH);
}
