#!/bin/sh
# profile.sh LIBHAKMEM THREE_SITES: sampled attribution of malloc under
# LD_PRELOAD. With HAKMEM_PROFILE=1 and a JSON report written at exit, the
# three call sites must come out named, in the order site_c > site_b > site_a
# by bytes, in the proportions 4 : 2 : 1 within 10%.
set -eu
lib=$1
exe=$2
out=$(mktemp /tmp/hakmem-profile-XXXXXX.json)
trap 'rm -f "$out"' EXIT
LD_PRELOAD=$lib HAKMEM_PROFILE=1 HAKMEM_PROFILE_SAMPLE=16 HAKMEM_PROFILE_OUT=$out "$exe" >/dev/null
python3 - "$out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
sites = {}
for s in doc["sites"]:
    for f in ("site_a", "site_b", "site_c"):
        if s["name"].startswith(f + "+"):
            sites[f] = s
missing = [f for f in ("site_a", "site_b", "site_c") if f not in sites]
if missing:
    sys.exit("profile: call sites not found: %s; sites: %s" % (missing, [s["name"] for s in doc["sites"][:10]]))
a, b, c = (sites[f]["bytes"] for f in ("site_a", "site_b", "site_c"))
order = sorted(sites, key=lambda f: -sites[f]["bytes"])
print("profile: bytes site_c %d, site_b %d, site_a %d; ratios c/a %.3f (4), b/a %.3f (2); order %s" % (c, b, a, c / a, b / a, order))
if order != ["site_c", "site_b", "site_a"]:
    sys.exit("profile: wrong order")
if abs(c / a - 4) > 0.4 or abs(b / a - 2) > 0.2:
    sys.exit("profile: proportions off by more than 10%")
for f in sites:  # half of each site's blocks were freed: live is about half of bytes
    s = sites[f]
    if not (0.4 < s["live"] / s["bytes"] < 0.6):
        sys.exit("profile: %s live/bytes = %.3f, expected about 0.5" % (f, s["live"] / s["bytes"]))
PY
