// The C calls' rules over alloc.h; see c_calls.h.
#include "malloc/c_calls.h"

#include <cerrno>
#include <cstdint>

#include "malloc/alloc.h"
#include "malloc/init.h"
#include "malloc/platform.h"
#include "malloc/stats.h"

namespace alloclab::malloc {
namespace {

bool IsPowerOfTwo(size_t n) { return n != 0 && (n & (n - 1)) == 0; }

}  // namespace

void* Calloc(size_t count, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(count, size, &total)) {
    errno = ENOMEM;
    return nullptr;
  }
  return AllocateZeroed(total);
}

void* ReallocArray(void* p, size_t count, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(count, size, &total)) {
    errno = ENOMEM;
    return nullptr;
  }
  return Reallocate(p, total);
}

void* Memalign(size_t align, size_t size) {
  // glibc rounds a non-power-of-two alignment up to the next power of two.
  if (!IsPowerOfTwo(align)) {
    if (align > (SIZE_MAX >> 1) + 1) {
      errno = EINVAL;
      return nullptr;
    }
    size_t a = 1;
    while (a < align) a <<= 1;
    align = a;
  }
  return AllocateAligned(align, size);
}

void* AlignedAlloc(size_t align, size_t size) {
  if (!IsPowerOfTwo(align)) {
    errno = EINVAL;
    return nullptr;
  }
  return AllocateAligned(align, size);
}

int PosixMemalign(void** out, size_t align, size_t size) {
  if (!IsPowerOfTwo(align) || align % sizeof(void*) != 0) return EINVAL;
  const int saved_errno = errno;  // it reports by its result, errno untouched
  void* p = AllocateAligned(align, size);
  errno = saved_errno;
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}

void* Valloc(size_t size) { return AllocateAligned(kPageSize, size); }

void* Pvalloc(size_t size) {
  const size_t rounded = (size + kPageSize - 1) & ~(kPageSize - 1);
  if (rounded < size) {
    errno = ENOMEM;
    return nullptr;
  }
  return AllocateAligned(kPageSize, rounded == 0 ? kPageSize : rounded);
}

int MallocTrim(size_t /*pad*/) {
  TrimAll();
  return 1;
}

struct mallinfo2 Mallinfo2() {
  EnsureInitialized();
  return MallInfo2();
}

struct mallinfo Mallinfo() {
  const struct mallinfo2 w = Mallinfo2();
  auto clamp = [](size_t v) { return static_cast<int>(v > 0x7fffffff ? 0x7fffffff : v); };
  struct mallinfo m = {};
  m.arena = clamp(w.arena);
  m.ordblks = clamp(w.ordblks);
  m.hblks = clamp(w.hblks);
  m.hblkhd = clamp(w.hblkhd);
  m.uordblks = clamp(w.uordblks);
  m.fsmblks = clamp(w.fsmblks);
  m.fordblks = clamp(w.fordblks);
  m.keepcost = clamp(w.keepcost);
  return m;
}

}  // namespace alloclab::malloc
