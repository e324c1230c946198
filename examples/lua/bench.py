#!/usr/bin/env python3
"""bench.py [--runs N] [--hklua PATH] [PROGRAMS...]: stock lua5.4 on each
allocator (glibc, and libhakmem.so, mimalloc, jemalloc, tcmalloc through
LD_PRELOAD) against hklua (Lua on hakmem's embedding library, one site per
object type), on the allocation-heavy programs of examples/lua/bench.
Interleaved runs (every allocator once, then again), medians of wall time
and of peak RSS (wait4's ru_maxrss of each child). Every run's output must
be the same as lua5.4 on glibc's, and the hklua and libhakmem.so runs must
prove hakmem served them (hklua: its profile; libhakmem.so: HAKMEM_STATS)."""
import argparse, os, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
LIBDIRS = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"]
PEERS = [("mimalloc", "libmimalloc.so.2"), ("jemalloc", "libjemalloc.so.2"), ("tcmalloc", "libtcmalloc_minimal.so.4")]

def find(name):
    for d in LIBDIRS:
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    return None

def run_measured(cmd, env_extra):
    """Exit status, stdout, stderr, wall seconds and peak RSS (KiB) of cmd.
    GNU time measures the peak RSS: a child forked from this Python process
    would count the interpreter's own memory in its peak."""
    env = dict(os.environ)
    env.update(env_extra)
    with tempfile.NamedTemporaryFile(mode="r") as tf:
        t0 = time.monotonic()
        p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", tf.name] + cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env)
        wall = time.monotonic() - t0
        lines = [l for l in tf.read().splitlines() if l.strip().isdigit()]
        return p.returncode, p.stdout, p.stderr, wall, int(lines[-1]) if lines else 0

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--hklua", default=os.path.join(HERE, "../../build/examples/lua/hklua"))
    ap.add_argument("--libhakmem", default=os.path.join(HERE, "../../build/runtime/alloc/libhakmem.so"))
    ap.add_argument("programs", nargs="*", default=["trees", "strings", "tables", "closures"])
    a = ap.parse_args()
    if not os.path.exists("/usr/bin/time"):
        sys.exit("bench.py: needs GNU time (/usr/bin/time; Debian package 'time')")
    allocs = [("lua5.4 glibc", ["lua5.4"], {})]
    if os.path.exists(a.libhakmem):
        allocs.append(("lua5.4 libhakmem.so", ["lua5.4"], {"LD_PRELOAD": a.libhakmem, "HAKMEM_STATS": "1"}))
    for name, lib in PEERS:
        p = find(lib)
        if p:
            allocs.append(("lua5.4 " + name, ["lua5.4"], {"LD_PRELOAD": p}))
    if not os.path.exists(a.hklua):
        sys.exit("bench.py: no hklua at %s (build it first)" % a.hklua)
    prof = tempfile.mktemp(suffix=".json")
    allocs.append(("hklua", [a.hklua], {}))
    print("program   %-22s %9s %9s %9s %9s %12s" % ("allocator", "median s", "min s", "max s", "vs hklua", "peak RSS MB"))
    ok = True
    for prog in a.programs:
        script = os.path.join(HERE, "bench", prog + ".lua")
        times = {n: [] for n, _, _ in allocs}
        rss = {n: [] for n, _, _ in allocs}
        want = None
        for r in range(a.runs):
            for name, cmd, env in allocs:
                c = cmd + [script]
                if name == "hklua" and r == 0:
                    c = cmd + ["--profile-out", prof, script]  # the first run proves the allocator (and is not timed)
                rc, out, err, wall, maxrss = run_measured(c, env)
                if want is None:
                    want = out
                if rc != 0 or out != want:
                    print("bench.py: %s on %s failed or printed something else (status %d): %s" % (prog, name, rc, err[-300:]))
                    ok = False
                    continue
                if "libhakmem" in name and b"alloc_count" not in err:
                    print("bench.py: %s: libhakmem.so did not serve lua5.4 (no HAKMEM_STATS report)" % prog)
                    ok = False
                if name == "hklua" and r == 0:
                    with open(prof) as f:
                        if '"subsystem":"lua"' not in f.read():
                            print("bench.py: %s: hklua's profile has no lua subsystem" % prog)
                            ok = False
                    rc, out, err, wall, maxrss = run_measured(cmd + [script], env)
                times[name].append(wall)
                rss[name].append(maxrss / 1024.0)
        hk = statistics.median(times["hklua"]) if times["hklua"] else 0
        for name, _, _ in allocs:
            if not times[name]:
                continue
            m = statistics.median(times[name])
            print("%-9s %-22s %9.3f %9.3f %9.3f %8.2fx %12.1f" % (prog, name, m, min(times[name]), max(times[name]),
                                                              m / hk if hk else 0, statistics.median(rss[name])))
    if os.path.exists(prof):
        os.unlink(prof)
    sys.exit(0 if ok else 1)

if __name__ == "__main__":
    main()
