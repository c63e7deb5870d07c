// TickPolicy: when the helper thread moves the event clock's tick (clock.h).
// A tick every millisecond while events flow; after kQuietTicks ticks without
// an event it stops ticking (every event then reads the clock, and the first
// one asks for the tick again) and only looks once a second. Pure: the time
// and the event count come in, the decision goes out, so that it is tested
// without a thread or a clock.
#ifndef ALLOCLAB_TRACER_TICK_POLICY_H_
#define ALLOCLAB_TRACER_TICK_POLICY_H_

#include <cstdint>

namespace alloclab::tracer {

class TickPolicy {
 public:
  static constexpr uint64_t kTickNs = 1000000;          // while events flow
  static constexpr int kQuietTicks = 8;                 // ticks without an event before it stops
  static constexpr uint64_t kQuietWaitNs = 1000000000;  // quiet: the first event wakes it

  enum class Action { kNone, kTick, kStop };

  // Starts over (the thread starts) with the event count now.
  void Reset(uint64_t events) {
    events_at_tick_ = events;
    next_tick_ = 0;
    quiet_ = 0;
  }

  // At time now_ns with `events` recorded so far: what to do with the tick.
  // A tick is due at next_tick_ns(); quiet, any call may be the first event
  // after the pause, so it decides at once.
  Action Step(uint64_t now_ns, uint64_t events) {
    if (now_ns < next_tick_ && quiet_ < kQuietTicks) return Action::kNone;
    Action action = Action::kNone;
    if (events != events_at_tick_) {
      quiet_ = 0;
    } else if (quiet_ < kQuietTicks && ++quiet_ == kQuietTicks) {
      action = Action::kStop;  // idle: no reason to wake every millisecond
    }
    // The tick moves with time, not with events: a pause of every thread
    // shorter than the quiet spell must still end readings' reuse.
    if (quiet_ < kQuietTicks) action = Action::kTick;
    events_at_tick_ = events;
    next_tick_ = now_ns + (quiet_ < kQuietTicks ? kTickNs : kQuietWaitNs);
    return action;
  }

  uint64_t next_tick_ns() const { return next_tick_; }
  bool quiet() const { return quiet_ >= kQuietTicks; }

 private:
  uint64_t events_at_tick_ = 0;
  uint64_t next_tick_ = 0;
  int quiet_ = 0;
};

}  // namespace alloclab::tracer

#endif  // ALLOCLAB_TRACER_TICK_POLICY_H_
