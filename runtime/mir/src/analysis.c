/* analysis.c: reverse post-order and dominators.

   Both are iterative (explicit DFS stack, Cooper-Harvey-Kennedy fixpoint over
   RPO numbers), so a function of any size cannot overflow the C stack. The
   results live in the blocks (rpo, idom) and hold until the CFG changes. */
#include "mir_internal.h"

hmir_block_t** _hmir_rpo(hmir_func_t* f, uint32_t* n) {
  uint32_t nb = f->nblocks;
  hmir_block_t** order = _hmir_alloc(f, (nb + 1) * sizeof *order, HMIR_SITE("mir.pass"));
  hmir_block_t** stack = _hmir_alloc(f, (nb + 1) * sizeof *stack, HMIR_SITE("mir.pass"));
  uint8_t* next_succ = _hmir_alloc(f, f->next_block + 1, HMIR_SITE("mir.pass"));
  memset(next_succ, 0, f->next_block + 1);
  hmir_foreach_block(f, b) {
    b->rpo = UINT32_MAX;
    b->mark = 0;  // 1: visited
  }
  uint32_t sp = 0, post = nb;
  stack[sp++] = f->entry;
  f->entry->mark = 1;
  while (sp) {  // post-order fills `order` from the back
    hmir_block_t* b = stack[sp - 1];
    if (next_succ[b->id] < b->nsucc) {
      hmir_block_t* s = b->succ[next_succ[b->id]++];
      if (!s->mark) {
        s->mark = 1;
        stack[sp++] = s;
      }
    } else {
      order[--post] = b;
      sp--;
    }
  }
  uint32_t count = nb - post;
  memmove(order, order + post, count * sizeof *order);
  for (uint32_t k = 0; k < count; k++) order[k]->rpo = k;
  *n = count;
  return order;
}

static hmir_block_t* hmir_intersect(hmir_block_t* a, hmir_block_t* b) {
  while (a != b) {
    while (a->rpo > b->rpo) a = a->idom;
    while (b->rpo > a->rpo) b = b->idom;
  }
  return a;
}

void _hmir_dominators(hmir_block_t** order, uint32_t n) {
  for (uint32_t k = 0; k < n; k++) order[k]->idom = NULL;
  order[0]->idom = order[0];
  bool changed = true;
  while (changed) {
    changed = false;
    for (uint32_t k = 1; k < n; k++) {
      hmir_block_t* b = order[k];
      hmir_block_t* nd = NULL;
      for (uint32_t p = 0; p < b->npreds; p++) {
        hmir_block_t* pb = b->preds[p];
        if (pb->rpo == UINT32_MAX || pb->idom == NULL) continue;
        nd = nd ? hmir_intersect(pb, nd) : pb;
      }
      if (nd != b->idom) {
        b->idom = nd;
        changed = true;
      }
    }
  }
}

// a dominates b (both reachable, dominators computed).
bool _hmir_dominates(const hmir_block_t* a, const hmir_block_t* b) {
  while (b != a) {
    if (b->idom == b || b->idom == NULL) return false;
    if (b->rpo < a->rpo) return false;  // dominators come earlier in RPO
    b = b->idom;
  }
  return true;
}
