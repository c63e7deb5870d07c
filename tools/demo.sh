#!/usr/bin/env bash
# The project's main job, end to end, as far as it exists today:
#   1. trace a real allocation-heavy program with libmalloctrace.so,
#   2. read the trace back (tracetool stats),
#   3. run the same program on glibc's malloc and on libbuddymalloc.so, side by side.
# The replay step (replay the trace against five allocators, HTML report)
# comes with //replay:replay.
#
#   ./bazelw run //:demo                       # a python3 workload
#   ./bazelw run //:demo -- --cmd='sort -n /etc/passwd'
#   ./bazelw run //:demo -- --out=/tmp/demo    # where traces go
set -euo pipefail
runfiles="${RUNFILES_DIR:-$0.runfiles}/alloclab"
tracer="$runfiles/tracer/libmalloctrace.so"
buddy="$runfiles/malloc/libbuddymalloc.so"
tracetool="$runfiles/replay/tracetool"
cd "${BUILD_WORKING_DIRECTORY:-.}"

out=${TMPDIR:-/tmp}/alloclab-demo
cmd=""
for arg in "$@"; do
  case "$arg" in
    --cmd=*) cmd=${arg#--cmd=} ;;
    --out=*) out=${arg#--out=} ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "demo: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -z "$cmd" ]; then
  cat >"$out/workload.py" <<'PY'
d = {}
for r in range(3):
    for i in range(200000):
        d[i] = [str(i) * (i % 5), (i, i * 2), {"k": i}]
    d = {k: v for k, v in d.items() if k % 5 == 0}
print("python workload done,", len(d), "objects kept")
PY
  cmd="/usr/bin/python3 $out/workload.py"
  export PYTHONMALLOC=malloc  # every object through malloc, not Python's pools
fi

echo "== [1/3] tracing: $cmd"
rm -f "$out"/trace.*
start=$(date +%s.%N)
# Every process of the command is traced: the shell, and what it execs
# (same pid: its trace gets a ".1" suffix), forks and runs.
MALLOC_TRACE_FILE="$out/trace.%p.pb" LD_PRELOAD="$tracer" bash -c "$cmd" >"$out/traced-output.txt"
end=$(date +%s.%N)
echo "   done in $(echo "$end - $start" | bc) s; traces:"
ls -l "$out"/trace.* | awk '{ printf "   %s  %d bytes\n", $NF, $5 }'

echo "== [2/3] reading the traces back"
for t in "$out"/trace.*; do
  "$tracetool" validate "$t" | sed 's/^/   /'
done
main=$(ls -S "$out"/trace.* | head -1)
"$tracetool" stats "$main" | sed 's/^/   /'

echo "== [3/3] the same program on glibc and on the buddy allocator"
for allocator in glibc buddy; do
  preload=""
  [ "$allocator" = buddy ] && preload="$buddy"
  /usr/bin/env time -f "   $allocator: %e s wall, %M KiB peak RSS" env LD_PRELOAD="$preload" bash -c "$cmd" >/dev/null 2>"$out/time-$allocator.txt" ||
    { cat "$out/time-$allocator.txt"; exit 1; }
  tail -1 "$out/time-$allocator.txt"
done
echo
echo "Traces are in $out. Compare allocators on many workloads:"
echo "   ./bazelw run //benchmarks:compare_allocators"
