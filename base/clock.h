// Reading a clock in nanoseconds, for the allocator's decay, the tracer's
// timestamps and the replayer's timings: the kernel's vDSO clock_gettime,
// called directly (no allocation, no system call). Not through libc's
// wrapper: a library preloaded into every process would fault in 64 KiB of
// libc text around the wrapper that the program itself never touches.
#ifndef ALLOCLAB_BASE_CLOCK_H_
#define ALLOCLAB_BASE_CLOCK_H_

#include <time.h>

#include <atomic>
#include <cstdint>

namespace alloclab::base {

namespace clock_internal {
using ClockGettime = int (*)(clockid_t, struct timespec*);
extern std::atomic<ClockGettime> g_clock_gettime;
// The vDSO's clock_gettime, or libc's when there is none; stores it.
ClockGettime ResolveClockGettime();
// Whether NowNs calls the vDSO's (for the test).
bool UsesVdso();
}  // namespace clock_internal

inline uint64_t NowNs(clockid_t clock) {
  clock_internal::ClockGettime f = clock_internal::g_clock_gettime.load(std::memory_order_relaxed);
  if (__builtin_expect(f == nullptr, 0)) f = clock_internal::ResolveClockGettime();
  struct timespec ts;
  f(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000 + static_cast<uint64_t>(ts.tv_nsec);
}

inline uint64_t MonotonicNs() { return NowNs(CLOCK_MONOTONIC); }

}  // namespace alloclab::base

#endif  // ALLOCLAB_BASE_CLOCK_H_
