# Helpers for tests that run real programs under LD_PRELOAD of an allocator.
# Source it, then call preload_init "$1" with the allocator's path.
set -euo pipefail

preload_init() {
  ALLOCATOR_SO=$(readlink -f "$1")
  [ -f "$ALLOCATOR_SO" ] || { echo "allocator not found: $1" >&2; exit 1; }
  WORK=${TEST_TMPDIR:-$(mktemp -d)}
  cd "$WORK"
  # The allocator really is loaded into a preloaded process.
  local maps
  maps=$(LD_PRELOAD="$ALLOCATOR_SO" cat /proc/self/maps)
  if ! grep -qF "$(basename "$ALLOCATOR_SO")" <<<"$maps"; then
    echo "LD_PRELOAD of $ALLOCATOR_SO did not take effect" >&2
    exit 1
  fi
}

# preloaded CMD...: runs CMD with the allocator preloaded; fails if it fails.
preloaded() {
  LD_PRELOAD="$ALLOCATOR_SO" "$@"
}

# same_output NAME FILE_EXPECTED FILE_ACTUAL
same_output() {
  if ! cmp -s "$2" "$3"; then
    echo "FAIL: $1: output differs under the allocator" >&2
    diff <(head -c 100000 "$2") <(head -c 100000 "$3") | head -20 >&2 || true
    exit 1
  fi
  echo "ok: $1 ($(wc -c <"$3") bytes of identical output)"
}
