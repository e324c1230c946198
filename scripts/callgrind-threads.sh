#!/bin/sh
# callgrind-threads.sh [BUILD] [THREADS]: what a thread's life costs each
# allocator, in instructions (callgrind counts every thread; repeatable
# whatever the machine does). bench/scenarios/threadlife runs THREADS (200)
# threads one after the other for each case; the figure is instructions per
# thread minus the `bare` case (create, exit, join with no allocation):
#   first    one malloc/free: heap acquisition (adoption), first allocation, exit
#   local    1000 blocks of 16..512 B allocated and freed by the thread
#   handoff  1000 blocks allocated by the thread, freed by the main thread
#            after it exited (frees into an exited thread's pages; adoption)
set -eu
build=${1:-build}
n=${2:-200}
bin=$build/bench/scenarios/threadlife
. "$(dirname "$0")/callgrind-lib.sh"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
printf '%-12s %10s %10s %10s\n' allocator first local handoff
for a in hakmem.so glibc mimalloc jemalloc tcmalloc; do
  pre=$(peer_lib $a "$build") || continue
  line=$a
  for c in bare first local handoff; do
    LD_PRELOAD=$pre valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$n" $c >/dev/null 2>&1
    v=$(( $(callgrind_ir "$out") / n ))
    if [ $c = bare ]; then bare=$v; else line="$line $((v - bare))"; fi
  done
  printf '%-12s %10s %10s %10s\n' $line
done
