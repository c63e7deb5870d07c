// HeapHistory is a template (heap_history.h); the histogram's text is here.
#include "trace/heap_history.h"

#include "absl/strings/str_format.h"

namespace alloclab::trace {

std::string Log2Histogram::ToString(const char* title) const {
  std::string s = absl::StrFormat("%s:\n", title);
  for (int b = 0; b < kBuckets; ++b) {
    if (buckets_[b] == 0) continue;
    const unsigned long long lo = b == 0 ? 0 : 1ull << b;
    const unsigned long long hi = b == 63 ? ~0ull : (2ull << b) - 1;
    absl::StrAppendFormat(&s, "  %12u - %-12u %10u  %5.1f%%\n", lo, hi, buckets_[b],
                          100.0 * static_cast<double>(buckets_[b]) / static_cast<double>(total_));
  }
  return s;
}

}  // namespace alloclab::trace
