#!/bin/sh
# callgrind.sh [BUILD]: instructions (callgrind, whole process) of the
# allocation-heavy Lua programs, smaller sizes, on lua5.4 with glibc and with
# each allocator preloaded, and on hklua. Repeatable whatever the machine
# does, unlike bench.py's times.
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
libdir=/usr/lib/x86_64-linux-gnu
out=$(mktemp)
trap 'rm -f "$out"' EXIT
. "$here/../../scripts/callgrind-lib.sh"
ir() { callgrind_ir "$out" | awk '{ printf "%.1f", $1 / 1e6 }'; }
printf '%-10s %10s %10s %10s %10s %10s %10s\n' program glibc hakmem.so mimalloc jemalloc tcmalloc hklua
for p in "trees 12" "strings 4" "tables 1" "closures 300"; do
  set -- $p
  line="$1"
  for a in glibc $build/runtime/alloc/libhakmem.so $libdir/libmimalloc.so.2 $libdir/libjemalloc.so.2 $libdir/libtcmalloc_minimal.so.4 hklua; do
    if [ $a = hklua ]; then
      valgrind --tool=callgrind --callgrind-out-file="$out" "$build/examples/lua/hklua" "$here/bench/$1.lua" "$2" >/dev/null 2>&1
    elif [ $a = glibc ]; then
      valgrind --tool=callgrind --callgrind-out-file="$out" lua5.4 "$here/bench/$1.lua" "$2" >/dev/null 2>&1
    else
      LD_PRELOAD=$a valgrind --tool=callgrind --callgrind-out-file="$out" lua5.4 "$here/bench/$1.lua" "$2" >/dev/null 2>&1
    fi
    line="$line $(ir)M"
  done
  printf '%-10s %10s %10s %10s %10s %10s %10s\n' $line
done
