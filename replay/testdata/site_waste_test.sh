#!/usr/bin/env bash
# Waste by call site (replay/site_waste.h) on a traced program whose answer is
# known in kind (testdata/waste_sites_program.c): under every allocator the
# waste at the RSS peak sits with scatter_small (one 64-byte block kept per
# KiB), not with fill_dense (full 64 KiB blocks); each site's live bytes are
# exactly what the program kept; and the figures add up.
#   site_waste_test.sh TRACER PROGRAM REPLAY ALLOCATORS RUNNER BROKEN_MALLOC_SO FOUR_THREAD_TRACE
set -euo pipefail
tracer=$(readlink -f "$1") program=$(readlink -f "$2") replay=$(readlink -f "$3") allocators=$4
runner=$(readlink -f "$5") broken=$(readlink -f "$6") four_threads=$(readlink -f "$7")
tmp=${TEST_TMPDIR:-$(mktemp -d)}
fail() { echo "FAIL: $*"; exit 1; }

MALLOC_TRACE_STACKS=8 MALLOC_TRACE_FILE="$tmp/t.%p.pb" LD_PRELOAD="$tracer" "$program" >"$tmp/out.txt"
grep -q "^done" "$tmp/out.txt" || fail "the program did not run"
trace=$(ls -S "$tmp"/t.*.pb | head -1)

"$replay" compare --trace="$trace" --allocators="$allocators" >"$tmp/text.txt"
cat "$tmp/text.txt"
grep -q "^waste by call site" "$tmp/text.txt" || fail "no waste-by-site table"
"$replay" compare --trace="$trace" --allocators="$allocators" --json >"$tmp/report.json"

python3 - "$tmp/report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
failures = []
for a in report["allocators"]:
    w = a.get("site_waste")
    if w is None:
        failures.append(f"{a['name']}: no site_waste"); continue
    sites = {s["name"].split(" <")[0].split(" (")[0]: s for s in w["sites"]}
    small, dense = sites.get("scatter_small"), sites.get("fill_dense")
    if small is None or dense is None:
        failures.append(f"{a['name']}: sites {sorted(sites)} lack scatter_small or fill_dense"); continue
    block_waste = w["block_page_bytes"] - w["live_resident_bytes"]
    total_site_waste = sum(s["waste_bytes"] for s in w["sites"])
    print(f"{a['name']:10} rss {w['rss_bytes']:>9} live {w['live_bytes']:>8} block pages {w['block_page_bytes']:>8} "
          f"scatter_small live {small['live_bytes']} waste {small['waste_bytes']}, "
          f"fill_dense live {dense['live_bytes']} waste {dense['waste_bytes']}")
    # The live bytes: exactly what the program kept (the snapshot is taken
    # after the frees, where the waste on block pages is largest).
    if small["live_bytes"] != 1024 * 64: failures.append(f"{a['name']}: scatter_small live {small['live_bytes']}")
    if dense["live_bytes"] != 64 * 65536: failures.append(f"{a['name']}: fill_dense live {dense['live_bytes']}")
    # One 64-byte block kept per KiB of consecutive allocations: at most four
    # on a page, so at least 256 pages hold the 1024 kept, and all of those
    # pages but the 64 KiB kept is waste (exactly that when the allocator
    # packs 64-byte chunks without headers: buddy, jemalloc, tcmalloc).
    if small["waste_bytes"] < 256 * 4096 - 65536:
        failures.append(f"{a['name']}: scatter_small's waste {small['waste_bytes']} is too small")
    # Full 64 KiB blocks: at most their two edge pages each (jemalloc puts
    # each large block at a random cache line of one extra page: one each).
    if dense["waste_bytes"] > 64 * 2 * 4096 or dense["waste_bytes"] >= small["waste_bytes"]:
        failures.append(f"{a['name']}: fill_dense's waste {dense['waste_bytes']} is too large")
    # The sites' shares add up to the waste on block pages (rounding: 1 byte a site).
    if abs(total_site_waste - block_waste) > len(w["sites"]):
        failures.append(f"{a['name']}: site waste {total_site_waste} != block-page waste {block_waste}")
    if w["rss_bytes"] < w["block_page_bytes"] or w["peak_rss_bytes"] < w["rss_bytes"]:
        failures.append(f"{a['name']}: rss {w['rss_bytes']} below its block pages or above the run's peak")
if failures:
    print("\n".join("FAIL: " + f for f in failures)); sys.exit(1)
print("ok: every allocator's waste sits with scatter_small; live bytes exact; figures add up")
PY

# Off when asked, and absent without stacks.
"$replay" compare --trace="$trace" --allocators=glibc --nosite_waste >"$tmp/off.txt" || fail "--nosite_waste failed"
grep -q "^determinism" "$tmp/off.txt" || fail "--nosite_waste: no report"
! grep -q "^waste by call site" "$tmp/off.txt" || fail "--nosite_waste still attributed"
MALLOC_TRACE_FILE="$tmp/plain.%p.pb" LD_PRELOAD="$tracer" "$program" >/dev/null
plain=$(ls -S "$tmp"/plain.*.pb | head -1)
"$replay" compare --trace="$plain" --allocators=glibc >"$tmp/plain.txt" || fail "replay of a trace without stacks failed"
grep -q "^determinism" "$tmp/plain.txt" || fail "no report for the trace without stacks"
! grep -q "^waste by call site" "$tmp/plain.txt" || fail "a trace without stacks got a waste-by-site table"
echo "ok: off with --nosite_waste and without stacks"

# An allocator that unwinds a thread from inside free (pthread_exit) during
# the attribution run: the threads take turns, and the one unwound must not
# keep the turn (the others would wait for ever: this hung before). The run
# ends, saying which threads did not finish.
"$replay" prepare --trace="$four_threads" --out="$tmp/p.prepared" >/dev/null
status=0
BROKEN_MALLOC=exit_in_free:100 LD_PRELOAD="$broken" timeout 60 "$runner" "$tmp/p.prepared" --expect="$broken" \
  --attribute >"$tmp/broken.txt" 2>&1 || status=$?
((status != 124)) || fail "the attribution run hung after a thread was unwound"
grep -q "^end 1" "$tmp/broken.txt" || fail "the attribution run did not report: $(cat "$tmp/broken.txt")"
grep -Eq "^thread [0-9]+ [0-9]+ [0-9]+ [0-9a-f]+ 0 " "$tmp/broken.txt" || fail "no thread reported unfinished"
echo "ok: a thread unwound in the attribution run gives up its turn"
