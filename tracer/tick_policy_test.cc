#include "tracer/tick_policy.h"

#include "gtest/gtest.h"

namespace alloclab::tracer {
namespace {

using Action = TickPolicy::Action;
constexpr uint64_t kMs = 1000000;

TEST(TickPolicy, TicksEveryMillisecondWhileEventsFlow) {
  TickPolicy p;
  p.Reset(0);
  uint64_t events = 0;
  EXPECT_EQ(p.Step(0, ++events), Action::kTick);
  EXPECT_EQ(p.Step(kMs / 2, ++events), Action::kNone);  // not due yet
  EXPECT_EQ(p.next_tick_ns(), kMs);
  for (uint64_t t = 1; t <= 100; ++t) EXPECT_EQ(p.Step(t * kMs, events += 10), Action::kTick) << t;
  EXPECT_FALSE(p.quiet());
}

TEST(TickPolicy, AShortPauseKeepsTickingTheTimeMoves) {
  // Fewer than kQuietTicks ticks without an event: still ticking (readings
  // taken before the pause must not be reused after it).
  TickPolicy p;
  p.Reset(5);
  EXPECT_EQ(p.Step(0, 6), Action::kTick);
  for (int i = 1; i < TickPolicy::kQuietTicks; ++i) EXPECT_EQ(p.Step(i * kMs, 6), Action::kTick) << i;
  EXPECT_FALSE(p.quiet());
}

TEST(TickPolicy, AQuietSpellStopsTheTickAndAnEventStartsItAgain) {
  TickPolicy p;
  p.Reset(0);
  EXPECT_EQ(p.Step(0, 1), Action::kTick);
  uint64_t t = 0;
  for (int i = 1; i < TickPolicy::kQuietTicks; ++i) EXPECT_EQ(p.Step(t += kMs, 1), Action::kTick);
  EXPECT_EQ(p.Step(t += kMs, 1), Action::kStop);
  EXPECT_TRUE(p.quiet());
  EXPECT_EQ(p.next_tick_ns(), t + TickPolicy::kQuietWaitNs);
  // Quiet: nothing more happens without events, however often it is asked...
  EXPECT_EQ(p.Step(t + 1, 1), Action::kNone);
  EXPECT_EQ(p.Step(t + 2 * kMs, 1), Action::kNone);
  // ...and the first event (the woken thread looks at once) ticks again.
  EXPECT_EQ(p.Step(t + 3 * kMs, 2), Action::kTick);
  EXPECT_FALSE(p.quiet());
  EXPECT_EQ(p.next_tick_ns(), t + 4 * kMs);
}

}  // namespace
}  // namespace alloclab::tracer
