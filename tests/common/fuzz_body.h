/* fuzz_body.h: what the libFuzzer targets (tests/json/fuzz_json.c,
   tests/mir/fuzz_hk.c) share: a check that aborts (libFuzzer keeps the input
   that made it), and one run of a piece of work on a fresh failing
   allocation context (failing_alc.h) with an allocation failure injected or
   not, after which every block must have been freed with the size it was
   allocated with and nothing outside the allowed subsystems allocated. Each
   target keeps its own checks of the work's results. */
#ifndef FUZZ_BODY_H
#define FUZZ_BODY_H

#include <stdint.h>

#include "failing_alc.h"

// Aborts with the failed condition and its place when c is false.
#define FUZZ_CHECK(c)                          \
  do {                                         \
    if (!(c)) fuzz_fail(__FILE__, __LINE__, #c); \
  } while (0)

_Noreturn void fuzz_fail(const char* file, int line, const char* what);

// The work of one run, on the context t.
typedef void (*fuzz_work_fn)(void* arg, failing_alc_t* t);

// Runs work(arg, t) on a context of subsys_mask and flags (failing_alc_init)
// whose fail_at-th allocation attempt fails (0: none), then checks that no
// block is live and nothing was bad. Returns the run's allocation attempts.
long fuzz_run_alc(fuzz_work_fn work, void* arg, uint32_t subsys_mask, unsigned flags, long fail_at);

#endif  // FUZZ_BODY_H
