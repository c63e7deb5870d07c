#!/usr/bin/env bash
# Capture on demand: a program traced with MALLOC_TRACE_START=signal:SIGUSR2
# records nothing until SIGUSR2, then everything until the next one
# (testdata/window.cc sends them itself, as an operator would with kill). The
# trace holds exactly the window's calls and its WINDOW events, and replays:
# the frees of blocks allocated before the window are unknown frees, skipped.
#   window_test.sh TRACER WINDOW_PROGRAM TRACETOOL REPLAY
set -euo pipefail
tracer=$(readlink -f "$1") program=$(readlink -f "$2") tracetool=$(readlink -f "$3") replay=$(readlink -f "$4")
work=${TEST_TMPDIR:-$(mktemp -d)}
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }

rm -rf win && mkdir win
MALLOC_TRACE_START=signal:SIGUSR2 MALLOC_TRACE_FILE="$work/win/t.%p.pb" LD_PRELOAD="$tracer" "$program" 2>err.txt ||
  fail "the program failed under the tracer: $(cat err.txt)"
[ ! -s err.txt ] || fail "stderr: $(cat err.txt)"
trace=$(ls win/t.*.pb)
"$tracetool" dump "$trace" >dump.txt
count() { grep -c -- "$1" dump.txt || true; }
# Sizes (window.cc): 300001 and 300002 before the window, 300003 and 300004
# inside it, 300005 after it.
[ "$(count 'MALLOC size=300001 ')" = 0 ] && [ "$(count 'MALLOC size=300002 ')" = 0 ] ||
  fail "calls before the window were recorded"
[ "$(count 'MALLOC size=300003 ')" = 2000 ] || fail "$(count 'MALLOC size=300003 ') of the window's 2000 blocks"
[ "$(count 'MALLOC size=300004 ')" = 50 ] || fail "$(count 'MALLOC size=300004 ') of the window's 50 kept blocks"
[ "$(count 'MALLOC size=300005 ')" = 0 ] || fail "calls after the window were recorded"
[ "$(count 'WINDOW result=1')" = 1 ] && [ "$(count 'WINDOW result=0')" = 1 ] || fail "not one start and one stop WINDOW"
# The start comes before every event of the window, the stop after (by seq).
first=$(sort -n dump.txt | head -1) last=$(sort -n dump.txt | tail -1)
[[ $first == *"WINDOW result=1"* ]] || fail "the first event is not the window's start: $first"
[[ $last == *"WINDOW result=0"* ]] || fail "the last event is not the window's end: $last"
echo "ok: the window's calls and nothing else"

"$replay" run --trace="$trace" --json >replay.json || fail "the window does not replay"
/usr/bin/python3 - replay.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
p = r["prepared"]
def check(ok, what):
    if not ok:
        sys.exit(f"FAIL: {what}")
check(r["checksums_agree"], "the replay did not issue the prepared ops")
check(p["window_starts"] == 1 and p["window_stops"] == 1, f"windows: {p['window_starts']} / {p['window_stops']}")
check(p["unknown_frees"] == 100, f"{p['unknown_frees']} unknown frees, expected the 100 blocks from before the window")
check(p["inversions"] == 0, f"{p['inversions']} inversions")
print(f"ok: replayed {p['calls']} calls; {p['unknown_frees']} frees of blocks from before the window skipped")
PY
