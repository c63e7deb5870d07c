#!/usr/bin/env bash
# python3 building and freeing millions of objects; PYTHONMALLOC=malloc so
# that every object goes through malloc instead of Python's own pools.
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib.sh"
preload_init "$1"
cat >work.py <<'PY'
import hashlib
h = hashlib.sha256()
for round in range(4):
    d = {}
    for i in range(250000):
        d[i] = [str(i) * (i % 5), (i, i * 2), {"k": i}]
    h.update(str(sum(len(v[0]) for v in d.values())).encode())
    keep = {k: v for k, v in d.items() if k % 7 == 0}
    del d
    s = sorted(keep.items(), key=lambda kv: -kv[0])
    h.update(repr(s[:50]).encode())
    big = b"".join(bytes([i % 256]) * (i % 3000) for i in range(2000))
    h.update(hashlib.sha256(big).digest())
print(h.hexdigest())
PY
PYTHONMALLOC=malloc /usr/bin/python3 work.py >expected.txt
PYTHONMALLOC=malloc preloaded /usr/bin/python3 work.py >actual.txt
same_output "python3 objects" expected.txt actual.txt
