/* fuzz_body.c: the shared part of the libFuzzer targets (fuzz_body.h). */
#include "fuzz_body.h"

#include <stdio.h>
#include <stdlib.h>

_Noreturn void fuzz_fail(const char* file, int line, const char* what) {
  fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
  abort();
}

long fuzz_run_alc(fuzz_work_fn work, void* arg, uint32_t subsys_mask, unsigned flags, long fail_at) {
  failing_alc_t t;
  failing_alc_init(&t, subsys_mask, flags);
  t.fail_at = fail_at;
  work(arg, &t);
  FUZZ_CHECK(t.live == 0 && t.live_bytes == 0);
  FUZZ_CHECK(t.bad == 0);
  FUZZ_CHECK(fail_at || t.failures == 0);
  return t.attempts;
}
