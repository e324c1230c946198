#!/usr/bin/env python3
"""options_listed.py SRC: docs/options.md lists every HAKMEM_* environment
variable the code reads, and nothing the code does not read.

The code's variables: each option of runtime/alloc/src/options.c's table (its
name, upper case, after HAKMEM_) and every "HAKMEM_..." string literal the
sources of runtime/, bench/ and examples/ pass to getenv, setenv or their own
environment builders. docs/options.md's: every `HAKMEM_...` in a table row."""
import os
import re
import sys

src = sys.argv[1]
code = set()
table = open(os.path.join(src, "runtime/alloc/src/options.c")).read()
for name in re.findall(r'\[HAK_OPT_[A-Z0-9_]+\]\s*=\s*\{[^,]+,\s*"([a-z0-9_]+)"', table):
    code.add("HAKMEM_" + name.upper())
for top in ("runtime", "bench", "examples"):
    for root, _, files in os.walk(os.path.join(src, top)):
        for f in files:
            if not f.endswith((".c", ".h")):
                continue
            text = open(os.path.join(root, f), errors="replace").read()
            code.update(re.findall(r'"(HAKMEM_[A-Z0-9_]+)"', text))
code -= {"HAKMEM_"}  # options.c builds the names from this prefix
docs = set()
for line in open(os.path.join(src, "docs/options.md")):
    if line.startswith("|"):
        docs.update(re.findall(r"`(HAKMEM_[A-Z0-9_]+)", line))
missing = sorted(code - docs)
stale = sorted(docs - code)
if missing:
    print("options_listed: read by the code but not in docs/options.md:", ", ".join(missing))
if stale:
    print("options_listed: in docs/options.md but read by no code:", ", ".join(stale))
if missing or stale:
    sys.exit(1)
print("options_listed: the %d HAKMEM_* variables of the code are those of docs/options.md" % len(code))
