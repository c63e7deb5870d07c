#!/usr/bin/env bash
# tracetool's reports stream: on a traced program of ten million events
# (five million malloc/free pairs), leaks, peak and top keep their peak RSS
# under 64 MB (GNU time's maximum resident set size).
#   tracetool_rss_test.sh TRACER TRACETOOL LOOP
set -euo pipefail
tracer=$(readlink -f "$1") tracetool=$(readlink -f "$2") loop=$(readlink -f "$3")
tmp=${TEST_TMPDIR:-$(mktemp -d)}
fail() { echo "FAIL: $*"; exit 1; }

MALLOC_TRACE_FILE="$tmp/loop.%p.pb" LD_PRELOAD="$tracer" "$loop" 5000000 >/dev/null
trace=$(ls -S "$tmp"/loop.*.pb | head -1)
events=$("$tracetool" validate "$trace" | sed -E 's/.*ok, ([0-9]+) events/\1/')
((events >= 10000000)) || fail "the trace holds $events events"
for report in leaks peak top; do
  /usr/bin/time -f "%M" -o "$tmp/rss.txt" "$tracetool" "$report" "$trace" >"$tmp/$report.txt"
  kb=$(tail -1 "$tmp/rss.txt")
  echo "tracetool $report over $events events: peak RSS $kb KB"
  ((kb < 64 * 1024)) || fail "tracetool $report grew to $kb KB"
done
grep -q "^top: 5000" "$tmp/top.txt" || fail "top did not count the allocations: $(head -1 "$tmp/top.txt")"
echo "ok: the reports stream"
