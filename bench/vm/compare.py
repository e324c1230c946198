#!/usr/bin/env python3
"""compare.py: the hk VM against Lua 5.4 on the same five programs.

Runs `hakmem run P.hk` and `lua5.4 P.lua` interleaved (A B A B ...) --runs
times each, checks that both print the same numbers, and reports the median
wall time and the median peak RSS (ru_maxrss of the child, via wait4) of
each, with the ratios hk/Lua. One more run of hk with HAKMEM_STATS=1 proves
that hakmem served the VM's allocations (its alloc_count is printed).

  bench/vm/compare.py [--hakmem build/runtime/cli/hakmem] [--lua lua5.4]
                      [--runs 5] [--markdown] [PROGRAM...]

PROGRAM: fib trees strings maps nbody (default: all). Not a test: timings
depend on the machine; docs/benchmarks.md quotes runs with their command."""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = ["fib", "trees", "strings", "maps", "nbody"]


# Peak RSS must be measured by a small parent: a child forked from Python
# keeps Python's resident pages in its ru_maxrss across exec. This launcher
# (compiled once with cc) forks, execs the command, and prints the child's
# wall time and ru_maxrss from wait4 on its stderr's last line.
LAUNCHER_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char** argv) {
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  pid_t pid = fork();
  if (pid == 0) { execvp(argv[1], argv + 1); _exit(127); }
  int st; struct rusage ru;
  if (pid < 0 || wait4(pid, &st, 0, &ru) < 0) return 125;
  clock_gettime(CLOCK_MONOTONIC, &b);
  fprintf(stderr, "\nLAUNCHER %.6f %ld %d\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9,
          ru.ru_maxrss, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  return 0;
}
"""
_launcher = None


def launcher():
    global _launcher
    if _launcher is None:
        d = tempfile.mkdtemp(prefix="hkbench")
        src = os.path.join(d, "launch.c")
        with open(src, "w") as f:
            f.write(LAUNCHER_C)
        _launcher = os.path.join(d, "launch")
        subprocess.run([os.environ.get("CC", "cc"), "-O2", "-o", _launcher, src], check=True)
    return _launcher


def run_rss(cmd, env=None):
    """(wall seconds, peak RSS KiB, stdout, stderr, status) of one run."""
    p = subprocess.run([launcher()] + cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    err = p.stderr.decode(errors="replace")
    cut = err.rfind("\nLAUNCHER ")
    wall, rss, st = err[cut + 10:].split()
    return float(wall), int(rss), p.stdout.decode(errors="replace"), err[:cut], int(st)


def numbers(text):
    """The numbers a program printed, for comparing hk and Lua outputs."""
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?", text)]


def same_numbers(a, b):
    na, nb = numbers(a), numbers(b)
    return len(na) == len(nb) and all(abs(x - y) <= 1e-12 * max(1.0, abs(x)) for x, y in zip(na, nb))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hakmem", default=os.path.join(HERE, "..", "..", "build", "runtime", "cli", "hakmem"))
    ap.add_argument("--lua", default="lua5.4")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("programs", nargs="*")
    a = ap.parse_args()
    progs = a.programs or PROGRAMS
    rows = []
    for prog in progs:
        hk_cmd = [a.hakmem, "run", os.path.join(HERE, prog + ".hk")]
        lua_cmd = [a.lua, os.path.join(HERE, prog + ".lua")]
        hk_t, hk_m, lua_t, lua_m = [], [], [], []
        for i in range(a.runs):
            for cmd, ts, ms in ((hk_cmd, hk_t, hk_m), (lua_cmd, lua_t, lua_m)):
                wall, rss, out, err, st = run_rss(cmd)
                if st != 0:
                    sys.exit(f"{' '.join(cmd)} failed ({st}):\n{err}")
                ts.append(wall)
                ms.append(rss)
                if cmd is hk_cmd:
                    hk_out = out
                else:
                    lua_out = out
        if not same_numbers(hk_out, lua_out):
            sys.exit(f"{prog}: hk and Lua print different numbers:\n{hk_out}\n{lua_out}")
        env = dict(os.environ, HAKMEM_STATS="2")
        _, _, _, err, _ = run_rss(hk_cmd, env)
        m = re.search(r'"alloc_count"\s*:\s*(\d+)', err)
        proof = m.group(1) if m else "?"
        row = (prog, statistics.median(hk_t), statistics.median(lua_t), statistics.median(hk_m),
               statistics.median(lua_m), proof)
        rows.append(row)
        print(f"{prog}: hk {row[1]:.3f} s {row[3] / 1024:.1f} MiB | lua {row[2]:.3f} s {row[4] / 1024:.1f} MiB | "
              f"time {row[1] / row[2]:.2f}x rss {row[3] / row[4]:.2f}x | hakmem allocs {proof}", flush=True)
    if a.markdown:
        print()
        print("| program | hk time (s) | Lua time (s) | time hk/Lua | hk peak RSS (MiB) | Lua peak RSS (MiB) | RSS hk/Lua | hakmem alloc_count |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for p, ht, lt, hm, lm, proof in rows:
            print(f"| {p} | {ht:.3f} | {lt:.3f} | {ht / lt:.2f} | {hm / 1024:.1f} | {lm / 1024:.1f} | {hm / lm:.2f} | {proof} |")


if __name__ == "__main__":
    main()
