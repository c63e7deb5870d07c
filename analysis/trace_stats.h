// TraceStats: the allocation history of a trace, summarised one event at a
// time in global seq order (what `tracetool stats` prints). Memory is bounded
// by the live set (an address -> block map) plus one counter per thread; the
// events themselves are never kept.
//
// Which block each event allocates, frees or resizes (inversions included)
// is decided by trace::HeapHistory, the same history the replay's
// preparation reads: the two cannot disagree.
#ifndef ALLOCLAB_ANALYSIS_TRACE_STATS_H_
#define ALLOCLAB_ANALYSIS_TRACE_STATS_H_

#include <cstdint>
#include <map>
#include <string>

#include "trace/event.h"
#include "trace/heap_history.h"

namespace alloclab::analysis {

class TraceStats {
 public:
  // Events must come in increasing seq order (all threads merged).
  void Add(const trace::Event& e);

  uint64_t events() const { return events_; }
  uint64_t count(trace::Kind kind) const { return by_kind_[static_cast<int>(kind)]; }
  const std::map<uint64_t, uint64_t>& events_by_thread() const { return by_thread_; }
  const trace::HeapHistory<trace::NoExtra>& heap() const { return heap_; }

  // The report, several lines, each ending in '\n'.
  std::string ToString() const;

 private:
  uint64_t events_ = 0;
  uint64_t by_kind_[trace::kMaxKind + 1] = {};
  std::map<uint64_t, uint64_t> by_thread_;
  trace::HeapHistory<trace::NoExtra> heap_;
};

}  // namespace alloclab::analysis

#endif  // ALLOCLAB_ANALYSIS_TRACE_STATS_H_
