#!/bin/sh
# prof_events.sh LIBHAKMEM PROF_EVENTS: the profile data file is written at
# exit, on a fatal signal, on a signal, at an interval, by a forked child
# under its own pid, before an exec (PID.1), at _exit, and a path that
# cannot be written gives a message.
set -eu
lib=$1
exe=$2
dir=$(mktemp -d /tmp/hakmem-prof-events-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "prof_events: $*" >&2; exit 1; }
run() {  # run MODE OUT [VAR=VALUE...]: the program under the library, stderr to $dir/err
  mode=$1 out=$2
  shift 2
  env LD_PRELOAD="$lib" HAKMEM_PROFILE=1 HAKMEM_PROFILE_SAMPLE=1 HAKMEM_PROFILE_OUT="$out" "$@" "$exe" "$mode" "$out" 2>"$dir/err"
}
complete() {  # complete FILE REASON: a whole dump for that reason, with the program's stack
  grep -qx "reason $2" "$1" || fail "$1: not 'reason $2': $(grep '^reason' "$1" || true)"
  tail -n 1 "$1" | grep -qx end || fail "$1: no end line"
  grep -q '^stack ' "$1" || fail "$1: no stack"
  grep -q "^map .*$(basename "$exe")\$" "$1" || fail "$1: no map line for the program"
}

run exit "$dir/exit.hprof"
complete "$dir/exit.hprof" exit

if run crash "$dir/crash.hprof"; then fail "crash: the program did not die"; fi
complete "$dir/crash.hprof" crash
grep -q "hakmem: fatal signal 11: profile written to $dir/crash.hprof" "$dir/err" || fail "crash: no message: $(cat "$dir/err")"

run signal "$dir/signal.hprof" HAKMEM_PROFILE_SIGNAL=12 >/dev/null
complete "$dir/signal.hprof" signal

run interval "$dir/interval.hprof" HAKMEM_PROFILE_INTERVAL_MS=50 >/dev/null
complete "$dir/interval.hprof" interval

run fork "$dir/fork.%p.hprof"
n=$(ls "$dir" | grep -c '^fork\.[0-9]*\.hprof$' || true)
[ "$n" = 2 ] || fail "fork: $n files, expected the parent's and the child's: $(ls "$dir")"
for f in "$dir"/fork.*.hprof; do
  complete "$f" exit
  pid=$(basename "$f" | cut -d. -f2)
  grep -qx "pid $pid" "$f" || fail "$f: not written by pid $pid"
done

run _exit "$dir/quick.hprof"
complete "$dir/quick.hprof" exit

run exec "$dir/exec.%p.hprof"
before=$(ls "$dir" | grep '^exec\.[0-9]*\.1\.hprof$' || true)
after=$(ls "$dir" | grep '^exec\.[0-9]*\.hprof$' || true)
[ -n "$before" ] && [ -n "$after" ] || fail "exec: want exec.PID.1.hprof and exec.PID.hprof: $(ls "$dir")"
complete "$dir/$before" exec
complete "$dir/$after" exit

run exit /nonexistent-dir/x.hprof
grep -q "cannot write the profile to /nonexistent-dir/x.hprof: No such file or directory" "$dir/err" ||
  fail "unwritable path: no message: $(cat "$dir/err")"
echo "prof_events: exit, crash, signal, interval, fork, exec, _exit and an unwritable path all as expected"
