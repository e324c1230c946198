/* alc.c: the two allocation contexts of hakmem.h (docs/design.md, section 4):
   hakmem itself, and the
   C library's malloc for comparisons (whatever LD_PRELOAD puts under it). */
#include <stdlib.h>

#include "hak_internal.h"

static void* hak_alc_hak_alloc(void* ctx, size_t size, hak_site_t site) {
  (void)ctx;
  return hak_alloc_at(size, site);
}
static void* hak_alc_hak_realloc(void* ctx, void* p, size_t old_size, size_t size, hak_site_t site) {
  (void)ctx, (void)old_size;
  return hak_realloc_at(p, size, site);
}
static void hak_alc_hak_free(void* ctx, void* p, size_t size, hak_site_t site) {
  (void)ctx, (void)size;
  hak_free_at(p, site);
}
static size_t hak_alc_hak_release(void* ctx, hak_subsys_t sub) {
  (void)ctx;
  return hak_heap_release(sub);
}

static void* hak_alc_libc_alloc(void* ctx, size_t size, hak_site_t site) {
  (void)ctx, (void)site;
  return malloc(size == 0 ? 1 : size);
}
static void* hak_alc_libc_realloc(void* ctx, void* p, size_t old_size, size_t size, hak_site_t site) {
  (void)ctx, (void)old_size, (void)site;
  if (size == 0) {
    free(p);
    return NULL;
  }
  return realloc(p, size);
}
static void hak_alc_libc_free(void* ctx, void* p, size_t size, hak_site_t site) {
  (void)ctx, (void)size, (void)site;
  free(p);
}

static const hak_alc_t hak_alc_hak = {NULL, hak_alc_hak_alloc, hak_alc_hak_realloc, hak_alc_hak_free, hak_alc_hak_release};
static const hak_alc_t hak_alc_c = {NULL, hak_alc_libc_alloc, hak_alc_libc_realloc, hak_alc_libc_free, NULL};

HAK_API const hak_alc_t* hak_alc_default(void) {
  return &hak_alc_hak;
}

HAK_API const hak_alc_t* hak_alc_libc(void) {
  return &hak_alc_c;
}
