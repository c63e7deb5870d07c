// MetaAlloc: a locked bump allocator over 1 MiB (or larger) mmap regions.
#include "malloc/meta_alloc.h"

#include "base/spin_lock.h"
#include "malloc/platform.h"

namespace alloclab::malloc {
namespace {

constexpr size_t kRegionBytes = size_t{1} << 20;

base::SpinLock g_lock;
char* g_next = nullptr;
char* g_end = nullptr;
size_t g_mapped = 0;

}  // namespace

void* MetaAlloc(size_t size, size_t align) {
  if (align < 64) align = 64;
  size = AlignUp<size_t>(size, 64);
  base::LockGuard guard(g_lock);
  char* start = reinterpret_cast<char*>(AlignUp(reinterpret_cast<uintptr_t>(g_next), uintptr_t{align}));
  if (g_next == nullptr || start > g_end || static_cast<size_t>(g_end - start) < size) {
    // A new region; what was left of the last one stays unused (address
    // space: it was never touched).
    const size_t region = AlignUp(size > kRegionBytes ? size : kRegionBytes, kPageSize);
    char* p = static_cast<char*>(MapAligned(region, align));
    if (p == nullptr) return nullptr;
    g_mapped += region;
    start = p;
    g_end = p + region;
  }
  g_next = start + size;
  return start;
}

size_t MetaBytesMapped() {
  base::LockGuard guard(g_lock);
  return g_mapped;
}

void MetaAllocLockForFork() { g_lock.Lock(); }
void MetaAllocUnlockForFork() { g_lock.Unlock(); }
void MetaAllocAfterForkChild() { g_lock.Reset(); }

}  // namespace alloclab::malloc
