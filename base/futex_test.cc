#include "base/futex.h"

#include <atomic>
#include <chrono>
#include <thread>

#include "gtest/gtest.h"

namespace alloclab::base {
namespace {

using Clock = std::chrono::steady_clock;

TEST(Futex, AWordThatChangedDoesNotWait) {
  std::atomic<uint32_t> word{1};
  const auto start = Clock::now();
  FutexWait(&word, 0);  // no timeout: would hang if it slept
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(1));
}

TEST(Futex, AWaitEndsAtItsTimeout) {
  std::atomic<uint32_t> word{0};
  const auto start = Clock::now();
  FutexWait(&word, 0, 20000000);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(19));
}

TEST(Futex, WakeEndsAWaitWithoutTimeout) {
  std::atomic<uint32_t> word{0};
  std::atomic<bool> woke{false};
  std::thread waiter([&] {
    while (word.load() == 0) FutexWait(&word, 0);
    woke = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(woke.load());
  word.store(1);
  FutexWake(&word);
  waiter.join();
  EXPECT_TRUE(woke.load());
}

TEST(Futex, TheLowHalfOfA64BitWord) {
  // The replayer waits on the low half of a 64-bit position counter.
  std::atomic<uint64_t> position{(uint64_t{7} << 32) | 5};
  const uint32_t* low = reinterpret_cast<const uint32_t*>(&position);
  const auto start = Clock::now();
  FutexWait(low, 4);  // differs: returns at once
  FutexWait(low, 5, 10000000);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(9));
  FutexWake(low, 8);  // nobody waits: harmless
}

}  // namespace
}  // namespace alloclab::base
