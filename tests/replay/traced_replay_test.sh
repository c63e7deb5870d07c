#!/bin/bash
# End to end: record real programs with the tracer (a multi-threaded program
# of ours with cross-thread frees, and python3 with PYTHONMALLOC=malloc), then
# replay each trace against every allocator, verifying every block, and check
# that all of them were driven by the same ops.
#   traced_replay_test.sh TRACER REPLAY THREADED_CHURN
set -euo pipefail
tracer=$1 replay=$2 churn=$3
py=/usr/bin/python3
tmp=${TEST_TMPDIR:-$(mktemp -d)}
allocators=buddy,glibc,jemalloc,tcmalloc,mimalloc

MALLOC_TRACE_FILE="$tmp/churn.%p.pb" LD_PRELOAD="$tracer" "$churn" --threads=3 --ops=60000 >/dev/null
PYTHONMALLOC=malloc MALLOC_TRACE_FILE="$tmp/python.%p.pb" LD_PRELOAD="$tracer" \
  "$py" -c 'import json; d=[{"k": i, "v": str(i) * 3} for i in range(20000)]; assert len(json.loads(json.dumps(d))) == 20000'

for name in churn python; do
  trace=$(ls "$tmp"/$name.*.pb)
  [[ $(echo "$trace" | wc -l) == 1 ]] || { echo "FAIL: expected one $name trace, got: $trace"; exit 1; }
  "$replay" compare --trace="$trace" --allocators=$allocators --verify --json >"$tmp/$name.verify.json"
  "$replay" compare --trace="$trace" --allocators=$allocators --json >"$tmp/$name.timed.json"
  "$py" - "$name" "$tmp/$name.verify.json" "$tmp/$name.timed.json" <<'PY'
import json, sys
name = sys.argv[1]
verify, timed = (json.load(open(p)) for p in sys.argv[2:4])
def check(ok, what):
    if not ok:
        sys.exit(f"FAIL ({name}): {what}")
p = verify["prepared"]
check(p["checksum"] == timed["prepared"]["checksum"], "two preparations of one trace differ")
for r in (verify, timed):
    check(r["checksums_agree"], "runs did not all issue the prepared ops")
    check([a["name"] for a in r["allocators"]] == "buddy glibc jemalloc tcmalloc mimalloc".split(),
          "not every allocator ran")
    for a in r["allocators"]:
        check(a["alloc_failures"] == 0, f"{a['name']}: allocations failed")
        # Measured by the runner as it issued them (replay fails the run otherwise).
        check(a["checksums"] == [p["checksum"]], f"{a['name']}: other ops than prepared")
        check(a["issued_calls"] == [p["calls"]], f"{a['name']}: issued {a['issued_calls']} calls of {p['calls']}")
        check(a["rss_peak_bytes"] > 0, f"{a['name']}: no RSS measured")
        if r is timed:
            check(a["latency_ns"].get("malloc", {}).get("samples", 0) > 0, f"{a['name']}: no malloc latency samples")
check(p["calls"] > 10000, f"only {p['calls']} calls traced")
if name == "churn":
    # 3 workers (and the main thread) with blocks freed by the next worker.
    check(p["threads"] >= 3, f"{p['threads']} replay threads")
    check(p["waits"] > 0, "no cross-thread synchronisation in a program with cross-thread frees")
print(f"{name}: {p['trace_events']} events, {p['calls']} calls in {p['threads']} threads, "
      f"{p['waits']} waits, {p['inversions']} inversions, {p['unknown_frees']} unknown frees; "
      f"verified and replayed on all five allocators, checksum {p['checksum']}")
PY
done
