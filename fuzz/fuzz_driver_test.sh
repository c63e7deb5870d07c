#!/usr/bin/env bash
# fuzz_driver_main fails the way a fuzz test must: on a crash, a fault, a
# hang, an exit() inside the target, and a failure only a mutation reaches;
# it saves the failing input, and it refuses a missing or empty corpus.
#   fuzz_driver_test.sh DRIVER_TEST_TARGET
set -uo pipefail
target=$1
tmp=${TEST_TMPDIR:-$(mktemp -d)}
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# run NAME CONTENT [flags...]: runs the target on a one-file corpus; sets
# $rc, $log and $out (the crash directory).
run() {
  local name=$1 content=$2
  shift 2
  mkdir -p "$tmp/$name/corpus" "$tmp/$name/out"
  printf '%s' "$content" >"$tmp/$name/corpus/seed"
  out=$tmp/$name/out
  log=$tmp/$name/log
  TEST_UNDECLARED_OUTPUTS_DIR=$out timeout 60 "$target" "$@" "$tmp/$name/corpus" >"$log" 2>&1
  rc=$?
}

run fine fine --mutations=0
[[ $rc == 0 ]] || fail "a good corpus without mutations: exit $rc"
grep -q "1 corpus files and 0 mutated inputs" "$log" || fail "no summary line: $(cat "$log")"

run mutation fine --mutations=50
[[ $rc != 0 ]] || fail "a failure reached by mutations passed"
grep -q "(mutation [0-9]* with --seed=0)" "$log" || fail "the mutation is not named: $(cat "$log")"
crash=$(ls "$out"/crash-* 2>/dev/null | head -1)
if [[ -z $crash ]]; then
  fail "no crash file"
else
  [[ $(head -c1 "$crash") == f && $(cat "$crash") != fine ]] || fail "the crash file is not the failing input"
  # Reproducing: the saved input alone fails the same way.
  TEST_UNDECLARED_OUTPUTS_DIR=$tmp "$target" "$crash" >/dev/null 2>&1 && fail "the saved input does not reproduce"
fi

run crash crash-now
[[ $rc != 0 ]] || fail "an abort passed"
grep -q "Aborted on .*corpus/seed" "$log" || fail "the abort is not reported: $(cat "$log")"
[[ $(cat "$out"/crash-*) == crash-now ]] || fail "the aborting input is not saved"

run segv segv
[[ $rc != 0 ]] || fail "a segfault passed"
grep -q "Segmentation fault on" "$log" || fail "the fault is not reported: $(cat "$log")"

run hang hang --timeout=1
[[ $rc != 0 && $rc != 124 ]] || fail "a hang passed or was not stopped by --timeout (exit $rc)"
grep -q "timeout" "$log" || fail "the hang is not reported: $(cat "$log")"

run exit exit
[[ $rc != 0 ]] || fail "exit() inside the target passed"
grep -q "called exit()" "$log" || fail "exit() is not reported: $(cat "$log")"

mkdir -p "$tmp/empty"
"$target" "$tmp/empty" >"$tmp/empty.log" 2>&1
[[ $? == 2 ]] && grep -q "no corpus files" "$tmp/empty.log" || fail "an empty corpus is accepted"
"$target" "$tmp/missing" >"$tmp/missing.log" 2>&1
[[ $? == 2 ]] && grep -q "cannot find corpus" "$tmp/missing.log" || fail "a missing corpus is accepted"
"$target" --mutations=lots "$tmp/fine/corpus" >"$tmp/flag.log" 2>&1
[[ $? == 2 ]] || fail "a bad flag is accepted"

if ((fails > 0)); then
  echo "$fails failures"
  exit 1
fi
echo "all driver checks passed"
