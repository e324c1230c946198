#!/bin/sh
# allocator_path.sh HAKMEM [LIBHAKMEM]: `hakmem bench --allocator NAME=PATH`.
#
# A library that cannot serve the benchmark must stop the driver before any
# benchmark runs, with exit status 2 and `hakmem bench: allocator NAME
# (PATH): REASON`: a path that does not exist, a file the dynamic loader
# cannot preload (the loader itself only warns and runs on glibc), a real
# shared library that does not define malloc (libm). An unknown built-in
# name is exit status 2 too. With LIBHAKMEM, a library that does serve malloc
# (libhakmem.so under another name) must run and prove itself.
set -u
cli=${1:?usage: allocator_path.sh HAKMEM [LIBHAKMEM]}
libhakmem=${2:-}
failures=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# expect_fail ALLOCATOR TEXT: exit status 2 and TEXT in the output.
expect_fail() {
  "$cli" bench --smoke --runs 1 --threads 1 --scenario micro --allocator "$1" >"$out" 2>&1
  rc=$?
  if [ "$rc" -ne 2 ] || ! grep -q -- "$2" "$out"; then
    echo "FAIL: --allocator $1: exit $rc (want 2), want '$2' in:"; sed 's/^/  /' "$out"
    failures=$((failures + 1))
  else
    echo "ok: --allocator $1: $(grep -- "$2" "$out" | head -1)"
  fi
  if grep -q '^scenario ' "$out"; then
    echo "FAIL: --allocator $1: benchmarks ran before the error"; failures=$((failures + 1))
  fi
}

expect_fail bogus=/nonexistent.so "allocator bogus (/nonexistent.so): no such file"
libm=""
for d in /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /lib64 /usr/lib64 /usr/lib; do
  [ -f "$d/libm.so.6" ] && { libm=$d/libm.so.6; break; }
done
if [ -n "$libm" ]; then
  expect_fail "glibcfake=$libm" "allocator glibcfake ($libm): it does not define malloc"
else
  echo "skip: no libm.so.6 found"
fi
expect_fail "notalib=$0" "allocator notalib ($0): the dynamic loader cannot preload it"
expect_fail nosuchallocator "unknown allocator 'nosuchallocator'"
expect_fail "glibc=/nonexistent.so" "the name is taken by a built-in allocator"

if [ -n "$libhakmem" ]; then
  "$cli" bench --smoke --runs 1 --threads 1 --scenario micro --allocator "hakmem,myhak=$libhakmem" >"$out" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ] || ! grep -q '^micro  *1  myhak ' "$out"; then
    echo "FAIL: --allocator myhak=$libhakmem: exit $rc (want 0 and a myhak row):"; sed 's/^/  /' "$out"
    failures=$((failures + 1))
  else
    echo "ok: --allocator myhak=$libhakmem ran and proved itself"
  fi
fi

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "allocator_path: all checks passed"
