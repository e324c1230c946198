#!/usr/bin/env python3
"""check_profile.py HAKMEM SCRIPT.hk OUT.json: runs `HAKMEM run --profile-out
OUT.json SCRIPT.hk` and checks the JSON report: the script's allocating stacks
(root first, `;`-separated, the runtime's "what" last) are sites of subsystem
vm with the expected allocation counts, next to the runtime's own sites
(lang.*, mir.*, vm.*)."""
import json
import os
import subprocess
import sys

hakmem, script, out = sys.argv[1], sys.argv[2], sys.argv[3]
d, name = os.path.split(os.path.abspath(script))
p = subprocess.run([hakmem, "run", "--profile-out", out, name], cwd=d, capture_output=True, text=True)
if p.returncode != 0:
    sys.exit(f"run failed ({p.returncode}): {p.stderr}")
doc = json.load(open(out))
sites = {s["name"]: s for s in doc["sites"]}
want = {"<main> (profile.hk:5);array": 1000, "<main> (profile.hk:3);concat": 1000, "<main> (profile.hk:3);str": 1000}
for site, allocs in want.items():
    if site not in sites:
        sys.exit(f"site {site} missing; sites: {sorted(sites)}")
    if sites[site]["subsystem"] != "vm" or sites[site]["allocs"] != allocs:
        sys.exit(f"site {site}: {sites[site]}")
for prefix in ("lang.", "mir.", "vm."):
    if not any(n.startswith(prefix) for n in sites):
        sys.exit(f"no {prefix}* site in the report")
print("profile ok:", len(sites), "sites")
