// The free key: random per process, never 0 (0 is what MarkAllocated writes).
#include "malloc/hardening.h"

#include <sys/random.h>
#include <x86intrin.h>

namespace alloclab::malloc {
namespace hardening_internal {
// Until InitHardening: a fixed odd value, so early frees are still marked.
uint64_t g_free_key = 0x9e3779b97f4a7c15ull;
}  // namespace hardening_internal

void InitHardening() {
  uint64_t key = 0;
  if (getrandom(&key, sizeof key, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof key)) {
    key = __rdtsc() * 0x9e3779b97f4a7c15ull ^ reinterpret_cast<uintptr_t>(&key);
  }
  hardening_internal::g_free_key = key | 1;
}

}  // namespace alloclab::malloc
