#!/bin/sh
# run_lua.sh HKLUA SCRIPT [ARGS...]: runs SCRIPT with stock lua5.4 and with
# hklua (Lua on hakmem); stdout, stderr (the program's name aside) and the
# exit status must be the same. Then runs it again with hklua --profile and
# checks that hakmem's "lua" subsystem served the script's objects.
set -u
hklua=$1; script=$2; shift 2
work=$(mktemp -d /tmp/hklua-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
command -v lua5.4 >/dev/null || { echo "run_lua: lua5.4 is not installed"; exit 1; }
lua5.4 "$script" "$@" >"$work/lua.out" 2>"$work/lua.err"; lua_rc=$?
"$hklua" "$script" "$@" >"$work/hk.out" 2>"$work/hk.err"; hk_rc=$?
sed -e "s|^lua5.4: |PROG: |" "$work/lua.err" >"$work/lua.err.n"
sed -e "s|^$hklua: |PROG: |" "$work/hk.err" >"$work/hk.err.n"
fail=0
cmp -s "$work/lua.out" "$work/hk.out" || { echo "stdout differs:"; diff "$work/lua.out" "$work/hk.out" | head -20; fail=1; }
cmp -s "$work/lua.err.n" "$work/hk.err.n" || { echo "stderr differs:"; diff "$work/lua.err.n" "$work/hk.err.n" | head -20; fail=1; }
[ "$lua_rc" = "$hk_rc" ] || { echo "exit status: lua5.4 $lua_rc, hklua $hk_rc"; fail=1; }
# The profile: every object came from hakmem, per kind.
"$hklua" --profile --profile-out "$work/p.hprof" "$script" "$@" >/dev/null 2>&1
grep -q '^site [0-9]* lua 1 ' "$work/p.hprof" || { echo "profile: no lua site in $work/p.hprof"; fail=1; }
grep -q '^site [0-9]* lua 1 [1-9][0-9]* .* lua\.string$' "$work/p.hprof" || { echo "profile: no lua.string allocations"; fail=1; }
[ $fail = 0 ] && echo "run_lua: $(basename "$script"): same output, errors and exit status ($lua_rc) as lua5.4; objects served by hakmem"
exit $fail
