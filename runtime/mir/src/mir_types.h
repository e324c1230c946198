/* mir_types.h: the private types of runtime/mir.

   hmir_mem_t     where a function's nodes come from: the allocation context,
                  plus (when it cannot release a heap in bulk) a list of every
                  block so they can be freed one by one
   hmir_instr_t   an instruction; the value it defines is the instruction
                  itself (SSA: one definition per value). Operands point at
                  the instructions that define them.
   hmir_block_t   a basic block: phis first, then ordinary instructions, then
                  exactly one terminator; its successors (0..2) live in the
                  block, its predecessors in a growable array whose order is
                  the order of every phi's operands
   hmir_func_t    one function: the blocks in layout order (entry first)
   hmir_lattice_t SCCP's value lattice

   Invariants (checked by verify.c): a terminator ends every block and only
   there; phis only at the start, with one operand per predecessor; pred and
   succ lists agree; every operand is an instruction of the same function that
   dominates the use (for a phi operand: the end of the matching predecessor);
   the entry block has no predecessors. */
#ifndef HMIR_TYPES_H
#define HMIR_TYPES_H

#include <setjmp.h>
#include <stdint.h>

#include "hmir.h"

// ----- Build variants -----
#ifndef HMIR_VERIFY_DEFAULT  // 0: verify only when asked; 1: verify by default (debug builds)
#ifdef NDEBUG
#define HMIR_VERIFY_DEFAULT 0
#else
#define HMIR_VERIFY_DEFAULT 1
#endif
#endif

#define HMIR_LITERAL_CHUNK 64  // items of an array literal (32 pairs of a map) built at once; the rest are appended

// ----- Opcodes -----
// Flags of an op.
#define HMIR_F_VALUE 0x01  // defines a value
#define HMIR_F_TERM 0x02   // ends a block
#define HMIR_F_EFFECT 0x04 // has an effect beyond its value: never removed
#define HMIR_F_TRAPS 0x08  // may fail at run time (removable only when proven not to)
#define HMIR_F_FOLD 0x10   // SCCP folds it when its operands are constants

// HMIR_OPS(X): X(NAME, "text", flags, operands (-1: any number))
#define HMIR_OPS(X)                                                                   \
  X(CONST, "const", HMIR_F_VALUE, 0)          /* imm: the constant (ckind) */        \
  X(FNREF, "fn", HMIR_F_VALUE, 0)             /* imm.index: function of the module */ \
  X(BUILTIN, "builtin", HMIR_F_VALUE, 0)      /* imm.index: hbc builtin id */         \
  X(EXTREF, "extern", HMIR_F_VALUE, 0)        /* imm.index: extern of the module */   \
  X(PARAM, "param", HMIR_F_VALUE, 0)          /* imm.index: parameter number */       \
  X(COPY, "copy", HMIR_F_VALUE, 1)                                                    \
  X(PHI, "phi", HMIR_F_VALUE, -1)             /* one operand per predecessor */       \
  X(ADD, "add", HMIR_F_VALUE | HMIR_F_TRAPS | HMIR_F_FOLD, 2)                         \
  X(SUB, "sub", HMIR_F_VALUE | HMIR_F_TRAPS | HMIR_F_FOLD, 2)                         \
  X(MUL, "mul", HMIR_F_VALUE | HMIR_F_TRAPS | HMIR_F_FOLD, 2)                         \
  X(DIV, "div", HMIR_F_VALUE | HMIR_F_TRAPS | HMIR_F_FOLD, 2)                         \
  X(MOD, "mod", HMIR_F_VALUE | HMIR_F_TRAPS | HMIR_F_FOLD, 2)                         \
  X(NEG, "neg", HMIR_F_VALUE | HMIR_F_TRAPS | HMIR_F_FOLD, 1)                         \
  X(NOT, "not", HMIR_F_VALUE | HMIR_F_FOLD, 1)                                        \
  X(EQ, "eq", HMIR_F_VALUE | HMIR_F_FOLD, 2)                                          \
  X(NE, "ne", HMIR_F_VALUE | HMIR_F_FOLD, 2)                                          \
  X(LT, "lt", HMIR_F_VALUE | HMIR_F_TRAPS | HMIR_F_FOLD, 2)                           \
  X(LE, "le", HMIR_F_VALUE | HMIR_F_TRAPS | HMIR_F_FOLD, 2)                           \
  X(GT, "gt", HMIR_F_VALUE | HMIR_F_TRAPS | HMIR_F_FOLD, 2)                           \
  X(GE, "ge", HMIR_F_VALUE | HMIR_F_TRAPS | HMIR_F_FOLD, 2)                           \
  X(INDEX, "index", HMIR_F_VALUE | HMIR_F_TRAPS, 2)   /* object, key */               \
  X(ARRAY, "array", HMIR_F_VALUE, -1)                 /* items */                     \
  X(MAP, "map", HMIR_F_VALUE | HMIR_F_TRAPS, -1)      /* key, value, key, value... */  \
  X(APPEND, "append", HMIR_F_EFFECT, 2)               /* array (of a literal), item */ \
  X(SETINDEX, "setindex", HMIR_F_EFFECT | HMIR_F_TRAPS, 3)  /* object, key, value */  \
  X(CALL, "call", HMIR_F_VALUE | HMIR_F_EFFECT, -1)   /* callee value, args */        \
  X(CALLFN, "callfn", HMIR_F_VALUE | HMIR_F_EFFECT, -1)  /* imm.index: function; args */ \
  X(CALLBI, "callbi", HMIR_F_VALUE | HMIR_F_EFFECT, -1)  /* imm.index: builtin; args */ \
  X(CALLX, "callx", HMIR_F_VALUE | HMIR_F_EFFECT, -1)    /* imm.index: extern; args */  \
  X(FORVAR, "forvar", HMIR_F_VALUE, 1)        /* the counter of a forprep state */    \
  X(ITERVAR, "itervar", HMIR_F_VALUE, 1)      /* the item of an iterprep state */     \
  X(JMP, "jmp", HMIR_F_TERM, 0)               /* -> succ[0] */                        \
  X(BR, "br", HMIR_F_TERM, 1)                 /* truthy -> succ[0], else succ[1] */   \
  X(RET, "ret", HMIR_F_TERM | HMIR_F_EFFECT, 1)                                       \
  X(FORPREP, "forprep", HMIR_F_TERM | HMIR_F_VALUE | HMIR_F_EFFECT | HMIR_F_TRAPS, 3)  \
                               /* start, limit, step; runs -> succ[0] (body), empty -> succ[1] */ \
  X(FORLOOP, "forloop", HMIR_F_TERM | HMIR_F_EFFECT, 1)  /* again -> succ[0], done -> succ[1] */ \
  X(ITERPREP, "iterprep", HMIR_F_TERM | HMIR_F_VALUE | HMIR_F_EFFECT | HMIR_F_TRAPS, 1) \
                               /* array or map -> succ[0] (the iternext block) */    \
  X(ITERNEXT, "iternext", HMIR_F_TERM | HMIR_F_EFFECT, 1)  /* item -> succ[0], done -> succ[1] */

typedef enum hmir_op_e {
#define HMIR_OP_ENUM_(n, s, f, k) HMIR_##n,
  HMIR_OPS(HMIR_OP_ENUM_)
#undef HMIR_OP_ENUM_
  HMIR_OP_COUNT
} hmir_op_t;

typedef struct hmir_opinfo_s {
  const char* name;
  uint8_t flags;   // HMIR_F_*
  int8_t nops;     // fixed operand count, -1 for any
} hmir_opinfo_t;

// Kinds of CONST.
typedef enum hmir_ckind_e {
  HMIR_C_NIL,
  HMIR_C_TRUE,
  HMIR_C_FALSE,
  HMIR_C_INT,
  HMIR_C_FLOAT,
  HMIR_C_STR,
} hmir_ckind_t;

// ----- Memory -----
typedef struct hmir_track_s {
  void* p;          // a block the function allocated
  uint32_t size;    // its size as requested
  hak_site_t site;  // its site
} hmir_track_t;

typedef struct hmir_mem_s {
  const hak_alc_t* alc;  // where every block comes from
  bool bulk;             // alc->release exists: blocks are released in bulk, never tracked
  hmir_track_t* track;   // !bulk: every live block (site mir.track), ntrack used of ctrack
  uint32_t ntrack, ctrack;
  jmp_buf* oom;          // where allocation failure jumps (set by every public entry)
  uint64_t allocs;       // blocks requested
  uint64_t bytes;        // bytes requested
} hmir_mem_t;

// ----- IR -----
typedef struct hmir_instr_s hmir_instr_t;
typedef struct hmir_block_s hmir_block_t;

#define HMIR_INLINE_OPS 3  // operands stored inside the instruction

struct hmir_instr_s {
  hmir_instr_t* prev;      // in the block (NULL: first)
  hmir_instr_t* next;      // in the block (NULL: last)
  hmir_block_t* block;     // owner; NULL once removed
  hmir_instr_t** ops;      // nops operands: inl, or an array of cops (site mir.operands)
  uint32_t nops;
  uint32_t cops;           // capacity of ops
  uint32_t id;             // unique in the function, < func->next_id (indexes pass tables)
  uint32_t line;           // source line (runtime errors, line table)
  uint16_t op;             // hmir_op_t
  uint8_t ckind;           // CONST: hmir_ckind_t
  uint8_t mark;            // pass scratch (cleared by the pass that uses it)
  union {
    int64_t i;             // CONST int
    double f;              // CONST float
    struct {
      const char* s;       // CONST string: bytes (NUL-terminated, may hold NULs)
      uint32_t len;
    } str;
    uint32_t index;        // FNREF, BUILTIN, EXTREF, PARAM, CALLFN, CALLBI, CALLX
  } imm;
  int32_t reg;             // lowering: its register, -1 when it has none
  hmir_instr_t* inl[HMIR_INLINE_OPS];
};

struct hmir_block_s {
  hmir_instr_t* first;     // phis, body, terminator
  hmir_instr_t* last;      // the terminator once the block is complete
  hmir_block_t* succ[2];   // successors, set with the terminator
  uint32_t nsucc;
  hmir_block_t** preds;    // npreds predecessors, in phi operand order (site mir.preds)
  uint32_t npreds, cpreds;
  hmir_block_t* next;      // layout order (NULL: last)
  hmir_block_t* prev;
  uint32_t id;             // unique in the function, < func->next_block
  uint32_t line;           // a source line for the block's own code (jumps)
  // analysis, valid right after the analysis that sets it
  uint32_t rpo;            // reverse post-order number; UINT32_MAX: unreachable
  hmir_block_t* idom;      // immediate dominator (entry: itself)
  uint32_t mark;           // pass scratch
};

struct hmir_func_s {
  hmir_mem_t mem;
  const hlang_program_t* prog;  // the program it was built from
  const char* name;        // as in the program (owned by the program)
  uint32_t index;          // in the program and the module
  uint32_t nparams;
  uint32_t line;           // of the definition
  hmir_block_t* entry;     // == first
  hmir_block_t* first;     // layout order
  hmir_block_t* last;
  uint32_t nblocks;        // blocks in the list
  uint32_t next_id;        // value ids handed out
  uint32_t next_block;     // block ids handed out
};

// ----- SCCP lattice -----
typedef enum hmir_lat_e {
  HMIR_LAT_TOP = 0,  // no value seen yet (unreachable so far)
  HMIR_LAT_CONST,    // always this constant
  HMIR_LAT_BOTTOM,   // varies, or unknown
} hmir_lat_t;

typedef struct hmir_lattice_s {
  uint8_t state;     // hmir_lat_t
  uint8_t ckind;     // CONST: hmir_ckind_t
  uint32_t len;      // string length
  union {
    int64_t i;
    double f;
    const char* s;
  } v;
} hmir_lattice_t;

// ----- Lowering -----
// What a value needs from the register allocator.
typedef enum hmir_vkind_e {
  HMIR_V_NONE = 0,  // defines nothing
  HMIR_V_REG,       // lives in a register (or in a group of 3/4 for loop states)
  HMIR_V_REMAT,     // const, fn, builtin, extern: loaded where a register is needed, never live
  HMIR_V_FUSED,     // a comparison only its branch uses: becomes a compare-and-jump
} hmir_vkind_t;

typedef struct hmir_ids_s {  // a growable array of value ids
  uint32_t* v;
  uint32_t n, cap;
} hmir_ids_t;

typedef struct hmir_move_s {  // one move of a parallel copy
  int dst;                   // register written
  int src;                   // register read, or -1 for a load of `remat`
  const hmir_instr_t* remat; // the value loaded when src < 0
} hmir_move_t;

typedef struct hmir_lower_s {
  hmir_func_t* f;
  hbc_module_t* m;
  hbc_func_t* hf;           // the bytecode function being filled
  char* err;                // limit or internal error message
  size_t errlen;
  jmp_buf* fail;            // where a limit error jumps (after writing err)
  hmir_status_t status;     // what fail means
  hmir_block_t** order;     // reachable blocks in reverse post-order
  uint32_t norder;
  // per value id
  hmir_instr_t** val;       // the instruction of each id (reachable code)
  uint8_t* vkind;           // hmir_vkind_t
  uint32_t* nuses;          // uses in reachable blocks (phi operands of reachable edges included)
  uint8_t* width;           // registers a REG value holds (0: shares its loop state's group)
  int16_t* hint;            // preferred register, -1 none
  hmir_instr_t** phi_of;    // a phi that takes this value as an operand (coalescing hint)
  uint32_t* slot;           // index of the value's first operand in the per-operand tables
  // per operand slot
  uint8_t* dies;            // the operand's register is free after this instruction
  int16_t* tmp;             // register a remat operand is loaded into before its use, -1 none
  int16_t* aux;             // per value id: window base, group base, or scratch register
  int16_t* scratch;         // per value id: a free register for parallel-copy cycles, -1 none
  // per block id
  hmir_ids_t* live_in;      // REG values live at entry (the block's phis excluded)
  hmir_ids_t* live_out;     // REG values live at exit (phi operands of its edges included)
  hbc_label_t* label;       // the block's label
  int maxreg;               // highest register used
} hmir_lower_t;

#endif  // HMIR_TYPES_H
