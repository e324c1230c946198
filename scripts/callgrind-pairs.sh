#!/bin/sh
# callgrind-pairs.sh [BUILD]: instructions per tiny malloc+free pair, counted
# by callgrind (repeatable whatever the machine does), for hakmem (hak_alloc_at,
# and malloc through libhakmem.so) and every installed peer.
#   pairs-16:  malloc(16); free() in a loop, one live block (micro_pairs_loop)
#   ring-tiny: a ring of 1024 live blocks of 8..1024 bytes, free oldest +
#              malloc new per step (micro_ring_loop; includes the loop's PRNG)
# Each figure: the instructions inside the loop function / iterations.
set -eu
build=${1:-build}
bin=$build/bench/scenarios
n=100000
. "$(dirname "$0")/callgrind-lib.sh"
printf '%-12s %10s %10s\n' allocator pairs-16 ring-tiny
for a in hakmem hakmem.so glibc mimalloc jemalloc tcmalloc; do
  exe=$bin/micro
  [ $a = hakmem ] && exe=$bin/micro_hak
  pre=$(peer_lib $a "$build") || continue
  line=$a
  for c in pairs-16:pairs ring-tiny:ring; do
    out=$(mktemp)
    LD_PRELOAD=$pre valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect="micro_${c#*:}_loop" \
      "$exe" "${c%%:*}" $n >/dev/null 2>&1
    ir=$(callgrind_ir "$out")
    rm -f "$out"
    line="$line $(awk -v ir="$ir" -v n=$n 'BEGIN { printf "%.1f", ir / n }')"
  done
  printf '%-12s %10s %10s\n' $line
done
