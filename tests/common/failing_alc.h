/* failing_alc.h: the checking, failing allocation context of the runtime's
   tests (docs/style.md, Tests), in the library hak_test_common
   (tests/common/CMakeLists.txt). One layout and one API for json, lang, mir,
   vm and the fuzz targets:
   - failure injection: the fail_at-th allocation attempt fails (every
     out-of-memory path, one at a time), or every attempt from the
     fail_from-th on (the rest of a run after the first failure);
   - counting: attempts, successful allocations, injected failures, live
     blocks and bytes, bulk releases;
   - checking: every block carries a header with its size and site, so a
     free or realloc with the wrong size (or, with FAILING_ALC_SITES, the
     wrong site), or of a block that is not live, counts as bad; so does an
     allocation of a subsystem outside the allowed mask (the site contract);
   - FAILING_ALC_BULK gives the context a release hook that frees every live
     block of a subsystem, as hakmem's hak_heap_release does.
   Blocks come from malloc, so ASan and memcheck see each one; new blocks are
   filled with 0xD0, freed ones with 0xDF. The context is thread-safe (a spin
   lock, atomic counters): the VM frees from the threads it spawns. Invariant: `live` and
   `live_bytes` are the count and the sum of sizes of the blocks on the list. */
#ifndef FAILING_ALC_H
#define FAILING_ALC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hakmem.h"

#define FAILING_ALC_BULK 1u   // the context has a release hook
#define FAILING_ALC_SITES 2u  // free and realloc must pass the site the block was allocated with

// The mask bit of a subsystem, for failing_alc_init: FAILING_ALC_MASK("json").
#define FAILING_ALC_MASK(name) (1u << HAK_SUBSYS(name))

typedef struct failing_alc_blk_s {
  struct failing_alc_blk_s* prev;
  struct failing_alc_blk_s* next;
  size_t size;      // requested size
  hak_site_t site;  // site of the allocation (of the last realloc)
  uint32_t magic;   // FAILING_ALC_MAGIC while live
} failing_alc_blk_t;

typedef struct failing_alc_s {
  hak_alc_t alc;          // what the code under test gets
  // set by the test after failing_alc_init
  long fail_at;           // attempt (1-based) that fails; 0: none
  long fail_from;         // every attempt from this one (1-based) on fails; 0: none
  uint32_t subsys_mask;   // subsystems that may allocate (bit per hak_subsys_t); 0: any
  unsigned flags;         // FAILING_ALC_BULK, FAILING_ALC_SITES
  // counted by the context; atomic, so a test may read them while threads
  // of the code under test still allocate or free
  atomic_long attempts;     // allocation attempts (allocs and reallocs)
  atomic_long allocs;       // attempts that succeeded
  atomic_long failures;     // attempts failed on purpose
  atomic_long live;         // blocks not yet freed
  atomic_size_t live_bytes; // their requested bytes
  atomic_long bad;          // wrong sizes or sites, unknown blocks, subsystems outside the mask
  atomic_long releases;     // calls of the release hook
  hak_site_t* seen;         // failing_alc_record_sites: every site allocated from, once
  size_t nseen, seen_cap;
  failing_alc_blk_t blocks; // list head of the live blocks
  atomic_flag lock;         // held while the list, the counters or seen change
} failing_alc_t;

// A context that allows the subsystems of subsys_mask (0: any) with flags.
void failing_alc_init(failing_alc_t* t, uint32_t subsys_mask, unsigned flags);

// Remembers every distinct site allocated from in buf (at most cap).
void failing_alc_record_sites(failing_alc_t* t, hak_site_t* buf, size_t cap);

// Live blocks of one subsystem.
long failing_alc_live_in(failing_alc_t* t, hak_subsys_t sub);

// Frees every live block (after a failed check) so that leak checkers stay quiet.
void failing_alc_drain(failing_alc_t* t);

#endif  // FAILING_ALC_H
