// Futex wait and wake on a 32-bit word, for the locks and hand-offs of the
// allocator, the tracer and the replayer (private futexes: one process).
// System calls only: nothing allocates.
#ifndef ALLOCLAB_BASE_FUTEX_H_
#define ALLOCLAB_BASE_FUTEX_H_

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace alloclab::base {

inline constexpr uint64_t kNoTimeout = ~uint64_t{0};

// Sleeps while *word == expected, until woken, a signal, or timeout_ns pass
// (kNoTimeout: no limit). Returns at once if *word != expected. Callers
// re-check their condition: a return says nothing about it.
inline void FutexWait(const uint32_t* word, uint32_t expected, uint64_t timeout_ns = kNoTimeout) {
  struct timespec ts = {static_cast<time_t>(timeout_ns / 1000000000), static_cast<long>(timeout_ns % 1000000000)};
  syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, timeout_ns == kNoTimeout ? nullptr : &ts, nullptr, 0);
}

// Wakes up to `waiters` threads sleeping in FutexWait on word.
inline void FutexWake(const uint32_t* word, int waiters = 1) {
  syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, waiters, nullptr, nullptr, 0);
}

// The same on an atomic word.
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
inline void FutexWait(const std::atomic<uint32_t>* word, uint32_t expected, uint64_t timeout_ns = kNoTimeout) {
  FutexWait(reinterpret_cast<const uint32_t*>(word), expected, timeout_ns);
}
inline void FutexWake(const std::atomic<uint32_t>* word, int waiters = 1) {
  FutexWake(reinterpret_cast<const uint32_t*>(word), waiters);
}

}  // namespace alloclab::base

#endif  // ALLOCLAB_BASE_FUTEX_H_
