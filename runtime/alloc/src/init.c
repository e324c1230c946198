/* init.c: process start-up, the thread-exit and fork hooks, the version.

   Nothing on a fast path checks for initialization (docs/design.md, section 3): _hak_tld starts at
   _hak_tld_empty, whose heaps have fast_limit 0 and whose fast ids match no
   segment, so the first allocation and the first free of every thread take
   the slow paths, which call _hak_init and get a real tld. */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hak_internal.h"

uintptr_t _hak_list_key;
uint64_t _hak_secret;

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

// The process secret: page keys (hak_secure_random) and checked mode's
// canaries derive from it. A hardened build stops when the kernel gives no
// random bytes; other builds use it for checked mode only and make do with
// the clock and addresses (ASLR).
static void hak_secret_init(void) {
  uint64_t r[2];
  int err = _hak_prim_random(r, sizeof r);
  if (err != 0) {
    if (HAK_SECURE) _hak_fatal("hardened build: no random bytes from the kernel (getrandom: error %d)", err);
    r[0] = ((uintptr_t)&hak_init_state * 0x9E3779B97F4A7C15u) ^ (uint64_t)_hak_prim_clock_ms() ^ 0x5bd1e995u;
    r[1] = (uint64_t)(uintptr_t)&r * 0xBF58476D1CE4E5B9ull;
  }
  _hak_secret = r[0] | 1;
  _hak_list_key = (uintptr_t)r[1];
}

// ----- Hardened builds: a fault in a guard page says what it is -----
// An access to a guard page (segment.c, whale.c) is an overflow or underflow
// of a heap block: the handler says so on stderr, puts the previous action
// back (the default: the process stops with SIGSEGV; or a handler the
// program or the profiler installed before) and returns, so the retried
// access faults into it. A handler installed later replaces this one.
#if HAK_SECURE
static struct sigaction hak_segv_prev;

static void hak_on_segv(int sig, siginfo_t* info, void* ctx) {
  (void)ctx;
  uintptr_t a = (uintptr_t)info->si_addr;
  if (_hak_segment_guard_at(a) || _hak_whale_guard_at(a)) {
    char msg[160] = "hakmem: fatal: heap overflow: an access to 0x";
    size_t n = strlen(msg);
    for (int shift = 60; shift >= 0; shift -= 4) msg[n++] = "0123456789abcdef"[(a >> shift) & 15];
    static const char tail[] = " hit a guard page (a write or read past a block's end or before its start); stopping\n";
    memcpy(msg + n, tail, sizeof tail - 1);
    _hak_prim_write_err(msg, n + sizeof tail - 1);
  }
  sigaction(sig, &hak_segv_prev, NULL);
  // A fault happens again when the access is retried; a signal sent (kill,
  // raise) does not: it is sent again, and arrives once this handler returns.
  if (info->si_code <= 0) raise(sig);
}

static void hak_guard_handler_install(void) {
  struct sigaction sa;
  if (sigaction(SIGSEGV, NULL, &hak_segv_prev) != 0) return;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = hak_on_segv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, NULL);
}
#endif

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
  hak_secret_init();
#if HAK_SECURE
  hak_guard_handler_install();
#endif
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
