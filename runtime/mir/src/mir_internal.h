/* mir_internal.h: cross-file functions of runtime/mir, grouped by file, and
   the small inline helpers every pass uses.

   Allocation never returns NULL inside the MIR: _hmir_alloc longjmps to
   f->mem.oom, which every public entry (hmir_build, hmir_run_pass,
   hmir_lower, ...) sets with setjmp. After such a jump the function is only
   fit for hmir_func_free, which needs nothing but the memory bookkeeping. */
#ifndef HMIR_INTERNAL_H
#define HMIR_INTERNAL_H

#include <stdarg.h>
#include <string.h>

#include "mir_types.h"

#if defined(__GNUC__)
#define hmir_unlikely(x) (__builtin_expect(!!(x), 0))
#define hmir_attr_printf(f, a) __attribute__((format(printf, f, a)))
#else
#define hmir_unlikely(x) (x)
#define hmir_attr_printf(f, a)
#endif

// ----- Sites -----
#define HMIR_SITE(name) HAK_SITE(HAK_SUBSYS("mir"), name)

// "mem.c"
void _hmir_mem_init(hmir_mem_t* mem, const hak_alc_t* alc);
void* _hmir_alloc(hmir_func_t* f, size_t size, hak_site_t site);  // never NULL
// A copy of p (old bytes) in a new block of `size` bytes; p stays allocated
// until the function is released (arrays grow geometrically, so the waste is
// bounded by the live size).
void* _hmir_grow(hmir_func_t* f, const void* p, size_t old, size_t size, hak_site_t site);
void _hmir_mem_release(hmir_mem_t* mem);

// "func.c"
extern const hmir_opinfo_t _hmir_opinfo[HMIR_OP_COUNT];
hmir_func_t* _hmir_func_new(const hak_alc_t* alc, jmp_buf* oom);
hmir_block_t* _hmir_block_new(hmir_func_t* f, uint32_t line);
hmir_instr_t* _hmir_instr_new(hmir_func_t* f, hmir_op_t op, uint32_t nops, uint32_t line);
void _hmir_append(hmir_block_t* b, hmir_instr_t* i);
void _hmir_insert_before(hmir_instr_t* pos, hmir_instr_t* i);
void _hmir_insert_after_phis(hmir_block_t* b, hmir_instr_t* i);
void _hmir_unlink(hmir_instr_t* i);
void _hmir_phi_add(hmir_func_t* f, hmir_instr_t* phi, hmir_instr_t* v);
void _hmir_ops_resize(hmir_func_t* f, hmir_instr_t* i, uint32_t nops);
void _hmir_add_pred(hmir_func_t* f, hmir_block_t* b, hmir_block_t* pred);
void _hmir_remove_pred_at(hmir_block_t* b, uint32_t k);
int _hmir_pred_index(const hmir_block_t* b, const hmir_block_t* pred);
// Ends b with terminator t and successors s0, s1 (NULL when absent); adds b
// to their predecessors (phis of the successors get no operand: the caller adds them).
void _hmir_terminate(hmir_func_t* f, hmir_block_t* b, hmir_instr_t* t, hmir_block_t* s0, hmir_block_t* s1);
void _hmir_block_unlink(hmir_func_t* f, hmir_block_t* b);
void _hmir_make_const(hmir_instr_t* i, const hmir_lattice_t* c);
void _hmir_make_copy(hmir_func_t* f, hmir_instr_t* i, hmir_instr_t* v);

// "analysis.c"
// Numbers reachable blocks in reverse post-order (b->rpo; UINT32_MAX when
// unreachable) and returns them in that order (array of *n, site mir.pass).
hmir_block_t** _hmir_rpo(hmir_func_t* f, uint32_t* n);
// Sets b->idom of every reachable block (Cooper, Harvey, Kennedy); needs _hmir_rpo's order.
void _hmir_dominators(hmir_block_t** order, uint32_t n);
bool _hmir_dominates(const hmir_block_t* a, const hmir_block_t* b);

// "build.c"
void _hmir_build_fn(hmir_func_t* f, const hlang_program_t* prog, uint32_t index);

// Passes: "sccp.c", "copyprop.c", "cfg.c", "dce.c". 1 changed, 0 not.
int _hmir_sccp(hmir_func_t* f);
int _hmir_copyprop(hmir_func_t* f);
int _hmir_cfg(hmir_func_t* f);
int _hmir_dce(hmir_func_t* f);

// "fold.c": evaluation of foldable ops on constants, with the VM's semantics.
// Returns false when the op would fail at run time or is not folded.
bool _hmir_fold(hmir_func_t* f, hmir_op_t op, const hmir_lattice_t* a, const hmir_lattice_t* b, hmir_lattice_t* out);
bool _hmir_lat_truthy(const hmir_lattice_t* c);
bool _hmir_lat_same(const hmir_lattice_t* a, const hmir_lattice_t* b);
void _hmir_lat_of_const(const hmir_instr_t* i, hmir_lattice_t* out);

// "form.c": which bytecode form an instruction takes; the register allocator
// and the emitter ask the same questions, so they always agree.
typedef struct hmir_cmpform_s {
  hbc_op_t op;   // JEQ, JLT, JLE (registers), JEQK, JEQI, JLTI, JLEI, JGTI, JGEI
  int ra;        // operand index of the register in A
  int rb;        // operand index of the register in B, or -1 when B is imm
  int imm;       // sB or K index when rb < 0
  bool negate;   // jump when the comparison is false (ne)
} hmir_cmpform_t;
bool _hmir_small_int(const hmir_instr_t* v, int lo, int hi, int* out);
bool _hmir_arith_form(hmir_lower_t* lw, const hmir_instr_t* i, hbc_op_t* op, int* imm);
bool _hmir_key_form(hmir_lower_t* lw, const hmir_instr_t* key, bool set, hbc_op_t* op, int* imm);
void _hmir_cmp_form(hmir_lower_t* lw, const hmir_instr_t* cmp, hmir_cmpform_t* out);
bool _hmir_needs_temp(hmir_lower_t* lw, const hmir_instr_t* i, uint32_t k);
int _hmir_kindex(hmir_lower_t* lw, const hmir_instr_t* c);  // constant table index of a CONST
void _hmir_lower_fail(hmir_lower_t* lw, hmir_status_t st, uint32_t line, const char* fmt, ...) hmir_attr_printf(4, 5);

// "regalloc.c": classification, liveness, coloring.
void _hmir_ra_run(hmir_lower_t* lw);
void _hmir_ids_add(hmir_func_t* f, hmir_ids_t* s, uint32_t id);

// "lower.c"
hmir_status_t _hmir_lower(hmir_func_t* f, hbc_module_t* m, uint32_t hbc_index, char* err, size_t errlen);

// ----- Helpers -----
static inline const hmir_opinfo_t* hmir_info(const hmir_instr_t* i) { return &_hmir_opinfo[i->op]; }
static inline bool hmir_is_term(const hmir_instr_t* i) { return (_hmir_opinfo[i->op].flags & HMIR_F_TERM) != 0; }
static inline bool hmir_has_value(const hmir_instr_t* i) { return (_hmir_opinfo[i->op].flags & HMIR_F_VALUE) != 0; }
static inline bool hmir_is_phi(const hmir_instr_t* i) { return i->op == HMIR_PHI; }
static inline bool hmir_is_cmp(const hmir_instr_t* i) { return i->op >= HMIR_EQ && i->op <= HMIR_GE; }
static inline bool hmir_is_window(const hmir_instr_t* i) {
  return i->op == HMIR_CALL || i->op == HMIR_CALLFN || i->op == HMIR_CALLBI || i->op == HMIR_CALLX || i->op == HMIR_ARRAY ||
         i->op == HMIR_MAP;
}

#define hmir_foreach_block(f, b) for (hmir_block_t* b = (f)->first; b; b = b->next)
#define hmir_foreach_instr(b, i) for (hmir_instr_t* i = (b)->first; i; i = i->next)
// Safe against removal of i.
#define hmir_foreach_instr_safe(b, i, nx) for (hmir_instr_t *i = (b)->first, *nx = i ? i->next : NULL; i; i = nx, nx = i ? i->next : NULL)

#endif  // HMIR_INTERNAL_H
