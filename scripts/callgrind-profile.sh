#!/bin/sh
# callgrind-profile.sh [BUILD]: what per-site profiling costs, in instructions
# (callgrind), with HAKMEM_PROFILE=0 and =1:
#   micro pairs-16 / ring-tiny: instructions per malloc+free pair (the loop only)
#   larson (1 thread, 1 s under valgrind): instructions per replacement, whole program
# for hakmem's own API (micro_hak, larson_hak: exact counting) and for malloc
# under LD_PRELOAD=libhakmem.so (sampled call sites).
set -eu
build=${1:-build}
bin=$build/bench/scenarios
lib=$build/runtime/alloc/libhakmem.so
out=$(mktemp)
trap 'rm -f "$out"' EXIT
. "$(dirname "$0")/callgrind-lib.sh"
ir() { callgrind_ir "$out"; }
printf '%-28s %12s %12s %8s\n' case off on on/off
for api in hak so; do
  for c in pairs-16:pairs ring-tiny:ring; do
    for p in 0 1; do
      if [ $api = hak ]; then
        HAKMEM_PROFILE=$p valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect="micro_${c#*:}_loop" "$bin/micro_hak" "${c%%:*}" 100000 >/dev/null 2>&1
      else
        HAKMEM_PROFILE=$p LD_PRELOAD=$lib valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect="micro_${c#*:}_loop" "$bin/micro" "${c%%:*}" 100000 >/dev/null 2>&1
      fi
      eval "v$p=$(awk -v ir="$(ir)" 'BEGIN { printf "%.1f", ir / 100000 }')"
    done
    printf '%-28s %12s %12s %8s\n' "micro $api ${c%%:*}/pair" "$v0" "$v1" "$(awk -v a="$v0" -v b="$v1" 'BEGIN { printf "%.2f", b / a }')"
  done
  for p in 0 1; do
    if [ $api = hak ]; then
      ops=$(HAKMEM_PROFILE=$p valgrind --tool=callgrind --callgrind-out-file="$out" "$bin/larson_hak" 1 8 1000 1000 10000 1 1 2>/dev/null | sed -n 's/.* ops=\([0-9]*\).*/\1/p')
    else
      ops=$(HAKMEM_PROFILE=$p LD_PRELOAD=$lib valgrind --tool=callgrind --callgrind-out-file="$out" "$bin/larson" 1 8 1000 1000 10000 1 1 2>/dev/null | sed -n 's/.* ops=\([0-9]*\).*/\1/p')
    fi
    eval "v$p=$(awk -v ir="$(ir)" -v n="$ops" 'BEGIN { printf "%.1f", ir / n }')"
  done
  printf '%-28s %12s %12s %8s\n' "larson $api /op" "$v0" "$v1" "$(awk -v a="$v0" -v b="$v1" 'BEGIN { printf "%.2f", b / a }')"
done
