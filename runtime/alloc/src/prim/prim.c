/* prim.c: Linux/POSIX implementation of hak_prim.h, the allocator's only OS
   calls (mmap, munmap, mremap, madvise, clock, /proc RSS, thread keys, fork
   hooks). Nothing here allocates through malloc. */
#define _GNU_SOURCE
#include "hak_prim.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

// ----- Fault injection (builds with HAK_FAULTS=1, for tests) -----
// The OS refuses a share of the memory calls, as a machine out of memory or
// address space would: each call of a kind named in HAKMEM_FAULT_OPS
// (letters m: mmap, u: munmap, p: madvise, r: mremap, g: mprotect of the
// hardened build's guard pages; default all) fails
// with ENOMEM with probability HAKMEM_FAULT_PERMILLE/1000 (a stream seeded
// by HAKMEM_FAULT_SEED), between the HAKMEM_FAULT_AFTER-th and the
// HAKMEM_FAULT_UNTIL-th memory call of the process (default: from the first,
// forever): afterwards the OS says yes again, and allocation must work.
#if HAK_FAULTS
static struct {
  _Atomic int state;  // 0 not read, 1 reading, 2 ready
  uint64_t seed;
  unsigned permille;
  uint64_t after, until;
  bool ops[128];
  _Atomic(uint64_t) calls;
} F;

static uint64_t prim_env_u64(const char* name, uint64_t dflt) {
  const char* v = getenv(name);
  return v != NULL && *v != 0 ? strtoull(v, NULL, 10) : dflt;
}

// True: the call of kind `op` fails (errno is set to ENOMEM).
static bool prim_fault(char op) {
  int s = atomic_load_explicit(&F.state, memory_order_acquire);
  if (s != 2) {
    int expected = 0;
    if (atomic_compare_exchange_strong(&F.state, &expected, 1)) {
      F.seed = prim_env_u64("HAKMEM_FAULT_SEED", 1);
      F.permille = (unsigned)prim_env_u64("HAKMEM_FAULT_PERMILLE", 0);
      F.after = prim_env_u64("HAKMEM_FAULT_AFTER", 0);
      F.until = prim_env_u64("HAKMEM_FAULT_UNTIL", UINT64_MAX);
      const char* ops = getenv("HAKMEM_FAULT_OPS");
      for (const char* c = ops != NULL && *ops != 0 ? ops : "muprg"; *c; c++) F.ops[(unsigned char)*c & 127] = true;
      atomic_store_explicit(&F.state, 2, memory_order_release);
    } else {
      while (atomic_load_explicit(&F.state, memory_order_acquire) != 2) {
      }
    }
  }
  uint64_t n = atomic_fetch_add_explicit(&F.calls, 1, memory_order_relaxed);
  if (F.permille == 0 || !F.ops[(unsigned char)op & 127] || n < F.after || n >= F.until) return false;
  uint64_t z = F.seed + (n + 1) * 0x9E3779B97F4A7C15ull;  // splitmix64 of the call's number
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  if (z % 1000 >= F.permille) return false;
  errno = ENOMEM;
  return true;
}

void _hak_prim_fault_stop(void) {
  prim_fault('-');  // the settings are read
  F.until = 0;
}
#else
#define prim_fault(op) false
#endif

// ----- Memory -----
static void* prim_mmap(void* addr, size_t size, int extra) {
  if (prim_fault('m')) return NULL;
  void* p = mmap(addr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | extra, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

int _hak_prim_map(size_t size, size_t align, void* hint, void** out) {
  if (size == 0 || (align & (align - 1)) != 0 || size + align < size) return EINVAL;
  uintptr_t h = (uintptr_t)hint;
  if (h != 0 && (h & (align - 1)) == 0) {
    // MAP_FIXED_NOREPLACE: take the hint or fail, never move elsewhere.
    void* p = prim_mmap((void*)h, size, MAP_FIXED_NOREPLACE);
    if (p != NULL && (uintptr_t)p == h) {
      *out = p;
      return 0;
    }
    if (p != NULL) munmap(p, size);  // an old kernel treated the flag as a hint
  }
  void* p = prim_mmap(NULL, size, 0);
  if (p == NULL) return errno ? errno : ENOMEM;
  if (((uintptr_t)p & (align - 1)) != 0) {
    munmap(p, size);
    size_t over = size + align;
    p = prim_mmap(NULL, over, 0);
    if (p == NULL) return errno ? errno : ENOMEM;
    uintptr_t a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
    size_t pre = a - (uintptr_t)p, post = over - pre - size;
    if (pre) munmap(p, pre);
    if (post) munmap((void*)(a + size), post);
    p = (void*)a;
  }
  *out = p;
  return 0;
}

int _hak_prim_unmap(void* addr, size_t size) {
  if (prim_fault('u')) return ENOMEM;
  return munmap(addr, size) == 0 ? 0 : errno;
}

size_t _hak_prim_page_round(size_t n) {
  size_t page = _hak_prim_page_size();
  return (n + page - 1) & ~(page - 1);
}

void* _hak_prim_pages(size_t size) {
  void* p = NULL;
  return _hak_prim_map(_hak_prim_page_round(size), _hak_prim_page_size(), NULL, &p) == 0 ? p : NULL;
}

void _hak_prim_pages_free(void* p, size_t size) {
  if (p != NULL) _hak_prim_unmap(p, _hak_prim_page_round(size));
}

int _hak_prim_purge(void* addr, size_t size) {
  if (prim_fault('p')) return ENOMEM;
  return madvise(addr, size, MADV_DONTNEED) == 0 ? 0 : errno;
}

int _hak_prim_guard(void* addr, size_t size) {
  if (prim_fault('g')) return ENOMEM;
  return mprotect(addr, size, PROT_NONE) == 0 ? 0 : errno;
}

int _hak_prim_unguard(void* addr, size_t size) {
  if (prim_fault('g')) return ENOMEM;
  return mprotect(addr, size, PROT_READ | PROT_WRITE) == 0 ? 0 : errno;
}

int _hak_prim_reserve(void* addr, size_t size) {
  if (prim_fault('m')) return ENOMEM;
  void* p = mmap(addr, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
  return p == MAP_FAILED ? errno : 0;
}

int _hak_prim_commit(void* addr, size_t size) {
  if (prim_fault('m')) return ENOMEM;
  void* p = mmap(addr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
  return p == MAP_FAILED ? errno : 0;
}

int _hak_prim_random(void* buf, size_t n) {
  uint8_t* b = (uint8_t*)buf;
  while (n > 0) {
    ssize_t got = getrandom(b, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    b += got;
    n -= (size_t)got;
  }
  return 0;
}

int _hak_prim_remap_inplace(void* addr, size_t old_size, size_t new_size) {
  if (prim_fault('r')) return ENOMEM;
  void* p = mremap(addr, old_size, new_size, 0);
  return p == MAP_FAILED ? errno : 0;
}

int _hak_prim_remap_to(void* addr, size_t old_size, size_t new_size, void* dest) {
  if (prim_fault('r')) return ENOMEM;
  void* p = mremap(addr, old_size, new_size, MREMAP_MAYMOVE | MREMAP_FIXED, dest);
  return p == MAP_FAILED ? errno : 0;
}

size_t _hak_prim_page_size(void) {
  static size_t page;
  if (page == 0) {
    long v = sysconf(_SC_PAGESIZE);
    page = v > 0 ? (size_t)v : 4096;
  }
  return page;
}

// ----- Time, RSS, environment, output -----
int64_t _hak_prim_clock_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t _hak_prim_rss(void) {
  int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[128];
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  const char* s = buf;
  while (*s && *s != ' ') s++;  // skip total size
  unsigned long long pages = strtoull(s, NULL, 10);
  return (size_t)pages * _hak_prim_page_size();
}

size_t _hak_prim_rss_peak(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return (size_t)ru.ru_maxrss * 1024;
}

const char* _hak_prim_getenv(const char* name) {
  return getenv(name);
}

void _hak_prim_write_err(const char* s, size_t len) {
  while (len > 0) {
    ssize_t n = write(2, s, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    s += n;
    len -= (size_t)n;
  }
}

// ----- Threads and fork -----
static pthread_key_t prim_key;

int _hak_prim_thread_key_init(void (*on_exit)(void* value)) {
  return pthread_key_create(&prim_key, on_exit);
}

void _hak_prim_thread_key_set(void* value) {
  pthread_setspecific(prim_key, value);
}

void _hak_prim_thread_key_delete(void) {
  pthread_key_delete(prim_key);
}

int _hak_prim_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void)) {
  return pthread_atfork(prepare, parent, child);
}
