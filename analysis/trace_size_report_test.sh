#!/usr/bin/env bash
# trace_size_report round-trips its traces and reports plausible sizes.
set -euo pipefail
out=$("$TEST_SRCDIR/$TEST_WORKSPACE/analysis/trace_size_report" --events=20000 --out_dir="$TEST_TMPDIR")
echo "$out"
grep -q "matched the generator" <<<"$out"
# Every workload row: raw bytes per event between 2 and 20, compressed below raw.
rows=$(awk '$1 ~ /thread/ { if ($3 < 2 || $3 > 20 || $4 >= $3) bad = 1; n++ } END { print (bad ? -1 : n) }' <<<"$out")
[ "$rows" -eq 3 ] || { echo "unexpected report rows"; exit 1; }
[ -s "$TEST_TMPDIR/synthetic-single-thread.zst.pb" ]
