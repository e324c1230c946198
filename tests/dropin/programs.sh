#!/bin/sh
# programs.sh LIBHAKMEM [CXX_PROGRAM]: real programs under LD_PRELOAD. Each
# runs without and with libhakmem.so; the outputs must be identical, and
# HAKMEM_STATS=2 (JSON statistics on stderr at exit) must show that hakmem
# served the allocations.
set -eu
lib=$1
cxx=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

# run NAME MIN_ALLOCS CMD...: compares stdout with and without hakmem.
run() {
  name=$1; min=$2; shift 2
  "$@" > "$work/$name.plain" 2> "$work/$name.plain.err" || { echo "$name: failed without hakmem"; cat "$work/$name.plain.err"; fail=1; return; }
  LD_PRELOAD=$lib HAKMEM_STATS=2 "$@" > "$work/$name.hak" 2> "$work/$name.hak.err" || { echo "$name: failed with hakmem"; tail -5 "$work/$name.hak.err"; fail=1; return; }
  if ! cmp -s "$work/$name.plain" "$work/$name.hak"; then
    echo "$name: output differs under hakmem"; fail=1; return
  fi
  allocs=$(grep -o '"alloc_count":[0-9]*' "$work/$name.hak.err" | tail -1 | cut -d: -f2)
  invalid=$(grep -o '"invalid_free":[0-9]*' "$work/$name.hak.err" | tail -1 | cut -d: -f2)
  if [ -z "$allocs" ] || [ "$allocs" -lt "$min" ]; then
    echo "$name: hakmem served ${allocs:-no} allocations (expected at least $min)"; fail=1; return
  fi
  if grep -q "hakmem: invalid" "$work/$name.hak.err"; then
    echo "$name: hakmem reported invalid pointers:"; grep "hakmem: invalid" "$work/$name.hak.err" | head -3; fail=1; return
  fi
  echo "$name: identical output, hakmem served $allocs allocations (invalid frees: $invalid)"
}

cat > "$work/big.py" <<'PY'
import json
data = {"users": [{"id": i, "name": "user%d" % i, "tags": ["t%d" % (i % 7), "x" * (i % 50)],
                   "score": i * 0.25, "friends": list(range(i % 20))} for i in range(60000)]}
text = json.dumps(data, sort_keys=True)
back = json.loads(text)
assert back == data
print(len(text))
print(json.dumps(back["users"][12345], indent=2))
PY
if command -v python3 >/dev/null; then run python3 1000 python3 "$work/big.py"; fi

awk 'BEGIN { for (i = 1; i <= 300000; i++) printf "%d line %d %s\n", (i * 7919) % 100003, i, substr("abcdefghijklmnopqrstuvwxyz", i % 26 + 1) }' > "$work/lines.txt"
run sort 100 sort "$work/lines.txt"
run sort_numeric 100 sort -n -k1,1 -k3,3 "$work/lines.txt"

gzip_roundtrip() { gzip -c "$1" | gunzip -c; }
run gzip 1 sh -c "gzip -9 -c '$work/lines.txt' | gunzip -c"

if [ -n "$cxx" ]; then run cxx_threads 10000 "$cxx"; fi
exit $fail
