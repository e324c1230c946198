#!/bin/sh
# install_test.sh BUILD SRC CMAKE CC VERSION: installs BUILD into a temporary
# prefix and builds and runs the consumers of tests/install against it. Each
# consumer checks that hakmem served its allocations; this script checks the
# installed files and that nothing was taken from the build tree.
set -eu
build=$1 src=$2 cmake=$3 cc=$4 version=$5
work=$(mktemp -d /tmp/hakmem-install.XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
fail() { echo "install_test: $*" >&2; exit 1; }

echo "== cmake --install into $prefix"
"$cmake" --install "$build" --prefix "$prefix" >/dev/null
for f in include/hakmem.h lib/libhakmem.a lib/libhakmem-override.a "lib/libhakmem.so.$version" lib/libhakmem.so \
         lib/cmake/hakmem/hakmem-config.cmake lib/cmake/hakmem/hakmem-config-version.cmake \
         lib/pkgconfig/hakmem.pc lib/pkgconfig/hakmem-static.pc; do
  [ -e "$prefix/$f" ] || fail "missing $f"
done
major=${version%%.*}
soname=$(objdump -p "$prefix/lib/libhakmem.so" | awk '/SONAME/ { print $2 }')
[ "$soname" = "libhakmem.so.$major" ] || fail "soname is '$soname', want libhakmem.so.$major"
# The embedding library defines no malloc names; the drop-in does.
if nm -g --defined-only "$prefix/lib/libhakmem.a" 2>/dev/null | grep -qwE 'T (malloc|free|_Znwm)'; then
  fail "libhakmem.a defines malloc names"
fi
nm -D --defined-only "$prefix/lib/libhakmem.so" | grep -qw malloc || fail "libhakmem.so does not define malloc"

echo "== find_package consumer"
"$cmake" -S "$src/consumer" -B "$work/c" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
  -DHAKMEM_WANT_VERSION="$version" >"$work/c.log" 2>&1 || { cat "$work/c.log"; fail "consumer configure failed"; }
"$cmake" --build "$work/c" >>"$work/c.log" 2>&1 || { cat "$work/c.log"; fail "consumer build failed"; }
"$work/c/embed_user" || fail "embed_user failed"
"$work/c/dropin_user" || fail "dropin_user failed"
"$work/c/plugin_host" "$work/c/libhakmem_plugin.so" || fail "plugin_host failed"
# The consumers used the installed libraries, not the build tree's.
if grep -rq "$build/runtime/alloc" "$work/c/CMakeCache.txt"; then fail "the consumer found the build tree"; fi
ldd "$work/c/dropin_user" | grep -q "$prefix/lib/libhakmem.so.$major" || fail "dropin_user is not linked to the installed library"

echo "== pkg-config consumer (plain Makefile)"
command -v pkg-config >/dev/null || fail "pkg-config is not installed"
PKG_CONFIG_PATH=$prefix/lib/pkgconfig make -s -C "$src/make_consumer" OUT="$work/m" CC="$cc" >"$work/m.log" 2>&1 ||
  { cat "$work/m.log"; fail "make consumer failed"; }
"$work/m/embed_user" || fail "make embed_user failed"
LD_LIBRARY_PATH=$prefix/lib "$work/m/dropin_user" || fail "make dropin_user failed"
echo "install_test: ok"
