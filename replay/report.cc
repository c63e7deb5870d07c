// Report formatting: text table, JSON, HTML with inline SVG.
#include "replay/report.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "analysis/report_text.h"
#include "replay/pacing.h"

namespace alloclab::replay {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr int kMalloc = static_cast<int>(OpKind::kMalloc);
constexpr int kFree = static_cast<int>(OpKind::kFree);

// The timed part: the whole replay, or in a paced one only the calls.
double Timed(const RunResult& r) { return static_cast<double>(r.TimedNs()); }
double CallsPerSecond(const RunResult& r) { return r.CallsPerSecond(); }
double Cpu(const RunResult& r) { return static_cast<double>(r.cpu_ns); }
double Peak(const RunResult& r) { return static_cast<double>(r.rss_peak_bytes); }
double Final(const RunResult& r) { return static_cast<double>(r.rss_final_bytes); }

const AllocatorRuns* Find(const Report& r, const std::string& name) {
  for (const AllocatorRuns& a : r.allocators) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

double Fragmentation(const Report& r, double peak_rss) {
  return r.prepared.peak_live_bytes == 0 ? 0 : peak_rss / static_cast<double>(r.prepared.peak_live_bytes);
}

std::string Ns(double ns) { return ns < 0 ? "-" : absl::StrFormat("%.0f", ns); }

using analysis::HtmlEscape;
using analysis::JsonString;

const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                               "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};

struct Series {
  std::string name;
  std::string color;
  std::vector<std::pair<double, double>> points;
  bool dashed = false;
};

// A line plot as SVG. logx: the x axis is log10.
std::string LinePlot(const std::string& id, const std::string& title, const std::string& xlabel,
                     const std::string& ylabel, const std::vector<Series>& series, bool logx) {
  const double W = 720, H = 320, L = 70, R = 170, T = 30, B = 45;
  double x0 = INFINITY, x1 = -INFINITY, y1 = 0;
  auto fx = [&](double x) { return logx ? std::log10(std::max(x, 1e-3)) : x; };
  for (const Series& s : series) {
    for (auto [x, y] : s.points) {
      x0 = std::min(x0, fx(x));
      x1 = std::max(x1, fx(x));
      y1 = std::max(y1, y);
    }
  }
  if (!(x0 < x1)) {
    x0 = std::isfinite(x0) ? x0 - 1 : 0;
    x1 = x0 + 2;
  }
  if (y1 <= 0) y1 = 1;
  y1 *= 1.05;
  auto px = [&](double x) { return L + (fx(x) - x0) / (x1 - x0) * (W - L - R); };
  auto py = [&](double y) { return H - B - y / y1 * (H - T - B); };
  std::string svg = absl::StrFormat(
      "<svg class=\"plot\" id=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "viewBox=\"0 0 %.0f %.0f\">\n<text x=\"%.0f\" y=\"18\" class=\"title\">%s</text>\n",
      id, W, H, W, H, L, HtmlEscape(title));
  absl::StrAppendFormat(&svg,
                        "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" class=\"axis\"/>"
                        "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" class=\"axis\"/>\n",
                        L, H - B, W - R, H - B, L, T, L, H - B);
  for (int i = 0; i <= 4; ++i) {
    const double y = y1 * i / 4;
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" class=\"grid\"/>"
                          "<text x=\"%.0f\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%.3g</text>\n",
                          L, py(y), W - R, py(y), L - 5, py(y) + 4, y);
    const double xv = x0 + (x1 - x0) * i / 4;
    const double xl = logx ? std::pow(10, xv) : xv;
    absl::StrAppendFormat(&svg, "<text x=\"%.1f\" y=\"%.0f\" class=\"tick\" text-anchor=\"middle\">%.3g</text>\n",
                          L + (xv - x0) / (x1 - x0) * (W - L - R), H - B + 16, xl);
  }
  absl::StrAppendFormat(&svg, "<text x=\"%.0f\" y=\"%.0f\" class=\"label\" text-anchor=\"middle\">%s</text>\n",
                        (L + W - R) / 2, H - 8, HtmlEscape(xlabel));
  absl::StrAppendFormat(&svg,
                        "<text x=\"14\" y=\"%.0f\" class=\"label\" text-anchor=\"middle\" "
                        "transform=\"rotate(-90 14 %.0f)\">%s</text>\n",
                        (T + H - B) / 2, (T + H - B) / 2, HtmlEscape(ylabel));
  int row = 0;
  for (const Series& s : series) {
    if (s.points.empty()) continue;
    std::string pts;
    for (auto [x, y] : s.points) absl::StrAppendFormat(&pts, "%.1f,%.1f ", px(x), py(y));
    absl::StrAppendFormat(&svg,
                          "<polyline class=\"series\" data-name=\"%s\" fill=\"none\" stroke=\"%s\" "
                          "stroke-width=\"2\"%s points=\"%s\"/>\n",
                          HtmlEscape(s.name), s.color, s.dashed ? " stroke-dasharray=\"6 4\"" : "", pts);
    const double ly = T + 10 + 18 * row++;
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"%s\" stroke-width=\"3\"%s/>"
                          "<text x=\"%.0f\" y=\"%.0f\" class=\"legend\">%s</text>\n",
                          W - R + 10, ly, W - R + 34, ly, s.color, s.dashed ? " stroke-dasharray=\"6 4\"" : "",
                          W - R + 40, ly + 4, HtmlEscape(s.name));
  }
  return svg + "</svg>\n";
}

std::string BarPlot(const std::string& id, const std::string& title,
                    const std::vector<std::pair<std::string, double>>& bars) {
  const double W = 720, H = 280, L = 60, R = 20, T = 30, B = 60;
  double ymax = 0;
  for (const auto& b : bars) ymax = std::max(ymax, b.second);
  if (ymax <= 0) ymax = 1;
  std::string svg = absl::StrFormat(
      "<svg class=\"plot\" id=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "viewBox=\"0 0 %.0f %.0f\">\n<text x=\"%.0f\" y=\"18\" class=\"title\">%s</text>\n"
      "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" class=\"axis\"/>\n",
      id, W, H, W, H, L, HtmlEscape(title), L, H - B, W - R, H - B);
  const double slot = bars.empty() ? 1 : (W - L - R) / bars.size();
  for (size_t i = 0; i < bars.size(); ++i) {
    const double h = bars[i].second / ymax * (H - T - B);
    const double x = L + slot * i;
    absl::StrAppendFormat(&svg,
                          "<rect class=\"series\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                          "fill=\"#1f77b4\"><title>%s: %.0f</title></rect>\n"
                          "<text x=\"%.1f\" y=\"%.0f\" class=\"tick\" text-anchor=\"end\" "
                          "transform=\"rotate(-60 %.1f %.0f)\">%s</text>\n",
                          x + 1, H - B - h, std::max(slot - 2, 1.0), h, HtmlEscape(bars[i].first), bars[i].second,
                          x + slot / 2, H - B + 12, x + slot / 2, H - B + 12, HtmlEscape(bars[i].first));
  }
  return svg + "</svg>\n";
}

// Recorded times on the paced replay's clock (replay/pacing.h).
class PacedClock {
 public:
  explicit PacedClock(const Report& r) : cut_(r.idle_gaps.size() + 1) {
    CutGaps(r.idle_gaps.data(), r.idle_gaps.size(), r.pace_max_gap_ns, cut_.data());
    pacing_ = Pacing{0, r.pace_max_gap_ns, r.idle_gaps.data(), cut_.data(), r.idle_gaps.size()};
  }
  double Ns(uint64_t recorded_ns) const { return static_cast<double>(PacedTime(pacing_, recorded_ns)); }

 private:
  std::vector<uint64_t> cut_;
  Pacing pacing_;
};

std::string SizeLabel(int bucket) {
  const uint64_t lo = bucket == 0 ? 0 : uint64_t{1} << bucket;
  if (lo >= (1u << 30)) return absl::StrCat(lo >> 30, "G");
  if (lo >= (1u << 20)) return absl::StrCat(lo >> 20, "M");
  if (lo >= (1u << 10)) return absl::StrCat(lo >> 10, "K");
  return absl::StrCat(lo);
}

// The substitutions (calls an allocator lacks) that this trace needed.
std::string SiteName(const Report& r, uint32_t site) {
  if (site < r.site_names.size() && !r.site_names[site].empty()) return r.site_names[site];
  return site == 0 ? "(no stack)" : absl::StrCat("site ", site);
}

// Waste by call site, side by side: each allocator's snapshot, then the
// sites by the most waste any allocator has for them.
std::string SiteWasteText(const Report& r, size_t limit) {
  std::vector<const AllocatorRuns*> with;
  for (const AllocatorRuns& a : r.allocators) {
    if (!a.attribution.empty()) with.push_back(&a);
  }
  if (with.empty()) return "";
  std::string s =
      "\nwaste by call site: at each allocator's RSS peak in a run of its own (untimed, threads taking turns),\n"
      "the resident memory beyond the live bytes on each page goes to the call sites of the live blocks on it,\n"
      "split by their bytes; resident pages holding no live block belong to no site (README: Waste by call site)\n";
  absl::StrAppendFormat(&s, "%-34s", "MiB");
  for (const AllocatorRuns* a : with) absl::StrAppendFormat(&s, " %10s", a->name);
  s += "\n";
  auto row = [&](const char* label, auto value) {
    absl::StrAppendFormat(&s, "%-34s", label);
    for (const AllocatorRuns* a : with) absl::StrAppendFormat(&s, " %10.2f", value(a->attribution[0]) / kMiB);
    s += "\n";
  };
  row("peak RSS (this run)", [](const RunResult& x) { return double(x.attribution_peak_rss_bytes); });
  row("RSS at the snapshot", [](const RunResult& x) { return double(x.attribution_rss_bytes); });
  row("  live bytes", [](const RunResult& x) { return double(x.attribution_live_bytes); });
  row("  waste on pages holding blocks", [](const RunResult& x) {
    return double(x.attribution_block_page_bytes) - double(x.attribution_live_resident_bytes);
  });
  row("  pages holding no live block", [](const RunResult& x) {
    const double rest = double(x.attribution_rss_bytes) - double(x.attribution_block_page_bytes);
    return rest > 0 ? rest : 0.0;
  });
  // Sites by the largest waste any allocator charges them.
  absl::flat_hash_map<uint32_t, std::vector<double>> by_site;
  for (size_t i = 0; i < with.size(); ++i) {
    for (const RunResult::SiteWasteRow& w : with[i]->attribution[0].site_waste) {
      auto& v = by_site[w.site];
      v.resize(with.size(), 0);
      v[i] = static_cast<double>(w.waste_bytes);
    }
  }
  std::vector<std::pair<uint32_t, double>> order;
  for (auto& [site, v] : by_site) {
    v.resize(with.size(), 0);
    const double most = *std::max_element(v.begin(), v.end());
    if (most > 0) order.emplace_back(site, most);  // sites with live bytes but no waste anywhere: left out
  }
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  s += "waste on the pages of each call site's blocks:\n";
  for (size_t k = 0; k < order.size() && k < limit; ++k) {
    absl::StrAppendFormat(&s, "%-34s", "");
    for (double w : by_site[order[k].first]) absl::StrAppendFormat(&s, " %10.2f", w / kMiB);
    absl::StrAppend(&s, "  ", SiteName(r, order[k].first), "\n");
  }
  if (order.size() > limit) absl::StrAppendFormat(&s, "  ... and %d more sites\n", order.size() - limit);
  // The headline per allocator: where most of its waste sits.
  for (size_t i = 0; i < with.size(); ++i) {
    const RunResult& x = with[i]->attribution[0];
    const RunResult::SiteWasteRow* top = nullptr;
    for (const RunResult::SiteWasteRow& w : x.site_waste) {
      if (top == nullptr || w.waste_bytes > top->waste_bytes) top = &w;
    }
    const double on_pages = double(x.attribution_block_page_bytes) - double(x.attribution_live_resident_bytes);
    if (top == nullptr || top->waste_bytes == 0 || on_pages <= 0) continue;
    absl::StrAppendFormat(&s, "under %s, %.2f MiB of the peak's waste sits in pages holding blocks from %s "
                          "(%.0f%% of the waste on block pages)\n",
                          with[i]->name, top->waste_bytes / kMiB, SiteName(r, top->site),
                          100.0 * top->waste_bytes / on_pages);
  }
  return s;
}

std::vector<std::string> UsedSubstitutions(const PreparedHeader& h, const RunResult& r) {
  std::vector<std::string> used;
  for (const std::string& sub : r.substitutions) {
    for (int k = 1; k <= kMaxOpKind; ++k) {
      const std::string name = OpKindName(static_cast<OpKind>(k));
      if (h.calls_by_kind[k] != 0 && sub.compare(0, name.size() + 1, name + " ") == 0) used.push_back(sub);
    }
  }
  return used;
}

}  // namespace

double AllocatorRuns::Median(double (*metric)(const RunResult&)) const {
  std::vector<double> v;
  for (const RunResult& r : runs) v.push_back(metric(r));
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

const RunResult& AllocatorRuns::Representative() const {
  std::vector<const RunResult*> v;
  for (const RunResult& r : runs) v.push_back(&r);
  std::sort(v.begin(), v.end(), [](const RunResult* a, const RunResult* b) { return a->TimedNs() < b->TimedNs(); });
  return *v[(v.size() - 1) / 2];
}

absl::Status CheckIssued(const Report& r, const RunResult& run) {
  const std::string who = absl::StrCat("allocator ", run.allocator, ": ");
  if (run.prepared_checksum != r.prepared.checksum || run.issued.size() != r.threads.size()) {
    return absl::DataLossError(absl::StrCat(who, "the runner replayed another prepared file (checksum ",
                                            absl::Hex(run.prepared_checksum, absl::kZeroPad16), ")"));
  }
  for (size_t t = 0; t < r.threads.size(); ++t) {
    const ThreadEntry& want = r.threads[t];
    const IssuedThread& got = run.issued[t];
    if (got.ops == want.ops && got.calls == want.calls && got.hash == want.checksum && got.finished) continue;
    std::string what;
    if (!got.finished) {
      what = absl::StrCat("did not reach the end of its ops: it got to op ", std::max(got.ops, got.published),
                          " of ", want.ops);
    } else if (got.ops != want.ops || got.calls != want.calls) {
      what = absl::StrCat("issued ", got.ops, " ops and ", got.calls, " calls, prepared ", want.ops, " and ",
                          want.calls);
    } else {
      what = absl::StrCat("issued other ops than prepared (", got.calls, " calls, ops hash ",
                          absl::Hex(got.hash, absl::kZeroPad16), ", prepared ",
                          absl::Hex(want.checksum, absl::kZeroPad16), ")");
    }
    return absl::DataLossError(absl::StrCat(who, "the replay did not issue the prepared ops: thread ", t, " (traced ",
                                            want.trace_thread_id, ") ", what));
  }
  if (run.checksum != r.prepared.checksum || run.calls != r.prepared.calls || run.ops != r.prepared.ops) {
    return absl::DataLossError(absl::StrCat(who, "the replay issued ", run.calls, " calls (checksum ",
                                            absl::Hex(run.checksum, absl::kZeroPad16), "), the prepared file has ",
                                            r.prepared.calls));
  }
  if (run.alloc_failures != 0) {
    return absl::ResourceExhaustedError(absl::StrCat(who, "returned NULL for ", run.alloc_failures,
                                                     " allocations that succeeded in the traced program"));
  }
  return absl::OkStatus();
}

bool ChecksumsAgree(const Report& r) {
  for (const AllocatorRuns& a : r.allocators) {
    for (const RunResult& run : a.runs) {
      if (run.checksum != r.prepared.checksum) return false;
    }
  }
  return true;
}

std::string FormatText(const Report& r) {
  const PreparedHeader& h = r.prepared;
  std::string s = absl::StrFormat(
      "trace       %s\n"
      "events      %d in %d threads -> %d calls in %d threads, replayed on %d (ops checksum %016x)\n"
      "ideal RSS   peak live %.2f MiB in %d blocks; %.2f MiB in %d blocks live at the end\n"
      "prepared    %d inversions resolved, %d unknown frees skipped, %d failed allocations skipped,\n"
      "            %d realloc(p, 0) as free, %d reallocs of untraced pointers, %d cross-thread waits "
      "(%d for address reuse), %d other events\n",
      r.trace, h.trace_events, h.trace_threads, h.calls, h.threads,
      r.allocators.empty() || r.allocators[0].runs.empty() ? 0 : r.allocators[0].runs[0].workers, h.checksum,
      h.peak_live_bytes / kMiB,
      h.peak_live_blocks, h.final_live_bytes / kMiB, h.final_live_blocks, h.inversions, h.unknown_frees,
      h.failed_allocations, h.realloc_zero_frees, h.untraced_reallocs, h.waits, h.reuse_waits, h.skipped_other);
  const AllocatorRuns* base = r.baseline.empty() ? nullptr : Find(r, r.baseline);
  const size_t runs = r.allocators.empty() ? 0 : r.allocators.front().runs.size();
  if (h.window_starts + h.window_stops != 0) {
    absl::StrAppendFormat(&s,
                          "windows     recorded on demand: %d start(s), %d stop(s); frees of blocks allocated "
                          "while recording was off are among the unknown frees\n",
                          h.window_starts, h.window_stops);
  }
  if (h.prologue_thread != 0 || h.window_last_seq != 0) {
    absl::StrAppendFormat(&s,
                          "window      seq %d to %d of the trace; the %d blocks live at its start were allocated "
                          "first, untimed\n",
                          h.window_first_seq, h.window_last_seq, h.prologue_blocks);
  }
  for (const std::string& note : r.notes) absl::StrAppend(&s, "note        ", note, "\n");
  if (r.pace_max_gap_ns != 0) {
    absl::StrAppendFormat(&s,
                          "paced       every op issued at its recorded time (idle gaps over %.3f s shortened to "
                          "it: %.1f s of the trace's %.1f s); 'call ms' is the time inside the calls, "
                          "latency from every call\n",
                          r.pace_max_gap_ns / 1e9, PacedClock(r).Ns(r.prepared.trace_duration_ns) / 1e9,
                          r.prepared.trace_duration_ns / 1e9);
  }
  absl::StrAppendFormat(&s, "\ntouch=%s; medians of %d run%s; latency sampled 1 op in %d\n", r.touch, runs,
                        runs == 1 ? "" : "s", r.pace_max_gap_ns != 0 ? 1 : r.sample_every);
  absl::StrAppendFormat(&s, "%-10s %9s %9s %9s %9s %9s %6s %6s %13s %13s", "allocator",
                        r.pace_max_gap_ns != 0 ? "call ms" : "wall ms", "cpu ms",
                        "Mcalls/s", "peak MiB", "final MiB", "frag", "slop", "malloc p50/99", "free p50/99");
  if (base != nullptr) absl::StrAppendFormat(&s, " %7s %7s", "time x", "RSS x");
  s += "\n";
  for (const AllocatorRuns& a : r.allocators) {
    const RunResult& rep = a.Representative();
    const double wall = a.Median(Timed), peak = a.Median(Peak);
    absl::StrAppendFormat(&s, "%-10s %9.2f %9.2f %9.2f %9.2f %9.2f %6.2f %5.1f%% %13s %13s", a.name, wall / 1e6,
                          a.Median(Cpu) / 1e6, a.Median(CallsPerSecond) / 1e6, peak / kMiB,
                          a.Median(Final) / kMiB, Fragmentation(r, peak), rep.SlopFraction() * 100,
                          absl::StrCat(Ns(rep.LatencyNs(kMalloc, 0.5)), "/", Ns(rep.LatencyNs(kMalloc, 0.99))),
                          absl::StrCat(Ns(rep.LatencyNs(kFree, 0.5)), "/", Ns(rep.LatencyNs(kFree, 0.99))));
    if (base != nullptr) {
      const double bw = base->Median(Timed), bp = base->Median(Peak);
      absl::StrAppendFormat(&s, " %7.2f %7.2f", bw > 0 ? wall / bw : 0, bp > 0 ? peak / bp : 0);
    }
    if (rep.alloc_failures != 0) absl::StrAppendFormat(&s, "  (%d allocations failed)", rep.alloc_failures);
    if (std::vector<std::string> used = UsedSubstitutions(h, rep); !used.empty()) {
      absl::StrAppend(&s, "  (lacks ", absl::StrJoin(used, ", "), ")");
    }
    s += "\n";
  }
  absl::StrAppendFormat(&s,
                        "\nRSS: anonymous resident memory of the replay process minus the replayer's own "
                        "mappings, sampled every %d us; frag = peak RSS / peak live bytes; slop = (usable - "
                        "requested) / requested over sampled allocations; latencies in ns (incl. ~10 ns "
                        "timer cost)%s.\n",
                        r.allocators.empty() || r.allocators[0].runs.empty() ? 0
                                                                              : r.allocators[0].runs[0].rss_interval_us,
                        base != nullptr ? absl::StrCat("; x = ratio to ", r.baseline) : "");
  if (!r.allocators.empty() && !r.allocators[0].runs.empty() && r.allocators[0].runs[0].verified) {
    s += "verify: every block of every run checked (tags, alignment, usable size, calloc zeroing): no errors;\n"
         "        times above include the checks and are not measurements\n";
  }
  s += SiteWasteText(r, 12);
  absl::StrAppendFormat(&s, "determinism: %s\n",
                        ChecksumsAgree(r) ? "every run issued the prepared ops (counted and hashed per thread "
                                            "as they were issued; checksums agree)"
                                          : "CHECKSUM MISMATCH: runs did not replay the same ops");
  return s;
}

std::string FormatJson(const Report& r) {
  const PreparedHeader& h = r.prepared;
  std::string s = absl::StrCat("{\n  \"trace\": ", JsonString(r.trace), ",\n  \"touch\": ", JsonString(r.touch),
                               ",\n  \"baseline\": ", JsonString(r.baseline), ",\n");
  absl::StrAppendFormat(&s,
                        "  \"prepared\": {\"checksum\": \"%016x\", \"trace_events\": %d, \"trace_threads\": %d, "
                        "\"threads\": %d, \"ops\": %d, \"calls\": %d, \"slots\": %d, \"peak_live_bytes\": %d, "
                        "\"peak_live_blocks\": %d, \"final_live_bytes\": %d, \"inversions\": %d, "
                        "\"unknown_frees\": %d, \"failed_allocations\": %d, \"realloc_zero_frees\": %d, "
                        "\"untraced_reallocs\": %d, \"waits\": %d, \"reuse_waits\": %d, \"skipped_other\": %d, "
                        "\"window_starts\": %d, \"window_stops\": %d, \"window_first_seq\": %d, "
                        "\"window_last_seq\": %d, \"window_rebuilt_blocks\": %d},\n",
                        h.checksum, h.trace_events, h.trace_threads, h.threads, h.ops, h.calls, h.slots,
                        h.peak_live_bytes, h.peak_live_blocks, h.final_live_bytes, h.inversions, h.unknown_frees,
                        h.failed_allocations, h.realloc_zero_frees, h.untraced_reallocs, h.waits, h.reuse_waits,
                        h.skipped_other, h.window_starts, h.window_stops, h.window_first_seq, h.window_last_seq,
                        h.prologue_blocks);
  absl::StrAppendFormat(&s, "  \"paced\": %s, \"max_gap_ns\": %d,\n  \"notes\": [",
                        r.pace_max_gap_ns != 0 ? "true" : "false", r.pace_max_gap_ns);
  for (size_t i = 0; i < r.notes.size(); ++i) absl::StrAppend(&s, i ? ", " : "", JsonString(r.notes[i]));
  absl::StrAppendFormat(&s, "],\n  \"checksums_agree\": %s,\n  \"allocators\": [\n",
                        ChecksumsAgree(r) ? "true" : "false");
  const AllocatorRuns* base = r.baseline.empty() ? nullptr : Find(r, r.baseline);
  for (size_t i = 0; i < r.allocators.size(); ++i) {
    const AllocatorRuns& a = r.allocators[i];
    const RunResult& rep = a.Representative();
    const double wall = a.Median(Timed), peak = a.Median(Peak);
    absl::StrAppendFormat(&s,
                          "    {\"name\": %s, \"runs\": %d, \"wall_ns\": %.0f, \"cpu_ns\": %.0f, "
                          "\"calls_per_second\": %.0f, \"rss_peak_bytes\": %.0f, \"rss_final_bytes\": %.0f, "
                          "\"fragmentation\": %.4f, \"slop_fraction\": %.4f, \"alloc_failures\": %d",
                          JsonString(a.name), a.runs.size(), wall, a.Median(Cpu), a.Median(CallsPerSecond),
                          peak, a.Median(Final), Fragmentation(r, peak), rep.SlopFraction(), rep.alloc_failures);
    if (base != nullptr) {
      absl::StrAppendFormat(&s, ", \"time_ratio\": %.4f, \"rss_ratio\": %.4f", wall / base->Median(Timed),
                            peak / std::max(1.0, base->Median(Peak)));
    }
    s += ", \"latency_ns\": {";
    bool first = true;
    for (const auto& [kind, buckets] : rep.latency) {
      absl::StrAppendFormat(&s, "%s%s: {\"samples\": %d, \"p50\": %.1f, \"p90\": %.1f, \"p99\": %.1f, \"p999\": %.1f}",
                            first ? "" : ", ", JsonString(OpKindName(static_cast<OpKind>(kind))),
                            rep.LatencySamples(kind), rep.LatencyNs(kind, 0.5), rep.LatencyNs(kind, 0.9),
                            rep.LatencyNs(kind, 0.99), rep.LatencyNs(kind, 0.999));
      first = false;
    }
    s += "}, \"wall_ns_runs\": [";
    for (size_t j = 0; j < a.runs.size(); ++j) absl::StrAppend(&s, j ? ", " : "", a.runs[j].TimedNs());
    s += "], \"issued_calls\": [";
    for (size_t j = 0; j < a.runs.size(); ++j) absl::StrAppend(&s, j ? ", " : "", a.runs[j].calls);
    s += "], \"checksums\": [";
    for (size_t j = 0; j < a.runs.size(); ++j) absl::StrAppendFormat(&s, "%s\"%016x\"", j ? ", " : "", a.runs[j].checksum);
    s += "]";
    if (!a.attribution.empty()) {
      const RunResult& x = a.attribution[0];
      absl::StrAppendFormat(&s,
                            ", \"site_waste\": {\"peak_rss_bytes\": %d, \"rss_bytes\": %d, \"live_bytes\": %d, "
                            "\"block_page_bytes\": %d, \"live_resident_bytes\": %d, \"live_unresident_bytes\": %d, "
                            "\"calls_before\": %d, \"sites\": [",
                            x.attribution_peak_rss_bytes, x.attribution_rss_bytes, x.attribution_live_bytes,
                            x.attribution_block_page_bytes, x.attribution_live_resident_bytes,
                            x.attribution_live_unresident_bytes, x.attribution_calls);
      for (size_t j = 0; j < x.site_waste.size(); ++j) {
        const RunResult::SiteWasteRow& w = x.site_waste[j];
        absl::StrAppendFormat(&s, "%s{\"site\": %d, \"stack_id\": %d, \"name\": %s, \"live_bytes\": %d, "
                              "\"waste_bytes\": %d}",
                              j ? ", " : "", w.site,
                              w.site < r.site_stacks.size() ? r.site_stacks[w.site] : 0,
                              JsonString(SiteName(r, w.site)), w.live_bytes, w.waste_bytes);
      }
      s += "]}";
    }
    absl::StrAppend(&s, "}", i + 1 < r.allocators.size() ? "," : "", "\n");
  }
  return s + "  ]\n}\n";
}

std::string FormatHtml(const Report& r) {
  const PreparedHeader& h = r.prepared;
  std::vector<Series> rss;
  std::vector<Series> lat_malloc, lat_free;
  const double total_ops = std::max<double>(1, static_cast<double>(h.ops));
  const bool paced = r.pace_max_gap_ns != 0;
  for (size_t i = 0; i < r.allocators.size(); ++i) {
    const AllocatorRuns& a = r.allocators[i];
    const RunResult& rep = a.Representative();
    Series s{a.name, kColors[i % 10], {}, false};
    for (const RunResult::RssPoint& p : rep.rss_points) {
      s.points.emplace_back(paced ? p.ns / 1e9 : 100.0 * p.ops / total_ops, p.bytes / kMiB);
    }
    rss.push_back(std::move(s));
    for (auto [kind, out] : {std::pair<int, std::vector<Series>*>{kMalloc, &lat_malloc}, {kFree, &lat_free}}) {
      auto it = rep.latency.find(kind);
      if (it == rep.latency.end()) continue;
      Series c{a.name, kColors[i % 10], {}, false};
      const double n = static_cast<double>(rep.LatencySamples(kind));
      double seen = 0;
      for (auto [floor, count] : it->second) {
        seen += count;
        c.points.emplace_back(std::max(1.0, floor * 1e9 / std::max<double>(1, rep.tsc_hz)), seen / n);
      }
      out->push_back(std::move(c));
    }
  }
  Series ideal{"live bytes (ideal)", "#000000", {}, true};
  const PacedClock clock(r);
  for (const TimelinePoint& p : r.timeline) {
    ideal.points.emplace_back(paced ? clock.Ns(p.time_ns) / 1e9 : 100.0 * p.ops / total_ops, p.live_bytes / kMiB);
  }
  rss.push_back(std::move(ideal));
  std::vector<std::pair<std::string, double>> sizes;
  int last = 0;
  for (int b = 0; b < kSizeBuckets; ++b) {
    if (h.size_histogram[b] != 0) last = b;
  }
  for (int b = 0; b <= last; ++b) sizes.emplace_back(SizeLabel(b), static_cast<double>(h.size_histogram[b]));

  std::string html = absl::StrCat(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>replay: ", HtmlEscape(r.trace),
      "</title>\n<style>body{font-family:sans-serif;margin:24px;color:#222}"
      "pre{background:#f6f6f6;padding:12px;overflow-x:auto}"
      ".axis{stroke:#333}.grid{stroke:#ddd}.tick{font-size:11px;fill:#444}.label{font-size:12px}"
      ".title{font-size:14px;font-weight:bold}.legend{font-size:12px}svg{display:block;margin:16px 0}"
      "</style></head><body>\n<h1>Allocator replay</h1>\n<pre>",
      HtmlEscape(FormatText(r)), "</pre>\n");
  html += paced ? LinePlot("rss", "RSS and live bytes over recorded time (paced replay)",
                           absl::StrFormat("recorded time (s; idle gaps over %g s shortened to it)",
                                           r.pace_max_gap_ns / 1e9),
                           "MiB", rss, false)
                : LinePlot("rss", "RSS and live bytes over the replay", "progress through the trace (% of ops)",
                           "MiB", rss, false);
  html += LinePlot("latency-malloc", "malloc latency (cumulative share of sampled calls)", "ns (log scale)",
                   "share of calls", lat_malloc, true);
  html += LinePlot("latency-free", "free latency (cumulative share of sampled calls)", "ns (log scale)",
                   "share of calls", lat_free, true);
  html += BarPlot("sizes", "requested sizes (allocations per power-of-two bucket)", sizes);
  html += r.call_sites_html;
  // Marks the page with how many plots drew something, for tests and for a
  // reader who wonders whether the page is complete.
  html +=
      "<p id=\"render-status\"></p>\n<script>\n(function(){var plots=document.querySelectorAll('svg.plot');"
      "var ok=0;plots.forEach(function(p){var drawn=0;p.querySelectorAll('.series').forEach(function(e){"
      "var b=e.getBBox();if(b.width>0||b.height>0)drawn++;});if(drawn>0)ok++;p.setAttribute('data-drawn',drawn);});"
      "document.getElementById('render-status').textContent='plots rendered: '+ok+'/'+plots.length;"
      "document.body.setAttribute('data-plots-rendered',ok+'/'+plots.length);})();\n</script>\n</body></html>\n";
  return html;
}

}  // namespace alloclab::replay
