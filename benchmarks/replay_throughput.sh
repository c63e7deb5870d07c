#!/bin/bash
# Replay throughput and allocator comparison on real traces (a benchmark, not
# a test): records python3 (PYTHONMALLOC=malloc, every object through malloc)
# and threaded_churn with the tracer, then replays each trace against the five
# allocators, interleaved, reporting medians.
#   ./bazelw run //benchmarks:replay_throughput -- [--repeat=N] [--touch=none|first|all] [--out=DIR]
set -euo pipefail
repeat=5 touch=none out=${TMPDIR:-/tmp}/replay-throughput
for a in "$@"; do
  case $a in
    --repeat=*) repeat=${a#*=} ;;
    --touch=*) touch=${a#*=} ;;
    --out=*) out=${a#*=} ;;
    *) echo "replay_throughput: unknown argument $a" >&2; exit 2 ;;
  esac
done
runfiles=${RUNFILES_DIR:-$0.runfiles}/alloclab
replay=$runfiles/replay/replay
tracer=$runfiles/tracer/libmalloctrace.so
churn=$runfiles/benchmarks/threaded_churn
rm -rf "$out" && mkdir -p "$out"

echo "== recording traces into $out"
PYTHONMALLOC=malloc MALLOC_TRACE_FILE="$out/python.%p.pb" LD_PRELOAD="$tracer" /usr/bin/python3 -c '
import json
d = [{"a": i, "b": str(i) * 3, "c": [i] * 5} for i in range(200000)]
assert len(json.loads(json.dumps(d))) == 200000'
MALLOC_TRACE_FILE="$out/churn.%p.pb" LD_PRELOAD="$tracer" "$churn" --threads=2 --ops=2000000 >/dev/null

for name in python churn; do
  trace=$(ls "$out"/$name.*.pb)
  echo
  echo "== $name: $trace ($(du -h "$trace" | cut -f1)), --touch=$touch, $repeat rounds"
  "$replay" compare --trace="$trace" --touch="$touch" --repeat="$repeat" \
    --report="$out/$name.html" --json >"$out/$name.json"
  /usr/bin/python3 - "$out/$name.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
p = r["prepared"]
print(f"{p['trace_events']} events, {p['calls']} calls, {p['threads']} threads, checksums agree: {r['checksums_agree']}")
print(f"{'allocator':10} {'Mevents/s':>10} {'wall ms':>9} {'time x':>7} {'peak MiB':>9} {'RSS x':>6} {'frag':>5}")
for a in r["allocators"]:
    print(f"{a['name']:10} {p['trace_events'] / a['wall_ns'] * 1e3:10.1f} {a['wall_ns'] / 1e6:9.1f} "
          f"{a['time_ratio']:7.2f} {a['rss_peak_bytes'] / 2**20:9.1f} {a['rss_ratio']:6.2f} {a['fragmentation']:5.2f}")
PY
  echo "report: $out/$name.html"
done
