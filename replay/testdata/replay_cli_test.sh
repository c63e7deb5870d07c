#!/bin/bash
# replay and tracetool on bad input: one clear error line, a non-zero exit,
# never a crash. A broken allocator (replay/testdata/broken_malloc.cc) is
# caught whatever its bug: overlapping blocks (--verify), a NULL result, a
# free that unwinds the replay thread, a write into the runner's op streams
# (the issued ops are counted and hashed); so is a tampered prepared file.
#   replay_cli_test.sh REPLAY TRACETOOL TRACE BROKEN_MALLOC_SO
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
mkdir -p "$tmp/a dir"
cp "$broken" "$tmp/a dir/lib.so"
# A prepared file whose header claims other totals than its streams hold, and
# one whose thread table claims another checksum for thread 0: both were
# accepted before the counts were checked. (Offsets: op_stream.h.)
tamper() {  # FILE OFFSET: add one to the little-endian uint64 there
  /usr/bin/python3 - "$@" <<'PY'
import struct, sys
path, off = sys.argv[1], int(sys.argv[2])
data = bytearray(open(path, "rb").read())
(v,) = struct.unpack_from("<Q", data, off)
struct.pack_into("<Q", data, off, v + 1)
open(path, "wb").write(data)
PY
}
cp "$tmp/good.prepared" "$tmp/calls.prepared"
tamper "$tmp/calls.prepared" 48   # PreparedHeader.calls
cp "$tmp/good.prepared" "$tmp/thread.prepared"
table=$(/usr/bin/python3 -c 'import struct,sys; print(struct.unpack_from("<Q", open(sys.argv[1],"rb").read(), 64)[0])' "$tmp/good.prepared")
tamper "$tmp/thread.prepared" $((table + 24))   # ThreadEntry[0].checksum
checksum=$("$replay" prepare --trace="$trace" --out="$tmp/again.prepared" | sed 's/.*checksum //')

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
expect_error "header's call count tampered" "the streams hold" "$replay" run --prepared="$tmp/calls.prepared"
expect_error "thread checksum tampered" "calls or checksum differ" "$replay" run --prepared="$tmp/thread.prepared"
expect_error "a NULL from the allocator" "returned NULL for" \
  env BROKEN_MALLOC=null_size:80 "$replay" run --trace="$trace" --allocator="$broken"
expect_error "a free that unwinds the replay thread" "did not reach the end of its ops" \
  env BROKEN_MALLOC=exit_in_free:100 "$replay" run --trace="$trace" --allocator="$broken"
expect_error "an allocator that rewrites the ops" "issued other ops than prepared" \
  env BROKEN_MALLOC=scribble:200 "$replay" run --trace="$trace" --allocator="$broken"
expect_error "compare --allocator" "does not apply to \`replay compare\`" \
  "$replay" compare --trace="$trace" --allocator=jemalloc
expect_error "run --allocators" "does not apply to \`replay run\`" "$replay" run --trace="$trace" --allocators=glibc
expect_error "prepare --touch" "does not apply to \`replay prepare\`" \
  "$replay" prepare --trace="$trace" --out="$tmp/x.prepared" --touch=all
expect_error "--report into a missing directory" "does not exist or is not writable" \
  "$replay" run --trace="$trace" --report="$tmp/no/such/dir/r.html"
expect_error "allocator path with a space" "contains a space or colon" \
  "$replay" run --trace="$trace" --allocator="$tmp/a dir/lib.so"
expect_error "bad --rss_interval_us" "--rss_interval_us must be" "$replay" run --trace="$trace" --rss_interval_us=99999999
expect_error "bad --sample_shift" "--sample_shift must be" "$replay" run --trace="$trace" --sample_shift=32
expect_error "bad --pace" "--pace must be" "$replay" run --trace="$trace" --pace=sometimes
expect_error "bad --max_gap" "--max_gap must be" "$replay" run --trace="$trace" --pace=recorded --max_gap=5
expect_error "--max_gap unpaced" "only with --pace=recorded" "$replay" run --trace="$trace" --max_gap=1s
expect_error "paced --verify" "cannot be paced" "$replay" run --trace="$trace" --pace=recorded --verify
expect_error "malformed --expect_checksum" "--expect_checksum must be" "$replay" run --trace="$trace" --expect_checksum=xyz
expect_error "trace given as prepared" "not a prepared trace" "$replay" run --prepared="$trace"
expect_error "both inputs" "exactly one of" "$replay" run --trace="$trace" --prepared="$tmp/good.prepared"
expect_error "bad --touch" "--touch must be" "$replay" run --trace="$trace" --touch=sometimes
expect_error "bad --repeat" "--repeat must be" "$replay" compare --trace="$trace" --repeat=0
expect_error "baseline not compared" "is not among" "$replay" compare --trace="$trace" --allocators=buddy,glibc --baseline=jemalloc
expect_error "wrong checksum" "expected 0123456789abcdef" "$replay" run --trace="$trace" --expect_checksum=0123456789abcdef
expect_error "overlapping blocks caught by --verify" "contents changed while it was live" \
  env BROKEN_MALLOC=overlap "$replay" run --trace="$trace" --allocator="$broken" --verify
expect_error "tracetool: truncated trace" "truncated" "$tracetool" validate "$tmp/truncated.trace"
expect_error "tracetool: unknown command" "usage" "$tracetool" frobnicate "$trace"

# And the happy path of the same binary, for contrast: the broken allocator
# runs to the end without --verify (nothing checks), the good ones verify.
BROKEN_MALLOC=overlap "$replay" run --trace="$trace" --allocator="$broken" >/dev/null 2>&1 || { echo "FAIL: timed run on the broken allocator"; failures=$((failures + 1)); }
"$replay" run --trace="$trace" --allocator=buddy --verify >/dev/null || { echo "FAIL: buddy verify"; failures=$((failures + 1)); }
# The checksum is compared whatever its case.
"$replay" run --trace="$trace" --allocator=glibc --expect_checksum="${checksum^^}" >/dev/null ||
  { echo "FAIL: an upper-case --expect_checksum was refused"; failures=$((failures + 1)); }
# An allocator name an environment variable redirects is said in the report.
BUDDYMALLOC_SO="$broken" BROKEN_MALLOC=overlap "$replay" run --trace="$trace" --allocator=buddy >"$tmp/redirected" 2>&1
grep -q 'buddy is .*libbroken_malloc.so (chosen by \$BUDDYMALLOC_SO)' "$tmp/redirected" ||
  { echo "FAIL: the report does not say that \$BUDDYMALLOC_SO chose buddy:"; cat "$tmp/redirected"; failures=$((failures + 1)); }

((failures == 0)) || { echo "$failures failures"; exit 1; }
echo "all bad inputs rejected cleanly"
