// Huge blocks: allocations above the mmap threshold get pages of their own,
// from mmap or from the cache of freed huge ranges (huge.cc), and are resized
// with mremap. Each block's size is kept in an out-of-band open-addressing
// table keyed by address (no header in front of the block), which also tells
// whether a pointer is one of ours.
#ifndef ALLOCLAB_MALLOC_HUGE_H_
#define ALLOCLAB_MALLOC_HUGE_H_

#include <cstddef>
#include <cstdint>

namespace alloclab::malloc {

// A block of at least size bytes aligned to align (a power of two), or
// nullptr. *zeroed (if given) tells whether it is a fresh mapping, all zero,
// rather than pages from the cache.
void* HugeAlloc(size_t size, size_t align, bool* zeroed = nullptr);
// Frees p if it is a huge block and returns its size; 0 if it is not one of
// ours. Its pages go to the cache of freed huge ranges, which then gives
// back what stayed unused for decay_ms.
size_t HugeFree(void* p, uint64_t decay_ms);
// Unmaps cached huge ranges unused for decay_ms, or all of them.
void HugeTrim(uint64_t decay_ms, bool all);
// Makes what is in use the peak the cache's budget follows (huge.cc), as
// happens every decay period. For tests.
void HugeForgetPeak();
// The usable size of huge block p, or 0 if p is not one.
size_t HugeUsableSize(const void* p);
// Resizes huge block p (moving it if needed); nullptr if it cannot (p is
// untouched: out of memory, or p was gathered from several mappings, which
// mremap cannot take as one). p must be a huge block.
void* HugeRealloc(void* p, size_t new_size);

// Bytes in huge blocks in use; no lock (a moment's value).
size_t HugeBytesInUse();

struct HugeStats {
  size_t blocks;
  size_t bytes;
  size_t cached_bytes;  // freed, still mapped (resident) for reuse
};
HugeStats GetHugeStats();

void HugeLockForFork();
void HugeUnlockForFork();
void HugeAfterForkChild();

}  // namespace alloclab::malloc

#endif  // ALLOCLAB_MALLOC_HUGE_H_
