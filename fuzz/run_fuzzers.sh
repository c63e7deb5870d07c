#!/usr/bin/env bash
# Coverage-guided fuzzing of the fuzz_test targets with clang 14's libFuzzer.
#
#   fuzz/run_fuzzers.sh [--seconds=N] [--out=DIR] [target...]
#
# target: a fuzz_test name (trace_reader_fuzz) or label (//trace:trace_reader_fuzz);
# default: every test tagged "fuzz_target". Each is built with clang++-14
# straight from its sources (found with `bazel query`; the generated protobuf
# code comes from `bazel build`), with -fsanitize=fuzzer,address,undefined --
# or, for a target with a malloc = allocator, fuzzer,undefined and the
# allocator linked in, so that the whole process runs on it (ASan would
# replace it) -- then run for N seconds (default 60) on a copy of its seed
# corpus. Findings go to DIR/artifacts/<target>/ (default DIR:
# /tmp/alloclab-fuzz); the script names each one, with the command that
# reproduces it, and exits non-zero if any target found something or did not
# build. The grown corpora stay in DIR/corpus/<target>/ for the next run.
# Installs clang-14 and libclang-rt-14-dev from Debian if they are missing.
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

say() { echo "run_fuzzers: $*" >&2; }

# --- clang 14 and libFuzzer -------------------------------------------------
cxx=clang++-14
have_clang() {
  command -v "$cxx" >/dev/null &&
    [[ -f "$("$cxx" --print-runtime-dir)/libclang_rt.fuzzer-x86_64.a" ]]
}
if ! have_clang; then
  say "clang-14 with libFuzzer is missing: installing Debian's clang-14 and libclang-rt-14-dev"
  sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get install -y --no-install-recommends clang-14 libclang-rt-14-dev >&2 ||
    { "${sudo[@]}" apt-get update >&2 && "${sudo[@]}" apt-get install -y --no-install-recommends clang-14 libclang-rt-14-dev >&2; }
  have_clang || { say "still no clang++-14 with libclang_rt.fuzzer; giving up"; exit 1; }
fi

# --- which targets ----------------------------------------------------------
bazel() { "$root/bazelw" "$@"; }
# A query over //... fails on a package that is broken at the moment; the
# rest still answers (exit 3 with --keep_going).
query() { bazel query --keep_going "$@" 2>/dev/null || [[ $? == 3 ]]; }
all=$(query 'attr(tags, "fuzz_target", tests(//...))')
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

# --- build ------------------------------------------------------------------
# Compiles src into obj unless obj is newer than src, its headers and flags.
compile() {
  local src=$1 obj=$2
  shift 2
  local flags="$*"
  if [[ -f $obj && -f $obj.flags && $(cat "$obj.flags") == "$flags" && -f $obj.d ]]; then
    local stale=0 dep
    for dep in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$obj.d"); do
      [[ $dep -nt $obj ]] && { stale=1; break; }
    done
    ((stale == 0)) && return 0
  fi
  mkdir -p "$(dirname "$obj")"
  echo "  clang++ $src" >&2
  rm -f "$obj.flags"
  "$cxx" "$@" -MMD -MF "$obj.d" -c "$src" -o "$obj" || { rm -f "$obj"; return 1; }
  echo "$flags" >"$obj.flags"
}

# build LABEL: prints the fuzzer binary's path.
build() {
  local label=$1 name=${1##*:}
  local plan
  plan=$(bazel query --output=xml "kind('cc_.*|proto_library', deps($label))" 2>/dev/null |
    python3 "$root/fuzz/fuzz_build_plan.py")
  local gens=() srcs=() links=() allocator=
  while read -r kind rest; do
    case $kind in
      GEN) gens+=("$rest") ;;
      SRC) srcs+=("$rest") ;;
      LINK) links+=("$rest") ;;
      ALLOCATOR) allocator=$rest ;;
    esac
  done <<<"$plan"
  if ((${#gens[@]} > 0)); then
    say "$name: bazel build ${gens[*]} (generated sources)"
    bazel build "${gens[@]}" >&2 2>/dev/null || bazel build "${gens[@]}" >&2
  fi
  local san
  if [[ -n $allocator ]]; then
    san=undefined  # ASan's malloc would replace the allocator under test
    say "$name: runs on $allocator: -fsanitize=fuzzer,undefined (no ASan)"
  else
    san=address,undefined
  fi
  local common=(-std=c++17 -g -O1 -fno-omit-frame-pointer -I. -Ibazel-bin
    "-fsanitize=$san" -fno-sanitize-recover=undefined)
  local objs=() line src
  for line in "${srcs[@]}"; do
    read -r src copts <<<"$line"
    # shellcheck disable=SC2206  # copts are words
    local extra=($copts)
    local obj="$out/obj/$name/${src#bazel-bin/}.o"
    compile "$src" "$obj" "${common[@]}" -fsanitize=fuzzer-no-link "${extra[@]}" || return 1
    objs+=("$obj")
  done
  local bin="$out/bin/$name"
  mkdir -p "$out/bin"
  "$cxx" -fsanitize="fuzzer,$san" "${objs[@]}" -o "$bin" "${links[@]}" || return 1
  echo "$bin"
}

# --- run --------------------------------------------------------------------
summary=()
status=0
for label in "${labels[@]}"; do
  name=${label##*:}
  say "== $label: building"
  if ! bin=$(build "$label"); then
    summary+=("$(printf '%-20s BUILD FAILED' "$name")")
    status=1
    continue
  fi
  # A working copy of the seeds: libFuzzer adds the inputs it finds to the
  # first corpus directory, and the checked-in one stays as it is.
  corpus="$out/corpus/$name"
  artifacts="$out/artifacts/$name"
  mkdir -p "$corpus" "$artifacts"
  for seed in $(query "labels(srcs, ${label}_corpus)"); do
    f=$(sed -e 's|^//||' -e 's|:|/|' <<<"$seed")
    cp -f "$f" "$corpus/seed-$(basename "$f")"
  done
  before=$(ls "$artifacts" | wc -l)
  log="$out/$name.log"
  say "== $label: fuzzing for $seconds s (log: $log)"
  set +e
  (cd "$out" && "$bin" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2560 -max_len=32768 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus") >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  found=$(ls -t "$artifacts" | head -n $(($(ls "$artifacts" | wc -l) - before)))
  if [[ $rc == 0 && -z $found ]]; then
    summary+=("$(printf '%-20s ok      %8s runs, coverage %5s, corpus %4s files' \
      "$name" "${execs:-?}" "${cov:-?}" "$(ls "$corpus" | wc -l)")")
    continue
  fi
  status=1
  summary+=("$(printf '%-20s FOUND   %s (exit %s)' "$name" "${found:-no artifact}" "$rc")")
  say "$name: libFuzzer exited $rc; the report:"
  grep -E -A30 '^==[0-9]+==|ERROR: |runtime error|Die|_fuzz: ' "$log" | head -60 >&2 || tail -40 "$log" >&2
  for f in $found; do
    say "reproduce: $bin $artifacts/$f"
    say "  or with the gcc build: ./bazelw build $label &&" \
      "bazel-bin/$(sed 's|^//||; s|:|/|' <<<"$label") $artifacts/$f"
  done
done

echo
echo "fuzzing results ($seconds s per target; findings in $out/artifacts):"
printf '  %s\n' "${summary[@]}"
exit $status
