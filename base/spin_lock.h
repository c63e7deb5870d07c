// SpinLock: a one-word lock for code that may run inside malloc (the
// allocator's arenas, the tracer's slot table). Lock spins briefly, then
// sleeps on a futex, so a preempted holder does not burn the waiter's CPU.
// TryLock and TryLockFor never block: for paths that may run in a signal
// handler that interrupted the holder, and must give up rather than wait on
// themselves. Never allocates; Reset makes it usable in a forked child.
#ifndef ALLOCLAB_BASE_SPIN_LOCK_H_
#define ALLOCLAB_BASE_SPIN_LOCK_H_

#include <atomic>
#include <cstdint>

#include "base/futex.h"

namespace alloclab::base {

class SpinLock {
 public:
  constexpr SpinLock() = default;
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;

  void Lock() {
    uint32_t expected = kUnlocked;
    if (__builtin_expect(state_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire), 1)) {
      return;
    }
    LockSlow();
  }
  bool TryLock() {
    uint32_t expected = kUnlocked;
    return state_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire);
  }
  // Tries up to `attempts` times, spinning between tries; never sleeps.
  bool TryLockFor(uint32_t attempts) {
    for (uint32_t i = 0; i < attempts; ++i) {
      if (state_.load(std::memory_order_relaxed) == kUnlocked && TryLock()) return true;
      __builtin_ia32_pause();
    }
    return false;
  }
  void Unlock() {
    if (state_.exchange(kUnlocked, std::memory_order_release) == kSleeper) FutexWake(&state_);
  }
  // In a child after fork, where no other thread can hold it.
  void Reset() { state_.store(kUnlocked, std::memory_order_relaxed); }

 private:
  static constexpr uint32_t kUnlocked = 0;
  static constexpr uint32_t kLocked = 1;
  static constexpr uint32_t kSleeper = 2;  // locked, and someone may sleep

  __attribute__((noinline)) void LockSlow() {
    if (TryLockFor(100)) return;
    // Mark that a sleeper may exist, then sleep until the holder wakes us.
    while (state_.exchange(kSleeper, std::memory_order_acquire) != kUnlocked) FutexWait(&state_, kSleeper);
  }

  std::atomic<uint32_t> state_{kUnlocked};
};

class LockGuard {
 public:
  explicit LockGuard(SpinLock& l) : l_(l) { l_.Lock(); }
  ~LockGuard() { l_.Unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  SpinLock& l_;
};

}  // namespace alloclab::base

#endif  // ALLOCLAB_BASE_SPIN_LOCK_H_
