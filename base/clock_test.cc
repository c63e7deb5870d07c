#include "base/clock.h"

#include <time.h>

#include "gtest/gtest.h"

namespace alloclab::base {
namespace {

TEST(Clock, MonotonicNeverGoesBackAndAgreesWithClockGettime) {
  uint64_t last = MonotonicNs();
  for (int i = 0; i < 100000; ++i) {
    const uint64_t now = MonotonicNs();
    ASSERT_GE(now, last);
    last = now;
  }
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const uint64_t direct = static_cast<uint64_t>(ts.tv_sec) * 1000000000 + static_cast<uint64_t>(ts.tv_nsec);
  EXPECT_LE(last, direct);
  EXPECT_LE(direct, MonotonicNs());
}

TEST(Clock, ReadsTheVdsoDirectlyAndAgreesWithLibc) {
  // Every Linux x86-64 process has a vDSO with clock_gettime in it.
  EXPECT_TRUE(clock_internal::UsesVdso());
  for (clockid_t clock : {CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE, CLOCK_REALTIME}) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    const uint64_t before = static_cast<uint64_t>(ts.tv_sec) * 1000000000 + static_cast<uint64_t>(ts.tv_nsec);
    const uint64_t now = NowNs(clock);
    clock_gettime(clock, &ts);
    const uint64_t after = static_cast<uint64_t>(ts.tv_sec) * 1000000000 + static_cast<uint64_t>(ts.tv_nsec);
    EXPECT_LE(before, now) << clock;
    EXPECT_LE(now, after) << clock;
  }
}

TEST(Clock, ASleepShowsOnTheClock) {
  const uint64_t before = NowNs(CLOCK_MONOTONIC);
  const struct timespec ten_ms = {0, 10000000};
  nanosleep(&ten_ms, nullptr);
  EXPECT_GE(NowNs(CLOCK_MONOTONIC) - before, 10000000u);
}

}  // namespace
}  // namespace alloclab::base
