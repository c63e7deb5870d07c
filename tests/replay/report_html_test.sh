#!/bin/bash
# The HTML report opens in a browser with no network and its plots render:
# headless Chromium loads it, the page's own check counts plots that drew
# something, and a screenshot must hold the plot colours.
#   report_html_test.sh REPLAY TRACE
set -euo pipefail
replay=$1 trace=$2
py=/usr/bin/python3
tmp=${TEST_TMPDIR:-$(mktemp -d)}
command -v chromium >/dev/null || { echo "FAIL: chromium is not installed (./bazelw installs it)"; exit 1; }

"$replay" compare --trace="$trace" --allocators=buddy,glibc,jemalloc --report="$tmp/report.html" >"$tmp/table.txt"
grep -q "report: $tmp/report.html" "$tmp/table.txt"
# Self-contained: nothing is fetched (the SVG namespace is a name, not a fetch).
if grep -o 'https\?://[^" ]*' "$tmp/report.html" | grep -v '^http://www.w3.org/2000/svg$'; then
  echo "FAIL: the report refers to the network"; exit 1
fi
chrome=(chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
        --disable-background-networking --disable-component-update --disable-sync
        --user-data-dir="$tmp/profile")
HOME=$tmp timeout 120 "${chrome[@]}" --dump-dom "file://$tmp/report.html" >"$tmp/dom.html" 2>"$tmp/chrome.log"
HOME=$tmp timeout 120 "${chrome[@]}" --window-size=1000,1700 --screenshot="$tmp/report.png" \
  "file://$tmp/report.html" >/dev/null 2>>"$tmp/chrome.log"
"$py" - "$tmp/dom.html" "$tmp/report.png" <<'PY'
import re, struct, sys, zlib
dom = open(sys.argv[1]).read()
def check(ok, what):
    if not ok:
        sys.exit(f"FAIL: {what}")
m = re.search(r'data-plots-rendered="(\d+)/(\d+)"', dom)
check(m is not None, "the page's script did not run")
check(m.group(1) == m.group(2) == "4", f"plots rendered: {m.group(0)}")
drawn = dict(re.findall(r'<svg class="plot" id="([a-z-]+)"[^>]*data-drawn="(\d+)"', dom))
check(drawn.get("rss") == "4", f"RSS plot: 3 allocators + live bytes expected, drew {drawn.get('rss')}")
check(drawn.get("latency-malloc") == "3", f"malloc latency plot drew {drawn.get('latency-malloc')}")
check(int(drawn.get("sizes", 0)) > 0, "size histogram is empty")

# Decode the PNG (8-bit RGB/RGBA, no interlace) and look for the series colours.
data = open(sys.argv[2], "rb").read()
check(data[:8] == b"\x89PNG\r\n\x1a\n", "no screenshot")
pos, idat, width, height, ctype = 8, b"", 0, 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
        check(depth == 8 and ctype in (2, 6), f"unexpected PNG format {depth}/{ctype}")
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
bpp = 3 if ctype == 2 else 4
stride = width * bpp
prev = bytearray(stride)
colours = {(0x1f, 0x77, 0xb4): 0, (0xd6, 0x27, 0x28): 0, (0x2c, 0xa0, 0x2c): 0}
i = 0
for _ in range(height):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        px = tuple(line[x:x + 3])
        if px in colours:
            colours[px] += 1
    prev = line
check(all(v > 200 for v in colours.values()), f"plot colours missing from the screenshot: {colours}")
print(f"report renders: 4/4 plots, series drawn {drawn}, colour pixels {list(colours.values())}")
PY
