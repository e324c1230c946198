#!/usr/bin/env python3
"""options.py HAKMEM SRC [LIBHAKMEM]: the `hakmem` command line against its
own help, the parsers and the docs.

- `hakmem --version` and `hakmem version` print `hakmem MAJOR.MINOR.PATCH`
  (runtime/alloc/include/hakmem.h's), exit 0.
- `hakmem --help` lists a command for each runtime/cli/cmd_*.c; each
  command (and json's subcommands) answers `--help` with its usage on
  stdout, exit 0.
- Every option a help lists is taken by the parser: one with an argument,
  given last without it, is refused as `option '--NAME' needs an argument`
  (so the parser knows it and that it takes one); one without, followed by
  an unknown option, gets past the parser to the unknown one (or does its
  work at once and exits 0: --help, --list). The generated usage line names
  exactly the options of the list.
- An unknown option (long and short) is exit 2 with `hakmem CMD: option
  'X' is unknown` and the usage on stderr, nothing on stdout.
- The docs show each command's usage line as --help prints it.
- With LIBHAKMEM (a build with the scenario programs): `hakmem bench
  --smoke --json F` writes JSON that Python's json module reads, with the
  documented keys, even for a library path that needs escaping."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

hakmem, src = sys.argv[1], sys.argv[2]
libhakmem = sys.argv[3] if len(sys.argv) > 3 else ""
failures = []
UNKNOWN = "--no-such-option-xyz"


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def run(*args, **kw):
    p = subprocess.run([hakmem] + list(args), capture_output=True, text=True, timeout=kw.get("timeout", 60),
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def words(s):
    return " ".join(s.split())


# ----- version -----
hdr = open(os.path.join(src, "runtime/alloc/include/hakmem.h")).read()
ver = ".".join(re.search(r"#define HAKMEM_VERSION_%s (\d+)" % k, hdr).group(1) for k in ("MAJOR", "MINOR", "PATCH"))
for args in (["--version"], ["version"]):
    rc, out, err = run(*args)
    if rc != 0 or out != "hakmem %s\n" % ver or err:
        fail("hakmem %s: exit %d, stdout %r, stderr %r (want 'hakmem %s')" % (" ".join(args), rc, out, err, ver))

# ----- hakmem --help: the command table -----
rc, out, err = run("--help")
if rc != 0 or not out.startswith("usage: hakmem COMMAND"):
    fail("hakmem --help: exit %d, stdout %r" % (rc, out[:200]))
commands = re.findall(r"^  ([a-z]+)  +\S", out.split("commands:\n", 1)[-1], re.M)
files = sorted(f[4:-2] for f in os.listdir(os.path.join(src, "runtime/cli")) if re.match(r"cmd_\w+\.c$", f))
for name in files:
    if name not in commands:
        fail("hakmem --help does not list %s (runtime/cli/cmd_%s.c)" % (name, name))
rc, out2, err = run()
if rc != 2 or out2 or "usage: hakmem COMMAND" not in err:
    fail("hakmem without a command: exit %d (want 2 and the usage on stderr)" % rc)
rc, _, err = run(UNKNOWN)
if rc != 2 or "hakmem: unknown option '%s'" % UNKNOWN not in err:
    fail("hakmem %s: exit %d, stderr %r" % (UNKNOWN, rc, err[:200]))
rc, _, err = run("frobnicate")
if rc != 2 or "hakmem: unknown command 'frobnicate'" not in err:
    fail("hakmem frobnicate: exit %d, stderr %r" % (rc, err[:200]))

# ----- each command's --help against its parser -----
OPT_LINE = re.compile(r"^  (?:-(\S), |    )--([a-z][a-z0-9-]*)")


def usage_of(text):
    """The usage lines at the top of a help (continuation lines included)."""
    lines = []
    for line in text.splitlines():
        if line.startswith("usage: ") or (lines and line.startswith(" ")):
            lines.append(line)
        else:
            break
    return lines


def check_command(cmd):
    """Checks hakmem CMD's --help against its parser; returns its usage lines."""
    who = "hakmem " + " ".join(cmd)
    rc, out, err = run(*cmd, "--help")
    if rc != 0 or err or not out.startswith("usage: " + who):
        fail("%s --help: exit %d, stdout %r, stderr %r" % (who, rc, out[:200], err[:200]))
        return None
    usage = usage_of(out)
    subs = len(usage) > 1 and all(l.replace("usage: ", "").strip().startswith(who + " ") for l in usage)
    opts = []  # (short, long)
    for line in out.split("\noptions:\n", 1)[1].splitlines():
        m = OPT_LINE.match(line)
        if m:
            opts.append((m.group(1), m.group(2)))
    if ("help" not in [o[1] for o in opts]):
        fail("%s --help lists no --help" % who)
    # The usage names every option but --help, and nothing else (unless it says [options]).
    text = " ".join(usage) if not subs else ""  # a command with subcommands shows theirs
    in_usage = re.findall(r"\[(--?[a-z][a-z0-9-]*)(?: ([^\]]+))?\]", text)
    takes_arg = {}
    for flag, arg in in_usage:
        names = [o for o in opts if flag == "--" + o[1] or flag == "-" + (o[0] or "")]
        if not names:
            fail("%s: the usage names %s, the option list does not" % (who, flag))
            continue
        takes_arg[names[0][1]] = bool(arg)
    for short, name in opts:
        if name != "help" and name not in takes_arg and "[options]" not in text:
            fail("%s: --%s is listed but not in the usage line" % (who, name))
        # Does the help line show an argument? (the word right after --name, before two spaces)
        line = [l for l in out.splitlines() if OPT_LINE.match(l) and OPT_LINE.match(l).group(2) == name][0]
        after = line[OPT_LINE.match(line).end():]
        has_arg = bool(re.match(r" [^ ]", after)) and name not in ("help",)
        if name in takes_arg and takes_arg[name] != has_arg:
            fail("%s: --%s: the usage and the option list disagree about its argument" % (who, name))
        if has_arg:
            rc, o2, e2 = run(*cmd, "--" + name)
            want = ["option '--%s' needs an argument" % name] + (["option '-%s' needs an argument" % short] if short else [])
            if rc != 2 or not any(w in e2 for w in want):
                fail("%s --%s (no argument): exit %d, stderr %r (want 2 and '%s')" % (who, name, rc, e2[:300], want[0]))
        else:
            rc, o2, e2 = run(*cmd, "--" + name, UNKNOWN)
            if rc == 0 and o2:
                continue  # it did its work at once (--help, --list)
            if rc != 2 or ("option '%s' is unknown" % UNKNOWN) not in e2:
                fail("%s --%s %s: exit %d, stderr %r (want the parser past --%s)" % (who, name, UNKNOWN, rc, e2[:300], name))
    # Unknown options, long and short: exit 2, a message naming it, the usage.
    for bad in (UNKNOWN, "-Z"):
        rc, o2, e2 = run(*cmd, bad)
        first = e2.splitlines()[0] if e2 else ""
        if rc != 2 or o2 or first != "%s: option '%s' is unknown" % (who, bad) or "usage: hakmem " + cmd[0] not in e2:
            fail("%s %s: exit %d, stdout %r, stderr %r (want 2, `%s: option '%s' is unknown` and the usage)"
                 % (who, bad, rc, o2[:100], e2[:300], who, bad))
    print("ok: %s: --help, %d options, unknown options refused" % (who, len(opts)))
    return usage


usages = {}
for name in commands:
    if name == "version":
        continue
    usages[name] = check_command([name])
    if usages[name] and len(usages[name]) > 1 and all(l.replace("usage: ", "").strip().startswith("hakmem %s " % name)
                                                       for l in usages[name]):
        for line in usages[name]:  # subcommands: one usage line each (hakmem json)
            sub = line.replace("usage: ", "").split()[2]
            usages[name + " " + sub] = check_command([name, sub])

# `hakmem run FILE -- ARGS`: options after `--` are the script's.
with tempfile.TemporaryDirectory() as tmp:
    hk = os.path.join(tmp, "args.hk")
    with open(hk, "w") as f:
        f.write("for a in args() { print(a); }\n")
    rc, out, err = run("run", hk, "--", "--threads", "x", "-Z", "--")
    if rc != 0 or out != "--threads\nx\n-Z\n--\n":
        fail("hakmem run FILE -- --threads x -Z --: exit %d, stdout %r, stderr %r" % (rc, out, err[:300]))
    rc, out, err = run("run", "--threads", "2", hk, "--", "a")
    if rc != 0 or out != "a\na\n" or "threads: 2" not in err:
        fail("hakmem run --threads 2 FILE -- a: exit %d, stdout %r, stderr %r" % (rc, out, err[:300]))
    rc, out, err = run("run", hk, "extra")
    if rc != 2 or "unexpected argument 'extra'" not in err:
        fail("hakmem run FILE extra: exit %d, stderr %r" % (rc, err[:300]))

# ----- the docs show the usage lines as --help prints them -----
docs = {"run": ["docs/vm.md", "docs/language.md"], "json validate": ["docs/json.md"], "json fmt": ["docs/json.md"],
        "mir": ["docs/mir.md"], "bench": ["docs/benchmarks.md"], "prof": ["docs/profiling.md"],
        "report": ["docs/profiling.md"]}
for name, paths in docs.items():
    if not usages.get(name):
        continue
    line = words(" ".join(usages[name]).replace("usage: ", "", 1))
    for path in paths:
        text = words(open(os.path.join(src, path)).read().replace("`", " "))
        if line not in text:
            fail("%s does not show the usage of hakmem %s as --help prints it: %s" % (path, name, line))
        else:
            print("ok: %s shows `%s`" % (path, line))

# ----- hakmem bench --json: JSON that Python reads -----
if libhakmem:
    keys = ["scenario", "threads", "allocator", "metric", "ok", "values", "median", "min", "max", "peak_rss_kb",
            "peak_rss_kb_median", "wall_s_runs", "cpu_s_runs", "wall_s", "cpu_s", "speed_vs_hakmem", "rss_vs_hakmem"]
    with tempfile.TemporaryDirectory() as tmp:
        odd = os.path.join(tmp, 'lib"quoted\\hakmem.so')  # a library path that JSON must escape
        shutil.copy(libhakmem, odd)
        out_json = os.path.join(tmp, "out.json")
        rc, out, err = run("bench", "--smoke", "--runs", "1", "--threads", "1", "--scenario", "micro", "--allocator",
                           "hakmem,glibc,odd=" + odd, "--json", out_json, timeout=300)
        if rc != 0:
            fail("hakmem bench --smoke --json: exit %d, stderr %r" % (rc, err[-500:]))
        else:
            try:
                doc = json.load(open(out_json))
                assert set(doc) == {"date", "machine", "runs", "smoke", "results"}, sorted(doc)
                assert doc["runs"] == 1 and doc["smoke"] is True
                names = [r["allocator"] for r in doc["results"]]
                assert names == ["hakmem", "glibc", "odd"], names
                for r in doc["results"]:
                    want = keys[:3] + (["library"] if r["allocator"] == "odd" else []) + keys[3:]
                    assert list(r) == want, list(r)
                    assert r["ok"] is True and len(r["values"]) == 1
                assert doc["results"][2]["library"] == os.path.realpath(odd), doc["results"][2]["library"]
                print("ok: hakmem bench --json: %d results, valid JSON, the library path escaped" % len(doc["results"]))
            except (ValueError, AssertionError, KeyError) as e:
                fail("hakmem bench --json: %s: %s" % (type(e).__name__, e))

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("cli options: all good")
