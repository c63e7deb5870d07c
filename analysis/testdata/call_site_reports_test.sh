#!/usr/bin/env bash
# The call-site reports on a real traced program whose answers are known
# (testdata/known_sites_program.c), symbolised from the trace's maps, and the
# HTML profile in headless Chromium.
#   call_site_reports_test.sh TRACER TRACETOOL PROGRAM REPLAY
set -euo pipefail
tracer=$(readlink -f "$1") tracetool=$(readlink -f "$2") program=$(readlink -f "$3") replay=$(readlink -f "$4")
tmp=${TEST_TMPDIR:-$(mktemp -d)}
fail() { echo "FAIL: $*"; exit 1; }

MALLOC_TRACE_STACKS=8 MALLOC_TRACE_FILE="$tmp/t.%p.pb" LD_PRELOAD="$tracer" "$program" >"$tmp/out.txt"
grep -q "^done" "$tmp/out.txt" || fail "the program did not run"
trace=$(ls -S "$tmp"/t.*.pb | head -1)

# The first row of each report, innermost frame first.
first_site() { "$tracetool" "$@" "$trace" | sed -n '3p'; }
# (The program, linked by Bazel's C++ toolchain, loads libstdc++, whose
# 72704-byte exception pool is never freed: that may be the biggest leak.)
leak=$("$tracetool" leaks "$trace" | grep "leak_one" | head -1 || true)
peak=$(first_site peak --limit=1)
temp=$(first_site temporary --limit=1 --window=4)
echo "leaks:     $leak"; echo "peak:      $peak"; echo "temporary: $temp"
# bytes, blocks, e.g. size, then the innermost frame: leak_one, called by leak_ten.
# With line info (gcc) "(known_sites_program.c:N)"; elfutils reads none from
# clang 14's output (the sanitizer builds): "(known_sites_program)".
[[ $leak =~ ^\ +10000\ +10\ +1000\ +leak_one\ \(known_sites_program(\.c:[0-9]+)?\)$ ]] || fail "leaks: $leak"
leaks=$("$tracetool" leaks "$trace")  # whole, then searched (grep -q would cut the pipe)
grep -q "leak_ten (known_sites_program" <<<"$leaks" || fail "leak_ten is not the leak's caller"
[[ $peak =~ ^\ +1000000\ +100\ +10000\ +hold_the_peak\ \( ]] || fail "peak: $peak"
[[ $temp =~ ^\ +64000\ +1000\ +64\ +make_temporaries\ \( ]] || fail "temporary: $temp"
top=$("$tracetool" top --json "$trace")
grep -q '"function": "hold_the_peak", "inclusive_bytes": 1000000' <<<"$top" ||
  fail "top --json lacks hold_the_peak's inclusive bytes"
echo "ok: leaks, peak, temporary and top name the known sites"

# The HTML profile: self-contained, and its script draws, zooms and searches.
"$tracetool" html --out="$tmp/profile.html" "$trace" | grep -q "profile: $tmp/profile.html"
if grep -o 'https\?://[^" ]*' "$tmp/profile.html" | grep -v '^http://www.w3.org/2000/svg$'; then
  fail "the profile refers to the network"
fi
command -v chromium >/dev/null || fail "chromium is not installed (./bazelw installs it)"
HOME=$tmp timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-sync \
  --disable-background-networking --disable-component-update --user-data-dir="$tmp/profile-dir" \
  --dump-dom "file://$tmp/profile.html#selftest" >"$tmp/dom.html" 2>"$tmp/chrome.log"
body=$(grep -o '<body[^>]*>' "$tmp/dom.html")
echo "$body"
[[ $body =~ data-flame-drawn=\"([0-9]+)\" ]] && ((BASH_REMATCH[1] > 3)) || fail "the flame graph did not draw"
[[ $body =~ data-selftest=\"zoomed:([^:]*):([0-9]+)-\&gt\;([0-9]+)\" ]] || fail "the self-test did not run"
[[ ${BASH_REMATCH[1]} != all ]] || fail "a click did not zoom"
[[ $body =~ data-search-matches=\"([0-9]+)\" ]] && ((BASH_REMATCH[1] > 0)) || fail "the search found nothing"
[[ $body =~ data-timeline-points=\"([0-9]+)\" ]] && ((BASH_REMATCH[1] > 10)) || fail "no timeline"
grep -q 'id="peak-marker"' "$tmp/dom.html" || fail "the peak is not marked"
echo "ok: the profile draws, a click zooms, the search finds, the peak is marked"

# The same profile inside replay's HTML report (a trace with stacks), beside
# its own plots.
"$replay" compare --trace="$trace" --allocators=glibc,buddy --report="$tmp/report.html" >/dev/null
HOME=$tmp timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-sync \
  --disable-background-networking --disable-component-update --user-data-dir="$tmp/profile-dir2" \
  --dump-dom "file://$tmp/report.html#selftest" >"$tmp/report-dom.html" 2>>"$tmp/chrome.log"
body=$(grep -o '<body[^>]*>' "$tmp/report-dom.html")
echo "$body"
[[ $body =~ data-plots-rendered=\"4/4\" ]] || fail "the report's own plots did not render"
[[ $body =~ data-flame-drawn=\"([0-9]+)\" ]] && ((BASH_REMATCH[1] > 3)) || fail "no flame graph in the report"
[[ $body =~ data-selftest=\"zoomed:([^:]*): ]] && [[ ${BASH_REMATCH[1]} != all ]] || fail "the report's flame graph does not zoom"
echo "ok: replay's report holds the profile, and it draws and zooms"
