// Segments: the 4 MiB, 4 MiB-aligned units of heap that the buddy allocator
// manages, and their out-of-band metadata. Every page of a segment has a
// PageInfo in a SegmentMeta that lives in metadata memory, not in the heap,
// and a global segment map finds a pointer's SegmentMeta with one load (or
// tells that the pointer is not ours). Segments come from the program break
// (sbrk) in 4 MiB steps, or from mmap when the break cannot grow.
#ifndef ALLOCLAB_MALLOC_SEGMENT_H_
#define ALLOCLAB_MALLOC_SEGMENT_H_

#include <cstddef>
#include <cstdint>

#include "malloc/platform.h"

namespace alloclab::malloc {

inline constexpr int kSegmentShift = 22;
inline constexpr size_t kSegmentSize = size_t{1} << kSegmentShift;
inline constexpr uint32_t kPagesPerSegment = kSegmentSize / kPageSize;
inline constexpr int kMaxOrder = kSegmentShift - kPageShift;  // a whole segment
// The user address space the segment map covers (x86-64, 4-level paging).
inline constexpr int kAddressBits = 47;
inline constexpr size_t kSegmentMapEntries = size_t{1} << (kAddressBits - kSegmentShift);

enum class PageKind : uint8_t {
  kInterior = 0,  // inside a free block or a run, not its first page
  kFree,          // first page of a free buddy block
  kRun,           // first page of an allocated run of pages
  kCachedRun,     // first page of a freed run kept for reuse (arena run cache)
  kSlab,          // any page of a pool slab
};

// A page's index in its segment is where it sits in SegmentMeta::pages
// (SegmentMeta::IndexOf), not a field: a new segment's PageInfos are all
// zero, which a fresh SegmentMeta is already.
struct PageInfo {
  PageInfo* next;     // free heads: buddy free list; slab heads: partial list
  PageInfo* prev;
  uint16_t span_first;  // slab pages: index of the slab's first page
  uint16_t span_pages;  // run and slab heads: length in pages (a segment at most)
  PageKind kind;
  uint8_t order;        // free heads: buddy order (block = 2^order pages)
  uint16_t used;        // slab head: chunks handed out
  uint8_t size_class;   // slab head
  bool dirty;           // free heads: some page may hold data (not purged)
  uint32_t dirty_since; // free heads, when dirty: ms clock (low 32 bits) of the
                        // last time data was freed into the block
};
static_assert(sizeof(PageInfo) == 32);
static_assert(kPagesPerSegment <= 0xffff);

// SegmentMetas are aligned to their size rounded up to a power of two
// (128 KiB), so that a PageInfo finds its SegmentMeta, and its own index, from
// its address alone: creating a segment writes nothing per page (it wrote
// 40 KiB of PageInfos, a tenth of a small program's metadata).
inline constexpr size_t kSegmentMetaAlign = size_t{1} << 17;

struct alignas(kSegmentMetaAlign) SegmentMeta {
  uintptr_t base;
  void* owner;          // the arena whose buddy allocator holds this segment
  SegmentMeta* next;    // the owner's segment list
  SegmentMeta* prev;
  bool from_break;      // sbrk'd (else mmap'd)
  // Which runs the buddy allocator cuts from this segment while it is not
  // wholly free: short ones or long ones (BuddyAllocator::BandOf).
  uint8_t band;
  uint64_t free_since_ms;  // when it last became wholly free
  uint8_t page_class[kPagesPerSegment];  // pool class of each page, 0 if none
  // Slab pages: what to add to the low 32 bits of a pointer into the page
  // so that the sum is a multiple of the chunk size exactly when a chunk
  // starts there: the chunk size minus where the page's first chunk starts
  // (mod the size), minus the page's address (mod 2^32). One add, no mask
  // and no range check, tells free a chunk start (pool.cc, hardening.h).
  uint32_t page_lead[kPagesPerSegment];
  PageInfo pages[kPagesPerSegment];
  // Slab heads: bit i set when the slab's chunk i is free (pool.h). Out of
  // band, so that handing out and taking back chunks reads and writes no
  // chunk memory.
  uint64_t slab_free[kPagesPerSegment][4];

  char* PageAddress(uint32_t page) const {
    return reinterpret_cast<char*>(base + (uintptr_t{page} << kPageShift));
  }
  uint32_t PageOf(const void* p) const {
    return static_cast<uint32_t>((reinterpret_cast<uintptr_t>(p) - base) >> kPageShift);
  }
  static SegmentMeta* Of(const PageInfo* page) {
    return reinterpret_cast<SegmentMeta*>(reinterpret_cast<uintptr_t>(page) & ~(kSegmentMetaAlign - 1));
  }
  // page's index in its segment, and the address of the page it describes.
  static uint32_t IndexOf(const PageInfo* page) { return static_cast<uint32_t>(page - Of(page)->pages); }
  static char* AddressOf(const PageInfo* page) { return Of(page)->PageAddress(IndexOf(page)); }
};
// Of() masks a PageInfo's address: the whole SegmentMeta within one
// alignment unit.
static_assert(sizeof(SegmentMeta) == kSegmentMetaAlign);

namespace segment_internal {
extern SegmentMeta* g_segment_map[kSegmentMapEntries] ALLOCLAB_HIDDEN;
}  // namespace segment_internal

// The SegmentMeta of the segment containing p, or nullptr if p is not in one
// of our segments.
inline SegmentMeta* SegmentOf(const void* p) {
  const uintptr_t i = reinterpret_cast<uintptr_t>(p) >> kSegmentShift;
  if (ALLOCLAB_UNLIKELY(i >= kSegmentMapEntries)) return nullptr;
  return segment_internal::g_segment_map[i];
}

// A new segment for `owner`, from the break if from_break and it can grow,
// else from mmap. Its pages are all kInterior; the caller hands them to the
// buddy allocator. nullptr when out of memory.
SegmentMeta* NewSegment(void* owner, bool from_break);

// Whether ReleaseSegment can give seg back now: an mmap'd segment always, a
// break segment only at the top of the break.
bool CanReleaseSegment(const SegmentMeta* seg);
// Gives a wholly free segment back (munmap, or a negative sbrk) and recycles
// its SegmentMeta. false if it cannot (the break moved): seg is untouched.
bool ReleaseSegment(SegmentMeta* seg);

void SegmentsLockForFork();
void SegmentsUnlockForFork();
void SegmentsAfterForkChild();

// Bytes of heap currently obtained through the break and through mmap.
size_t SegmentBytesFromBreak();
size_t SegmentBytesFromMmap();

}  // namespace alloclab::malloc

#endif  // ALLOCLAB_MALLOC_SEGMENT_H_
