// Pool: slab lifecycle and chunk lists.
#include "malloc/pool.h"

#include <algorithm>

#include "malloc/intrusive_list.h"
#include "malloc/size_classes.h"

namespace alloclab::malloc {

namespace {

// Which chunk of a fresh slab's first batch of n goes out first: the last
// one starting at most (cls x 320) mod 4096 bytes in, so that the first
// chunks of fresh slabs of different classes, all page-aligned, do not share
// their offset in the page. Hot
// objects of several classes at one page offset alias (a load from one
// waits for a store to another 4096 x k away): 8 objects of 3 classes
// updated in turn ran 1.5x slower (thread_patterns --pattern=false-sharing).
uint32_t FirstHandedOut(int cls, int n) {
  const SizeClass& c = ClassInfo(cls);
  const uint32_t target = (static_cast<uint32_t>(cls) * 320) % 4096;
  const uint32_t index = target < c.head_gap ? 0 : (target - c.head_gap) / c.size;
  return index < static_cast<uint32_t>(n) ? index : 0;
}

// What a chunk start at byte `start` of a page adds to an offset in the page
// to make a multiple of the chunk size (SegmentMeta::page_lead adds the
// page's address too): below the chunk size.
constexpr uint32_t Lead(uint32_t size, uint32_t start) { return (size - start) % size; }

// An offset in a page plus its lead stays below 2^32 (the check multiplies
// it by a 64-bit magic: hardening.h).
constexpr bool LeadsFit() {
  for (int cls = 1; cls < kNumClasses; ++cls) {
    const SizeClass& c = size_class_internal::kTables.classes[cls];
    for (uint32_t k = 0; k < c.capacity; ++k) {
      if (kPageSize + Lead(c.size, (c.head_gap + k * c.size) % kPageSize) > 0xffffffffull) return false;
    }
  }
  return true;
}
static_assert(LeadsFit());

}  // namespace

PageInfo* Pool::NewSlab(BuddyAllocator& buddy) {
  const SizeClass& c = ClassInfo(cls_);
  PageInfo* head = buddy.AllocRun(c.slab_pages);
  if (head == nullptr) return nullptr;
  SegmentMeta* seg = SegmentMeta::Of(head);
  const uint32_t first = SegmentMeta::IndexOf(head);
  for (uint32_t p = first; p < first + c.slab_pages; ++p) {
    seg->pages[p].kind = PageKind::kSlab;
    seg->pages[p].span_first = static_cast<uint16_t>(first);
    // The first chunk starting at or after this page's start, if any.
    const uint32_t page_start = (p - first) * static_cast<uint32_t>(kPageSize);
    const uint32_t k = page_start <= c.head_gap ? 0 : (page_start - c.head_gap + c.size - 1) / c.size;
    const uint32_t start = c.head_gap + k * c.size;
    const uint32_t address = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(seg->PageAddress(p)));
    seg->page_class[p] = static_cast<uint8_t>(cls_);
    if (k < c.capacity && start - page_start < kPageSize) {
      seg->page_lead[p] = Lead(c.size, start - page_start) - address;
    } else {
      // Inside a chunk of more than a page, or in the head gap before it (a
      // class of a page or less, its gap below the size, has a chunk start
      // on every page): no offset in a page plus one is a multiple of the
      // size.
      seg->page_lead[p] = 1 - address;
    }
  }
  head->span_pages = c.slab_pages;
  head->used = 0;
  uint64_t* bits = seg->slab_free[first];
  for (uint32_t w = 0; w < 4; ++w) {
    const uint32_t from = w * 64;
    bits[w] = c.capacity >= from + 64 ? ~uint64_t{0}
              : c.capacity > from     ? (uint64_t{1} << (c.capacity - from)) - 1
                                      : 0;
  }
  head->size_class = static_cast<uint8_t>(cls_);
  ++slabs_;
  ListPush(&partial_, head);
  return head;
}

int Pool::AllocBatch(BuddyAllocator& buddy, void** out, int n) {
  const SizeClass& c = ClassInfo(cls_);
  const uint32_t words = (c.capacity + 63) / 64;
  int got = 0;
  bool fresh = false;  // the batch starts a slab no chunk was taken from
  while (got < n) {
    PageInfo* slab = partial_;
    if (slab == nullptr && (slab = NewSlab(buddy)) == nullptr) break;
    if (got == 0) fresh = slab->used == 0;
    SegmentMeta* seg = SegmentMeta::Of(slab);
    const uint32_t first = SegmentMeta::IndexOf(slab);
    uint64_t* bits = seg->slab_free[first];
    char* base = FirstChunk(seg, first, cls_);
    for (uint32_t w = 0; w < words && got < n; ++w) {
      uint64_t word = bits[w];
      while (word != 0 && got < n) {
        const uint32_t i = w * 64 + static_cast<uint32_t>(__builtin_ctzll(word));
        word &= word - 1;
        out[got++] = base + size_t{i} * c.size;
        ++slab->used;
      }
      bits[w] = word;
    }
    if (slab->used == c.capacity) ListRemove(&partial_, slab);
  }
  // A thread cache pops from the end of its bin: stacked so, the chunks come
  // out in ascending address order from out[first] on, then out[0] up to it
  // (pool.h); first is 0 but in a fresh slab's first batch.
  const uint32_t first = fresh ? FirstHandedOut(cls_, got) : 0;
  std::reverse(out, out + first);
  std::reverse(out + first, out + got);
  in_use_ += static_cast<size_t>(got);
  return got;
}

SegmentMeta* Pool::SlabFullOrEmpty(BuddyAllocator& buddy, SegmentMeta* seg, PageInfo* slab) {
  const uint32_t capacity = ClassInfo(cls_).capacity;
  if (capacity == 1) {
    // A one-chunk slab (a classed page run) goes back as soon as it is free:
    // kept as an empty partial slab it would hold up to 32 pages per class.
  } else if (slab->used == capacity - 1) {
    ListPush(&partial_, slab);
    return nullptr;  // capacity >= 2: not empty as well
  } else {
    if (slab->used != 0 || (partial_ == slab && slab->next == nullptr)) return nullptr;
    // An empty slab, and not the pool's only partial one: back to the buddy.
    ListRemove(&partial_, slab);
  }
  --slabs_;
  const uint32_t first = SegmentMeta::IndexOf(slab);
  for (uint32_t p = first; p < first + slab->span_pages; ++p) {
    seg->page_class[p] = 0;
    seg->pages[p].kind = PageKind::kInterior;
  }
  slab->kind = PageKind::kRun;
  return buddy.FreeRun(slab);
}

}  // namespace alloclab::malloc
