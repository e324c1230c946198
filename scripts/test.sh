#!/bin/sh
# `make test`: every test, on a fresh Debian 12 machine (deps.sh installed
# what is missing). Builds, in order:
#   build/        Release, -Werror: unit, stress, drop-in, install, script and smoke tests
#   build-alloc/  the allocator alone (HAK_ALLOCATOR_ONLY), hardened (HAK_SECURE): its tests, drop-in and install
#   build-rtfaults/ the whole runtime with HAK_FAULTS: the OS refuses memory calls; only what the
#                 tests labelled faults run is built (the allocator's soak, the hakmem command)
#   build-debug/  Debug (HAK_DEBUG=2, valgrind client requests): the same tests
#                 with asserts, plus memcheck and helgrind runs
#   build-asan/   ASan+UBSan: the tests that list SANITIZE address
#   build-tsan/   TSan: the tests that list SANITIZE thread
#   build-gcstress/ the VM collecting at every allocation: the VM and script tests
#   build-fuzz/   clang libFuzzer + ASan/UBSan: the fuzz targets, ~60 s each
# Stops at the first failure. JOBS (default 2) sets build and ctest parallelism.
set -eu
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
start=$(date +%s)

stage() { printf '\n=== %s (%ss)\n' "$1" "$(( $(date +%s) - start ))"; }

configure_build() {  # dir, cmake args...
  dir=$1; shift
  cmake -S . -B "$dir" -DHAK_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS" >/dev/null || cmake --build "$dir" -j 1
}

stage "layers"
scripts/check-layers.sh

stage "Release build and tests"
configure_build build -DCMAKE_BUILD_TYPE=Release -DHAK_BUILD_TESTS=ON
ctest --test-dir build --output-on-failure -j "$JOBS"

stage "Allocator-only build, hardened (a C compiler, cmake and pthreads: no C++, no libffi; HAK_SECURE=ON)"
# CMAKE_CXX_COMPILER=false: any C++ in this configuration fails the stage.
# HAK_SECURE=ON: every library of this build is the hardened one, so the
# allocator's tests and drop-in programs also run against it.
configure_build build-alloc -DCMAKE_BUILD_TYPE=Release -DHAK_ALLOCATOR_ONLY=ON -DHAK_BUILD_TESTS=ON -DHAK_SECURE=ON \
  -DCMAKE_CXX_COMPILER=false
ctest --test-dir build-alloc --output-on-failure -j "$JOBS"

stage "Fault build: the OS refuses mmap, munmap, madvise and mremap (allocator soak; json, mir, vm under tests/faults)"
cmake -S . -B build-rtfaults -DHAK_WERROR=ON -DCMAKE_BUILD_TYPE=Release -DHAK_BUILD_TESTS=ON -DHAK_BUILD_BENCH=OFF \
  -DHAK_FAULTS=ON >/dev/null
cmake --build build-rtfaults -j "$JOBS" --target hak_faults >/dev/null || cmake --build build-rtfaults -j 1 --target hak_faults
ctest --test-dir build-rtfaults --output-on-failure -j "$JOBS" -L faults

stage "Debug build: asserts, memcheck, helgrind"
configure_build build-debug -DCMAKE_BUILD_TYPE=Debug -DHAK_BUILD_TESTS=ON -DHAK_BUILD_BENCH=OFF
ctest --test-dir build-debug --output-on-failure -j "$JOBS"

stage "ASan+UBSan build"
configure_build build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHAK_SANITIZE=address -DHAK_BUILD_TESTS=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$JOBS"

stage "TSan build"
configure_build build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHAK_SANITIZE=thread -DHAK_BUILD_TESTS=ON
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest --test-dir build-tsan --output-on-failure -j "$JOBS"

stage "GC stress build (VM collects at every allocation)"
configure_build build-gcstress -DCMAKE_BUILD_TYPE=Release -DHVM_GC_STRESS=ON -DHAK_BUILD_TESTS=ON -DHAK_BUILD_BENCH=OFF
ctest --test-dir build-gcstress --output-on-failure -j "$JOBS" -L 'vm|scripts'

stage "Fuzz build (clang)"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DHAK_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHAK_SANITIZE=address \
  -DHAK_FUZZ=ON -DHAK_BUILD_TESTS=ON -DHAK_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j "$JOBS" --target hak_fuzz >/dev/null || cmake --build build-fuzz -j 1 --target hak_fuzz
ctest --test-dir build-fuzz --output-on-failure -L fuzz

stage "all tests passed"
