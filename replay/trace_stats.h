// TraceStats: the allocation history of a trace, summarised one event at a
// time in global seq order (what `tracetool stats` prints). Memory is bounded
// by the live set (an address -> block map) plus one counter per thread; the
// events themselves are never kept.
//
// Ordering inversions: a malloc that returns an address still live in the
// history means its free was recorded later than the allocation that reused
// the address (another thread's free, racing). The old block is retired at the
// inversion and the address owes one free: the next free of that address pays
// the debt instead of freeing the new block.
#ifndef ALLOCLAB_REPLAY_TRACE_STATS_H_
#define ALLOCLAB_REPLAY_TRACE_STATS_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "trace/event.h"

namespace alloclab::replay {

// Counts by power-of-two bucket: bucket 0 is [0,1], bucket b >= 1 is
// [2^b, 2^(b+1) - 1].
class Histogram {
 public:
  static int Bucket(uint64_t v) { return v <= 1 ? 0 : 63 - __builtin_clzll(v); }
  void Add(uint64_t v) {
    ++buckets_[Bucket(v)];
    ++total_;
  }
  uint64_t bucket(int b) const { return buckets_[b]; }
  uint64_t total() const { return total_; }
  // "title:" then one line per non-empty bucket: range, count, share.
  std::string ToString(const char* title) const;

 private:
  uint64_t buckets_[64] = {};
  uint64_t total_ = 0;
};

class TraceStats {
 public:
  // Events must come in increasing seq order (all threads merged).
  void Add(const trace::Event& e);

  uint64_t events() const { return events_; }
  uint64_t count(trace::Kind kind) const { return by_kind_[static_cast<int>(kind)]; }
  const std::map<uint64_t, uint64_t>& events_by_thread() const { return by_thread_; }
  // Requested bytes of the blocks live now, and the most ever live (with the
  // seq of the event that reached it first).
  uint64_t live_bytes() const { return live_bytes_; }
  uint64_t peak_live_bytes() const { return peak_bytes_; }
  uint64_t peak_seq() const { return peak_seq_; }
  uint64_t live_blocks() const { return live_.size(); }
  // Frees (and reallocs) of addresses the trace never allocated (allocated
  // before tracing started), not counting those that paid an inversion's debt.
  uint64_t unknown_frees() const { return unknown_frees_; }
  // Allocations that returned an address still live.
  uint64_t inversions() const { return inversions_; }
  // Inversion debts not yet paid by a later free.
  uint64_t owed_frees() const { return owed_frees_total_; }
  const Histogram& sizes() const { return sizes_; }
  const Histogram& lifetimes() const { return lifetimes_; }

  // The report, several lines, each ending in '\n'.
  std::string ToString() const;

  // Bytes a call asked for (calloc and reallocarray: count x size).
  static uint64_t RequestedBytes(const trace::Event& e);

 private:
  struct Live {
    uint64_t bytes;
    uint64_t seq;
  };
  void Release(const trace::Event& e);
  void Retire(absl::flat_hash_map<uint64_t, Live>::iterator it, uint64_t seq);

  uint64_t events_ = 0;
  uint64_t by_kind_[trace::kMaxKind + 1] = {};
  std::map<uint64_t, uint64_t> by_thread_;
  absl::flat_hash_map<uint64_t, Live> live_;      // address -> block
  absl::flat_hash_map<uint64_t, uint64_t> owed_;  // address -> frees owed by inversions
  uint64_t owed_frees_total_ = 0;
  uint64_t live_bytes_ = 0;
  uint64_t peak_bytes_ = 0;
  uint64_t peak_seq_ = 0;
  uint64_t unknown_frees_ = 0;
  uint64_t inversions_ = 0;
  Histogram sizes_;
  Histogram lifetimes_;
};

}  // namespace alloclab::replay

#endif  // ALLOCLAB_REPLAY_TRACE_STATS_H_
