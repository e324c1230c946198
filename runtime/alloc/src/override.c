/* override.c: malloc and friends on hakmem, for libhakmem.so (LD_PRELOAD or
   link) and libhakmem-override.a, whose builds compile this file in place of
   alloc.c: it includes alloc.c (one translation unit), so that malloc and
   free inline the fast paths.

   Semantics follow glibc's documentation: malloc(0) gives a unique block;
   realloc(p, 0) frees p and returns NULL; calloc and reallocarray overflow
   give NULL with ENOMEM; posix_memalign returns EINVAL for an alignment that
   is not a power of two multiple of sizeof(void*); memalign rounds a
   non-power-of-two alignment up. Everything is served from the default
   subsystem's heap. */
#include "alloc.c"

#include <stdlib.h>
#include <unistd.h>

#define HAK_MALLOC_API __attribute__((visibility("default")))

// malloc and free inline the fast paths; the slow branches pass the caller's
// return address, which the sampling profiler attributes to. With profiling
// on, malloc's fast path counts down to the next sample.
// With profiling on: count down the bytes to the next sample; the sample
// (a tail call, so malloc keeps no frame) returns the block to hand out.
#define HAK_MALLOC_TICK(heap, p, usable, zero)                                                              \
  do {                                                                                                      \
    if hak_unlikely((heap)->profiling && ((heap)->tld->sample_left -= (int64_t)(usable)) < 0) {             \
      return hak_sample_block((heap)->tld, (p), (usable), (zero), true, __builtin_return_address(0));       \
    }                                                                                                       \
  } while (0)

// The same for a mid or large block, whose size is its class's (kept out of
// line: malloc's fast path keeps no frame).
static HAK_NOINLINE void* hak_malloc_mid_tick(hak_heap_t* heap, void* p, size_t size, bool zero, void* caller) {
  return hak_prof_malloc_tick(heap->tld, p, _hak_class_size[hak_size_class(size)], zero, true, caller);
}

// malloc's body, inlined into malloc and the C++ operators new: the fast
// paths, then the slow path with the address the caller returns to.
static inline __attribute__((always_inline)) void* hak_malloc_inline(size_t size) {
  hak_heap_t* heap = hak_heap_of(_hak_tld, HAK_SUBSYS_DEFAULT);
  if hak_likely(size < heap->malloc_limit) {
    hak_page_t* page = heap->direct[(size + 7) >> 3];
    void* p = hak_page_pop(heap, page);
    if hak_likely(p != NULL) {
      HAK_MALLOC_TICK(heap, p, page->block_size, false);
      return p;
    }
  } else if (size <= HAK_LARGE_MAX && heap->malloc_mid) {  // not checked
    void* p = hak_alloc_mid(heap, size, false);
    if (p != NULL) {
      if hak_unlikely(heap->profiling) return hak_malloc_mid_tick(heap, p, size, false, __builtin_return_address(0));
      return p;
    }
  }
  return hak_alloc_slow(size, HAK_SITE_DEFAULT, false, __builtin_return_address(0));
}

HAK_MALLOC_API void* malloc(size_t size) {
  return hak_malloc_inline(size);
}

HAK_MALLOC_API void free(void* p) {
  hak_free_inline(p, HAK_SITE_DEFAULT, true);
}

HAK_MALLOC_API void* calloc(size_t n, size_t size) {
  size_t total;
  if hak_unlikely(__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  hak_heap_t* heap = hak_heap_of(_hak_tld, HAK_SUBSYS_DEFAULT);
  if hak_likely(total < heap->malloc_limit) {
    hak_page_t* page = heap->direct[(total + 7) >> 3];
    void* p = hak_page_pop_zero(heap, page, total);
    if hak_likely(p != NULL) {
      HAK_MALLOC_TICK(heap, p, page->block_size, true);
      return p;
    }
  } else if (total <= HAK_LARGE_MAX && heap->malloc_mid) {  // not checked
    void* p = hak_alloc_mid(heap, total, true);
    if (p != NULL) {
      if hak_unlikely(heap->profiling) return hak_malloc_mid_tick(heap, p, total, true, __builtin_return_address(0));
      return p;
    }
  }
  return hak_alloc_slow(total, HAK_SITE_DEFAULT, true, __builtin_return_address(0));
}

HAK_MALLOC_API void* realloc(void* p, size_t size) {
  return hak_realloc_impl(p, size, HAK_SITE_DEFAULT, __builtin_return_address(0));
}

HAK_MALLOC_API void* reallocarray(void* p, size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  return hak_realloc_impl(p, total, HAK_SITE_DEFAULT, __builtin_return_address(0));
}

HAK_MALLOC_API int posix_memalign(void** out, size_t alignment, size_t size) {
  if (alignment < sizeof(void*) || (alignment & (alignment - 1)) != 0 || alignment > HAK_ALIGN_MAX) return EINVAL;
  int saved = errno;
  void* p = hak_aligned_impl(alignment, size, HAK_SITE_DEFAULT, __builtin_return_address(0));
  if (p == NULL) {
    int err = errno == EINVAL ? EINVAL : ENOMEM;
    errno = saved;
    return err;
  }
  *out = p;
  return 0;
}

HAK_MALLOC_API void* aligned_alloc(size_t alignment, size_t size) {
  return hak_aligned_impl(alignment, size, HAK_SITE_DEFAULT, __builtin_return_address(0));
}

HAK_MALLOC_API void* memalign(size_t alignment, size_t size) {
  if (alignment > HAK_ALIGN_MAX) {
    errno = EINVAL;
    return NULL;
  }
  if (alignment == 0) alignment = 1;
  if ((alignment & (alignment - 1)) != 0) alignment = (size_t)1 << (64 - __builtin_clzll((unsigned long long)alignment));
  return hak_aligned_impl(alignment, size, HAK_SITE_DEFAULT, __builtin_return_address(0));
}

HAK_MALLOC_API void* valloc(size_t size) {
  return hak_aligned_impl(_hak_prim_page_size(), size, HAK_SITE_DEFAULT, __builtin_return_address(0));
}

HAK_MALLOC_API void* pvalloc(size_t size) {
  size_t page = _hak_prim_page_size();
  if (size > SIZE_MAX - page) {
    errno = ENOMEM;
    return NULL;
  }
  size_t rounded = size == 0 ? page : _hak_prim_page_round(size);
  return hak_aligned_impl(page, rounded, HAK_SITE_DEFAULT, __builtin_return_address(0));
}

HAK_MALLOC_API size_t malloc_usable_size(void* p) {
  return hak_usable_size(p);
}

HAK_MALLOC_API void free_sized(void* p, size_t size) {
  (void)size;
  hak_free_inline(p, HAK_SITE_DEFAULT, true);
}

HAK_MALLOC_API void free_aligned_sized(void* p, size_t alignment, size_t size) {
  (void)alignment, (void)size;
  hak_free_inline(p, HAK_SITE_DEFAULT, true);
}

// ----- C++ operators new and delete -----
// The Itanium C++ ABI's mangled names, defined here so that C++ programs get
// the same fast paths as C (without them, every new and delete would go
// through libstdc++'s operators and then through the PLT to malloc and
// free). Sized and aligned deletes ignore the size (hakmem finds it from the
// pointer). On failure, new and new[] hand over to the next definition of
// the operator, libstdc++'s, which calls the new_handler, retries (through
// this malloc) and throws std::bad_alloc (the nothrow forms catch it and
// return NULL): C++'s semantics without C++ here.
#include <dlfcn.h>

// The operator new that follows this library in the lookup order (libstdc++'s).
static HAK_NOINLINE void* hak_new_next_sym(const char* name, size_t size) {
  void* next = dlsym(RTLD_NEXT, name);
  if (next == NULL) _hak_fatal("operator new(%zu): out of memory, and no C++ runtime to report it (%s)", size, name);
  return next;
}

typedef enum hak_new_kind_e { HAK_NEW, HAK_NEW_NOTHROW, HAK_NEW_ALIGNED, HAK_NEW_ALIGNED_NOTHROW } hak_new_kind_t;

static HAK_NOINLINE void* hak_new_failed(const char* name, hak_new_kind_t kind, size_t size, size_t alignment,
                                         const void* tag) {
  void* next = hak_new_next_sym(name, size);
  switch (kind) {
    case HAK_NEW: return ((void* (*)(size_t))next)(size);
    case HAK_NEW_NOTHROW: return ((void* (*)(size_t, const void*))next)(size, tag);
    case HAK_NEW_ALIGNED: return ((void* (*)(size_t, size_t))next)(size, alignment);
    default: return ((void* (*)(size_t, size_t, const void*))next)(size, alignment, tag);
  }
}

static inline __attribute__((always_inline)) void* hak_new_impl(size_t size, const char* name, hak_new_kind_t kind,
                                                                const void* tag) {
  void* p = hak_malloc_inline(size);
  if hak_unlikely(p == NULL) return hak_new_failed(name, kind, size, 0, tag);
  return p;
}

static inline void* hak_new_aligned_impl(size_t size, size_t alignment, const char* name, hak_new_kind_t kind,
                                         const void* tag) {
  void* p = hak_aligned_impl(alignment, size, HAK_SITE_DEFAULT, __builtin_return_address(0));
  if hak_unlikely(p == NULL) return hak_new_failed(name, kind, size, alignment, tag);
  return p;
}

// new / new[] (throwing), new / new[] (nothrow_t)
HAK_MALLOC_API void* _Znwm(size_t size) { return hak_new_impl(size, "_Znwm", HAK_NEW, NULL); }
HAK_MALLOC_API void* _Znam(size_t size) { return hak_new_impl(size, "_Znam", HAK_NEW, NULL); }
HAK_MALLOC_API void* _ZnwmRKSt9nothrow_t(size_t size, const void* tag) {
  return hak_new_impl(size, "_ZnwmRKSt9nothrow_t", HAK_NEW_NOTHROW, tag);
}
HAK_MALLOC_API void* _ZnamRKSt9nothrow_t(size_t size, const void* tag) {
  return hak_new_impl(size, "_ZnamRKSt9nothrow_t", HAK_NEW_NOTHROW, tag);
}
// the same with std::align_val_t
HAK_MALLOC_API void* _ZnwmSt11align_val_t(size_t size, size_t al) {
  return hak_new_aligned_impl(size, al, "_ZnwmSt11align_val_t", HAK_NEW_ALIGNED, NULL);
}
HAK_MALLOC_API void* _ZnamSt11align_val_t(size_t size, size_t al) {
  return hak_new_aligned_impl(size, al, "_ZnamSt11align_val_t", HAK_NEW_ALIGNED, NULL);
}
HAK_MALLOC_API void* _ZnwmSt11align_val_tRKSt9nothrow_t(size_t size, size_t al, const void* tag) {
  return hak_new_aligned_impl(size, al, "_ZnwmSt11align_val_tRKSt9nothrow_t", HAK_NEW_ALIGNED_NOTHROW, tag);
}
HAK_MALLOC_API void* _ZnamSt11align_val_tRKSt9nothrow_t(size_t size, size_t al, const void* tag) {
  return hak_new_aligned_impl(size, al, "_ZnamSt11align_val_tRKSt9nothrow_t", HAK_NEW_ALIGNED_NOTHROW, tag);
}
// delete / delete[]: plain, sized, nothrow, aligned, sized aligned, aligned nothrow
HAK_MALLOC_API void _ZdlPv(void* p) { hak_free_inline(p, HAK_SITE_DEFAULT, true); }
HAK_MALLOC_API void _ZdaPv(void* p) { hak_free_inline(p, HAK_SITE_DEFAULT, true); }
HAK_MALLOC_API void _ZdlPvm(void* p, size_t size) { (void)size; hak_free_inline(p, HAK_SITE_DEFAULT, true); }
HAK_MALLOC_API void _ZdaPvm(void* p, size_t size) { (void)size; hak_free_inline(p, HAK_SITE_DEFAULT, true); }
HAK_MALLOC_API void _ZdlPvRKSt9nothrow_t(void* p, const void* tag) { (void)tag; hak_free_inline(p, HAK_SITE_DEFAULT, true); }
HAK_MALLOC_API void _ZdaPvRKSt9nothrow_t(void* p, const void* tag) { (void)tag; hak_free_inline(p, HAK_SITE_DEFAULT, true); }
HAK_MALLOC_API void _ZdlPvSt11align_val_t(void* p, size_t al) { (void)al; hak_free_inline(p, HAK_SITE_DEFAULT, true); }
HAK_MALLOC_API void _ZdaPvSt11align_val_t(void* p, size_t al) { (void)al; hak_free_inline(p, HAK_SITE_DEFAULT, true); }
HAK_MALLOC_API void _ZdlPvmSt11align_val_t(void* p, size_t size, size_t al) {
  (void)size, (void)al;
  hak_free_inline(p, HAK_SITE_DEFAULT, true);
}
HAK_MALLOC_API void _ZdaPvmSt11align_val_t(void* p, size_t size, size_t al) {
  (void)size, (void)al;
  hak_free_inline(p, HAK_SITE_DEFAULT, true);
}
HAK_MALLOC_API void _ZdlPvSt11align_val_tRKSt9nothrow_t(void* p, size_t al, const void* tag) {
  (void)al, (void)tag;
  hak_free_inline(p, HAK_SITE_DEFAULT, true);
}
HAK_MALLOC_API void _ZdaPvSt11align_val_tRKSt9nothrow_t(void* p, size_t al, const void* tag) {
  (void)al, (void)tag;
  hak_free_inline(p, HAK_SITE_DEFAULT, true);
}

// ----- exec -----
// A program that replaces its image (the exec family) would lose what the
// profiler collected: with profiling asked for in the environment, the data
// file is written first (under the pid's name with ".1", ".2"... added: the
// new image writes the plain one at its exit), then the C library's function
// runs. glibc's own exec functions call each other internally, past these.
#include <stdarg.h>

static void* hak_exec_next(const char* name) {
  _hak_profile_before_exec();
  return dlsym(RTLD_NEXT, name);
}

typedef int (*hak_execve_t)(const char*, char* const[], char* const[]);
typedef int (*hak_execv_t)(const char*, char* const[]);
typedef int (*hak_fexecve_t)(int, char* const[], char* const[]);

HAK_MALLOC_API int execve(const char* path, char* const argv[], char* const envp[]) {
  hak_execve_t next = (hak_execve_t)hak_exec_next("execve");
  return next != NULL ? next(path, argv, envp) : (errno = ENOSYS, -1);
}
HAK_MALLOC_API int execvpe(const char* file, char* const argv[], char* const envp[]) {
  hak_execve_t next = (hak_execve_t)hak_exec_next("execvpe");
  return next != NULL ? next(file, argv, envp) : (errno = ENOSYS, -1);
}
HAK_MALLOC_API int execv(const char* path, char* const argv[]) {
  hak_execv_t next = (hak_execv_t)hak_exec_next("execv");
  return next != NULL ? next(path, argv) : (errno = ENOSYS, -1);
}
HAK_MALLOC_API int execvp(const char* file, char* const argv[]) {
  hak_execv_t next = (hak_execv_t)hak_exec_next("execvp");
  return next != NULL ? next(file, argv) : (errno = ENOSYS, -1);
}
HAK_MALLOC_API int fexecve(int fd, char* const argv[], char* const envp[]) {
  hak_fexecve_t next = (hak_fexecve_t)hak_exec_next("fexecve");
  return next != NULL ? next(fd, argv, envp) : (errno = ENOSYS, -1);
}

// execl, execlp, execle: the arguments into an array (on the stack: exec
// either replaces the image or fails), then the vector forms above.
// HAK_EXEC_ARGV declares char* argv[] in the caller's scope: `arg` first,
// then the variadic arguments of ap up to and with the NULL.
#define HAK_EXEC_ARGV(arg, ap, argv)                                  \
  size_t argv##_n = 1;                                                \
  {                                                                   \
    va_list count_;                                                   \
    va_copy(count_, ap);                                              \
    while (va_arg(count_, char*) != NULL) argv##_n++;                 \
    va_end(count_);                                                   \
  }                                                                   \
  char* argv[argv##_n + 1];                                           \
  argv[0] = (char*)(arg);                                             \
  for (size_t i_ = 1; i_ <= argv##_n; i_++) argv[i_] = va_arg(ap, char*)

HAK_MALLOC_API int execl(const char* path, const char* arg, ...) {
  va_list ap;
  va_start(ap, arg);
  HAK_EXEC_ARGV(arg, ap, argv);
  va_end(ap);
  return execv(path, argv);
}
HAK_MALLOC_API int execlp(const char* file, const char* arg, ...) {
  va_list ap;
  va_start(ap, arg);
  HAK_EXEC_ARGV(arg, ap, argv);
  va_end(ap);
  return execvp(file, argv);
}
HAK_MALLOC_API int execle(const char* path, const char* arg, ...) {
  va_list ap;
  va_start(ap, arg);
  HAK_EXEC_ARGV(arg, ap, argv);
  char* const* envp = va_arg(ap, char* const*);
  va_end(ap);
  return execve(path, argv, envp);
}

// _exit and _Exit end the process without atexit handlers (dash leaves
// that way, and so do children after a failed exec): with profiling asked
// for in the environment, the data file is written first, as at exit.
#include <sys/syscall.h>

HAK_MALLOC_API __attribute__((noreturn)) void _exit(int status) {
  _hak_profile_at_exit();
  for (;;) syscall(SYS_exit_group, status);
}

HAK_MALLOC_API __attribute__((noreturn)) void _Exit(int status) {
  _exit(status);
}
