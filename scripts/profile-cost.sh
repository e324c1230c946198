#!/bin/sh
# profile-cost.sh [BUILD] [RUNS]: what the sampled profiler costs in time, and
# how it compares with heaptrack, on three workloads run through malloc:
#   larson   bench larson, 1 thread, 3 s (its own throughput figure, ops/s)
#   json     bench json scenario on malloc: `json 2500 1` (wall time)
#   python3  /usr/bin/python3 examples/profile/jsonwork.py x5, PYTHONMALLOC=malloc
# 1. libhakmem.so with HAKMEM_PROFILE=0 against =1 (default interval), A B A B
#    in turn (farm-bench --vs for the wall times, an alternating loop for
#    larson's throughput), medians.
# 2. The same workload under `hakmem prof` (profile written and rendered) and
#    under `heaptrack` (Debian's heaptrack 1.4: record, then heaptrack_print's
#    summary): wall time, peak RSS of the profiled process, size of the output.
# Needs farm-bench and heaptrack; prints a table per part.
set -eu
build=${1:-build}
runs=${2:-5}
lib=$build/runtime/alloc/libhakmem.so
cli=$build/runtime/cli/hakmem
bin=$build/bench/scenarios
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/hakmem-profile-cost-XXXXXX)
trap 'rm -rf "$work"' EXIT
command -v heaptrack >/dev/null || { echo "profile-cost: heaptrack is not installed (apt-get install heaptrack)" >&2; exit 1; }

cat >"$work/py.sh" <<EOF
#!/bin/sh
for i in 1 2 3 4 5; do /usr/bin/python3 $src/examples/profile/jsonwork.py >/dev/null; done
EOF
chmod +x "$work/py.sh"

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

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
  if [ $w = json ]; then cmd="$bin/json 2500 1"; else cmd="$work/py.sh"; fi
  # shellcheck disable=SC2086
  PYTHONMALLOC=malloc farm-bench -n "$runs" --timeout 900 \
    --vs "env HAKMEM_PROFILE=0 LD_PRELOAD=$lib $cmd" -- \
    env HAKMEM_PROFILE=1 HAKMEM_PROFILE_OUT="$work/w.hprof" LD_PRELOAD="$lib" $cmd 2>&1 | sed "s/^/$w: /"
done

echo "== 2. hakmem prof against heaptrack (record and the report)"
for w in larson json python3; do
  case $w in
    larson) cmd="$bin/larson 3 8 1000 5000 100 4141 1" ;;
    json) cmd="$bin/json 2500 1" ;;
    python3) cmd="$work/py.sh" ;;
  esac
  # shellcheck disable=SC2086
  PYTHONMALLOC=malloc farm-bench -n 3 --timeout 1800 -- sh -c "cd $work && exec $cli prof -o $work/$w.txt -- $cmd >/dev/null 2>&1" |
    sed "s/^/$w hakmem prof: /"
  PYTHONMALLOC=malloc sh -c "cd $work && exec $cli prof --format hprof -o $work/$w.hprof -- $cmd" >/dev/null 2>&1
  # shellcheck disable=SC2086
  PYTHONMALLOC=malloc farm-bench -n 3 --timeout 1800 -- sh -c "cd $work && rm -f ht.* && heaptrack -o $work/ht $cmd >/dev/null 2>&1 && heaptrack_print $work/ht.* >$work/$w.ht.txt 2>&1" |
    sed "s/^/$w heaptrack: /"
  printf '%s output: hakmem .hprof %s bytes; heaptrack %s bytes (%s)\n' "$w" "$(wc -c <"$work/$w.hprof")" \
    "$(cat "$work"/ht.* | wc -c)" "$(ls "$work" | grep '^ht\.')"
done
