// The public C interface: the functions glibc's malloc exports, with glibc's
// documented semantics, plus the __libc_* names glibc's own code may call.
// Everything here is a thin shell over alloc.h.
#include <malloc.h>
#include <stdio.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

#include "malloc/alloc.h"
#include "malloc/arenas.h"
#include "malloc/spin_lock.h"
#include "malloc/stats.h"
#include "malloc/tunables.h"
#include "malloc/init.h"

#define ALLOCLAB_EXPORT extern "C" __attribute__((visibility("default")))

using alloclab::malloc::Allocate;
using alloclab::malloc::AllocateAligned;
using alloclab::malloc::AllocateZeroed;
using alloclab::malloc::Deallocate;
using alloclab::malloc::Reallocate;
using alloclab::malloc::UsableSize;

namespace {

bool IsPowerOfTwo(size_t n) { return n != 0 && (n & (n - 1)) == 0; }

bool MultiplyOverflows(size_t a, size_t b, size_t* out) { return __builtin_mul_overflow(a, b, out); }

}  // namespace

ALLOCLAB_EXPORT void* malloc(size_t size) { return Allocate(size); }

ALLOCLAB_EXPORT void free(void* p) { Deallocate(p); }

ALLOCLAB_EXPORT void* calloc(size_t count, size_t size) {
  size_t total;
  if (MultiplyOverflows(count, size, &total)) {
    errno = ENOMEM;
    return nullptr;
  }
  return AllocateZeroed(total);
}

ALLOCLAB_EXPORT void* realloc(void* p, size_t size) { return Reallocate(p, size); }

ALLOCLAB_EXPORT void* reallocarray(void* p, size_t count, size_t size) {
  size_t total;
  if (MultiplyOverflows(count, size, &total)) {
    errno = ENOMEM;
    return nullptr;
  }
  return Reallocate(p, total);
}

ALLOCLAB_EXPORT void* memalign(size_t align, size_t size) {
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

ALLOCLAB_EXPORT void* aligned_alloc(size_t align, size_t size) {
  if (!IsPowerOfTwo(align)) {
    errno = EINVAL;
    return nullptr;
  }
  return AllocateAligned(align, size);
}

ALLOCLAB_EXPORT int posix_memalign(void** out, size_t align, size_t size) {
  if (!IsPowerOfTwo(align) || align % sizeof(void*) != 0) return EINVAL;
  const int saved_errno = errno;
  void* p = AllocateAligned(align, size);
  errno = saved_errno;
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}

ALLOCLAB_EXPORT void* valloc(size_t size) { return AllocateAligned(alloclab::malloc::kPageSize, size); }

ALLOCLAB_EXPORT void* pvalloc(size_t size) {
  const size_t page = alloclab::malloc::kPageSize;
  const size_t rounded = (size + page - 1) & ~(page - 1);
  if (rounded < size) {
    errno = ENOMEM;
    return nullptr;
  }
  return AllocateAligned(page, rounded == 0 ? page : rounded);
}

ALLOCLAB_EXPORT size_t malloc_usable_size(void* p) { return UsableSize(p); }

ALLOCLAB_EXPORT int malloc_trim(size_t /*pad*/) {
  alloclab::malloc::TrimAll();
  return 1;
}

ALLOCLAB_EXPORT int mallopt(int param, int value) {
  if (param == M_MMAP_THRESHOLD) {
    if (value < 0 || static_cast<size_t>(value) > alloclab::malloc::kSegmentSize) return 0;
    const size_t bytes = static_cast<size_t>(value);
    alloclab::malloc::SetMmapThreshold(bytes < alloclab::malloc::kMaxSmallSize
                                           ? alloclab::malloc::kMaxSmallSize
                                           : bytes);
    return 1;
  }
  return 1;  // Other glibc tunables have no meaning here; accepted and ignored.
}

ALLOCLAB_EXPORT struct mallinfo2 mallinfo2() {
  alloclab::malloc::EnsureInitialized();
  return alloclab::malloc::MallInfo2();
}

ALLOCLAB_EXPORT struct mallinfo mallinfo() {
  const struct mallinfo2 w = mallinfo2();
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

ALLOCLAB_EXPORT void malloc_stats() {
  alloclab::malloc::EnsureInitialized();
  static char report[16384];  // static: large for a stack; a report at a time
  static alloclab::malloc::SpinLock lock;
  alloclab::malloc::LockGuard guard(lock);
  const size_t n = alloclab::malloc::FormatStats(alloclab::malloc::CollectStats(), report, sizeof(report));
  alloclab::malloc::WriteStderr(report, n);
}

// As glibc's: XML on fp, options must be 0. The report is formatted first
// (every lock released), then written: stdio may allocate.
ALLOCLAB_EXPORT int malloc_info(int options, FILE* fp) {
  if (options != 0 || fp == nullptr) {
    errno = EINVAL;
    return -1;
  }
  alloclab::malloc::EnsureInitialized();
  static char report[32768];
  static alloclab::malloc::SpinLock lock;
  alloclab::malloc::LockGuard guard(lock);
  const size_t n = alloclab::malloc::FormatStatsXml(alloclab::malloc::CollectStats(), report, sizeof(report));
  return fwrite(report, 1, n, fp) == n ? 0 : -1;
}

namespace {
__attribute__((destructor)) void StatsAtExit() {
  if (alloclab::malloc::StatsAtExit()) malloc_stats();
}
}  // namespace

// glibc-internal names. Code inside glibc and some programs call these.
ALLOCLAB_EXPORT void* __libc_malloc(size_t size) { return Allocate(size); }
ALLOCLAB_EXPORT void __libc_free(void* p) { Deallocate(p); }
ALLOCLAB_EXPORT void* __libc_calloc(size_t count, size_t size) { return calloc(count, size); }
ALLOCLAB_EXPORT void* __libc_realloc(void* p, size_t size) { return Reallocate(p, size); }
ALLOCLAB_EXPORT void* __libc_memalign(size_t align, size_t size) { return memalign(align, size); }
ALLOCLAB_EXPORT void* __libc_valloc(size_t size) { return valloc(size); }
ALLOCLAB_EXPORT void* __libc_pvalloc(size_t size) { return pvalloc(size); }
ALLOCLAB_EXPORT int __posix_memalign(void** out, size_t align, size_t size) {
  return posix_memalign(out, align, size);
}
ALLOCLAB_EXPORT void cfree(void* p) { Deallocate(p); }
