#!/usr/bin/env bash
# Runs a real program under libmalloctrace.so (optionally stacked over another
# allocator), checks the program's output is unchanged, and that every trace
# it left decodes cleanly with balanced frees.
#   traced_program_test.sh TRACER TRACETOOL WORKLOAD [ALLOCATOR.so]
set -euo pipefail
tracer=$(readlink -f "$1")
tracetool=$(readlink -f "$2")
workload=$3
allocator=${4:-}
[ -n "$allocator" ] && allocator=$(readlink -f "$allocator")
work=${TEST_TMPDIR:-$(mktemp -d)}/$workload
mkdir -p "$work/traces"
cd "$work"

case "$workload" in
  python3)
    cat >w.py <<'PY'
d = {}
for i in range(200000):
    d[i] = [str(i), (i, i + 1)]
print(sum(len(v[0]) for v in d.values()))
PY
    run() { PYTHONMALLOC=malloc /usr/bin/python3 w.py; } ;;
  git)
    export HOME="$work" GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@e GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@e
    export GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z
    run() {
      rm -rf repo && git init -q repo && cd repo
      for i in 1 2 3 4 5; do seq $i 300 >f$i; git add -A; git commit -qm "c$i"; done
      git log --oneline | wc -l; git gc -q; git fsck -q && echo fsck-ok
      cd ..
    } ;;
  gcc)
    for i in $(seq 1 200); do echo "int f$i(int x) { return x * $i + (x >> 3); }"; done >big.c
    echo 'int main(void) { return f7(3) == 21 ? 0 : 1; }' >>big.c
    run() { gcc -O2 big.c -o big && ./big && echo compiled-and-ran; } ;;
  bash)
    run() { bash -c 'for i in $(seq 1 50); do echo $i; done | sort -n | tail -1 | tr 5 x'; } ;;
  *) echo "unknown workload $workload" >&2; exit 2 ;;
esac

expected=$(run 2>&1)
rm -rf "$work/traces"/*
preload="$tracer${allocator:+ $allocator}"
actual=$(MALLOC_TRACE_FILE="$work/traces/trace.%p.pb" LD_PRELOAD="$preload" run 2>&1)
if [ "$expected" != "$actual" ]; then
  echo "FAIL: output changed under the tracer"; diff <(echo "$expected") <(echo "$actual") | head; exit 1
fi

n=0; events=0
for t in "$work"/traces/*; do
  n=$((n + 1))
  "$tracetool" validate "$t" >/dev/null || { echo "FAIL: $t does not decode"; exit 1; }
  stats=$("$tracetool" stats "$t")
  this=$(sed -n 's/.* \([0-9]*\) events$/\1/p' <<<"$stats" | head -1)
  events=$((events + this))
  # A trace that is not a forked child's can only free blocks it allocated.
  if ! grep -q "(forked)" <<<"$stats"; then
    unknown=$(sed -n 's/^frees of blocks not allocated in the trace: //p' <<<"$stats")
    [ "$unknown" = 0 ] || { echo "FAIL: $t frees $unknown blocks it never allocated"; echo "$stats"; exit 1; }
  fi
done
[ "$n" -ge 1 ] || { echo "FAIL: no trace written"; exit 1; }
[ "$events" -gt 500 ] || { echo "FAIL: only $events events traced"; exit 1; }
echo "ok: $workload${allocator:+ over $(basename "$allocator")}: $n traces, $events events, output unchanged"
