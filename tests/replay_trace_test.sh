#!/bin/bash
# One trace replayed against one allocator (the replay_test macro, defs.bzl):
# a verifying replay, the determinism checksum, then a timed replay that must
# issue the same ops.
#   replay_trace_test.sh REPLAY TRACE ALLOCATOR [CHECKSUM]
set -euo pipefail
replay=$1 trace=$2 allocator=$3 checksum=${4:-}
py=/usr/bin/python3
tmp=${TEST_TMPDIR:-$(mktemp -d)}

expect=()
[[ -n $checksum ]] && expect=(--expect_checksum="$checksum")
"$replay" run --trace="$trace" --allocator="$allocator" --verify --json \
  --save_prepared="$tmp/prepared" "${expect[@]}" >"$tmp/verify.json"
"$replay" run --prepared="$tmp/prepared" --allocator="$allocator" --json >"$tmp/timed.json"

"$py" - "$tmp/verify.json" "$tmp/timed.json" "$allocator" <<'PY'
import json, sys
verify, timed = (json.load(open(p)) for p in sys.argv[1:3])
allocator = sys.argv[3]
def check(ok, what):
    if not ok:
        sys.exit(f"FAIL: {what}")
for r in (verify, timed):
    check(r["checksums_agree"], "a run did not issue the prepared ops")
    check(len(r["allocators"]) == 1, "one allocator per run")
    a = r["allocators"][0]
    check(a["alloc_failures"] == 0, f"{a['alloc_failures']} allocations failed in the replay")
    check(a["calls_per_second"] > 0, "no calls replayed")
check(verify["prepared"]["checksum"] == timed["prepared"]["checksum"],
      "the saved prepared file differs from the trace's preparation")
check(timed["allocators"][0]["checksums"] == [verify["prepared"]["checksum"]],
      "the timed run issued other ops than the verifying run")
for r in (verify, timed):
    # The runner's own count and hash of what it issued (replay fails a run
    # whose per-thread figures differ from the prepared file's).
    check(r["allocators"][0]["issued_calls"] == [r["prepared"]["calls"]],
          f"the runner issued {r['allocators'][0]['issued_calls']} calls of {r['prepared']['calls']}")
p = verify["prepared"]
print(f"{allocator}: {p['calls']} calls in {p['threads']} threads verified, checksum {p['checksum']}, "
      f"{p['waits']} waits, {p['inversions']} inversions, {p['unknown_frees']} unknown frees skipped")
PY
