#!/usr/bin/env bash
# The preloaded library as a program sees it: a C program maps no C++ runtime
# because of it (libstdc++, libm and libgcc_s were about 1.2 MB resident in
# every ls or perl), and a C++ program's failing operator new still throws
# std::bad_alloc, calls the new_handler, and returns null in the nothrow
# form, through the program's own C++ runtime.
set -euo pipefail
so=$(readlink -f "$1")
cxx_program=$2
maps=$(LD_PRELOAD="$so" cat /proc/self/maps)
grep -q "libbuddymalloc" <<<"$maps" || { echo "FAIL: the library was not preloaded"; exit 1; }
if grep -E "libstdc\+\+|libgcc_s|libm\.so" <<<"$maps"; then
  echo "FAIL: a C program preloaded with the allocator maps the C++ runtime"
  exit 1
fi
out=$(LD_PRELOAD="$so" "$cxx_program")
[ "$out" = ok ] || { echo "FAIL: $cxx_program printed '$out'"; exit 1; }
echo PASS
