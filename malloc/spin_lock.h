// SpinLock: a small lock for the allocator's internal state. Spins briefly,
// then sleeps on a futex, so a preempted holder does not burn the waiter's
// CPU. Never allocates; safe to reinitialise in a forked child.
#ifndef ALLOCLAB_MALLOC_SPIN_LOCK_H_
#define ALLOCLAB_MALLOC_SPIN_LOCK_H_

#include <atomic>
#include <cstdint>

namespace alloclab::malloc {

class SpinLock {
 public:
  constexpr SpinLock() = default;
  void Lock() {
    uint32_t expected = kUnlocked;
    if (__builtin_expect(
            state_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire), 1)) {
      return;
    }
    LockSlow();
  }
  bool TryLock() {
    uint32_t expected = kUnlocked;
    return state_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire);
  }
  void Unlock() {
    if (state_.exchange(kUnlocked, std::memory_order_release) == kSleeper) Wake();
  }
  // In a child after fork, where no other thread can hold it.
  void Reset() { state_.store(kUnlocked, std::memory_order_relaxed); }

 private:
  static constexpr uint32_t kUnlocked = 0;
  static constexpr uint32_t kLocked = 1;
  static constexpr uint32_t kSleeper = 2;  // locked, and someone may sleep
  void LockSlow();
  void Wake();

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

}  // namespace alloclab::malloc

#endif  // ALLOCLAB_MALLOC_SPIN_LOCK_H_
