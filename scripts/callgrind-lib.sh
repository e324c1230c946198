# callgrind-lib.sh: what the callgrind scripts share (sourced).
#   callgrind_ir FILE         the total instructions (Ir) of a callgrind output file
#   peer_lib NAME BUILD       the library to preload for allocator NAME (hakmem.so,
#                             mimalloc, jemalloc, tcmalloc; nothing for glibc and
#                             hakmem, which is linked); status 1 when it is not installed
callgrind_ir() {
  callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}

peer_lib() {
  libdir=/usr/lib/x86_64-linux-gnu
  case $1 in
    hakmem.so) lib=$2/runtime/alloc/libhakmem.so ;;
    mimalloc) lib=$libdir/libmimalloc.so.2 ;;
    jemalloc) lib=$libdir/libjemalloc.so.2 ;;
    tcmalloc) lib=$libdir/libtcmalloc_minimal.so.4 ;;
    *) return 0 ;;
  esac
  [ -e "$lib" ] || return 1
  echo "$lib"
}
