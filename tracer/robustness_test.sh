#!/usr/bin/env bash
# The tracer never breaks the program: an unwritable path, a program that
# closes every descriptor and reuses the numbers, chdir, setuid, a full disk.
# Each time the program's behaviour is unchanged and what was written decodes.
set -euo pipefail
tracer=$(readlink -f "$1")
tracetool=$(readlink -f "$2")
hostile=$(readlink -f "$3")
work=${TEST_TMPDIR:-$(mktemp -d)}
cd "$work"

fail() { echo "FAIL: $*"; exit 1; }

# 1. Unwritable path: one line on stderr, the program runs on untraced.
out=$(MALLOC_TRACE_FILE=/nonexistent/dir/t.%p.pb LD_PRELOAD="$tracer" "$hostile" chdir 2>err.txt)
[ "$out" = survived ] || fail "unwritable path changed the program's output"
[ "$(wc -l <err.txt)" = 1 ] || { cat err.txt; fail "expected exactly one line on stderr"; }
grep -q "cannot create trace file, not tracing: /nonexistent/dir/t." err.txt || fail "unclear message: $(cat err.txt)"
echo "ok: unwritable path"

for mode in closefds chdir setuid diskfull; do
  rm -rf "$mode" && mkdir "$mode"
  args=("$mode")
  [ "$mode" = closefds ] && args+=("$work/$mode/own-file.txt")
  out=$(MALLOC_TRACE_FILE="$work/$mode/t.%p.pb" LD_PRELOAD="$tracer" "$hostile" "${args[@]}" 2>"$mode/err.txt") ||
    { cat "$mode/err.txt"; fail "$mode: the program failed under the tracer"; }
  [ "$out" = survived ] || fail "$mode: output changed"
  traces=("$mode"/t.*.pb)
  [ -f "${traces[0]}" ] || fail "$mode: no trace"
  summary=$("$tracetool" validate "${traces[0]}") || fail "$mode: trace does not decode"
  events=$(sed -n 's/.*ok, \([0-9]*\) events/\1/p' <<<"$summary")
  [ "$events" -gt 10000 ] || fail "$mode: only $events events"
  case "$mode" in
    closefds) grep -q "descriptor was closed" "$mode/err.txt" || fail "closefds: no message: $(cat "$mode/err.txt")" ;;
    diskfull) grep -q "disk full" "$mode/err.txt" || fail "diskfull: no message: $(cat "$mode/err.txt")" ;;
    *) [ ! -s "$mode/err.txt" ] || fail "$mode: unexpected stderr: $(cat "$mode/err.txt")" ;;
  esac
  leftovers=$(ls "$mode" | grep -v -e '^t\.[0-9]*\.pb$' -e '^err\.txt$' -e '^own-file\.txt$' || true)
  [ -z "$leftovers" ] || fail "$mode: left behind: $leftovers"
  echo "ok: $mode ($events events kept)"
done
