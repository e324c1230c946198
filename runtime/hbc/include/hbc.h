/* hbc.h: hk bytecode (HBC), the instruction set the MIR lowering emits and the
   VM (runtime/vm) runs.

   Design
   - Register machine, in the manner of Lua 5.4: every instruction is one
     32-bit word, `op | A<<8 | B<<16 | C<<24`, or `op | A<<8 | Bx<<16`, or
     `op | sJ<<8`. Some instructions carry one extra 32-bit word right after
     them (W: a jump offset, a function, builtin or extern index). Registers
     R[0..nregs-1] are the frame of a function; a function's parameters arrive
     in R[0..arity-1]; nregs <= 256.
   - Conditional jumps are fused with their comparison (JLT A B k + W: jump
     when (R[A] < R[B]) == k), so a loop test costs one dispatch. The k flag
     keeps NaN semantics exact: `if not (a < b)` is JLT with k = 0, which is not
     the same as JLE b a.
   - Jump offsets: JMP's sJ is relative to the instruction after the JMP; a W
     jump word is relative to the W word itself (taken: pc = &W + W).
   - Calls pass arguments in consecutive registers; the VM copies them into the
     callee's fresh frame, so the caller's other registers are untouched.
   - Each function has its own constant table (nil, bools, ints, floats,
     strings) and a line table with one entry per code word.
   - A module is immutable once hbc_module_finish returned 0: threads share it.
     It is allocated through a hak_alc_t with vm.* sites (vm.code, vm.const,
     vm.module), so it outlives the MIR heap's bulk release.

   Use (the MIR lowering, or a test):
     hbc_module_t* m = hbc_module_new(hak_alc_default(), "fib.hk");
     int fi = hbc_func_new(m, "fib", 1, 1);
     hbc_func_t* f = hbc_module_func(m, fi);
     hbc_label_t done = hbc_label_new(f);
     hbc_emit_jump(f, HBC_OP_JGEI, 0, 2, 1, done, 1);   // if n >= 2 goto done
     hbc_emit_abc(f, HBC_OP_RET, 0, 0, 0, 1);           // return n
     hbc_label_bind(f, done);
     ...
     hbc_module_set_main(m, main_index);
     if (hbc_module_finish(m, err, sizeof err) != 0) { report err; }
     ... hbc_module_free(m);
   Builder errors (out of memory, operand out of range) are sticky: the emit
   functions return -1 and hbc_module_finish reports the first one. */
#ifndef HBC_H
#define HBC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hakmem.h"

#ifdef __cplusplus
extern "C" {
#endif

// ----- Instruction formats -----
// A format string has one role letter per field:
//   3 letters: A, B, C of `op A B C` (8 bits each)
//   4 letters: A, B, C and the W word that follows the instruction
//   2 letters: A and Bx of `op A Bx` (Bx 16 bits; uppercase role)
//   "J":       sJ of `op sJ` (24 bits, signed)
// Roles of A/B/C:
//   '-' unused (0)          'r' a register            'k' constant index (< 256)
//   'i' signed 8-bit int    'u' unsigned 8-bit count   'f' flag 0/1 (k)
//   'c' call window: callee R[B], arguments R[B+1..B+C]
//   'v' vector: R[B..B+C-1]  'p' pairs: R[B..B+2C-1]
//   '3' / '4' a block of 3 / 4 registers starting at R[A] (iteration / range loop state)
// Roles of Bx: 'K' constant index, 'I' signed 16-bit int, 'F' function index,
//   'B' builtin id, 'X' extern index.
// Roles of W: 'j' jump offset (relative to W), 'F' function, 'B' builtin, 'X' extern.
//
// HBC_OPS(X): X(name, format, description). The order is the opcode number.
#define HBC_OPS(X)                                                                          \
  X(NOP, "---", "no operation")                                                            \
  X(MOVE, "rr-", "R[A] = R[B]")                                                            \
  X(LOADNIL, "r--", "R[A] = nil")                                                          \
  X(LOADTRUE, "r--", "R[A] = true")                                                        \
  X(LOADFALSE, "r--", "R[A] = false")                                                      \
  X(LOADI, "rI", "R[A] = sBx (int)")                                                       \
  X(LOADF, "rI", "R[A] = sBx (as a float)")                                                \
  X(LOADK, "rK", "R[A] = K[Bx]")                                                           \
  X(LOADFN, "rF", "R[A] = function Bx (a function value)")                                \
  X(LOADBI, "rB", "R[A] = builtin Bx (a function value)")                                  \
  X(LOADEXT, "rX", "R[A] = extern Bx (a function value)")                                  \
  X(ADD, "rrr", "R[A] = R[B] + R[C] (numbers, or two strings: concatenation)")            \
  X(SUB, "rrr", "R[A] = R[B] - R[C]")                                                      \
  X(MUL, "rrr", "R[A] = R[B] * R[C]")                                                      \
  X(DIV, "rrr", "R[A] = R[B] / R[C] (int / int truncates; by 0 is an error)")              \
  X(MOD, "rrr", "R[A] = R[B] % R[C] (int % 0 is an error)")                                \
  X(ADDK, "rrk", "R[A] = R[B] + K[C]")                                                     \
  X(SUBK, "rrk", "R[A] = R[B] - K[C]")                                                     \
  X(MULK, "rrk", "R[A] = R[B] * K[C]")                                                     \
  X(DIVK, "rrk", "R[A] = R[B] / K[C]")                                                     \
  X(MODK, "rrk", "R[A] = R[B] % K[C]")                                                     \
  X(ADDI, "rri", "R[A] = R[B] + sC")                                                       \
  X(UNM, "rr-", "R[A] = -R[B]")                                                            \
  X(NOT, "rr-", "R[A] = not R[B] (true when R[B] is nil or false)")                        \
  X(EQ, "rrr", "R[A] = R[B] == R[C]")                                                      \
  X(NE, "rrr", "R[A] = R[B] != R[C]")                                                      \
  X(LT, "rrr", "R[A] = R[B] < R[C]")                                                       \
  X(LE, "rrr", "R[A] = R[B] <= R[C]")                                                      \
  X(JMP, "J", "pc += sJ")                                                                  \
  X(JT, "r--j", "if R[A] is truthy: jump W")                                               \
  X(JF, "r--j", "if R[A] is nil or false: jump W")                                         \
  X(JEQ, "rrfj", "if (R[A] == R[B]) == k: jump W")                                         \
  X(JLT, "rrfj", "if (R[A] < R[B]) == k: jump W")                                          \
  X(JLE, "rrfj", "if (R[A] <= R[B]) == k: jump W")                                         \
  X(JEQK, "rkfj", "if (R[A] == K[B]) == k: jump W")                                        \
  X(JEQI, "rifj", "if (R[A] == sB) == k: jump W")                                          \
  X(JLTI, "rifj", "if (R[A] < sB) == k: jump W")                                           \
  X(JLEI, "rifj", "if (R[A] <= sB) == k: jump W")                                          \
  X(JGTI, "rifj", "if (R[A] > sB) == k: jump W")                                           \
  X(JGEI, "rifj", "if (R[A] >= sB) == k: jump W")                                          \
  X(NEWARR, "rvu", "R[A] = [R[B], ..., R[B+C-1]]")                                         \
  X(NEWMAP, "rpu", "R[A] = {R[B]: R[B+1], ..., R[B+2C-2]: R[B+2C-1]}")                     \
  X(APPEND, "rr-", "push(R[A], R[B]) (array literals longer than 255)")                    \
  X(GETINDEX, "rrr", "R[A] = R[B][R[C]]")                                                  \
  X(SETINDEX, "rrr", "R[A][R[B]] = R[C]")                                                  \
  X(GETINDEXI, "rru", "R[A] = R[B][C] (C an unsigned 8-bit int)")                          \
  X(SETINDEXI, "rur", "R[A][B] = R[C] (B an unsigned 8-bit int)")                          \
  X(GETFIELD, "rrk", "R[A] = R[B][K[C]] (m.k)")                                            \
  X(SETFIELD, "rkr", "R[A][K[B]] = R[C] (m.k = v)")                                        \
  X(FORPREP, "4--j", "range loop entry: R[A..A+2] = start, limit, step; empty: jump W; "   \
                     "else R[A+3] = start")                                                \
  X(FORLOOP, "4--j", "range loop step: advance; if not done: R[A+3] = counter, jump W")    \
  X(ITERPREP, "3--j", "for-in entry: R[A] = array or map; R[A+1] = cursor; jump W "        \
                      "(to the ITERNEXT)")                                                 \
  X(ITERNEXT, "3--j", "for-in step: if an item is left: R[A+2] = value (array) or key "    \
                      "(map), jump W (to the body)")                                       \
  X(CALL, "rcu", "R[A] = R[B](R[B+1], ..., R[B+C]) (any function value)")                  \
  X(CALLF, "rvuF", "R[A] = function W(R[B], ..., R[B+C-1])")                               \
  X(CALLB, "rvuB", "R[A] = builtin W(R[B], ..., R[B+C-1])")                                \
  X(CALLX, "rvuX", "R[A] = extern W(R[B], ..., R[B+C-1])")                                 \
  X(RET, "r--", "return R[A]")                                                             \
  X(RETNIL, "---", "return nil")

typedef enum hbc_op_e {
#define HBC_OP_ENUM_(name, fmt, doc) HBC_OP_##name,
  HBC_OPS(HBC_OP_ENUM_)
#undef HBC_OP_ENUM_
  HBC_OP_COUNT
} hbc_op_t;

// ----- Encoding -----
typedef uint32_t hbc_ins_t;

#define HBC_MAXREGS 256     // registers per frame (A, B, C are 8 bits)
#define HBC_MAXARGS 255     // arguments of one call (C is 8 bits)
#define HBC_BX_MAX 0xFFFF   // largest Bx
#define HBC_SBX_MIN (-32768)
#define HBC_SBX_MAX 32767
#define HBC_SJ_MIN (-(1 << 23))
#define HBC_SJ_MAX ((1 << 23) - 1)
#define HBC_SC_MIN (-128)   // signed 8-bit immediates (sB, sC)
#define HBC_SC_MAX 127

#define HBC_ABC(op, a, b, c) \
  ((hbc_ins_t)(op) | ((hbc_ins_t)(a) << 8) | ((hbc_ins_t)(uint8_t)(b) << 16) | ((hbc_ins_t)(uint8_t)(c) << 24))
#define HBC_ABX(op, a, bx) ((hbc_ins_t)(op) | ((hbc_ins_t)(a) << 8) | ((hbc_ins_t)(uint16_t)(bx) << 16))
#define HBC_SJ(op, sj) ((hbc_ins_t)(op) | ((hbc_ins_t)(sj) << 8))

#define HBC_GET_OP(i) ((hbc_op_t)((i) & 0xFF))
#define HBC_GET_A(i) ((unsigned)(((i) >> 8) & 0xFF))
#define HBC_GET_B(i) ((unsigned)(((i) >> 16) & 0xFF))
#define HBC_GET_C(i) ((unsigned)((i) >> 24))
#define HBC_GET_SB(i) ((int)(int8_t)(((i) >> 16) & 0xFF))
#define HBC_GET_SC(i) ((int)(int8_t)((i) >> 24))
#define HBC_GET_BX(i) ((unsigned)((i) >> 16))
#define HBC_GET_SBX(i) ((int)(int16_t)((i) >> 16))
#define HBC_GET_SJ(i) (((int32_t)(i)) >> 8)

// ----- Constants -----
typedef enum hbc_const_kind_e {
  HBC_K_NIL,
  HBC_K_TRUE,
  HBC_K_FALSE,
  HBC_K_INT,
  HBC_K_FLOAT,
  HBC_K_STR,
} hbc_const_kind_t;

typedef struct hbc_const_s {
  hbc_const_kind_t kind;
  uint32_t len;  // HBC_K_STR: bytes, without the terminating NUL
  union {
    int64_t i;      // HBC_K_INT
    double f;       // HBC_K_FLOAT
    const char* s;  // HBC_K_STR: len bytes + NUL, owned by the module (may contain NULs)
  } u;
} hbc_const_t;

// ----- Builtins -----
#define HBC_VARIADIC 255  // max_arity of a variadic builtin
// HBC_BUILTINS(X): X(ID, "name", min_arity, max_arity, description); the
// order is the builtin id. Every builtin of docs/language.md.
#define HBC_BUILTINS(X)                                                                 \
  X(PRINT, "print", 0, HBC_VARIADIC, "write values separated by spaces and a newline") \
  X(LEN, "len", 1, 1, "bytes of a string, items of an array or map")                   \
  X(PUSH, "push", 2, 2, "append to an array, returns nil")                             \
  X(POP, "pop", 1, 1, "remove and return the last item (error when empty)")            \
  X(KEYS, "keys", 1, 1, "array of a map's keys in insertion order")                    \
  X(HAS, "has", 2, 2, "true when a map has a key")                                     \
  X(DEL, "del", 2, 2, "remove a key from a map, returns nil")                          \
  X(STR, "str", 1, 1, "the value as print writes it")                                  \
  X(INT, "int", 1, 1, "int from int, float (truncating), whole decimal string")        \
  X(FLOAT, "float", 1, 1, "float from int, float or decimal string")                   \
  X(TYPE, "type", 1, 1, "name of the value's type")                                    \
  X(SUBSTR, "substr", 3, 3, "substr(s, start, count)")                                 \
  X(FIND, "find", 2, 2, "index of sub in s, or -1")                                    \
  X(SPLIT, "split", 2, 2, "split(s, sep): array of strings")                           \
  X(JOIN, "join", 1, 2, "join(array_of_strings, sep), or join(thread)")                \
  X(UPPER, "upper", 1, 1, "ASCII upper case")                                          \
  X(LOWER, "lower", 1, 1, "ASCII lower case")                                          \
  X(JSON_PARSE, "json_parse", 1, 1, "parse RFC 8259 JSON")                             \
  X(JSON_STRINGIFY, "json_stringify", 1, 2, "write JSON, compact or indented")          \
  X(CLOCK, "clock", 0, 0, "monotonic seconds as a float")                              \
  X(ARGS, "args", 0, 0, "the script's arguments as an array of strings")               \
  X(EXIT, "exit", 0, 1, "exit the process with a status (default 0)")                  \
  X(RANGE, "range", 1, 3, "range([a,] b [, step]) as an array of ints")                \
  X(SPAWN, "spawn", 1, HBC_VARIADIC, "spawn(f, args...): run f on a new thread")       \
  X(CHAN, "chan", 0, 0, "a new unbounded channel")                                     \
  X(SEND, "send", 2, 2, "send(c, v): deep-copy v into the channel")                    \
  X(RECV, "recv", 1, 1, "next value, or nil once closed and empty (blocks)")           \
  X(CLOSE, "close", 1, 1, "close a channel")

typedef enum hbc_builtin_e {
#define HBC_BUILTIN_ENUM_(id, name, mina, maxa, doc) HBC_BI_##id,
  HBC_BUILTINS(HBC_BUILTIN_ENUM_)
#undef HBC_BUILTIN_ENUM_
  HBC_BI_COUNT
} hbc_builtin_t;

typedef struct hbc_builtin_info_s {
  const char* name;     // as written in scripts
  uint8_t min_arity;    // fewest arguments
  uint8_t max_arity;    // most arguments; HBC_VARIADIC = no limit (<= HBC_MAXARGS)
  const char* doc;      // one line
} hbc_builtin_info_t;

// The builtin with that name, or -1.
int hbc_builtin_lookup(const char* name);
// Name and arities of a builtin id; NULL when out of range.
const hbc_builtin_info_t* hbc_builtin_info(unsigned id);

// ----- Externs (FFI) -----
#define HBC_EXTERN_MAXPARAMS 8
typedef enum hbc_ffi_type_e {
  HBC_FFI_VOID,  // return only
  HBC_FFI_I64,   // int
  HBC_FFI_F64,   // float (an int argument is converted)
  HBC_FFI_STR,   // string as a NUL-terminated const char*; as a return: copied, NULL -> nil
  HBC_FFI_PTR,   // an opaque pointer carried as an int
} hbc_ffi_type_t;

typedef struct hbc_extern_s {
  const char* lib;      // library to dlopen ("libm.so.6"), owned by the module
  const char* sym;      // symbol name, owned by the module
  uint8_t nparams;      // 0..HBC_EXTERN_MAXPARAMS
  uint8_t ret;          // hbc_ffi_type_t
  uint8_t params[HBC_EXTERN_MAXPARAMS];  // hbc_ffi_type_t, never VOID
  uint32_t line;        // line of the declaration
} hbc_extern_t;

// ----- Functions and modules -----
typedef uint32_t hbc_label_t;
#define HBC_LABEL_NONE UINT32_MAX

typedef struct hbc_fixup_s hbc_fixup_t;  // builder-private

typedef struct hbc_func_s {
  struct hbc_module_s* module;  // owner
  const char* name;      // as in tracebacks ("fib", "<main>"), owned by the module
  uint32_t index;        // position in hbc_module_t.funcs
  uint16_t arity;        // parameters, in R[0..arity-1]
  uint16_t nregs;        // frame size: max(set by hbc_func_set_nregs, highest register used + 1)
  uint32_t line;         // line of the definition
  hbc_ins_t* code;       // ncode words
  uint32_t* lines;       // source line of each code word (ncode entries)
  uint32_t ncode;        // words of code
  uint32_t ccode;        // capacity of code (builder)
  uint32_t clines;       // capacity of lines (builder)
  hbc_const_t* consts;   // nconsts constants
  uint32_t nconsts;
  uint32_t cconsts;      // capacity (builder)
  // builder state: labels and pending jumps, freed by hbc_module_finish
  uint32_t* labels;      // label -> pc, UINT32_MAX while unbound
  uint32_t nlabels, clabels;
  hbc_fixup_t* fixups;   // jumps waiting for their label
  uint32_t nfixups, cfixups;
  uint32_t* khash;       // constant dedup table (indices + 1; 0 = empty), builder
  uint32_t ckhash;       // slots, a power of two or 0
} hbc_func_t;

typedef struct hbc_module_s {
  const hak_alc_t* alc;  // everything of the module comes from here (vm.* sites)
  const char* file;      // source file name, as in error messages
  hbc_func_t** funcs;    // nfuncs functions
  uint32_t nfuncs, cfuncs;
  hbc_extern_t* externs; // nexterns extern declarations
  uint32_t nexterns, cexterns;
  uint32_t main;         // index of the script body (a function of arity 0)
  int finished;          // 1 after a successful hbc_module_finish
  char err[160];         // first builder error ("" when none)
} hbc_module_t;

// ----- Builder -----
// A new empty module for source file `file` (copied). NULL alc: hak_alc_default().
// NULL on out of memory.
hbc_module_t* hbc_module_new(const hak_alc_t* alc, const char* file);
// Frees the module and everything it owns. NULL: no-op.
void hbc_module_free(hbc_module_t* m);
// Adds a function (name copied) and returns its index, or -1 (out of memory,
// arity > HBC_MAXARGS, more than 65535 functions).
int hbc_func_new(hbc_module_t* m, const char* name, unsigned arity, uint32_t line);
// The function of that index; NULL out of range.
hbc_func_t* hbc_module_func(const hbc_module_t* m, uint32_t index);
// The function named `name`, or -1.
int hbc_module_find_func(const hbc_module_t* m, const char* name);
// Chooses the script body (must have arity 0). Default: function 0.
void hbc_module_set_main(hbc_module_t* m, uint32_t index);
// Raises the frame size of f to at least nregs (<= HBC_MAXREGS).
void hbc_func_set_nregs(hbc_func_t* f, unsigned nregs);

// Appends one raw code word and returns its pc, or -1 on error.
int32_t hbc_emit(hbc_func_t* f, hbc_ins_t word, uint32_t line);
// Appends `op A B C` (signed roles take their value as an int: pass -3 for sC),
// checking every operand against the op's format; ops with a W word are not
// accepted here (use the functions below). Returns the pc or -1.
int32_t hbc_emit_abc(hbc_func_t* f, hbc_op_t op, int a, int b, int c, uint32_t line);
// Appends `op A Bx` (for LOADI/LOADF bx is signed). Returns the pc or -1.
int32_t hbc_emit_abx(hbc_func_t* f, hbc_op_t op, int a, int32_t bx, uint32_t line);
// Appends an op whose W word is a function, builtin or extern index (CALLF,
// CALLB, CALLX). Returns the pc or -1.
int32_t hbc_emit_call(hbc_func_t* f, hbc_op_t op, int a, int b, int c, uint32_t index, uint32_t line);

// Labels: a jump to a label is patched when the label is bound (before or
// after the jump). Every label that is jumped to must be bound before
// hbc_module_finish.
hbc_label_t hbc_label_new(hbc_func_t* f);
// Binds label l to the current end of f's code. Returns 0 or -1.
int hbc_label_bind(hbc_func_t* f, hbc_label_t l);
// The pc a label is bound to; UINT32_MAX when unbound or unknown (and after
// hbc_module_finish, which frees the builder state).
uint32_t hbc_label_pc(const hbc_func_t* f, hbc_label_t l);
// Appends a jumping op to label `target`: JMP (a, b, c ignored) or any op with
// a W jump word (JT, JF, JEQ..JGEI, FORPREP, FORLOOP, ITERPREP, ITERNEXT).
// Returns the pc of the instruction or -1.
int32_t hbc_emit_jump(hbc_func_t* f, hbc_op_t op, int a, int b, int c, hbc_label_t target, uint32_t line);
// Points the jump of the instruction at `pc` to `target_pc` (for callers that
// manage their own jump lists). Returns 0, or -1 if pc is not a jump or the
// offset does not fit.
int hbc_patch_jump(hbc_func_t* f, uint32_t pc, uint32_t target_pc);

// Constants of f (deduplicated: the same value gives the same index).
// Return the index or -1.
int hbc_const_nil(hbc_func_t* f);
int hbc_const_bool(hbc_func_t* f, int v);
int hbc_const_int(hbc_func_t* f, int64_t v);
int hbc_const_float(hbc_func_t* f, double v);
int hbc_const_str(hbc_func_t* f, const char* s, size_t len);

// Adds an extern declaration (lib and sym copied; params has nparams entries)
// and returns its index, or -1 (nparams > 8, a VOID parameter, out of memory).
int hbc_extern_new(hbc_module_t* m, const char* lib, const char* sym, hbc_ffi_type_t ret, unsigned nparams,
                   const hbc_ffi_type_t* params, uint32_t line);

// Ends building: resolves labels, frees builder state, verifies every
// function (operands in range, registers < nregs, jumps inside the code,
// function, builtin and extern indices valid, arities of direct builtin calls,
// code ends in a jump or return). Returns 0, or -1 with a message in err
// (errlen bytes, may be 0) and in m->err.
int hbc_module_finish(hbc_module_t* m, char* err, size_t errlen);

// ----- Introspection -----
// Name of an op ("ADD"), format string, description; NULL out of range.
const char* hbc_op_name(unsigned op);
const char* hbc_op_format(unsigned op);
const char* hbc_op_doc(unsigned op);
// Code words of an instruction with this op (1 or 2).
unsigned hbc_op_size(unsigned op);
// The type name of an FFI type ("i64").
const char* hbc_ffi_type_name(hbc_ffi_type_t t);

// Writes a text dump of the module (externs, then every function: header,
// constants, one line per instruction with pc, source line, operands and
// decoded targets) to out.
void hbc_module_dump(const hbc_module_t* m, FILE* out);
// Writes one function.
void hbc_func_dump(const hbc_module_t* m, const hbc_func_t* f, FILE* out);
// Writes the instruction at pc of f (no newline); returns its size in words.
unsigned hbc_ins_dump(const hbc_module_t* m, const hbc_func_t* f, uint32_t pc, FILE* out);

#ifdef __cplusplus
}
#endif

#endif  // HBC_H
