// SpinLock's contended path: spin, then futex wait.
#include "malloc/spin_lock.h"

#include "base/futex.h"

namespace alloclab::malloc {

void SpinLock::LockSlow() {
  for (int i = 0; i < 100; ++i) {
    uint32_t expected = kUnlocked;
    if (state_.load(std::memory_order_relaxed) == kUnlocked &&
        state_.compare_exchange_weak(expected, kLocked, std::memory_order_acquire)) {
      return;
    }
    __builtin_ia32_pause();
  }
  // Mark that a sleeper may exist, then sleep until the holder wakes us.
  while (state_.exchange(kSleeper, std::memory_order_acquire) != kUnlocked) {
    base::FutexWait(&state_, kSleeper);
  }
}

void SpinLock::Wake() {
  base::FutexWake(&state_);
}

}  // namespace alloclab::malloc
