#!/bin/sh
# profile-cost.sh [BUILD] [RUNS] [PARTS]: what the sampled profiler costs in time, and
# how it compares with heaptrack, on three workloads run through malloc:
#   larson   bench larson, 1 thread, 3 s (its own throughput figure, ops/s)
#   json     bench json scenario on malloc: `json 2500 1` (wall time)
#   python3  /usr/bin/python3 examples/profile/jsonwork.py 5, PYTHONMALLOC=malloc
# 1. libhakmem.so with HAKMEM_PROFILE=0 against =1 (default interval), A B A B
#    in turn (farm-bench --vs for the wall times, an alternating loop for
#    larson's throughput), medians.
# 2. The same workload under `hakmem prof` (profile written and rendered) and
#    under `heaptrack` (Debian's heaptrack 1.4: record, then heaptrack_print's
#    summary): wall time, the peak RSS of the largest process of the run (the
#    program or the tool's own), size of the data; for larson, which runs a
#    fixed time, its throughput under each.
# PARTS: "1 2" (default), "1" or "2". Needs farm-bench and heaptrack.
set -eu
build=$(cd "${1:-build}" && pwd)
runs=${2:-5}
parts=${3:-1 2}
lib=$build/runtime/alloc/libhakmem.so
cli=$build/runtime/cli/hakmem
bin=$build/bench/scenarios
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/hakmem-profile-cost-XXXXXX)
trap 'rm -rf "$work"' EXIT
command -v heaptrack >/dev/null || { echo "profile-cost: heaptrack is not installed (apt-get install heaptrack)" >&2; exit 1; }

py="/usr/bin/python3 $src/examples/profile/jsonwork.py 5"
export PYTHONMALLOC=malloc  # CPython takes every object from malloc

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

case " $parts " in *" 1 "*) ;; *) runs1=0 ;; esac
if [ "${runs1:-1}" != 0 ]; then
echo "== 1. sampled profiling at the default interval (512 KiB), libhakmem.so, off vs on"
: >"$work/larson"
i=0
while [ $i -lt "$runs" ]; do
  for p in 0 1; do
    t=$(env HAKMEM_PROFILE=$p HAKMEM_PROFILE_OUT="$work/l.hprof" LD_PRELOAD="$lib" "$bin/larson" 3 8 1000 5000 100 4141 1 |
      sed -n 's/.*throughput=\([0-9]*\).*/\1/p')
    echo "$p $t" >>"$work/larson"
  done
  i=$((i + 1))
done
off=$(awk '$1 == 0 { print $2 }' "$work/larson" | median)
on=$(awk '$1 == 1 { print $2 }' "$work/larson" | median)
ratio=$(awk 'BEGIN { r = 0 } { if ($1 == 0) o = $2; else { print $2 / o } }' "$work/larson" | median)
echo "larson 1 thread ops/s median: off $off, on $on; on/off per pair, median $ratio"
for w in json python3; do
  if [ $w = json ]; then cmd="$bin/json 2500 1"; else cmd="$py"; fi
  # shellcheck disable=SC2086
  farm-bench -n "$runs" --timeout 900 \
    --vs "env HAKMEM_PROFILE=0 LD_PRELOAD=$lib $cmd" -- \
    env HAKMEM_PROFILE=1 HAKMEM_PROFILE_OUT="$work/w.hprof" LD_PRELOAD="$lib" $cmd 2>&1 | sed "s/^/$w: /"
done

fi

case " $parts " in *" 2 "*) ;; *) exit 0 ;; esac
echo "== 2. hakmem prof against heaptrack (record and the report)"
for w in larson json python3; do
  case $w in
    larson) cmd="$bin/larson 3 8 1000 5000 100 4141 1" ;;
    json) cmd="$bin/json 2500 1" ;;
    python3) cmd="$py" ;;
  esac
  : >"$work/$w.hk.out"
  : >"$work/$w.ht.out"
  farm-bench -n 3 --timeout 1800 -- sh -c "cd $work && exec $cli prof -o $work/$w.txt -- $cmd >>$work/$w.hk.out 2>&1" |
    grep -E "wall s|peak MiB|exit" | sed "s/^/$w hakmem prof: /"
  farm-bench -n 3 --timeout 1800 -- sh -c "cd $work && rm -f ht.* && heaptrack -o $work/ht $cmd >>$work/$w.ht.out 2>&1 && heaptrack_print $work/ht.* >$work/$w.ht.txt 2>&1" |
    grep -E "wall s|peak MiB|exit" | sed "s/^/$w heaptrack: /"
  (cd "$work" && $cli prof --format hprof -o "$work/$w.hprof" -- $cmd >/dev/null 2>&1) || true
  printf '%s data: hakmem .hprof %s bytes; heaptrack %s bytes (%s)\n' "$w" "$(wc -c <"$work/$w.hprof")" \
    "$(cat "$work"/ht.* | wc -c)" "$(ls "$work" | grep '^ht\.' | tr '\n' ' ')"
  if [ $w = larson ]; then
    for t in hk ht; do
      printf 'larson throughput under %s, median of the runs: %s ops/s\n' "$t" \
        "$(sed -n 's/.*throughput=\([0-9]*\).*/\1/p' "$work/larson.$t.out" | median)"
    done
  fi
done
