#!/usr/bin/env bash
# README's first command keeps working: the demo traces a command, reads the
# trace back and runs it on both allocators.
set -euo pipefail
out=$("$TEST_SRCDIR/$TEST_WORKSPACE/tools/demo" --cmd='sort -n /etc/passwd' --out="$TEST_TMPDIR/demo" 2>&1)
echo "$out"
grep -q "== \[3/3\]" <<<"$out"
grep -q ": ok, [0-9]* events" <<<"$out"
grep -q "frees of blocks not allocated in the trace: 0" <<<"$out"
grep -q "buddy: .* peak RSS" <<<"$out"
