#!/bin/bash
# replay and tracetool on bad input: one clear error line, a non-zero exit,
# never a crash. And --verify catches an allocator that overlaps blocks.
#   replay_cli_test.sh REPLAY TRACETOOL TRACE OVERLAPPING_MALLOC_SO
set -uo pipefail
replay=$1 tracetool=$2 trace=$3 broken=$4
tmp=${TEST_TMPDIR:-$(mktemp -d)}
failures=0

# expect_error "what" "message fragment" command...
expect_error() {
  local what=$1 fragment=$2
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if ((rc == 0)); then
    echo "FAIL: $what: exit status 0"; failures=$((failures + 1)); return
  fi
  if ((rc > 128)); then
    echo "FAIL: $what: killed by signal $((rc - 128))"; failures=$((failures + 1)); return
  fi
  if ! grep -q -- "$fragment" "$tmp/err"; then
    echo "FAIL: $what: stderr lacks '$fragment':"; cat "$tmp/err"; failures=$((failures + 1)); return
  fi
  echo "ok: $what -> $(head -1 "$tmp/err")"
}

head -c 1000 "$trace" >"$tmp/truncated.trace"
: >"$tmp/empty.trace"
echo "hello, I am not a trace" >"$tmp/foreign.trace"
"$replay" prepare --trace="$trace" --out="$tmp/good.prepared" >/dev/null || { echo "FAIL: prepare"; exit 1; }
cp "$tmp/good.prepared" "$tmp/corrupt.prepared"
printf '\x07' | dd of="$tmp/corrupt.prepared" bs=1 seek=5000 conv=notrunc 2>/dev/null
echo "not an ELF file" >"$tmp/fake.so"

expect_error "unknown flag" "Unknown command line flag" "$replay" run --trace="$trace" --bogus=1
expect_error "unknown command" "unknown command" "$replay" frobnicate
expect_error "no command" "give one command" "$replay"
expect_error "unknown allocator" "unknown allocator 'nosuch'" "$replay" run --trace="$trace" --allocator=nosuch
expect_error "missing .so" "does not exist" "$replay" run --trace="$trace" --allocator=/nonexistent/liba.so
expect_error "not an ELF .so" "not an ELF file" "$replay" run --trace="$trace" --allocator="$tmp/fake.so"
expect_error "a .so that is not an allocator" "does not provide malloc" \
  "$replay" run --trace="$trace" --allocator=/lib/x86_64-linux-gnu/libz.so.1
expect_error "truncated trace" "truncated" "$replay" run --trace="$tmp/truncated.trace"
expect_error "empty trace" "$tmp/empty.trace" "$replay" run --trace="$tmp/empty.trace"
expect_error "foreign file" "not a trace" "$replay" run --trace="$tmp/foreign.trace"
expect_error "missing trace" "No such file" "$replay" run --trace="$tmp/nothing-here.trace"
expect_error "corrupt prepared file" "corrupt prepared file" "$replay" run --prepared="$tmp/corrupt.prepared"
expect_error "trace given as prepared" "not a prepared trace" "$replay" run --prepared="$trace"
expect_error "both inputs" "exactly one of" "$replay" run --trace="$trace" --prepared="$tmp/good.prepared"
expect_error "bad --touch" "--touch must be" "$replay" run --trace="$trace" --touch=sometimes
expect_error "bad --repeat" "--repeat must be" "$replay" compare --trace="$trace" --repeat=0
expect_error "baseline not compared" "is not among" "$replay" compare --trace="$trace" --allocators=buddy,glibc --baseline=jemalloc
expect_error "wrong checksum" "expected 0123456789abcdef" "$replay" run --trace="$trace" --expect_checksum=0123456789abcdef
expect_error "overlapping blocks caught by --verify" "contents changed while it was live" \
  "$replay" run --trace="$trace" --allocator="$broken" --verify
expect_error "tracetool: truncated trace" "truncated" "$tracetool" validate "$tmp/truncated.trace"
expect_error "tracetool: unknown command" "usage" "$tracetool" frobnicate "$trace"

# And the happy path of the same binary, for contrast: the broken allocator
# runs to the end without --verify (nothing checks), the good ones verify.
"$replay" run --trace="$trace" --allocator="$broken" >/dev/null 2>&1 || { echo "FAIL: timed run on the broken allocator"; failures=$((failures + 1)); }
"$replay" run --trace="$trace" --allocator=buddy --verify >/dev/null || { echo "FAIL: buddy verify"; failures=$((failures + 1)); }

((failures == 0)) || { echo "$failures failures"; exit 1; }
echo "all bad inputs rejected cleanly"
