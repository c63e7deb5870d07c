// Paced replay (--pace=recorded): op i of a thread is issued no earlier than
// start + PacedTime(its recorded time), where every recorded idle stretch
// (IdleGap: no event of any thread) longer than max_gap is shortened to
// max_gap. The runner paces with it; the report maps recorded times onto the
// replay's clock with it. Allocation-free, header-only.
#ifndef ALLOCLAB_REPLAY_PACING_H_
#define ALLOCLAB_REPLAY_PACING_H_

#include <cstdint>

#include "replay/op_stream.h"

namespace alloclab::replay {

struct Pacing {
  uint64_t start_ns;           // CLOCK_MONOTONIC when the replay began
  uint64_t max_gap_ns;
  const IdleGap* gaps;         // the prepared file's, in time order
  const uint64_t* cut_before;  // [gap_count + 1]: ns cut from the gaps before gap i
  uint64_t gap_count;
};

// Fills cut_before[0..gap_count] for gaps shortened to max_gap_ns.
inline void CutGaps(const IdleGap* gaps, uint64_t gap_count, uint64_t max_gap_ns, uint64_t* cut_before) {
  cut_before[0] = 0;
  for (uint64_t i = 0; i < gap_count; ++i) {
    const uint64_t len = gaps[i].length_ns;
    cut_before[i + 1] = cut_before[i] + (len > max_gap_ns ? len - max_gap_ns : 0);
  }
}

// Recorded time t (ns since the trace's start) on the paced clock.
inline uint64_t PacedTime(const Pacing& p, uint64_t t) {
  // The number of gaps that start before t (they are in time order).
  uint64_t lo = 0, hi = p.gap_count;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (p.gaps[mid].start_ns < t) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo == 0) return t;
  // t may lie inside the last of them (another thread's older clock reading).
  const IdleGap& g = p.gaps[lo - 1];
  const uint64_t into = t - g.start_ns < g.length_ns ? t - g.start_ns : g.length_ns;
  return t - p.cut_before[lo - 1] - (into > p.max_gap_ns ? into - p.max_gap_ns : 0);
}

}  // namespace alloclab::replay

#endif  // ALLOCLAB_REPLAY_PACING_H_
