#!/bin/sh
# prof.sh HAKMEM LIBHAKMEM TARGET: `hakmem prof` runs TARGET (tests/prof/target.c)
# on libhakmem.so with profiling on. Skipped (exit 77) while the library writes
# no profile data file. Checks: the data file is kept and the summary names
# the allocating function; the exit status is the program's (3 -> 3); a
# program that does not exist -> 127 with a message; -o renders (and cleans
# up); files of forked children are listed; a crash is reported with its
# signal; an output that cannot be written keeps the data file.
set -eu
me=prof.sh
. "$(dirname "$0")/lib.sh"
hakmem=$1
lib=$2
target=$3
mkdir "$t/run" "$t/tmp"
cd "$t/run"
export TMPDIR="$t/tmp"
prog=$(basename "$target")
export HAKMEM_PROFILE_SEED=1  # the sampled figures checked below are the same every run

set +e
"$hakmem" prof --lib "$lib" -- "$target" 3 >"$t/out" 2>"$t/err"
rc=$?
set -e
data=$(ls "$t/run"/hakmem."$prog".*.hprof 2>/dev/null | head -n 1 || true)
if [ -z "$data" ] || [ "$(head -n 1 "$data")" != "hakmem-profile 1" ]; then
  cat "$t/err"
  echo "prof.sh: SKIP: $lib writes no profile data file yet (HAKMEM_PROFILE_OUT=...hprof)"
  exit 77
fi
[ "$rc" = 3 ] || { cat "$t/err"; fail "exit status $rc, expected the program's 3"; }
has "$t/err" "top 20 by live bytes"
has "$t/err" "prof_target_allocate"
has "$t/err" "profile data in $data"
pid=$(sed -n 's/^pid //p' "$data")
[ "$data" = "$t/run/hakmem.$prog.$pid.hprof" ] || fail "data file $data is not named after the program's pid $pid"
# The allocating function holds most of the live bytes (16 MiB live, sampled).
"$hakmem" report "$data" --format folded >"$t/folded" || fail "report of $data"
awk '/prof_target_allocate [0-9]+$/ { if ($NF > 8000000) ok = 1 } END { exit !ok }' "$t/folded" || { cat "$t/folded"; fail "prof_target_allocate: live bytes"; }
rm -f "$t/run"/*.hprof

expect 0 "$hakmem" prof --lib "$lib" -- "$target" 0
expect 127 "$hakmem" prof --lib "$lib" -- "$t/no-such-program"
has "$t/err" "hakmem prof: cannot run $t/no-such-program: No such file or directory"
expect 2 "$hakmem" prof --lib "$lib"
expect 2 "$hakmem" prof --lib "$lib" --signal NOPE -- "$target" 0
expect 1 "$hakmem" prof --lib "$t/no-such-lib.so" -- "$target" 0
has "$t/err" "no-such-lib.so"
rm -f "$t/run"/*.hprof

# -o: the rendering, and no data file left behind.
expect 0 "$hakmem" prof --lib "$lib" -o "$t/p.svg" --sample 64 -- "$target" 0
python3 -c "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])" "$t/p.svg" || fail "-o p.svg: not XML"
grep -q prof_target_allocate "$t/p.svg" || fail "-o p.svg: no prof_target_allocate"
[ -z "$(ls "$t/tmp")" ] || { ls -R "$t/tmp"; fail "-o: data files left in TMPDIR"; }
expect 0 "$hakmem" prof --lib "$lib" -o "$t/p.hprof" -- "$target" 0
[ "$(head -n 1 "$t/p.hprof")" = "hakmem-profile 1" ] || fail "-o p.hprof: not the data file"

# Forked children write their own files, listed.
expect 0 "$hakmem" prof --lib "$lib" -- "$target" 0 fork
has "$t/err" "also written"
[ "$(ls "$t/run"/hakmem."$prog".*.hprof | wc -l)" = 2 ] || { ls "$t/run"; fail "fork: expected two data files"; }
rm -f "$t/run"/*.hprof

# A crash: 128 + SIGSEGV, the signal named, the data file's state said.
expect 139 "$hakmem" prof --lib "$lib" -- "$target" 0 crash
has "$t/err" "was killed by SIGSEGV"
grep -q "reason crash\|last one written\|nothing could be written" "$t/err" || { cat "$t/err"; fail "crash: the data file's state"; }
rm -f "$t/run"/*.hprof

# An output that cannot be written: the program's status, the data file kept and named.
expect 1 "$hakmem" prof --lib "$lib" -o "$t/no-such-dir/p.json" -- "$target" 0
has "$t/err" "cannot write $t/no-such-dir/p.json"
kept=$(sed -n 's/.*the profile data file is kept: \([^ ]*\) .*/\1/p' "$t/err")
[ -n "$kept" ] && [ -f "$kept" ] || { cat "$t/err"; fail "unwritable output: the data file is not kept"; }
echo "prof.sh: all checks passed"
