/* hjson_types.h: private types and constants of runtime/json.

   Main types and their concepts:
   - hjson_doc_t (here): the owner of a tree: its allocation context and root slot.
   - hjson_val_t, hjson_ctn_t (hjson.h, public for the inline accessors): a
     16-byte value slot (tag = type | string length << 8, payload) and a
     container node (array or object) whose entries are value slots; an
     object stores key, value, key, value ...
   - hjson_parser_t (here): the state of one parse: the value stack that
     holds the entries of every open container, frame markers between them,
     and scratch memory for unescaping strings and finding repeated keys.
   Invariant: every block a document holds is reachable from its root and is
   freed with the size it was allocated with (hjson_ctn_size, len + 1 for
   strings). */
#ifndef HJSON_TYPES_H
#define HJSON_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hjson.h"

// ----- Variants -----
// HJSON_TESTS: 0 normal, 1 test hooks (smaller initial stacks so the growth
// paths run in every test). Set by -DHJSON_TESTS=1 or by the project-wide
// -DHAK_TESTS, the one define that turns on every component's test hooks
// (docs/style.md, Tests).
#if !defined(HJSON_TESTS) && defined(HAK_TESTS) && HAK_TESTS
#define HJSON_TESTS 1
#endif
#ifndef HJSON_TESTS
#define HJSON_TESTS 0
#endif

// ----- Constants -----
#if HJSON_TESTS
#define HJSON_STACK_INLINE 8   // value slots of the parser's on-C-stack stack
#define HJSON_WSTACK_INLINE 2  // frames of the DOM writer's on-C-stack stack
#else
#define HJSON_STACK_INLINE 256
#define HJSON_WSTACK_INLINE 32
#endif
#define HJSON_DEDUP_LINEAR 24       // objects up to this many members find repeated keys pairwise
#define HJSON_T_FRAME 0xf0u         // tag type of a frame marker on the parser's value stack
#define HJSON_UINT32_MAX 0xffffffffu

// ----- Document -----
struct hjson_doc_s {
  const hak_alc_t* alc;  // every block of this document comes from here
  hjson_val_t root;      // the root slot
};

// ----- Parser -----
typedef struct hjson_parser_s {
  const hak_alc_t* alc;   // the document's context
  const uint8_t* start;   // input start (error positions are relative to it)
  const uint8_t* end;     // one past the last input byte
  hjson_val_t* stack;     // value stack: entries of open containers and frame markers
  size_t stack_cap;       // slots in stack
  bool stack_heap;        // stack is a block of stack_cap slots (json.parse.stack), not the C stack
  char* scratch;          // unescape buffer (json.parse.scratch), scratch_cap bytes
  size_t scratch_cap;     // bytes in scratch
  uint32_t* hash;         // open-addressing table for repeated keys, hash_cap slots (json.parse.scratch)
  size_t hash_cap;        // slots in hash (a power of two) or 0
  const uint8_t* err_at;  // where the error is
  hjson_err_t err_code;   // error code (HJSON_OK while fine)
  const char* err_msg;    // error message
} hjson_parser_t;

// ----- DOM writer frame -----
typedef struct hjson_wframe_s {
  const hjson_ctn_t* c;  // container being written
  size_t i;              // next entry index
} hjson_wframe_t;

// Bits of hjson_writer_t.levels[d].
#define HJSON_WL_OBJECT 1u  // the container is an object
#define HJSON_WL_ITEMS 2u   // it has at least one entry
#define HJSON_WL_KEY 4u     // a key was written and its value is due

#endif  // HJSON_TYPES_H
