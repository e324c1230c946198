/* hvm_types.h: every structure of the hk VM.

   Main types and their concepts:
     hvm_value_t    a value: 16 bytes, payload + type tag (a tagged union; see
                    docs/vm.md for why not NaN-boxing: ints are full 64-bit)
     hvm_obj_t      header of every collectable object (all-objects list link,
                    type, mark bit, allocation site)
     hvm_str_t      immutable byte string, bytes inline, lazily hashed
     hvm_arr_t      growable array of values; small literals keep items inline
     hvm_map_t      insertion-ordered hash map: entries in order + index table
     hvm_chanref_t  a VM's handle on a shared channel (hvm_chan_t)
     hvm_threadref_t a VM's handle on a shared thread (hvm_thread_t)
     hvm_packet_t   a deep copy in transit between threads (its own object list)
     hvm_fn_t       a VM's view of one bytecode function (constants as values)
     hvm_frame_t    one active call
     hvm_t          one VM: stack, frames, heap, collector state
     hvm_program_t  what all VMs of one script share: module, externs, sites */
#ifndef HVM_TYPES_H
#define HVM_TYPES_H

#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "hbc.h"
#include "hvm.h"

// ----- Variants -----
#ifndef HVM_GC_STRESS
#define HVM_GC_STRESS 0  // 0: paced collection; 1: collect at every allocating instruction by default
#endif
#ifndef HVM_DISPATCH_SWITCH  // 0: computed goto (GCC, Clang); 1: switch
#if defined(HAK_TESTS) || !(defined(__GNUC__) || defined(__clang__))
#define HVM_DISPATCH_SWITCH 1
#else
#define HVM_DISPATCH_SWITCH 0
#endif
#endif
#ifndef HVM_GC_PAUSE
#define HVM_GC_PAUSE 100  // % of live bytes allocated before the next collection
#endif
#ifndef HVM_GC_MIN
#define HVM_GC_MIN (1u << 20)  // bytes allocated before the first collection and at least between two
#endif

// ----- Values -----
typedef enum hvm_type_e {
  HVM_NIL = 0,
  HVM_BOOL,
  HVM_INT,
  HVM_FLOAT,
  HVM_STR,
  HVM_ARR,
  HVM_MAP,
  HVM_FUNC,
  HVM_CHAN,
  HVM_THREAD,
  HVM_TYPE_COUNT
} hvm_type_t;
#define HVM_DEAD 0xFFu  // key tag of a deleted map entry

// Function values are not objects: u.i = kind << 32 | index.
typedef enum hvm_fnkind_e { HVM_FN_SCRIPT = 0, HVM_FN_BUILTIN = 1, HVM_FN_EXTERN = 2 } hvm_fnkind_t;

typedef struct hvm_obj_s hvm_obj_t;

typedef struct hvm_value_s {
  union {
    int64_t i;     // INT; BOOL (0/1); FUNC (kind << 32 | index)
    double f;      // FLOAT
    hvm_obj_t* o;  // STR, ARR, MAP, CHAN, THREAD
    uint64_t bits;
  } u;
  uint32_t t;    // hvm_type_t
  uint32_t pad;  // 0
} hvm_value_t;

// ----- Objects -----
struct hvm_obj_s {
  hvm_obj_t* next;   // all-objects list of the owning VM or packet
  uint8_t type;      // hvm_type_t: STR, ARR, MAP, CHAN or THREAD
  uint8_t mark;      // 1 from marking to sweeping; fixed objects keep 1
  uint16_t extra;    // ARR: values held inline (fixes the block size)
  hak_site_t site;   // site of the object and of its buffers (for frees)
};

typedef struct hvm_str_s {
  hvm_obj_t h;
  uint32_t hash;  // 0 until computed (a computed 0 is stored as 1)
  uint32_t len;   // bytes, not counting the NUL
  char s[];       // len bytes + NUL
} hvm_str_t;

typedef struct hvm_arr_s {
  hvm_obj_t h;
  uint32_t len;        // values in use
  uint32_t cap;        // values items can hold
  hvm_value_t* items;  // inl while cap <= h.extra, else a block of cap values
  hvm_value_t inl[];   // h.extra values
} hvm_arr_t;

typedef struct hvm_entry_s {
  uint64_t kb;    // key payload (int, or hvm_str_t*)
  uint64_t vb;    // value payload
  uint8_t kt;     // key type: HVM_INT, HVM_STR, or HVM_DEAD
  uint8_t vt;     // value type
  uint16_t pad;
  uint32_t hash;  // of the key
} hvm_entry_t;    // 24 bytes

#define HVM_MAP_LINEAR 8  // maps with at most this many entry slots have no index (linear scan)

typedef struct hvm_map_s {
  hvm_obj_t h;
  uint32_t count;     // live entries
  uint32_t nent;      // entries used (live + dead), in insertion order
  uint32_t cent;      // entries ent can hold
  uint32_t mask;      // index slots - 1 (0 when idx is NULL)
  hvm_entry_t* ent;   // cent entries
  uint32_t* idx;      // open addressing: entry number + 1, 0 = empty; NULL when cent <= HVM_MAP_LINEAR
} hvm_map_t;

typedef struct hvm_packet_s hvm_packet_t;

typedef struct hvm_chan_s {
  pthread_mutex_t mu;
  hvm_packet_t* head;         // queue of values in transit (oldest first)
  hvm_packet_t* tail;
  int closed;                 // 1 after close()
  int nwait;                  // VMs registered as waiting in recv on this channel (under mu)
  atomic_uint refs;           // chanrefs of every VM + packets holding it
  const hak_alc_t* alc;       // where the channel and its packets live
} hvm_chan_t;

typedef struct hvm_chanref_s {
  hvm_obj_t h;
  hvm_chan_t* ch;  // holds one reference
} hvm_chanref_t;

typedef enum hvm_thread_state_e { HVM_TH_RUNNING, HVM_TH_DONE, HVM_TH_FAILED } hvm_thread_state_t;

typedef struct hvm_thread_s {
  pthread_mutex_t mu;
  int state;                  // hvm_thread_state_t
  int nwait;                  // VMs registered as waiting in join on this thread (under mu)
  hvm_packet_t* start;        // function and arguments (consumed by the thread)
  hvm_packet_t* result;       // DONE: the return value
  char* error;                // FAILED: message and traceback text (errlen bytes + NUL)
  size_t errlen;
  atomic_uint refs;           // threadrefs + the running thread
  struct hvm_program_s* prog; // held by the running thread
  const hak_alc_t* alc;
} hvm_thread_t;

typedef struct hvm_threadref_s {
  hvm_obj_t h;
  hvm_thread_t* th;  // holds one reference
} hvm_threadref_t;

// A deep copy on its way to another VM: the objects were allocated by the
// sending thread and are adopted (spliced into the heap) by the receiver.
struct hvm_packet_s {
  hvm_value_t v;        // the value
  hvm_obj_t* objs;      // objects of the copy
  hvm_obj_t* last;      // the last of them (for splicing)
  size_t bytes;         // their total size
  hvm_packet_t* next;   // channel queue link
};

// ----- Program (shared by every VM of a script) -----
typedef struct hvm_ext_s hvm_ext_t;  // ffi.c
typedef struct hvm_lib_s hvm_lib_t;  // ffi.c
typedef struct hvm_prof_s hvm_prof_t;  // prof.c

struct hvm_program_s {
  hbc_module_t* m;
  const hak_alc_t* alc;
  hvm_options_t opt;         // argv points to argv below
  int argc;
  char** argv;               // copies of the script arguments
  size_t* argl;              // their lengths
  _Atomic(hak_site_t)** sites;  // per function, per code word: dynamic site (0 = not yet)
  hvm_ext_t* ext;            // per extern: resolution (ffi.c)
  hvm_lib_t* libs;           // opened libraries (ffi.c), under mu
  pthread_mutex_t mu;        // externs and libraries
  atomic_uint refs;          // 1 for the owner + 1 per running spawned thread
  atomic_uint threads;       // spawned threads still running
  // waiting and deadlock detection (thread.c), under wmu
  pthread_mutex_t wmu;       // taken after a channel's or thread's mutex, never before
  pthread_cond_t wcv;        // every recv and join of the program sleeps on this one
  int active;                // VMs running script code (not waiting in recv/join, not finished)
  struct hvm_waiter_s* waiters;  // VMs waiting in recv or join
  char failed[256];          // the first error of a spawned thread ("FILE:LINE: MSG"), written once; "" until one fails
};

// A VM waiting in recv or join (on its C stack while it waits; every field
// under the program's wmu).
typedef struct hvm_waiter_s {
  struct hvm_waiter_s* next;
  const void* on;            // the hvm_chan_t or hvm_thread_t waited for
  int released;              // made runnable (and counted active) by a send, close or thread end
  int deadlock;              // woken because every VM of the program was waiting
  int failed;                // ... and by then a spawned thread had failed (the program's `failed`)
} hvm_waiter_t;

// ----- VM -----
typedef struct hvm_fn_s {
  const hbc_func_t* f;
  const hbc_ins_t* code;
  hvm_value_t* k;               // constants as values
  _Atomic(hak_site_t)* sites;   // the program's site cache of this function
  uint32_t* ic;                 // per code word: entry number a GETFIELD/SETFIELD found last (inline cache)
  uint32_t nregs;
  uint32_t arity;
} hvm_fn_t;

typedef struct hvm_frame_s {
  const hvm_fn_t* fn;    // function running
  const hbc_ins_t* pc;   // next instruction (saved when the frame calls out or raises)
  uint32_t base;         // R[0] is vm->stack[base]
  uint32_t ret;          // stack slot receiving the result
} hvm_frame_t;

typedef struct hvm_s {
  hvm_program_t* prog;
  const hak_alc_t* alc;
  hvm_fn_t* fns;               // one per module function
  uint32_t nfns;
  hvm_value_t* stack;          // nstack slots
  uint32_t nstack;
  hvm_frame_t* frames;         // nframes slots, depth in use
  uint32_t nframes;
  uint32_t depth;
  uint32_t flimit;             // a push at depth >= flimit takes the slow path: nframes, or 0 while profiling
  uint32_t max_depth, max_stack;
  // collector
  hvm_obj_t* objs;             // every collectable object
  hvm_obj_t* fixed;            // constants and one-byte strings: never collected
  int64_t debt;                // bytes allocated beyond the allowance; collect when > 0
  size_t bytes;                // bytes of objects in objs
  size_t peak;                 // most bytes at once
  hvm_obj_t** gray;            // mark stack
  size_t ngray, cgray;
  uint64_t collections, freed;
  int stress;                  // collect at every allocating instruction
  hak_site_t site;             // site of the instruction running (for its allocations)
  hvm_prof_t* prof;            // stack sites (prof.c) when the profile was on at creation, else NULL
  hvm_str_t* chars[256];       // one-byte strings (fixed), made on demand
  // errors and exit
  jmp_buf* jb;                 // where a raise goes
  hvm_result_t* res;
  char* trace;                 // traceback text of the last error (alc, tracecap bytes)
  size_t tracelen, tracecap;
  int is_thread;               // runs a spawn()ed function
  // scratch (reused; freed with the VM, so a raise leaks nothing)
  char* buf;                   // text being built
  size_t blen, bcap;
  void** vis;                  // deep copy: visited table (src, dst pairs), cvis pairs
  size_t nvis, cvis;
  void** work;                 // deep copy work stack
  size_t nwork, cwork;
  hvm_packet_t* pending;       // a packet being built (freed on raise)
  void* json_doc;              // a parsed hjson document being converted (freed on raise)
} hvm_t;

#endif  // HVM_TYPES_H
