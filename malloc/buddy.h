// The buddy allocator: page blocks of 2^order pages inside segments, split in
// halves to allocate and merged with their buddy on free. A block's order and
// state live in its first page's PageInfo (out of band). Runs of any page
// count are cut from the next order up, and the unused tail goes straight back
// as smaller blocks (as Linux's alloc_pages_exact does), so a 5-page run costs
// 5 pages, not 8. Free blocks whose pages may be resident (dirty) are listed
// apart from clean ones and cut first, the smallest that fits: pages that may
// be resident are used before fresh ones are touched (a run's unused tail
// counts as dirty whatever its block was; buddy.cc). Short runs (up to
// kShortRunPages: most slabs) and long ones are cut from different segments
// (bands): mixed, a long run's unused tail was taken by a short slab, and
// when the long run was freed its pages could not merge past the slab; the
// free memory ended up in holes of 1-8 pages that no long run fits, and a
// steady two-thread churn grew its heap without bound (threaded_churn: peak
// RSS 25 MB after 8 M operations, 47-57 MB after 32 M; the live heap is 5
// MB). Apart, and with short slabs a power of two long (size_classes.h; now
// every slab is), 26-30 MB after 32 M. A wholly free segment belongs to
// neither band and goes to whichever asks first. Not thread-safe: its arena's
// lock guards it.
#ifndef ALLOCLAB_MALLOC_BUDDY_H_
#define ALLOCLAB_MALLOC_BUDDY_H_

#include <cstddef>
#include <cstdint>

#include "malloc/segment.h"

namespace alloclab::malloc {

class BuddyAllocator {
 public:
  static constexpr uint32_t kShortRunPages = 8;
  static constexpr int kBands = 2;
  // The band of segments a run of `pages` pages is cut from.
  static int BandOf(uint32_t pages) { return pages <= kShortRunPages ? 0 : 1; }

  // Takes a fresh segment (all pages kInterior) as one free block.
  void AddSegment(SegmentMeta* seg);

  // A run of `pages` pages (1..kPagesPerSegment) whose address is aligned to
  // `align_pages` pages (a power of two <= kPagesPerSegment). Returns its
  // first page (kind kRun, span_pages = pages), or nullptr when no free block
  // is large enough: the caller adds a segment and retries. Normally the
  // smallest fitting block is split (least fragmentation); with
  // room_to_grow, the smallest at least four times the run, so the pages
  // after it stay free and a realloc can grow it in place twice.
  PageInfo* AllocRun(uint32_t pages, uint32_t align_pages = 1, bool room_to_grow = false);

  // Frees a whole run. Returns the segment if it became entirely free (it is
  // then one free block of kMaxOrder), else nullptr. dirty = false: the
  // caller purged its pages.
  SegmentMeta* FreeRun(PageInfo* head, bool dirty = true);

  // Grows a run in place to new_pages if the pages after it are free.
  bool GrowRun(PageInfo* head, uint32_t new_pages);
  // Shrinks a run in place, freeing its tail.
  void ShrinkRun(PageInfo* head, uint32_t new_pages);

  // Removes a wholly free segment's block from the free lists (to release it).
  void RemoveSegment(SegmentMeta* seg);

  size_t free_pages() const { return free_pages_; }
  // Free pages that may hold data (never purged since they were freed).
  size_t dirty_pages() const { return dirty_pages_; }

  // The clock (ms) stamped on blocks freed from now on; the arena sets it.
  void set_now_ms(uint32_t now) { now_ms_ = now; }

  // Purges (madvise) every dirty free block freed at least min_age_ms ago
  // (0: all of them). Returns the pages purged.
  size_t PurgeDirty(uint32_t now_ms, uint32_t min_age_ms);
  // Purges one free block if it is dirty.
  void PurgeBlock(PageInfo* head);
  // Free blocks of `order`, for statistics and tests.
  size_t FreeBlocks(int order) const;

 private:
  // The smallest free block of band `band` (or a wholly free segment) of an
  // order in `orders` (bit k: order k), from the dirty lists when one is
  // there: its list and order; false if none.
  bool Smallest(int band, uint32_t orders, int* list, int* order) const;
  // The band whose lists hold a free block of `order` in a segment of
  // `band`: its own, but wholly free segments are listed in band 0 whatever
  // band they had (Smallest looks there for them from either band).
  static int ListBand(int band, int order) { return order == kMaxOrder ? 0 : band; }
  void Push(SegmentMeta* seg, uint32_t page, int order, bool dirty, uint32_t since);
  void Unlink(PageInfo* head);
  // Frees [page, page + 2^order), merging with free buddies.
  // Returns the segment if the merge reached a whole segment.
  SegmentMeta* FreeBlock(SegmentMeta* seg, uint32_t page, int order, bool dirty, uint32_t since);
  // Frees [first, end) as maximal aligned blocks.
  SegmentMeta* FreeRange(SegmentMeta* seg, uint32_t first, uint32_t end, bool dirty = true);

  // Free blocks by [band][dirty][order]: a run is cut from a dirty block
  // when one fits, so that pages already resident are used before fresh
  // ones.
  PageInfo* free_[kBands][2][kMaxOrder + 1] = {};
  uint32_t nonempty_[kBands][2] = {};  // bit k set: free_[b][d][k] is not empty
  size_t free_pages_ = 0;
  size_t dirty_pages_ = 0;
  uint32_t now_ms_ = 0;
};

}  // namespace alloclab::malloc

#endif  // ALLOCLAB_MALLOC_BUDDY_H_
