#!/bin/sh
# soak.sh [MINUTES=5] [THREADS=8] [BUILD=build]: the stress test for minutes,
# by hand (not in make test): test_stress over seed after seed (each run: 20
# rounds of THREADS new threads, 50,000 operations each, blocks of 8 B to
# 4 MiB, half freed by other threads, the heaps of exited threads adopted),
# more threads than this machine's cores by default. Every run checks its
# blocks' contents and that counts balance; prints each run's line and a
# total: runs, operations, threads, failures, RSS at the end of the first run
# and of the last. Exit status 1 if any run failed.
set -u
minutes=${1:-5}
threads=${2:-8}
build=${3:-build}
exe=$build/tests/alloc/test_alloc_stress
[ -x "$exe" ] || { echo "soak: $exe not built (make build)" >&2; exit 2; }
end=$(( $(date +%s) + minutes * 60 ))
runs=0 failed=0 seed=1 first="" last=""
out=$(mktemp)
trap 'rm -f "$out"' EXIT
while [ "$(date +%s)" -lt "$end" ]; do
  if "$exe" "$threads" 20 50000 22 "$seed" >"$out" 2>&1; then
    line=$(grep '^stress:' "$out")
    echo "seed $seed: $line"
    rss=$(echo "$line" | sed -n 's/.*RSS \([0-9]* -> [0-9]*\) KiB.*/\1/p')
    [ -n "$first" ] || first=$rss
    last=$rss
  else
    echo "seed $seed: FAILED"
    cat "$out"
    failed=$((failed + 1))
  fi
  runs=$((runs + 1))
  seed=$((seed + 1))
done
echo "soak: $runs runs of $threads threads x 20 rounds x 50000 operations ($((runs * threads * 20 * 50000)) operations) in $minutes min," \
  "$failed failed; RSS (KiB, start -> end of a run): first run $first, last run $last"
[ "$failed" = 0 ]
