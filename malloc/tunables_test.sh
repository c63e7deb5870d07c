#!/usr/bin/env bash
# Environment tunables: a bad value gets one warning line and the default,
# BUDDYMALLOC_STATS_AT_EXIT prints the report, a good value changes nothing
# visible but the behaviour (and is accepted silently).
set -euo pipefail
so=$(readlink -f "$1")
out=$(BUDDYMALLOC_DECAY_MS=banana LD_PRELOAD="$so" /bin/echo still-runs 2>err.txt)
[ "$out" = still-runs ] || { echo "FAIL: program output changed"; exit 1; }
[ "$(wc -l <err.txt)" = 1 ] || { cat err.txt; echo "FAIL: expected one warning line"; exit 1; }
grep -q "ignoring BUDDYMALLOC_DECAY_MS=banana" err.txt || { cat err.txt; echo "FAIL: unclear warning"; exit 1; }
BUDDYMALLOC_MMAP_THRESHOLD=99999999999 LD_PRELOAD="$so" /bin/true 2>err.txt
grep -q "ignoring BUDDYMALLOC_MMAP_THRESHOLD" err.txt || { echo "FAIL: out-of-range value accepted"; exit 1; }
BUDDYMALLOC_MMAP_THRESHOLD=262144 BUDDYMALLOC_DECAY_MS=0 LD_PRELOAD="$so" /bin/true 2>err.txt
[ ! -s err.txt ] || { cat err.txt; echo "FAIL: good values warned"; exit 1; }
# (ls would not do: it closes stderr at exit, before library destructors run)
BUDDYMALLOC_STATS_AT_EXIT=1 LD_PRELOAD="$so" /bin/true 2>err.txt
grep -q "buddymalloc statistics" err.txt || { cat err.txt; echo "FAIL: no statistics at exit"; exit 1; }
# Arena count and per-CPU mode show in the statistics; bad values warn.
BUDDYMALLOC_ARENAS=3 BUDDYMALLOC_STATS_AT_EXIT=1 LD_PRELOAD="$so" /bin/true 2>err.txt
grep -q "at most 3 arenas, per thread" err.txt || { cat err.txt; echo "FAIL: BUDDYMALLOC_ARENAS=3 not in force"; exit 1; }
BUDDYMALLOC_PER_CPU=1 BUDDYMALLOC_STATS_AT_EXIT=1 LD_PRELOAD="$so" /bin/true 2>err.txt
grep -q "arenas, per CPU" err.txt || { cat err.txt; echo "FAIL: BUDDYMALLOC_PER_CPU=1 not in force"; exit 1; }
for bad in BUDDYMALLOC_ARENAS=0 BUDDYMALLOC_ARENAS=65 BUDDYMALLOC_ARENAS=-1 BUDDYMALLOC_PER_CPU=yes; do
  env "$bad" LD_PRELOAD="$so" /bin/true 2>err.txt
  grep -q "ignoring ${bad%%=*}" err.txt || { cat err.txt; echo "FAIL: $bad accepted"; exit 1; }
done
# Per-CPU mode runs a real multi-threaded program (sort --parallel) correctly.
seq 200000 | shuf --random-source=<(yes) >in.txt
BUDDYMALLOC_PER_CPU=1 LD_PRELOAD="$so" sort -n --parallel=4 -S 50M in.txt >out.txt
seq 200000 | cmp - out.txt || { echo "FAIL: sort under per-CPU arenas"; exit 1; }
echo "ok: tunables"
