#!/usr/bin/env python3
"""prof_truth.py LIBHAKMEM PROF_TRUTH [SEEDS]: the statistical test of the
sampled profile. Runs prof_truth (whose true per-function figures and the
variance of their estimates it writes itself) under libhakmem.so with
profiling on, for several sampling intervals and seeds, and compares the
profile's estimate of each figure (allocated, in use at exit and at the peak;
blocks and bytes) with the truth.

The bound, from the sampling math (prof_truth.c): each estimate is a sum of
independent per-block terms with mean equal to the truth, so its error z =
(estimate - truth) / sigma has mean 0 and variance 1. Chebyshev: |z| > 4 with
probability at most 1/16 whatever the distribution; for these sums (many
blocks, or blocks sampled almost surely) it is close to normal, where |z| > 4
has probability 6e-5. The test asks:
  1. at most 1% of all (seed, interval, function, figure) checks with |z| > 4;
  2. no bias: for each (interval, function, figure), the mean of z over the
     seeds is within 4/sqrt(seeds) of 0 (the mean of n independent z has
     standard deviation 1/sqrt(n)). A bias of 10% on a figure with sigma at 2%
     of its value moves that mean by 5.
Figures whose truth is 0 must be estimated 0."""
import math
import os
import subprocess
import sys
import tempfile

lib, exe = sys.argv[1], sys.argv[2]
seeds = int(sys.argv[3]) if len(sys.argv) > 3 else 12
intervals = [1, 16, 512]  # KiB
figs = ["alloc_objects", "alloc_space", "inuse_objects", "inuse_space", "peak_objects", "peak_space"]


def run(kib, seed, tmp):
    truth_path = os.path.join(tmp, "truth")
    prof_path = os.path.join(tmp, "p.hprof")
    env = dict(os.environ, LD_PRELOAD=lib, HAKMEM_PROFILE="1", HAKMEM_PROFILE_OUT=prof_path,
               HAKMEM_PROFILE_SAMPLE=str(kib), HAKMEM_PROFILE_SEED=str(seed))
    subprocess.run([exe, truth_path], env=env, check=True)
    funcs, truth = [], {}
    for line in open(truth_path):
        f = line.split()
        if f[0] == "func":
            funcs.append((int(f[2], 16), f[1]))
        else:
            truth[(f[1], f[2])] = (float(f[3]), float(f[4]))
    funcs.sort()
    stacks, est, complete = {}, {}, False
    for line in open(prof_path):
        f = line.split()
        if f[0] == "stack":
            stacks[f[1]] = [int(a, 16) for a in f[3:]]
        elif f[0] == "sample":
            frames = stacks[f[1]]
            name = None
            if frames:  # the function the leaf frame is in (etext ends the last one)
                below = [n for a, n in funcs if a <= frames[0]]
                name = below[-1] if below and below[-1] != "etext" else None
            for i, g in enumerate(figs):
                est[(name, g)] = est.get((name, g), 0) + int(f[2 + i])
        elif f[0] == "end":
            complete = True
    if not complete:
        sys.exit("prof_truth: %s has no end line" % prof_path)
    return truth, est


def main():
    checks = beyond = 0
    zsum = {}
    worst = []
    with tempfile.TemporaryDirectory() as tmp:
        for kib in intervals:
            for seed in range(1, seeds + 1):
                truth, est = run(kib, seed, tmp)
                for (name, g), (value, var) in truth.items():
                    e = est.get((name, g), 0)
                    if var == 0:
                        if e != value:
                            sys.exit("prof_truth: %s %s: estimate %d, truth %d exactly (interval %d KiB, seed %d)"
                                     % (name, g, e, value, kib, seed))
                        continue
                    z = (e - value) / math.sqrt(var)
                    checks += 1
                    beyond += abs(z) > 4
                    zsum.setdefault((kib, name, g), []).append(z)
                    worst.append((abs(z), kib, seed, name, g, e, value, math.sqrt(var)))
    worst.sort(reverse=True)
    print("prof_truth: %d checks over %d intervals x %d seeds, %d beyond 4 sigma (%.2f%%)"
          % (checks, len(intervals), seeds, beyond, 100.0 * beyond / max(checks, 1)))
    for w in worst[:3]:
        print("  largest |z| %.2f: interval %d KiB seed %d %s %s: estimate %d truth %d sigma %.0f" % w)
    bad = []
    bound = 4 / math.sqrt(seeds)
    for key, zs in sorted(zsum.items()):
        m = sum(zs) / len(zs)
        if abs(m) > bound:
            bad.append("interval %d KiB %s %s: mean z %.2f over %d seeds (bound %.2f)" % (key + (m, len(zs), bound)))
    means = sorted(abs(sum(zs) / len(zs)) for zs in zsum.values())
    print("prof_truth: mean z per (interval, function, figure): median %.2f, largest %.2f, bound %.2f"
          % (means[len(means) // 2], means[-1], bound))
    if beyond > 0.01 * checks:
        sys.exit("prof_truth: more than 1% of the estimates beyond 4 sigma")
    if bad:
        sys.exit("prof_truth: biased:\n  " + "\n  ".join(bad))


main()
