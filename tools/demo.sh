#!/usr/bin/env bash
# The project's main job, end to end:
#   1. trace real programs with libmalloctrace.so: a python3 workload with
#      every object through malloc, and threaded_churn (threads handing
#      blocks to each other) -- or your own command, or an existing trace;
#   2. read the traces back (tracetool validate, stats);
#   3. replay each trace against the buddy allocator and every comparison
#      allocator (glibc, jemalloc, tcmalloc, mimalloc), interleaved, and print
#      the comparison table;
#   4. write an HTML report per trace and say where.
#
#   ./bazelw run //:demo                                 # the workloads above
#   ./bazelw run //:demo -- --cmd='sort -n /etc/passwd'  # your command
#   ./bazelw run //:demo -- --trace=/path/to/trace.pb    # a trace you have
#   options: --out=DIR (default $TMPDIR/alloclab-demo), --repeat=N (default 3)
set -euo pipefail
runfiles="${RUNFILES_DIR:-$0.runfiles}/alloclab"
tracer="$runfiles/tracer/libmalloctrace.so"
tracetool="$runfiles/analysis/tracetool"
replay="$runfiles/replay/replay"
churn="$runfiles/benchmarks/threaded_churn"
cd "${BUILD_WORKING_DIRECTORY:-.}"

out=${TMPDIR:-/tmp}/alloclab-demo
cmd="" trace="" repeat=3
for arg in "$@"; do
  case "$arg" in
    --cmd=*) cmd=${arg#--cmd=} ;;
    --trace=*) trace=${arg#--trace=} ;;
    --out=*) out=${arg#--out=} ;;
    --repeat=*) repeat=${arg#--repeat=} ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "demo: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done
if [[ -n $cmd && -n $trace ]]; then
  echo "demo: give --cmd or --trace, not both" >&2
  exit 2
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The comparison allocators (tools/allocators.bzl) that are installed
# (./bazelw installs them all).
allocators=
while read -r name so _package; do
  if [[ $so == /* && ! -e $so ]]; then
    echo "   ($name is not installed: left out)"
    continue
  fi
  allocators+="${allocators:+,}$name"
done <"$runfiles/tools/allocators.txt"

# trace_command NAME COMMAND: traces every process of COMMAND (the shell, what
# it execs and forks) into $out/NAME.*.pb; prints the largest trace's path.
trace_command() {
  local name=$1 command=$2
  rm -f "$out/$name".*
  local start end
  start=$(date +%s.%N)
  MALLOC_TRACE_STACKS=${stacks:-} MALLOC_TRACE_FILE="$out/$name.%p.pb" LD_PRELOAD="$tracer" bash -c "$command" \
    >"$out/$name-output.txt"
  end=$(date +%s.%N)
  echo "   $name: traced in $(echo "$end - $start" | bc) s:" >&2
  ls -l "$out/$name".* | awk '{ printf "     %s  %d bytes\n", $NF, $5 }' >&2
  ls -S "$out/$name".* | head -1
}

traces=()
if [[ -n $trace ]]; then
  echo "== [1/4] using the trace $trace"
  traces=("$trace")
elif [[ -n $cmd ]]; then
  echo "== [1/4] tracing: $cmd"
  traces=("$(trace_command command "$cmd")")
else
  cat >"$out/workload.py" <<'PY'
import json
d = {}
for r in range(3):
    for i in range(100000):
        d[i] = [str(i) * (i % 5), (i, i * 2), {"k": i}]
    d = {k: v for k, v in d.items() if k % 5 == 0}
s = json.dumps([{"a": i, "b": str(i) * 3} for i in range(50000)])
print("python workload done,", len(d), "objects kept,", len(json.loads(s)), "decoded")
PY
  echo "== [1/4] tracing two real programs"
  # PYTHONMALLOC=malloc: every object through malloc, not Python's own pools.
  # With stacks (16 frames), for the call-site reports below.
  traces=("$(stacks=16 trace_command python "PYTHONMALLOC=malloc /usr/bin/python3 $out/workload.py")")
  traces+=("$(trace_command threads "$churn --threads=3 --ops=400000")")
fi

echo "== [2/4] reading the traces back"
for t in "${traces[@]}"; do
  "$tracetool" validate "$t" | sed 's/^/   /'
  "$tracetool" stats "$t" | sed -n '1,/^threads/p' | sed 's/^/   /'
  if [[ $(basename "$t") == python.* ]]; then
    # Which code holds the most at the end, and at the peak (tracetool leaks,
    # peak: the stacks symbolised from the trace's maps).
    for report in leaks peak; do
      sites=$("$tracetool" "$report" --limit=1 "$t")
      head -12 <<<"$sites" | sed 's/^/   /'
    done
  fi
done

echo "== [3/4] replaying against $allocators ($repeat interleaved rounds each)"
reports=()
for t in "${traces[@]}"; do
  name=$(basename "$t")
  name=${name%%.*}
  echo "-- $t"
  "$replay" compare --trace="$t" --allocators="$allocators" --repeat="$repeat" --progress \
    --report="$out/$name-report.html" 2> >(sed 's/^/   /' >&2) | sed 's/^/   /'
  reports+=("$out/$name-report.html")
done

echo "== [4/4] reports (open in a browser; self-contained, no network):"
for r in "${reports[@]}"; do echo "   $r"; done
echo "Traces are in $out. More workloads: ./bazelw run //benchmarks:compare_allocators"
