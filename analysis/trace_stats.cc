// TraceStats: counts, live set, peak, histograms, inversions.
#include "analysis/trace_stats.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"

namespace alloclab::analysis {

constexpr size_t kMaxThreadLines = 32;

using trace::Event;
using trace::Kind;

void TraceStats::Add(const Event& e) {
  ++events_;
  const int k = static_cast<int>(e.kind);
  if (k >= 0 && k <= trace::kMaxKind) ++by_kind_[k];
  ++by_thread_[e.thread_id];
  if (trace::IsValidKind(k)) heap_.Add(e);
}

std::string TraceStats::ToString() const {
  std::string s;
  for (int k = 0; k <= trace::kMaxKind; ++k) {
    if (by_kind_[k] == 0) continue;
    absl::StrAppendFormat(&s, "  %-20s %u\n", trace::KindName(static_cast<Kind>(k)), by_kind_[k]);
  }
  absl::StrAppendFormat(&s, "threads: %u\n", by_thread_.size());
  // The busiest kMaxThreadLines threads, in thread order: a trace of 10^5
  // short-lived threads is not 10^5 lines.
  std::vector<std::pair<uint64_t, uint64_t>> busiest(by_thread_.begin(), by_thread_.end());
  if (busiest.size() > kMaxThreadLines) {
    std::nth_element(busiest.begin(), busiest.begin() + kMaxThreadLines, busiest.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    busiest.resize(kMaxThreadLines);
    std::sort(busiest.begin(), busiest.end());
  }
  for (const auto& [t, n] : busiest) absl::StrAppendFormat(&s, "  thread %-10u %u events\n", t, n);
  if (busiest.size() < by_thread_.size()) {
    absl::StrAppendFormat(&s, "  ... and %u more threads (the busiest %u shown)\n",
                          by_thread_.size() - busiest.size(), kMaxThreadLines);
  }
  absl::StrAppendFormat(&s, "peak live requested bytes: %u (at seq %u)\n", heap_.peak_live_bytes(),
                        heap_.peak_seq());
  s += heap_.sizes().ToString("allocation sizes (bytes)");
  s += heap_.lifetimes().ToString("lifetimes (events between allocation and free)");
  absl::StrAppendFormat(&s, "live at end: %u blocks, %u bytes\n", heap_.live_blocks(), heap_.live_bytes());
  absl::StrAppendFormat(&s, "frees of blocks not allocated in the trace: %u\n", heap_.unknown_frees());
  if (heap_.untraced_reallocs() != 0) {
    absl::StrAppendFormat(&s, "reallocs of blocks not allocated in the trace: %u\n", heap_.untraced_reallocs());
  }
  absl::StrAppendFormat(&s, "inversions (an allocation returned an address still live): %u",
                        heap_.inversions());
  if (heap_.evicted_live() != 0) {
    absl::StrAppendFormat(&s, ", %u of their frees never recorded", heap_.evicted_live());
  }
  s += "\n";
  return s;
}

}  // namespace alloclab::analysis
