#!/bin/sh
# `make bench`: builds the Release tree and runs `hakmem bench` with the
# default suite (every scenario, threads 1,2,4, every installed allocator,
# 3 interleaved runs). Extra arguments go to `hakmem bench`. Results: the
# table on stdout, bench/out/latest.json and bench/out/latest.svg.
set -eu
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$JOBS" >/dev/null || cmake --build build -j 1
mkdir -p bench/out
exec build/runtime/cli/hakmem bench --json bench/out/latest.json --svg bench/out/latest.svg "$@"
