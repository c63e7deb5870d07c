#!/bin/bash
# A program that starts 100000 short-lived threads one after another, each
# freeing a block its predecessor allocated (make_timed_traces), replays on
# one OS thread (their lifetimes do not overlap) with every op issued, on
# every allocator. One OS thread and one 256 KiB stack per traced thread, as
# the runner had, would take 25 GiB of committed stacks.
#   thread_churn_replay_test.sh REPLAY MAKE_TIMED_TRACES
set -euo pipefail
replay=$1 make=$2
tmp=${TEST_TMPDIR:-$(mktemp -d)}
"$make" "$tmp"
"$replay" compare --trace="$tmp/thread_churn.trace" --allocators=buddy,glibc,jemalloc,tcmalloc,mimalloc >"$tmp/out"
cat "$tmp/out"
grep -q 'in 100002 threads, replayed on 1 ' "$tmp/out" || { echo "FAIL: not replayed on one OS thread"; exit 1; }
grep -q 'every run issued the prepared ops' "$tmp/out" || { echo "FAIL: ops not issued as prepared"; exit 1; }
