// Memory for the allocator's own metadata (segment descriptors, thread
// caches, the huge-block table): carved from dedicated mmap regions, never
// from the heap it describes, so metadata stays out of band.
#ifndef ALLOCLAB_MALLOC_META_ALLOC_H_
#define ALLOCLAB_MALLOC_META_ALLOC_H_

#include <cstddef>

namespace alloclab::malloc {

// Returns zeroed memory of `size` bytes aligned to `align` (a power of two,
// 64 at least), or nullptr. Thread-safe. Metadata is recycled by its owners
// (free lists), never returned here.
void* MetaAlloc(size_t size, size_t align = 64);

// Bytes of metadata mapped so far (for statistics).
size_t MetaBytesMapped();

// In a forked child: the lock may have been held by a vanished thread.
void MetaAllocAfterForkChild();
void MetaAllocLockForFork();
void MetaAllocUnlockForFork();

}  // namespace alloclab::malloc

#endif  // ALLOCLAB_MALLOC_META_ALLOC_H_
