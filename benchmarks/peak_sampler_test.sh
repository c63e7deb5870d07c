#!/bin/bash
# libpeaksampler.so preloaded after the buddy allocator into a program whose
# heap grows: stderr gets "=== rss N KiB" blocks with malloc_stats after each
# (the allocator's, found by the sampler's call), N growing, and the smaps
# copy is written.
#   peak_sampler_test.sh SAMPLER BUDDY PROGRAM
set -euo pipefail
sampler=$1 buddy=$2 program=$3
tmp=${TEST_TMPDIR:-$(mktemp -d)}
PEAK_SAMPLER_SMAPS=$tmp/peak.smaps LD_PRELOAD="$PWD/$buddy $PWD/$sampler" "$program" --threads=2 \
  >/dev/null 2>"$tmp/stats.txt"
fail() { echo "FAIL: $*"; head -40 "$tmp/stats.txt"; exit 1; }
grep -q '^=== rss [0-9]* KiB$' "$tmp/stats.txt" || fail "no sample"
# Every sample is followed by the allocator's statistics.
samples=$(grep -c '^=== rss' "$tmp/stats.txt")
stats=$(grep -c '^buddymalloc statistics' "$tmp/stats.txt")
[ "$samples" -eq "$stats" ] || fail "$samples samples, $stats statistics blocks"
# High-water marks only: each sample above the one before.
grep '^=== rss' "$tmp/stats.txt" | awk '{ if (NR > 1 && $3 <= last) exit 1; last = $3 }' || fail "a sample not above the last"
grep -q '^Rss:' "$tmp/peak.smaps" || fail "no smaps copy"
echo "peak sampler: $samples high-water samples, the last $(grep '^=== rss' "$tmp/stats.txt" | tail -1)"
