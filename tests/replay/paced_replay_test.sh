#!/bin/bash
# Paced replay (--pace=recorded): a trace with a known idle stretch after a
# mass free (make_timed_traces: 32 MiB freed at 0.1 s, then only a small
# malloc/free every 100 ms until 2.1 s). The buddy allocator returns pages
# that stayed free for its decay time (1 s) on a later free, so:
#   paced                 its RSS falls during the stretch and ends low;
#   unpaced               the replay takes milliseconds: it keeps the pages;
#   paced, --max_gap=10ms every 100 ms gap shortened: no time to decay either.
#   paced_replay_test.sh REPLAY MAKE_TIMED_TRACES
set -euo pipefail
replay=$1 make=$2
tmp=${TEST_TMPDIR:-$(mktemp -d)}
"$make" "$tmp"
trace=$tmp/idle_gap.trace
run() { "$replay" run --trace="$trace" --allocator=buddy --json "$@"; }
run --pace=recorded --report="$tmp/paced.html" >"$tmp/paced.json"
run >"$tmp/unpaced.json"
run --pace=recorded --max_gap=10ms >"$tmp/short.json"
/usr/bin/python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
def load(name):
    r = json.load(open(f"{tmp}/{name}.json"))
    a = r["allocators"][0]
    return r, a, a["rss_peak_bytes"], a["rss_final_bytes"]
def check(ok, what):
    if not ok:
        sys.exit(f"FAIL: {what}")
MiB = 1 << 20
paced, a, peak, final = load("paced")
check(paced["paced"] and paced["checksums_agree"], "the paced run is not marked paced or did not issue the prepared ops")
check(peak > 28 * MiB, f"the 32 MiB were not resident at the peak ({peak / MiB:.1f} MiB)")
check(final < peak / 4, f"paced: RSS did not fall during the idle stretch ({peak / MiB:.1f} -> {final / MiB:.1f} MiB)")
# Timing figures of a paced run are the calls' time, not the 2 s it waited.
check(a["wall_ns"] < 1e9, f"paced: the timed figure includes the waiting ({a['wall_ns'] / 1e6:.0f} ms)")
_, _, peak, final = load("unpaced")
check(final > peak * 3 / 4, f"unpaced: RSS fell without time to decay ({peak / MiB:.1f} -> {final / MiB:.1f} MiB)")
short, _, peak, final = load("short")
check(short["max_gap_ns"] == 10_000_000, "--max_gap was not applied")
check(final > peak * 3 / 4, f"paced with 10 ms gaps: RSS fell ({peak / MiB:.1f} -> {final / MiB:.1f} MiB)")
print("paced replay: RSS fell during the idle stretch; unpaced and shortened replays kept the pages")
PY
grep -q 'RSS and live bytes over recorded time' "$tmp/paced.html" || { echo "FAIL: the paced report does not plot RSS over recorded time"; exit 1; }
