#!/bin/sh
# Checks the include order of runtime/README.md: a component includes only the
# public headers of layers below it, and only alloc/src/prim calls mmap & co;
# then scripts/check-refs.sh (no references outside the repository).
set -u
cd "$(dirname "$0")/.."
fail=0
bad() { echo "layer violation: $*"; fail=1; }

# Private allocator headers outside runtime/alloc.
for f in $(grep -rlE '#include *"(hak_types|hak_internal|hak_prim)\.h"' runtime tests bench 2>/dev/null); do
  case $f in runtime/alloc/*|tests/alloc/*) ;; *) bad "$f includes an allocator-private header";; esac
done
# Upward includes: json, lang and hbc see only alloc; mir sees hbc, lang, json; vm sees hbc, json (not the compiler).
check() {  # component, forbidden headers (regex)
  [ -d runtime/$1 ] || return 0
  for f in $(grep -rlE "#include *[<\"]($2)" runtime/$1 2>/dev/null); do bad "$f includes a header of a higher layer ($2)"; done
}
check alloc 'hjson\.h|hlang\.h|hmir\.h|hbc\.h|hvm\.h'
check json 'hlang\.h|hmir\.h|hbc\.h|hvm\.h'
check lang 'hjson\.h|hmir\.h|hbc\.h|hvm\.h'
check hbc 'hjson\.h|hlang\.h|hmir\.h|hvm\.h'
check mir 'hvm\.h'
check vm 'hlang\.h|hmir\.h'
# OS memory calls only in alloc/src/prim.
for f in $(grep -rlE --include=*.c '^[^/*]*\b(mmap|munmap|mremap|madvise)\s*\(' runtime 2>/dev/null); do
  case $f in runtime/alloc/src/prim/*) ;; *) bad "$f calls the OS for memory outside alloc/src/prim";; esac
done
# libffi only in vm/src/ffi.c.
for f in $(grep -rl '#include *<ffi.h>' runtime 2>/dev/null); do
  [ "$f" = runtime/vm/src/ffi.c ] || bad "$f includes <ffi.h>"
done
# The repository stands alone: no pointer outside it, no bare rule ids.
sh scripts/check-refs.sh || fail=1
[ $fail = 0 ] && echo "layers: ok"
exit $fail
