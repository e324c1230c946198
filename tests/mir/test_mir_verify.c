/* test_mir_verify.c: the verifier accepts what the builder and the passes
   make, and rejects broken IR: each test builds a valid function, breaks one
   invariant through the private API (mir_internal.h), and checks the
   message. */
#include "mir_internal.h"
#include "mir_test.h"

typedef struct fixture_s {
  failing_alc_t t;
  hlang_program_t* prog;
  hmir_func_t* f;
} fixture_t;

// fn f(a, n): a loop, an if/else with a phi, a call.
static const char* const src =
    "fn f(a, n) {\n"
    "  let s = 0;\n"
    "  for i in range(n) { if i > a { s = s + i; } else { s = s - 1; } }\n"
    "  print(s);\n"
    "  return s;\n"
    "}\n";

static int setup(void** state) {
  fixture_t* x = calloc(1, sizeof *x);
  failing_alc_init(&x->t, MIR_ALC_MASK, 0);
  x->prog = hlang_parse(&x->t.alc, "v.hk", src, strlen(src));
  x->f = hmir_build(x->prog, 1, &x->t.alc);
  char err[256];
  assert_int_equal(hmir_verify(x->f, err, sizeof err), 0);
  *state = x;
  return 0;
}

static int teardown(void** state) {
  fixture_t* x = *state;
  hmir_func_free(x->f);
  hlang_program_free(x->prog);
  assert_int_equal(x->t.live, 0);
  free(x);
  return 0;
}

static void expect_reject(fixture_t* x, const char* what) {
  char err[256];
  assert_int_equal(hmir_verify(x->f, err, sizeof err), -1);
  if (!strstr(err, what)) fprintf(stderr, "want '%s' in '%s'\n", what, err);
  assert_non_null(strstr(err, what));
  assert_non_null(strstr(err, "mir verify: fn f:"));
}

// The n-th block in layout order, and its first instruction of op `op`.
static hmir_block_t* block_at(hmir_func_t* f, int n) {
  hmir_block_t* b = f->first;
  while (n-- > 0) b = b->next;
  return b;
}

static hmir_instr_t* find_op(hmir_func_t* f, hmir_op_t op) {
  hmir_foreach_block(f, b) hmir_foreach_instr(b, i) if (i->op == op) return i;
  return NULL;
}

static void test_valid_after_every_pass(void** state) {
  fixture_t* x = *state;
  char err[256];
  for (int k = 0; k < HMIR_PASS_COUNT; k++) {
    assert_true(hmir_run_pass(x->f, (hmir_pass_t)k) >= 0);
    assert_int_equal(hmir_verify(x->f, err, sizeof err), 0);
  }
  assert_int_equal(hmir_optimize(x->f, true, err, sizeof err), 0);
}

static void test_missing_terminator(void** state) {
  fixture_t* x = *state;
  hmir_block_t* b = block_at(x->f, 0);
  _hmir_unlink(b->last);
  expect_reject(x, "does not end in a terminator");
}

static void test_empty_block(void** state) {
  fixture_t* x = *state;
  hmir_block_t* b = block_at(x->f, 2);
  while (b->first) _hmir_unlink(b->first);
  expect_reject(x, "empty block");
}

static void test_terminator_in_middle(void** state) {
  fixture_t* x = *state;
  hmir_block_t* b = block_at(x->f, 0);
  hmir_instr_t* j = _hmir_instr_new(x->f, HMIR_JMP, 0, 1);
  _hmir_insert_before(b->first->next, j);
  expect_reject(x, "terminator in the middle of a block");
}

static void test_phi_after_body(void** state) {
  fixture_t* x = *state;
  hmir_instr_t* phi = find_op(x->f, HMIR_PHI);
  hmir_block_t* b = phi->block;
  _hmir_unlink(phi);
  _hmir_insert_before(b->last, phi);
  expect_reject(x, "phi after a non-phi instruction");
}

static void test_phi_operand_count(void** state) {
  fixture_t* x = *state;
  hmir_instr_t* phi = find_op(x->f, HMIR_PHI);
  phi->nops--;
  expect_reject(x, "phi operand count differs from predecessor count");
}

static void test_pred_without_edge(void** state) {
  fixture_t* x = *state;
  hmir_block_t* b = block_at(x->f, 3);
  _hmir_add_pred(x->f, b, block_at(x->f, 0));
  for (hmir_instr_t* i = b->first; i && i->op == HMIR_PHI; i = i->next) _hmir_phi_add(x->f, i, i->ops[0]);
  expect_reject(x, "predecessor does not list it as successor");
}

static void test_edge_without_pred(void** state) {
  fixture_t* x = *state;
  hmir_block_t* b = block_at(x->f, 0);
  hmir_block_t* s = b->succ[0];
  _hmir_remove_pred_at(s, (uint32_t)_hmir_pred_index(s, b));
  expect_reject(x, "successor does not list it as predecessor");
}

static void test_successor_count(void** state) {
  fixture_t* x = *state;
  hmir_instr_t* br = find_op(x->f, HMIR_BR);
  br->op = HMIR_JMP;
  br->nops = 0;
  expect_reject(x, "successor count does not fit the terminator");
}

static void test_foreign_successor(void** state) {
  fixture_t* x = *state;
  hmir_block_t* stray = _hmir_block_new(x->f, 1);
  _hmir_block_unlink(x->f, stray);
  hmir_instr_t* br = find_op(x->f, HMIR_BR);
  br->block->succ[0] = stray;
  expect_reject(x, "successor is not a block of the function");
}

static void test_not_dominating(void** state) {
  fixture_t* x = *state;
  // the add of the then-branch uses the sub of the else-branch
  hmir_instr_t* add = NULL;
  hmir_instr_t* sub = find_op(x->f, HMIR_SUB);
  hmir_foreach_block(x->f, b) hmir_foreach_instr(b, i) if (i->op == HMIR_ADD && !add) add = i;
  add->ops[1] = sub;
  expect_reject(x, "operand does not dominate its use");
}

static void test_use_before_def(void** state) {
  fixture_t* x = *state;
  hmir_instr_t* sub = find_op(x->f, HMIR_SUB);
  hmir_instr_t* k = sub->ops[1];  // the const 1 just before it
  _hmir_unlink(k);
  _hmir_insert_before(sub->block->last, k);
  expect_reject(x, "operand does not dominate its use");
}

static void test_removed_operand(void** state) {
  fixture_t* x = *state;
  hmir_instr_t* sub = find_op(x->f, HMIR_SUB);
  _hmir_unlink(sub->ops[1]);  // its const operand leaves the function
  expect_reject(x, "operand is not a live instruction of the function");
}

static void test_missing_operand(void** state) {
  fixture_t* x = *state;
  find_op(x->f, HMIR_SUB)->ops[0] = NULL;
  expect_reject(x, "missing operand");
}

static void test_operand_without_value(void** state) {
  fixture_t* x = *state;
  hmir_instr_t* sub = find_op(x->f, HMIR_SUB);
  sub->ops[0] = sub->block->last;  // a jmp defines nothing
  expect_reject(x, "operand defines no value");
}

static void test_operand_count(void** state) {
  fixture_t* x = *state;
  find_op(x->f, HMIR_ADD)->nops = 1;
  expect_reject(x, "wrong operand count");
}

static void test_entry_with_preds(void** state) {
  fixture_t* x = *state;
  hmir_block_t* e = x->f->entry;
  hmir_block_t* last = x->f->last;  // ends in ret: give it a jmp to the entry instead
  _hmir_unlink(last->last);
  _hmir_terminate(x->f, last, _hmir_instr_new(x->f, HMIR_JMP, 0, 1), e, NULL);
  expect_reject(x, "entry block has predecessors");
}

static void test_loop_state(void** state) {
  fixture_t* x = *state;
  hmir_instr_t* fv = find_op(x->f, HMIR_FORVAR);
  fv->ops[0] = find_op(x->f, HMIR_PARAM);
  expect_reject(x, "loop operation on something that is not its loop state");
}

static void test_bad_immediates(void** state) {
  fixture_t* x = *state;
  hmir_instr_t* call = find_op(x->f, HMIR_CALLBI);
  call->imm.index = HBC_BI_COUNT;
  expect_reject(x, "bad builtin id");
}

static void test_bad_const(void** state) {
  fixture_t* x = *state;
  find_op(x->f, HMIR_CONST)->ckind = 99;
  expect_reject(x, "bad constant kind");
}

static void test_block_list(void** state) {
  fixture_t* x = *state;
  x->f->nblocks++;
  expect_reject(x, "block count or last block wrong");
}

static void test_instr_list(void** state) {
  fixture_t* x = *state;
  hmir_block_t* b = block_at(x->f, 0);
  b->first->next->prev = NULL;
  expect_reject(x, "broken instruction list");
}

static void test_owner(void** state) {
  fixture_t* x = *state;
  hmir_block_t* b = block_at(x->f, 0);
  b->first->block = block_at(x->f, 1);
  expect_reject(x, "instruction does not point at its block");
}

static void test_map_odd(void** state) {
  fixture_t* x = *state;
  hmir_instr_t* m = _hmir_instr_new(x->f, HMIR_MAP, 1, 1);
  m->ops[0] = find_op(x->f, HMIR_PARAM);
  _hmir_insert_before(x->f->entry->last, m);
  expect_reject(x, "map with an odd operand count");
}

static void test_call_without_callee(void** state) {
  fixture_t* x = *state;
  hmir_instr_t* c = _hmir_instr_new(x->f, HMIR_CALL, 0, 1);
  _hmir_insert_before(x->f->entry->last, c);
  expect_reject(x, "call without callee");
}

int main(void) {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_valid_after_every_pass), T(test_missing_terminator), T(test_empty_block),
      T(test_terminator_in_middle),   T(test_phi_after_body),     T(test_phi_operand_count),
      T(test_pred_without_edge),      T(test_edge_without_pred),  T(test_successor_count),
      T(test_foreign_successor),      T(test_not_dominating),     T(test_use_before_def),
      T(test_removed_operand),        T(test_missing_operand),    T(test_operand_without_value),
      T(test_operand_count),          T(test_entry_with_preds),   T(test_loop_state),
      T(test_bad_immediates),         T(test_bad_const),          T(test_block_list),
      T(test_instr_list),             T(test_owner),              T(test_map_odd),
      T(test_call_without_callee),
  };
#undef T
  return cmocka_run_group_tests(tests, NULL, NULL);
}
