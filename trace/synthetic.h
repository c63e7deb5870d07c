// A deterministic generator of realistic allocation event streams, for tests,
// size measurements and the demo. The mix follows what allocation traces of
// real programs look like: mostly small sizes drawn from a few hot values,
// mostly short LIFO-ish lifetimes with a long-lived tail, some calloc/realloc
// and aligned calls, addresses produced by a simulated size-class allocator
// (so that freed addresses are reused), threads running in bursts, and a share
// of frees done by a thread other than the allocating one.
#ifndef ALLOCLAB_TRACE_SYNTHETIC_H_
#define ALLOCLAB_TRACE_SYNTHETIC_H_

#include <cstdint>
#include <functional>

#include "trace/event.h"

namespace alloclab::trace {

struct SyntheticOptions {
  uint64_t events = 1000000;
  int threads = 1;
  uint64_t seed = 1;
  double cross_thread_free_fraction = 0.05;  // of frees, when threads > 1
  double ns_per_event = 60;                  // mean gap between a thread's calls
};

// Calls sink with every event in global seq order (seq = 1, 2, ...), times in
// nanoseconds. Starts each thread with THREAD_START and, at the end, frees
// whatever is still live and ends each thread with THREAD_EXIT, so the total
// may exceed options.events slightly.
void GenerateSynthetic(const SyntheticOptions& options,
                       const std::function<void(const Event&)>& sink);

}  // namespace alloclab::trace

#endif  // ALLOCLAB_TRACE_SYNTHETIC_H_
