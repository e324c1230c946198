/* hvm.h: the hk virtual machine: runs a bytecode module (hbc.h) with its
   builtins, garbage collector, FFI and threads.

   A program (hvm_program_t) is a finished module plus what every thread of
   the script shares: the resolved externs (each library opened once), the
   per-line allocation sites, the script arguments and the output streams. A
   VM (one per OS thread: the main run, every spawn(), every run of
   --threads) has its own heap of objects and its own collector; values cross
   threads only as deep copies.

   Memory: every VM object comes from the program's allocation context
   (hak_alc_t) with a vm.* site, or with the dynamic site of the instruction
   that made it: "FILE:LINE what", or, when hakmem's profile is on as the VM
   starts, the script's call stack ("<main> (f.hk:9);g (f.hk:3);array",
   docs/vm.md). The collector is paced by the bytes the VM allocated since
   the last collection (the debt is kept by the VM's own allocation wrapper,
   not by the allocator's statistics).

   Errors: a runtime error prints `FILE:LINE: runtime error: MESSAGE` and one
   `  at FUNCTION (FILE:LINE)` line per frame to the program's error stream
   and makes the run return 1. Nothing a script does crashes the process:
   deep recursion, huge allocations and failed externs are runtime errors. */
#ifndef HVM_H
#define HVM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hakmem.h"
#include "hbc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hvm_program_s hvm_program_t;

// Limits (also the defaults of hvm_options_t).
#define HVM_MAX_DEPTH_DEFAULT 200000   // nested calls before "stack overflow"
#define HVM_MAX_STACK_DEFAULT 4000000  // value slots of all frames of one VM
#define HVM_DUMP_DEPTH 1000            // nesting print/str/json_stringify write before an error

typedef struct hvm_options_s {
  const hak_alc_t* alc;      // VM objects and the program (NULL: hak_alc_default())
  int argc;                  // script arguments, returned by args() (copied)
  const char* const* argv;
  FILE* out;                 // print() (NULL: stdout)
  FILE* err;                 // error reports (NULL: stderr)
  uint32_t max_depth;        // 0: HVM_MAX_DEPTH_DEFAULT
  uint32_t max_stack;        // 0: HVM_MAX_STACK_DEFAULT
  int gc_stress;             // 1: a full collection at every allocating instruction
                             //    (default: 1 in HVM_GC_STRESS builds, else 0)
  int exit_process;          // 1: exit() in a spawned thread ends the process (the CLI);
                             //    0: it ends that thread's run like an error-free return
} hvm_options_t;

// Fills *opt with the defaults (everything 0/NULL, gc_stress per build).
void hvm_options_init(hvm_options_t* opt);

// A program for a module that hbc_module_finish accepted. The program takes
// ownership of m (freed by hvm_program_free, also on failure). opt NULL:
// defaults. NULL when out of memory or when m is not finished.
hvm_program_t* hvm_program_new(hbc_module_t* m, const hvm_options_t* opt);
// Frees the program. Call it only when no run of it is active. NULL: no-op.
void hvm_program_free(hvm_program_t* p);
// The module of a program.
const hbc_module_t* hvm_program_module(const hvm_program_t* p);

// Result of one run.
typedef struct hvm_result_s {
  int status;          // 0: the script body returned; 1: runtime error; else exit(status)
  int exited;          // 1 when the script called exit()
  char message[512];   // the runtime error's first line ("FILE:LINE: runtime error: MSG"), or ""
} hvm_result_t;

// Runs the script body in a new VM on the calling thread, until it returns,
// calls exit() or fails. Reports a runtime error (with its traceback) on the
// error stream. Many threads may run the same program at once. res may be
// NULL. Returns res->status.
int hvm_program_run(hvm_program_t* p, hvm_result_t* res);

// Statistics of the last collection cycles of the calling thread's most
// recent run (for tests and --verbose tools).
typedef struct hvm_gc_stats_s {
  uint64_t collections;  // full collections run
  uint64_t freed;        // objects freed by the collector
  uint64_t live_bytes;   // bytes of objects alive after the last collection
  uint64_t peak_bytes;   // most bytes of objects alive at once (object memory only)
} hvm_gc_stats_t;
void hvm_last_gc_stats(hvm_gc_stats_t* out);

#ifdef __cplusplus
}
#endif

#endif  // HVM_H
