#!/usr/bin/env bash
# tracetool stats on a two-thread trace whose file order is not its seq
# order (testdata/two_thread_trace.cc): the history is taken in seq order, so
# the cross-thread free, the inversion and the unknown free come out exact.
set -euo pipefail
writer=$(readlink -f "$1")
tracetool=$(readlink -f "$2")
work=${TEST_TMPDIR:-$(mktemp -d)}
cd "$work"

fail() { echo "FAIL: $*"; exit 1; }

"$writer" t.pb
[ "$("$tracetool" validate t.pb)" = "t.pb: ok, 2009 events" ] || fail "validate: $("$tracetool" validate t.pb)"
# File order really differs from seq order: thread 2 comes first.
[ "$("$tracetool" dump t.pb | head -1 | cut -d' ' -f1-2)" = "2 t2" ] || fail "the trace does not start with thread 2"

stats=$("$tracetool" stats t.pb) || fail "stats failed"
has() { grep -qxF -- "$1" <<<"$stats" || { echo "$stats"; fail "stats lack the line '$1'"; }; }
has "trace t.pb: pid 4242, /usr/bin/two_thread_trace, 2009 events"
has "$(printf '  %-20s %s' MALLOC 1005)"
has "$(printf '  %-20s %s' FREE 1004)"
has "threads: 2"
has "$(printf '  thread %-10s %s events' 1 1004)"
has "$(printf '  thread %-10s %s events' 2 1005)"
has "peak live requested bytes: 350 (at seq 3)"
has "live at end: 2 blocks, 60 bytes"
has "frees of blocks not allocated in the trace: 1"
has "inversions (an allocation returned an address still live): 1"
echo "ok: stats in seq order"

# Two threads claiming one seq: one line on stderr, exit 1.
"$writer" dup.pb dup-seq
status=0
"$tracetool" stats dup.pb >out.txt 2>err.txt || status=$?
[ "$status" = 1 ] || fail "stats of a trace with a duplicate seq: exit status $status"
[ "$(wc -l <err.txt)" = 1 ] || { cat err.txt; fail "expected one line on stderr"; }
grep -q "^tracetool: dup.pb: .*seq 1" err.txt || fail "unclear message: $(cat err.txt)"
echo "ok: $(cat err.txt)"

# Not a trace, missing: one line, exit 1.
for f in no-such.pb "$writer"; do
  status=0
  "$tracetool" stats "$f" >out.txt 2>err.txt || status=$?
  [ "$status" = 1 ] && [ "$(wc -l <err.txt)" = 1 ] || { cat err.txt; fail "stats $f: exit status $status"; }
  echo "ok: $(cat err.txt)"
done
