/* test_purge_fail.c: when the OS refuses to purge memory, the allocator must
   not believe it did. Regression test for calloc handing out blocks that
   were not zero: a page whose madvise(MADV_DONTNEED) failed was marked as
   reading zero, so calloc skipped its memset on memory that still held old
   data.

   The test links with -Wl,--wrap=madvise: every call of the allocator's OS
   layer goes through __wrap_madvise below, which refuses every other call
   with EAGAIN (as the kernel may). With purging at once (purge delay 0),
   rounds of blocks of the tiny, mid and large tiers are filled with 0xAB and
   freed (their pages retire and are purged, or not), then calloc'ed and
   checked byte by byte. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "hakmem.h"

int __real_madvise(void* addr, size_t len, int advice);
int __wrap_madvise(void* addr, size_t len, int advice);

static unsigned madvise_calls, madvise_refused;

int __wrap_madvise(void* addr, size_t len, int advice) {
  if (advice == MADV_DONTNEED && madvise_calls++ % 2 == 1) {
    madvise_refused++;
    errno = EAGAIN;
    return -1;
  }
  return __real_madvise(addr, len, advice);
}

#define ROUND_BLOCKS 512

static void test_calloc_after_refused_purges(void** state) {
  (void)state;
  hak_option_set(HAK_OPT_PURGE_DELAY_MS, 0);  // every freed page is purged at once
  static const size_t sizes[] = {24, 200, 1000, 3000, 16000, 100000};
  static void* blocks[ROUND_BLOCKS];
  size_t bad = 0;
  for (unsigned round = 0; round < 40; round++) {
    size_t size = sizes[round % (sizeof(sizes) / sizeof(sizes[0]))];
    size_t n = size >= 100000 ? 24 : ROUND_BLOCKS;  // large blocks: a few pages' worth
    for (size_t i = 0; i < n; i++) {
      blocks[i] = hak_alloc_at(size, HAK_SITE_DEFAULT);
      assert_non_null(blocks[i]);
      memset(blocks[i], 0xAB, size);
    }
    for (size_t i = 0; i < n; i++) hak_free_at(blocks[i], HAK_SITE_DEFAULT);
    for (size_t i = 0; i < n; i++) {
      uint8_t* p = hak_calloc_at(1, size, HAK_SITE_DEFAULT);
      assert_non_null(p);
      for (size_t b = 0; b < size; b++) {
        if (p[b] != 0) {
          bad++;
          break;
        }
      }
      blocks[i] = p;
    }
    for (size_t i = 0; i < n; i++) hak_free_at(blocks[i], HAK_SITE_DEFAULT);
  }
  printf("purge_fail: %u madvise calls, %u refused, %zu calloc blocks not zero\n", madvise_calls, madvise_refused, bad);
  assert_true(madvise_refused > 10);               // the refusals happened
  assert_true(madvise_calls - madvise_refused > 10);  // and so did real purges
  assert_int_equal(bad, 0);
  // A purge refused once is tried again later and succeeds.
  hak_collect(true);
  hak_collect(true);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_calloc_after_refused_purges)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
