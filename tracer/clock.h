// The event clock: TSC ticks since tracing started, read sparingly.
//
// rdtsc is microcoded (about 35 cycles on the AMD EPYC machines here, half
// the tracer's own cost per event on an allocation-heavy python3), so a
// thread reuses its last reading for up to kReusesPerRead further events, as
// long as the helper thread's tick (one per millisecond while events
// flow) has not moved. An event's time is therefore at most kReusesPerRead
// events of its thread, and a tick, older than the call: a thread that
// allocates after a pause of a millisecond or more reads the clock, as long
// as the helper thread got a CPU when its timer fired and was not held
// up in its own file I/O (on a loaded machine, a pause of several ms can
// pass without a tick). With no tick running (before the helper thread
// starts, in a forked child until it restarts, after 8 ms without an event)
// every event reads it; the first read after such a quiet spell asks the
// helper thread to tick again.
#ifndef ALLOCLAB_TRACER_CLOCK_H_
#define ALLOCLAB_TRACER_CLOCK_H_

#include <x86intrin.h>

#include <atomic>
#include <cstdint>

namespace alloclab::tracer {

// Event times are TSC ticks divided by 2^kTscShift (32 ticks: 13 ns at 2.5 GHz): small
// deltas on disk, and finer than the reuse window anyway.
inline constexpr int kTscShift = 5;
inline constexpr uint32_t kReusesPerRead = 15;

// One thread's view of the clock (inside its ThreadState).
struct ThreadClock {
  uint64_t last = 0;          // the thread's last event time: never goes back
  uint32_t tick = 0;          // the tick when `last` was read
  uint32_t reuses_left = 0;   // events that may still take `last`
};

namespace clock_internal {
// Read on every event: a cache line of their own, which only the tick writes.
struct alignas(64) Shared {
  std::atomic<uint32_t> tick{0};               // 0: no tick running, always read
  std::atomic<void (*)()> on_stopped_read{};   // see StopTicking
  uint64_t start_tsc = 0;
};
extern Shared g_clock;
void ReadWhileStopped();
}  // namespace clock_internal

// Reads the TSC into c (never backwards, even after a migration to a CPU
// whose TSC lags by a few ticks).
inline uint64_t ReadClock(ThreadClock& c) {
  using namespace clock_internal;
  // The tick is loaded first: if it moves during the read, the next event
  // sees a new tick and reads again.
  const uint32_t tick = g_clock.tick.load(std::memory_order_relaxed);
  const uint64_t now = (__rdtsc() - g_clock.start_tsc) >> kTscShift;
  c.last = now > c.last ? now : c.last;
  c.tick = tick;
  c.reuses_left = tick == 0 ? 0 : kReusesPerRead;
  if (tick == 0 && g_clock.on_stopped_read.load(std::memory_order_relaxed) != nullptr) ReadWhileStopped();
  return c.last;
}

// The time now, without a thread's state (a signal handler's reading).
inline uint64_t TimeNow() { return (__rdtsc() - clock_internal::g_clock.start_tsc) >> kTscShift; }

// The time of an event happening now on c's thread.
inline uint64_t EventTime(ThreadClock& c) {
  if (__builtin_expect(c.reuses_left != 0, 1) &&
      c.tick == clock_internal::g_clock.tick.load(std::memory_order_relaxed)) {
    --c.reuses_left;
    return c.last;
  }
  return ReadClock(c);
}

// CLOCK_MONOTONIC in ns (the helper thread's timer, the calibration).
uint64_t MonotonicNs();

// Sets the epoch and measures the TSC's rate; returns event-time ticks per
// second (for the trace header). Once, when tracing starts.
uint64_t StartClock();

// The helper thread's side. Tick() moves the tick on (it skips 0).
// StopTicking() makes every event read the clock until the next Tick(); the
// first event that does calls wake (once; nullptr: nobody to wake).
void Tick();
void StopTicking(void (*wake)());

}  // namespace alloclab::tracer

#endif  // ALLOCLAB_TRACER_CLOCK_H_
