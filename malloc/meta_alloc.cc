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

void* MetaAlloc(size_t size) {
  size = AlignUp<size_t>(size, 64);
  base::LockGuard guard(g_lock);
  if (static_cast<size_t>(g_end - g_next) < size) {
    const size_t region = AlignUp(size > kRegionBytes ? size : kRegionBytes, kPageSize);
    char* p = static_cast<char*>(MapPages(region));
    if (p == nullptr) return nullptr;
    g_mapped += region;
    g_next = p;
    g_end = p + region;
  }
  void* out = g_next;
  g_next += size;
  return out;
}

size_t MetaBytesMapped() {
  base::LockGuard guard(g_lock);
  return g_mapped;
}

void MetaAllocLockForFork() { g_lock.Lock(); }
void MetaAllocUnlockForFork() { g_lock.Unlock(); }
void MetaAllocAfterForkChild() { g_lock.Reset(); }

}  // namespace alloclab::malloc
