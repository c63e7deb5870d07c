// Huge blocks: allocations above the mmap threshold get a mapping of their
// own, returned with munmap and resized with mremap. Each block's size is kept
// in an out-of-band open-addressing table keyed by address (no header in
// front of the block), which also tells whether a pointer is one of ours.
#ifndef ALLOCLAB_MALLOC_HUGE_H_
#define ALLOCLAB_MALLOC_HUGE_H_

#include <cstddef>
#include <cstdint>

namespace alloclab::malloc {

// A block of at least size bytes aligned to align (a power of two), or nullptr.
void* HugeAlloc(size_t size, size_t align);
// Frees p if it is a huge block and returns its size; 0 if it is not one of
// ours.
size_t HugeFree(void* p);
// The usable size of huge block p, or 0 if p is not one.
size_t HugeUsableSize(const void* p);
// Resizes huge block p (moving it if needed); nullptr if it cannot (p is
// untouched). p must be a huge block.
void* HugeRealloc(void* p, size_t new_size);

struct HugeStats {
  size_t blocks;
  size_t bytes;
};
HugeStats GetHugeStats();

void HugeLockForFork();
void HugeUnlockForFork();
void HugeAfterForkChild();

}  // namespace alloclab::malloc

#endif  // ALLOCLAB_MALLOC_HUGE_H_
