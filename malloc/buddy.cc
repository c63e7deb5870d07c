// BuddyAllocator: split, merge, exact-size runs.
#include "malloc/buddy.h"

#include "malloc/intrusive_list.h"
#include "malloc/platform.h"

namespace alloclab::malloc {
namespace {

int CeilLog2(uint32_t n) { return n <= 1 ? 0 : 32 - __builtin_clz(n - 1); }

}  // namespace

void BuddyAllocator::Push(SegmentMeta* seg, uint32_t page, int order, bool dirty, uint32_t since) {
  PageInfo* head = &seg->pages[page];
  head->kind = PageKind::kFree;
  head->order = static_cast<uint8_t>(order);
  head->dirty = dirty;
  head->dirty_since = since;
  const int band = ListBand(seg->band, order);
  ListPush(&free_[band][dirty][order], head);
  nonempty_[band][dirty] |= 1u << order;
  free_pages_ += uint32_t{1} << order;
  if (dirty) dirty_pages_ += uint32_t{1} << order;
}

void BuddyAllocator::Unlink(PageInfo* head) {
  const int order = head->order;
  const int band = ListBand(SegmentMeta::Of(head)->band, order);
  ListRemove(&free_[band][head->dirty][order], head);
  if (free_[band][head->dirty][order] == nullptr) nonempty_[band][head->dirty] &= ~(1u << order);
  head->kind = PageKind::kInterior;
  free_pages_ -= uint32_t{1} << order;
  if (head->dirty) dirty_pages_ -= uint32_t{1} << order;
}

void BuddyAllocator::AddSegment(SegmentMeta* seg) { Push(seg, 0, kMaxOrder, false, 0); }

void BuddyAllocator::PurgeBlock(PageInfo* head) {
  if (head->kind != PageKind::kFree || !head->dirty) return;
  PurgePages(SegmentMeta::AddressOf(head), kPageSize << head->order);
  const int order = head->order;
  Unlink(head);
  Push(SegmentMeta::Of(head), SegmentMeta::IndexOf(head), order, false, 0);
}

size_t BuddyAllocator::PurgeDirty(uint32_t now_ms, uint32_t min_age_ms) {
  size_t purged = 0;
  for (int band = 0; band < kBands; ++band) {
    for (int order = 0; order <= kMaxOrder && dirty_pages_ != 0; ++order) {
      for (PageInfo* head = free_[band][1][order]; head != nullptr;) {
        PageInfo* next = head->next;  // a purged block moves to the clean list
        if (now_ms - head->dirty_since >= min_age_ms) {
          PurgeBlock(head);
          purged += uint32_t{1} << order;
        }
        head = next;
      }
    }
  }
  return purged;
}

void BuddyAllocator::RemoveSegment(SegmentMeta* seg) { Unlink(&seg->pages[0]); }

size_t BuddyAllocator::FreeBlocks(int order) const {
  size_t n = 0;
  for (int band = 0; band < kBands; ++band) {
    for (int d = 0; d < 2; ++d) {
      for (const PageInfo* p = free_[band][d][order]; p != nullptr; p = p->next) ++n;
    }
  }
  return n;
}

bool BuddyAllocator::Smallest(int band, uint32_t orders, int* list, int* order) const {
  constexpr uint32_t kWhole = 1u << kMaxOrder;
  for (int d = 1; d >= 0; --d) {  // dirty first: their pages are resident already
    const uint32_t listed = nonempty_[band][d] | (nonempty_[ListBand(band, kMaxOrder)][d] & kWhole);
    if (const uint32_t found = listed & orders; found != 0) {
      *list = d;
      *order = __builtin_ctz(found);
      return true;
    }
  }
  return false;
}

PageInfo* BuddyAllocator::AllocRun(uint32_t pages, uint32_t align_pages, bool room_to_grow) {
  int want = CeilLog2(pages);
  const int align_order = CeilLog2(align_pages);
  if (align_order > want) want = align_order;
  if (want > kMaxOrder) return nullptr;
  // With room_to_grow, a block at least four times the run if there is one:
  // room for two doublings in place without spreading over whole fresh
  // segments.
  const int roomy = want + 2 < kMaxOrder ? want + 2 : kMaxOrder;
  const int band = BandOf(pages);
  int list = 0, order = 0;
  if (!(room_to_grow && Smallest(band, ~((1u << roomy) - 1), &list, &order)) &&
      !Smallest(band, ~((1u << want) - 1), &list, &order)) {
    return nullptr;
  }
  PageInfo* head = free_[ListBand(band, order)][list][order];
  SegmentMeta* seg = SegmentMeta::Of(head);
  const bool dirty = head->dirty;
  const uint32_t since = head->dirty_since;
  Unlink(head);
  seg->band = static_cast<uint8_t>(band);  // a wholly free segment joins the band
  const uint32_t first = SegmentMeta::IndexOf(head);
  while (order > want) {
    --order;
    Push(seg, first + (uint32_t{1} << order), order, dirty, since);
  }
  head->kind = PageKind::kRun;
  head->span_pages = static_cast<uint16_t>(pages);
  // Give back what the run does not need. (Counted dirty even when the block
  // was clean: the arena's retained-memory budget counts dirty pages, and
  // counting such tails clean made it purge less; cxx_containers' peak RSS
  // rose 7.5%. benchmarks/results/2026-12-03-session9.txt.)
  FreeRange(seg, first + pages, first + (uint32_t{1} << want));
  return head;
}

SegmentMeta* BuddyAllocator::FreeBlock(SegmentMeta* seg, uint32_t page, int order, bool dirty,
                                       uint32_t since) {
  seg->pages[page].kind = PageKind::kInterior;
  while (order < kMaxOrder) {
    PageInfo* buddy = &seg->pages[page ^ (uint32_t{1} << order)];
    if (buddy->kind != PageKind::kFree || buddy->order != order) break;
    // A merged block is as young as its youngest dirty part.
    if (buddy->dirty && (!dirty || static_cast<int32_t>(buddy->dirty_since - since) > 0)) {
      since = buddy->dirty_since;
    }
    dirty |= buddy->dirty;
    Unlink(buddy);
    page &= ~(uint32_t{1} << order);
    ++order;
  }
  Push(seg, page, order, dirty, since);
  return order == kMaxOrder ? seg : nullptr;
}

SegmentMeta* BuddyAllocator::FreeRange(SegmentMeta* seg, uint32_t first, uint32_t end, bool dirty) {
  SegmentMeta* whole = nullptr;
  while (first < end) {
    // The largest block that starts aligned at `first` and fits.
    int order = first == 0 ? kMaxOrder : __builtin_ctz(first);
    while ((uint32_t{1} << order) > end - first) --order;
    if (FreeBlock(seg, first, order, dirty, now_ms_) != nullptr) whole = seg;
    first += uint32_t{1} << order;
  }
  return whole;
}

SegmentMeta* BuddyAllocator::FreeRun(PageInfo* head, bool dirty) {
  const uint32_t first = SegmentMeta::IndexOf(head);
  return FreeRange(SegmentMeta::Of(head), first, first + head->span_pages, dirty);
}

bool BuddyAllocator::GrowRun(PageInfo* head, uint32_t new_pages) {
  SegmentMeta* seg = SegmentMeta::Of(head);
  const uint32_t first = SegmentMeta::IndexOf(head);
  const uint32_t end = first + new_pages;
  if (end > kPagesPerSegment) return false;
  // The pages after the run must be whole free blocks up to `end`. A free
  // block that touches the run's end starts exactly there (blocks never
  // overlap the run), so walk block by block.
  uint32_t p = first + head->span_pages;
  while (p < end) {
    const PageInfo& b = seg->pages[p];
    if (b.kind != PageKind::kFree) return false;
    p += uint32_t{1} << b.order;
  }
  for (uint32_t q = first + head->span_pages; q < end;) {
    PageInfo* b = &seg->pages[q];
    q += uint32_t{1} << b->order;
    Unlink(b);
  }
  head->span_pages = static_cast<uint16_t>(new_pages);
  FreeRange(seg, end, p);
  return true;
}

void BuddyAllocator::ShrinkRun(PageInfo* head, uint32_t new_pages) {
  const uint32_t first = SegmentMeta::IndexOf(head);
  const uint32_t old_end = first + head->span_pages;
  head->span_pages = static_cast<uint16_t>(new_pages);
  FreeRange(SegmentMeta::Of(head), first + new_pages, old_end);
}

}  // namespace alloclab::malloc
