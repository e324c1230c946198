#!/usr/bin/env python3
"""fuzz_api_seeds.py: writes the seed inputs of the allocator API fuzzer
(tests/alloc/fuzz_api.c, whose opening comment gives the encoding) into
tests/alloc/corpus_api/. Run it again when the encoding changes.

Each seed is one theme, so that the fuzzer starts from inputs that reach every
operation: the tiers and their edges, realloc across tiers, aligned blocks and
calloc, the worker thread, heap release, the error returns; and one long
input of random operations."""
import os
import random

KIB, MIB = 1 << 10, 1 << 20
# The opcodes (low 4 bits of an operation's first byte).
ALLOC, CALLOC, ALIGNED, FREE, REALLOC, REALLOC_EDGE = 0, 3, 4, 5, 7, 8
W_FREE, W_REALLOC, W_ALLOC, SYNC, RELEASE, CHECK, MISC = 9, 10, 11, 12, 13, 14, 15
# fz_edges in fuzz_api.c, for its index byte.
EDGES = [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 127, 128, 129, 255, 256, 257,
         511, 512, 1023, 1024, 1025, 2048, 4095, 4096, 4097, 8192, 16384, 32767, 32768, 32769,
         65535, 65536, 65537, 131072, 262144, 524288, MIB // 2 + 1, MIB - 1, MIB,
         MIB + 1, MIB + 4096, 2 * MIB, 4 * MIB - 64, 4 * MIB + 1]


def op(code, x=0):
    return bytes([x << 4 | code])


def u16(v):
    return bytes([v & 255, v >> 8])


def size(n):
    """The bytes fz_size reads to give n."""
    if n in EDGES and n not in (0, 1024, 1025, 32768):
        return bytes([13, EDGES.index(n)])
    if n <= KIB:
        return bytes([(n >> 8) << 4, n & 255])
    if n <= 32 * KIB:
        return bytes([7]) + u16(n - KIB - 1)
    if n <= MIB:
        w = n - 32 * KIB - 1
        return bytes([11 | (w & 15) << 4]) + u16(w >> 4)
    assert (n - MIB - 1) % 64 == 0 and (n - MIB - 1) >> 6 < 1 << 16, n
    return bytes([15]) + u16((n - MIB - 1) >> 6)


def site(i):
    return bytes([i])


def alloc(n, s=0):
    return op(ALLOC) + site(s) + size(n)


def seed_tiers():
    b = bytes([0])
    for i, n in enumerate([0, 1, 8, 16, 24, 100, 1024, 1025, 5000, 32768, 32769, 200000, MIB, MIB + 1]):
        b += alloc(n, i % 8)
    b += op(CHECK)
    for i in range(6):
        b += op(FREE) + bytes([i * 3])
    for n in EDGES:
        b += alloc(n, n % 8)
    b += op(CHECK)
    return b


def seed_realloc():
    b = bytes([0]) + alloc(24, 2) + alloc(3000, 3) + alloc(100000, 4) + alloc(3 * MIB + 1 + 64 * 5, 5)
    for i in range(4):
        b += op(REALLOC) + bytes([i]) + size([17, 40000, MIB + 1 + 64 * 100, 8][i])
        b += op(REALLOC, 1) + bytes([i, 6]) + size([900, 30, 2 * MIB, 1000][i])
    for mode in range(14):
        args = {1: size(12345) + site(6), 9: bytes([7]), 10: bytes([7]), 11: bytes([7]), 13: size(12345)}
        b += op(REALLOC_EDGE, mode) + bytes([mode]) + args.get(mode, b"")
    b += op(CHECK)
    return b


def seed_aligned():
    b = bytes([0])
    for k in range(24):
        b += op(ALIGNED) + site(k % 8) + bytes([k]) + size([0, 1, 16, 100, 4096, 70000][k % 6])
    for n in range(16):
        b += op(CALLOC, n) + site(n % 8) + size([0, 64, 1000, 20000, 300000, MIB + 1][n % 6])
    b += op(CHECK) + op(REALLOC_EDGE, 3) + bytes([5]) + op(REALLOC_EDGE, 4) + bytes([9])
    return b


def seed_handoff():
    b = bytes([0])
    for i in range(12):
        b += alloc([40, 700, 9000, 60000][i % 4], i % 8)
    b += op(W_FREE) + bytes([0]) + op(W_FREE) + bytes([3])
    b += op(W_REALLOC) + bytes([1]) + size(2000) + op(W_REALLOC, 1) + bytes([2, 4]) + size(MIB + 1)
    for x in range(6):
        b += op(W_ALLOC, x) + site(x) + size([16, 1500, 40000][x % 3]) + (bytes([x]) if x % 3 == 2 else b"")
    b += op(SYNC) + op(CHECK)
    b += op(W_FREE) + bytes([5]) + op(MISC, 9) + op(MISC, 8)  # worker collect, a new worker
    b += op(W_ALLOC) + site(3) + size(128) + op(SYNC)
    b += op(RELEASE, 1) + bytes([1]) + op(RELEASE) + bytes([2])
    return b


def seed_release():
    b = bytes([0x45])  # purge at once, no segment cache, profiling on
    for i in range(24):
        b += alloc([16, 300, 3000, 50000, 500000, 2 * MIB][i % 6], i % 8)
    for s in range(4):
        b += op(RELEASE) + bytes([s])
        b += alloc(64, 2 * s) + alloc(128, 2 * s + 1)
    b += op(W_ALLOC) + site(2) + size(1000) + op(W_ALLOC) + site(4) + size(50)
    b += op(RELEASE, 1) + bytes([1]) + op(CHECK)
    return b


def seed_errors():
    b = bytes([0x2a])  # purge never, no whale cache, dirty bound 0
    b += alloc(100) + alloc(MIB + 1)
    for m in range(10):
        b += op(MISC, m) + (bytes([m * 7]) if m in (4, 6) else b"")
    b += op(REALLOC_EDGE, 11) + bytes([0, 1]) + op(REALLOC_EDGE, 0) + bytes([1])
    return b


def seed_long():
    """A long input of random operations (fixed seed): many live blocks, the
    whale limits reached, and a length limit of 4 KiB for libFuzzer from the
    start (it begins at the longest seed)."""
    r = random.Random(15)
    return bytes([0]) + bytes(r.getrandbits(8) for _ in range(1500))


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus_api")
    os.makedirs(out, exist_ok=True)
    for name, fn in [("tiers", seed_tiers), ("realloc", seed_realloc), ("aligned", seed_aligned),
                     ("handoff", seed_handoff), ("release", seed_release), ("errors", seed_errors), ("long", seed_long)]:
        data = fn()
        assert len(data) <= 4096, name
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
