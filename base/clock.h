// Reading a clock in nanoseconds (clock_gettime: a vDSO call, no allocation),
// for the allocator's decay, the tracer's timestamps and the replayer's
// timings.
#ifndef ALLOCLAB_BASE_CLOCK_H_
#define ALLOCLAB_BASE_CLOCK_H_

#include <time.h>

#include <cstdint>

namespace alloclab::base {

inline uint64_t NowNs(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000 + static_cast<uint64_t>(ts.tv_nsec);
}

inline uint64_t MonotonicNs() { return NowNs(CLOCK_MONOTONIC); }

}  // namespace alloclab::base

#endif  // ALLOCLAB_BASE_CLOCK_H_
