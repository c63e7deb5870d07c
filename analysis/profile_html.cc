// ProfileHtml: the stacks folded into one tree (outermost frame first) with
// three values per node, embedded as JSON, and the page's script that draws it.
#include "analysis/profile_html.h"

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "analysis/report_text.h"
#include "analysis/symbolizer.h"

namespace alloclab::analysis {
namespace {

struct Node {
  std::string name;
  uint64_t value[3] = {0, 0, 0};  // allocated, live at the peak, leaked
  std::map<std::string, std::unique_ptr<Node>> children;
};

void AddSites(const CallSiteReport& r, int metric, Node* root, Symbolizer& symbolizer) {
  for (const SiteRow& site : r.sites) {
    Node* n = root;
    n->value[metric] += site.totals.bytes;
    auto it = r.stacks.find(site.stack_id);
    if (it == r.stacks.end() || it->second.empty()) {
      auto& child = n->children["(no stack)"];
      if (!child) child = std::make_unique<Node>(), child->name = "(no stack)";
      child->value[metric] += site.totals.bytes;
      continue;
    }
    for (auto f = it->second.rbegin(); f != it->second.rend(); ++f) {  // outermost first
      const SymbolizedFrame& frame = symbolizer.Symbolize(*f);
      auto& child = n->children[frame.ToString()];
      if (!child) child = std::make_unique<Node>(), child->name = frame.ToString();
      n = child.get();
      n->value[metric] += site.totals.bytes;
    }
  }
}

void AppendJson(const Node& n, std::string* out) {
  absl::StrAppendFormat(out, "{\"n\":%s,\"v\":[%u,%u,%u],\"c\":[", JsonString(n.name), n.value[0], n.value[1],
                        n.value[2]);
  bool first = true;
  for (const auto& [name, child] : n.children) {
    if (!first) *out += ',';
    first = false;
    AppendJson(*child, out);
  }
  *out += "]}";
}

constexpr char kPageStyle[] = "body{font-family:sans-serif;margin:24px;color:#222} h1{font-size:20px}";

constexpr char kStyle[] = R"css(
#callsites h2{font-size:16px;margin-top:28px}
.bar{margin:8px 0} .bar button{margin-right:6px} .bar input{width:260px}
#flame rect{stroke:#fff;stroke-width:0.5;cursor:pointer}
#flame text{font-size:11px;pointer-events:none;fill:#222}
#flame rect.match{fill:#d946ef !important}
#status{font-size:12px;color:#555;margin:4px 0}
.axis{stroke:#333}.tick{font-size:11px;fill:#444}
)css";

constexpr char kScript[] = R"js(
const W = 1200, ROW = 18;
const names = ["allocated bytes", "bytes live at the peak", "bytes leaked"];
let metric = 0, zoom = DATA, parents = new Map(), drawn = 0;
(function index(n, p) { parents.set(n, p); n.c.forEach(c => index(c, n)); })(DATA, null);
const svgNS = "http://www.w3.org/2000/svg";
function colour(name) {
  let h = 0; for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${20 + h % 40},${70 + h % 20}%,${55 + h % 15}%)`;
}
function human(b) { return b >= 1048576 ? (b / 1048576).toFixed(1) + " MiB" : b >= 1024 ? (b / 1024).toFixed(1) + " KiB" : b + " B"; }
function draw() {
  const svg = document.getElementById("flame");
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  drawn = 0;
  const total = zoom.v[metric];
  let depth = 0;
  // The path from the root to the zoomed node, full width, then its subtree.
  const path = []; for (let n = zoom; n; n = parents.get(n)) path.unshift(n);
  function box(n, x, w, d, inPath) {
    if (w < 0.5 || n.v[metric] === 0) return;
    depth = Math.max(depth, d + 1);
    const r = document.createElementNS(svgNS, "rect");
    r.setAttribute("x", x); r.setAttribute("y", d * ROW); r.setAttribute("width", w); r.setAttribute("height", ROW - 1);
    r.setAttribute("fill", inPath ? "#bbb" : colour(n.n));
    r.dataset.name = n.n;
    r.addEventListener("click", () => { zoom = n === zoom && parents.get(n) ? parents.get(n) : n; draw(); });
    const t = document.createElementNS(svgNS, "title");
    t.textContent = `${n.n}\n${human(n.v[metric])} (${(100 * n.v[metric] / Math.max(1, DATA.v[metric])).toFixed(1)}% of all)`;
    r.appendChild(t); svg.appendChild(r); ++drawn;
    if (w > 30) {
      const label = document.createElementNS(svgNS, "text");
      label.setAttribute("x", x + 3); label.setAttribute("y", d * ROW + 13);
      label.textContent = n.n.length * 6.5 > w - 6 ? n.n.slice(0, Math.max(0, Math.floor((w - 6) / 6.5) - 1)) + "…" : n.n;
      svg.appendChild(label);
    }
  }
  path.forEach((n, d) => box(n, 0, W, d, n !== zoom));
  (function children(n, x, w, d) {
    let at = x;
    for (const c of n.c) {
      const cw = n.v[metric] ? w * c.v[metric] / n.v[metric] : 0;
      box(c, at, cw, d, false);
      if (cw >= 0.5) children(c, at, cw, d + 1);
      at += cw;
    }
  })(zoom, 0, W, path.length);
  svg.setAttribute("height", Math.max(1, depth) * ROW);
  document.getElementById("status").textContent =
      `${names[metric]}: ${human(zoom.v[metric])} under ${zoom.n} (${(100 * zoom.v[metric] / Math.max(1, DATA.v[metric])).toFixed(1)}% of ${human(DATA.v[metric])})`;
  document.body.dataset.flameDrawn = drawn;
  document.body.dataset.zoom = zoom.n;
  search(document.getElementById("search").value);
}
function search(text) {
  let matched = 0;
  for (const r of document.querySelectorAll("#flame rect")) {
    const hit = text !== "" && r.dataset.name.includes(text);
    r.classList.toggle("match", hit);
    if (hit) ++matched;
  }
  document.body.dataset.searchMatches = matched;
}
function timeline() {
  const svg = document.getElementById("timeline"), w = 1200, h = 220, pad = 50;
  if (TIMELINE.length === 0) { document.body.dataset.timelinePoints = 0; return; }
  const maxSeq = TIMELINE[TIMELINE.length - 1][0] || 1, maxB = Math.max(1, PEAK[1]);
  const X = s => pad + (w - 2 * pad) * s / maxSeq, Y = b => h - pad + 10 - (h - 2 * pad) * b / maxB;
  const line = document.createElementNS(svgNS, "polyline");
  line.setAttribute("points", TIMELINE.map(p => `${X(p[0])},${Y(p[1])}`).join(" "));
  line.setAttribute("fill", "none"); line.setAttribute("stroke", "#2563eb"); line.setAttribute("stroke-width", "1.5");
  svg.appendChild(line);
  const dot = document.createElementNS(svgNS, "circle");
  dot.setAttribute("cx", X(PEAK[0])); dot.setAttribute("cy", Y(PEAK[1])); dot.setAttribute("r", 4); dot.setAttribute("fill", "#dc2626");
  dot.setAttribute("id", "peak-marker"); svg.appendChild(dot);
  const label = document.createElementNS(svgNS, "text");
  label.setAttribute("x", X(PEAK[0]) + 8); label.setAttribute("y", Y(PEAK[1]) + 4); label.setAttribute("class", "tick");
  label.textContent = `peak ${human(PEAK[1])} at seq ${PEAK[0]}`; svg.appendChild(label);
  const axis = document.createElementNS(svgNS, "line");
  axis.setAttribute("x1", pad); axis.setAttribute("x2", w - pad); axis.setAttribute("y1", h - pad + 10); axis.setAttribute("y2", h - pad + 10);
  axis.setAttribute("class", "axis"); svg.appendChild(axis);
  document.body.dataset.timelinePoints = TIMELINE.length;
}
document.querySelectorAll("button[data-metric]").forEach(b => b.addEventListener("click", () => {
  metric = +b.dataset.metric; zoom = DATA; draw();
}));
document.getElementById("search").addEventListener("input", e => search(e.target.value));
draw();
timeline();
// #selftest (the headless browser test): a click zooms, the search finds.
if (location.hash === "#selftest") {
  const all = drawn, big = DATA.c.slice().sort((a, b) => b.v[0] - a.v[0])[0];
  const target = [...document.querySelectorAll("#flame rect")].find(r => big && r.dataset.name === big.n);
  if (target) target.dispatchEvent(new MouseEvent("click"));
  document.body.dataset.selftest = `zoomed:${document.body.dataset.zoom}:${all}->${drawn}`;
  document.getElementById("search").value = SEARCH;
  search(SEARCH);
}
)js";

}  // namespace

std::string ProfileSection(const ProfileReports& reports) {
  const CallSiteReport& top = reports.top;
  const CallSiteReport& peak = reports.peak;
  const CallSiteReport& leaks = reports.leaks;
  Symbolizer symbolizer(top.mappings);
  Node root;
  root.name = "all";
  AddSites(top, 0, &root, symbolizer);
  AddSites(peak, 1, &root, symbolizer);
  AddSites(leaks, 2, &root, symbolizer);
  std::string data;
  AppendJson(root, &data);
  std::string timeline = "[";
  for (size_t i = 0; i < top.timeline.size(); ++i) {
    absl::StrAppendFormat(&timeline, "%s[%u,%u]", i == 0 ? "" : ",", top.timeline[i].first, top.timeline[i].second);
  }
  timeline += "]";
  // The self-test searches for the biggest allocating site's innermost frame.
  std::string search;
  if (!top.sites.empty()) {
    auto it = top.stacks.find(top.sites[0].stack_id);
    if (it != top.stacks.end() && !it->second.empty()) search = symbolizer.Symbolize(it->second[0]).ToString();
  }
  return absl::StrCat(
      "<section id=\"callsites\">\n<style>", kStyle, "</style>\n<h2>Allocations by stack</h2>\n",
      absl::StrFormat("<p>%u allocations, %u bytes allocated; %u bytes live at the peak (seq %u); %u bytes leaked "
                      "(live at the end).</p>\n",
                      top.total.blocks, top.total.bytes, peak.total.bytes, peak.peak_seq, leaks.total.bytes),
      "<div class=\"bar\"><button data-metric=\"0\">allocated</button><button data-metric=\"1\">live at the peak"
      "</button><button data-metric=\"2\">leaked</button><input id=\"search\" placeholder=\"search frames\"></div>\n"
      "<div id=\"status\"></div>\n<svg id=\"flame\" width=\"1200\" height=\"18\"></svg>\n"
      "<h2>Live bytes over the trace (by seq), the peak marked</h2>\n"
      "<svg id=\"timeline\" width=\"1200\" height=\"220\"></svg>\n<script>\n(function(){\nconst DATA = ",
      data, ";\nconst TIMELINE = ", timeline, ";\n",
      absl::StrFormat("const PEAK = [%u,%u];\n", top.peak_seq, top.peak_live_bytes), "const SEARCH = ",
      JsonString(search), ";\n", kScript, "})();\n</script>\n</section>\n");
}

std::string ProfileHtml(const std::string& title, const ProfileReports& reports) {
  return absl::StrCat("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>allocations: ", HtmlEscape(title),
                      "</title>\n<style>", kPageStyle, "</style></head>\n<body>\n<h1>Allocations by stack: ",
                      HtmlEscape(title), "</h1>\n", ProfileSection(reports), "</body></html>\n");
}

}  // namespace alloclab::analysis
