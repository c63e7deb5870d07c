#!/usr/bin/env bash
# Runs compare_allocators.py with the built tools' runfiles.
set -euo pipefail
root="${RUNFILES_DIR:-$0.runfiles}/alloclab"
cd "${BUILD_WORKING_DIRECTORY:-.}"
exec /usr/bin/python3 "$root/benchmarks/compare_allocators.py" --root="$root" "$@"
