/* override.c: malloc and friends on hakmem, for libhakmem.so (LD_PRELOAD or
   link) and libhakmem-override.a. Included by alloc.c when HAK_OVERRIDE=1 so
   that malloc and free inline the fast paths.

   Semantics follow glibc's documentation: malloc(0) gives a unique block;
   realloc(p, 0) frees p and returns NULL; calloc and reallocarray overflow
   give NULL with ENOMEM; posix_memalign returns EINVAL for an alignment that
   is not a power of two multiple of sizeof(void*); memalign rounds a
   non-power-of-two alignment up. Everything is served from the default
   subsystem's heap. */
#ifndef HAK_ALLOC_C
#error "override.c is included by alloc.c"
#endif

#include <stdlib.h>
#include <unistd.h>

#define HAK_MALLOC_API __attribute__((visibility("default")))

// malloc and free inline the fast paths; the slow branches pass the caller's
// return address, which the sampling profiler attributes to. With profiling
// on, malloc's fast path counts down to the next sample.
// The sampling countdown of malloc ran out: take the sample, return p (a
// tail call, so malloc keeps no frame).
static HAK_NOINLINE void* hak_malloc_sample(hak_heap_t* heap, void* p, size_t usable, void* caller) {
  _hak_profile_sample(heap->tld, p, usable, caller);
  return p;
}

// With profiling on: count down the bytes to the next sample.
#define HAK_MALLOC_TICK(heap, p, usable)                                                                    \
  do {                                                                                                      \
    if hak_unlikely((heap)->profiling && ((heap)->tld->sample_left -= (int64_t)(usable)) < 0) {             \
      return hak_malloc_sample((heap), (p), (usable), __builtin_return_address(0));                         \
    }                                                                                                       \
  } while (0)

HAK_MALLOC_API void* malloc(size_t size) {
  hak_heap_t* heap = hak_heap_of(_hak_tld, HAK_SUBSYS_DEFAULT);
  if hak_likely(size <= heap->malloc_max) {
    hak_page_t* page = heap->direct[(size + 7) >> 3];
    void* p = hak_page_pop(heap, page);
    if hak_likely(p != NULL) {
      HAK_MALLOC_TICK(heap, p, page->block_size);
      return p;
    }
  } else if (size <= HAK_LARGE_MAX && heap->mid_fast) {  // not checked, not profiling
    void* p = hak_alloc_mid(heap, size, false);
    if (p != NULL) return p;
  }
  return hak_alloc_slow(size, HAK_SITE_DEFAULT, false, __builtin_return_address(0));
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
  if hak_likely(total <= heap->malloc_max) {
    hak_page_t* page = heap->direct[(total + 7) >> 3];
    void* p = hak_page_pop_zero(heap, page, total);
    if hak_likely(p != NULL) {
      HAK_MALLOC_TICK(heap, p, page->block_size);
      return p;
    }
  } else if (total <= HAK_LARGE_MAX && heap->mid_fast) {  // not checked, not profiling
    void* p = hak_alloc_mid(heap, total, true);
    if (p != NULL) return p;
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
  size_t rounded = size == 0 ? page : (size + page - 1) & ~(page - 1);
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
