#!/usr/bin/env python3
"""runtime_faults.py HAKMEM LAYER [SEEDS [ONLY]]: the runtime while the OS refuses
memory calls (a HAK_FAULTS build, docs/options.md). LAYER picks the work:

  json  `hakmem json validate|fmt [--indent 2]` on tests/json/corpus/ and on
        three generated documents of 0.7 to 2.5 MB (many values, a wide
        object of 60,000 keys, long strings)
  mir   `hakmem mir FILE.hk --bytecode` on tests/scripts/ and tests/mir/corpus/
  vm    `hakmem run` on tests/scripts/ (their .args and .opts), as
        tests/scripts/run_script.py runs them

Each piece of work runs without faults once, then under faults:
  nth N   only the N-th memory call of the process fails (N = 0, 1, 2, ...)
  from N  every memory call from the N-th on fails: the machine stays out of
          memory, so the error path itself gets nothing
  random  SEEDS runs (default 6), each with its own seed and a share of
          refused calls between 3% and 50%
The N sweeps go on until failing every call from N on changes nothing, so
every call of the run is failed once. Every run has
HAKMEM_SEGMENT_CACHE=0, HAKMEM_WHALE_CACHE=0 and HAKMEM_PURGE_DELAY_MS=0 (an
empty segment goes back to the OS at once, and the next one is a new mmap
that can fail: more calls, spread over the whole run), and every other run
is in checked mode (HAKMEM_CHECK=1: a double or bad free aborts).

The rule, for every run: either the same result as without faults (stdout,
stderr, exit status; for vm the script's .out/.err/.code), or the layer's
documented out-of-memory error with exit status 1 and, on stdout, a prefix
of what the run without faults printed:
  json  FILE: error: cannot read: Cannot allocate memory   (reading the file)
        FILE:LINE:COL: error: out of memory...              (parsing, docs/json.md)
        FILE: error: out of memory                          (writing)
  mir   hakmem: out of memory reading FILE                  (docs/mir.md)
        hakmem: out of memory compiling FILE
  vm    the two lines of mir, or a runtime error whose message says out of
        memory (FILE:LINE: runtime error: out of memory, ... out of memory
        starting a thread, thread failed at FILE:LINE: out of memory, thread
        failed when even that text could not be kept, a deadlock that names
        the thread that failed), with its traceback (docs/vm.md), or
        `hakmem run: out of memory`; a traceback may be cut short
Never a signal, a hang (60 s), another message, or a different output with
the success status. The outcomes are counted per kind, and the test fails if
no run at all ended in the layer's own out-of-memory error (json: parsing
and writing; mir: compiling; vm: a runtime error), so it cannot silently
stop testing anything. Failing runs are printed with the environment that
reproduces them."""
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TESTS, "scripts"))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from run_script import match_err, script_command  # noqa: E402  (the script tests' stderr patterns and command lines)

TIMEOUT = 60
PERMILLES = [30, 60, 120, 250, 500]
MAX_N = 400
BASE_ENV = {"HAKMEM_SEGMENT_CACHE": "0", "HAKMEM_WHALE_CACHE": "0", "HAKMEM_PURGE_DELAY_MS": "0"}
# Work whose output may rightly differ under faults, and why (printed):
KNOWN = [
    # A site registered while the registry cannot map memory is its
    # subsystem's anonymous site (hakmem.h: hak_site_register), so the
    # profile table of `--profile` names other rows, with exit status 0.
    # (A block allocated under the anonymous site and freed under the same
    # name registered later leaves that site's LIVE negative, which the
    # profile reader takes: docs/profile-format.md.)
    (r"run profile\.hk", "skipped", "its profile table names the anonymous site of a registration made out of memory"),
]
TRACE = re.compile(r"  at .*|  \.\.\. \d+ more frames \.\.\.|  in the thread:")


def read(path, default=None):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return default


class Work:
    """One command line. expect(p) says whether p is the result without
    faults; oom(p) gives the kind of out-of-memory error p ended in, or None."""

    def __init__(self, label, argv, cwd, name):
        self.label, self.argv, self.cwd, self.name = label, argv, cwd, name
        self.want = None  # (stdout, stderr, status) of the run without faults

    def expect(self, p):
        return (p.stdout, p.stderr, p.returncode) == self.want

    def out_prefix(self, p):
        return self.want[0].startswith(p.stdout)


class JsonWork(Work):
    def oom(self, p):
        if p.returncode != 1 or not self.out_prefix(p):
            return None
        n = re.escape(self.name)
        lines = p.stderr.decode(errors="replace").splitlines()
        if len(lines) != 1:
            return None
        if re.fullmatch(n + r": error: cannot read: Cannot allocate memory", lines[0]):
            return "read"
        if re.fullmatch(n + r":\d+:\d+: error: out of memory.*", lines[0]):
            return "parse"
        if re.fullmatch(n + r": error: out of memory", lines[0]):
            return "write"
        return None


def compile_oom(name, line):
    m = re.fullmatch(r"hakmem: out of memory (reading|compiling) " + re.escape(name), line)
    return m and ("read" if m.group(1) == "reading" else "compile")


class MirWork(Work):
    def oom(self, p):
        lines = p.stderr.decode(errors="replace").splitlines()
        if p.returncode != 1 or not self.out_prefix(p) or len(lines) != 1:
            return None
        return compile_oom(self.name, lines[0])


class RunWork(Work):
    """`hakmem run`, checked as tests/scripts/run_script.py checks it."""

    def __init__(self, label, argv, cwd, name, base):
        super().__init__(label, argv, cwd, name)
        self.want_out = read(base + ".out", b"")
        self.want_code = int(read(base + ".code", b"0").decode().strip())
        pats = read(base + ".err")
        self.pats = None if pats is None else [l for l in pats.decode().split("\n") if l != ""]
        self.threads = "--threads" in argv

    def err_ok(self, err):
        return not err if self.pats is None else match_err(self.pats, err)

    def expect(self, p):
        return p.stdout == self.want_out and p.returncode == self.want_code and self.err_ok(p.stderr.decode(errors="replace"))

    def oom(self, p):
        lines = p.stderr.decode(errors="replace").splitlines()
        if p.returncode != 1 or not self.want_out.startswith(p.stdout):
            return None
        if self.threads and lines and re.fullmatch(r"threads: \d+, wall: .*", lines[-1]):
            lines = lines[:-1]  # --threads N: the summary line after the runs' reports
        if len(lines) == 1 and compile_oom(self.name, lines[0]):
            return compile_oom(self.name, lines[0])
        if lines == ["hakmem run: out of memory"]:
            return "vm"
        if self.traceback_cut(p, lines):
            return "trace"
        kind = None
        for i, l in enumerate(lines):
            m = re.fullmatch(re.escape(self.name) + r":\d+: runtime error: (.*)", l)
            if m:
                if "out of memory" not in m.group(1) and m.group(1) != "thread failed":
                    return None
                kind = "vm"
            elif i == 0 or not TRACE.fullmatch(l):
                return None
        return kind

    def traceback_cut(self, p, lines):
        """The script's own error, whose traceback ran out of memory: the
        expected stdout and status, stderr the first lines of the expected."""
        pats = self.pats
        return (p.stdout == self.want_out and p.returncode == self.want_code and pats is not None
                and 0 < len(lines) < len(pats) and "..." not in pats[:len(lines)]
                and all(re.fullmatch(pats[i], l) for i, l in enumerate(lines)))


def gen_docs(d):
    """Three documents big enough that parsing and writing them maps memory."""
    rnd = random.Random(15)
    words = ["alpha", "beta", "gamma", "delta", "\u00e9t\u00e9", "\U0001f600", "tab\there", "q\"uote", "back\\slash"]

    def val(depth):
        r = rnd.random()
        if depth > 3 or r < 0.3:
            return rnd.choice([rnd.randint(-10**12, 10**12), rnd.random() * 1e6, True, False, None,
                               " ".join(rnd.choice(words) for _ in range(rnd.randint(0, 6)))])
        if r < 0.65:
            return [val(depth + 1) for _ in range(rnd.randint(0, 6))]
        return {"k%d" % rnd.randint(0, 40): val(depth + 1) for _ in range(rnd.randint(0, 6))}

    import json
    docs = {
        "gen_values.json": [val(0) for _ in range(4000)],
        "gen_wide.json": {"key%06d" % i: i * 3 for i in range(60000)},
        "gen_strings.json": ["".join(rnd.choice(words) for _ in range(rnd.randint(1, 400))) for _ in range(600)],
    }
    for name, v in docs.items():
        with open(os.path.join(d, name), "w", encoding="utf-8") as f:
            json.dump(v, f, ensure_ascii=False, indent=1 if name == "gen_values.json" else None)
    return sorted(docs)


def works(hakmem, layer, tmp):
    scripts = os.path.join(TESTS, "scripts")
    hk = sorted(f for f in os.listdir(scripts) if f.endswith(".hk"))
    if layer == "json":
        corpus = os.path.join(TESTS, "json", "corpus")
        out = []
        for d, names in ((corpus, sorted(os.listdir(corpus))), (tmp, gen_docs(tmp))):
            for n in names:
                for cmd in (["validate"], ["fmt"], ["fmt", "--indent", "2"]):
                    out.append(JsonWork("json " + " ".join(cmd) + " " + n, [hakmem, "json"] + cmd + [n], d, n))
        return out
    if layer == "mir":
        corpus = os.path.join(TESTS, "mir", "corpus")
        return [MirWork("mir " + n, [hakmem, "mir", n, "--bytecode"], d, n)
                for d, names in ((scripts, hk), (corpus, sorted(os.listdir(corpus)))) for n in names]
    if layer == "vm":
        out = []
        for n in hk:
            out.append(RunWork("run " + n, script_command(hakmem, scripts, n), scripts, n, os.path.join(scripts, n[:-3])))
        return out
    sys.exit(f"runtime_faults.py: unknown layer '{layer}' (json, mir or vm)")


def run(w, faults, checked):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAKMEM_")}
    env.update(BASE_ENV)
    env.update(faults)
    if checked:
        env["HAKMEM_CHECK"] = "1"
    try:
        p = subprocess.run(w.argv, cwd=w.cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as e:
        p = subprocess.CompletedProcess(w.argv, None, e.stdout or b"", e.stderr or b"")
    return p


def describe(w, faults, checked, p, why):
    env = dict(BASE_ENV, **faults)
    if checked:
        env["HAKMEM_CHECK"] = "1"
    cmd = " ".join(f"{k}={v}" for k, v in env.items()) + " " + " ".join(os.path.basename(a) if i == 0 else a
                                                                        for i, a in enumerate(w.argv))
    status = "timed out" if p.returncode is None else (f"killed by signal {-p.returncode}" if p.returncode < 0
                                                         else f"exit status {p.returncode}")
    return (f"FAIL {w.label}: {why}, {status}\n  reproduce: cd {w.cwd} && {cmd}\n"
            f"  stdout: {p.stdout[-300:]!r}\n  stderr: {p.stderr[-600:]!r}")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    hakmem, layer = os.path.abspath(sys.argv[1]), sys.argv[2]
    seeds = int(sys.argv[3]) if len(sys.argv) > 3 else 6
    only = sys.argv[4] if len(sys.argv) > 4 else None
    tmp = tempfile.mkdtemp(prefix="hakmem-faults-")
    try:
        return check_layer(hakmem, layer, seeds, tmp, only)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_layer(hakmem, layer, seeds, tmp, only=None):
    need = {"json": ["parse", "write"], "mir": ["compile"], "vm": ["vm"]}[layer]
    total, failures, nbad, nruns, ok_runs = {}, [], 0, 0, 0
    for w in works(hakmem, layer, tmp):
        bad = []
        if only and not re.search(only, w.label):
            continue
        known = next(((m, why) for pat, m, why in KNOWN if re.fullmatch(pat, w.label)), ("", ""))
        if known[0]:
            print(f"{w.label}: {known[0]}: {known[1]} (an allocator bug, runtime_faults.py: KNOWN)")
        if known[0] == "skipped":
            continue
        base = run(w, {}, False)
        w.want = (base.stdout, base.stderr, base.returncode)
        if not w.expect(base) or base.returncode is None or base.returncode < 0:
            failures.append(describe(w, {}, False, base, "differs without faults"))
            nbad += 1
            continue
        counts, runs, ok, calls = {}, 0, 0, None

        def one(faults):
            nonlocal runs, ok
            checked = runs % 2 == 1 and known[0] != "no checked mode"
            runs += 1
            p = run(w, faults, checked)
            if p.returncode is not None and p.returncode >= 0 and w.expect(p):
                ok += 1
                return True
            kind = None if p.returncode is None else w.oom(p)
            if kind is None:
                bad.append(describe(w, faults, checked, p, "neither the result without faults nor out of memory"))
            else:
                counts[kind] = counts.get(kind, 0) + 1
            return False

        quiet = 0
        for n in range(MAX_N):
            one({"HAKMEM_FAULT_PERMILLE": "1000", "HAKMEM_FAULT_AFTER": str(n), "HAKMEM_FAULT_UNTIL": str(n + 1)})
            quiet = quiet + 1 if one({"HAKMEM_FAULT_PERMILLE": "1000", "HAKMEM_FAULT_AFTER": str(n)}) else 0
            if quiet == 3:
                calls = n - 2
                break
        for s in range(1, seeds + 1):
            one({"HAKMEM_FAULT_PERMILLE": str(PERMILLES[s % len(PERMILLES)]), "HAKMEM_FAULT_SEED": str(s)})
        nruns += runs
        ok_runs += ok
        nbad += len(bad)
        failures += bad[:2]  # the first two of each piece of work
        if len(bad) > 2:
            failures.append(f"  ... and {len(bad) - 2} more bad runs of {w.label}")
        for k, v in counts.items():
            total[k] = total.get(k, 0) + v
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        print(f"{w.label}: {runs} runs, {ok} as without faults, {sum(counts.values())} out of memory"
              f" ({kinds or 'none'}), {len(bad)} bad; failing every call from call"
              f" {calls if calls is not None else '?'} on changes nothing")
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(total.items()))
    print(f"{layer}: {nruns} runs, {ok_runs} as without faults, {sum(total.values())} ended in out of memory"
          f" ({kinds}), {nbad} bad")
    for f in failures:
        print(f)
    missing = [k for k in need if not total.get(k)]
    if missing:
        print(f"FAIL {layer}: no run ended in out of memory of kind {', '.join(missing)}: the faults miss the layer")
    if nbad or missing:
        print(f"runtime_faults.py {layer}: {nbad} bad runs")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
