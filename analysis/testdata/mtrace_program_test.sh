#!/usr/bin/env bash
# The mtrace import on a real log: mtrace_program runs with MALLOC_TRACE set,
# glibc writes the log, tracetool imports it, and validate and stats must
# show exactly what the program says it did. Then the import's bad-input
# behaviour on damaged copies of that log.
set -euo pipefail
program=$(readlink -f "$1")
tracetool=$(readlink -f "$2")
work=${TEST_TMPDIR:-$(mktemp -d)}
cd "$work"

fail() { echo "FAIL: $*"; exit 1; }

# Since glibc 2.34, mtrace() in libc does nothing unless libc_malloc_debug.so
# is preloaded (the loader finds it by its soname); before, libc did the work.
preload=""
version=$(getconf GNU_LIBC_VERSION | sed -n 's/^glibc \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
read -r major minor <<<"$version"
if [ "${major:-0}" -gt 2 ] || { [ "${major:-0}" = 2 ] && [ "${minor:-0}" -ge 34 ]; }; then
  preload=libc_malloc_debug.so.0
fi

MALLOC_TRACE="$work/log" LD_PRELOAD="$preload" "$program" >expected.txt
[ -s log ] || fail "the program wrote no mtrace log (glibc $version, preload '$preload')"
[ "$(head -1 log)" = "= Start" ] || fail "log does not start with '= Start': $(head -1 log)"
[ "$(tail -1 log)" = "= End" ] || fail "log does not end with '= End': $(tail -1 log)"
expect() { sed -n "s/^$1 //p" expected.txt; }

# Import, validate, stats.
"$tracetool" import log trace.pb >import.txt || fail "import failed: $(cat import.txt)"
[ ! -e trace.pb.tmp ] || fail "trace.pb.tmp left behind"
grep -q "^log: $(wc -l <log) lines, $(expect events) events " import.txt || fail "import summary: $(cat import.txt)"
validate=$("$tracetool" validate trace.pb) || fail "the imported trace does not decode: $validate"
[ "$validate" = "trace.pb: ok, $(expect events) events" ] || fail "validate: $validate, expected $(expect events) events"

stats=$("$tracetool" stats trace.pb) || fail "stats failed"
has() { grep -qxF -- "$1" <<<"$stats" || { echo "$stats"; fail "stats lack the line '$1'"; }; }
has "trace trace.pb: pid 0, executable unknown, $(expect events) events"
has "$(printf '  %-20s %s' MALLOC "$(expect MALLOC)")"
has "$(printf '  %-20s %s' FREE "$(expect FREE)")"
has "$(printf '  %-20s %s' REALLOC "$(expect REALLOC)")"
has "threads: 1"
grep -qx "peak live requested bytes: $(expect peak) (at seq [0-9]*)" <<<"$stats" ||
  { echo "$stats"; fail "peak live bytes differ from the program's $(expect peak)"; }
has "live at end: $(expect live_blocks) blocks, $(expect live_bytes) bytes"
has "frees of blocks not allocated in the trace: 0"
has "inversions (an allocation returned an address still live): 0"
echo "ok: real log of $(expect events) events imported; validate and stats agree with the program"

# dump: seq 1, 2, 3, ... on one thread; the failed realloc returns NULL.
"$tracetool" dump trace.pb >dump.txt
[ "$(wc -l <dump.txt)" = "$(expect events)" ] || fail "dump has $(wc -l <dump.txt) lines"
awk '$1 != NR || $2 != "t1" { exit 1 }' dump.txt || fail "dump: seq or thread wrong: $(head -3 dump.txt)"
grep -q ' REALLOC in=0x[0-9a-f]* size=4611686018427387903 out=0 ' dump.txt || fail "no failed realloc in dump"
grep -q ' MALLOC size=4611686018427387903 out=0 ' dump.txt || fail "no failed malloc in dump"

# Same log, same bytes; --format=mtrace is the default; "-" is standard output.
"$tracetool" import --format=mtrace log again.pb >/dev/null
cmp -s trace.pb again.pb || fail "two imports of one log differ"
"$tracetool" import log - 2>/dev/null >stdout.pb
cmp -s trace.pb stdout.pb || fail "import to standard output differs"
echo "ok: import is deterministic"

# Bad input: one line on stderr naming the line, exit 1, no output left.
bad_import() {  # NAME LOG EXPECTED_MESSAGE_PART
  rm -f out.pb out.pb.tmp
  local status=0
  "$tracetool" import "$2" out.pb >stdout.txt 2>err.txt || status=$?
  [ "$status" = 1 ] || fail "$1: exit status $status, expected 1"
  [ "$(wc -l <err.txt)" = 1 ] || { cat err.txt; fail "$1: expected exactly one line on stderr"; }
  grep -qF -- "$3" err.txt || fail "$1: message '$(cat err.txt)' lacks '$3'"
  [ ! -e out.pb ] && [ ! -e out.pb.tmp ] || fail "$1: output left behind"
  echo "ok: $1: $(cat err.txt)"
}
n=$(wc -l <log)
head -c -3 log >cut.log
bad_import "log cut short" cut.log "tracetool: cut.log: line $n: the log ends in the middle of a line"
first_lt=$(grep -n '^@ [^ ]* < ' log | head -1 | cut -d: -f1)
[ -n "$first_lt" ] || fail "no realloc in the log"
first_gt=$((first_lt + 1))
sed "${first_gt}s/ 0x[0-9a-f]*\$/ 12/" log >bad_size.log
bad_import "bad size" bad_size.log "tracetool: bad_size.log: line $first_gt: bad size '12' (expected 0 or 0x...)"
sed '2s/^.*$/@ .\/p:[0x1] ? 0x10/' log >bad_op.log
bad_import "unknown operation" bad_op.log "line 2: unknown operation '?'"
grep -v '^@ [^ ]* > ' log >lost_half.log
bad_import "realloc without its '>'" lost_half.log \
  "line $first_gt: expected the '>' line completing the realloc of line $first_lt"
head -c 5000 "$program" >binary.log
bad_import "not a log" binary.log "line 1: "
bad_import "missing log" no-such.log "tracetool: no-such.log: cannot open no-such.log"

# A failed import keeps an existing output as it was.
echo precious >out.pb
"$tracetool" import bad_size.log out.pb 2>/dev/null && fail "bad log imported"
[ "$(cat out.pb)" = precious ] || fail "a failed import changed the existing output"
[ ! -e out.pb.tmp ] || fail "out.pb.tmp left behind"

# Usage errors: exit 2.
for args in "import" "import log" "import --format=csv log x.pb" "import --bogus log x.pb" "import a b c"; do
  status=0
  # shellcheck disable=SC2086
  "$tracetool" $args >/dev/null 2>err.txt || status=$?
  [ "$status" = 2 ] || fail "'tracetool $args': exit status $status, expected 2"
  [ ! -e x.pb ] || fail "'tracetool $args' wrote x.pb"
done
echo "ok: bad input"
