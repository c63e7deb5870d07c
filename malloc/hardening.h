// Cheap checks that turn the common heap-corrupting mistakes into an abort
// with one line on stderr, as glibc does:
//  - free/realloc of a pointer inside a chunk (not at a chunk start): every
//    slab page records what to add to a pointer into it to make a multiple
//    of the chunk size of a chunk start (SegmentMeta::page_lead), and a
//    multiply by a per-class constant tells whether the sum is one;
//  - double free of a chunk: a freed chunk carries a per-process random key
//    in its second word (glibc's tcache does the same); a free that finds
//    the key looks for the chunk in the free structures it could be in (the
//    thread's cache bin, the arena's transfer cache, the slab's free-chunk bitmap)
//    and aborts if it is there. A chunk double-freed while it sits in
//    another thread's cache is not found.
// Pointers that are not ours at all, interior pointers of page runs and
// double frees of runs are caught by the out-of-band page metadata already
// (alloc.cc). Cost: see the allocator's README section.
#ifndef ALLOCLAB_MALLOC_HARDENING_H_
#define ALLOCLAB_MALLOC_HARDENING_H_

#include <cstdint>

#include "malloc/platform.h"
#include "malloc/segment.h"
#include "malloc/size_classes.h"

namespace alloclab::malloc {

namespace hardening_internal {
extern uint64_t g_free_key ALLOCLAB_HIDDEN;
}  // namespace hardening_internal

// Picks the key (at initialisation).
void InitHardening();

#if defined(ALLOCLAB_NO_HARDENING)
// The no_hardening variant (malloc/variants.bzl): no checks, no keys.
inline bool IsChunkStart(const SegmentMeta*, uint32_t, const void*, int) { return true; }
inline uint64_t FreeKey() { return 0; }
inline void MarkFreed(void*, uint64_t = 0) {}
inline void MarkAllocated(void*) {}
inline bool MaybeFreed(const void*, uint64_t = 0) { return false; }
#else
// Whether p is where a chunk of class cls starts, on slab page `page`.
// (Class 0 has no magic: nothing is.)
inline bool IsChunkStart(const SegmentMeta* seg, uint32_t page, const void* p, int cls) {
  const uint32_t offset = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(p)) + seg->page_lead[page];
  const uint64_t magic = DivMagic(cls);
  return magic * offset < magic;
}

inline uint64_t FreeKey() { return hardening_internal::g_free_key; }

// Freed chunks carry the key; handed-out ones do not.
inline void MarkFreed(void* chunk, uint64_t key = FreeKey()) { static_cast<uint64_t*>(chunk)[1] = key; }
inline void MarkAllocated(void* chunk) { static_cast<uint64_t*>(chunk)[1] = 0; }
inline bool MaybeFreed(const void* chunk, uint64_t key = FreeKey()) {
#if defined(ALLOCLAB_DEBUG)
  // The debug variant searches the free structures on every free.
  (void)chunk;
  (void)key;
  return true;
#else
  return static_cast<const uint64_t*>(chunk)[1] == key;
#endif
}
#endif  // ALLOCLAB_NO_HARDENING

}  // namespace alloclab::malloc

#endif  // ALLOCLAB_MALLOC_HARDENING_H_
