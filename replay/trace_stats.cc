// TraceStats: counts, live set, peak, histograms, inversions.
#include "replay/trace_stats.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"

namespace alloclab::replay {

constexpr size_t kMaxThreadLines = 32;

using trace::Event;
using trace::Kind;

std::string Histogram::ToString(const char* title) const {
  std::string s = absl::StrFormat("%s:\n", title);
  for (int b = 0; b < 64; ++b) {
    if (buckets_[b] == 0) continue;
    const unsigned long long lo = b == 0 ? 0 : 1ull << b;
    const unsigned long long hi = b == 63 ? ~0ull : (2ull << b) - 1;
    absl::StrAppendFormat(&s, "  %12u - %-12u %10u  %5.1f%%\n", lo, hi, buckets_[b],
                          100.0 * static_cast<double>(buckets_[b]) / static_cast<double>(total_));
  }
  return s;
}

uint64_t TraceStats::RequestedBytes(const Event& e) {
  if (e.kind == Kind::kCalloc || e.kind == Kind::kReallocArray) return e.count * e.size;
  return e.size;
}

void TraceStats::Retire(absl::flat_hash_map<uint64_t, Live>::iterator it, uint64_t seq) {
  live_bytes_ -= it->second.bytes;
  lifetimes_.Add(seq - it->second.seq);
  live_.erase(it);
}

void TraceStats::Release(const Event& e) {
  auto owed = owed_.find(e.in);
  if (owed != owed_.end()) {
    // This is the late-recorded free of a block already retired by an inversion.
    if (--owed->second == 0) owed_.erase(owed);
    --owed_frees_total_;
    return;
  }
  auto it = live_.find(e.in);
  if (it == live_.end()) {
    ++unknown_frees_;
  } else {
    Retire(it, e.seq);
  }
}

void TraceStats::Add(const Event& e) {
  ++events_;
  const int k = static_cast<int>(e.kind);
  if (k >= 0 && k <= trace::kMaxKind) ++by_kind_[k];
  ++by_thread_[e.thread_id];
  if (!trace::IsValidKind(k)) return;
  const bool reallocates = e.kind == Kind::kRealloc || e.kind == Kind::kReallocArray;
  if (trace::KindHas(e.kind, trace::Word::kIn) && e.kind != Kind::kMallocUsableSize && e.in != 0) {
    // A realloc that returned NULL for a non-zero size failed and kept its
    // block; realloc(p, 0) returning NULL freed it (glibc).
    const bool failed = reallocates && e.out == 0 && RequestedBytes(e) != 0;
    if (!failed) Release(e);
  }
  if (trace::KindHas(e.kind, trace::Word::kOut) && e.out != 0) {
    const uint64_t bytes = RequestedBytes(e);
    auto [it, fresh] = live_.try_emplace(e.out, Live{bytes, e.seq});
    if (!fresh) {
      // The address is still live: its free is recorded later. Retire the old
      // block now; the address owes that free.
      ++inversions_;
      ++owed_[e.out];
      ++owed_frees_total_;
      Retire(it, e.seq);
      it = live_.try_emplace(e.out, Live{bytes, e.seq}).first;
    }
    live_bytes_ += bytes;
    sizes_.Add(bytes);
    if (live_bytes_ > peak_bytes_) {
      peak_bytes_ = live_bytes_;
      peak_seq_ = e.seq;
    }
  }
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
  absl::StrAppendFormat(&s, "peak live requested bytes: %u (at seq %u)\n", peak_bytes_, peak_seq_);
  s += sizes_.ToString("allocation sizes (bytes)");
  s += lifetimes_.ToString("lifetimes (events between allocation and free)");
  absl::StrAppendFormat(&s, "live at end: %u blocks, %u bytes\n", live_.size(), live_bytes_);
  absl::StrAppendFormat(&s, "frees of blocks not allocated in the trace: %u\n", unknown_frees_);
  absl::StrAppendFormat(&s, "inversions (an allocation returned an address still live): %u", inversions_);
  if (owed_frees_total_ != 0) absl::StrAppendFormat(&s, ", %u of their frees never recorded", owed_frees_total_);
  s += "\n";
  return s;
}

}  // namespace alloclab::replay
