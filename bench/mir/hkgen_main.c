/* hkgen_main.c: `hkgen SEED FUNCTIONS [STMTS]` writes a synthetic hk program
   (hkgen.h) to stdout; the same arguments give the same bytes. */
#include <stdio.h>
#include <stdlib.h>

#include "hkgen.h"

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: hkgen SEED FUNCTIONS [STMTS]\n");
    return 2;
  }
  hkgen_options_t opt;
  hkgen_options_init(&opt, strtoull(argv[1], NULL, 0), (uint32_t)strtoul(argv[2], NULL, 0));
  if (argc == 4) opt.stmts = (uint32_t)strtoul(argv[3], NULL, 0);
  if (hkgen_write(stdout, &opt) < 0 || fflush(stdout) != 0) {
    perror("hkgen");
    return 1;
  }
  return 0;
}
