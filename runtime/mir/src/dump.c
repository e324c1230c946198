/* dump.c: the text form of the MIR (hmir_dump).

   One line per block label and per instruction:
     b1:                                   ; preds b0, b3
       %4 = phi [%1, b0], [%9, b3]
       %5 = lt %4, %2
       br %5, b2, b4
   Blocks and values are numbered in layout order at each dump, so the text
   does not depend on ids handed out and deleted while building or by passes:
   tests compare it verbatim. */
#include <stdlib.h>

#include "mir_internal.h"

typedef struct hmir_dumper_s {
  const hmir_func_t* f;
  FILE* out;
  uint32_t* vnum;   // display number per value id
  uint32_t* bnum;   // display number per block id
} hmir_dumper_t;

static void hmir_dump_str(const char* s, uint32_t len, FILE* out) {
  fputc('"', out);
  for (uint32_t k = 0; k < len; k++) {
    unsigned char c = (unsigned char)s[k];
    if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
    else if (c == '\n') fputs("\\n", out);
    else if (c == '\t') fputs("\\t", out);
    else if (c < 0x20 || c >= 0x7f) fprintf(out, "\\x%02X", c);
    else fputc(c, out);
  }
  fputc('"', out);
}

static void hmir_dump_const(const hmir_instr_t* i, FILE* out) {
  switch (i->ckind) {
    case HMIR_C_NIL: fputs("nil", out); break;
    case HMIR_C_TRUE: fputs("true", out); break;
    case HMIR_C_FALSE: fputs("false", out); break;
    case HMIR_C_INT: fprintf(out, "%lld", (long long)i->imm.i); break;
    case HMIR_C_FLOAT: hlang_dump_float(i->imm.f, out); break;
    default: hmir_dump_str(i->imm.str.s, i->imm.str.len, out); break;
  }
}

static void hmir_dump_value(const hmir_dumper_t* d, const hmir_instr_t* v) {
  if (v == NULL) fputs("%?", d->out);
  else if (v->block) fprintf(d->out, "%%%u", d->vnum[v->id]);
  else fprintf(d->out, "%%id%u%s", v->id, v->block ? "" : "(removed)");
}

static void hmir_dump_block_name(const hmir_dumper_t* d, const hmir_block_t* b) {
  fprintf(d->out, "b%u", d->bnum[b->id]);
}

static const char* hmir_fn_name(const hmir_dumper_t* d, uint32_t index) {
  const hlang_fn_t* fn = hlang_fn(d->f->prog, index);
  return fn ? fn->name : "?";
}

static const char* hmir_ext_name(const hmir_dumper_t* d, uint32_t index) {
  const hlang_extern_t* e = hlang_extern(d->f->prog, index);
  return e ? e->name : "?";
}

static void hmir_dump_ops(const hmir_dumper_t* d, const hmir_instr_t* i, uint32_t from) {
  for (uint32_t k = from; k < i->nops; k++) {
    fputs(k > from ? ", " : "", d->out);
    hmir_dump_value(d, i->ops[k]);
  }
}

// The part after "op": immediates, operands, targets.
static void hmir_dump_args(const hmir_dumper_t* d, const hmir_instr_t* i) {
  FILE* out = d->out;
  switch (i->op) {
    case HMIR_CONST: fputc(' ', out); hmir_dump_const(i, out); break;
    case HMIR_PARAM: fprintf(out, " %u", i->imm.index); break;
    case HMIR_FNREF: fprintf(out, " %s", hmir_fn_name(d, i->imm.index)); break;
    case HMIR_EXTREF: fprintf(out, " %s", hmir_ext_name(d, i->imm.index)); break;
    case HMIR_BUILTIN: fprintf(out, " %s", hbc_builtin_info(i->imm.index)->name); break;
    case HMIR_PHI:
      for (uint32_t k = 0; k < i->nops; k++) {
        fputs(k ? ", [" : " [", out);
        hmir_dump_value(d, i->ops[k]);
        fputs(", ", out);
        if (i->block && k < i->block->npreds) hmir_dump_block_name(d, i->block->preds[k]);
        else fputs("b?", out);
        fputc(']', out);
      }
      break;
    case HMIR_MAP:
      for (uint32_t k = 0; k + 1 < i->nops; k += 2) {
        fputs(k ? ", " : " ", out);
        hmir_dump_value(d, i->ops[k]);
        fputs(": ", out);
        hmir_dump_value(d, i->ops[k + 1]);
      }
      break;
    case HMIR_CALLFN: fprintf(out, " %s(", hmir_fn_name(d, i->imm.index)); hmir_dump_ops(d, i, 0); fputc(')', out); break;
    case HMIR_CALLX: fprintf(out, " %s(", hmir_ext_name(d, i->imm.index)); hmir_dump_ops(d, i, 0); fputc(')', out); break;
    case HMIR_CALLBI: fprintf(out, " %s(", hbc_builtin_info(i->imm.index)->name); hmir_dump_ops(d, i, 0); fputc(')', out); break;
    case HMIR_CALL:
      fputc(' ', out);
      hmir_dump_value(d, i->ops[0]);
      fputc('(', out);
      hmir_dump_ops(d, i, 1);
      fputc(')', out);
      break;
    default:
      if (i->nops) fputc(' ', out);
      hmir_dump_ops(d, i, 0);
      break;
  }
  if (hmir_is_term(i) && i->block && i->block->nsucc) {
    const hmir_block_t* b = i->block;
    fputs(i->op == HMIR_JMP ? " " : i->op == HMIR_BR ? ", " : " -> ", out);
    for (uint32_t k = 0; k < b->nsucc; k++) {
      fputs(k ? ", " : "", out);
      hmir_dump_block_name(d, b->succ[k]);
    }
  }
}

static void hmir_dump_instr(const hmir_dumper_t* d, const hmir_instr_t* i) {
  fputs("  ", d->out);
  if (hmir_has_value(i)) {
    hmir_dump_value(d, i);
    fputs(" = ", d->out);
  }
  fputs(hmir_info(i)->name, d->out);
  hmir_dump_args(d, i);
  fputc('\n', d->out);
}

static void hmir_dump_header(const hmir_func_t* f, FILE* out) {
  fprintf(out, "fn %s(", f->name);
  const hlang_fn_t* fn = hlang_fn(f->prog, f->index);
  for (uint32_t k = 0; k < f->nparams; k++) fprintf(out, "%s%s", k ? ", " : "", fn ? fn->params[k] : "?");
  fputs(")\n", out);
}

int hmir_dump(const hmir_func_t* f, FILE* out) {
  if (f == NULL) return 0;
  const hak_alc_t* alc = f->mem.alc;
  size_t vbytes = (size_t)(f->next_id + 1) * sizeof(uint32_t), bbytes = (size_t)(f->next_block + 1) * sizeof(uint32_t);
  hmir_dumper_t d = {f, out, alc->alloc(alc->ctx, vbytes, HMIR_SITE("mir.dump")), alc->alloc(alc->ctx, bbytes, HMIR_SITE("mir.dump"))};
  if (d.vnum == NULL || d.bnum == NULL) {  // out of memory: nothing written (a text with raw ids would differ)
    if (d.vnum) alc->free(alc->ctx, d.vnum, vbytes, HMIR_SITE("mir.dump"));
    if (d.bnum) alc->free(alc->ctx, d.bnum, bbytes, HMIR_SITE("mir.dump"));
    return -1;
  }
  uint32_t nv = 0, nb = 0;
  hmir_foreach_block(f, b) {
    d.bnum[b->id] = nb++;
    hmir_foreach_instr(b, i) if (hmir_has_value(i)) d.vnum[i->id] = nv++;
  }
  hmir_dump_header(f, out);
  hmir_foreach_block(f, b) {
    hmir_dump_block_name(&d, b);
    fputc(':', out);
    for (uint32_t k = 0; k < b->npreds; k++) {
      fputs(k ? ", " : "  ; preds ", out);
      hmir_dump_block_name(&d, b->preds[k]);
    }
    fputc('\n', out);
    hmir_foreach_instr(b, i) hmir_dump_instr(&d, i);
  }
  alc->free(alc->ctx, d.vnum, vbytes, HMIR_SITE("mir.dump"));
  alc->free(alc->ctx, d.bnum, bbytes, HMIR_SITE("mir.dump"));
  return 0;
}
