// SpinLock's contended path: spin, then futex wait.
#include "malloc/spin_lock.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

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
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&state_), FUTEX_WAIT_PRIVATE, kSleeper, nullptr,
            nullptr, 0);
  }
}

void SpinLock::Wake() {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&state_), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

}  // namespace alloclab::malloc
