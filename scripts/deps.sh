#!/bin/sh
# Installs what `make test` (deps.sh test) or `make bench` (deps.sh bench) needs
# on a fresh Debian 12 machine, and says what it installs. Idempotent: a package
# that is already there is not touched. Needs root (or sudo) only when something
# is missing.
set -eu

want=${1:-test}
# Build and test needs: cmocka (unit tests), libffi (VM FFI), valgrind (memcheck,
# helgrind and the client-request headers), clang + its runtime (libFuzzer target),
# pkg-config, the real programs the drop-in tests run under LD_PRELOAD, and the
# profile viewers' side of tests/prof (addr2line from binutils, go tool pprof).
pkgs="cmake make gcc g++ pkg-config libcmocka-dev libffi-dev valgrind clang libclang-rt-14-dev python3 gzip coreutils procps liblua5.4-dev lua5.4 binutils golang-go libunwind8"
if [ "$want" = bench ]; then
  # The peers the benchmarks compare against.
  pkgs="$pkgs libmimalloc-dev libjemalloc-dev libtcmalloc-minimal4 libcjson-dev time"
fi

missing=""
for p in $pkgs; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  echo "deps: everything for '$want' is installed"
  exit 0
fi

echo "deps: installing:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: installed:$missing"
