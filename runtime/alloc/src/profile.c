/* profile.c: the per-site profile: switching it, counting sites exactly,
   and writing the data file (docs/profile-format.md) that the `hakmem`
   command renders. The sampled stacks of malloc & co live in sample.c.

   Counting: each thread keeps a hak_site_counters_t per site index in chunks
   of its tld (made on first use, never freed), written only by that thread;
   readers merge every tld's counters (reads race benignly, as for stats). A
   thread with profiling on has heap->fast_limit == 0 and a fast id that
   matches no segment, so its allocations and frees take the profiled paths of
   alloc.c/free.c, which do the fast path's work plus the counting here. With
   profiling off nothing here runs: the fast paths are unchanged.

   Writing: at exit when the environment asked for profiling
   (HAKMEM_PROFILE=1, HAKMEM_PROFILE_OUT=path), on hak_profile_write/_dump,
   every HAKMEM_PROFILE_INTERVAL_MS and on HAKMEM_PROFILE_SIGNAL (a thread of
   ours waits for either; the signal handler only posts a semaphore), and on a
   fatal signal (the handler writes what it can without taking a lock the
   crashed thread may hold, says so on stderr, and re-raises the signal). A
   file is written whole under a temporary name and renamed, so a reader
   never sees half of one; "%p" in its name is the writer's pid, so a forked
   child writes its own. */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>

#include "hak_internal.h"

_Atomic(uint32_t) _hak_profile_gen;

static struct {
  bool env;                 // profiling asked for in the environment: write at exit
  bool named;               // HAKMEM_PROFILE_OUT gave the path (else say where the file went)
  char path[1024];          // HAKMEM_PROFILE_OUT, or hakmem.%p.hprof
  int64_t start_unix_ms;    // when profiling began
  sem_t kick;               // posted by the signal handler
  _Atomic int dumper;       // 0 not started, 1 started (or not wanted), 2 stopping
  pthread_t thread;
  bool thread_made;
} P;

static int64_t hak_unix_ms(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

// ----- Switching -----
static void hak_profile_handlers(void);

void _hak_profile_init(void) {
  const char* out = _hak_prim_getenv("HAKMEM_PROFILE_OUT");
  if (out != NULL && *out != 0) {
    if (_hak_option_fast(HAK_OPT_PROFILE) == 0) __atomic_store_n(&_hak_option_values[HAK_OPT_PROFILE], 1, __ATOMIC_RELAXED);
    size_t n = strlen(out);
    if (n >= sizeof(P.path)) _hak_warning("HAKMEM_PROFILE_OUT is longer than %zu bytes: writing hakmem.%%p.hprof", sizeof(P.path) - 1);
    else memcpy(P.path, out, n + 1), P.named = true;
  }
  if (P.path[0] == 0) memcpy(P.path, "hakmem.%p.hprof", sizeof("hakmem.%p.hprof"));
  P.env = _hak_option_fast(HAK_OPT_PROFILE) != 0;
  sem_init(&P.kick, 0, 0);
  if (P.env) {
    P.start_unix_ms = hak_unix_ms();
    _hak_sample_start();
    hak_profile_handlers();
  }
  atomic_store(&_hak_profile_gen, 1);
}

// The library's constructor runs where dlopen is safe, unlike _hak_init
// (which the first malloc may call, from inside the dynamic loader).
void _hak_profile_constructor(void) {
  if (_hak_option_fast(HAK_OPT_PROFILE) != 0) _hak_sample_unwinder_load();
}

static hak_prof_tld_t* hak_prof_tld_new(void) {
  void* mem = _hak_prim_pages(HAK_PROF_SITES * sizeof(hak_site_counters_t) + sizeof(hak_prof_tld_t));
  if (mem == NULL) return NULL;
  hak_prof_tld_t* prof = (hak_prof_tld_t*)mem;
  prof->sites = (hak_site_counters_t*)((uint8_t*)mem + ((sizeof(hak_prof_tld_t) + 63) & ~(size_t)63));
  return prof;
}

// Whether a tld profiles now (its own thread, or a new tld), its profile
// state made at the first use; the fast paths follow (heap.c's
// _hak_tld_modes, the one place that derives them).
bool _hak_profile_tld(hak_tld_t* tld) {
  tld->profile_gen = atomic_load_explicit(&_hak_profile_gen, memory_order_relaxed);
  bool on = _hak_option_fast(HAK_OPT_PROFILE) != 0;
  if (on && tld->profile == NULL) {
    tld->profile = hak_prof_tld_new();
    if (tld->profile != NULL) {
      tld->prof_sites = tld->profile->sites;
      _hak_sample_tld_init(tld);
    }
  }
  return on && tld->profile != NULL;
}

static void hak_dumper_start(void);

// hak_profile_enable (init.c) after the process is set up: the switch, and
// what profiling needs to start; threads pick it up by its generation.
void _hak_profile_switch(bool on) {
  _hak_option_set(HAK_OPT_PROFILE, on ? 1 : 0);
  if (on) {
    if (P.start_unix_ms == 0) P.start_unix_ms = hak_unix_ms();
    _hak_sample_unwinder_load();
    _hak_sample_start();
    hak_dumper_start();
  }
  atomic_fetch_add(&_hak_profile_gen, 1);
}

// ----- Counting sites -----
void _hak_profile_count_free(hak_tld_t* tld, void* p, size_t usable, hak_site_t site, bool from_malloc, hak_page_t* page) {
  if (!from_malloc) {
    if (tld->profile != NULL) hak_prof_count_free(tld, site, usable);
    return;
  }
  if (page != NULL && atomic_load_explicit(&page->samples, memory_order_relaxed) == 0) return;
  if (_hak_sample_forget(p) && page != NULL) atomic_fetch_sub_explicit(&page->samples, 1, memory_order_relaxed);
}

// A bulk release (hak_heap_release) frees every block the thread still held
// in one subsystem's heap: the thread's counters of that subsystem's sites
// count them as freed (exact when the site's blocks are freed by the thread
// that allocated them, as for the MIR of a compiled function).
void _hak_profile_heap_released(hak_tld_t* tld, hak_subsys_t sub) {
  if (tld->profile == NULL) return;
  uint32_t n = hak_site_count();
  if (n > HAK_PROF_SITES) n = HAK_PROF_SITES;
  for (uint32_t i = 0; i < n; i++) {
    hak_subsys_t s = HAK_SUBSYS_DEFAULT;
    if (_hak_site_info(i, &s) == NULL || s != sub) continue;
    hak_site_counters_t* c = &tld->prof_sites[i];
    if (c->allocs > c->frees) c->frees = c->allocs;
    if (c->alloc_bytes > c->free_bytes) c->free_bytes = c->alloc_bytes;
    if (c->live > 0) c->live = 0;
  }
}

// ----- Sampling (malloc & co of libhakmem.so) -----
// The countdown of a thread's mallocs ran out: draw the next interval. Mallocs
// made while a sample is being taken (by the unwinder, our own thread start,
// moving the block) are not the program's: they are not sampled, and
// _hak_profile_sample puts the count back as it was before them (a nested
// sample that left it below zero would make the next block a sure sample).
bool _hak_profile_sample_due(hak_tld_t* tld) {
  hak_prof_tld_t* prof = tld->profile;
  if (prof == NULL || prof->in_sample) return false;
  prof->in_sample = true;
  _hak_sample_tld_next(tld, _hak_sample_interval());
  return true;
}

// Records the sample (after _hak_profile_sample_due).
void _hak_profile_sample(hak_tld_t* tld, void* p, size_t usable, void* caller) {
  hak_prof_tld_t* prof = tld->profile;
  double interval = _hak_sample_interval();
  int64_t left = tld->sample_left;
  if hak_unlikely(atomic_load_explicit(&P.dumper, memory_order_relaxed) == 0) hak_dumper_start();
  bool taken = _hak_sample_take(p, usable, caller, interval);
  tld->sample_left = left;
  if (taken) {
    // Flag a page block's page so its frees take the slow path, which looks
    // the table up (whale frees always do). The allocating thread owns it.
    uint8_t v = hak_segmap_get((uintptr_t)p);
    if ((v >= 1 && v <= HAK_TLD_ID_MAX) || (v == HAK_SEGMAP_SLOW && *(uint8_t*)hak_segment_of(p) == HAK_SEG_SLICED)) {
      hak_page_t* page = hak_page_of(hak_segment_of(p), p);
      hak_page_flag_set(page, HAK_PAGE_SAMPLED);
      atomic_fetch_add_explicit(&page->samples, 1, memory_order_relaxed);
    }
  }
  prof->in_sample = false;
}

// ----- Snapshot -----
#if defined(__SANITIZE_THREAD__)
#define HAK_PROF_NO_TSAN __attribute__((no_sanitize_thread))
#else
#define HAK_PROF_NO_TSAN
#endif

typedef struct hak_prof_merge_s {
  hak_site_stats_t* sites;  // indexed by site index, [first, first + count)
  uint32_t first, count;
} hak_prof_merge_t;

HAK_PROF_NO_TSAN static void hak_prof_merge_tld(hak_tld_t* tld, void* arg) {
  hak_prof_merge_t* m = (hak_prof_merge_t*)arg;
  hak_prof_tld_t* prof = tld->profile;
  if (prof == NULL) return;
  for (uint32_t i = 0; i < m->count && m->first + i < HAK_PROF_SITES; i++) {
    const volatile hak_site_counters_t* k = &prof->sites[m->first + i];
    if (k->allocs == 0 && k->frees == 0) continue;
    hak_site_stats_t* s = &m->sites[i];
    s->allocs += k->allocs;
    s->bytes += k->alloc_bytes;
    s->frees += k->frees;
    s->freed_bytes += k->free_bytes;
    s->live += k->live;
    s->peak += k->peak > 0 ? k->peak : 0;
  }
}

// Merges the counters of sites [first, first + count) into out[0..count),
// zeroed first, with their ids and names.
static void hak_prof_merge(hak_site_stats_t* out, uint32_t first, uint32_t count) {
  memset(out, 0, count * sizeof(*out));
  hak_prof_merge_t m = {out, first, count};
  _hak_tld_foreach(hak_prof_merge_tld, &m);
  for (uint32_t i = 0; i < count; i++) {
    hak_subsys_t sub = HAK_SUBSYS_DEFAULT;
    const char* name = _hak_site_info(first + i, &sub);
    out[i].site = ((hak_site_t)sub << HAK_SITE_SUBSYS_SHIFT) | (first + i);
    out[i].name = name != NULL ? name : "?";
    if (out[i].peak < out[i].live) out[i].peak = out[i].live;
  }
}

static int hak_site_stats_cmp(const void* a, const void* b) {
  const hak_site_stats_t* x = (const hak_site_stats_t*)a;
  const hak_site_stats_t* y = (const hak_site_stats_t*)b;
  if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
  return x->site < y->site ? -1 : x->site > y->site;
}

HAK_API size_t hak_profile_snapshot(hak_site_stats_t* out, size_t cap) {
  uint32_t n = hak_site_count();
  size_t size = (size_t)n * sizeof(hak_site_stats_t);
  hak_site_stats_t* all = n != 0 ? (hak_site_stats_t*)_hak_prim_pages(size) : NULL;
  if (all == NULL) return 0;
  hak_prof_merge(all, 0, n);
  size_t k = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (all[i].allocs != 0 || all[i].frees != 0) all[k++] = all[i];
  }
  qsort(all, k, sizeof(*all), hak_site_stats_cmp);
  if (out != NULL) memcpy(out, all, (k < cap ? k : cap) * sizeof(*all));
  _hak_prim_pages_free(all, size);
  return k;
}

// ----- The data file -----
// One `map` line per executable segment of every loaded object.
static int hak_dump_object(struct dl_phdr_info* info, size_t size, void* arg) {
  (void)size;
  hak_out_t* o = (hak_out_t*)arg;
  char exe[1024];
  const char* path = info->dlpi_name;
  if (path == NULL || path[0] == 0) {  // the executable
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) return 0;
    exe[n] = 0;
    path = exe;
  }
  char id[2 * 64 + 1] = "-";
  for (int i = 0; i < info->dlpi_phnum; i++) {  // the GNU build id note
    const ElfW(Phdr)* ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_NOTE) continue;
    const uint8_t* q = (const uint8_t*)(info->dlpi_addr + ph->p_vaddr);
    const uint8_t* end = q + ph->p_memsz;
    while (q + sizeof(ElfW(Nhdr)) <= end) {
      const ElfW(Nhdr)* nh = (const ElfW(Nhdr)*)q;
      const uint8_t* name = q + sizeof(*nh);
      const uint8_t* desc = name + ((nh->n_namesz + 3) & ~3u);
      if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0 && nh->n_descsz <= 64) {
        for (uint32_t k = 0; k < nh->n_descsz; k++) {
          id[2 * k] = "0123456789abcdef"[desc[k] >> 4];
          id[2 * k + 1] = "0123456789abcdef"[desc[k] & 15];
        }
        id[2 * nh->n_descsz] = 0;
      }
      q = desc + ((nh->n_descsz + 3) & ~3u);
    }
  }
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)* ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
    uintptr_t start = info->dlpi_addr + ph->p_vaddr;
    _hak_out_str(o, "map "), _hak_out_hex(o, start), _hak_out_str(o, " "), _hak_out_hex(o, start + ph->p_memsz);
    _hak_out_str(o, " "), _hak_out_hex(o, ph->p_offset), _hak_out_str(o, " "), _hak_out_hex(o, info->dlpi_addr);
    _hak_out_str(o, " "), _hak_out_str(o, id), _hak_out_str(o, " "), _hak_out_name(o, path), _hak_out_str(o, "\n");
  }
  return 0;
}

// One `site` line per site that allocated, merged over the threads, in
// chunks of a stack array (no allocation: the crash path uses it too).
static void hak_dump_sites(hak_out_t* o) {
  hak_site_stats_t chunk[64];
  uint32_t n = hak_site_count();
  if (n > HAK_PROF_SITES) n = HAK_PROF_SITES;
  for (uint32_t first = 0; first < n; first += 64) {
    uint32_t k = n - first < 64 ? n - first : 64;
    hak_prof_merge(chunk, first, k);
    for (uint32_t i = 0; i < k; i++) {
      const hak_site_stats_t* s = &chunk[i];
      if (s->allocs == 0 && s->frees == 0) continue;
      _hak_out_str(o, "site "), _hak_out_u64(o, first + i), _hak_out_str(o, " ");
      _hak_out_str(o, hak_subsys_name(hak_site_subsys(s->site))), _hak_out_str(o, " 1");
      uint64_t v[4] = {s->allocs, s->bytes, s->frees, s->freed_bytes};
      for (int j = 0; j < 4; j++) _hak_out_str(o, " "), _hak_out_u64(o, v[j]);
      _hak_out_str(o, " "), _hak_out_i64(o, s->live), _hak_out_str(o, " "), _hak_out_i64(o, s->peak);
      _hak_out_str(o, " "), _hak_out_name(o, s->name), _hak_out_str(o, "\n");
    }
  }
}

static void hak_dump_time(hak_out_t* o, const char* key, int64_t ms) {
  _hak_out_str(o, key), _hak_out_u64(o, (uint64_t)ms / 1000), _hak_out_str(o, ".");
  char frac[4] = {(char)('0' + ms / 100 % 10), (char)('0' + ms / 10 % 10), (char)('0' + ms % 10), 0};
  _hak_out_str(o, frac), _hak_out_str(o, "\n");
}

// The whole file. crash: take no lock that may be held (the sampled stacks
// are left out when their lock is); false then.
static bool hak_dump(hak_out_t* o, const char* reason, bool crash) {
  char exe[1024];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  exe[n > 0 ? n : 0] = 0;
  _hak_out_str(o, "hakmem-profile 1\npid "), _hak_out_u64(o, (uint64_t)getpid());
  _hak_out_str(o, "\nexe "), _hak_out_name(o, exe), _hak_out_str(o, "\n");
  hak_dump_time(o, "start ", P.start_unix_ms != 0 ? P.start_unix_ms : hak_unix_ms());
  hak_dump_time(o, "time ", hak_unix_ms());
  _hak_out_str(o, "reason "), _hak_out_str(o, reason), _hak_out_str(o, "\ninterval ");
  _hak_out_u64(o, (uint64_t)_hak_sample_interval()), _hak_out_str(o, "\n");
  dl_iterate_phdr(hak_dump_object, o);
  bool whole = _hak_sample_write(o, crash);
  hak_dump_sites(o);
  if (whole) _hak_out_str(o, "end\n");
  _hak_out_flush(o);
  return whole;
}

int _hak_profile_dump(FILE* out) {
  hak_out_t o = {.fd = -1, .file = out};
  hak_dump(&o, "api", false);
  if (fflush(out) != 0 && o.err == 0) o.err = errno ? errno : EIO;
  return o.err;
}

// Appends the decimal digits of v to out[*k]; false when they do not fit.
static bool hak_dump_put_u64(char* out, size_t* k, size_t cap, uint64_t v) {
  char tmp[24];
  size_t n = 0;
  do tmp[n++] = (char)('0' + v % 10); while ((v /= 10) != 0);
  if (*k + n + 1 > cap) return false;
  while (n > 0) out[(*k)++] = tmp[--n];
  return true;
}

// path with "%p" replaced by the pid, or by "PID.N" when n > 0 (a path
// without %p gets ".N" at its end then); false when it does not fit.
static bool hak_dump_path(const char* path, unsigned n, char* out, size_t cap) {
  size_t k = 0;
  bool used = false;
  for (const char* c = path; *c; c++) {
    if (c[0] == '%' && c[1] == 'p') {
      if (!hak_dump_put_u64(out, &k, cap, (uint64_t)getpid())) return false;
      if (n > 0 && (k + 2 > cap || (out[k++] = '.', !hak_dump_put_u64(out, &k, cap, n)))) return false;
      c++, used = true;
    } else {
      if (k + 2 > cap) return false;
      out[k++] = *c;
    }
  }
  if (n > 0 && !used && (k + 2 > cap || (out[k++] = '.', !hak_dump_put_u64(out, &k, cap, n)))) return false;
  out[k] = 0;
  return true;
}

// Writes the file at `path` (temporary name, then rename). Returns 0 or an
// errno value; EAGAIN when the crash path had to leave the stacks out (the
// file has them not and no `end` line).
static int hak_dump_file(const char* path, unsigned n, const char* reason, bool crash, char* final, size_t cap) {
  char tmp[1100];
  if (!hak_dump_path(path, n, final, cap)) {
    snprintf(final, cap, "%s", path);
    return ENAMETOOLONG;
  }
  size_t len = strlen(final);
  if (len + 5 >= sizeof(tmp)) return ENAMETOOLONG;
  memcpy(tmp, final, len);
  memcpy(tmp + len, ".tmp", 5);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  hak_out_t o = {.fd = fd};
  bool whole = hak_dump(&o, reason, crash);
  int err = o.err;
  if (close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && rename(tmp, final) != 0) err = errno;
  if (err != 0) unlink(tmp);
  return err != 0 ? err : whole ? 0 : EAGAIN;
}

int _hak_profile_write(const char* path) {
  char final[1024];
  return hak_dump_file(path, 0, "api", false, final, sizeof(final));
}

static void hak_dump_say(const char* what, const char* final, int err) {
  if (err == 0) _hak_message("%s: profile written to %s", what, final);
  else _hak_message("%s: cannot write the profile to %s: %s", what, final, strerror(err));
}

// At exit, when profiling was asked for in the environment (a program that
// turns it on itself writes its own file).
void _hak_profile_at_exit(void) {
  if (!P.env) return;
  char final[1024];
  int err = hak_dump_file(P.path, 0, "exit", false, final, sizeof(final));
  if (err != 0 || !P.named) hak_dump_say("at exit", final, err);
}

// Before the program replaces its image (the exec family, override.c): the
// data file under the first free name of PID.1, PID.2... (the new image
// writes the pid's own name at its exit).
void _hak_profile_before_exec(void) {
  if (!P.env) return;
  char final[1024];
  for (unsigned n = 1; n < 1000; n++) {
    if (!hak_dump_path(P.path, n, final, sizeof(final))) break;
    if (access(final, F_OK) == 0) continue;
    int err = hak_dump_file(P.path, n, "exec", false, final, sizeof(final));
    if (err != 0) hak_dump_say("before exec", final, err);
    return;
  }
}

// ----- Dumps on a signal or an interval -----
static void hak_profile_on_signal(int sig) {
  (void)sig;
  int saved = errno;
  sem_post(&P.kick);
  errno = saved;
}

static void* hak_dumper_main(void* arg) {
  (void)arg;
  long every = _hak_option_fast(HAK_OPT_PROFILE_INTERVAL_MS);
  while (atomic_load(&P.dumper) == 1) {
    const char* reason = "signal";
    if (every > 0) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_sec += every / 1000;
      ts.tv_nsec += every % 1000 * 1000000L;
      if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
      if (sem_timedwait(&P.kick, &ts) != 0) {
        if (errno == EINTR) continue;
        reason = "interval";
      }
    } else if (sem_wait(&P.kick) != 0) {
      continue;
    }
    if (atomic_load(&P.dumper) != 1) break;
    char final[1024];
    int err = hak_dump_file(P.path, 0, reason, false, final, sizeof(final));
    if (err != 0 || strcmp(reason, "signal") == 0) hak_dump_say(reason, final, err);
  }
  return NULL;
}

// Starts the thread that writes on a signal or an interval, once, when one
// of them is asked for.
static void hak_dumper_start(void) {
  int expected = 0;
  if (!atomic_compare_exchange_strong(&P.dumper, &expected, 1)) return;
  if (_hak_option_fast(HAK_OPT_PROFILE_INTERVAL_MS) <= 0 && _hak_option_fast(HAK_OPT_PROFILE_SIGNAL) <= 0) return;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);  // the program's signals go to its own threads
  P.thread_made = pthread_create(&P.thread, NULL, hak_dumper_main, NULL) == 0;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (!P.thread_made) _hak_warning("profile: cannot start the thread that writes on a signal or an interval");
}

// ----- Dumps on a fatal signal -----
static void hak_write_stderr(const char* s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t k = write(2, s, n);
    if (k <= 0) return;
    s += k, n -= (size_t)k;
  }
}

static void hak_profile_on_crash(int sig) {
  static _Atomic int once;
  if (atomic_exchange(&once, 1) == 0) {
    char final[1024], num[8] = {0};
    int err = hak_dump_file(P.path, 0, "crash", true, final, sizeof(final));
    num[0] = (char)('0' + sig / 10 % 10), num[1] = (char)('0' + sig % 10);
    hak_write_stderr("hakmem: fatal signal ");
    hak_write_stderr(num[0] == '0' ? num + 1 : num);
    if (err == 0) {
      hak_write_stderr(": profile written to ");
      hak_write_stderr(final);
    } else if (err == EAGAIN) {
      hak_write_stderr(": profile written to ");
      hak_write_stderr(final);
      hak_write_stderr(" without its call stacks (the crash came while they were being updated)");
    } else {
      hak_write_stderr(": the profile could not be written: ");
      hak_write_stderr(strerror(err));
    }
    hak_write_stderr("\n");
  }
  raise(sig);  // blocked here; the default action runs when the handler returns
}

static void hak_profile_handlers(void) {
  long sig = _hak_option_fast(HAK_OPT_PROFILE_SIGNAL);
  if (sig > 0 && sig < NSIG) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = hak_profile_on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction((int)sig, &sa, NULL) != 0) _hak_warning("HAKMEM_PROFILE_SIGNAL=%ld: %s", sig, strerror(errno));
  } else if (sig != 0) {
    _hak_warning("HAKMEM_PROFILE_SIGNAL=%ld is not a signal number", sig);
  }
  if (_hak_option_fast(HAK_OPT_PROFILE_CRASH) == 0) return;
  static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
  for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
    struct sigaction old;
    if (sigaction(fatal[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL || (old.sa_flags & SA_SIGINFO)) continue;  // the program's own
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = hak_profile_on_crash;
    sa.sa_flags = SA_RESETHAND | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(fatal[i], &sa, NULL);
  }
}

// ----- Fork and unload -----
void _hak_profile_lock(bool lock) {
  _hak_sample_lock(lock);
}

// The child has no dumper thread: it starts its own at its next sample.
void _hak_profile_fork_child(void) {
  _hak_sample_lock(false);
  sem_init(&P.kick, 0, 0);
  P.thread_made = false;
  atomic_store(&P.dumper, 0);
}

void _hak_profile_unload(void) {
  if (atomic_exchange(&P.dumper, 2) != 1 || !P.thread_made) return;
  sem_post(&P.kick);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += 2;
  if (pthread_timedjoin_np(P.thread, NULL, &ts) == 0) P.thread_made = false;
}
