#!/usr/bin/env bash
# README's first command keeps working: the demo traces a command, reads the
# trace back, replays it against every allocator and writes the report.
set -euo pipefail
demo="$TEST_SRCDIR/$TEST_WORKSPACE/tools/demo"
out=$("$demo" --cmd='sort -n /etc/passwd' --out="$TEST_TMPDIR/demo" --repeat=1 2>&1)
echo "$out"
grep -q "== \[4/4\]" <<<"$out"
grep -q ": ok, [0-9]* events" <<<"$out"
while read -r a _; do
  grep -q "^   $a " <<<"$out" || { echo "FAIL: no $a row in the comparison"; exit 1; }
done <"$TEST_SRCDIR/$TEST_WORKSPACE/tools/allocators.txt"
grep -q "checksums agree" <<<"$out"
test -s "$TEST_TMPDIR/demo/command-report.html"
grep -q 'class="plot"' "$TEST_TMPDIR/demo/command-report.html"
# Bad arguments are refused with one line.
if "$demo" --bogus 2>"$TEST_TMPDIR/err"; then echo "FAIL: --bogus accepted"; exit 1; fi
grep -q "unknown argument" "$TEST_TMPDIR/err"
