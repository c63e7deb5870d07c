// The event clock's epoch, calibration and tick.
#include "tracer/clock.h"

#include <time.h>

#include "base/clock.h"

namespace alloclab::tracer {
namespace clock_internal {

Shared g_clock;

void ReadWhileStopped() {
  void (*wake)() = g_clock.on_stopped_read.exchange(nullptr, std::memory_order_relaxed);
  if (wake != nullptr) wake();
}

}  // namespace clock_internal

namespace {

uint32_t g_last_tick = 0;  // the last value Tick() published (helper thread only)

}  // namespace

uint64_t MonotonicNs() { return base::MonotonicNs(); }

uint64_t StartClock() {
  // The TSC against CLOCK_MONOTONIC over 200 us.
  const uint64_t c0 = MonotonicNs();
  const uint64_t t0 = __rdtsc();
  uint64_t c1;
  do {
    c1 = MonotonicNs();
  } while (c1 - c0 < 200000);
  const uint64_t t1 = __rdtsc();
  clock_internal::g_clock.start_tsc = __rdtsc();
  return ((t1 - t0) * 1000000000ull / (c1 - c0)) >> kTscShift;
}

void Tick() {
  if (++g_last_tick == 0) ++g_last_tick;
  clock_internal::g_clock.on_stopped_read.store(nullptr, std::memory_order_relaxed);
  clock_internal::g_clock.tick.store(g_last_tick, std::memory_order_relaxed);
}

void StopTicking(void (*wake)()) {
  clock_internal::g_clock.on_stopped_read.store(wake, std::memory_order_relaxed);
  clock_internal::g_clock.tick.store(0, std::memory_order_relaxed);
}

}  // namespace alloclab::tracer
