#!/bin/bash
# The golden traces are exactly what make_golden_traces writes, and valid.
set -euo pipefail
make=$1 tracetool=$2
here=tests/replay/testdata
out=${TEST_TMPDIR:-$(mktemp -d)}/golden
mkdir -p "$out"
"$make" "$out"
for f in edge_cases single_thread four_threads; do
  "$tracetool" validate "$here/$f.trace"
  if ! cmp "$out/$f.trace" "$here/$f.trace"; then
    echo "FAIL: $here/$f.trace is not what make_golden_traces writes now; if the change is intended," >&2
    echo "      regenerate: ./bazelw run //tests/replay:make_golden_traces -- \$PWD/$here" >&2
    exit 1
  fi
done
echo "golden traces match their generator"
