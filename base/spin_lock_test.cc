#include "base/spin_lock.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace alloclab::base {
namespace {

TEST(SpinLock, TryLockFailsWhileHeldAndSucceedsAfter) {
  SpinLock l;
  EXPECT_TRUE(l.TryLock());
  EXPECT_FALSE(l.TryLock());
  EXPECT_FALSE(l.TryLockFor(1000));
  l.Unlock();
  EXPECT_TRUE(l.TryLockFor(1));
  l.Unlock();
}

TEST(SpinLock, ResetFreesALockNoThreadWillRelease) {
  SpinLock l;
  l.Lock();
  l.Reset();  // as in a child after fork
  EXPECT_TRUE(l.TryLock());
  l.Unlock();
}

TEST(SpinLock, ExcludesThreadsThatSleepOnIt) {
  // Four threads on two cores, each holding the lock across a yield: waiters
  // give up spinning and sleep on the futex, and must all be woken.
  SpinLock l;
  long counter = 0;
  std::atomic<int> inside{0};
  std::atomic<bool> overlap{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        LockGuard g(l);
        if (inside.fetch_add(1) != 0) overlap = true;
        ++counter;
        if (i % 64 == 0) std::this_thread::yield();
        inside.fetch_sub(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(overlap.load());
  EXPECT_EQ(counter, 4 * 20000);
}

}  // namespace
}  // namespace alloclab::base
