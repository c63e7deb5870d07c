#!/usr/bin/env bash
# The tracer never breaks the program: an unwritable path, a program that
# closes every descriptor and reuses the numbers, chdir, setuid, a full disk,
# an exit while another thread still allocates. Each time the program's
# behaviour is unchanged and what was written decodes. And the settings say
# what they do: a bad value gets one line and a sensible outcome.
set -euo pipefail
tracer=$(readlink -f "$1")
tracetool=$(readlink -f "$2")
hostile=$(readlink -f "$3")
slow_malloc=$(readlink -f "$4")
work=${TEST_TMPDIR:-$(mktemp -d)}
cd "$work"

fail() { echo "FAIL: $*"; exit 1; }
# Whether a trace is still raw: a compressed one holds zstd frames.
is_raw() { ! LC_ALL=C grep -qa $'\x28\xb5\x2f\xfd' "$1"; }

# 1. Unwritable path: one line on stderr, the program runs on untraced.
out=$(MALLOC_TRACE_FILE=/nonexistent/dir/t.%p.pb LD_PRELOAD="$tracer" "$hostile" chdir 2>err.txt)
[ "$out" = survived ] || fail "unwritable path changed the program's output"
[ "$(wc -l <err.txt)" = 1 ] || { cat err.txt; fail "expected exactly one line on stderr"; }
grep -q "cannot create trace file, not tracing: /nonexistent/dir/t." err.txt || fail "unclear message: $(cat err.txt)"
echo "ok: unwritable path"

for mode in closefds chdir setuid diskfull busyexit; do
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
  # Finished (compressed) after a chdir, and when another thread keeps
  # allocating at exit (its calls after the exit began are not traced).
  # closefds, setuid and diskfull leave it raw: no descriptor, no right to
  # rename, no room.
  case "$mode" in
    chdir | busyexit) ! is_raw "${traces[0]}" || fail "$mode: the trace was left raw" ;;
  esac
  leftovers=$(ls "$mode" | grep -v -e '^t\.[0-9]*\.pb$' -e '^err\.txt$' -e '^own-file\.txt$' || true)
  [ -z "$leftovers" ] || fail "$mode: left behind: $leftovers"
  echo "ok: $mode ($events events kept)"
done

# A thread inside a traced call when the program exits (a malloc that takes
# two seconds, in an allocator under the tracer): its event would be written
# into what is being compressed, so the trace is left raw, whole.
rm -rf slowexit && mkdir slowexit
out=$(MALLOC_TRACE_FILE="$work/slowexit/t.%p.pb" LD_PRELOAD="$tracer $slow_malloc" "$hostile" slowexit 2>slowexit.err) ||
  fail "slowexit: the program failed"
[ "$out" = survived ] || fail "slowexit: output changed"
traces=(slowexit/t.*.pb)
is_raw "${traces[0]}" || fail "slowexit: a thread was inside a call at exit, yet the trace was compressed"
"$tracetool" validate "${traces[0]}" >/dev/null || fail "slowexit: the raw trace does not decode"
echo "ok: slowexit (left raw)"

# A preloaded C program loads no C++ runtime with the tracer (libstdc++'s
# start-up would allocate in every traced program, and its exception pool
# read as a leak).
maps=$(MALLOC_TRACE_FILE="$work/maps.%p.pb" LD_PRELOAD="$tracer" cat /proc/self/maps)
grep -q "libmalloctrace.so" <<<"$maps" || fail "maps: the tracer is not loaded"
grep -q "libclang_rt.ubsan" <<<"$maps" ||  # UBSan's runtime brings its own (--config=ubsan)
  ! grep -qE "libstdc\+\+|libgcc_s|libm\.so" <<<"$maps" || fail "the tracer brought in the C++ runtime: $(grep -E 'libstdc|libgcc_s|libm\.so' <<<"$maps")"
echo "ok: a traced C program maps no C++ runtime"

# 2. Settings.
setting() {  # EXPECTED_STDERR_FRAGMENT VAR=VALUE...: ls traced with them, into dir "set"
  local want=$1
  shift
  rm -rf set && mkdir set
  # ls allocates (/bin/true may not: an empty trace has nothing to compress).
  env MALLOC_TRACE_FILE="$work/set/t.%p.pb" "$@" LD_PRELOAD="$tracer" /bin/ls / >/dev/null 2>set.err ||
    fail "$*: ls failed"
  if [ -n "$want" ]; then
    [ "$(wc -l <set.err)" = 1 ] || { cat set.err; fail "$*: expected one line on stderr"; }
    grep -qF -- "$want" set.err || fail "$*: stderr lacks '$want': $(cat set.err)"
  else
    [ ! -s set.err ] || fail "$*: unexpected stderr: $(cat set.err)"
  fi
}
setting "MALLOC_TRACE_STACKS=abc is not a number of frames (0 to 64): recording no stacks" MALLOC_TRACE_STACKS=abc
setting "MALLOC_TRACE_STACKS=-1 is not a number of frames" MALLOC_TRACE_STACKS=-1
setting "MALLOC_TRACE_STACKS=1000 is more than 64 frames: recording 64" MALLOC_TRACE_STACKS=1000
setting "MALLOC_TRACE_EXEC_DEPTH=-1 is not a whole number" MALLOC_TRACE_EXEC_DEPTH=-1
setting "MALLOC_TRACE_RAW=maybe is not 1 or 0" MALLOC_TRACE_RAW=maybe
! is_raw set/t.*.pb || fail "MALLOC_TRACE_RAW=maybe: not compressed"
setting "" MALLOC_TRACE_RAW=1
is_raw set/t.*.pb || fail "MALLOC_TRACE_RAW=1: the trace was compressed"
"$tracetool" validate set/t.*.pb >/dev/null || fail "MALLOC_TRACE_RAW=1: the raw trace does not decode"
setting "" MALLOC_TRACE_RAW=0
! is_raw set/t.*.pb || fail "MALLOC_TRACE_RAW=0 kept the raw file"
echo "ok: MALLOC_TRACE_STACKS, MALLOC_TRACE_EXEC_DEPTH, MALLOC_TRACE_RAW"

# MALLOC_TRACE_FILE naming a directory, with or without the slash: the
# default name inside it, said once; never a file named ".1" beside it.
for d in "$work/dirtrace/" "$work/dirtrace"; do
  rm -rf dirtrace && mkdir dirtrace
  MALLOC_TRACE_FILE="$d" LD_PRELOAD="$tracer" /bin/true 2>dir.err || fail "directory: /bin/true failed"
  grep -q "is a directory: writing $work/dirtrace/malloctrace.%p.pb" dir.err || fail "directory $d: $(cat dir.err)"
  ls dirtrace/malloctrace.*.pb >/dev/null 2>&1 || fail "directory $d: no trace inside it"
  [ ! -e "$work/dirtrace.1" ] && [ ! -e "$work/dirtrace/.1" ] || fail "directory $d: a '.1' file was made"
done
# A device: refused with one line, the program runs on.
MALLOC_TRACE_FILE=/dev/null LD_PRELOAD="$tracer" /bin/true 2>dev.err || fail "/dev/null: /bin/true failed"
grep -q "MALLOC_TRACE_FILE=/dev/null is not a regular file" dev.err || fail "/dev/null: $(cat dev.err)"
echo "ok: MALLOC_TRACE_FILE as a directory or a device"

# A relative MALLOC_TRACE_FILE is made absolute at start: the program's chdir
# does not move where the trace is finished (compressed and renamed) at exit.
rm -rf rel && mkdir rel
(cd rel && MALLOC_TRACE_FILE=t.%p.pb LD_PRELOAD="$tracer" "$hostile" chdir >/dev/null 2>../rel.err) || fail "relative: failed"
traces=(rel/t.*.pb)
[ -f "${traces[0]}" ] || fail "relative: no trace in the starting directory"
! is_raw "${traces[0]}" || fail "relative: the trace was not finished (still raw) after the chdir"
"$tracetool" validate "${traces[0]}" >/dev/null || fail "relative: the trace does not decode"
[ ! -s rel.err ] || fail "relative: $(cat rel.err)"
echo "ok: relative MALLOC_TRACE_FILE survives chdir"
