# lib.sh: what the tests/prof scripts share; sourced after they set `me`
# (their name, for messages). Makes their temporary directory $t (removed at
# exit) and defines:
#   fail MESSAGE          say it and exit 1
#   expect STATUS CMD...  run CMD (stdout to $t/out, stderr to $t/err), check its exit status
#   has FILE TEXT         FILE contains TEXT
t=$(mktemp -d "/tmp/hakmem-${me%.sh}-XXXXXX")
trap 'rm -rf "$t"' EXIT

fail() {
  echo "$me: FAIL: $*" >&2
  exit 1
}
expect() {
  want=$1
  shift
  set +e
  "$@" >"$t/out" 2>"$t/err"
  got=$?
  set -e
  [ "$got" = "$want" ] || { cat "$t/err" >&2; fail "exit status $got, expected $want: $*"; }
}
has() { grep -q -- "$2" "$1" || { cat "$1" >&2; fail "$1 lacks '$2'"; }; }
