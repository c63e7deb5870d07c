#!/usr/bin/env bash
# replay run|compare --from/--to: a window of a trace, the heap live at its
# start rebuilt first (untimed), replayed and verified on several allocators
# with the determinism check; bad bounds are refused with one line.
#   window_replay_test.sh REPLAY TRACE
set -euo pipefail
replay=$1 trace=$2
tmp=${TEST_TMPDIR:-$(mktemp -d)}
fail() { echo "FAIL: $*"; exit 1; }

full=$("$replay" prepare --trace="$trace" --out="$tmp/full.prep")
window=$("$replay" prepare --trace="$trace" --out="$tmp/window.prep" --from=5000 --to=15000)
echo "$full"; echo "$window"
calls() { sed -E 's/.* -> ([0-9]+) calls .*/\1/' <<<"$1"; }
(($(calls "$window") < $(calls "$full"))) || fail "the window has as many calls as the whole trace"

out=$("$replay" compare --trace="$trace" --allocators=buddy,glibc,jemalloc --verify --from=5000 --to=15000 2>&1)
echo "$out"
grep -q "^window      seq 5000 to 15000 of the trace; the [0-9]* blocks live at its start were allocated first, untimed" \
  <<<"$out" || fail "no window line in the report"
grep -q "no errors" <<<"$out" || fail "verification of the window failed"
grep -q "checksums agree" <<<"$out" || fail "the window's runs did not issue the prepared ops"

# By time: the first millisecond onwards.
"$replay" run --trace="$trace" --allocator=buddy --verify --from=1ms >"$tmp/time.txt" 2>&1 ||
  { cat "$tmp/time.txt"; fail "--from=1ms"; }
grep -q "no errors" "$tmp/time.txt" || fail "--from=1ms: verification"

for bad in "--from=abc" "--from=20 --to=10" "--to=5q"; do
  status=0
  # shellcheck disable=SC2086
  "$replay" run --trace="$trace" --allocator=buddy $bad >"$tmp/bad.txt" 2>&1 || status=$?
  [ "$status" != 0 ] || fail "$bad was accepted"
  [ "$(wc -l <"$tmp/bad.txt")" = 1 ] || { cat "$tmp/bad.txt"; fail "$bad: expected one line"; }
  echo "ok: $bad -> $(cat "$tmp/bad.txt")"
done
echo "ok: windows replay and verify"
