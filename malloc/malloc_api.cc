// The public C interface: the functions glibc's malloc exports, with glibc's
// documented semantics, plus the __libc_* names glibc's own code may call.
// Everything here is a thin shell over alloc.h and c_calls.h (the calls'
// argument rules).
#include <malloc.h>
#include <stdio.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

#include "base/spin_lock.h"
#include "malloc/alloc.h"
#include "malloc/arena_registry.h"
#include "malloc/c_calls.h"
#include "malloc/init.h"
#include "malloc/stats.h"
#include "malloc/tunables.h"

#define ALLOCLAB_EXPORT extern "C" __attribute__((visibility("default")))

using alloclab::malloc::Allocate;
using alloclab::malloc::Deallocate;
using alloclab::malloc::Reallocate;

ALLOCLAB_EXPORT void* malloc(size_t size) { return Allocate(size); }
ALLOCLAB_EXPORT void free(void* p) { Deallocate(p); }
ALLOCLAB_EXPORT void* calloc(size_t count, size_t size) { return alloclab::malloc::Calloc(count, size); }
ALLOCLAB_EXPORT void* realloc(void* p, size_t size) { return Reallocate(p, size); }
ALLOCLAB_EXPORT void* reallocarray(void* p, size_t count, size_t size) {
  return alloclab::malloc::ReallocArray(p, count, size);
}
ALLOCLAB_EXPORT void* memalign(size_t align, size_t size) { return alloclab::malloc::Memalign(align, size); }
ALLOCLAB_EXPORT void* aligned_alloc(size_t align, size_t size) { return alloclab::malloc::AlignedAlloc(align, size); }
ALLOCLAB_EXPORT int posix_memalign(void** out, size_t align, size_t size) {
  return alloclab::malloc::PosixMemalign(out, align, size);
}
ALLOCLAB_EXPORT void* valloc(size_t size) { return alloclab::malloc::Valloc(size); }
ALLOCLAB_EXPORT void* pvalloc(size_t size) { return alloclab::malloc::Pvalloc(size); }
ALLOCLAB_EXPORT size_t malloc_usable_size(void* p) { return alloclab::malloc::UsableSize(p); }
ALLOCLAB_EXPORT int malloc_trim(size_t pad) { return alloclab::malloc::MallocTrim(pad); }

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

ALLOCLAB_EXPORT struct mallinfo2 mallinfo2() { return alloclab::malloc::Mallinfo2(); }
ALLOCLAB_EXPORT struct mallinfo mallinfo() { return alloclab::malloc::Mallinfo(); }

ALLOCLAB_EXPORT void malloc_stats() {
  alloclab::malloc::EnsureInitialized();
  static char report[16384];  // static: large for a stack; a report at a time
  static alloclab::base::SpinLock lock;
  alloclab::base::LockGuard guard(lock);
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
  static alloclab::base::SpinLock lock;
  alloclab::base::LockGuard guard(lock);
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
