#!/bin/sh
# report.sh HAKMEM FIXTURE: `hakmem report` on the profile data file the
# fixture writes about its own functions (tests/prof/fixture.c lists its
# stacks and values), checked with the real viewers: go tool pprof reads the
# pprof file, python3 parses the JSON and the SVG; folded stacks must be the
# exact expected lines; plus the reader's tolerance and errors, symbolization
# without addr2line, and the command's usage errors and exit statuses.
set -eu
me=report.sh
. "$(dirname "$0")/lib.sh"
hakmem=$1
fixture=$2
export PPROF_TMPDIR="$t"

"$fixture" "$t/f.hprof" >/dev/null
obj=$(basename "$fixture")

# ----- text -----
expect 0 "$hakmem" report "$t/f.hprof"
for s in "7 samples, 7 stacks, 2 sites" "sampling interval 524288 bytes" "peak: 16.0 MiB live at 0.300 s" "fixture_alloc_big (" \
  "fixture_entry (" "fixture_inlined (" "xmalloc_wrapper (" "json.parse.string" "vm.array" "top 20 by live bytes" \
  "top 20 by allocated bytes" "fixture.c:" "@" "0.500"; do
  has "$t/out" "$s"
done
grep -q "^json  *1  *100 " "$t/out" || fail "text: no json subsystem row"
grep -q "^ *3.0 MiB  *18.2%  *6  fixture_alloc_big" "$t/out" || { cat "$t/out"; fail "text: fixture_alloc_big row"; }
! grep -q TRUNCATED "$t/out" || fail "text: complete file said truncated"
[ ! -s "$t/err" ] || { cat "$t/err"; fail "text: warnings on a good file"; }
expect 0 "$hakmem" report "$t/f.hprof" --top 2 -o "$t/f.txt"
[ "$(grep -c '^ *[0-9.]* [KMGi]*B  *[0-9.]*% ' "$t/f.txt")" = 4 ] || { cat "$t/f.txt"; fail "--top 2: expected 2 rows per table"; }

# ----- folded -----
cat >"$t/want.folded" <<'EOF'
[json];json.parse.string 4194304
[no frames] 1024
[vm];main@prog.hk:3;f@prog.hk:10;vm.array 524288
main;fixture_entry 5242880
main;fixture_middle;fixture_alloc_big 3145728
main;fixture_middle;fixture_alloc_small 1048576
main;fixture_outer;fixture_inlined 2097152
main;fixture_user;xmalloc_wrapper 1048576
EOF
expect 0 "$hakmem" report "$t/f.hprof" --format folded
diff "$t/want.folded" "$t/out" || fail "folded (inuse_space) differs"
expect 0 "$hakmem" report "$t/f.hprof" -o "$t/f.folded" --skip xmalloc_wrapper --skip 'fixture_alloc_.*'
cat >"$t/want.folded" <<'EOF'
[json];json.parse.string 4194304
[no frames] 1024
[vm];main@prog.hk:3;f@prog.hk:10;vm.array 524288
main;fixture_entry 5242880
main;fixture_middle 4194304
main;fixture_outer;fixture_inlined 2097152
main;fixture_user 1048576
EOF
diff "$t/want.folded" "$t/f.folded" || fail "folded with --skip differs"
expect 0 "$hakmem" report "$t/f.hprof" --format folded --type alloc_objects
cat >"$t/want.folded" <<'EOF'
[json];json.parse.string 100
[no frames] 2
[vm];main@prog.hk:3;f@prog.hk:10;vm.array 50
main;0x10 1
main;fixture_entry 1
main;fixture_middle;fixture_alloc_big 16
main;fixture_middle;fixture_alloc_small 64
main;fixture_outer;fixture_inlined 4
main;fixture_user;xmalloc_wrapper 8
EOF
diff "$t/want.folded" "$t/out" || fail "folded (alloc_objects) differs"

# ----- json -----
expect 0 "$hakmem" report "$t/f.hprof" -o "$t/f.json"
python3 - "$t/f.json" <<'PY' || fail "json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format"] == 1 and d["reason"] == "exit" and d["interval"] == 524288 and not d["truncated"], d
assert d["peak"] == {"ms": 300, "bytes": 16777216}, d["peak"]
assert len(d["timeline"]) == 5 and d["timeline"][3] == {"ms": 300, "bytes": 16777216}
st = {s["id"]: s for s in d["stacks"]}
assert len(st) == 7
want = {1: (64, 2097152, 32, 1048576, 40, 1310720), 2: (16, 8388608, 6, 3145728, 8, 4194304), 7: (2, 2048, 1, 1024, 1, 1024)}
names = ("alloc_objects", "alloc_space", "inuse_objects", "inuse_space", "peak_objects", "peak_space")
for i, v in want.items():
    assert tuple(st[i][n] for n in names) == v, (i, st[i])
f = [x["function"] for x in st[2]["frames"]]
assert f == ["fixture_alloc_big", "fixture_middle", "main"], f
f3 = st[3]["frames"]
assert [x["function"] for x in f3] == ["fixture_inlined", "fixture_outer", "main"], f3
assert f3[0]["inlined"] and not f3[1]["inlined"] and f3[0]["address"] == f3[1]["address"], f3
for x in st[1]["frames"]:
    assert x["file"].endswith("fixture.c") and x["line"] > 0 and x["symbolized"], x
assert st[6]["frames"][0]["function"] == "0x10" and st[6]["frames"][0]["object"] is None
assert st[7]["frames"] == []
si = {s["name"]: s for s in d["sites"]}
s = si["main@prog.hk:3;f@prog.hk:10;vm.array"]
assert s["subsystem"] == "vm" and s["live"] == 524288 and s["inuse_space"] == 524288 and s["peak"] == 1048576
assert [x["function"] for x in s["frames"]] == ["vm.array", "f@prog.hk:10", "main@prog.hk:3", "[vm]"]
assert {x["name"]: x["live"] for x in d["subsystems"]} == {"json": 4194304, "vm": 524288}
assert d["totals"]["inuse_space"] == 17302528, d["totals"]
print("report.sh: json ok")
PY

# ----- svg -----
expect 0 "$hakmem" report "$t/f.hprof" -o "$t/f.svg"
python3 - "$t/f.svg" <<'PY' || fail "svg"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
assert root.tag == ns + "svg", root.tag
titles = [t.text for t in root.iter(ns + "title")]
for want in ("fixture_alloc_big (3.0 MiB, 18.18%)", "main (12.0 MiB, 72.72%)", "json.parse.string (4.0 MiB, 24.24%)", "all (16.5 MiB, 100.00%)"):
    assert want in titles, (want, titles)
assert any(t.startswith("peak: 16.0 MiB") for t in titles), titles
assert root.find(ns + "polygon") is not None
print("report.sh: svg ok (%d frames)" % len(titles))
PY

# ----- pprof, read by go tool pprof -----
command -v go >/dev/null || fail "go is not installed (scripts/deps.sh test installs golang-go)"
expect 0 "$hakmem" report "$t/f.hprof" -o "$t/f.pb.gz"
gzip -t "$t/f.pb.gz" || fail "pprof: not a valid gzip file"
# pprof_top FILE INDEX FUNCTION FLAT: go tool pprof -top lists FUNCTION with that flat value.
pprof_top() {
  go tool pprof -top -sample_index="$2" "$1" >"$t/top" 2>"$t/top.err" || { cat "$t/top.err"; fail "go tool pprof $1"; }
  awk -v f="$3" -v v="$4" '$6 == f && $1 == v { ok = 1 } END { exit !ok }' "$t/top" || { cat "$t/top"; fail "pprof -sample_index=$2: $3 is not $4"; }
}
pprof_top "$t/f.pb.gz" inuse_space fixture_entry 5120kB
pprof_top "$t/f.pb.gz" inuse_space json.parse.string 4096kB
pprof_top "$t/f.pb.gz" inuse_space fixture_alloc_big 3072kB
pprof_top "$t/f.pb.gz" inuse_space fixture_inlined 2048kB
pprof_top "$t/f.pb.gz" inuse_space fixture_alloc_small 1024kB
pprof_top "$t/f.pb.gz" inuse_space xmalloc_wrapper 1024kB
pprof_top "$t/f.pb.gz" inuse_space vm.array 512kB
pprof_top "$t/f.pb.gz" alloc_space fixture_alloc_big 8MB
pprof_top "$t/f.pb.gz" alloc_objects fixture_alloc_small 64
pprof_top "$t/f.pb.gz" inuse_objects fixture_alloc_big 6
go tool pprof -top "$t/f.pb.gz" 2>/dev/null | grep -q "^Type: inuse_space" || fail "pprof: default sample type is not inuse_space"
go tool pprof -top "$t/f.pb.gz" 2>/dev/null | grep -q "^Duration: 500ms" || fail "pprof: duration"
# --skip goes into drop_frames: pprof drops xmalloc_wrapper and gives its bytes to fixture_user.
expect 0 "$hakmem" report "$t/f.hprof" --skip xmalloc_wrapper -o "$t/skip.pprof"
pprof_top "$t/skip.pprof" inuse_space fixture_user 1024kB
! grep -q xmalloc_wrapper "$t/top" || fail "pprof: drop_frames did not drop xmalloc_wrapper"
python3 -c "import gzip,sys; d=gzip.open(sys.argv[1]).read(); assert len(d) > 500" "$t/f.pb.gz" || fail "pprof: python3 gzip"

# ----- the reader's tolerance and errors -----
"$fixture" "$t/trunc.hprof" --no-end >/dev/null
expect 0 "$hakmem" report "$t/trunc.hprof"
has "$t/err" "warning: .*trunc.hprof: no 'end' line: the file is truncated"
has "$t/out" "TRUNCATED"
expect 0 "$hakmem" report "$t/trunc.hprof" --format json
python3 -c "import json,sys; assert json.load(open(sys.argv[1]))['truncated'] is True" "$t/out" || fail "json: truncated flag"
head -c -3 "$t/trunc.hprof" >"$t/cut.hprof"  # the last line cut in the middle
expect 0 "$hakmem" report "$t/cut.hprof" --format folded
has "$t/err" "cut.hprof:[0-9]*: the last line is cut short"
has "$t/err" "no 'end' line"
sed 's/^sample 2 16 /sample 2 x16 /' "$t/f.hprof" >"$t/bad.hprof"
line=$(grep -n '^sample 2 ' "$t/bad.hprof" | cut -d: -f1)
expect 1 "$hakmem" report "$t/bad.hprof"
has "$t/err" "^hakmem report: $t/bad.hprof:$line: error: alloc_objects 'x16' is not a decimal number"
sed 's/^sample 3 /sample 99 /' "$t/f.hprof" >"$t/bad2.hprof"
expect 1 "$hakmem" report "$t/bad2.hprof"
has "$t/err" "bad2.hprof:[0-9]*: error: sample: no stack line defines stack 99"
echo "hello" >"$t/hello.hprof"
expect 1 "$hakmem" report "$t/hello.hprof"
has "$t/err" "hello.hprof:1: error: not a hakmem profile data file"
expect 1 "$hakmem" report "$t/missing.hprof"
has "$t/err" "missing.hprof: error: cannot open: No such file or directory"

# ----- symbolization without addr2line -----
HAKMEM_ADDR2LINE=/nonexistent/addr2line "$hakmem" report "$t/f.hprof" --format folded >"$t/out" 2>"$t/err" || fail "no addr2line: exit status"
has "$t/err" "warning: cannot run /nonexistent/addr2line"
[ "$(grep -c 'warning' "$t/err")" = 1 ] || { cat "$t/err"; fail "no addr2line: one warning expected"; }
grep -q "^$obj+0x[0-9a-f]*;$obj+0x[0-9a-f]*;$obj+0x[0-9a-f]* 3145728$" "$t/out" || { cat "$t/out"; fail "no addr2line: OBJECT+0xOFFSET names"; }

# ----- usage -----
expect 2 "$hakmem" report "$t/f.hprof" --format png
has "$t/err" "unknown format 'png' (known: text, json, svg, folded, pprof)"
expect 2 "$hakmem" report
expect 2 "$hakmem" report "$t/f.hprof" --top 0
expect 2 "$hakmem" report "$t/f.hprof" --type bytes
expect 2 "$hakmem" report "$t/f.hprof" --bogus
has "$t/err" "option '--bogus' is unknown"
expect 2 "$hakmem" report "$t/f.hprof" --skip '('
expect 0 "$hakmem" report --help
has "$t/out" "--skip RE"
expect 1 "$hakmem" report "$t/f.hprof" -o /nonexistent-dir/f.json
has "$t/err" "cannot write /nonexistent-dir/f.json: No such file or directory"
echo "report.sh: all checks passed"
