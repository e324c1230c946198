#!/bin/sh
# fault_soak.sh FAULT_SOAK [SEEDS]: the allocator while the OS refuses memory
# calls (a HAK_FAULTS build): fault_soak with 4 threads over SEEDS seeds,
# each with a different share of refused calls (1% to 20%) of every kind
# (mmap, munmap, madvise, mremap). Every run must end clean (see
# fault_soak.c); the summary line of each is printed.
set -eu
exe=$1
seeds=${2:-12}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
i=1
while [ "$i" -le "$seeds" ]; do
  permille=$(( (i * 37) % 200 + 10 ))
  if ! HAKMEM_FAULT_SEED=$i HAKMEM_FAULT_PERMILLE=$permille HAKMEM_PURGE_DELAY_MS=0 "$exe" 4 20000 >"$out" 2>&1; then
    cat "$out"
    echo "fault_soak.sh: seed $i ($permille per mille) failed"
    exit 1
  fi
  echo "seed $i, $permille per mille: $(cat "$out")"
  i=$((i + 1))
done
