#!/usr/bin/env bash
# Coverage-guided fuzzing of every fuzz_test target, one after the other,
# with clang 14's libFuzzer through Bazel (--config=fuzz in .bazelrc):
#
#   fuzz/run_fuzzers.sh [--seconds=N] [--out=DIR] [target...]
#
# target: a fuzz_test name (trace_reader_fuzz) or label (//trace:trace_reader_fuzz);
# default: every test tagged "fuzz_target". Each runs N seconds (default 60)
# as `bazel run --config=fuzz TARGET -- -max_total_time=N`; its corpus grows
# in DIR/<target>/corpus (default DIR: /tmp/alloclab-fuzz), findings go to
# DIR/<target>/artifacts/. The script names each finding with the command that
# reproduces it and exits non-zero if any target found something or did not
# build. Installs clang-14 and libclang-rt-14-dev from Debian if missing.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
seconds=60
out=/tmp/alloclab-fuzz
targets=()
for arg in "$@"; do
  case $arg in
    --seconds=*) seconds=${arg#*=} ;;
    --out=*) out=${arg#*=} ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    -*) echo "run_fuzzers: unknown flag $arg" >&2; exit 2 ;;
    *) targets+=("$arg") ;;
  esac
done
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "run_fuzzers: --seconds needs a positive number" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)

say() { echo "run_fuzzers: $*" >&2; }

if ! [[ -f /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a ]]; then
  say "clang-14's libFuzzer is missing: installing Debian's clang-14 and libclang-rt-14-dev"
  sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get install -y --no-install-recommends clang-14 libclang-rt-14-dev >&2 ||
    { "${sudo[@]}" apt-get update >&2 && "${sudo[@]}" apt-get install -y --no-install-recommends clang-14 libclang-rt-14-dev >&2; }
fi

bazel() { "$root/bazelw" "$@"; }
all=$(bazel query 'attr(tags, "fuzz_target", tests(//...))' 2>/dev/null)
[[ -n $all ]] || { say "no fuzz_target tests found"; exit 1; }
labels=()
if ((${#targets[@]} == 0)); then
  mapfile -t labels <<<"$all"
else
  for t in "${targets[@]}"; do
    match=$(grep -E "(^|:)${t#*:}\$" <<<"$all" || true)
    [[ -n $match ]] || { say "no fuzz target $t (there are: $(tr '\n' ' ' <<<"$all"))"; exit 2; }
    labels+=("$match")
  done
fi

summary=()
status=0
for label in "${labels[@]}"; do
  name=${label##*:}
  artifacts="$out/$name/artifacts"
  mkdir -p "$artifacts"
  before=$(ls "$artifacts" | wc -l)
  log="$out/$name.log"
  say "== $label: building and fuzzing for $seconds s (log: $log)"
  set +e
  ALLOCLAB_FUZZ_DIR=$out bazel run --config=fuzz "$label" -- -max_total_time="$seconds" -timeout=25 \
    -rss_limit_mb=2560 -max_len=32768 -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  found=$(ls -t "$artifacts" | head -n $(($(ls "$artifacts" | wc -l) - before)))
  if [[ -z $execs ]]; then
    summary+=("$(printf '%-20s DID NOT RUN (see %s)' "$name" "$log")")
    status=1
    grep -E "ERROR|error:" "$log" | head -20 >&2 || tail -20 "$log" >&2
    continue
  fi
  corpus_files=$(ls "$out/$name/corpus" 2>/dev/null | wc -l)
  if ((rc == 0)) && [[ -z $found ]]; then
    summary+=("$(printf '%-20s ok        %8s runs, coverage %5s, corpus %s files' "$name" "$execs" "${cov:-?}" "$corpus_files")")
    continue
  fi
  status=1
  summary+=("$(printf '%-20s FOUND     %s (exit %s)' "$name" "$(tr '\n' ' ' <<<"$found")" "$rc")")
  say "$name: libFuzzer exited $rc; the report:"
  grep -E -A30 '^==[0-9]+==|ERROR: |runtime error|Die|_fuzz: ' "$log" | head -60 >&2 || tail -40 "$log" >&2
  for f in $found; do
    say "reproduce: ./bazelw run --config=fuzz $label -- $artifacts/$f"
    say "  or with the gcc build: ./bazelw build $label &&" \
      "bazel-bin/$(sed 's|^//||; s|:|/|' <<<"$label") $artifacts/$f"
  done
done

echo
echo "fuzzing results ($seconds s per target; findings in $out/<target>/artifacts):"
printf '  %s\n' "${summary[@]}"
exit $status
