// The allocator's entry points below the public API: Allocate, Deallocate,
// their aligned and resizing forms, and UsableSize. The two fast paths (a
// cached chunk out, a chunk into the cache) are inline here and fit on a
// screen; every other case goes to alloc.cc.
#ifndef ALLOCLAB_MALLOC_ALLOC_H_
#define ALLOCLAB_MALLOC_ALLOC_H_

#include <cstddef>
#include <cstdint>

#include "malloc/hardening.h"
#include "malloc/platform.h"
#include "malloc/segment.h"
#include "malloc/size_classes.h"
#include "malloc/thread_cache.h"

namespace alloclab::malloc {

// Requests above the mmap threshold go straight to mmap. As in glibc, the
// threshold starts low and rises to the size of any huge block freed (up to
// a segment), so a program that keeps allocating and freeing blocks of one
// large size gets them from the heap instead of paying for fresh mappings
// each time; setting it (mallopt) fixes it.
inline constexpr size_t kDefaultMmapThreshold = size_t{1} << 20;
size_t MmapThreshold();
void SetMmapThreshold(size_t bytes);

void* AllocateSlow(size_t size);
void DeallocateSlow(void* p, SegmentMeta* seg);

// malloc: 16-byte aligned, nullptr with errno = ENOMEM on failure.
inline void* Allocate(size_t size) {
  if (ALLOCLAB_LIKELY(size <= kMaxSmallSize)) {
    void* p = CachePop(SizeToClass(size));
    if (ALLOCLAB_LIKELY(p != nullptr)) return p;
  }
  return AllocateSlow(size);
}

// free: keeps errno; aborts on a pointer that is not a live block of ours.
inline void Deallocate(void* p) {
  SegmentMeta* seg = SegmentOf(p);
  if (ALLOCLAB_LIKELY(seg != nullptr)) {
    const uint32_t page = (reinterpret_cast<uintptr_t>(p) >> kPageShift) & (kPagesPerSegment - 1);
    const int cls = seg->page_class[page];
    // Not a chunk start (class 0 never is), a freed chunk, or a full bin:
    // the slow path sorts it out (hardening.h).
    const uint64_t key = FreeKey();
    if (ALLOCLAB_LIKELY(IsChunkStart(seg, page, p, cls) && !MaybeFreed(p, key) && CachePush(cls, p, key))) {
      return;
    }
  }
  DeallocateSlow(p, seg);  // a tail call: no frame here
}

// align: a power of two. nullptr with errno = ENOMEM on failure.
void* AllocateAligned(size_t align, size_t size);
// realloc semantics (glibc's): nullptr p mallocs, size 0 frees and returns
// nullptr; on failure returns nullptr and leaves p untouched.
void* Reallocate(void* p, size_t size);
// calloc without the overflow check (the caller did it).
void* AllocateZeroed(size_t size);
// The bytes usable at p (0 for nullptr); aborts if p is not ours.
size_t UsableSize(const void* p);

// malloc_trim: this thread's cache, every arena's free memory and the cached
// huge ranges back to the kernel.
void TrimAll();

}  // namespace alloclab::malloc

#endif  // ALLOCLAB_MALLOC_ALLOC_H_
