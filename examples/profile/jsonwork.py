# jsonwork.py: a small Python workload for the profiling walk-through (docs/profiling.md):
# builds JSON documents, parses them back and indexes them.
import json, random, sys
reps = int(sys.argv[1]) if len(sys.argv) > 1 else 1  # the whole work, this many times
for rep in range(reps):
    random.seed(1)
    docs = []
    for i in range(2000):
        d = {"id": i, "name": "item%d" % i, "tags": [random.choice("abcdef") * 8 for _ in range(10)],
             "values": [random.random() for _ in range(50)]}
        docs.append(json.dumps(d))
    parsed = [json.loads(s) for s in docs]
    index = {}
    for p in parsed:
        for t in p["tags"]:
            index.setdefault(t, []).append(p["id"])
    print(len(parsed), len(index), sum(len(v) for v in index.values()))
