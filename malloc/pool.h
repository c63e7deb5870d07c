// Pools: fixed-size chunks of one size class, carved from buddy runs called
// slabs. A slab's bookkeeping (chunks in use, partial-list links) is in its
// first page's PageInfo, its free chunks in a bitmap beside it
// (SegmentMeta::slab_free), and every slab page's size class in the
// segment's page_class table, so freeing a chunk finds its pool without a
// header. The chunks end where the slab ends (SizeClass::head_gap). A batch
// is taken lowest address first from the bitmap: no chunk is read (a free
// list threaded through the chunks costs a cache miss per chunk, one after
// the other, when a thread cache refills from cold memory), and untouched
// pages of a fresh slab stay untouched. The batch is handed over highest
// address first, so that a thread cache (a stack) gives its chunks out
// lowest first: objects a program allocates one after another lie in
// ascending order, and walking them in that order walks memory forwards, as
// the hardware prefetchers expect (python3's json round trip: 2.62 -> 2.22 s,
// mimalloc 2.31; the other order was 15% slower). A fresh slab's first batch
// starts a class-dependent way into the slab (pool.cc, FirstHandedOut). Not
// thread-safe: its arena's lock guards it.
#ifndef ALLOCLAB_MALLOC_POOL_H_
#define ALLOCLAB_MALLOC_POOL_H_

#include <cstddef>
#include <cstdint>

#include "malloc/buddy.h"
#include "malloc/platform.h"
#include "malloc/segment.h"
#include "malloc/size_classes.h"

namespace alloclab::malloc {

class Pool {
 public:
  void Init(int size_class) { cls_ = size_class; }

  // Fills out[0..n) with chunks; returns how many (fewer only when the
  // buddy allocator is out of pages: the caller grows it and retries).
  int AllocBatch(BuddyAllocator& buddy, void** out, int n);

  // Returns a chunk of this pool (already marked freed: hardening.h). If its
  // slab becomes empty and is not the last partial slab, the slab goes back
  // to the buddy allocator; returns the segment if that made a whole segment
  // free. Inline: a flush returns thousands of chunks in a row.
  SegmentMeta* Free(BuddyAllocator& buddy, SegmentMeta* seg, void* chunk) {
    const uint32_t first = SlabOf(seg, chunk);
    PageInfo* slab = &seg->pages[first];
    const uint32_t i = IndexInSlab(seg, first, chunk, cls_);
    seg->slab_free[first][i >> 6] |= uint64_t{1} << (i & 63);
    --in_use_;
    const uint32_t used = slab->used;
    slab->used = static_cast<uint16_t>(used - 1);
    if (ALLOCLAB_LIKELY(used != ClassInfo(cls_).capacity && used != 1)) return nullptr;
    return SlabFullOrEmpty(buddy, seg, slab);
  }

  // Whether chunk p (of this pool, in seg) is free in its slab.
  static bool IsFree(const SegmentMeta* seg, const void* p, int cls) {
    const uint32_t first = SlabOf(seg, p);
    const uint32_t i = IndexInSlab(seg, first, p, cls);
    return (seg->slab_free[first][i >> 6] >> (i & 63)) & 1;
  }

  size_t slabs() const { return slabs_; }
  size_t chunks_in_use() const { return in_use_; }

 private:
  // The first page of the slab holding chunk p, and p's index in that slab.
  static uint32_t SlabOf(const SegmentMeta* seg, const void* p) { return seg->pages[seg->PageOf(p)].span_first; }
  static uint32_t IndexInSlab(const SegmentMeta* seg, uint32_t first, const void* p, int cls) {
    return ChunkIndex(static_cast<uint32_t>(static_cast<const char*>(p) - FirstChunk(seg, first, cls)), cls);
  }
  // Chunk 0 of the slab starting at page `first`: after its head gap.
  static char* FirstChunk(const SegmentMeta* seg, uint32_t first, int cls) {
    return seg->PageAddress(first) + ClassInfo(cls).head_gap;
  }

  PageInfo* NewSlab(BuddyAllocator& buddy);
  // Free's rare case: the slab was full (it becomes partial) or is now empty.
  SegmentMeta* SlabFullOrEmpty(BuddyAllocator& buddy, SegmentMeta* seg, PageInfo* slab);

  int cls_ = 0;
  PageInfo* partial_ = nullptr;  // slabs with free chunks
  size_t slabs_ = 0;
  size_t in_use_ = 0;
};

}  // namespace alloclab::malloc

#endif  // ALLOCLAB_MALLOC_POOL_H_
