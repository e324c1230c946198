#!/usr/bin/env python3
"""run_script.py HAKMEM SCRIPT.hk: runs `HAKMEM run SCRIPT.hk [-- ARGS]` in the
script's directory and checks it against the files next to it:

  NAME.out   exact stdout (missing: stdout must be empty)
  NAME.err   stderr, one regular expression per line, each matching the whole
             line in order; a line `...` matches any number of lines
             (missing: stderr must be empty)
  NAME.code  exit status (missing: 0)
  NAME.args  script arguments, one per line (passed after --)
  NAME.opts  extra options of `hakmem run`, one per line

Exit status 0 when everything matches; otherwise the differences on stderr."""
import os
import re
import subprocess
import sys


def read(path, default=None):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return default


def match_err(patterns, text):
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()

    def rec(pi, li):
        if pi == len(patterns):
            return li == len(lines)
        if patterns[pi] == "...":
            return any(rec(pi + 1, k) for k in range(li, len(lines) + 1))
        if li < len(lines) and re.fullmatch(patterns[pi], lines[li]):
            return rec(pi + 1, li + 1)
        return False

    return rec(0, 0)


def script_command(hakmem, d, name):
    """`hakmem run NAME` with the options of NAME.opts and the arguments of
    NAME.args (one per line) in directory d."""
    base = os.path.join(d, name[:-3])
    cmd = [hakmem, "run", name]
    opts = read(base + ".opts")
    if opts is not None:
        cmd += [l for l in opts.decode().split("\n") if l]
    args = read(base + ".args")
    if args is not None:
        cmd += ["--"] + [l for l in args.decode().split("\n") if l]
    return cmd


def main():
    hakmem, script = sys.argv[1], sys.argv[2]
    timeout = float(os.environ.get("HK_SCRIPT_TIMEOUT", "120"))
    d, name = os.path.split(os.path.abspath(script))
    base = os.path.join(d, name[:-3])
    cmd = script_command(hakmem, d, name)
    try:
        p = subprocess.run(cmd, cwd=d, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"{name}: timed out after {timeout} s", file=sys.stderr)
        return 1
    ok = True
    want_out = read(base + ".out", b"")
    if p.stdout != want_out:
        ok = False
        print(f"{name}: stdout differs\n--- want\n{want_out.decode(errors='replace')}--- got\n"
              f"{p.stdout.decode(errors='replace')}---", file=sys.stderr)
    want_code = int(read(base + ".code", b"0").decode().strip())
    if p.returncode != want_code:
        ok = False
        print(f"{name}: exit status {p.returncode}, want {want_code}", file=sys.stderr)
    err = p.stderr.decode(errors="replace")
    pats = read(base + ".err")
    if pats is None:
        if err:
            ok = False
            print(f"{name}: unexpected stderr:\n{err}", file=sys.stderr)
    else:
        pl = [l for l in pats.decode().split("\n") if l != ""]
        if not match_err(pl, err):
            ok = False
            print(f"{name}: stderr does not match\n--- patterns\n" + "\n".join(pl) + f"\n--- got\n{err}---",
                  file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
