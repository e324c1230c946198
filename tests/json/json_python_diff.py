#!/usr/bin/env python3
"""json_python_diff.py HAKMEM: differential test of `hakmem json fmt` against
Python's json module (the reference the spec names for layout and float
format). Seeded random documents (ints within int64, any finite float,
strings with escapes, controls, DEL and non-ASCII, nesting, empty
containers) are written compact by Python; `hakmem json fmt [--indent N]`
must print exactly what json.dumps(doc, indent=N, ensure_ascii=False) prints,
and its output must load back equal in Python."""
import json
import math
import random
import struct
import subprocess
import sys
import tempfile

hakmem = sys.argv[1]
PIECES = ["a", "Z", " ", '"', "\\", "/", "\n", "\t", "\r", "\b", "\f", "\x01", "\x1f", "\x7f", "\x00",
          "\u00e9", "\u20ac", "\U0001F600", "\uffff", "\u2028", "word", "longer text "]


def rstr(r):
    return "".join(r.choice(PIECES) for _ in range(r.randrange(0, 8 if r.random() < 0.8 else 60)))


def rfloat(r):
    k = r.random()
    if k < 0.4:
        while True:
            f = struct.unpack("<d", struct.pack("<Q", r.getrandbits(64)))[0]
            if math.isfinite(f):
                return f
    if k < 0.7:
        return r.uniform(-1000, 1000)
    if k < 0.85:
        return r.randrange(-10**6, 10**6) / 100.0
    return r.choice([0.0, -0.0, 1e16, 1e15, 1e-5, 1e-4, 2e-7, 5e-324, 1.7976931348623157e308, 0.1, 1.0])


def rval(r, depth):
    k = r.randrange(9 if depth > 0 else 6)
    if k == 0:
        return None
    if k == 1:
        return r.random() < 0.5
    if k == 2:
        return r.choice([0, -1, 2**63 - 1, -2**63, r.randrange(-2**63, 2**63), r.randrange(-1000, 1000)])
    if k == 3:
        return rfloat(r)
    if k in (4, 5):
        return rstr(r)
    if k in (6, 7):
        return [rval(r, depth - 1) for _ in range(r.randrange(0, 6))]
    return {rstr(r): rval(r, depth - 1) for _ in range(r.randrange(0, 6))}


def same(a, b):  # equality that tells 0.0 from -0.0 and int from float
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a.keys()) == list(b.keys()) and all(same(a[k], b[k]) for k in a)
    return a == b


def main():
    failures = 0
    for seed in range(8):
        r = random.Random(seed)
        doc = [rval(r, 8) for _ in range(300)]
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".json", delete=False) as f:
            f.write(json.dumps(doc, separators=(",", ":"), ensure_ascii=False))
            path = f.name
        for indent in (None, 0, 2, 4):
            args = [hakmem, "json", "fmt"] + ([] if indent is None else ["--indent", str(indent)]) + [path]
            got = subprocess.run(args, capture_output=True).stdout.decode("utf-8")
            if indent is None:
                want = json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n"
            else:
                want = json.dumps(doc, indent=indent, ensure_ascii=False) + "\n"
            if got != want:
                failures += 1
                i = next((i for i, (x, y) in enumerate(zip(got, want)) if x != y), min(len(got), len(want)))
                print(f"seed {seed} indent {indent}: differs at {i}: got {got[i-40:i+40]!r} want {want[i-40:i+40]!r}")
            elif not same(json.loads(got), doc):
                failures += 1
                print(f"seed {seed} indent {indent}: loads back different")
    print("json_python_diff:", "FAILED" if failures else "ok")
    return 1 if failures else 0


sys.exit(main())
